"""Word vectors for embedding-neighbour swaps (TextFooler, TextBugger's Sub-W): find, verify, load, query.

With a file (`--word-vectors PATH`, or `$CHAINAUDIT_WORD_VECTORS`): the counter-fitted vectors of Mrkšić et al.
(2016), `counter-fitted-vectors.txt` (`word v1 ... v300` per line; the `.zip` as downloaded works too), or
any GloVe/word2vec-style text file. Its sha256 is computed (and checked against `expected_sha256` when given)
and the parsed matrix is cached as `$CHAINAUDIT_CACHE/word_vectors/<sha256[:16]>.npz`, so later loads are
fast. A `.npz` with `words` and `vectors` arrays (such a cache) is read directly; a `.npy` matrix needs its
words, one per line, in a sibling `<stem>.vocab.txt`.

Without a file: the fallback built from what is installed (`chainaudit.resources.fallback_vectors`).

Whatever the source, `neighbours` never returns a WordNet antonym of the query (direct or indirect, see
`wordnet.antonyms`), compared on base forms, so "hated" is dropped for "loved". The fallback's neighbours are
also kept to the query's inflection (`wordnet.inflections`: "movies" gets plural nouns, not "movie" or
"cinema"; "played" past verbs, not "player"), and words WordNet does not know in any form are dropped: single-
word MiniLM embeddings put a word's derivations and other inflections nearest, which counter-fitted vectors do
not. `unfiltered()` gives the raw neighbours (the peer-tool flavours use those, as the tools do).
"""

from __future__ import annotations

import copy
import gzip
import io
import logging
import os
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from chainaudit import settings
from chainaudit.errors import ResourceMissingError, WordVectorsFormatError
from chainaudit.resources.cache import cache_dir, verify_sha256

log = logging.getLogger(__name__)

COUNTER_FITTED_URL = "https://github.com/nmrksic/counter-fitting/raw/master/word_vectors/counter-fitted-vectors.txt.zip"
HOW_TO_GET = (f"download the counter-fitted vectors (Mrkšić et al. 2016) from {COUNTER_FITTED_URL} and pass "
              f"`--word-vectors PATH` (or set ${settings.WORD_VECTORS_ENV}); without them chainaudit builds its "
              "documented fallback from WordNet and MiniLM")


