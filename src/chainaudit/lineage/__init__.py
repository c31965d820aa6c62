"""Lineage: upstream identification (metadata, tags, card text, optional LLM, name hints), the chain
graph and RQ1 statistics, subject selection."""

from chainaudit.lineage.graph import (
    ChainCounts,
    ChainGraph,
    build_graph,
    count_chains,
    external_upstreams,
    iter_chains,
    load_graph,
)
from chainaudit.lineage.identify import LineageReport, identify_catalog, lineage_warnings
from chainaudit.lineage.names import LEGACY_IDS, Ref, Resolver, clean_reference
from chainaudit.lineage.rules import Edge, identify_model

__all__ = ["LEGACY_IDS", "ChainCounts", "ChainGraph", "Edge", "LineageReport", "Ref", "Resolver", "build_graph",
           "clean_reference", "count_chains", "external_upstreams", "identify_catalog", "identify_model",
           "iter_chains", "lineage_warnings", "load_graph"]
