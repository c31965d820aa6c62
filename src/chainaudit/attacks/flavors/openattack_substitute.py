"""OpenAttack 2.1.1's default English word substitute, `WordNetSubstitute`, reproduced over our WordNet reader.

Quirks reproduced (`attack_assist/substitute/word/english_wordnet.py`, `WordNetSubstitute.substitute` and
`prefilter`; `attack_assist/substitute/word/base.py`, `WordSubstitute.__call__`):

* candidates are the lemma names of every synset of the word for the POS, in WordNet's synset order (NLTK's
  `synsets`, which lemmatises with morphy), each cut to its FIRST word ("look_at" -> "look");
* dropped: the word itself (compared before lowercasing), and every candidate when the word is "be", "is", "are"
  or "am"; the rest are lowercased and deduplicated in order; no top-k;
* POS "other" has no candidates; POS None (TextBugger's Sub-W) is the union over adv, adj, noun, verb in that
  order (first occurrence kept: every distance is 1, so the stable sort keeps that order).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

#: OpenAttack POS -> WordNet POS letter.
WORDNET_POS = {"adv": "r", "adj": "a", "verb": "v", "noun": "n"}
#: The order `WordSubstitute.__call__` walks POS in when none is given ("other" never has any).
POS_ORDER = ("adv", "adj", "noun", "verb")
_BE = frozenset({"be", "is", "are", "am"})

#: `lemma_names(word, wordnet_letter)`: the raw lemma names of the word's synsets, in order.
LemmaNames = Callable[[str, str], list[str]]


def reader_lemma_names(wordnet: Any, lock: threading.Lock | None = None) -> LemmaNames:
    """Lemma names from an NLTK WordNet reader, cached (OpenAttack reads the same reader on every call)."""
    guard = lock or threading.Lock()

    @lru_cache(maxsize=100_000)
    def names(word: str, letter: str) -> tuple[str, ...]:
        with guard:
            return tuple(lemma.name() for synset in wordnet.synsets(word, pos=letter) for lemma in synset.lemmas())

    return lambda word, letter: list(names(word, letter))


def injected_lemma_names(synonyms: Callable[[str, str | None], list[str]]) -> LemmaNames:
    """Lemma names from an injected `synonyms(word, pos)` (tests: `AttackResources.wordnet_synonyms`)."""
    names = {letter: pos for pos, letter in WORDNET_POS.items()}
    return lambda word, letter: list(synonyms(word, names[letter]))


@dataclass(frozen=True)
class WordNetSubstitute:
    """`substitute(word, pos)`: OpenAttack's WordNet candidates, in its order (see the module docstring)."""

    lemma_names: LemmaNames
    _memo: dict[tuple[str, str | None], tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __call__(self, word: str, pos: str | None) -> list[str]:
        key = (word, pos)
        if key not in self._memo:
            self._memo[key] = tuple(self._union(word) if pos is None else self._for_pos(word, pos))
        return list(self._memo[key])

    def _for_pos(self, word: str, pos: str) -> list[str]:
        letter = WORDNET_POS.get(pos)
        if letter is None:
            return []
        token = word.replace("_", " ").split()[0] if word.strip() else word
        if token in _BE:
            return []
        out: list[str] = []
        for name in self.lemma_names(word, letter):
            first = name.replace("_", " ").split()[0]
            if first != token and first.lower() not in out:
                out.append(first.lower())
        return out

    def _union(self, word: str) -> list[str]:
        return list(dict.fromkeys(w for pos in POS_ORDER for w in self._for_pos(word, pos)))
