"""`chainaudit demo`: the whole chain audit (fine-tune, lineage, study, metrics, report), with tiny models here and
the real MiniLM in the slow test."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainaudit.cli import app
from chainaudit.errors import ChainauditError
from chainaudit.report import build_report
from chainaudit.store import Store
from chainaudit.study.demo import DOWNSTREAMS, UPSTREAM, DemoSettings, choose_attacks, parse_attacks, run_demo
from chainaudit.study.demo_models import SIDECAR, ensure_models


def _tiny_settings(base: Path, **kw: object) -> DemoSettings:
    """The demo's three models and four datasets, with a tiny random BERT as the base and a few examples each."""
    sizes = {"train_examples": 16, "eval_examples": 16, "max_length": 32}
    models = tuple(replace(spec, **sizes) for spec in (UPSTREAM, *DOWNSTREAMS))
    return DemoSettings(models=models, base=str(base), n=2, attacks=("pwws",), max_length=32, **kw)  # type: ignore[arg-type]


def test_demo_finds_its_chains_by_lineage_and_reports_them(tiny_model_dir: Path, shared_data: Path,
                                                           tmp_path: Path) -> None:
    from attack_helpers import tiny_resources

    out, db = tmp_path / "demo", tmp_path / "demo.db"
    with Store(db) as store:
        result = run_demo(store, out, _tiny_settings(tiny_model_dir), data_dir=shared_data, report=build_report,
                          resources=tiny_resources())
    up, rt, amazon = (m.model_id for m in result.models)
    assert [[m.model_id for m in c] for c in result.chains.chains] == [[up, amazon], [up, rt]]
    assert {(e.parent, e.child, e.source) for e in result.chains.edges} >= {(up, rt, "metadata"),
                                                                            (up, amazon, "metadata")}
    assert all(m.trained and m.reason == "not trained yet" for m in result.models)
    assert (out / "models" / "minilm-sst2" / SIDECAR).is_file()
    plan = result.run.plan
    assert len(plan.jobs) == 3 * 4 and result.run.written == plan.samples  # 3 models × 4 datasets × pwws
    assert {j.job.dataset.name for j in plan.jobs} == {"sst2", "rotten_tomatoes", "imdb", "amazon_polarity"}
    assert {(h.up, h.down) for h in result.headline.hops} == {(up, rt), (up, amazon)}
    assert {r.model_id for r in result.headline.models} == {up, rt, amazon}
    page = result.report.read_text()
    assert 'id="chain-0"' in page and 'id="chain-1"' in page and rt in page and amazon in page
    assert json.loads((out / "metrics" / "metrics.json").read_text())["delta"]
    assert set(result.timings) == {"fine-tune", "lineage", "study", "metrics", "report"}

    with Store(db) as store:  # re-running resumes: nothing retrained, nothing attacked again
        again = run_demo(store, out, _tiny_settings(tiny_model_dir), data_dir=shared_data, resources=tiny_resources())
    assert [m.trained for m in again.models] == [False, False, False] and again.run.written == 0
    assert again.headline.rows == result.headline.rows

    bigger = replace(UPSTREAM, train_examples=20, eval_examples=16, max_length=32)
    settings = _tiny_settings(tiny_model_dir)
    with Store(db) as store:  # the upstream's settings changed: it retrains, and so do the models built on it
        third = ensure_models((bigger, *settings.models[1:]), out / "models", store, base=str(tiny_model_dir),
                              data_dir=shared_data)
    assert "max_examples 16 → 20" in third[0].reason
    assert all("its base changed" in m.reason for m in third[1:])


def test_demo_attack_choice() -> None:
    assert parse_attacks("all") is None and parse_attacks("pwws, textbugger") == ("pwws", "textbugger")
    with pytest.raises(ChainauditError, match="names no recipe"):
        parse_attacks(" , ")
    chosen, skipped = choose_attacks(None)
    assert chosen[:5] == ["textbugger", "hotflip", "hotflip-blackbox", "textfooler", "pwws"]
    assert set(chosen[5:]) | set(skipped) == {"scpn", "gan"} and all(skipped.values())
    assert choose_attacks(["pwws@openattack"])[0] == ["pwws@openattack"]
    with pytest.raises(ChainauditError, match="unknown attack"):
        choose_attacks(["nope"])


def test_demo_cli_refuses_an_unknown_attack_before_training(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["demo", "--attacks", "nope", "--out", str(tmp_path / "d"),
                                    "--db", str(tmp_path / "d.db")])
    assert done.exit_code != 0 and "unknown attack" in done.output
    assert not (tmp_path / "d" / "models").exists()


@pytest.mark.slow
def test_demo_end_to_end_with_the_real_minilm(shared_data: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The real command on the real MiniLM and data, with small sizes (a few minutes on 2 cores)."""
    import chainaudit.study.demo as demo

    small = tuple(replace(spec, train_examples=200, eval_examples=100) for spec in (UPSTREAM, *DOWNSTREAMS))
    monkeypatch.setattr(demo, "DemoSettings", lambda **kw: DemoSettings(models=small, **kw))
    out, db = tmp_path / "demo", tmp_path / "demo.db"
    done = CliRunner().invoke(app, ["demo", "--out", str(out), "--db", str(db), "-n", "1",
                                    "--attacks", "textbugger,pwws", "--data-dir", str(shared_data)])
    assert done.exit_code == 0, done.output
    assert "chain 0" in done.output and "chain 1" in done.output and "report:" in done.output
    assert (out / "report.html").is_file() and "δ = ASR_down" in done.output
