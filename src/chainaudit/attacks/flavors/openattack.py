"""OpenAttack 2.1.1's recipes (Zeng et al., ACL 2021 demo), reproduced with their defaults and quirks.

Every word-level recipe uses OpenAttack's English defaults: `PunctTokenizer` (tokens, POS, space-joined
detokenisation; `openattack_text`), `WordNetSubstitute` (`openattack_substitute`) and the in-code filter words
(TextFooler's stop words + "be", "have"). The searches and the quirks they reproduce are in `openattack_search`.
Stand-ins for OpenAttack's downloads, as the parity contract fixes them: our WordNet 3.0 reader, `resources.pos`
for NLTK's perceptron tagger, NLTK's untrained punkt, MiniLM cosine for USE's cosine (TextFooler only).

Left out: `gan`. OpenAttack's default GAN (`GANAttacker(gan_dataset="sst")`, `sst_call`) is one noisy
autoencoder reconstruction of the input, truncated at the first "." and scored once; ours (`attacks.gan`) is the
iterative noise-space search (OpenAttack's `snli_call` shape, with 20 samples instead of 10), a different protocol.
"""

from __future__ import annotations

from collections.abc import Callable

from chainaudit.attacks.engine import Recipe
from chainaudit.attacks.flavors.openattack_search import HotFlipSearch, PWWSSearch, TextBuggerSearch, TextFoolerSearch
from chainaudit.attacks.flavors.openattack_substitute import (
    WordNetSubstitute,
    injected_lemma_names,
    reader_lemma_names,
)
from chainaudit.attacks.flavors.openattack_text import PunctTokenizer, penn_tagger, universal_tagger
from chainaudit.attacks.recipes import AttackResources
from chainaudit.attacks.scpn.search import SCPNSearch

#: `TextFoolerAttacker(sim_score_threshold=0.5)`, a USE cosine; applied to MiniLM's cosine unchanged (it only
#: lasts until the run's first text shorter than the window; then 0.1, see `TextFoolerSearch`).
TEXTFOOLER_THRESHOLD = 0.5
CITATION = "as implemented by OpenAttack 2.1.1 (Zeng et al., ACL 2021 demo)"


def _tokenizer(res: AttackResources) -> PunctTokenizer:
    """OpenAttack's tokeniser; tags from an injected universal tagger, else the offline Penn tagger."""
    if res.pos_tagger is not None:
        return PunctTokenizer(universal_tagger(res.pos_tagger))
    from chainaudit.resources import pos

    pos.penn_tag(["check"])  # fail now if the tagger's lexicon is missing
    return PunctTokenizer(penn_tagger(pos.penn_tag))


def _substitute(res: AttackResources) -> WordNetSubstitute:
    """OpenAttack's WordNet substitute over our reader (or over injected synonyms, as lemma names)."""
    if res.wordnet_synonyms is not None:
        return WordNetSubstitute(injected_lemma_names(res.wordnet_synonyms))
    from chainaudit.resources import wordnet

    return WordNetSubstitute(reader_lemma_names(wordnet.get_wordnet(), wordnet._LOCK))


def _filter_words(res: AttackResources) -> frozenset[str]:
    return res.stop_words | {"be", "have"}


def pwws(res: AttackResources) -> Recipe:
    """`PWWSAttacker()` with its defaults (`openattack_search.PWWSSearch`)."""
    return Recipe("pwws", None, (), PWWSSearch(_tokenizer(res), _substitute(res), _filter_words(res)),
                  paper=f"Ren, Deng, He, Che. Probability Weighted Word Saliency. ACL 2019, {CITATION}.")


def textfooler(res: AttackResources) -> Recipe:
    """`TextFoolerAttacker()` with its defaults: WordNet substitutes, window 15, threshold 0.5 that becomes 0.1
    for the rest of the run after the first short text (`openattack_search.TextFoolerSearch`). The latch belongs
    to this recipe instance: build a new recipe to start a run afresh."""
    search = TextFoolerSearch(_tokenizer(res), _substitute(res), _filter_words(res), res.similarity(),
                              threshold=TEXTFOOLER_THRESHOLD)
    return Recipe("textfooler", None, (), search,
                  paper=f"Jin, Jin, Zhou, Szolovits. Is BERT Really Robust? AAAI 2020, {CITATION}.")


def textbugger(res: AttackResources) -> Recipe:
    """`TextBuggerAttacker()` (black-box): deletion ranking, OpenAttack's bugs, no similarity check
    (`openattack_search.TextBuggerSearch`)."""
    return Recipe("textbugger", None, (), TextBuggerSearch(_tokenizer(res), _substitute(res), _filter_words(res)),
                  paper=f"Li, Ji, Du, Li, Wang. TextBugger. NDSS 2019, {CITATION}.")


def hotflip(res: AttackResources) -> Recipe:
    """`HotFlipAttacker()`: black-box WordNet substitution left to right (`openattack_search.HotFlipSearch`).
    OpenAttack has no white-box HotFlip, so `hotflip` and `hotflip-blackbox` are this same recipe here."""
    return Recipe("hotflip", None, (), HotFlipSearch(_tokenizer(res), _substitute(res), _filter_words(res)),
                  paper=f"Ebrahimi, Rao, Lowd, Dou. HotFlip. ACL 2018, {CITATION}.")


def scpn(res: AttackResources) -> Recipe:
    """`SCPNAttacker()`'s protocol on our SCPN pipeline (`attacks.scpn`): the ten default templates, beam search of
    width 3 for parses (150 steps) and paraphrases (40 steps), all paraphrases scored in one victim call, the FIRST
    successful one in template order returned (the paper flavour returns the most similar). What differs from
    OpenAttack: the input is tokenised Penn-Treebank-like, not by `PunctTokenizer`; its parse comes from CoreNLP
    only when `$CHAINAUDIT_CORENLP_URL` is set, else from an offline approximation (OpenAttack always asks a
    CoreNLP server); a parse label outside the vocabulary becomes X and an empty template expansion falls back to
    the template (OpenAttack fails the sample on the first and decodes the empty parse); empty paraphrases and
    the input itself are not scored (the latter cannot succeed)."""
    load = res.scpn()
    return Recipe("scpn", None, (), SCPNSearch(load, similarity=None), prepare=lambda _: load(),
                  paper=f"Iyyer, Wieting, Gimpel, Zettlemoyer. Syntactically Controlled Paraphrase Networks. "
                        f"NAACL 2018, {CITATION}.")


RECIPES: dict[str, Callable[[AttackResources], Recipe]] = {
    "pwws": pwws,
    "textfooler": textfooler,
    "textbugger": textbugger,
    "hotflip": hotflip,
    "hotflip-blackbox": hotflip,
    "scpn": scpn,
}
