"""`--executor ray`: the tiny chain study on two Ray actors gives the in-process rows, a worker killed mid-job is
replaced and its job written once, placement keeps each model on one worker, and user errors are one line."""

from __future__ import annotations

import dataclasses
import functools
import os
import socket
import sys
from pathlib import Path

import pytest

from attack_helpers import tiny_chain_study, tiny_resources
from chainaudit.attacks import AttackResources
from chainaudit.errors import ChainauditError
from chainaudit.store import Store
from chainaudit.study.config import StudyConfig
from chainaudit.study.plan import PlannedJob, plan_study
from chainaudit.study.ray_executor import RayExecutor, Schedule, assign
from chainaudit.study.run import run_study

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def config(tiny_model_dir: Path, fragile_model: Path, keyword_data: Path) -> StudyConfig:
    """The study of test_study_run: a two-model chain, 6 samples, pwws and two seeds of hotflip-blackbox."""
    return StudyConfig.model_validate(tiny_chain_study(fragile_model, tiny_model_dir, keyword_data))


def _rows(store: Store) -> list[tuple]:
    return sorted((r["study_id"], r["model_id"], r["revision"], r["dataset"], r["split"], r["idx"], r["attack"],
                   r["seed"], r["goal"], r["params"], r["outcome"], r["perturbed_text"], r["queries"])
                  for r in store.select("attack_results"))


def _replays(store: Store) -> list[tuple]:
    return sorted(tuple(sorted((k, v) for k, v in r.items() if k not in ("created_at", "id")))
                  for r in store.select("transfer_replays"))


def _planned(config: StudyConfig, tmp_path: Path) -> list[PlannedJob]:
    with Store(tmp_path / "plan.db") as store:
        return plan_study(config, store, resources=tiny_resources()).jobs


def test_placement_keeps_each_model_on_one_worker_and_idle_workers_take_queued_jobs(
        config: StudyConfig, tmp_path: Path) -> None:
    jobs = _planned(config, tmp_path)  # fragile ×3 jobs, then tiny ×3
    models = [j.job.model.id for j in jobs]
    queues = assign(jobs, 2)
    assert sorted(queues) == [[0, 1, 2], [3, 4, 5]]
    assert [{models[i] for i in q} for q in queues] == [{"local/fragile"}, {"local/tiny"}]
    assert assign(jobs, 1) == [[0, 1, 2, 3, 4, 5]]
    assert sorted(map(len, assign(jobs, 3))) == [0, 3, 3]  # two models: the third worker only takes work later

    schedule = Schedule(jobs, 3)  # queues: [0, 1, 2] (fragile), [3, 4, 5] (tiny), [] (idle)
    assert schedule.next(0) == 0 and schedule.next(1) == 3
    assert schedule.next(2) == 2  # the idle worker takes the last job of the queue with the most work left
    assert schedule.next(2) == 1  # then, first, another of the model it now holds
    assert schedule.next(2) == 5  # then anything left
    schedule.retry(1, 3)  # worker 1's actor died on job 3: its replacement holds nothing and runs it first
    assert schedule.loaded[1] == set() and schedule.next(1) == 3 and schedule.next(1) == 4
    assert schedule.next(0) is None and schedule.next(1) is None and schedule.next(2) is None


def test_user_errors_are_one_line(config: StudyConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    executor = RayExecutor(config, address=f"127.0.0.1:{port}")
    with pytest.raises(ChainauditError, match=rf"--address 127.0.0.1:{port}: cannot connect .*ray start --head") as e:
        list(executor.run(_fake_jobs()))
    assert "\n" not in str(e.value)
    with pytest.raises(ChainauditError, match="--address nowhere: expected host:port"):
        list(RayExecutor(config, address="nowhere").run(_fake_jobs()))
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ChainauditError, match=r"--executor ray needs Ray.*pip install 'ray>=2.9'.*inprocess"):
        RayExecutor(config)


def _fake_jobs() -> list:
    return [object()]  # connecting fails before any job is looked at


