"""`chainaudit study plan | run | metrics`: the paper's grid on your own chains, resumable, in-process or on Ray."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from chainaudit import settings
from chainaudit.cli import progress
from chainaudit.cli.common import DataDirOption, DbOption, console, err_console, pct, say, user_errors

app = typer.Typer(help="Chain studies: plan the jobs of a study config, run what is missing, print the figures.",
                  no_args_is_help=True)
ConfigArg = Annotated[Path, typer.Argument(help="Study config YAML (from `chainaudit select`, or written by hand; "
                                                "see chainaudit.study.config for every key).")]


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown until the first samples of each attack are done"
    minutes, sec = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {sec:02d} s"


@app.command("plan")
@user_errors
def plan(config: ConfigArg, data_dir: DataDirOption = None, db: DbOption = settings.DEFAULT_DB) -> None:
    """Print the study's jobs (model × dataset × attack × seed), how many samples each has stored, and the
    time left at the per-sample costs measured so far."""
    from chainaudit.store import Store
    from chainaudit.study.config import load_study_config
    from chainaudit.study.plan import plan_study

    with Store(db) as store:
        planned = plan_study(load_study_config(config), store, data_dir=data_dir)
    say(f"study {planned.config.name}: {len(planned.jobs)} jobs (model@revision · dataset · attack · seed · goal · "
        "parameters: stored / samples)")
    for j in planned.jobs:
        say(f"  {j.key.model_id}@{j.key.revision.removeprefix('sha256:')[:8]} · {j.job.dataset.name} · "
            f"{j.key.attack} · seed {j.key.seed} · {j.key.goal} · {j.key.params}: {j.stored} / {len(j.samples)}")
    say(f"{planned.samples - planned.todo} of {planned.samples} samples stored; {planned.todo} to attack; "
        f"time left: {_duration(planned.eta_seconds)}")


@app.command("run")
@user_errors
def run(
    config: ConfigArg,
    executor: Annotated[Literal["inprocess", "ray"], typer.Option(
        help="inprocess: one worker in this process; ray: Ray actors (a local Ray, or --address).")] = "inprocess",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (e.g. ray://head:10001); default: start "
                                                "a local Ray.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Ray actors, each keeping its models loaded.")] = 2,
    retry_errors: Annotated[bool, typer.Option("--retry-errors", help="Attack again the samples stored as errors.")
                            ] = False,
    data_dir: DataDirOption = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Run every job with samples still to attack (re-running resumes exactly), then replay each hop's
    adversarial texts on its downstream. Ctrl-C stops after the outcomes already made are stored."""
    from chainaudit.store import Store
    from chainaudit.study.config import load_study_config
    from chainaudit.study.run import run_study

    study = load_study_config(config)
    plans: list[Any] = []
    with Store(db) as store:
        try:
            with progress.study() as bar:
                done = run_study(study, store, _executor(executor, study, address, workers, data_dir),
                                 data_dir=data_dir, retry_errors=retry_errors,
                                 on_plan=lambda plan: (plans.append(plan), bar.plan(plan)), on_outcome=bar.outcome)
        except KeyboardInterrupt:  # each outcome is one committed row; a write cut short is rolled back
            err_console.print(_interrupted(store, plans[0] if plans else None), highlight=False, soft_wrap=True)
            raise typer.Exit(130) from None
    say(f"study {study.name}: {done.written} outcomes written ({done.flipped} flipped, {done.errors} errors) in "
        f"{sum(1 for j in done.plan.jobs if j.todo)} jobs; {done.replays} adversarial texts replayed on "
        f"downstream models; `chainaudit study metrics {config}` prints the figures")


def _interrupted(store: Any, plan: Any) -> str:
    """What a Ctrl-C leaves: the outcomes this run stored (rows of the plan's samples new since it was made)."""
    from chainaudit.study.records import stored_rows

    if plan is None:
        return "interrupted before the study was planned; nothing was stored; run the same command to start"
    now = sum(len(set(stored_rows(store, j.key)) & {(s.dataset, s.split, s.index) for s in j.samples})
              for j in plan.jobs)
    before = sum(j.stored + len(j.rerun) for j in plan.jobs)
    return (f"interrupted: {now - before} outcomes of this run are stored ({now} of the study's {plan.samples}); "
            "run the same command to resume")


def _executor(kind: str, study: Any, address: str | None, workers: int, data_dir: Path | None) -> Any:
    if kind == "inprocess":
        return None
    from chainaudit.study.ray_executor import RayExecutor

    return RayExecutor(study, address=address, workers=workers, data_dir=data_dir)


