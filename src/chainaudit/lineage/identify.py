"""Identify every catalog model's upstream(s) and replace `lineage_edges` with the result.

Order, as in the paper: card metadata and Hub tags; else card-text rules; else the LLM (when configured,
answers cached per model revision in `llm_answers`); else a name hint. All edges are written in one
transaction at the end, so a failed run leaves the previous edges in place.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chainaudit.hub.records import replace_warnings
from chainaudit.lineage.llm import LLMError, LLMExtractor
from chainaudit.lineage.names import Resolver
from chainaudit.lineage.rules import Edge, identify, name_hint_edge
from chainaudit.store import Store

logger = logging.getLogger(__name__)
EDGE_COLUMNS = ("child", "parent", "source", "confidence", "evidence", "relation")
LLM_CONFIDENCE = 0.6


@dataclass
class LineageReport:
    """What one identification run found."""

    models: int = 0
    with_upstream: int = 0
    edges_by_source: Counter[str] = field(default_factory=Counter)
    warnings: int = 0
    llm_asked: int = 0
    llm_cached: int = 0
    llm_rejected: int = 0
    llm_errors: int = 0
    seconds: float = 0.0


_BASE_ONLY = re.compile(r'"base_model": ("(?:[^"\\]|\\.)*")[,}]')


def _json(text: str | None, needle: str, default: Any) -> Any:
    """Decode a JSON column only when it can matter (saves a json.loads per model at catalog scale)."""
    if not text or needle not in text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def _card_data(text: str | None) -> dict[str, Any]:
    """The card data lineage needs; a lone string `base_model` is read without decoding the whole object."""
    if not text or '"base_model' not in text:
        return {}
    match = _BASE_ONLY.search(text)
    if match is not None and text.count('"base_model') == 1:
        value = match.group(1)
        return {"base_model": value[1:-1] if "\\" not in value else json.loads(value)}
    data = _json(text, '"base_model', {})
    return data if isinstance(data, dict) else {}


def load_resolver(store: Store) -> Resolver:
    return Resolver(r[0] for r in store.conn.execute("SELECT model_id FROM models"))


def _cached_answers(store: Store, llm_name: str | None) -> dict[tuple[str, str], tuple[str | None, str]]:
    """(model, revision) → (parent, llm) of stored accepted LLM answers; one LLM's when named."""
    sql = "SELECT model_id, revision, parent, llm FROM llm_answers WHERE accepted = 1"
    params: list[str] = []
    if llm_name:
        sql += " AND llm = ?"
        params.append(llm_name)
    return {(r[0], r[1]): (r[2], r[3]) for r in store.conn.execute(sql + " ORDER BY updated_at", params)}


def identify_catalog(store: Store, *, llm: LLMExtractor | None = None,
                     progress: Callable[[str, int, int | None], None] | None = None) -> LineageReport:
    """Recompute all lineage edges of the catalog in `store`."""
    start = time.perf_counter()
    progress = progress or (lambda stage, done, total: None)
    report = LineageReport()
    resolver = load_resolver(store)
    total = len(resolver)
    cached = _cached_answers(store, llm.model if llm else None)
    rows: list[tuple[Any, ...]] = []
    warnings: list[tuple[str, str]] = []
    unresolved: list[tuple[str, str]] = []
    cursor = store.conn.execute("SELECT model_id, revision, tags, card_data, card_text FROM models")
    while batch := cursor.fetchmany(5000):
        for model_id, revision, tags_json, data_json, card_text in batch:
            report.models += 1
            tags = _json(tags_json, '"base_model:', [])
            edges, problems = identify(model_id, _card_data(data_json), tags if isinstance(tags, list) else [],
                                       card_text, resolver)
            if problems:
                warnings.extend((model_id, w) for w in problems)
            if edges:
                rows.extend(edges)
            else:
                unresolved.append((model_id, revision or ""))
        progress("rules", report.models, total)
    for n, (model_id, revision) in enumerate(unresolved, 1):
        edge = _llm_edge(store, llm, model_id, revision, cached, resolver, report, warnings)
        edge = edge or name_hint_edge(model_id, resolver)
        if edge is not None:
            rows.append(edge)
        if llm is not None:
            progress("llm", n, len(unresolved))
    store.conn.execute("PRAGMA cache_size = -262144")  # 256 MiB of page cache for the bulk write
    with store.transaction() as conn:
        conn.execute("DELETE FROM lineage_edges")
        store.bulk_write("lineage_edges", EDGE_COLUMNS, rows)
        conn.execute("DELETE FROM model_warnings WHERE stage = 'lineage'")
        replace_warnings(conn, warnings, [], "lineage")
    report.edges_by_source = Counter(r[2] for r in rows)
    report.with_upstream = len({r[0] for r in rows})
    report.warnings = len(warnings)
    report.seconds = time.perf_counter() - start
    return report


def _llm_edge(store: Store, llm: LLMExtractor | None, model_id: str, revision: str,
              cached: dict[tuple[str, str], tuple[str | None, str]], resolver: Resolver, report: LineageReport,
              warnings: list[tuple[str, str]]) -> Edge | None:
    """The LLM's upstream for one model: from the cache, else asked (and cached) when an LLM is configured."""
    hit = cached.get((model_id, revision))
    if hit is not None:
        report.llm_cached += 1
        parent, name = hit
        return Edge(model_id, parent, "llm", LLM_CONFIDENCE, f"{name} (cached)", "finetune") if parent else None
    if llm is None:
        return None
    row = store.conn.execute("SELECT card_text FROM models WHERE model_id = ?", (model_id,)).fetchone()
    card = row[0] if row and row[0] else ""
    if not card.strip():
        return None
    report.llm_asked += 1
    try:
        answer = llm.ask(model_id, card, resolver)
    except LLMError as exc:
        report.llm_errors += 1
        warnings.append((model_id, f"LLM: {exc}"[:500]))
        logger.warning("%s: %s", model_id, exc)
        return None
    store.upsert("llm_answers", [{"model_id": model_id, "revision": revision, "llm": llm.model,
                                  "answer": answer.raw[:500], "parent": answer.parent,
                                  "accepted": int(answer.accepted), "reason": answer.reason}])
    if not answer.accepted:
        report.llm_rejected += 1
        warnings.append((model_id, f"LLM reply rejected ({answer.reason}): {answer.raw[:120]!r}"))
        logger.warning("%s: LLM reply rejected (%s): %r", model_id, answer.reason, answer.raw[:120])
        return None
    if answer.parent is None:
        return None
    return Edge(model_id, answer.parent, "llm", LLM_CONFIDENCE, f"{llm.model}: {answer.raw}"[:300], "finetune")
