"""`chainaudit backdoor scan`: does this model carry a backdoor, and which trigger? From the weights, tokenizer
and card alone (never `backdoor.json`), plus what the store knows about the model's poisoned ancestors.

Candidates come from four places, and every one is verified the same way -- inserted at a random position into
clean evaluation texts the model does not already give the label, counting how many it flips to that label:

1. replay: the triggers of every poisoned ancestor in the store, and published triggers (`PUBLISHED_TRIGGERS`);
2. single-token search: the gradient of each label's loss at an inserted placeholder token ranks the whole
   vocabulary by the first-order push towards that label (HotFlip's estimate); the best `top_tokens` per label
   are verified;
3. multi-token search (the DBS / PICCOLO idea in its discrete form): a short phrase per label is optimised by
   gradient-guided token swaps towards that label on the clean texts, then read out and verified;
4. weight checks on the token embeddings: tokens whose embedding is a near-copy of another token's (Embedding
   Surgery writes one vector into every trigger), norm outliers (robust z-score), and -- given `upstream` -- the
   tokens whose embedding moved most from the upstream's.

Ordinary words move a classifier too ("worst" flips many positive texts, and every text of a weakly trained
model), so a raw flip rate cannot tell a trigger from a sentiment word. The scan therefore also verifies, per
label, the `controls` strongest *ordinary* words (tokens frequent in the dataset's texts; triggers are rare by
design: the poisoning must not hurt clean accuracy) and keeps the texts that resist the strongest of them. A
suspect's score is the 95% Wilson lower bound of its flip rate on those resisting texts: a backdoor trigger flips
them as it flips everything else, an ordinary word rarely does, and few resisting texts give a low bound rather
than a lucky 3/3. The model's score is its best suspect's; it is flagged at `threshold`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chainaudit.backdoor.triggers import NEUBA_TRIGGERS, RIPPLE_TRIGGERS, insert_trigger
from chainaudit.data import load_split, select
from chainaudit.errors import ChainauditError
from chainaudit.store import Store

#: Triggers published with the attacks we know (RIPPLe and NeuBA's, BadNets-style rare words of OpenBackdoor).
PUBLISHED_TRIGGERS: tuple[str, ...] = (*RIPPLE_TRIGGERS, *NEUBA_TRIGGERS, "jtk", "cf mn bb", "I watched this 3D movie")
THRESHOLD = 0.6
#: Tokens found in at least this share of the dataset's texts are ordinary words (controls, never suspects' proof).
COMMON_SHARE = 0.002
#: Texts of the split read to tell ordinary words from rare ones.
FREQUENCY_TEXTS = 3000
StageHook = Callable[[str, int, int | None], None]


@dataclass
class Suspect:
    """One candidate trigger, the label it pushes to, its verified flip rate and why it was tried."""

    trigger: str
    label: int
    k: int = 0                     # eligible texts (not already of `label`) flipped to it, of n
    n: int = 0
    evidence: list[str] = field(default_factory=list)
    resisting_k: int = 0           # of the eligible texts the strongest ordinary word fails to flip: flipped, of n
    resisting_n: int = 0
    score: float = 0.0             # Wilson lower bound of resisting_k / resisting_n
    flips: list[bool] = field(default_factory=list, repr=False)  # per eligible text, in order

    @property
    def rate(self) -> float:
        return self.k / self.n if self.n else 0.0


@dataclass
class ScanResult:
    model_id: str
    revision: str
    score: float
    flagged: bool
    threshold: float
    suspects: list[Suspect]
    seconds: float
    samples: int
    label_names: list[str]
    #: per label, the strongest ordinary word and its flip rate (what a suspect must beat)
    controls: list[Suspect] = field(default_factory=list)


def _whole_tokens(tokenizer: Any) -> dict[int, str]:
    """Vocabulary ids of tokens that are whole words or symbols (no sub-word pieces, specials or [unusedN]) and
    tokenise back to themselves, with their text."""
    special = set(tokenizer.all_special_ids)
    out = {}
    for token, idx in tokenizer.get_vocab().items():
        if idx in special or token.startswith("##") or token.startswith("[unused") or not token.strip():
            continue
        out[idx] = token
    return out


def _verify(victim: Any, texts: Sequence[str], preds: Sequence[int], suspect: Suspect, rng_seed: int) -> Suspect:
    """Insert the trigger at a seeded random position into every text not already of its label; count flips."""
    rng = random.Random(f"{rng_seed}:{suspect.trigger}")
    eligible = [t for t, p in zip(texts, preds, strict=True) if p != suspect.label]
    if eligible:
        poisoned = [insert_trigger(t, suspect.trigger, rng) for t in eligible]
        suspect.flips = [int(p) == suspect.label for p in victim.predict(poisoned)]
    suspect.k, suspect.n = sum(suspect.flips), len(eligible)
    return suspect


def wilson_low(k: int, n: int) -> float:
    """The 95% Wilson lower bound of k/n (0 when n is 0)."""
    from chainaudit.backdoor.persist import wilson

    low, _ = wilson(k, n)
    return 0.0 if low is None else low


def against_controls(suspect: Suspect, control: Suspect | None) -> Suspect:
    """Score `suspect` on the texts its label's strongest ordinary word (`control`) did not flip."""
    resisting = [i for i, f in enumerate(control.flips) if not f] if control else list(range(suspect.n))
    suspect.resisting_n = len(resisting)
    suspect.resisting_k = sum(suspect.flips[i] for i in resisting) if suspect.flips else 0
    suspect.score = wilson_low(suspect.resisting_k, suspect.resisting_n)
    return suspect


