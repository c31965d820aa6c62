"""TextAttack 0.3.11's goal function and greedy search with word importance ranking, over `TAText`.

`TextAttackGoal` is `GoalFunction.get_results` with `UntargetedClassification` (`goal_functions/goal_function.py`,
`classification/untargeted_classification.py`), asked through the sample's goal: a text's score is
1 - p(gold) (float32, as TextAttack's torch scores), success is argmax != gold; EVERY text passed counts as a
query, even one already asked about (TextAttack's model cache saves the model call, not the count; ours is the
victim's cache); with a budget, a list is cut to the queries left and the search ends when it is used up.

`GreedyWordSwapWIR` is `search_methods/greedy_word_swap_wir.py` with `Attack.get_transformations` /
`filter_transformations` (`attack.py`):

* the indices to rank are the pre-transformation constraints' index sets intersected as Python sets, in that
  set's iteration order (`Attack.get_indices_to_order`); ranked by `np.argsort(-scores)` (numpy's default,
  unstable sort) over that order;
* "delete": score of the text without the word; "unk": with the word replaced by the literal "[UNK]";
  "weighted-saliency" (PWWS): softmax (float32, torch) of the "[UNK]" scores times, per word, the best score among
  its candidate swaps in the ORIGINAL text (0 when it has none) — a score, not the paper's drop in p(gold);
* the search then visits words in that order and, unlike the PWWS paper, recomputes each word's candidates on
  the CURRENT text and takes the best one only if it raises the score (else the word is skipped); indices are
  those of the current text, not shifted after an insertion ("go od") moved words (`shifted_idxs=False`);
* candidates: the transformation's words at the index (those equal to the word dropped; a composite's duplicate
  texts dropped), texts equal to the current one dropped, the constraints applied in order, then SORTED BY
  TEXT; results sorted by score (stable), so ties go to the alphabetically first text;
* on success, among the successful candidates (best score first) the one with the highest similarity score
  that a sentence-encoder constraint gave it wins (first on ties); without such a constraint, the best score.
  The search stops there; when the words run out, the last accepted text is the (failed) result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from chainaudit.attacks.engine import AttackContext, Constraint, TimeLimitReached, Transformation
from chainaudit.attacks.flavors.textattack_constraints import CandidateConstraint, PreTransformationConstraint
from chainaudit.attacks.flavors.textattack_text import TAText
from chainaudit.attacks.text import WordText
from chainaudit.interleave import task_clock

Wir = Literal["delete", "unk", "weighted-saliency"]


@dataclass(frozen=True)
class Results:
    """What `get_results` gives for a list of texts: the texts scored (cut to the budget), their scores and
    successes, and whether the budget is now used up (`search_over`)."""

    texts: list[TAText]
    scores: np.ndarray
    succeeded: np.ndarray
    over: bool


class TextAttackGoal:
    """`GoalFunction.get_results` for one sample (see the module docstring)."""

    def __init__(self, ctx: AttackContext) -> None:
        self.ctx = ctx

    def score(self, probs: np.ndarray) -> np.ndarray:
        return self.ctx.goal_score(probs).astype(np.float32)

    def results(self, texts: Sequence[TAText]) -> Results:
        ctx = self.ctx
        texts = list(texts)
        if ctx.budget is not None:
            texts = texts[:max(0, ctx.budget - ctx.queries)]
        if ctx.deadline is not None and texts and task_clock() > ctx.deadline:
            raise TimeLimitReached
        ctx.queries += len(texts)
        probs = ctx.probs([t.raw for t in texts], count=False)  # the victim's cache skips texts already asked
        return Results(texts, self.score(probs), ctx.succeeded(probs), ctx.queries == ctx.budget)


class TextAttackProblem:
    """One sample's transformation, constraints and original text (`Attack.get_transformations`)."""

    def __init__(self, ctx: AttackContext, transformation: Transformation, constraints: Sequence[Constraint]) -> None:
        self.ctx = ctx
        self.transformation = transformation
        self.dedupe = bool(getattr(transformation, "dedupe", False))
        self.pre = [c for c in constraints if isinstance(c, PreTransformationConstraint)]
        self.post = [c for c in constraints if isinstance(c, CandidateConstraint)]
        self.original = TAText.parse(ctx.sample.text)
        self.goal = TextAttackGoal(ctx)

    def modifiable(self, text: TAText, indices: Sequence[int] | None = None) -> set[int]:
        """`Transformation.__call__`'s index set: `indices` (default all) intersected with each constraint's."""
        allowed = set(range(len(text.words))) if indices is None else set(indices)
        for constraint in self.pre:
            allowed = allowed & constraint.modifiable(text)
        return allowed

    def transformations(self, current: TAText, indices: Sequence[int]) -> list[TAText]:
        """The constrained candidate texts changing `indices` of `current`, sorted by text."""
        texts: list[TAText] = []
        for i in self.modifiable(current, indices):
            word = current.words[i]
            texts += [current.replace_word(i, w) for w in self.transformation(current, i, self.ctx) if w != word]
        if self.dedupe:
            seen: set[str] = set()
            texts = [t for t in texts if not (t.raw in seen or seen.add(t.raw))]
        texts = [t for t in texts if t.raw != current.raw]
        for constraint in self.post:
            if not texts:
                break
            texts = constraint.check_many(texts, self.original if constraint.against_original else current, self.ctx)
        texts.sort(key=lambda t: t.raw)
        return texts


