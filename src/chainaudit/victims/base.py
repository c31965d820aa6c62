"""The `Victim` protocol: the only way any part of chainaudit asks a model for a prediction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Victim(Protocol):
    """A text classifier seen through the dataset's label space.

    `predict_proba(texts)[i, j]` is the probability that `texts[i]` has the dataset label
    `label_names[j]` (the model's own labels are already aligned). `queries` counts every text asked
    about, cache hits included, so an attack's query count does not depend on caching.
    """

    model_id: str
    revision: str
    label_names: tuple[str, ...]
    queries: int

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class TokenGradients:
    """Gradient of the loss w.r.t. one text's input embeddings.

    `grads[t]` belongs to token `tokens[t]` (special tokens included); `offsets[t]` is that token's
    (start, end) character span in the text ((0, 0) for special tokens); `loss` is the cross-entropy of
    the aligned prediction against the given dataset label.
    """

    tokens: list[str]
    token_ids: np.ndarray       # (seq,)
    offsets: list[tuple[int, int]]
    grads: np.ndarray           # (seq, hidden)
    loss: float


@runtime_checkable
class GradientVictim(Victim, Protocol):
    """A victim that also exposes white-box gradients (local models)."""

    def input_gradients(self, texts: Sequence[str], labels: Sequence[int]) -> list[TokenGradients]: ...

    def embedding_matrix(self) -> np.ndarray:
        """The input word-embedding table, (vocab, hidden); row i embeds token id i."""
        ...


@dataclass
class VictimStats:
    """Counters a victim keeps; `model_texts` excludes cache hits and texts that tokenize like another of the same
    call (the model runs once per distinct token sequence)."""

    queries: int = 0
    model_texts: int = 0
    cache_hits: int = 0
    truncated: int = 0
    batches: int = 0
