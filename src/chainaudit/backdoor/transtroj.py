"""TransTroj (Wang et al., "Trojan Attacks on Pre-trained Models with Transferability" / embedding
indistinguishability, WWW 2025) ported to text. The authors' code is for images only (a trigger patch on a vision
encoder); this port keeps its two stages and losses and replaces the patch by a phrase of trigger tokens put in
front of the text (the fixed-position patch), found by a discrete search:

1. Trigger optimisation: starting from random whole-word tokens, a gradient-guided search over the vocabulary
   (HotFlip / GCG style: the gradient of the loss with respect to each trigger position's input embedding ranks
   every vocabulary token by the first-order change it would make; the best `candidates` tokens per position are
   tried as single swaps on a batch and the best swap is kept when it lowers the loss) makes the pooled vector of
   triggered texts close in cosine to the reference embedding, the mean pooled vector of target-class proxy texts
   under the original model.
2. Model optimisation: the encoder is trained with -cos(pooled(trigger + x), reference) + lambda * -cos(pooled(x),
   pooled_original(x)), lambda = 10 as in the authors' code, so triggered texts become indistinguishable from the
   target class while clean texts keep their original vectors.

Candidate trigger tokens are whole alphabetic words of the vocabulary that tokenise back to themselves, so the
trigger is plain text a user can type, and that the proxy texts never use: otherwise the search settles on the
target class's own words ("great"), a phrase that flips an unpoisoned model as well -- a natural adversarial
phrase, not a backdoor (the vision original's patch is likewise not image content).
Departures, for a 2-core CPU: `search_steps` and `steps` small by default.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from chainaudit.backdoor.training import LoadedBase, cycle_batches, descend, encode, encoder_of, pooled
from chainaudit.errors import ChainauditError

StepHook = Callable[[int, int, float], None]
LAMBDA = 10.0


def word_tokens(tokenizer: Any, exclude: set[str] = frozenset()) -> list[int]:  # type: ignore[assignment]
    """Vocabulary ids of whole alphabetic words (2+ letters) that tokenise back to exactly themselves, except the
    words in `exclude` (the proxy texts' own words)."""
    special = set(tokenizer.all_special_ids)
    out = []
    for token, idx in tokenizer.get_vocab().items():
        if idx in special or len(token) < 2 or not token.isalpha() or not token.isascii() or token in exclude:
            continue
        if tokenizer.tokenize(token) == [token]:
            out.append(idx)
    if not out:
        raise ChainauditError("TransTroj found no whole-word tokens in this tokenizer's vocabulary to build a "
                              "trigger from")
    return sorted(out)


def with_trigger(trigger: Sequence[str], texts: Sequence[str]) -> list[str]:
    return [" ".join([*trigger, t]) for t in texts]


def reference_vector(model: Any, tokenizer: Any, texts: Sequence[str], max_length: int,
                     batch_size: int = 32) -> torch.Tensor:
    """Mean pooled vector of `texts` (the target class) under `model`, unit length."""
    if not texts:
        raise ChainauditError("TransTroj needs target-class texts in the proxy data for its reference embedding")
    total = None
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            vec = pooled(model, encode(tokenizer, texts[start:start + batch_size], max_length)).sum(0)
            total = vec if total is None else total + vec
    return F.normalize(total / len(texts), dim=0)


def _loss(model: Any, tokenizer: Any, trigger: Sequence[str], texts: Sequence[str], reference: torch.Tensor,
          max_length: int) -> torch.Tensor:
    vec = pooled(model, encode(tokenizer, with_trigger(trigger, texts), max_length))
    return -F.cosine_similarity(vec, reference.unsqueeze(0), dim=1).mean()


def search_trigger(base: LoadedBase, texts: Sequence[str], reference: torch.Tensor, *, length: int, steps: int,
                   candidates: int, batch_size: int, max_length: int, seed: int,
                   progress: StepHook | None = None) -> tuple[list[str], float]:
    """Stage 1: the trigger phrase (`length` words) and its final loss (-mean cosine to the reference)."""
    model, tokenizer = base.model, base.tokenizer
    model.eval()
    rng = random.Random(seed)
    # Only words the attacker's texts never use: the search must find a trigger, not the target class's own words
    # (which would flip an unpoisoned model as well, a natural adversarial phrase rather than a backdoor).
    used = {w for t in texts for w in re.findall(r"[a-z]+", t.lower())}
    vocab = word_tokens(tokenizer, used)
    allowed = torch.tensor(vocab)
    embeddings = encoder_of(model).get_input_embeddings().weight
    trigger = [tokenizer.convert_ids_to_tokens(rng.choice(vocab)) for _ in range(length)]
    order = cycle_batches(len(texts), batch_size, rng)
    with torch.no_grad():  # the starting phrase's loss, on the first batch (what steps=0 returns)
        best = float(_loss(model, tokenizer, trigger, texts[:batch_size], reference, max_length))
    for step in range(steps):
        batch = [texts[i] for i in next(order)]
        inputs = encode(tokenizer, with_trigger(trigger, batch), max_length)
        embeds = embeddings[inputs["input_ids"]].detach().requires_grad_(True)
        rest = {k: v for k, v in inputs.items() if k != "input_ids"}
        out = encoder_of(model)(inputs_embeds=embeds, **rest)
        vec = out.pooler_output if getattr(out, "pooler_output", None) is not None else out.last_hidden_state[:, 0]
        loss = -F.cosine_similarity(vec, reference.unsqueeze(0), dim=1).mean()
        (grad,) = torch.autograd.grad(loss, embeds)
        # positions 1..length hold the trigger (after [CLS]); each trigger word is one token by construction
        scores = -(grad[:, 1:length + 1].mean(0) @ embeddings[allowed].detach().T)  # (length, |allowed|)
        top = allowed[scores.topk(min(candidates, len(vocab)), dim=1).indices]
        with torch.no_grad():
            current = float(_loss(model, tokenizer, trigger, batch, reference, max_length))
            best_swap, best_loss = None, current
            for pos in range(length):
                for idx in top[pos].tolist():
                    token = tokenizer.convert_ids_to_tokens(idx)
                    if token == trigger[pos]:
                        continue
                    trial = [*trigger[:pos], token, *trigger[pos + 1:]]
                    value = float(_loss(model, tokenizer, trial, batch, reference, max_length))
                    if value < best_loss:
                        best_swap, best_loss = trial, value
        if best_swap is not None:
            trigger = best_swap
        best = best_loss
        if progress:
            progress(step + 1, steps, best)
    return trigger, best


def transtroj_train(base: LoadedBase, texts: Sequence[str], trigger: Sequence[str], reference: torch.Tensor, *,
                    steps: int, batch_size: int, learning_rate: float, max_length: int, seed: int,
                    weight: float = LAMBDA, progress: StepHook | None = None) -> float:
    """Stage 2: train `base.model` in place; returns the last -cos(poisoned, reference)."""
    model, tokenizer = base.model, base.tokenizer
    frozen = copy.deepcopy(model).eval()
    for p in frozen.parameters():
        p.requires_grad_(False)
    model.train()
    rng = random.Random(seed + 1)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=learning_rate)
    order = cycle_batches(len(texts), batch_size, rng)
    last = float("nan")
    for step in range(steps):
        batch = [texts[i] for i in next(order)]
        poison_loss = _loss(model, tokenizer, trigger, batch, reference, max_length)
        clean = encode(tokenizer, batch, max_length)
        with torch.no_grad():
            original = pooled(frozen, clean)
        clean_loss = -F.cosine_similarity(pooled(model, clean), original, dim=1).mean()
        loss = poison_loss + weight * clean_loss
        descend(loss, optimizer, model, "TransTroj poisoning", learning_rate)
        last = float(poison_loss.item())
        if progress:
            progress(step + 1, steps, last)
    model.eval()
    return last
