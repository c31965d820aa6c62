"""Fine-tuning: the folder it writes is a loadable, safe model whose card names its upstream."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainaudit.cli import app
from chainaudit.errors import ChainauditError
from chainaudit.modelref import local_identity, read_card_metadata
from chainaudit.store import Store
from chainaudit.zoo import FinetuneConfig, finetune

FAST = FinetuneConfig(epochs=3, learning_rate=3e-3, batch_size=4, max_length=32, seed=0)


def test_finetune_writes_safetensors_tokenizer_and_card(tiny_model_dir: Path, data_dir: Path, tmp_path: Path) -> None:
    result = finetune(str(tiny_model_dir), str(data_dir / "tiny" / "tiny.csv"),
                      tmp_path / "child", FAST, name="me/child")
    files = {p.name for p in result.path.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json", "README.md"} <= files
    assert not any(p.suffix == ".bin" for p in result.path.iterdir())
    assert not (tmp_path / "child.partial").exists()
    meta = read_card_metadata(result.path)
    base = local_identity(tiny_model_dir)
    assert meta["base_model"] == base.model_id and meta["base_model_revision"] == base.revision
    assert meta["datasets"] == ["tiny"]
    assert meta["model-index"][0]["results"][0]["metrics"][0]["value"] == pytest.approx(result.accuracy, abs=1e-4)
    assert local_identity(result.path).model_id == "me/child"
    assert "fine-tuned version of" in (result.path / "README.md").read_text()


def test_finetuning_learns_the_training_set(tiny_model_dir: Path, tmp_path: Path) -> None:
    """Evaluated on its own 10 training sentences (3 positive), 40 epochs must fit them all."""
    import pandas as pd

    from conftest import TINY_CORPUS

    rows = [(t, int("great" in t or "loved" in t or "excellent" in t or "wonderful" in t), s)
            for s in ("train", "validation") for t in TINY_CORPUS]
    data = tmp_path / "memo.csv"
    pd.DataFrame(rows, columns=["text", "label", "split"]).to_csv(data, index=False)
    cfg = FinetuneConfig(epochs=40, learning_rate=1e-3, batch_size=2, max_length=32, seed=1)
    result = finetune(str(tiny_model_dir), str(data), tmp_path / "learned", cfg)
    assert result.accuracy == 1.0


def test_chain_of_three_records_each_upstream(tiny_model_dir: Path, data_dir: Path, tmp_path: Path) -> None:
    data = str(data_dir / "tiny" / "tiny.csv")
    first = finetune(str(tiny_model_dir), data, tmp_path / "a", FAST, name="me/a")
    second = finetune(str(first.path), data, tmp_path / "b", FAST, name="me/b")
    assert read_card_metadata(second.path)["base_model"] == "me/a"
    assert read_card_metadata(first.path)["base_model"] == local_identity(tiny_model_dir).model_id


def test_same_seed_gives_the_same_weights(tiny_model_dir: Path, data_dir: Path, tmp_path: Path) -> None:
    data = str(data_dir / "tiny" / "tiny.csv")
    a = finetune(str(tiny_model_dir), data, tmp_path / "s1", FAST)
    b = finetune(str(tiny_model_dir), data, tmp_path / "s2", FAST)
    assert (a.path / "model.safetensors").read_bytes() == (b.path / "model.safetensors").read_bytes()


def test_existing_output_is_not_overwritten(tiny_model_dir: Path, data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ChainauditError, match="--overwrite"):
        finetune(str(tiny_model_dir), str(data_dir / "tiny" / "tiny.csv"), out, FAST)
    assert (out / "keep.txt").read_text() == "mine"


def test_new_head_when_base_labels_differ(tiny_model_factory, data_dir: Path, tmp_path: Path) -> None:
    three = tiny_model_factory(id2label={0: "neg", 1: "neu", 2: "pos"})
    result = finetune(str(three), str(data_dir / "tiny" / "tiny.csv"), tmp_path / "two", FAST)
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(result.path)
    assert config.num_labels == 2 and config.id2label == {0: "0", 1: "1"}


def test_finetune_cli_records_the_model(tiny_model_dir: Path, data_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "z.db"
    out = tmp_path / "cli-model"
    res = CliRunner().invoke(app, ["finetune", str(tiny_model_dir), "--dataset", str(data_dir / "tiny" / "tiny.csv"),
                                   "--out", str(out), "--epochs", "1", "--batch-size", "4", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "accuracy" in res.output
    with Store(db) as store:
        (model,) = store.select("models", {"model_id": "local/cli-model"})
        assert model["path"] == str(out.resolve())
        assert store.count("evaluations") == 1
    bad = CliRunner().invoke(app, ["finetune", str(tmp_path / "nowhere"), "--dataset", "sst2", "--out",
                                   str(tmp_path / "x"), "--db", str(db)])
    assert bad.exit_code == 2


@pytest.mark.slow
def test_minilm_on_real_sst2_beats_chance_by_far(minilm_sst2) -> None:
    """The real base on 2,000 SST-2 rows: validation accuracy well above 0.5 (0.78 measured)."""
    assert minilm_sst2.eval_examples == 872 and minilm_sst2.accuracy >= 0.72
    meta = read_card_metadata(minilm_sst2.path)
    assert meta["base_model"] == "sentence-transformers/all-MiniLM-L6-v2" and meta["datasets"] == ["sst2"]
