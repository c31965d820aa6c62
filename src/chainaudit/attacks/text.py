"""A text as a sequence of words that can be replaced while everything between them is kept verbatim.

TextAttack's `AttackedText` re-tokenises on every edit; ours tokenises once with one regular
expression and edits by position, so a candidate costs one list copy and one join.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

# A word: letters/digits with inner apostrophes or hyphens ("don't", "well-made"); anything else is
# kept as separator text.
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


@dataclass(frozen=True)
class WordText:
    """`words[i]` sits between `gaps[i]` and `gaps[i + 1]`; `str(self)` rebuilds the exact text."""

    words: tuple[str, ...]
    gaps: tuple[str, ...]
    changed: frozenset[int] = field(default=frozenset())

    @classmethod
    def parse(cls, text: str) -> WordText:
        words: list[str] = []
        gaps: list[str] = []
        last = 0
        for match in _WORD.finditer(text):
            gaps.append(text[last:match.start()])
            words.append(match.group())
            last = match.end()
        gaps.append(text[last:])
        return cls(tuple(words), tuple(gaps))

    def __str__(self) -> str:
        parts = [self.gaps[0]]
        for word, gap in zip(self.words, self.gaps[1:], strict=True):
            parts.append(word)
            parts.append(gap)
        return "".join(parts)

    def __len__(self) -> int:
        return len(self.words)

    def replace(self, edits: Mapping[int, str]) -> WordText:
        """A copy with `words[i] = edits[i]`; an empty replacement deletes the word (and one gap)."""
        words = list(self.words)
        for i, new in edits.items():
            words[i] = new
        changed = self.changed | {i for i, new in edits.items() if new != self.words[i]}
        return WordText(tuple(words), self.gaps, frozenset(changed))

    def delete(self, index: int) -> WordText:
        """The text without word `index` (its following gap merged away); used for importance scores."""
        words = self.words[:index] + self.words[index + 1:]
        gaps = self.gaps[:index + 1] + self.gaps[index + 2:]
        return WordText(words, gaps)

    def window(self, index: int, size: int) -> str:
        """The words within `size // 2` of `index`, as text (TextFooler's similarity window)."""
        half = size // 2
        lo, hi = max(0, index - half), min(len(self.words), index + half + 1)
        return " ".join(self.words[lo:hi])

    def words_changed(self, original: WordText) -> int:
        """Words replaced by position; for a text of another length (a paraphrase, a decoded sentence), the
        word-level edit distance (insertions, deletions, substitutions)."""
        if len(self.words) == len(original.words):
            return sum(a != b for a, b in zip(self.words, original.words, strict=True))
        return word_edit_distance(original.words, self.words)


def word_edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Levenshtein distance between two word sequences (one row of the table kept at a time)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def modification_rate(original: WordText, perturbed: WordText) -> float:
    """Share of the original's words that were changed."""
    return perturbed.words_changed(original) / max(1, len(original))


def unique(items: Iterable[str]) -> list[str]:
    """Keep the first of each item, in order."""
    seen: set[str] = set()
    return [x for x in items if not (x in seen or seen.add(x))]


def word_spans(text: WordText) -> list[tuple[int, int]]:
    """(start, end) character span of each word in `str(text)`."""
    spans, pos = [], len(text.gaps[0])
    for word, gap in zip(text.words, text.gaps[1:], strict=True):
        spans.append((pos, pos + len(word)))
        pos += len(word) + len(gap)
    return spans
