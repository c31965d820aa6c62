"""Lineage at Hub scale: identify upstreams, build chains and RQ1 stats for a synthetic 1,000,000-model catalog.

    .venv/bin/python benchmarks/lineage_scale.py [--models 1000000] [--db PATH]
    .venv/bin/python benchmarks/lineage_scale.py --models 30000 --real-cards tests/data/lineage-cards

With `--real-cards`, the catalog is the real labelled cards (their text and YAML metadata), repeated under new
model ids until it has `--models` rows: real card lengths and styles, so the card-text rules do real work.

The catalog mixes the styles seen on the Hub (card metadata, `base_model:` tags, Trainer card text,
"fine-tuned from" text, merges, no lineage, name hints, plus a few cycles and self-loops). Writing the
catalog is set-up and timed apart; the target is identify + chains + stats under 60 s and 4 GiB.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from chainaudit.lineage import count_chains, identify_catalog, load_graph
from chainaudit.lineage.selection import Criteria, select_chains
from chainaudit.lineage.stats import rq1_stats, save_stats
from chainaudit.store import Store

BASES = 2_000
LEGACY = ["bert-base-uncased", "distilbert-base-uncased", "roberta-base", "xlm-roberta-base", "albert-base-v2"]


def peak_gib() -> float:
    """Peak resident memory so far of this process or any (finished) worker process (Linux reports KiB)."""
    return max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 2**20


def cpu_seconds() -> float:
    """CPU time of this process and its finished worker processes."""
    return sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ("ru_utime", "ru_stime"))


def synthetic_rows(n: int, seed: int = 0) -> Iterator[tuple[Any, ...]]:
    """`models` rows: (model_id, revision, source, downloads, tags, pipeline_tag, card_text, card_data, datasets)."""
    rng = np.random.default_rng(seed)
    downloads = (rng.zipf(1.6, n) - 1).clip(0, 50_000_000)
    style = rng.integers(0, 20, n)
    near = rng.random(n)
    picks = rng.integers(0, 1 << 62, (n, 2))

    def mid(i: int) -> str:
        return f"base/model-{i}" if i < BASES else f"org{i % 7919}/model-{i}"

    def parent(i: int, k: int) -> str:
        if i < BASES * 2 or near[i] < 0.75:
            j = int(picks[i, k] % (BASES + len(LEGACY)))
            return mid(j) if j < BASES else LEGACY[j - BASES]
        return mid(int(picks[i, k] % i))  # an earlier fine-tuned model: chains of 3+

    for i in range(n):
        s = int(style[i]) if i >= BASES else 17
        model_id = mid(i)
        tags = ["text-classification", "dataset:imdb"]
        data: dict[str, Any] = {"datasets": ["imdb"]}
        card = f"# {model_id}\n\nA text classifier for reviews."
        if s < 10:
            data["base_model"] = parent(i, 0)
        elif s < 13:
            tags.append(f"base_model:finetune:{parent(i, 0)}")
        elif s < 15:
            p = parent(i, 0)
            card += f"\n\nThis model is a fine-tuned version of [{p}](https://huggingface.co/{p}) on the imdb dataset."
        elif s == 15:
            card += f"\n\nThis model was fine-tuned from `{parent(i, 0)}` on 20k reviews."
        elif s == 16:
            data["base_model"] = [parent(i, 0), parent(i, 1)]
        elif s == 17 and i % 40 == 17:
            model_id = f"org{i % 7919}/{LEGACY[i % len(LEGACY)]}-finetuned-imdb-{i}"
        if i % 10_000 == 1:
            data["base_model"] = model_id  # a self-loop
        if i % 10_000 == 2 and i > BASES:  # a cycle: an earlier model points back at this one
            yield (mid(i - 1) + "-cyc", f"r{i}", "jsonl", 1, "[]", "text-classification", "",
                   json.dumps({"base_model": model_id}), "[]")
            data["base_model"] = mid(i - 1) + "-cyc"
        yield (model_id, f"r{i}", "jsonl", int(downloads[i]), json.dumps(tags), "text-classification", card,
               json.dumps(data), json.dumps(data["datasets"]))


def real_card_rows(n: int, folder: Path) -> Iterator[tuple[Any, ...]]:
    """`models` rows from the labelled real cards in `folder`, repeated (copy k gets the id suffix `-copy<k>`)."""
    from chainaudit.files import read_jsonl
    from chainaudit.hub.card import parse_card

    cards = [item for f in sorted(folder.glob("*.jsonl*")) for _, item in read_jsonl(f, errors="replace")]
    parsed = [(str(c["model_id"]), parse_card(str(c["card"]))) for c in cards]
    for i in range(n):
        model_id, card = parsed[i % len(parsed)]
        copy = i // len(parsed)
        yield (model_id if copy == 0 else f"{model_id}-copy{copy}", f"r{i}", "jsonl", 0, "[]",
               "text-classification", card.text, json.dumps(card.data, default=str), "[]")


def write_catalog(store: Store, n: int, real_cards: Path | None = None) -> None:
    columns = ("model_id", "revision", "source", "downloads", "tags", "pipeline_tag", "card_text", "card_data",
               "datasets")
    rows = real_card_rows(n, real_cards) if real_cards else synthetic_rows(n)
    with store.transaction():
        store.bulk_write("models", columns, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=None, help="Database file (default: a temporary folder).")
    parser.add_argument("--real-cards", type=Path, default=None, help="Folder of labelled real cards (JSONL, "
                        ".jsonl.gz) to build the catalog from, instead of synthetic cards.")
    args = parser.parse_args()
    logging.getLogger("chainaudit.lineage.graph").setLevel(logging.ERROR)  # cycles: counted in the table
    console = Console(width=160)
    tmp = tempfile.TemporaryDirectory(prefix="lineage-scale-")
    db = args.db or Path(tmp.name) / "scale.db"
    table = Table("stage", "wall s", "CPU s (all processes)", "peak RSS (GiB)", "result",
                  title=f"lineage at scale: {args.models:,} models")
    timed: list[tuple[float, float]] = []

    def stage(name: str, fn: Callable[[], str], counted: bool = True) -> None:
        start, cpu = time.perf_counter(), cpu_seconds()
        result = fn()
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
        if counted:
            timed.append((seconds, cpu))
        table.add_row(name, f"{seconds:.1f}", f"{cpu:.1f}", f"{peak_gib():.2f}", result)

    with Store(db) as store:
        state: dict[str, Any] = {}
        stage("set-up: write catalog (bulk)", lambda: (write_catalog(store, args.models, args.real_cards),
                                                       f"{store.count('models'):,} rows")[1], counted=False)

        def identify() -> str:
            report = identify_catalog(store)
            return f"{report.with_upstream:,} with upstream; " + ", ".join(
                f"{k} {v:,}" for k, v in report.edges_by_source.most_common())

        def chains() -> str:
            state["cg"] = cg = load_graph(store)
            state["counts"] = counts = count_chains(cg)
            return (f"{counts.total:,} chains, avg {counts.average_length:.2f}; {len(cg.self_loops)} self-loops, "
                    f"{len(cg.broken)} cycle edges broken")

        def stats() -> str:
            figures = rq1_stats(store, state["cg"], state["counts"])
            save_stats(store, figures)
            top = figures["top_upstreams"][0]
            return (f"{figures['coverage']['share_with_upstream']:.2%} with upstream; top upstream {top['model']} "
                    f"({top['downstream']:,} downstream)")

        def select() -> str:
            sel = select_chains(store, state["cg"], Criteria(min_downloads=30))
            return f"{len(sel.chains):,} chains qualify (capped: {sel.truncated})"

        stage("identify upstreams (+ write edges)", identify)
        stage("build graph + count chains (DP)", chains)
        stage("RQ1 stats (+ store)", stats)
        stage("select subjects", select)
    table.add_row("[bold]identify + chains + stats + select", f"[bold]{sum(t for t, _ in timed):.1f}",
                  f"[bold]{sum(c for _, c in timed):.1f}", f"[bold]{peak_gib():.2f}", "target < 60 s, < 4 GiB")
    console.print(table)
    tmp.cleanup()


if __name__ == "__main__":
    main()
