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
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the libraries' own logs "
                                          "(transformers load reports, download bars).")] = False,
) -> None:
    """chainaudit: which model comes from which, how easily each falls, and what it passes on."""
    if not verbose:
        settings.quiet_libraries()


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



# -- fine-tuning -----------------------------------------------------------------------------------
DataDirOption = Annotated[Path | None, typer.Option(
    "--data-dir", envvar=settings.DATA_DIR_ENV, help="Local dataset folder (<name>/<name>.csv); else the Hub.")]


def _training_progress(description: str) -> tuple[Any, Callable[[int, int, float], None]]:
    """A rich progress bar for fine-tuning, and the hook that advances it."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("loss {task.fields[loss]:.3f}"), TimeElapsedColumn(), TimeRemainingColumn(),
                   console=console)
    task = bar.add_task(description, total=None, loss=float("nan"))

    def hook(done: int, total: int, loss: float) -> None:
        bar.update(task, completed=done, total=total, loss=loss)

    return bar, hook


def _run_finetune(base: str, dataset: str, out: Path, config: Any, *, name: str | None, revision: str | None,
                  allow_pickle: bool, overwrite: bool, data_dir: Path | None, db: Path) -> Any:
    """Fine-tune with a progress bar, record the model and its evaluation, print a summary."""
    from chainaudit.store import Store
    from chainaudit.zoo import finetune, record_finetune

    bar, hook = _training_progress(f"fine-tuning on {dataset}")
    with bar:
        result = finetune(base, dataset, out, config, name=name, revision=revision, allow_pickle=allow_pickle,
                          overwrite=overwrite, data_dir=data_dir, progress=hook)
    with Store(db) as store:
        record_finetune(store, result)
    speed = result.train_examples * config.epochs / max(result.train_seconds, 1e-9)
    table = Table(show_header=False, box=None)
    table.add_row("model", f"[bold]{result.model_id}[/] ({result.revision})")
    table.add_row("folder", str(result.path))
    table.add_row("base", f"{result.base_model} ({result.base_revision})")
    table.add_row("trained on", f"{result.train_examples} {result.dataset} examples × {config.epochs} epoch(s) in "
                  f"{result.train_seconds:.0f} s ({speed:.1f} ex/s)")
    table.add_row(f"{result.eval_split} accuracy", f"[bold]{result.accuracy:.4f}[/] on {result.eval_examples} examples")
    console.print(table)
    return result


@app.command("finetune")
@user_errors
def finetune_cmd(
    base: Annotated[str, typer.Argument(help="Base model: a Hub id, a local folder, or 'minilm' (bundled).")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name or .csv/.jsonl path.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the fine-tuned model to.")],
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training examples.")] = 1,
    max_examples: Annotated[int | None, typer.Option(min=1, help="Train on this many examples "
                                                     "(seeded random sample of the train split).")] = None,
    eval_examples: Annotated[int | None, typer.Option(min=1, help="Evaluate on the first N of the "
                                                      "evaluation split (default: all).")] = None,
    lr: Annotated[float, typer.Option("--lr", help="Peak learning rate (AdamW, linear decay).")] = 1e-4,
    batch_size: Annotated[int, typer.Option(min=1)] = 32,
    max_length: Annotated[int, typer.Option(min=8, help="Truncate inputs to this many tokens.")] = 128,
    seed: Annotated[int, typer.Option(help="Seed for sampling, shuffling and the new head.")] = 0,
    name: Annotated[str | None, typer.Option(help="Model id written to the card (default local/<out name>).")] = None,
    revision: Annotated[str | None, typer.Option(help="Hub revision of the base (default: main, pinned "
                                                 "to its commit sha).")] = None,
    allow_pickle: Annotated[bool, typer.Option("--allow-pickle", help="Allow a base with pickle weights "
                                               "(can run arbitrary code: trusted models only).")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a non-empty --out folder.")] = False,
    data_dir: DataDirOption = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Fine-tune BASE on a dataset's train split; write safetensors, tokenizer and a model card.

    The card's YAML names `base_model` (pinned by revision), `datasets` and the validation accuracy, so
    `chainaudit collect --from-dir` and `chainaudit lineage` read the chain it made. Fine-tune the result
    again to make a 3-model chain.
    """
    from chainaudit.zoo import FinetuneConfig

    config = FinetuneConfig(epochs=epochs, max_examples=max_examples, eval_examples=eval_examples,
                            learning_rate=lr, batch_size=batch_size, max_length=max_length, seed=seed)
    _run_finetune(base, dataset, out, config, name=name, revision=revision, allow_pickle=allow_pickle,
                  overwrite=overwrite, data_dir=data_dir, db=db)


