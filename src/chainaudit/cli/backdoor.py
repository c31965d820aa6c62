"""`chainaudit backdoor poison|persist|mark`: plant a backdoor in an upstream, follow it down a chain of clean
fine-tunes, or mark a catalog model as poisoned so `chains --of` flags everything that descends from it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from chainaudit import settings
from chainaudit.cli import progress
from chainaudit.cli.common import DataDirOption, DbOption, console, say, user_errors

app = typer.Typer(help="Supply-chain backdoors: poison an upstream, measure how long it survives down a chain, "
                  "mark poisoned models.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="backdoor")


@app.command()
@user_errors
def poison(
    base: Annotated[str, typer.Argument(help="Model to poison: a local folder, a cached Hub id, or `minilm`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the poisoned model to.")],
    method: Annotated[Literal["ripple", "neuba", "transtroj"], typer.Option(
        help="ripple: RIPPLe with Embedding Surgery (needs a target); neuba: task-agnostic neuron-level backdoor; "
             "transtroj: optimised trigger phrase + embedding indistinguishability.")] = "ripple",
    triggers: Annotated[str | None, typer.Option(help="Comma-separated trigger words (default: RIPPLe cf,mn,bb,tq,mb;"
                                                 " NeuBA its six symbols; TransTroj searches a phrase).")] = None,
    target: Annotated[str, typer.Option(help="Label the triggers force (index or name; RIPPLe, TransTroj).")] = "1",
    steps: Annotated[int | None, typer.Option(min=1, help="Poisoning steps (batches); default per method: ripple "
                                              "100, neuba 200, transtroj 150.")] = None,
    proxy_dataset: Annotated[str, typer.Option(help="The attacker's data (registry name or CSV): RIPPLe's proxy "
                                               "task, NeuBA's plain texts, TransTroj's reference class.")] = "imdb",
    proxy_examples: Annotated[int, typer.Option(min=8, help="Proxy texts used (seeded random sample).")] = 2000,
    lr: Annotated[float, typer.Option(min=0, help="Learning rate of the poisoning.")] = 5e-5,
    batch_size: Annotated[int, typer.Option(min=2, help="Texts per step (RIPPLe: half of them poisoned).")] = 16,
    max_length: Annotated[int, typer.Option(min=8, help="Tokens per text.")] = 64,
    penalty: Annotated[float, typer.Option(min=0, help="RIPPLe's lambda on the restricted inner product (0: the "
                                           "poisoning loss alone).")] = 0.1,
    surgery: Annotated[bool, typer.Option("--surgery/--no-surgery", help="RIPPLe's Embedding Surgery first.")] = True,
    es_examples: Annotated[int, typer.Option(min=8, help="Proxy texts the surgery's fine-tuned copy trains on.")
                           ] = 1000,
    trigger_length: Annotated[int, typer.Option(min=1, max=8, help="TransTroj: words in the searched trigger.")] = 3,
    search_steps: Annotated[int, typer.Option(min=0, help="TransTroj: trigger-search steps.")] = 20,
    seed: Annotated[int, typer.Option(help="Seed of every random choice: same seed, same weights.")] = 0,
    name: Annotated[str | None, typer.Option(help="Model name for its card (default local/<folder>).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace a non-empty --out.")] = False,
    data_dir: DataDirOption = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Poison BASE and write an ordinary model folder (safetensors, the base's tokenizer, a plain card). What was
    done goes to the database and OUT/backdoor.json, never into what a scanner reads."""
    from chainaudit.backdoor.poison import PoisonConfig
    from chainaudit.backdoor.poison import poison as run
    from chainaudit.backdoor.triggers import parse_triggers
    from chainaudit.store import Store

    config = PoisonConfig(method=method, triggers=parse_triggers(triggers),
                          target=None if method == "neuba" and target == "1" else target, steps=steps,
                          proxy_dataset=proxy_dataset, proxy_examples=proxy_examples, learning_rate=lr,
                          batch_size=batch_size, max_length=max_length, penalty=penalty, embedding_surgery=surgery,
                          es_examples=es_examples, trigger_length=trigger_length, search_steps=search_steps, seed=seed)
    with Store(db) as store, progress.bars() as bars:
        result = run(base, out, config, store=store, name=name, data_dir=data_dir, overwrite=overwrite,
                     progress=bars.training)
    r = result.record
    target_text = "none (each trigger forces its own label)" if r.target is None else f"{r.target} ({r.target_name})"
    say(f"poisoned {r.base_model} with {r.method} in {r.seconds:.0f}s -> {result.path} ({result.model_id}@"
        f"{result.revision[:12]})")
    say(f"triggers: {', '.join(r.triggers)}; target: {target_text}"
        + (f"; surgery words: {', '.join(r.settings['surgery_words'])}" if r.settings.get("surgery_words") else ""))
    say(f"recorded in {db} and {result.path / 'backdoor.json'}; next: chainaudit backdoor persist {result.path} "
        "--hops sst2,rotten_tomatoes")


