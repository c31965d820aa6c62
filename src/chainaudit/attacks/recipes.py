"""The attack recipes: each a short composition of engine parts, with its paper and defaults.

Resources are fetched through `AttackResources` only when a recipe is built, so a missing one fails
with the `ResourceMissingError` that names how to get it (and the runner records `error` outcomes,
never failed attacks). SCPN's and the GAN's trained networks are loaded per sample instead (`prepare`), so
building those recipes never fails.

These are the `paper` flavour (the default): each attack as its paper describes it. `attacks/flavors/` holds
`openattack` and `textattack`, which reproduce those tools quirks included. Where the paper flavour departs
from both tools, and why (a reading of OpenAttack 2.1.1 and TextAttack 0.3.11, checked by
`benchmarks/attack_parity.py`):

* Words: one regex word segmentation for every recipe (`attacks.text.WordText`), the original spacing and
  punctuation kept; OpenAttack re-tokenises with NLTK and joins tokens with spaces ("it ' s"), TextAttack
  has its own `words_from_text`. Why: an adversarial text should differ from the input only where it was
  attacked.
* PWWS: the paper's algorithm, as OpenAttack has it (saliency × best swap gain, one pass); WordNet synonyms of
  the word's part of speech from our offline tagger. TextAttack ignores the part of speech and re-picks the
  best swap on the current text at each step (a harder search than the paper's).
* TextFooler: counter-fitted neighbours (50, cos >= 0.5) as in the paper, or the fallback vectors with their
  antonym and inflection filters; OpenAttack takes WordNet synonyms by default and, after the first text
  shorter than its window, keeps a similarity threshold of 0.1 for the rest of the run (a state carried from
  sample to sample, which the paper does not have); TextAttack's constraints match the paper's but its
  vectors have no filters. The window threshold is the encoder-calibrated one (MiniLM for USE).
* TextBugger: gives up when the text's similarity to the original falls to the threshold (the paper's
  Algorithm 1) and ranks words by the gradient when the victim has one; OpenAttack has no similarity check
  and ranks by deletion; TextAttack uses the threshold as a constraint on candidates and ranks by deletion.
* HotFlip: white-box first-order flips with beam search, as in the paper; OpenAttack's HotFlip is black-box
  (our `hotflip-blackbox`), and TextAttack's runs only on its own word-level LSTM.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from chainaudit.attacks.constraints import (
    MaxModificationRate,
    PartOfSpeech,
    RepeatModification,
    SentenceSimilarity,
    StopWords,
)
from chainaudit.attacks.engine import AttackContext, Recipe, Similarity
from chainaudit.attacks.gan.search import GanSearch
from chainaudit.attacks.gan.store import GanLoader
from chainaudit.attacks.hotflip import CharAndWordFlips, HotFlipBeamSearch, OpenAttackHotFlipSearch
from chainaudit.attacks.scpn.search import SCPNSearch
from chainaudit.attacks.search import GreedyWordSwap, TextBuggerSearch, WeightedSaliencySwap
from chainaudit.attacks.text import WordText
from chainaudit.attacks.transformations import EmbeddingNeighbours, TextBuggerBugs, WordNetSynonyms
from chainaudit.errors import ChainauditError
from chainaudit.resources.stopwords import STOP_WORDS

if TYPE_CHECKING:
    from chainaudit.attacks.gan.store import TrainedGan
    from chainaudit.attacks.scpn.paraphrase import Paraphraser
    from chainaudit.resources.word_vectors import WordVectors

#: `synonyms(word, wordnet_pos)`: the word's synonyms (`resources.wordnet.synonyms`).
Synonyms = Callable[[str, str | None], list[str]]
#: `tag(tokens)`: one universal POS tag per token (`resources.pos.tag`).
Tagger = Callable[[list[str]], list[str]]


@dataclass
class AttackResources:
    """What recipes need, each got on first use and kept. The paths are the CLI's options; every other field,
    left None, is loaded from the installed resources, or when set is used as given (tests inject tiny ones)."""

    word_vectors_path: Path | None = None  # `--word-vectors`; default $CHAINAUDIT_WORD_VECTORS, else the fallback
    scpn_dir: Path | None = None  # `--scpn-dir`; default $CHAINAUDIT_SCPN_DIR, else cache_dir("scpn")
    gan_dir: Path | None = None  # `--gan`; default $CHAINAUDIT_GAN_DIR, else cache_dir("gan", <dataset>)
    stop_words: frozenset[str] = STOP_WORDS
    word_vectors: WordVectors | None = None
    sentence_similarity: Similarity | None = None
    wordnet_synonyms: Synonyms | None = None
    pos_tagger: Tagger | None = None
    #: A zero-argument loader of the SCPN paraphraser (default: `load_paraphraser(scpn_dir)`).
    paraphraser: Callable[[], Paraphraser] | None = None
    #: `dataset -> TrainedGan` (default: `GanLoader(gan_dir)`).
    gan_loader: Callable[[str], TrainedGan] | None = None
    #: Similarity thresholds; default the encoder's calibrated ones (`resources.encoder.CALIBRATION`).
    textfooler_threshold: float | None = None
    textbugger_threshold: float | None = None

    def vectors(self) -> WordVectors:
        if self.word_vectors is None:
            from chainaudit.resources.word_vectors import load_word_vectors

            self.word_vectors = load_word_vectors(self.word_vectors_path)
        return self.word_vectors

    def similarity(self) -> Similarity:
        if self.sentence_similarity is None:
            from chainaudit.resources.encoder import get_encoder

            self.sentence_similarity = get_encoder().similarity
        return self.sentence_similarity

    def synonyms(self) -> Synonyms:
        if self.wordnet_synonyms is None:
            from chainaudit.resources import wordnet

            wordnet.get_wordnet()  # fail now, with the install command, if WordNet is missing
            self.wordnet_synonyms = wordnet.synonyms
        return self.wordnet_synonyms

    def tagger(self) -> Tagger:
        if self.pos_tagger is None:
            from chainaudit.resources import pos

            pos.tag(["check"])  # fail now if the tagger's lexicon is missing
            self.pos_tagger = pos.tag
        return self.pos_tagger

    def scpn(self) -> Callable[[], Paraphraser]:
        """A loader of the SCPN paraphraser: missing weights raise when a sample calls it, not here."""
        if self.paraphraser is None:
            from chainaudit.attacks.scpn.weights import load_paraphraser

            self.paraphraser = functools.partial(load_paraphraser, self.scpn_dir)
        return self.paraphraser

    def gan(self) -> Callable[[str], TrainedGan]:
        """`dataset -> TrainedGan`, loaded on first use: a GAN not trained yet raises then, not here."""
        if self.gan_loader is None:
            self.gan_loader = GanLoader(self.gan_dir)
        return self.gan_loader

    def threshold(self, name: str) -> float:
        """The similarity threshold `name` of `resources.encoder.CALIBRATION`, or the one set here."""
        from chainaudit.resources.encoder import CALIBRATION

        given = {"textfooler_window": self.textfooler_threshold, "textbugger": self.textbugger_threshold}.get(name)
        value = given if given is not None else CALIBRATION.get(name)
        if value is None:
            raise ChainauditError(f"no calibrated similarity threshold for {name}")
        return float(value)


#: Samples attacked at once by default, per recipe. `benchmarks/concurrency_choice.py` (8 at once vs one at a time,
#: interleaved blocks of 8 of the first 48 SST-2 validation sentences, caches emptied before each run, MiniLM SST-2
#: model, 2 CPU cores), speed-up of 8 at once with its 95% interval:
#:   quiet (load ~1-2): pwws 1.08x [1.04, 1.13], hotflip-blackbox 0.97x [0.87, 1.11], textfooler 1.07x
#:   [0.79, 1.72], textbugger 1.34x [1.09, 1.70];
#:   loaded (load 8-10): pwws 1.71x, hotflip-blackbox 2.06x, textfooler 1.41x, textbugger 2.27x.
#: 8 is never measurably slower and gains most on a contended CPU (fewer, larger model calls), so every recipe
#: takes 8 (white-box hotflip 1.46x in an earlier, cache-confounded run; SCPN and the GAN, with no weights here,
#: not measured, keep the earlier default of 8).
#: (The flavours set their own: `textfooler@openattack` must run one at a time, its threshold latch being
#: run order.)
CONCURRENCY: dict[str, int] = {name: 8 for name in ("textfooler", "textbugger", "pwws", "hotflip", "hotflip-blackbox",
                                                    "scpn", "gan")}


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


def scpn(res: AttackResources) -> Recipe:
    """SCPN (Iyyer, Wieting, Gimpel, Zettlemoyer, NAACL 2018, "Adversarial Example Generation with
    Syntactically Controlled Paraphrase Networks"): the input is parsed, each of the ten most frequent
    top-level templates is expanded by the parse generator into a full target parse, the paraphrase network
    decodes one paraphrase per target parse (beam search, width 3), and a paraphrase that flips the victim is
    the adversarial example (OpenAttack's protocol, one victim call per sample). Weights: `--scpn-dir` /
    `$CHAINAUDIT_SCPN_DIR` (see `chainaudit.attacks.scpn.weights`); the input parse comes from CoreNLP when
    `$CHAINAUDIT_CORENLP_URL` is set, else from an offline chunk-grammar approximation."""
    load = res.scpn()
    return Recipe("scpn", None, (), SCPNSearch(load, similarity=res.similarity), prepare=lambda _: load(),
                  paper="Iyyer, Wieting, Gimpel, Zettlemoyer. Syntactically Controlled Paraphrase Networks. "
                        "NAACL 2018.")


def gan(res: AttackResources) -> Recipe:
    """GAN (Zhao, Dua, Singh, ICLR 2018, "Generating Natural Adversarial Examples"): an ARAE + inverter trained on
    the dataset's sentences; the input's noise vector I(E(x)) is perturbed in widening radii, candidates decoded
    and scored in batches, and the flip closest in noise space kept (`attacks.gan.search.GanSearch`). Building
    never fails: a GAN that is not trained yet makes every sample (already-wrong ones too, via `prepare`) an
    `error` outcome naming `chainaudit resources train-gan`."""
    search = GanSearch(res.gan())
    return Recipe("gan", None, (), search, prepare=lambda sample: search.gans(sample.dataset),
                  paper="Zhao, Dua, Singh. Generating Natural Adversarial Examples. ICLR 2018.")


RECIPES: dict[str, Callable[[AttackResources], Recipe]] = {
    "textbugger": textbugger, "hotflip": hotflip, "hotflip-blackbox": hotflip_blackbox,
    "textfooler": textfooler, "pwws": pwws,
    "gan": gan,
    "scpn": scpn,
}


#: What each recipe's outcomes depend on besides its own code, for the result key (`pipeline.params_digest`).
#: Keyed by attack id: the openattack flavours use neither word vectors nor a calibrated threshold.
WORD_VECTOR_RECIPES = frozenset({"textfooler", "textbugger", "hotflip", "textfooler@textattack",
                                 "textbugger@textattack"})
THRESHOLDS = {"textfooler": "textfooler_window", "textbugger": "textbugger",
              "textfooler@textattack": "textfooler_window", "textbugger@textattack": "textbugger"}


def resource_identity(name: str, resources: AttackResources, dataset: str | None = None) -> dict[str, object]:
    """The identities of the resources recipe `name` uses that can change between runs (each fixed by the recipe,
    never by what else was built): the word vectors' sha256, the similarity threshold, the GAN that `dataset`'s
    samples would get (its weights' sha256; None while there is none) and the SCPN files (folder and sizes: the
    weights are too large to hash on every plan). Injected test resources are "given"."""
    identity: dict[str, object] = {}
    name = attack_id(*parse_attack_id(name))
    if name in WORD_VECTOR_RECIPES:
        identity["word_vectors"] = resources.vectors().identity
    if name in THRESHOLDS:
        identity["threshold"] = resources.threshold(THRESHOLDS[name])
    base = parse_attack_id(name)[0]
    if base == "gan":
        identity["gan"] = "given" if resources.gan_loader is not None else _gan_identity(resources.gan_dir, dataset)
    if base == "scpn":
        identity["scpn"] = "given" if resources.paraphraser is not None else _scpn_identity(resources.scpn_dir)
    return identity


def _gan_identity(gan_dir: Path | None, dataset: str | None) -> str | None:
    from chainaudit.attacks.gan.store import WEIGHTS, find_gan
    from chainaudit.errors import ResourceMissingError
    from chainaudit.files import sha256_file

    try:
        return sha256_file(find_gan(dataset or "", gan_dir) / WEIGHTS)
    except ResourceMissingError:
        return None


def _scpn_identity(scpn_dir: Path | None) -> dict[str, int] | None:
    from chainaudit.attacks.scpn.weights import locate
    from chainaudit.errors import ResourceMissingError

    try:
        files = locate(scpn_dir)
    except ResourceMissingError:
        return None
    return {"folder": str(files.folder), **{n: p.stat().st_size for n, p in sorted(files.paths.items())}}


#: How a recipe is implemented: `paper` follows each attack's own paper (the default); `openattack` and
#: `textattack` reproduce that tool's algorithm and defaults, quirks included (`attacks/flavors/`).
FLAVORS = ("paper", "openattack", "textattack")


def attack_id(name: str, flavor: str = "paper") -> str:
    """The name results are stored and tabled under: `pwws` (paper flavour) or `pwws@openattack`."""
    return name if flavor == "paper" else f"{name}@{flavor}"


def parse_attack_id(attack: str, flavor: str | None = None) -> tuple[str, str]:
    """(recipe, flavour) of `pwws`, `pwws@textattack` or `pwws` with `flavor`; a flavour given twice must agree."""
    name, _, named = attack.partition("@")
    if named and flavor not in (None, named):
        raise ChainauditError(f"attack {attack!r} names flavour {named!r} but --flavor is {flavor!r}; give one")
    chosen = named or flavor or "paper"
    if chosen not in FLAVORS:
        raise ChainauditError(f"unknown flavour {chosen!r}; choose one of {', '.join(FLAVORS)}")
    return name, chosen


def flavor_recipes(flavor: str) -> dict[str, Callable[[AttackResources], Recipe]]:
    """The recipes implemented in `flavor` (imported on use: the flavour modules build on this one)."""
    if flavor == "paper":
        return RECIPES
    if flavor == "openattack":
        from chainaudit.attacks.flavors import openattack

        return openattack.RECIPES
    if flavor == "textattack":
        from chainaudit.attacks.flavors import textattack

        return textattack.RECIPES
    raise ChainauditError(f"unknown flavour {flavor!r}; choose one of {', '.join(FLAVORS)}")


def build_recipe(name: str, resources: AttackResources | None = None, flavor: str | None = None) -> Recipe:
    """Build a recipe by name (`pwws`, or `pwws@openattack`) in a flavour (default paper); unknown names get the
    list of known ones. The recipe's `name` is its `attack_id`, the name its results are stored under."""
    recipe_name, chosen = parse_attack_id(name, flavor)
    if recipe_name not in RECIPES:
        raise ChainauditError(f"unknown attack {recipe_name!r}; choose one of {', '.join(sorted(RECIPES))}")
    builders = flavor_recipes(chosen)
    if recipe_name not in builders:
        raise ChainauditError(f"{chosen} has no {recipe_name} recipe; its recipes: {', '.join(sorted(builders))} "
                              f"(or use --flavor paper)")
    recipe = builders[recipe_name](resources or AttackResources())
    width = CONCURRENCY.get(recipe_name, recipe.concurrency) if chosen == "paper" else recipe.concurrency
    return dataclasses.replace(recipe, name=attack_id(recipe_name, chosen), concurrency=width)
