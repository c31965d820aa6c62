"""The `chainaudit` command line: one Typer app, one module per command group.

A command body parses its options, calls one library function, and prints; it holds no pipeline wiring,
no SQL and no store writes. User errors (`ChainauditError`) print as one red line and exit with status 2.
"""

from __future__ import annotations

from typing import Annotated

import typer

from chainaudit import __version__, settings
from chainaudit.cli import attack, backdoor, catalog, demo, export, models, report, resources, study
from chainaudit.cli.common import console

app = typer.Typer(
    name="chainaudit",
    help="Audit open-source text classifiers and their Hugging Face fine-tuning chains: lineage, "
    "adversarial robustness, and backdoor persistence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        console.print(f"chainaudit {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the libraries' own logs "
                                          "(transformers load reports, download bars).")] = False,
) -> None:
    """chainaudit: which model comes from which, how easily each falls, and what it passes on."""
    if not verbose:
        settings.quiet_libraries()


for group in (models, catalog, attack, demo, export, report, backdoor):
    group.register(app)
app.add_typer(resources.app, name="resources")
app.add_typer(study.app, name="study")
app.add_typer(catalog.lineage_app, name="lineage")

__all__ = ["app"]
