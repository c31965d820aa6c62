"""TextAttack 0.3.11's recipes (Morris et al., EMNLP 2020 demo), reproduced with their defaults and quirks.

Each builder mirrors a `textattack/attack_recipes/*.py` `build()`: the same transformation, constraints (in the
same order), search and goal, from the parts in `textattack_text`, `textattack_transformations`,
`textattack_constraints` and `textattack_search` (whose docstrings list every quirk kept). What TextAttack
downloads is replaced as `benchmarks/peers/PARITY.md` fixes for both sides: WordNet is chainaudit's reader, NLTK's
`pos_tag(tagset="universal")` is `AttackResources.tagger()` (`resources.pos`: Penn tags mapped by the Petrov et al.
table, NLTK's en-ptb map being a download too), NLTK's stop-word list (the default of
`StopwordModification`) is `AttackResources.stop_words`, USE is MiniLM with the calibrated cosine thresholds
(`resources.encoder.CALIBRATION`), the counter-fitted embedding is chainaudit's word vectors without their
antonym and inflection filters (`WordVectors.unfiltered`: TextAttack has no such filters).

HotFlip is not built: TextAttack 0.3.11's `WordSwapGradientBased` refuses every model but its own word-level
LSTM (`shared/validators.py`, `validate_model_gradient_word_swap_compatibility`) and calls a
`convert_id_to_word` that Hugging Face tokenizers lack, so `hotflip_ebrahimi_2017` cannot run on a Hugging Face
classifier there; building it here raises the same refusal instead of inventing an attack TextAttack never ran.
"""

from __future__ import annotations

from collections.abc import Callable

from chainaudit.attacks.engine import Recipe
from chainaudit.attacks.flavors.textattack_constraints import (
    InputColumnModification,
    PartOfSpeech,
    RepeatModification,
    SentenceEncoder,
    StopwordModification,
    WordEmbeddingDistance,
)
from chainaudit.attacks.flavors.textattack_search import GreedyWordSwapWIR
from chainaudit.attacks.flavors.textattack_transformations import (
    CharDeletion,
    CharInsertion,
    Composite,
    EmbeddingSwap,
    HomoglyphSwap,
    NeighbourCharSwap,
    WordNetSwap,
    wordnet_lemma_names,
)
from chainaudit.attacks.recipes import AttackResources
from chainaudit.errors import ChainauditError
from chainaudit.resources.stopwords import STOP_WORDS

#: The stop words of TextAttack's `textfooler_jin_2019.py` (its in-code list, 266 words): the same set as
#: `resources.stopwords.STOP_WORDS` (both are TextFooler's list; checked word for word against v0.3.11).
TEXTFOOLER_STOP_WORDS: frozenset[str] = STOP_WORDS

#: Samples attacked at once (`Recipe.concurrency`): merging the samples' victim and encoder calls pays for all
#: three (pwws@textattack, 10 SST-2 rows, 8 at once vs 1, alternating runs: 4.8 vs 6.1 and 6.0 vs 9.4 s/sample;
#: outcomes identical).
CONCURRENCY = 8

PAPERS = {
    "pwws": "Ren, Deng, He, Che. Probability Weighted Word Saliency. ACL 2019 (TextAttack's pwws_ren_2019).",
    "textfooler": "Jin, Jin, Zhou, Szolovits. Is BERT Really Robust? AAAI 2020 (TextAttack's textfooler_jin_2019).",
    "textbugger": "Li, Ji, Du, Li, Wang. TextBugger. NDSS 2019 (TextAttack's textbugger_li_2018).",
}


def _lemma_names(res: AttackResources) -> Callable[[str], list[str]]:
    """WordNet lemma names of a word in any sense: chainaudit's WordNet reader, or the injected synonyms."""
    if res.wordnet_synonyms is None:
        res.synonyms()  # fail now, with the install command, if WordNet is missing
        return lambda word: list(wordnet_lemma_names(word))
    injected = res.wordnet_synonyms
    return lambda word: injected(word.lower(), None)


def pwws(res: AttackResources) -> Recipe:
    """`PWWSRen2019`: WordNet swaps of any part of speech; RepeatModification, StopwordModification (NLTK's list,
    here `res.stop_words`); greedy search ordered by weighted saliency, re-choosing each word's best swap on the
    current text and keeping it only if it helps (searches harder than the paper, ignores POS)."""
    return Recipe("pwws", WordNetSwap(_lemma_names(res)),
                  (RepeatModification(), StopwordModification(res.stop_words)),
                  GreedyWordSwapWIR("weighted-saliency"), paper=PAPERS["pwws"], concurrency=CONCURRENCY)


def textfooler(res: AttackResources) -> Recipe:
    """`TextFoolerJin2019`: 50 nearest embedding words; RepeatModification, StopwordModification (its own list),
    InputColumnModification, WordEmbeddingDistance(cos >= 0.5), PartOfSpeech (noun/verb swap allowed), USE
    (angular 0.840845 -> MiniLM cosine `CALIBRATION["textfooler_window"]`) on a 15-word window against the text
    before the swap, texts shorter than the window passing; greedy search ranked by deletion."""
    vectors = res.vectors().unfiltered()
    use = SentenceEncoder(res.similarity(), res.threshold("textfooler_window"), window=15, against_original=False,
                          skip_shorter=True)
    return Recipe("textfooler", EmbeddingSwap(vectors, max_candidates=50),
                  (RepeatModification(), StopwordModification(TEXTFOOLER_STOP_WORDS), InputColumnModification(),
                   WordEmbeddingDistance(vectors, 0.5), PartOfSpeech(res.tagger(), allow_verb_noun_swap=True), use),
                  GreedyWordSwapWIR("delete"), paper=PAPERS["textfooler"], concurrency=CONCURRENCY)


def textbugger(res: AttackResources) -> Recipe:
    """`TextBuggerLi2018`: a space inserted, a character deleted, two neighbours swapped (one random position
    each, first and last characters kept), every homoglyph swap, the 5 nearest embedding words; RepeatModification,
    StopwordModification (NLTK's list, here `res.stop_words`), USE over the whole text against the original (its
    0.8 -> MiniLM cosine `CALIBRATION["textbugger"]`); greedy search ranked by deletion (not gradients)."""
    bugs = Composite((CharInsertion(" "), CharDeletion(), NeighbourCharSwap(), HomoglyphSwap(),
                      EmbeddingSwap(res.vectors().unfiltered(), max_candidates=5)))
    return Recipe("textbugger", bugs,
                  (RepeatModification(), StopwordModification(res.stop_words),
                   SentenceEncoder(res.similarity(), res.threshold("textbugger"))),
                  GreedyWordSwapWIR("delete"), paper=PAPERS["textbugger"], concurrency=CONCURRENCY)


def hotflip(res: AttackResources) -> Recipe:
    """`HotFlipEbrahimi2017` cannot be built for a Hugging Face classifier in TextAttack 0.3.11 (see the module
    docstring); raises `ChainauditError` saying so."""
    raise ChainauditError(
        "TextAttack 0.3.11 cannot run hotflip_ebrahimi_2017 on a Hugging Face classifier: its "
        "WordSwapGradientBased accepts only TextAttack's word-level LSTMForClassification (shared/validators.py) "
        "and needs a tokenizer with convert_id_to_word; use --flavor paper for white-box HotFlip, or "
        "--attack hotflip-blackbox")


RECIPES: dict[str, Callable[[AttackResources], Recipe]] = {
    "pwws": pwws, "textfooler": textfooler, "textbugger": textbugger, "hotflip": hotflip,
}
