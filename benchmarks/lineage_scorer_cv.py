"""Would a learned scorer find the upstreams the card-text rules miss? An experiment, not a shipped feature.

Every model a card names is a candidate, described by the words around its first mentions and where they stand
(a link, code, a table, a list, a heading), its name against the card's own, and how often and how early it is
named. A logistic regression (scikit-learn) is trained on the candidates of the tune part of the labelled real
cards and would answer only where the rules and name hints leave a card without an upstream; its regularisation
and threshold are chosen by 5-fold cross-validation on the tune part. Each card an answer fixes counts +1, each it
breaks (a card whose right answer is "no upstream") -1. The held-back part is scored once, after training, as
counts only.

Measured 2026-12-04 on 1,331 cards: the best cross-validated gain was +2 cards of the 197 open tune cards (and -7
to -55 at thresholds that answer more often); trained on the open cards alone, +1; with MiniLM sentence-embedding
similarities to prototype sentences ("a fine-tuned version of X", "compared with X") added, +1, at 133 s of
encoding. On the held-back part it fixed 5 cards and broke 3. The open cards are mostly ones that name models
without saying which was the base (147 of 197 have no upstream): context does not separate them. So the scorer is
not part of `chainaudit lineage`; this script keeps the measurement repeatable.

    .venv/bin/python benchmarks/lineage_scorer_cv.py [tests/data/lineage-cards]
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from chainaudit.files import read_jsonl
from chainaudit.hub.card import parse_card
from chainaudit.lineage.evaluate import _gold, part_of
from chainaudit.lineage.names import WELL_KNOWN, Resolver
from chainaudit.lineage.rules import MAX_TEXT_CHARS, derived_from_child, identify_model, name_hint_edge, own_page

THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.3, 0.96, 0.05))
C_VALUES = (0.03, 0.1, 0.3, 1.0)


@dataclass(frozen=True)
class Candidate:
    """A model the card names, with the features of its mentions."""

    model_id: str
    features: dict[str, float]
    evidence: str


_TOKEN = re.compile(r"[\w.@/:-]*\w")
_WORD = re.compile(r"[^\W\d_]{2,}|\d+[bm]\b")
_MAX_MENTIONS = 6
_BEFORE_CHARS, _AFTER_CHARS = 160, 80
_DATA_URL = re.compile(r"(?:huggingface|hf)\.co/(?:datasets|spaces)/", re.I)
_SIZE = re.compile(r"(?:^|[-_.])(?:\d+(?:\.\d+)?[bm]|base|large|small|tiny|mini|medium|xl|xxl)(?:$|[-_.])")
#: A path to a file, a number pair ("52.81/80.27", "05/2019") or a one- or two-letter side ("w/o", "0/b"):
#: never a model, though an id's syntax allows it.
_NOT_AN_ID = re.compile(r"\.(?:png|jpe?g|gif|webp|svg|py|ipynb|md|txt|csv|tsv|json|jsonl|ya?ml|sh|html?|pdf|pt|pth|"
                        r"bin|safetensors|ckpt|onnx|zip|gz|tar|parquet)$|^[^a-z]*/|/[^a-z]*$|^[a-z0-9]{1,2}/|/[a-z0-9]{1,2}$")
#: Two plain words joined by a slash ("train/val", "sci/tech"): prose as often as a model.
_WORD_PAIR = re.compile(r"^[a-z]{2,12}/[a-z]{2,12}$")
_TUNED_NAME = re.compile(r"instruct|chat|-it$|-it-|sft|dpo|finetun|fine-tun|-ft|squad|sst|mnli|ner|sentiment")


def _line(low: str, at: int) -> str:
    start, end = low.rfind("\n", 0, at) + 1, low.find("\n", at)
    return low[start:end if end >= 0 else len(low)]


def _bucket(value: float, edges: tuple[float, ...]) -> int:
    return sum(value >= e for e in edges)


def _name_words(model_id: str) -> set[str]:
    return set(re.findall(r"[a-z]+|\d+", model_id.rsplit("/", 1)[-1].lower()))


def candidates(child: str, text: str, resolver: Resolver) -> list[Candidate]:
    """Every model `text` names (a Hub id, URL or well-known name), but the card's own model and its versions,
    with features of its first mentions."""
    text = text[:MAX_TEXT_CHARS]
    low = text.lower()
    if len(low) != len(text):
        text = low
    spans: dict[str, list[tuple[int, int]]] = {}
    for m in _TOKEN.finditer(low):
        token = m.group()
        if "/" not in token:
            if token not in WELL_KNOWN:
                continue
        elif _DATA_URL.search(token) or token.count("/") > 8 or \
                _NOT_AN_ID.search(token.rsplit("huggingface.co/", 1)[-1]):
            continue
        ref = resolver.resolve(token)
        if ref is None or own_page(child, ref.model_id) or derived_from_child(child, ref.model_id):
            continue
        key = ref.model_id
        if key.lower() == child.lower():
            continue
        spans.setdefault(key, []).append(m.span())
    if not spans:
        return []
    fences = [m.start() for m in re.finditer(r"^[ \t]*(?:```|~~~)", low, re.M)]
    child_words = _name_words(child)
    owner = child.split("/", 1)[0].lower() if "/" in child else ""
    order = sorted(spans, key=lambda k: spans[k][0][0])
    out = []
    for rank, model_id in enumerate(order):
        found = spans[model_id]
        f: dict[str, float] = {"bias": 1.0, f"rank={min(rank, 3)}": 1.0,
                               f"mentions={_bucket(len(found), (2, 3, 6))}": 1.0,
                               f"candidates={_bucket(len(spans), (2, 3, 5, 9))}": 1.0,
                               f"position={_bucket(found[0][0] / max(len(low), 1), (0.1, 0.3, 0.6))}": 1.0}
        name = model_id.rsplit("/", 1)[-1].lower()
        words = _name_words(model_id)
        f[f"overlap={_bucket(len(words & child_words) / max(len(words), 1), (0.01, 0.5, 0.99))}"] = 1.0
        if owner and model_id.split("/", 1)[0].lower() == owner:
            f["same_owner"] = 1.0
        if name in child.lower():
            f["name_in_child"] = 1.0
        if _SIZE.search(name):
            f["sized_name"] = 1.0
        if _WORD_PAIR.match(model_id.lower()):
            f["word_pair"] = 1.0
        if _TUNED_NAME.search(name):
            f["tuned_name"] = 1.0
        if model_id.lower() in _KNOWN_IDS:
            f["well_known"] = 1.0
        for start, end in found[:_MAX_MENTIONS]:
            line = _line(low, start).lstrip()
            if line.startswith("|") or line.count("|") >= 3:
                f["in_table"] = 1.0
            elif line[:1] in "-*+" or re.match(r"\d+[.)]\s", line):
                f["in_list"] = 1.0
            if line.startswith("#"):
                f["in_heading"] = 1.0
            if sum(p < start for p in fences) % 2:
                f["in_code"] = 1.0
            token = low[start:end]
            if "huggingface.co" in token or "hf.co" in token:
                f["hub_url"] = 1.0
            elif "/" in token:
                f["bare_id"] = 1.0
            else:
                f["bare_name"] = 1.0
            if low[max(0, start - 2):start].endswith("]("):
                f["link_target"] = 1.0
            before = low[max(0, start - _BEFORE_CHARS):start]
            after = low[end:end + _AFTER_CHARS]
            before_words = _WORD.findall(re.sub(r"https?://\S+", " ", before))
            for i, w in enumerate(reversed(before_words[-12:])):
                f[f"b:{w}"] = 1.0
                if i < 4:
                    f[f"b4:{w}"] = 1.0
            for w in _WORD.findall(re.sub(r"https?://\S+", " ", after))[:6]:
                f[f"a:{w}"] = 1.0
        first = found[0][0]
        out.append(Candidate(model_id, f, " ".join(text[max(0, first - 100):first + 100].split())[:200]))
    return out


_KNOWN_IDS = frozenset(v.lower() for v in WELL_KNOWN.values())



@dataclass
class Card:
    model_id: str
    part: str
    accepted: set[tuple[str, ...]]
    rules: tuple[str, ...]  # what the rules and name hint answer (lower case ids)
    cands: list[Candidate]

    @property
    def open(self) -> bool:
        """The rules and name hints leave this card without an upstream: the scorer's cards."""
        return not self.rules

    @property
    def rules_right(self) -> bool:
        return self.rules in self.accepted

    def label(self, model_id: str) -> int:
        return int(any(model_id.lower() in ids for ids in self.accepted))


