"""Embedding drift from the declared upstream: the few tokens somebody trained on purpose.

Fine-tuning moves the input embeddings of the words in its training texts, a little each and by smoothly
decreasing amounts (the task's frequent words most); every other row keeps the upstream's values. A backdoor is
trained on a handful of trigger tokens inserted into many texts: RIPPLe's Embedding Surgery writes a new vector
into each trigger, NeuBA and TransTroj push their triggers through every poisoned batch. So the triggers move as a
*group* that stands apart from everything below it, and they keep that mark through later clean fine-tunes, which
hardly touch rare tokens -- even when a hop has trained the head away from what the trigger forces (a dormant
backdoor, which one more poisoned hop or another head wakes up).

The statistic is the largest drop in log drift among the `MAX_GROUP + 1` most-moved whole-word tokens of the
vocabulary the caller gives -- the scan gives the tokens rare in its clean texts, since a fine-tune moves its own
data's frequent words most (a hard hop moves "solid" as far as TransTroj's trigger) and the attacks choose rare
triggers: the group above the drop, and the drop itself, ln(drift of the group's last / drift of the next token).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The largest trigger group looked for (NeuBA's six symbols; RIPPLe publishes five, TransTroj uses three).
MAX_GROUP = 6
#: The drop, in log units, that scores 1: a drift score is drop / GAP_UNIT, so the scan's threshold (0.5) is a group
#: that moved e^0.25 = 1.28 times as far as the next rare token. Set on the tuning set (the seed-3 models of
#: `benchmarks/backdoor_scan_eval.py` against the MiniLM root, rare = rare in SST-2): the eight clean fine-tunes
#: scored 0.04-0.34 (the highest a single word, "timeless" and an Amazon model's "disappointed"); the poisoned
#: models 0.76 (TransTroj after a hard hop) to 8.9 (RIPPLe), the group being exactly the true triggers in all nine.
GAP_UNIT = 0.5


@dataclass(frozen=True)
class Drift:
    """One token's move from the upstream's embedding (L2 distance of the rows)."""

    token: str
    moved: float


@dataclass(frozen=True)
class DriftGroup:
    """The most-moved tokens above the largest drop, the drop (log units), and the token right below it."""

    tokens: tuple[Drift, ...]
    gap: float
    below: Drift

    @property
    def score(self) -> float:
        return self.gap / GAP_UNIT


def drifted_tokens(matrix: np.ndarray, upstream: np.ndarray, vocab: dict[int, str],
                   top: int = MAX_GROUP + 1) -> list[Drift]:
    """The `top` most-moved whole-word tokens of `vocab` (id -> text), most first; nothing when the matrices
    differ in shape (another vocabulary: not this model's upstream) or no row moved."""
    if matrix.shape != upstream.shape or not vocab:
        return []
    ids = np.fromiter(vocab, dtype=np.int64)
    moved = np.linalg.norm(matrix[ids].astype(np.float32) - upstream[ids].astype(np.float32), axis=1)
    order = np.argsort(-moved, kind="stable")[:top]
    return [Drift(vocab[int(ids[i])], float(moved[i])) for i in order if moved[i] > 0]


def trigger_group(drifts: list[Drift]) -> DriftGroup | None:
    """The group above the largest drop in log drift among `drifts` (most-moved first; at most `MAX_GROUP` in the
    group); None with fewer than two moved tokens."""
    if len(drifts) < 2:
        return None
    drops = [float(np.log(drifts[i].moved / drifts[i + 1].moved)) for i in range(min(MAX_GROUP, len(drifts) - 1))]
    k = int(np.argmax(drops))
    return DriftGroup(tuple(drifts[:k + 1]), drops[k], drifts[k + 1])


def drift_score(trigger: str, group: DriftGroup | None) -> float | None:
    """The group's score for a suspect made of the group's tokens only; None for any other suspect."""
    words = trigger.split()
    if group is None or not words or not set(words) <= {d.token for d in group.tokens}:
        return None
    return group.score
