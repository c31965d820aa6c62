"""Run a recipe over samples: resumable (stored keys are skipped), each outcome stored as it is made."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from chainaudit.attacks.batching import SharedVictim
from chainaudit.attacks.engine import Recipe, Similarity
from chainaudit.attacks.goal import UNTARGETED, Goal
from chainaudit.attacks.outcome import AttackOutcome, AttackSummary
from chainaudit.attacks.validity import Validity
from chainaudit.data import Sample
from chainaudit.interleave import interleave
from chainaudit.victims.base import Victim

ADHOC_STUDY = "adhoc"
#: Samples attacked at once: 0 = the recipe's own `Recipe.concurrency`, chosen per recipe from measurement
#: (`benchmarks/concurrency_choice.py`; merging model calls pays only where a round has many candidates).
DEFAULT_CONCURRENCY = 0



def outcome_from_row(row: dict, sample: Sample) -> AttackOutcome:
    """Rebuild a stored result (for summaries of resumed runs)."""
    return AttackOutcome(sample, row["attack"], row["seed"], row["outcome"], row["original_pred"],
                         row["perturbed_pred"], row["perturbed_text"], row["queries"] or 0,
                         row["words_changed"] or 0, row["modification_rate"] or 0.0, row["similarity"],
                         row["seconds"] or 0.0, row["error"], row["extra"] or {}, row["goal"],
                         Validity.from_columns(row))


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

    With `concurrency` > 1 (0: the recipe's measured choice), that many samples are attacked at once
    (`chainaudit.interleave`): their candidate sets, gradient requests and sentence encodings are merged into
    one call per round. Each sample's search, RNG and query count are its own, so the outcomes are those of
    one-at-a-time attacks.
    """
    goal.check(len(victim.label_names))
    concurrency = concurrency or recipe.concurrency
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


def save_examples(outcomes: Sequence[AttackOutcome], path: Path) -> int:
    """Write the adversarial examples (all outcomes, with their texts) as JSON lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for outcome in outcomes:
            fh.write(json.dumps(outcome.to_example(), ensure_ascii=False) + "\n")
    return len(outcomes)
