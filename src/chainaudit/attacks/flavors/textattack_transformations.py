"""TextAttack 0.3.11's word swaps: the replacement words each proposes for one word (`textattack/transformations/`).

Each is an engine `Transformation` (text, index, ctx) -> replacement words; the search builds the candidate texts
with `TAText.replace_word`, drops a replacement equal to the word (`WordSwap._get_transformations`) and, for a
`Composite`, duplicate texts. Quirks kept:

* `WordNetSwap` (`word_swap_wordnet.py`, `WordSwapWordNet`): the lemma names of every synset of the word in every
  part of speech (NLTK's `synsets` lowercases and lemmatises the query), as WordNet spells them (case kept:
  "Hollywood"), skipping the word itself (compared with its case), names with "_" and names that are not one
  word for `words_from_text`. No part-of-speech filter, no case matching.
* `EmbeddingSwap` (`word_swap_embedding.py`, `WordSwapEmbedding`): the `max_candidates` nearest words of the
  lowercased word (nearest by L2 distance, the first neighbour, the word itself, skipped: `WordEmbedding.
  nearest_neighbours`), no similarity floor here (TextFooler's cos >= 0.5 is a separate constraint), each given
  the word's case by `recover_word_case` (lower, UPPER for words of 2+ letters, Capitalised, else as is).
* `CharInsertion`, `CharDeletion`, `NeighbourCharSwap` (`word_swap_random_character_insertion.py`, `..._deletion.py`,
  `word_swap_neighboring_character_swap.py`) as TextBugger builds them (`random_one=True`, first and last
  character skipped): one position drawn with numpy's legacy `randint(start, end)`, `start` 1 and `end` len-1
  (len-2 for the swap), nothing when `start >= end` or the word has one character; TextBugger inserts a space,
  so "good" can become the two words "go od". The draws come from one `numpy.random.RandomState` per sample
  seeded as TextAttack seeds numpy (`sample_rng`), in TextAttack's order (insertion, deletion, swap, each time
  a word is visited).
* `HomoglyphSwap` (`word_swap_homoglyph_swap.py`, `WordSwapHomoglyphSwap`, `random_one=False`): one candidate per
  character that has a homoglyph in TextAttack's table (`HOMOGLYPHS`, its `self.homos`).
* `Composite` (`composite_transformation.py`): the parts' candidates in order, duplicate texts removed.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from chainaudit.attacks.engine import AttackContext, Transformation
from chainaudit.attacks.flavors.textattack_text import words_from_text
from chainaudit.attacks.text import WordText

if TYPE_CHECKING:
    from chainaudit.resources.word_vectors import WordVectors

#: TextAttack's homoglyph table (`WordSwapHomoglyphSwap.homos`, `word_swap_homoglyph_swap.py`): data.
HOMOGLYPHS: dict[str, str] = {
    "-": "˗", "9": "৭", "8": "Ȣ", "7": "𝟕", "6": "б", "5": "Ƽ", "4": "Ꮞ", "3": "Ʒ", "2": "ᒿ", "1": "l", "0": "O",
    "'": "`", "a": "ɑ", "b": "Ь", "c": "ϲ", "d": "ԁ", "e": "е", "f": "𝚏", "g": "ɡ", "h": "հ", "i": "і", "j": "ϳ",
    "k": "𝒌", "l": "ⅼ", "m": "ｍ", "n": "ո", "o": "о", "p": "р", "q": "ԛ", "r": "ⲅ", "s": "ѕ", "t": "𝚝", "u": "ս",
    "v": "ѵ", "w": "ԝ", "x": "×", "y": "у", "z": "ᴢ",
}

#: TextAttack's default seed (`AttackArgs.random_seed`, `attack_args.py`): numpy's global RNG is seeded with it.
TEXTATTACK_SEED = 765

_RNGS: weakref.WeakKeyDictionary[AttackContext, np.random.RandomState] = weakref.WeakKeyDictionary()


def sample_rng(ctx: AttackContext) -> np.random.RandomState:
    """The sample's numpy RNG for TextAttack's random character edits: `RandomState(765 + seed)`, new for each
    sample, i.e. numpy's global RNG as TextAttack seeds it (`AttackArgs.random_seed`, 765 for our seed 0) when it
    is re-seeded before every sample (as `benchmarks/peers/run_peer.py` does), so a sample's edits do not depend
    on the samples attacked before it."""
    rng = _RNGS.get(ctx)
    if rng is None:
        rng = _RNGS[ctx] = np.random.RandomState(TEXTATTACK_SEED + ctx.seed)
    return rng


def recover_word_case(word: str, reference: str) -> str:
    """`recover_word_case` (`word_swap_embedding.py`): `word` in the case pattern of `reference`."""
    if reference.islower():
        return word.lower()
    if reference.isupper() and len(reference) > 1:
        return word.upper()
    if reference[0].isupper() and reference[1:].islower():
        return word.capitalize()
    return word


@lru_cache(maxsize=50_000)
def wordnet_lemma_names(word: str) -> tuple[str, ...]:
    """Lemma names of every WordNet synset of `word` (all parts of speech), as WordNet spells them."""
    from chainaudit.resources.wordnet import _LOCK, get_wordnet

    wn = get_wordnet()
    names: dict[str, None] = {}
    with _LOCK:
        for synset in wn.synsets(word):
            for name in synset.lemma_names():
                names.setdefault(name)
    return tuple(names)


@dataclass(frozen=True)
class WordNetSwap:
    """`WordSwapWordNet`: WordNet lemma names of the word in any sense (see the module docstring)."""

    lemma_names: Callable[[str], Sequence[str]] = wordnet_lemma_names

    def __call__(self, text: WordText, index: int, ctx: AttackContext) -> list[str]:
        word = text.words[index]
        return [s for s in self.lemma_names(word) if s != word and "_" not in s and len(words_from_text(s)) == 1]


@dataclass(frozen=True)
class EmbeddingSwap:
    """`WordSwapEmbedding(max_candidates)`: the nearest words in the embedding, in the word's case."""

    vectors: WordVectors
    max_candidates: int = 15

    def __call__(self, text: WordText, index: int, ctx: AttackContext) -> list[str]:
        word = text.words[index]
        near = self.vectors.neighbours(word.lower(), k=self.max_candidates, min_cos=-math.inf)
        return [recover_word_case(w, word) for w, _ in near]


