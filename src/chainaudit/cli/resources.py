"""`chainaudit resources ...`: what the attacks use, where it was found, and how to get what is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from chainaudit.cli import progress
from chainaudit.cli.common import DataDirOption, WordVectorsOption, console, say, user_errors

app = typer.Typer(help="Resources the attacks use: WordNet, stop words, sentence encoder, word vectors, POS tagger, "
                       "and the GAN and SCPN networks.", no_args_is_help=True)


@app.command("status")
@user_errors
def status(
    word_vectors: WordVectorsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Exit with status 1 when a resource the word-level attacks "
                                        "need is missing (SCPN weights and a GAN are optional).")] = False,
) -> None:
    """Show each resource, where it was found, its sha256, and the command that gets a missing one."""
    import json

    from chainaudit.attacks.inventory import all_status

    rows = all_status(word_vectors)
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


@app.command("train-gan")
@user_errors
def train_gan(
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
    from chainaudit.zoo.gan_training import GanConfig, train_and_save

    config = GanConfig(minutes=minutes, seed=seed, threads=threads)
    with progress.timed(f"GAN on {dataset}", config.minutes * 60) as update:
        def hook(elapsed: float, budget: float, step: int, row: dict[str, float]) -> None:
            loss = row.get("train_loss", row.get("rec_loss", float("nan")))
            acc = row.get("train_acc", row.get("rec_acc", float("nan")))
            update(elapsed, f"step {step}, loss {loss:.2f}, acc {acc:.2f}")

        saved = train_and_save(dataset, config, out=out, max_examples=max_examples, data_dir=data_dir, progress=hook)
    meta, final = saved.gan.meta, saved.gan.meta["final"]
    say(f"saved the {saved.gan.dataset} GAN to "
        f"{saved.folder}: {meta['steps']} steps in {meta['seconds']:.0f} s; held-out reconstruction accuracy "
        f"{final['rec_acc']:.3f} (through G(I(c)) {final['inv_rec_acc']:.3f}); training data sha256 "
        f"{meta['data_sha256']}")


@app.command("build")
@user_errors
def build(word_vectors: WordVectorsOption = None) -> None:
    """Prepare WordNet for NLTK and load (or build, once) the word vectors, printing where and their sha256."""
    from chainaudit.resources.prepare import prepare

    for line in prepare(word_vectors, progress=say):
        say(line)
