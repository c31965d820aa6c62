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
    info: dict[str, ChainModel] = {}
    roots = set(cg.roots()) if criteria.exempt_roots else set()
    rows = store.conn.execute("SELECT model_id, revision, path, downloads, datasets FROM models")
    in_graph = cg.succ
    for model_id, revision, path, downloads, datasets_json in rows:
        if model_id not in in_graph:
            continue
        if (downloads or 0) < criteria.min_downloads and model_id not in roots:
            continue
        datasets = json.loads(datasets_json) if datasets_json and datasets_json != "[]" else []
        if bool(datasets) or not criteria.require_datasets or model_id in roots:
            info[model_id] = ChainModel(model_id, revision, path, downloads,
                                        tuple(d for d in datasets if isinstance(d, str)))
    for root in roots - info.keys():  # external roots
        info[root] = ChainModel(root, None, None, None, ())
    found = list(islice(iter_chains(cg, allowed=info.__contains__), criteria.cap + 1))
    selection = Selection(eligible_models=len(info.keys() - roots), truncated=len(found) > criteria.cap)
    chains = [[info[m] for m in path] for path in found[:criteria.cap] if len(path) >= criteria.min_length]
    selection.candidate_chains = len(chains)
    chains.sort(key=lambda c: (-len(c), -min(m.downloads or 0 for m in c), [m.model_id for m in c]))
    selection.chains = chains[:criteria.max_chains] if criteria.max_chains is not None else chains
    return selection
