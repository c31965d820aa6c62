"""The fallback word vectors, built from what is installed when no counter-fitted vectors file is given.

Recipe (version `FALLBACK_VERSION`, parameters in `FallbackConfig`):

1. Vocabulary: the whole words of MiniLM's WordPiece vocabulary (lowercase letters, >= 2 characters) that
   WordNet knows in some inflection (`morphy`), minus TextFooler's stop words: ~18.7k words ("movies",
   "played" included).
2. Embedding: each word encoded alone by all-MiniLM-L6-v2 (mean-pooled, 384 dimensions).
3. All-but-the-top (Mu & Viswanath 2018): remove the mean and the top `remove_components` principal
   directions, so unrelated words have cosine ~0 (raw MiniLM word embeddings share a common direction,
   cosine ~0.2) and `min_cos=0.5` means "related", as it does for counter-fitted vectors.
4. Counter-fitting in the spirit of Mrkšić et al. (2016): Adam on the three hinge losses, antonym repel
   (WordNet direct and indirect antonym pairs pushed to cosine <= 1 - delta), synonym attract (synonyms from
   the first `synonym_senses` WordNet senses of each POS pulled to cosine >= 1 - gamma) and vector-space
   preservation (pairs within cosine 1 - rho keep at least their original similarity). Inflected words
   are paired with synonyms/antonyms in the same inflection ("movies"-"films", "loved"-"hated").

At query time `WordVectors.neighbours` also drops every WordNet antonym, so none can come back.
The result is cached as `$CHAINAUDIT_CACHE/word_vectors/fallback-<key>.npz` (the key hashes the recipe, the
vocabulary, the MiniLM weights and the WordNet files) with a `.json` manifest holding its sha256 and build
time; a cache whose sha256 does not match its manifest is rebuilt.

Limits: single-word MiniLM embeddings mix relatedness with similarity ("boring" is near "boredom"); the
vocabulary is smaller than counter-fitted's 65k words and has no proper names; antonyms not in WordNet
(e.g. "exciting" for "boring") can remain neighbours.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from chainaudit.resources.cache import cache_dir, sha256_file
from chainaudit.resources.stopwords import STOP_WORDS
from chainaudit.resources.word_vectors import WordVectors

log = logging.getLogger(__name__)

FALLBACK_VERSION = 1
_WORD = re.compile(r"[a-z]{2,}")
_SUFFIXES = ("ing", "ed", "est", "er", "s")  # inflection classes: "movies" and "films" are both "s"


@dataclass(frozen=True)
class FallbackConfig:
    """Parameters of the fallback recipe (see the module docstring)."""

    remove_components: int = 3
    synonym_senses: int = 1
    attract_gamma: float = 0.3
    repel_delta: float = 1.0
    preserve_rho: float = 0.6
    preserve_k: int = 5
    epochs: int = 20
    lr: float = 0.04
    seed: int = 0


def default_vocabulary() -> list[str]:
    """MiniLM whole-word tokens that WordNet knows in some inflection, without stop words."""
    from chainaudit.resources.encoder import model_path
    from chainaudit.resources.wordnet import get_wordnet

    wn = get_wordnet()
    tokens = (model_path() / "vocab.txt").read_text(encoding="utf-8").split("\n")
    return [w for w in dict.fromkeys(tokens) if _WORD.fullmatch(w) and w not in STOP_WORDS
            and any(wn.morphy(w, pos) for pos in "nvar")]


def _inflection(word: str) -> str:
    return next((s for s in _SUFFIXES if word.endswith(s)), "")


class _Forms:
    """Maps WordNet base forms to the vocabulary words that inflect them."""

    def __init__(self, words: Sequence[str]) -> None:
        from chainaudit.resources.wordnet import base_forms

        self.index = {w: i for i, w in enumerate(words)}
        self.bases = {w: base_forms(w) for w in words}
        self.inflected: dict[str, set[str]] = {}
        for w, bases in self.bases.items():
            for b in bases:
                self.inflected.setdefault(b, set()).add(w)

    def like(self, word: str, base: str, name: str) -> set[int]:
        """Vocabulary ids of lemma `name` inflected as `word` is (from its base `base`)."""
        if word == base:
            return {self.index[name]} if name in self.index else set()
        style = _inflection(word)
        return {self.index[c] for c in self.inflected.get(name, ()) if c != name and _inflection(c) == style}


@lru_cache(maxsize=200_000)
def _senses(lemma: str, pos: str, n: int) -> tuple[Any, ...]:
    """The first `n` synsets of `lemma` in `pos` that have it as a lemma."""
    from chainaudit.resources.wordnet import get_wordnet

    wn = get_wordnet()
    out: list[Any] = []
    for synset in wn.synsets(lemma, pos):
        if lemma in (name.lower() for name in synset.lemma_names()):
            out.append(synset)
            if len(out) == n:
                break
    return tuple(out)


def lexical_pairs(words: Sequence[str], synonym_senses: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(synonym pairs, antonym pairs) as sorted int arrays of vocabulary ids, from WordNet.

    Synonyms share a synset that is among the first `synonym_senses` senses (per POS) of both words, so a
    rare sense does not tie common words ("good" and "expert" share only a late sense of "good").
    Antonyms are direct and indirect (`wordnet.antonyms`).
    """
    from chainaudit.resources.wordnet import antonyms

    forms = _Forms(words)
    syn: set[tuple[int, int]] = set()
    ant: set[tuple[int, int]] = set()

    def add(pairs: set[tuple[int, int]], i: int, ids: set[int]) -> None:
        pairs.update((min(i, j), max(i, j)) for j in ids if j != i)

    for i, w in enumerate(words):
        for base in forms.bases[w]:
            for pos in "nvar":
                for synset in _senses(base, pos, synonym_senses):
                    for name in (n.lower() for n in synset.lemma_names()):
                        if "_" not in name and name != base and synset in _senses(name, pos, synonym_senses):
                            add(syn, i, forms.like(w, base, name))
            for name in antonyms(base, indirect=True):
                add(ant, i, forms.like(w, base, name))
    syn -= ant
    return _pair_array(syn), _pair_array(ant)


