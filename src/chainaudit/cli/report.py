"""`chainaudit report`: one self-contained HTML page of a study and the catalog, with its numbers as JSON and CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chainaudit import settings
from chainaudit.cli.common import DbOption, MinConfidence, RelationOption, say, user_errors


def register(app: typer.Typer) -> None:
    app.command()(report)


@user_errors
def report(
    study: Annotated[str | None, typer.Option("--study", "-s", help="Study to report (default: the newest in the "
                                              "database).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write; REPORT.json and REPORT-csv/ go beside "
                                      "it.")] = Path("report.html"),
    examples: Annotated[int, typer.Option(min=1, help="Adversarial examples in the page per model, attack and "
                                          "outcome (all of them go to the CSV).")] = 20,
    resamples: Annotated[int, typer.Option(min=100, help="Bootstrap resamples for the δ intervals.")] = 2000,
    relation: RelationOption = None,
    min_confidence: MinConfidence = 0.0,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Write the report (RQ1 lineage, RQ2 ASR, RQ3 δ and transfer, one section per chain with an example browser)
    from the database alone: it never runs an attack or loads a model. Opens from disk, no network. RQ1 counts
    the lineage edges `--relation` and `--min-confidence` let in, and says which."""
    from chainaudit.lineage.graph import EdgeFilter
    from chainaudit.report import build_report

    files = build_report(db, out, study=study, per_group=examples, resamples=resamples,
                         edges=EdgeFilter.parse(relation, min_confidence))
    say(f"wrote {files.html} ({files.html.stat().st_size / 1e6:.1f} MB), {files.json} and {len(files.csv)} CSV files "
        f"in {files.csv[0].parent if files.csv else '-'} in {files.seconds:.1f}s")