@app.command()
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
    from chainaudit.attacks import AttackResources, build_recipe
    from chainaudit.data import load_split
    from chainaudit.store import Store
    from chainaudit.zoo import FinetuneConfig

    console.rule("[bold]chainaudit demo[/] 1/2: fine-tune MiniLM on SST-2")
    config = FinetuneConfig(max_examples=max_examples, learning_rate=1e-4, seed=0)
    result = _run_finetune("minilm", "sst2", out / "minilm-sst2", config, name="chainaudit-demo/minilm-sst2",
                           revision=None, allow_pickle=False, overwrite=True, data_dir=data_dir, db=db)
    console.print(f"SST-2 {result.eval_split} accuracy [bold]{result.accuracy:.3f}[/] over {result.eval_examples} "
                  f"sentences ({result.eval_sentences_per_s:.0f} sentences/s)")
    console.rule(f"[bold]chainaudit demo[/] 2/2: attack it ({attack_n} SST-2 validation sentences per recipe)")
    victim = result.evaluation.victim
    samples = load_split("sst2", "validation", data_dir=data_dir).samples[:attack_n]
    resources = AttackResources()
    similarity = resources.similarity()
    rows = []
    with Store(db) as store:
        for name in [a.strip() for a in attacks.split(",") if a.strip()]:
            recipe = build_recipe(name, resources)
            run = _attack_with_progress(recipe, victim, samples, store, study="demo", seed=0, budget=None,
                                        similarity=similarity)
            rows.append((name, run.summary))
    table = Table("attack", "asr", "asr_all", "accuracy after", "queries", "similarity", "s/sample", "errors",
                  title=f"robustness of {result.model_id}")
    for name, summary in rows:
        def pct(x: float | None) -> str:
            return "-" if x is None else f"{100 * x:.0f}%"
        table.add_row(name, pct(summary.asr), pct(summary.asr_all), pct(summary.accuracy_after),
                      f"{summary.mean_queries or 0:.0f}", f"{summary.mean_similarity or 0:.2f}",
                      f"{summary.seconds_per_sample or 0:.1f}", str(summary.errors))
    console.print(table)
    console.print(f"every outcome is stored in {db}: chainaudit export attack_results --db {db}")


