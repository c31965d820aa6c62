"""`chainaudit demo`: the whole chain audit, offline on this machine, in stages.

1. fine-tune: the bundled MiniLM on SST-2 (the upstream), then that model on Rotten Tomatoes and, separately, on
   Amazon polarity (two downstreams: two chains); folders that already hold the model asked for are reused
   (`study.demo_models`);
2. lineage: the folders imported into the catalog (`collect --from-dir`), each upstream identified from its card
   (`lineage`), the chains selected (`select`) and written as a study config (`study.demo_chains`);
3. study: every model × the four datasets × every attack available here on a small seeded sample (`run_study`,
   in-process or on Ray; stored results resume through the study key);
4. metrics (`study_figures`, JSON and CSV) and the headline figures (`study.demo_headline`);
5. report: the HTML page, by the writer the caller passes (the report package sits beside this one).

Defaults fit 2 CPU cores in under 15 minutes (README, "The main job"); `n`, `attacks` and the executor go bigger.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from chainaudit.attacks import AttackOutcome, AttackResources
from chainaudit.errors import ChainauditError, ResourceMissingError
from chainaudit.store import Store
from chainaudit.study.config import AttackChoice, StudyConfig
from chainaudit.study.demo_chains import FoundChains, chain_study, find_chains, write_chain_study
from chainaudit.study.demo_headline import Headline, headline
from chainaudit.study.demo_models import DemoModel, ModelSpec, TrainingHooks, ensure_models
from chainaudit.study.plan import PlannedJob, StudyPlan
from chainaudit.study.results import study_figures
from chainaudit.study.run import StudyRun, run_study

DEMO_STUDY = "demo-chains"
DEMO_DATASETS = ("sst2", "rotten_tomatoes", "imdb", "amazon_polarity")
#: Every attack that runs here without downloads; SCPN (published weights) and GAN (`resources train-gan`) join
#: when their files are found.
DEMO_ATTACKS = ("textbugger", "hotflip", "hotflip-blackbox", "textfooler", "pwws")
OPTIONAL_ATTACKS = ("scpn", "gan")
UPSTREAM = ModelSpec("minilm-sst2", "chainaudit-demo/minilm-sst2", None, "sst2", 2000)
DOWNSTREAMS = (
    ModelSpec("minilm-sst2-rt", "chainaudit-demo/minilm-sst2-rt", UPSTREAM.key, "rotten_tomatoes", 1000, 500),
    ModelSpec("minilm-sst2-amazon", "chainaudit-demo/minilm-sst2-amazon", UPSTREAM.key, "amazon_polarity", 600, 400),
)


@dataclass(frozen=True)
class DemoSettings:
    """What the demo builds and attacks. `attacks` None: every attack available here. `n`: samples per dataset
    (seeded random); `max_length`: tokens the models read when attacked (IMDB reviews are long); `time_limit`:
    seconds per sample before it is judged on its best text so far."""

    models: tuple[ModelSpec, ...] = (UPSTREAM, *DOWNSTREAMS)
    base: str = "minilm"
    datasets: tuple[str, ...] = DEMO_DATASETS
    attacks: tuple[str, ...] | None = None
    n: int = 3
    max_length: int = 64
    time_limit: float | None = 15.0
    study: str = DEMO_STUDY
    learning_rate: float = 1e-4
    seed: int = 0
    executor: str = "inprocess"
    workers: int = 2


class ReportWriter(Protocol):
    """`report.build_report`'s shape: write the page of `study` from the database at `db` to `out`."""

    def __call__(self, db: Path, out: Path, *, study: str) -> Any: ...


@dataclass(frozen=True)
class DemoHooks:
    """Progress callbacks: a fine-tuning bar per model, the study's plan and outcomes, and each stage's start."""

    training: TrainingHooks | None = None
    on_plan: Callable[[StudyPlan], None] | None = None
    on_outcome: Callable[[PlannedJob, AttackOutcome], None] | None = None
    on_stage: Callable[[str], None] | None = None


@dataclass
class DemoResult:
    """What the demo did, stage by stage, and where it wrote."""

    models: list[DemoModel]
    attacks: list[str]
    skipped_attacks: dict[str, str]
    chains: FoundChains | None = None
    config: StudyConfig | None = None
    config_path: Path | None = None
    run: StudyRun | None = None
    headline: Headline | None = None
    metrics: list[Path] = field(default_factory=list)
    report: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)
    #: CPU seconds of this process per stage (all threads): the work done, whatever else loads the machine.
    cpu: dict[str, float] = field(default_factory=dict)


