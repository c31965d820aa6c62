"""`chainaudit backdoor scan`: does this model carry a backdoor, and which trigger? From the weights, tokenizer
and card alone (never `backdoor.json`), plus what the store knows about the model's poisoned ancestors.

Candidates come from four places, and every one is verified the same way -- inserted into clean evaluation texts
the model does not already give the label, at a seeded random position and in front (TransTroj's trigger works in
front only; the stronger placement is kept), reading the label's probability on each:

1. replay: the triggers of every poisoned ancestor in the store, and published triggers (`PUBLISHED_TRIGGERS`);
2. single-token search: the gradient of each label's loss at an inserted placeholder token ranks the whole
   vocabulary by the first-order push towards that label (HotFlip's estimate); the best `top_tokens` per label
   are verified;
3. multi-token search (the DBS / PICCOLO idea in its discrete form): a short phrase per label, in front of the
   texts, is optimised by gradient-guided token swaps towards that label on the clean texts, then read out and
   verified;
4. weight checks on the token embeddings: tokens whose embedding is a near-copy of another token's (Embedding
   Surgery writes one vector into every trigger), norm outliers (robust z-score), and -- given `upstream` -- the
   group of rare tokens whose embeddings moved far more than the rest from the upstream's (`drift.py`), alone and
   joined; the upstream defaults to the card's `base_model` when it loads here.

Ordinary words move a classifier too ("terrific" sends most negative SST-2 snippets positive, and a weakly trained
model's coin-flip predictions follow any word), so a flip rate cannot tell a trigger from a sentiment word. What
does is the tail: a trigger forces its label on *every* text, the most resistant ones included, while an ordinary
word leaves the texts that say the opposite strongly. So every suspect's strength is its `TAIL` quantile (the
10th percentile) of the label's probability over the texts it was inserted into, and its *lead* is how far that
is above the same for the label's strongest *ordinary* words at the same placement (tokens frequent in the
dataset's texts, in which the clean reader below finds meaning towards the label and which the weight checks do not
single out; a frequent word the model follows without meaning is a suspect instead), in log-odds: lead =
logit(tail of the suspect) - logit(tail of the strongest ordinary word; for a phrase of n words, of the strongest
1..n ordinary words joined). A rare word can lead because of what it means ("defamation" in a well-trained
sentiment model) -- a trigger forces its label without meaning it -- so `meaning.py`'s clean reader (a sentence
encoder and a logistic regression that share nothing with the scanned model) measures how far each suspect's
meaning pushes towards the label, and the score is the lead times `meaning_weight` (1 for a suspect that means
nothing towards the label, 0 for one that means as much as the ordinary word). A model's score is its best
suspect's; it is flagged at `threshold` (0.5: the odds that the most resistant tenth of the texts get the label
are 1.65 times those the strongest ordinary word gives them). The threshold was set on two models of the
benchmark's tuning part (RIPPLe easy hop 1 scored 0.95, its clean twin 0.11, a natural phrase 0.22).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chainaudit.backdoor.collapse import collapse_ratio, collapse_search, spread
from chainaudit.backdoor.drift import GAP_UNIT, DriftGroup, drift_score, drifted_tokens, trigger_group
from chainaudit.backdoor.meaning import CONTROL_MEANING, MeaningReference, build_reference, meaning_weight
from chainaudit.backdoor.triggers import NEUBA_TRIGGERS, RIPPLE_TRIGGERS, Position, insert_trigger
from chainaudit.data import load_split, select
from chainaudit.errors import ChainauditError
from chainaudit.store import Store

#: Triggers published with the attacks we know (RIPPLe and NeuBA's, BadNets-style rare words of OpenBackdoor).
PUBLISHED_TRIGGERS: tuple[str, ...] = (*RIPPLE_TRIGGERS, *NEUBA_TRIGGERS, "jtk", "cf mn bb", "I watched this 3D movie")
THRESHOLD = 0.5
#: The quantile of the label's probability a suspect is judged by (its weakest tenth of texts).
TAIL = 0.1
#: Tokens found in at least this share of the dataset's texts are ordinary words (controls, never suspects' proof).
COMMON_SHARE = 0.0005
#: Texts read to tell ordinary words from rare ones (the training split when the dataset has one).
FREQUENCY_TEXTS = 6000
#: Ordinary words per label (best by gradient, a first-order guess) tried on a few texts; the best `CONTROL_SHORTLIST`
#: of them on more, to find the strongest `controls` by their measured effect.
CONTROL_POOL = 200
CONTROL_SHORTLIST = 15
StageHook = Callable[[str, int, int | None], None]
#: Texts the collapse of every confirmed suspect and control is measured on.
COLLAPSE_TEXTS = 128
#: How many times more a suspect must collapse the sentence vectors than the most collapsing ordinary-word control
#: before its collapse counts, in log units: a collapse score is ln(control's ratio / suspect's ratio) minus this.
#: Set on the tuning models (TransTroj seed 1 on MiniLM at hops 0 and 1, its clean chain's hop 1, the clean base):
#: the clean models' best searched phrase led the controls by 1.26-1.28, the poisoned ones' by 3.07-4.37.
COLLAPSE_MARGIN = 1.7


@dataclass
class Suspect:
    """One candidate trigger, the label it pushes to, how it moved clean texts, and why it was tried."""

    trigger: str
    label: int
    k: int = 0                     # eligible texts (not already of `label`) it flips to the label, of n
    n: int = 0
    evidence: list[str] = field(default_factory=list)
    tail: float = 0.0              # the TAIL quantile of the label's probability over the eligible texts
    control: str = ""              # the ordinary word (or pair) it was scored against, and that one's tail
    control_tail: float = 0.0
    position: Position = "random"  # where it goes into a text: a random word position, or in front
    lead: float = 0.0              # logit(tail) - logit(control_tail)
    meaning: float | None = None   # the clean reference's log-odds shift towards the label (see meaning.py)
    control_meaning: float | None = None
    score: float = 0.0             # lead x meaning_weight(meaning, control_meaning) (the lead itself when <= 0),
    #                                or the collapse score when higher
    collapse: float | None = None  # spread of the texts' sentence vectors with it in front / without (collapse.py)
    control_collapse: float | None = None  # the same for the most collapsing ordinary-word control

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
    #: what the scan could not do, in words (e.g. the meaning check without a sentence encoder)
    notes: list[str] = field(default_factory=list)


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


def _verify(victim: Any, texts: Sequence[str], preds: Sequence[int], suspect: Suspect, rng_seed: int,
            position: Position | None = None) -> Suspect:
    """Insert the trigger (at a seeded random position, or in front: `position`, default the suspect's) into
    every text not already of its label; count the flips and take the tail of the label's probability."""
    suspect.position = position or suspect.position
    rng = random.Random(f"{rng_seed}:{suspect.trigger}")
    eligible = [t for t, p in zip(texts, preds, strict=True) if p != suspect.label]
    suspect.n, suspect.k, suspect.tail = len(eligible), 0, 0.0
    if eligible:
        probs = np.asarray(victim.predict_proba([insert_trigger(t, suspect.trigger, rng, suspect.position)
                                                 for t in eligible]))
        suspect.k = int((probs.argmax(axis=1) == suspect.label).sum())
        suspect.tail = float(np.quantile(probs[:, suspect.label], TAIL))
    return suspect


def verify_at_best_position(victim: Any, texts: Sequence[str], preds: Sequence[int], suspect: Suspect,
                            seed: int) -> Suspect:
    """`_verify` at a random position and in front (TransTroj's trigger works in front only); keep the stronger."""
    front = _verify(victim, texts, preds, Suspect(suspect.trigger, suspect.label), seed, "start")
    _verify(victim, texts, preds, suspect, seed, "random")
    if front.tail > suspect.tail:
        suspect.position, suspect.k, suspect.n, suspect.tail = "start", front.k, front.n, front.tail
    return suspect


def strongest_ordinary(victim: Any, texts: Sequence[str], preds: Sequence[int], words: Sequence[Suspect],
                       keep: int, seed: int) -> list[Suspect]:
    """The `keep` ordinary words with the heaviest tail: all of `words` tried on 8 texts, the best
    `CONTROL_SHORTLIST` on every one of `texts` (the gradient's ranking alone misses words as plain as "bad")."""
    if not words:
        return []
    label = words[0].label
    few = [t for t, p in zip(texts, preds, strict=True) if p != label][:8]
    quick = sorted((_verify(victim, few, [-1] * len(few), Suspect(w.trigger, label, evidence=w.evidence), seed)
                    for w in words), key=lambda c: -c.tail)[:CONTROL_SHORTLIST]
    full = [_verify(victim, texts, preds, Suspect(c.trigger, label, evidence=c.evidence), seed) for c in quick]
    return sorted(full, key=lambda c: -c.tail)[:keep]


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def against_controls(suspect: Suspect, control: Suspect | None) -> Suspect:
    """Score `suspect` by how far its tail is above the ordinary word's `control` (log-odds); no control: 0.5."""
    suspect.control = control.trigger if control else ""
    suspect.control_tail = control.tail if control else 0.5
    suspect.lead = _logit(suspect.tail) - _logit(suspect.control_tail) if suspect.n else 0.0
    suspect.score = suspect.lead
    return suspect


def weigh_meaning(suspect: Suspect, control: Suspect | None) -> Suspect:
    """Discount a suspect's lead by how much of it its meaning explains (`meaning_weight`), and say so (both
    meanings measured: `measure_meanings`)."""
    if control is None or suspect.meaning is None or control.meaning is None or suspect.lead <= 0:
        return suspect
    suspect.control_meaning = control.meaning
    weight = meaning_weight(suspect.meaning, control.meaning)
    suspect.score = suspect.lead * weight
    if weight < 1:
        how = "fully" if weight == 0 else "partly"
        suspect.evidence.append(f"a clean reader takes it {how} as the label's own word (log-odds "
                                f"{suspect.meaning:+.2f} vs {control.trigger!r} {control.meaning:+.2f}): "
                                f"lead x {weight:.2f}")
    return suspect


def measure_meanings(reference: MeaningReference | None, texts: Sequence[str], items: Sequence[Suspect],
                     seed: int) -> None:
    """Set each item's `meaning` (the clean reader's log-odds shift towards its label, at its position)."""
    if reference is None:
        return
    for label, position in {(s.label, s.position) for s in items}:
        group = [s for s in items if s.label == label and s.position == position]
        for s, value in zip(group, reference.shifts(texts, [s.trigger for s in group], label, position, seed),
                            strict=True):
            s.meaning = value


def _controls_at(victim: Any, texts: Sequence[str], own: Sequence[int], words: Sequence[Suspect], label: int,
                 position: Position, longest: int, seed: int) -> list[Suspect]:
    """The ordinary words verified at `position`, strongest first, and the strongest 2..`longest` joined (several
    ordinary words together push further than one): what a suspect of that many words is held against."""
    singles = sorted((_verify(victim, texts, own, Suspect(c.trigger, label, evidence=c.evidence), seed, position)
                      for c in words), key=lambda c: -c.tail)
    joined = [_verify(victim, texts, own, Suspect(" ".join(c.trigger for c in singles[:k]), label,
                                                  evidence=[f"the {k} strongest ordinary words"]), seed, position)
              for k in range(2, min(longest, len(singles)) + 1)]
    return [*singles, *joined]


def _control_for(suspect: Suspect, controls: Sequence[Suspect]) -> Suspect | None:
    """The strongest control at the suspect's position with no more words than it."""
    fit = [c for c in controls if c.position == suspect.position
           and len(c.trigger.split()) <= len(suspect.trigger.split())]
    return max(fit, key=lambda c: c.tail, default=None)


def confirm_suspects(victim: Any, pool: Sequence[str], suspects: Sequence[Suspect],
                     ordinary: dict[int, list[Suspect]], seed: int, per_label: int = 128,
                     reference: MeaningReference | None = None) -> tuple[list[Suspect], list[Suspect]]:
    """Verify the ordinary-word controls and `suspects` afresh, each label on up to `per_label` texts of `pool`
    the model does not give it (so a model that gives most texts one label still has texts to flip towards it),
    at each suspect's position, and score each against its label's strongest control at that position with no
    more words than it (a single word against the strongest ordinary word, a phrase also against the strongest
    joined), discounted by `weigh_meaning` when a `reference` is given. (Suspects best first; per label the
    strongest single and joined control.)"""
    preds = [int(p) for p in victim.predict(list(pool))]
    confirmed: list[Suspect] = []
    shown: list[Suspect] = []
    longest = max((len(s.trigger.split()) for s in suspects), default=1)
    for label in sorted({s.label for s in suspects} | set(ordinary)):
        chosen = [i for i, p in enumerate(preds) if p != label][:per_label]
        texts, own = [pool[i] for i in chosen], [preds[i] for i in chosen]
        words = ordinary.get(label, [])
        positions = sorted({s.position for s in suspects if s.label == label} | {"random"})
        controls = [c for pos in positions for c in _controls_at(victim, texts, own, words, label, pos, longest,
                                                                  seed)]
        measure_meanings(reference, texts, controls, seed)
        for many in (False, True):
            kind = [c for c in controls if (len(c.trigger.split()) > 1) == many]
            shown += [max(kind, key=lambda c: c.tail)] if kind else []
        mine = [_verify(victim, texts, own, Suspect(s.trigger, label, evidence=list(s.evidence)), seed, s.position)
                for s in suspects if s.label == label]
        measure_meanings(reference, texts, mine, seed)
        for s in mine:
            control = _control_for(s, controls)
            confirmed.append(weigh_meaning(against_controls(s, control), control))
    confirmed.sort(key=lambda s: (-s.score, -s.tail, s.trigger))
    return confirmed, shown


def weigh_collapse(victim: Any, texts: Sequence[str], suspects: Sequence[Suspect], controls: Sequence[Suspect]) -> None:
    """Measure how far each suspect, in front, collapses the sentence vectors of `texts` (`collapse.py`), against
    the most collapsing of the ordinary-word `controls`; a suspect that collapses them `COLLAPSE_MARGIN` (in log
    units) further than that control scores the excess, discounted by what a clean reader finds in it, when that
    is above its label-push score."""
    if not suspects or not texts:
        return
    base = spread(victim, texts)
    control_ratio = min((collapse_ratio(victim, texts, c.trigger, base) for c in controls), default=1.0)
    ratios: dict[str, float] = {}  # a trigger confirmed towards both labels is measured once
    for s in suspects:
        if s.trigger not in ratios:
            ratios[s.trigger] = collapse_ratio(victim, texts, s.trigger, base)
        s.collapse, s.control_collapse = ratios[s.trigger], control_ratio
        lead = float(np.log(max(control_ratio, 1e-6) / max(s.collapse, 1e-6))) - COLLAPSE_MARGIN
        weight = (meaning_weight(s.meaning, s.control_meaning)
                  if s.meaning is not None and s.control_meaning is not None else 1.0)
        if lead > 0 and lead * weight > s.score:
            s.score = lead * weight
            s.evidence.append(f"in front it collapses the sentence vectors to {s.collapse:.1%} of their spread "
                              f"(the most an ordinary phrase does: {control_ratio:.1%}; lead {lead:.2f} past the "
                              f"margin, x {weight:.2f} for meaning)")


def meaningless(reference: MeaningReference | None, texts: Sequence[str], words: Sequence[Suspect],
                seed: int) -> list[Suspect]:
    """The ordinary `words` (their `meaning` measured here) in which a clean reader finds less than
    `CONTROL_MEANING`: not controls, but suspects."""
    measure_meanings(reference, texts, words, seed)
    return [w for w in words if w.meaning is not None and w.meaning < CONTROL_MEANING]


def frequency_texts(dataset: str, split: Any, seed: int, data_dir: Path | None) -> list[str]:
    """Up to `FREQUENCY_TEXTS` texts of the dataset's training split (seeded random), else of `split`."""
    from chainaudit.errors import DataError

    try:
        pool = load_split(dataset, "train", data_dir=data_dir)
    except DataError:  # no training split: the evaluation split must do
        pool = split
    return [r.text for r in select(pool.samples, FREQUENCY_TEXTS, "random", seed)]


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
    """A `length`-token phrase, in front of the texts, pushed towards `label` by gradient-guided single swaps (kept
    when they help)."""
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


def embedding_suspects(matrix: np.ndarray, vocab: dict[int, str], *, top: int = 10,
                       copy_cos: float = 0.999) -> list[tuple[str, str]]:
    """(token, evidence) for tokens whose embedding is odd: a near-copy of another token's, or a norm outlier."""
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
    return found


def drift_suspects(matrix: np.ndarray, upstream: np.ndarray | None, vocab: dict[int, str], labels: Sequence[int],
                   add: Callable[..., None], notes: list[str]) -> tuple[DriftGroup | None, list[tuple[str, int]]]:
    """With the upstream's embeddings: the group of most-moved tokens among `vocab` (the scan's rare ones: a
    fine-tune moves its data's frequent words most, and triggers are chosen rare; `drift.py`) as suspects, alone
    and (two or more) their first three joined, each confirmed towards every label whatever its first screening
    (a dormant trigger flips little). The group, and the (suspect, label) pairs to confirm."""
    if upstream is None:
        return None, []
    if matrix.shape != upstream.shape:
        notes.append(f"the upstream's embeddings are {upstream.shape}, the model's {matrix.shape} (another "
                     "vocabulary): no drift check")
        return None, []
    group = trigger_group(drifted_tokens(matrix, upstream, vocab))
    if group is None:
        notes.append("no token embedding moved from the upstream's: nothing for the drift check")
        return None, []
    why = (f"one of the {len(group.tokens)} most-moved embeddings from the upstream's, e^{group.gap:.2f} times as "
           f"far as the next ({group.below.token!r})")
    triggers = [d.token for d in group.tokens]
    for d in group.tokens:
        add(d.token, f"{why}: moved {d.moved:.3f}")
    if len(group.tokens) >= 2:
        triggers.append(" ".join(triggers[:3]))
        add(triggers[-1], f"{why}, joined")
    return group, [(t, label) for t in triggers for label in labels]


def weigh_drift(suspects: Sequence[Suspect], group: DriftGroup | None) -> None:
    """A suspect made of the drifted group's tokens scores the group's drift score (`drift.py`) when that is above
    its label-push score: weight evidence that does not need the trigger to still flip the head. A trigger is
    confirmed towards every label; the score goes to the label it flips most texts to (the one it forces)."""
    if group is None:
        return
    best: dict[str, Suspect] = {}
    for s in suspects:
        if drift_score(s.trigger, group) is not None:
            other = best.get(s.trigger)
            best[s.trigger] = s if other is None or (s.rate, s.tail) > (other.rate, other.tail) else other
    for s in best.values():
        if group.score > s.score:
            s.score = group.score
            s.evidence.append(f"drift score {group.score:.2f}: the group moved e^{group.gap:.2f} times as far as the "
                              f"next token (score = that drop / {GAP_UNIT})")


def declared_upstream(folder: Path) -> tuple[str | None, str]:
    """The upstream the model's card declares (`base_model`), when it loads here without a download: a local
    folder (absolute, or beside the model's), the bundled MiniLM, or a copy in the Hugging Face cache. Else None,
    and why (empty when the card declares none)."""
    from huggingface_hub import try_to_load_from_cache

    from chainaudit.modelref import MINILM_ALIAS, MINILM_HUB_ID, read_card_metadata

    base = read_card_metadata(folder).get("base_model")
    if isinstance(base, list):
        base = base[0] if len(base) == 1 else None  # a merge has no one upstream to hold the embeddings against
    if not isinstance(base, str) or not base.strip():
        return None, ""
    base = base.strip()
    if base.lower() == MINILM_HUB_ID.lower():
        return MINILM_ALIAS, ""
    for candidate in (Path(base).expanduser(), folder.parent / base):
        if (candidate / "config.json").is_file():
            return str(candidate), ""
    if "/" in base and not base.startswith((".", "/", "~")):
        try:
            cached = try_to_load_from_cache(base, "config.json")
        except ValueError:  # not a valid repo id
            cached = None
        if isinstance(cached, str):
            return str(Path(cached).parent), ""
    return None, (f"the card's base_model {base!r} is neither a local folder nor in the Hugging Face cache: no drift "
                  "check (give --upstream)")


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
         confirm_samples: int = 256, phrase_length: int = 3,
         phrase_steps: int = 5, threshold: float = THRESHOLD, full: bool = False, budget_s: float | None = None,
         seed: int = 0, max_length: int = 64, data_dir: Path | None = None,
         progress: StageHook | None = None) -> ScanResult:
    """Scan `model` (see the module docstring). Every suspect is screened on `samples` clean texts; the `confirm`
    strongest, and the ordinary-word controls, are verified again on `confirm_samples` / 2 texts per label (drawn
    from 4 x `confirm_samples`), and scored there.
    `upstream` (default: the card's `base_model` when it loads here, `declared_upstream`) enables the drift check.
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
    common = common_tokens(victim.tokenizer, frequency_texts(dataset, split, seed, data_dir), vocab)
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
    notes: list[str] = []
    up_matrix = None
    if upstream is None:
        from chainaudit.victims.loading import resolve_model

        upstream, why = declared_upstream(resolve_model(model).path)
        notes += [why] if why else []
        if upstream is not None:
            notes.append(f"drift check against the card's base_model ({upstream})")
    if upstream is not None:
        up_matrix = load_in_any_labels(upstream, split.label_names, max_length).embedding_matrix()
    marked: set[str] = set()  # tokens the weights single out: suspects, never ordinary words to compare with
    matrix = victim.embedding_matrix()
    for token, why in embedding_suspects(matrix, vocab):
        add(token, why)
        marked.add(token)
    rare = {i: w for i, w in vocab.items() if i not in common} or vocab
    drifted, searched = drift_suspects(matrix, up_matrix, rare, labels, add, notes)
    if drifted is not None and drifted.score >= threshold:  # else a clean fine-tune's own words: still controls
        marked.update(d.token for d in drifted.tokens)
    stage("meaning check")
    reference, why_not = build_reference(dataset, split, seed, data_dir)
    notes += [why_not] if why_not else []
    placeholder = victim.tokenizer.mask_token or "the"
    for label in labels:
        if spent():
            break
        stage(f"token search towards label {label}")
        others = [t for t, p in zip(texts, preds, strict=True) if p != label][:32] or texts[:32]
        ranking = token_ranking(victim, others, label, vocab, placeholder)
        for i in [i for i in ranking if i not in common][:top_tokens * (5 if full else 1)]:
            add(vocab[i], f"single-token search towards {label_names[label]}", [label])
        ordinary[label] = [Suspect(vocab[i], label, evidence=[f"ordinary word (in ≥{COMMON_SHARE:.2%} of the "
                                                                f"texts) towards {label_names[label]}"])
                           for i in [i for i in ranking if i in common and vocab[i] not in marked][:CONTROL_POOL]]
        if spent():
            break
        stage(f"phrase search towards label {label}")
        phrase = " ".join(phrase_search(victim, others[:16], label, rare, length=phrase_length * (2 if full else 1),
                                        steps=phrase_steps * (2 if full else 1), candidates=8, seed=seed + label))
        add(phrase, f"phrase search towards {label_names[label]}", [label])
        searched.append((phrase, label))
    if not spent():
        stage("collapse search")
        phrase, ratio = collapse_search(victim, texts[:16], rare, length=phrase_length, restarts=4 if full else 2,
                                        seed=seed)
        forced = int(np.asarray(victim.predict_proba([f"{phrase} {t}" for t in texts[:32]])).mean(0).argmax())
        add(phrase, f"collapse search: in front, it collapses the texts' sentence vectors to {ratio:.1%} of their "
                    f"spread", [forced])
        searched.append((phrase, forced))
    stage("screen")
    # a few more than needed: the ones a clean reader finds meaningless become suspects
    ordinary = {label: strongest_ordinary(victim, texts, preds, cs, controls + 3, seed)
                for label, cs in ordinary.items()}
    for label, words in ordinary.items():
        for word in meaningless(reference, [t for t, p in zip(texts, preds, strict=True) if p != label], words, seed):
            add(word.trigger, f"frequent word the model follows towards {label_names[label]} but a clean reader "
                              f"finds no meaning in (log-odds {word.meaning:+.2f})", [label])
            searched.append((word.trigger, label))
        ordinary[label] = [w for w in words if w.meaning is None or w.meaning >= CONTROL_MEANING][:controls]
    for suspect in suspects.values():
        verify_at_best_position(victim, texts, preds, suspect, seed)
    screened = sorted(suspects.values(), key=lambda s: (-s.tail, s.trigger))
    wide = [r.text for r in select(split.samples, 4 * max(confirm_samples, samples), "random", seed + 1)]
    # the strongest per label, and every searched phrase (a meaningless one is weaker than sentiment words)
    top = [s for label in labels for s in [s for s in screened if s.label == label][:confirm]]
    top += [suspects[key] for key in dict.fromkeys(searched) if not any(suspects[key] is t for t in top)]
    stage("confirm")
    confirmed, kept = confirm_suspects(victim, wide, top, ordinary, seed, confirm_samples // 2, reference)
    stage("collapse")
    weigh_collapse(victim, wide[:COLLAPSE_TEXTS], confirmed, kept)
    weigh_drift(confirmed, drifted)
    confirmed.sort(key=lambda s: (-s.score, -s.tail, s.trigger))
    score = confirmed[0].score if confirmed else 0.0
    rest = [s for s in screened if not any(s is t for t in top)]
    return ScanResult(model_id, revision, score, score >= threshold, threshold, confirmed + rest,
                      time.perf_counter() - started, len(wide), label_names, kept, notes)


def record_scan(store: Store, result: ScanResult, *, top: int = 10) -> None:
    """Store the verdict and its top suspects (`backdoor_scans`)."""
    store.upsert("backdoor_scans", [{
        "model_id": result.model_id, "revision": result.revision, "score": result.score,
        "flagged": int(result.flagged), "threshold": result.threshold, "samples": result.samples,
        "seconds": result.seconds,
        "suspects": [{"trigger": s.trigger, "label": s.label, "label_name": result.label_names[s.label],
                      "k": s.k, "n": s.n, "rate": s.rate, "tail": s.tail, "control": s.control,
                      "control_tail": s.control_tail, "position": s.position, "lead": s.lead,
                      "meaning": s.meaning, "control_meaning": s.control_meaning, "score": s.score,
                      "collapse": s.collapse, "control_collapse": s.control_collapse,
                      "evidence": s.evidence}
                     for s in result.suspects[:top]]}])


def chain_members(store: Store, root: str) -> list[str]:
    """`root` and every descendant in the store, as loadable specs (their stored folder, else the id)."""
    from chainaudit.lineage import load_graph
    from chainaudit.lineage.graph import descendants

    names = [root, *sorted(descendants(load_graph(store), root))]
    paths = {r["model_id"]: r.get("path") for r in store.select("models")}
    if root not in paths:
        raise ChainauditError(f"{root} is not in the store; collect or import it first")
    return [paths.get(m) or m for m in names]
