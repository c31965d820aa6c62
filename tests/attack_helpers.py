"""Test doubles for the attack engine: a keyword victim and tiny injected resources."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from chainaudit.attacks import AttackResources
from chainaudit.attacks.text import WordText
from chainaudit.resources.word_vectors import WordVectors

POSITIVE = {"good", "great", "excellent"}
NEGATIVE = {"bad", "awful", "terrible"}


class KeywordVictim:
    """p(positive) = sigmoid(2·(#positive − #negative keywords) − 0.1): swapping the keyword flips it."""

    model_id, revision = "test/keyword", "r1"
    label_names = ("negative", "positive")

    def __init__(self, explode_on: str | None = None) -> None:
        self.queries = 0
        self.explode_on = explode_on

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        self.queries += len(texts)
        out = np.zeros((len(texts), 2))
        for i, text in enumerate(texts):
            if self.explode_on and self.explode_on in text:
                raise RuntimeError("victim exploded")
            words = [w.lower() for w in WordText.parse(text).words]
            score = sum(w in POSITIVE for w in words) - sum(w in NEGATIVE for w in words)
            p = 1 / (1 + np.exp(-(2 * score - 0.1)))
            out[i] = (1 - p, p)
        return out


def tiny_vectors() -> WordVectors:
    """good ~ fine ~ nice, bad ~ poor, movie ~ film; one-hot-ish so neighbours are predictable."""
    words = ["good", "fine", "nice", "great", "bad", "poor", "movie", "film", "plot", "story"]
    rng = np.random.default_rng(0)
    base = {"good": 0, "fine": 0, "nice": 0, "great": 0, "bad": 1, "poor": 1, "movie": 2, "film": 2,
            "plot": 3, "story": 3}
    vectors = np.eye(4)[[base[w] for w in words]] + 0.05 * rng.standard_normal((len(words), 4))
    return WordVectors(words, vectors, source="test", antonym_filter=False)


SYNONYMS = {"good": ["fine", "nice", "dear"], "movie": ["film", "picture"], "bad": ["poor"],
            "great": ["fine", "big"], "plot": ["story"]}


def jaccard(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """A stand-in sentence similarity: word-set overlap."""
    out = []
    for x, y in zip(a, b, strict=True):
        sx, sy = set(x.lower().split()), set(y.lower().split())
        out.append(len(sx & sy) / max(1, len(sx | sy)))
    return np.array(out)


def tiny_resources(threshold: float = 0.3) -> AttackResources:
    return AttackResources(
        stop_words=frozenset({"the", "a", "was", "is", "this", "and", "not"}),
        word_vectors=tiny_vectors(),
        sentence_similarity=jaccard,
        wordnet_synonyms=lambda word, pos=None: list(SYNONYMS.get(word, [])),
        pos_tagger=lambda tokens: ["ADJ" if t.lower() in POSITIVE | NEGATIVE | {"fine", "nice", "poor", "dear", "big"}
                                   else "NOUN" for t in tokens],
        textfooler_threshold=threshold,
        textbugger_threshold=threshold,
    )


def tiny_chain_study(fragile_model: Path, tiny_model_dir: Path, keyword_data: Path, *, name: str = "tiny-chain",
                     n: int = 6, **settings: Any) -> dict[str, Any]:
    """The chain studies' test config: upstream the keyword model (it falls to the attacks, so there are texts to
    replay), downstream a random tiny BERT (not really its descendant: the mechanics are what is tested); pwws
    and two seeds of black-box HotFlip on `n` keyword sentences."""
    return {
        "name": name,
        "chains": [[{"id": "local/fragile", "path": str(fragile_model)},
                    {"id": "local/tiny", "path": str(tiny_model_dir), "label_map": "negative=0,positive=1"}]],
        "datasets": [{"name": str(keyword_data), "n": n}],
        "attacks": ["pwws", {"name": "hotflip-blackbox", "repeats": 2}],
        **settings,
    }
