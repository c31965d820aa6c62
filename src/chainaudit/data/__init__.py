"""Datasets: the registry, loading (local folder, then the Hub) and deterministic sampling."""

from chainaudit.data.loading import LoadedSplit, load_split, local_file
from chainaudit.data.registry import REGISTRY, DatasetSpec, get_spec
from chainaudit.data.sample import Sample, SamplingMode, sampling_label, select

__all__ = ["REGISTRY", "DatasetSpec", "LoadedSplit", "Sample", "SamplingMode", "get_spec", "load_split", "local_file",
           "sampling_label", "select"]
