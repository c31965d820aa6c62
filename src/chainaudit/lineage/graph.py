"""The chain graph (parent → child) and chains: maximal root-to-leaf paths.

Self-loops and cycles are reported and broken (the weakest edge of each cycle goes), never looped over.
A model with several upstreams keeps every edge, so the number of root-to-leaf paths can grow
combinatorially: chains are *counted* by dynamic programming over a topological order (exact, any size)
and only *enumerated* up to a cap.

At Hub scale (a million models) building a `networkx.DiGraph` costs more than everything else here
together, so the graph is kept as the same dict-of-dicts adjacency networkx uses (`succ`, `pred`), and
networkx gets the parts that need its algorithms: the cyclic core (strongly connected components, cycle
finding) and, on demand, `ChainGraph.graph` for descendant queries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx

from chainaudit.store import Store

logger = logging.getLogger(__name__)
DEFAULT_CAP = 100_000
Adjacency = dict[str, dict[str, float]]


@dataclass
class ChainGraph:
    """Lineage as a DAG: `succ[parent][child]` = `pred[child][parent]` = confidence; every node is a key of
    both. `external` nodes are upstreams not in the catalog."""

    succ: Adjacency
    pred: Adjacency
    external: set[str]
    self_loops: list[str] = field(default_factory=list)
    broken: list[tuple[str, str, float]] = field(default_factory=list)
    order: list[str] = field(default_factory=list)

    def __contains__(self, node: object) -> bool:
        return node in self.succ

    def __len__(self) -> int:
        return len(self.succ)

    @property
    def edge_count(self) -> int:
        return sum(len(children) for children in self.succ.values())

    def roots(self) -> list[str]:
        return [n for n in self.order if not self.pred[n]]

    def is_leaf(self, node: str) -> bool:
        return not self.succ[node]

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The same graph as a `networkx.DiGraph` (edge attribute `confidence`), built on first use."""
        graph = nx.DiGraph()
        graph.add_nodes_from(self.succ)
        graph.add_weighted_edges_from(((p, c, w) for p, children in self.succ.items() for c, w in children.items()),
                                      weight="confidence")
        return graph


@dataclass(frozen=True)
class ChainCounts:
    """Exact chain totals: `by_length[k]` chains have k models."""

    total: int
    by_length: dict[int, int]

    @property
    def average_length(self) -> float:
        return sum(k * v for k, v in self.by_length.items()) / self.total if self.total else 0.0


def build_graph(edges: Iterable[tuple[str, str, float]], catalog: Container[str]) -> ChainGraph:
    """A DAG from (parent, child, confidence) triples; duplicates keep the highest confidence."""
    succ: Adjacency = {}
    pred: Adjacency = {}
    loops: set[str] = set()
    for parent, child, confidence in edges:
        if parent == child:
            loops.add(parent)
            continue
        children = succ.get(parent)
        if children is None:
            children = succ[parent] = {}
            pred.setdefault(parent, {})
        parents = pred.get(child)
        if parents is None:
            parents = pred[child] = {}
            succ.setdefault(child, {})
        if children.get(child, -1.0) < confidence:
            children[child] = parents[parent] = confidence
    for node in sorted(loops):
        logger.warning("self-loop on %s removed", node)
    cg = ChainGraph(succ, pred, {n for n in succ if n not in catalog}, self_loops=sorted(loops))
    cg.order, core = _peel(succ, pred)
    if core:
        cg.broken = break_cycles(cg, core)
        cg.order, _ = _peel(succ, pred)
    return cg


def _peel(succ: Adjacency, pred: Adjacency) -> tuple[list[str], set[str]]:
    """Kahn's topological order of the acyclic part, and the nodes left over (cycles and what hangs below).

    `nx.topological_sort` only says *that* there is a cycle; this pass also names the nodes to hand to
    networkx's strongly-connected-component search.
    """
    indegree = {n: len(parents) for n, parents in pred.items()}
    stack = [n for n, d in indegree.items() if d == 0]
    order: list[str] = []
    while stack:
        node = stack.pop()
        order.append(node)
        for child in succ[node]:
            indegree[child] -= 1
            if indegree[child] == 0:
                stack.append(child)
    return order, {n for n, d in indegree.items() if d > 0}


