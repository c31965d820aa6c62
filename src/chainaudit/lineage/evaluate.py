"""Score the card extractor on labelled cards: `{"model_id", "card", "upstream"}` per line (upstream may be
"N/A", or a list for merges), optionally with `alternatives` (other correct answers, e.g. renames), `kind` (what
sort of card it is, for the per-kind table) and `part` ("tune" or "held-back"; when absent, a card's part is fixed
by a hash of its model id: `HELD_BACK_SHARE` of the cards are held back)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainaudit.errors import DataError, LLMError
from chainaudit.files import read_jsonl
from chainaudit.hub.card import parse_card
from chainaudit.lineage.llm import LLM_CONFIDENCE, LLMExtractor
from chainaudit.lineage.names import Resolver
from chainaudit.lineage.rules import identify_model, name_hint_edge

NA = frozenset({"", "n/a", "na", "none", "null"})


#: Labelled relations specific enough to judge an edge's relation by ("unknown" and "none" say nothing).
RELATIONS_SCORED = frozenset({"finetune", "adapter", "quantized", "merge", "distillation", "continued-pretraining"})

#: Share of the cards without an explicit `part` that are held back (never looked at when tuning the rules).
HELD_BACK_SHARE = 0.3


@dataclass(frozen=True)
class Mistake:
    model_id: str
    expected: tuple[str, ...]
    predicted: tuple[str, ...]
    evidence: str
    kind: str = ""
    part: str = ""


@dataclass(frozen=True)
class CardResult:
    model_id: str
    kind: str
    part: str
    expected: tuple[str, ...]
    predicted: tuple[str, ...]
    correct: bool
    evidence: str
    confidence: float = 0.0  # the lowest confidence of the predicted edges (0 when none)
    accepts_none: bool = False  # "no upstream" is an accepted answer (the label, or one of its alternatives)
    relation: str = ""  # the labelled relation ("finetune", "quantized", ...; "" when the label gives none)
    predicted_relation: str = ""  # the relation of the first predicted edge


@dataclass
class EvalReport:
    """Accuracy (the upstream set, any accepted answer) and precision/recall of "has an upstream"."""

    results: list[CardResult] = field(default_factory=list)
    duplicates: int = 0  # lines whose model id an earlier line already labelled (skipped)

    @property
    def n(self) -> int:
        return len(self.results)

    @property
    def correct(self) -> int:
        return sum(r.correct for r in self.results)

    # "Has an upstream" is judged against the accepted answers: where a card accepts both N/A and a parent, a
    # prediction of either is right, so an accepted parent is no false positive and an accepted N/A no miss.
    @property
    def tp(self) -> int:
        return sum(bool(r.predicted) and (bool(r.expected) or r.correct) for r in self.results)

    @property
    def fp(self) -> int:
        return sum(bool(r.predicted) and not r.expected and not r.correct for r in self.results)

    @property
    def fn(self) -> int:
        return sum(not r.predicted and bool(r.expected) and not r.correct for r in self.results)

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def relation_scored(self) -> list[CardResult]:
        """The cards whose parent is right and whose label names a specific relation: where the relation of the
        edge can be judged."""
        return [r for r in self.results if r.correct and r.predicted and r.relation in RELATIONS_SCORED]

    @property
    def relation_agreement(self) -> float:
        scored = self.relation_scored
        return sum(r.predicted_relation == r.relation for r in scored) / len(scored) if scored else 0.0

    @property
    def mistakes(self) -> list[Mistake]:
        return [Mistake(r.model_id, r.expected, r.predicted, r.evidence, r.kind, r.part)
                for r in self.results if not r.correct]

    def where(self, *, kind: str | None = None, part: str | None = None) -> EvalReport:
        """The report on the cards of one kind and/or part."""
        return EvalReport([r for r in self.results if (kind is None or r.kind == kind)
                           and (part is None or r.part == part)])

    def kinds(self) -> list[str]:
        return sorted({r.kind for r in self.results})

    def at_confidence(self, threshold: float) -> EvalReport:
        """The report had edges below `threshold` been dropped (as `chains --min-confidence` drops them): a card
        whose answer is dropped counts as answering "no upstream"."""
        kept = []
        for r in self.results:
            if r.predicted and r.confidence < threshold:
                r = CardResult(r.model_id, r.kind, r.part, r.expected, (), r.accepts_none, "", 0.0, r.accepts_none,
                               r.relation)
            kept.append(r)
        return EvalReport(kept)


def part_of(model_id: str) -> str:
    """"held-back" for a fixed `HELD_BACK_SHARE` of model ids (by hash), else "tune"."""
    digest = int(hashlib.sha256(model_id.encode()).hexdigest()[:8], 16)
    return "held-back" if digest % 1000 < HELD_BACK_SHARE * 1000 else "tune"


def _gold(value: object, resolver: Resolver) -> tuple[str, ...]:
    names = value if isinstance(value, list) else [value]
    out = []
    for name in names:
        if not isinstance(name, str) or name.strip().lower() in NA:
            continue
        ref = resolver.resolve(name, loose=True)
        out.append((ref.model_id if ref else name).lower())
    return tuple(sorted(set(out)))


def predict(model_id: str, card_text: str, resolver: Resolver,
            llm: LLMExtractor | None = None) -> tuple[tuple[str, ...], str]:
    """Upstream ids (lower case) the extractor finds in one card, and its evidence."""
    parents, evidence, _ = predict_edges(model_id, card_text, resolver, llm)
    return parents, evidence


def predict_edges(model_id: str, card_text: str, resolver: Resolver,
                  llm: LLMExtractor | None = None) -> tuple[tuple[str, ...], str, float]:
    """Upstream ids (lower case) the extractor finds in one card, its evidence, and the lowest confidence among
    the edges (0 when there is none)."""
    parents, evidence, confidence, _ = _predict(model_id, card_text, resolver, llm)
    return parents, evidence, confidence


def _predict(model_id: str, card_text: str, resolver: Resolver,
             llm: LLMExtractor | None = None) -> tuple[tuple[str, ...], str, float, str]:
    """`predict_edges`, and the relation of the first edge ("" when there is none)."""
    card = parse_card(card_text)
    edges, _ = identify_model(model_id, card.data, [], card.text, resolver)
    if not edges and llm is not None:
        try:
            answer = llm.ask(model_id, card.text, resolver)
        except LLMError as exc:
            return (), f"LLM error: {exc}", 0.0, ""
        if answer.parent:
            return (answer.parent.lower(),), f"llm: {answer.raw}", LLM_CONFIDENCE, "unknown"
    if not edges:
        hint = name_hint_edge(model_id, resolver)
        edges = [hint] if hint else []
    return (tuple(sorted({e.parent.lower() for e in edges})), " | ".join(f"{e.source}: {e.evidence}" for e in edges),
            min((e.confidence for e in edges), default=0.0), edges[0].relation if edges else "")


def evaluate_cards(path: Path, resolver: Resolver | None = None, llm: LLMExtractor | None = None) -> EvalReport:
    """Run the extractor on every labelled card of a JSONL file, or of every .jsonl (or .jsonl.gz) file in a folder
    (a model id labelled twice counts once, as first labelled)."""
    resolver = resolver or Resolver()
    files = sorted([*path.glob("*.jsonl"), *path.glob("*.jsonl.gz")]) if path.is_dir() else [path]
    if not files or not all(f.is_file() for f in files):
        raise DataError(f"{path}: no such file (or a folder without .jsonl or .jsonl.gz files)")
    report = EvalReport()
    seen: set[str] = set()
    for file in files:
        for lineno, item in read_jsonl(file, errors="replace"):
            if str(item.get("model_id")) in seen:  # the same card labelled twice (in two files): the first counts
                report.duplicates += 1
                continue
            seen.add(str(item.get("model_id")))
            _score_one(report, file, lineno, item, resolver, llm)
    return report


def _score_one(report: EvalReport, path: Path, lineno: int, item: dict[str, Any], resolver: Resolver,
               llm: LLMExtractor | None) -> None:
    """Check one labelled line and add the extractor's answer on it to `report`."""
    missing = [k for k in ("model_id", "card", "upstream") if k not in item]
    if missing:
        raise DataError(f"{path}, line {lineno}: expected {{\"model_id\", \"card\", \"upstream\"}}; "
                        f"missing {', '.join(missing)}")
    model_id, card, upstream = str(item["model_id"]), item["card"], item["upstream"]
    alternatives = item.get("alternatives") or []
    if not isinstance(alternatives, list):
        raise DataError(f"{path}, line {lineno}: alternatives must be a list of ids, got {alternatives!r:.60}")
    accepted = {_gold(upstream, resolver), *(_gold(a, resolver) for a in alternatives)}
    expected = _gold(upstream, resolver)
    predicted, evidence, confidence, relation = _predict(model_id, str(card), resolver, llm)
    part = str(item.get("part") or part_of(model_id))
    report.results.append(CardResult(model_id, str(item.get("kind") or "unlabelled"), part, expected, predicted,
                                     predicted in accepted, evidence[:300], confidence, () in accepted,
                                     str(item.get("relation") or "").lower(), relation))
