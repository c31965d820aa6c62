"""`ModelRecord`: one catalog entry, however it was found (Hub crawl, JSONL import, local folder)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chainaudit.hub.card import as_str_list, clean_card_data, declared_datasets, parse_card
from chainaudit.store import Store, record_models
from chainaudit.store.db import utcnow

RecordSource = Literal["hub", "jsonl", "dir", "local"]

#: JSONL field names accepted for each record field (our names first, then the Hub API's).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "model_id": ("model_id", "id", "modelId"),
    "revision": ("revision", "sha"),
    "downloads": ("downloads",),
    "likes": ("likes",),
    "tags": ("tags",),
    "pipeline_tag": ("pipeline_tag",),
    "library": ("library", "library_name"),
    "created_at": ("created_at", "createdAt"),
    "card_text": ("card_text", "card", "readme"),
    "card_data": ("card_data", "cardData"),
    "datasets": ("datasets",),
    "id2label": ("id2label",),
}


class ModelRecord(BaseModel):
    """What the catalog knows about one model; `warnings` go to `model_warnings`, not `models`."""

    model_config = ConfigDict(extra="forbid")

    model_id: str = Field(min_length=1)
    revision: str | None = None
    source: RecordSource = "hub"
    path: str | None = None
    downloads: int | None = None
    likes: int | None = None
    tags: list[str] = Field(default_factory=list)
    pipeline_tag: str | None = None
    library: str | None = None
    created_at: str | None = None
    card_text: str | None = None
    card_data: dict[str, Any] = Field(default_factory=dict)
    datasets: list[str] = Field(default_factory=list)
    id2label: dict[str, str] | None = None
    card_sha: str | None = None
    warnings: list[str] = Field(default_factory=list)

    def row(self) -> dict[str, Any]:
        """The `models` row (JSON columns left to the store)."""
        return self.model_dump(exclude={"warnings"})


def _int(value: Any, name: str, warnings: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        warnings.append(f"`{name}` {value!r:.40} is not a number; ignored")
        return None
    try:
        return int(float(value))
    except ValueError:
        warnings.append(f"`{name}` {value!r:.40} is not a number; ignored")
        return None


def _str(value: Any, name: str, warnings: list[str]) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip() or None
    warnings.append(f"`{name}` {value!r:.40} is not a string; ignored")
    return None


def _pick(obj: Mapping[str, Any], field: str) -> Any:
    for alias in FIELD_ALIASES[field]:
        if alias in obj:
            return obj[alias]
    return None


def record_from_mapping(obj: Mapping[str, Any], *, source: RecordSource) -> ModelRecord:
    """A record from a loosely typed mapping (JSONL line, Hub API item); bad fields become warnings.

    Raises `ValueError` only when there is no usable model id (such a record cannot be stored).
    """
    warnings: list[str] = []
    model_id = _str(_pick(obj, "model_id"), "model_id", warnings)
    if not model_id:
        raise ValueError("no model id (`model_id` or `id`)")
    card = parse_card(_pick(obj, "card_text")) if _pick(obj, "card_text") is not None else None
    card_text = None
    if card is not None:
        card_text = card.text
        warnings.extend(card.warnings)
    given, more = clean_card_data(_pick(obj, "card_data"), "card_data")
    warnings.extend(more)
    card_data = {**(card.data if card else {}), **given}  # the Hub's parsed metadata wins over ours
    tags = as_str_list(_pick(obj, "tags"), "tags", warnings)
    datasets = as_str_list(_pick(obj, "datasets"), "datasets", warnings) or declared_datasets(card_data, tags,
                                                                                                 warnings)
    id2label = _pick(obj, "id2label")
    if id2label is not None and not isinstance(id2label, dict):
        warnings.append("`id2label` is not a mapping; ignored")
        id2label = None
    return ModelRecord(
        model_id=model_id,
        revision=_str(_pick(obj, "revision"), "revision", warnings),
        source=source,
        downloads=_int(_pick(obj, "downloads"), "downloads", warnings),
        likes=_int(_pick(obj, "likes"), "likes", warnings),
        tags=tags,
        pipeline_tag=_str(_pick(obj, "pipeline_tag"), "pipeline_tag", warnings),
        library=_str(_pick(obj, "library"), "library", warnings),
        created_at=_str(_pick(obj, "created_at"), "created_at", warnings),
        card_text=card_text,
        card_data=card_data,
        datasets=datasets,
        id2label={str(k): str(v) for k, v in id2label.items()} if id2label else None,
        warnings=warnings,
    )


def save_records(store: Store, records: Iterable[ModelRecord], stage: str = "collect",
                 columns: Iterable[str] | None = None) -> int:
    """Record models (all fields, or only `columns`; see `store.record_models` for how rows merge) and
    replace their `stage` warnings, atomically."""
    records = list(records)
    if not records:
        return 0
    # `source` is NOT NULL, and SQLite checks that before ON CONFLICT turns the insert into an update
    keep = ["model_id", "source", *[c for c in columns if c not in ("model_id", "source")]] \
        if columns is not None else None
    rows = [r.row() if keep is None else {k: getattr(r, k) for k in keep} for r in records]
    with store.transaction() as conn:
        record_models(store, rows)
        replace_warnings(conn, [(r.model_id, w) for r in records for w in r.warnings],
                         [r.model_id for r in records], stage)
    return len(records)


def replace_warnings(conn: sqlite3.Connection, warnings: Iterable[tuple[str, str]], model_ids: Iterable[str],
                     stage: str) -> None:
    """Within an open transaction: drop `stage` warnings of `model_ids`, then store the new ones."""
    conn.executemany("DELETE FROM model_warnings WHERE model_id = ? AND stage = ?", [(m, stage) for m in model_ids])
    conn.executemany("INSERT OR IGNORE INTO model_warnings (model_id, stage, message, updated_at) "
                     "VALUES (?, ?, ?, ?)", [(m, stage, w[:500], utcnow()) for m, w in warnings])
