"""Word vectors: counter-fitted text files (verified, cached), neighbour queries, the antonym filter, the fallback."""

from __future__ import annotations

import itertools
import zipfile
from pathlib import Path

import numpy as np
import pytest

from chainaudit import settings
from chainaudit.errors import ResourceChecksumError, ResourceMissingError, WordVectorsFormatError
from chainaudit.resources import cache, fallback_vectors
from chainaudit.resources.word_vectors import WordVectors, load_word_vectors

#: 4-d toy vectors: "good" is closest to "bad" (as in raw distributional vectors), then "great", "fine", ...
TOY = {
    "good": [1.0, 0.0, 0.0, 0.0],
    "bad": [0.99, 0.14, 0.0, 0.0],
    "great": [0.95, 0.0, 0.31, 0.0],
    "fine": [0.8, 0.0, 0.0, 0.6],
    "decent": [0.6, 0.0, 0.0, 0.8],
    "table": [0.0, 0.0, 0.0, 1.0],
    "loved": [0.0, 1.0, 0.0, 0.0],
    "hated": [0.0, 0.98, 0.2, 0.0],
    "adored": [0.0, 0.9, 0.0, 0.44],
}


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(settings.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(settings.WORD_VECTORS_ENV, raising=False)
    return tmp_path / "cache"


@pytest.fixture()
def toy_file(tmp_path: Path) -> Path:
    path = tmp_path / "counter-fitted-vectors.txt"
    path.write_text("".join(f"{w} {' '.join(str(x) for x in v)}\n" for w, v in TOY.items()), encoding="utf-8")
    return path


def test_load_counter_fitted_format(toy_file: Path, cache_dir: Path) -> None:
    vectors = load_word_vectors(toy_file)
    assert len(vectors) == len(TOY) and "good" in vectors and "GOOD" in vectors and "nope" not in vectors
    assert vectors.sha256 == cache.sha256_file(toy_file)
    assert vectors.kind == "file"
    np.testing.assert_allclose(np.linalg.norm(vectors.vectors, axis=1), 1.0, atol=1e-6)
    assert (cache_dir / "word_vectors" / f"{vectors.sha256[:16]}.npz").is_file()  # parsed once, then cached
    again = load_word_vectors(toy_file)
    assert again.words == vectors.words


def test_neighbour_order_min_cos_and_antonym_filter(toy_file: Path, cache_dir: Path) -> None:
    vectors = load_word_vectors(toy_file)
    result = vectors.neighbours("good", k=3, min_cos=0.5)
    assert [w for w, _ in result] == ["great", "fine", "decent"]  # "bad" is nearer but a WordNet antonym
    assert all(a[1] >= b[1] for a, b in itertools.pairwise(result))
    assert [w for w, _ in vectors.neighbours("good", k=10, min_cos=0.7)] == ["great", "fine"]
    assert [w for w, _ in vectors.neighbours("loved", k=5, min_cos=0.3)] == ["adored"]  # "hated": base "hate"
    assert vectors.neighbours("unknownword") == []
    unfiltered = load_word_vectors(toy_file, antonym_filter=False)
    assert unfiltered.neighbours("good", k=1) == [("bad", pytest.approx(0.99, abs=0.01))]
    many = vectors.neighbours_many(["good", "nope", "loved"], k=2, min_cos=0.3)
    assert [len(m) for m in many] == [2, 0, 1]


def test_zip_header_and_npz_inputs(toy_file: Path, tmp_path: Path, cache_dir: Path) -> None:
    text = toy_file.read_text(encoding="utf-8")
    with_header = tmp_path / "w2v.vec"
    with_header.write_text(f"{len(TOY)} 4\n{text}", encoding="utf-8")
    assert len(load_word_vectors(with_header)) == len(TOY)
    archive = tmp_path / "counter-fitted-vectors.txt.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("counter-fitted-vectors.txt", text)
    assert load_word_vectors(archive).words == list(TOY)
    npz = tmp_path / "mine.npz"
    np.savez(npz, words=np.array(list(TOY)), vectors=np.array(list(TOY.values())))
    assert load_word_vectors(npz).neighbours("good", k=1)[0][0] == "great"


def test_errors_name_the_file_and_how_to_get_vectors(toy_file: Path, tmp_path: Path, cache_dir: Path) -> None:
    with pytest.raises(ResourceMissingError, match="counter-fitting") as err:
        load_word_vectors(tmp_path / "missing.txt")
    assert "--word-vectors" in str(err.value)
    with pytest.raises(ResourceChecksumError, match="expected"):
        load_word_vectors(toy_file, expected_sha256="0" * 64)
    assert load_word_vectors(toy_file, expected_sha256=cache.sha256_file(toy_file)).sha256
    bad = tmp_path / "bad.txt"
    bad.write_text("good 1 2 3\nbad 1 2\n", encoding="utf-8")
    with pytest.raises(WordVectorsFormatError, match="line 2"):
        load_word_vectors(bad)


def test_environment_variable_selects_the_file(toy_file: Path, cache_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.WORD_VECTORS_ENV, str(toy_file))
    assert load_word_vectors().source == str(toy_file)


def test_wordvectors_checks_shapes() -> None:
    with pytest.raises(ValueError, match="2 words but 1 vectors"):
        WordVectors(["a", "b"], np.ones((1, 3)), source="x")


TINY_VOCAB = ["good", "great", "excellent", "fine", "nice", "bad", "terrible", "awful", "movie", "film", "films",
              "movies", "loved", "hated", "liked", "table", "chair"]


def test_fallback_build_on_a_tiny_vocabulary(cache_dir: Path) -> None:
    vectors = fallback_vectors.build_fallback(TINY_VOCAB)
    assert vectors.kind == "fallback" and len(vectors) == len(TINY_VOCAB)
    path = Path(vectors.source)
    manifest = fallback_vectors.read_manifest(path)
    assert manifest is not None and manifest["sha256"] == vectors.sha256 == cache.sha256_file(path)
    assert manifest["antonym_pairs"] > 0
    good = [w for w, _ in vectors.neighbours("good", k=10, min_cos=-1.0)]
    assert not {"bad", "terrible", "awful"} & set(good)  # WordNet antonyms never come back
    assert "hated" not in [w for w, _ in vectors.neighbours("loved", k=10, min_cos=-1.0)]
    assert vectors.neighbours("movie", k=1, min_cos=0.0)[0][0] in {"film", "movies", "films"}
    cos_bad = vectors.cos("good", "bad")
    cos_great = vectors.cos("good", "great")
    assert cos_bad < cos_great
    cached = fallback_vectors.build_fallback(TINY_VOCAB)  # second call: from the cache
    assert cached.sha256 == vectors.sha256
    np.testing.assert_allclose(cached.vectors, vectors.vectors)


def test_fallback_cache_is_rebuilt_when_corrupt(cache_dir: Path) -> None:
    first = fallback_vectors.build_fallback(TINY_VOCAB[:6])
    Path(first.source).write_bytes(b"corrupt")
    rebuilt = fallback_vectors.build_fallback(TINY_VOCAB[:6])
    assert rebuilt.sha256 == cache.sha256_file(Path(rebuilt.source))


def test_lexical_pairs_follow_inflections() -> None:
    words = ["movie", "film", "movies", "films", "loved", "hated", "love", "hate"]
    syn, ant = fallback_vectors.lexical_pairs(words)
    named = lambda pairs: {frozenset((words[a], words[b])) for a, b in pairs}  # noqa: E731
    assert frozenset(("movie", "film")) in named(syn)
    assert frozenset(("movies", "films")) in named(syn)
    assert frozenset(("movies", "film")) not in named(syn)
    assert {frozenset(("loved", "hated")), frozenset(("love", "hate"))} <= named(ant)


def test_fallback_neighbours_keep_the_query_inflection() -> None:
    words = ["movies", "films", "movie", "cinema", "played", "acted", "player"]
    base = np.array([[1.0, 0.0], [0.99, 0.1], [0.98, 0.2], [0.97, 0.22], [0.0, 1.0], [0.1, 0.99], [0.2, 0.98]])
    fallback = WordVectors(words, base, source="toy", sha256="abc", kind="fallback")
    assert [w for w, _ in fallback.neighbours("movies", k=5, min_cos=0.5)] == ["films"]
    assert [w for w, _ in fallback.neighbours("played", k=5, min_cos=0.5)] == ["acted"]
    raw = fallback.unfiltered()
    assert [w for w, _ in raw.neighbours("movies", k=5, min_cos=0.5)] == ["films", "movie", "cinema"]
    assert raw.vectors is fallback.vectors and fallback.identity != raw.identity
    assert not WordVectors(words, base, source="toy").inflection_filter  # a counter-fitted file: no such filter
