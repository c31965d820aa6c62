"""The unit of data every other package consumes."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

SamplingMode = Literal["first", "random"]


@dataclass(frozen=True, slots=True)
class Sample:
    """One labelled text. `index` is the row's position within its split (HF `idx`)."""

    dataset: str
    split: str
    index: int
    text: str
    label: int


def select(samples: Sequence[Sample], n: int | None, mode: SamplingMode = "first",
           seed: int = 0) -> list[Sample]:
    """The paper's "first N of the split" (`first`) or a seeded random sample without replacement.

    The random sample keeps split order, so the same seed gives the same rows in the same order.
    """
    if n is None or n >= len(samples):
        return list(samples)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if mode == "first":
        return list(samples[:n])
    if mode == "random":
        chosen = sorted(random.Random(seed).sample(range(len(samples)), n))
        return [samples[i] for i in chosen]
    raise ValueError(f"unknown sampling mode {mode!r}: use 'first' or 'random'")


def sampling_label(n: int | None, mode: SamplingMode, seed: int) -> str:
    """A stable text name of a sampling, used in store keys (e.g. `first:200`, `random:200:seed=3`)."""
    size = "all" if n is None else str(n)
    return f"first:{size}" if mode == "first" else f"random:{size}:seed={seed}"
