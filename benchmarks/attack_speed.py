"""Attack speed: each recipe on the MiniLM SST-2 model and SST-2 validation sentences.

Prints ASR (both conventions), queries/sample, seconds/sample, the share of the wall time spent in victim
queries and in the other model calls (gradients, sentence encoder), and the overhead ratio = attack wall
time / the time the same victim needs for the very same queried texts in full batches (cache off),
measured side by side in one run. Target: overhead <= 1.3. `--concurrency 1,8` runs each attack one
sample at a time and 8 at once, one after the other, so their ratio is measured side by side.

    CHAINAUDIT_DATA_DIR=../shared/data/datasets .venv/bin/python benchmarks/attack_speed.py [-n 100]
        [--model DIR] [--attacks textfooler,pwws,...] [--concurrency 1,8]

Without --model it uses runs/demo/models/minilm-sst2 (from `chainaudit demo`) or fine-tunes one first.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from rich.console import Console
from rich.table import Table
from timing import Timer

from chainaudit.attacks import RECIPES, AttackResources, summarize
from chainaudit.attacks.pipeline import AttackRequest, plan_attack
from chainaudit.attacks.runner import DEFAULT_CONCURRENCY, attack_samples
from chainaudit.interleave import shared_call
from chainaudit.resources.encoder import get_encoder
from chainaudit.victims import LocalHFVictim


class RecordingVictim:
    """Passes calls to a victim, keeping every text asked about and the seconds spent in queries and in
    gradients."""

    def __init__(self, inner: LocalHFVictim) -> None:
        self.inner = inner
        self.texts: list[str] = []
        self.seconds = 0.0
        self.gradients = Timer()
        self.input_gradients = self.gradients.wrap(inner.input_gradients)

    def __getattr__(self, name: str) -> Any:  # model_id, revision, tokenizer, embedding_matrix, ...
        return getattr(self.inner, name)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        started = time.perf_counter()
        out = self.inner.predict_proba(texts)
        self.seconds += time.perf_counter() - started
        return out


def model_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    demo = Path("runs/demo/models/minilm-sst2")
    if (demo / "config.json").is_file():
        return demo
    from chainaudit.zoo import FinetuneConfig, finetune

    print("fine-tuning MiniLM on 2,000 SST-2 rows first (about a minute) ...")
    return finetune("minilm", "sst2", Path("runs/bench/minilm-sst2"), FinetuneConfig(max_examples=2000),
                    overwrite=True).path


def scpn_available(folder: Path | None) -> bool:
    from chainaudit.attacks.scpn import weights
    from chainaudit.errors import ResourceMissingError

    try:
        weights.locate(folder)
    except ResourceMissingError:
        return False
    return True


def describe_gan(resources: AttackResources) -> None:
    """Print the GAN's training cost and reconstruction quality (the attack's naturalness depends on it)."""
    gan = resources.gan()("sst2")
    final = gan.meta.get("final", {})
    print(f"GAN {gan.path}: trained on {gan.dataset} for {gan.meta.get('seconds')} s ({gan.meta.get('steps')} steps); "
          f"reconstruction token accuracy {final.get('rec_acc', float('nan')):.3f}, through G(I(E(x))) "
          f"{final.get('inv_rec_acc', float('nan')):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--model")
    parser.add_argument("--attacks", default=",".join(RECIPES), help="comma-separated recipe names")
    parser.add_argument("--concurrency", default=str(DEFAULT_CONCURRENCY),
                        help="comma-separated: samples attacked at once (1 = one at a time)")
    parser.add_argument("--gan", type=Path, help="a trained GAN folder (default: the cache's, see train-gan)")
    parser.add_argument("--scpn-dir", type=Path, help="SCPN weights folder (scpn is skipped when they are missing)")
    parser.add_argument("--dump", type=Path, help="also write every outcome (attack, at once, index, outcome, text, "
                        "queries) as JSON lines, to compare two versions of the code on the same samples")
    args = parser.parse_args()

    path = model_dir(args.model)
    resources = AttackResources(gan_dir=args.gan, scpn_dir=args.scpn_dir)
    similarity = resources.similarity()
    names = args.attacks.split(",")
    if "scpn" in names and not scpn_available(args.scpn_dir):
        print("scpn: the published weights are missing (`chainaudit resources status`), so it is not benchmarked")
        names.remove("scpn")
    if "gan" in names:
        describe_gan(resources)
    encoder = get_encoder()
    encoder_time = Timer()
    encoder.encode = shared_call(encoder_time.wrap(encoder._encode))  # timed, still merged across samples
    table = Table("attack", "at once", "asr", "asr_all", "queries/sample", "s/sample", "victim share",
                  "grad+encoder share", "overhead", "similarity",
                  title=f"the first {args.n} SST-2 validation sentences, {path}")
    dumped: list[dict[str, Any]] = []
    for name in names:
        for width in (int(c) for c in args.concurrency.split(",")):
            # The same wiring as `chainaudit attack` (data, victim, recipe); no per-sample limits, so the timing
            # covers whole attacks.
            plan = plan_attack(AttackRequest(model=str(path), attack=name, dataset="sst2", n=args.n, max_length=128,
                                             resources=resources))
            recipe, samples = plan.recipe, plan.samples
            victim = RecordingVictim(plan.victim)
            encoder._cache.clear()  # each run pays for its own encodings
            encoder_before = encoder_time.seconds
            started = time.perf_counter()
            outcomes = list(attack_samples(recipe, victim, samples, seed=0, similarity=similarity,
                                           concurrency=width))
            wall = time.perf_counter() - started
            other = victim.gradients.seconds + encoder_time.seconds - encoder_before
            summary = summarize(outcomes)
            # The same queried texts, through a fresh victim with no cache, in full batches.
            replay = LocalHFVictim.load(str(path), ("negative", "positive"), max_length=128, cache_size=0)
            replay.predict_proba(victim.texts[:64])  # warm-up
            t0 = time.perf_counter()
            for start in range(0, len(victim.texts), 4096):
                replay.predict_proba(victim.texts[start:start + 4096])
            replay_s = time.perf_counter() - t0
            table.add_row(name, str(width), f"{summary.asr or 0:.1%}", f"{summary.asr_all or 0:.1%}",
                          f"{summary.mean_queries or 0:.0f}", f"{wall / len(samples):.2f}",
                          f"{victim.seconds / wall:.0%}", f"{other / wall:.0%}", f"{wall / max(replay_s, 1e-9):.2f}",
                          f"{summary.mean_similarity or 0:.3f}")
            print(f"{name} x{width}: done in {wall:.0f} s", flush=True)
            dumped.extend({"attack": name, "at_once": width, "idx": o.sample.index, "outcome": o.outcome,
                           "text": o.perturbed_text, "queries": o.queries} for o in outcomes)
    Console(width=200).print(table)
    if args.dump:
        args.dump.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in dumped), encoding="utf-8")
        print(f"wrote {len(dumped)} outcomes to {args.dump}")


if __name__ == "__main__":
    main()
