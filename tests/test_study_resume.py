"""A chain study resumes exactly: a real `chainaudit study run` process (tests/study_resume_cli.py: tiny attack
resources, tiny models) killed with SIGKILL or interrupted with SIGINT mid-study, then run again, ends with the
rows of an uninterrupted run, none lost, none doubled; a changed parameter makes new jobs beside the old rows,
which stay byte for byte."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from attack_helpers import tiny_chain_study, tiny_resources
from chainaudit.cli import app
from chainaudit.store import Store
from chainaudit.study.config import StudyConfig
from chainaudit.study.plan import plan_study
from chainaudit.study.run import run_study

SCRIPT = Path(__file__).with_name("study_resume_cli.py")
N = 12  # samples per job
JOBS = 2 * (1 + 2)  # models × (pwws, hotflip-blackbox with two seeds)
TOTAL = JOBS * N
KEY = ("study_id", "model_id", "revision", "dataset", "split", "idx", "attack", "seed", "goal", "params")
#: Every attack_results column but the timings (`seconds`, `created_at`), which differ between runs.
RESULT_COLUMNS = (*KEY, "outcome", "gold_label", "original_pred", "perturbed_pred", "original_text",
                  "perturbed_text", "queries", "words_changed", "modification_rate", "similarity", "error", "extra")
REPLAY_KEY = ("study_id", "upstream_id", "upstream_revision", "downstream_id", "downstream_revision", "dataset",
              "split", "idx", "attack", "seed", "goal", "params")
REPLAY_COLUMNS = (*REPLAY_KEY, "gold_label", "upstream_pred", "downstream_clean_pred", "downstream_pred",
                  "perturbed_text")


@dataclass(frozen=True)
class Study:
    config: StudyConfig
    path: Path  # its YAML
    reference: Path  # the database of one uninterrupted run


def _write_config(config: StudyConfig, path: Path) -> Path:
    path.write_text(yaml.safe_dump(config.model_dump(mode="json")))  # nulls kept: no time limit
    return path


def _reference(config: StudyConfig, db: Path) -> Path:
    with Store(db) as store:
        run_study(config, store, resources=tiny_resources())
    return db


@pytest.fixture(scope="module")
def study(tiny_model_dir: Path, fragile_model: Path, keyword_data: Path,
          tmp_path_factory: pytest.TempPathFactory) -> Study:
    # no time limit, so the delays the killed runs add change no outcome
    config = StudyConfig.model_validate(tiny_chain_study(fragile_model, tiny_model_dir, keyword_data, name="resume",
                                                         n=N, time_limit=None))
    folder = tmp_path_factory.mktemp("resume")
    study = Study(config, _write_config(config, folder / "study.yaml"), _reference(config, folder / "reference.db"))
    assert len(_results(study.reference)) == TOTAL and _replays(study.reference)
    return study


# -- reading a database another process may be writing (read-only, a fresh connection each time) -------------
def _read(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _results(db: Path, columns: tuple[str, ...] | str = RESULT_COLUMNS) -> list[tuple]:
    cols = columns if isinstance(columns, str) else ", ".join(columns)
    return _read(db, f"SELECT {cols} FROM attack_results ORDER BY {', '.join(KEY)}")


def _replays(db: Path) -> list[tuple]:
    return _read(db, f"SELECT {', '.join(REPLAY_COLUMNS)} FROM transfer_replays ORDER BY {', '.join(REPLAY_KEY)}")


def _all_replays(db: Path) -> list[tuple]:
    """Every column, the key columns first."""
    rest = [c for c in _read(db, "SELECT name FROM pragma_table_info('transfer_replays')") if c[0] not in REPLAY_KEY]
    cols = ", ".join([*REPLAY_KEY, *(c[0] for c in rest)])
    return _read(db, f"SELECT {cols} FROM transfer_replays ORDER BY {', '.join(REPLAY_KEY)}")


def _counts(db: Path) -> tuple[int, int] | None:
    """(attack_results, transfer_replays) rows; None while the database or its tables are not made yet."""
    try:
        (results, replays), = _read(db, "SELECT (SELECT COUNT(*) FROM attack_results), "
                                        "(SELECT COUNT(*) FROM transfer_replays)")
    except sqlite3.OperationalError:
        return None
    return results, replays


# -- the study as a process ------------------------------------------------------------------------------------
@dataclass
class Running:
    proc: subprocess.Popen
    out: Path
    err: Path

    def output(self) -> tuple[str, str]:
        return self.out.read_text(), self.err.read_text()


def _start(path: Path, db: Path, logs: Path, **env: str) -> Running:
    out, err = logs / f"{db.stem}.out", logs / f"{db.stem}.err"
    with out.open("w") as fo, err.open("w") as fe:
        proc = subprocess.Popen([sys.executable, str(SCRIPT), str(path), str(db)], stdout=fo, stderr=fe,
                                env={**os.environ, **env})
    return Running(proc, out, err)


def _stop_when(run: Running, db: Path, ready: Callable[[int, int], bool], sig: signal.Signals,
               timeout: float = 120.0) -> int:
    """Poll the database until `ready(results, replays)`, then send `sig`; the exit status."""
    deadline = time.monotonic() + timeout
    while (counts := _counts(db)) is None or not ready(*counts):
        if run.proc.poll() is not None:
            pytest.fail(f"the study ended (status {run.proc.returncode}) before the moment to stop it, at "
                        f"{counts}: {run.output()}")
        if time.monotonic() > deadline:
            run.proc.kill()
            pytest.fail(f"no moment to stop the study within {timeout} s (at {counts}): {run.output()}")
        time.sleep(0.01)
    run.proc.send_signal(sig)
    return run.proc.wait(timeout=60)


def _run_again(path: Path, db: Path, logs: Path) -> str:
    """The same command again, to completion (no delays); its output, one line."""
    run = _start(path, db, logs)
    assert run.proc.wait(timeout=120) == 0, run.output()
    return " ".join(run.output()[0].split())


def _run_in_process(path: Path, db: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """`chainaudit study run` in this process (the same CLI, a fresh worker; faster than a new process)."""
    monkeypatch.setattr("chainaudit.study.plan.study_resources", lambda config: tiny_resources())
    monkeypatch.setattr("chainaudit.study.run.study_resources", lambda config: tiny_resources())
    ran = CliRunner().invoke(app, ["study", "run", str(path), "--db", str(db)], terminal_width=400)
    assert ran.exit_code == 0, ran.output
    return " ".join(ran.output.split())


#: When to kill: the environment that slows the process so the moment can be caught, and the moment.
MOMENTS: dict[str, tuple[dict[str, str], Callable[[int, int], bool]]] = {
    # the first outcomes of the first job stored, others in flight (eight samples are attacked at once)
    "mid-job": ({"SLOW_S": "0.15"}, lambda results, replays: results >= 2),
    # every outcome stored, the first job's replays stored, the next ones not yet sent
    "between-replays": ({"REPLAY_SLOW_S": "1.0"}, lambda results, replays: results == TOTAL and replays > 0),
}


@pytest.mark.parametrize("moment", MOMENTS)
def test_killed_study_resumes_to_the_rows_of_an_uninterrupted_run(study: Study, moment: str, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    env, ready = MOMENTS[moment]
    db = tmp_path / "killed.db"
    run = _start(study.path, db, tmp_path, **env)
    assert _stop_when(run, db, ready, signal.SIGKILL) == -signal.SIGKILL
    reference, reference_replays = _results(study.reference), _replays(study.reference)
    stored, replays = _results(db), _replays(db)
    if moment == "mid-job":
        assert 0 < len(stored) < TOTAL and not replays
    else:
        assert len(stored) == TOTAL and 0 < len(replays) < len(reference_replays)
    # what the killed run stored is whole and right: each row is its uninterrupted twin, column for column
    assert set(stored) <= set(reference) and set(replays) <= set(reference_replays)

    # run again: as a new process after the kill in a job; in this process (quicker) after the one in replays
    said = (_run_again(study.path, db, tmp_path) if moment == "mid-job"
            else _run_in_process(study.path, db, monkeypatch))
    # the rerun attacked exactly the missing samples and replayed exactly the missing texts ...
    assert f"{TOTAL - len(stored)} outcomes written" in said
    assert f"{len(reference_replays) - len(replays)} adversarial texts replayed" in said
    # ... and ends with the uninterrupted rows: none lost, none doubled, none different
    assert _counts(db) == (TOTAL, len(reference_replays))
    assert _results(db) == reference
    assert _replays(db) == reference_replays


def test_ctrl_c_stops_cleanly_with_whole_rows_and_resumes(study: Study, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "interrupted.db"
    run = _start(study.path, db, tmp_path, SLOW_S="0.08")
    # in the fourth job: the first model's jobs done, the second model loaded and being attacked
    status = _stop_when(run, db, lambda results, replays: results >= 3 * N + 2, signal.SIGINT)
    out, err = run.output()
    assert status == 130, (out, err)
    assert "Traceback" not in out + err and "Aborted" not in out + err
    stored = _results(db)
    assert 3 * N + 2 <= len(stored) < TOTAL and not _replays(db)
    assert set(stored) <= set(_results(study.reference))  # whole rows, each its uninterrupted twin
    assert [line for line in err.splitlines() if line.strip()] == [
        f"interrupted: {len(stored)} outcomes of this run are stored ({len(stored)} of the study's {TOTAL}); "
        "run the same command to resume"]

    said = _run_in_process(study.path, db, monkeypatch)
    assert f"{TOTAL - len(stored)} outcomes written" in said
    assert _results(db) == _results(study.reference)
    assert _replays(db) == _replays(study.reference)


def test_a_changed_parameter_makes_new_jobs_and_leaves_the_old_rows_byte_for_byte(
        study: Study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "changed.db"
    src, dst = sqlite3.connect(study.reference), sqlite3.connect(db)
    src.backup(dst)  # the complete study
    src.close()
    dst.close()
    old_rows, old_replays = _results(db, "*"), _all_replays(db)
    old_params = {r[0] for r in _read(db, "SELECT params FROM attack_params")}
    changed = study.config.model_copy(update={"budget": 12})
    path = _write_config(changed, tmp_path / "changed.yaml")
    # the changed study, killed in its first job and run again
    run = _start(path, db, tmp_path, SLOW_S="0.15")
    assert _stop_when(run, db, lambda results, replays: results >= TOTAL + 2, signal.SIGKILL) == -signal.SIGKILL
    killed = len(_results(db))
    assert TOTAL < killed < 2 * TOTAL
    said = _run_in_process(path, db, monkeypatch)
    assert f"{2 * TOTAL - killed} outcomes written" in said

    after = _results(db, "*")
    assert len(after) == 2 * TOTAL
    assert [r for r in after if r[KEY.index("params")] in old_params] == old_rows  # byte for byte
    new = [r for r in _results(db) if r[KEY.index("params")] not in old_params]
    assert len(new) == TOTAL
    with Store(db) as store:
        plan = plan_study(changed, store, resources=tiny_resources())
        assert plan.todo == 0 and len({j.key.params for j in plan.jobs} & old_params) == 0  # new jobs
        assert len({j.key for j in plan.jobs}) == JOBS
        assert plan_study(study.config, store, resources=tiny_resources()).todo == 0
    assert [r for r in _all_replays(db) if r[REPLAY_KEY.index("params")] in old_params] == old_replays
    # the new jobs' rows are those of the changed study run uninterrupted
    fresh = _reference(changed, tmp_path / "fresh.db")
    assert new == _results(fresh)
    assert [r for r in _replays(db) if r[REPLAY_KEY.index("params")] not in old_params] == _replays(fresh)