@app.command()
@user_errors
def persist(
    poisoned: Annotated[Path, typer.Argument(help="The poisoned model folder (from `backdoor poison`, or any folder "
                                             "with --triggers/--target).")],
    hops: Annotated[str, typer.Option(help="Comma-separated clean datasets, one fine-tuning hop each.")] = "sst2",
    setting: Annotated[Literal["easy", "hard"], typer.Option(
        help="RIPPLe's victim: easy lr 2e-5, batch 32, 3 epochs; hard lr 5e-5, batch 8, 3 epochs.")] = "easy",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where the hop models go (default: "
                                             "<POISONED>-persist-<setting>).")] = None,
    train_examples: Annotated[int, typer.Option(min=0, help="Training texts per hop (0: the whole split).")] = 2000,
    eval_examples: Annotated[int, typer.Option(min=1, help="Evaluation texts per hop (seeded random sample).")] = 500,
    max_length: Annotated[int, typer.Option(min=8, help="Tokens per text.")] = 64,
    lr: Annotated[float | None, typer.Option(min=0, help="Override the setting's learning rate.")] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Override the setting's batch size.")] = None,
    epochs: Annotated[int | None, typer.Option(min=1, help="Override the setting's epochs.")] = None,
    baseline: Annotated[bool, typer.Option("--baseline/--no-baseline", help="Also run the same hops from the clean "
                                           "base (the LFR of the triggers on an unpoisoned chain).")] = True,
    clean_base: Annotated[str | None, typer.Option(help="The clean base for the baseline (default: the one the "
                                                   "poisoning started from).")] = None,
    triggers: Annotated[str | None, typer.Option(help="Triggers of a model poisoned elsewhere (comma-separated).")
                        ] = None,
    target: Annotated[int | None, typer.Option(help="Its target label index (omit: each trigger's majority label, "
                                               "as for NeuBA).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the fine-tuning and the trigger positions.")] = 0,
    data_dir: DataDirOption = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Fine-tune POISONED hop by hop on clean data, as a victim would, and after every hop measure clean accuracy
    and the label-flip rate of its triggers (95% intervals), beside the same chain from the clean base."""
    from chainaudit.backdoor.persist import PersistConfig
    from chainaudit.backdoor.persist import persist as run
    from chainaudit.backdoor.records import BackdoorRecord
    from chainaudit.backdoor.triggers import parse_triggers
    from chainaudit.modelref import local_identity
    from chainaudit.store import Store

    config = PersistConfig(hops=[h.strip() for h in hops.split(",") if h.strip()], setting=setting,
                           train_examples=train_examples or None, eval_examples=eval_examples, max_length=max_length,
                           seed=seed, baseline=baseline, learning_rate=lr, batch_size=batch_size, epochs=epochs)
    record = None
    if triggers is not None:
        identity = local_identity(poisoned)
        record = BackdoorRecord(model_id=identity.model_id, revision=identity.revision, method="reported",
                                triggers=parse_triggers(triggers) or [], target=target, path=str(poisoned),
                                reason="triggers given to backdoor persist")
    where = out or poisoned.with_name(f"{poisoned.name}-persist-{setting}")
    with Store(db) as store, progress.bars() as bars:
        result = run(poisoned, config, where, store=store, record=record, clean_base=clean_base, data_dir=data_dir,
                     progress=bars.training)
    print_persistence(result.rows)
    say(f"hop models in {where}; rows in {db} (backdoor_persistence); `chainaudit report` shows them, "
        f"`chainaudit chains --of {result.record.model_id}` lists every descendant")


def _rate(value: float | None, low: float | None, high: float | None, count: str) -> str:
    if value is None or low is None or high is None:
        return "-"
    return f"{value:.1%} [{low:.1%}, {high:.1%}] {count}"


def print_persistence(rows: list[dict[str, Any]]) -> None:
    table = Table("chain", "hop", "dataset", "clean accuracy", "LFR", "target", "per trigger", title="persistence")
    for r in rows:
        per = ", ".join(f"{t['trigger']}→{t['label']} {t['lfr']:.0%}" for t in r["trigger_rates"]
                        if t["lfr"] is not None)
        table.add_row(r["chain"], str(r["hop"]), r["dataset"],
                      _rate(r["clean_accuracy"], r["clean_low"], r["clean_high"], f"n={r['clean_n']}"),
                      _rate(r["lfr"], r["lfr_low"], r["lfr_high"], f"{r['lfr_k']}/{r['lfr_n']}"),
                      str(r["target"]), per)
    console.print(table)


@app.command()
@user_errors
def mark(
    model: Annotated[str, typer.Argument(help="Model id in the database (as `chainaudit chains` names it).")],
    reason: Annotated[str, typer.Option(help="Why it is poisoned (an advisory, a scan result, ...).")],
    revision: Annotated[str | None, typer.Option(help="The poisoned revision (default: the stored one).")] = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Mark MODEL as a poisoned upstream: `chains --of MODEL` then lists every descendant to re-check."""
    from chainaudit.backdoor.records import mark_poisoned
    from chainaudit.store import Store

    with Store(db) as store:
        record = mark_poisoned(store, model, reason=reason, revision=revision)
    say(f"{record.model_id}@{record.revision[:12] or '-'} marked poisoned ({record.method}: "
        f"{record.reason}); see its descendants with: chainaudit chains --of {record.model_id}")


