"""`chainaudit resources build`: make the offline resources ready once, so the first attack does not pay."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

from chainaudit.resources import fallback_vectors, wordnet
from chainaudit.resources.word_vectors import load_word_vectors


def prepare(word_vectors: Path | None = None, *, progress: Callable[[str], None] | None = None) -> Iterator[str]:
    """Prepare WordNet for NLTK, then load `word_vectors` (or build the fallback vectors once); yields one line
    per resource saying where it is (and the vectors' sha256)."""
    found = wordnet.find_wordnet()
    wordnet.load_wordnet(found)
    yield f"WordNet: {found.root} (from {found.source})"
    start = time.perf_counter()
    vectors = fallback_vectors.build_fallback(progress=progress) if word_vectors is None else \
        load_word_vectors(word_vectors)
    yield (f"word vectors: {vectors.source} ({vectors.kind}, {len(vectors)} words), sha256 {vectors.sha256}, "
           f"{time.perf_counter() - start:.0f} s")
