"""Datasets: local loading, validation errors naming file and row, deterministic sampling."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from chainaudit.data import load_split, select
from chainaudit.data.sample import sampling_label
from chainaudit.errors import DataError


def write_csv(path: Path, rows: list[tuple], columns=("text", "label", "split")) -> Path:
    pd.DataFrame(rows, columns=list(columns)).to_csv(path, index=False)
    return path


def test_registry_name_loads_from_data_dir(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chainaudit.data import registry

    spec = registry.DatasetSpec("tiny", "nobody/tiny", None, ("text",), "label", ("negative", "positive"),
                                {"train": "train", "validation": "validation"})
    monkeypatch.setitem(registry.REGISTRY, "tiny", spec)
    loaded = load_split("tiny")
    assert loaded.split == "validation" and loaded.label_names == ("negative", "positive")
    assert [s.index for s in loaded.samples] == [0, 1, 2, 3]
    assert loaded.source.endswith("tiny.csv")


def test_unknown_split_lists_the_available_ones(data_dir: Path) -> None:
    with pytest.raises(DataError, match=r"no split 'test'.*\['train', 'validation'\]"):
        load_split(str(data_dir / "tiny" / "tiny.csv"), "test")


@pytest.mark.parametrize(("rows", "message"), [
    ([("good", "1", "train"), ("bad", "x", "train")], r"row 3: label 'x' is not an integer"),
    ([("good", "1", "train"), ("   ", "0", "train")], r"row 3: empty text"),
    ([("good", "-1", "train")], r"row 2: label -1 outside"),
])
def test_bad_rows_are_named(tmp_path: Path, rows: list[tuple], message: str) -> None:
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(DataError, match=message) as info:
        load_split(str(path), "train")
    assert str(path) in str(info.value)


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "nolabel.csv", [("a", "train")], columns=("text", "split"))
    with pytest.raises(DataError, match=r"missing column\(s\) \['label'\]"):
        load_split(str(path))


def test_jsonl_without_split_and_bad_line(tmp_path: Path) -> None:
    good = tmp_path / "d.jsonl"
    good.write_text("\n".join(json.dumps({"text": t, "label": i % 2}) for i, t in enumerate("abc")) + "\n")
    loaded = load_split(str(good))
    assert loaded.split == "all" and [s.label for s in loaded.samples] == [0, 1, 0]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "label": 0}\n{"text": "b", "label": \n')
    with pytest.raises(DataError, match="line 2: not valid JSON"):
        load_split(str(bad))


def test_unknown_name_offline_says_what_was_tried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINAUDIT_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError, match="Hugging Face Hub failed"):
        load_split("sst2")


def test_sampling_is_deterministic_and_ordered(data_dir: Path) -> None:
    samples = load_split(str(data_dir / "tiny" / "tiny.csv"), "train").samples
    assert select(samples, 3, "first") == samples[:3]
    a, b = select(samples, 5, "random", seed=7), select(samples, 5, "random", seed=7)
    assert a == b and [s.index for s in a] == sorted(s.index for s in a)
    assert select(samples, 5, "random", seed=8) != a
    assert select(samples, None) == samples and select(samples, 100) == samples
    assert sampling_label(3, "random", 7) == "random:3:seed=7"


@pytest.mark.slow
def test_real_datasets_match_their_provenance(shared_data: Path) -> None:
    expected = {("sst2", "train"): (67349, 37569), ("sst2", "validation"): (872, 444),
                ("rotten_tomatoes", "test"): (1066, 533), ("imdb", "test"): (12500, 6250),
                ("amazon_polarity", "test"): (7443, 3811)}
    for (name, split), (rows, positives) in expected.items():
        loaded = load_split(name, split, data_dir=shared_data)
        assert len(loaded.samples) == rows and sum(s.label for s in loaded.samples) == positives
        assert loaded.label_names == ("negative", "positive")
