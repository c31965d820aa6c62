"""A chain study in-process on tiny models: jobs, exact resume, new jobs on a changed parameter, replays, metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from attack_helpers import tiny_chain_study, tiny_resources
from chainaudit.cli import app
from chainaudit.store import Store
from chainaudit.study.config import StudyConfig, load_study_config
from chainaudit.study.plan import plan_study
from chainaudit.study.results import study_figures
from chainaudit.study.run import run_study


@pytest.fixture()
def config(tiny_model_dir: Path, fragile_model: Path, keyword_data: Path) -> StudyConfig:
    return StudyConfig.model_validate(tiny_chain_study(fragile_model, tiny_model_dir, keyword_data))


def _rows(store: Store) -> list[tuple]:
    return sorted((r["model_id"], r["idx"], r["attack"], r["seed"], r["params"], r["outcome"], r["perturbed_text"],
                   r["queries"]) for r in store.select("attack_results"))


def test_jobs_resume_and_a_changed_parameter_makes_new_jobs(config: StudyConfig, tmp_path: Path) -> None:
    with Store(tmp_path / "r.db") as store:
        plan = plan_study(config, store, resources=tiny_resources())
        assert len(plan.jobs) == 2 * 1 * (1 + 2) and plan.todo == 6 * 6 and plan.eta_seconds is None
        first = run_study(config, store, resources=tiny_resources())
        assert first.written == 36 and first.errors == 0
        assert store.count("attack_results") == 36
        again = run_study(config, store, resources=tiny_resources())
        assert again.written == 0 and plan_study(config, store, resources=tiny_resources()).todo == 0
        assert plan_study(config, store, resources=tiny_resources()).eta_seconds == 0
        rows = _rows(store)
        changed = config.model_copy(update={"budget": 3})
        assert plan_study(changed, store, resources=tiny_resources()).todo == 36  # new jobs, nothing reused
        run_study(changed, store, resources=tiny_resources())
        assert store.count("attack_results") == 72
        assert [r for r in _rows(store) if r in set(rows)] == rows  # the old rows untouched
        assert store.count("transfer_replays") > 0


def test_metrics_over_the_study(config: StudyConfig, tmp_path: Path) -> None:
    with Store(tmp_path / "r.db") as store:
        run_study(config, store, resources=tiny_resources())
        figures = study_figures(plan_study(config, store, resources=tiny_resources()), store, out=tmp_path / "m")
    tables = figures.tables
    assert {r["attack"] for r in tables["delta"]} == {"pwws", "hotflip-blackbox"}
    assert all(r["n"] > 0 for r in tables["delta"])
    assert tables["transfer"] and tables["replay"]
    assert {r["attack"] for r in tables["repeats"]} == {"hotflip-blackbox"}  # the only attack with two seeds
    assert {p.name for p in figures.files} == {"metrics.json", "asr.csv", "delta.csv", "transfer.csv", "replay.csv",
                                               "repeats.csv"}


def test_study_commands_end_to_end(config: StudyConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import chainaudit.study.plan as plan_module

    monkeypatch.setattr(plan_module, "study_resources", lambda config: tiny_resources())
    monkeypatch.setattr("chainaudit.study.run.study_resources", lambda config: tiny_resources())
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json", exclude_none=True)))
    assert load_study_config(path) == config
    db = str(tmp_path / "r.db")
    runner = CliRunner()
    planned = runner.invoke(app, ["study", "plan", str(path), "--db", db], terminal_width=200)
    assert planned.exit_code == 0, planned.output
    assert "0 of 36 samples stored; 36 to attack" in " ".join(planned.output.split())
    ran = runner.invoke(app, ["study", "run", str(path), "--db", db], terminal_width=200)
    assert ran.exit_code == 0, ran.output
    assert "36 outcomes written" in " ".join(ran.output.split())
    shown = runner.invoke(app, ["study", "metrics", str(path), "--db", db, "-o", str(tmp_path / "m")],
                          terminal_width=200)
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "change after fine-tuning" in text and "does what breaks the upstream" in text
    assert (tmp_path / "m" / "delta.csv").is_file()


def test_no_limit_survives_a_round_trip_through_yaml(config: StudyConfig, tmp_path: Path) -> None:
    from chainaudit.study.config import dump_study_config

    unlimited = config.model_copy(update={"budget": None, "time_limit": None})
    back = load_study_config(dump_study_config(unlimited, tmp_path / "s.yaml"))
    assert back.budget is None and back.time_limit is None and back == unlimited
