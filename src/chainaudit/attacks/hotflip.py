"""HotFlip (Ebrahimi et al. 2018): white-box flips ranked by a first-order estimate of the loss change,
searched with a beam; and OpenAttack's black-box variant, kept for comparison.

The paper flips characters of a character-level model, where the directional derivative along a flip is
exact in one-hot space. Our victims read subword tokens, so a flip of word w into w' is estimated as
Σ_t g_t · (e'_t − e_t) over w's tokens when w' has as many tokens, else (Σ_t g_t) · (mean e' − mean e):
still one gradient per beam state, and every flip of every word scored by matrix products. The loss is that of
the goal's label: raised for the untargeted goal (away from gold), lowered for a targeted one (towards the target).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainaudit.attacks.engine import AttackContext, Constraint, Transformation
from chainaudit.attacks.text import WordText, unique, word_spans
from chainaudit.attacks.transformations import match_case
from chainaudit.errors import ChainauditError


@dataclass(frozen=True)
class CharAndWordFlips:
    """HotFlip's candidate flips for one word: every single-character substitution (a–z), deletion of an
    inner character, and word swaps with the word-vector neighbours (cos >= `min_cos`)."""

    vectors: Any | None = None
    k: int = 20
    min_cos: float = 0.8

    def __call__(self, text: WordText, index: int, ctx: AttackContext) -> list[str]:
        word = text.words[index]
        flips = [word[:j] + c + word[j + 1:] for j in range(len(word)) for c in string.ascii_lowercase
                 if c != word[j].lower()]
        flips += [word[:j] + word[j + 1:] for j in range(1, len(word) - 1)]
        if self.vectors is not None:
            flips += [match_case(word, w) for w, _ in self.vectors.neighbours(word.lower(), k=self.k,
                                                                              min_cos=self.min_cos)]
        return unique(f for f in flips if f and f != word)


class FlipEstimator:
    """Scores candidate flips of a text by the first-order change of the victim's loss of one label."""

    def __init__(self, victim: Any) -> None:
        if not hasattr(victim, "input_gradients") or not hasattr(victim, "tokenizer"):
            raise ChainauditError("white-box HotFlip needs a local model victim (gradients and tokenizer); "
                                  "use --attack hotflip-blackbox for other victims")
        self.victim = victim
        self.embeddings = victim.embedding_matrix()
        self._token_ids: dict[str, list[int]] = {}

    def token_ids(self, words: Sequence[str]) -> list[list[int]]:
        """Token ids of each word on its own; unseen words are tokenised together in one call."""
        new = [w for w in dict.fromkeys(words) if w not in self._token_ids]
        if new:
            for word, ids in zip(new, self.victim.tokenizer(new, add_special_tokens=False)["input_ids"], strict=True):
                self._token_ids[word] = ids
        return [self._token_ids[w] for w in words]

    def _gains(self, g: np.ndarray, e_old: np.ndarray, words: list[str]) -> list[tuple[float, str]]:
        """First-order loss change of replacing a word (tokens' grads `g`, embeddings `e_old`) by each word."""
        out: list[tuple[float, str]] = []
        by_length: dict[bool, list[tuple[str, list[int]]]] = {True: [], False: []}
        for word, ids in zip(words, self.token_ids(words), strict=True):
            if ids:
                by_length[len(ids) == len(g)].append((word, ids))
        if by_length[True]:  # exact per-token directional derivative
            new = self.embeddings[np.array([ids for _, ids in by_length[True]])]      # (m, n_tok, hidden)
            gains = np.einsum("th,mth->m", g, new) - float(np.sum(g * e_old))
            out += [(float(x), w) for x, (w, _) in zip(gains, by_length[True], strict=True)]
        if by_length[False]:  # token counts differ: compare mean embeddings along the summed gradient
            means = np.stack([self.embeddings[ids].mean(axis=0) for _, ids in by_length[False]])
            total = g.sum(axis=0)
            gains = means @ total - float(total @ e_old.mean(axis=0))
            out += [(float(x), w) for x, (w, _) in zip(gains, by_length[False], strict=True)]
        return out

    def estimate(self, texts: Sequence[WordText], label: int, proposals: Sequence[dict[int, list[str]]], *,
                 towards: bool = False) -> list[list[tuple[float, int, str]]]:
        """For each text, (estimated gain, word index, new word) of every proposed flip: the first-order increase
        of the loss of `label`, or with `towards` its decrease (the flip moves the prediction towards `label`)."""
        grads = self.victim.input_gradients([str(t) for t in texts], [label] * len(texts))
        out: list[list[tuple[float, int, str]]] = []
        for text, grad, proposal in zip(texts, grads, proposals, strict=True):
            spans = word_spans(text)
            scored: list[tuple[float, int, str]] = []
            for index, words in proposal.items():
                start, end = spans[index]
                rows = [t for t, (s, e) in enumerate(grad.offsets) if e > s and s < end and e > start]
                if rows and words:
                    g, e_old = grad.grads[rows], self.embeddings[grad.token_ids[rows]]
                    scored += [(-gain if towards else gain, index, new) for gain, new in self._gains(g, e_old, words)]
            out.append(scored)
        return out


