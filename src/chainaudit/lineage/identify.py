"""Identify every catalog model's upstream(s) and replace `lineage_edges` with the result.

Order, as in the paper: card metadata and Hub tags; else card-text rules; else the LLM (when configured,
answers cached per model revision in `llm_answers`); else a name hint. All edges are written in one
transaction at the end, so a failed run leaves the previous edges in place.
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import os
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from chainaudit.errors import LLMError
from chainaudit.hub.records import replace_warnings
from chainaudit.lineage.llm import LLM_CONFIDENCE, LLMExtractor, validate_answer
from chainaudit.lineage.names import Resolver
from chainaudit.lineage.rules import Edge, card_text_edges, identify_model, name_hint_edge, refine_relation
from chainaudit.store import Store

logger = logging.getLogger(__name__)
#: The `model_warnings` stage of lineage identification.
WARNING_STAGE = "lineage"
EDGE_COLUMNS = ("child", "parent", "source", "confidence", "evidence", "relation")


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


def _cached_answers(store: Store, llm_name: str | None) -> dict[tuple[str, str], tuple[str | None, str, str]]:
    """(model, revision) → (parent, llm, raw answer) of stored accepted LLM answers; one LLM's when named."""
    sql = "SELECT model_id, revision, parent, llm, answer FROM llm_answers WHERE accepted = 1"
    params: list[str] = []
    if llm_name:
        sql += " AND llm = ?"
        params.append(llm_name)
    return {(r[0], r[1]): (r[2], r[3], r[4] or "") for r in store.conn.execute(sql + " ORDER BY updated_at", params)}


#: Catalogs at least this large are split across processes (fork only), a few rowid ranges per process. Real cards
#: cost about 2.4 ms each in the card-text rules: 30,000 of them took 72 s in one process, 20,000 pay for the forks.
PARALLEL_MIN_MODELS = 20_000
_RESOLVER: Resolver | None = None  # set before forking: workers inherit it instead of rebuilding it


@dataclass
class _Part:
    """What the rules found in one rowid range."""

    models: int = 0
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    unresolved: list[tuple[str, str]] = field(default_factory=list)


def identify_catalog(store: Store, *, llm: LLMExtractor | None = None,
                     progress: Callable[[str, int, int | None], None] | None = None,
                     workers: int | None = None) -> LineageReport:
    """Recompute all lineage edges of the catalog in `store`.

    The rules run in `workers` processes (default: up to 4 CPUs for catalogs of PARALLEL_MIN_MODELS or
    more, else in this process); the LLM, name hints and the one write transaction stay here.
    """
    start = time.perf_counter()
    progress = progress or (lambda stage, done, total: None)
    report = LineageReport()
    resolver = load_resolver(store)
    part = _rules(store, resolver, progress, workers)
    report.models = part.models
    rows, warnings = part.rows, part.warnings
    cached = _cached_answers(store, llm.model if llm else None)
    hints: list[Edge] = []
    for n, (model_id, revision) in enumerate(part.unresolved, 1):
        edge = _llm_edge(store, llm, model_id, revision, cached, resolver, report, warnings)
        if edge is not None:
            rows.append(edge)
        elif (hint := name_hint_edge(model_id, resolver)) is not None:
            hints.append(hint)
        if llm is not None:
            progress("llm", n, len(part.unresolved))
    rows.extend(_hints_not_younger(store, hints, warnings))
    store.conn.execute("PRAGMA cache_size = -262144")  # 256 MiB of page cache for the bulk write
    with store.transaction() as conn:
        conn.execute("DELETE FROM lineage_edges")
        # Bulk-load idiom: the index on `parent` (migration 1) is rebuilt once instead of updated per row.
        conn.execute("DROP INDEX IF EXISTS lineage_edges_parent")
        store.bulk_write("lineage_edges", EDGE_COLUMNS, rows)
        conn.execute("CREATE INDEX lineage_edges_parent ON lineage_edges(parent)")
        conn.execute("DELETE FROM model_warnings WHERE stage = ?", (WARNING_STAGE,))
        replace_warnings(conn, warnings, [], WARNING_STAGE)
    report.edges_by_source = Counter(r[2] for r in rows)
    report.with_upstream = len({r[0] for r in rows})
    report.warnings = len(warnings)
    report.seconds = time.perf_counter() - start
    return report


