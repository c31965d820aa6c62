"""Shared fixtures: tiny random-init BERT classifiers built in seconds, and the real data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Tests build hundreds of short-lived victims; each ONNX export costs more than it saves on a tiny model. The ONNX
# backend (the default for users) has its own tests, which ask for it by name, and the real-MiniLM tests use it.
os.environ.setdefault("CHAINAUDIT_BACKEND", "torch")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CHAINAUDIT_DATA_DIR", REPO.parent / "shared" / "data" / "datasets"))

TINY_CORPUS = [
    "a charming and often affecting journey",
    "the movie was great fun and the acting was wonderful",
    "a dull , boring and painfully slow film",
    "the plot is terrible and the dialogue is worse",
    "i loved it , one of the best films of the year",
    "i hated every minute of this awful mess",
    "an excellent , moving , beautiful story",
    "bad acting , bad script , bad everything",
    "not good , not bad , just fine",
    "the director does a fine job with a weak script",
]


def _tiny_vocab() -> dict[str, int]:
    """A fixed WordPiece vocabulary: specials, the corpus's characters (alone and as ##pieces), its words.

    Built by hand because `WordPieceTrainer` breaks ties differently from run to run, so a trained vocabulary
    (and every model built on it) changed between processes and made seeded tests flaky."""
    words = sorted({w for text in TINY_CORPUS for w in text.lower().split()})
    chars = sorted({c for w in words for c in w})
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *(f"##{c}" for c in chars),
              *(w for w in words if len(w) > 1)]
    return {t: i for i, t in enumerate(tokens)}


def build_tiny_model(out: Path, *, id2label: dict[int, str] | None = None, seed: int = 0,
                     safetensors: bool = True) -> Path:
    """Save a random-init 2-layer BERT classifier with a fixed WordPiece tokenizer built from TINY_CORPUS."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    id2label = id2label or {0: "negative", 1: "positive"}
    tok = Tokenizer(models.WordPiece(_tiny_vocab(), unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                                   model_max_length=64)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128,
                        num_labels=len(id2label), id2label=id2label,
                        label2id={v: k for k, v in id2label.items()})
    model = BertForSequenceClassification(config)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=safetensors)
    if not safetensors and not (out / "pytorch_model.bin").exists():
        torch.save(model.state_dict(), out / "pytorch_model.bin")
        for f in out.glob("*.safetensors"):
            f.unlink()
    fast.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny negative/positive BERT classifier folder (safetensors)."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def tiny_model_factory(tmp_path_factory: pytest.TempPathFactory):
    """Build tiny models with other labels / weight formats: factory(id2label=..., safetensors=...)."""
    def make(**kwargs) -> Path:
        return build_tiny_model(tmp_path_factory.mktemp("tinyf") / "model", **kwargs)
    return make


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private CHAINAUDIT_DATA_DIR with a small `tiny` dataset (train/validation)."""
    import pandas as pd

    rows = [(t, int(i % 2 == 1 or "great" in t or "loved" in t), "train") for i, t in enumerate(TINY_CORPUS)]
    rows += [(t, lab, "validation") for t, lab, _ in rows[:4]]
    (tmp_path / "tiny").mkdir()
    pd.DataFrame(rows, columns=["text", "label", "split"]).to_csv(tmp_path / "tiny" / "tiny.csv", index=False)
    monkeypatch.setenv("CHAINAUDIT_DATA_DIR", str(tmp_path))
    return tmp_path


SUBJECTS = ["the movie", "this film", "the plot", "the story", "the acting"]
KEYWORDS = {"good": 1, "great": 1, "bad": 0, "awful": 0}


@pytest.fixture(scope="session")
def keyword_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CSV dataset (train = validation) of "<subject> was <keyword>" sentences labelled by the keyword."""
    import pandas as pd

    rows = [(f"{s} was {k}", label, split) for split in ("train", "validation")
            for s in SUBJECTS for k, label in KEYWORDS.items()]
    path = tmp_path_factory.mktemp("kw") / "keywords.csv"
    pd.DataFrame(rows, columns=["text", "label", "split"]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def fragile_model(tiny_model_dir: Path, keyword_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny BERT fine-tuned on `keyword_data` until one keyword decides the label (white-box attacks)."""
    from chainaudit.zoo import FinetuneConfig, finetune

    cfg = FinetuneConfig(epochs=30, learning_rate=1e-3, batch_size=4, max_length=32, seed=0)
    result = finetune(str(tiny_model_dir), str(keyword_data), tmp_path_factory.mktemp("fragile") / "m", cfg)
    assert result.accuracy == 1.0, "the fixture model must know its keywords"
    return result.path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real datasets of ../shared/data/datasets; slow tests skip (loudly) when it is absent."""
    if not (SHARED_DATA / "sst2" / "sst2.csv").is_file():
        pytest.skip(f"real data not found at {SHARED_DATA} (set CHAINAUDIT_DATA_DIR)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def minilm_sst2(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    """The real MiniLM fine-tuned on 2,000 SST-2 training rows (about a minute here); a FinetuneResult."""
    from chainaudit.zoo import FinetuneConfig, finetune

    config = FinetuneConfig(max_examples=2000, learning_rate=1e-4, seed=0)
    return finetune("minilm", "sst2", tmp_path_factory.mktemp("minilm") / "minilm-sst2", config,
                    data_dir=shared_data)