def break_cycles(cg: ChainGraph, core: Iterable[str]) -> list[tuple[str, str, float]]:
    """Remove the weakest edge of each cycle among `core` nodes until none is left; return those edges."""
    nodes = set(core)
    sub = nx.DiGraph()
    sub.add_weighted_edges_from(((p, c, w) for p in nodes for c, w in cg.succ[p].items() if c in nodes),
                                weight="confidence")
    removed: list[tuple[str, str, float]] = []
    for component in list(nx.strongly_connected_components(sub)):
        if len(component) < 2:
            continue
        part = sub.subgraph(component).copy()
        while True:
            try:
                cycle = nx.find_cycle(part)
            except nx.NetworkXNoCycle:
                break
            parent, child = min(((u, v) for u, v, *_ in cycle),
                                key=lambda e: (part.edges[e]["confidence"], e[0], e[1]))
            weight = part.edges[parent, child]["confidence"]
            part.remove_edge(parent, child)
            del cg.succ[parent][child], cg.pred[child][parent]
            removed.append((parent, child, weight))
            logger.warning("cycle through %s broken: removed %s -> %s (confidence %.2f)",
                           " -> ".join(u for u, *_ in cycle), parent, child, weight)
    cg.__dict__.pop("graph", None)  # drop a networkx view built before the change
    return removed


def load_graph(store: Store, min_confidence: float = 0.0) -> ChainGraph:
    """The chain graph of the edges stored in `store` (at or above `min_confidence`)."""
    catalog = {r[0] for r in store.conn.execute("SELECT model_id FROM models")}
    edges = store.conn.execute("SELECT parent, child, confidence FROM lineage_edges WHERE confidence >= ?",
                               (min_confidence,))
    return build_graph(edges, catalog)


def count_chains(cg: ChainGraph) -> ChainCounts:
    """Root-to-leaf path counts by number of models, by DP over the topological order."""
    pred, succ = cg.pred, cg.succ
    lengths: dict[str, tuple[int, ...]] = {}
    intern: dict[tuple[int, ...], tuple[int, ...]] = {}
    totals: dict[int, int] = {}
    for node in cg.order:
        preds = pred[node]
        if not preds:
            dist: tuple[int, ...] = (0, 1)
        elif len(preds) == 1:
            dist = (0, *lengths[next(iter(preds))])
        else:
            width = 1 + max(len(lengths[p]) for p in preds)
            acc = [0] * width
            for p in preds:
                for k, v in enumerate(lengths[p]):
                    acc[k + 1] += v
            dist = tuple(acc)
        dist = intern.setdefault(dist, dist)
        lengths[node] = dist
        if preds and not succ[node]:
            for k, v in enumerate(dist):
                if v:
                    totals[k] = totals.get(k, 0) + v
    return ChainCounts(sum(totals.values()), dict(sorted(totals.items())))


def iter_chains(cg: ChainGraph, allowed: Callable[[str], bool] | None = None) -> Iterator[list[str]]:
    """Root-first chains (>= 2 models) in a deterministic order, optionally only through `allowed` models.

    A chain is yielded only if it ends at a leaf of the whole graph. Callers cap it (`itertools.islice`).
    """
    succ = cg.succ
    for root in sorted(cg.roots()):
        if allowed is not None and not allowed(root):
            continue
        stack: list[tuple[str, list[str]]] = [(root, [root])]
        while stack:
            node, path = stack.pop()
            children = succ[node]
            if not children:
                if len(path) > 1:
                    yield path
                continue
            for child in sorted(children, reverse=True):
                if allowed is None or allowed(child):
                    stack.append((child, [*path, child]))


def descendants(cg: ChainGraph, model: str) -> dict[str, int]:
    """Every model downstream of `model` and its depth (1 = fine-tuned directly from it)."""
    if model not in cg:
        return {}
    depths = nx.single_source_shortest_path_length(cg.graph, model)
    depths.pop(model, None)
    return dict(depths)
