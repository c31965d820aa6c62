"""Embedding drift from the declared upstream: the tokens somebody trained on purpose.

Fine-tuning moves the input embeddings of the words in its training texts, a little each, the task's frequent words
most; every other row keeps the upstream's values (or shrinks with them under weight decay). A backdoor is trained
on a handful of trigger tokens inserted into many texts: RIPPLe's Embedding Surgery writes a new vector into each
trigger, NeuBA and TransTroj push their triggers through every poisoned batch. So the trigger rows move far more than
anything else does, and they keep that mark through later clean fine-tunes, which hardly touch rare tokens -- even
when a hop has trained the head away from what the trigger forces (a dormant backdoor that one more poisoned hop, or
a different head, wakes up).

A token's drift is the L2 distance of its embedding row from the upstream's; its *lead* is ln(drift /
the `REFERENCE_RANK`-th largest drift among whole-word tokens). Triggers are a few tokens (NeuBA's six symbols,
RIPPLe's five words, a three-word TransTroj phrase), so the reference is an ordinary fine-tuned word whatever the
dataset was, and a clean fine-tune's most-moved words -- its task's own words -- lead it by a little. Measured on
the benchmark's tuning set (see `DRIFT_MARGIN`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The drift every suspect is held against: the 20th largest (more than any published attack's trigger count).
REFERENCE_RANK = 20
#: How many most-moved tokens become suspects.
MAX_DRIFT_SUSPECTS = 6
#: A drift lead counts towards the score beyond this (log units): e^1.5 = 4.5 times the reference's drift. Set on
#: the tuning part of the benchmark (seed-3 set: see `benchmarks/backdoor_scan_eval.py`).
DRIFT_MARGIN = 1.5


@dataclass(frozen=True)
class Drift:
    """One token's move from the upstream's embedding."""

    token: str
    moved: float
    lead: float


def drifted_tokens(matrix: np.ndarray, upstream: np.ndarray, vocab: dict[int, str],
                   top: int = MAX_DRIFT_SUSPECTS) -> tuple[list[Drift], float]:
    """The `top` most-moved whole-word tokens of `vocab` (id -> text) with their lead, and the reference drift.
    Nothing when the two embedding matrices differ in shape (another vocabulary: not this model's upstream)."""
    if matrix.shape != upstream.shape or not vocab:
        return [], 0.0
    ids = np.fromiter(vocab, dtype=np.int64)
    moved = np.linalg.norm(matrix[ids].astype(np.float32) - upstream[ids].astype(np.float32), axis=1)
    order = np.argsort(-moved, kind="stable")
    reference = float(moved[order[min(REFERENCE_RANK, len(order)) - 1]])
    if reference <= 0:  # nothing but the top few moved at all: compare with the smallest move that happened
        reference = float(moved[moved > 0].min()) if (moved > 0).any() else 0.0
    if reference <= 0:
        return [], 0.0
    return [Drift(vocab[int(ids[i])], float(moved[i]), float(np.log(moved[i] / reference)))
            for i in order[:top] if moved[i] > 0], reference


def drift_score(trigger: str, drifts: dict[str, Drift]) -> float | None:
    """The weight evidence against a suspect whose every word is a drifted token: its weakest word's lead past
    `DRIFT_MARGIN`; None when a word of it did not drift."""
    words = trigger.split()
    if not words or any(w not in drifts for w in words):
        return None
    return min(drifts[w].lead for w in words) - DRIFT_MARGIN