@app.command()
@user_errors
def predict(
    model: Annotated[str, typer.Argument(help="A Hub id (owner/name), a local model folder, or 'minilm' (bundled).")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name or .csv/.jsonl path.")] = "sst2",
    n: Annotated[int, typer.Option("-n", help="How many samples (0 = the whole split).")] = 200,
    split: Annotated[str | None, typer.Option(help="Split (default: the dataset's evaluation split).")] = None,
    sample: Annotated[str, typer.Option(help="'first' N of the split or a seeded 'random' sample.")] = "first",
    seed: Annotated[int, typer.Option(help="Seed for --sample random.")] = 0,
    revision: Annotated[str | None, typer.Option(help="Hub revision (default main), recorded as its "
                                                 "commit sha.")] = None,
    allow_pickle: Annotated[bool, typer.Option("--allow-pickle", help="Allow pickle weights (pytorch_model.bin): "
                                               "they can run arbitrary code, so trusted models only.")] = False,
    label_map: Annotated[str | None, typer.Option(help='Model label -> dataset label, e.g. '
                                                  '"LABEL_0=negative,LABEL_1=positive" or JSON; "x=-" drops x. '
                                                  "Default: automatic alignment.")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Texts per forward pass (64 suits CPU and "
                                            "sentences up to ~128 tokens).")] = 64,
    max_length: Annotated[int, typer.Option(min=8, help="Truncate texts to this many tokens (default 256; "
                                            "truncated texts are counted).")] = 256,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", envvar=settings.DATA_DIR_ENV,
                                                  help="Local dataset folder (<name>/<name>.csv).")] = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Clean accuracy and throughput of MODEL on a dataset sample; recorded in the `evaluations` table."""
    from chainaudit.data import SamplingMode
    from chainaudit.store import Store
    from chainaudit.victims import evaluate_model, record_evaluation

    if sample not in ("first", "random"):
        raise typer.BadParameter(f"--sample must be first or random, not {sample!r}")
    mode: SamplingMode = "random" if sample == "random" else "first"
    evaluation = evaluate_model(model, dataset, split=split, n=n if n > 0 else None, sample=mode, seed=seed,
                                revision=revision, allow_pickle=allow_pickle, label_map=label_map,
                                batch_size=batch_size, max_length=max_length, data_dir=data_dir,
                                progress=console.is_terminal)
    with Store(db) as store:
        record_evaluation(store, evaluation)
    victim, result = evaluation.victim, evaluation.result
    if victim.new_weights:
        err_console.print(f"[yellow]warning:[/] {victim.model_id} has no trained classification head "
                          f"({len(victim.new_weights)} weights newly initialised); its accuracy is chance level.")
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_row("model", f"{victim.model_id} @ {victim.revision} ({victim.source})")
    table.add_row("data", f"{evaluation.dataset}/{evaluation.split}, {evaluation.sampling} (n={result.n})")
    table.add_row("accuracy", f"[bold]{result.accuracy:.4f}[/]")
    table.add_row("throughput", f"{result.sentences_per_s:.1f} sentences/s ({result.seconds:.2f} s, "
                  f"batch size {victim.batch_size}, {victim.device})")
    table.add_row("truncated", f"{result.truncated} of {result.n} texts at max_length {victim.max_length}")
    table.add_row("labels", victim.alignment.describe())
    console.print(table)
    console.print(f"recorded in {db} (evaluations)", highlight=False)


# -- hub, lineage, chains, select (issue 3) ----------------------------------------------------------
lineage_app = typer.Typer(help="Identify each model's upstream(s) (default), or score the extractor (eval).",
                          invoke_without_command=True)
app.add_typer(lineage_app, name="lineage")
LlmEndpoint = Annotated[str | None, typer.Option("--llm-endpoint", envvar="CHAINAUDIT_LLM_ENDPOINT", help=(
    "OpenAI-compatible API base URL (e.g. http://127.0.0.1:8000/v1) to read cards without an upstream; key "
    "from CHAINAUDIT_LLM_API_KEY or OPENAI_API_KEY."))]
LlmModel = Annotated[str, typer.Option("--llm-model", envvar="CHAINAUDIT_LLM_MODEL", help="Model name for the LLM.")]


def _say(message: str) -> None:
    console.print(message, highlight=False, soft_wrap=True)


def _progress() -> Any:
    """A rich progress bar with count, rate and ETA."""
    from rich import progress as rp
    from rich.text import Text

    class Rate(rp.ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(f"{task.speed:,.1f}/s" if task.speed else "-/s", style="progress.data.speed")

    return rp.Progress(rp.TextColumn("{task.description}"), rp.BarColumn(), rp.MofNCompleteColumn(), Rate(),
                       rp.TimeElapsedColumn(), rp.TextColumn("eta"), rp.TimeRemainingColumn(), console=err_console)


def _progress_fn(progress: Any) -> Callable[[str, int, int | None], None]:
    tasks: dict[str, Any] = {}

    def update(stage: str, done: int, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total)
        progress.update(tasks[stage], completed=done, total=total)

    return update


def _llm(endpoint: str | None, model: str) -> Any:
    from chainaudit.lineage.llm import LLMExtractor

    return LLMExtractor(endpoint, model) if endpoint else None


@app.command()
@user_errors
def collect(
    task: Annotated[str, typer.Option(help="Pipeline tag to crawl ('' for all).")] = "text-classification",
    limit: Annotated[int | None, typer.Option(help="Stop after N models.")] = None,
    since: Annotated[str | None, typer.Option(help="Only models created on/after this date (YYYY-MM-DD).")] = None,
    from_jsonl: Annotated[Path | None, typer.Option("--from-jsonl", help="Import JSONL records (offline).")] = None,
    from_dir: Annotated[Path | None, typer.Option("--from-dir", help="Import local model folders (offline).")] = None,
    model: Annotated[list[str] | None, typer.Option("--model", help="Fetch these Hub models (repeatable).")] = None,
    upstreams: Annotated[bool, typer.Option("--upstreams", help="Fetch external upstreams found by lineage.")] = False,
    endpoint: Annotated[str | None, typer.Option(envvar="HF_ENDPOINT", help="Hub URL.")] = None,
    workers: Annotated[int, typer.Option(help="Parallel README downloads.")] = 8,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Build the model catalog: crawl the Hub (resumable; re-crawls fetch only changed models) or import."""
    import os

    from chainaudit.hub import HubCrawler, import_dir, import_jsonl
    from chainaudit.store import Store

    with Store(db) as store:
        if from_jsonl or from_dir:
            for path, run in ((from_jsonl, import_jsonl), (from_dir, import_dir)):
                if path is None:
                    continue
                report = run(store, path)
                _say(f"imported {report.imported} models from {path} ({report.warnings} warnings, "
                     f"{len(report.skipped)} skipped)")
                for line in report.skipped[:20]:
                    err_console.print(f"[yellow]skipped[/] {line}", highlight=False, soft_wrap=True)
            return
        ids = list(model or [])
        if upstreams:
            ids += [r[0] for r in store.conn.execute(
                "SELECT DISTINCT parent FROM lineage_edges WHERE parent NOT IN (SELECT model_id FROM models)")]
        with _progress() as progress:
            crawler = HubCrawler(store, endpoint=endpoint, token=os.environ.get("HF_TOKEN") or None,
                                 workers=workers, progress=_progress_fn(progress))
            report = crawler.fetch_models(ids) if ids else crawler.crawl(task=task or None, limit=limit, since=since)
    _say(f"listed {report.listed} ({report.new} new, {report.changed} changed, {report.unchanged} "
         f"unchanged); READMEs fetched {report.cards_fetched}, failed {report.cards_failed} (retried next "
         f"run); {report.warnings} warnings; {report.restarts} listing restarts")