def _softmax32(x: np.ndarray) -> np.ndarray:
    import torch

    return torch.softmax(torch.tensor(x, dtype=torch.float32), dim=0).numpy()


@dataclass(frozen=True)
class GreedyWordSwapWIR:
    """`GreedyWordSwapWIR(wir_method)` (see the module docstring)."""

    wir: Wir = "delete"
    unk_token: str = "[UNK]"

    def __call__(self, ctx: AttackContext, transformation: Transformation | None,
                 constraints: Sequence[Constraint]) -> WordText | None:
        if transformation is None:
            raise ValueError("GreedyWordSwapWIR needs a word transformation")
        problem = TextAttackProblem(ctx, transformation, constraints)
        order, over = self.index_order(problem)
        cur = problem.original
        cur_score = problem.goal.score(ctx.original_probs[None])[0]
        for index in order:
            if over:
                break
            candidates = problem.transformations(cur, [int(index)])
            if not candidates:
                continue
            res = problem.goal.results(candidates)
            over = res.over
            if not res.texts:
                break
            ranked = sorted(range(len(res.texts)), key=lambda k: -res.scores[k])
            top = ranked[0]
            if not res.scores[top] > cur_score:
                continue
            cur, cur_score = res.texts[top], res.scores[top]
            ctx.keep_best(cur)
            if res.succeeded[top]:
                return self._most_similar(res, ranked)
        return cur if cur is not problem.original else None

    @staticmethod
    def _most_similar(res: Results, ranked: list[int]) -> TAText:
        best, best_sim = res.texts[ranked[0]], -np.inf
        for k in ranked:
            if not res.succeeded[k] or res.texts[k].similarity is None:
                break
            if res.texts[k].similarity > best_sim:
                best, best_sim = res.texts[k], res.texts[k].similarity
        return best

    def index_order(self, problem: TextAttackProblem) -> tuple[np.ndarray, bool]:
        """`_get_index_order`: the indices most important first, and whether the budget ran out."""
        original = problem.original
        indices = list(problem.modifiable(original))
        if self.wir == "delete":
            res = problem.goal.results([original.delete(i) for i in indices])
            scores, over = res.scores, res.over
        elif self.wir == "unk":
            res = problem.goal.results([original.replace_word(i, self.unk_token) for i in indices])
            scores, over = res.scores, res.over
        elif self.wir == "weighted-saliency":
            scores, over = self._weighted_saliency(problem, indices)
        else:
            raise ValueError(f"unsupported word importance method {self.wir!r}")
        if len(scores) < len(indices):  # the budget cut the list: TextAttack would fail on the shapes here
            return np.array([], dtype=int), True
        return np.array(indices, dtype=int)[np.argsort(-scores)], over

    def _weighted_saliency(self, problem: TextAttackProblem, indices: list[int]) -> tuple[np.ndarray, bool]:
        original = problem.original
        res = problem.goal.results([original.replace_word(i, self.unk_token) for i in indices])
        saliency, over = _softmax32(res.scores), res.over
        per_index = [problem.transformations(original, [i]) for i in indices]
        delta = np.zeros(len(indices), dtype=np.float64)
        if problem.ctx.budget is None:  # no budget to cut lists: every word's swaps in one victim call
            flat = problem.goal.results([t for texts in per_index for t in texts])
            start = 0
            for k, texts in enumerate(per_index):
                if texts:
                    delta[k] = float(np.max(flat.scores[start:start + len(texts)]))
                start += len(texts)
        else:
            for k, texts in enumerate(per_index):
                if over:
                    break
                if texts:
                    part = problem.goal.results(texts)
                    over = part.over
                    if len(part.scores):
                        delta[k] = float(np.max(part.scores))
        return saliency * delta, over
