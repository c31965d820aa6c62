"""`build_report`: gather everything the page shows from a read-only store, render it, write HTML, JSON and CSV.

The report never runs an attack or asks a model: it reads `attack_results`, `transfer_replays`, `studies`, `models`,
`lineage_edges` and, when the store has them, `backdoors` and `backdoor_persistence`, and computes every figure with
`study.metrics` (through `report.tables`) and the lineage functions (through `report.catalog`).
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from chainaudit.errors import ChainauditError
from chainaudit.lineage.graph import EdgeFilter
from chainaudit.report.catalog import CatalogView, catalog_view
from chainaudit.report.examples import PER_GROUP, Examples, chain_examples
from chainaudit.report.tables import (
    StudyRows,
    error_messages,
    outcome_counts,
    persistence_by_hop,
    read_rows,
    study_tables,
    trigger_rows,
)
from chainaudit.store import Store
from chainaudit.study.metrics import Hop, chain_hops

#: Per hop of the chains fine-tuned from a poisoned model and from its clean base; the report's backdoor section
#: appears only when this table has rows.
BACKDOOR_TABLE = "backdoor_persistence"


@dataclass(frozen=True)
class ChainView:
    """One chain of the study: its models (catalog row facts), how each edge was found, its hops and examples."""

    index: int
    models: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    hops: list[Hop]
    examples: Examples


@dataclass
class ReportData:
    """Everything the page shows; `tables` holds every number (what goes to JSON and CSV)."""

    db: str
    study: str | None
    studies: list[str]
    generated: str
    catalog: CatalogView
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    chains: list[ChainView] = field(default_factory=list)
    superseded: int = 0
    rows: int = 0
    #: `backdoor_persistence` rows as stored; paired per hop (poisoned chain beside clean); per trigger (NeuBA);
    #: and the `backdoors` rows (what each poisoned model is meant to do).
    backdoor: list[dict[str, Any]] = field(default_factory=list)
    backdoor_by_hop: list[dict[str, Any]] = field(default_factory=list)
    backdoor_triggers: list[dict[str, Any]] = field(default_factory=list)
    backdoors: list[dict[str, Any]] = field(default_factory=list)
    #: `backdoor_scans` rows: the verdict of `backdoor scan` per model revision, with its top suspects.
    scans: list[dict[str, Any]] = field(default_factory=list)
    csv_dir: str = ""
    per_group: int = PER_GROUP
    runs: set[tuple[Any, ...]] = field(default_factory=set)


@dataclass(frozen=True)
class ReportFiles:
    """What `build_report` wrote and how long it took."""

    html: Path
    json: Path
    csv: list[Path]
    seconds: float
    data: ReportData


def _studies(store: Store) -> list[str]:
    """Study names, newest first: those in `studies`, then any with results only."""
    named = [r[0] for r in store.conn.execute("SELECT study_id FROM studies ORDER BY created_at DESC, study_id")]
    rest = [r[0] for r in store.conn.execute("SELECT DISTINCT study_id FROM attack_results ORDER BY study_id")]
    return [*named, *(s for s in rest if s not in named)]


def _pick_study(store: Store, study: str | None) -> tuple[str | None, list[str]]:
    known = _studies(store)
    if study is not None and study not in known:
        raise ChainauditError(f"--study {study}: no such study in {store.path}; studies: {', '.join(known) or 'none'}")
    return (study or (known[0] if known else None)), known


def _config_chains(store: Store, study: str) -> list[list[dict[str, Any]]]:
    found = store.select("studies", {"study_id": study})
    config = found[0]["config"] if found else None
    return [list(c) for c in (config or {}).get("chains", []) if len(c) > 1]


def _model_id(store: Store, ref: dict[str, Any]) -> str:
    """The id results are stored under: a local folder's is read from its card when the study is planned (often
    not the config's `id`), and the study driver records it in `models` with the folder's path."""
    path = ref.get("path")
    if path:
        for candidate in dict.fromkeys((path, str(Path(path).resolve()))):
            found = store.conn.execute("SELECT model_id FROM models WHERE path = ? ORDER BY updated_at DESC LIMIT 1",
                                       [candidate]).fetchone()
            if found:
                return str(found[0])
    return str(ref["id"])


def _revision(model_id: str, ref: dict[str, Any], rows: StudyRows) -> str | None:
    """The config's pinned revision, else the one the study's rows have (the newest when several)."""
    if ref.get("revision"):
        return ref["revision"]
    mine = rows.frame[rows.frame["model_id"] == model_id] if not rows.frame.empty else rows.frame
    return None if mine.empty else str(mine.sort_values("created_at")["revision"].iloc[-1])


def _edges(store: Store, up: str, down: str) -> list[dict[str, Any]]:
    found = store.select("lineage_edges", {"child": down, "parent": up})
    return [{"source": e["source"], "confidence": e["confidence"], "relation": e["relation"],
             "evidence": e["evidence"]} for e in sorted(found, key=lambda e: -e["confidence"])]


def _chain(store: Store, study: str, index: int, refs: list[dict[str, Any]], rows: StudyRows,
           per_group: int) -> ChainView:
    models = []
    for ref in refs:
        model_id = _model_id(store, ref)
        revision = _revision(model_id, ref, rows)
        catalog = store.select("models", {"model_id": model_id})
        known = catalog[0] if catalog else {}
        models.append({"model_id": model_id, "config_id": ref["id"], "revision": revision,
                       "model": f"{model_id}@{revision}",
                       "path": ref.get("path") or known.get("path"), "source": known.get("source"),
                       "downloads": known.get("downloads"), "in_catalog": bool(catalog)})
    edges = [{"up": a["model_id"], "down": b["model_id"], "found": _edges(store, a["model_id"], b["model_id"])}
             for a, b in pairwise(models)]
    pairs = [(m["model_id"], m["revision"]) for m in models if m["revision"]]
    counts = rows.frame.groupby(["model", "attack", "outcome"]).size() if not rows.frame.empty else {}
    names = {m["model"] for m in models}
    totals = [{"model": k[0], "attack": k[1], "outcome": k[2], "count": int(v)} for k, v in dict(counts).items()
              if k[0] in names]
    examples = chain_examples(store, study, rows.runs, pairs, totals, per_group=per_group)
    return ChainView(index, models, edges, chain_hops([m["model"] for m in models]), examples)


def _replays(store: Store, study: str, rows: StudyRows) -> list[dict[str, Any]]:
    """The study's replays whose upstream run is current (the same rule as the result rows)."""
    return [r for r in store.select("transfer_replays", {"study_id": study})
            if (r["upstream_id"], r["upstream_revision"], r["attack"], r["seed"], r["goal"], r["params"]) in rows.runs]