def _pair_array(pairs: set[tuple[int, int]]) -> np.ndarray:
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


def all_but_the_top(vectors: np.ndarray, components: int) -> np.ndarray:
    """Remove the mean and the top principal directions, then unit-normalise rows."""
    x = vectors - vectors.mean(axis=0)
    if components > 0:
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        top = vt[:components]
        x = x - (x @ top.T) @ top
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def _preserve_pairs(x: np.ndarray, rows: np.ndarray, rho: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each of `rows`, pairs (row, j) with its k nearest words j of cosine >= 1 - rho, and their cosines."""
    k = min(k, len(x) - 1)
    pairs, sims = [np.zeros((0, 2), dtype=np.int64)], [np.zeros(0, dtype=np.float32)]
    for start in range(0, len(rows) if k > 0 else 0, 2048):
        ids = rows[start:start + 2048]
        block = x[ids] @ x.T
        block[np.arange(len(ids)), ids] = -1.0
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        local = np.repeat(np.arange(len(ids)), k)
        cols = top.reshape(-1).astype(np.int64)
        vals = block[local, cols]
        keep = vals >= 1 - rho
        pairs.append(np.stack([ids[local[keep]], cols[keep]], axis=1))
        sims.append(vals[keep])
    return np.concatenate(pairs).astype(np.int64), np.concatenate(sims).astype(np.float32)


def counter_fit(x: np.ndarray, synonyms: np.ndarray, antonyms: np.ndarray, config: FallbackConfig) -> np.ndarray:
    """Counter-fit unit vectors `x` with synonym/antonym id pairs (Mrkšić et al. 2016 losses, Adam)."""
    import torch

    if not len(synonyms) and not len(antonyms):
        return x
    torch.manual_seed(config.seed)
    moved = np.unique(np.concatenate([synonyms.reshape(-1), antonyms.reshape(-1)]))
    keep_pairs, keep_sims = _preserve_pairs(x, moved, config.preserve_rho, config.preserve_k)
    rows = np.unique(np.concatenate([synonyms.reshape(-1), antonyms.reshape(-1), keep_pairs.reshape(-1)]))
    syn_t, ant_t, keep_t = (torch.from_numpy(np.searchsorted(rows, p).reshape(-1, 2))  # ids local to `rows`
                            for p in (synonyms, antonyms, keep_pairs))
    keep_dist = torch.from_numpy(1 - keep_sims)
    v = torch.tensor(x[rows], requires_grad=True)  # optimise only the rows some pair touches
    opt = torch.optim.Adam([v], lr=config.lr)
    for _ in range(config.epochs):
        u = torch.nn.functional.normalize(v, dim=1)

        def dist(p: torch.Tensor, u: torch.Tensor = u) -> torch.Tensor:
            return 1 - torch.einsum("ij,ij->i", u.index_select(0, p[:, 0]), u.index_select(0, p[:, 1]))

        loss = (torch.relu(config.repel_delta - dist(ant_t)).sum()
                + torch.relu(dist(syn_t) - config.attract_gamma).sum()
                + torch.relu(dist(keep_t) - keep_dist).sum())
        opt.zero_grad()
        loss.backward()
        opt.step()
    out = x.copy()
    out[rows] = torch.nn.functional.normalize(v.detach(), dim=1).numpy()
    return out


def _cache_key(vocabulary: Sequence[str] | None, config: FallbackConfig) -> str:
    from chainaudit.resources.encoder import model_path
    from chainaudit.resources.wordnet import find_wordnet

    digest = hashlib.sha256()
    digest.update(json.dumps({"version": FALLBACK_VERSION, **dataclasses.asdict(config)}, sort_keys=True).encode())
    digest.update(sha256_file(model_path() / "model.safetensors").encode())
    digest.update(find_wordnet().sha256().encode())
    digest.update(b"default" if vocabulary is None else "\n".join(vocabulary).encode())
    return digest.hexdigest()[:16]


def fallback_path(vocabulary: Sequence[str] | None = None, config: FallbackConfig = FallbackConfig()) -> Path:
    """Where the fallback for this vocabulary and recipe is (or will be) cached."""
    return cache_dir("word_vectors") / f"fallback-{_cache_key(vocabulary, config)}.npz"


def read_manifest(path: Path) -> dict | None:
    """The build manifest next to a cached fallback, or None when there is none."""
    manifest = path.with_suffix(".json")
    return json.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else None


def build_fallback(vocabulary: Sequence[str] | None = None, *, config: FallbackConfig = FallbackConfig(),
                   use_cache: bool = True, progress: Callable[[str], None] | None = None) -> WordVectors:
    """The fallback `WordVectors`: from the cache when built before, else built (and cached) now."""
    say = progress or log.info
    path = fallback_path(vocabulary, config)
    manifest = read_manifest(path) if use_cache else None
    if manifest and path.is_file():
        sha = sha256_file(path)
        if sha == manifest.get("sha256"):
            with np.load(path, allow_pickle=False) as data:
                return WordVectors([str(w) for w in data["words"]], data["vectors"], source=str(path),
                                   sha256=sha, kind="fallback")
        log.warning("fallback word vectors %s do not match their manifest (sha256 %s); rebuilding", path, sha)
    t0 = time.perf_counter()
    words = list(dict.fromkeys(w.lower() for w in vocabulary)) if vocabulary is not None else default_vocabulary()
    say(f"building fallback word vectors for {len(words)} words (MiniLM + WordNet counter-fitting)")
    from chainaudit.resources.encoder import get_encoder

    raw = get_encoder().model.encode(words, batch_size=256, normalize_embeddings=True, convert_to_numpy=True,
                                     show_progress_bar=False)
    t_embed = time.perf_counter() - t0
    base = all_but_the_top(raw.astype(np.float32), min(config.remove_components, max(len(words) - 1, 0)))
    syn, ant = lexical_pairs(words, config.synonym_senses)
    vectors = counter_fit(base, syn, ant, config)
    seconds = time.perf_counter() - t0
    tmp = path.with_name(f".{path.stem}-{os.getpid()}.npz")
    np.savez(tmp, words=np.asarray(words), vectors=vectors)
    tmp.replace(path)
    sha = sha256_file(path)
    info = {"version": FALLBACK_VERSION, "config": dataclasses.asdict(config), "words": len(words),
            "synonym_pairs": len(syn), "antonym_pairs": len(ant), "embed_seconds": round(t_embed, 1),
            "build_seconds": round(seconds, 1), "sha256": sha}
    path.with_suffix(".json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    say(f"built {path.name} in {seconds:.0f} s ({len(syn)} synonym / {len(ant)} antonym pairs)")
    return WordVectors(words, vectors, source=str(path), sha256=sha, kind="fallback")
