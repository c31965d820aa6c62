"""The GAN's tokenizer and vocabulary, built from a dataset's training sentences.

Texts are lowercased and split into words and punctuation marks (SST-2's own style); decoded token lists are
joined with single spaces. Words outside the vocabulary are read as `<unk>`; the decoder never writes `<unk>`
(nor `<pad>`/`<sos>`), so an out-of-vocabulary input word comes back as some in-vocabulary word.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

PAD, SOS, EOS, UNK = "<pad>", "<sos>", "<eos>", "<unk>"
SPECIALS = (PAD, SOS, EOS, UNK)
PAD_ID, SOS_ID, EOS_ID, UNK_ID = range(4)
_TOKEN = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*|['’][^\W_]+|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Lowercased words (inner apostrophes/hyphens kept; SST's "'s" one token) and single punctuation marks."""
    return _TOKEN.findall(text.lower())


@dataclass(frozen=True)
class Vocab:
    """Token ↔ id; ids 0-3 are `<pad> <sos> <eos> <unk>`. `max_len` counts words (without `<sos>/<eos>`)."""

    tokens: tuple[str, ...]
    max_len: int = 30

    @classmethod
    def build(cls, texts: Iterable[str], *, size: int = 10_000, max_len: int = 30, min_count: int = 1) -> Vocab:
        """The `size` most frequent tokens (ties by first appearance) seen at least `min_count` times."""
        counts = Counter(tok for text in texts for tok in tokenize(text)[:max_len])
        common = [t for t, c in counts.most_common(max(0, size - len(SPECIALS))) if c >= min_count]
        return cls(SPECIALS + tuple(t for t in common if t not in SPECIALS), max_len)

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def index(self) -> dict[str, int]:
        cached = self.__dict__.get("_index")
        if cached is None:
            cached = {t: i for i, t in enumerate(self.tokens)}
            object.__setattr__(self, "_index", cached)
        return cached

    def encode(self, text: str) -> list[int]:
        """Token ids of the first `max_len` tokens, ending with `<eos>` (no `<sos>`)."""
        index = self.index
        return [index.get(t, UNK_ID) for t in tokenize(text)[:self.max_len]] + [EOS_ID]

    def decode(self, ids: Iterable[int]) -> str:
        """Tokens up to the first `<eos>`, specials dropped, joined with spaces."""
        words = []
        for i in ids:
            if i == EOS_ID:
                break
            if i >= len(SPECIALS):
                words.append(self.tokens[i])
        return " ".join(words)

    def coverage(self, texts: Sequence[str]) -> float:
        """Share of the texts' tokens that are in the vocabulary."""
        index = self.index
        toks = [t for text in texts for t in tokenize(text)]
        return sum(t in index for t in toks) / max(1, len(toks))


def batch(seqs: Sequence[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad id lists (each ending in `<eos>`) to a (B, T) tensor; also their lengths."""
    lengths = torch.tensor([len(s) for s in seqs])
    out = torch.full((len(seqs), int(lengths.max())), PAD_ID, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = torch.tensor(s)
    return out, lengths
