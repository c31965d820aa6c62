"""OpenAttack 2.1.1's English text processing, reproduced: its tokeniser, POS tags, detokeniser and filter words.

Quirks reproduced (OpenAttack file, function):

* `text_process/tokenizer/punct_tokenizer.py`, `PunctTokenizer.do_tokenize`: sentences are split (punkt), each
  sentence is cut by NLTK's `WordPunctTokenizer` (runs of word characters, runs of other non-space characters: "it's"
  -> "it", "'", "s"; "well-made" -> "well", "-", "made"), and the tokens of all sentences are POS-tagged together.
  Penn tags map on their first two letters: JJ* adj, VB* verb, NN* noun, RB* adv, all else "other" (so MD and WRB
  are "other", unlike the universal tagset).
* `PunctTokenizer.do_detokenize`: tokens are joined with single spaces, so every adversarial text comes out
  re-spaced ("it ' s a charming journey .").
* `attack_assist/filter_words/english.py`, `ENGLISH_FILTER_WORDS`: TextFooler's stop-word list (ours,
  `resources.stopwords.STOP_WORDS`) plus "be" and "have"; matched case-sensitively against the tokens.

Stand-ins for what OpenAttack downloads (parity contract): punkt's trained English model -> NLTK's untrained
`PunktSentenceTokenizer()`; NLTK's averaged perceptron -> `resources.pos.penn_tag` (offline Brill-style tagger).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from nltk.tokenize import PunktSentenceTokenizer, WordPunctTokenizer

from chainaudit.attacks.text import WordText, word_edit_distance
from chainaudit.resources.stopwords import STOP_WORDS

#: OpenAttack's filter words: TextFooler's stop words plus two more.
FILTER_WORDS: frozenset[str] = STOP_WORDS | {"be", "have"}

#: Penn tag prefix -> OpenAttack POS (`punct_tokenizer._POS_MAPPING`).
PENN_PREFIX = {"JJ": "adj", "VB": "verb", "NN": "noun", "RB": "adv"}
#: Universal tag -> OpenAttack POS, for an injected universal tagger (tests).
UNIVERSAL = {"ADJ": "adj", "VERB": "verb", "NOUN": "noun", "ADV": "adv"}

#: `tokens -> OpenAttack POS per token` ("noun", "verb", "adj", "adv" or "other").
OATagger = Callable[[list[str]], list[str]]


_WORD_PUNCT = WordPunctTokenizer()


def penn_tagger(penn: Callable[[list[str]], list[str]]) -> OATagger:
    """OpenAttack POS from a Penn tagger, by tag prefix as `PunctTokenizer` does."""
    return lambda tokens: [PENN_PREFIX.get(tag[:2], "other") for tag in penn(tokens)]


def universal_tagger(tag: Callable[[list[str]], list[str]]) -> OATagger:
    """OpenAttack POS from a universal tagger (ADJ, VERB, NOUN, ADV; else "other")."""
    return lambda tokens: [UNIVERSAL.get(t, "other") for t in tag(tokens)]


def detokenize(tokens: Sequence[str]) -> str:
    """`PunctTokenizer.do_detokenize`: the tokens joined by single spaces."""
    return " ".join(tokens)


@dataclass
class PunctTokenizer:
    """OpenAttack's `PunctTokenizer`: sentence split, word-punct tokens, one tagging pass; results kept per text
    (the searches re-tokenise the same windows many times)."""

    tagger: OATagger
    _sentences: PunktSentenceTokenizer = field(default_factory=PunktSentenceTokenizer, repr=False)
    _words: WordPunctTokenizer = field(default_factory=WordPunctTokenizer, repr=False)
    _tagged: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict, repr=False)

    def tokenize(self, text: str) -> list[str]:
        """Tokens without tags (`tokenize(x, pos_tagging=False)`)."""
        return [tok for sentence in self._sentences.tokenize(text) for tok in self._words.tokenize(sentence)]

    def tokenize_tagged(self, text: str) -> tuple[list[str], list[str]]:
        """(tokens, OpenAttack POS of each), tagged together as one sequence."""
        hit = self._tagged.get(text)
        if hit is None:
            tokens = self.tokenize(text)
            hit = (tuple(tokens), tuple(self.tagger(tokens)) if tokens else ())
            if len(self._tagged) >= 50_000:
                self._tagged.clear()
            self._tagged[text] = hit
        return list(hit[0]), list(hit[1])


@dataclass(frozen=True)
class OpenAttackText(WordText):
    """A detokenised OpenAttack token list as a `WordText` (`str` is the space-joined tokens). Words changed are
    counted on the word-punct tokens of both texts, lowercased, so OpenAttack's lowercasing and re-spacing are not
    counted as edits (by position; the token edit distance when a bug split a token)."""

    @classmethod
    def of(cls, tokens: Sequence[str]) -> OpenAttackText:
        gaps = ("",) + (" ",) * (len(tokens) - 1) + ("",) if tokens else ("",)
        return cls(tuple(tokens), gaps)

    def words_changed(self, original: WordText) -> int:
        ours, theirs = _WORD_PUNCT.tokenize(str(self).lower()), _WORD_PUNCT.tokenize(str(original).lower())
        if len(ours) == len(theirs):
            return sum(a != b for a, b in zip(ours, theirs, strict=True))
        return word_edit_distance(theirs, ours)
