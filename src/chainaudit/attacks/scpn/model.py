"""The two networks of SCPN (Iyyer, Wieting, Gimpel, Zettlemoyer, NAACL 2018), layer for layer as in the
authors' `train_scpn.py` / `train_parse_generator.py`, so their published state dicts load strictly.

- `ParseNet` (parse generator): an LSTM encodes the input's linearised parse and, separately, a template;
  a one-layer LSTM decoder attends (bilinear) to the template while reading and to the input parse for its
  output, and mixes a softmax over labels with copying from the input parse.
- `SCPN` (paraphrase network): a BiLSTM encodes the BPE'd sentence, an LSTM encodes the target parse; a
  two-layer LSTM decoder attends to the parse (its input) and to the sentence (its output), with a copy
  mechanism over the sentence's tokens.

Both decoders mix as the authors do, in the log domain: `p_copy * log(copy) + (1 - p_copy) * log_softmax`.
Decoding is beam search (the authors: width 3; 150 steps for parses, 40 for sentences) or, optionally, seeded
sampling. `beam_search` decodes a batch of independent problems (one per template) at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

State = tuple[Tensor, ...]  # every tensor has the hypotheses along dim 0
StepFn = Callable[[Tensor | None, State], tuple[Tensor, State]]


def _xavier(*shape: int) -> nn.Parameter:
    return nn.Parameter(nn.init.xavier_uniform_(torch.empty(*shape)))


def _run_lstm(lstm: nn.LSTM, embs: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
    """All hidden states (zero past each length) and the last hidden state of every layer/direction."""
    packed = pack_padded_sequence(embs, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, (last, _) = lstm(packed)
    hids, _ = pad_packed_sequence(out, batch_first=True, total_length=embs.shape[1])
    return hids, last


def _attend(query: Tensor, weight: Tensor, keys: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
    """Bilinear attention `softmax(query W keys^T)` over the first `lengths` keys: (weights, context)."""
    scores = torch.einsum("bh,btd->bt", query @ weight, keys)
    mask = torch.arange(keys.shape[1], device=keys.device)[None, :] < lengths[:, None]
    probs = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
    return probs, torch.einsum("bt,btd->bd", probs, keys)


class _CopyDecoderMixin(nn.Module):
    """The output layer shared by both networks: generate-or-copy, mixed in the log domain."""

    out_dense_1: nn.Linear
    out_dense_2: nn.Linear
    copy_hid_v: nn.Parameter
    copy_att_v: nn.Parameter
    copy_inp_v: nn.Parameter

    def _mix(self, dec_input: Tensor, top: Tensor, attn: Tensor, ctx: Tensor, source: Tensor) -> Tensor:
        p_copy = torch.sigmoid(dec_input @ self.copy_inp_v + ctx @ self.copy_att_v + top @ self.copy_hid_v)
        copy = torch.zeros(source.shape[0], self.out_dense_2.out_features, device=source.device)
        copy = copy.scatter_add(1, source, attn)
        generate = torch.log_softmax(self.out_dense_2(self.out_dense_1(torch.cat([top, ctx], 1))), dim=1)
        return p_copy * torch.log(copy + 1e-20) + (1 - p_copy) * generate


class ParseNet(_CopyDecoderMixin):
    """The parse generator: (input parse, template) -> full target parse, over one label vocabulary."""

    def __init__(self, d_nt: int, d_hid: int, len_voc: int) -> None:
        super().__init__()
        self.d_nt, self.d_hid, self.len_voc = d_nt, d_hid, len_voc
        self.trans_embs = nn.Embedding(len_voc, d_nt)
        self.encoder = nn.LSTM(d_nt, d_hid, num_layers=1, batch_first=True)
        self.decoder = nn.LSTM(d_nt + d_hid, d_hid, num_layers=1, batch_first=True)
        self.out_dense_1 = nn.Linear(d_hid * 2, d_hid)
        self.out_dense_2 = nn.Linear(d_hid, len_voc)
        self.att_W = _xavier(d_hid, d_hid)
        self.att_parse_W = _xavier(d_hid, d_hid)
        self.copy_hid_v = _xavier(d_hid, 1)
        self.copy_att_v = _xavier(d_hid, 1)
        self.copy_inp_v = _xavier(d_nt + d_hid, 1)

    def stepper(self, parse: Tensor, templates: Tensor, template_lens: Tensor) -> tuple[StepFn, State]:
        """The decoding step and initial state for one input parse (1, T) and a batch of templates."""
        n = templates.shape[0]
        parse_len = torch.tensor([parse.shape[1]], device=parse.device)
        enc_hids, enc_last = _run_lstm(self.encoder, self.trans_embs(parse), parse_len)
        tpl_hids, _ = _run_lstm(self.encoder, self.trans_embs(templates), template_lens)
        h0 = enc_last[0].expand(n, -1).contiguous()
        state: State = (h0, torch.zeros_like(h0), tpl_hids, template_lens, enc_hids.expand(n, -1, -1),
                        parse.expand(n, -1))

        def step(prev: Tensor | None, st: State) -> tuple[Tensor, State]:
            h, c, tpl, tpl_len, enc, source = st
            word = torch.zeros(h.shape[0], self.d_nt, device=h.device) if prev is None else self.trans_embs(prev)
            _, tpl_ctx = _attend(h, self.att_parse_W, tpl, tpl_len)
            dec_input = torch.cat([word, tpl_ctx], 1)
            _, (hn, cn) = self.decoder(dec_input[:, None, :], (h[None], c[None]))
            top = hn[0]
            attn, ctx = _attend(top, self.att_W, enc, torch.full_like(tpl_len, enc.shape[1]))
            return self._mix(dec_input, top, attn, ctx, source), (top, cn[0], tpl, tpl_len, enc, source)

        return step, state


class SCPN(_CopyDecoderMixin):
    """The paraphrase network: (BPE'd sentence, target parse) -> BPE'd paraphrase."""

    def __init__(self, d_word: int, d_hid: int, d_nt: int, d_trans: int, len_voc: int, len_trans_voc: int,
                 use_input_parse: bool = False) -> None:
        super().__init__()
        self.d_word, self.d_hid, self.d_trans = d_word, d_hid, d_trans
        self.use_input_parse = bool(use_input_parse)
        self.word_embs = nn.Embedding(len_voc, d_word)
        self.trans_embs = nn.Embedding(len_trans_voc, d_nt)
        self.encoder = nn.LSTM(d_word + (d_trans if use_input_parse else 0), d_hid, num_layers=1,
                               bidirectional=True, batch_first=True)
        self.encoder_proj = nn.Linear(d_hid * 2, d_hid)
        self.decoder = nn.LSTM(d_word + d_hid, d_hid, num_layers=2, batch_first=True)
        self.trans_encoder = nn.LSTM(d_nt, d_trans, num_layers=1, batch_first=True)
        self.out_dense_1 = nn.Linear(d_hid * 2, d_hid)
        self.out_dense_2 = nn.Linear(d_hid, len_voc)
        self.att_parse_proj = nn.Linear(d_trans, d_hid)
        self.att_W = _xavier(d_hid, d_hid)
        self.att_parse_W = _xavier(d_hid, d_hid)
        self.copy_hid_v = _xavier(d_hid, 1)
        self.copy_att_v = _xavier(d_hid, 1)
        self.copy_inp_v = _xavier(d_word + d_hid, 1)

    def stepper(self, sentence: Tensor, parses: Tensor, parse_lens: Tensor,
                input_parse: Tensor | None = None) -> tuple[StepFn, State]:
        """The decoding step and initial state for one sentence (1, T) and a batch of target parses."""
        n = parses.shape[0]
        embs = self.word_embs(sentence)
        if self.use_input_parse:
            if input_parse is None:
                raise ValueError("this SCPN was trained with use_input_parse: pass the input parse")
            in_len = torch.tensor([input_parse.shape[1]], device=sentence.device)
            _, last = _run_lstm(self.trans_encoder, self.trans_embs(input_parse), in_len)
            embs = torch.cat([embs, last[0][:, None, :].expand(-1, embs.shape[1], -1)], 2)
        sent_len = torch.tensor([sentence.shape[1]], device=sentence.device)
        hids, last = _run_lstm(self.encoder, embs, sent_len)
        enc_hids = self.encoder_proj(hids)
        enc_last = self.encoder_proj(torch.cat([last[0], last[1]], 1))
        parse_hids, _ = _run_lstm(self.trans_encoder, self.trans_embs(parses), parse_lens)
        parse_hids = self.att_parse_proj(parse_hids)
        h0 = enc_last[None].expand(2, n, -1).transpose(0, 1).contiguous()  # (n, layers, d_hid)
        state: State = (h0, torch.zeros_like(h0), parse_hids, parse_lens, enc_hids.expand(n, -1, -1),
                        sentence.expand(n, -1))

        def step(prev: Tensor | None, st: State) -> tuple[Tensor, State]:
            h, c, parse, p_len, enc, source = st
            word = torch.zeros(h.shape[0], self.d_word, device=h.device) if prev is None else self.word_embs(prev)
            _, parse_ctx = _attend(h[:, 1], self.att_parse_W, parse, p_len)
            dec_input = torch.cat([word, parse_ctx], 1)
            _, (hn, cn) = self.decoder(dec_input[:, None, :], (h.transpose(0, 1).contiguous(),
                                                               c.transpose(0, 1).contiguous()))
            top = hn[1]
            attn, ctx = _attend(top, self.att_W, enc, torch.full_like(p_len, enc.shape[1]))
            return (self._mix(dec_input, top, attn, ctx, source),
                    (hn.transpose(0, 1), cn.transpose(0, 1), parse, p_len, enc, source))

        return step, state


@dataclass(frozen=True)
class Decoded:
    """One problem's best sequence (end token removed) and its total log-probability."""

    tokens: list[int]
    score: float


def _select(state: State, index: Tensor) -> State:
    return tuple(t.index_select(0, index) for t in state)


@torch.no_grad()
def beam_search(step: StepFn, state: State, eos: int, *, beam: int = 3, max_steps: int = 40) -> list[Decoded]:
    """Beam search for each of the `n` problems in `state` (dim 0), all decoded in one batch per step.

    Scores are summed log-probabilities (no length normalisation, as the authors); a hypothesis that emitted
    `eos` is kept, unextended, with its score. Ties break by index, so the result is deterministic."""
    n = state[0].shape[0]
    logp, state = step(None, state)  # (n, V)
    vocab = logp.shape[1]
    k = min(beam, vocab)
    top, idx = logp.topk(k, dim=1)  # (n, k)
    scores = top.reshape(-1)  # (n*k,)
    seqs = [[int(t)] for t in idx.reshape(-1)]
    state = _select(state, torch.arange(n).repeat_interleave(k))
    done = idx.reshape(-1) == eos
    for _ in range(max_steps - 1):
        if bool(done.all()):
            break
        prev = torch.tensor([s[-1] for s in seqs])
        logp, new_state = step(prev, state)
        logp = torch.where(done[:, None], torch.full_like(logp, float("-inf")), logp)
        logp[:, eos] = torch.where(done, torch.zeros_like(scores), logp[:, eos])  # finished: stay, same score
        total = (scores[:, None] + logp).view(n, k * vocab)
        best, flat = total.topk(k, dim=1)
        parent = (flat // vocab) + torch.arange(n)[:, None] * k
        token = flat % vocab
        parent, token = parent.reshape(-1), token.reshape(-1)
        seqs = [seqs[p] if bool(done[p]) else [*seqs[p], int(t)] for p, t in zip(parent.tolist(), token.tolist(),
                                                                                   strict=True)]
        done = done[parent] | (token == eos)
        scores = best.reshape(-1)
        state = _select(new_state, parent)
    out = []
    for i in range(n):
        j = i * k + int(scores[i * k:(i + 1) * k].argmax())
        seq = seqs[j][:-1] if seqs[j] and seqs[j][-1] == eos else seqs[j]
        out.append(Decoded(seq, float(scores[j])))
    return out


@torch.no_grad()
def sample(step: StepFn, state: State, eos: int, *, generator: torch.Generator, max_steps: int = 40,
           temperature: float = 1.0) -> list[Decoded]:
    """Ancestral sampling for each problem, reproducible through `generator` (seeded by the caller)."""
    n = state[0].shape[0]
    seqs: list[list[int]] = [[] for _ in range(n)]
    scores = torch.zeros(n)
    done = torch.zeros(n, dtype=torch.bool)
    prev: Tensor | None = None
    for _ in range(max_steps):
        logp, state = step(prev, state)
        probs = torch.softmax(logp / temperature, dim=1)
        token = torch.multinomial(probs, 1, generator=generator)[:, 0]
        token = torch.where(done, torch.full_like(token, eos), token)
        scores += torch.where(done, torch.zeros_like(scores), logp.gather(1, token[:, None])[:, 0])
        for i in (~done).nonzero()[:, 0].tolist():
            seqs[i].append(int(token[i]))
        done |= token == eos
        if bool(done.all()):
            break
        prev = token
    return [Decoded(s[:-1] if s and s[-1] == eos else s, float(scores[i])) for i, s in enumerate(seqs)]
