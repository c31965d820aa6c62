"""Run a study's jobs on Ray actors, each a `StudyWorker` that keeps every model it loaded.

Placement: the jobs of one model go to one actor (model groups assigned longest-first to the least loaded
actor), so a model loads once per actor and model; an actor whose queue is empty takes the last queued job of
another (one of a model it already holds first), so no actor idles while another has a backlog.

Streaming and retries: an actor returns a job's outcomes as one list when the job ends; the driver takes them as
they complete (`ray.wait`) and yields them to `run_study`, the single writer. An actor that dies mid-job (its
process killed, its node lost) is replaced and the job sent again, at most `max_retries` times: its outcomes
come back once, so its rows are written once.

On a cluster (`address`): every node needs the same chainaudit version (the actor class is imported there,
not shipped), the same model folders, dataset files and resources at the same paths (or on the Hub cache), and
a `resources_factory` importable there. The driver's CHAINAUDIT_* settings (API keys excepted) and HF offline
switches travel with the actors.
"""

from __future__ import annotations

import contextlib
import heapq
import importlib
import inspect
import logging
import os
import socket
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from chainaudit.attacks import AttackOutcome, AttackResources
from chainaudit.errors import ChainauditError
from chainaudit.study.config import ModelRef, StudyConfig
from chainaudit.study.plan import PlannedJob

#: Times a job is sent again after the actor running it died, before the study stops.
MAX_RETRIES = 3
_FORWARDED_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")
_SECRET_ENV = ("CHAINAUDIT_LLM_API_KEY",)


def _cost(job: PlannedJob) -> int:
    return len(job.todo)


def assign(jobs: Sequence[PlannedJob], workers: int) -> list[list[int]]:
    """Job indices per worker: each model's jobs together (in plan order), the groups longest-first onto the
    least loaded worker (by samples to attack; ties to the lower worker)."""
    groups: dict[ModelRef, list[int]] = {}
    for i, job in enumerate(jobs):
        groups.setdefault(job.job.model, []).append(i)
    order = sorted(groups.values(), key=lambda g: -sum(_cost(jobs[i]) for i in g))
    queues: list[list[int]] = [[] for _ in range(workers)]
    load = [(0, w) for w in range(workers)]
    for group in order:
        total, w = heapq.heappop(load)
        queues[w].extend(group)
        heapq.heappush(load, (total + sum(_cost(jobs[i]) for i in group), w))
    return queues


class Schedule:
    """Which job each worker runs next: its own queue first, else one taken from another worker's queue."""

    def __init__(self, jobs: Sequence[PlannedJob], workers: int) -> None:
        self.jobs = jobs
        self.queues = [deque(q) for q in assign(jobs, workers)]
        #: The models each worker's current actor has loaded (or is loading).
        self.loaded: list[set[ModelRef]] = [set() for _ in range(workers)]

    def next(self, worker: int) -> int | None:
        """The next job for `worker` (None: nothing left anywhere)."""
        own = self.queues[worker]
        if own:
            index = own.popleft()
        else:
            index = self._steal(worker)
            if index is None:
                return None
        self.loaded[worker].add(self.jobs[index].job.model)
        return index

    def _steal(self, worker: int) -> int | None:
        others = [q for w, q in enumerate(self.queues) if w != worker and q]
        for queue in others:  # a job of a model this worker already holds: no load at all
            for index in reversed(queue):
                if self.jobs[index].job.model in self.loaded[worker]:
                    queue.remove(index)
                    return index
        if not others:
            return None
        # the queue with the most work left gives its last job (the one it would reach last)
        return max(others, key=lambda q: sum(_cost(self.jobs[i]) for i in q)).pop()

    def retry(self, worker: int, index: int) -> None:
        """`worker`'s actor died running job `index`: its replacement holds nothing and runs the job first."""
        self.loaded[worker].clear()
        self.queues[worker].appendleft(index)