def _hints_not_younger(store: Store, hints: list[Edge], warnings: list[tuple[str, str]]) -> list[Edge]:
    """The name hints whose parent is not younger than the child: a repository the Hub dates after the child (one
    that merely has the same short name) cannot be where the child started. Each dropped hint is a warning. Dates of
    Hub records only: a local or imported row is dated when it was stored."""
    ids = sorted({e.child for e in hints} | {e.parent for e in hints})
    dated: dict[str, str] = {}
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        dated.update(store.conn.execute(
            f"SELECT model_id, created_at FROM models WHERE source = 'hub' AND created_at IS NOT NULL "
            f"AND model_id IN ({','.join('?' * len(chunk))})", chunk))
    kept = []
    for edge in hints:
        child_at, parent_at = dated.get(edge.child), dated.get(edge.parent)
        if child_at and parent_at and parent_at > child_at:
            warnings.append((edge.child, f"name hint {edge.parent} dropped: it was created after {edge.child} "
                                         f"({parent_at[:10]} > {child_at[:10]})"))
        else:
            kept.append(edge)
    return kept


def lineage_warnings(store: Store, limit: int | None = None) -> list[tuple[str, str]]:
    """(model id, message) of the warnings the last `identify_catalog` stored, by model id; at most `limit`."""
    rows = store.conn.execute("SELECT model_id, message FROM model_warnings WHERE stage = ? "
                              "ORDER BY model_id, message LIMIT ?", (WARNING_STAGE, -1 if limit is None else limit))
    return [(r[0], r[1]) for r in rows]


def _rules(store: Store, resolver: Resolver, progress: Callable[[str, int, int | None], None],
           workers: int | None) -> _Part:
    """Metadata, tag and card-text rules over the whole catalog, here or in forked worker processes."""
    global _RESOLVER
    total = len(resolver)
    low, high = store.conn.execute("SELECT MIN(rowid), MAX(rowid) FROM models").fetchone()
    if workers is None:
        workers = min(4, os.cpu_count() or 1) if total >= PARALLEL_MIN_MODELS else 1
    if workers <= 1 or low is None or "fork" not in mp.get_all_start_methods():
        return _identify_range(store.conn, resolver, None, lambda done: progress("rules", done, total))
    step = (high - low) // (workers * 4) + 1
    ranges = [(lo, min(lo + step - 1, high)) for lo in range(low, high + 1, step)]
    merged = _Part()
    _RESOLVER = resolver
    try:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            for part in pool.map(_identify_worker, [str(store.path)] * len(ranges), ranges):
                merged.models += part.models
                merged.rows += part.rows
                merged.warnings += part.warnings
                merged.unresolved += part.unresolved
                progress("rules", merged.models, total)
    finally:
        _RESOLVER = None
    return merged


def _identify_worker(path: str, rowids: tuple[int, int]) -> _Part:
    """One rowid range, in a forked process, on its own read-only connection."""
    if _RESOLVER is None:
        raise RuntimeError("identify workers must be forked from identify_catalog")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        part = _identify_range(conn, _RESOLVER, rowids, lambda done: None)
    finally:
        conn.close()
    part.rows = [tuple(row) for row in part.rows]  # plain tuples travel back faster than Edge objects
    return part


#: SQLite's JSON functions pick out a lone string `base_model` (the common case) and send a row's JSON
#: text to Python only when it can hold lineage, to keep per-model Python work small.
_METADATA_SQL = """
SELECT rid, model_id, revision,
       CASE WHEN instr(tags, '"base_model:') > 0 THEN tags END,
       CASE WHEN base IS NULL AND instr(card_data, '"base_model') > 0 THEN card_data END,
       base
FROM (SELECT rid, model_id, revision, tags, card_data,
             CASE WHEN typeof(raw) = 'text' AND substr(raw, 1, 1) NOT IN ('[', '{') THEN raw END AS base
      FROM (SELECT rowid AS rid, model_id, revision, tags, card_data,
                   CASE WHEN instr(card_data, '"base_model') > 0 AND instr(card_data, '"base_model_relation"') = 0
                             AND json_valid(card_data)
                        THEN json_extract(card_data, '$.base_model') END AS raw
            FROM models))
"""
_METADATA_SQL_PLAIN = "SELECT rid, model_id, revision, tags, card_data, NULL FROM (SELECT rowid AS rid, * FROM models)"


