"""The one way a model is recorded in `models`, whoever knows something about it.

The catalog (Hub crawl, JSONL and folder imports), fine-tuning, evaluation and attack runs all describe the
same row, each knowing different columns. A write merges: the columns it gives replace the stored ones, and a
column it gives as None (or leaves out) keeps the stored value, so an attack run that knows only the
model's name and revision never erases the catalog's card, tags or download counts. `created_at` here is the
model's creation date on the Hub, data like any other column (not a write stamp); `updated_at` is stamped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from chainaudit.errors import StoreError
from chainaudit.store.db import Store, utcnow
from chainaudit.store.schema import JSON_COLUMNS

#: Columns a caller may give (besides `model_id`); `updated_at` is stamped by `record_models`.
MODEL_COLUMNS = ("revision", "source", "path", "downloads", "likes", "tags", "pipeline_tag", "library",
                 "created_at", "card_text", "card_data", "datasets", "id2label", "card_sha")


def record_model(store: Store, model_id: str, *, source: str, revision: str | None = None,
                 path: str | None = None, **columns: Any) -> None:
    """Record one model: insert its row, or merge the given non-None columns into the stored one.

    `source` is hub | jsonl | dir | local; `columns` are any other `models` columns (`id2label`, `card_text`,
    `card_data`, `tags`, ...; JSON columns as Python values).
    """
    record_models(store, [{"model_id": model_id, "source": source, "revision": revision, "path": path, **columns}])


def record_models(store: Store, rows: Iterable[Mapping[str, Any]]) -> int:
    """Record many models (the catalog's bulk path: one `executemany` per run of rows with the same columns).

    Every row needs `model_id` and `source` (NOT NULL: SQLite checks it before the conflict turns the insert
    into an update). Joins an open transaction, else runs in its own. Returns how many rows were given.
    """
    allowed = {"model_id", *MODEL_COLUMNS}
    plans: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[bool, ...]]] = {}  # row keys -> columns, JSON?
    written = 0
    batch: list[tuple[Any, ...]] = []
    columns: tuple[str, ...] = ()

    def flush() -> None:
        if batch:
            store.conn.executemany(_merge_sql(columns), batch)
            batch.clear()

    def run() -> None:
        nonlocal columns, written
        stamp = utcnow()
        for row in rows:
            if not row.get("model_id") or not row.get("source"):
                raise StoreError(f"a models row needs model_id and source: {dict(row)!r:.200}")
            keys = tuple(row)
            plan = plans.get(keys)
            if plan is None:
                unknown = set(keys) - allowed
                if unknown:
                    raise StoreError(f"table models has no column(s) {sorted(unknown)}")
                names = ("model_id", *(c for c in MODEL_COLUMNS if c in row))
                plan = plans[keys] = names, tuple(c in JSON_COLUMNS for c in names)
            names, json_flags = plan
            if names != columns:
                flush()
                columns = names
            batch.append((*(json.dumps(row[c], sort_keys=True) if is_json and row[c] is not None else row[c]
                            for c, is_json in zip(names, json_flags, strict=True)), stamp))
            written += 1
        flush()

    if store.conn.in_transaction:
        run()
    else:
        with store.transaction():
            run()
    return written


def _merge_sql(columns: tuple[str, ...]) -> str:
    names = [*columns, "updated_at"]
    updates = [f"{c} = COALESCE(excluded.{c}, models.{c})" for c in columns if c != "model_id"]
    return (f"INSERT INTO models ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)}) "
            f"ON CONFLICT (model_id) DO UPDATE SET {', '.join([*updates, 'updated_at = excluded.updated_at'])}")
