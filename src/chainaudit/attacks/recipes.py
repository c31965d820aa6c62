"""The attack recipes: each a short composition of engine parts, with its paper and defaults.

Resources are fetched through `AttackResources` only when a recipe is built, so a missing one fails
with the `ResourceMissingError` that names how to get it (and the runner records `error` outcomes,
never failed attacks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from chainaudit.attacks.constraints import (
    MaxModificationRate,
    PartOfSpeech,
    RepeatModification,
    SentenceSimilarity,
    StopWords,
)
from chainaudit.attacks.engine import AttackContext, Recipe, Similarity
from chainaudit.attacks.gan_search import gan
from chainaudit.attacks.hotflip import CharAndWordFlips, HotFlipBeamSearch, OpenAttackHotFlipSearch
from chainaudit.attacks.scpn_search import paraphraser_loader, scpn
from chainaudit.attacks.search import GreedyWordSwap, TextBuggerSearch, WeightedSaliencySwap
from chainaudit.attacks.text import WordText
from chainaudit.attacks.transformations import EmbeddingNeighbours, TextBuggerBugs, WordNetSynonyms
from chainaudit.errors import ChainauditError


@dataclass
class AttackResources:
    """Lazy access to what recipes need; `word_vectors_path` is `--word-vectors`."""

    word_vectors_path: Path | None = None
    scpn_dir: Path | None = None  # `--scpn-dir`; default $CHAINAUDIT_SCPN_DIR, else cache_dir("scpn")
    gan_dir: Path | None = None  # `--gan`; default $CHAINAUDIT_GAN_DIR, else cache_dir("gan", <dataset>)
    overrides: dict[str, Any] = field(default_factory=dict)  # tests inject tiny resources here

    def _get(self, name: str, build: Callable[[], Any]) -> Any:
        if name not in self.overrides:
            self.overrides[name] = build()
        return self.overrides[name]

    @cached_property
    def stop_words(self) -> frozenset[str]:
        from chainaudit.resources.stopwords import STOP_WORDS

        return self._get("stop_words", lambda: STOP_WORDS)

    def vectors(self) -> Any:
        from chainaudit.resources.word_vectors import load_word_vectors

        return self._get("vectors", lambda: load_word_vectors(self.word_vectors_path))

    def similarity(self) -> Similarity:
        from chainaudit.resources.encoder import get_encoder

        return self._get("similarity", lambda: get_encoder().similarity)

    def synonyms(self) -> Callable[[str, str | None], list[str]]:
        from chainaudit.resources import wordnet

        def build() -> Callable[[str, str | None], list[str]]:
            wordnet.get_wordnet()  # fail now, with the install command, if WordNet is missing
            return wordnet.synonyms

        return self._get("synonyms", build)

    def scpn(self) -> Callable[[], Any]:
        """A loader of the SCPN paraphraser: missing weights raise when a sample calls it, not here."""
        return self._get("scpn", lambda: paraphraser_loader(self.scpn_dir))

    def gan(self) -> Callable[[str], Any]:
        """`dataset -> TrainedGan`, loaded on first use: a GAN not trained yet raises then, not here. An override
        may be a `TrainedGan` (used for every dataset), a GAN folder, or a loader."""
        from chainaudit.resources.gan import GanLoader

        value = self._get("gan", lambda: GanLoader(self.gan_dir))
        if isinstance(value, Path):
            value = GanLoader(value)
        return value if callable(value) else (lambda dataset: value)

    def tagger(self) -> Callable[[list[str]], list[str]]:
        from chainaudit.resources import pos

        def build() -> Callable[[list[str]], list[str]]:
            pos.tag(["check"])  # fail now if the tagger's lexicon is missing
            return pos.tag

        return self._get("tagger", build)

    def threshold(self, name: str) -> float:
        from chainaudit.resources.encoder import CALIBRATION

        value = self.overrides.get(f"threshold:{name}", CALIBRATION.get(name))
        if value is None:
            raise ChainauditError(f"no calibrated similarity threshold for {name}")
        return float(value)


def most_similar(similarity: Similarity) -> Callable[
        [AttackContext, list[WordText]], int]:
    """TextFooler's choice among successful candidates: the one closest in meaning to the original."""
    def pick(ctx: AttackContext, texts: list[WordText]) -> int:
        return int(np.argmax(similarity([ctx.sample.text] * len(texts), [str(t) for t in texts])))
    return pick


