"""`chainaudit demo`: the main job end to end on a laptop: fine-tune the bundled MiniLM on SST-2, evaluate
it, attack it with each recipe, every outcome stored."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from chainaudit.attacks import RECIPES, AttackOutcome, AttackResources
from chainaudit.attacks.pipeline import AttackRequest
from chainaudit.errors import ChainauditError
from chainaudit.store import Store
from chainaudit.study.adhoc import AdhocAttack, run_adhoc
from chainaudit.study.plan import PlannedJob, StudyPlan
from chainaudit.zoo import FinetuneConfig, FinetuneResult, finetune

DEMO_STUDY = "demo"
DEMO_MODEL = "chainaudit-demo/minilm-sst2"
DEMO_ATTACKS = ("textbugger", "hotflip", "textfooler", "pwws")


@dataclass(frozen=True)
class DemoResult:
    model: FinetuneResult
    attacks: list[AdhocAttack]


def parse_attacks(text: str) -> list[str]:
    """`a,b,c` → names, refusing an empty list."""
    names = [a.strip() for a in text.split(",") if a.strip()]
    if not names:
        raise ChainauditError("--attacks names no recipe; e.g. --attacks textbugger,pwws")
    return names


def run_demo(store: Store, out: Path, *, max_examples: int = 4000, attacks: Sequence[str] = DEMO_ATTACKS,
             attack_n: int = 40, data_dir: Path | None = None,
             training: Callable[[int, int, float], None] | None = None,
             on_plan: Callable[[StudyPlan], None] | None = None,
             on_outcome: Callable[[PlannedJob, AttackOutcome], None] | None = None) -> DemoResult:
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
    runs = [run_adhoc(AttackRequest(model=str(model.path), attack=name, dataset="sst2", n=attack_n, study=DEMO_STUDY,
                                    data_dir=data_dir, resources=resources), store, on_plan=on_plan,
                      on_outcome=on_outcome) for name in attacks]
    return DemoResult(model, runs)