def gather(store: Store, study: str | None = None, *, per_group: int = PER_GROUP, resamples: int = 2000,
           top: int = 20, edges: EdgeFilter | None = None) -> ReportData:
    """Read the store and compute every table the page shows (no files written); RQ1 counts the lineage edges
    `edges` lets in (default: every stored edge)."""
    chosen, known = _pick_study(store, study)
    data = ReportData(str(store.path), chosen, known, datetime.now(UTC).isoformat(timespec="seconds"),
                      catalog_view(store, top=top, edges=edges or EdgeFilter()), per_group=per_group)
    stored = store.tables()
    if BACKDOOR_TABLE in stored:  # a store from before backdoors has neither table
        data.backdoor = store.select(BACKDOOR_TABLE)
        data.backdoor_by_hop = persistence_by_hop(data.backdoor)
        data.backdoor_triggers = trigger_rows(data.backdoor_by_hop)
    if data.backdoor and "backdoors" in stored:
        data.backdoors = store.select("backdoors", order_by=("model_id", "revision"))
    if "backdoor_scans" in stored:
        data.scans = store.select("backdoor_scans", order_by=("model_id", "revision"))
        if data.scans and not data.backdoors and "backdoors" in stored:  # the truth beside each verdict
            data.backdoors = store.select("backdoors", order_by=("model_id", "revision"))
    if chosen is None:
        return data
    rows = read_rows(store, chosen)
    data.rows, data.superseded, data.runs = len(rows.frame), rows.superseded, rows.runs
    data.chains = [_chain(store, chosen, i, refs, rows, per_group)
                   for i, refs in enumerate(_config_chains(store, chosen))]
    hops = list(dict.fromkeys(h for c in data.chains for h in c.hops if "@None" not in f"{h.up}{h.down}"))
    records = rows.records()
    data.tables = study_tables(records, _replays(store, chosen, rows), hops, resamples=resamples)
    data.tables["outcomes"] = outcome_counts(rows.frame)
    data.tables["errors"] = error_messages(rows.frame)
    return data


