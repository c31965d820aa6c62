"""The demo's models: fine-tune each one unless its folder already holds the model asked for.

A finished folder carries its model card (`base_model`, `datasets`) and a sidecar, `chainaudit-demo.json`, with
the base's revision and the training settings. Re-running reuses a folder whose card and sidecar match what is
asked; otherwise it says why it retrains (not trained yet, other settings, the base retrained, ...).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainaudit.errors import ChainauditError
from chainaudit.modelref import local_identity, read_card_metadata
from chainaudit.store import Store
from chainaudit.victims import resolve_model
from chainaudit.zoo import FinetuneConfig, finetune

SIDECAR = "chainaudit-demo.json"
#: (model spec key) → a fine-tuning progress hook `(done, total, loss)`, or None.
TrainingHooks = Callable[["ModelSpec"], Callable[[int, int, float], None] | None]


@dataclass(frozen=True)
class ModelSpec:
    """One model of the demo: its folder name, card name, what it is fine-tuned from (None: the demo's base
    model; else an earlier spec's `key`), training dataset, and how many training and evaluation examples."""

    key: str
    name: str
    base: str | None
    dataset: str
    train_examples: int
    eval_examples: int | None = None
    #: Tokens read in training: 64 halves the demo's fine-tuning time against 128 (SST-2 sentences fit; longer
    #: reviews are cut, as the attacked models read 64 tokens too).
    max_length: int = 64


@dataclass(frozen=True)
class DemoModel:
    """A model folder ready for the study, and whether this run trained it (and why) or reused it."""

    spec: ModelSpec
    path: Path
    model_id: str
    revision: str
    base_model: str
    base_revision: str
    accuracy: float | None
    eval_examples: int | None
    trained: bool
    reason: str
    seconds: float


def finetune_config(spec: ModelSpec, *, learning_rate: float = 1e-4, seed: int = 0) -> FinetuneConfig:
    return FinetuneConfig(max_examples=spec.train_examples, eval_examples=spec.eval_examples,
                          learning_rate=learning_rate, max_length=spec.max_length, seed=seed)


def wanted(spec: ModelSpec, config: FinetuneConfig, base_id: str, base_revision: str) -> dict[str, Any]:
    """What the sidecar of a folder holding this model must say."""
    return {"name": spec.name, "base_model": base_id, "base_revision": base_revision, "dataset": spec.dataset,
            "config": config.model_dump(mode="json")}


def stale_because(folder: Path, want: dict[str, Any]) -> str | None:
    """None when `folder` holds the model `want` describes; else why it must be (re)trained."""
    if not (folder / "config.json").is_file() or not any(folder.glob("*.safetensors")):
        return "not trained yet"
    card = read_card_metadata(folder)
    if card.get("base_model") != want["base_model"] or want["dataset"] not in (card.get("datasets") or []):
        return (f"its card says base {card.get('base_model')!r} on {card.get('datasets')}, wanted "
                f"{want['base_model']!r} on {want['dataset']}")
    try:
        have = json.loads((folder / SIDECAR).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"no readable {SIDECAR} (made by another command?)"
    if have.get("base_revision") != want["base_revision"]:
        return f"its base changed (revision {have.get('base_revision')} → {want['base_revision']}: retrained)"
    changed = [f"{k} {have.get('config', {}).get(k)} → {v}" for k, v in want["config"].items()
               if have.get("config", {}).get(k) != v]
    if changed or have.get("name") != want["name"]:
        return "other settings: " + (", ".join(changed) or f"name {have.get('name')} → {want['name']}")
    return None


def ensure_model(spec: ModelSpec, folder: Path, base: str, store: Store, *, data_dir: Path | None = None,
                 learning_rate: float = 1e-4, seed: int = 0,
                 progress: Callable[[int, int, float], None] | None = None) -> DemoModel:
    """Reuse `folder` when it holds this model (card and sidecar match), else fine-tune `base` into it."""
    started = time.perf_counter()
    config = finetune_config(spec, learning_rate=learning_rate, seed=seed)
    resolved = resolve_model(base)
    want = wanted(spec, config, resolved.model_id, resolved.revision)
    reason = stale_because(folder, want)
    if reason is None:
        have = json.loads((folder / SIDECAR).read_text(encoding="utf-8"))
        identity = local_identity(folder)
        return DemoModel(spec, folder, identity.model_id, identity.revision, resolved.model_id, resolved.revision,
                         have.get("accuracy"), have.get("eval_examples"), False, "up to date: reused",
                         time.perf_counter() - started)
    result = finetune(base, spec.dataset, folder, config, name=spec.name, overwrite=True, data_dir=data_dir,
                      progress=progress, store=store)
    if result.base_model != resolved.model_id:
        raise ChainauditError(f"{folder}: trained from {result.base_model}, expected {resolved.model_id}")
    (folder / SIDECAR).write_text(json.dumps({**want, "accuracy": result.accuracy,
                                              "eval_examples": result.eval_examples}, indent=1), encoding="utf-8")
    return DemoModel(spec, folder, result.model_id, result.revision, result.base_model, result.base_revision,
                     result.accuracy, result.eval_examples, True, reason, time.perf_counter() - started)


def ensure_models(specs: tuple[ModelSpec, ...], root: Path, store: Store, *, base: str = "minilm",
                  data_dir: Path | None = None, learning_rate: float = 1e-4, seed: int = 0,
                  hooks: TrainingHooks | None = None) -> list[DemoModel]:
    """Every spec in order (an upstream before the models built on it) under `root/<key>`, from `base` (`minilm`,
    a Hub id or a folder) or from the folder of the earlier spec its `base` names."""
    done: dict[str, DemoModel] = {}
    for spec in specs:
        if spec.base is not None and spec.base not in done:
            raise ChainauditError(f"demo model {spec.key}: its base {spec.base!r} is not an earlier demo model")
        source = base if spec.base is None else str(done[spec.base].path)
        done[spec.key] = ensure_model(spec, root / spec.key, source, store, data_dir=data_dir,
                                      learning_rate=learning_rate, seed=seed,
                                      progress=hooks(spec) if hooks else None)
    return list(done.values())
