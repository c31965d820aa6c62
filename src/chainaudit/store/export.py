"""Export a store table to Parquet or CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd

from chainaudit.errors import StoreError
from chainaudit.store.db import Store

ExportFormat = Literal["parquet", "csv"]


def export_table(store: Store, table: str, fmt: ExportFormat, out: Path | None = None) -> tuple[Path, int]:
    """Write every row of `table` to `out` (default `<table>.<fmt>`); JSON columns stay JSON text."""
    store.columns(table)  # raises a clear StoreError for an unknown table
    frame = pd.read_sql_query(f"SELECT * FROM {table}", store.conn)
    out = out or Path(f"{table}.{fmt}")
    if not out.parent.is_dir():
        raise StoreError(f"cannot write {out}: folder {out.parent} does not exist (create it, or pick another --out)")
    if fmt == "parquet":
        frame.to_parquet(out, index=False)
    elif fmt == "csv":
        frame.to_csv(out, index=False)
    else:
        raise ValueError(f"unknown export format {fmt!r}: use parquet or csv")
    return out, len(frame)
