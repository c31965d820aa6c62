"""Lineage: upstream identification (metadata, tags, card text, optional LLM, name hints), the chain
graph and RQ1 statistics, subject selection."""

from chainaudit.lineage.graph import ChainCounts, ChainGraph, build_graph, count_chains, iter_chains, load_graph
from chainaudit.lineage.identify import LineageReport, identify_catalog
from chainaudit.lineage.names import LEGACY_IDS, Ref, Resolver, clean_reference
from chainaudit.lineage.rules import Edge, identify_model

__all__ = ["LEGACY_IDS", "ChainCounts", "ChainGraph", "Edge", "LineageReport", "Ref", "Resolver", "build_graph",
           "clean_reference", "count_chains", "identify_catalog", "identify_model", "iter_chains", "load_graph"]