@lineage_app.callback(invoke_without_command=True)
@user_errors
def lineage(
    ctx: typer.Context,
    llm_endpoint: LlmEndpoint = None,
    llm_model: LlmModel = "gpt-4o-mini",
    show_warnings: Annotated[int, typer.Option(help="Print up to N per-model warnings.")] = 10,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Identify upstreams: metadata & tags, else card-text rules, else the LLM (optional), else name hints."""
    if ctx.invoked_subcommand is not None:
        return
    from chainaudit.lineage import identify_catalog
    from chainaudit.store import Store

    with Store(db) as store, _progress() as progress:
        report = identify_catalog(store, llm=_llm(llm_endpoint, llm_model), progress=_progress_fn(progress))
        shown = store.conn.execute("SELECT model_id, message FROM model_warnings WHERE stage = 'lineage' "
                                   "ORDER BY model_id LIMIT ?", (show_warnings,)).fetchall()
    share = report.with_upstream / report.models if report.models else 0.0
    _say(f"{report.models} models: {report.with_upstream} with an upstream ({share:.2%}); edges by source: "
         f"{dict(report.edges_by_source)}; {report.warnings} warnings; {report.seconds:.1f}s")
    if llm_endpoint or report.llm_cached:
        _say(f"LLM: asked {report.llm_asked}, cached {report.llm_cached}, rejected {report.llm_rejected}, "
             f"errors {report.llm_errors}")
    for model_id, message in shown:
        err_console.print(f"[yellow]warning[/] {model_id}: {message}", highlight=False, soft_wrap=True)


@lineage_app.command("eval")
@user_errors
def lineage_eval(
    file: Annotated[Path, typer.Argument(help='JSONL of {"model_id", "card", "upstream"} ("N/A" for none).')],
    llm_endpoint: LlmEndpoint = None,
    llm_model: LlmModel = "gpt-4o-mini",
    db: Annotated[Path | None, typer.Option("--db", help="Resolve names against this catalog.")] = None,
) -> None:
    """Score the card extractor on labelled cards: accuracy, precision/recall of "has an upstream"."""
    from chainaudit.lineage.evaluate import evaluate_cards
    from chainaudit.lineage.identify import load_resolver
    from chainaudit.store import Store

    resolver = None
    if db is not None:
        with Store(db) as store:
            resolver = load_resolver(store)
    report = evaluate_cards(file, resolver, _llm(llm_endpoint, llm_model))
    _say(f"{report.n} cards: accuracy {report.accuracy:.2%} ({report.correct}/{report.n}); has-upstream "
         f"precision {report.precision:.2%}, recall {report.recall:.2%}")
    if report.mistakes:
        table = Table("model", "expected", "predicted", "evidence", title="mistakes")
        for m in report.mistakes:
            table.add_row(m.model_id, ", ".join(m.expected) or "N/A", ", ".join(m.predicted) or "N/A", m.evidence)
        console.print(table)


@app.command()
@user_errors
def chains(
    top: Annotated[int, typer.Option(help="Rows of the top-upstream table.")] = 20,
    of: Annotated[str | None, typer.Option("--of", help="List the descendants of this model instead.")] = None,
    min_confidence: Annotated[float, typer.Option(help="Ignore edges below this confidence.")] = 0.0,
    show: Annotated[int, typer.Option(help="Also print the first N chains (enumeration is capped).")] = 0,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """RQ1 figures of the lineage graph (stored in chain_stats), or the blast radius of one model (--of)."""
    from itertools import islice

    from chainaudit.lineage import count_chains, iter_chains, load_graph
    from chainaudit.lineage.identify import load_resolver
    from chainaudit.lineage.stats import descendant_rows, rq1_stats, save_stats
    from chainaudit.store import Store

    with Store(db) as store:
        cg = load_graph(store, min_confidence)
        if of is not None:
            ref = load_resolver(store).resolve(of, loose=True)
            node = ref.model_id if ref else of
            rows = descendant_rows(store, cg, node)
            table = Table("model", "depth", "downloads", "task", title=f"descendants of {node}")
            for r in rows:
                table.add_row(r["model"], str(r["depth"]), "-" if r["downloads"] is None else f"{r['downloads']:,}",
                              r["pipeline_tag"] or "-")
            console.print(table)
            total = sum(r["downloads"] or 0 for r in rows)
            _say(f"{len(rows)} descendants of {node}, {total:,} downloads in all")
            return
        counts = count_chains(cg)
        stats = rq1_stats(store, cg, counts, top_k=top)
        save_stats(store, stats)
    _print_stats(stats, counts)
    for path in islice(iter_chains(cg), show):
        _say(" -> ".join(path))


def _print_stats(stats: dict[str, Any], counts: Any) -> None:
    cov, ch, tail, cyc = stats["coverage"], stats["chains"], stats["download_tail"], stats["cycles"]
    summary = Table("figure", "value", title="lineage (RQ1)")
    summary.add_row("models", f"{cov['models']:,}")
    summary.add_row("with an upstream", f"{cov['with_upstream']:,} ({cov['share_with_upstream']:.2%})")
    summary.add_row("models used as upstream", f"{cov['upstream_models']:,} ({cov['upstream_models_external']:,} "
                    "external)")
    summary.add_row("upstream-downstream pairs", f"{cov['pairs']:,}")
    summary.add_row("chains (root-to-leaf paths, counted by DP)", f"{ch['count']:,}, average {ch['average_length']:.2f}"
                    " models")
    for k, v in ch["by_length"].items():
        summary.add_row(f"  chains of {k} models", f"{v:,} ({ch['share_by_length'][k]:.2%})")
    summary.add_row("downloaded at least once", f"{tail['share_downloaded_at_least_once']:.2%}")
    summary.add_row("downloads held by top 20", f"{tail['share_downloads_top20']:.2%}")
    summary.add_row(f"downloads held by top 0.1% ({tail['top_0_1_percent_models']} models)",
                    f"{tail['share_downloads_top_0_1_percent']:.2%}")
    summary.add_row("self-loops / cycle edges removed", f"{cyc['self_loop_count']} / {cyc['broken_count']}")
    summary.add_row("edges by source", ", ".join(f"{k} {v:,}" for k, v in stats["edges_by_source"].items()))
    console.print(summary)
    table = Table("upstream", "downstream", "share of pairs", "top downstream task", "downloads", "rank",
                  title="top upstream models")
    for r in stats["top_upstreams"]:
        table.add_row(r["model"] + (" (external)" if r["external"] else ""), f"{r['downstream']:,}",
                      f"{r['share_of_pairs']:.2%}", f"{r['top_downstream_task'] or '-'} ({r['top_task_share']:.0%})",
                      "-" if r["downloads"] is None else f"{r['downloads']:,}",
                      "-" if r["download_rank"] is None else str(r["download_rank"]))
    console.print(table)


@app.command()
@user_errors
def select(
    out: Annotated[Path, typer.Option("--out", "-o", help="Study config YAML to write.")] = Path("study.yaml"),
    name: Annotated[str, typer.Option(help="Study name.")] = "chains",
    min_downloads: Annotated[int, typer.Option(help="Every model needs at least this many downloads.")] = 30,
    require_datasets: Annotated[bool, typer.Option("--require-datasets/--no-require-datasets",
                                                   help="Every model must declare its training datasets.")] = True,
    max_chains: Annotated[int | None, typer.Option(help="Keep the K longest, most downloaded chains.")] = None,
    exempt_roots: Annotated[bool, typer.Option("--exempt-roots", help="Roots (pretrained bases, external "
                                               "upstreams) need not meet the criteria.")] = False,
    dataset: Annotated[list[str] | None, typer.Option("--dataset", help="Datasets to attack on (default: "
                                                      "what the chains' last models declare).")] = None,
    attack: Annotated[list[str] | None, typer.Option("--attack", help="Attacks (default the paper's six).")] = None,
    n_samples: Annotated[int, typer.Option(help="First N samples of each dataset's evaluation split.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    min_confidence: Annotated[float, typer.Option(help="Ignore lineage edges below this confidence.")] = 0.0,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Select study subjects (chains whose every model declares datasets and has >= 30 downloads)."""
    from chainaudit.data import REGISTRY
    from chainaudit.lineage import load_graph
    from chainaudit.lineage.selection import Criteria, select_chains
    from chainaudit.store import Store
    from chainaudit.study.config import PAPER_ATTACKS, ModelRef, StudyConfig, dataset_name, dump_study_config

    with Store(db) as store:
        cg = load_graph(store, min_confidence)
        sel = select_chains(store, cg, Criteria(min_downloads, require_datasets, max_chains,
                                                     exempt_roots=exempt_roots))
    if not sel.chains:
        raise ChainauditError(f"no chain qualifies ({sel.eligible_models} models in the graph meet the criteria); "
                              "try a lower --min-downloads or --no-require-datasets")
    datasets = list(dataset or dict.fromkeys(dataset_name(d) for c in sel.chains for d in c[-1].datasets))
    if not datasets:
        raise ChainauditError("the selected chains declare no datasets; pass --dataset NAME")
    try:
        config = StudyConfig(name=name, datasets=datasets, attacks=list(attack or PAPER_ATTACKS), n_samples=n_samples,
                             seed=seed, chains=[[ModelRef(id=m.model_id, revision=m.revision, path=m.path)
                                                 for m in chain] for chain in sel.chains])
    except ValueError as exc:
        raise ChainauditError(f"invalid study settings: {exc}") from exc
    dump_study_config(config, out)
    note = " (enumeration capped)" if sel.truncated else ""
    _say(f"wrote {out}: {len(config.chains)} of {sel.candidate_chains} qualifying chains{note}, "
         f"{sel.eligible_models} eligible models, datasets {datasets}")
    unknown = [d for d in datasets if d not in REGISTRY]
    if unknown:
        err_console.print(f"[yellow]note[/] datasets not in the registry (loaded by path or Hub name): {unknown}")


# -- attacks ---------------------------------------------------------------------------------------
#: Below this mean MiniLM similarity of the successes, the summary warns that the ASR is an upper bound
#: (word-level attacks here score 0.75-0.85; a weakly trained GAN's rewrites about 0.25).
LOW_SIMILARITY = 0.5


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _print_repeats_summary(name: str, model: str, runs: dict[int, list[Any]]) -> None:
    """Per-seed ASR and the mean ± sample std (min-max) over the repeats."""
    from chainaudit.attacks import summarize_repeats

    rep = summarize_repeats(runs)
    metrics = {"asr": ("ASR (succeeded / attacked)", True), "asr_all": ("ASR (the paper's, all samples)", True),
               "accuracy_after": ("accuracy after", True), "mean_queries": ("queries per attacked sample", False),
               "mean_similarity": ("sentence similarity (successes)", False),
               "seconds_per_sample": ("seconds per sample", False)}
    table = Table("metric", *(f"seed {s}" for s in rep.seeds), "mean ± std", "min-max",
                  title=f"{name} on {model}, {len(rep.seeds)} repeats")
    for key, (label, is_pct) in metrics.items():
        def fmt(x: float | None, is_pct: bool = is_pct) -> str:
            return _pct(x) if is_pct else ("-" if x is None else f"{x:.3g}")
        spread = rep.spread(key)
        table.add_row(label, *(fmt(getattr(s, key)) for s in rep.summaries),
                      "-" if spread is None else f"{fmt(spread.mean)} ± {fmt(spread.std)}",
                      "-" if spread is None else f"{fmt(spread.low)}-{fmt(spread.high)}")
    console.print(table)
    if rep.identical:
        console.print("[dim]every repeat gave the same outcomes and texts: this attack is deterministic on these "
                      "samples.[/]")
    similarity = rep.spread("mean_similarity")
    _print_attack_warnings(name, errors=sum(s.errors for s in rep.summaries),
                           first_error=next((s.first_error for s in rep.summaries if s.first_error), None),
                           similarity=similarity.mean if similarity else None,
                           ran=any(s.ran for s in rep.summaries))


def _print_attack_warnings(name: str, *, errors: int, first_error: str | None, similarity: float | None,
                           ran: bool) -> None:
    """What must not be overlooked in an attack's figures: errors, meaning-losing successes, a run that never ran."""
    if errors:
        err_console.print(f"[yellow]{errors} sample(s) ended in error[/] (not counted as failed attacks); "
                          f"first: {first_error}")
    if similarity is not None and similarity < LOW_SIMILARITY:
        err_console.print(f"[yellow]the successful texts share little meaning with the originals[/] (mean sentence "
                          f"similarity {similarity:.2f} < {LOW_SIMILARITY}): many may not keep the gold "
                          "label, so read the ASR as an upper bound (see --save-examples).")
    if not ran:
        err_console.print(f"[bold red]the {name} attack did not run[/]: every sample errored; this says nothing "
                          "about the model's robustness.")


def _print_attack_summary(name: str, model: str, summary: Any, resumed: int) -> None:
    pct = _pct

    def num(x: float | None, fmt: str = ".1f") -> str:
        return "-" if x is None else format(x, fmt)

    table = Table(title=f"{name} on {model}", show_header=False, box=None, padding=(0, 2))
    table.add_row("samples", f"{summary.total} ({summary.succeeded} succeeded, {summary.failed} failed, "
                  f"{summary.skipped} skipped as already wrong, {summary.errors} errors"
                  + (f"; {resumed} resumed from the database)" if resumed else ")"))
    table.add_row("ASR (asr: succeeded / attacked)", pct(summary.asr))
    table.add_row("ASR (asr_all: flipped / all, the paper's)", pct(summary.asr_all))
    table.add_row("accuracy before → after", f"{pct(summary.accuracy_before)} → {pct(summary.accuracy_after)}")
    table.add_row("mean queries per attacked sample", num(summary.mean_queries))
    table.add_row("mean modification rate (successes)", pct(summary.mean_modification_rate))
    table.add_row("mean sentence similarity (successes)", num(summary.mean_similarity, ".3f"))
    table.add_row("seconds per sample", num(summary.seconds_per_sample, ".2f"))
    console.print(table)
    _print_attack_warnings(name, errors=summary.errors, first_error=summary.first_error,
                           similarity=summary.mean_similarity, ran=summary.ran)


def _attack_with_progress(recipe: Any, victim: Any, samples: Any, store: Any, *, study: str, seed: int,
                          budget: int | None, similarity: Any, concurrency: int = 8) -> Any:
    """Run one recipe under a progress bar (flips counted live); the model is recorded in `models`."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from chainaudit.attacks import run_attack

    store.upsert("models", [{"model_id": victim.model_id, "revision": victim.revision, "source": victim.source,
                             "path": victim.path}])
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[wins]} flipped"), TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(recipe.name, total=len(samples), wins=0)
        wins = 0

        def advance(outcome: Any) -> None:
            nonlocal wins
            wins += outcome.outcome == "succeeded"
            bar.update(task, advance=1, wins=wins)

        run = run_attack(recipe, victim, samples, store, study_id=study, seed=seed, budget=budget,
                         similarity=similarity, on_outcome=advance, concurrency=concurrency)
        bar.update(task, completed=len(samples))
    return run


@app.command()
@user_errors
def attack(
    model: Annotated[str, typer.Argument(help="A Hub id (owner/name), a local model folder, or 'minilm'.")],
    attack_name: Annotated[str, typer.Option("--attack", "-a", help="textbugger | hotflip | hotflip-blackbox | "
                                             "textfooler | pwws | scpn | gan")] = "pwws",
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name or .csv/.jsonl path.")] = "sst2",
    n: Annotated[int, typer.Option("-n", min=1, help="How many samples to attack.")] = 100,
    split: Annotated[str | None, typer.Option(help="Split (default: the dataset's evaluation split).")] = None,
    sample: Annotated[str, typer.Option(help="'first' N of the split (the paper) or a seeded 'random' sample.")
                      ] = "first",
    seed: Annotated[int, typer.Option(help="Seed of the attack's random choices (and of --sample random).")] = 0,
    budget: Annotated[int | None, typer.Option(min=1, help="Query budget per sample (default: none).")] = None,
    study: Annotated[str, typer.Option(help="Study id the results are stored under; re-running resumes.")
                     ] = "adhoc",
    save_examples: Annotated[Path | None, typer.Option(help="Write every outcome with its adversarial text "
                                                       "to this JSONL file.")] = None,
    word_vectors: Annotated[Path | None, typer.Option("--word-vectors", help="Counter-fitted word vectors "
                                                      "(text or .npz); default: the built-in fallback.")] = None,
    scpn_dir: Annotated[Path | None, typer.Option("--scpn-dir", envvar="CHAINAUDIT_SCPN_DIR", help="Folder "
                                                  "with the SCPN files (scpn.pt, parse_generator.pt, ...); "
                                                  "default: the chainaudit cache's scpn/.")] = None,
    gan_dir: Annotated[Path | None, typer.Option("--gan", envvar="CHAINAUDIT_GAN_DIR", help="Folder of a GAN "
                                                 "from `resources train-gan` (default: the cache's gan/<dataset>, "
                                                 "else another dataset's, with a warning).")] = None,
    revision: Annotated[str | None, typer.Option(help="Hub revision (recorded as its commit sha).")] = None,
    allow_pickle: Annotated[bool, typer.Option("--allow-pickle", help="Allow pickle weights (trusted "
                                               "models only).")] = False,
    label_map: Annotated[str | None, typer.Option(help='Model label -> dataset label, e.g. '
                                                  '"LABEL_0=negative,LABEL_1=positive".')] = None,
    max_length: Annotated[int, typer.Option(min=8, help="Truncate texts to this many tokens.")] = 256,
    repeats: Annotated[int, typer.Option(min=1, help="Run the attack with seeds SEED..SEED+REPEATS-1 and report "
                                         "the mean and spread (the paper ran its random attacks 3 times).")] = 1,
    concurrency: Annotated[int, typer.Option(min=1, help="Samples attacked at once, their model calls merged "
                                             "into shared batches (same outcomes, faster); 1 = one at a "
                                             "time.")] = 8,
    data_dir: DataDirOption = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Attack MODEL on dataset samples; store every outcome; print ASR (both conventions) and costs."""
    from chainaudit.attacks import AttackResources, build_recipe
    from chainaudit.attacks import save_examples as write_examples
    from chainaudit.data import load_split, select
    from chainaudit.store import Store
    from chainaudit.victims import LocalHFVictim

    if sample not in ("first", "random"):
        raise typer.BadParameter(f"--sample must be first or random, not {sample!r}")
    loaded = load_split(dataset, split, data_dir=data_dir)
    samples = select(loaded.samples, n, "random" if sample == "random" else "first", seed)
    victim = LocalHFVictim.load(model, loaded.label_names, revision=revision, allow_pickle=allow_pickle,
                                label_map=label_map, max_length=max_length)
    resources = AttackResources(word_vectors_path=word_vectors, scpn_dir=scpn_dir, gan_dir=gan_dir)
    recipe = build_recipe(attack_name, resources)
    similarity = resources.similarity()
    console.print(f"[bold]{recipe.name}[/] ({recipe.paper}) on {victim.model_id}@{victim.revision[:16]}, "
                  f"{len(samples)} {loaded.name}/{loaded.split} samples")
    runs = {}
    with Store(db) as store:
        for run_seed in range(seed, seed + repeats):
            runs[run_seed] = _attack_with_progress(recipe, victim, samples, store, study=study, seed=run_seed,
                                                   budget=budget, similarity=similarity, concurrency=concurrency)
            if repeats > 1:
                console.print(f"seed {run_seed}: ASR {_pct(runs[run_seed].summary.asr)} (asr_all "
                              f"{_pct(runs[run_seed].summary.asr_all)})")
    if repeats == 1:
        _print_attack_summary(recipe.name, victim.model_id, runs[seed].summary, runs[seed].resumed)
    else:
        _print_repeats_summary(recipe.name, victim.model_id, {k: r.outcomes for k, r in runs.items()})
    if save_examples:
        count = write_examples([o for r in runs.values() for o in r.outcomes], save_examples)
        console.print(f"wrote {count} examples to {save_examples}")


# -- resources -------------------------------------------------------------------------------------
resources_app = typer.Typer(help="Resources the attacks use: WordNet, stop words, sentence encoder, word vectors, "
                                 "POS tagger.", no_args_is_help=True)
app.add_typer(resources_app, name="resources")
WordVectorsOption = Annotated[Path | None, typer.Option(
    "--word-vectors", envvar="CHAINAUDIT_WORD_VECTORS",
    help="Counter-fitted vectors file (counter-fitted-vectors.txt[.zip]); default: the built fallback.")]


@resources_app.command("status")
@user_errors
def resources_status(
    word_vectors: WordVectorsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Exit with status 1 when a resource the word-level attacks "
                                        "need is missing (SCPN weights and a GAN are optional).")] = False,
) -> None:
    """Show each resource, where it was found, its sha256, and the command that gets a missing one."""
    import json

    from chainaudit.resources import status

    rows = status(word_vectors)
    if as_json:
        console.print_json(json.dumps([r.as_dict() for r in rows]))
    else:
        table = Table("resource", "sha256", show_lines=True)
        table.add_column("where, what, how to get it", overflow="fold")
        for r in rows:
            state = "[green]ok[/]" if r.available else "[yellow]not yet[/]" if r.optional else "[bold red]missing[/]"
            note = f"{r.location}\n{r.detail}" if r.location else r.detail
            if not r.available and r.how_to_get not in r.detail:
                note += f"\n[bold]get it:[/] {r.how_to_get}"
            table.add_row(f"{r.name}\n{state}", (r.sha256 or "-")[:16], note)
        console.print(table, soft_wrap=False, crop=False)
        console.print("[dim]sha256: first 16 hex digits (full ones with --json)[/]")
    if check and not all(r.available or r.optional for r in rows):
        raise typer.Exit(1)


