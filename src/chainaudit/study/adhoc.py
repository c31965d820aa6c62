"""`chainaudit attack` (and the demo) as a one-job study: one model, one dataset, one recipe, its seeds, run by
`run_study`, so there is one way to run attacks and every result is keyed the same way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from chainaudit.attacks import AttackOutcome
from chainaudit.attacks.pipeline import AttackRequest
from chainaudit.attacks.runner import AttackRun
from chainaudit.errors import ChainauditError
from chainaudit.store import Store
from chainaudit.study.config import AttackChoice, DatasetChoice, ModelRef, StudyConfig, describe_errors
from chainaudit.study.plan import PlannedJob, StudyPlan
from chainaudit.study.records import collect_run
from chainaudit.study.run import run_study


@dataclass(frozen=True)
class AdhocAttack:
    """A finished one-job study: its plan and one run (all requested samples, stored ones included) per seed."""

    plan: StudyPlan
    runs: dict[int, AttackRun]

    @property
    def attack(self) -> str:
        return self.plan.jobs[0].key.attack

    @property
    def model_id(self) -> str:
        return self.plan.jobs[0].key.model_id

    @property
    def outcomes(self) -> list[AttackOutcome]:
        return [o for run in self.runs.values() for o in run.outcomes]


def adhoc_config(request: AttackRequest) -> StudyConfig:
    """The request as a study config of one model; a bad option is one line naming what is wrong."""
    local = Path(request.model).expanduser().is_dir()
    vectors = str(request.resources.word_vectors_path) if request.resources.word_vectors_path else None
    try:
        model = ModelRef(id=request.model, revision=request.revision, path=request.model if local else None,
                         label_map=request.label_map, goal=request.goal, target=request.target,
                         allow_pickle=request.allow_pickle)
        return StudyConfig(
            name=request.study, models=[model], seed=request.seed,
            datasets=[DatasetChoice(name=request.dataset, split=request.split, n=request.n, sample=request.sample)],
            attacks=[AttackChoice(name=request.attack, repeats=request.repeats)], budget=request.budget,
            time_limit=request.time_limit, max_length=request.max_length, word_vectors=vectors)
    except ValidationError as exc:
        raise ChainauditError(describe_errors(exc, with_fields=False)) from None


def run_adhoc(request: AttackRequest, store: Store, *, on_plan: Callable[[StudyPlan], None] | None = None,
              on_outcome: Callable[[PlannedJob, AttackOutcome], None] | None = None) -> AdhocAttack:
    """Run the request as a one-job study (resumable like any study) and summarise each seed."""
    done = run_study(adhoc_config(request), store, data_dir=request.data_dir, retry_errors=request.retry_errors,
                     on_plan=on_plan, on_outcome=on_outcome, replay=False, resources=request.resources,
                     concurrency=request.concurrency)
    runs = {j.key.seed: collect_run(store, j.key, list(j.samples), j.stored) for j in done.plan.jobs}
    return AdhocAttack(done.plan, runs)