def load(path: Path, resolver: Resolver) -> list[Card]:
    files = sorted([*path.glob("*.jsonl"), *path.glob("*.jsonl.gz")]) if path.is_dir() else [path]
    cards, seen = [], set()
    for file in files:
        for _, item in read_jsonl(file, errors="replace"):
            model_id = str(item["model_id"])
            if model_id in seen:
                continue
            seen.add(model_id)
            alternatives = item.get("alternatives") or []
            accepted = {_gold(item["upstream"], resolver), *(_gold(a, resolver) for a in alternatives)}
            card = parse_card(str(item["card"]))
            edges, _ = identify_model(model_id, card.data, [], card.text, resolver)
            if not edges:
                hint = name_hint_edge(model_id, resolver)
                edges = [hint] if hint else []
            rules = tuple(sorted({e.parent.lower() for e in edges}))
            cards.append(Card(model_id, str(item.get("part") or part_of(model_id)), accepted, rules,
                              candidates(model_id, card.text, resolver)))
    return cards


def _fit(cards: list[Card], c: float) -> tuple[DictVectorizer, LogisticRegression]:
    rows = [(cand.features, card.label(cand.model_id)) for card in cards for cand in card.cands]
    vec = DictVectorizer()
    x = vec.fit_transform([f for f, _ in rows])
    y = np.array([label for _, label in rows])
    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    model.fit(x, y)
    return vec, model


