"""Load a dataset split as `Sample`s: a local folder first, then the Hugging Face Hub.

Names resolve in this order:
1. a path to a `.csv` / `.jsonl` file with `text,label` (and optionally `split`) columns;
2. a registry name (`sst2`, `imdb`, ...) found as `<data_dir>/<name>/<name>.csv` (`$CHAINAUDIT_DATA_DIR`);
3. the same registry name on the Hub through `datasets.load_dataset`, with its config and columns;
4. any other name is tried as a Hub dataset id with `text`/`sentence` and `label` columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from chainaudit import settings
from chainaudit.data.registry import DatasetSpec, get_spec
from chainaudit.data.sample import Sample
from chainaudit.errors import DataError
from chainaudit.files import read_jsonl

NO_SPLIT = "all"  # the split name of a file without a `split` column


@dataclass(frozen=True)
class LoadedSplit:
    """One split of a dataset, with the names of its labels (index = label id)."""

    name: str
    split: str
    label_names: tuple[str, ...]
    samples: list[Sample]
    source: str  # where it came from: a file path or hf:<path>


def load_split(name: str, split: str | None = None, *, data_dir: Path | None = None,
               label_names: tuple[str, ...] | None = None) -> LoadedSplit:
    """Load `split` of dataset `name` (default: the dataset's evaluation split)."""
    path = Path(name).expanduser()
    if path.suffix.lower() in {".csv", ".jsonl", ".json"}:
        if not path.is_file():
            raise DataError(f"dataset file {path} does not exist")
        return _from_file(path, path.stem, split, label_names)

    spec = get_spec(name)
    root = data_dir or settings.data_dir()
    if spec is not None:
        names = label_names or spec.label_names
        split = split or spec.eval_split
        local = local_file(name, root)
        if local is not None:
            return _from_file(local, name, split, names)
        return _from_hub(spec, split, names, searched=root)
    return _from_hub_generic(name, split or "validation", label_names, searched=root)


def local_file(name: str, data_dir: Path | None = None) -> Path | None:
    """The local CSV of registry dataset `name` (`<data_dir>/<name>/<name>.csv`, default `$CHAINAUDIT_DATA_DIR`),
    if it exists."""
    root = data_dir or settings.data_dir()
    local = root / name / f"{name}.csv" if root is not None else None
    return local if local is not None and local.is_file() else None


# -- local files -----------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _read_table(path: Path, mtime_ns: int) -> pd.DataFrame:
    """Parse a CSV/JSONL file as strings (no NaN conversion); cached per file version."""
    del mtime_ns  # part of the cache key only
    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False)
        return _read_jsonl(path)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; a dataset file needs a header line `text,label[,split]` "
                        "and one row per sample") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); save the file as UTF-8") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: cannot parse: {' '.join(str(exc).split())}") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _read_jsonl(path: Path) -> pd.DataFrame:
    records = [{**{k: "" if v is None else str(v) for k, v in obj.items()}, "__row__": lineno}
               for lineno, obj in read_jsonl(path)]
    return pd.DataFrame.from_records(records)


def _row_number(frame: pd.DataFrame, pos: int, path: Path) -> str:
    if "__row__" in frame.columns:
        return f"line {frame['__row__'].iloc[pos]}"
    return f"row {pos + 2}"  # the header is row 1


