"""What every command group shares: the consoles, the error wrapper, and the options declared once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer
from rich.console import Console

from chainaudit import settings
from chainaudit.errors import ChainauditError

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def user_errors(func: F) -> F:
    """Turn a `ChainauditError` into one red line on stderr and exit status 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ChainauditError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def say(message: str) -> None:
    """Print plain text (no rich highlighting, no wrapping of long ids)."""
    console.print(message, highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    """A yellow warning line on stderr."""
    err_console.print(f"[yellow]warning:[/] {message}", highlight=False, soft_wrap=True)


def pct(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{100 * x:.{digits}f}%"


# -- options shared by several commands (declared once) ------------------------------------------------
DbOption = Annotated[Path, typer.Option("--db", help="SQLite results database (created if missing).")]
DataDirOption = Annotated[Path | None, typer.Option(
    "--data-dir", envvar=settings.DATA_DIR_ENV,
    help="Local dataset folder holding <name>/<name>.csv (text,label,split); else the Hub.")]
ModelArg = Annotated[str, typer.Argument(help="A Hub id (owner/name), a local model folder, or 'minilm' (the "
                                              "bundled all-MiniLM-L6-v2).")]
DatasetOption = Annotated[str, typer.Option("--dataset", "-d", help="Dataset name (see `chainaudit datasets`) or a "
                                                                    ".csv/.jsonl path with text,label[,split].")]
SplitOption = Annotated[str | None, typer.Option(help="Split (default: the dataset's evaluation split).")]
SampleOption = Annotated[Literal["first", "random"], typer.Option(
    help="'first' N of the split (the paper's protocol) or a seeded 'random' sample.")]
RevisionOption = Annotated[str | None, typer.Option(help="Hub revision (default main), recorded as its commit sha.")]
AllowPickleOption = Annotated[bool, typer.Option("--allow-pickle", help="Allow pickle weights (pytorch_model.bin): "
                                                 "they can run arbitrary code, so trusted models only.")]
LabelMapOption = Annotated[str | None, typer.Option(help='Model label -> dataset label, e.g. '
                                                    '"LABEL_0=negative,LABEL_1=positive" or JSON; "x=-" drops x. '
                                                    "Default: automatic alignment.")]
MaxLengthOption = Annotated[int, typer.Option(min=8, help="Truncate texts to this many tokens (truncated texts "
                                              "are counted and reported).")]
WordVectorsOption = Annotated[Path | None, typer.Option(
    "--word-vectors", envvar=settings.WORD_VECTORS_ENV,
    help="Counter-fitted word vectors (counter-fitted-vectors.txt[.zip] or .npz); default: the built-in fallback.")]


MinConfidence = Annotated[float, typer.Option(min=0.0, max=1.0, help="Ignore lineage edges below this confidence.")]
RelationOption = Annotated[list[str] | None, typer.Option("--relation", help=(
    "Count only edges of these relations (repeatable or comma-separated): finetune, adapter, quantized, merge, "
    "distillation, continued-pretraining, unknown. Default: all."))]
