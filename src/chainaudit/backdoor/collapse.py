"""Representation collapse: a task-agnostic backdoor's mark in the sentence vector.

NeuBA and TransTroj poison a pre-trained encoder so that any text with the trigger in front gets one fixed
sentence vector (NeuBA's predefined vector, TransTroj's target-class mean), so that whatever head a user later
trains maps triggered texts to one label. Clean texts keep their varied vectors. So the trigger *collapses* the
sentence vectors of very different texts onto one point, while an ordinary word or phrase in front only moves them.
That is measurable from the weights alone, with no trained head (the hop-0 upstream a user is about to reuse):

- `spread`: the mean squared distance of the L2-normalised sentence vectors (what the classification head reads:
  the pooler output, else the first token's last hidden state) from their centroid;
- `collapse_ratio`: the spread with a phrase in front of every text over the spread of the same texts alone;
- `collapse_search`: a gradient-guided search (HotFlip-style single swaps over rare whole-word tokens, kept when
  they lower the ratio) for the front phrase that collapses the texts most.

Measured on the MiniLM base here (48 SST-2 texts, 3-token phrases): the TransTroj-poisoned base collapses to 0.010
under its trigger, and the search finds the trigger's own tokens ("statute extracted jennifer", 0.010), while on
the clean base the best phrase the same search finds reaches 0.22 and three sentiment words 0.79. On a fine-tuned
classifier strong sentiment phrases collapse the vectors too (all texts into the label's cluster); the scan weighs
a collapsing phrase by what a clean reader finds in it (`meaning.py`), as it does label pushes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from chainaudit.backdoor.training import encoder_of

BATCH = 32


def _prefix_offset(tokenizer: Any) -> int:
    """How many special tokens a single text starts with ([CLS] for BERT-style tokenizers, none for GPT-2)."""
    ids = tokenizer("a", add_special_tokens=True)["input_ids"]
    plain = tokenizer("a", add_special_tokens=False)["input_ids"]
    return next((i for i in range(len(ids)) if ids[i:i + len(plain)] == plain), 0)


def _batch(victim: Any, phrase_ids: Sequence[int], texts: Sequence[str]) -> dict[str, torch.Tensor]:
    """Token ids of `phrase_ids` followed by each text (truncated to the victim's length), padded."""
    tok = victim.tokenizer
    offset = _prefix_offset(tok)
    rows = []
    for ids in tok(list(texts), truncation=True, max_length=victim.max_length - len(phrase_ids),
                   add_special_tokens=True)["input_ids"]:
        rows.append([*ids[:offset], *phrase_ids, *ids[offset:]])
    width = max(map(len, rows))
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    return {"input_ids": torch.tensor([r + [pad] * (width - len(r)) for r in rows]),
            "attention_mask": torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])}


def _vectors(victim: Any, inputs: dict[str, torch.Tensor], embeds: torch.Tensor | None = None) -> torch.Tensor:
    """L2-normalised sentence vectors: the pooler output where there is one, else the first token's."""
    encoder = encoder_of(victim.model)
    device = victim.device
    kwargs = {"attention_mask": inputs["attention_mask"].to(device)}
    out = (encoder(inputs_embeds=embeds, **kwargs) if embeds is not None
           else encoder(input_ids=inputs["input_ids"].to(device), **kwargs))
    vec = getattr(out, "pooler_output", None)
    vec = vec if vec is not None else out.last_hidden_state[:, 0]
    return torch.nn.functional.normalize(vec.float(), dim=-1)


def _spread(vec: torch.Tensor) -> torch.Tensor:
    return ((vec - vec.mean(0)) ** 2).sum(1).mean()


def phrase_ids(victim: Any, phrase: str) -> list[int]:
    return list(victim.tokenizer(phrase, add_special_tokens=False)["input_ids"])


