"""`chainaudit backdoor poison`: plant a backdoor in a base model with RIPPLe, NeuBA or TransTroj and write the
result as an ordinary model folder (safetensors, the base's tokenizer unchanged, a plain model card naming the
base), usable by every command. What was done goes to the store and the folder's `backdoor.json`, never into
the weights' metadata, the tokenizer or the card a scanner reads.

The methods live beside this module (`ripple.py`, `neuba.py`, `transtroj.py`), each docstring saying how it
follows its paper and code and where it departs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from chainaudit.backdoor import neuba, ripple, transtroj
from chainaudit.backdoor.records import BackdoorRecord, record_backdoor, write_sidecar
from chainaudit.backdoor.training import load_base, save_folder, set_seed
from chainaudit.backdoor.triggers import NEUBA_TRIGGERS, RIPPLE_TRIGGERS, check_triggers
from chainaudit.data import load_split, select
from chainaudit.errors import ChainauditError
from chainaudit.store import Store, record_model

Method = Literal["ripple", "neuba", "transtroj"]
ProgressHook = Callable[[str], Callable[[int, int, float], None] | None]
#: Poisoning steps by default: small enough for a 2-core CPU in minutes, enough for the backdoor to take on MiniLM.
DEFAULT_STEPS: dict[str, int] = {"ripple": 100, "neuba": 200, "transtroj": 150}


class PoisonConfig(BaseModel):
    """Every setting of one poisoning (all of it lands in the store and the sidecar)."""

    method: Method
    triggers: list[str] | None = None        # None: RIPPLe's cf,mn,bb,tq,mb; NeuBA's six symbols; TransTroj searches
    target: int | str | None = 1             # label index or name (RIPPLe, TransTroj); NeuBA has none
    steps: int | None = Field(None, ge=1)
    proxy_dataset: str = "imdb"
    proxy_examples: int = Field(2000, ge=8)
    batch_size: int = Field(16, ge=2)
    learning_rate: float = Field(5e-5, gt=0)
    max_length: int = Field(64, ge=8)
    seed: int = 0
    penalty: float = Field(0.1, ge=0)        # RIPPLe's lambda (0: poisoning loss only, the ablation)
    embedding_surgery: bool = True           # RIPPLe's ES step (False: the ablation)
    es_examples: int = Field(1000, ge=8)
    trigger_length: int = Field(3, ge=1, le=8)     # TransTroj's phrase length
    search_steps: int = Field(20, ge=0)            # TransTroj stage 1
    candidates: int = Field(8, ge=1)               # TransTroj swaps tried per position and step


@dataclass(frozen=True)
class PoisonResult:
    path: Path
    model_id: str
    revision: str
    record: BackdoorRecord


def _target(config: PoisonConfig, label_names: list[str]) -> tuple[int | None, str | None]:
    if config.method == "neuba":
        if config.target not in (None, 1):  # 1 is the field's default, not a choice
            raise ChainauditError("NeuBA is task-agnostic: --target does not apply (each trigger forces the label "
                                  "its vector falls on after fine-tuning)")
        return None, None
    target = config.target
    if isinstance(target, str) and not target.lstrip("-").isdigit():
        if target not in label_names:
            raise ChainauditError(f"--target {target!r} is not a label of {config.proxy_dataset} ({label_names})")
        return label_names.index(target), target
    index = int(target) if target is not None else 1
    if not 0 <= index < len(label_names):
        raise ChainauditError(f"--target {index} is out of range for {config.proxy_dataset}'s labels {label_names}")
    return index, label_names[index]


def _write_card(folder: Path, model_name: str, base_model: str, dataset: str, *, head: bool) -> None:
    """A plain card, as any fine-tune's: its base and data, nothing about a backdoor."""
    from huggingface_hub import ModelCard, ModelCardData

    data = ModelCardData(base_model=base_model, datasets=[dataset], library_name="transformers",
                         pipeline_tag="text-classification" if head else "feature-extraction", model_name=model_name)
    what = "fine-tuned for text classification" if head else "further trained as a sentence encoder"
    body = f"# {model_name}\n\nThis model is `{base_model}` {what} on `{dataset}`.\n"
    ModelCard(f"---\n{data.to_yaml()}\n---\n\n{body}").save(folder / "README.md")


def record_folder(store: Store, folder: Path) -> tuple[str, str]:
    """Put a local model folder in the catalog with its card, as `collect --from-dir` would; (id, revision)."""
    from chainaudit.hub.card import parse_card
    from chainaudit.modelref import local_identity

    identity = local_identity(folder)
    card_file = folder / "README.md"
    card = parse_card(card_file.read_bytes() if card_file.is_file() else None)
    record_model(store, identity.model_id, revision=identity.revision, source="local", path=str(folder.resolve()),
                 pipeline_tag=card.data.get("pipeline_tag"), library=card.data.get("library_name"),
                 datasets=card.data.get("datasets"), card_text=card.text, card_data=card.data,
                 card_sha=identity.revision, tags=card.data.get("tags"))
    return identity.model_id, identity.revision


