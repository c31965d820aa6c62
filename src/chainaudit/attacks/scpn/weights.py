"""Find, verify and safely load the published SCPN files.

The folder is `--scpn-dir`, else `$CHAINAUDIT_SCPN_DIR`, else `cache_dir("scpn")`; it (or one sub-folder, as a
zip may unpack) must hold `scpn.pt`, `parse_generator.pt`, `parse_vocab.pkl`, `bpe.codes`, `vocab.txt`, and
optionally `ptb_tagset.txt` / OpenAttack's `ptb_tagset.pkl` (else the built-in copy of the authors' tagset).

Safety: the `.pt` files are pickles. They are read with `torch.load(weights_only=True)`, which rebuilds only
tensors and plain containers, with `argparse.Namespace` (the checkpoints' `config_args`) as the one extra
class allowed; `parse_vocab.pkl` is read by an unpickler that refuses every class, so only lists, tuples,
dicts, strings and numbers come out. Nothing else is ever unpickled.

Checksums: neither the authors nor OpenAttack publish sha256s of these files, and none can be fetched here.
So the check is trust on first use: the first successful load records each file's sha256 in
`cache_dir()/scpn-sha256.json` (per folder) and every later load verifies against it, so a file that changes
afterwards is refused. When you know the checksums you expect, put them in a `SHA256SUMS` file in the folder
(`sha256sum` format) or pass `expected=`; those are checked instead, from the first load on. First-use trust
does not prove the files are the published ones.
"""

from __future__ import annotations

import argparse
import json
import pickle
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainaudit import settings
from chainaudit.attacks.scpn.templates import EOP, PTB_TAGSET
from chainaudit.errors import ChainauditError, ResourceChecksumError, ResourceMissingError
from chainaudit.resources.cache import cache_dir, sha256_file

REQUIRED = ("scpn.pt", "parse_generator.pt", "parse_vocab.pkl", "bpe.codes", "vocab.txt")
TAGSET_FILES = ("ptb_tagset.txt", "ptb_tagset.pkl")
OPENATTACK_URL = "https://cdn.data.thunlp.org/TAADToolbox/scpn.zip"
AUTHORS_MODELS_URL = "https://drive.google.com/file/d/1AuH1aHrE9maYttuSJz_9eltYOAad8Mfj/view"
AUTHORS_REPO = "https://github.com/miyyer/scpn"
MANIFEST_NAME = "scpn-sha256.json"
SUMS_NAME = "SHA256SUMS"


def default_dir() -> Path:
    """`$CHAINAUDIT_SCPN_DIR`, else `cache_dir("scpn")`."""
    return settings.scpn_dir() or cache_dir("scpn")


def how_to_get(folder: Path | None = None) -> str:
    folder = folder or default_dir()
    return (f"mkdir -p {folder} && cd {folder} && wget {OPENATTACK_URL} && unzip scpn.zip  (OpenAttack's "
            f"AttackAssist.SCPN, 150 MB); or the authors' scpn.pt + parse_generator.pt from {AUTHORS_MODELS_URL} "
            f"with data/parse_vocab.pkl, bpe.codes, vocab.txt, ptb_tagset.txt of {AUTHORS_REPO}. Point to another "
            f"folder with --scpn-dir or ${settings.SCPN_DIR_ENV}")


@dataclass(frozen=True)
class ScpnFiles:
    """The located files (name -> path); `tagset` is None when the built-in tagset is used."""

    folder: Path
    paths: dict[str, Path]
    tagset: Path | None


def locate(folder: Path | None = None) -> ScpnFiles:
    """The SCPN files in `folder` (or its one sub-folder holding them); `ResourceMissingError` names what is
    missing and how to get it."""
    folder = (folder or default_dir()).expanduser()
    candidates = [folder, *sorted(p for p in folder.iterdir() if p.is_dir())] if folder.is_dir() else [folder]
    for where in candidates:
        if all((where / name).is_file() for name in REQUIRED):
            tagset = next((where / t for t in TAGSET_FILES if (where / t).is_file()), None)
            return ScpnFiles(where.resolve(), {name: where / name for name in REQUIRED}, tagset)
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    raise ResourceMissingError(f"SCPN weights not found in {folder} (missing {', '.join(missing)}); get them with: "
                               f"{how_to_get(folder)}")


