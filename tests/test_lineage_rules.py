"""Upstream rules without an LLM: metadata, tags, card text, name hints; accuracy on labelled cards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainaudit.lineage.evaluate import evaluate_cards
from chainaudit.lineage.names import Resolver
from chainaudit.lineage.rules import identify_model, metadata_edges, name_hint_edge, tag_edges, text_edge

CARDS = Path(__file__).parent / "data" / "cards.jsonl"
R = Resolver(["acme/base", "acme/base-finetuned-x", "google-bert/bert-base-uncased"])


def test_metadata_string_list_and_garbage() -> None:
    warnings: list[str] = []
    edges = metadata_edges("a/m", {"base_model": "bert-base-uncased"}, R, warnings)
    assert [(e.parent, e.source, e.relation, e.confidence) for e in edges] == [
        ("google-bert/bert-base-uncased", "metadata", "finetune", 1.0)]
    merged = metadata_edges("a/m", {"base_model": ["acme/base", "x/y", "acme/base"]}, R, warnings)
    assert [e.parent for e in merged] == ["acme/base", "x/y"] and {e.relation for e in merged} == {"merge"}
    adapter = metadata_edges("a/m", {"base_model": "x/y", "base_model_relation": "adapter"}, R, warnings)
    assert adapter[0].relation == "adapter"
    assert not warnings
    for garbage in ({"a": 1}, 42, ["ok/model", 3], "not an id!!", "a/m"):
        warnings.clear()
        metadata_edges("a/m", {"base_model": garbage}, R, warnings)
        assert warnings, garbage
    warnings.clear()
    assert len(metadata_edges("a/m", {"base_model": [f"o/m{i}" for i in range(50)]}, R, warnings)) == 32
    assert "kept the first" in warnings[0]


def test_tags_with_relations() -> None:
    warnings: list[str] = []
    tags = ["text-classification", "base_model:acme/base", "base_model:quantized:acme/base", "base_model:bad id!"]
    edges = tag_edges("a/m", tags, R, warnings)
    assert [(e.parent, e.source, e.relation) for e in edges] == [("acme/base", "tag", "quantized")]
    assert warnings and "bad id" in warnings[0]


def test_identify_prefers_metadata_and_merges_tag_relation() -> None:
    card = "This model is a fine-tuned version of roberta-base on imdb."
    edges, _ = identify_model("a/m", {"base_model": "acme/base"}, ["base_model:adapter:acme/base", "base_model:x/y"],
                        card, R)
    assert [(e.parent, e.source, e.relation) for e in edges] == [("acme/base", "metadata", "adapter"),
                                                                ("x/y", "tag", "unknown")]
    text_only, _ = identify_model("a/m", {}, [], card, R)
    assert [(e.parent, e.source) for e in text_only] == [("FacebookAI/roberta-base", "card-text")]


@pytest.mark.parametrize(("card", "parent"), [
    ("This model is a fine-tuned version of [x](https://huggingface.co/acme/base) on sst2.", "acme/base"),
    ("Compared to bert-base-uncased, our model is based on acme/base.", "acme/base"),
    ("This model outperforms bert-base-uncased.", None),
    ("Distilled from bert-base-uncased (teacher).", None),
    ("See also [acme/base](https://huggingface.co/acme/base).", None),
    ("Fine-tuned on the acme/base dataset.", None),
    ("Trained on [data](https://huggingface.co/datasets/acme/base).", None),
    ("This model is a fine-tuned version of a/m on sst2.", None),  # itself
    ("x" * 70_000 + " fine-tuned from acme/base", None),  # beyond what is parsed
])
def test_text_rules(card: str, parent: str | None) -> None:
    edge = text_edge("a/m", card, R)
    assert (edge.parent if edge else None) == parent


def test_name_hints() -> None:
    assert name_hint_edge("acme/base-finetuned-x", R).parent == "acme/base"
    assert name_hint_edge("z/distilbert-base-uncased-finetuned-sst2", R).parent == \
        "distilbert/distilbert-base-uncased"
    assert name_hint_edge("z/base-ft-imdb", R).parent == "acme/base"  # unique name in the catalog
    assert name_hint_edge("z/sentiment", R) is None
    assert name_hint_edge("z/mystery-finetuned-sst2", R) is None


def test_labelled_cards_accuracy() -> None:
    lines = CARDS.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 40
    styles = {json.loads(line)["upstream"] == "N/A" for line in lines}
    assert styles == {True, False}
    report = evaluate_cards(CARDS)
    assert report.accuracy >= 0.95, report.mistakes
    assert report.precision >= 0.95 and report.recall >= 0.95


@pytest.mark.parametrize("card", [
    "| size | params | model |\n|---|---|---|\n| base | 74 M | [✓](https://huggingface.co/openai/whisper-base) |\n",
    "If you'd like a larger BERT model fine-tuned on the same data, use [bert-large-NER]"
    "(https://huggingface.co/dslim/bert-large-NER).\n",
    "This is the distilled version of the [RoBERTa](https://huggingface.co/FacebookAI/roberta-base) model.\n",
    "**Parent Model:** See the [BERT base model](https://huggingface.co/bert-base-uncased) for more information.\n",
    "We release all intermediate checkpoints [here](https://huggingface.co/org/base-intermediate-checkpoints).\n",
    "Models come in different sizes, including a base model [large](https://huggingface.co/org/model-large).\n",
])
def test_links_that_are_not_the_upstream(card: str) -> None:
    """Comparison tables, sibling suggestions, distillation teachers, references for more information,
    intermediate checkpoints and size lists name models that are not this one's parent."""
    from chainaudit.lineage.evaluate import predict
    from chainaudit.lineage.names import Resolver

    assert predict("someone/model", card, Resolver()) == ((), "")