class WordVectors:
    """Unit-normalised word vectors with cosine nearest-neighbour queries that exclude WordNet antonyms."""

    def __init__(self, words: Sequence[str], vectors: np.ndarray, *, source: str, sha256: str | None = None,
                 kind: str = "file", antonym_filter: bool = True, inflection_filter: bool | None = None,
                 cache_size: int = 100_000) -> None:
        if len(words) != len(vectors):
            raise ValueError(f"{len(words)} words but {len(vectors)} vectors")
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
        self.source, self.sha256, self.kind = source, sha256, kind
        self.antonym_filter = antonym_filter
        #: Keep neighbours to the query's inflection (default: on for the fallback only).
        self.inflection_filter = kind == "fallback" if inflection_filter is None else inflection_filter
        self._cache: OrderedDict[tuple[str, int, float], list[tuple[str, float]]] = OrderedDict()
        self._lock = threading.RLock()  # the neighbour cache is shared by concurrently attacked samples
        self._cache_size = cache_size

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._id(word) is not None

    def __repr__(self) -> str:
        return f"WordVectors({len(self)} words x {self.vectors.shape[1]}, {self.kind}: {self.source})"

    def _id(self, word: str) -> int | None:
        i = self.index.get(word)
        return self.index.get(word.lower()) if i is None else i

    @property
    def identity(self) -> str:
        """What a result key must hold to tell these neighbours apart: the source's sha256 and the filters on."""
        filters = [name for name, on in (("antonyms", self.antonym_filter), ("inflections", self.inflection_filter))
                   if on]
        return f"{self.sha256 or self.source}|filters:{','.join(filters) or 'none'}"

    def unfiltered(self) -> WordVectors:
        """The same vectors (shared, not copied) with no antonym or inflection filter: the raw neighbours."""
        if not self.antonym_filter and not self.inflection_filter:
            return self
        raw = copy.copy(self)
        raw.antonym_filter, raw.inflection_filter = False, False
        raw._cache, raw._lock = OrderedDict(), threading.RLock()
        return raw

    def vector(self, word: str) -> np.ndarray:
        """The unit vector of `word` (KeyError when absent)."""
        i = self._id(word)
        if i is None:
            raise KeyError(word)
        return self.vectors[i]

    def cos(self, a: str, b: str) -> float:
        """Cosine similarity of two words in the vocabulary."""
        return float(self.vector(a) @ self.vector(b))

    def neighbours(self, word: str, k: int = 50, min_cos: float = 0.5) -> list[tuple[str, float]]:
        """Up to `k` nearest words with cosine >= `min_cos`, best first; [] for an unknown word."""
        return self.neighbours_many([word], k=k, min_cos=min_cos)[0]

    def neighbours_many(self, words: Sequence[str], k: int = 50, min_cos: float = 0.5,
                        chunk: int = 256) -> list[list[tuple[str, float]]]:
        """`neighbours` for many words at once (one matrix product per chunk of queries)."""
        out: list[list[tuple[str, float]] | None] = [self._cache_get((w, k, min_cos)) for w in words]
        todo = [(pos, i) for pos, w in enumerate(words) if out[pos] is None and (i := self._id(w)) is not None]
        for pos, w in enumerate(words):
            if out[pos] is None and self._id(w) is None:
                out[pos] = []
        for start in range(0, len(todo), chunk):
            part = todo[start:start + chunk]
            sims = self.vectors[[i for _, i in part]] @ self.vectors.T
            for (pos, i), row in zip(part, sims, strict=True):
                result = self._rank(words[pos], i, row, k, min_cos)
                out[pos] = result
                self._cache_put((words[pos], k, min_cos), result)
        return [list(r) if r is not None else [] for r in out]  # copies: callers may not edit the cache

    def _rank(self, word: str, i: int, row: np.ndarray, k: int, min_cos: float) -> list[tuple[str, float]]:
        banned = self._banned(word)
        keep = self._same_inflection(word)
        m = min(len(row), k + 16)
        while True:
            top = np.argpartition(-row, m - 1)[:m] if m < len(row) else np.arange(len(row))
            top = top[np.argsort(-row[top], kind="stable")]
            result = [(self.words[j], float(row[j])) for j in top
                      if j != i and row[j] >= min_cos and not self._is_banned(self.words[j], banned)
                      and keep(self.words[j])][:k]
            if len(result) >= k or m >= len(row) or row[top[-1]] < min_cos:
                return result
            m = min(len(row), m * 2)

    def _same_inflection(self, word: str) -> Callable[[str], bool]:
        """A test of candidates: same inflection as `word` (always true when the filter is off or WordNet does
        not know `word`)."""
        if not self.inflection_filter:
            return lambda _: True
        from chainaudit.resources.wordnet import inflections

        readings = inflections(word)
        if not readings:
            return lambda _: True
        return lambda candidate: not readings.isdisjoint(inflections(candidate))

    def _banned(self, word: str) -> set[str]:
        if not self.antonym_filter:
            return set()
        from chainaudit.resources.wordnet import antonyms

        return antonyms(word, indirect=True)

    @staticmethod
    def _is_banned(candidate: str, banned: set[str]) -> bool:
        if not banned:
            return False
        if candidate.lower() in banned:
            return True
        from chainaudit.resources.wordnet import base_forms

        return not banned.isdisjoint(base_forms(candidate))

    def _cache_get(self, key: tuple[str, int, float]) -> list[tuple[str, float]] | None:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            return hit

    def _cache_put(self, key: tuple[str, int, float], value: list[tuple[str, float]]) -> None:
        with self._lock:
            self._cache[key] = value
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)


def _open_text(path: Path) -> TextIO:
    if path.suffix == ".zip":
        archive = zipfile.ZipFile(path)
        members = [n for n in archive.namelist() if not n.endswith("/") and not n.startswith("__MACOSX")]
        if len(members) != 1:
            raise WordVectorsFormatError(f"{path}: expected one vectors file inside the zip, found {members}")
        return io.TextIOWrapper(archive.open(members[0]), encoding="utf-8", errors="replace")
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open(encoding="utf-8", errors="replace")


