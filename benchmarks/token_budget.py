"""The victim's tokens-per-batch budget (`victims.hf_local.TOKEN_BUDGET`) against plain 64-row batches.

    CHAINAUDIT_DATA_DIR=../shared/data/datasets HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/token_budget.py

MiniLM fine-tuned on SST-2 (runs/demo/models/minilm-sst2, else the bundled base with a random head) scores 512 SST-2
validation texts (max length 128) and 256 IMDB test texts (max length 256), the cache off, each budget in turn
for 5 interleaved rounds; prints the best time of each and the ratio.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("CHAINAUDIT_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data" / "datasets"))

import numpy as np

from chainaudit.data import load_split
from chainaudit.victims import LocalHFVictim, hf_local

MODEL = Path(__file__).resolve().parents[1] / "runs" / "demo" / "models" / "minilm-sst2"


def main() -> None:
    spec = str(MODEL) if MODEL.is_dir() else "minilm"
    budgets = {"64 rows": 10**9, f"{hf_local.TOKEN_BUDGET} tokens": hf_local.TOKEN_BUDGET}
    print(f"{'dataset':8s} {'texts':>5s} " + " ".join(f"{b:>12s}" for b in budgets) + "   ratio")
    for name, split, n, max_length in (("sst2", "validation", 512, 128), ("imdb", "test", 256, 256)):
        samples = load_split(name, split).samples
        pick = np.random.default_rng(0).choice(len(samples), n, replace=False)
        texts = [samples[i].text for i in pick]
        victim = LocalHFVictim.load(spec, ["negative", "positive"], batch_size=64, max_length=max_length,
                                    cache_size=0)
        victim.predict_proba(texts[:8])
        best = {b: np.inf for b in budgets}
        for _ in range(5):
            for label, budget in budgets.items():
                hf_local.TOKEN_BUDGET = budget
                started = time.perf_counter()
                victim.predict_proba(texts)
                best[label] = min(best[label], time.perf_counter() - started)
        times = list(best.values())
        print(f"{name:8s} {n:5d} " + " ".join(f"{t:11.2f}s" for t in times) + f"   {times[0] / times[1]:.2f}x",
              flush=True)


if __name__ == "__main__":
    main()