@pytest.mark.parametrize(("card", "parent"), [
    ("This repo contains GGUF format model files for [Meta's Llama 2 7B]"
     "(https://huggingface.co/meta-llama/Llama-2-7b-hf).\n", "meta-llama/Llama-2-7b-hf"),
    ("This repository hosts a quantized version of the **roberta-base** model, fine-tuned for spam detection.\n",
     "FacebookAI/roberta-base"),
])
def test_quantized_copies_name_their_source_with_the_relation(card: str, parent: str) -> None:
    from chainaudit.lineage.names import Resolver
    from chainaudit.lineage.rules import identify_model

    edges, _ = identify_model("someone/model-q4", {}, [], card, Resolver())
    assert [(e.parent, e.relation) for e in edges] == [(parent, "quantized")]


def test_a_mergekit_card_lists_every_merged_model() -> None:
    from chainaudit.lineage.names import Resolver
    from chainaudit.lineage.rules import identify_model

    card = ("# X\n\nX is a merge of the following models using [mergekit](https://github.com/cg123/mergekit):\n"
            "* [org/left-7b](https://huggingface.co/org/left-7b)\n\n* `other/right-7b`\n\n## Configuration\n"
            "See [org/unrelated](https://huggingface.co/org/unrelated) for more.\n")
    edges, _ = identify_model("me/merged", {}, [], card, Resolver())
    assert [(e.parent, e.relation) for e in edges] == [("org/left-7b", "merge"), ("other/right-7b", "merge")]


def test_a_popular_base_named_in_words_but_not_a_family_name() -> None:
    from chainaudit.lineage.names import Resolver
    from chainaudit.lineage.rules import identify_model

    quantized = "This repository hosts a quantized version of the DistilBERT Base Uncased model, fine-tuned for x.\n"
    edges, _ = identify_model("me/q", {}, [], quantized, Resolver())
    assert [(e.parent, e.relation) for e in edges] == [("distilbert/distilbert-base-uncased", "quantized")]
    family = "It is based on the [RoBERTa](https://arxiv.org/abs/1907.11692) base model, pre-trained on our corpus.\n"
    assert identify_model("me/r", {}, [], family, Resolver())[0] == []
    reference = "See the [roberta-base model card](https://huggingface.co/roberta-base/blob/main/README.md).\n"
    assert identify_model("me/s", {}, [], "Based on our work. " + reference, Resolver())[0] == []


@pytest.mark.parametrize("value", ["scratch", "None", ["scratch"]])
def test_base_model_scratch_or_none_means_no_upstream(value: object) -> None:
    from chainaudit.lineage.names import Resolver
    from chainaudit.lineage.rules import identify_model

    edges, _ = identify_model("me/m", {"base_model": value}, [], "Trained from scratch.\n", Resolver())
    assert edges == []
