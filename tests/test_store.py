"""The results database: migrations, idempotent writes, resume keys, export."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from chainaudit.errors import StoreError
from chainaudit.store import Store, export_table, record_model, record_models
from chainaudit.store.schema import SCHEMA_VERSION


def result(idx: int, outcome: str = "succeeded", **extra) -> dict:
    return {"study_id": "s", "model_id": "m", "revision": "r", "dataset": "sst2", "split": "validation",
            "idx": idx, "attack": "pwws", "seed": 0, "goal": "untargeted", "params": "", "outcome": outcome, **extra}


def test_new_database_is_wal_and_current(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        assert store.version == SCHEMA_VERSION
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert {"models", "lineage_edges", "studies", "attack_results", "evaluations"} <= set(store.tables())


def test_old_database_is_migrated_forward(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chainaudit.store import schema

    path = tmp_path / "old.db"
    with Store(path) as store:
        store.upsert("models", [{"model_id": "a/b", "source": "hub"}])
    extra = "CREATE TABLE newer (k TEXT PRIMARY KEY, v TEXT);"
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, extra])
    monkeypatch.setattr("chainaudit.store.db.MIGRATIONS", [*schema.MIGRATIONS])
    monkeypatch.setattr("chainaudit.store.db.SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with Store(path) as store:
        assert store.version == SCHEMA_VERSION + 1
        assert "newer" in store.tables()
        assert store.select("models")[0]["model_id"] == "a/b"  # data kept


def test_database_from_a_newer_chainaudit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this chainaudit"):
        Store(path)


def test_insert_new_skips_stored_keys_so_reruns_write_nothing_twice(tmp_path: Path) -> None:
    with Store(tmp_path / "r.db") as store:
        assert store.insert_new("attack_results", [result(0), result(1)]) == 2
        assert store.insert_new("attack_results", [result(1, "failed"), result(2)]) == 1
        rows = {r["idx"]: r["outcome"] for r in store.select("attack_results")}
        assert rows == {0: "succeeded", 1: "succeeded", 2: "succeeded"}
        assert store.keys("attack_results", {"study_id": "s"}) == {
            ("s", "m", "r", "sst2", "validation", i, "pwws", 0, "untargeted", "") for i in range(3)}


def test_upsert_replaces_and_round_trips_json(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        store.upsert("models", [{"model_id": "a/b", "source": "hub", "tags": ["x"], "downloads": 1}])
        store.upsert("models", [{"model_id": "a/b", "source": "hub", "tags": ["x", "y"], "downloads": 5}])
        (row,) = store.select("models")
        assert row["tags"] == ["x", "y"] and row["downloads"] == 5


def test_record_model_merges_without_erasing_what_is_known(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        record_model(store, "a/b", source="local", revision="sha256:1", path="/models/b",
                     id2label={"0": "neg", "1": "pos"})  # an evaluation or attack run records it first
        (row,) = store.select("models")
        assert row["created_at"] is None and row["updated_at"]  # created_at is the Hub's date, not a stamp
        record_models(store, [{"model_id": "a/b", "source": "hub", "revision": "c0ffee", "downloads": 7,
                               "tags": ["x"], "created_at": "2024-01-01T00:00:00+00:00", "card_text": "hi",
                               "path": None, "id2label": None}])  # then the catalog: None keeps the stored value
        record_model(store, "a/b", source="hub", revision="c0ffee")  # an attack run with a Hub victim
        (row,) = store.select("models")
        assert (row["source"], row["revision"], row["path"], row["downloads"], row["card_text"]) == \
            ("hub", "c0ffee", "/models/b", 7, "hi")
        assert row["id2label"] == {"0": "neg", "1": "pos"} and row["tags"] == ["x"]
        assert row["created_at"] == "2024-01-01T00:00:00+00:00"
        record_model(store, "a/b", source="hub", downloads=9, tags=[])  # a given value replaces, even empty
        (row,) = store.select("models")
        assert row["downloads"] == 9 and row["tags"] == [] and row["card_text"] == "hi"


def test_record_models_bulk_joins_transactions_and_checks_rows(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        rows = [{"model_id": f"m{i}", "source": "jsonl", **({"likes": i} if i % 2 else {"tags": ["t"]})}
                for i in range(5)]
        with store.transaction():
            assert record_models(store, rows) == 5
        assert {r["model_id"]: (r["likes"], r["tags"]) for r in store.select("models")} == {
            "m0": (None, ["t"]), "m1": (1, None), "m2": (None, ["t"]), "m3": (3, None), "m4": (None, ["t"])}
        with pytest.raises(StoreError, match="no column"):
            record_model(store, "a", source="hub", colour="red")
        with pytest.raises(StoreError, match="needs model_id and source"):
            record_models(store, [{"model_id": "a"}])
        with pytest.raises(StoreError, match="needs model_id and source"):
            record_model(store, "", source="hub")
        assert store.count("models") == 5


def test_failed_batch_writes_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "t.db") as store:
        with pytest.raises(sqlite3.IntegrityError):
            store.insert_new("attack_results", [result(0), result(1, outcome="exploded")])
        assert store.count("attack_results") == 0


def test_bad_rows_and_tables_get_clear_errors(tmp_path: Path) -> None:
    with Store(tmp_path / "e.db") as store:
        with pytest.raises(StoreError, match="no column"):
            store.upsert("models", [{"model_id": "a", "source": "hub", "colour": "red"}])
        with pytest.raises(StoreError, match="lacks key"):
            store.upsert("models", [{"source": "hub"}])
        with pytest.raises(StoreError, match="no table 'nope'"):
            store.count("nope")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_writes_every_row(tmp_path: Path, fmt: str) -> None:
    with Store(tmp_path / "x.db") as store:
        store.insert_new("attack_results", [result(i, extra={"k": i}) for i in range(5)])
        path, rows = export_table(store, "attack_results", fmt, tmp_path / f"out.{fmt}")  # type: ignore[arg-type]
    frame = pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)
    assert rows == 5 and len(frame) == 5 and sorted(frame["idx"]) == list(range(5))


def test_export_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from chainaudit.cli import app

    db = tmp_path / "c.db"
    with Store(db) as store:
        store.upsert("models", [{"model_id": "a/b", "source": "hub"}])
    runner = CliRunner()
    ok = runner.invoke(app, ["export", "models", "--format", "csv", "--out", str(tmp_path / "m.csv"), "--db", str(db)])
    assert ok.exit_code == 0, ok.output
    assert pd.read_csv(tmp_path / "m.csv")["model_id"].tolist() == ["a/b"]
    bad = runner.invoke(app, ["export", "nope", "--db", str(db)])
    assert bad.exit_code == 2 and "no table 'nope'" in bad.output


def test_mean_is_computed_over_the_matching_rows_only(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        store.insert_new("attack_results", [result(0, seconds=1.0), result(1, seconds=3.0),
                                            result(2, "error", seconds=100.0), result(3, seconds=None)])
        assert store.mean("attack_results", "seconds", {"study_id": "s"}, {"outcome": "error"}) == 2.0
        assert store.mean("attack_results", "seconds", {"study_id": "s"}) == pytest.approx(104 / 3)
        assert store.mean("attack_results", "seconds", {"study_id": "other"}) is None
        with pytest.raises(StoreError, match="no column"):
            store.mean("attack_results", "nope")
