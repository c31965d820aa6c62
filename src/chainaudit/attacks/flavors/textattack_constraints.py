"""TextAttack 0.3.11's constraints (`textattack/constraints/`), over `TAText`.

Two kinds, as in TextAttack: pre-transformation constraints give the word indices that may change
(`PreTransformationConstraint._get_modifiable_indices`), built as Python sets the way TextAttack builds them so
that the search sees the indices in the same (set iteration) order; the others filter candidate texts against a
reference text, the original (`against_original`, TextAttack's `compare_against_original=True`) or the text the
candidates were made from. Quirks kept:

* `StopwordModification` (`stopword_modification.py`): a word is a stop word only as spelled (case-sensitive:
  "The" may change, "the" not).
* `WordEmbeddingDistance` (`semantics/word_embedding_distance.py`): against the original; words lowercased; a pair
  with a word outside the embedding passes (`include_unknown_words=True`); cos < `min_cos` fails.
* `PartOfSpeech` (`grammaticality/part_of_speech.py`): against the original; the old and the new word are each
  tagged (NLTK's `pos_tag`, universal tagset; here the `tagger` given) among the ORIGINAL's words, up to 4
  before and 3 after (the slice `[i + 1 : i + 4]`); a word's tag is that of its FIRST occurrence in that context
  (`word_list.index(word)`); nouns and verbs may swap (`allow_verb_noun_swap`); tags are cached per context.
* `SentenceEncoder` (`semantics/sentence_encoders/sentence_encoder.py`): the windows `text_window_around_index`
  of reference and candidate around the candidate's first new word (no window: both texts from first to last
  word), encoded and compared; with `skip_shorter`, a candidate of fewer words than the window scores 1; the
  score is kept on the candidate (`attack_attrs["similarity_score"]`) for the search's tie-break.
"""

from __future__ import annotations

import dataclasses
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from chainaudit.attacks.engine import AttackContext, BaseConstraint, Similarity
from chainaudit.attacks.flavors.textattack_text import TAText
from chainaudit.attacks.text import WordText

if TYPE_CHECKING:
    from chainaudit.resources.word_vectors import WordVectors

Tagger = Callable[[list[str]], list[str]]


class PreTransformationConstraint(BaseConstraint):
    """Gives the indices of `text` that may change; `allows` asks it for one index (engine compatibility)."""

    def modifiable(self, text: WordText) -> set[int]:
        raise NotImplementedError

    def allows(self, current: WordText, index: int, ctx: AttackContext) -> bool:
        return index in self.modifiable(current)


class RepeatModification(PreTransformationConstraint):
    """`RepeatModification`: a word already changed may not change again."""

    def modifiable(self, text: WordText) -> set[int]:
        return set(range(len(text.words))) - set(text.changed)


@dataclass(frozen=True)
class StopwordModification(PreTransformationConstraint):
    """`StopwordModification(stopwords)`: stop words (as spelled, case-sensitive) may not change."""

    stopwords: frozenset[str]

    def modifiable(self, text: WordText) -> set[int]:
        out: set[int] = set()
        for i, word in enumerate(text.words):
            if word not in self.stopwords:
                out.add(i)
        return out


class InputColumnModification(PreTransformationConstraint):
    """`InputColumnModification(["premise", "hypothesis"], {"premise"})` on a one-column text: every index
    (kept so the index set is built by the same set operations as TextAttack's)."""

    def modifiable(self, text: WordText) -> set[int]:
        return set(range(len(text.words)))


class CandidateConstraint(BaseConstraint):
    """Filters candidate texts against a reference: the original (`against_original`) or the current text."""

    against_original: bool = True

    def check_many(self, texts: list[TAText], reference: TAText, ctx: AttackContext) -> list[TAText]:
        raise NotImplementedError


@dataclass(frozen=True)
class WordEmbeddingDistance(CandidateConstraint):
    """`WordEmbeddingDistance(min_cos_sim)`: each new word's cosine to the original word >= `min_cos`."""

    vectors: WordVectors
    min_cos: float

    def _ok(self, text: TAText, reference: TAText) -> bool:
        for i in text.newly:
            if i >= len(reference.words) or i >= len(text.words):
                return False
            old, new = reference.words[i].lower(), text.words[i].lower()
            if old not in self.vectors or new not in self.vectors:
                continue
            if self.vectors.cos(old, new) < self.min_cos:
                return False
        return True

    def check_many(self, texts: list[TAText], reference: TAText, ctx: AttackContext) -> list[TAText]:
        return [t for t in texts if self._ok(t, reference)]


@dataclass(frozen=True)
class PartOfSpeech(CandidateConstraint):
    """`PartOfSpeech(allow_verb_noun_swap)`, NLTK tagger: see the module docstring."""

    tagger: Tagger
    allow_verb_noun_swap: bool = True
    cache_size: int = 2 ** 14
    _cache: OrderedDict[str, tuple[list[str], list[str]]] = field(default_factory=OrderedDict, compare=False,
                                                                  repr=False)

    def _pos(self, before: list[str], word: str, after: list[str]) -> str:
        context = [*before, word, *after]
        key = " ".join(context)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = (context, self.tagger(context))
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        words, tags = hit
        return tags[words.index(word)]

    def _can_replace(self, a: str, b: str) -> bool:
        return a == b or (self.allow_verb_noun_swap and {a, b} <= {"NOUN", "VERB"})

    def _ok(self, text: TAText, reference: TAText) -> bool:
        for i in text.newly:
            before = list(reference.words[max(i - 4, 0):i])
            after = list(reference.words[i + 1:min(i + 4, len(reference.words))])
            if not self._can_replace(self._pos(before, reference.words[i], after),
                                     self._pos(before, text.words[i], after)):
                return False
        return True

    def check_many(self, texts: list[TAText], reference: TAText, ctx: AttackContext) -> list[TAText]:
        return [t for t in texts if self._ok(t, reference)]


@dataclass(frozen=True)
class SentenceEncoder(CandidateConstraint):
    """`UniversalSentenceEncoder(threshold, window_size, compare_against_original, skip_text_shorter_than_window)`
    with `similarity` (cosine) for USE and `threshold` in its terms (see the module docstring)."""

    similarity: Similarity
    threshold: float
    window: float = math.inf
    against_original: bool = True
    skip_shorter: bool = False

    def check_many(self, texts: list[TAText], reference: TAText, ctx: AttackContext) -> list[TAText]:
        skipped = [self.skip_shorter and len(t.words) < self.window for t in texts]
        starts, ends = [], []
        for t, skip in zip(texts, skipped, strict=True):
            if not skip:  # a skipped text scores 1 without being encoded (TextAttack encodes it anyway)
                index = next(iter(t.newly))
                starts.append(reference.window_text(index, self.window))
                ends.append(t.window_text(index, self.window))
        scores = iter(np.asarray(self.similarity(starts, ends), dtype=np.float64) if starts else [])
        kept = []
        for t, skip in zip(texts, skipped, strict=True):
            score = 1.0 if skip else float(next(scores))
            if score >= self.threshold:
                kept.append(dataclasses.replace(t, similarity=score))
        return kept
