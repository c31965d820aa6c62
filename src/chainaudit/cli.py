"""The `chainaudit` command line: thin Typer commands that parse, call one function, print with rich.

Every command takes `--db PATH` (default ./chainaudit.db). User errors (`ChainauditError`) print as
one red message and exit with status 2, never as a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from chainaudit import __version__, settings
from chainaudit.errors import ChainauditError

app = typer.Typer(
    name="chainaudit",
    help="Audit open-source text classifiers and their Hugging Face fine-tuning chains: lineage, "
    "adversarial robustness, and backdoor persistence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[Path, typer.Option("--db", help="SQLite results database (created if missing).")]
F = TypeVar("F", bound=Callable[..., Any])


def user_errors(func: F) -> F:
    """Turn a `ChainauditError` into a clean message and exit status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ChainauditError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        console.print(f"chainaudit {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """chainaudit: which model comes from which, how easily each falls, and what it passes on."""


# -- store -----------------------------------------------------------------------------------------
@app.command()
@user_errors
def export(
    table: Annotated[str, typer.Argument(help="Table to export: models, lineage_edges, studies, "
                                              "attack_results, evaluations, ...")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="parquet or csv.")] = "parquet",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file (default TABLE.FORMAT).")] = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Export one table of the results database to Parquet or CSV."""
    from chainaudit.store import Store, export_table

    if fmt not in ("parquet", "csv"):
        raise typer.BadParameter(f"--format must be parquet or csv, not {fmt!r}")
    with Store(db) as store:
        path, rows = export_table(store, table, fmt, out)  # type: ignore[arg-type]
    console.print(f"wrote {rows} rows of [bold]{table}[/] to {path}")


# -- data ------------------------------------------------------------------------------------------
@app.command("datasets")
@user_errors
def datasets_cmd(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", envvar=settings.DATA_DIR_ENV,
                                                  help="Local dataset folder.")] = None,
) -> None:
    """List the datasets chainaudit knows by name and where each would be loaded from."""
    from chainaudit.data import REGISTRY

    table = Table("name", "labels", "eval split", "local file", "Hub")
    for spec in REGISTRY.values():
        local = data_dir / spec.name / f"{spec.name}.csv" if data_dir else None
        found = str(local) if local and local.is_file() else "[dim]-[/]"
        hub = spec.hf_path + (f" ({spec.hf_config})" if spec.hf_config else "")
        table.add_row(spec.name, "/".join(spec.label_names), spec.eval_split, found, hub)
    console.print(table)
    console.print("Any .csv/.jsonl file with text,label[,split] columns works too, by path.")
