"""Search methods: greedy word swap by word importance (TextFooler, TextBugger) and PWWS's ordering."""

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
    """TextFooler's deletion score: drop in p(gold) when the word is removed, plus the gain of the new
    top label when removal flips the prediction (Jin et al. 2020, eq. 2)."""
    probs = ctx.probs([ctx.original.delete(i) for i in indices])
    base = ctx.original_probs
    drop = base[ctx.gold] - probs[:, ctx.gold]
    top = probs.argmax(axis=1)
    flipped = top != ctx.gold
    drop[flipped] += probs[flipped, top[flipped]] - base[top[flipped]]
    return drop


def unk_importance(ctx: AttackContext, indices: Sequence[int]) -> np.ndarray:
    """Drop in p(gold) when the word is replaced by the unknown token (PWWS's saliency)."""
    unk = _unk_token(ctx)
    probs = ctx.probs([ctx.original.replace({i: unk}) for i in indices])
    return ctx.original_probs[ctx.gold] - probs[:, ctx.gold]


def gradient_importance(ctx: AttackContext, indices: Sequence[int]) -> np.ndarray:
    """White-box: norm of the loss gradient w.r.t. the word's token embeddings (TextBugger's Jacobian)."""
    grads_of = getattr(ctx.victim, "input_gradients", None)
    if grads_of is None:
        raise ChainauditError("gradient importance needs a white-box victim (a local model)")
    result = grads_of([str(ctx.original)], [ctx.gold])[0]
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
    """Visit words by importance; at each, take the candidate that lowers p(gold) most; stop on success.

    `tie_break` chooses among successful candidates (TextFooler: the most similar one).
    `min_drop`: a swap is kept only if it lowers p(gold) by more than this.
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
    """PWWS (Ren et al. 2019): score each word by softmax(saliency) × the best swap's drop in p(gold),
    then replace words in that order with their best swap until the prediction flips."""

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
        drops = ctx.original_probs[ctx.gold] - probs[:, ctx.gold]
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
    """TextBugger's loop (Li et al. 2019, Algorithm 1): visit words by importance; apply the bug that lowers
    p(gold) most; if the text's similarity to the original falls to `threshold` or below, give up;
    stop as soon as the prediction flips. One encoder call per step, not per candidate."""

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
