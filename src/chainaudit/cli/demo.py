"""`chainaudit demo`: the main job end to end on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from chainaudit import settings
from chainaudit.cli import progress
from chainaudit.cli.attack import print_warnings
from chainaudit.cli.common import DataDirOption, DbOption, console, pct, say, user_errors
from chainaudit.cli.models import print_finetune


def register(app: typer.Typer) -> None:
    app.command()(demo)


@user_errors
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where the demo writes its models.")] = Path("runs/demo"),
    max_examples: Annotated[int, typer.Option(min=100, help="SST-2 training examples.")] = 4000,
    attacks: Annotated[str, typer.Option(help="Comma-separated recipes to run on the fine-tuned model.")
                       ] = "textbugger,hotflip,textfooler,pwws",
    attack_n: Annotated[int, typer.Option(min=1, help="SST-2 validation sentences attacked per recipe.")] = 40,
    data_dir: DataDirOption = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """The main job, end to end on this machine: fine-tune the bundled MiniLM on SST-2, evaluate it, attack it.

    About four minutes on 2 CPU cores. Results land in the database (`chainaudit export attack_results`);
    re-running resumes the attacks already stored for the same model. Later releases grow this into the
    full chain audit (lineage, ΔASR, transfer, report).
    """
    from chainaudit.store import Store
    from chainaudit.study.demo import parse_attacks, run_demo

    names = parse_attacks(attacks)
    console.rule(f"[bold]chainaudit demo[/]: fine-tune MiniLM on SST-2, attack {attack_n} sentences per recipe")
    with Store(db) as store, progress.bars() as bars:
        on_plan, on_outcome = bars.study_hooks()
        result = run_demo(store, out, max_examples=max_examples, attacks=names, attack_n=attack_n, data_dir=data_dir,
                          training=bars.training("fine-tuning on sst2"), on_plan=on_plan, on_outcome=on_outcome)
    print_finetune(result.model, 1)
    _print_robustness(result)
    say(f"every outcome is stored in {db}: chainaudit export attack_results --db {db}")


def _print_robustness(result: Any) -> None:
    table = Table(title=f"robustness of {result.model.model_id}", box=box.SIMPLE_HEAD,
                  caption="asr: succeeded / attacked; asr_all: flipped / all (the paper's); valid, valid_all: the "
                          "same counting only valid successes (meaning kept, not flipped: attacks.validity); acc "
                          "after: accuracy under attack; sim: mean sentence similarity of the successes; s/ex: "
                          "seconds per sample")
    table.add_column("attack", no_wrap=True)
    for header in ("asr", "asr_all", "valid", "valid_all", "acc after", "queries", "sim", "s/ex", "err"):
        table.add_column(header, justify="right", no_wrap=True)
    for done in result.attacks:
        (run,) = done.runs.values()
        s = run.summary
        table.add_row(done.attack, pct(s.asr, 0), pct(s.asr_all, 0), pct(s.valid_asr, 0), pct(s.valid_asr_all, 0),
                      pct(s.accuracy_after, 0),
                      f"{s.mean_queries or 0:.0f}", f"{s.mean_similarity or 0:.2f}", f"{s.seconds_per_sample or 0:.1f}",
                      str(s.errors))
        print_warnings(done.attack, errors=s.errors, first_error=s.first_error,
                       similarity=s.mean_similarity, ran=s.ran)
    console.print(table)
