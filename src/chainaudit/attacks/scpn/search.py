"""SCPN's search: a sentence-level search with no word transformation (the recipe is
`chainaudit.attacks.recipes.scpn`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from chainaudit.attacks.engine import AttackContext, Constraint, Similarity, Transformation
from chainaudit.attacks.scpn.templates import TEMPLATES
from chainaudit.attacks.text import WordText, unique

if TYPE_CHECKING:
    from chainaudit.attacks.scpn.paraphrase import Paraphraser


class SCPNSearch:
    """Paraphrase the sample under every template, score all paraphrases in one victim call, and return the
    successful one closest in meaning to the original (the first in template order without a similarity);
    with none successful, the one closest to the goal (lowest p(gold)).

    `load` is called per sample, so missing weights make each sample an `error` ("resource missing: ...")
    while building the recipe still succeeds."""

    def __init__(self, load: Callable[[], Paraphraser], templates: Sequence[str] = TEMPLATES,
                 similarity: Callable[[], Similarity] | None = None) -> None:
        self.load = load
        self.templates = tuple(templates)
        self.similarity = similarity

    def __call__(self, ctx: AttackContext, transformation: Transformation | None,
                 constraints: Sequence[Constraint]) -> WordText | None:
        paraphraser = self.load()
        seed = ctx.rng.getrandbits(63)  # only sampled decoding uses it; beam search is deterministic
        outputs = paraphraser.paraphrase(ctx.sample.text, self.templates, seed=seed)
        original = " ".join(ctx.original.words).lower()
        texts = [t for t in unique(o.text for o in outputs) if t.strip() and " ".join(
            WordText.parse(t).words).lower() != original]
        if not texts:
            return None
        candidates = [WordText.parse(t) for t in texts]
        probs = ctx.probs(candidates)
        wins = np.flatnonzero(ctx.succeeded(probs))
        if len(wins) == 0:
            best = candidates[int(np.argmax(ctx.goal_score(probs)))]
            ctx.keep_best(best)
            return best
        if self.similarity is not None and len(wins) > 1:
            sims = self.similarity()([ctx.sample.text] * len(wins), [texts[i] for i in wins])
            return candidates[int(wins[int(np.argmax(sims))])]
        return candidates[int(wins[0])]
