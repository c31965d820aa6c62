"""Where a flavour's seconds go: victim forward passes, sentence-encoder passes, and everything else, per sample.

The encoder (MiniLM standing in for USE) is the same resource, with the same cache, on both sides of
`benchmarks/attack_parity.py`, and its calls are fixed by the tool's algorithm; so its seconds per sample are a
floor under the tool's time too, and `tool s/sample / encoder s/sample` bounds the speed-up any reproduction can
reach on this machine. Run it on a quiet machine:

    .venv/bin/python benchmarks/flavor_time_split.py --flavors textbugger@textattack,textfooler@textattack --n 30
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("CHAINAUDIT_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data" / "datasets"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flavors", default="pwws@openattack,textfooler@openattack,textbugger@openattack,"
                        "hotflip-blackbox@openattack,pwws@textattack,textfooler@textattack,textbugger@textattack")
    parser.add_argument("--n", type=int, default=30, help="first N SST-2 validation rows")
    args = parser.parse_args()

    import attack_parity
    import transformers.models.bert.modeling_bert as bert

    from chainaudit.onnx_backend import OnnxModel
    from chainaudit.resources.encoder import get_encoder

    stats: Counter = Counter()
    forward = bert.BertModel.forward
    encoder_model: list = []

    def timed(self, *a, **k):
        started = time.perf_counter()
        out = forward(self, *a, **k)
        side = "encoder" if encoder_model and self is encoder_model[0] else "victim"
        ids = k.get("input_ids", a[0] if a else None)
        stats[f"{side}_s"] += time.perf_counter() - started
        stats[f"{side}_rows"] += int(ids.shape[0]) if ids is not None else 0
        return out

    bert.BertModel.forward = timed
    onnx_call = OnnxModel.__call__

    def timed_onnx(self, inputs):  # the same split when a model runs in ONNX Runtime (the default on CPU)
        started = time.perf_counter()
        out = onnx_call(self, inputs)
        fast = getattr(get_encoder(), "_onnx", None)
        side = "encoder" if fast is not None and self is fast.onnx else "victim"
        stats[f"{side}_s"] += time.perf_counter() - started
        stats[f"{side}_rows"] += int(inputs["input_ids"].shape[0])
        return out

    OnnxModel.__call__ = timed_onnx
    print(f"{'flavour':28s} {'n':>4s} {'s/sample':>9s} {'victim s':>9s} {'encoder s':>10s} {'other s':>8s} "
          f"{'victim rows':>11s} {'encoder rows':>12s}")
    for spec in args.flavors.split(","):
        attack, flavor = spec.split("@")
        cache: dict = {}
        attack_parity.run_ours(attack_parity.DEFAULT_MODEL, attack, flavor, args.n, indices=[], cache=cache)
        if not encoder_model and get_encoder()._model is not None:
            encoder_model.append(get_encoder().model[0].auto_model)
        stats.clear()
        started = time.perf_counter()
        rows, status = attack_parity.run_ours(attack_parity.DEFAULT_MODEL, attack, flavor, args.n, cache=cache)
        wall = time.perf_counter() - started
        n = max(1, len(rows))
        per = {k: v / n for k, v in stats.items()}
        other = wall / n - per.get("victim_s", 0) - per.get("encoder_s", 0)
        print(f"{spec:28s} {n:4d} {wall / n:9.3f} {per.get('victim_s', 0):9.3f} {per.get('encoder_s', 0):10.3f} "
              f"{other:8.3f} {per.get('victim_rows', 0):11.1f} {per.get('encoder_rows', 0):12.1f}  {status}",
              flush=True)


if __name__ == "__main__":
    main()
