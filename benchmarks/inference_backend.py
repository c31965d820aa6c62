"""PyTorch against ONNX Runtime as the victim's forward pass, side by side in one run, on real texts.

    CHAINAUDIT_DATA_DIR=../shared/data/datasets .venv/bin/python benchmarks/inference_backend.py \\
        [--model runs/demo/models/minilm-sst2] [--rounds 5]

For each workload (SST-2 validation texts in batches of 1, 8, 32 and 64; IMDB texts of up to 256 tokens in batches
of 4) both victims run the same batches, alternating round by round with their caches cleared, and the table gives
the median milliseconds per batch, the ratio, and the largest difference between their probabilities. The export
(once per victim) is timed separately. Defaults to the demo's fine-tuned victim when it exists, else the MiniLM
base with its seeded head.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("CHAINAUDIT_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data" / "datasets"))

import numpy as np

from chainaudit.data import load_split
from chainaudit.victims.hf_local import LocalHFVictim

DEMO_VICTIM = Path("runs/demo/models/minilm-sst2")


def workloads() -> list[tuple[str, list[list[str]]]]:
    """(name, batches) of real texts: SST-2 at four batch sizes, IMDB long texts."""
    sst2 = [s.text for s in load_split("sst2", "validation").samples[:256]]
    imdb = [s.text for s in load_split("imdb", "test").samples[:32]]
    out = [(f"sst2 x{size}", [sst2[i:i + size] for i in range(0, min(len(sst2), 16 * size), size)])
           for size in (1, 8, 32, 64)]
    return [*out, ("imdb<=256 tok x4", [imdb[i:i + 4] for i in range(0, len(imdb), 4)])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEMO_VICTIM) if DEMO_VICTIM.is_dir() else "minilm")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    labels = ("negative", "positive")
    victims = {b: LocalHFVictim.load(args.model, labels, device="cpu", backend=b) for b in ("torch", "onnx")}
    start = time.perf_counter()
    victims["onnx"].predict_proba(["warm up and export"])
    export_s = time.perf_counter() - start
    victims["torch"].predict_proba(["warm up"])
    print(f"model {args.model}; export + check {export_s:.2f} s (once per victim); {args.rounds} rounds\n")
    print("| workload | torch ms/batch | onnx ms/batch | speed-up | max |p diff| |")
    print("|---|---|---|---|---|")
    for name, batches in workloads():
        times: dict[str, list[float]] = {b: [] for b in victims}
        probs: dict[str, np.ndarray] = {}
        for _ in range(args.rounds):
            for backend, victim in victims.items():
                victim.clear_cache()
                tick = time.perf_counter()
                out = [victim.predict_proba(batch) for batch in batches]
                times[backend].append((time.perf_counter() - tick) * 1000 / len(batches))
                probs[backend] = np.concatenate(out)
        t, o = statistics.median(times["torch"]), statistics.median(times["onnx"])
        gap = float(np.abs(probs["torch"] - probs["onnx"]).max())
        print(f"| {name} | {t:.1f} | {o:.1f} | {t / o:.2f}x | {gap:.1e} |")


if __name__ == "__main__":
    main()
