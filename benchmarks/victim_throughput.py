"""Throughput of `LocalHFVictim` against a bare transformers forward pass, on MiniLM (random head).

    CHAINAUDIT_DATA_DIR=../shared/data/datasets HF_HUB_OFFLINE=1 python benchmarks/victim_throughput.py

Measures, with interleaved repetitions and the best (minimum) time of each (defaults sized to run in about
five minutes on 2 CPU cores; see --help):
1. sentences/s of the victim and of a bare pass (tokenizer(padding=True) + model per batch, in dataset order)
   at each batch size, on SST-2 validation and IMDB test, and the best batch size of each;
2. the victim's overhead: victim time / bare time at the victim's best batch size, the bare pass fed the
   same length-sorted batches (so only the victim's own work differs), and against dataset order;
3. dynamic padding vs padding every text to max_length on SST-2.
The victim's cache is disabled, so every pass runs the model. Targets: overhead <= 1.1x, dynamic padding
>= 2x faster than max_length padding.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import torch
from rich.console import Console
from rich.table import Table

from chainaudit.data import load_split
from chainaudit.victims import LocalHFVictim

MAX_LENGTH = 256


def bare_pass(victim: LocalHFVictim, texts: list[str], batch_size: int, padding: str = "longest") -> None:
    """What a user would write: tokenize each batch, pad it, run the model, softmax."""
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            enc = victim.tokenizer(texts[start:start + batch_size], padding=padding, truncation=True,
                                   max_length=MAX_LENGTH, return_tensors="pt").to(victim.device)
            victim.model(**enc).logits.softmax(-1).cpu().numpy()


def best_times(methods: dict[str, Callable[[], None]], reps: int) -> dict[str, float]:
    """Run every method `reps` times, interleaved (a, b, c, a, b, c, ...); the minimum time of each."""
    best = dict.fromkeys(methods, float("inf"))
    for _ in range(reps):
        for name, run in methods.items():
            started = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - started)
    return best


def sweep(victim: LocalHFVictim, texts: list[str], sizes: list[int], reps: int) -> dict[tuple[str, int], float]:
    """Best seconds of victim and bare pass at each batch size (after one warm-up pass of each)."""
    _victim_pass(victim, texts[:32], 16)
    bare_pass(victim, texts[:32], 16)
    methods: dict[str, Callable[[], None]] = {}
    for size in sizes:
        methods[f"victim:{size}"] = lambda size=size: _victim_pass(victim, texts, size)
        methods[f"bare:{size}"] = lambda size=size: bare_pass(victim, texts, size)
    times = best_times(methods, reps)
    return {(name.split(":")[0], int(name.split(":")[1])): t for name, t in times.items()}


def _victim_pass(victim: LocalHFVictim, texts: list[str], batch_size: int) -> None:
    victim.batch_size = batch_size
    victim.predict_proba(texts)


def length_sorted(victim: LocalHFVictim, texts: list[str]) -> list[str]:
    lengths = [len(ids) for ids in victim.tokenizer(texts, truncation=True, max_length=MAX_LENGTH)["input_ids"]]
    return [texts[i] for i in sorted(range(len(texts)), key=lambda i: -lengths[i])]


def throughput_table(victim: LocalHFVictim, name: str, texts: list[str], sizes: list[int], reps: int,
                     overhead_reps: int) -> Table:
    """Sentences/s at each batch size, then victim vs bare side by side at the victim's best batch size."""
    tokens = sum(len(i) for i in victim.tokenizer(texts, truncation=True, max_length=MAX_LENGTH)["input_ids"])
    times = sweep(victim, texts, sizes, reps)
    table = Table("method", *[f"bs {s}" for s in sizes], "best", title=f"{name}: {len(texts)} texts, "
                  f"{tokens / len(texts):.0f} tokens/text on average — sentences/s", title_justify="left")
    for method in ("victim", "bare"):
        best = min(sizes, key=lambda s, m=method: times[m, s])
        table.add_row(method, *[f"{len(texts) / times[method, s]:.1f}" for s in sizes],
                      f"{len(texts) / times[method, best]:.1f} @ bs {best}")
    bs = min(sizes, key=lambda s: times["victim", s])
    ordered = length_sorted(victim, texts)
    side = best_times({"victim": lambda: _victim_pass(victim, texts, bs),
                       "bare_sorted": lambda: bare_pass(victim, ordered, bs),
                       "bare": lambda: bare_pass(victim, texts, bs)}, overhead_reps)
    ratio = side["victim"] / side["bare_sorted"]
    verdict = "[green]target ≤ 1.1x met[/]" if ratio <= 1.1 else "[red]target ≤ 1.1x missed[/]"
    table.add_section()
    for label, key in (("victim", "victim"), ("bare, same sorted batches", "bare_sorted"),
                       ("bare, dataset order", "bare")):
        cells = [""] * len(sizes)
        cells[sizes.index(bs)] = f"{len(texts) / side[key]:.1f}"
        note = (f"{side[key]:.2f} s" if key == "victim" else
                f"{side[key]:.2f} s; victim/this = {side['victim'] / side[key]:.3f}")
        table.add_row(f"side by side: {label}", *cells, note)
    table.caption = f"overhead at bs {bs}: victim time / bare time (same batches) = {ratio:.3f} — {verdict}"
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sst2-n", type=int, default=872, help="SST-2 validation sentences (all: 872)")
    parser.add_argument("--imdb-n", type=int, default=128, help="IMDB test reviews")
    parser.add_argument("--padding-n", type=int, default=96, help="SST-2 sentences for the padding comparison")
    parser.add_argument("--batch-sizes", default="16,32,64,128")
    parser.add_argument("--reps", type=int, default=1, help="batch-size sweep repetitions")
    parser.add_argument("--overhead-reps", type=int, default=3, help="side-by-side repetitions")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    console = Console(width=None if sys.stdout.isatty() else 132)
    sizes = [int(s) for s in args.batch_sizes.split(",")]
    started = time.perf_counter()

    victim = LocalHFVictim.load("minilm", ("negative", "positive"), cache_size=0, max_length=MAX_LENGTH,
                                device=args.device)
    sst2 = [s.text for s in load_split("sst2", "validation").samples[:args.sst2_n]]
    imdb_all = load_split("imdb", "test").samples
    step = max(1, len(imdb_all) // args.imdb_n)  # spread over both classes (the file is sorted by label)
    imdb = [s.text for s in imdb_all[::step][:args.imdb_n]]
    console.print(f"MiniLM-L6 (random head) on {victim.device}, torch threads {torch.get_num_threads()}, "
                  f"max_length {MAX_LENGTH}; best of {args.reps} sweep / {args.overhead_reps} side-by-side "
                  "interleaved repetitions")

    for name, texts in (("sst2/validation", sst2), ("imdb/test", imdb)):
        console.print(throughput_table(victim, name, texts, sizes, args.reps, args.overhead_reps))
    subset = sst2[:args.padding_n]
    pad = best_times({"victim": lambda: _victim_pass(victim, subset, 64),
                      "bare_dynamic": lambda: bare_pass(victim, subset, 64),
                      "bare_max_length": lambda: bare_pass(victim, subset, 64, padding="max_length")},
                     args.overhead_reps)
    padding = Table("method (SST-2, bs 64)", "seconds", "sentences/s", "speed-up vs max_length",
                    title=f"dynamic padding vs padding to max_length ({len(subset)} sentences)", title_justify="left")
    for label, key in (("pad to max_length (256)", "bare_max_length"), ("bare, pad to batch longest", "bare_dynamic"),
                       ("victim: length-sorted, pad to batch longest", "victim")):
        gain = pad["bare_max_length"] / pad[key]
        mark = "" if key == "bare_max_length" else (" [green]met ≥ 2x[/]" if gain >= 2 else " [red]missed ≥ 2x[/]")
        padding.add_row(label, f"{pad[key]:.2f}", f"{len(subset) / pad[key]:.0f}", f"{gain:.1f}x{mark}")

    console.print(padding)
    console.print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
