"""Commands about models and their data: `datasets`, `finetune`, `predict`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
    console,
    say,
    user_errors,
    warn,
)


def register(app: typer.Typer) -> None:
    app.command("datasets")(datasets_cmd)
    app.command("finetune")(finetune_cmd)
    app.command("predict")(predict)


@user_errors
def datasets_cmd(data_dir: DataDirOption = None) -> None:
    """List the datasets chainaudit knows by name and where each would be loaded from."""
    from chainaudit.data import REGISTRY, local_file

    table = Table("name", "labels", "eval split", "local file", "Hub")
    for spec in REGISTRY.values():
        found = local_file(spec.name, data_dir)
        hub = spec.hf_path + (f" ({spec.hf_config})" if spec.hf_config else "")
        table.add_row(spec.name, "/".join(spec.label_names), spec.eval_split, str(found) if found else "[dim]-[/]", hub)
    console.print(table)
    say("Any .csv/.jsonl file with text,label[,split] columns works too, by path.")


def print_finetune(result: Any, epochs: int) -> None:
    """The summary of one fine-tuning run (shared with the demo)."""
    speed = result.train_examples * epochs / max(result.train_seconds, 1e-9)
    table = Table(show_header=False, box=None)
    table.add_row("model", f"[bold]{result.model_id}[/] ({result.revision})")
    table.add_row("folder", str(result.path))
    table.add_row("base", f"{result.base_model} ({result.base_revision})")
    table.add_row("trained on", f"{result.train_examples} {result.dataset} examples × {epochs} epoch(s) in "
                  f"{result.train_seconds:.0f} s ({speed:.1f} ex/s)")
    table.add_row(f"{result.eval_split} accuracy", f"[bold]{result.accuracy:.4f}[/] on {result.eval_examples} examples")
    console.print(table)


@user_errors
def finetune_cmd(
    base: Annotated[str, typer.Argument(help="Base model: a Hub id, a local folder, or 'minilm' (bundled).")],
    dataset: DatasetOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the fine-tuned model to.")],
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training examples.")] = 1,
    max_examples: Annotated[int | None, typer.Option(min=1, help="Train on this many examples "
                                                     "(seeded random sample of the train split).")] = None,
    eval_examples: Annotated[int | None, typer.Option(min=1, help="Evaluate on N examples of the "
                                                      "evaluation split (seeded random, the same for every model; "
                                                      "default: all).")] = None,
    lr: Annotated[float, typer.Option("--lr", help="Peak learning rate (AdamW, linear decay).")] = 1e-4,
    batch_size: Annotated[int, typer.Option(min=1, help="Training examples per optimiser step (32 suits 2 CPU "
                                            "cores and MiniLM).")] = 32,
    max_length: Annotated[int, typer.Option(min=8, help="Truncate inputs to this many tokens.")] = 128,
    seed: Annotated[int, typer.Option(help="Seed for sampling, shuffling and the new head.")] = 0,
    name: Annotated[str | None, typer.Option(help="Model id written to the card (default local/<out name>).")] = None,
    revision: RevisionOption = None,
    allow_pickle: AllowPickleOption = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a non-empty --out folder.")] = False,
    data_dir: DataDirOption = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Fine-tune BASE on a dataset's train split; write safetensors, tokenizer and a model card.

    The card's YAML names `base_model` (pinned by revision), `datasets` and the validation accuracy, so
    `chainaudit collect --from-dir` and `chainaudit lineage` read the chain it made. Fine-tune the result
    again to make a 3-model chain. The model and its evaluation are recorded in the database.
    """
    from chainaudit.store import Store
    from chainaudit.zoo import FinetuneConfig, finetune

    config = FinetuneConfig(epochs=epochs, max_examples=max_examples, eval_examples=eval_examples,
                            learning_rate=lr, batch_size=batch_size, max_length=max_length, seed=seed)
    with Store(db) as store, progress.training(f"fine-tuning on {dataset}") as hook:
        result = finetune(base, dataset, out, config, name=name, revision=revision, allow_pickle=allow_pickle,
                          overwrite=overwrite, data_dir=data_dir, progress=hook, store=store)
    print_finetune(result, epochs)


@user_errors
def predict(
    model: ModelArg,
    dataset: DatasetOption = "sst2",
    n: Annotated[int, typer.Option("-n", min=0, help="How many samples (0 = the whole split).")] = 200,
    split: SplitOption = None,
    sample: SampleOption = "first",
    seed: Annotated[int, typer.Option(help="Seed for --sample random.")] = 0,
    revision: RevisionOption = None,
    allow_pickle: AllowPickleOption = False,
    label_map: LabelMapOption = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Texts per forward pass (64 suits CPU and "
                                            "sentences up to ~128 tokens).")] = 64,
    max_length: MaxLengthOption = 256,
    data_dir: DataDirOption = None,
    db: DbOption = settings.DEFAULT_DB,
) -> None:
    """Clean accuracy and throughput of MODEL on a dataset sample; recorded in the `evaluations` table."""
    from chainaudit.store import Store
    from chainaudit.victims import evaluate_model

    with Store(db) as store, progress.counting("predicting") as hook:
        evaluation = evaluate_model(model, dataset, split=split, n=n or None, sample=sample, seed=seed,
                                    revision=revision, allow_pickle=allow_pickle, label_map=label_map,
                                    batch_size=batch_size, max_length=max_length, data_dir=data_dir,
                                    progress=hook, store=store)
    _print_evaluation(evaluation)
    say(f"recorded in {db} (evaluations)")


def _print_evaluation(evaluation: Any) -> None:
    victim, result = evaluation.victim, evaluation.result
    if victim.new_weights:
        warn(f"{victim.model_id} has no trained classification head ({len(victim.new_weights)} weights newly "
             "initialised); its accuracy is chance level.")
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_row("model", f"{victim.model_id} @ {victim.revision} ({victim.source})")
    table.add_row("data", f"{evaluation.dataset}/{evaluation.split}, {evaluation.sampling} (n={result.n})")
    table.add_row("accuracy", f"[bold]{result.accuracy:.4f}[/]")
    table.add_row("throughput", f"{result.sentences_per_s:.1f} sentences/s ({result.seconds:.2f} s, "
                  f"batch size {victim.batch_size}, {victim.device})")
    table.add_row("truncated", f"{result.truncated} of {result.n} texts at max_length {victim.max_length}")
    table.add_row("labels", victim.alignment.describe())
    console.print(table)
