"""One attack over a dataset sample, as a typed request: the wiring behind `chainaudit attack`, study jobs, the
demo and the benchmarks.

`AttackRequest` names the run; `params_digest` keys its results (every outcome-changing parameter);
`load_victim` loads the model safely in the dataset's labels; `plan_attack` loads the split, selects the
samples, loads the victim and builds the recipe. Running and storing is the study's (`study.run`, and
`study.adhoc` for a single attack).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from chainaudit.attacks.engine import Recipe
from chainaudit.attacks.goal import UNTARGETED, Goal, parse_goal
from chainaudit.attacks.recipes import (
    AttackResources,
    attack_id,
    build_recipe,
    parse_attack_id,
    resource_identity,
)
from chainaudit.attacks.runner import (
    ADHOC_STUDY,
    DEFAULT_CONCURRENCY,
)
from chainaudit.data import Sample, SamplingMode, load_split, select
from chainaudit.errors import ChainauditError, LabelAlignmentError
from chainaudit.settings import DEFAULT_QUERY_BUDGET, DEFAULT_TIME_LIMIT_S
from chainaudit.victims import DEFAULT_MAX_LENGTH, LocalHFVictim, resolve_model
from chainaudit.victims.base import Victim
from chainaudit.victims.labels import model_label_names, parse_label_map


@dataclass(frozen=True)
class AttackRequest:
    """Everything that names one `chainaudit attack` run (the CLI's options, typed)."""

    model: str
    attack: str = "pwws"
    dataset: str = "sst2"
    n: int = 100
    split: str | None = None
    sample: SamplingMode = "first"
    seed: int = 0
    #: Seed of `sample="random"` (default: `seed`); a study fixes it so every attack seed sees the same samples.
    sample_seed: int | None = None
    repeats: int = 1
    budget: int | None = DEFAULT_QUERY_BUDGET
    time_limit: float | None = DEFAULT_TIME_LIMIT_S
    retry_errors: bool = False
    study: str = ADHOC_STUDY
    revision: str | None = None
    allow_pickle: bool = False
    label_map: str | None = None
    max_length: int = DEFAULT_MAX_LENGTH
    concurrency: int = DEFAULT_CONCURRENCY
    data_dir: Path | None = None
    resources: AttackResources = field(default_factory=AttackResources)
    goal: str = "untargeted"
    #: The targeted goal's label: a dataset label name or index.
    target: str | None = None
    #: `paper` (default), `openattack` or `textattack` (`recipes.FLAVORS`); `attack` may name it too: `pwws@openattack`.
    flavor: str | None = None

    def __post_init__(self) -> None:
        name, flavor = parse_attack_id(self.attack, self.flavor)
        object.__setattr__(self, "attack", attack_id(name, flavor))  # one spelling: the stored name
        object.__setattr__(self, "flavor", flavor)
        if self.n < 1:
            raise ChainauditError(f"-n must be at least 1, not {self.n}")
        if self.repeats < 1:
            raise ChainauditError(f"--repeats must be at least 1, not {self.repeats}")


@dataclass(frozen=True)
class AttackPlan:
    """What is about to run (told to the caller before the first sample is attacked)."""

    recipe: Recipe
    victim: Victim
    dataset: str
    split: str
    samples: list[Sample]
    seeds: list[int]
    goal: Goal = UNTARGETED
    #: The parameters' digest (part of every result's key) and what it digests.
    params: str = ""
    params_value: dict[str, object] = field(default_factory=dict)


def dataset_label(dataset: str) -> str:
    """The name a dataset's samples carry: a registry name as it is, a .csv/.jsonl path's file stem."""
    path = Path(dataset)
    return path.stem if path.suffix.lower() in {".csv", ".jsonl", ".json"} else dataset


def params_digest(request: AttackRequest, goal_key: str) -> tuple[str, dict[str, object]]:
    """(digest, what it digests): every parameter of `request` that changes an outcome. Stored in each result's
    key, so a run with the same parameters resumes and one with a changed parameter makes new rows."""
    label_map = parse_label_map(request.label_map) if request.label_map else None
    value = {"attack": request.attack, "query_budget": request.budget, "time_limit_s": request.time_limit,
             "max_length": request.max_length, "label_map": label_map, "goal": goal_key,
             **resource_identity(request.attack, request.resources, dataset_label(request.dataset))}
    digest = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]
    return digest, value


def plan_attack(request: AttackRequest, *, victim: Victim | None = None,
                samples: list[Sample] | None = None) -> AttackPlan:
    """Load the data, the victim and the recipe (or take the given victim and samples, as the demo does)."""
    recipe = build_recipe(request.attack, request.resources)
    if samples is None:
        loaded = load_split(request.dataset, request.split, data_dir=request.data_dir)
        samples = select(loaded.samples, request.n, request.sample,
                         request.seed if request.sample_seed is None else request.sample_seed)
        label_names = loaded.label_names
    elif victim is None:
        raise ChainauditError("plan_attack: pass the victim together with the samples")
    if not samples:
        raise ChainauditError(f"{request.dataset}: no samples to attack in split {request.split or '(default)'}")
    if victim is None:
        goal = parse_goal(request.goal, target_index(request.target, label_names))
        victim = load_victim(request, label_names, goal)
    else:
        goal = parse_goal(request.goal, target_index(request.target, victim.label_names))
    goal.check(len(victim.label_names))
    params, value = params_digest(request, goal.key)
    return AttackPlan(recipe, victim, samples[0].dataset, samples[0].split, list(samples),
                      list(range(request.seed, request.seed + request.repeats)), goal, params, value)


def target_index(target: str | None, label_names: Sequence[str]) -> int | None:
    """`--target` as a label index: a label name of the dataset, or an index."""
    if target is None:
        return None
    if target in label_names:
        return list(label_names).index(target)
    if target.isdigit() and int(target) < len(label_names):
        return int(target)
    raise ChainauditError(f"--target {target!r} is not one of the dataset's labels {list(label_names)} (or their "
                          f"indexes 0..{len(label_names) - 1})")


def load_victim(request: AttackRequest, label_names: Sequence[str], goal: Goal) -> LocalHFVictim:
    """The victim in the dataset's labels; for the flip-prediction goal a model whose labels cannot be aligned
    is attacked in its own labels instead (the goal never compares with the gold label)."""
    options = {"max_length": request.max_length}
    resolved = resolve_model(request.model, revision=request.revision, allow_pickle=request.allow_pickle)
    try:
        return LocalHFVictim.from_resolved(resolved, label_names, label_map=request.label_map, **options)
    except LabelAlignmentError:
        if goal.name != "flip-prediction":
            raise
    return LocalHFVictim.from_resolved(resolved, model_label_names(resolved.path), **options)