@dataclass(frozen=True)
class HotFlipBeamSearch:
    """Beam search over flips (paper: beam width 10): each step scores every allowed flip of every beam
    text by gradient, keeps each beam's `beam_width` best estimates, checks all of them in one victim
    call, and keeps the `beam_width` truly best texts; stops on success or after `max_flips` steps."""

    beam_width: int = 10
    max_flips: int = 10

    def __call__(self, ctx: AttackContext, transformation: Transformation,
                 constraints: Sequence[Constraint]) -> WordText | None:
        estimator = FlipEstimator(ctx.victim)
        beam = [ctx.original]
        best_score = float(ctx.goal_score(ctx.original_probs[None])[0])
        for _ in range(self.max_flips):
            proposals = []
            for text in beam:
                allowed = [i for i in range(len(text)) if all(c.allows(text, i, ctx) for c in constraints)]
                proposals.append({i: transformation(text, i, ctx) for i in allowed})
            estimates = estimator.estimate(beam, ctx.label, proposals, towards=ctx.goal.towards)
            children: list[WordText] = []
            seen: set[str] = set()
            for text, scored in zip(beam, estimates, strict=True):
                scored.sort(key=lambda s: -s[0])
                picked = 0
                for _, index, new in scored:
                    child = text.replace({index: new})
                    key = str(child)
                    if key in seen:
                        continue
                    if any(not c.filter(text, index, [child], ctx) for c in constraints):
                        continue
                    seen.add(key)
                    children.append(child)
                    picked += 1
                    if picked == self.beam_width:
                        break
            if not children:
                break
            probs = ctx.probs(children)
            scores = ctx.goal_score(probs)
            wins = np.flatnonzero(ctx.succeeded(probs))
            if wins.size:
                return children[int(wins[np.argmax(scores[wins])])]
            order = np.argsort(-scores, kind="stable")[:self.beam_width]
            beam = [children[k] for k in order]
            if scores[order[0]] > best_score:
                best_score = float(scores[order[0]])
                ctx.keep_best(beam[0])
        return ctx.best


@dataclass(frozen=True)
class OpenAttackHotFlipSearch:
    """OpenAttack's `HotFlipAttacker`, which is black-box despite its name: left to right over the words
    not filtered, try each WordNet substitute; the first that reaches the goal (flips the prediction) wins. As in
    OpenAttack, a word keeps its last tried substitute when none succeeded (its list is edited in place), so
    perturbations accumulate. Ours scores each word's substitutes in one batched call."""

    def __call__(self, ctx: AttackContext, transformation: Transformation,
                 constraints: Sequence[Constraint]) -> WordText | None:
        current = ctx.original
        for index in range(len(current)):
            if not all(c.allows(current, index, ctx) for c in constraints):
                continue
            words = [w for w in transformation(current, index, ctx) if w != current.words[index]]
            if not words:
                continue
            texts = [current.replace({index: w}) for w in words]
            wins = np.flatnonzero(ctx.succeeded(ctx.probs(texts)))
            if wins.size:
                return texts[int(wins[0])]
            current = texts[-1]
            ctx.keep_best(current)
        return current if current.changed else None
