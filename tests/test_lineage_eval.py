"""`lineage eval`: accuracy per kind and per part (tune / held-back), alternative correct answers, bad lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainaudit.cli import app
from chainaudit.errors import DataError
from chainaudit.lineage.evaluate import evaluate_cards, part_of
from chainaudit.lineage.names import Resolver

TRAINER = ("This model is a fine-tuned version of [{p}](https://huggingface.co/{p}) on the imdb dataset.\n")


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_per_kind_and_part_with_alternative_answers(tmp_path: Path) -> None:
    rows = [
        {"model_id": "a/one", "card": TRAINER.format(p="someone/base-x"), "upstream": "other/base-x",
         "alternatives": ["someone/base-x"], "kind": "trainer", "part": "tune"},   # right by its alternative
        {"model_id": "a/two", "card": TRAINER.format(p="someone/base-y"), "upstream": "someone/base-z",
         "kind": "trainer", "part": "held-back"},                                 # wrong
        {"model_id": "a/three", "card": "# A model\nTrained from scratch on our corpus.\n", "upstream": "N/A",
         "kind": "none", "part": "held-back"},                                    # right: abstains
    ]
    report = evaluate_cards(_write(tmp_path / "c.jsonl", rows))
    assert (report.n, report.correct) == (3, 2)
    assert report.kinds() == ["none", "trainer"]
    assert report.where(kind="trainer").accuracy == 0.5 and report.where(part="held-back").accuracy == 0.5
    assert report.where(kind="trainer", part="tune").correct == 1
    assert [(m.model_id, m.kind, m.part) for m in report.mistakes] == [("a/two", "trainer", "held-back")]
    assert (report.tp, report.fp, report.fn) == (2, 0, 0)
    out = CliRunner().invoke(app, ["lineage", "eval", str(tmp_path / "c.jsonl")])
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "all: 3 cards, accuracy 66.67% (2/3)" in text and "held-back: 2 cards, accuracy 50.00% (1/2)" in text
    assert "per kind" in text and "a/two" in text


def test_precision_and_recall_when_low_confidence_edges_are_dropped(tmp_path: Path) -> None:
    hint_only = "# me/base-x-finetuned-imdb\nA sentiment model.\n"  # only the name hints at a parent (confidence 0.3)
    rows = [
        {"model_id": "a/one", "card": TRAINER.format(p="someone/base-x"), "upstream": "someone/base-x"},
        {"model_id": "someone/base-x-finetuned-imdb", "card": hint_only, "upstream": "N/A"},
    ]
    report = evaluate_cards(_write(tmp_path / "c.jsonl", rows), Resolver(["someone/base-x"]))
    assert (report.tp, report.fp, report.correct) == (1, 1, 1)
    strict = report.at_confidence(0.5)  # what `chains --min-confidence 0.5` keeps: the trainer edge (0.9) only
    assert (strict.tp, strict.fp, strict.correct, strict.precision) == (1, 0, 2, 1.0)
    assert report.at_confidence(0.95).tp == 0 and report.at_confidence(0.95).correct == 1
    out = CliRunner().invoke(app, ["lineage", "eval", str(tmp_path / "c.jsonl")])
    assert out.exit_code == 0 and "by edge confidence" in out.output


def test_has_an_upstream_is_judged_against_every_accepted_answer(tmp_path: Path) -> None:
    """A card that accepts both "no upstream" and a parent (a generic family named as what was fine-tuned): either
    answer is right, so the parent is no false positive and the abstention no miss, at any confidence."""
    family = "We fine-tuned DistilBERT on our reviews.\n"  # read as distilbert-base-uncased at confidence 0.4
    rows = [
        {"model_id": "a/one", "card": family, "upstream": "N/A", "alternatives": ["distilbert-base-uncased"]},
        {"model_id": "a/two", "card": "A sentiment model.\n", "upstream": "distilbert-base-uncased",
         "alternatives": ["N/A"]},
        {"model_id": "a/three", "card": family, "upstream": "N/A"},  # here the parent is a false positive
    ]
    report = evaluate_cards(_write(tmp_path / "c.jsonl", rows))
    assert (report.correct, report.tp, report.fp, report.fn) == (2, 1, 1, 0)
    strict = report.at_confidence(0.5)  # the 0.4 edges dropped: both abstentions are accepted answers
    assert (strict.correct, strict.tp, strict.fp, strict.fn) == (3, 0, 0, 0)


def test_part_is_fixed_by_the_id_when_not_given() -> None:
    ids = [f"owner/model-{i}" for i in range(400)]
    parts = [part_of(i) for i in ids]
    assert parts == [part_of(i) for i in ids]  # stable
    assert 0.2 < parts.count("held-back") / len(ids) < 0.4


def test_alternatives_must_be_a_list(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.jsonl", [{"model_id": "a/b", "card": "x", "upstream": "N/A",
                                            "alternatives": "c/d"}])
    with pytest.raises(DataError, match=r"bad\.jsonl, line 1: alternatives must be a list"):
        evaluate_cards(path)


def test_mistakes_with_brackets_print_as_text(tmp_path: Path) -> None:
    """Card text is data: a local path like [/home/x/model] in the evidence must not be read as rich markup."""
    card = "---\nbase_model: /home/x/model\n---\nFine-tuned from [/home/x/model](/home/x/model).\n"
    path = _write(tmp_path / "m.jsonl", [{"model_id": "a/b", "card": card, "upstream": "org/real-base"}])
    out = CliRunner().invoke(app, ["lineage", "eval", str(path)])
    assert out.exit_code == 0, out.output
    assert "mistakes" in out.output and "a/b" in out.output


def test_a_folder_of_files_counts_each_model_once(tmp_path: Path) -> None:
    card = {"model_id": "a/one", "card": TRAINER.format(p="someone/base-x"), "upstream": "someone/base-x"}
    _write(tmp_path / "1.jsonl", [card])
    _write(tmp_path / "2.jsonl", [{**card, "upstream": "N/A"}, {**card, "model_id": "a/two"}])
    report = evaluate_cards(tmp_path)
    assert (report.n, report.correct, report.duplicates) == (2, 2, 1)  # a/one as first labelled
    with pytest.raises(DataError, match="no such file"):
        evaluate_cards(tmp_path / "empty")


def test_real_labelled_cards_do_not_regress() -> None:
    """The real labelled cards (tests/data/lineage-cards, gzipped JSONL, 1,331 distinct models): held-back accuracy
    and precision of "has an upstream" stay at least what the issue-16 rules measured (78.9% and 96.8% on 393
    held-back cards, with parts e to u, labelled after most rules were written), and the tune part its own."""
    from conftest import REPO

    report = evaluate_cards(REPO / "tests" / "data" / "lineage-cards")
    assert report.n >= 1331, report.n
    held = report.where(part="held-back")
    assert held.n >= 393 and held.accuracy >= 0.785 and held.precision >= 0.965, (held.accuracy, held.precision)
    tune = report.where(part="tune")  # 862 of 938 since on-device formats, instruct versions, "adds X to"
    assert tune.n >= 938 and tune.accuracy >= 0.918, tune.accuracy
    # the edge's relation, where the parent is right and the label names one: 90.6% (859 cards), held-back 87.6%
    assert report.relation_agreement >= 0.9 and held.relation_agreement >= 0.87, (
        report.relation_agreement, held.relation_agreement)


def test_the_edges_relation_is_scored_where_the_parent_is_right(tmp_path: Path) -> None:
    rows = [
        {"model_id": "a/gguf", "card": "GGUF format model files for [X](https://huggingface.co/someone/base-x).\n",
         "upstream": "someone/base-x", "relation": "quantized"},               # right parent, right relation
        {"model_id": "a/tuned", "card": TRAINER.format(p="someone/base-y"), "upstream": "someone/base-y",
         "relation": "distillation"},                                          # right parent, relation disagrees
        {"model_id": "a/wrong", "card": TRAINER.format(p="someone/base-y"), "upstream": "someone/base-z",
         "relation": "finetune"},                                              # wrong parent: not scored
        {"model_id": "a/vague", "card": TRAINER.format(p="someone/base-y"), "upstream": "someone/base-y",
         "relation": "unknown"},                                               # the label names no relation
    ]
    report = evaluate_cards(_write(tmp_path / "cards.jsonl", rows))
    assert [r.model_id for r in report.relation_scored] == ["a/gguf", "a/tuned"]
    assert report.relation_agreement == 0.5
    result = CliRunner().invoke(app, ["lineage", "eval", str(tmp_path / "cards.jsonl"), "--mistakes", "none"])
    assert result.exit_code == 0 and "50.0% agree (2 cards)" in " ".join(result.output.split())