def _identify_range(conn: sqlite3.Connection, resolver: Resolver, rowids: tuple[int, int] | None,
                    progress: Callable[[int], None]) -> _Part:
    """Metadata and tags for every model (in `rowids`, else all); card text for those still without one."""
    part = _Part()
    rows, warnings, pending = part.rows, part.warnings, []
    resolve = resolver.resolve
    sql = _METADATA_SQL if sqlite3.sqlite_version_info >= (3, 38) else _METADATA_SQL_PLAIN
    cursor = conn.execute(sql + (" WHERE rid BETWEEN ? AND ?" if rowids else ""), rowids or ())
    while batch := cursor.fetchmany(5000):
        for rowid, model_id, revision, tags_json, data_json, base in batch:
            if base is not None and tags_json is None:  # fast path: `base_model: owner/name`
                ref = resolve(base, loose=True)
                if ref is not None and ref.model_id != model_id:
                    edge = Edge(model_id, ref.model_id, "metadata", 1.0, f"base_model: {base}"[:200], "finetune")
                    rows.append(refine_relation(edge, model_id, {}, (), None, resolver))  # a quantized name
                    continue
            if base is None and tags_json is None and data_json is None:
                pending.append((rowid, model_id, revision or ""))
                continue
            tags = _json(tags_json, '"base_model:', [])
            card_data = {"base_model": base} if base is not None else _card_data(data_json)
            edges, problems = identify_model(model_id, card_data, tags if isinstance(tags, list) else [], None,
                                             resolver)
            if problems:
                warnings.extend((model_id, w) for w in problems)
            if edges:
                rows.extend(edges)
            else:
                pending.append((rowid, model_id, revision or ""))
        part.models += len(batch)
        progress(part.models)
    for i in range(0, len(pending), 900):  # card texts are read only for the models metadata left open
        chunk = pending[i:i + 900]
        marks = ",".join("?" * len(chunk))
        texts = dict(conn.execute(f"SELECT rowid, card_text FROM models WHERE rowid IN ({marks})",
                                  [rowid for rowid, _, _ in chunk]))
        for rowid, model_id, revision in chunk:
            text = texts.get(rowid)
            edges = card_text_edges(model_id, text, resolver) if text else []
            if edges:
                rows.extend(refine_relation(e, model_id, {}, (), text, resolver) for e in edges)
            else:
                part.unresolved.append((model_id, revision))
    return part


def _llm_edge(store: Store, llm: LLMExtractor | None, model_id: str, revision: str,
              cached: dict[tuple[str, str], tuple[str | None, str, str]], resolver: Resolver, report: LineageReport,
              warnings: list[tuple[str, str]]) -> Edge | None:
    """The LLM's upstream for one model: from the cache, else asked (and cached) when an LLM is configured.

    A cached upstream is checked against the card again (answers stored by older checks may not pass)."""
    hit = cached.get((model_id, revision))
    if hit is not None and hit[0] is None:
        report.llm_cached += 1
        return None
    if hit is None and llm is None:
        return None
    row = store.conn.execute("SELECT card_text FROM models WHERE model_id = ?", (model_id,)).fetchone()
    card = row[0] if row and row[0] else ""
    if hit is not None:
        parent, name, raw = hit
        answer = validate_answer(model_id, raw, card, resolver)
        if answer.accepted and answer.parent == parent:
            report.llm_cached += 1
            return Edge(model_id, parent, "llm", LLM_CONFIDENCE, f"{name} (cached): {answer.evidence}"[:300],
                        "finetune")
        store.upsert("llm_answers", [{"model_id": model_id, "revision": revision, "llm": name,
                                      "answer": raw[:500], "parent": None, "accepted": 0, "reason": answer.reason}])
        report.llm_rejected += 1
        warnings.append((model_id, f"cached LLM reply rejected ({answer.reason}): {raw[:120]!r}"))
        logger.warning("%s: cached LLM reply rejected (%s): %r", model_id, answer.reason, raw[:120])
        return None
    if llm is None or not card.strip():
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
    evidence = f"{llm.model}: {answer.raw} | {answer.evidence}"
    return Edge(model_id, answer.parent, "llm", LLM_CONFIDENCE, evidence[:300], "finetune")
