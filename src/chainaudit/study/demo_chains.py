"""The demo's chains, found the way any catalog's are: import the model folders (`collect --from-dir`), identify
each one's upstream (`lineage`), select the chains (`select`), and turn them into the study config."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from chainaudit.errors import ChainauditError
from chainaudit.hub import collect_catalog
from chainaudit.lineage import identify_catalog, load_graph
from chainaudit.lineage.selection import ChainModel, Criteria, select_chains
from chainaudit.store import Store
from chainaudit.study.config import AttackChoice, DatasetChoice, ModelRef, StudyConfig, dump_study_config

#: Local folders have no downloads; every model of a demo chain declares its dataset in its card.
DEMO_CRITERIA = Criteria(min_downloads=0, require_datasets=True, exempt_roots=True)


@dataclass(frozen=True)
class FoundEdge:
    """One lineage edge as `lineage` stored it: how it was found and the card's words that say so."""

    parent: str
    child: str
    source: str
    confidence: float
    relation: str | None
    evidence: str | None


@dataclass(frozen=True)
class FoundChains:
    """The chains among the demo's models (root first), the edges that make them, and what the import did."""

    chains: list[list[ChainModel]]
    edges: list[FoundEdge]
    imported: int
    catalog_chains: int
    external_roots: list[str]


def _edges_into(store: Store, child: str) -> list[FoundEdge]:
    rows = store.select("lineage_edges", {"child": child})
    return [FoundEdge(r["parent"], child, r["source"], r["confidence"], r["relation"], r["evidence"])
            for r in sorted(rows, key=lambda r: -r["confidence"])]


def find_chains(store: Store, models_dir: Path, demo_ids: Collection[str]) -> FoundChains:
    """Import `models_dir`, recompute lineage over the catalog, and keep the selected chains' runs of demo models
    (an external root such as the pretrained base is not a classifier: it is named, not attacked)."""
    imported = collect_catalog(store, from_dir=models_dir).imports[models_dir]
    if imported.skipped:
        raise ChainauditError(f"importing {models_dir}: " + "; ".join(imported.skipped[:3]))
    identify_catalog(store)
    graph = load_graph(store)
    selection = select_chains(store, graph, DEMO_CRITERIA)
    chains: list[list[ChainModel]] = []
    for chain in selection.chains:
        mine = [m for m in chain if m.model_id in demo_ids]
        if len(mine) > 1 and mine not in chains:
            chains.append(mine)
    if not chains:
        raise ChainauditError(f"lineage found no chain among the demo's models in {models_dir} (edges: "
                              f"{[(e.parent, e.child) for m in demo_ids for e in _edges_into(store, m)]})")
    members = {m.model_id for chain in chains for m in chain}
    edges = [e for m in sorted(members) for e in _edges_into(store, m)]
    roots = sorted({e.parent for e in edges if e.parent in graph.external})
    return FoundChains(chains, edges, imported.imported, selection.candidate_chains, roots)


def chain_study(name: str, chains: Sequence[Sequence[ChainModel]], *, datasets: Sequence[str], attacks: Sequence[str],
                n: int, max_length: int, time_limit: float | None, seed: int = 0) -> StudyConfig:
    """The study config of `chains`: each model pinned to the revision the catalog holds, every dataset sampled
    at random (seeded: the first rows of some evaluation splits are all one label)."""
    try:
        return StudyConfig(
            name=name, chains=[[ModelRef(id=m.model_id, revision=m.revision, path=m.path) for m in c] for c in chains],
            datasets=[DatasetChoice(name=d, n=n, sample="random") for d in datasets],
            attacks=[AttackChoice(name=a) for a in attacks], n_samples=n, seed=seed, max_length=max_length,
            time_limit=time_limit)
    except ValueError as exc:
        raise ChainauditError(f"invalid demo study: {' '.join(str(exc).split())}") from exc


def write_chain_study(config: StudyConfig, path: Path) -> Path:
    """The config as YAML beside the report (`chainaudit study plan|run|metrics PATH` work on it)."""
    return dump_study_config(config, path)