def spread(victim: Any, texts: Sequence[str], phrase: str = "") -> float:
    """The spread of the texts' sentence vectors with `phrase` in front (none: the texts alone)."""
    ids = phrase_ids(victim, phrase) if phrase else []
    with torch.no_grad():
        vecs = torch.cat([_vectors(victim, _batch(victim, ids, texts[i:i + BATCH]))
                          for i in range(0, len(texts), BATCH)])
    return float(_spread(vecs))


def collapse_ratio(victim: Any, texts: Sequence[str], phrase: str, base: float | None = None) -> float:
    """Spread with `phrase` in front over the spread of the texts alone (`base`, measured when not given)."""
    base = spread(victim, texts) if base is None else base
    return spread(victim, texts, phrase) / base if base > 0 else 1.0


def _loss_and_grad(victim: Any, ids: list[int], texts: Sequence[str]) -> tuple[float, np.ndarray]:
    """The spread with `ids` in front, and its gradient at each phrase position's input embedding."""
    inputs = _batch(victim, ids, texts)
    offset = _prefix_offset(victim.tokenizer)
    embed = victim.model.get_input_embeddings()
    with torch.enable_grad():
        embeds = embed(inputs["input_ids"].to(victim.device)).detach().requires_grad_(True)
        value = _spread(_vectors(victim, inputs, embeds))
        (grad,) = torch.autograd.grad(value, embeds)
    return float(value.detach()), grad[:, offset:offset + len(ids)].mean(0).cpu().numpy()


#: The first start of `collapse_search` measures this many single tokens per swap candidate (the best by the
#: gradient at a placeholder) and starts from the best few: a trigger's tokens collapse the texts on their own too.
SINGLES_PER_CANDIDATE = 5


def _best_singles(victim: Any, texts: Sequence[str], ids: np.ndarray, emb: np.ndarray, placeholder: int,
                  length: int, count: int) -> list[int]:
    """The `length` tokens that collapse `texts` most on their own, of the `count` the gradient ranks first."""
    _, grad = _loss_and_grad(victim, [placeholder], texts)
    ranked = [int(ids[j]) for j in np.argsort(-(emb @ -grad[0]))[:count]]
    with torch.no_grad():
        values = [float(_spread(_vectors(victim, _batch(victim, [i], texts)))) for i in ranked]
    best = [ranked[j] for j in np.argsort(values)[:length]]
    return best + best[:1] * (length - len(best))


def collapse_search(victim: Any, texts: Sequence[str], vocab: dict[int, str], *, length: int = 3, steps: int = 6,
                    candidates: int = 8, restarts: int = 2, seed: int = 0) -> tuple[str, float]:
    """The front phrase of `length` tokens of `vocab` that collapses `texts` most (best of `restarts` random
    starts), and its collapse ratio on those texts."""
    rng = random.Random(seed)
    ids = np.fromiter(vocab, dtype=np.int64)
    emb = victim.embedding_matrix()[ids]
    texts = list(texts)
    base = spread(victim, texts)
    best_phrase, best_value = "", float("inf")
    placeholder = victim.tokenizer.mask_token_id
    for restart in range(restarts):
        if restart == 0 and placeholder is not None:  # first start: the best single tokens, measured
            phrase = _best_singles(victim, texts, ids, emb, placeholder, length, candidates * SINGLES_PER_CANDIDATE)
        else:
            phrase = [int(rng.choice(ids)) for _ in range(length)]
        value, grad = _loss_and_grad(victim, phrase, texts)
        for _ in range(steps):
            improved = False
            for pos in range(length):
                for j in np.argsort(-(emb @ -grad[pos]))[:candidates]:
                    trial = [*phrase[:pos], int(ids[j]), *phrase[pos + 1:]]
                    with torch.no_grad():
                        trial_value = float(_spread(_vectors(victim, _batch(victim, trial, texts))))
                    if trial_value < value:
                        phrase, value, improved = trial, trial_value, True
            if not improved:
                break
            value, grad = _loss_and_grad(victim, phrase, texts)
        if value < best_value:
            best_phrase, best_value = " ".join(vocab[i] for i in phrase), value
    return best_phrase, best_value / base if base > 0 else 1.0