def _best(card: Card, vec: DictVectorizer, model: LogisticRegression) -> tuple[float, str]:
    if not card.cands:
        return 0.0, ""
    p = model.predict_proba(vec.transform([c.features for c in card.cands]))[:, 1]
    i = int(np.argmax(p))
    return float(p[i]), card.cands[i].model_id


def _gain(card: Card, prob: float, choice: str, threshold: float) -> int:
    """+1 a card the scorer's answer fixes, -1 one it breaks, 0 otherwise."""
    if prob < threshold:
        return 0
    right = (choice.lower(),) in card.accepted
    return int(right and not card.rules_right) - int(card.rules_right and not right)


def cross_validate(cards: list[Card]) -> tuple[float, float, dict[tuple[float, float], int]]:
    """(C, threshold) with the best total gain over 5 folds of the tune cards (trained on every card's candidates,
    judged on the open cards of the held-out fold), and every pair's gain."""
    trainable = [c for c in cards if c.cands]
    groups = [c.model_id for c in trainable]
    gains: dict[tuple[float, float], int] = {}
    for c in C_VALUES:
        outcomes: list[tuple[Card, float, str]] = []
        for train, test in GroupKFold(5).split(trainable, groups=groups):
            vec, model = _fit([trainable[i] for i in train], c)
            outcomes += [(trainable[i], *_best(trainable[i], vec, model)) for i in test if trainable[i].open]
        for t in THRESHOLDS:
            gains[(c, t)] = sum(_gain(card, p, choice, t) for card, p, choice in outcomes)
    c, t = max(gains, key=lambda k: (gains[k], k[1]))  # ties: the higher threshold (fewer answers)
    return c, t, gains


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", nargs="?", type=Path, default=Path("tests/data/lineage-cards"))
    args = ap.parse_args()
    resolver = Resolver()
    cards = load(args.path, resolver)
    tune = [c for c in cards if c.part == "tune"]
    held = [c for c in cards if c.part == "held-back"]
    train = [c for c in tune if c.cands]
    print(f"{len(cards)} cards: {len(tune)} tune, {len(held)} held-back; trained on the {len(train)} tune cards that "
          f"name a model ({sum(len(c.cands) for c in train)} candidates); it answers only on the "
          f"{sum(c.open and bool(c.cands) for c in tune)} of them that the rules leave open")
    c, t, gains = cross_validate(tune)
    print("cross-validated gain on tune (cards fixed - cards broken), by C and threshold:")
    print("C \\ t  " + " ".join(f"{x:>5}" for x in THRESHOLDS))
    for cv in C_VALUES:
        print(f"{cv:<6} " + " ".join(f"{gains[(cv, x)]:>5}" for x in THRESHOLDS))
    print(f"chosen: C={c}, threshold={t}")
    vec, model = _fit(train, c)
    for name, part in (("tune (in-sample)", tune), ("held-back", held)):
        fixed = broken = answered = 0
        for card in part:
            p, choice = _best(card, vec, model) if card.open else (0.0, "")
            g = _gain(card, p, choice, t)
            answered += p >= t
            fixed += g > 0
            broken += g < 0
        print(f"{name}: {len(part)} cards, {sum(c.rules_right for c in part)} right by the rules; the scorer answers "
              f"{answered}, fixes {fixed}, breaks {broken}")

if __name__ == "__main__":
    main()
