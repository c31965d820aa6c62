"""The report: built from a hand-made store, it shows that store's numbers; sections, errors, self-containment; the
CLI; and (slow) the page in headless Chromium with a working example browser."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chainaudit.cli import app
from chainaudit.report import build_report
from chainaudit.report.examples import mark_changes
from chainaudit.store import Store
from chainaudit.study.metrics import asr, asr_all, delta

UP, DOWN = ("org/up", "rev-up"), ("org/down", "rev-down")
#: Outcomes per sample index 0..9 on the upstream and the downstream (s succeeded, f failed, k skipped, e error).
UP_OUTCOMES = "sssssffkes"
DOWN_OUTCOMES = "ssssfsfkss"
CODES = {"s": "succeeded", "f": "failed", "k": "skipped", "e": "error"}


def _result(model: tuple[str, str], idx: int, outcome: str, *, params: str = "p1", attack: str = "pwws",
            created: str = "2026-01-02T00:00:00+00:00") -> dict[str, Any]:
    succeeded = outcome == "succeeded"
    return {"study_id": "s1", "model_id": model[0], "revision": model[1], "dataset": "sst2", "split": "validation",
            "idx": idx, "attack": attack, "seed": 0, "goal": "untargeted", "params": params, "outcome": outcome,
            "gold_label": 1, "original_pred": 0 if outcome == "skipped" else 1,
            "perturbed_pred": 0 if succeeded else None, "original_text": f"a good movie number {idx}",
            "perturbed_text": f"a fine movie number {idx}" if succeeded else None, "queries": 5,
            "words_changed": 1 if succeeded else None, "valid": (idx % 2 == 0) if succeeded else None,
            "error": "ValueError: boom (at x.py:1)" if outcome == "error" else None, "created_at": created}


def _rows() -> list[dict[str, Any]]:
    rows = [_result(UP, i, CODES[c]) for i, c in enumerate(UP_OUTCOMES)]
    rows += [_result(DOWN, i, CODES[c]) for i, c in enumerate(DOWN_OUTCOMES)]
    rows += [_result(UP, i, "failed", attack="textfooler") for i in range(4)]
    rows += [_result(DOWN, i, "succeeded" if i < 3 else "failed", attack="textfooler") for i in range(4)]
    return rows


def make_store(path: Path) -> Path:
    with Store(path) as store:
        store.upsert("models", [
            {"model_id": "org/base", "source": "hub", "downloads": 10_000, "pipeline_tag": "fill-mask"},
            {"model_id": "org/up", "source": "hub", "downloads": 500, "pipeline_tag": "text-classification"},
            {"model_id": "org/down", "source": "hub", "downloads": 7, "pipeline_tag": "text-classification"},
            {"model_id": "org/side", "source": "hub", "downloads": 0, "pipeline_tag": "text-classification"},
            {"model_id": "org/lonely", "source": "hub", "downloads": 3},
        ])
        store.upsert("lineage_edges", [
            {"child": "org/up", "parent": "org/base", "source": "metadata", "confidence": 1.0, "relation": "finetune",
             "evidence": "base_model: org/base"},
            {"child": "org/down", "parent": "org/up", "source": "card-text", "confidence": 0.8,
             "relation": "finetune", "evidence": "fine-tuned from org/up"},
            {"child": "org/side", "parent": "org/base", "source": "tag", "confidence": 0.9, "relation": "finetune"},
        ])
        chain = [[{"id": UP[0], "revision": UP[1]}, {"id": DOWN[0], "revision": DOWN[1]}]]
        store.upsert("studies", [{"study_id": "s1", "name": "s1", "config": {"name": "s1", "chains": chain}}])
        store.upsert("attack_results", _rows())
        # an older run of the upstream with other parameters: superseded, never counted
        store.upsert("attack_results", [_result(UP, i, "succeeded", params="p0", created="2025-01-01T00:00:00+00:00")
                                        for i in range(3)])
        store.upsert("transfer_replays", [
            {"study_id": "s1", "upstream_id": UP[0], "upstream_revision": UP[1], "downstream_id": DOWN[0],
             "downstream_revision": DOWN[1], "dataset": "sst2", "split": "validation", "idx": i, "attack": "pwws",
             "seed": 0, "goal": "untargeted", "params": "p1", "gold_label": 1, "upstream_pred": 0,
             "downstream_clean_pred": 1, "downstream_pred": 0 if i < 2 else 1} for i in range(5)])
    return path


@pytest.fixture()
def report(tmp_path: Path) -> tuple[Path, dict[str, Any], str]:
    files = build_report(make_store(tmp_path / "r.db"), tmp_path / "report.html", resamples=200)
    return tmp_path, json.loads(files.json.read_text()), files.html.read_text()


def _one(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


def test_report_shows_the_numbers_of_its_store(report: tuple[Path, dict[str, Any], str]) -> None:
    folder, data, page = report
    tables = data["tables"]
    up = _one(tables["asr"], scope="model", model="org/up@rev-up")
    assert (up["asr_k"], up["asr_n"]) == (6, 12)  # pwws: 6 succeeded, 2 failed; textfooler: 4 failed
    mine = [_result(UP, i, CODES[c]) for i, c in enumerate(UP_OUTCOMES)]
    pwws = _one(tables["asr"], scope="group", model="org/up@rev-up", attack="pwws")
    assert (pwws["asr"], pwws["asr_n"]) == (asr(mine).value, 8)
    assert (pwws["asr_all"], pwws["asr_all_n"]) == (asr_all(mine).value, 9)  # the skipped sample counts as flipped
    assert (pwws["valid_asr_k"], pwws["valid_asr_n"]) == (3, 8)  # successes at even idx 0, 2, 4 are valid
    assert f"{100 * asr_all(mine).value:.1f}%" in page
    rows = _rows()
    want = delta(rows, "org/up@rev-up", "org/down@rev-down", convention="asr_all", attack="pwws", resamples=200)
    got = _one(tables["delta"], attack="pwws", convention="asr_all")
    assert (got["delta"], got["n"], got["b"], got["c"]) == (want.delta, want.n, want.b, want.c)
    assert f"{100 * want.delta:+.1f} pp" in page
    tf = _one(tables["transfer_by_attack"], attack="textfooler")
    assert tf["rate_n"] == 0 and tf["ordinary_k"] == 3 and tf["ordinary_n"] == 4
    assert _one(tables["replay_by_attack"], attack="pwws")["replay_k"] == 2
    counts = _one(tables["outcomes"], model="org/up@rev-up", attack="pwws")
    assert (counts["succeeded"], counts["failed"], counts["skipped"], counts["error"]) == (6, 2, 1, 1)
    assert data["meta"]["superseded_rows"] == 3 and data["meta"]["result_rows"] == 28
    assert "<b>1 errors</b>" in page and "ValueError: boom" in page
    top = _one(tables["rq1_top_upstreams"], model="org/base")
    assert top["downstream"] == 2 and top["downloads"] == 10_000
    assert _one(tables["rq1_blast_radius"], model="org/base")["downloads"] == 507  # up, down, side
    lengths = {r["models"]: r["chains"] for r in tables["rq1_chain_lengths"]}
    assert lengths[3] == 1 and lengths[2] == 1  # base → up → down, base → side
    assert (folder / "report-csv" / "asr.csv").read_text().count("\n") == len(tables["asr"]) + 1
    successes = sum(r["outcome"] == "succeeded" for r in rows)
    assert (folder / "report-csv" / "examples.csv").read_text().count("fine movie") == successes  # not superseded


def test_sections_browser_and_self_contained(report: tuple[Path, dict[str, Any], str]) -> None:
    _, _, page = report
    for ident in ("rq1", "rq2", "rq3", "chain-0", "errors"):
        assert f'id="{ident}"' in page
    assert 'id="backdoor"' not in page
    assert "card-text (confidence 0.80" in page  # how the chain's edge was found
    examples = json.loads(re.search(r'id="examples-0">(.*?)</script>', page, re.S).group(1))
    marked = next(e for e in examples if e["outcome"] == "succeeded")
    assert marked["original"].startswith("a <del>good</del> movie") and marked["perturbed"].startswith("a <mark>fine")
    assert len(examples) == 28 and {e["outcome"] for e in examples} == {"succeeded", "failed", "skipped", "error"}
    assert page.count("<svg") >= 6  # Fig. 4, 5, 6, 7, 8, 9, 10 and the chain's δ
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    assert "<link" not in page and "<script src" not in page
    assert "The paper's repeated runs" in page and "72.7%" in page  # labelled as the paper's, with its source
    assert "78.57%" in page


def test_empty_store_says_so_and_the_backdoor_section_is_conditional(tmp_path: Path) -> None:
    Store(tmp_path / "e.db").close()
    page = build_report(tmp_path / "e.db", tmp_path / "e.html").html.read_text()
    assert "The catalog is empty" in page and "no attack results" in page.lower()
    assert 'id="backdoor"' not in page  # the table exists (migration 5) but holds no rows
    with sqlite3.connect(tmp_path / "e.db") as conn:
        conn.execute("INSERT INTO backdoor_persistence (poisoned_id, poisoned_revision, chain, setting, hops, hop, "
                     "seed, method, dataset, eval_split, model_id, revision, lfr, lfr_k, lfr_n, lfr_low, lfr_high, "
                     "created_at) VALUES ('org/up', 'r', 'poisoned', 'easy', 'sst2', 1, 0, 'ripple', 'sst2', "
                     "'validation', 'org/hop1', 'r1', 0.9, 9, 10, 0.6, 0.98, '2026-01-01')")
    page = build_report(tmp_path / "e.db", tmp_path / "e.html").html.read_text()
    assert 'id="backdoor"' in page and "90.0%" in page


def test_cli_report_and_unknown_study(tmp_path: Path) -> None:
    db = str(make_store(tmp_path / "r.db"))
    runner = CliRunner()
    done = runner.invoke(app, ["report", "--db", db, "--out", str(tmp_path / "x.html"), "--resamples", "100"])
    assert done.exit_code == 0, done.output
    assert "x.html" in done.output and (tmp_path / "x.json").is_file()
    bad = runner.invoke(app, ["report", "--db", db, "--study", "nope", "--out", str(tmp_path / "y.html")])
    assert bad.exit_code == 2 and "no such study" in bad.output


def test_report_of_a_tiny_study_run(tiny_model_dir: Path, fragile_model: Path, keyword_data: Path,
                                    tmp_path: Path) -> None:
    """Rows written by the study driver (local models: no revision in the config, content hashes in the rows)."""
    from attack_helpers import tiny_chain_study, tiny_resources
    from chainaudit.study.config import StudyConfig
    from chainaudit.study.run import run_study

    config = StudyConfig.model_validate(tiny_chain_study(fragile_model, tiny_model_dir, keyword_data))
    with Store(tmp_path / "t.db") as store:
        run_study(config, store, resources=tiny_resources())
        stored = store.count("attack_results")
    files = build_report(tmp_path / "t.db", tmp_path / "t.html", resamples=200)
    tables = json.loads(files.json.read_text())["tables"]
    assert sum(r["total"] for r in tables["outcomes"]) == stored
    assert tables["delta"] and all("@sha256:" in r["up"] for r in tables["delta"])
    assert tables["replay_by_attack"] and 'id="chain-0"' in files.html.read_text()


def test_mark_changes_escapes() -> None:
    assert mark_changes("<b> x", "<b> y") == ("&lt;b&gt; <del>x</del>", "&lt;b&gt; <mark>y</mark>")


# ------------------------------------------------------------------------------------------------ in Chromium
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parent / "output" / "report.png"


@pytest.mark.slow
def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    if not Path(CHROMIUM).is_file():
        pytest.skip("chromium is not installed (apt-get install chromium; ./install.sh tries it)")
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright (the dev extra) is not installed")
    files = build_report(make_store(tmp_path / "r.db"), tmp_path / "report.html", resamples=200)
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: errors.append(f"network request {r.url}") if not r.url.startswith(
            ("file:", "data:", "about:")) else None)
        started = time.perf_counter()
        page.goto(files.html.as_uri())
        loaded = time.perf_counter() - started
        for ident in ("rq1", "rq2", "rq3", "chain-0", "errors"):
            assert page.locator(f"#{ident}").count() == 1
            assert page.locator(f"#{ident} svg, #{ident} table").count() > 0, ident
            assert page.locator(f"#{ident} .empty").count() == 0, ident
        rows = page.locator("#chain-0 table.examples tbody tr")
        assert rows.count() == 28
        page.select_option("#chain-0 .f-attack", "textfooler")
        assert rows.count() == 8
        page.select_option("#chain-0 .f-outcome", "succeeded")
        assert rows.count() == 3 and page.locator("#chain-0 .shown").inner_text() == "3 of 28 rows shown"
        page.select_option("#chain-0 .f-attack", "all")
        page.select_option("#chain-0 .f-outcome", "error")
        assert rows.count() == 1 and "boom" in rows.first.inner_text()
        page.select_option("#chain-0 .f-outcome", "all")
        page.click("#chain-0 th[data-key='idx']")
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        browser.close()
    print(f"screenshot: {SCREENSHOT} (page loaded in {loaded:.2f}s)")
    assert errors == []


def test_long_model_names_tilt_their_tick_labels() -> None:
    """Fig. 6's three demo models have long names: side by side they overlap, so the labels are tilted."""
    from chainaudit.report.figures import rate_bars

    rows = [{"name": f"chainaudit-demo/minilm-sst2{s}", "asr": 0.5, "asr_low": 0.3, "asr_high": 0.7}
            for s in ("", "-rt", "-amazon")]
    assert 'rotate(-30' in rate_bars(rows, lambda r: r["name"], ["asr"], "ASR per model")
    short = [{**r, "name": n} for r, n in zip(rows, ("a", "b", "c"), strict=True)]
    assert 'rotate(-30' not in rate_bars(short, lambda r: r["name"], ["asr"], "ASR per model")


