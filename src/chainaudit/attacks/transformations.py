"""Transformations: the replacement words proposed for one position of a text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chainaudit.attacks.engine import AttackContext
from chainaudit.attacks.text import WordText, unique

UNIVERSAL_TO_WORDNET = {"NOUN": "noun", "VERB": "verb", "ADJ": "adj", "ADV": "adv"}


def match_case(original: str, new: str) -> str:
    """Give `new` the capitalisation pattern of `original` (ALL CAPS, Capitalised, or as is)."""
    if original.isupper() and len(original) > 1:
        return new.upper()
    if original[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


def context_pos(ctx: AttackContext, tagger: Callable[[list[str]], list[str]], index: int) -> str:
    """The universal POS of the original word `index`, tagged in context once per sample."""
    if ctx.pos_tags is None:
        ctx.pos_tags = tagger(list(ctx.original.words))
    return ctx.pos_tags[index]


@dataclass(frozen=True)
class WordNetSynonyms:
    """WordNet synonyms of the word for its part of speech in context (PWWS, OpenAttack's HotFlip)."""

    synonyms: Callable[[str, str | None], list[str]]
    tagger: Callable[[list[str]], list[str]] | None = None

    def __call__(self, text: WordText, index: int, ctx: AttackContext) -> list[str]:
        word = text.words[index]
        pos = UNIVERSAL_TO_WORDNET.get(context_pos(ctx, self.tagger, index)) if self.tagger else None
        if self.tagger and pos is None:
            return []  # function words have no WordNet synonyms worth trying
        return unique(match_case(word, s) for s in self.synonyms(word.lower(), pos)
                      if " " not in s and s != word.lower())


@dataclass(frozen=True)
class EmbeddingNeighbours:
    """The `k` nearest words in a (counter-fitted) word-vector space with cosine >= `min_cos`
    (TextFooler: k=50, 0.5)."""

    vectors: Any  # resources.word_vectors.WordVectors
    k: int = 50
    min_cos: float = 0.5

    def __call__(self, text: WordText, index: int, ctx: AttackContext) -> list[str]:
        word = text.words[index]
        return [match_case(word, w) for w, _ in self.vectors.neighbours(word.lower(), k=self.k, min_cos=self.min_cos)]


#: Visually similar characters (TextBugger's "Sub-C"): digits and symbols that read like letters.
VISUAL: dict[str, str] = {"o": "0", "l": "1", "i": "1", "a": "@", "e": "3", "s": "$", "t": "7", "b": "6",
                          "g": "9", "z": "2", "O": "0", "I": "1", "S": "5", "B": "8"}


@dataclass(frozen=True)
class TextBuggerBugs:
    """TextBugger's five bugs (Li et al. 2019): insert a space, delete a middle character, swap two
    adjacent middle characters, substitute a visually similar character, and substitute one of the
    `k` nearest neighbours in word-vector space (Sub-W). Random choices come from the sample's RNG."""

    vectors: Any | None = None  # resources.word_vectors.WordVectors; None disables Sub-W
    k: int = 5

    def __call__(self, text: WordText, index: int, ctx: AttackContext) -> list[str]:
        word, rng = text.words[index], ctx.rng
        bugs: list[str] = []
        if len(word) >= 2:
            cut = rng.randrange(1, len(word))
            bugs.append(word[:cut] + " " + word[cut:])
        if len(word) >= 3:
            cut = rng.randrange(1, len(word) - 1)
            bugs.append(word[:cut] + word[cut + 1:])
        if len(word) >= 4:
            cut = rng.randrange(1, len(word) - 2)
            bugs.append(word[:cut] + word[cut + 1] + word[cut] + word[cut + 2:])
        similar = [i for i, ch in enumerate(word) if ch in VISUAL]
        if similar:
            i = rng.choice(similar)
            bugs.append(word[:i] + VISUAL[word[i]] + word[i + 1:])
        if self.vectors is not None:
            bugs += [match_case(word, w) for w, _ in self.vectors.neighbours(word.lower(), k=self.k, min_cos=0.0)]
        return unique(b for b in bugs if b != word)
