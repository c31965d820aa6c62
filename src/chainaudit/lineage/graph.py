"""The chain graph (parent → child) and chains: maximal root-to-leaf paths.

Self-loops and cycles are reported and broken (the weakest edge of each cycle goes, and `ChainGraph.cycles` keeps
each cycle's edges beside the one dropped), never looped over. `EdgeFilter` says which stored edges the graph is
built from (relations, a confidence floor); `stats.edges_counted` puts that and the counts in words.
A model with several upstreams keeps every edge, so the number of root-to-leaf paths can grow
combinatorially: chains are *counted* by dynamic programming (exact) and only *enumerated* up to a cap.

Scale: a Hub-sized catalog has a million models, and a `networkx.DiGraph` of that size costs more to
build than everything else here together. So the graph is kept as integer edge arrays with CSR indexes
(numpy), and the level-by-level passes (topological levels, path counts by length, descendants) are
vectorised. networkx does what needs its algorithms — strongly connected components and cycle finding on
the small cyclic core — and `ChainGraph.graph` gives the whole graph as a `networkx.DiGraph` on demand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from chainaudit.errors import ChainauditError
from chainaudit.store import Store

logger = logging.getLogger(__name__)
DEFAULT_CAP = 100_000
_EXACT = 2.0**53  # float64 path counts are exact below this; above it counting falls back to Python ints
_MAX_VECTOR_DEPTH = 500  # deeper graphs are counted by the Python DP (cost grows with depth × edges)
#: Every relation a lineage edge may carry (a stored NULL reads as `unknown`), in the order they are listed.
RELATIONS = ("finetune", "adapter", "quantized", "merge", "distillation", "continued-pretraining", "unknown")
Edge = tuple[str, str, float]  # (parent, child, confidence)


@dataclass(frozen=True)
class EdgeFilter:
    """Which stored lineage edges a graph counts: these `relations` (None: every one) at or above `min_confidence`.

    >>> EdgeFilter.parse(["adapter,finetune"], 0.5).describe()
    'relations finetune, adapter; confidence ≥ 0.50'
    """

    relations: tuple[str, ...] | None = None
    min_confidence: float = 0.0

    @classmethod
    def parse(cls, relations: Iterable[str] | None = None, min_confidence: float = 0.0) -> EdgeFilter:
        """From `--relation` values (repeated and/or comma-separated); an unknown name is an error listing them."""
        names = {n.strip().lower() for value in relations or () for n in value.split(",") if n.strip()}
        bad = sorted(names - set(RELATIONS))
        if bad:
            raise ChainauditError(f"--relation {', '.join(bad)}: not a known relation; allowed: {', '.join(RELATIONS)}")
        return cls(tuple(r for r in RELATIONS if r in names) or None, min_confidence)

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition on `lineage_edges` and its parameters."""
        sql, params = "confidence >= ?", [self.min_confidence]
        if self.relations is not None:
            sql += f" AND COALESCE(relation, 'unknown') IN ({','.join('?' * len(self.relations))})"
            params += self.relations
        return sql, params

    def describe(self) -> str:
        """`relations finetune, adapter; confidence ≥ 0.50` (or `every relation; any confidence`)."""
        relations = f"relations {', '.join(self.relations)}" if self.relations is not None else "every relation"
        floor = f"confidence ≥ {self.min_confidence:.2f}" if self.min_confidence > 0 else "any confidence"
        return f"{relations}; {floor}"


@dataclass(frozen=True)
class BrokenCycle:
    """One cycle found in the lineage, as its edges in order, and the edge dropped to break it (its weakest)."""

    edges: tuple[Edge, ...]
    dropped: Edge

    def describe(self) -> str:
        """`a -> b (1.00), b -> a (0.30); dropped b -> a (confidence 0.30)`."""
        edges = ", ".join(f"{p} -> {c} ({conf:.2f})" for p, c, conf in self.edges)
        return f"{edges}; dropped {self.dropped[0]} -> {self.dropped[1]} (confidence {self.dropped[2]:.2f})"