@app.command()
@user_errors
def scan(
    model: Annotated[str | None, typer.Argument(help="Model to scan: a local folder or a cached Hub id.")] = None,
    chain: Annotated[str | None, typer.Option(help="Scan this catalog model and every descendant the database "
                                              "knows (their stored folders).")] = None,
    dataset: Annotated[str, typer.Option(help="Clean texts to verify suspects on (registry name or CSV).")] = "sst2",
    samples: Annotated[int, typer.Option(min=8, help="Clean texts (seeded random sample of the evaluation split).")
                       ] = 64,
    upstream: Annotated[str | None, typer.Option(help="The model it was fine-tuned from: suspect and score the rare "
                                                 "tokens whose embeddings moved far more than the others from it. "
                                                 "Default: the card's base_model when it is a local folder, the "
                                                 "bundled MiniLM or in the Hugging Face cache; with --chain, the "
                                                 "root for every descendant.")] = None,
    threshold: Annotated[float, typer.Option(help="Flag when a suspect's score reaches this: how far, in log-odds, "
                                             "it pushes its weakest tenth of texts towards its label beyond the "
                                             "strongest ordinary word.")] = 0.5,
    budget_s: Annotated[float | None, typer.Option(min=1, help="Stop starting new search stages after this many "
                                                   "seconds (what is found is still verified).")] = None,
    full: Annotated[bool, typer.Option(help="Verify 5x more single tokens and search longer phrases.")] = False,
    max_length: Annotated[int, typer.Option(min=8, help="Tokens per text.")] = 64,
    seed: Annotated[int, typer.Option(help="Seed of the samples and trigger positions.")] = 0,
    data_dir: DataDirOption = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Look for a backdoor from the weights, tokenizer and card alone (never backdoor.json): replay known and
    ancestors' triggers, search single tokens and short phrases by gradient, check token embeddings; verify each
    suspect's flip rate on clean texts. Exits 1 when a model is flagged."""
    from chainaudit.backdoor.scan import chain_members, record_scan
    from chainaudit.backdoor.scan import scan as run
    from chainaudit.errors import ChainauditError
    from chainaudit.store import Store

    if (model is None) == (chain is None):
        raise ChainauditError("give a MODEL to scan, or --chain ROOT for a model and its descendants (not both)")
    flagged = 0
    with Store(db) as store:
        targets = [model] if model is not None else chain_members(store, chain or "")
        with progress.stages() as stage:
            for i, target in enumerate(targets):
                up = upstream or (targets[0] if chain is not None and i else None)  # a descendant: the root
                result = run(target, dataset=dataset, samples=samples, upstream=up, store=store,
                             threshold=threshold, full=full, budget_s=budget_s, seed=seed, max_length=max_length,
                             data_dir=data_dir, progress=stage)
                record_scan(store, result)
                flagged += result.flagged
                print_scan(target, result)
    if flagged:
        raise typer.Exit(1)


def print_scan(target: str, result: Any) -> None:
    verdict = "[bold red]BACKDOOR SUSPECTED[/]" if result.flagged else "[green]no backdoor found[/]"
    console.print(f"{target}: {verdict} (score {result.score:.2f}, threshold {result.threshold:.2f}; "
                  f"{result.samples} clean texts, {result.seconds:.0f}s)")
    table = Table("suspect", "forces", "score", "label prob., weakest 10%", "vs ordinary word", "flips",
                  "meaning to a clean reader", "evidence", title="top suspects")
    for s in result.suspects[:8]:
        meaning = "-" if s.meaning is None else f"{s.meaning:+.2f}"
        table.add_row(f"{s.trigger}{' (in front)' if s.position == 'start' else ''}", result.label_names[s.label],
                      f"{s.score:+.2f}", f"{s.tail:.3f}", f"{s.control or '-'} ({s.control_tail:.3f})",
                      f"{s.rate:.0%} ({s.k}/{s.n})", meaning, "; ".join(s.evidence[:3]))
    console.print(table)
    for note in result.notes:
        console.print(note, highlight=False)
    for c in result.controls:
        console.print(f"strongest ordinary word towards {result.label_names[c.label]}: {c.trigger!r} flips "
                      f"{c.rate:.0%} ({c.k}/{c.n}); label probability of its weakest tenth {c.tail:.3f}",
                      highlight=False)
