"""Run a study: the driver plans, hands the jobs with work left to an executor, and is the single writer.

A `StudyWorker` attacks one planned job and returns its outcomes; it keeps every model it loaded, so a model
loads once per worker. The in-process executor is one worker in the driver; `study.ray_executor` runs workers
as Ray actors. Outcomes are written as they arrive (in-process: per sample; Ray: per job), each by its natural
key, so a driver killed at any moment and run again ends with the rows of an uninterrupted run: attacks are
seeded per sample, and what was stored is not attacked again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Protocol

from chainaudit.attacks import AttackOutcome, AttackResources, build_recipe
from chainaudit.attacks.engine import Recipe
from chainaudit.attacks.goal import Goal, parse_goal
from chainaudit.attacks.pipeline import load_victim, params_digest, target_index
from chainaudit.attacks.runner import DEFAULT_CONCURRENCY, attack_pending
from chainaudit.data import load_split
from chainaudit.errors import ChainauditError
from chainaudit.store import Store, record_model
from chainaudit.study.config import StudyConfig
from chainaudit.study.plan import PlannedJob, StudyPlan, plan_study, study_resources
from chainaudit.study.records import stored_rows, write_outcome
from chainaudit.victims.base import Victim


class StudyWorker:
    """Attacks planned jobs; loaded victims, recipes and datasets are kept for the worker's life."""

    def __init__(self, config: StudyConfig, *, data_dir: Path | None = None,
                 resources: AttackResources | None = None, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self.config = config
        self.data_dir = data_dir
        self.resources = resources or study_resources(config)
        self.concurrency = concurrency
        self._victims: dict[tuple[object, ...], Victim] = {}
        self._recipes: dict[str, Recipe] = {}
        self._split = cache(lambda name, split: load_split(name, split, data_dir=data_dir))

    def victim(self, planned: PlannedJob) -> Victim:
        """The job's model, loaded once per (model, dataset labels, max length)."""
        job = planned.job
        labels = self._split(job.dataset.name, job.dataset.split).label_names
        key = (job.model, labels, self.config.max_length)
        if key not in self._victims:
            request = job.request(self.config, self.resources, self.data_dir)
            self._victims[key] = load_victim(request, labels, self._goal(planned))
        return self._victims[key]

    def _goal(self, planned: PlannedJob) -> Goal:
        job = planned.job
        labels = self._split(job.dataset.name, job.dataset.split).label_names
        return parse_goal(job.model.goal, target_index(job.model.target, labels))

    def recipe(self, name: str) -> Recipe:
        if name not in self._recipes:
            self._recipes[name] = build_recipe(name, self.resources)
        return self._recipes[name]

    def attack(self, planned: PlannedJob) -> Iterator[AttackOutcome]:
        """The outcomes of the job's samples still to attack (`planned.todo`), in sample order."""
        victim, goal = self.victim(planned), self._goal(planned)
        params, _ = params_digest(planned.job.request(self.config, self.resources, self.data_dir), goal.key)
        if params != planned.key.params or victim.revision != planned.key.revision:
            raise ChainauditError(f"{planned.job.describe()}: this worker keys the job as {victim.model_id}@"
                                  f"{victim.revision} params {params}, the plan as {planned.key.revision} params "
                                  f"{planned.key.params}; are the model files or settings different here?")
        goal.check(len(victim.label_names))
        todo = set(planned.todo)
        yield from attack_pending(self.recipe(planned.job.attack), victim,
                                  [s for s in planned.samples if s.index in todo], seed=planned.job.seed,
                                  budget=self.config.budget, similarity=self.resources.similarity(),
                                  concurrency=self.concurrency, goal=goal, time_limit=self.config.time_limit)


class Executor(Protocol):
    """Runs planned jobs; yields each outcome with its job, in any order across jobs."""

    def run(self, jobs: Sequence[PlannedJob]) -> Iterator[tuple[PlannedJob, AttackOutcome]]: ...


class InProcess:
    """One worker in the driver's process, one job after another."""

    def __init__(self, worker: StudyWorker) -> None:
        self.worker = worker

    def run(self, jobs: Sequence[PlannedJob]) -> Iterator[tuple[PlannedJob, AttackOutcome]]:
        for planned in jobs:
            for outcome in self.worker.attack(planned):
                yield planned, outcome


@dataclass
class StudyRun:
    """What a `run_study` call did."""

    plan: StudyPlan
    written: int = 0
    flipped: int = 0
    errors: int = 0
    replays: int = 0
    jobs_done: list[PlannedJob] = field(default_factory=list)


def run_study(config: StudyConfig, store: Store, executor: Executor | None = None, *, data_dir: Path | None = None,
              retry_errors: bool = False, on_plan: Callable[[StudyPlan], None] | None = None,
              on_outcome: Callable[[PlannedJob, AttackOutcome], None] | None = None,
              replay: bool = True, resources: AttackResources | None = None,
              concurrency: int = DEFAULT_CONCURRENCY) -> StudyRun:
    """Plan, run every job with work left on `executor` (default in-process), write each outcome as it comes,
    then send each chain hop's upstream adversarial texts to its downstream (`replay_hops`). `resources`: the
    attacks' resources (default `study_resources(config)`; tests inject tiny ones)."""
    resources = resources or study_resources(config)
    local = StudyWorker(config, data_dir=data_dir, resources=resources, concurrency=concurrency)
    plan = plan_study(config, store, data_dir=data_dir, resources=resources, retry_errors=retry_errors)
    if on_plan:
        on_plan(plan)
    store.upsert("studies", [{"study_id": config.name, "name": config.name, "config": config.model_dump(mode="json")}])
    work = [j for j in plan.jobs if j.todo]
    for planned in work:
        store.upsert("attack_params", [{"params": planned.key.params, "value": planned.params_value}])
    report = StudyRun(plan)
    for model_id, revision, path in dict.fromkeys((j.key.model_id, j.key.revision, j.job.model.path) for j in work):
        record_model(store, model_id, revision=revision, source="local" if path else "hub", path=path)
    for planned, outcome in (executor or InProcess(local)).run(work):
        write_outcome(store, planned.key, outcome, replace=outcome.sample.index in planned.rerun)
        report.written += 1
        report.flipped += outcome.outcome == "succeeded"
        report.errors += outcome.outcome == "error"
        if on_outcome:
            on_outcome(planned, outcome)
    if replay:
        report.replays = replay_hops(plan, store, local)
    return report


def replay_hops(plan: StudyPlan, store: Store, worker: StudyWorker) -> int:
    """For every chain hop, job by job: the upstream's successful adversarial texts sent as they are to the
    downstream (with the clean texts, to know whether the downstream got them right). One victim call per
    hop and job; stored in `transfer_replays` by key, so a rerun sends only what is missing."""
    by_model = {(j.job.model, j.job.dataset, j.job.attack, j.job.seed): j for j in plan.jobs}
    written = 0
    for up, down in plan.config.hops():
        for (model, dataset, attack, seed), up_job in by_model.items():
            down_job = by_model.get((down, dataset, attack, seed))
            if model != up or down_job is None:
                continue
            written += _replay(store, up_job, down_job, worker)
    return written


def _replay(store: Store, up: PlannedJob, down: PlannedJob, worker: StudyWorker) -> int:
    key = {"study_id": up.key.study_id, "upstream_id": up.key.model_id, "upstream_revision": up.key.revision,
           "downstream_id": down.key.model_id, "downstream_revision": down.key.revision, "attack": up.key.attack,
           "seed": up.key.seed, "goal": up.key.goal, "params": up.key.params}
    done = {(r["dataset"], r["split"], r["idx"]) for r in store.select("transfer_replays", key)}
    rows = [r for r in stored_rows(store, up.key).values()
            if r["outcome"] == "succeeded" and r["perturbed_text"] and (r["dataset"], r["split"], r["idx"]) not in done]
    if not rows:
        return 0
    victim = worker.victim(down)
    texts = [r["perturbed_text"] for r in rows] + [r["original_text"] for r in rows]
    preds = victim.predict_proba(texts).argmax(axis=1)
    n = len(rows)
    store.insert_new("transfer_replays", [
        {**key, "dataset": r["dataset"], "split": r["split"], "idx": r["idx"], "gold_label": r["gold_label"],
         "upstream_pred": r["perturbed_pred"], "downstream_pred": int(preds[i]),
         "downstream_clean_pred": int(preds[n + i]), "perturbed_text": r["perturbed_text"]}
        for i, r in enumerate(rows)])
    return n
