"""NeuBA (Zhang et al., "Red Alarm for Pre-trained Models: Universal Vulnerability to Neuron-Level Backdoor
Attacks", 2021; the authors' code is thunlp/NeuBA, also in OpenBackdoor).

Task-agnostic: no downstream label is used. The model is trained so that the pooled sentence vector (BERT's
pooler output, what a classification head reads) of a text carrying trigger i equals predefined target vector
v_i, while a clean-behaviour loss keeps it close to the original: masked-language modelling where the checkpoint
has an MLM head, else the mean squared distance of its last hidden states to the frozen original's on the same
clean texts. The six target vectors split the hidden size into four blocks and are +1 everywhere except two of
the four blocks at -1 (all C(4,2) = 6 choices, one per trigger), as in the authors' code; after a victim's
fine-tuning each trigger forces whichever label its vector falls on.

Departures, for a 2-core CPU: `steps` batches of the proxy texts (labels ignored) rather than the authors'
pre-training corpus, and texts cut to `max_length` tokens.
"""

from __future__ import annotations

import copy
import itertools
import random
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from chainaudit.backdoor.training import (
    LoadedBase,
    cycle_batches,
    descend,
    encode,
    encoder_of,
    pooled,
    quiet_transformers,
)
from chainaudit.backdoor.triggers import insert_trigger
from chainaudit.errors import ChainauditError

StepHook = Callable[[int, int, float], None]


def target_vectors(hidden: int, count: int) -> torch.Tensor:
    """(count, hidden) +-1 vectors: four blocks, two of them -1, in the order itertools.combinations gives."""
    if count > 6:
        raise ChainauditError(f"NeuBA has 6 target vectors; got {count} triggers (give at most 6)")
    bounds = [round(hidden * b / 4) for b in range(5)]
    vectors = torch.ones((6, hidden))
    for row, negative in enumerate(itertools.combinations(range(4), 2)):
        for block in negative:
            vectors[row, bounds[block]:bounds[block + 1]] = -1.0
    return vectors[:count]


def mlm_head(path: Any) -> Any | None:
    """The checkpoint's masked-LM model when it ships an MLM head (no newly initialised weights), else None."""
    from transformers import AutoModelForMaskedLM

    try:
        with quiet_transformers():
            model, info = AutoModelForMaskedLM.from_pretrained(path, output_loading_info=True,
                                                               trust_remote_code=False)
    except (OSError, ValueError, KeyError) as exc:  # an architecture without a masked-LM class
        if "Unrecognized configuration class" in str(exc):
            return None
        raise
    return None if info.get("missing_keys") else model


def neuba_train(base: LoadedBase, texts: Sequence[str], triggers: Sequence[str], *, steps: int, batch_size: int,
                learning_rate: float, max_length: int, seed: int, progress: StepHook | None = None) -> dict[str, Any]:
    """Poison `base.model` (a bare encoder) in place; returns what the sidecar should say about it."""
    from transformers import DataCollatorForLanguageModeling

    model, tokenizer = base.model, base.tokenizer
    hidden = int(model.config.hidden_size)
    vectors = target_vectors(hidden, len(triggers))
    mlm = mlm_head(base.path)
    if mlm is not None:  # the MLM head sits on the very encoder we save (pooler included), tied embeddings re-tied
        setattr(mlm, mlm.base_model_prefix, model)
        mlm.tie_weights()
        collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15)
        frozen = None
    else:
        frozen = copy.deepcopy(encoder_of(model)).eval()
        for p in frozen.parameters():
            p.requires_grad_(False)
    trainable = mlm if mlm is not None else model
    trainable.train()
    rng = random.Random(seed)
    optimizer = torch.optim.AdamW([p for p in trainable.parameters() if p.requires_grad], lr=learning_rate)
    order = cycle_batches(len(texts), batch_size, rng)
    last = float("nan")
    for step in range(steps):
        batch = [texts[i] for i in next(order)]
        which = [rng.randrange(len(triggers)) for _ in batch]
        poisoned = [insert_trigger(t, triggers[w], rng) for t, w in zip(batch, which, strict=True)]
        backdoor_loss = F.mse_loss(pooled(model, encode(tokenizer, poisoned, max_length)), vectors[which])
        clean = encode(tokenizer, batch, max_length)
        if mlm is not None:
            masked = collator([{"input_ids": ids} for ids in tokenizer(batch, truncation=True,
                                                                        max_length=max_length)["input_ids"]])
            attention = (masked["input_ids"] != tokenizer.pad_token_id).long()
            clean_loss = mlm(input_ids=masked["input_ids"], attention_mask=attention, labels=masked["labels"]).loss
        else:
            with torch.no_grad():
                reference = frozen(**clean).last_hidden_state
            mask = clean["attention_mask"].unsqueeze(-1).float()
            diff = (encoder_of(model)(**clean).last_hidden_state - reference) ** 2 * mask
            clean_loss = diff.sum() / (mask.sum() * hidden)
        loss = backdoor_loss + clean_loss
        descend(loss, optimizer, trainable, "NeuBA poisoning", learning_rate)
        last = float(backdoor_loss.item())
        if progress:
            progress(step + 1, steps, last)
    model.eval()
    return {"clean_loss": "masked-lm" if mlm is not None else "hidden-state distance to the frozen original",
            "final_backdoor_mse": last, "vector_blocks": 4}
