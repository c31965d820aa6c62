"""ARAE networks (Zhao, Kim, Zhang, Rush, LeCun 2018) and the inverter of Zhao, Dua, Singh (ICLR 2018).

A sentence is encoded by an LSTM into a code `c` on the unit sphere; an LSTM decoder, fed `c` at every step,
writes it back. A generator MLP maps Gaussian noise `z` to codes `G(z)`, a critic MLP scores codes (WGAN), and
an inverter MLP maps codes back to noise, `I(c)`, so that `G(I(c)) ≈ c`.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence

from chainaudit.attacks.gan.vocab import EOS_ID, PAD_ID, SOS_ID, UNK_ID

ADAPTIVE_CUTOFFS = (2000, 6000)


@dataclass(frozen=True)
class GanDims:
    """Sizes of the networks (small enough to train on a laptop CPU in minutes)."""

    vocab_size: int
    emb: int = 128
    hidden: int = 256
    code: int = 256
    z: int = 100
    mlp: int = 300

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _mlp(sizes: list[int], act: nn.Module) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act)
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """LSTM encoder to a unit-norm code, LSTM decoder from it (teacher-forced for training, greedy to write)."""

    def __init__(self, dims: GanDims) -> None:
        super().__init__()
        self.dims = dims
        self.embed = nn.Embedding(dims.vocab_size, dims.emb, padding_idx=PAD_ID)
        self.encoder = nn.LSTM(dims.emb, dims.hidden, batch_first=True)
        self.to_code = nn.Linear(dims.hidden, dims.code)
        # the code enters every decoder step added to the word embedding (W·[e; c] with W_c = W_e·P, cheaper than
        # ARAE's concatenation)
        self.code_in = nn.Linear(dims.code, dims.emb)
        self.code_h0 = nn.Linear(dims.code, dims.hidden)  # and starts the decoder's state, so it is used from step 1
        self.decoder = nn.LSTM(dims.emb, dims.hidden, batch_first=True)
        cutoffs = [c for c in ADAPTIVE_CUTOFFS if c < dims.vocab_size - 1]
        # an adaptive softmax (frequent words in the head) makes the output layer ~4x cheaper on a large vocabulary
        self.out: nn.Module = (nn.AdaptiveLogSoftmaxWithLoss(dims.hidden, dims.vocab_size, cutoffs, div_value=4.0)
                               if cutoffs else nn.Linear(dims.hidden, dims.vocab_size))

    def encode(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, T) token ids (each row ending in `<eos>`, padded) → (B, code) unit-norm codes."""
        # read right to left (Sutskever et al. 2014): the first words, which the decoder writes first, come last
        back = (lengths.unsqueeze(1) - 1 - torch.arange(ids.size(1))).clamp(min=0)
        reversed_ids = ids.gather(1, back)
        packed = pack_padded_sequence(self.embed(reversed_ids), lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        _, (h, _) = self.encoder(packed)
        return F.normalize(self.to_code(h[-1]), dim=1)

    def _code(self, code: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """The code's per-step input and the decoder's start state (the unit-norm code scaled to unit variance)."""
        code = code * self.dims.code ** 0.5
        h0 = torch.tanh(self.code_h0(code)).unsqueeze(0)
        return self.code_in(code), (h0, torch.zeros_like(h0))

    def decode_hidden(self, code: torch.Tensor, ids: torch.Tensor, word_dropout: float = 0.0,
                      generator: torch.Generator | None = None) -> torch.Tensor:
        """Decoder states (B, T, hidden) when reading `<sos>` + ids[:, :-1] with `code` fed at every step; with
        `word_dropout`, that share of the words read is replaced by `<unk>` (so the decoder must use the code)."""
        inputs = torch.cat([torch.full_like(ids[:, :1], SOS_ID), ids[:, :-1]], dim=1)
        if word_dropout > 0:
            drop = torch.rand(inputs.shape, generator=generator) < word_dropout
            inputs = inputs.masked_fill(drop & (inputs != PAD_ID) & (inputs != SOS_ID), UNK_ID)
        step_in, start = self._code(code)
        states, _ = self.decoder(self.embed(inputs) + step_in.unsqueeze(1), start)
        return states

    def reconstruction(self, code: torch.Tensor, ids: torch.Tensor, *, accuracy: bool = True,
                       word_dropout: float = 0.0, generator: torch.Generator | None = None
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean token cross-entropy of writing `ids` from `code`, and token accuracy (pads ignored; NaN when
        `accuracy` is False, which saves a full-vocabulary pass)."""
        states = self.decode_hidden(code, ids, word_dropout, generator)
        mask = ids != PAD_ID
        hidden, target = states[mask], ids[mask]
        if isinstance(self.out, nn.AdaptiveLogSoftmaxWithLoss):
            loss = self.out(hidden, target).loss
            if not accuracy:
                return loss, torch.tensor(float("nan"))
            with torch.no_grad():
                return loss, (self.out.predict(hidden) == target).float().mean()
        logits = self.out(hidden)
        return F.cross_entropy(logits, target), (logits.argmax(1) == target).float().mean()

    def log_probs(self, hidden: torch.Tensor) -> torch.Tensor:
        """(N, hidden) decoder states → (N, vocab) log-probabilities."""
        if isinstance(self.out, nn.AdaptiveLogSoftmaxWithLoss):
            return self.out.log_prob(hidden)
        return F.log_softmax(self.out(hidden), dim=1)

    @torch.no_grad()
    def generate(self, code: torch.Tensor, max_len: int) -> list[list[int]]:
        """Greedy decoding of a batch of codes: token ids up to (not including) `<eos>`, at most `max_len`."""
        n = code.size(0)
        token = torch.full((n,), SOS_ID, dtype=torch.long)
        code_in, state = self._code(code)
        out = torch.zeros((n, max_len), dtype=torch.long)
        done = torch.zeros(n, dtype=torch.bool)
        lengths = torch.full((n,), max_len, dtype=torch.long)
        for t in range(max_len + 1):
            h, state = self.decoder((self.embed(token) + code_in).unsqueeze(1), state)
            logits = self.log_probs(h[:, 0])
            logits[:, [PAD_ID, SOS_ID, UNK_ID]] = float("-inf")
            if t == max_len:
                break
            token = logits.argmax(1)
            ended = (token == EOS_ID) & ~done
            lengths[ended] = t
            done |= ended
            out[:, t] = token
            if bool(done.all()):
                break
        return [out[i, :int(lengths[i])].tolist() for i in range(n)]


class Generator(nn.Module):
    """z ~ N(0, I) → a unit-norm code."""

    def __init__(self, dims: GanDims) -> None:
        super().__init__()
        self.net = _mlp([dims.z, dims.mlp, dims.mlp, dims.code], nn.ReLU())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.net(z), dim=1)


class Critic(nn.Module):
    """WGAN critic over codes: low for real codes, high for generated ones (ARAE's sign convention)."""

    def __init__(self, dims: GanDims) -> None:
        super().__init__()
        self.net = _mlp([dims.code, dims.mlp, dims.mlp, 1], nn.LeakyReLU(0.2))

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        return self.net(code).squeeze(1)


class Inverter(nn.Module):
    """A code → the noise the generator would turn into it."""

    def __init__(self, dims: GanDims) -> None:
        super().__init__()
        self.net = _mlp([dims.code, dims.mlp, dims.mlp, dims.z], nn.ReLU())

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        return self.net(code)


class Arae(nn.Module):
    """The four trained parts together (one state dict, one safetensors file)."""

    def __init__(self, dims: GanDims) -> None:
        super().__init__()
        self.dims = dims
        self.autoencoder = Autoencoder(dims)
        self.generator = Generator(dims)
        self.critic = Critic(dims)
        self.inverter = Inverter(dims)
