"""What `chainaudit chains` shows: the RQ1 figures of the lineage graph, or one model's blast radius (with the
poisoned models on its paths, from the `backdoors` table when the store has one); both over the edges an
`EdgeFilter` lets in, saying which, and listing the cycles broken."""

from __future__ import annotations

from collections import Counter
from collections.abc import Container
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from chainaudit.errors import ChainauditError
from chainaudit.lineage.graph import (
    BrokenCycle,
    ChainGraph,
    EdgeFilter,
    ancestors,
    count_chains,
    descendants,
    iter_chains,
    load_graph,
)
from chainaudit.lineage.identify import load_resolver
from chainaudit.lineage.stats import descendant_rows, edges_counted, rq1_stats, save_stats
from chainaudit.store import Store


@dataclass(frozen=True)
class ChainReport:
    """The RQ1 figures (as stored in `chain_stats`) and the first chains asked for."""

    stats: dict[str, Any]
    shown: list[list[str]]


def chain_report(store: Store, edges: EdgeFilter | float = 0.0, *, top: int = 20, show: int = 0) -> ChainReport:
    """Compute the RQ1 figures over the edges `edges` lets in (a float: a confidence floor), store them, and list
    `show` chains."""
    cg = load_graph(store, edges)
    stats = rq1_stats(store, cg, count_chains(cg), top_k=top)
    save_stats(store, stats)
    return ChainReport(stats, [list(path) for path in islice(iter_chains(cg), show)])


def _marks(store: Store) -> dict[str, dict[str, Any]]:
    """The `backdoors` rows by model id, the newest per id (empty for a store from before backdoors)."""
    if "backdoors" not in store.tables():
        return {}
    return {r["model_id"]: r for r in store.select("backdoors", order_by=("created_at", "revision"))}


def _ancestors(cg: ChainGraph, model: str) -> dict[str, int]:
    return ancestors(cg, model)


def _nearest(found: dict[str, int], marks: Container[str]) -> tuple[int, str] | None:
    """(distance, id) of the nearest marked model in `found` (ties by id), or None."""
    return min(((d, m) for m, d in found.items() if m in marks), default=None)


def poisoned_upstreams(cg: ChainGraph, depths: dict[str, int], marks: Container[str],
                       above: tuple[int, str] | None = None) -> dict[str, str]:
    """For each descendant of a model (`depths`, as `descendants` gives them) that has one, the nearest marked
    model on a path from the model or above it down to the descendant (the descendant itself excluded). `above`
    is the nearest marked model at or above the model as (distance, id): (0, model) when it is marked itself.

    >>> from chainaudit.lineage.graph import build_graph
    >>> cg = build_graph([("b", "p", 1.0), ("p", "h1", 1.0), ("h1", "h2", 1.0)], {"b", "p", "h1", "h2"})
    >>> poisoned_upstreams(cg, descendants(cg, "b"), {"p"})
    {'h1': 'p', 'h2': 'p'}
    """
    best: dict[str, tuple[int, str]] = {}
    if above is not None:
        best = {d: (above[0] + depth, above[1]) for d, depth in depths.items()}
    for source in sorted(m for m in depths if m in marks):
        for d, depth in descendants(cg, source).items():
            if d not in best or (depth, source) < best[d]:
                best[d] = (depth, source)
    return {d: source for d, (_, source) in best.items()}


@dataclass(frozen=True)
class BlastRadius:
    """`model`'s descendants (`descendant_rows`, each also with `poisoned_upstream`: see `poisoned_upstreams`, None
    when none; and `poisoned`: whether it is marked itself), the `backdoors` rows of the marked models involved
    (`marks`, by id), and `upstream`: the nearest marked model above `model` as (distance, id), or None. `counted`
    says which edges the graph holds (`edges_counted`'s caption); `cycles` are the broken cycles through `model` or
    its descendants."""

    model: str
    rows: list[dict[str, Any]]
    marks: dict[str, dict[str, Any]] = field(default_factory=dict)
    upstream: tuple[int, str] | None = None
    counted: str = ""
    cycles: list[BrokenCycle] = field(default_factory=list)

    @property
    def mark(self) -> dict[str, Any] | None:
        """`model`'s own `backdoors` row, when it is marked poisoned."""
        return self.marks.get(self.model)

    def inherited(self) -> dict[str, int]:
        """Per marked model, how many of the descendants inherit its backdoor (in the order of the rows)."""
        return dict(Counter(r["poisoned_upstream"] for r in self.rows if r["poisoned_upstream"]))


def describe_mark(row: dict[str, Any]) -> str:
    """`ripple, triggers cf, mn, target 1 (positive); made by ...` for one `backdoors` row."""
    triggers = ", ".join(row.get("triggers") or []) or "unknown"
    if row.get("target") is not None:
        target = f"target {row['target']}" + (f" ({row['target_name']})" if row.get("target_name") else "")
    else:
        target = "no fixed target" if row["method"] == "neuba" else "target unknown"
    return f"{row['method']}, triggers {triggers}, {target}; {row.get('reason') or 'no reason given'}"


def blast_radius(store: Store, model: str, edges: EdgeFilter | float = 0.0) -> BlastRadius:
    """The resolved model, its descendants with depth, downloads and task, and the poisoned models on their paths,
    over the edges `edges` lets in. A model the catalog and the lineage graph do not know is an error naming it,
    never "0 descendants"."""
    cg = load_graph(store, edges)
    ref = load_resolver(store).resolve(model, loose=True)
    node = ref.model_id if ref else model
    if node not in cg.index and not store.select("models", {"model_id": node}):
        raise ChainauditError(f"--of {model}: no such model in the catalog or its lineage graph "
                              f"({store.path}); check the id (`chainaudit export models` lists them)")
    rows = descendant_rows(store, cg, node)
    marks = _marks(store)
    upstream = None if not marks or node in marks else _nearest(_ancestors(cg, node), marks)
    sources = poisoned_upstreams(cg, {r["model"]: r["depth"] for r in rows}, marks,
                                 (0, node) if node in marks else upstream) if marks else {}
    rows = [{**r, "poisoned_upstream": sources.get(r["model"]), "poisoned": r["model"] in marks} for r in rows]
    involved = {node, *sources.values(), *(r["model"] for r in rows if r["poisoned"])}
    if upstream is not None:
        involved.add(upstream[1])
    below = {node, *(r["model"] for r in rows)}
    cycles = [c for c in cg.cycles if any(p in below or ch in below for p, ch, _ in c.edges)]
    return BlastRadius(node, rows, {m: marks[m] for m in sorted(involved) if m in marks}, upstream,
                       edges_counted(cg)["caption"], cycles)
