"""Study scaling: a small real grid run in-process and on a local Ray with 1 and 2 workers, each into a fresh
database, side by side in one run.

The grid: the MiniLM chain runs/demo/models/minilm-sst2 (from `chainaudit demo`) → runs/bench/sst2-rt (that model
fine-tuned on 2,000 Rotten Tomatoes reviews; made first when missing), on SST-2 and Rotten Tomatoes, with
TextBugger, PWWS and black-box HotFlip: 2 models × 2 datasets × 3 attacks = 12 jobs of N samples.

Prints jobs/minute and samples/second, and where the in-process time goes: planning, model loading (how many
loads), the attacks' own time (the samples' `seconds`, victim calls included), victim calls alone, store
writes, replays, and what is left: the runner's overhead, as a share of the attacks' own time (target ≤ 5%).
It also checks that every executor wrote the same rows.

    CHAINAUDIT_DATA_DIR=../shared/data/datasets .venv/bin/python benchmarks/study_scaling.py [-n 20]
        [--executors inprocess,ray1,ray2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from rich.console import Console
from rich.table import Table
from timing import Timer

import chainaudit.study.run as study_run
from chainaudit.store import Store
from chainaudit.study.config import StudyConfig
from chainaudit.victims import LocalHFVictim

DEMO = Path("runs/demo/models/minilm-sst2")
DOWNSTREAM = Path("runs/bench/sst2-rt")


def chain_models() -> tuple[Path, Path]:
    if not (DEMO / "config.json").is_file():
        raise SystemExit(f"{DEMO} is missing: run `chainaudit demo` first")
    if not (DOWNSTREAM / "config.json").is_file():
        from chainaudit.zoo import FinetuneConfig, finetune

        print(f"fine-tuning {DEMO} on 2,000 Rotten Tomatoes reviews first (a few minutes) ...", flush=True)
        finetune(str(DEMO), "rotten_tomatoes", DOWNSTREAM, FinetuneConfig(max_examples=2000), name="local/sst2-rt",
                 overwrite=True)
    return DEMO, DOWNSTREAM


def grid(n: int, attacks: list[str]) -> StudyConfig:
    up, down = chain_models()
    return StudyConfig.model_validate({
        "name": "scaling", "chains": [[{"id": "up", "path": str(up)}, {"id": "down", "path": str(down)}]],
        "datasets": [{"name": "sst2", "n": n}, {"name": "rotten_tomatoes", "n": n}], "attacks": attacks,
        "max_length": 128})


def rows(db: Path) -> list[tuple[Any, ...]]:
    with Store(db, readonly=True) as store:
        return sorted((r["model_id"], r["dataset"], r["idx"], r["attack"], r["seed"], r["params"], r["outcome"],
                       r["perturbed_text"], r["queries"]) for r in store.select("attack_results"))


def run_one(config: StudyConfig, executor_name: str, db: Path) -> dict[str, Any]:
    """One executor on a fresh database, instrumented (the in-process parts only run in this process)."""
    loads, writes, victim, replays, plan = Timer(), Timer(), Timer(), Timer(), Timer()
    originals = (study_run.load_victim, study_run.write_outcome, LocalHFVictim.predict_proba, study_run.replay_hops,
                 study_run.plan_study)
    study_run.load_victim = loads.wrap(originals[0])
    study_run.write_outcome = writes.wrap(originals[1])
    LocalHFVictim.predict_proba = victim.wrap(originals[2])
    study_run.replay_hops = replays.wrap(originals[3])
    study_run.plan_study = plan.wrap(originals[4])
    executor = None
    if executor_name.startswith("ray"):
        from chainaudit.study.ray_executor import RayExecutor

        workers = int(executor_name.removeprefix("ray") or 1)
        executor = RayExecutor(config, workers=workers, num_cpus=2)
    own = 0.0
    try:
        with Store(db) as store:
            started = time.perf_counter()

            def count(planned: Any, outcome: Any) -> None:
                nonlocal own
                own += outcome.seconds

            done = study_run.run_study(config, store, executor, on_outcome=count)
            wall = time.perf_counter() - started
    finally:
        (study_run.load_victim, study_run.write_outcome, LocalHFVictim.predict_proba, study_run.replay_hops,
         study_run.plan_study) = originals
    jobs = sum(1 for j in done.plan.jobs if j.todo)
    accounted = plan.seconds + loads.seconds + own + writes.seconds + replays.seconds
    return {"executor": executor_name, "jobs": jobs, "samples": done.written, "wall": wall,
            "jobs_per_min": 60 * jobs / wall, "samples_per_s": done.written / wall, "plan": plan.seconds,
            "loads": loads.calls, "load_s": loads.seconds, "attack_s": own, "victim_s": victim.seconds,
            "write_s": writes.seconds, "replay_s": replays.seconds,
            "overhead": (wall - accounted) / own if executor is None and own else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=20, help="samples per dataset")
    parser.add_argument("--attacks", default="textbugger,pwws,hotflip-blackbox")
    parser.add_argument("--executors", default="inprocess,ray1,ray2")
    args = parser.parse_args()
    config = grid(args.n, args.attacks.split(","))
    results, reference = [], None
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.executors.split(","):
            db = Path(tmp) / f"{name}.db"
            result = run_one(config, name, db)
            got = rows(db)
            reference = reference if reference is not None else got
            result["same_rows"] = got == reference
            results.append(result)
            print(f"{name}: {result['samples']} samples in {result['wall']:.0f} s", flush=True)
    table = Table("executor", "jobs", "samples", "wall s", "jobs/min", "samples/s", "plan s", "model loads (s)",
                  "attacks' own s", "victim calls s", "store writes s", "replays s", "runner overhead", "same rows",
                  title=f"study scaling: 2 models × 2 datasets × {len(config.attacks)} attacks × {args.n} samples")
    for r in results:
        loads = f"{r['loads']} ({r['load_s']:.1f})" if r["executor"] == "inprocess" else "in workers"
        overhead = "-" if r["overhead"] is None else f"{r['overhead']:+.1%}"
        table.add_row(r["executor"], str(r["jobs"]), str(r["samples"]), f"{r['wall']:.1f}", f"{r['jobs_per_min']:.1f}",
                      f"{r['samples_per_s']:.2f}", f"{r['plan']:.1f}", loads, f"{r['attack_s']:.1f}",
                      f"{r['victim_s']:.1f}" if r["executor"] == "inprocess" else "in workers", f"{r['write_s']:.2f}",
                      f"{r['replay_s']:.1f}", overhead, "yes" if r["same_rows"] else "NO")
    Console(width=220).print(table)


if __name__ == "__main__":
    main()
