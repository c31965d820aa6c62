"""The validity check of successes (`attacks.validity`): its verdicts on small pairs, its columns in the store, the
migration of an older database, and `valid_asr` in the summaries and the metrics."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from chainaudit.attacks.outcome import AttackOutcome, summarize
from chainaudit.attacks.runner import outcome_from_row
from chainaudit.attacks.validity import Calibration, Validity, ValidityChecker, checked
from chainaudit.data import Sample
from chainaudit.store import Store
from chainaudit.store.schema import MIGRATIONS, SCHEMA_VERSION
from chainaudit.study.metrics import asr_rows, valid_rate
from chainaudit.study.records import RunKey, stored_rows, write_outcome


def same(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """A sentence similarity that calls every pair identical (keeps MiniLM out of these tests)."""
    return np.ones(len(a))


CHECK = ValidityChecker(similarity=same)


def test_antonym_swap_is_flipped() -> None:
    v = CHECK.check("a good movie with a happy ending", "a bad movie with a happy ending", "pwws")
    assert v.meaning_flipped and not v.meaning_kept and not v.valid
    assert "antonym" in v.why


def test_sentiment_reversal_and_negation_are_flipped() -> None:
    assert CHECK.check("a charming film", "a cruel film", "textfooler").meaning_flipped  # Pattern polarity
    assert CHECK.check("it is funny", "it is not funny", "textfooler").meaning_flipped
    assert CHECK.check("it is n't funny", "it is now funny", "textfooler").meaning_flipped


def test_readable_typos_keep_the_meaning() -> None:
    for bugged in ("a terrib1e movie", "a terible movie", "a terrbile movie", "a ter rible movie"):
        v = CHECK.check("a terrible movie", bugged, "textbugger")
        assert v.meaning_kept and not v.meaning_flipped and v.valid, (bugged, v.why)
    v = CHECK.check("a bad movie", "a bed movie", "textbugger")  # a typo that makes another real word
    assert not v.meaning_kept


def test_rare_sense_synonym_is_not_kept_and_a_common_one_is() -> None:
    rare = CHECK.check("or doing last year 's taxes", "or doing utmost year 's taxes", "pwws")
    assert not rare.meaning_kept and "rare-sense" in rare.why
    common = CHECK.check("a sequence of ridiculous scenes", "a sequence of laughable scenes", "pwws")
    assert common.meaning_kept and common.valid, common.why


def test_independent_sentence_score_only_for_recipes_that_do_not_optimise_it() -> None:
    low = ValidityChecker(Calibration(sentence_min=0.8), similarity=lambda a, b: np.zeros(len(a)))
    assert not low.check("a sequence of ridiculous scenes", "a sequence of laughable scenes", "pwws").meaning_kept
    textbugger = low.check("a terrible movie", "a terrib1e movie", "textbugger@openattack")
    assert textbugger.meaning_kept and textbugger.similarity is None


def outcome(idx: int, kind: str, text: str | None = None, validity: Validity | None = None) -> AttackOutcome:
    sample = Sample("sst2", "validation", idx, "a terrible movie", 0)
    return AttackOutcome(sample, "textbugger", 0, kind, 0, 1 if kind == "succeeded" else 0, text, validity=validity)


def test_only_successes_are_checked() -> None:
    assert checked(outcome(0, "succeeded", "a terrib1e movie"), CHECK).validity.valid
    assert checked(outcome(1, "failed", "a terrible movie"), CHECK).validity is None
    assert checked(outcome(2, "error"), CHECK).validity is None


def test_validity_columns_round_trip_through_the_store(tmp_path: Path) -> None:
    key = RunKey("s", "m", "r", "textbugger", 0, "untargeted", "p")
    with Store(tmp_path / "v.db") as store:
        written = write_outcome(store, key, outcome(0, "succeeded", "a terrib1e movie"), replace=False)
        write_outcome(store, key, outcome(1, "failed", "a terrible movie"), replace=False)
        rows = stored_rows(store, key)
    success, failure = rows[("sst2", "validation", 0)], rows[("sst2", "validation", 1)]
    assert success["valid"] == 1 and success["meaning_kept"] == 1 and success["meaning_flipped"] == 0
    assert success["validity_version"] and success["validity_why"].startswith("kept")
    assert failure["valid"] is None and failure["validity_why"] is None
    back = outcome_from_row(success, outcome(0, "succeeded").sample).validity
    assert back is not None and written.validity is not None
    assert (back.valid, back.meaning_kept, back.why, back.score) == (True, True, written.validity.why, 1.0)


def test_an_old_database_gains_unchecked_validity_columns(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:3]:
        conn.executescript(script)
    conn.execute("PRAGMA user_version = 3")
    conn.execute("INSERT INTO attack_results (study_id, model_id, revision, dataset, split, idx, attack, seed, "
                 "outcome, perturbed_text, created_at) VALUES ('s', 'm', 'r', 'sst2', 'validation', 0, 'pwws', 0, "
                 "'succeeded', 'a fine movie', '2024-01-01T00:00:00+00:00')")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.version == SCHEMA_VERSION >= 4
        (row,) = store.select("attack_results")
    assert all(row[c] is None for c in Validity.COLUMNS) and row["perturbed_text"] == "a fine movie"
    assert Validity.from_columns(row) is None


def metric_rows() -> list[dict]:
    """2 valid successes, 1 invalid, 1 never checked, 2 failed, 1 skipped, 1 error."""
    outcomes = [("succeeded", 1), ("succeeded", 1), ("succeeded", 0), ("succeeded", None), ("failed", None),
                ("failed", None), ("skipped", None), ("error", None)]
    return [{"model_id": "m", "attack": "pwws", "dataset": "sst2", "goal": "untargeted", "outcome": o, "valid": v}
            for o, v in outcomes]


def test_valid_asr_arithmetic_in_the_metrics() -> None:
    rows = metric_rows()
    v = valid_rate(rows, "asr")  # 2 valid / (3 checked successes + 2 failed); the unchecked one is left out
    assert (v.k, v.n, v.value) == (2, 5, 0.4) and v.low is not None and v.low < 0.4 < v.high
    v_all = valid_rate(rows, "asr_all")  # (2 valid + 1 skipped) / (3 + 2 + 1)
    assert (v_all.k, v_all.n, v_all.value) == (3, 6, 0.5)
    targeted = [{**r, "goal": "targeted:0"} for r in rows]
    assert valid_rate(targeted, "asr_all").value == valid_rate(targeted, "asr").value == 0.4
    overall = next(r for r in asr_rows(rows, ("model_id", "attack", "dataset")) if r["scope"] == "all")
    assert overall["asr"] == pytest.approx(4 / 6) and overall["valid_asr"] == 0.4
    assert overall["valid_asr_all_n"] == 6 and overall["valid_asr_low"] is not None


def test_valid_asr_in_the_summary() -> None:
    ok = Validity(True, False, True, "kept", 1.0)
    bad = Validity(False, True, False, "flipped", 0.0)
    items = [outcome(0, "succeeded", "x", ok), outcome(1, "succeeded", "x", bad), outcome(2, "succeeded", "x"),
             outcome(3, "failed", "x"), outcome(4, "skipped")]
    s = summarize(items)
    assert (s.valid, s.unchecked) == (1, 1)
    assert s.valid_asr == pytest.approx(1 / 3) and s.valid_asr_all == pytest.approx(2 / 4)
