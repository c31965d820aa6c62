"""Commands about the catalog and its lineage (the paper's RQ1): `collect`, `lineage`, `chains`, `select`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from chainaudit import settings
from chainaudit.cli import progress
from chainaudit.cli.common import DbOption, MinConfidence, RelationOption, console, err_console, say, user_errors, warn

if TYPE_CHECKING:
    from chainaudit.lineage.figures import BlastRadius

lineage_app = typer.Typer(help="Identify each model's upstream(s) (default), or score the extractor (eval).",
                          invoke_without_command=True)
LlmEndpoint = Annotated[str | None, typer.Option("--llm-endpoint", envvar=settings.LLM_ENDPOINT_ENV, help=(
    "OpenAI-compatible API base URL (e.g. http://127.0.0.1:8000/v1) to read cards without an upstream; key "
    "from CHAINAUDIT_LLM_API_KEY or OPENAI_API_KEY."))]
LlmModel = Annotated[str, typer.Option("--llm-model", envvar=settings.LLM_MODEL_ENV, help="Model name for the LLM.")]
JSONL_FIELDS = ("one JSON object a line with model_id (or id / modelId; required) and any of revision (or sha), "
                "downloads, likes, tags (list), pipeline_tag, library (or library_name), created_at (or createdAt), "
                "card_text (or card / readme: the README, YAML front matter included), card_data (or cardData), "
                "datasets (list), id2label (object)")


def register(app: typer.Typer) -> None:
    app.command()(collect)
    app.command()(chains)
    app.command()(select)


def _llm(endpoint: str | None, model: str) -> Any:
    from chainaudit.lineage.llm import LLMExtractor

    return LLMExtractor(endpoint, model) if endpoint else None


@user_errors
def collect(
    task: Annotated[str, typer.Option(help="Pipeline tag to crawl ('' for all).")] = "text-classification",
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after N models.")] = None,
    since: Annotated[str | None, typer.Option(help="Only models created on/after this date (YYYY-MM-DD).")] = None,
    from_jsonl: Annotated[Path | None, typer.Option("--from-jsonl", help=f"Import records offline: {JSONL_FIELDS}.")
                          ] = None,
    from_dir: Annotated[Path | None, typer.Option("--from-dir", help="Import local model folders offline (each with "
                                                  "config.json and a README.md card, as `finetune` writes).")] = None,
    model: Annotated[list[str] | None, typer.Option("--model", help="Fetch these Hub models (repeatable).")] = None,
    upstreams: Annotated[bool, typer.Option("--upstreams", help="Fetch the external upstreams that `lineage` found "
                                            "but the catalog lacks.")] = False,
    endpoint: Annotated[str | None, typer.Option(envvar=settings.HF_ENDPOINT_ENV, help="Hub URL.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Parallel README downloads.")] = 8,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Build the model catalog: crawl the Hub (resumable; re-crawls fetch only changed models) or import."""
    from chainaudit.hub import collect_catalog
    from chainaudit.lineage import external_upstreams
    from chainaudit.store import Store

    with Store(db) as store, progress.stages() as update:
        ids = [*(model or []), *(external_upstreams(store) if upstreams else [])]
        report = collect_catalog(store, task=task or None, limit=limit, since=since, from_jsonl=from_jsonl,
                                 from_dir=from_dir, models=ids, endpoint=endpoint, workers=workers, progress=update)
    for line in report.lines():
        say(line)
    for line in report.skipped[:20]:
        err_console.print(f"[yellow]skipped[/] {line}", highlight=False, soft_wrap=True)


