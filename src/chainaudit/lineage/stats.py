"""RQ1 figures of a catalog's lineage: upstream coverage, chains, top upstreams, the download long tail; each set of
figures says which edges it counts (`edges_counted`) and which cycles were broken."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from chainaudit.lineage.graph import RELATIONS, ChainCounts, ChainGraph, descendants
from chainaudit.store import Store


def download_tail(downloads: np.ndarray, unknown: int = 0) -> dict[str, float | int]:
    """Share of models downloaded at least once, and of downloads held by the top 20 and the top 0.1%.

    `downloads` are the known download counts; `unknown` models (no count in the catalog) are reported,
    not counted as 0: every share is over the models whose downloads are known.
    """
    n = len(downloads)
    ordered = np.sort(downloads)[::-1]
    total = float(ordered.sum())
    top_k = max(1, math.ceil(n * 0.001)) if n else 0
    return {
        "models": n + unknown,
        "models_with_known_downloads": n,
        "unknown_downloads": unknown,
        "downloads_total": int(total),
        "share_downloaded_at_least_once": float((downloads > 0).mean()) if n else 0.0,
        "share_downloads_top20": float(ordered[:20].sum() / total) if total else 0.0,
        "top_0_1_percent_models": top_k,
        "share_downloads_top_0_1_percent": float(ordered[:top_k].sum() / total) if total else 0.0,
    }


def edges_counted(cg: ChainGraph) -> dict[str, Any]:
    """Which edges the figures count, from the graph's filter and the store's edge counts, with a one-line caption:
    `edges counted: relations finetune, adapter; confidence ≥ 0.50; 12 of 20 edges in the store (10 distinct
    upstream–downstream pairs; 1 self-loop and 1 cycle edge left out)`."""
    chosen, pairs, loops, broken = cg.edge_filter, cg.edge_count, len(cg.self_loops), len(cg.broken)
    where = f"{cg.matching_edges:,} of {cg.stored_edges:,} edges in the store (" if cg.stored_edges is not None else "("
    dropped = [f"{n} {what}{'s' if n != 1 else ''}" for n, what in ((loops, "self-loop"), (broken, "cycle edge")) if n]
    caption = (f"edges counted: {chosen.describe()}; {where}{pairs:,} distinct upstream–downstream pairs"
               + (f"; {' and '.join(dropped)} left out)" if dropped else ")"))
    return {"relations": list(chosen.relations) if chosen.relations is not None else None,
            "min_confidence": chosen.min_confidence, "matching": cg.matching_edges, "stored": cg.stored_edges,
            "pairs": pairs, "self_loops": loops, "cycle_edges_dropped": broken, "caption": caption}


def _lookup(store: Store, ids: list[str], columns: str) -> dict[str, tuple[Any, ...]]:
    """`columns` of the catalog models among `ids` (chunked IN queries)."""
    found: dict[str, tuple[Any, ...]] = {}
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        sql = f"SELECT model_id, {columns} FROM models WHERE model_id IN ({','.join('?' * len(chunk))})"
        found.update({r[0]: tuple(r[1:]) for r in store.conn.execute(sql, chunk)})
    return found


def rq1_stats(store: Store, cg: ChainGraph, counts: ChainCounts, *, top_k: int = 20) -> dict[str, Any]:
    """All RQ1 figures as a JSON-ready dict (one key per figure or table), over the edges `cg` was loaded from
    (`edges_counted` says which; `edges_by_source` / `edges_by_relation` count those same edges)."""
    n = store.conn.execute("SELECT COUNT(*) FROM models").fetchone()[0]
    downloads = np.fromiter((r[0] for r in store.conn.execute(
        "SELECT downloads FROM models WHERE downloads IS NOT NULL")), dtype=np.int64)
    indeg, outdeg = cg.in_degree, cg.out_degree
    with_upstream = int(((indeg > 0) & ~cg.is_external).sum())
    is_upstream = outdeg > 0
    pairs = cg.edge_count
    table = []
    if top_k > 0 and pairs:
        kth = max(1, int(np.partition(outdeg, -min(top_k, len(outdeg)))[-min(top_k, len(outdeg))]))
        candidates = np.flatnonzero(outdeg >= kth)
        top = sorted(candidates.tolist(), key=lambda i: (-int(outdeg[i]), cg.names[i]))[:top_k]
        kids = {i: cg.names[cg.children(i)].tolist() for i in top}
        info = _lookup(store, sorted({c for ch in kids.values() for c in ch} | {cg.names[i] for i in top}),
                       "downloads, pipeline_tag")
        for i in top:
            parent, children = cg.names[i], kids[i]
            child_tasks = Counter(info[c][1] for c in children if c in info and info[c][1])
            task, task_n = child_tasks.most_common(1)[0] if child_tasks else (None, 0)
            own = info.get(parent)
            table.append({
                "model": parent, "external": bool(cg.is_external[i]), "downstream": len(children),
                "share_of_pairs": len(children) / pairs,
                "top_downstream_task": task, "top_task_share": task_n / len(children) if children else 0.0,
                "downloads": own[0] if own else None,  # None: not in the catalog, or its downloads unknown
                "download_rank": int((downloads > own[0]).sum()) + 1 if own and own[0] is not None else None,
            })
    sources: Counter[str] = Counter()
    relations: Counter[str] = Counter()
    where, params = cg.edge_filter.where()
    for source, relation, count in store.conn.execute(
            f"SELECT source, COALESCE(relation, 'unknown'), COUNT(*) FROM lineage_edges WHERE {where} GROUP BY 1, 2",
            params):
        sources[source] += count
        relations[relation] += count
    return {
        "coverage": {
            "models": n, "with_upstream": with_upstream, "share_with_upstream": with_upstream / n if n else 0.0,
            "upstream_models": int(is_upstream.sum()),
            "upstream_models_external": int((is_upstream & cg.is_external).sum()),
            "pairs": pairs,
        },
        "chains": {
            "count": counts.total, "average_length": counts.average_length,
            "by_length": {str(k): v for k, v in counts.by_length.items()},
            "share_by_length": {str(k): v / counts.total for k, v in counts.by_length.items()} if counts.total
            else {},
        },
        "top_upstreams": table,
        "download_tail": download_tail(downloads, unknown=n - len(downloads)),
        "edges_counted": edges_counted(cg),
        "edges_by_source": dict(sources),
        "edges_by_relation": dict(sorted(relations.items(), key=lambda kv: (
            RELATIONS.index(kv[0]) if kv[0] in RELATIONS else len(RELATIONS), kv[0]))),
        "cycles": {"self_loops": cg.self_loops[:100], "self_loop_count": len(cg.self_loops),
                   "broken_edges": [list(e) for e in cg.broken[:100]], "broken_count": len(cg.broken),
                   "broken_cycles": [{"edges": [list(e) for e in c.edges], "dropped": list(c.dropped),
                                      "text": c.describe()} for c in cg.cycles[:100]]},
    }


def save_stats(store: Store, stats: dict[str, Any]) -> None:
    """Store each figure as one `chain_stats` row (JSON)."""
    store.upsert("chain_stats", [{"name": k, "value": v} for k, v in stats.items()])


def descendant_rows(store: Store, cg: ChainGraph, model: str) -> list[dict[str, Any]]:
    """The descendants of `model` with depth, downloads and task, nearest and most downloaded first."""
    depths = descendants(cg, model)
    info = _lookup(store, list(depths), "downloads, pipeline_tag")
    rows = [{"model": m, "depth": d, "downloads": info.get(m, (None, None))[0],
             "pipeline_tag": info.get(m, (None, None))[1], "external": m in cg.external}
            for m, d in depths.items()]
    return sorted(rows, key=lambda r: (r["depth"], -(r["downloads"] or 0), r["model"]))
