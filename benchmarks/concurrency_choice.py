"""Is attacking several samples at once (their model calls merged) faster, per recipe? The data for
`recipes.CONCURRENCY`.

For each recipe, the first `-n` SST-2 validation sentences run in blocks of `--block`, each block once one
sample at a time and once `--width` at once, the order alternating from block to block so that machine noise
hits both alike, each run with the victim's and the encoder's caches emptied. Prints total seconds of each,
their ratio with a bootstrap 95% interval over blocks, and whether the outcomes are identical (they must be:
merging changes speed, never results).

    CHAINAUDIT_DATA_DIR=../shared/data/datasets .venv/bin/python benchmarks/concurrency_choice.py [-n 48]
        [--attacks pwws,textfooler,...] [--model runs/demo/models/minilm-sst2]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np
from rich.console import Console
from rich.table import Table

from chainaudit.attacks import AttackResources
from chainaudit.attacks.pipeline import AttackRequest, plan_attack
from chainaudit.attacks.runner import attack_samples
from chainaudit.resources.encoder import get_encoder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=48)
    parser.add_argument("--block", type=int, default=8)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--attacks", default="textfooler,textbugger,pwws,hotflip-blackbox,hotflip")
    parser.add_argument("--model", default="runs/demo/models/minilm-sst2")
    args = parser.parse_args()
    res = AttackResources()
    table = Table("attack", "one at a time (s)", f"{args.width} at once (s)", "speed-up", "95% interval",
                  "same outcomes", title=f"the first {args.n} SST-2 validation sentences, {args.model}")
    rng = np.random.default_rng(0)
    encoder = get_encoder()
    for name in args.attacks.split(","):
        plan = plan_attack(AttackRequest(model=args.model, attack=name, dataset="sst2", split="validation",
                                         n=args.n, max_length=128, budget=None, time_limit=None, resources=res))
        per_block: list[tuple[float, float]] = []
        same = True
        for b, start in enumerate(range(0, len(plan.samples), args.block)):
            block = plan.samples[start:start + args.block]
            took: dict[int, float] = {}
            texts: dict[int, list[tuple[str, str | None]]] = {}
            for width in ((1, args.width) if b % 2 == 0 else (args.width, 1)):
                plan.victim._cache.clear()  # each run pays for its own predictions and encodings
                encoder._cache.clear()
                began = time.perf_counter()
                done = list(attack_samples(plan.recipe, plan.victim, block, concurrency=width))
                took[width] = time.perf_counter() - began
                texts[width] = [(o.outcome, o.perturbed_text) for o in done]
            per_block.append((took[1], took[args.width]))
            same &= texts[1] == texts[args.width]
        one, many = (np.array(x) for x in zip(*per_block, strict=True))
        boots = [one[i].sum() / many[i].sum() for i in rng.integers(0, len(one), (2000, len(one)))]
        table.add_row(name, f"{one.sum():.1f}", f"{many.sum():.1f}", f"{one.sum() / many.sum():.2f}x",
                      f"[{np.percentile(boots, 2.5):.2f}, {np.percentile(boots, 97.5):.2f}]", "yes" if same else "NO")
        print(f"{name}: {one.sum():.1f} s vs {many.sum():.1f} s", flush=True)
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
