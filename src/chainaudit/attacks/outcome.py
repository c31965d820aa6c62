"""What one attacked sample gives: an `AttackOutcome`, and the summary of many (ASR and valid ASR, both ways)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from chainaudit.attacks.validity import Validity
from chainaudit.data import Sample

OutcomeKind = Literal["succeeded", "failed", "skipped", "error"]


@dataclass(frozen=True)
class AttackOutcome:
    """One sample's result. `skipped`: not attacked under the goal (untargeted: the model was already wrong);
    `error`: the attack itself broke (never counted as a failed attack). `goal` is the goal's key
    (`attacks.goal.Goal.key`: "untargeted", "flip-prediction" or "targeted:<label>")."""

    sample: Sample
    attack: str
    seed: int
    outcome: OutcomeKind
    original_pred: int | None = None
    perturbed_pred: int | None = None
    perturbed_text: str | None = None
    queries: int = 0
    words_changed: int = 0
    modification_rate: float = 0.0
    similarity: float | None = None
    seconds: float = 0.0
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    goal: str = "untargeted"
    #: The validity check of a success (`attacks.validity`); None on other outcomes and before it is checked.
    validity: Validity | None = None

    def to_row(self, study_id: str, model_id: str, revision: str) -> dict[str, Any]:
        """The `attack_results` row (natural key: study, model@revision, dataset, split, idx, attack, seed, goal)."""
        return {
            "study_id": study_id, "model_id": model_id, "revision": revision, "dataset": self.sample.dataset,
            "split": self.sample.split, "idx": self.sample.index, "attack": self.attack, "seed": self.seed,
            "goal": self.goal, "outcome": self.outcome, "gold_label": self.sample.label,
            "original_pred": self.original_pred, "perturbed_pred": self.perturbed_pred,
            "original_text": self.sample.text, "perturbed_text": self.perturbed_text, "queries": self.queries,
            "words_changed": self.words_changed,
            "modification_rate": self.modification_rate, "similarity": self.similarity, "seconds": self.seconds,
            "error": self.error, "extra": self.extra or None,
            **(self.validity.columns() if self.validity else dict.fromkeys(Validity.COLUMNS)),
        }

    def to_example(self) -> dict[str, Any]:
        """A JSON-ready record for `--save-examples`."""
        record = asdict(self)
        record["sample"] = asdict(self.sample)
        return record


@dataclass(frozen=True)
class AttackSummary:
    """Counts and means over outcomes; ASR in both conventions of ARCHITECTURE.md."""

    total: int
    succeeded: int
    failed: int
    skipped: int
    errors: int
    asr: float | None            # succeeded / (succeeded + failed)            (TextAttack)
    asr_all: float | None        # flipped / attacked, already-wrong included   (OpenAttack, the paper)
    accuracy_before: float | None
    accuracy_after: float | None
    mean_queries: float | None
    mean_modification_rate: float | None
    mean_similarity: float | None
    seconds_per_sample: float | None
    first_error: str | None
    #: Texts cut to the model's max length before the attack (as prediction cuts them).
    truncated: int = 0
    #: Attacks stopped by the query budget / the per-sample time limit (judged on their best text so far).
    budget_exhausted: int = 0
    time_limited: int = 0
    #: The goal's key ("untargeted", "flip-prediction", "targeted:<label>").
    goal: str = "untargeted"
    #: Successes the validity check passed (`attacks.validity`), and successes never checked (stored before
    #: the check existed: left out of the valid rates' n).
    valid: int = 0
    unchecked: int = 0
    #: valid successes / (checked successes + failed), and the same with already-wrong samples as valid flips
    #: (the paper's convention; equal to `valid_asr` under another goal).
    valid_asr: float | None = None
    valid_asr_all: float | None = None

    @property
    def ran(self) -> bool:
        """False when every sample errored: the attack did not run, which says nothing about robustness."""
        return self.total > 0 and self.errors < self.total


def _mean(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None


def _final_pred(o: AttackOutcome) -> int | None:
    """What the model says after the attack: of the perturbed text when attacked, else of the clean one."""
    attacked = o.outcome in ("succeeded", "failed") and o.perturbed_pred is not None
    return o.perturbed_pred if attacked else o.original_pred


def summarize(outcomes: Iterable[AttackOutcome]) -> AttackSummary:
    """Counts, ASR in both conventions (and their valid-success versions), accuracy before/after (against the
    gold labels) and means.

    `asr_all` counts a skipped sample as flipped only under the untargeted goal (it was already wrong, the
    OpenAttack convention); under another goal a skipped sample was not attacked, so `asr_all` equals `asr`."""
    items = list(outcomes)
    count = {k: sum(o.outcome == k for o in items) for k in ("succeeded", "failed", "skipped", "error")}
    attacked = count["succeeded"] + count["failed"]
    valid = [o for o in items if o.outcome != "error"]
    done = [o for o in items if o.outcome in ("succeeded", "failed")]
    success = [o for o in items if o.outcome == "succeeded"]
    goals = {o.goal for o in items}
    untargeted = goals <= {"untargeted"}
    asr = count["succeeded"] / attacked if attacked else None
    checked = [o for o in success if o.validity is not None]
    valid_count = sum(o.validity.valid for o in checked if o.validity is not None)
    valid_n = len(checked) + count["failed"]
    valid_asr = valid_count / valid_n if valid_n else None
    valid_all_n = valid_n + count["skipped"]
    valid_asr_all = ((valid_count + count["skipped"]) / valid_all_n if valid_all_n else None) if untargeted \
        else valid_asr
    return AttackSummary(
        total=len(items), succeeded=count["succeeded"], failed=count["failed"], skipped=count["skipped"],
        errors=count["error"],
        asr=asr,
        asr_all=((count["succeeded"] + count["skipped"]) / len(valid) if valid else None) if untargeted else asr,
        accuracy_before=_mean(float(o.original_pred == o.sample.label) for o in valid),
        accuracy_after=_mean(float(_final_pred(o) == o.sample.label) for o in valid),
        mean_queries=_mean(o.queries for o in done),
        mean_modification_rate=_mean(o.modification_rate for o in success),
        mean_similarity=_mean(o.similarity for o in success),
        seconds_per_sample=_mean(o.seconds for o in items if o.outcome != "error"),
        first_error=next((o.error for o in items if o.outcome == "error"), None),
        truncated=sum("truncated_from_chars" in o.extra for o in items),
        budget_exhausted=sum(bool(o.extra.get("budget_exhausted")) for o in items),
        time_limited=sum(bool(o.extra.get("time_limit_reached")) for o in items),
        goal=goals.pop() if len(goals) == 1 else ",".join(sorted(goals)) or "untargeted",
        valid=valid_count, unchecked=len(success) - len(checked), valid_asr=valid_asr, valid_asr_all=valid_asr_all,
    )


@dataclass(frozen=True)
class Spread:
    """Mean, sample standard deviation, min and max of one metric over repeats (None where undefined)."""

    mean: float
    std: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Iterable[float | None]) -> Spread | None:
        kept = np.asarray([v for v in values if v is not None], dtype=float)
        if not kept.size:
            return None
        std = float(kept.std(ddof=1)) if kept.size > 1 else 0.0
        return cls(float(kept.mean()), std, float(kept.min()), float(kept.max()))


@dataclass(frozen=True)
class RepeatedSummary:
    """The same attack run with several seeds (the paper ran its random attacks three times and averaged)."""

    seeds: tuple[int, ...]
    summaries: tuple[AttackSummary, ...]
    identical: bool  # every repeat produced the same outcomes and texts: the attack is deterministic here

    def spread(self, metric: str) -> Spread | None:
        """`metric` is an `AttackSummary` field, e.g. "asr", "asr_all", "mean_similarity"."""
        return Spread.of(getattr(s, metric) for s in self.summaries)


def summarize_repeats(runs: dict[int, list[AttackOutcome]]) -> RepeatedSummary:
    """Summarise each seed's outcomes and whether the repeats differ at all."""
    seeds = tuple(runs)
    signatures = {tuple((o.sample.index, o.outcome, o.perturbed_text) for o in runs[s]) for s in seeds}
    return RepeatedSummary(seeds, tuple(summarize(runs[s]) for s in seeds), identical=len(signatures) <= 1)
