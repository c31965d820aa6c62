"""Constraints: what a perturbation must keep. Index rules are checked before candidates are made;
candidate rules filter whole candidate sets in one batch (one encoder call, one tagger pass)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chainaudit.attacks.engine import AttackContext, BaseConstraint, Similarity
from chainaudit.attacks.text import WordText


@dataclass(frozen=True)
class StopWords(BaseConstraint):
    """Never change a stop word (TextFooler keeps them)."""

    words: frozenset[str]

    def allows(self, current: WordText, index: int, ctx: AttackContext) -> bool:
        return current.words[index].lower() not in self.words


class RepeatModification(BaseConstraint):
    """Change each word at most once."""

    def allows(self, current: WordText, index: int, ctx: AttackContext) -> bool:
        return index not in current.changed


@dataclass(frozen=True)
class MaxModificationRate(BaseConstraint):
    """Change at most `rate` of the words (at least one)."""

    rate: float

    def allows(self, current: WordText, index: int, ctx: AttackContext) -> bool:
        limit = max(1, int(self.rate * len(ctx.original)))
        return index in current.changed or len(current.changed) < limit


@dataclass(frozen=True)
class SentenceSimilarity(BaseConstraint):
    """Keep candidates whose sentence-encoder cosine to a reference text is >= `threshold`.

    With `window` (TextFooler: 15 words), only the words around the changed one are compared, and
    `skip_shorter` lets texts shorter than the window through unchecked, as TextFooler's released code
    does. The reference is the original text, or with `against_original=False` the text before this
    swap (TextFooler). `similarity(a, b)` returns the pairwise cosines.
    """

    similarity: Similarity
    threshold: float
    window: int | None = None
    against_original: bool = True
    skip_shorter: bool = False

    def filter(self, current: WordText, index: int, candidates: list[WordText],
               ctx: AttackContext) -> list[WordText]:
        reference = ctx.original if self.against_original else current
        if self.window is None:
            originals = [str(reference)] * len(candidates)
            texts = [str(c) for c in candidates]
        else:
            if self.skip_shorter and len(reference) < self.window:
                return candidates
            originals = [reference.window(index, self.window)] * len(candidates)
            texts = [c.window(index, self.window) for c in candidates]
        keep = self.similarity(originals, texts) >= self.threshold
        return [c for c, k in zip(candidates, keep, strict=True) if k]


@dataclass(frozen=True)
class PartOfSpeech(BaseConstraint):
    """The new word must take the original word's part of speech in context (TextFooler, PWWS).

    `tagger(tokens)` returns one universal tag per token; words are tagged in a window of 5 around
    the change, which is what decides a word's tag for a rule-based tagger. `verb_noun_swap` accepts a
    NOUN for a VERB and back, as TextFooler's released code does.
    """

    tagger: Callable[[list[str]], list[str]]
    context: int = 5
    verb_noun_swap: bool = False

    def _tag_at(self, text: WordText, index: int) -> str:
        lo = max(0, index - self.context)
        window = list(text.words[lo:index + self.context + 1])
        return self.tagger(window)[index - lo]

    def filter(self, current: WordText, index: int, candidates: list[WordText],
               ctx: AttackContext) -> list[WordText]:
        wanted = ctx.window_pos.get(index)
        if wanted is None:
            wanted = ctx.window_pos[index] = self._tag_at(ctx.original, index)
        loose = {"NOUN", "VERB"} if self.verb_noun_swap and wanted in ("NOUN", "VERB") else {wanted}
        return [c for c in candidates if self._tag_at(c, index) in loose]
