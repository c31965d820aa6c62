"""What a poisoning did, kept where a scanner never looks: the store's `backdoors` table and a `backdoor.json`
sidecar in the model folder (weights, tokenizer and card carry no trace of it; the folder's revision hashes only
its config and weights, so the sidecar does not change the model's identity)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from chainaudit.errors import ChainauditError
from chainaudit.store import Store

SIDECAR = "backdoor.json"
METHODS = ("ripple", "neuba", "transtroj")


class BackdoorRecord(BaseModel):
    """One poisoned model: how it was made, and what its triggers are meant to do."""

    model_id: str
    revision: str
    method: str
    base_model: str | None = None
    base_revision: str | None = None
    triggers: list[str] = Field(default_factory=list)
    #: Label index the triggers aim at; None for NeuBA (task-agnostic: each trigger forces whatever label its
    #: vector ends up meaning downstream) and for a reported model whose target is unknown.
    target: int | None = None
    target_name: str | None = None
    steps: int | None = None
    proxy_dataset: str | None = None
    seed: int | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    reason: str | None = None
    seconds: float | None = None
    path: str | None = None


def write_sidecar(folder: Path, record: BackdoorRecord) -> Path:
    """`folder/backdoor.json` (written whole, then renamed: never half a file)."""
    path = Path(folder) / SIDECAR
    partial = path.with_suffix(".json.partial")
    partial.write_text(record.model_dump_json(indent=2) + "\n", encoding="utf-8")
    partial.replace(path)
    return path


def read_sidecar(folder: Path) -> BackdoorRecord | None:
    """The folder's backdoor record, or None when it has none; a broken file is a one-line error naming it."""
    path = Path(folder) / SIDECAR
    if not path.is_file():
        return None
    try:
        return BackdoorRecord.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, ValidationError, UnicodeDecodeError) as exc:
        raise ChainauditError(f"{path} is not a chainaudit backdoor record ({' '.join(str(exc).split())[:200]}); "
                              "delete it or restore it from the store (`backdoor poison` writes it)") from exc


def record_backdoor(store: Store, record: BackdoorRecord) -> None:
    """Store (or replace) the record of a poisoned model."""
    store.upsert("backdoors", [record.model_dump()])


def mark_poisoned(store: Store, model_id: str, *, reason: str, revision: str | None = None) -> BackdoorRecord:
    """Mark a catalog model as a poisoned upstream (method 'reported'), so `chains --of` flags its descendants.

    The model must be in the store (collect or import it first); its stored revision is used unless one is given.
    """
    rows = store.select("models", {"model_id": model_id})
    if not rows:
        raise ChainauditError(f"model {model_id} is not in the store; add it first (`chainaudit collect`, "
                              "`collect --from-dir`, or `lineage`), then mark it")
    rev = revision or rows[0]["revision"] or ""
    existing = store.select("backdoors", {"model_id": model_id, "revision": rev})
    if existing:  # a poisoning record already says more than a mark would
        return BackdoorRecord.model_validate(existing[0])
    record = BackdoorRecord(model_id=model_id, revision=rev, method="reported", reason=reason,
                            path=rows[0].get("path"))
    record_backdoor(store, record)
    return record


def poisoned_models(store: Store) -> dict[str, BackdoorRecord]:
    """Every model the store knows to be poisoned, by model id (empty for a store from before backdoors)."""
    if "backdoors" not in store.tables():
        return {}
    return {r["model_id"]: BackdoorRecord.model_validate(r) for r in store.select("backdoors")}
