"""`chainaudit demo`: the whole chain audit, end to end on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich import box
from rich.table import Table

from chainaudit import settings
from chainaudit.cli import progress
from chainaudit.cli.common import DataDirOption, DbOption, console, pct, say, user_errors, warn


def register(app: typer.Typer) -> None:
    app.command()(demo)


@user_errors
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where the demo writes its models, study config, metrics "
                                      "and report.")] = Path("runs/demo"),
    n: Annotated[int, typer.Option("--n", "-n", min=1, help="Samples attacked per dataset and model (seeded "
                                   "random).")] = 3,
    attacks: Annotated[str, typer.Option(help="Comma-separated recipes (flavours as pwws@openattack), or all: every "
                                         "attack available here.")] = "all",
    executor: Annotated[Literal["inprocess", "ray"], typer.Option(help="Run the study in this process or on a "
                                                                  "local Ray.")] = "inprocess",
    workers: Annotated[int, typer.Option(min=1, help="Ray actors (with --executor ray).")] = 2,
    max_length: Annotated[int, typer.Option(min=16, help="Tokens the models read when attacked (longer texts "
                                            "are cut, as prediction cuts them).")] = 64,
    time_limit: Annotated[float, typer.Option(min=0, help="Seconds of attack per sample before it is judged on "
                                              "its best text so far; 0: no limit.")] = 15.0,
    data_dir: DataDirOption = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """The whole chain audit on this machine: fine-tune MiniLM on SST-2 (the upstream), that model on Rotten
    Tomatoes and on Amazon polarity (two chains); find the chains by lineage from the model cards; attack every
    model on four datasets with every attack available here; compute δ and transfer; write the report.

    Under 15 minutes on 2 quiet CPU cores (estimated); re-running resumes (models reused, stored attacks kept).
    """
    from chainaudit.report import build_report
    from chainaudit.store import Store
    from chainaudit.study.demo import DemoSettings, parse_attacks, run_demo

    chosen = DemoSettings(attacks=parse_attacks(attacks), n=n, max_length=max_length, executor=executor,
                          time_limit=time_limit or None,
                          workers=workers)
    console.rule("[bold]chainaudit demo[/]: fine-tune a chain, find it by lineage, attack it, report")
    with Store(db) as store, progress.bars() as bars:
        result = run_demo(store, out, chosen, data_dir=data_dir, report=build_report, hooks=_hooks(bars))
    print_demo(result, db)


def _hooks(bars: progress.Bars) -> Any:
    from chainaudit.study.demo import DemoHooks

    study = progress.StudyBars(bars.bar)
    return DemoHooks(training=lambda spec: bars.training(f"fine-tune {spec.key} on {spec.dataset}"),
                     on_plan=study.plan, on_outcome=study.outcome,
                     on_stage=lambda name: bars.bar.console.print(f"[bold]stage[/] {name}"))


def print_demo(result: Any, db: Path) -> None:
    """What the demo did (models, chains and their evidence, jobs), the headline tables, timings, where it wrote."""
    _print_models(result)
    _print_chains(result)
    for name, why in result.skipped_attacks.items():
        warn(f"attack {name} skipped: {why}")
    run = result.run
    done = sum(1 for j in run.plan.jobs if j.todo)
    say(f"study {result.config.name}: {len(run.plan.jobs)} jobs ({len(result.config.subjects())} models × "
        f"{len(result.config.datasets)} datasets × {len(result.attacks)} attacks: {', '.join(result.attacks)}); "
        f"{done} had work left: {run.written} outcomes written ({run.flipped} flipped, {run.errors} errors), "
        f"{run.plan.samples - run.plan.todo} reused from the store; {run.replays} adversarial texts replayed")
    console.print(_asr_table(result.headline), crop=False)
    console.print(_hop_table(result.headline), crop=False)
    say("time per stage (wall, and this process's CPU seconds): " + ", ".join(
        f"{k} {v:.0f}s ({result.cpu.get(k, 0):.0f} cpu-s)" for k, v in result.timings.items())
        + f"; total {sum(result.timings.values()):.0f}s ({sum(result.cpu.values()):.0f} cpu-s)")
    say(f"database {db}; study config {result.config_path} (chainaudit study metrics {result.config_path} --db {db}); "
        f"metrics in {result.metrics[0].parent if result.metrics else '-'}")
    say(f"report: {result.report}")


def _print_models(result: Any) -> None:
    table = Table("model", "base", "trained on", "accuracy", "this run", title="models", box=box.SIMPLE_HEAD)
    for m in result.models:
        acc = f"{pct(m.accuracy, 1)} of {m.eval_examples}" if m.accuracy is not None else "-"
        what = f"trained in {m.seconds:.0f}s ({m.reason})" if m.trained else m.reason
        table.add_row(m.model_id, m.base_model, f"{m.spec.dataset} ({m.spec.train_examples})", acc, what)
    console.print(table, crop=False)


def _print_chains(result: Any) -> None:
    found = result.chains
    say(f"lineage: {found.imported} folders imported from {result.config_path.parent / 'models'}; "
        f"{len(found.chains)} chains among them (external root, not attacked: "
        f"{', '.join(found.external_roots) or '-'})")
    for i, chain in enumerate(found.chains):
        say(f"  chain {i}: " + " → ".join(m.model_id for m in chain))
    for e in found.edges:
        say(f"    {e.parent} → {e.child}: {e.source} ({e.relation or '?'}, confidence {e.confidence:.2f})"
            + (f": {e.evidence}" if e.evidence else ""))


def _est(e: Any) -> str:
    return "-" if e.value is None else f"{pct(e.value, 0)} [{pct(e.low, 0)}, {pct(e.high, 0)}] n={e.n}"


def _asr_table(h: Any) -> Table:
    table = Table("model", "attack", "asr", "asr_all", "valid_asr", box=box.SIMPLE_HEAD,
                  title="robustness per model and attack (all four datasets; 95% Wilson intervals)",
                  caption="asr: succeeded / attacked; asr_all: flipped / all (the paper's); valid_asr: successes "
                          "that keep the meaning and do not flip it / attacked")
    for r in h.models:
        table.add_row(r.model_id, r.attack, _est(r.asr), _est(r.asr_all), _est(r.valid_asr))
    return table


def _hop_table(h: Any) -> Table:
    table = Table("hop", "attack", "δ = ASR_down − ASR_up [95% CI]", "McNemar p", "transfer rate", box=box.SIMPLE_HEAD,
                  title="per chain hop: change after fine-tuning (paired samples, asr_all) and transfer",
                  caption="transfer rate: of the samples whose attack succeeded on the upstream, the share whose "
                          "attack also succeeded on the downstream")
    for r in h.hops:
        d = r.delta
        shown = "-" if d.delta is None else (f"{100 * d.delta:+.0f} pp [{100 * (d.low or 0):+.0f}, "
                                             f"{100 * (d.high or 0):+.0f}] n={d.n}")
        table.add_row(f"{r.up} → {r.down}", r.attack, shown, f"{d.p_value:.2g}", _est(r.transfer.rate))
    return table

