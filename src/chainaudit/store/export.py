"""Export a store table to Parquet or CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd

from chainaudit.store.db import Store

ExportFormat = Literal["parquet", "csv"]


def export_table(store: Store, table: str, fmt: ExportFormat, out: Path | None = None) -> tuple[Path, int]:
    """Write every row of `table` to `out` (default `<table>.<fmt>`); JSON columns stay JSON text."""
    store.columns(table)  # raises a clear StoreError for an unknown table
    frame = pd.read_sql_query(f"SELECT * FROM {table}", store.conn)
    out = out or Path(f"{table}.{fmt}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        frame.to_parquet(out, index=False)
    elif fmt == "csv":
        frame.to_csv(out, index=False)
    else:
        raise ValueError(f"unknown export format {fmt!r}: use parquet or csv")
    return out, len(frame)