@app.command("metrics")
@user_errors
def metrics(
    config: ConfigArg,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for metrics.json and one CSV per table "
                                             "(default: <study name>-metrics).")] = None,
    resamples: Annotated[int, typer.Option(min=100, help="Bootstrap resamples for the δ intervals.")] = 2000,
    data_dir: DataDirOption = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """ASR and valid ASR per model, attack and dataset (both conventions), δ per chain hop with its paired
    bootstrap interval and McNemar's exact p, the transferable and replay rates, and the spread over repeats; each
    with n and a 95% interval."""
    from chainaudit.store import Store
    from chainaudit.study.config import load_study_config
    from chainaudit.study.plan import plan_study
    from chainaudit.study.results import study_figures

    study = load_study_config(config)
    with Store(db) as store:
        figures = study_figures(plan_study(study, store, data_dir=data_dir), store,
                                out=out or Path(f"{study.name}-metrics"), resamples=resamples)
    _print_tables(figures.tables)
    say("wrote " + ", ".join(str(p) for p in figures.files))


def _interval(row: dict[str, Any], name: str) -> str:
    """`12.5% [3%, 40%] n=24` from a table row's `name`, `name_low`, `name_high`, `name_n` columns."""
    if row.get(name) is None:
        return "-"
    return f"{pct(row[name])} [{pct(row[f'{name}_low'], 0)}, {pct(row[f'{name}_high'], 0)}] n={row[f'{name}_n']}"


def _short(model: str) -> str:
    """`id@sha256:97a1a741b3815db8` → `id@97a1a741` (the full revision is in the CSV and JSON)."""
    model_id, _, revision = model.partition("@")
    return f"{model_id}@{revision.removeprefix('sha256:')[:8]}" if revision else model_id


def _hop(row: dict[str, Any]) -> str:
    return f"{_short(row['up'])} → {_short(row['down'])}" + (" (end to end)" if row.get("end_to_end") else "")


def _delta(row: dict[str, Any]) -> str:
    if row["delta"] is None:
        return "-"
    return f"{100 * row['delta']:+.1f} pp [{100 * row['low']:+.1f}, {100 * row['high']:+.1f}] n={row['n']}"


def _print_tables(tables: dict[str, list[dict[str, Any]]]) -> None:
    asr = Table("scope", "model", "attack", "dataset", "asr [95% CI]", "asr_all [95% CI]", "valid_asr [95% CI]",
                "valid_asr_all [95% CI]", title="ASR (valid: successes that keep the meaning and do not flip it)")
    for r in tables["asr"]:
        asr.add_row(r["scope"], str(r.get("model_id") or "all"), str(r.get("attack") or "all"),
                    str(r.get("dataset") or "all"), _interval(r, "asr"), _interval(r, "asr_all"),
                    _interval(r, "valid_asr"), _interval(r, "valid_asr_all"))
    console.print(asr, crop=False)
    delta = Table("hop", "attack", "dataset", "convention", "δ = ASR_down − ASR_up [95% CI]", "b / c",
                  "McNemar p", title="change after fine-tuning (paired samples)")
    for r in tables["delta"]:
        delta.add_row(_hop(r), r["attack"], r["dataset"], r["convention"], _delta(r), f"{r['b']} / {r['c']}",
                      f"{r['p_value']:.3g}")
    transfer = Table("hop", "attack", "dataset", "convention", "transferable rate", "ASR_down on vulnerable",
                     "ASR_down on ordinary", title="transfer: does what breaks the upstream break the downstream?")
    for r in tables["transfer"]:
        transfer.add_row(_hop(r), r["attack"], r["dataset"], r["convention"], _interval(r, "rate"),
                         _interval(r, "vulnerable"), _interval(r, "ordinary"))
    replay = Table("hop", "attack", "dataset", "replay rate (upstream's texts as they are)", title="replay")
    for r in tables["replay"]:
        replay.add_row(_hop(r), r["attack"], r["dataset"], _interval(r, "replay"))
    for table, rows in ((delta, "delta"), (transfer, "transfer"), (replay, "replay")):
        if tables[rows]:
            console.print(table, crop=False)
    if tables["repeats"]:
        console.print(_generic("spread over seeds (repeats)", tables["repeats"]), crop=False)
    if not tables["delta"]:
        err_console.print("[dim]no chain hop has results on both models yet: no δ or transfer figures[/]")


def _generic(title: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(*rows[0].keys(), title=title)
    for r in rows:
        table.add_row(*("-" if v is None else f"{v:.3g}" if isinstance(v, float) else str(v) for v in r.values()))
    return table
