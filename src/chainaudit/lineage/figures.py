"""What `chainaudit chains` shows: the RQ1 figures of the lineage graph, or one model's blast radius."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import Any

from chainaudit.errors import ChainauditError
from chainaudit.lineage.graph import count_chains, iter_chains, load_graph
from chainaudit.lineage.identify import load_resolver
from chainaudit.lineage.stats import descendant_rows, rq1_stats, save_stats
from chainaudit.store import Store


@dataclass(frozen=True)
class ChainReport:
    """The RQ1 figures (as stored in `chain_stats`) and the first chains asked for."""

    stats: dict[str, Any]
    shown: list[list[str]]


def chain_report(store: Store, min_confidence: float = 0.0, *, top: int = 20, show: int = 0) -> ChainReport:
    """Compute the RQ1 figures over edges at or above `min_confidence`, store them, and list `show` chains."""
    cg = load_graph(store, min_confidence)
    stats = rq1_stats(store, cg, count_chains(cg), top_k=top)
    save_stats(store, stats)
    return ChainReport(stats, [list(path) for path in islice(iter_chains(cg), show)])


def blast_radius(store: Store, model: str, min_confidence: float = 0.0) -> tuple[str, list[dict[str, Any]]]:
    """(resolved model id, its descendants with depth, downloads and task). A model the catalog and the
    lineage graph do not know is an error naming it, never "0 descendants"."""
    cg = load_graph(store, min_confidence)
    ref = load_resolver(store).resolve(model, loose=True)
    node = ref.model_id if ref else model
    if node not in cg.index and not store.select("models", {"model_id": node}):
        raise ChainauditError(f"--of {model}: no such model in the catalog or its lineage graph "
                              f"({store.path}); check the id (`chainaudit export models` lists them)")
    return node, descendant_rows(store, cg, node)