def number_tables(data: ReportData) -> dict[str, list[dict[str, Any]]]:
    """Every number in the page as flat tables (the JSON's and the CSVs' content)."""
    cat = data.catalog
    tables: dict[str, list[dict[str, Any]]] = dict(data.tables)
    if cat.stats is not None:
        tables["rq1_summary"] = [{"figure": f"{group}.{k}", "value": v}
                                 for group in ("edges_counted", "coverage", "download_tail")
                                 for k, v in cat.stats[group].items()]
        tables["rq1_broken_cycles"] = [{"cycle": i, "parent": p, "child": c, "confidence": conf,
                                        "dropped": [p, c, conf] == cycle["dropped"]}
                                       for i, cycle in enumerate(cat.stats["cycles"]["broken_cycles"])
                                       for p, c, conf in cycle["edges"]]
        shares = cat.stats["chains"]["share_by_length"]
        tables["rq1_chain_lengths"] = [{"models": int(k), "chains": v, "share": shares[k]}
                                       for k, v in cat.stats["chains"]["by_length"].items()]
        tables["rq1_top_upstreams"] = list(cat.stats["top_upstreams"])
        tables["rq1_download_curve"] = [{"rank": r, "downloads": d} for r, d in cat.curve]
        tables["rq1_blast_radius"] = [{k: v for k, v in b.items() if k not in ("listed", "by_depth")}
                                      for b in cat.blast]
    tables["chain_models"] = [{"chain": c.index, "position": i, **m} for c in data.chains
                              for i, m in enumerate(c.models)]
    tables["chain_edges"] = [{"chain": c.index, "up": e["up"], "down": e["down"], **f} for c in data.chains
                             for e in c.edges for f in (e["found"] or [{"source": None}])]
    tables["example_counts"] = [{"chain": c.index, **t} for c in data.chains for t in c.examples.totals]
    if data.backdoor:
        tables[BACKDOOR_TABLE] = data.backdoor
        tables["backdoor_by_hop"] = data.backdoor_by_hop
        tables["backdoor_triggers"] = data.backdoor_triggers
        tables["backdoors"] = data.backdoors
    if data.scans:
        tables["backdoor_scans"] = data.scans
    return tables


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    fields = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows({k: (json.dumps(v) if isinstance(v, dict | list) else v) for k, v in r.items()} for r in rows)


def _write_examples(store: Store, study: str, rows_runs: set[tuple[Any, ...]], path: Path) -> None:
    """Every current result row of the study, texts included, streamed to CSV (the browser's full list)."""
    cursor = store.conn.execute("SELECT * FROM attack_results WHERE study_id = ? ORDER BY model_id, attack, dataset, "
                                "idx, seed", [study])
    names = [d[0] for d in cursor.description]
    at = [names.index(k) for k in ("model_id", "revision", "attack", "seed", "goal", "params")]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(names)
        writer.writerows(v for v in cursor if tuple(v[i] for i in at) in rows_runs)


def build_report(db: str | Path, out: str | Path = "report.html", *, study: str | None = None,
                 per_group: int = PER_GROUP, resamples: int = 2000, edges: EdgeFilter | None = None) -> ReportFiles:
    """Write `out` (one self-contained HTML page), `<stem>.json` (every number) and `<stem>-csv/` (one CSV per
    table, and `examples.csv`: every current result row of the study) from the store at `db`, opened read-only;
    RQ1 counts the lineage edges `edges` lets in (default: all)."""
    from chainaudit.report.html import render

    started = time.perf_counter()
    out = Path(out)
    if not out.parent.is_dir():
        raise ChainauditError(f"cannot write {out}: folder {out.parent} does not exist")
    csv_dir = out.with_name(f"{out.stem}-csv")
    with Store(db, readonly=True) as store:
        data = gather(store, study, per_group=per_group, resamples=resamples, edges=edges)
        data.csv_dir = csv_dir.name
        csv_dir.mkdir(exist_ok=True)
        tables = number_tables(data)
        files = []
        for name, rows in tables.items():
            files.append(csv_dir / f"{name}.csv")
            _write_csv(files[-1], rows)
        if data.study is not None:
            files.append(csv_dir / "examples.csv")
            _write_examples(store, data.study, data.runs, files[-1])
    json_path = out.with_suffix(".json")
    meta = {"db": data.db, "study": data.study, "studies": data.studies, "generated": data.generated,
            "result_rows": data.rows, "superseded_rows": data.superseded}
    json_path.write_text(json.dumps({"meta": meta, "tables": tables}, indent=1, default=str), encoding="utf-8")
    out.write_text(render(data), encoding="utf-8")
    return ReportFiles(out, json_path, files, time.perf_counter() - started, data)


__all__ = ["BACKDOOR_TABLE", "ReportData", "ReportFiles", "build_report", "gather"]
