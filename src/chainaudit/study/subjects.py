"""Subject selection as a study config: the chains that qualify (`lineage.selection`) written as YAML."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chainaudit.data import REGISTRY
from chainaudit.errors import ChainauditError
from chainaudit.lineage import load_graph
from chainaudit.lineage.graph import EdgeFilter
from chainaudit.lineage.selection import Criteria, select_chains
from chainaudit.store import Store
from chainaudit.study.config import PAPER_ATTACKS, ModelRef, StudyConfig, dataset_name, dump_study_config


@dataclass(frozen=True)
class WrittenConfig:
    """The study config written, and how many chains and models qualified."""

    config: StudyConfig
    candidate_chains: int
    eligible_models: int
    truncated: bool
    unknown_datasets: list[str]


def write_study_config(store: Store, out: Path, criteria: Criteria, *, name: str = "chains",
                       datasets: Sequence[str] | None = None, attacks: Sequence[str] | None = None,
                       n_samples: int = 1000, seed: int = 0, edges: EdgeFilter | float = 0.0) -> WrittenConfig:
    """Select the chains meeting `criteria` and write them, with the datasets and attacks, to `out`.

    Datasets default to what the chains' last models declare; attacks to the paper's six; `edges` chooses the
    lineage edges (relations, confidence floor; a bare float: the floor).
    """
    selection = select_chains(store, load_graph(store, edges), criteria)
    if not selection.chains:
        raise ChainauditError(f"no chain qualifies ({selection.eligible_models} models in the graph meet the "
                              "criteria); try a lower --min-downloads or --no-require-datasets")
    chosen = list(datasets or dict.fromkeys(dataset_name(d) for c in selection.chains for d in c[-1].datasets))
    if not chosen:
        raise ChainauditError("the selected chains declare no datasets; pass --dataset NAME")
    try:
        config = StudyConfig(name=name, datasets=chosen, attacks=list(attacks or PAPER_ATTACKS), n_samples=n_samples,
                             seed=seed, chains=[[ModelRef(id=m.model_id, revision=m.revision, path=m.path)
                                                 for m in chain] for chain in selection.chains])
    except ValueError as exc:
        raise ChainauditError(f"invalid study settings: {' '.join(str(exc).split())}") from exc
    dump_study_config(config, out)
    return WrittenConfig(config, selection.candidate_chains, selection.eligible_models, selection.truncated,
                         [d for d in chosen if d not in REGISTRY])