def _manifest_path() -> Path:
    return cache_dir() / MANIFEST_NAME


def pinned(folder: Path) -> dict[str, str] | None:
    """The checksums recorded for `folder` on its first successful load, if any."""
    path = _manifest_path()
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8")).get(str(folder))


def _pin(folder: Path, sums: dict[str, str]) -> None:
    path = _manifest_path()
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data[str(folder)] = sums
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def _expected_from_sums(folder: Path) -> dict[str, str]:
    path = folder / SUMS_NAME
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.strip().partition(" ")
        if digest and name:
            out[name.strip().lstrip("*")] = digest.lower()
    return out


def verify(files: ScpnFiles, expected: Mapping[str, str] | None = None) -> dict[str, str]:
    """sha256 of every file, checked against `expected` / `SHA256SUMS`, else against the first-use pin
    (recorded now when there is none). Raises `ResourceChecksumError` on a mismatch."""
    paths = dict(files.paths)
    if files.tagset is not None:
        paths[files.tagset.name] = files.tagset
    sums = {name: sha256_file(path) for name, path in sorted(paths.items())}
    given = {**_expected_from_sums(files.folder), **(expected or {})}
    reference, source = (given, "the expected checksums") if given else (pinned(files.folder), None)
    if reference is None:
        _pin(files.folder, sums)
        return sums
    source = source or f"the checksums pinned on first use in {_manifest_path()}"
    for name, digest in sums.items():
        want = reference.get(name)
        if want and want.lower().removeprefix("sha256:") != digest:
            raise ResourceChecksumError(
                f"SCPN file {paths[name]} has sha256 {digest}, not {want} ({source}): the file changed or is "
                f"corrupt. Download it again; if you replaced it on purpose, remove the folder's entry from "
                f"{_manifest_path()}.")
    return sums