def _parse_lines(lines: Iterator[str], path: Path) -> tuple[list[str], np.ndarray]:
    words: list[str] = []
    rows: list[np.ndarray] = []
    dim = None
    for lineno, line in enumerate(lines, 1):
        parts = line.rstrip().split(" ")
        if lineno == 1 and len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            continue  # word2vec header "count dim"
        if len(parts) < 2:
            continue
        try:
            vec = np.asarray(parts[1:], dtype=np.float32)
        except ValueError as exc:
            raise WordVectorsFormatError(f"{path}, line {lineno}: not `word v1 ... vN` ({exc})") from None
        if dim is None:
            dim = len(vec)
        elif len(vec) != dim:
            raise WordVectorsFormatError(f"{path}, line {lineno}: {len(vec)} values, expected {dim}")
        words.append(parts[0])
        rows.append(vec)
    if not rows:
        raise WordVectorsFormatError(f"{path}: no vectors found")
    return words, np.stack(rows)


def read_vectors_file(path: Path) -> tuple[list[str], np.ndarray]:
    """Words and matrix from a text (`.txt`, `.vec`, `.zip`, `.gz`), `.npz` or `.npy` (+ `.vocab.txt`) file."""
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            if "words" not in data or "vectors" not in data:
                raise WordVectorsFormatError(f"{path}: a .npz needs `words` and `vectors` arrays")
            return [str(w) for w in data["words"]], data["vectors"].astype(np.float32)
    if path.suffix == ".npy":
        vocab = path.with_suffix(".vocab.txt")
        if not vocab.is_file():
            raise WordVectorsFormatError(f"{path}: a .npy matrix needs its words, one per line, in {vocab}")
        words = vocab.read_text(encoding="utf-8").splitlines()
        return words, np.load(path, allow_pickle=False).astype(np.float32)
    with _open_text(path) as fh:
        return _parse_lines(iter(fh), path)


def load_vectors_file(path: Path, *, expected_sha256: str | None = None, antonym_filter: bool = True,
                      use_cache: bool = True) -> WordVectors:
    """Load a word-vector file (see the module docstring), verifying its sha256 and caching it as .npz."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ResourceMissingError(f"word vectors file {path} not found. To get counter-fitted vectors, {HOW_TO_GET}.")
    sha = verify_sha256(path, expected_sha256, "word vectors file")
    log.info("word vectors %s sha256 %s", path, sha)
    cached = cache_dir("word_vectors") / f"{sha[:16]}.npz"
    if use_cache and path.suffix not in (".npz", ".npy") and cached.is_file():
        words, vectors = read_vectors_file(cached)
    else:
        words, vectors = read_vectors_file(path)
        if use_cache and path.suffix not in (".npz", ".npy"):
            tmp = cached.with_name(f".{cached.stem}-{os.getpid()}.npz")
            np.savez(tmp, words=np.asarray(words), vectors=vectors)
            tmp.replace(cached)
    return WordVectors(words, vectors, source=str(path), sha256=sha, kind="file", antonym_filter=antonym_filter)


def configured_path() -> Path | None:
    """The word-vector file named by `$CHAINAUDIT_WORD_VECTORS`, if set."""
    return settings.word_vectors_path()


def load_word_vectors(path: Path | None = None, *, expected_sha256: str | None = None,
                      antonym_filter: bool = True) -> WordVectors:
    """The word vectors to use: `path` (or `$CHAINAUDIT_WORD_VECTORS`), else the cached/built fallback."""
    path = path or configured_path()
    if path is not None:
        return load_vectors_file(path, expected_sha256=expected_sha256, antonym_filter=antonym_filter)
    from chainaudit.resources.fallback_vectors import build_fallback

    try:
        vectors = build_fallback()
    except ResourceMissingError as exc:
        raise ResourceMissingError(f"no word vectors: none given, and the fallback cannot be built ({exc}) To use "
                                   f"counter-fitted vectors instead, {HOW_TO_GET}.") from exc
    vectors.antonym_filter = antonym_filter
    return vectors
