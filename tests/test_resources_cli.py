"""`chainaudit resources status|build`: every resource listed with location, sha256 and how to get it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainaudit.cli import app

runner = CliRunner()
NAMES = ["wordnet", "stop words", "sentence encoder", "word vectors", "pos tagger", "gan", "scpn weights"]
OPTIONAL = {"gan", "scpn weights"}  # got on demand; their absence does not fail --check


def test_status_table_and_json() -> None:
    result = runner.invoke(app, ["resources", "status"])
    assert result.exit_code == 0, result.output
    for name in ("wordnet", "stop words", "word vectors", "pos tagger"):
        assert name in result.output
    result = runner.invoke(app, ["resources", "status", "--json", "--check"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["name"] for r in rows] == NAMES
    assert all(r["available"] for r in rows if r["name"] not in OPTIONAL)
    assert {r["name"] for r in rows if r["optional"]} == OPTIONAL
    by_name = {r["name"]: r for r in rows}
    assert len(by_name["wordnet"]["sha256"]) == 64
    assert len(by_name["sentence encoder"]["sha256"]) == 64
    assert "apt-get install wordnet-base" in by_name["wordnet"]["how_to_get"]


def test_status_names_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINAUDIT_WORDNET_DIR", str(tmp_path))
    result = runner.invoke(app, ["resources", "status", "--json", "--check",
                                 "--word-vectors", str(tmp_path / "nope.txt")])
    assert result.exit_code == 1
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert not rows["wordnet"]["available"] and "apt-get install wordnet-base" in rows["wordnet"]["detail"]
    assert not rows["word vectors"]["available"] and "counter-fitting" in rows["word vectors"]["detail"]
    assert rows["stop words"]["available"]
    table = runner.invoke(app, ["resources", "status"])
    assert table.exit_code == 0 and "missing" in table.output


def test_build_with_a_vectors_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINAUDIT_CACHE", str(tmp_path / "cache"))
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("good 1 0\ngreat 0.9 0.1\n", encoding="utf-8")
    result = runner.invoke(app, ["resources", "build", "--word-vectors", str(vectors)])
    assert result.exit_code == 0, result.output
    assert "sha256" in result.output and "2 words" in result.output
