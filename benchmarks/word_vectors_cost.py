"""What the fallback word vectors cost TextFooler: the same algorithm (paper flavour) with three substitutes.

* `fallback`: chainaudit's fallback vectors as TextFooler gets them (antonyms and other inflections filtered);
* `fallback-raw`: the same vectors unfiltered (what the peer-tool flavours get);
* `wordnet`: WordNet synonyms of the word's part of speech, OpenAttack 2.1.1's default TextFooler substitute
  (the peer's substitute here: TextAttack's counter-fitted paragramcf file cannot be downloaded on this machine).

Per substitute, on the first `-n` SST-2 validation sentences and the MiniLM SST-2 model: ASR in both conventions
with Wilson 95% intervals, queries and seconds per sample, and, over every swapped word of the successes, the
share that WordNet does not know in any form ("broken"), the share whose inflection differs from the word it
replaced, and the share that are WordNet antonyms of it; and `valid_asr` (`chainaudit.attacks.validity`).
Samples run in blocks of 10, the substitutes taking turns, so machine noise hits all three alike.

    CHAINAUDIT_DATA_DIR=../shared/data/datasets .venv/bin/python benchmarks/word_vectors_cost.py [-n 100]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from collections import defaultdict

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from rich.console import Console
from rich.table import Table

from chainaudit.attacks import AttackOutcome, AttackResources
from chainaudit.attacks.engine import Recipe
from chainaudit.attacks.pipeline import AttackRequest, plan_attack
from chainaudit.attacks.recipes import textfooler
from chainaudit.attacks.runner import attack_samples
from chainaudit.attacks.text import WordText
from chainaudit.attacks.transformations import EmbeddingNeighbours, WordNetSynonyms
from chainaudit.attacks.validity import checked
from chainaudit.resources.wordnet import antonyms, inflections
from chainaudit.study.metrics import wilson

BLOCK = 10


def recipes(res: AttackResources) -> dict[str, Recipe]:
    paper = textfooler(res)
    return {
        "fallback": paper,
        "fallback-raw": dataclasses.replace(
            paper, transformation=EmbeddingNeighbours(res.vectors().unfiltered(), k=50, min_cos=0.5)),
        "wordnet": dataclasses.replace(paper, transformation=WordNetSynonyms(res.synonyms(), res.tagger())),
    }


def swaps(outcome: AttackOutcome) -> list[tuple[str, str]]:
    """(original word, its replacement) for each word a success changed (same word count: word swaps)."""
    before, after = WordText.parse(outcome.sample.text).words, WordText.parse(outcome.perturbed_text or "").words
    if len(before) != len(after):
        return []
    return [(a.lower(), b.lower()) for a, b in zip(before, after, strict=True) if a.lower() != b.lower()]


def interval(k: int, n: int) -> str:
    if n == 0:
        return "-"
    est = wilson(k, n)
    return f"{k / n:.1%} [{est.low:.0%}, {est.high:.0%}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--model", default="runs/demo/models/minilm-sst2")
    args = parser.parse_args()

    res = AttackResources()
    plan = plan_attack(AttackRequest(model=args.model, attack="textfooler", dataset="sst2", split="validation",
                                     n=args.n, max_length=128, budget=None, time_limit=None, resources=res))
    kinds = recipes(res)
    outcomes: dict[str, list[AttackOutcome]] = defaultdict(list)
    seconds: dict[str, float] = defaultdict(float)
    for start in range(0, len(plan.samples), BLOCK):
        block = plan.samples[start:start + BLOCK]
        for name, recipe in kinds.items():
            began = time.perf_counter()
            outcomes[name] += attack_samples(recipe, plan.victim, block, concurrency=1)
            seconds[name] += time.perf_counter() - began
        print(f"{start + len(block)}/{len(plan.samples)} samples", flush=True)

    table = Table("substitute", "asr", "asr_all", "valid_asr", "queries", "s/sample", "swapped words", "broken",
                  "other inflection", "antonym", title=f"TextFooler (paper) on the first {args.n} SST-2 validation "
                  f"sentences, {args.model}")
    for name, done in outcomes.items():
        ok = [checked(o) for o in done if o.outcome == "succeeded"]
        fail = sum(o.outcome == "failed" for o in done)
        skipped = sum(o.outcome == "skipped" for o in done)
        pairs = [pair for o in ok for pair in swaps(o)]
        broken = sum(not inflections(b) for _, b in pairs)
        other = sum(bool(inflections(a)) and bool(inflections(b)) and inflections(a).isdisjoint(inflections(b))
                    for a, b in pairs)
        flipped = sum(b in antonyms(a) for a, b in pairs)
        valid = interval(sum(bool(o.validity and o.validity.valid) for o in ok), len(ok) + fail)
        table.add_row(name, interval(len(ok), len(ok) + fail), interval(len(ok) + skipped, len(ok) + fail + skipped),
                      valid,
                      f"{sum(o.queries for o in done) / len(done):.0f}", f"{seconds[name] / len(done):.2f}",
                      str(len(pairs)), interval(broken, len(pairs)), interval(other, len(pairs)),
                      interval(flipped, len(pairs)))
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