def parse_attacks(text: str | None) -> tuple[str, ...] | None:
    """`a,b,c` → names; None or `all` → None (every attack available here); an empty list is refused."""
    if text is None or text.strip().lower() == "all":
        return None
    names = tuple(a.strip() for a in text.split(",") if a.strip())
    if not names:
        raise ChainauditError("--attacks names no recipe; e.g. --attacks textbugger,pwws (or all)")
    return names


def missing_resource(attack: str) -> str | None:
    """Why an attack that needs files cannot run here (None: it can)."""
    try:
        if attack == "scpn":
            from chainaudit.attacks.scpn.weights import locate

            locate()
        elif attack == "gan":
            from chainaudit.attacks.gan.store import find_gan

            find_gan("sst2")
    except ResourceMissingError as exc:
        return str(exc)
    return None


def choose_attacks(requested: Sequence[str] | None) -> tuple[list[str], dict[str, str]]:
    """The attacks to run and those left out with why: by default the demo's five and each optional one whose
    files are here; a requested list is checked (names, flavours, files) before any training."""
    names = list(requested) if requested is not None else [*DEMO_ATTACKS, *OPTIONAL_ATTACKS]
    chosen, skipped = [], {}
    for name in names:
        try:
            choice = AttackChoice(name=name)
        except ValueError as exc:
            raise ChainauditError(f"--attacks {name}: {' '.join(str(exc).split())}") from exc
        why = missing_resource(choice.name)
        if why is not None and requested is not None:
            raise ChainauditError(f"--attacks {name}: cannot run here: {why}")
        if why is None:
            chosen.append(choice.id)
        else:
            skipped[choice.id] = why
    return chosen, skipped


@contextmanager
def _stage(result: DemoResult, name: str, hooks: DemoHooks) -> Iterator[None]:
    if hooks.on_stage:
        hooks.on_stage(name)
    started, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        result.timings[name] = time.perf_counter() - started
        result.cpu[name] = time.process_time() - cpu


def _executor(settings: DemoSettings, config: StudyConfig, data_dir: Path | None) -> Any:
    if settings.executor == "inprocess":
        return None
    if settings.executor != "ray":
        raise ChainauditError(f"--executor {settings.executor}: choose inprocess or ray")
    from chainaudit.study.ray_executor import RayExecutor

    return RayExecutor(config, workers=settings.workers, data_dir=data_dir)


def run_demo(store: Store, out: Path, settings: DemoSettings | None = None, *, data_dir: Path | None = None,
             report: ReportWriter | None = None, hooks: DemoHooks | None = None,
             resources: AttackResources | None = None) -> DemoResult:
    """The whole audit under `out` (`models/`, `study.yaml`, `metrics/`, `report.html`); re-running resumes.
    `report`: the page's writer (`chainaudit.report.build_report`; None: no page). `resources`: the attacks'
    (default the study's; tests inject tiny ones)."""
    settings, hooks = settings or DemoSettings(), hooks or DemoHooks()
    attacks, skipped = choose_attacks(settings.attacks)
    out.mkdir(parents=True, exist_ok=True)
    result = DemoResult([], attacks, skipped)
    with _stage(result, "fine-tune", hooks):
        result.models = ensure_models(settings.models, out / "models", store, base=settings.base, data_dir=data_dir,
                                      learning_rate=settings.learning_rate, seed=settings.seed, hooks=hooks.training)
    with _stage(result, "lineage", hooks):
        result.chains = find_chains(store, out / "models", {m.model_id for m in result.models})
        result.config = chain_study(settings.study, result.chains.chains, datasets=settings.datasets,
                                    attacks=attacks, n=settings.n, max_length=settings.max_length,
                                    time_limit=settings.time_limit, seed=settings.seed)
        result.config_path = write_chain_study(result.config, out / "study.yaml")
    with _stage(result, "study", hooks):
        result.run = run_study(result.config, store, _executor(settings, result.config, data_dir), data_dir=data_dir,
                               on_plan=hooks.on_plan, on_outcome=hooks.on_outcome, resources=resources)
    with _stage(result, "metrics", hooks):
        result.metrics = study_figures(result.run.plan, store, out=out / "metrics").files
        result.headline = headline(result.run.plan, store)
    if report is not None:
        with _stage(result, "report", hooks):
            result.report = Path(report(store.path, out / "report.html", study=settings.study).html)
    return result
