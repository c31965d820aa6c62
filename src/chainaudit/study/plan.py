"""A study's jobs: model × dataset × attack × seed, each keyed like its stored results (model@revision, goal, and
the digest of every outcome-changing parameter), with what is already stored and an estimate of the time left.

Planning resolves each model's revision (a local folder's content hash, a Hub id's pinned sha) and loads the
datasets, but loads no weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from chainaudit.attacks import AttackResources
from chainaudit.attacks.goal import parse_goal
from chainaudit.attacks.pipeline import AttackRequest, params_digest, target_index
from chainaudit.data import LoadedSplit, Sample, load_split, select
from chainaudit.store import Store
from chainaudit.study.config import DatasetChoice, ModelRef, StudyConfig
from chainaudit.study.records import RunKey, pending, stored_rows
from chainaudit.victims import resolve_model


@dataclass(frozen=True)
class Job:
    """One model attacked on one dataset by one recipe with one seed."""

    model: ModelRef
    dataset: DatasetChoice
    attack: str
    seed: int

    def request(self, config: StudyConfig, resources: AttackResources, data_dir: Path | None) -> AttackRequest:
        """The job as an attack request (what `chainaudit attack` would be given), so both key results alike."""
        return AttackRequest(
            model=self.model.spec, attack=self.attack, dataset=self.dataset.name, n=config.n_for(self.dataset),
            split=self.dataset.split, sample=self.dataset.sample, seed=self.seed, sample_seed=config.seed,
            budget=config.budget, time_limit=config.time_limit, study=config.name, revision=self.model.revision,
            allow_pickle=self.model.allow_pickle,
            label_map=self.model.label_map, max_length=config.max_length, data_dir=data_dir, resources=resources,
            goal=self.model.goal, target=self.model.target)

    def describe(self) -> str:
        return f"{self.model.id} · {self.dataset.name} · {self.attack} · seed {self.seed}"


@dataclass(frozen=True)
class PlannedJob:
    """A job with its result key, its samples, and the indices still to attack."""

    job: Job
    key: RunKey
    samples: tuple[Sample, ...]
    todo: tuple[int, ...]
    #: Of `todo`, the indices stored as errors being retried (their rows are replaced, never doubled).
    rerun: frozenset[int] = frozenset()
    params_value: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def stored(self) -> int:
        return len(self.samples) - len(self.todo)


@dataclass(frozen=True)
class StudyPlan:
    """Every job of a study, in run order (grouped by model, so each model loads once per worker)."""

    config: StudyConfig
    jobs: list[PlannedJob]
    #: Mean seconds per attacked sample by attack, from stored results (this study's first); None: no data yet.
    seconds_per_sample: dict[str, float | None]

    @property
    def samples(self) -> int:
        return sum(len(j.samples) for j in self.jobs)

    @property
    def todo(self) -> int:
        return sum(len(j.todo) for j in self.jobs)

    @property
    def eta_seconds(self) -> float | None:
        """Time left at the measured per-sample costs; None while an attack with work left has no measurement."""
        costs = [(len(j.todo), self.seconds_per_sample.get(j.job.attack)) for j in self.jobs if j.todo]
        if any(c is None for _, c in costs):
            return None
        return sum(n * c for n, c in costs if c is not None)


def jobs_of(config: StudyConfig) -> list[Job]:
    """model × dataset × attack × seed, grouped by model then dataset."""
    return [Job(model, dataset, attack.id, seed) for model in config.subjects() for dataset in config.datasets
            for attack in config.attacks for seed in config.seeds(attack)]


def study_resources(config: StudyConfig) -> AttackResources:
    """The attack resources a study shares across its jobs (word vectors loaded once)."""
    return AttackResources(word_vectors_path=Path(config.word_vectors) if config.word_vectors else None)


def plan_study(config: StudyConfig, store: Store, *, data_dir: Path | None = None,
               resources: AttackResources | None = None, retry_errors: bool = False) -> StudyPlan:
    """Key every job and count what is stored (resolving revisions, loading datasets, never weights)."""
    resources = resources or study_resources(config)
    splits = cache(lambda name, split: load_split(name, split, data_dir=data_dir))
    resolved = cache(lambda spec, revision, pickle: resolve_model(spec, revision=revision, allow_pickle=pickle))
    planned = []
    for job in jobs_of(config):
        loaded: LoadedSplit = splits(job.dataset.name, job.dataset.split)
        samples = select(loaded.samples, config.n_for(job.dataset), job.dataset.sample, config.seed)
        model = resolved(job.model.spec, job.model.revision, job.model.allow_pickle)
        goal = parse_goal(job.model.goal, target_index(job.model.target, loaded.label_names))
        params, value = params_digest(job.request(config, resources, data_dir), goal.key)
        key = RunKey(config.name, model.model_id, model.revision, job.attack, job.seed, goal.key, params)
        stored = stored_rows(store, key)
        todo = pending(samples, stored, retry_errors=retry_errors)
        rerun = frozenset(s.index for s in todo if (s.dataset, s.split, s.index) in stored)
        planned.append(PlannedJob(job, key, tuple(samples), tuple(s.index for s in todo), rerun, value))
    return StudyPlan(config, planned, _costs(store, config.name, {j.job.attack for j in planned}))


def _costs(store: Store, study: str, attacks: Sequence[str] | set[str]) -> dict[str, float | None]:
    """Mean stored seconds per attacked sample of each attack (errors left out): this study's rows, else any
    study's; None while there are none."""
    out: dict[str, float | None] = {}
    for attack in attacks:
        mine = store.mean("attack_results", "seconds", {"study_id": study, "attack": attack}, {"outcome": "error"})
        out[attack] = mine if mine is not None else store.mean("attack_results", "seconds", {"attack": attack},
                                                                {"outcome": "error"})
    return out