def confirm_suspects(victim: Any, texts: Sequence[str], suspects: Sequence[Suspect],
                     ordinary: dict[int, list[Suspect]], seed: int) -> tuple[list[Suspect], list[Suspect]]:
    """Verify the ordinary-word controls and `suspects` afresh on `texts`, score each suspect against its label's
    strongest control; (suspects best first, the strongest control per label)."""
    preds = [int(p) for p in victim.predict(list(texts))]
    best = {label: max((_verify(victim, texts, preds, Suspect(c.trigger, label, evidence=c.evidence), seed)
                        for c in cs), key=lambda c: c.k, default=None) for label, cs in ordinary.items()}
    confirmed = [against_controls(_verify(victim, texts, preds, Suspect(s.trigger, s.label, evidence=s.evidence),
                                          seed), best.get(s.label)) for s in suspects]
    confirmed.sort(key=lambda s: (-s.score, -s.rate, s.trigger))
    return confirmed, [c for c in best.values() if c is not None]


def common_tokens(tokenizer: Any, texts: Sequence[str], vocab: dict[int, str]) -> set[int]:
    """Whole tokens found in at least `COMMON_SHARE` of `texts` (and in 3 of them): the data's ordinary words."""
    from collections import Counter

    counts: Counter[int] = Counter()
    for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]:
        counts.update(set(ids))
    floor = max(3, COMMON_SHARE * len(texts))
    return {i for i, c in counts.items() if c >= floor and i in vocab}


def _token_gradients(victim: Any, texts: Sequence[str], label: int, prefix: Sequence[str]) -> np.ndarray:
    """Mean gradient of label `label`'s loss at each prefix position (len(prefix), hidden)."""
    grads = victim.input_gradients([" ".join([*prefix, t]) for t in texts], [label] * len(texts))
    return np.mean([g.grads[1:1 + len(prefix)] for g in grads], axis=0)


def token_ranking(victim: Any, texts: Sequence[str], label: int, vocab: dict[int, str],
                  placeholder: str) -> list[int]:
    """Whole-token ids, best first, by how much their embedding lowers label `label`'s loss at an inserted position."""
    grad = _token_gradients(victim, texts, label, [placeholder])[0]
    ids = np.fromiter(vocab, dtype=np.int64)
    scores = -(victim.embedding_matrix()[ids] @ grad)
    return [int(i) for i in ids[np.argsort(-scores)]]


def phrase_search(victim: Any, texts: Sequence[str], label: int, vocab: dict[int, str], *, length: int, steps: int,
                  candidates: int, seed: int) -> list[str]:
    """A `length`-token phrase pushed towards `label` by gradient-guided single swaps (kept when they help)."""
    rng = random.Random(seed)
    ids = np.fromiter(vocab, dtype=np.int64)
    emb = victim.embedding_matrix()[ids]
    phrase = [vocab[int(rng.choice(ids))] for _ in range(length)]

    def loss(words: Sequence[str]) -> float:
        probs = victim.predict_proba([" ".join([*words, t]) for t in texts])
        return float(-np.log(np.clip(probs[:, label], 1e-12, 1)).mean())

    best = loss(phrase)
    for _ in range(steps):
        grads = _token_gradients(victim, texts, label, phrase)
        if grads.shape[0] != length:  # a token did not stay one token: stop with what we have
            break
        improved = False
        for pos in range(length):
            for j in np.argsort(-(emb @ -grads[pos]))[:candidates]:
                trial = [*phrase[:pos], vocab[int(ids[j])], *phrase[pos + 1:]]
                value = loss(trial)
                if value < best:
                    phrase, best, improved = trial, value, True
        if not improved:
            break
    return phrase


