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


def test_lineage_eval_can_keep_the_held_back_parts_mistakes_unseen(tmp_path: Path) -> None:
    import json

    card = "This model is a fine-tuned version of [acme/base](https://huggingface.co/acme/base) on imdb.\n"
    lines = [{"model_id": f"me/m{i}", "card": card, "upstream": "other/base", "part": part}
             for i, part in enumerate(["tune", "held-back", "held-back"])]
    cards = tmp_path / "cards.jsonl"
    cards.write_text("".join(json.dumps(line) + "\n" for line in lines))
    every = runner.invoke(app, ["lineage", "eval", str(cards)])
    tune = runner.invoke(app, ["lineage", "eval", str(cards), "--mistakes", "tune"])
    assert every.exit_code == tune.exit_code == 0, tune.output
    assert "me/m1" in every.output and "me/m0" in tune.output and "me/m1" not in tune.output
    assert "2 held-back mistakes not listed" in tune.output
    assert "me/m0" not in runner.invoke(app, ["lineage", "eval", str(cards), "--mistakes", "none"]).output


def test_collect_from_hub_refused_offline(tmp_path: Path, monkeypatch) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    result = runner.invoke(app, ["collect", "--limit", "3", "--db", str(tmp_path / "c.db")])
    assert result.exit_code == 2 and "HF_HUB_OFFLINE" in result.output



def _related_db(tmp_path: Path) -> str:
    """A store with finetune, quantized, adapter and unknown edges, and one cycle (o/x ⇄ o/y)."""
    from chainaudit.store import Store

    def edge(child: str, parent: str, conf: float, relation: str | None) -> dict:
        return {"child": child, "parent": parent, "source": "card-text", "confidence": conf, "relation": relation}

    db = tmp_path / "rel.db"
    with Store(db) as s:
        s.upsert("models", [{"model_id": m, "source": "hub", "downloads": 10} for m in
                            ("o/base", "o/ft", "o/q", "o/ad", "o/x", "o/y")])
        s.upsert("lineage_edges", [edge("o/ft", "o/base", 1.0, "finetune"), edge("o/q", "o/ft", 0.85, "quantized"),
                                   edge("o/ad", "o/base", 0.9, "adapter"), edge("o/x", "o/base", 0.7, None),
                                   edge("o/y", "o/x", 0.9, "finetune"), edge("o/x", "o/y", 0.3, "finetune")])
    return str(db)


def test_chains_filter_by_relation_and_confidence(tmp_path: Path) -> None:
    db = _related_db(tmp_path)
    result = runner.invoke(app, ["chains", "--db", db, "--show", "9", "--relation", "finetune,quantized",
                                 "--min-confidence", "0.5"])
    assert result.exit_code == 0, result.output
    assert ("edges counted: relations finetune, quantized; confidence ≥ 0.50; 3 of 6 edges in the store (3 distinct "
            "upstream–downstream pairs)") in result.output
    chains = [line for line in result.output.splitlines() if " -> " in line]
    assert chains == ["o/base -> o/ft -> o/q", "o/x -> o/y"]  # o/ad (adapter) and o/x's unknown edge are out
    result = runner.invoke(app, ["chains", "--db", db, "--of", "o/base", "--relation", "adapter",
                                 "--relation", "unknown"])
    assert result.exit_code == 0, result.output
    assert "2 descendants of o/base" in result.output  # o/ad and o/x; not o/ft, o/q (finetune, quantized)
    assert "edges counted: relations adapter, unknown; any confidence; 2 of 6 edges" in result.output


def test_chains_refuses_an_unknown_relation_in_one_line(tmp_path: Path) -> None:
    db = _related_db(tmp_path)
    result = runner.invoke(app, ["chains", "--db", db, "--relation", "finetune,distilled"])
    assert result.exit_code == 2
    assert result.output.strip() == ("error: --relation distilled: not a known relation; allowed: finetune, adapter, "
                                     "quantized, merge, distillation, continued-pretraining, unknown")


def test_chains_lists_each_broken_cycle_with_the_edge_dropped(tmp_path: Path) -> None:
    db = _related_db(tmp_path)
    message = "cycle broken: o/x -> o/y (0.90), o/y -> o/x (0.30); dropped o/y -> o/x (confidence 0.30)"
    for extra in ([], ["--of", "o/base"], ["--of", "o/x"]):
        result = runner.invoke(app, ["chains", "--db", db, *extra])
        assert result.exit_code == 0, result.output
        assert result.output.count(message) == 1, (extra, result.output)
    result = runner.invoke(app, ["chains", "--db", db, "--of", "o/ft"])  # the cycle is not on o/ft's paths
    assert result.exit_code == 0 and "cycle broken" not in result.output
    result = runner.invoke(app, ["chains", "--db", db, "--min-confidence", "0.5"])  # the back edge is filtered out
    assert result.exit_code == 0 and "cycle broken" not in result.output


def test_select_and_report_count_only_the_chosen_relations(tmp_path: Path) -> None:
    db = _related_db(tmp_path)
    out = tmp_path / "study.yaml"
    result = runner.invoke(app, ["select", "--db", db, "--out", str(out), "--min-downloads", "0",
                                 "--no-require-datasets", "--dataset", "sst2", "--relation", "finetune,quantized",
                                 "--min-confidence", "0.5"])
    assert result.exit_code == 0, result.output
    chains = [[m.id for m in chain] for chain in load_study_config(out).chains]
    assert sorted(chains) == [["o/base", "o/ft", "o/q"], ["o/x", "o/y"]]  # no adapter, no unknown edge
    html = tmp_path / "r.html"
    result = runner.invoke(app, ["report", "--db", db, "--out", str(html), "--relation", "adapter",
                                 "--resamples", "100"])
    assert result.exit_code == 0, result.output
    assert "edges counted: relations adapter; any confidence; 1 of 6 edges in the store" in html.read_text()
    result = runner.invoke(app, ["report", "--db", db, "--out", str(html), "--relation", "lora"])
    assert result.exit_code == 2 and "--relation lora: not a known relation" in result.output
