"""Search methods: greedy word swap by word importance (TextFooler, TextBugger) and PWWS's ordering.

Scores are the goal's (`AttackContext.goal_score`, `goal_gain`): with the default untargeted goal, "gain" is the
drop in p(gold) the papers describe; with a targeted goal, the rise in p(target)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from chainaudit.attacks.engine import AttackContext, Constraint, Similarity, Transformation, candidates_at
from chainaudit.attacks.text import WordText, word_spans
from chainaudit.errors import ChainauditError

Importance = Literal["delete", "unk", "gradient"]
TieBreak = Callable[[AttackContext, list[WordText]], int]  # picks one of several successful candidates


def _unk_token(ctx: AttackContext) -> str:
    tokenizer = getattr(ctx.victim, "tokenizer", None)
    return getattr(tokenizer, "unk_token", None) or "<unk>"


def _attackable(ctx: AttackContext, constraints: Sequence[Constraint]) -> list[int]:
    return [i for i in range(len(ctx.original)) if all(c.allows(ctx.original, i, ctx) for c in constraints)]


def delete_importance(ctx: AttackContext, indices: Sequence[int]) -> np.ndarray:
    """TextFooler's deletion score: the goal's gain when the word is removed (drop in p(gold)), plus, for a goal
    away from a label, the gain of the new top label when removal flips the prediction (Jin et al. 2020, eq. 2).
    A targeted goal's gain already is the new top label's (the target's)."""
    probs = ctx.probs([ctx.original.delete(i) for i in indices])
    base = ctx.original_probs
    drop = ctx.goal_gain(probs)
    if not ctx.goal.towards:
        top = probs.argmax(axis=1)
        flipped = ctx.succeeded(probs)
        drop[flipped] += probs[flipped, top[flipped]] - base[top[flipped]]
    return drop


def unk_importance(ctx: AttackContext, indices: Sequence[int]) -> np.ndarray:
    """The goal's gain (drop in p(gold)) when the word is replaced by the unknown token (PWWS's saliency)."""
    unk = _unk_token(ctx)
    probs = ctx.probs([ctx.original.replace({i: unk}) for i in indices])
    return ctx.goal_gain(probs)


def gradient_importance(ctx: AttackContext, indices: Sequence[int]) -> np.ndarray:
    """White-box: norm of the loss gradient w.r.t. the word's token embeddings (TextBugger's Jacobian); the loss
    is that of the goal's label (gold; the target for a targeted goal)."""
    grads_of = getattr(ctx.victim, "input_gradients", None)
    if grads_of is None:
        raise ChainauditError("gradient importance needs a white-box victim (a local model)")
    result = grads_of([str(ctx.original)], [ctx.label])[0]
    norms = np.linalg.norm(result.grads, axis=1)
    scores = np.zeros(len(indices))
    spans = word_spans(ctx.original)
    for k, i in enumerate(indices):
        start, end = spans[i]
        scores[k] = sum(n for n, (s, e) in zip(norms, result.offsets, strict=True) if e > s and s < end and e > start)
    return scores


IMPORTANCE: dict[str, Callable[[AttackContext, Sequence[int]], np.ndarray]] = {
    "delete": delete_importance, "unk": unk_importance, "gradient": gradient_importance,
}


def rank_words(ctx: AttackContext, constraints: Sequence[Constraint], importance: Importance) -> list[int]:
    """Attackable word positions, most important first (stable for ties)."""
    indices = _attackable(ctx, constraints)
    if not indices:
        return []
    method = importance
    if method == "gradient" and not hasattr(ctx.victim, "input_gradients"):
        method = "delete"  # black-box victims fall back to deletion scores (TextBugger's black-box mode)
    scores = IMPORTANCE[method](ctx, indices)
    order = np.argsort(-scores, kind="stable")
    return [indices[k] for k in order]


@dataclass(frozen=True)
class GreedyWordSwap:
    """Visit words by importance; at each, take the candidate closest to the goal (lowest p(gold)); stop on
    success.

    `tie_break` chooses among successful candidates (TextFooler: the most similar one).
    `min_drop`: a swap is kept only if it raises the goal score (lowers p(gold)) by more than this.
    """

    importance: Importance = "delete"
    tie_break: TieBreak | None = None
    min_drop: float = 0.0

    def __call__(self, ctx: AttackContext, transformation: Transformation,
                 constraints: Sequence[Constraint]) -> WordText | None:
        current, current_score = ctx.original, float(ctx.goal_score(ctx.original_probs[None])[0])
        for index in rank_words(ctx, constraints, self.importance):
            texts = candidates_at(ctx, current, index, transformation, constraints)
            if not texts:
                continue
            probs = ctx.probs(texts)
            wins = np.flatnonzero(ctx.succeeded(probs))
            if wins.size:
                winners = [texts[k] for k in wins]
                return winners[self.tie_break(ctx, winners)] if self.tie_break else winners[
                    int(np.argmax(ctx.goal_score(probs[wins])))]
            scores = ctx.goal_score(probs)
            best = int(np.argmax(scores))
            if scores[best] > current_score + self.min_drop:
                current, current_score = texts[best], float(scores[best])
                ctx.keep_best(current)
        return current if current.changed else None


@dataclass(frozen=True)
class WeightedSaliencySwap:
    """PWWS (Ren et al. 2019): score each word by softmax(saliency) × the best swap's gain (drop in p(gold)),
    then replace words in that order with their best swap until the goal is reached."""

    def __call__(self, ctx: AttackContext, transformation: Transformation,
                 constraints: Sequence[Constraint]) -> WordText | None:
        indices = _attackable(ctx, constraints)
        if not indices:
            return None
        saliency = unk_importance(ctx, indices)
        best_word: dict[int, str] = {}
        best_drop = np.full(len(indices), -np.inf)
        # Every word's candidates are scored in one victim call.
        pending: list[tuple[int, WordText]] = []
        for k, i in enumerate(indices):
            pending += [(k, t) for t in candidates_at(ctx, ctx.original, i, transformation, constraints)]
        if not pending:
            return None
        probs = ctx.probs([t for _, t in pending])
        drops = ctx.goal_gain(probs)
        for (k, text), drop in zip(pending, drops, strict=True):
            if drop > best_drop[k]:
                best_drop[k], best_word[k] = drop, text.words[indices[k]]
        weights = np.exp(saliency - saliency.max())
        weights /= weights.sum()
        order = [k for k in np.argsort(-(weights * best_drop), kind="stable") if k in best_word]
        current = ctx.original
        for k in order:
            current = current.replace({indices[k]: best_word[k]})
            ctx.keep_best(current)
            if ctx.succeeded(ctx.probs([current]))[0]:
                return current
        return current if current.changed else None


@dataclass(frozen=True)
class TextBuggerSearch:
    """TextBugger's loop (Li et al. 2019, Algorithm 1): visit words by importance; apply the bug closest to the
    goal (lowest p(gold)); if the text's similarity to the original falls to `threshold` or below, give up;
    stop as soon as the goal is reached. One encoder call per step, not per candidate."""

    similarity: Similarity
    threshold: float
    importance: Importance = "gradient"

    def __call__(self, ctx: AttackContext, transformation: Transformation,
                 constraints: Sequence[Constraint]) -> WordText | None:
        current = ctx.original
        for index in rank_words(ctx, constraints, self.importance):
            texts = candidates_at(ctx, current, index, transformation, constraints)
            if not texts:
                continue
            probs = ctx.probs(texts)
            best = int(np.argmax(ctx.goal_score(probs)))
            candidate = texts[best]
            if float(self.similarity([ctx.sample.text], [str(candidate)])[0]) <= self.threshold:
                return None
            current = candidate
            ctx.keep_best(current)
            if ctx.succeeded(probs[best:best + 1])[0]:
                return current
        return None
