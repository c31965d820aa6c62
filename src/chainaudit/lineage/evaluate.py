"""Score the card extractor on labelled cards: `{"model_id", "card", "upstream"}` per line (upstream may be
"N/A", or a list for merges)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from chainaudit.errors import DataError, LLMError
from chainaudit.files import read_jsonl
from chainaudit.hub.card import parse_card
from chainaudit.lineage.llm import LLMExtractor
from chainaudit.lineage.names import Resolver
from chainaudit.lineage.rules import identify_model, name_hint_edge

NA = frozenset({"", "n/a", "na", "none", "null"})


@dataclass(frozen=True)
class Mistake:
    model_id: str
    expected: tuple[str, ...]
    predicted: tuple[str, ...]
    evidence: str


@dataclass
class EvalReport:
    """Accuracy (exact upstream set) and precision/recall of "has an upstream"."""

    n: int = 0
    correct: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    mistakes: list[Mistake] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0


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
    card = parse_card(card_text)
    edges, _ = identify_model(model_id, card.data, [], card.text, resolver)
    if not edges and llm is not None:
        try:
            answer = llm.ask(model_id, card.text, resolver)
        except LLMError as exc:
            return (), f"LLM error: {exc}"
        if answer.parent:
            return (answer.parent.lower(),), f"llm: {answer.raw}"
    if not edges:
        hint = name_hint_edge(model_id, resolver)
        edges = [hint] if hint else []
    return tuple(sorted({e.parent.lower() for e in edges})), " | ".join(f"{e.source}: {e.evidence}" for e in edges)


def evaluate_cards(path: Path, resolver: Resolver | None = None, llm: LLMExtractor | None = None) -> EvalReport:
    """Run the extractor on every labelled card of a JSONL file."""
    resolver = resolver or Resolver()
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    report = EvalReport()
    for lineno, item in read_jsonl(path, errors="replace"):
        missing = [k for k in ("model_id", "card", "upstream") if k not in item]
        if missing:
            raise DataError(f"{path}, line {lineno}: expected {{\"model_id\", \"card\", \"upstream\"}}; "
                            f"missing {', '.join(missing)}")
        model_id, card, upstream = item["model_id"], item["card"], item["upstream"]
        expected = _gold(upstream, resolver)
        predicted, evidence = predict(str(model_id), str(card), resolver, llm)
        report.n += 1
        report.correct += predicted == expected
        report.tp += bool(predicted) and bool(expected)
        report.fp += bool(predicted) and not expected
        report.fn += not predicted and bool(expected)
        if predicted != expected:
            report.mistakes.append(Mistake(str(model_id), expected, predicted, evidence[:300]))
    return report
