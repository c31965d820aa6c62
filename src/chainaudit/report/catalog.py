"""RQ1 data for the report: the lineage figures of the catalog, the download curve and each upstream's blast radius.

Read-only: `lineage.figures.chain_report` also stores its figures in `chain_stats`, which a read-only store cannot,
so this calls the same lineage functions it is made of (graph, counts, `rq1_stats`, `descendant_rows`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainaudit.lineage.graph import EdgeFilter, count_chains, load_graph
from chainaudit.lineage.stats import descendant_rows, rq1_stats
from chainaudit.store import Store

#: Points of the download curve carried in the page (log-spaced ranks; every model when fewer).
CURVE_POINTS = 400
#: Descendants listed per upstream in the page (all of them are counted; the CSV has the counts).
LISTED_DESCENDANTS = 15


@dataclass(frozen=True)
class CatalogView:
    """RQ1: `stats` as `rq1_stats` gives them (None when the catalog is empty), the download curve as (rank,
    downloads) points, and the blast radius of each top upstream."""

    models: int
    stats: dict[str, Any] | None
    curve: list[tuple[int, int]] = field(default_factory=list)
    blast: list[dict[str, Any]] = field(default_factory=list)


def download_curve(store: Store, points: int = CURVE_POINTS) -> list[tuple[int, int]]:
    """(rank, downloads) at log-spaced ranks of the known download counts, most downloaded first (Fig. 4)."""
    downloads = np.fromiter((r[0] for r in store.conn.execute(
        "SELECT downloads FROM models WHERE downloads IS NOT NULL ORDER BY downloads DESC")), dtype=np.int64)
    if not downloads.size:
        return []
    ranks = np.unique(np.geomspace(1, downloads.size, num=min(points, downloads.size)).astype(np.int64))
    return [(int(k), int(downloads[k - 1])) for k in ranks]


def blast_rows(store: Store, cg: Any, upstreams: list[str], listed: int = LISTED_DESCENDANTS) -> list[dict[str, Any]]:
    """Per upstream: its descendants (count, by depth), their known downloads in all, how many are unknown, and
    the first `listed` of them (nearest, most downloaded first)."""
    out = []
    for model in upstreams:
        rows = descendant_rows(store, cg, model)
        depths: dict[int, int] = {}
        for r in rows:
            depths[r["depth"]] = depths.get(r["depth"], 0) + 1
        out.append({"model": model, "descendants": len(rows), "max_depth": max(depths, default=0),
                    "by_depth": {str(k): v for k, v in sorted(depths.items())},
                    "downloads": sum(r["downloads"] or 0 for r in rows),
                    "unknown_downloads": sum(r["downloads"] is None for r in rows), "listed": rows[:listed]})
    return out


def catalog_view(store: Store, *, top: int = 20, edges: EdgeFilter | float = 0.0) -> CatalogView:
    """The RQ1 figures of the store's catalog and the lineage edges `edges` lets in (a float: a confidence floor;
    nothing made up for an empty catalog)."""
    models = store.count("models")
    if not models and not store.count("lineage_edges"):
        return CatalogView(0, None)
    cg = load_graph(store, edges)
    stats = rq1_stats(store, cg, count_chains(cg), top_k=top)
    upstreams = [r["model"] for r in stats["top_upstreams"]]
    return CatalogView(models, stats, download_curve(store), blast_rows(store, cg, upstreams))
