"""Build the fallback word vectors and measure them: build time, neighbours, WordNet-synonym share.

    .venv/bin/python benchmarks/word_vectors_fallback.py [--probe 300] [--seed 0]

Quality figures, on `--probe` random vocabulary words, top-10 neighbours with cosine >= 0.5:
* synonym share: the share of neighbours that are WordNet synonyms of the word (any sense, any inflection);
* held-out recall: counter-fitting on 80% of the synonym pairs, the share of the other 20% whose partner is
  among the word's top-10 neighbours (the synonym share is partly circular: attracted pairs are WordNet's);
* antonyms before filter: neighbours that are WordNet antonyms before the query-time filter drops them.
Each is given for the MiniLM + all-but-the-top vectors alone and after counter-fitting.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from chainaudit.resources import fallback_vectors as fb
from chainaudit.resources.encoder import get_encoder
from chainaudit.resources.word_vectors import WordVectors
from chainaudit.resources.wordnet import antonyms, base_forms, synonyms

SHOW = ("good", "bad", "movie", "boring", "funny", "terrible", "love", "actors", "slow", "beautiful")


def quality(vectors: np.ndarray, words: list[str], probe: list[str], heldout: np.ndarray) -> dict[str, float]:
    unfiltered = WordVectors(words, vectors, source="eval", antonym_filter=False)
    total = hits = ant = 0
    for w in probe:
        syns = set(synonyms(w)) | {s for b in base_forms(w) for s in synonyms(b)}
        bad = antonyms(w)
        for cand, _ in unfiltered.neighbours(w, k=10, min_cos=0.5):
            total += 1
            hits += bool(base_forms(cand) & syns)
            ant += bool(base_forms(cand) & bad)
    found = 0
    for a, b in heldout:
        found += words[b] in {c for c, _ in unfiltered.neighbours(words[a], k=10, min_cos=0.5)}
    pairs = np.random.default_rng(0).integers(0, len(words), size=(5000, 2))
    random_cos = float(np.mean(np.sum(unfiltered.vectors[pairs[:, 0]] * unfiltered.vectors[pairs[:, 1]], axis=1)))
    return {"random-pair cos": random_cos, "neighbours/word": total / len(probe), "synonym share": hits / max(total, 1),
            "held-out recall@10": found / max(len(heldout), 1), "antonyms before filter": ant / max(total, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--probe", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config = fb.FallbackConfig()
    t0 = time.perf_counter()
    built = fb.build_fallback(use_cache=False, progress=print)
    print(f"full build (vocabulary, embedding, pairs, counter-fitting, cache): {time.perf_counter() - t0:.0f} s; "
          f"manifest: {fb.read_manifest(fb.fallback_path())}")

    words = built.words
    rng = np.random.default_rng(args.seed)
    probe = [words[i] for i in rng.choice(len(words), args.probe, replace=False)]
    raw = get_encoder().model.encode(words, batch_size=256, normalize_embeddings=True, show_progress_bar=False)
    base = fb.all_but_the_top(raw, config.remove_components)
    syn, ant = fb.lexical_pairs(words, config.synonym_senses)
    perm = rng.permutation(len(syn))
    heldout, train = syn[perm[: len(syn) // 5]], syn[perm[len(syn) // 5:]]
    t1 = time.perf_counter()
    fitted = fb.counter_fit(base, train, ant, config)
    print(f"counter-fitting alone: {time.perf_counter() - t1:.1f} s ({len(train)} synonym, {len(ant)} antonym pairs)")
    print(f"{'vectors':<36}" + "".join(f"{k:>24}" for k in quality(base, words, probe[:2], heldout[:2])))
    for name, vecs in (("MiniLM + all-but-the-top", base), ("+ counter-fitting (80% synonyms)", fitted),
                       ("shipped fallback (all synonyms)", built.vectors)):
        q = quality(vecs, words, probe, heldout)
        print(f"{name:<36}" + "".join(f"{v:>24.3f}" for v in q.values()))
    print(f"config: {dataclasses.asdict(config)}")
    for w in SHOW:
        print(f"{w:>10}: " + ", ".join(f"{c} {s:.2f}" for c, s in built.neighbours(w, k=8, min_cos=0.5)))


if __name__ == "__main__":
    main()