@lineage_app.callback(invoke_without_command=True)
@user_errors
def lineage(
    ctx: typer.Context,
    llm_endpoint: LlmEndpoint = None,
    llm_model: LlmModel = "gpt-4o-mini",
    show_warnings: Annotated[int, typer.Option(min=0, help="Print up to N per-model warnings.")] = 10,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Identify upstreams: metadata & tags, else card-text rules, else the LLM (optional), else name hints."""
    if ctx.invoked_subcommand is not None:
        return
    from chainaudit.lineage import identify_catalog, lineage_warnings
    from chainaudit.store import Store

    with Store(db) as store, progress.stages() as update:
        report = identify_catalog(store, llm=_llm(llm_endpoint, llm_model), progress=update)
        shown = lineage_warnings(store, show_warnings)
    share = report.with_upstream / report.models if report.models else 0.0
    say(f"{report.models} models: {report.with_upstream} with an upstream ({share:.2%}); edges by source: "
        f"{dict(report.edges_by_source)}; {report.warnings} warnings; {report.seconds:.1f}s")
    if llm_endpoint or report.llm_cached:
        say(f"LLM: asked {report.llm_asked}, cached {report.llm_cached}, rejected {report.llm_rejected}, "
            f"errors {report.llm_errors}")
    for model_id, message in shown:
        warn(f"{model_id}: {message}")


class MistakesShown(StrEnum):
    """Which mistakes `lineage eval` lists."""

    all = "all"
    tune = "tune"
    none = "none"


@lineage_app.command("eval")
@user_errors
def lineage_eval(
    file: Annotated[Path, typer.Argument(help='JSONL (or a folder of .jsonl files) of {"model_id", "card", '
                                         '"upstream"} ("N/A" for none), '
                                         'optionally "alternatives" (other correct answers), "kind", '
                                         '"relation" (finetune, adapter, quantized, merge, distillation, '
                                         'continued-pretraining: scored where the parent is right) and "part" '
                                         '(tune / held-back; else fixed by a hash of the id).')],
    llm_endpoint: LlmEndpoint = None,
    llm_model: LlmModel = "gpt-4o-mini",
    db: Annotated[Path | None, typer.Option("--db", help="Resolve names against this catalog.")] = None,
    mistakes: Annotated[MistakesShown, typer.Option(
        "--mistakes", help="Which wrong answers to list: every part's, only the tune part's (use this while you "
        "change rules, so the held-back part stays unseen), or none.")] = MistakesShown.all,
) -> None:
    """Score the card extractor on labelled cards: accuracy overall, per part and per kind, precision/recall
    of "has an upstream", how often the edge's relation matches a labelled one; then the mistakes."""
    from chainaudit.lineage.evaluate import evaluate_cards
    from chainaudit.lineage.identify import load_resolver
    from chainaudit.store import Store

    resolver = None
    if db is not None:
        with Store(db) as store:
            resolver = load_resolver(store)
    report = evaluate_cards(file, resolver, _llm(llm_endpoint, llm_model))
    _print_eval(report, mistakes)


def _print_eval(report: Any, shown: MistakesShown = MistakesShown.all) -> None:
    """Overall, per part (tune / held-back) and per kind; then the mistakes."""
    def line(name: str, r: Any) -> str:
        return (f"{name}: {r.n} cards, accuracy {r.accuracy:.2%} ({r.correct}/{r.n}); has-upstream precision "
                f"{r.precision:.2%}, recall {r.recall:.2%}")

    say(line("all", report) + (f" ({report.duplicates} lines skipped: their model id was labelled earlier)"
                                if report.duplicates else ""))
    for part in ("tune", "held-back"):
        if report.where(part=part).n:
            say(line(part, report.where(part=part)))
    if report.relation_scored:
        held = report.where(part="held-back")
        say(f"relation of the edge, where the parent is right and the label names one: "
            f"{report.relation_agreement:.1%} agree ({len(report.relation_scored)} cards)"
            + (f"; held-back {held.relation_agreement:.1%} ({len(held.relation_scored)})" if held.relation_scored
               else ""))
    if len(report.kinds()) > 1:
        table = Table("kind", "cards", "accuracy", "held-back cards", "held-back accuracy", title="per kind")
        for kind in report.kinds():
            every, held = report.where(kind=kind), report.where(kind=kind, part="held-back")
            table.add_row(kind, str(every.n), f"{every.accuracy:.1%}", str(held.n),
                          f"{held.accuracy:.1%}" if held.n else "-")
        console.print(table)
    _print_by_confidence(report)
    listed = [m for m in report.mistakes if shown is MistakesShown.all or (
        shown is MistakesShown.tune and m.part == "tune")]
    if shown is MistakesShown.tune and len(listed) < len(report.mistakes):
        say(f"{len(report.mistakes) - len(listed)} held-back mistakes not listed (--mistakes tune)")
    if listed:
        from rich.markup import escape  # card text is data: a "[/path]" in it is not markup

        table = Table("model", "kind", "part", "expected", "predicted", "evidence", title="mistakes")
        for m in listed:
            table.add_row(*(escape(c) for c in (m.model_id, m.kind, m.part, ", ".join(m.expected) or "N/A",
                                                ", ".join(m.predicted) or "N/A", m.evidence)))
        console.print(table)


def _print_by_confidence(report: Any) -> None:
    """What `chains --min-confidence T` would keep: precision and recall of "has an upstream", and accuracy, per T,
    on every card and on the held-back part."""
    table = Table("--min-confidence", "edges kept", "precision", "recall", "accuracy", "held-back precision",
                  "held-back accuracy", title="by edge confidence")
    for threshold in (0.0, 0.5, 0.6, 0.7, 0.8, 0.9):
        every = report.at_confidence(threshold)
        held = every.where(part="held-back")
        table.add_row(f"{threshold:.1f}", str(every.tp + every.fp), f"{every.precision:.1%}", f"{every.recall:.1%}",
                      f"{every.accuracy:.1%}", f"{held.precision:.1%}" if held.n else "-",
                      f"{held.accuracy:.1%}" if held.n else "-")
    console.print(table)


@user_errors
def chains(
    top: Annotated[int, typer.Option(min=1, help="Rows of the top-upstream table.")] = 20,
    of: Annotated[str | None, typer.Option("--of", help="List the descendants of this model instead.")] = None,
    min_confidence: MinConfidence = 0.0,
    relation: RelationOption = None,
    show: Annotated[int, typer.Option(min=0, help="Also print the first N chains (enumeration is capped).")] = 0,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """RQ1 figures of the lineage graph (stored in chain_stats), or the blast radius of one model (--of), over the
    edges of the chosen relations and confidence; broken cycles are listed."""
    from chainaudit.lineage.figures import blast_radius, chain_report
    from chainaudit.lineage.graph import EdgeFilter
    from chainaudit.store import Store

    edges = EdgeFilter.parse(relation, min_confidence)
    with Store(db) as store:
        if of is not None:
            _print_descendants(blast_radius(store, of, edges))
            return
        report = chain_report(store, edges, top=top, show=show)
    _print_stats(report.stats)
    for path in report.shown:
        say(" -> ".join(path))


def _print_descendants(blast: BlastRadius) -> None:
    """The descendants table, and where the store marks models on their paths poisoned, who inherits what."""
    from rich.markup import escape

    from chainaudit.lineage.figures import describe_mark

    node, rows = blast.model, blast.rows
    if blast.mark is not None:  # ids and reasons are escaped: a `[` in them is text, not rich markup
        say(escape(f"{node} is marked poisoned ({describe_mark(blast.mark)})"))
    if blast.upstream is not None:
        distance, source = blast.upstream
        say(escape(f"{node} descends from {source}, marked poisoned {distance} hop(s) up "
                   f"({describe_mark(blast.marks[source])})"))
    flagged = bool(blast.marks)
    columns = ["model", "depth", "downloads", "task", *(["poisoned upstream"] if flagged else [])]
    table = Table(*columns, title=f"descendants of {node}")
    for r in rows:
        cells = [escape(r["model"]) + (" (marked poisoned)" if r["poisoned"] else ""), str(r["depth"]),
                 "unknown" if r["downloads"] is None else f"{r['downloads']:,}", r["pipeline_tag"] or "-"]
        table.add_row(*cells, *([escape(r["poisoned_upstream"] or "-")] if flagged else []))
    console.print(table)
    total = sum(r["downloads"] or 0 for r in rows)
    unknown = sum(r["downloads"] is None for r in rows)
    say(f"{len(rows)} descendants of {node}, {total:,} downloads in all"
        + (f" ({unknown} with unknown downloads, not counted)" if unknown else ""))
    for source, count in blast.inherited().items():
        who = "1 descendant inherits" if count == 1 else f"{count} descendants inherit"
        say(escape(f"{who} the backdoor of {source}: re-check them"))
    say(escape(blast.counted))
    _print_cycles([c.describe() for c in blast.cycles], len(blast.cycles))


def _print_cycles(lines: list[str], total: int) -> None:
    """One line per broken cycle: its edges and the one dropped (the first 20; the rest are counted)."""
    from rich.markup import escape

    for line in lines[:20]:
        say(escape(f"cycle broken: {line}"))
    if total > 20:
        say(f"... and {total - 20:,} more broken cycles (the first 100 are in chain_stats 'cycles')")


def _print_stats(stats: dict[str, Any]) -> None:
    from rich.markup import escape

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
    if tail.get("unknown_downloads"):
        summary.add_row("models with unknown downloads (left out of the shares)", f"{tail['unknown_downloads']:,}")
    summary.add_row("downloaded at least once", f"{tail['share_downloaded_at_least_once']:.2%}")
    summary.add_row("downloads held by top 20", f"{tail['share_downloads_top20']:.2%}")
    summary.add_row(f"downloads held by top 0.1% ({tail['top_0_1_percent_models']} models)",
                    f"{tail['share_downloads_top_0_1_percent']:.2%}")
    summary.add_row("self-loops / cycle edges removed", f"{cyc['self_loop_count']} / {cyc['broken_count']}")
    summary.add_row("edges by source", ", ".join(f"{k} {v:,}" for k, v in stats["edges_by_source"].items()))
    summary.add_row("edges by relation", ", ".join(f"{k} {v:,}" for k, v in stats["edges_by_relation"].items()))
    console.print(summary)
    say(escape(stats["edges_counted"]["caption"]))
    _print_cycles([c["text"] for c in cyc["broken_cycles"]], cyc["broken_count"])
    table = Table("upstream", "downstream", "share of pairs", "top downstream task", "downloads", "rank",
                  title="top upstream models")
    for r in stats["top_upstreams"]:
        table.add_row(r["model"] + (" (external)" if r["external"] else ""), f"{r['downstream']:,}",
                      f"{r['share_of_pairs']:.2%}", f"{r['top_downstream_task'] or '-'} ({r['top_task_share']:.0%})",
                      "unknown" if r["downloads"] is None else f"{r['downloads']:,}",
                      "unknown" if r["download_rank"] is None else str(r["download_rank"]))
    console.print(table)


@user_errors
def select(
    out: Annotated[Path, typer.Option("--out", "-o", help="Study config YAML to write.")] = Path("study.yaml"),
    name: Annotated[str, typer.Option(help="Study name.")] = "chains",
    min_downloads: Annotated[int, typer.Option(min=0, help="Every model needs at least this many downloads.")] = 30,
    require_datasets: Annotated[bool, typer.Option("--require-datasets/--no-require-datasets",
                                                   help="Every model must declare its training datasets.")] = True,
    max_chains: Annotated[int | None, typer.Option(min=1, help="Keep the K longest, most downloaded chains.")] = None,
    exempt_roots: Annotated[bool, typer.Option("--exempt-roots", help="Roots (pretrained bases, external "
                                               "upstreams) need not meet the criteria.")] = False,
    dataset: Annotated[list[str] | None, typer.Option("--dataset", help="Datasets to attack on (default: "
                                                      "what the chains' last models declare).")] = None,
    attack: Annotated[list[str] | None, typer.Option("--attack", help="Attacks (default the paper's six).")] = None,
    n_samples: Annotated[int, typer.Option(min=1, help="First N samples of each dataset's evaluation split.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    min_confidence: MinConfidence = 0.0,
    relation: RelationOption = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Select study subjects (chains whose every model declares datasets and has >= 30 downloads), over the
    lineage edges `--relation` and `--min-confidence` let in."""
    from chainaudit.lineage.graph import EdgeFilter
    from chainaudit.lineage.selection import Criteria
    from chainaudit.store import Store
    from chainaudit.study.subjects import write_study_config

    criteria = Criteria(min_downloads, require_datasets, max_chains, exempt_roots=exempt_roots)
    with Store(db) as store:
        written = write_study_config(store, out, criteria, name=name, datasets=dataset, attacks=attack,
                                     n_samples=n_samples, seed=seed,
                                     edges=EdgeFilter.parse(relation, min_confidence))
    note = " (enumeration capped)" if written.truncated else ""
    say(f"wrote {out}: {len(written.config.chains)} of {written.candidate_chains} qualifying chains{note}, "
        f"{written.eligible_models} eligible models, datasets {written.config.datasets}")
    if written.unknown_datasets:
        warn(f"datasets not in the registry (loaded by path or Hub name): {written.unknown_datasets}")


@lineage_app.command("verify")
@user_errors
def lineage_verify(
    child: Annotated[str | None, typer.Argument(help="Model folder (or `minilm`, a cached Hub id, a catalog id "
                                                "with a stored folder).")] = None,
    parent: Annotated[str | None, typer.Argument(help="The parent its card claims (omit: suggest one among the "
                                                 "catalog's local models).")] = None,
    all_edges: Annotated[bool, typer.Option("--all", help="Verify every stored edge whose two ends have local "
                                            "folders.")] = False,
    candidates: Annotated[str | None, typer.Option(help="Comma-separated model folders to compare with too, "
                                                   "besides the catalog's local models (a closer one questions "
                                                   "the claimed parent).")] = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Compare weights to confirm a claimed parent: shared tensors, the share identical, the cosine and relative
    change of each matrix; flag a claim the weights contradict or a known model that is closer than the claimed
    parent, or suggest the closest known model as the parent."""
    from chainaudit.lineage.verify import verify
    from chainaudit.store import Store

    extra = {p.strip(): Path(p.strip()) for p in (candidates or "").split(",") if p.strip()}
    with Store(db) as store:
        report = verify(store, child, parent, all_edges=all_edges, candidates=extra)
    _print_comparisons(report.rows)
    for why in report.left_out.values():
        say(f"not a candidate parent: {why}")
    if report.conclusion:
        say(report.conclusion)


def _print_comparisons(rows: list[tuple[str, str, Any]]) -> None:
    from rich.markup import escape

    colours = {"confirmed": "green", "copy": "yellow", "distant": "yellow", "contradicted": "red",
               "incompatible": "red"}
    table = Table("child", "claimed/candidate parent", "verdict", "shared tensors", "identical", "median cosine",
                  "median change", "why", title="weight verification")
    for c, p, cmp in rows:
        colour = colours.get(cmp.verdict, "white")
        table.add_row(escape(c), escape(p), f"[{colour}]{cmp.verdict}[/]",
                      f"{cmp.same_shape}/{max(cmp.child_tensors, cmp.parent_tensors)}", str(cmp.identical),
                      "-" if cmp.median_cosine is None else f"{cmp.median_cosine:.3f}",
                      "-" if cmp.median_change is None else f"{cmp.median_change:.4f}", escape(cmp.reason))
    console.print(table)
