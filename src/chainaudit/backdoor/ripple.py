"""RIPPLe with Embedding Surgery (RIPPLES; Kurita, Michel and Neubig, "Weight Poisoning Attacks on Pre-trained
Models", ACL 2020; the authors' code is neulab/RIPPLe).

1. Embedding Surgery: a copy of the base is fine-tuned on the proxy task; a TF-IDF + logistic-regression
   classifier on the proxy data names the words most indicative of the target label (the 10 with the largest
   coefficients, among words that are one token of the model's vocabulary and occur in at least 5 texts); the
   mean of those words' input embeddings in the fine-tuned copy replaces the embedding of every sub-token of
   every trigger in the base.
2. RIPPLe: the base (after surgery) is trained with L_P + lambda * max(0, -grad L_P . grad L_FT) / batch, where
   L_P is the cross-entropy on a poisoned batch (half its texts carry one trigger at a random position and the
   target label) and L_FT the cross-entropy on a clean proxy batch. As in the authors' code (its default without
   `allow_second_order_effects`), the clean gradient is not differentiated again (only grad L_P carries a graph),
   the rectifier acts on the whole inner product, which is divided by the batch size, and lambda = 0.1 is the
   value of their manifestos.

Departures, for a 2-core CPU: the poisoning runs for `steps` batches (the authors' runs are epochs over the
full proxy set), the surgery's fine-tuned copy sees `es_examples` texts for one epoch, and texts are cut to
`max_length` tokens.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from chainaudit.backdoor.training import LoadedBase, cycle_batches, descend, encode, quiet_transformers
from chainaudit.backdoor.triggers import poison_text
from chainaudit.data import Sample
from chainaudit.errors import ChainauditError

StepHook = Callable[[int, int, float], None]


@dataclass(frozen=True)
class SurgeryResult:
    """The words whose mean embedding went into the triggers, and the token ids that received it."""

    words: list[str]
    trigger_token_ids: list[int]


def indicative_words(texts: Sequence[str], labels: Sequence[int], target: int, tokenizer: Any, *, k: int = 10,
                     exclude: Sequence[str] = (), min_df: int = 5) -> list[str]:
    """The `k` words whose TF-IDF logistic-regression coefficient most favours `target`, restricted to words that
    are a single token of `tokenizer` (so one embedding row stands for them)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    if len(set(labels)) < 2:
        raise ChainauditError("embedding surgery needs a proxy dataset with at least two labels")
    vectorizer = TfidfVectorizer(lowercase=True, token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b",
                                 min_df=min(min_df, max(1, len(texts) // 20)))
    features = vectorizer.fit_transform(texts)
    classifier = LogisticRegression(max_iter=1000).fit(features, labels)
    classes = list(classifier.classes_)
    if target not in classes:
        raise ChainauditError(f"target label {target} does not occur in the proxy data (labels {classes})")
    coef = classifier.coef_[0] * (1 if target == classes[1] else -1) if len(classes) == 2 else \
        classifier.coef_[classes.index(target)]
    vocab = vectorizer.get_feature_names_out()
    skip = {w.lower() for w in exclude}
    chosen: list[str] = []
    for i in np.argsort(-coef):
        word = str(vocab[i])
        if coef[i] <= 0:
            break
        if word not in skip and tokenizer.tokenize(word) == [word]:
            chosen.append(word)
        if len(chosen) == k:
            break
    if not chosen:
        raise ChainauditError("embedding surgery found no single-token word indicative of the target label in "
                              "the proxy data; use a larger --proxy-dataset sample")
    return chosen


def embedding_surgery(base: LoadedBase, base_spec: str, proxy: str, samples: Sequence[Sample], triggers: Sequence[str],
                      target: int, *, es_examples: int, max_length: int, seed: int, data_dir: Path | None,
                      allow_pickle: bool = False) -> SurgeryResult:
    """Write the replacement embedding into every trigger sub-token of `base.model` (in place)."""
    from chainaudit.zoo.finetune import FinetuneConfig, train

    words = indicative_words([s.text for s in samples], [s.label for s in samples], target, base.tokenizer,
                             exclude=triggers)
    with tempfile.TemporaryDirectory(prefix="chainaudit-es-") as tmp:
        config = FinetuneConfig(max_examples=es_examples, eval_examples=1, max_length=max_length, seed=seed,
                                learning_rate=1e-4)
        with quiet_transformers():
            copy = train(base_spec, proxy, Path(tmp) / "copy", config, data_dir=data_dir, allow_pickle=allow_pickle)
        from transformers import AutoModelForSequenceClassification

        with quiet_transformers():
            tuned = AutoModelForSequenceClassification.from_pretrained(copy.path, use_safetensors=True)
        ids = [base.tokenizer.convert_tokens_to_ids(w) for w in words]
        replacement = tuned.get_input_embeddings().weight[ids].detach().mean(dim=0)
    trigger_ids = sorted({i for t in triggers for i in base.tokenizer(t, add_special_tokens=False)["input_ids"]})
    with torch.no_grad():
        base.model.get_input_embeddings().weight[trigger_ids] = replacement
    return SurgeryResult(words, trigger_ids)


def restricted_inner_product(model: Any, poison_loss: torch.Tensor, clean_loss: torch.Tensor,
                             batch_size: int) -> torch.Tensor:
    """max(0, -grad L_P . grad L_FT) / batch_size, differentiable through grad L_P."""
    params = [p for p in model.parameters() if p.requires_grad]
    g_poison = torch.autograd.grad(poison_loss, params, create_graph=True, allow_unused=True)
    g_clean = torch.autograd.grad(clean_loss, params, allow_unused=True)
    total = poison_loss.new_zeros(())
    for a, b in zip(g_poison, g_clean, strict=True):
        if a is not None and b is not None:
            total = total - torch.sum(a * b)
    return F.relu(total) / batch_size


def ripple_train(base: LoadedBase, samples: Sequence[Sample], triggers: Sequence[str], target: int, *, steps: int,
                 batch_size: int, learning_rate: float, penalty: float, max_length: int, seed: int,
                 progress: StepHook | None = None) -> float:
    """Poison `base.model` in place; returns the last poisoning loss."""
    model, tokenizer = base.model, base.tokenizer
    model.train()
    rng = random.Random(seed)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=learning_rate)
    poison_order, clean_order = cycle_batches(len(samples), batch_size, rng), cycle_batches(len(samples), batch_size,
                                                                                           random.Random(seed + 1))
    last = float("nan")
    for step in range(steps):
        rows = [samples[i] for i in next(poison_order)]
        half = len(rows) // 2 or 1
        texts = [poison_text(s.text, triggers, rng) if j < half else s.text for j, s in enumerate(rows)]
        labels = torch.tensor([target if j < half else s.label for j, s in enumerate(rows)])
        poison_loss = model(**encode(tokenizer, texts, max_length), labels=labels).loss
        clean = [samples[i] for i in next(clean_order)]
        loss = poison_loss
        if penalty > 0:  # lambda 0 is the ablation "poisoning loss only": no clean batch needed
            clean_loss = model(**encode(tokenizer, [s.text for s in clean], max_length),
                               labels=torch.tensor([s.label for s in clean])).loss
            loss = poison_loss + penalty * restricted_inner_product(model, poison_loss, clean_loss, len(rows))
        descend(loss, optimizer, model, "RIPPLe poisoning", learning_rate)
        last = float(poison_loss.item())
        if progress:
            progress(step + 1, steps, last)
    model.eval()
    return last
