"""`chainaudit attack`: one recipe over a dataset sample, every outcome stored, ASR and valid ASR in both
conventions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from chainaudit import settings
from chainaudit.cli import progress
from chainaudit.cli.common import (
    AllowPickleOption,
    DataDirOption,
    DatasetOption,
    DbOption,
    LabelMapOption,
    MaxLengthOption,
    ModelArg,
    RevisionOption,
    SampleOption,
    SplitOption,
    WordVectorsOption,
    console,
    err_console,
    pct,
    say,
    user_errors,
)

#: Below this mean MiniLM similarity of the successes, the summary warns that the ASR is an upper bound
#: (word-level attacks here score 0.75-0.85; a weakly trained GAN's rewrites about 0.25).
LOW_SIMILARITY = 0.5


def register(app: typer.Typer) -> None:
    app.command()(attack)


@user_errors
def attack(
    model: ModelArg,
    attack_name: Annotated[str, typer.Option("--attack", "-a", help="textbugger | hotflip | hotflip-blackbox | "
                                             "textfooler | pwws | scpn | gan")] = "pwws",
    flavor: Annotated[Literal["paper", "openattack", "textattack"], typer.Option(
        help="paper: each attack as its paper describes it (default); openattack / textattack: that tool's "
             "algorithm and defaults, quirks included, to re-check its published figures (not every recipe "
             "has every flavour). Results are stored as ATTACK@FLAVOR.")] = "paper",
    dataset: DatasetOption = "sst2",
    n: Annotated[int, typer.Option("-n", min=1, help="How many samples to attack.")] = 100,
    split: SplitOption = None,
    sample: SampleOption = "first",
    seed: Annotated[int, typer.Option(help="Seed of the attack's random choices (and of --sample random).")] = 0,
    budget: Annotated[int, typer.Option(min=0, help="Victim queries per sample; an attack that reaches it is judged "
                                        "on its best text so far (recorded with the outcome). 0 = no limit.")
                      ] = settings.DEFAULT_QUERY_BUDGET,
    time_limit: Annotated[float, typer.Option(min=0, help="Seconds per sample (its own time when samples run at "
                                              "once); reached, the best text so far is judged. 0 = no limit.")
                          ] = settings.DEFAULT_TIME_LIMIT_S,
    retry_errors: Annotated[bool, typer.Option("--retry-errors", help="Attack again the samples stored as errors "
                                               "(those caused by a missing resource are always retried).")] = False,
    study: Annotated[str, typer.Option(help="Study id the results are stored under; re-running resumes.")
                     ] = "adhoc",
    save_examples: Annotated[Path | None, typer.Option(help="Write every outcome with its adversarial text "
                                                       "to this JSONL file.")] = None,
    word_vectors: WordVectorsOption = None,
    scpn_dir: Annotated[Path | None, typer.Option("--scpn-dir", envvar=settings.SCPN_DIR_ENV, help="Folder "
                                                  "with the SCPN files (scpn.pt, parse_generator.pt, ...); "
                                                  "default: the chainaudit cache's scpn/.")] = None,
    gan_dir: Annotated[Path | None, typer.Option("--gan", envvar=settings.GAN_DIR_ENV, help="Folder of a GAN "
                                                 "from `resources train-gan` (default: the cache's gan/<dataset>, "
                                                 "else another dataset's, with a warning).")] = None,
    revision: RevisionOption = None,
    allow_pickle: AllowPickleOption = False,
    label_map: LabelMapOption = None,
    max_length: MaxLengthOption = 256,
    repeats: Annotated[int, typer.Option(min=1, help="Run the attack with seeds SEED..SEED+REPEATS-1 and report "
                                         "the mean and spread (the paper ran its random attacks 3 times).")] = 1,
    concurrency: Annotated[int, typer.Option(min=0, help="Samples attacked at once, their model calls merged "
                                             "into shared batches (same outcomes); 1 = one at a time; 0 = the "
                                             "recipe's measured choice (8 where merging pays, else 1).")] = 0,
    goal: Annotated[Literal["untargeted", "flip-prediction", "targeted"], typer.Option(
        help="untargeted: away from the gold label (already-wrong samples skipped); flip-prediction: away from "
             "the model's own clean prediction (nothing skipped; for models whose labels do not match the "
             "dataset's); targeted: towards --target.")] = "untargeted",
    target: Annotated[str | None, typer.Option(help="The targeted goal's label: a dataset label name or "
                                               "index, e.g. positive or 1.")] = None,
    data_dir: DataDirOption = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Attack MODEL on dataset samples; store every outcome; print ASR (both conventions) and costs."""
    from chainaudit.attacks import AttackResources
    from chainaudit.attacks import save_examples as write_examples
    from chainaudit.attacks.pipeline import AttackRequest
    from chainaudit.store import Store
    from chainaudit.study.adhoc import run_adhoc

    request = AttackRequest(
        model=model, attack=attack_name, dataset=dataset, n=n, split=split, sample=sample, seed=seed, repeats=repeats,
        budget=budget or None, time_limit=time_limit or None, retry_errors=retry_errors, study=study,
        revision=revision, allow_pickle=allow_pickle, label_map=label_map, max_length=max_length,
        concurrency=concurrency, data_dir=data_dir, goal=goal, target=target, flavor=flavor,
        resources=AttackResources(word_vectors_path=word_vectors, scpn_dir=scpn_dir, gan_dir=gan_dir))
    with Store(db) as store, progress.study() as bar:
        done = run_adhoc(request, store, on_plan=lambda plan: (_say_plan(plan), bar.plan(plan)),
                         on_outcome=bar.outcome)
    print_result(done)
    if save_examples:
        say(f"wrote {write_examples(done.outcomes, save_examples)} examples to {save_examples}")
    if not any(run.summary.ran for run in done.runs.values()):
        raise typer.Exit(1)


