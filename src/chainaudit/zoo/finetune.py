"""Fine-tune a sequence-classification model on a dataset: how chainaudit builds chains locally.

The loop is a plain PyTorch one rather than `transformers.Trainer`: Trainer needs `accelerate`, pads
or groups per its own collator, and writes checkpoints we do not want; ours tokenises once, batches
with dynamic padding in length-grouped shuffled chunks, and writes the finished folder atomically
(train into `<out>.partial`, rename at the end), so a crash never leaves a half-written model.
"""

from __future__ import annotations

import math
import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from pydantic import BaseModel, Field

from chainaudit.data import LoadedSplit, load_split, select
from chainaudit.errors import ChainauditError, DataError

ProgressHook = Callable[[int, int, float], None]  # (examples done, examples total, running loss)


#: Seed of the evaluation sample: fixed, so models trained with different seeds are compared on the same texts.
EVAL_SEED = 0


class FinetuneConfig(BaseModel):
    """Hyper-parameters; defaults suit a 6-layer MiniLM on a 2-core CPU."""

    epochs: int = Field(1, ge=1)
    max_examples: int | None = Field(None, ge=1, description="training examples to use (default: all)")
    eval_examples: int | None = Field(None, ge=1, description="evaluation examples (default: the whole split)")
    learning_rate: float = Field(1e-4, gt=0)
    batch_size: int = Field(32, ge=1)
    max_length: int = Field(128, ge=8)
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    weight_decay: float = Field(0.01, ge=0)
    seed: int = 0
    sample: str = Field("random", pattern="^(first|random)$")
    train_split: str = "train"
    eval_split: str | None = None


@dataclass(frozen=True)
class TrainedModel:
    """A fine-tuned model folder and what went into it."""

    path: Path
    model_name: str
    base_model: str
    base_revision: str
    dataset: LoadedSplit       # the training split
    eval_data: LoadedSplit     # the evaluation split, already capped to eval_examples
    train_examples: int
    seconds: float
    final_loss: float


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def length_grouped_batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffle, then sort by length inside chunks of 50 batches: little padding, still random order."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk = batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start:start + chunk], key=lambda i: lengths[i])
        batches.extend(part[i:i + batch_size] for i in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def train(base: str, dataset: str, out: Path, config: FinetuneConfig, *, name: str | None = None,
          revision: str | None = None, allow_pickle: bool = False, overwrite: bool = False,
          data_dir: Path | None = None, progress: ProgressHook | None = None) -> TrainedModel:
    """Fine-tune `base` on `dataset`'s train split and save it (safetensors + tokenizer) to `out`."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    from chainaudit.victims.loading import resolve_model

    out = Path(out)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise ChainauditError(f"{out} exists and is not empty; pass --overwrite to replace it")
    resolved = resolve_model(base, revision=revision, allow_pickle=allow_pickle)
    train_split = load_split(dataset, config.train_split, data_dir=data_dir)
    eval_split = load_split(dataset, config.eval_split, data_dir=data_dir, label_names=train_split.label_names)
    if eval_split.split == train_split.split:
        raise DataError(f"dataset {dataset} has no evaluation split separate from {train_split.split!r}")
    samples = select(train_split.samples, config.max_examples, config.sample, config.seed)  # type: ignore[arg-type]
    # a seeded random sample, the same for every model (seed 0): the first N of a split sorted by label (as
    # IMDB's and Amazon's are) would be one label only
    eval_samples = select(eval_split.samples, config.eval_examples, "random", EVAL_SEED)
    label_names = train_split.label_names

    set_seed(config.seed)
    tokenizer = AutoTokenizer.from_pretrained(resolved.path, trust_remote_code=False)
    id2label = dict(enumerate(label_names))
    model = AutoModelForSequenceClassification.from_pretrained(
        resolved.path, num_labels=len(label_names), id2label=id2label,
        label2id={v: k for k, v in id2label.items()}, ignore_mismatched_sizes=True,
        trust_remote_code=False, use_safetensors=resolved.weights_format == "safetensors")
    model.train()

    encoded = tokenizer([s.text for s in samples], truncation=True, max_length=config.max_length)
    ids: list[list[int]] = encoded["input_ids"]
    labels = torch.tensor([s.label for s in samples])
    rng = random.Random(config.seed)
    steps_per_epoch = math.ceil(len(ids) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight", "norm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
         "weight_decay": config.weight_decay},
        {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=config.learning_rate)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * total_steps), total_steps)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    started = time.perf_counter()
    done, running = 0, float("nan")
    total = len(ids) * config.epochs
    for _ in range(config.epochs):
        for batch in length_grouped_batches([len(x) for x in ids], config.batch_size, rng):
            width = max(len(ids[i]) for i in batch)
            input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, i in enumerate(batch):
                input_ids[row, :len(ids[i])] = torch.tensor(ids[i])
                mask[row, :len(ids[i])] = 1
            loss = model(input_ids=input_ids, attention_mask=mask, labels=labels[batch]).loss
            if not torch.isfinite(loss):
                raise ChainauditError(
                    f"training diverged (loss {loss.item()}); lower --lr (now {config.learning_rate})")
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            running = loss.item() if math.isnan(running) else 0.9 * running + 0.1 * loss.item()
            done += len(batch)
            if progress:
                progress(done, total, running)
    seconds = time.perf_counter() - started

    model.eval()
    model_name = name or f"local/{out.name}"
    partial = out.with_name(out.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    model.save_pretrained(partial, safe_serialization=True)
    tokenizer.save_pretrained(partial)
    if out.exists():
        shutil.rmtree(out)
    partial.rename(out)
    capped_eval = LoadedSplit(eval_split.name, eval_split.split, eval_split.label_names, eval_samples,
                              eval_split.source)
    return TrainedModel(out, model_name, resolved.model_id, resolved.revision, train_split, capped_eval,
                        len(samples), seconds, running)