def test_rq1_section_states_the_edges_counted_and_the_cycles_broken(tmp_path: Path) -> None:
    from chainaudit.lineage.graph import EdgeFilter

    db = make_store(tmp_path / "r.db")
    with Store(db) as store:  # a reversed link from the base back to its fine-tuned model: a cycle
        store.upsert("lineage_edges", [{"child": "org/base", "parent": "org/up", "source": "card-text",
                                        "confidence": 0.4, "relation": "unknown"}])
    files = build_report(db, tmp_path / "all.html", resamples=100)
    page, tables = files.html.read_text(), json.loads(files.json.read_text())["tables"]
    caption = ("edges counted: every relation; any confidence; 4 of 4 edges in the store (3 distinct "
               "upstream–downstream pairs; 1 cycle edge left out)")
    assert page.count(caption) >= 3  # the chain-length figure, Table 1 and the blast radius each say it
    assert "Cycles in the lineage" in page and "1 cycle(s) broken" in page
    assert "org/up → org/base (0.40)</td></tr>" in page  # the dropped edge, in the cycle's row
    assert [(r["parent"], r["child"], r["dropped"]) for r in tables["rq1_broken_cycles"]] == [
        ("org/base", "org/up", False), ("org/up", "org/base", True)]
    assert _one(tables["rq1_summary"], figure="edges_counted.caption")["value"] == caption
    files = build_report(db, tmp_path / "ft.html", resamples=100, edges=EdgeFilter(("finetune",), 0.85))
    page, tables = files.html.read_text(), json.loads(files.json.read_text())["tables"]
    assert ("edges counted: relations finetune; confidence ≥ 0.85; 2 of 4 edges in the store (2 distinct "
            "upstream–downstream pairs)") in page  # org/down (0.80) and the 0.40 back edge are not counted
    assert "Cycles in the lineage" not in page and tables["rq1_broken_cycles"] == []
    assert _one(tables["rq1_top_upstreams"], model="org/base")["downstream"] == 2
    assert {r["models"]: r["chains"] for r in tables["rq1_chain_lengths"]} == {2: 2}


def test_a_delta_figure_with_long_hop_labels_keeps_its_plot_area() -> None:
    import warnings

    from chainaudit.report import figures
    rows = [{"delta": 0.1 * i, "low": 0.1 * i - 0.05, "high": 0.1 * i + 0.05, "n": 50, "convention": conv,
             "label": f"someone/a-long-upstream-model-name-{i} → someone/a-long-downstream-model-name-{i} · "
                      f"textfooler · rotten_tomatoes"} for i in range(3) for conv in ("asr", "asr_all")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns when the tick labels leave the axes no room
        svg = figures.interval_rows(rows, lambda r: r["label"], "Chain 1: δ per hop and attack")
    assert svg.startswith("<svg") and "a-long-downstream-model-name-2" in svg
