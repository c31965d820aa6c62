"""Byte-pair segmentation as SCPN was trained with (subword-nmt's `apply_bpe`, codes version 0.2, vocabulary
threshold 50), written from the algorithm of Sennrich, Haddow & Birch (ACL 2016).

A word is split into characters (the last one carrying the end-of-word mark `</w>`), then the adjacent pair of
lowest merge rank is merged, repeatedly, until no pair is in the codes. With a vocabulary, a segment that is
rare in the training data (count below the threshold) is split back along its merges. Non-final segments carry
the separator `@@`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

SEPARATOR = "@@"
END = "</w>"


@dataclass(frozen=True)
class BPE:
    """Merge ranks and (optionally) the vocabulary of segments seen at least `threshold` times."""

    ranks: dict[tuple[str, str], int]
    vocab: frozenset[str] | None = None
    reverse: dict[str, tuple[str, str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        reverse: dict[str, tuple[str, str]] = {}
        for (a, b), _ in sorted(self.ranks.items(), key=lambda kv: -kv[1]):
            reverse[a + b] = (a, b)  # the lowest rank wins
        object.__setattr__(self, "reverse", reverse)

    @classmethod
    def load(cls, codes: Path, vocab: Path | None = None, threshold: int = 50) -> BPE:
        ranks: dict[tuple[str, str], int] = {}
        with codes.open(encoding="utf-8") as fh:
            lines = [line.rstrip("\r\n") for line in fh]
        if lines and lines[0].startswith("#version"):
            lines = lines[1:]
        for line in lines:
            parts = line.split(" ")
            if len(parts) == 2:
                ranks.setdefault((parts[0], parts[1]), len(ranks))
        words = None
        if vocab is not None:
            with vocab.open(encoding="utf-8") as fh:
                words = frozenset(w for w, _, n in (line.rstrip("\r\n").rpartition(" ") for line in fh)
                                  if w and n.isdigit() and int(n) >= threshold)
        return cls(ranks, words)

    def segment(self, tokens: list[str]) -> list[str]:
        """BPE segments of already-tokenised words (`@@` on all but each word's last segment)."""
        out: list[str] = []
        for token in tokens:
            pieces = self.encode(token)
            out.extend(p + SEPARATOR for p in pieces[:-1])
            out.append(pieces[-1])
        return out

    def encode(self, word: str) -> list[str]:
        if len(word) <= 1:
            return [word]
        parts = [*word[:-1], word[-1] + END]
        while len(parts) > 1:
            pairs = set(pairwise(parts))
            best = min(pairs, key=lambda p: self.ranks.get(p, len(self.ranks)))
            if best not in self.ranks:
                break
            merged: list[str] = []
            i = 0
            while i < len(parts):
                if i + 1 < len(parts) and (parts[i], parts[i + 1]) == best:
                    merged.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        if parts[-1] == END:
            parts = parts[:-1]
        elif parts[-1].endswith(END):
            parts[-1] = parts[-1][: -len(END)]
        return self._in_vocab(parts) if self.vocab is not None else parts

    def _in_vocab(self, parts: list[str]) -> list[str]:
        out: list[str] = []
        for i, part in enumerate(parts):
            final = i == len(parts) - 1
            if self._known(part, final):
                out.append(part)
            else:
                out.extend(self._split(part, final))
        return out

    def _known(self, part: str, final: bool) -> bool:
        assert self.vocab is not None
        return (part if final else part + SEPARATOR) in self.vocab

    def _split(self, part: str, final: bool) -> Iterator[str]:
        """Undo the merge that made `part`, recursively, until the pieces are in the vocabulary."""
        pair = self.reverse.get(part + END if final else part)
        if pair is None:
            yield part
            return
        left, right = pair
        if final:
            right = right[: -len(END)]
        yield from [left] if self._known(left, False) else self._split(left, False)
        yield from [right] if self._known(right, final) else self._split(right, final)


def reverse_bpe(segments: list[str]) -> list[str]:
    """Join `@@`-marked segments back into words."""
    words: list[str] = []
    pending = ""
    for seg in segments:
        if seg.endswith(SEPARATOR):
            pending += seg[: -len(SEPARATOR)]
        else:
            words.append(pending + seg)
            pending = ""
    if pending:
        words.append(pending)
    return words
