"""The attack engine: a recipe = transformation + constraints + search + goal (as in TextAttack).

Per sample, an `AttackContext` holds the victim, the original text, the goal, the query budget and a seeded RNG;
every set of candidate texts is scored in ONE `Victim.predict_proba` call. The goal (`chainaudit.attacks.goal`,
default untargeted: away from the gold label, already-wrong samples skipped) decides which samples are attacked,
what counts as success and how close a text is to it; searches ask it through the context.
"""

from __future__ import annotations

import random
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from chainaudit.attacks.goal import UNTARGETED, Goal
from chainaudit.attacks.outcome import AttackOutcome
from chainaudit.attacks.text import WordText, modification_rate
from chainaudit.data import Sample
from chainaudit.errors import ResourceMissingError
from chainaudit.interleave import task_clock
from chainaudit.victims.base import Victim

#: How an error outcome caused by a missing resource starts (such errors are retried on resume).
RESOURCE_MISSING = "resource missing: "


class BudgetExhausted(Exception):
    """The sample's query budget (or its time limit, `TimeLimitReached`) ran out; the search returns its best
    text so far."""


class TimeLimitReached(BudgetExhausted):
    """The sample's time limit ran out (its own running time, as `task_clock` charges it)."""


class AttackContext:
    """State of one sample's attack: scoring with query accounting, the goal, the RNG, and per-sample memos."""

    def __init__(self, victim: Victim, sample: Sample, *, budget: int | None, seed: int,
                 goal: Goal = UNTARGETED, deadline: float | None = None) -> None:
        self.victim = victim
        #: `task_clock()` value after which scoring stops (the per-sample time limit), or None.
        self.deadline = deadline
        self.sample = sample
        self.gold = sample.label
        self.goal = goal
        self.original = WordText.parse(sample.text)
        self.budget = budget
        self.queries = 0
        #: The attack's seed (the sample's RNG below is derived from it).
        self.seed = seed
        self.rng = random.Random(f"{seed}:{sample.dataset}:{sample.split}:{sample.index}")
        #: The search's best text so far (`keep_best`), returned when the budget runs out.
        self.best: WordText | None = None
        #: Notes a search leaves for the outcome row (`AttackOutcome.extra`).
        self.notes: dict[str, Any] = {}
        #: Universal POS tags of the original's words, tagged together once (`transformations.context_pos`).
        self.pos_tags: list[str] | None = None
        #: The original word's POS tagged in its window, by word index (`constraints.PartOfSpeech`).
        self.window_pos: dict[int, str] = {}
        self.original_probs = self.probs([self.original], count=True)[0]
        self.clean_pred = int(self.original_probs.argmax())
        #: The label the goal measures against: gold (untargeted), the clean prediction (flip-prediction) or
        #: the target (targeted).
        self.label = goal.label(self.gold, self.clean_pred)

    def probs(self, texts: Sequence[WordText], *, count: bool = True) -> np.ndarray:
        """Victim probabilities of `texts` in one batched call (counts against the budget)."""
        if not texts:
            return np.zeros((0, len(self.victim.label_names)))
        if count and self.budget is not None and self.queries + len(texts) > self.budget:
            raise BudgetExhausted  # the whole candidate set must fit: a partial set would bias the search
        if count and self.deadline is not None and task_clock() > self.deadline:
            raise TimeLimitReached
        if count:
            self.queries += len(texts)
        return self.victim.predict_proba([str(t) for t in texts])

    def keep_best(self, text: WordText) -> None:
        """Remember the search's best text so far (returned if the budget runs out)."""
        self.best = text

    def succeeded(self, probs: np.ndarray) -> np.ndarray:
        """Per row of `probs`: whether that text reaches the goal."""
        return self.goal.succeeded(probs, self.label)

    def goal_score(self, probs: np.ndarray) -> np.ndarray:
        """Per row: closeness to the goal, higher is closer (untargeted: 1 - p(gold))."""
        return self.goal.score(probs, self.label)

    def goal_gain(self, probs: np.ndarray, base: np.ndarray | None = None) -> np.ndarray:
        """Per row: the move towards the goal from `base` (default: the original's probabilities); untargeted,
        the drop in p(gold)."""
        return self.goal.gain(self.original_probs if base is None else base, probs, self.label)


class Transformation(Protocol):
    """Proposes replacement words for position `index` of `text` (an empty string deletes nothing)."""

    def __call__(self, text: WordText, index: int, ctx: AttackContext) -> list[str]: ...


class Constraint(Protocol):
    """Rules a perturbation must keep. `allows(index)` is checked before proposing; `filter` after."""

    def allows(self, current: WordText, index: int, ctx: AttackContext) -> bool: ...

    def filter(self, current: WordText, index: int, candidates: list[WordText],
               ctx: AttackContext) -> list[WordText]: ...


class BaseConstraint:
    """Permissive defaults, so a constraint implements only what it checks."""

    def allows(self, current: WordText, index: int, ctx: AttackContext) -> bool:
        return True

    def filter(self, current: WordText, index: int, candidates: list[WordText],
               ctx: AttackContext) -> list[WordText]:
        return candidates


