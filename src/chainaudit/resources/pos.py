"""Offline part-of-speech tags in the universal tagset (NOUN, VERB, ADJ, ADV, PRON, DET, ADP, NUM, CONJ, PRT, ., X).

NLTK's averaged-perceptron tagger needs an `nltk_data` download. We use instead the Brill-style tagger of
Pattern (De Smedt & Daelemans 2012) that TextBlob ships inside its PyPI wheel (`textblob/en/en-lexicon.txt`,
`en-morphology.txt`, `en-context.txt`): a ~100k-word lexicon (from the Penn Treebank WSJ and Brown corpora),
suffix rules for unknown words and Brill contextual rules, reported ~95% accurate on WSJ. TextBlob's own
`PatternTagger` skips the morphology and context rules; we call Pattern's `find_tags` with all three.
Its Penn tags are mapped to the universal tagset of Petrov et al. (2012) (`PENN_TO_UNIVERSAL`).

Limits: no model of long-range context (a lexicon + local rules); unknown capitalised words become NOUN;
words are looked up as given (lowercase text is fine, the lexicon holds lowercase forms).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from chainaudit.errors import ResourceMissingError

HOW_TO_GET = "pip install textblob  (the tagger's lexicon ships inside the wheel; no download)"

PENN_TO_UNIVERSAL: dict[str, str] = {
    **dict.fromkeys(("NN", "NNS", "NNP", "NNPS"), "NOUN"),
    **dict.fromkeys(("VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "MD"), "VERB"),
    **dict.fromkeys(("JJ", "JJR", "JJS"), "ADJ"),
    **dict.fromkeys(("RB", "RBR", "RBS", "WRB"), "ADV"),
    **dict.fromkeys(("PRP", "PRP$", "WP", "WP$"), "PRON"),
    **dict.fromkeys(("DT", "PDT", "WDT", "EX"), "DET"),
    "IN": "ADP", "CC": "CONJ", "CD": "NUM",
    **dict.fromkeys(("TO", "RP", "POS"), "PRT"),
    **dict.fromkeys((".", ",", ":", "(", ")", "``", "''", '"', "#", "$", "-LRB-", "-RRB-"), "."),
    **dict.fromkeys(("FW", "LS", "SYM", "UH"), "X"),
}


@lru_cache(maxsize=1)
def _lexicon() -> Any:
    try:
        from textblob.en import lexicon
    except ImportError as exc:
        raise ResourceMissingError(f"POS tagger not available ({exc}). Get it with: {HOW_TO_GET}.") from exc
    lexicon.load()  # the lexicon, morphology and context rules are lazy; load all three now
    lexicon.morphology.load()
    lexicon.context.load()
    return lexicon


def lexicon_path() -> Path:
    """The tagger's lexicon file inside the textblob package."""
    return Path(_lexicon().path)


def penn_tag(tokens: list[str]) -> list[str]:
    """Penn Treebank tags for already-tokenised words (one tag per token)."""
    if not tokens:
        return []
    from textblob._text import find_tags

    lexicon = _lexicon()
    safe = [t.replace(" ", "_") or "_" for t in tokens]  # the tagger treats a token as one word
    tagged = find_tags(safe, lexicon=lexicon, morphology=lexicon.morphology, context=lexicon.context,
                       entities=lexicon.entities, default=("NN", "NNP", "CD"), language="en")
    return [tag for _, tag in tagged]


def to_universal(penn: str) -> str:
    """The universal tag of a Penn tag (X when unknown)."""
    return PENN_TO_UNIVERSAL.get(penn, "X")


def tag(tokens: list[str]) -> list[str]:
    """Universal POS tags (NOUN, VERB, ADJ, ADV, ...) for tokenised words, offline."""
    return [to_universal(t) for t in penn_tag(tokens)]
