"""The issue-3 commands end to end, offline: collect (JSONL + folders) → lineage → chains → select."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from chainaudit.cli import app
from chainaudit.study.config import load_study_config

runner = CliRunner()


def _inputs(tmp_path: Path) -> tuple[Path, Path]:
    records = [
        {"id": "google-bert/bert-base-uncased", "sha": "b1", "downloads": 9000, "pipeline_tag": "fill-mask",
         "cardData": {"datasets": ["bookcorpus"]}},
        {"id": "t/sst2", "sha": "s1", "downloads": 800, "pipeline_tag": "text-classification",
         "card": "---\ndatasets: [glue]\n---\nThis model is a fine-tuned version of "
                 "[bert-base-uncased](https://huggingface.co/bert-base-uncased) on the glue dataset."},
        {"id": "u/sst2-more", "sha": "s2", "downloads": 60, "tags": ["base_model:finetune:t/sst2", "dataset:sst2"]},
        {"id": "v/bad", "sha": "s3", "downloads": "lots", "cardData": {"base_model": {"oops": 1}}},
    ]
    jsonl = tmp_path / "catalog.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in records) + "\nnot json\n")
    models = tmp_path / "models"
    for name, base in (("base", None), ("child", "local/base")):
        folder = models / name
        folder.mkdir(parents=True)
        (folder / "config.json").write_text(json.dumps({"architectures": ["BertForSequenceClassification"],
                                                        "name": name}))
        meta = f"model_name: local/{name}\n" + (f"base_model: {base}\ndatasets: [imdb]\n" if base else "")
        (folder / "README.md").write_text(f"---\n{meta}---\n# {name}\n")
    return jsonl, models


def test_offline_session(tmp_path: Path) -> None:
    jsonl, models = _inputs(tmp_path)
    db = str(tmp_path / "c.db")
    result = runner.invoke(app, ["collect", "--from-jsonl", str(jsonl), "--db", db])
    assert result.exit_code == 0, result.output
    assert "imported 4 models" in result.output and "1 skipped" in result.output
    assert runner.invoke(app, ["collect", "--from-dir", str(models), "--db", db]).exit_code == 0
    result = runner.invoke(app, ["lineage", "--db", db])
    assert result.exit_code == 0, result.output
    assert "6 models: 3 with an upstream" in result.output and "base_model is a dict" in result.output
    result = runner.invoke(app, ["chains", "--db", db, "--show", "5"])
    assert result.exit_code == 0, result.output
    assert "google-bert/bert-base-uncased -> t/sst2 -> u/sst2-more" in result.output
    assert "local/base -> local/child" in result.output
    result = runner.invoke(app, ["chains", "--db", db, "--of", "BERT-BASE-UNCASED"])
    assert result.exit_code == 0 and "2 descendants of google-bert/bert-base-uncased, 860 downloads" in result.output
    out = tmp_path / "study.yaml"
    result = runner.invoke(app, ["select", "--db", db, "--out", str(out), "--name", "demo"])
    assert result.exit_code == 0, result.output
    config = load_study_config(out)
    assert [[m.id for m in c] for c in config.chains] == [["google-bert/bert-base-uncased", "t/sst2", "u/sst2-more"]]
    assert [d.name for d in config.datasets] == ["sst2"] and config.chains[0][1].revision == "s1"
    result = runner.invoke(app, ["select", "--db", db, "--out", str(out), "--min-downloads", "100000"])
    assert result.exit_code == 2 and "no chain qualifies" in result.output


def test_lineage_eval_command() -> None:
    cards = Path(__file__).parent / "data" / "cards.jsonl"
    result = runner.invoke(app, ["lineage", "eval", str(cards)])
    assert result.exit_code == 0, result.output
    # every labelled card is extracted right (38 with an upstream, 15 N/A): no mistakes table
    assert "all: 53 cards, accuracy 100.00% (53/53); has-upstream precision 100.00%, recall 100.00%" in result.output
    assert "mistakes" not in result.output


def test_collect_from_hub_refused_offline(tmp_path: Path, monkeypatch) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    result = runner.invoke(app, ["collect", "--limit", "3", "--db", str(tmp_path / "c.db")])
    assert result.exit_code == 2 and "HF_HUB_OFFLINE" in result.output

