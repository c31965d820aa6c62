"""The datasets chainaudit knows by name: where to find them locally and on the Hub."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DatasetSpec:
    """How to read one named dataset.

    `text_columns` are joined with `text_joiner` (Amazon polarity's `title: content`, as in the local
    CSVs); `splits` maps our split names to the Hub's.
    """

    name: str
    hf_path: str
    hf_config: str | None
    text_columns: tuple[str, ...]
    label_column: str
    label_names: tuple[str, ...]
    splits: dict[str, str] = field(default_factory=dict)
    eval_split: str = "validation"
    text_joiner: str = ": "


_BINARY = ("negative", "positive")

REGISTRY: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec("sst2", "nyu-mll/glue", "sst2", ("sentence",), "label", _BINARY,
                    {"train": "train", "validation": "validation"}, eval_split="validation"),
        DatasetSpec("imdb", "stanfordnlp/imdb", None, ("text",), "label", _BINARY,
                    {"train": "train", "test": "test"}, eval_split="test"),
        DatasetSpec("rotten_tomatoes", "cornell-movie-review-data/rotten_tomatoes", None, ("text",), "label",
                    _BINARY, {"train": "train", "validation": "validation", "test": "test"},
                    eval_split="validation"),
        DatasetSpec("amazon_polarity", "fancyzhx/amazon_polarity", None, ("title", "content"), "label",
                    _BINARY, {"train": "train", "test": "test"}, eval_split="test"),
    )
}


def get_spec(name: str) -> DatasetSpec | None:
    return REGISTRY.get(name)