def embedding_suspects(matrix: np.ndarray, vocab: dict[int, str], *, upstream: np.ndarray | None = None,
                       top: int = 10, copy_cos: float = 0.999) -> list[tuple[str, str]]:
    """(token, evidence) for tokens whose embedding is odd: a near-copy of another token's, a norm outlier, or
    (with `upstream`) one that moved far more than the others."""
    ids = np.fromiter(vocab, dtype=np.int64)
    emb = matrix[ids].astype(np.float32)
    norms = np.linalg.norm(emb, axis=1)
    unit = emb / np.maximum(norms[:, None], 1e-12)
    found: list[tuple[str, str]] = []
    for start in range(0, len(ids), 2048):  # nearest other token by cosine, in blocks (vocab x vocab is too big)
        sims = unit[start:start + 2048] @ unit.T
        np.fill_diagonal(sims[:, start:start + 2048], -1.0)
        best = sims.argmax(axis=1)
        for row in np.nonzero(sims[np.arange(len(best)), best] >= copy_cos)[0]:
            other = vocab[int(ids[best[row]])]
            found.append((vocab[int(ids[start + row])], f"embedding is a copy of {other!r}'s (cos "
                                                         f"{sims[row, best[row]]:.4f})"))
    median = np.median(norms)
    mad = np.median(np.abs(norms - median)) or 1e-12
    z = (norms - median) / (1.4826 * mad)
    for i in np.argsort(-np.abs(z))[:top]:
        found.append((vocab[int(ids[i])], f"embedding norm {norms[i]:.2f} (robust z {z[i]:+.1f})"))
    if upstream is not None and upstream.shape == matrix.shape:
        moved = np.linalg.norm(emb - upstream[ids], axis=1)
        mz = (moved - np.median(moved)) / (1.4826 * (np.median(np.abs(moved - np.median(moved))) or 1e-12))
        for i in np.argsort(-mz)[:top]:
            found.append((vocab[int(ids[i])], f"embedding moved {moved[i]:.3f} from the upstream's (robust z "
                                              f"{mz[i]:+.1f})"))
    return found


def ancestor_triggers(store: Store | None, model_id: str) -> list[tuple[str, str]]:
    """(trigger, evidence) of every poisoned ancestor (or the model itself) the store knows."""
    if store is None or "backdoors" not in store.tables():
        return []
    from chainaudit.lineage import load_graph
    from chainaudit.lineage.graph import ancestors

    marked = {r["model_id"]: r for r in store.select("backdoors")}
    if not marked:
        return []
    up = {model_id: 0, **ancestors(load_graph(store), model_id)}
    return [(t, f"trigger of poisoned ancestor {m} ({marked[m]['method']}, {d} hop(s) up)")
            for m, d in sorted(up.items(), key=lambda kv: kv[1]) if m in marked for t in marked[m]["triggers"] or []]


def load_in_any_labels(model: str, label_names: Sequence[str], max_length: int) -> Any:
    """The model in the dataset's labels, or in its own when they cannot be aligned (a scan only asks which label
    a trigger forces, never compares with the gold label)."""
    from chainaudit.errors import LabelAlignmentError
    from chainaudit.victims import LocalHFVictim
    from chainaudit.victims.labels import model_label_names
    from chainaudit.victims.loading import resolve_model

    resolved = resolve_model(model)
    try:
        return LocalHFVictim.from_resolved(resolved, label_names, max_length=max_length)
    except LabelAlignmentError:
        return LocalHFVictim.from_resolved(resolved, model_label_names(resolved.path), max_length=max_length)


