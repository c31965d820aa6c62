"""SQLite store: WAL mode, forward migrations, idempotent writes by natural key."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chainaudit.errors import StoreError
from chainaudit.store.schema import JSON_COLUMNS, MIGRATIONS, NATURAL_KEYS, SCHEMA_VERSION


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """One SQLite database file. Safe to open from several processes (WAL, busy timeout).

    Writes go through `upsert` (replace the row with the same natural key) or `insert_new` (keep the
    stored row: what resumable runs use, so nothing is written twice).
    """

    def __init__(self, path: str | Path = "chainaudit.db", *, readonly: bool = False) -> None:
        """Open (and create, and migrate) the database at `path`; with `readonly`, open an existing one for
        reading only: it is never created or migrated, and a read-only file or folder is fine."""
        self.path = Path(path)
        self.readonly = readonly
        self.conn = self._connect_readonly() if readonly else self._connect()
        self.conn.row_factory = sqlite3.Row
        self._columns: dict[str, list[str]] = {}
        if readonly:
            self._check_version()
        else:
            self.migrate()

    def _connect(self) -> sqlite3.Connection:
        folder = self.path.parent
        if not folder.exists():
            raise StoreError(f"cannot create database {self.path}: folder {folder} does not exist")
        if self.path.is_dir():
            raise StoreError(f"--db {self.path} is a folder; pass a file path such as {self.path / 'chainaudit.db'}")
        if not os.access(self.path if self.path.exists() else folder, os.W_OK):
            what = f"the file {self.path}" if self.path.exists() else f"the folder {folder}"
            raise StoreError(f"cannot write database {self.path}: no write permission on {what}; pass a writable "
                             "--db PATH (reading commands such as `export` also work on a read-only database)")
        try:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            hint = ("check that you may write the file and its folder" if "unable to open" in str(exc)
                    else "is it a chainaudit database?")
            raise StoreError(f"cannot open database {self.path}: {exc} ({hint})") from exc
        return conn

    def _connect_readonly(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise StoreError(f"no database at {self.path}; check --db (results are written by finetune, predict, "
                             "attack, collect, ... into ./chainaudit.db by default)")
        uri = self.path.resolve().as_uri()
        last: Exception | None = None
        # `mode=ro` still needs to write the WAL index beside the file; `immutable=1` reads a file in a read-only
        # folder (safe for us: nothing writes a database while it is exported from a read-only place).
        for options in ("mode=ro", "mode=ro&immutable=1"):
            try:
                conn = sqlite3.connect(f"{uri}?{options}", uri=True, timeout=30.0, isolation_level=None)
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return conn
            except sqlite3.DatabaseError as exc:
                last = exc
        raise StoreError(f"cannot read database {self.path}: {last} (is it a chainaudit database?)")

    def _check_version(self) -> None:
        if self.version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} has schema version {self.version}, newer than this chainaudit "
                             f"({SCHEMA_VERSION}); upgrade chainaudit")

    # -- lifecycle ---------------------------------------------------------------------------------
    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        """Apply every migration newer than the file's `user_version`, each in its own transaction."""
        current = self.version
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this chainaudit ({SCHEMA_VERSION}); "
                "upgrade chainaudit"
            )
        for version in range(current, SCHEMA_VERSION):
            script = MIGRATIONS[version] + f"\nPRAGMA user_version = {version + 1};"
            try:
                self.conn.executescript("BEGIN IMMEDIATE;\n" + script + "\nCOMMIT;")
            except sqlite3.DatabaseError as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise StoreError(f"migrating {self.path} to version {version + 1} failed: {exc}") from exc
        self._columns.clear()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Group writes: all of them land or none does."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- schema introspection ----------------------------------------------------------------------
    def tables(self) -> list[str]:
        rows = self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        return [r[0] for r in rows]

    def columns(self, table: str) -> list[str]:
        if table not in self._columns:
            if table not in self.tables():
                raise StoreError(f"no table {table!r}; tables are: {', '.join(self.tables())}")
            self._columns[table] = [r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")]
        return self._columns[table]

    # -- writes ------------------------------------------------------------------------------------
    def _encode(self, table: str, row: Mapping[str, Any]) -> dict[str, Any]:
        cols = self.columns(table)
        unknown = set(row) - set(cols)
        if unknown:
            raise StoreError(f"table {table} has no column(s) {sorted(unknown)}")
        out = {k: (json.dumps(v, sort_keys=True) if k in JSON_COLUMNS and v is not None else v)
               for k, v in row.items()}
        for stamp in ("updated_at", "created_at"):
            if stamp in cols and out.get(stamp) is None:
                out[stamp] = utcnow()
        return out

    def _write(self, table: str, rows: Iterable[Mapping[str, Any]], *, replace: bool) -> int:
        key = NATURAL_KEYS.get(table)
        if key is None:
            raise StoreError(f"table {table} has no natural key; add it to store.schema.NATURAL_KEYS")
        written = 0
        with self.transaction() as conn:
            for raw in rows:
                row = self._encode(table, raw)
                missing = [k for k in key if row.get(k) is None]
                if missing:
                    raise StoreError(f"{table} row lacks key column(s) {missing}: {dict(raw)!r:.200}")
                names = list(row)
                placeholders = ", ".join("?" for _ in names)
                if replace:
                    updates = [n for n in names if n not in key and n != "created_at"]
                    action = ("DO UPDATE SET " + ", ".join(f"{n}=excluded.{n}" for n in updates)
                              if updates else "DO NOTHING")
                else:
                    action = "DO NOTHING"
                sql = (f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders}) "
                       f"ON CONFLICT ({', '.join(key)}) {action}")
                written += conn.execute(sql, [row[n] for n in names]).rowcount
        return written

    def upsert(self, table: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert rows, replacing the non-key columns of rows whose natural key is already stored."""
        return self._write(table, rows, replace=True)

    def insert_new(self, table: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert rows whose natural key is not yet stored; returns how many were new."""
        return self._write(table, rows, replace=False)

    def bulk_write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *,
                   replace: bool = True) -> int:
        """Write pre-encoded tuples with one `executemany` (JSON columns already text).

        `upsert` encodes and builds SQL per row (~10 µs), which dominates at a million rows; this is the
        path for bulk imports and lineage edges. `updated_at`/`created_at` are stamped once for the batch.
        Joins an open transaction, else runs in its own.
        """
        key = NATURAL_KEYS.get(table)
        if key is None:
            raise StoreError(f"table {table} has no natural key; add it to store.schema.NATURAL_KEYS")
        cols = self.columns(table)
        unknown = [c for c in columns if c not in cols]
        if unknown or not set(key) <= set(columns):
            raise StoreError(f"bulk write to {table}: unknown column(s) {unknown} or missing key {key}")
        names = list(columns)
        stamps = [s for s in ("updated_at", "created_at") if s in cols and s not in names]
        values = ["?"] * len(names) + [repr(utcnow())] * len(stamps)
        names += stamps
        if replace:
            updates = [n for n in names if n not in key and n != "created_at"]
            action = "DO UPDATE SET " + ", ".join(f"{n}=excluded.{n}" for n in updates) if updates else "DO NOTHING"
        else:
            action = "DO NOTHING"
        sql = (f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(values)}) "
               f"ON CONFLICT ({', '.join(key)}) {action}")
        if self.conn.in_transaction:
            return self.conn.executemany(sql, rows).rowcount
        with self.transaction() as conn:
            return conn.executemany(sql, rows).rowcount

    # -- reads -------------------------------------------------------------------------------------
    def _decode(self, row: sqlite3.Row) -> dict[str, Any]:
        return {k: (json.loads(row[k]) if k in JSON_COLUMNS and row[k] is not None else row[k])
                for k in row.keys()}  # noqa: SIM118 - sqlite3.Row is not a dict

    def select(self, table: str, where: Mapping[str, Any] | None = None,
               order_by: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Rows of `table` whose columns equal `where`'s values, JSON columns decoded."""
        cols = self.columns(table)
        where = dict(where or {})
        bad = [k for k in [*where, *order_by] if k not in cols]
        if bad:
            raise StoreError(f"table {table} has no column(s) {bad}")
        sql = f"SELECT * FROM {table}"
        if where:
            sql += " WHERE " + " AND ".join(f"{k} = ?" for k in where)
        if order_by:
            sql += " ORDER BY " + ", ".join(order_by)
        return [self._decode(r) for r in self.conn.execute(sql, list(where.values()))]

    def mean(self, table: str, column: str, where: Mapping[str, Any] | None = None,
             not_equal: Mapping[str, Any] | None = None) -> float | None:
        """The mean of `column` (NULLs left out) over the rows equal to `where` and unequal to `not_equal`; None
        when there are none. Computed by SQLite: no row is read into Python."""
        cols = self.columns(table)
        where, not_equal = dict(where or {}), dict(not_equal or {})
        bad = [k for k in [column, *where, *not_equal] if k not in cols]
        if bad:
            raise StoreError(f"table {table} has no column(s) {bad}")
        tests = [f"{k} = ?" for k in where] + [f"{k} != ?" for k in not_equal]
        sql = f"SELECT AVG({column}) FROM {table}" + (" WHERE " + " AND ".join(tests) if tests else "")
        value = self.conn.execute(sql, [*where.values(), *not_equal.values()]).fetchone()[0]
        return None if value is None else float(value)

    def keys(self, table: str, where: Mapping[str, Any] | None = None) -> set[tuple[Any, ...]]:
        """The natural keys already stored (what a resumed run skips)."""
        key = NATURAL_KEYS[table]
        sql = f"SELECT {', '.join(key)} FROM {table}"
        params: list[Any] = []
        if where:
            sql += " WHERE " + " AND ".join(f"{k} = ?" for k in where)
            params = list(where.values())
        return {tuple(r) for r in self.conn.execute(sql, params)}

    def count(self, table: str) -> int:
        self.columns(table)  # validates the name
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