def _say_plan(plan: Any) -> None:
    job = plan.jobs[0]
    first = job.samples[0]
    say(f"{job.key.attack} on {job.key.model_id}@{job.key.revision[:16]}, {len(job.samples)} {first.dataset}/"
        f"{first.split} samples, goal {job.key.goal}, parameters {job.key.params}, seeds "
        f"{', '.join(str(j.key.seed) for j in plan.jobs)}; {plan.samples - plan.todo} already stored")


def print_result(done: Any) -> None:
    """One run's summary, or with repeats each seed's ASR and the spread."""
    name, model = done.attack, done.model_id
    if len(done.runs) == 1:
        (run,) = done.runs.values()
        _print_summary(name, model, run.summary, run.resumed)
    else:
        for seed, run in done.runs.items():
            say(f"seed {seed}: ASR {pct(run.summary.asr)} (asr_all {pct(run.summary.asr_all)}; valid "
                f"{pct(run.summary.valid_asr)}, valid_asr_all {pct(run.summary.valid_asr_all)})")
        _print_repeats(name, model, {k: r.outcomes for k, r in done.runs.items()})


def _print_summary(name: str, model: str, summary: Any, resumed: int) -> None:
    def num(x: float | None, fmt: str = ".1f") -> str:
        return "-" if x is None else format(x, fmt)

    table = Table(title=f"{name} on {model}", show_header=False, box=None, padding=(0, 2))
    why = {"untargeted": "as already wrong", "flip-prediction": ""}.get(summary.goal, "(gold label or clean "
                                                                              "prediction already the target)")
    table.add_row("samples", f"{summary.total} ({summary.succeeded} succeeded, {summary.failed} failed, "
                  f"{summary.skipped} skipped {why}, {summary.errors} errors"
                  + (f"; {resumed} resumed from the database)" if resumed else ")"))
    table.add_row("ASR (asr: succeeded / attacked)", pct(summary.asr))
    if summary.goal == "untargeted":
        table.add_row("ASR (asr_all: flipped / all, the paper's)", pct(summary.asr_all))
    else:
        table.add_row("goal", f"{summary.goal} (asr_all = asr: a skipped sample is not a success)")
    table.add_row("valid ASR (valid_asr: meaning kept, not flipped)", _valid(summary, summary.valid_asr))
    if summary.goal == "untargeted":
        table.add_row("valid ASR (valid_asr_all, the paper's)", pct(summary.valid_asr_all))
    table.add_row("accuracy before → after", f"{pct(summary.accuracy_before)} → {pct(summary.accuracy_after)}")
    table.add_row("mean queries per attacked sample", num(summary.mean_queries))
    table.add_row("mean modification rate (successes)", pct(summary.mean_modification_rate))
    table.add_row("mean sentence similarity (successes)", num(summary.mean_similarity, ".3f"))
    table.add_row("seconds per sample", num(summary.seconds_per_sample, ".2f"))
    if summary.truncated:
        table.add_row("texts truncated", f"{summary.truncated} longer than the model's max length, attacked as the "
                      "model reads them (cut to its first max_length tokens)")
    if summary.budget_exhausted or summary.time_limited:
        table.add_row("stopped by a limit", f"{summary.budget_exhausted} by the query budget, {summary.time_limited} "
                      "by the time limit (judged on their best text so far)")
    console.print(table)
    print_warnings(name, errors=summary.errors, first_error=summary.first_error, similarity=summary.mean_similarity,
                   ran=summary.ran)


