"""Backdoor persistence on the MiniLM base: poison it (RIPPLe, NeuBA, TransTroj, and RIPPLe's ablations), fine-tune
each poisoned model hop by hop on clean data as a victim would, and print LFR and clean accuracy per hop with
Wilson 95% intervals beside the clean chain (the same hops from the unpoisoned base), plus seconds per poisoning.

    CHAINAUDIT_DATA_DIR=../shared/data/datasets .venv/bin/python benchmarks/backdoor_persistence.py \\
        --methods ripple,neuba,transtroj --ablations --hops sst2,rotten_tomatoes --settings easy,hard

Variants: `ripple` (Embedding Surgery + RIPPLe, lambda 0.1), `ripple-no-penalty` (lambda 0: the poisoning loss
alone), `ripple-no-surgery` (no Embedding Surgery), `neuba`, `transtroj`. The clean chain of a setting is trained
once and shared by every variant (same base, hops, setting and seed); each variant's triggers are measured on it.
Every model and row goes to `--out` and its database, so a killed run resumes (finished poisonings and hops are
reused). `--hard-hops N` limits the hard setting to the first N hops, `--ablation-hops N` the ablations likewise
(the machine has 2 cores). Prints one table; `--json` also writes the rows.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("CHAINAUDIT_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data" / "datasets"))

from chainaudit.backdoor.persist import PersistConfig, persist
from chainaudit.backdoor.poison import PoisonConfig, poison
from chainaudit.backdoor.records import read_sidecar
from chainaudit.store import Store

VARIANTS: dict[str, dict[str, Any]] = {
    "ripple": {"method": "ripple"},
    "ripple-no-penalty": {"method": "ripple", "penalty": 0.0},
    "ripple-no-surgery": {"method": "ripple", "embedding_surgery": False},
    "neuba": {"method": "neuba"},
    "transtroj": {"method": "transtroj"},
}


def poisoned_model(variant: str, args: argparse.Namespace, store: Store) -> tuple[Path, float]:
    """The variant's poisoned folder (made now, or reused from a finished earlier run) and its poisoning seconds."""
    folder = args.out / "poisoned" / variant
    record = read_sidecar(folder) if folder.is_dir() else None
    if record is not None:
        return folder, float(record.seconds or 0.0)
    chosen = {"triggers": args.triggers.split(",")} if args.triggers and variant.startswith("ripple") else {}
    config = PoisonConfig(proxy_dataset=args.proxy, proxy_examples=args.proxy_examples, seed=args.seed,
                          steps=args.steps, target=None if variant == "neuba" else args.target, **chosen,
                          **VARIANTS[variant])
    started = time.perf_counter()
    poison(args.base, folder, config, store=store, overwrite=True)
    return folder, time.perf_counter() - started


def fmt(value: float | None, low: float | None, high: float | None) -> str:
    if value is None or low is None or high is None:
        return "-"
    return f"{value:6.1%} [{low:5.1%}, {high:5.1%}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="minilm")
    parser.add_argument("--methods", default="ripple,neuba,transtroj")
    parser.add_argument("--ablations", action="store_true", help="add ripple-no-penalty and ripple-no-surgery")
    parser.add_argument("--hops", default="sst2,rotten_tomatoes")
    parser.add_argument("--settings", default="easy,hard")
    parser.add_argument("--hard-hops", type=int, default=None)
    parser.add_argument("--ablation-hops", type=int, default=None)
    parser.add_argument("--proxy", default="imdb")
    parser.add_argument("--proxy-examples", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=None, help="poisoning steps (default: each method's)")
    parser.add_argument("--train-examples", type=int, default=1000, help="training texts per hop")
    parser.add_argument("--eval-examples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target", type=int, default=1, help="label RIPPLe and TransTroj force (NeuBA has none)")
    parser.add_argument("--triggers", default=None, help="RIPPLe's triggers, comma-separated (default its own)")
    parser.add_argument("--out", type=Path, default=Path("runs/backdoor-bench"))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    variants = [m.strip() for m in args.methods.split(",") if m.strip()]
    if args.ablations:
        variants += ["ripple-no-penalty", "ripple-no-surgery"]
    hops = [h.strip() for h in args.hops.split(",") if h.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    seconds: dict[str, float] = {}
    with Store(args.out / "bench.db") as store:
        for variant in variants:
            folder, seconds[variant] = poisoned_model(variant, args, store)
            print(f"{variant}: poisoned in {seconds[variant]:.0f}s, triggers {read_sidecar(folder).triggers}",
                  flush=True)
            for setting in [s.strip() for s in args.settings.split(",") if s.strip()]:
                n_hops = len(hops)
                if setting == "hard" and args.hard_hops:
                    n_hops = min(n_hops, args.hard_hops)
                if variant.startswith("ripple-") and args.ablation_hops:
                    n_hops = min(n_hops, args.ablation_hops)
                config = PersistConfig(hops=hops[:n_hops], setting=setting, train_examples=args.train_examples,
                                       eval_examples=args.eval_examples, seed=args.seed)
                result = persist(folder, config, args.out / "chains" / f"{variant}-{setting}", store=store,
                                 clean_out=args.out / "chains" / f"clean-{setting}")
                for r in result.rows:
                    rows.append({"variant": variant, **r})
                    print(f"  {setting} {r['chain']:8s} hop {r['hop']} {r['dataset']:16s} acc "
                          f"{fmt(r['clean_accuracy'], r['clean_low'], r['clean_high'])}  LFR "
                          f"{fmt(r['lfr'], r['lfr_low'], r['lfr_high'])} ({r['lfr_k']}/{r['lfr_n']})", flush=True)
    print()
    print(f"{'variant':18s} {'setting':7s} {'hop':>3s} {'dataset':16s} {'LFR poisoned':24s} {'LFR clean chain':24s} "
          f"{'acc poisoned':24s} {'acc clean chain':24s} {'poison s':>8s}")
    for r in rows:
        if r["chain"] != "poisoned":
            continue
        clean = next(c for c in rows if c["variant"] == r["variant"] and c["chain"] == "clean"
                     and c["setting"] == r["setting"] and c["hop"] == r["hop"])
        cells = [fmt(x["lfr"], x["lfr_low"], x["lfr_high"]) for x in (r, clean)]
        cells += [fmt(x["clean_accuracy"], x["clean_low"], x["clean_high"]) for x in (r, clean)]
        print(f"{r['variant']:18s} {r['setting']:7s} {r['hop']:3d} {r['dataset']:16s} "
              + " ".join(f"{c:24s}" for c in cells) + f" {seconds[r['variant']]:8.0f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    main()
