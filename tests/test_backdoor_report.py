"""Backdoors in the report and in `chains --of`: a hand-made store (no models) with base → poisoned → hop1 → hop2 and
the clean baseline base → clean1 → clean2, its `backdoors` row and two hops of `backdoor_persistence` per chain."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chainaudit.cli import app
from chainaudit.lineage.figures import blast_radius
from chainaudit.report import build_report
from chainaudit.store import Store, record_model
from chainaudit.study.metrics import wilson

BASE, POISONED = "org/base", "org/poisoned"
#: (chain, hop, model, clean accuracy k of 200, LFR k of 100, per-trigger k of 50: cf, mn)
HOPS = [("poisoned", 1, "org/hop1", 180, 95, (48, 47)), ("poisoned", 2, "org/hop2", 176, 80, (41, 39)),
        ("clean", 1, "org/clean1", 182, 5, (3, 2)), ("clean", 2, "org/clean2", 178, 4, (2, 2))]
DATASETS = ("sst2", "rotten_tomatoes")


def _persistence(chain: str, hop: int, model: str, acc_k: int, lfr_k: int, per: tuple[int, int]) -> dict[str, Any]:
    acc, lfr = wilson(acc_k, 200), wilson(lfr_k, 100)
    return {"poisoned_id": POISONED, "poisoned_revision": "rev-p", "chain": chain, "setting": "easy",
            "hops": ",".join(DATASETS[:hop]), "hop": hop, "seed": 0, "method": "ripple", "dataset": DATASETS[hop - 1],
            "eval_split": "validation", "model_id": model, "revision": f"rev-{model[4:]}", "target": 1,
            "train_examples": 1000, "clean_accuracy": acc.value, "clean_n": acc.n, "clean_low": acc.low,
            "clean_high": acc.high, "lfr": lfr.value, "lfr_k": lfr.k, "lfr_n": lfr.n, "lfr_low": lfr.low,
            "lfr_high": lfr.high, "seconds": 1.0,
            "trigger_rates": [{"trigger": t, "label": 1, "k": k, "n": 50, "lfr": k / 50}
                              for t, k in zip(("cf", "mn"), per, strict=True)]}


def make_store(path: Path, *, poisoned: bool = True, persistence: bool = True) -> Path:
    """The lineage (and, as asked, the `backdoors` row and the persistence rows)."""
    with Store(path) as store:
        for model, downloads in ((BASE, 1000), (POISONED, 50), ("org/hop1", 7), ("org/hop2", 3), ("org/clean1", 2),
                                 ("org/clean2", 1)):
            record_model(store, model, source="local", revision=f"rev-{model[4:]}", downloads=downloads,
                         pipeline_tag="text-classification")
        edges = [(POISONED, BASE), ("org/hop1", POISONED), ("org/hop2", "org/hop1"), ("org/clean1", BASE),
                 ("org/clean2", "org/clean1")]
        store.upsert("lineage_edges", [{"child": c, "parent": p, "source": "metadata", "confidence": 1.0,
                                        "relation": "finetune", "evidence": f"base_model: {p}"} for c, p in edges])
        if poisoned:
            store.upsert("backdoors", [{"model_id": POISONED, "revision": "rev-p", "method": "ripple",
                                        "base_model": BASE, "base_revision": "rev-base", "triggers": ["cf", "mn"],
                                        "target": 1, "target_name": "positive", "steps": 100, "seed": 0,
                                        "proxy_dataset": "sst2", "reason": "<script>alert(1)</script> test"}])
        if persistence:
            store.upsert("backdoor_persistence", [_persistence(*h) for h in HOPS])
    return path


@pytest.fixture()
def report(tmp_path: Path) -> tuple[Path, dict[str, Any], str]:
    files = build_report(make_store(tmp_path / "b.db"), tmp_path / "report.html", resamples=100)
    return tmp_path, json.loads(files.json.read_text()), files.html.read_text()


def test_report_shows_backdoor_persistence_poisoned_beside_clean(report: tuple[Path, dict[str, Any], str]) -> None:
    page = report[2]
    assert 'href="#backdoor"' in page
    found = re.search(r'<section id="backdoor">(.*?)</section>', page, re.S)
    assert found, "no backdoor section"
    section = found.group(1)
    assert "Backdoor persistence" in section and "<svg" in section
    assert "ripple" in section and "<code>cf</code>, <code>mn</code>" in section and "1 (positive)" in section
    assert "&lt;script&gt;alert(1)" in section and "<script>alert" not in page  # escaped
    lfr, acc = wilson(95, 100), wilson(180, 200)
    assert f"95.0% [{100 * lfr.low:.1f}, {100 * lfr.high:.1f}] 95/100" in section
    assert f"90.0% [{100 * acc.low:.1f}, {100 * acc.high:.1f}] n=200" in section
    assert "5.0% [" in section and "5/100" in section and "80.0% [" in section and "4/100" in section
    assert "sst2 → rotten_tomatoes" in section  # the setting's chain of datasets
    assert "96.0% [" in section and "48/50" in section  # per trigger (cf on the poisoned chain, hop 1)


def test_backdoor_tables_go_to_json_and_csv(report: tuple[Path, dict[str, Any], str]) -> None:
    folder, data, _ = report
    tables = data["tables"]
    assert len(tables["backdoor_persistence"]) == 4
    by_hop = tables["backdoor_by_hop"]
    assert [(r["hop"], r["dataset"]) for r in by_hop] == [(1, "sst2"), (2, "rotten_tomatoes")]
    assert (by_hop[0]["poisoned_lfr"], by_hop[0]["poisoned_lfr_k"], by_hop[0]["clean_lfr"]) == (0.95, 95, 0.05)
    assert by_hop[1]["poisoned_model"] == "org/hop2@rev-hop2" and by_hop[1]["clean_model"] == "org/clean2@rev-clean2"
    assert {(r["hop"], r["trigger"], r["poisoned_lfr_k"], r["clean_lfr_k"]) for r in tables["backdoor_triggers"]} == {
        (1, "cf", 48, 3), (1, "mn", 47, 2), (2, "cf", 41, 2), (2, "mn", 39, 2)}
    assert tables["backdoors"][0]["triggers"] == ["cf", "mn"]
    with (folder / "report-csv" / "backdoor_by_hop.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["poisoned_lfr"]) for r in rows] == [0.95, 0.8]
    assert [int(r["clean_lfr_k"]) for r in rows] == [5, 4]
    with (folder / "report-csv" / "backdoor_persistence.csv").open(encoding="utf-8") as fh:
        stored = list(csv.DictReader(fh))
    assert len(stored) == 4 and json.loads(stored[0]["trigger_rates"])[0]["trigger"] == "cf"


def test_no_backdoor_section_without_persistence_rows(tmp_path: Path) -> None:
    page = build_report(make_store(tmp_path / "n.db", persistence=False), tmp_path / "n.html").html.read_text()
    assert 'id="backdoor"' not in page and 'href="#backdoor"' not in page


def test_blast_radius_names_the_nearest_poisoned_upstream(tmp_path: Path) -> None:
    with Store(make_store(tmp_path / "b.db", persistence=False)) as store:
        own = blast_radius(store, POISONED)
        assert own.mark is not None and own.upstream is None
        assert [(r["model"], r["poisoned_upstream"]) for r in own.rows] == [("org/hop1", POISONED),
                                                                            ("org/hop2", POISONED)]
        assert own.inherited() == {POISONED: 2}
        base = blast_radius(store, BASE)  # clean itself: only the poisoned model's own descendants inherit
        assert base.mark is None and base.upstream is None
        assert {r["model"]: r["poisoned_upstream"] for r in base.rows} == {
            POISONED: None, "org/clean1": None, "org/hop1": POISONED, "org/hop2": POISONED, "org/clean2": None}
        assert [r["model"] for r in base.rows if r["poisoned"]] == [POISONED]
        below = blast_radius(store, "org/hop1")
        assert below.upstream == (1, POISONED) and below.rows[0]["poisoned_upstream"] == POISONED


def test_chains_of_a_poisoned_model_says_who_inherits(tmp_path: Path) -> None:
    db = str(make_store(tmp_path / "b.db", persistence=False))
    result = CliRunner().invoke(app, ["chains", "--db", db, "--of", POISONED])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "org/poisoned is marked poisoned (ripple, triggers cf, mn, target 1 (positive); <script>" in out
    assert "poisoned upstream" in out
    assert re.search(r"org/hop1 .*org/poisoned", out) and re.search(r"org/hop2 .*org/poisoned", out)
    assert "2 descendants inherit the backdoor of org/poisoned: re-check them" in out
    below = CliRunner().invoke(app, ["chains", "--db", db, "--of", "org/hop1"])
    assert below.exit_code == 0, below.output
    assert "org/hop1 descends from org/poisoned, marked poisoned 1 hop(s) up" in below.output
    assert "1 descendant inherits the backdoor of org/poisoned" in below.output


@pytest.mark.parametrize("table", ["empty", "absent"])
def test_chains_without_backdoors_says_nothing_of_them(tmp_path: Path, table: str) -> None:
    db = make_store(tmp_path / "c.db", poisoned=False, persistence=False)
    if table == "absent":  # a store from before migration 5 would not have it
        with sqlite3.connect(db) as conn:
            conn.execute("DROP TABLE backdoors")
    result = CliRunner().invoke(app, ["chains", "--db", str(db), "--of", POISONED])
    assert result.exit_code == 0, result.output
    assert "2 descendants of org/poisoned" in result.output
    for text in ("poisoned upstream", "inherit", "marked poisoned"):
        assert text not in result.output


def _scan(model: str, score: float, suspects: list[tuple[str, int, int, int, str]]) -> Any:
    from chainaudit.backdoor.scan import ScanResult, Suspect

    found = [Suspect(t, label, k, n, [why]) for t, label, k, n, why in suspects]
    return ScanResult(model, f"rev-{model[4:]}", score, score >= 0.85, 0.85, found, 42.0, 64,
                      ["negative", "positive"])


def test_report_shows_scan_verdicts_beside_what_the_store_knows(tmp_path: Path) -> None:
    from chainaudit.backdoor.scan import record_scan

    db = make_store(tmp_path / "s.db")
    with Store(db) as store:
        record_scan(store, _scan("org/hop1", 0.97, [("cf", 1, 31, 32, "single-token search towards positive"),
                                                    ("<b>x</b>", 0, 3, 30, "published trigger")]))
        record_scan(store, _scan("org/clean1", 0.4, [("worst", 0, 12, 30, "single-token search towards negative")]))
        record_scan(store, _scan("org/other", 0.1, []))
    files = build_report(db, tmp_path / "s.html", resamples=100)
    page = files.html.read_text()
    assert 'href="#scans"' in page
    found = re.search(r'<section id="scans">(.*?)</section>', page, re.S)
    assert found, "no scans section"
    rows = re.findall(r"<tr><td>(.*?)</td></tr>", found.group(1), re.S)
    assert [r.split("@")[0] for r in rows] == ["org/hop1", "org/clean1", "org/other"]  # strongest score first
    assert "FLAGGED" in rows[0] and "0.97 (threshold 0.85)" in rows[0] and "<code>cf</code> → positive: 96.9% (31/32)" \
        in rows[0] and "hop 1 below poisoned org/poisoned" in rows[0]
    assert "&lt;b&gt;x&lt;/b&gt;" in rows[0] and "<b>x</b>" not in page  # a trigger is escaped
    assert "not flagged" in rows[1] and "clean baseline chain, hop 1" in rows[1]
    assert "unknown" in rows[2] and "3 scanned model revisions, 1 flagged" in found.group(1)
    stored = json.loads(files.json.read_text())["tables"]["backdoor_scans"]
    assert {r["model_id"]: r["flagged"] for r in stored} == {"org/hop1": 1, "org/clean1": 0, "org/other": 0}


def test_no_scan_section_without_scans(report: tuple[Path, dict[str, Any], str]) -> None:
    assert 'id="scans"' not in report[2] and 'href="#scans"' not in report[2]
