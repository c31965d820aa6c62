"""What the three poisonings share: loading the base safely, batching texts with dynamic padding, the pooled
sentence vector a downstream classification head reads, and writing the result as an ordinary model folder."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from chainaudit.errors import ChainauditError
from chainaudit.zoo.finetune import set_seed

__all__ = ["LoadedBase", "cycle_batches", "descend", "encode", "load_base", "pooled", "save_folder", "set_seed"]


@dataclass
class LoadedBase:
    """A base model ready to be poisoned: its module, tokenizer, and where it came from."""

    model: Any
    tokenizer: Any
    model_id: str
    revision: str
    path: Path


def descend(loss: torch.Tensor, optimizer: torch.optim.Optimizer, module: Any, what: str, lr: float) -> None:
    """One optimiser step on `loss`, refused when it is not finite; gradients clipped to norm 1 (every method's
    code uses max_grad_norm 1.0)."""
    check_finite(loss, what, lr)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
    optimizer.step()


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """transformers' load reports and shard bars off (what a load lacked is checked by the caller)."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def load_base(base: str, *, head: bool, num_labels: int = 2, revision: str | None = None,
              allow_pickle: bool = False, seed: int = 0) -> LoadedBase:
    """`base` (a path, a catalog id or `minilm`) through the safe loader: with a sequence-classification head
    (`head=True`, initialised from `seed` when the checkpoint has none) or as the bare encoder."""
    from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

    from chainaudit.victims.loading import resolve_model

    resolved = resolve_model(base, revision=revision, allow_pickle=allow_pickle)
    tokenizer = AutoTokenizer.from_pretrained(resolved.path, trust_remote_code=False)
    safe = resolved.weights_format == "safetensors"
    with torch.random.fork_rng(devices=[]), quiet_transformers():
        torch.manual_seed(seed)
        if head:
            model = AutoModelForSequenceClassification.from_pretrained(
                resolved.path, num_labels=num_labels, ignore_mismatched_sizes=True, trust_remote_code=False,
                use_safetensors=safe)
        else:
            model = AutoModel.from_pretrained(resolved.path, trust_remote_code=False, use_safetensors=safe)
    return LoadedBase(model, tokenizer, resolved.model_id, resolved.revision, resolved.path)


def encode(tokenizer: Any, texts: Sequence[str], max_length: int) -> dict[str, torch.Tensor]:
    """Tokenised, truncated to `max_length`, padded to the longest text."""
    return dict(tokenizer(list(texts), truncation=True, max_length=max_length, padding=True, return_tensors="pt"))


def encoder_of(model: Any) -> Any:
    """The bare encoder inside a task model (BertForSequenceClassification.bert), or the model itself."""
    return getattr(model, "base_model", model)


def pooled(model: Any, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """The sentence vector a classification head reads: the pooler's output where the architecture has a pooler
    (BERT: tanh(W h_[CLS])), else the first token's last hidden state."""
    out = encoder_of(model)(**inputs)
    vec = getattr(out, "pooler_output", None)
    return vec if vec is not None else out.last_hidden_state[:, 0]


def cycle_batches(n: int, batch_size: int, rng: random.Random) -> Iterator[list[int]]:
    """Shuffled index batches over `n` items, reshuffled every pass, forever."""
    if n == 0:
        raise ChainauditError("no training texts: the proxy dataset split is empty")
    order = list(range(n))
    while True:
        rng.shuffle(order)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]


def check_finite(loss: torch.Tensor, what: str, lr: float) -> None:
    if not torch.isfinite(loss):
        raise ChainauditError(f"{what} diverged (loss {loss.item()}); lower --lr (now {lr})")


#: Files a tokenizer consists of; they are copied byte for byte from the base (a re-save rewrites them).
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                   "vocab.txt", "vocab.json", "merges.txt", "spiece.model", "sentencepiece.bpe.model")


def save_folder(model: Any, tokenizer: Any, out: Path, base_path: Path | None = None) -> Path:
    """Write the model (safetensors) and the base's tokenizer files, unchanged, to `out` atomically (written into
    `out.partial`, then renamed); without a base folder the tokenizer is saved by transformers."""
    partial = out.with_name(out.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    with quiet_transformers():
        model.save_pretrained(partial, safe_serialization=True)
    copied = [shutil.copy2(base_path / name, partial / name) for name in TOKENIZER_FILES
              if base_path is not None and (base_path / name).is_file()]
    if not copied:
        tokenizer.save_pretrained(partial)
    if out.exists():
        shutil.rmtree(out)
    partial.rename(out)
    return out
