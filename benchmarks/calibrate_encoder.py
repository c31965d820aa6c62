"""Calibrate MiniLM cosine thresholds to stand in for the USE thresholds of TextFooler and TextBugger.

Method (see `chainaudit.resources.encoder` for the reasoning): under a deep-averaging model of USE,
TextFooler's window threshold keeps 15-word windows with one unrelated-word swap and rejects those with two,
and TextBugger's 0.8 sits at 20% of the words bugged. On real SST-2 sentences we measure MiniLM cosines of

* 15-word windows with 1 or 2 random-word swaps (and, for reference, 1 or 2 WordNet-synonym swaps),
* whole sentences with 10/20/30% of their words bugged by TextBugger's character edits,

and print the MiniLM thresholds that reproduce those shares (TextFooler: the cosine at which the share of one-swap
windows kept equals the share of two-swap windows rejected; TextBugger: the median at 20% bugged), with
90% bootstrap intervals. About a minute on 2 idle CPU cores:

    .venv/bin/python benchmarks/calibrate_encoder.py [--n 300] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from chainaudit.resources import encoder as enc
from chainaudit.resources.pos import tag
from chainaudit.resources.stopwords import STOP_WORDS
from chainaudit.resources.wordnet import synonyms

SST2 = Path(__file__).resolve().parents[2] / "shared" / "data" / "datasets" / "sst2" / "sst2.csv"
WINDOW = enc.TEXTFOOLER_WINDOW
HOMOGLYPHS = {"o": "0", "l": "1", "a": "@", "e": "3", "i": "1", "s": "$", "t": "7", "b": "6", "g": "9"}


def content_positions(words: list[str]) -> list[int]:
    return [i for i, w in enumerate(words) if w.isalpha() and w not in STOP_WORDS and len(w) > 2]


def bug(word: str, rng: random.Random) -> str:
    """One TextBugger character edit: insert a space, delete, swap neighbours, or a look-alike character."""
    inner = range(1, len(word) - 1)
    op = rng.choice(("insert", "delete", "swap", "sub"))
    if op == "insert":
        i = rng.randrange(1, len(word))
        return word[:i] + " " + word[i:]
    if op == "delete":
        i = rng.choice(inner)
        return word[:i] + word[i + 1:]
    if op == "swap" and len(word) > 3:
        i = rng.randrange(1, len(word) - 2)
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    subs = [i for i, ch in enumerate(word) if ch in HOMOGLYPHS]
    if subs:
        i = rng.choice(subs)
        return word[:i] + HOMOGLYPHS[word[i]] + word[i + 1:]
    i = rng.choice(inner)
    return word[:i] + word[i + 1:]


def equal_share_threshold(keep: np.ndarray, reject: np.ndarray) -> float:
    """The t where the share of `keep` with cosine >= t equals the share of `reject` below t."""
    grid = np.linspace(0.0, 1.0, 2001)
    kept = (keep[None, :] >= grid[:, None]).mean(axis=1)
    rejected = (reject[None, :] < grid[:, None]).mean(axis=1)
    return float(grid[int(np.argmin(np.abs(kept - rejected)))])


def bootstrap(fn: Callable[..., float], *arrays: np.ndarray, rounds: int = 300, seed: int = 0) -> tuple[float, float]:
    """5th and 95th percentiles of `fn` over resamples of the arrays (each resampled on its own)."""
    rng = np.random.default_rng(seed)
    values = [fn(*(a[rng.integers(0, len(a), len(a))] for a in arrays)) for _ in range(rounds)]
    return float(np.quantile(values, 0.05)), float(np.quantile(values, 0.95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=400, help="SST-2 sentences per perturbation kind")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=SST2)
    args = parser.parse_args()
    t0 = time.time()
    rng = random.Random(args.seed)
    frame = pd.read_csv(args.data, keep_default_na=False)
    sentences = [s.split() for s in frame["text"].astype(str)]
    counts = Counter(w for s in sentences for w in s)
    vocab = sorted(w for w, c in counts.items() if c >= 5 and w.isalpha() and w not in STOP_WORDS and len(w) > 2)
    long_ones = [s for s in sentences if len(s) >= WINDOW and len(content_positions(s)) >= 2]
    sample = rng.sample(long_ones, min(args.n, len(long_ones)))

    pairs: dict[str, list[tuple[str, str]]] = {k: [] for k in ("rand1", "rand2", "syn1", "syn2")}
    for words in sample:
        tags = tag(words)
        centre, other = rng.sample(content_positions(words), 2)
        start, end = enc.window(len(words), centre)
        if not start <= other < end:
            other = rng.choice([i for i in content_positions(words) if start <= i < end and i != centre] or [centre])
        original = " ".join(words[start:end])

        def swapped(new: dict[int, str], start: int = start, end: int = end, words: list[str] = words) -> str:
            return " ".join(new.get(i, words[i]) for i in range(start, end))

        r1, r2 = rng.choice(vocab), rng.choice(vocab)
        pairs["rand1"].append((original, swapped({centre: r1})))
        if other != centre:
            pairs["rand2"].append((original, swapped({centre: r1, other: r2})))
        syn_c = synonyms(words[centre], tags[centre])
        syn_o = synonyms(words[other], tags[other]) if other != centre else []
        if syn_c:
            pairs["syn1"].append((original, swapped({centre: syn_c[0]})))
            if syn_o:
                pairs["syn2"].append((original, swapped({centre: syn_c[0], other: syn_o[0]})))

    bugged: dict[str, list[tuple[str, str]]] = {}
    for share in (0.1, 0.2, 0.3):
        rows = []
        for words in sample:
            positions = content_positions(words)
            k = min(len(positions), max(1, math.ceil(share * len(words))))
            chosen = set(rng.sample(positions, k))
            rows.append((" ".join(words), " ".join(bug(w, rng) if i in chosen else w for i, w in enumerate(words))))
        bugged[f"bug{int(share * 100)}"] = rows

    encoder = enc.get_encoder()
    cos = {name: encoder.similarity([a for a, _ in rows], [b for _, b in rows])
           for name, rows in {**pairs, **bugged}.items()}

    tf_threshold = equal_share_threshold(cos["rand1"], cos["rand2"])
    tb_threshold = float(np.median(cos["bug20"]))
    tf_ci = bootstrap(equal_share_threshold, cos["rand1"], cos["rand2"])
    tb_ci = bootstrap(np.median, cos["bug20"])
    print(f"MiniLM cosine to the original ({len(sample)} SST-2 sentences >= {WINDOW} words, seed {args.seed})")
    print(f"{'perturbation':<34}{'n':>5}{'mean':>8}{'p10':>8}{'p50':>8}{'p90':>8}"
          f"{'keep@TF':>9}{'keep@TB':>9}")
    labels = {"rand1": "window: 1 random-word swap", "rand2": "window: 2 random-word swaps",
              "syn1": "window: 1 WordNet-synonym swap", "syn2": "window: 2 WordNet-synonym swaps",
              "bug10": "sentence: 10% words bugged", "bug20": "sentence: 20% words bugged",
              "bug30": "sentence: 30% words bugged"}
    for name, label in labels.items():
        c = cos[name]
        print(f"{label:<34}{len(c):>5}{c.mean():>8.3f}{np.quantile(c, .1):>8.3f}{np.median(c):>8.3f}"
              f"{np.quantile(c, .9):>8.3f}{np.mean(c >= tf_threshold):>9.2f}{np.mean(c >= tb_threshold):>9.2f}")
    shares = np.mean(cos["rand1"] >= tf_threshold), np.mean(cos["rand2"] < tf_threshold)
    print(f"\ntextfooler_window: {tf_threshold:.3f}  90% bootstrap [{tf_ci[0]:.3f}, {tf_ci[1]:.3f}]  (USE cos "
          f"{enc.USE_THRESHOLDS['textfooler_window']:.4f}; keeps {shares[0]:.0%} of 1-swap windows, rejects "
          f"{shares[1]:.0%} of 2-swap windows)")
    print(f"textbugger:        {tb_threshold:.3f}  90% bootstrap [{tb_ci[0]:.3f}, {tb_ci[1]:.3f}]  (USE cos 0.8; "
          "median cosine at 20% of words bugged)")
    print(f"CALIBRATION = {{'textfooler_window': {tf_threshold:.3f}, 'textbugger': {tb_threshold:.3f}, "
          f"'pwws': None, 'hotflip': None}}")
    print(f"({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