@resources_app.command("train-gan")
@user_errors
def resources_train_gan(
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset whose train split the GAN learns.")
                       ] = "sst2",
    minutes: Annotated[float, typer.Option(min=0.05, help="Training time budget.")] = 5.0,
    max_examples: Annotated[int | None, typer.Option(min=2, help="Train on a seeded random N sentences.")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder to save to (default: the cache's gan/<dataset>).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of initialisation, batches and noise.")] = 0,
    threads: Annotated[int, typer.Option(min=1, help="torch threads (1 is fastest on a busy 2-core machine).")] = 1,
    data_dir: DataDirOption = None,
) -> None:
    """Train the GAN attack's ARAE + inverter (Zhao et al. 2018) on a dataset's sentences, on CPU, in minutes."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from chainaudit.resources.gan import save_gan
    from chainaudit.resources.gan.store import default_dir
    from chainaudit.resources.gan.train import GanConfig, train_gan, training_texts

    texts, dataset, source = training_texts(dataset, max_examples=max_examples, seed=seed, data_dir=data_dir)
    config = GanConfig(minutes=minutes, seed=seed, threads=threads)
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[note]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(f"GAN on {len(texts)} {dataset} sentences", total=config.minutes * 60, note="")

        def hook(elapsed: float, budget: float, step: int, row: dict[str, float]) -> None:
            loss = row.get("train_loss", row.get("rec_loss", float("nan")))
            acc = row.get("train_acc", row.get("rec_acc", float("nan")))
            bar.update(task, completed=min(elapsed, budget), note=f"step {step}, loss {loss:.2f}, acc {acc:.2f}")

        result = train_gan(texts, dataset, config, source=source, progress=hook)
        bar.update(task, completed=config.minutes * 60)
    folder = save_gan(result.gan, out or default_dir(dataset))
    meta, final = result.gan.meta, result.gan.meta["final"]
    console.print(f"saved the {dataset} GAN to [bold]{folder}[/]: {meta['steps']} steps in {meta['seconds']:.0f} s; "
                  f"held-out reconstruction accuracy {final['rec_acc']:.3f} (through G(I(c)) "
                  f"{final['inv_rec_acc']:.3f}); training data sha256 {meta['data_sha256']}")


@resources_app.command("build")
@user_errors
def resources_build(word_vectors: WordVectorsOption = None) -> None:
    """Prepare WordNet for NLTK and load (or build, once) the word vectors, printing where and their sha256."""
    import time

    from chainaudit.resources import fallback_vectors, load_word_vectors, wordnet

    found = wordnet.find_wordnet()
    wordnet.load_wordnet(found)
    console.print(f"WordNet: {found.root} (from {found.source})")
    start = time.perf_counter()
    if word_vectors is None:
        vectors = fallback_vectors.build_fallback(progress=console.print)
    else:
        vectors = load_word_vectors(word_vectors)
    console.print(f"word vectors: {vectors.source} ({vectors.kind}, {len(vectors)} words), sha256 {vectors.sha256}, "
                  f"{time.perf_counter() - start:.0f} s")
