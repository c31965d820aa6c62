"""`chainaudit demo`: the main job end to end on a laptop: fine-tune the bundled MiniLM on SST-2, evaluate
it, attack it with each recipe, every outcome stored."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from chainaudit.attacks import RECIPES, AttackResources
from chainaudit.attacks.pipeline import AttackRequest, DatasetAttack, StartHook, plan_attack, run_plan
from chainaudit.data import load_split
from chainaudit.errors import ChainauditError
from chainaudit.store import Store
from chainaudit.zoo import FinetuneConfig, FinetuneResult, finetune

DEMO_STUDY = "demo"
DEMO_MODEL = "chainaudit-demo/minilm-sst2"
DEMO_ATTACKS = ("textbugger", "hotflip", "textfooler", "pwws")


@dataclass(frozen=True)
class DemoResult:
    model: FinetuneResult
    attacks: list[DatasetAttack]


def parse_attacks(text: str) -> list[str]:
    """`a,b,c` → names, refusing an empty list."""
    names = [a.strip() for a in text.split(",") if a.strip()]
    if not names:
        raise ChainauditError("--attacks names no recipe; e.g. --attacks textbugger,pwws")
    return names


def run_demo(store: Store, out: Path, *, max_examples: int = 4000, attacks: Sequence[str] = DEMO_ATTACKS,
             attack_n: int = 40, data_dir: Path | None = None,
             training: Callable[[int, int, float], None] | None = None,
             start: StartHook | None = None) -> DemoResult:
    """Fine-tune (`out/minilm-sst2`, replaced), evaluate, then attack `attack_n` validation sentences per
    recipe under study `demo` (re-running resumes the stored attacks of the same model revision)."""
    resources = AttackResources()
    unknown = [a for a in attacks if a not in RECIPES]  # fail before minutes of training, not after
    if unknown:
        raise ChainauditError(f"--attacks: unknown attack(s) {', '.join(unknown)}; choose from "
                              f"{', '.join(sorted(RECIPES))}")
    config = FinetuneConfig(max_examples=max_examples, learning_rate=1e-4, seed=0)
    model = finetune("minilm", "sst2", out / "minilm-sst2", config, name=DEMO_MODEL, overwrite=True,
                     data_dir=data_dir, progress=training, store=store)
    samples = load_split("sst2", "validation", data_dir=data_dir).samples[:attack_n]
    runs = []
    for name in attacks:
        request = AttackRequest(model=str(model.path), attack=name, dataset="sst2", n=attack_n, study=DEMO_STUDY,
                                data_dir=data_dir, resources=resources)
        plan = plan_attack(request, victim=model.evaluation.victim, samples=samples)
        runs.append(run_plan(plan, request, store, start=start))
    return DemoResult(model, runs)