def _position(ctx: AttackContext, word: str, end: int) -> int | None:
    """One random position in [1, end) as TextAttack draws it (None, and no draw, when the range is empty)."""
    if len(word) <= 1 or end <= 1:
        return None
    return int(sample_rng(ctx).randint(1, end))


@dataclass(frozen=True)
class CharInsertion:
    """`WordSwapRandomCharacterInsertion(random_one=True, skip_first_char=True, skip_last_char=True)`."""

    letters: str = " "

    def __call__(self, text: WordText, index: int, ctx: AttackContext) -> list[str]:
        word = text.words[index]
        i = _position(ctx, word, len(word) - 1)
        if i is None:
            return []
        letter = self.letters if len(self.letters) == 1 else ctx.rng.choice(self.letters)
        return [word[:i] + letter + word[i:]]


@dataclass(frozen=True)
class CharDeletion:
    """`WordSwapRandomCharacterDeletion(random_one=True, skip_first_char=True, skip_last_char=True)`."""

    def __call__(self, text: WordText, index: int, ctx: AttackContext) -> list[str]:
        word = text.words[index]
        i = _position(ctx, word, len(word) - 1)
        return [] if i is None else [word[:i] + word[i + 1:]]


@dataclass(frozen=True)
class NeighbourCharSwap:
    """`WordSwapNeighboringCharacterSwap(random_one=True, skip_first_char=True, skip_last_char=True)`."""

    def __call__(self, text: WordText, index: int, ctx: AttackContext) -> list[str]:
        word = text.words[index]
        i = _position(ctx, word, len(word) - 2)
        return [] if i is None else [word[:i] + word[i + 1] + word[i] + word[i + 2:]]


@dataclass(frozen=True)
class HomoglyphSwap:
    """`WordSwapHomoglyphSwap(random_one=False)`: every character with a homoglyph, one candidate each."""

    def __call__(self, text: WordText, index: int, ctx: AttackContext) -> list[str]:
        word = text.words[index]
        return [word[:i] + HOMOGLYPHS[ch] + word[i + 1:] for i, ch in enumerate(word) if ch in HOMOGLYPHS]


@dataclass(frozen=True)
class Composite:
    """`CompositeTransformation`: each part's replacements in order; the search removes duplicate texts."""

    parts: tuple[Transformation, ...]
    #: Read by the search: a composite removes duplicate candidate texts, a single word swap does not.
    dedupe: bool = True

    def __call__(self, text: WordText, index: int, ctx: AttackContext) -> list[str]:
        return [w for part in self.parts for w in part(text, index, ctx)]