@pytest.fixture(scope="module")
def in_process(config: StudyConfig, tmp_path_factory: pytest.TempPathFactory) -> tuple[list, list]:
    with Store(tmp_path_factory.mktemp("inproc") / "r.db") as store:
        run_study(config, store, resources=tiny_resources())
        return _rows(store), _replays(store)


@pytest.fixture(scope="module")
def shared_ray():
    """A local Ray for the tests after the first (one start, not one per test): executors join it and leave it
    running. (The tests that need no Ray run before it starts: with a Ray up, an executor joins it.)"""
    import logging

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    yield
    ray.shutdown()


def _run_on_ray(config: StudyConfig, db: Path, **options) -> int:
    """Outcomes the driver was given (and wrote) from two actors."""
    with Store(db) as store:
        executor = RayExecutor(config, workers=2, num_cpus=2, **options)
        return run_study(config, store, executor, resources=tiny_resources()).written


def test_ray_rows_equal_in_process_rows(config: StudyConfig, in_process: tuple[list, list], tmp_path: Path) -> None:
    assert _run_on_ray(config, tmp_path / "ray.db", resources_factory=tiny_resources) == 36
    assert not ray.is_initialized()  # the local Ray this executor started is shut down
    with Store(tmp_path / "ray.db") as store:
        rows, replays = _rows(store), _replays(store)
        assert store.count("attack_results") == len(in_process[0]) == 36
    assert rows == in_process[0]
    assert replays == in_process[1] and replays


def crash_once(marker: str, log: str) -> AttackResources:
    """Tiny resources whose synonym lookup kills its process the first time any actor asks (`marker` made
    atomically, so exactly one actor dies, mid-job: its model loaded, some samples under attack)."""
    with open(log, "a") as fh:
        fh.write(f"{os.getpid()}\n")
    resources = tiny_resources()
    synonyms = resources.wordnet_synonyms

    def lookup(word: str, pos: str | None = None) -> list[str]:
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return synonyms(word, pos)
        os._exit(1)

    return dataclasses.replace(resources, wordnet_synonyms=lookup)


def test_a_worker_killed_mid_job_is_replaced_and_its_rows_written_once(
        config: StudyConfig, in_process: tuple[list, list], tmp_path: Path, shared_ray: None) -> None:
    marker, log = tmp_path / "crashed", tmp_path / "actors.log"
    factory = functools.partial(crash_once, str(marker), str(log))
    assert _run_on_ray(config, tmp_path / "ray.db", resources_factory=factory) == 36  # the retried job's once
    assert marker.exists()
    assert len(log.read_text().split()) == 3  # two actors, and one replacement
    with Store(tmp_path / "ray.db") as store:
        assert store.count("attack_results") == 36
        assert _rows(store) == in_process[0] and _replays(store) == in_process[1]


def always_crash() -> AttackResources:
    os._exit(1)


def refuse(log: str) -> AttackResources:
    with open(log, "a") as fh:
        fh.write(f"{os.getpid()}\n")
    raise ChainauditError("word vectors missing on this node")


def test_job_errors_arrive_as_raised_and_a_worker_that_keeps_dying_stops_the_study(
        config: StudyConfig, tmp_path: Path, shared_ray: None) -> None:
    with Store(tmp_path / "r.db") as store:
        log = tmp_path / "refused.log"
        executor = RayExecutor(config, workers=1, resources_factory=functools.partial(refuse, str(log)))
        with pytest.raises(ChainauditError) as raised:  # a user error in a job: itself, one line, never retried
            run_study(config, store, executor, resources=tiny_resources(), replay=False)
        assert type(raised.value) is ChainauditError and str(raised.value) == "word vectors missing on this node"
        assert len(log.read_text().split()) == 1

        executor = RayExecutor(config, workers=1, resources_factory=always_crash, max_retries=1)
        with pytest.raises(ChainauditError, match=r"local/fragile · .* · pwws · seed 0: its Ray worker died 2 times"):
            run_study(config, store, executor, resources=tiny_resources(), replay=False)
        assert store.count("attack_results") == 0
    assert ray.is_initialized()  # a Ray the executor joined is left running