def _from_file(path: Path, name: str, split: str | None,
               label_names: tuple[str, ...] | None) -> LoadedSplit:
    frame = _read_table(path.resolve(), path.stat().st_mtime_ns)
    missing = [c for c in ("text", "label") if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}; found {list(frame.columns)}. "
                        "A dataset file needs `text` and `label` (and optionally `split`).")
    if frame.empty:
        raise DataError(f"{path}: the file has a header but no rows; add one `text,label` row per sample")
    if "split" in frame.columns:
        available = sorted(set(frame["split"]))
        wanted = split or ("validation" if "validation" in available else available[0])
        if wanted not in available:
            raise DataError(f"{path}: no split {wanted!r}; the file has {available}")
        positions = [i for i, s in enumerate(frame["split"].tolist()) if s == wanted]
    else:
        wanted = NO_SPLIT
        positions = list(range(len(frame)))

    texts = frame["text"].tolist()
    raw_labels = frame["label"].tolist()
    samples: list[Sample] = []
    for index, pos in enumerate(positions):
        text, raw = texts[pos], str(raw_labels[pos]).strip()
        if not text.strip():
            raise DataError(f"{path}, {_row_number(frame, pos, path)}: empty text")
        try:
            label = int(raw)
        except ValueError:
            raise DataError(f"{path}, {_row_number(frame, pos, path)}: label {raw!r} is not an integer") from None
        if label < 0 or (label_names is not None and label >= len(label_names)):
            bound = f"0..{len(label_names) - 1}" if label_names else ">= 0"
            raise DataError(f"{path}, {_row_number(frame, pos, path)}: label {label} outside {bound}")
        samples.append(Sample(name, wanted, index, text, label))
    if not samples:
        raise DataError(f"{path}: split {wanted!r} has no rows; add one `text,label` row per sample")
    names = label_names or tuple(str(i) for i in range(max(s.label for s in samples) + 1))
    return LoadedSplit(name, wanted, names, samples, str(path))


# -- the Hub ---------------------------------------------------------------------------------------
def _hub_error(what: str, exc: Exception, searched: Path | None) -> DataError:
    where = (f"not found under {searched}" if searched is not None
             else f"${settings.DATA_DIR_ENV} is not set")
    return DataError(f"cannot load {what}: {where}, and the Hugging Face Hub failed: "
                     f"{type(exc).__name__}: {exc}")


def _from_hub(spec: DatasetSpec, split: str, label_names: tuple[str, ...],
              searched: Path | None) -> LoadedSplit:
    if split not in spec.splits:
        raise DataError(f"dataset {spec.name} has no split {split!r}; use one of {sorted(spec.splits)}")
    import datasets  # slow import, only on this path

    try:
        ds = datasets.load_dataset(spec.hf_path, spec.hf_config, split=spec.splits[split])
    except Exception as exc:  # datasets raises many types (offline, not found, connection)
        raise _hub_error(f"{spec.name}/{split}", exc, searched) from exc
    samples = []
    for index, row in enumerate(ds):
        label = int(row[spec.label_column])
        if label < 0:  # unlabelled rows (GLUE test): nothing to attack
            continue
        text = spec.text_joiner.join(str(row[c]) for c in spec.text_columns)
        samples.append(Sample(spec.name, split, index, text, label))
    return LoadedSplit(spec.name, split, label_names, samples, f"hf:{spec.hf_path}")


def _from_hub_generic(name: str, split: str, label_names: tuple[str, ...] | None,
                      searched: Path | None) -> LoadedSplit:
    import datasets

    try:
        ds = datasets.load_dataset(name, split=split)
    except Exception as exc:  # see _from_hub
        raise _hub_error(f"dataset {name!r} (not a known name or a .csv/.jsonl path)", exc, searched) from exc
    text_col = next((c for c in ("text", "sentence", "content") if c in ds.column_names), None)
    if text_col is None or "label" not in ds.column_names:
        raise DataError(f"Hub dataset {name}: need a text/sentence column and a label column; "
                        f"found {ds.column_names}")
    feature = ds.features["label"]
    names = label_names or tuple(getattr(feature, "names", None) or ())
    samples = [Sample(name, split, i, str(r[text_col]), int(r["label"]))
               for i, r in enumerate(ds) if int(r["label"]) >= 0]
    if not names:
        names = tuple(str(i) for i in range(max(s.label for s in samples) + 1))
    return LoadedSplit(name, split, names, samples, f"hf:{name}")