def _csr(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(indptr, edge order) grouping edge indices by `keys` (a node id per edge)."""
    order = np.argsort(keys, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=indptr[1:])
    return indptr, order


def _gather(indptr: np.ndarray, order: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Indices of the edges of `nodes` in a CSR index."""
    starts = indptr[nodes]
    counts = indptr[nodes + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(total)
    return order[offsets]


@dataclass
class ChainGraph:
    """Lineage as a DAG over node ids: edge k is `names[src[k]] -> names[dst[k]]` with `conf[k]`.

    `external` names the upstreams that are not in the catalog; `broken` the edges dropped to break `cycles`;
    `edge_filter` the stored edges it was loaded from (`load_graph`), and `stored_edges` / `matching_edges` how many
    rows the store holds and how many of them the filter let in (None when built from triples).
    """

    names: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    conf: np.ndarray
    is_external: np.ndarray
    self_loops: list[str] = field(default_factory=list)
    broken: list[Edge] = field(default_factory=list)
    cycles: list[BrokenCycle] = field(default_factory=list)
    edge_filter: EdgeFilter = field(default_factory=EdgeFilter)
    stored_edges: int | None = None
    matching_edges: int | None = None

    # -- structure ---------------------------------------------------------------------------------
    @cached_property
    def index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.names.tolist())}

    @cached_property
    def external(self) -> frozenset[str]:
        return frozenset(self.names[self.is_external].tolist())

    @cached_property
    def out_csr(self) -> tuple[np.ndarray, np.ndarray]:
        return _csr(self.src, len(self.names))

    @cached_property
    def in_degree(self) -> np.ndarray:
        return np.bincount(self.dst, minlength=len(self.names))

    @cached_property
    def out_degree(self) -> np.ndarray:
        return np.bincount(self.src, minlength=len(self.names))

    def __contains__(self, name: object) -> bool:
        return name in self.index

    def __len__(self) -> int:
        return len(self.names)

    @property
    def edge_count(self) -> int:
        return len(self.src)

    def children(self, node: int) -> np.ndarray:
        indptr, order = self.out_csr
        return self.dst[order[indptr[node]:indptr[node + 1]]]

    def roots(self) -> list[str]:
        return sorted(self.names[self.in_degree == 0].tolist())

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The same graph as a `networkx.DiGraph` (edge attribute `confidence`), built on first use."""
        graph = nx.DiGraph()
        graph.add_nodes_from(self.names.tolist())
        names = self.names
        graph.add_weighted_edges_from(zip(names[self.src].tolist(), names[self.dst].tolist(), self.conf.tolist(),
                                          strict=True), weight="confidence")
        return graph


@dataclass(frozen=True)
class ChainCounts:
    """Exact chain totals: `by_length[k]` chains have k models."""

    total: int
    by_length: dict[int, int]

    @property
    def average_length(self) -> float:
        return sum(k * v for k, v in self.by_length.items()) / self.total if self.total else 0.0


# -- building ----------------------------------------------------------------------------------------
def build_graph(edges: Iterable[tuple[str, str, float]], catalog: Container[str]) -> ChainGraph:
    """A DAG from (parent, child, confidence) triples; duplicates keep the highest confidence."""
    rows = list(edges)
    parents = np.array([r[0] for r in rows], dtype=object)
    children = np.array([r[1] for r in rows], dtype=object)
    conf = np.array([r[2] for r in rows], dtype=np.float64)
    del rows
    codes, names = pd.factorize(np.concatenate([parents, children]))
    names = np.asarray(names, dtype=object)
    n, m = len(names), len(parents)
    src, dst = codes[:m].astype(np.int64), codes[m:].astype(np.int64)
    loop = src == dst
    loops = sorted(set(names[src[loop]].tolist()))
    for node in loops:
        logger.warning("self-loop on %s removed", node)
    src, dst, conf = src[~loop], dst[~loop], conf[~loop]
    key = src * max(n, 1) + dst
    order = np.lexsort((conf, key))  # by edge, highest confidence last
    last = np.ones(len(order), dtype=bool)
    last[:-1] = key[order][1:] != key[order][:-1]
    keep = np.sort(order[last])
    is_external = np.fromiter((name not in catalog for name in names.tolist()), dtype=bool, count=n)
    cg = ChainGraph(names, src[keep], dst[keep], conf[keep], is_external, self_loops=loops)
    core = np.flatnonzero(topological_levels(cg) < 0)
    if core.size:
        cg.cycles = break_cycles(cg, core)
        cg.broken = [c.dropped for c in cg.cycles]
    return cg


def topological_levels(cg: ChainGraph) -> np.ndarray:
    """Each node's longest distance from a root (Kahn's algorithm, one vectorised step per level).

    Nodes on a cycle, or below one, get -1: those are what `break_cycles` hands to networkx.
    """
    n = len(cg.names)
    indegree = cg.in_degree.copy()
    indptr, order = cg.out_csr
    level = np.full(n, -1, dtype=np.int64)
    frontier = np.flatnonzero(indegree == 0)
    depth = 0
    while frontier.size:
        level[frontier] = depth
        targets = cg.dst[_gather(indptr, order, frontier)]
        if targets.size * 16 > n:  # wide level: one pass over all nodes beats scattered updates
            indegree -= np.bincount(targets, minlength=n)
        else:
            np.subtract.at(indegree, targets, 1)
        candidates = np.unique(targets)
        frontier = candidates[indegree[candidates] == 0]
        depth += 1
    return level


def break_cycles(cg: ChainGraph, core: np.ndarray) -> list[BrokenCycle]:
    """Remove the weakest edge of each cycle among `core` nodes until none is left; return each cycle met (its
    edges, and the one removed)."""
    in_core = np.zeros(len(cg.names), dtype=bool)
    in_core[core] = True
    inside = np.flatnonzero(in_core[cg.src] & in_core[cg.dst])
    sub = nx.DiGraph()
    sub.add_weighted_edges_from(zip(cg.src[inside].tolist(), cg.dst[inside].tolist(), inside.tolist(),
                                    strict=True), weight="edge")
    removed_edges: list[int] = []
    found: list[BrokenCycle] = []

    def edge(k: int) -> Edge:
        return str(cg.names[cg.src[k]]), str(cg.names[cg.dst[k]]), float(cg.conf[k])

    for component in list(nx.strongly_connected_components(sub)):
        if len(component) < 2:
            continue
        part = sub.subgraph(component).copy()
        while True:
            try:
                cycle = nx.find_cycle(part)
            except nx.NetworkXNoCycle:
                break
            edges = [part.edges[u, v]["edge"] for u, v, *_ in cycle]
            weakest = min(edges, key=lambda k: (cg.conf[k], cg.names[cg.src[k]], cg.names[cg.dst[k]]))
            part.remove_edge(int(cg.src[weakest]), int(cg.dst[weakest]))
            removed_edges.append(weakest)
            found.append(BrokenCycle(tuple(edge(k) for k in edges), edge(weakest)))
            logger.info("cycle broken: %s", found[-1].describe())  # shown by `chains` and the report
    keep = np.ones(len(cg.src), dtype=bool)
    keep[removed_edges] = False
    cg.src, cg.dst, cg.conf = cg.src[keep], cg.dst[keep], cg.conf[keep]
    for cached in ("out_csr", "in_degree", "out_degree", "graph"):
        cg.__dict__.pop(cached, None)
    return found


class _Except:
    """Everything but a given set (the catalog, known by what it lacks)."""

    def __init__(self, missing: set[str]) -> None:
        self.missing = missing

    def __contains__(self, item: object) -> bool:
        return item not in self.missing


#: Lineage-edge endpoints (`parent` or `child`) that are not catalog models.
_NOT_IN_CATALOG = "SELECT DISTINCT {0} FROM lineage_edges WHERE {0} NOT IN (SELECT model_id FROM models)"


def external_upstreams(store: Store) -> list[str]:
    """Upstreams named by stored lineage edges but absent from the catalog, sorted (`collect --upstreams`)."""
    return [r[0] for r in store.conn.execute(_NOT_IN_CATALOG.format("parent") + " ORDER BY parent")]


def load_graph(store: Store, edges: EdgeFilter | float = 0.0) -> ChainGraph:
    """The chain graph of the edges stored in `store` that `edges` lets in (a bare float: a confidence floor)."""
    chosen = edges if isinstance(edges, EdgeFilter) else EdgeFilter(min_confidence=edges)
    external = {r[0] for r in store.conn.execute(
        _NOT_IN_CATALOG.format("parent") + " UNION " + _NOT_IN_CATALOG.format("child"))}
    where, params = chosen.where()
    cg = build_graph(store.conn.execute(f"SELECT parent, child, confidence FROM lineage_edges WHERE {where}", params),
                     _Except(external))
    stored, matching = store.conn.execute(
        f"SELECT COUNT(*), COALESCE(SUM({where}), 0) FROM lineage_edges", params).fetchone()
    cg.edge_filter, cg.stored_edges, cg.matching_edges = chosen, stored, matching
    return cg


# -- chains ------------------------------------------------------------------------------------------
def count_chains(cg: ChainGraph) -> ChainCounts:
    """Root-to-leaf path counts by number of models.

    DP by path length: v_k[x] = number of k-model paths from a root to x, v_{k+1} = sum over edges of
    v_k[parent] (one vectorised step per length). Exact while counts stay below 2^53, and while the graph
    is shallow; otherwise the same DP runs over a topological order with Python integers.
    """
    n = len(cg.names)
    leaves = cg.out_degree == 0
    v = (cg.in_degree == 0).astype(np.float64)
    totals: dict[int, int] = {}
    k = 1
    while True:
        k += 1
        v = np.bincount(cg.dst, weights=v[cg.src], minlength=n)
        if not v.any():
            break
        if v.max() >= _EXACT or k > _MAX_VECTOR_DEPTH:
            return _count_chains_exact(cg)
        found = v[leaves].sum()
        if found:
            totals[k] = int(found)
    return ChainCounts(sum(totals.values()), totals)


def _count_chains_exact(cg: ChainGraph) -> ChainCounts:
    """The same DP with Python integers over a topological order (any depth, any count)."""
    order = np.argsort(topological_levels(cg), kind="stable").tolist()
    parents: dict[int, list[int]] = {}
    for s, d in zip(cg.src.tolist(), cg.dst.tolist(), strict=True):
        parents.setdefault(d, []).append(s)
    leaves = cg.out_degree == 0
    lengths: dict[int, dict[int, int]] = {}
    totals: dict[int, int] = {}
    for node in order:
        dist: dict[int, int] = {}
        for p in parents.get(node, ()):
            for length, count in lengths[p].items():
                dist[length + 1] = dist.get(length + 1, 0) + count
        lengths[node] = dist or {1: 1}
        if dist and leaves[node]:
            for length, count in dist.items():
                totals[length] = totals.get(length, 0) + count
    return ChainCounts(sum(totals.values()), dict(sorted(totals.items())))


def iter_chains(cg: ChainGraph, allowed: Callable[[str], bool] | None = None) -> Iterator[list[str]]:
    """Root-first chains (>= 2 models) in a deterministic order, optionally only through `allowed` models.

    A chain is yielded only if it ends at a leaf of the whole graph. Callers cap it (`itertools.islice`).
    """
    names = cg.names
    out_degree = cg.out_degree
    for root in cg.roots():
        if allowed is not None and not allowed(root):
            continue
        stack: list[tuple[int, list[str]]] = [(cg.index[root], [root])]
        while stack:
            node, path = stack.pop()
            if out_degree[node] == 0:
                if len(path) > 1:
                    yield path
                continue
            for child in sorted(names[cg.children(node)].tolist(), reverse=True):
                if allowed is None or allowed(child):
                    stack.append((cg.index[child], [*path, child]))


def descendants(cg: ChainGraph, model: str) -> dict[str, int]:
    """Every model downstream of `model` and its depth (1 = fine-tuned directly from it), breadth first."""
    start = cg.index.get(model)
    if start is None:
        return {}
    indptr, order = cg.out_csr
    seen = np.zeros(len(cg.names), dtype=bool)
    seen[start] = True
    frontier = np.array([start])
    found: dict[str, int] = {}
    depth = 0
    while frontier.size:
        depth += 1
        targets = np.unique(cg.dst[_gather(indptr, order, frontier)])
        frontier = targets[~seen[targets]]
        seen[frontier] = True
        found.update(dict.fromkeys(cg.names[frontier].tolist(), depth))
    return found


def ancestors(cg: ChainGraph, model: str) -> dict[str, int]:
    """Every model upstream of `model` and its distance (1 = its direct upstream): `descendants` of the reversed
    graph."""
    return descendants(ChainGraph(cg.names, cg.dst, cg.src, cg.conf, cg.is_external), model)