class _WorkerActor:
    """A `StudyWorker` in a Ray actor, built on the first job (so a failing build is that job's error)."""

    def __init__(self, config: StudyConfig, data_dir: Path | None,
                 resources_factory: Callable[[], AttackResources] | None) -> None:
        self.config, self.data_dir, self.resources_factory = config, data_dir, resources_factory
        self.worker: Any = None

    def attack(self, planned: PlannedJob) -> list[AttackOutcome]:
        from chainaudit.study.run import StudyWorker

        if self.worker is None:
            resources = self.resources_factory() if self.resources_factory else None
            self.worker = StudyWorker(self.config, data_dir=self.data_dir, resources=resources)
        return list(self.worker.attack(planned))


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ChainauditError(f"--executor ray needs Ray, which is not installed ({exc}); install it with "
                              "`pip install 'ray>=2.9'`, or run with --executor inprocess") from None
    return ray


def _import_root(func: Callable[..., Any]) -> str | None:
    """The folder `func`'s module imports from, when that is not where chainaudit is (e.g. a tests folder)."""
    func = getattr(func, "func", func)  # functools.partial
    name = getattr(func, "__module__", None)
    if not name or name == "__main__" or name.split(".")[0] == "chainaudit":
        return None
    try:
        path = Path(inspect.getfile(importlib.import_module(name))).resolve()
    except (ImportError, TypeError):
        return None
    depth = name.count(".") + (path.name == "__init__.py")
    return str(path.parents[depth])


