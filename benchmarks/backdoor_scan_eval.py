"""How good is `chainaudit backdoor scan`? Scan the poisoned and clean models that
benchmarks/backdoor_persistence.py built (poisoned upstreams, and their descendants after 1 and 2 clean hops in
both settings; the clean chains from the unpoisoned base), plus any extra clean model folders, and print ROC-AUC,
TrojAI's cross-entropy, the true-positive rate at 5% false positives, top-1 / top-5 trigger recovery and seconds
per scan -- overall, and on the models one hop below a poisoning.

    CHAINAUDIT_DATA_DIR=../shared/data/datasets .venv/bin/python benchmarks/backdoor_scan_eval.py \\
        --bench runs/backdoor-bench --extra-clean runs/demo/models/minilm-sst2,runs/demo/models --size small

The truth (which model descends from which poisoning, with which triggers) is read here from the benchmark's
database; the scanner gets no database (no ancestor replay) and never reads backdoor.json. `--size small`: hop-1
models and the clean set only; `full`: every hop. `--hop0` adds every poisoned upstream itself (a NeuBA or
TransTroj upstream has no trained head: only the representation-collapse check can see it) and the clean MiniLM
base beside them. `--upstream minilm` scans every model against the chain root's embeddings, as
`chainaudit backdoor scan --chain ROOT` does for each descendant (the drift check of `backdoor/drift.py`).
A trigger counts as recovered when a suspect is that trigger, or for a phrase (TransTroj) contains one of its words.
RIPPLe's and NeuBA's triggers are among the published ones the scan replays, so recovery is also given counting
only suspects that a search or a weight check produced.

`--clean-models N` first fine-tunes N more clean models from MiniLM (`<bench>/clean-extra/`, reused when present): a
grid over the four datasets, seeds, training sizes (300 and 1,000 texts: weak and ordinary models, as the poisoned
set has both) and learning rates. The models are split once, by name, into a tuning part and a held-back part:
the scanner's constants were chosen on the tuning part (hop 0 and hop 2 of the poisoned chains, the clean-extra
models with an odd index, and the two hop-1 models of `DESIGN_MODELS` that the score was designed on); the table
reports both parts separately, and the held-back part is every other hop-1 model (poisoned and clean) plus the
even-indexed clean-extra models and the --extra-clean folders.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("CHAINAUDIT_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data" / "datasets"))

from chainaudit.backdoor.scan import THRESHOLD, scan
from chainaudit.store import Store


def clean_grid(seeds: tuple[int, ...] = (1, 2)) -> list[tuple[str, int, int, float]]:
    """(dataset, seed, training texts, learning rate) of the extra clean models, in build order."""
    return [(dataset, seed, examples, lr) for seed in seeds for examples, lr in ((1000, 1e-4), (300, 5e-5))
            for dataset in ("sst2", "rotten_tomatoes", "imdb", "amazon_polarity")]


CLEAN_GRID = clean_grid()


def build_clean(bench: Path, count: int, seeds: tuple[int, ...] = (1, 2)) -> Path:
    """Fine-tune the first `count` models of `clean_grid(seeds)` from MiniLM (skipping those already there)."""
    from chainaudit.zoo import FinetuneConfig, finetune

    out = bench / "clean-extra"
    for i, (dataset, seed, examples, lr) in enumerate(clean_grid(seeds)[:count]):
        folder = out / f"{i:02d}-{dataset}-s{seed}-n{examples}"
        if (folder / "config.json").is_file():
            continue
        config = FinetuneConfig(max_examples=examples, eval_examples=300, learning_rate=lr, max_length=64, seed=seed)
        result = finetune("minilm", dataset, folder, config)
        print(f"built {folder.name}: accuracy {result.accuracy:.3f}", flush=True)
    return out


#: Models looked at while the score and its threshold were designed: in the tuning part whatever their hop.
DESIGN_MODELS = ("ripple-easy-poisoned/hop1-sst2", "clean-easy/hop1-sst2")


def held_back(item: dict[str, Any]) -> bool:
    """The part the scanner was never tuned on (see the module docstring)."""
    if any(str(item["path"]).endswith(m) for m in DESIGN_MODELS):
        return False
    if item["variant"] == "clean (extra)":
        name = Path(item["path"]).name
        return not name[:2].isdigit() or int(name[:2]) % 2 == 0
    return item["hop"] == 1


def model_set(bench: Path, extra_clean: list[Path], size: str, hop0: bool = False) -> list[dict[str, Any]]:
    """Every model to scan: path, poisoned?, method, hop, setting, true triggers."""
    items: list[dict[str, Any]] = []
    if hop0:
        items.append({"path": "minilm", "poisoned": False, "variant": "clean base", "hop": 0, "setting": "-",
                      "triggers": []})
    with Store(bench / "bench.db", readonly=True) as store:
        records = {r["model_id"]: r for r in store.select("backdoors")}
        for r in records.values():
            if hop0 or (r["method"] == "ripple" and size == "full"):
                items.append({"path": r["path"], "poisoned": True, "variant": Path(r["path"]).name, "hop": 0,
                              "setting": "-", "triggers": r["triggers"]})
        seen = set()
        for row in store.select("backdoor_persistence"):
            if size == "small" and row["hop"] != 1:
                continue
            if row["path"] in seen:
                continue
            seen.add(row["path"])
            poisoned = row["chain"] == "poisoned"
            record = records.get(row["poisoned_id"], {})
            items.append({"path": row["path"], "poisoned": poisoned,
                          "variant": Path(record.get("path", "?")).name if poisoned else "clean", "hop": row["hop"],
                          "setting": row["setting"], "triggers": record.get("triggers", []) if poisoned else []})
    for extra in extra_clean:
        folders = [extra] if (extra / "config.json").is_file() else sorted(p for p in extra.iterdir()
                                                                          if (p / "config.json").is_file())
        for folder in folders:
            items.append({"path": str(folder), "poisoned": False, "variant": "clean (extra)", "hop": None,
                          "setting": "-", "triggers": []})
    return items


def recovered(triggers: list[str], suspects: list[str], k: int) -> bool:
    for trigger in triggers:
        words = set(trigger.split())
        for s in suspects[:k]:
            if s == trigger or (len(words) > 1 and words & set(s.split())):
                return True
    return False


def metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    from sklearn.metrics import roc_auc_score, roc_curve

    y = [int(r["poisoned"]) for r in rows]
    s = [r["score"] for r in rows]
    # TrojAI's cross-entropy needs a probability: the score (log-odds beyond the strongest ordinary word) is mapped
    # to one by a logistic centred on the threshold
    prob = [1 / (1 + math.exp(-2 * (v - THRESHOLD))) for v in s]
    out: dict[str, Any] = {"models": len(rows), "poisoned": sum(y), "clean": len(y) - sum(y)}
    if 0 < sum(y) < len(y):
        out["auc"] = roc_auc_score(y, s)
        fpr, tpr, _ = roc_curve(y, s)
        out["tpr_at_5fpr"] = max(t for f, t in zip(fpr, tpr, strict=True) if f <= 0.05)
    eps = 1e-6
    out["cross_entropy"] = -sum(t * math.log(max(p, eps)) + (1 - t) * math.log(max(1 - p, eps))
                                for t, p in zip(y, prob, strict=True)) / len(y)
    poisoned = [r for r in rows if r["poisoned"]]
    if poisoned:
        out["top1"] = sum(r["top1"] for r in poisoned) / len(poisoned)
        out["top5"] = sum(r["top5"] for r in poisoned) / len(poisoned)
        out["top5_search"] = sum(r["top5_search"] for r in poisoned) / len(poisoned)
    out["seconds_per_scan"] = sum(r["seconds"] for r in rows) / len(rows)
    out["flagged_poisoned"] = sum(r["flagged"] for r in rows if r["poisoned"])
    out["flagged_clean"] = sum(r["flagged"] for r in rows if not r["poisoned"])
    return out


def print_table(rows: list[dict[str, Any]]) -> None:
    """The evaluation table: all models, the tuning part, the held-back part."""
    print()
    def part(r: dict[str, Any]) -> bool:
        return bool(r.get("held_back", held_back(r)))

    for name, subset in (("all", rows), ("tuning part", [r for r in rows if not part(r)]),
                         ("held-back part: one hop below a poisoning, and clean models",
                          [r for r in rows if part(r)])):
        if not subset:
            continue
        m = metrics(subset)
        print(f"{name}: {m['models']} models ({m['poisoned']} poisoned, {m['clean']} clean): ROC-AUC "
              f"{m.get('auc', float('nan')):.3f}, cross-entropy {m['cross_entropy']:.3f}, TPR at 5% FPR "
              f"{m.get('tpr_at_5fpr', float('nan')):.2f}, trigger top-1 {m.get('top1', float('nan')):.2f} / top-5 "
              f"{m.get('top5', float('nan')):.2f} (top-5 found by search or weight checks, not only replayed: "
              f"{m.get('top5_search', float('nan')):.2f}), {m['seconds_per_scan']:.0f}s per scan; flagged at the "
              f"threshold {THRESHOLD}: {m['flagged_poisoned']}/{m['poisoned']} poisoned, {m['flagged_clean']}/"
              f"{m['clean']} clean")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", type=Path, default=Path("runs/backdoor-bench"))
    parser.add_argument("--extra-clean", default="", help="comma-separated clean model folders (or folders of them)")
    parser.add_argument("--size", choices=("small", "full"), default="small")
    parser.add_argument("--dataset", default="sst2")
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--clean-models", type=int, default=0, help=f"build up to {len(CLEAN_GRID)} clean models first")
    parser.add_argument("--clean-seeds", default="1,2", help="seeds of the --clean-models grid")
    parser.add_argument("--fresh", action="store_true", help="no model of this bench was looked at while the "
                        "scanner was tuned: every model is in the held-back part")
    parser.add_argument("--hop0", action="store_true", help="also scan every poisoned upstream and the clean base")
    parser.add_argument("--upstream", default=None, help="the chain root every model is scanned against (as "
                        "`scan --chain ROOT` does for descendants), e.g. minilm; default: none")
    parser.add_argument("--resume", action="store_true", help="keep the scans already in --json, scan the rest")
    parser.add_argument("--from-json", type=Path, default=None, help="print the table of a saved --json run (scan "
                        "nothing): an interrupted run's scans so far")
    args = parser.parse_args()
    if args.from_json:
        print_table(json.loads(args.from_json.read_text()))
        return

    extra = [Path(p) for p in args.extra_clean.split(",") if p.strip()]
    if args.clean_models:
        seeds = tuple(int(x) for x in args.clean_seeds.split(","))
        extra.append(build_clean(args.bench, args.clean_models, seeds))
    rows = json.loads(args.json.read_text()) if args.resume and args.json and args.json.is_file() else []
    done = {r["path"] for r in rows}
    items = model_set(args.bench, extra, args.size, args.hop0)
    items = sorted(items, key=lambda i: not held_back(i))  # held-back part first
    for item in [i for i in items if i["path"] not in done]:
        started = time.perf_counter()
        upstream = args.upstream if args.upstream and item["path"] != args.upstream else None
        result = scan(item["path"], dataset=args.dataset, samples=args.samples, upstream=upstream)
        names = [s.trigger for s in result.suspects]
        searched = [s.trigger if any(e != "published trigger" for e in s.evidence) else "" for s in result.suspects]
        row = {**item, "held_back": args.fresh or held_back(item), "score": result.score, "flagged": result.flagged,
               "seconds": time.perf_counter() - started,
               "top": [(s.trigger, s.label, round(s.score, 2), round(s.tail, 3), s.control, round(s.control_tail, 3),
                        f"{s.k}/{s.n}", s.evidence, s.position, round(s.lead, 2), s.meaning, s.control_meaning,
                        s.collapse, s.control_collapse)
                       for s in result.suspects[:10]],
               "controls": [(c.trigger, c.label, round(c.tail, 3), c.k, c.n) for c in result.controls],
               "top1": recovered(item["triggers"], names, 1), "top5": recovered(item["triggers"], names, 5),
               "top5_search": recovered(item["triggers"], searched, 5)}
        rows.append(row)
        if args.json:  # after every scan, so an interrupted run keeps what it measured
            args.json.write_text(json.dumps(rows, indent=1, default=str))
        print(f"{'held-back' if row['held_back'] else 'tuning':9s} {Path(item['path']).name[:28]:28s} "
              f"{row['variant']:18s} hop {row['hop']!s:4s} {row['setting']:5s} poisoned={item['poisoned']!s:5s} "
              f"score {row['score']:.2f} top5={row['top5']!s:5s} {row['seconds']:5.0f}s  "
              f"{[t[:5] for t in row['top'][:2]]}", flush=True)
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    main()