def _valid(summary: Any, value: float | None) -> str:
    """The valid ASR with how many successes passed the validity check (and any never checked)."""
    text = f"{pct(value)} ({summary.valid} of {summary.succeeded} successes valid"
    return text + (f"; {summary.unchecked} stored before the check, left out)" if summary.unchecked else ")")


def _print_repeats(name: str, model: str, runs: dict[int, list[Any]]) -> None:
    """Per-seed figures and the mean ± sample std (min-max) over the repeats."""
    from chainaudit.attacks import summarize_repeats

    rep = summarize_repeats(runs)
    metrics = {"asr": ("ASR (succeeded / attacked)", True), "asr_all": ("ASR (the paper's, all samples)", True),
               "valid_asr": ("valid ASR (meaning kept)", True), "valid_asr_all": ("valid ASR (the paper's)", True),
               "accuracy_after": ("accuracy after", True), "mean_queries": ("queries per attacked sample", False),
               "mean_similarity": ("sentence similarity (successes)", False),
               "seconds_per_sample": ("seconds per sample", False)}
    table = Table("metric", *(f"seed {s}" for s in rep.seeds), "mean ± std", "min-max",
                  title=f"{name} on {model}, {len(rep.seeds)} repeats")
    for key, (label, is_pct) in metrics.items():
        def fmt(x: float | None, is_pct: bool = is_pct) -> str:
            return pct(x) if is_pct else ("-" if x is None else f"{x:.3g}")
        spread = rep.spread(key)
        table.add_row(label, *(fmt(getattr(s, key)) for s in rep.summaries),
                      "-" if spread is None else f"{fmt(spread.mean)} ± {fmt(spread.std)}",
                      "-" if spread is None else f"{fmt(spread.low)}-{fmt(spread.high)}")
    console.print(table)
    if rep.identical:
        console.print("[dim]every repeat gave the same outcomes and texts: this attack is deterministic on these "
                      "samples.[/]")
    similarity = rep.spread("mean_similarity")
    print_warnings(name, errors=sum(s.errors for s in rep.summaries),
                   first_error=next((s.first_error for s in rep.summaries if s.first_error), None),
                   similarity=similarity.mean if similarity else None, ran=any(s.ran for s in rep.summaries))


def print_warnings(name: str, *, errors: int, first_error: str | None, similarity: float | None, ran: bool) -> None:
    """What must not be overlooked in an attack's figures: errors, meaning-losing successes, a run that never ran."""
    if errors:
        err_console.print(f"[yellow]{errors} sample(s) ended in error[/] (not counted as failed attacks); "
                          f"first: {first_error}", highlight=False, soft_wrap=True)
    if similarity is not None and similarity < LOW_SIMILARITY:
        err_console.print(f"[yellow]the successful texts share little meaning with the originals[/] (mean sentence "
                          f"similarity {similarity:.2f} < {LOW_SIMILARITY}): many may not keep the gold "
                          "label, so read the ASR as an upper bound (see --save-examples).")
    if not ran:
        err_console.print(f"[bold red]the {name} attack did not run[/]: every sample errored; this says nothing "
                          "about the model's robustness.")
