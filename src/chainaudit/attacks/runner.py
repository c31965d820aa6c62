"""Run a recipe over samples: resumable (stored keys are skipped), each outcome stored as it is made."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from chainaudit.attacks.batching import SharedVictim
from chainaudit.attacks.engine import RESOURCE_MISSING, Recipe, Similarity
from chainaudit.attacks.goal import UNTARGETED, Goal
from chainaudit.attacks.outcome import AttackOutcome, AttackSummary, summarize
from chainaudit.data import Sample
from chainaudit.errors import ChainauditError
from chainaudit.interleave import interleave
from chainaudit.store import Store
from chainaudit.victims.base import Victim

ADHOC_STUDY = "adhoc"
#: Samples attacked at once (their model calls merged; same outcomes). benchmarks/attack_speed.py, 30 SST-2
#: sentences on 2 busy CPU cores, 8 at once vs one at a time: 1.15x (black-box HotFlip) to 2.6x (PWWS) faster.
DEFAULT_CONCURRENCY = 8



def outcome_from_row(row: dict, sample: Sample) -> AttackOutcome:
    """Rebuild a stored result (for summaries of resumed runs)."""
    return AttackOutcome(sample, row["attack"], row["seed"], row["outcome"], row["original_pred"],
                         row["perturbed_pred"], row["perturbed_text"], row["queries"] or 0,
                         row["words_changed"] or 0, row["modification_rate"] or 0.0, row["similarity"],
                         row["seconds"] or 0.0, row["error"], row["extra"] or {}, row["goal"])


@dataclass(frozen=True)
class AttackRun:
    """All outcomes of a run over the requested samples (stored ones included) and their summary."""

    outcomes: list[AttackOutcome]
    resumed: int
    summary: AttackSummary


def attack_samples(recipe: Recipe, victim: Victim, samples: Sequence[Sample], *, seed: int = 0,
                   budget: int | None = None, similarity: Similarity | None = None,
                   concurrency: int = DEFAULT_CONCURRENCY, goal: Goal = UNTARGETED,
                   time_limit: float | None = None) -> Iterator[AttackOutcome]:
    """Outcomes towards `goal`, in sample order (an exception in one sample is that sample's `error` outcome).
    A goal that cannot apply to the victim's labels (a target out of range) raises `ChainauditError` first.

    With `concurrency` > 1, that many samples are attacked at once (`chainaudit.interleave`): their
    candidate sets, gradient requests and sentence encodings are merged into one call per round. Each
    sample's search, RNG and query count are its own, so the outcomes are those of one-at-a-time attacks.
    """
    goal.check(len(victim.label_names))
    if concurrency <= 1 or len(samples) <= 1:
        for sample in samples:
            yield recipe.attack(victim, sample, seed=seed, budget=budget, similarity=similarity, goal=goal,
                                time_limit=time_limit)
        return
    shared = SharedVictim(victim)
    tasks = (functools.partial(recipe.attack, shared, sample, seed=seed, budget=budget, similarity=similarity,
                               goal=goal, time_limit=time_limit) for sample in samples)
    yield from interleave(tasks, concurrency)


def truncate_samples(victim: Victim, samples: Sequence[Sample]) -> tuple[list[Sample], dict[int, int]]:
    """Cut each text to what the victim reads (its `max_length` tokens), as prediction does: an attack on words
    the model never sees is wasted and unbounded. Returns the samples and {index: original length in chars} of
    the cut ones. Victims without `truncate_text` are left alone."""
    cut = getattr(victim, "truncate_text", None)
    if cut is None:
        return list(samples), {}
    out, lengths = [], {}
    for sample in samples:
        text = cut(sample.text)
        if text != sample.text:
            lengths[sample.index] = len(sample.text)
            sample = dataclasses.replace(sample, text=text)
        out.append(sample)
    return out, lengths


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


def attack_pending(recipe: Recipe, victim: Victim, todo: Sequence[Sample], *, seed: int = 0,
                   budget: int | None = None, similarity: Similarity | None = None,
                   concurrency: int = DEFAULT_CONCURRENCY, goal: Goal = UNTARGETED,
                   time_limit: float | None = None) -> Iterator[AttackOutcome]:
    """`attack_samples` over texts cut to the victim's max length (`truncate_samples`), each outcome noting its
    limits and, when cut, the original length. Writes nothing: a study's workers run this, its driver writes."""
    todo, cut = truncate_samples(victim, todo)
    limits = {k: v for k, v in (("query_budget", budget), ("time_limit_s", time_limit)) if v is not None}
    for outcome in attack_samples(recipe, victim, todo, seed=seed, budget=budget, similarity=similarity,
                                  concurrency=concurrency, goal=goal, time_limit=time_limit):
        outcome.extra.update(limits)
        if outcome.sample.index in cut:
            outcome.extra["truncated_from_chars"] = cut[outcome.sample.index]
        yield outcome


def write_outcome(store: Store, key: RunKey, outcome: AttackOutcome, replace: bool) -> None:
    """Store one outcome; `replace` for a retried error (replaced, never doubled), else insert-if-new."""
    row = {**outcome.to_row(key.study_id, key.model_id, key.revision), "params": key.params}
    (store.upsert if replace else store.insert_new)("attack_results", [row])


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


def save_examples(outcomes: Sequence[AttackOutcome], path: Path) -> int:
    """Write the adversarial examples (all outcomes, with their texts) as JSON lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for outcome in outcomes:
            fh.write(json.dumps(outcome.to_example(), ensure_ascii=False) + "\n")
    return len(outcomes)
