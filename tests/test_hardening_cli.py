"""Bad inputs a user can give on the command line: each is a one-line error naming the file, row or option
and the fix (exit status 2), never a traceback, never a silent wrong answer."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainaudit.cli import app
from chainaudit.store import Store

runner = CliRunner()
BAD_INPUTS = Path(__file__).parent / "data" / "bad_inputs"
EXPECTED = json.loads((BAD_INPUTS / "expected.json").read_text(encoding="utf-8"))


def _error(args: list[str]) -> str:
    """Run the CLI expecting a user error: exit 2, no traceback, the message on one logical line."""
    result = runner.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


def test_every_bad_file_has_an_expectation() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in BAD_INPUTS.iterdir() if p.name != "expected.json")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_dataset_files_are_one_line_errors_naming_the_file(name: str, tmp_path: Path) -> None:
    message = _error(["predict", "minilm", "--dataset", str(BAD_INPUTS / name), "-n", "3", "--split", "validation",
                      "--db", str(tmp_path / "r.db")])
    assert name in message
    assert EXPECTED[name] in message


def test_predict_refuses_a_negative_sample_count(tmp_path: Path) -> None:
    result = runner.invoke(app, ["predict", "minilm", "-n", "-5", "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 2 and "-n" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "r.db").exists()  # nothing ran


def test_chains_of_an_unknown_model_is_an_error_not_zero_descendants(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with Store(db) as store:
        store.upsert("models", [{"model_id": "a/base", "source": "jsonl"}])
    message = _error(["chains", "--of", "a/bsae", "--db", str(db)])
    assert "a/bsae" in message and "no such model" in message


def test_chains_refuses_a_negative_show(tmp_path: Path) -> None:
    result = runner.invoke(app, ["chains", "--show", "-3", "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 2 and "--show" in result.output and "Traceback" not in result.output


def test_export_of_a_missing_database_does_not_create_one(tmp_path: Path) -> None:
    message = _error(["export", "models", "--db", str(tmp_path / "typo.db"), "-o", str(tmp_path / "m.csv"),
                      "--format", "csv"])
    assert "no database at" in message and "typo.db" in message
    assert not (tmp_path / "typo.db").exists()


def test_export_into_a_missing_folder_is_refused_not_created(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    Store(db).close()
    message = _error(["export", "models", "--db", str(db), "-o", str(tmp_path / "nope" / "m.csv"), "-f", "csv"])
    assert "does not exist" in message
    assert not (tmp_path / "nope").exists()


def test_a_read_only_database_can_be_exported(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with Store(db) as store:
        store.upsert("models", [{"model_id": "a/m", "source": "jsonl", "downloads": 3}])
    with Store(db, readonly=True) as store, pytest.raises(sqlite3.OperationalError, match="readonly"):
        store.conn.execute("DELETE FROM models")
    result = runner.invoke(app, ["export", "models", "--db", str(db), "-o", str(tmp_path / "m.csv"), "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert "a/m" in (tmp_path / "m.csv").read_text()


def test_a_folder_given_as_database_is_named(tmp_path: Path) -> None:
    message = _error(["predict", "minilm", "--db", str(tmp_path), "-n", "1"])
    assert "is a folder" in message


def test_export_refuses_an_unknown_format(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "models", "--format", "xlsx", "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 2 and "xlsx" in result.output


@pytest.mark.parametrize(("command", "words"), [
    (["collect"], ["model_id", "card_text", "pipeline_tag", "downloads"]),
    (["finetune"], ["--batch-size", "optimiser step"]),
    (["attack"], ["--goal", "flip-prediction", "--target"]),
])
def test_help_explains_every_option(command: list[str], words: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], terminal_width=200)
    text = " ".join(result.output.split())
    assert result.exit_code == 0
    assert all(w in text for w in words), [w for w in words if w not in text]


def test_every_option_of_every_command_has_help() -> None:
    import typer.main

    group = typer.main.get_command(app)
    missing = []

    def walk(cmd: object, path: str) -> None:
        for param in getattr(cmd, "params", []):
            if param.param_type_name == "option" and not getattr(param, "help", None) and param.name != "help":
                missing.append(f"{path} {param.opts[0]}")
            if param.param_type_name == "argument" and not getattr(param, "help", None):
                missing.append(f"{path} {param.name}")
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(group, "chainaudit")
    assert missing == []
