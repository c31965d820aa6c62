"""Name resolution: URLs, revisions, case, legacy un-namespaced ids, external upstreams."""

from __future__ import annotations

import pytest

from chainaudit.lineage.names import LEGACY_IDS, Resolver, canonical, clean_reference, well_known_by_words


@pytest.mark.parametrize(("raw", "expected"), [
    ("google-bert/bert-base-uncased", ("google-bert/bert-base-uncased", None)),
    ("https://huggingface.co/roberta-base", ("roberta-base", None)),
    ("https://huggingface.co/FacebookAI/roberta-large/tree/main", ("FacebookAI/roberta-large", "main")),
    ("http://hf.co/bert-base-uncased/blob/abc123/config.json", ("bert-base-uncased", "abc123")),
    ("huggingface.co/acme/model?library=transformers#usage", ("acme/model", None)),
    ("https://huggingface.co/api/models/acme/model", ("acme/model", None)),
    ("acme/model@v1.0", ("acme/model", "v1.0")),
    ("`acme/model`.", ("acme/model", None)),
    ("https://huggingface.co/datasets/imdb", None),
    ("https://huggingface.co/spaces/acme/demo", None),
    ("https://github.com/acme/model", None),
    ("not a model id", None),
    ("a/b/c", None),
    ("foo--bar", None),
])
def test_clean_reference(raw: str, expected: tuple[str, str | None] | None) -> None:
    assert clean_reference(raw) == expected


def test_legacy_ids() -> None:
    assert canonical("bert-base-uncased") == "google-bert/bert-base-uncased"
    assert canonical("DistilBERT-base-uncased") == "distilbert/distilbert-base-uncased"
    assert canonical("roberta-base") == "FacebookAI/roberta-base"
    assert canonical("gpt2") == "openai-community/gpt2"
    assert canonical("acme/roberta-base") == "acme/roberta-base"
    assert len(LEGACY_IDS) > 50


def test_resolver_catalog_case_and_legacy_both_ways() -> None:
    r = Resolver(["google-bert/bert-base-uncased", "roberta-base", "Acme/Sentiment"])
    assert r.resolve("bert-base-uncased").model_id == "google-bert/bert-base-uncased"
    assert r.resolve("https://huggingface.co/FacebookAI/roberta-base").model_id == "roberta-base"  # old catalog id
    hit = r.resolve("acme/sentiment@abc")
    assert (hit.model_id, hit.revision, hit.in_catalog) == ("Acme/Sentiment", "abc", True)
    ext = r.resolve("distilbert-base-uncased")
    assert (ext.model_id, ext.in_catalog) == ("distilbert/distilbert-base-uncased", False)
    assert r.resolve("other/model").in_catalog is False
    assert r.resolve("BERT") is None  # free text: not namespaced, not legacy, not in catalog
    assert r.resolve("my-model", loose=True).model_id == "my-model"  # metadata may name un-namespaced ids
    assert r.by_name("sentiment") == "Acme/Sentiment"


@pytest.mark.parametrize(("raw", "expected"), [
    ("/home/me/code/chatglm2-6b", "THUDM/chatglm2-6b"),                      # a folder named after a known base
    ("https://huggingface.co//home/me/code/chatglm2-6b", "THUDM/chatglm2-6b"),  # a Trainer link to a local base
    ("../ChatGLM2/THUDM/chatglm2-6b", "THUDM/chatglm2-6b"),                  # owner/name inside the path
    ("model\\Qwen2-0.5B-Instruct", "Qwen/Qwen2-0.5B-Instruct"),              # Windows
    ("/root/autodl-tmp/my-own-llama", None),                                 # names nothing known
    ("outputs/checkpoint-500", None), ("home/ec2-user", None), ("./results", None),
])
def test_local_paths_are_never_hub_ids(raw: str, expected: str | None) -> None:
    hit = Resolver().resolve(raw, loose=True)
    assert (hit.model_id if hit else None) == expected


def test_a_local_folder_resolves_to_the_catalog_model_of_that_name() -> None:
    hit = Resolver(["acme/sentiment-base"]).resolve("/data/ckpt/sentiment-base", loose=True)
    assert hit is not None and (hit.model_id, hit.in_catalog) == ("acme/sentiment-base", True)


@pytest.mark.parametrize("prose", ["JAX/Flax", "CMU/Google", "PyTorch/XLA"])
def test_capitalised_word_pairs_are_prose_not_ids(prose: str) -> None:
    assert not Resolver().plausible(prose)
    assert Resolver().plausible("EleutherAI/pythia-410m") and Resolver([prose]).plausible(prose)


def test_popular_bases_named_without_their_owner_resolve() -> None:
    r = Resolver()
    assert r.resolve("internlm-chat-7b", loose=True).model_id == "internlm/internlm-chat-7b"
    assert r.plausible("Qwen2-7B-Instruct") and canonical("qwen2-7b-instruct") == "Qwen/Qwen2-7B-Instruct"
    assert canonical("someone/internlm-chat-7b") == "someone/internlm-chat-7b"  # an owner is kept as written


@pytest.mark.parametrize(("words", "expected"), [
    ("Qwen14B", "Qwen/Qwen-14B"), ("Qwen2.5-1.5B", "Qwen/Qwen2.5-1.5B"),
    ("Meta-Llama3.2-1B-Instruct", "meta-llama/Llama-3.2-1B-Instruct"),
    ("Phi-3 Mini", "microsoft/Phi-3-mini-4k-instruct"),
    ("BETO", "dccuchile/bert-base-spanish-wwm-uncased"), ("CamemBERT", "almanach/camembert-base"),
    ("BERT", None), ("RoBERTa", None), ("DistilBERT", None), ("T5", None),
])
def test_names_in_words_written_without_separators_and_family_names_of_one_checkpoint(words: str,
                                                                                    expected: str | None) -> None:
    assert well_known_by_words(words) == expected


def test_a_repository_the_hub_renamed_resolves_to_its_current_id() -> None:
    r = Resolver(["meta-llama/Llama-3.1-8B-Instruct"])
    assert canonical("meta-llama/Meta-Llama-3.1-8B-Instruct") == "meta-llama/Llama-3.1-8B-Instruct"
    assert r.lookup("meta-llama/Meta-Llama-3.1-8B-Instruct") == "meta-llama/Llama-3.1-8B-Instruct"
    assert canonical("meta-llama/CodeLlama-7b-hf") == "codellama/CodeLlama-7b-hf"
    assert canonical("meta-llama/Meta-Llama-3-8B") == "meta-llama/Meta-Llama-3-8B"  # never renamed


@pytest.mark.parametrize("raw", [
    "https://huggingface.co/transformers/model_doc/bert.html",  # the docs' pre-2021 home
    "transformers/model_doc", "docs/main_classes/trainer", "https/huggingface.co", "www/huggingface.co",
    "google/https", "scripts/download_model.py", "configs/train.yaml", "notebooks/finetune.ipynb",
])
def test_documentation_pages_url_fragments_and_file_paths_are_not_models(raw: str) -> None:
    assert Resolver().resolve(raw) is None


def test_a_url_pasted_after_its_own_prefix_names_the_last_model() -> None:
    ref = Resolver().resolve("https://huggingface.co/google/https://huggingface.co/google/electra-base")
    assert ref is not None and ref.model_id == "google/electra-base"


@pytest.mark.parametrize("raw", ["models/pretrained_bert", "datasets/imdb", "spaces/acme/demo"])
def test_an_owner_the_hub_keeps_for_its_own_pages_is_a_local_folder_or_a_page(raw: str) -> None:
    assert Resolver().resolve(raw) is None