class Search(Protocol):
    """Finds a perturbation; returns the best text found (or None) — success is judged by the engine.
    Sentence-level searches (SCPN, GAN) produce whole texts themselves and get `transformation=None`."""

    def __call__(self, ctx: AttackContext, transformation: Transformation | None,
                 constraints: Sequence[Constraint]) -> WordText | None: ...


def candidates_at(ctx: AttackContext, current: WordText, index: int, transformation: Transformation,
                  constraints: Sequence[Constraint]) -> list[WordText]:
    """All constrained candidate texts that change word `index` of `current`."""
    if not all(c.allows(current, index, ctx) for c in constraints):
        return []
    word = current.words[index]
    texts = [current.replace({index: w}) for w in transformation(current, index, ctx) if w and w != word]
    for constraint in constraints:
        if not texts:
            break
        texts = constraint.filter(current, index, texts, ctx)
    return texts


class Similarity(Protocol):
    """Pairwise sentence similarity: `result[i]` is the cosine of `a[i]` and `b[i]`."""

    def __call__(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Recipe:
    """A named attack: the four parts, its paper, and a default query budget. A sentence-level recipe has
    no word transformation (None): its search writes whole texts."""

    name: str
    transformation: Transformation | None
    constraints: tuple[Constraint, ...]
    search: Search
    paper: str
    query_budget: int | None = None
    #: Run before each sample, before the skip of already-wrong ones: loads what the recipe needs (trained
    #: weights) and raises `ResourceMissingError` when it is absent, so then EVERY sample is an `error`.
    prepare: Callable[[Sample], object] | None = None
    #: Samples attacked at once by default (`runner.attack_samples`), measured per recipe: 1 where merging the
    #: samples' model calls does not pay.
    concurrency: int = 1

    def attack(self, victim: Victim, sample: Sample, *, seed: int = 0, budget: int | None = None,
               similarity: Similarity | None = None, goal: Goal = UNTARGETED,
               time_limit: float | None = None) -> AttackOutcome:
        """Attack one sample towards `goal` within `budget` queries and `time_limit` seconds of its own time (the
        best text so far is judged when either runs out). Any exception becomes an `error` outcome; the
        caller's run goes on."""
        started = task_clock()
        budget = budget if budget is not None else self.query_budget
        ctx: AttackContext | None = None
        try:
            if self.prepare is not None:
                self.prepare(sample)
            deadline = started + time_limit if time_limit is not None else None
            ctx = AttackContext(victim, sample, budget=budget, seed=seed, goal=goal, deadline=deadline)
            original_pred = ctx.clean_pred
            if goal.skip(ctx.gold, original_pred):
                return AttackOutcome(sample, self.name, seed, "skipped", original_pred, original_pred,
                                     queries=ctx.queries, seconds=task_clock() - started, goal=goal.key)
            best: WordText | None
            exhausted: str | None = None
            try:
                best = self.search(ctx, self.transformation, self.constraints)
            except BudgetExhausted as stop:
                best, exhausted = ctx.best, "time_limit_reached" if isinstance(stop, TimeLimitReached) else \
                    "budget_exhausted"
            return self._finish(ctx, best, original_pred, seed, started, similarity, exhausted)
        except ResourceMissingError as exc:
            return self._error(sample, seed, goal, f"{RESOURCE_MISSING}{exc}", ctx, started)
        except Exception as exc:  # one broken sample must not stop a run; the row says what broke
            where = traceback.extract_tb(exc.__traceback__)[-1]
            return self._error(sample, seed, goal, f"{type(exc).__name__}: {exc} (at "
                                                   f"{where.filename.rsplit('/', 1)[-1]}:{where.lineno})", ctx, started)

    def _finish(self, ctx: AttackContext, best: WordText | None, original_pred: int, seed: int, started: float,
                similarity: Similarity | None, exhausted: str | None) -> AttackOutcome:
        extra: dict[str, Any] = dict(ctx.notes)
        if exhausted:
            extra[exhausted] = True
        if best is None:
            return AttackOutcome(ctx.sample, self.name, seed, "failed", original_pred, original_pred,
                                 queries=ctx.queries, seconds=task_clock() - started, extra=extra, goal=ctx.goal.key)
        # Re-score the final text uncounted: the outcome states what the victim says of the returned text.
        final = ctx.probs([best], count=False)
        perturbed_pred = int(final[0].argmax())
        text = str(best)
        sim = float(similarity([ctx.sample.text], [text])[0]) if similarity is not None else None
        kind = "succeeded" if ctx.succeeded(final)[0] else "failed"
        return AttackOutcome(ctx.sample, self.name, seed, kind, original_pred, perturbed_pred, text,
                             queries=ctx.queries, words_changed=best.words_changed(ctx.original),
                             modification_rate=modification_rate(ctx.original, best), similarity=sim,
                             seconds=task_clock() - started, extra=extra, goal=ctx.goal.key)

    def _error(self, sample: Sample, seed: int, goal: Goal, message: str, ctx: AttackContext | None,
               started: float) -> AttackOutcome:
        return AttackOutcome(sample, self.name, seed, "error", queries=ctx.queries if ctx else 0,
                             seconds=task_clock() - started, error=message, goal=goal.key)