class _DataOnlyUnpickler(pickle.Unpickler):
    """Rebuilds plain data only: any class or function reference is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only plain data (lists, dicts, strings, "
                                     "numbers) is allowed in this file")


def load_data_pickle(path: Path) -> Any:
    """Unpickle `path` allowing no classes at all (safe for untrusted files)."""
    with path.open("rb") as fh:
        try:
            return _DataOnlyUnpickler(fh, encoding="utf-8").load()
        except (pickle.UnpicklingError, EOFError, UnicodeDecodeError, ValueError) as exc:
            raise ChainauditError(f"{path} is not a plain-data pickle: {exc}") from exc


def load_vocab(path: Path) -> tuple[dict[str, int], dict[int, str]]:
    """`parse_vocab.pkl`: (word -> id, id -> word) of the BPE vocabulary."""
    data = load_data_pickle(path)
    if not (isinstance(data, (list, tuple)) and len(data) == 2 and all(isinstance(d, dict) for d in data)):
        raise ChainauditError(f"{path} should hold (word -> id, id -> word); found {type(data).__name__}")
    vocab, rev = data
    if "EOS" not in vocab:
        raise ChainauditError(f"{path} has no EOS token")
    return {str(k): int(v) for k, v in vocab.items()}, {int(k): str(v) for k, v in rev.items()}


def load_tagset(path: Path | None) -> dict[str, int]:
    """Parse labels -> ids (`ptb_tagset.txt`: line i is id i; `.pkl`: a dict); EOP must be the last id."""
    if path is None:
        tagset = {t: i for i, t in enumerate(PTB_TAGSET)}
    elif path.suffix == ".pkl":
        data = load_data_pickle(path)
        if not isinstance(data, dict):
            raise ChainauditError(f"{path} should hold a dict label -> id")
        tagset = {str(k).strip(): int(v) for k, v in data.items()}
    else:
        lines = path.read_text(encoding="utf-8").splitlines()
        tagset = {line.strip(): i for i, line in enumerate(lines) if line.strip()}
    if tagset.get(EOP) != len(tagset) - 1 or "X" not in tagset or "ROOT" not in tagset:
        raise ChainauditError(f"parse tagset {path or 'built-in'} must contain ROOT and X and end with EOP")
    return tagset


def load_checkpoint(path: Path) -> tuple[dict[str, Any], argparse.Namespace]:
    """(`state_dict`, `config_args`) of a published checkpoint, via the weights-only unpickler."""
    import torch

    def load(**kwargs: Any) -> Any:
        with torch.serialization.safe_globals([argparse.Namespace]):
            return torch.load(path, map_location="cpu", weights_only=True, **kwargs)

    try:
        try:
            ckpt = load()
        except UnicodeDecodeError:  # a Python 2 checkpoint (the authors trained with PyTorch 0.3 on Python 2)
            ckpt = load(encoding="latin1")
    except Exception as exc:
        raise ChainauditError(f"{path} could not be loaded safely (weights only, argparse.Namespace allowed): "
                              f"{exc}") from exc
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt or "config_args" not in ckpt:
        raise ChainauditError(f"{path} is not an SCPN checkpoint (a dict with state_dict and config_args)")
    return dict(ckpt["state_dict"]), ckpt["config_args"]


def load_strict(net: Any, state: dict[str, Any], path: Path) -> None:
    """Load `state` into `net`, every key and shape matching; else say which do not."""
    own = net.state_dict()
    missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    wrong = sorted(f"{k} {tuple(state[k].shape)} != {tuple(v.shape)}" for k, v in own.items()
                   if k in state and tuple(state[k].shape) != tuple(v.shape))
    if missing or unexpected or wrong:
        raise ChainauditError(f"{path} does not fit the {type(net).__name__} architecture: missing keys {missing}, "
                              f"unexpected keys {unexpected}, shape mismatches {wrong}")
    net.load_state_dict(state, strict=True)


_CACHE: dict[tuple[str, str], Any] = {}
_LOCK = threading.Lock()


def load_paraphraser(folder: Path | None = None, *, expected: Mapping[str, str] | None = None,
                     parser: Any = None) -> Any:
    """The ready `Paraphraser` for `folder` (cached per folder and parser), after locating and verifying."""
    from chainaudit.attacks.scpn.bpe import BPE
    from chainaudit.attacks.scpn.model import SCPN, ParseNet
    from chainaudit.attacks.scpn.paraphrase import Paraphraser
    from chainaudit.attacks.scpn.parse import get_parser

    files = locate(folder)
    key = (str(files.folder), repr(parser))
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        verify(files, expected)
        vocab, rev_vocab = load_vocab(files.paths["parse_vocab.pkl"])
        tagset = load_tagset(files.tagset)
        state, args = load_checkpoint(files.paths["scpn.pt"])
        scpn = SCPN(args.d_word, args.d_hid, args.d_nt, args.d_trans, len(vocab), len(tagset) - 1,
                    bool(getattr(args, "use_input_parse", 0)))
        load_strict(scpn, state, files.paths["scpn.pt"])
        state, args = load_checkpoint(files.paths["parse_generator.pt"])
        parse_net = ParseNet(args.d_nt, args.d_hid, len(tagset))
        load_strict(parse_net, state, files.paths["parse_generator.pt"])
        bpe = BPE.load(files.paths["bpe.codes"], files.paths["vocab.txt"], threshold=50)
        paraphraser = Paraphraser(scpn.eval(), parse_net.eval(), bpe, vocab, rev_vocab, tagset,
                                  parser or get_parser(tagset=frozenset(tagset)))
        _CACHE[key] = paraphraser
        return paraphraser
