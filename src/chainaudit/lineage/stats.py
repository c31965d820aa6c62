"""RQ1 figures of a catalog's lineage: upstream coverage, chains, top upstreams, the download long tail."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from chainaudit.lineage.graph import ChainCounts, ChainGraph, descendants
from chainaudit.store import Store


def _models(store: Store) -> pd.DataFrame:
    return pd.read_sql_query("SELECT model_id, downloads, pipeline_tag FROM models", store.conn)


def download_tail(downloads: np.ndarray) -> dict[str, float | int]:
    """Share of models downloaded at least once, and of downloads held by the top 20 and the top 0.1%."""
    n = len(downloads)
    ordered = np.sort(downloads)[::-1]
    total = float(ordered.sum())
    top_k = max(1, math.ceil(n * 0.001)) if n else 0
    return {
        "models": n,
        "downloads_total": int(total),
        "share_downloaded_at_least_once": float((downloads > 0).mean()) if n else 0.0,
        "share_downloads_top20": float(ordered[:20].sum() / total) if total else 0.0,
        "top_0_1_percent_models": top_k,
        "share_downloads_top_0_1_percent": float(ordered[:top_k].sum() / total) if total else 0.0,
    }


def rq1_stats(store: Store, cg: ChainGraph, counts: ChainCounts, *, top_k: int = 20) -> dict[str, Any]:
    """All RQ1 figures as a JSON-ready dict (one key per figure or table)."""
    models = _models(store)
    downloads = models["downloads"].fillna(0).to_numpy(dtype=np.int64)
    by_id = dict(zip(models["model_id"], range(len(models)), strict=True))
    ranks = pd.Series(downloads).rank(ascending=False, method="min").to_numpy(dtype=np.int64)
    tasks = models["pipeline_tag"].to_numpy(dtype=object)
    n = len(models)
    pred, succ = cg.pred, cg.succ
    with_upstream = sum(1 for m in by_id if pred.get(m))
    upstreams = [node for node, children in succ.items() if children]
    pairs = cg.edge_count
    top = sorted(upstreams, key=lambda u: (-len(succ[u]), u))[:top_k]
    table = []
    for parent in top:
        children = list(succ[parent])
        child_tasks = Counter(tasks[by_id[c]] for c in children if c in by_id and tasks[by_id[c]])
        task, task_n = child_tasks.most_common(1)[0] if child_tasks else (None, 0)
        idx = by_id.get(parent)
        table.append({
            "model": parent, "external": parent in cg.external, "downstream": len(children),
            "share_of_pairs": len(children) / pairs if pairs else 0.0,
            "top_downstream_task": task, "top_task_share": task_n / len(children) if children else 0.0,
            "downloads": int(downloads[idx]) if idx is not None else None,
            "download_rank": int(ranks[idx]) if idx is not None else None,
        })
    sources = dict(store.conn.execute("SELECT source, COUNT(*) FROM lineage_edges GROUP BY source").fetchall())
    relations = dict(store.conn.execute(
        "SELECT COALESCE(relation, 'unknown'), COUNT(*) FROM lineage_edges GROUP BY 1").fetchall())
    return {
        "coverage": {
            "models": n, "with_upstream": with_upstream, "share_with_upstream": with_upstream / n if n else 0.0,
            "upstream_models": len(upstreams),
            "upstream_models_external": sum(1 for u in upstreams if u in cg.external),
            "pairs": pairs,
        },
        "chains": {
            "count": counts.total, "average_length": counts.average_length,
            "by_length": {str(k): v for k, v in counts.by_length.items()},
            "share_by_length": {str(k): v / counts.total for k, v in counts.by_length.items()} if counts.total
            else {},
        },
        "top_upstreams": table,
        "download_tail": download_tail(downloads),
        "edges_by_source": sources,
        "edges_by_relation": relations,
        "cycles": {"self_loops": cg.self_loops[:100], "self_loop_count": len(cg.self_loops),
                   "broken_edges": [list(e) for e in cg.broken[:100]], "broken_count": len(cg.broken)},
    }


def save_stats(store: Store, stats: dict[str, Any]) -> None:
    """Store each figure as one `chain_stats` row (JSON)."""
    store.upsert("chain_stats", [{"name": k, "value": v} for k, v in stats.items()])


def descendant_rows(store: Store, cg: ChainGraph, model: str) -> list[dict[str, Any]]:
    """The descendants of `model` with depth, downloads and task, nearest and most downloaded first."""
    depths = descendants(cg, model)
    info: dict[str, tuple[int | None, str | None]] = {}
    ids = list(depths)
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        sql = f"SELECT model_id, downloads, pipeline_tag FROM models WHERE model_id IN ({','.join('?' * len(chunk))})"
        info.update({r[0]: (r[1], r[2]) for r in store.conn.execute(sql, chunk)})
    rows = [{"model": m, "depth": d, "downloads": info.get(m, (None, None))[0],
             "pipeline_tag": info.get(m, (None, None))[1], "external": m in cg.external}
            for m, d in depths.items()]
    return sorted(rows, key=lambda r: (r["depth"], -(r["downloads"] or 0), r["model"]))