def _check_reachable(address: str) -> None:
    """Fail at once, naming --address, when nothing listens there (Ray itself waits minutes, then exits)."""
    if address in ("auto", "local"):
        return
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ChainauditError(f"--address {address}: expected host:port (a Ray head's GCS, e.g. head:6379), "
                              "ray://host:port (Ray Client, e.g. ray://head:10001), or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as exc:
        raise ChainauditError(f"--address {address}: cannot connect ({exc.strerror or exc}); is the Ray head "
                              "running there (`ray start --head` on that machine) and the port open? Leave out "
                              "--address for a local Ray") from None


class RayExecutor:
    """The study's jobs on `workers` Ray actors (an `Executor` for `run_study`).

    `address`: a running cluster (`host:6379`, `ray://host:10001`, `auto`); None starts a local Ray with
    `num_cpus` CPUs (default all), shut down when `run` ends. Each actor gets one GPU when the cluster has one
    per worker, and its share of the CPUs. `resources_factory`: builds the attack resources in each actor
    (default `study_resources(config)` there); it must be importable where the actors run: its folder is put
    on their PYTHONPATH (on a cluster that folder must exist on every node, or install it as a package).
    `runtime_env`: more Ray runtime environment for the actors (e.g. `py_modules`)."""

    def __init__(self, config: StudyConfig, *, address: str | None = None, workers: int = 2,
                 data_dir: Path | None = None, resources_factory: Callable[[], AttackResources] | None = None,
                 num_cpus: int | None = None, max_retries: int = MAX_RETRIES,
                 runtime_env: dict[str, Any] | None = None) -> None:
        if workers < 1:
            raise ChainauditError(f"--workers {workers}: give at least 1")
        self.ray = _import_ray()
        self.config, self.address, self.workers = config, address, workers
        self.data_dir = Path(data_dir).resolve() if data_dir else None
        self.resources_factory, self.num_cpus, self.max_retries = resources_factory, num_cpus, max_retries
        self.runtime_env = dict(runtime_env or {})

    # -- Ray session and actors ---------------------------------------------------------------------------------

    def _connect(self) -> bool:
        """Join the Ray this process already has, or start/connect one; True when this call did."""
        ray = self.ray
        if ray.is_initialized():
            return False
        quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
        if self.address is None:
            ray.init(num_cpus=self.num_cpus, include_dashboard=False, ignore_reinit_error=True, **quiet)
            return True
        _check_reachable(self.address)
        try:
            ray.init(address=self.address, **quiet)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            fix = ("install the Ray Client with `pip install 'ray[client]'`, or give the head's GCS address "
                   "(host:6379) from a cluster node" if "ray[client]" in str(exc) else
                   "check the address and that this machine's Ray version matches the cluster's")
            raise ChainauditError(f"--address {self.address}: cannot connect to Ray ({first}); {fix}") from None
        return True

    def _actor_options(self) -> dict[str, Any]:
        resources = self.ray.cluster_resources()
        gpus = 1 if resources.get("GPU", 0) >= self.workers else 0
        cpus = resources.get("CPU", 1) / self.workers
        env = {k: v for k, v in os.environ.items()
               if (k.startswith("CHAINAUDIT_") and k not in _SECRET_ENV) or k in _FORWARDED_ENV}
        root = _import_root(self.resources_factory) if self.resources_factory else None
        runtime_env = {**self.runtime_env, "env_vars": {**env, **self.runtime_env.get("env_vars", {})}}
        if root:
            runtime_env["env_vars"]["PYTHONPATH"] = os.pathsep.join(
                [root, runtime_env["env_vars"].get("PYTHONPATH", "${PYTHONPATH}")])
        return {"num_cpus": max(1, int(cpus)) if cpus >= 1 else cpus, "num_gpus": gpus, "max_restarts": 0,
                "max_task_retries": 0, "runtime_env": runtime_env}

    def _retryable(self) -> tuple[type[BaseException], ...]:
        """Ray's errors for a worker process or node gone (not an exception raised by the job)."""
        names = ("RayActorError", "WorkerCrashedError", "NodeDiedError", "ObjectLostError", "OutOfMemoryError",
                 "LocalRayletDiedError")
        return tuple(getattr(self.ray.exceptions, n) for n in names if hasattr(self.ray.exceptions, n))

    # -- the Executor protocol ----------------------------------------------------------------------------------

    def run(self, jobs: Sequence[PlannedJob]) -> Iterator[tuple[PlannedJob, AttackOutcome]]:
        """Each job's outcomes, job by job as the actors finish them (in any order across jobs)."""
        jobs = list(jobs)
        if not jobs:
            return
        ray = self.ray
        started = self._connect()
        actors: dict[int, Any] = {}
        try:
            options = self._actor_options()
            actor_class = ray.remote(_WorkerActor)
            config = ray.put(self.config)

            def spawn() -> Any:
                return actor_class.options(**options).remote(config, self.data_dir, self.resources_factory)

            n = min(self.workers, len(jobs))
            schedule = Schedule(jobs, n)
            running: dict[Any, tuple[int, int]] = {}  # result ref -> (worker, job index)
            attempts = [0] * len(jobs)

            def submit(worker: int) -> None:
                index = schedule.next(worker)
                if index is not None:
                    running[actors[worker].attack.remote(jobs[index])] = (worker, index)

            for worker in range(n):
                actors[worker] = spawn()
                submit(worker)
            retryable, task_error = self._retryable(), ray.exceptions.RayTaskError
            while running:
                [ref], _ = ray.wait(list(running), num_returns=1)
                worker, index = running.pop(ref)
                try:
                    outcomes = ray.get(ref)
                except retryable as exc:
                    attempts[index] += 1
                    if attempts[index] > self.max_retries:
                        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                        raise ChainauditError(
                            f"{jobs[index].job.describe()}: its Ray worker died {attempts[index]} times ({first}); "
                            "the study stopped (outcomes of finished jobs are stored: run again to resume). "
                            "Check the Ray worker logs (/tmp/ray/session_latest/logs) for memory or crashes"
                        ) from None
                    ray.kill(actors[worker], no_restart=True)
                    actors[worker] = spawn()
                    schedule.retry(worker, index)
                    submit(worker)
                    continue
                except task_error as exc:  # the job raised: the same error as in-process, without Ray's wrapping
                    cause = getattr(exc, "cause", None)
                    if isinstance(cause, BaseException):
                        raise cause from None
                    raise
                submit(worker)  # the actor starts its next job while the driver writes this one's outcomes
                for outcome in outcomes:
                    yield jobs[index], outcome
        finally:
            for actor in actors.values():
                with contextlib.suppress(Exception):  # already gone, or Ray shutting down
                    ray.kill(actor, no_restart=True)
            if started:
                ray.shutdown()


__all__ = ["MAX_RETRIES", "RayExecutor", "Schedule", "assign"]
