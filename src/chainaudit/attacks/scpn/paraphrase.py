"""Paraphrase one sentence under each template: tokenise, BPE, parse, expand templates, decode."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch

from chainaudit.attacks.scpn.bpe import BPE, reverse_bpe
from chainaudit.attacks.scpn.model import SCPN, Decoded, ParseNet, State, StepFn, beam_search, sample
from chainaudit.attacks.scpn.parse import Parser, deleaf, tokenize
from chainaudit.attacks.scpn.templates import EOP, TEMPLATES, template_tokens

Decoding = Literal["beam", "sample"]


@dataclass(frozen=True)
class Paraphrase:
    """One template's output: the expanded target parse (labels) and the paraphrase (space-joined tokens)."""

    template: str
    parse: str
    text: str


@dataclass
class Paraphraser:
    """The loaded SCPN pipeline. `decoding="beam"` is the authors' (width 3, deterministic); `"sample"` draws
    each token from the model, reproducibly for a given seed."""

    scpn: SCPN
    parse_net: ParseNet
    bpe: BPE
    vocab: dict[str, int]
    rev_vocab: dict[int, str]
    tagset: dict[str, int]
    parser: Parser
    beam: int = 3
    parse_steps: int = 150
    sentence_steps: int = 40
    decoding: Decoding = "beam"

    @torch.no_grad()
    def paraphrase(self, text: str, templates: Sequence[str] = TEMPLATES, *, seed: int = 0) -> list[Paraphrase]:
        """One paraphrase of `text` per template, in template order."""
        tokens = tokenize(text)
        sentence = [self.vocab[s] for s in self.bpe.segment([t.lower() for t in tokens]) if s in self.vocab]
        sentence.append(self.vocab["EOS"])
        unknown = self.tagset["X"]
        input_parse = [self.tagset.get(label, unknown) for label in deleaf(self.parser(tokens))]
        tpl = [[self.tagset[t] for t in template_tokens(x)] for x in templates]
        generator = torch.Generator().manual_seed(seed)
        step, state = self.parse_net.stepper(torch.tensor([input_parse]), *_pad(tpl))
        # An empty expansion (EOP first) falls back to the template itself; EOP is not in the SCPN's vocabulary.
        parses = [d.tokens or ids[:-1] for d, ids in
                  zip(self._decode(step, state, self.tagset[EOP], self.parse_steps, generator), tpl, strict=True)]
        limit = self.scpn.trans_embs.num_embeddings  # the label vocabulary without EOP
        parses = [[i for i in p if i < limit] or [self.tagset["ROOT"]] for p in parses]
        step, state = self.scpn.stepper(torch.tensor([sentence]), *_pad(parses),
                                        input_parse=torch.tensor([[i for i in input_parse if i < limit]]))
        decoded = self._decode(step, state, self.vocab["EOS"], self.sentence_steps, generator)
        labels = {i: t for t, i in self.tagset.items()}
        return [Paraphrase(template, " ".join(labels[i] for i in parse),
                           " ".join(reverse_bpe([self.rev_vocab[i] for i in d.tokens if i in self.rev_vocab])))
                for template, parse, d in zip(templates, parses, decoded, strict=True)]

    def _decode(self, step: StepFn, state: State, eos: int, steps: int,
                generator: torch.Generator) -> list[Decoded]:
        if self.decoding == "sample":
            return sample(step, state, eos, generator=generator, max_steps=steps)
        return beam_search(step, state, eos, beam=self.beam, max_steps=steps)


def _pad(seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-padded (n, longest) ids and their lengths."""
    lens = torch.tensor([len(s) for s in seqs])
    out = torch.zeros(len(seqs), int(lens.max()), dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = torch.tensor(s)
    return out, lens