def textfooler(res: AttackResources) -> Recipe:
    """TextFooler (Jin et al., AAAI 2020, "Is BERT Really Robust?"): words ranked by deletion importance,
    stop words kept, each replaced by one of its 50 nearest counter-fitted neighbours (cos >= 0.5) of the
    same part of speech (nouns and verbs interchangeable), keeping the sentence-encoder similarity of a
    15-word window to the text before the swap above the threshold (USE 0.840845 angular; MiniLM
    recalibrated, resources.encoder.CALIBRATION). As in the authors' code, texts shorter than the window
    skip the similarity check."""
    similarity = res.similarity()
    return Recipe(
        "textfooler", EmbeddingNeighbours(res.vectors(), k=50, min_cos=0.5),
        (RepeatModification(), StopWords(res.stop_words), PartOfSpeech(res.tagger(), verb_noun_swap=True),
         SentenceSimilarity(similarity, res.threshold("textfooler_window"), window=15, against_original=False,
                            skip_shorter=True)),
        GreedyWordSwap("delete", tie_break=most_similar(similarity)),
        paper="Jin, Jin, Zhou, Szolovits. Is BERT Really Robust? AAAI 2020.")


def pwws(res: AttackResources) -> Recipe:
    """PWWS (Ren et al., ACL 2019, "Generating Natural Language Adversarial Examples through Probability
    Weighted Word Saliency"): WordNet synonyms for the word's part of speech, words ordered by
    softmax(saliency) × best swap gain, replaced greedily in that order."""
    return Recipe(
        "pwws", WordNetSynonyms(res.synonyms(), res.tagger()),
        (RepeatModification(), StopWords(res.stop_words)), WeightedSaliencySwap(),
        paper="Ren, Deng, He, Che. Probability Weighted Word Saliency. ACL 2019.")


def textbugger(res: AttackResources) -> Recipe:
    """TextBugger (Li et al., NDSS 2019): words ranked by the gradient of the gold class w.r.t. their
    embeddings (white-box; deletion scores for black-box victims); at each, the best of five bugs (insert
    space, delete, swap, visually similar character, top-5 neighbour word) is applied; the attack gives up
    when the text's similarity to the original falls to the threshold (USE 0.8; MiniLM recalibrated)."""
    return Recipe(
        "textbugger", TextBuggerBugs(res.vectors(), k=5),
        (RepeatModification(), StopWords(res.stop_words)),
        TextBuggerSearch(res.similarity(), res.threshold("textbugger")),
        paper="Li, Ji, Du, Li, Wang. TextBugger. NDSS 2019.")


def hotflip(res: AttackResources) -> Recipe:
    """HotFlip (Ebrahimi et al., ACL 2018): white-box; every character substitution/deletion and every
    close word swap (cos >= 0.8) scored by the first-order loss change, beam search of width 10, at most
    20% of the words changed."""
    return Recipe(
        "hotflip", CharAndWordFlips(res.vectors(), k=20, min_cos=0.8),
        (RepeatModification(), StopWords(res.stop_words), MaxModificationRate(0.2)),
        HotFlipBeamSearch(beam_width=10, max_flips=10),
        paper="Ebrahimi, Rao, Lowd, Dou. HotFlip. ACL 2018.")


def hotflip_blackbox(res: AttackResources) -> Recipe:
    """OpenAttack's HotFlip, black-box despite the name (as the paper under study ran it): WordNet
    substitutes tried left to right, first success wins, failed substitutions accumulate."""
    return Recipe(
        "hotflip-blackbox", WordNetSynonyms(res.synonyms(), res.tagger()),
        (StopWords(res.stop_words),), OpenAttackHotFlipSearch(),
        paper="Ebrahimi et al. 2018, as implemented by OpenAttack (Zeng et al. 2021).")


RECIPES: dict[str, Callable[[AttackResources], Recipe]] = {
    "textbugger": textbugger, "hotflip": hotflip, "hotflip-blackbox": hotflip_blackbox,
    "textfooler": textfooler, "pwws": pwws,
    "gan": gan,
    "scpn": scpn,
}


def build_recipe(name: str, resources: AttackResources | None = None) -> Recipe:
    """Build a recipe by name; unknown names get the list of known ones."""
    if name not in RECIPES:
        raise ChainauditError(f"unknown attack {name!r}; choose one of {', '.join(sorted(RECIPES))}")
    return RECIPES[name](resources or AttackResources())
