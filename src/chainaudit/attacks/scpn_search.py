"""SCPN as a recipe of the engine: a sentence-level search with no word transformation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from chainaudit.attacks.engine import AttackContext, Constraint, Recipe, Similarity, Transformation
from chainaudit.attacks.text import WordText, unique
from chainaudit.resources.scpn.templates import TEMPLATES

if TYPE_CHECKING:
    from chainaudit.attacks.recipes import AttackResources
    from chainaudit.resources.scpn.paraphrase import Paraphraser


class SCPNSearch:
    """Paraphrase the sample under every template, score all paraphrases in one victim call, and return the
    successful one closest in meaning to the original (the first in template order without a similarity);
    with none successful, the one that lowered p(gold) most.

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


def scpn(res: AttackResources) -> Recipe:
    """SCPN (Iyyer, Wieting, Gimpel, Zettlemoyer, NAACL 2018, "Adversarial Example Generation with
    Syntactically Controlled Paraphrase Networks"): the input is parsed, each of the ten most frequent
    top-level templates is expanded by the parse generator into a full target parse, the paraphrase network
    decodes one paraphrase per target parse (beam search, width 3), and a paraphrase that flips the victim is
    the adversarial example (OpenAttack's protocol, one victim call per sample). Weights: `--scpn-dir` /
    `$CHAINAUDIT_SCPN_DIR` (see `chainaudit.resources.scpn.weights`); the input parse comes from CoreNLP when
    `$CHAINAUDIT_CORENLP_URL` is set, else from an offline chunk-grammar approximation."""
    load = res.scpn()
    return Recipe("scpn", None, (), SCPNSearch(load, similarity=res.similarity), prepare=lambda _: load(),
                  paper="Iyyer, Wieting, Gimpel, Zettlemoyer. Syntactically Controlled Paraphrase Networks. "
                        "NAACL 2018.")


def paraphraser_loader(folder: Path | None) -> Callable[[], Paraphraser]:
    """A zero-argument loader for `AttackResources.scpn` (raises `ResourceMissingError` when called, not now)."""
    def load() -> Paraphraser:
        from chainaudit.resources.scpn.weights import load_paraphraser

        return load_paraphraser(folder)
    return load
