"""Subject selection as in the paper: chains whose every model declares its training datasets and has at
least `min_downloads` downloads (both configurable)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import islice

from chainaudit.lineage.graph import DEFAULT_CAP, ChainGraph, iter_chains
from chainaudit.store import Store


@dataclass(frozen=True)
class Criteria:
    """Which chains qualify; `max_chains` keeps the longest, then most downloaded."""

    min_downloads: int = 30
    require_datasets: bool = True
    max_chains: int | None = None
    min_length: int = 2
    exempt_roots: bool = False  # roots (pretrained bases, external upstreams) need not meet the criteria
    cap: int = DEFAULT_CAP


@dataclass(frozen=True)
class ChainModel:
    model_id: str
    revision: str | None
    path: str | None
    downloads: int | None
    datasets: tuple[str, ...]


@dataclass
class Selection:
    """Selected chains (root first) and how many candidates there were."""

    chains: list[list[ChainModel]] = field(default_factory=list)
    eligible_models: int = 0
    candidate_chains: int = 0
    truncated: bool = False


def select_chains(store: Store, cg: ChainGraph, criteria: Criteria | None = None) -> Selection:
    """Chains of the graph all of whose models meet `criteria` (external models never do)."""
    criteria = criteria or Criteria()
    roots = set(cg.roots()) if criteria.exempt_roots else set()
    sql = "SELECT model_id, revision, path, downloads, datasets FROM models WHERE "
    wants_data = " AND datasets IS NOT NULL AND datasets != '[]'" if criteria.require_datasets else ""
    rows = list(store.conn.execute(sql + "COALESCE(downloads, 0) >= ?" + wants_data, (criteria.min_downloads,)))
    exempt = sorted(roots)
    for i in range(0, len(exempt), 900):
        chunk = exempt[i:i + 900]
        rows += store.conn.execute(sql + f"model_id IN ({','.join('?' * len(chunk))})", chunk)
    in_graph = cg.index
    eligible = {r[0]: r for r in rows if r[0] in in_graph}
    eligible.update({root: (root, None, None, None, None) for root in roots - eligible.keys()})  # external
    found = list(islice(iter_chains(cg, allowed=eligible.__contains__), criteria.cap + 1))
    selection = Selection(eligible_models=len(eligible.keys() - roots), truncated=len(found) > criteria.cap)
    info = {m: _chain_model(eligible[m]) for m in {m for path in found for m in path}}
    chains = [[info[m] for m in path] for path in found[:criteria.cap] if len(path) >= criteria.min_length]
    selection.candidate_chains = len(chains)
    chains.sort(key=lambda c: (-len(c), -min(m.downloads or 0 for m in c), [m.model_id for m in c]))
    selection.chains = chains[:criteria.max_chains] if criteria.max_chains is not None else chains
    return selection


def _chain_model(row: tuple[str, str | None, str | None, int | None, str | None]) -> ChainModel:
    model_id, revision, path, downloads, datasets_json = row
    datasets = json.loads(datasets_json) if datasets_json else []
    return ChainModel(model_id, revision, path, downloads,
                      tuple(d for d in datasets if isinstance(d, str)) if isinstance(datasets, list) else ())