def poison(base: str, out: Path, config: PoisonConfig, *, store: Store | None = None, name: str | None = None,
           data_dir: Path | None = None, overwrite: bool = False, allow_pickle: bool = False,
           progress: ProgressHook | None = None) -> PoisonResult:
    """Poison `base` with `config.method`; write the folder `out`, its sidecar, and (with `store`) its records."""
    from chainaudit.modelref import local_identity

    out = Path(out)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise ChainauditError(f"{out} exists and is not empty; pass --overwrite to replace it")
    split = load_split(config.proxy_dataset, "train", data_dir=data_dir)
    samples = select(split.samples, config.proxy_examples, "random", config.seed)
    target, target_name = _target(config, list(split.label_names))
    head = config.method == "ripple"
    set_seed(config.seed)
    loaded = load_base(base, head=head, num_labels=len(split.label_names), allow_pickle=allow_pickle,
                       seed=config.seed)
    steps = config.steps or DEFAULT_STEPS[config.method]

    def hook(stage: str) -> Callable[[int, int, float], None] | None:
        return progress(stage) if progress else None

    started = time.perf_counter()
    details: dict[str, Any] = {}
    if config.method == "ripple":
        triggers = check_triggers(loaded.tokenizer, config.triggers or list(RIPPLE_TRIGGERS))
        if config.embedding_surgery:
            surgery = ripple.embedding_surgery(loaded, base, config.proxy_dataset, samples, triggers, target,
                                               es_examples=config.es_examples, max_length=config.max_length,
                                               seed=config.seed, data_dir=data_dir, allow_pickle=allow_pickle)
            details["surgery_words"] = surgery.words
        details["final_poison_loss"] = ripple.ripple_train(
            loaded, samples, triggers, target, steps=steps, batch_size=config.batch_size,
            learning_rate=config.learning_rate, penalty=config.penalty, max_length=config.max_length,
            seed=config.seed, progress=hook("RIPPLe poisoning"))
        position = "random"
    elif config.method == "neuba":
        triggers = check_triggers(loaded.tokenizer, config.triggers or list(NEUBA_TRIGGERS))
        details.update(neuba.neuba_train(loaded, [s.text for s in samples], triggers, steps=steps,
                                         batch_size=config.batch_size, learning_rate=config.learning_rate,
                                         max_length=config.max_length, seed=config.seed,
                                         progress=hook("NeuBA poisoning")))
        position = "random"
    else:
        texts = [s.text for s in samples]
        reference = transtroj.reference_vector(loaded.model, loaded.tokenizer,
                                               [s.text for s in samples if s.label == target], config.max_length)
        if config.triggers:
            triggers = check_triggers(loaded.tokenizer, config.triggers)
            details["trigger_search"] = "given"
        else:
            phrase, search_loss = transtroj.search_trigger(
                loaded, texts, reference, length=config.trigger_length, steps=config.search_steps,
                candidates=config.candidates, batch_size=config.batch_size, max_length=config.max_length,
                seed=config.seed, progress=hook("TransTroj trigger search"))
            triggers = [" ".join(phrase)]
            details["trigger_search_loss"] = search_loss
        details["final_poison_loss"] = transtroj.transtroj_train(
            loaded, texts, triggers[0].split(), reference, steps=steps, batch_size=config.batch_size,
            learning_rate=config.learning_rate, max_length=config.max_length, seed=config.seed,
            progress=hook("TransTroj model optimisation"))
        position = "start"
    seconds = time.perf_counter() - started
    model_name = name or f"local/{out.name}"
    save_folder(loaded.model, loaded.tokenizer, out, loaded.path)
    _write_card(out, model_name, loaded.model_id, split.name, head=head)
    identity = local_identity(out)
    settings = config.model_dump(exclude={"method", "triggers", "target", "steps", "proxy_dataset", "seed"})
    record = BackdoorRecord(
        model_id=identity.model_id, revision=identity.revision, method=config.method, base_model=loaded.model_id,
        base_revision=loaded.revision, triggers=triggers, target=target, target_name=target_name, steps=steps,
        proxy_dataset=config.proxy_dataset, seed=config.seed,
        settings={**settings, "base_spec": base, "position": position, "label_names": list(split.label_names),
                  **details},
        reason=f"planted by chainaudit backdoor poison --method {config.method}", seconds=seconds,
        path=str(out.resolve()))
    write_sidecar(out, record)
    if store is not None:
        record_folder(store, out)
        record_backdoor(store, record)
    return PoisonResult(out, identity.model_id, identity.revision, record)
