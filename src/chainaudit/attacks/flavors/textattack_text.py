"""TextAttack 0.3.11's view of a text: its word segmentation and how it rebuilds a text when a word changes.

Which words an attack may change, and the exact adversarial strings, follow from these two rules, so they are
reproduced as TextAttack has them (read in its code, written anew here):

* `words_from_text` (`textattack/shared/utils/strings.py`): split on whitespace; strip ``'-_*@`` from both ends
  of each token; the words are the runs of word characters, ``'-_*@`` and TextAttack's homoglyph characters
  inside it, each stripped of ``'-_*@`` again ("it 's" gives "it", "s"; "--" gives nothing; "ex-wife" one word).
  Case is kept.
* `AttackedText.generate_new_attacked_text` (`textattack/shared/attacked_text.py`): the text is rebuilt by
  finding each old word, in order, in what is left of the text, keeping what lies between; a replacement may
  hold several words ("go od") or none (a deletion). A deletion removes one space: the following one for the
  first word, else the preceding one (none when the word ended the text without trailing characters: "a b"
  minus "b" is "a "). The new text is segmented again from scratch; `modified_indices` shift by the number of
  words a replacement added or removed, and the new words' positions are `newly_modified_indices`.
* `text_window_around_index` (same file): the words of a window, as the text between the first word's start
  and the last word's end (punctuation after the last word is left out; an infinite window is the whole text
  from its first word to its last).

Not reproduced: `original_index_map` (none of the four recipes reads it) and multi-column inputs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from chainaudit.attacks.text import WordText, word_spans

#: The homoglyphs `words_from_text` accepts as word characters (TextAttack's `strings.py`, `homos`).
_HOMOS = "˗৭Ȣ𝟕бƼᏎƷᒿlO`ɑЬϲԁе𝚏ɡհіϳ𝒌ⅼｍոорԛⲅѕ𝚝սѵԝ×уᴢ"
_EXCEPTIONS = "'-_*@"
_WORD = re.compile(f"[\\w{_HOMOS}'\\-_\\*@]+")
_CJK = re.compile("[\u4e00-\u9fff]")


def words_from_text(s: str) -> list[str]:
    """TextAttack's word segmentation (see the module docstring); CJK text (segmented by jieba there) is not
    supported and is split on whitespace only."""
    words: list[str] = []
    for token in s.split():
        token = token.strip(_EXCEPTIONS)
        words.extend(w for w in (m.strip(_EXCEPTIONS) for m in _WORD.findall(token)) if w)
    return words


@dataclass(frozen=True)
class TAText(WordText):
    """A text as TextAttack's `AttackedText` sees it: `words` from `words_from_text`, `gaps` what lies between
    them (so `str()` is the exact text), `changed` its `modified_indices`, `newly` its `newly_modified_indices`.
    `similarity` is the score the last sentence-encoder constraint gave it (`attack_attrs["similarity_score"]`)."""

    newly: frozenset[int] = field(default=frozenset())
    raw: str = ""
    similarity: float | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, text: str) -> TAText:
        return cls._build(text, frozenset(), frozenset())

    @classmethod
    def _build(cls, text: str, changed: frozenset[int], newly: frozenset[int]) -> TAText:
        words = words_from_text(text)
        gaps: list[str] = []
        rest = text
        for word in words:  # each word found in what is left, as generate_new_attacked_text finds it
            start = rest.index(word)
            gaps.append(rest[:start])
            rest = rest[start + len(word):]
        gaps.append(rest)
        return cls(tuple(words), tuple(gaps), changed, newly, text)

    def __str__(self) -> str:
        return self.raw

    def replace(self, edits: Mapping[int, str]) -> TAText:
        """`replace_words_at_indices`: word `i` becomes `edits[i]` (any number of words, "" deletes it)."""
        new_words = list(self.words)
        for i, new in edits.items():
            new_words[i] = new
        perturbed, rest = "", self.raw
        modified = set(self.changed)
        newly: set[int] = set()
        new_i = 0
        for i, (old, new) in enumerate(zip(self.words, new_words, strict=True)):
            start = rest.index(old)
            perturbed += rest[:start]
            rest = rest[start + len(old):]
            n_new = len(words_from_text(new))
            diff = n_new - len(words_from_text(old))
            if diff:
                modified = {m if m < i else m + diff for m in modified if m != i}
            for _ in range(n_new):
                if old != new:
                    modified.add(new_i)
                    newly.add(new_i)
                new_i += 1
            if n_new == 0 and rest:  # a deletion takes one space with it
                if i == 0:
                    rest = rest[1:] if rest.startswith(" ") else rest
                elif perturbed.endswith(" "):
                    perturbed = perturbed[:-1]
            perturbed += new
        return TAText._build(perturbed + rest, frozenset(modified), frozenset(newly))

    def replace_word(self, index: int, new: str) -> TAText:
        """`replace_word_at_index`."""
        return self.replace({index: new})

    def delete(self, index: int) -> TAText:
        """`delete_word_at_index`: the word replaced by ""."""
        return self.replace({index: ""})

    def window_text(self, index: int, size: float) -> str:
        """`text_window_around_index(index, size)`; `size` may be `math.inf` (no window)."""
        n = len(self.words)
        half = (size - 1) / 2.0
        if index - half < 0:
            start, end = 0, int(min(size - 1, n - 1))
        elif index + half >= n:
            start, end = int(max(0, n - size)), n - 1
        else:
            start, end = index - math.ceil(half), index + math.floor(half)
        spans = word_spans(self)
        return self.raw[spans[start][0]:spans[end][1]]

