"""Attack results in the store, keyed by run: what a resumed run still has to attack, writing one outcome, and the
summary of a run read back. The study driver (`study.run`) is the single writer; `run_attack` is the same loop
for one run in the caller's process (tests, scripts)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chainaudit.attacks import AttackOutcome, Recipe
from chainaudit.attacks.engine import RESOURCE_MISSING, Similarity
from chainaudit.attacks.goal import UNTARGETED, Goal
from chainaudit.attacks.outcome import summarize
from chainaudit.attacks.runner import ADHOC_STUDY, DEFAULT_CONCURRENCY, AttackRun, attack_pending, outcome_from_row
from chainaudit.attacks.validity import checked
from chainaudit.data import Sample
from chainaudit.errors import ChainauditError
from chainaudit.store import Store
from chainaudit.victims.base import Victim


def _rerun(row: dict, retry_errors: bool) -> bool:
    """A stored `error` is attacked again with `retry_errors`, or when a resource was missing (it may be there
    now; if not, the sample errors again at once). Other stored outcomes are resumed as they are."""
    return row["outcome"] == "error" and (retry_errors or (row["error"] or "").startswith(RESOURCE_MISSING))


@dataclass(frozen=True)
class RunKey:
    """What one run's rows share (with the sample, the `attack_results` key)."""

    study_id: str
    model_id: str
    revision: str
    attack: str
    seed: int
    goal: str
    params: str

    def where(self) -> dict[str, object]:
        return {"study_id": self.study_id, "model_id": self.model_id, "revision": self.revision,
                "attack": self.attack, "seed": self.seed, "goal": self.goal, "params": self.params}


def stored_rows(store: Store, key: RunKey) -> dict[tuple[str, str, int], dict]:
    """The run's stored rows by (dataset, split, idx)."""
    return {(r["dataset"], r["split"], r["idx"]): r for r in store.select("attack_results", key.where())}


def pending(samples: Sequence[Sample], stored: dict[tuple[str, str, int], dict], *,
            retry_errors: bool = False) -> list[Sample]:
    """The samples a resumed run still has to attack (never stored, or a stored error to retry)."""
    return [s for s in samples if (key := (s.dataset, s.split, s.index)) not in stored
            or _rerun(stored[key], retry_errors)]


def write_outcome(store: Store, key: RunKey, outcome: AttackOutcome, replace: bool) -> AttackOutcome:
    """Store one outcome, a success with its validity check (`attacks.validity.checked`: every path that stores
    results passes here, so every stored success is checked); `replace` for a retried error (replaced, never
    doubled), else insert-if-new. Returns the outcome as stored."""
    outcome = checked(outcome)
    row = {**outcome.to_row(key.study_id, key.model_id, key.revision), "params": key.params}
    (store.upsert if replace else store.insert_new)("attack_results", [row])
    return outcome


def collect_run(store: Store, key: RunKey, samples: Sequence[Sample], resumed: int) -> AttackRun:
    """Every requested sample's stored outcome (after the run) and their summary."""
    rows = stored_rows(store, key)
    outcomes = [outcome_from_row(rows[(s.dataset, s.split, s.index)], s) for s in samples]
    return AttackRun(outcomes, resumed, summarize(outcomes))


def run_attack(recipe: Recipe, victim: Victim, samples: Sequence[Sample], store: Store, *,
               study_id: str = ADHOC_STUDY, seed: int = 0, budget: int | None = None,
               similarity: Similarity | None = None, on_outcome: Callable[[AttackOutcome], None] | None = None,
               concurrency: int = DEFAULT_CONCURRENCY, goal: Goal = UNTARGETED, time_limit: float | None = None,
               retry_errors: bool = False, params: str = "") -> AttackRun:
    """Attack every sample not yet stored under (study, model@revision, dataset, split, idx, attack, seed, goal,
    params), storing each outcome immediately, then summarise over all requested samples.

    Texts are cut to the victim's max length first (`truncate_samples`; the outcome's `extra` keeps the original
    length); `budget` (queries) and `time_limit` (seconds) bound each sample and are recorded with its outcome.
    `params` is the digest of the parameters (`attacks.pipeline.params_digest`): changed parameters, new rows.
    """
    if not samples:
        raise ChainauditError("no samples to attack")
    key = RunKey(study_id, victim.model_id, victim.revision, recipe.name, seed, goal.key, params)
    stored = stored_rows(store, key)
    todo = pending(samples, stored, retry_errors=retry_errors)
    for outcome in attack_pending(recipe, victim, todo, seed=seed, budget=budget, similarity=similarity,
                                  concurrency=concurrency, goal=goal, time_limit=time_limit):
        write_outcome(store, key, outcome, replace=(outcome.sample.dataset, outcome.sample.split,
                                                    outcome.sample.index) in stored)
        if on_outcome:
            on_outcome(outcome)
    return collect_run(store, key, samples, len(samples) - len(todo))
