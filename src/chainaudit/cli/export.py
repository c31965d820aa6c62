"""`chainaudit export`: any table of the results database to Parquet or CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from chainaudit import settings
from chainaudit.cli.common import DbOption, say, user_errors


def register(app: typer.Typer) -> None:
    app.command()(export)


@user_errors
def export(
    table: Annotated[str, typer.Argument(help="Table to export: models, lineage_edges, studies, "
                                              "attack_results, evaluations, ...")],
    fmt: Annotated[Literal["parquet", "csv"], typer.Option("--format", "-f", help="parquet or csv.")] = "parquet",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file (default TABLE.FORMAT).")] = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Export one table of the results database to Parquet or CSV."""
    from chainaudit.store import Store, export_table

    with Store(db, readonly=True) as store:
        path, rows = export_table(store, table, fmt, out)
    say(f"wrote {rows} rows of {table} to {path}")