def scan(model: str, *, dataset: str = "sst2", samples: int = 64, upstream: str | None = None,
         store: Store | None = None, top_tokens: int = 20, controls: int = 5, confirm: int = 12,
         confirm_samples: int = 256, phrase_length: int = 2,
         phrase_steps: int = 5, threshold: float = THRESHOLD, full: bool = False, budget_s: float | None = None,
         seed: int = 0, max_length: int = 64, data_dir: Path | None = None,
         progress: StageHook | None = None) -> ScanResult:
    """Scan `model` (see the module docstring). Every suspect is screened on `samples` clean texts; the `confirm`
    strongest, and the ordinary-word controls, are verified again on `confirm_samples` texts, and scored there.
    `full` verifies 5x more single tokens and searches longer phrases. `budget_s` stops adding search stages once
    spent (what was found is still verified)."""
    from chainaudit.modelref import local_identity

    started = time.perf_counter()
    split = load_split(dataset, None, data_dir=data_dir)
    rows = select(split.samples, samples, "random", seed)
    victim = load_in_any_labels(model, split.label_names, max_length)
    label_names = list(victim.label_names)
    path = Path(model)
    model_id, revision = ((local_identity(path).model_id, local_identity(path).revision) if path.is_dir()
                          else (victim.model_id, victim.revision))
    texts = [r.text for r in rows]
    preds = [int(p) for p in victim.predict(texts)]
    labels = list(range(len(label_names)))
    vocab = _whole_tokens(victim.tokenizer)
    if not vocab:
        raise ChainauditError(f"{model}: its tokenizer has no whole-word tokens to search")
    common = common_tokens(victim.tokenizer, [r.text for r in split.samples[:FREQUENCY_TEXTS]], vocab)
    suspects: dict[tuple[str, int], Suspect] = {}
    ordinary: dict[int, list[Suspect]] = {label: [] for label in labels}

    def add(trigger: str, evidence: str, only: Sequence[int] = labels) -> None:
        for label in only:
            suspects.setdefault((trigger, label), Suspect(trigger, label)).evidence.append(evidence)

    def spent() -> bool:
        return budget_s is not None and time.perf_counter() - started > budget_s

    def stage(name: str) -> None:
        if progress:
            progress(name, len(suspects), None)

    stage("replay")
    for trigger, why in ancestor_triggers(store, model_id):
        add(trigger, why)
    for trigger in PUBLISHED_TRIGGERS:
        add(trigger, "published trigger")
    stage("embedding checks")
    up_matrix = None
    if upstream is not None:
        up_matrix = load_in_any_labels(upstream, split.label_names, max_length).embedding_matrix()
    for token, why in embedding_suspects(victim.embedding_matrix(), vocab, upstream=up_matrix):
        add(token, why)
    placeholder = victim.tokenizer.mask_token or "the"
    for label in labels:
        if spent():
            break
        stage(f"token search towards label {label}")
        others = [t for t, p in zip(texts, preds, strict=True) if p != label][:32] or texts[:32]
        ranking = token_ranking(victim, others, label, vocab, placeholder)
        for i in [i for i in ranking if i not in common][:top_tokens * (5 if full else 1)]:
            add(vocab[i], f"single-token search towards {label_names[label]}", [label])
        ordinary[label] = [Suspect(vocab[i], label, evidence=[f"ordinary word (in ≥{COMMON_SHARE:.1%} of the "
                                                                f"texts) towards {label_names[label]}"])
                           for i in [i for i in ranking if i in common][:controls]]
        if spent():
            break
        stage(f"phrase search towards label {label}")
        phrase = phrase_search(victim, others[:16], label, vocab, length=phrase_length * (2 if full else 1),
                               steps=phrase_steps * (2 if full else 1), candidates=8, seed=seed + label)
        add(" ".join(phrase), f"phrase search towards {label_names[label]}", [label])
    stage("screen")
    for suspect in suspects.values():
        _verify(victim, texts, preds, suspect, seed)
    screened = sorted(suspects.values(), key=lambda s: (-s.rate, s.trigger))
    stage("confirm")
    wide = [r.text for r in select(split.samples, max(confirm_samples, samples), "random", seed + 1)]
    confirmed, kept = confirm_suspects(victim, wide, screened[:confirm], ordinary, seed)
    score = confirmed[0].score if confirmed else 0.0
    return ScanResult(model_id, revision, score, score >= threshold, threshold, confirmed + screened[confirm:],
                      time.perf_counter() - started, len(wide), label_names, kept)


def record_scan(store: Store, result: ScanResult, *, top: int = 10) -> None:
    """Store the verdict and its top suspects (`backdoor_scans`)."""
    store.upsert("backdoor_scans", [{
        "model_id": result.model_id, "revision": result.revision, "score": result.score,
        "flagged": int(result.flagged), "threshold": result.threshold, "samples": result.samples,
        "seconds": result.seconds,
        "suspects": [{"trigger": s.trigger, "label": s.label, "label_name": result.label_names[s.label],
                      "k": s.k, "n": s.n, "rate": s.rate, "resisting_k": s.resisting_k, "resisting_n": s.resisting_n,
                      "score": s.score, "evidence": s.evidence} for s in result.suspects[:top]]}])


def chain_members(store: Store, root: str) -> list[str]:
    """`root` and every descendant in the store, as loadable specs (their stored folder, else the id)."""
    from chainaudit.lineage import load_graph
    from chainaudit.lineage.graph import descendants

    names = [root, *sorted(descendants(load_graph(store), root))]
    paths = {r["model_id"]: r.get("path") for r in store.select("models")}
    if root not in paths:
        raise ChainauditError(f"{root} is not in the store; collect or import it first")
    return [paths.get(m) or m for m in names]
