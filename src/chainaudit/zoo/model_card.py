"""The model card chainaudit writes next to a fine-tuned model, so lineage tools can read the chain."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import EvalResult, ModelCard, ModelCardData


@dataclass(frozen=True)
class CardFacts:
    """What the card records about one fine-tuning run."""

    model_name: str
    base_model: str
    base_revision: str
    dataset: str
    train_split: str
    eval_split: str
    train_examples: int
    eval_examples: int
    accuracy: float
    epochs: int
    learning_rate: float
    batch_size: int
    max_length: int
    seed: int
    seconds: float


def _hub_link(model_id: str) -> str:
    """A Markdown link for Hub ids, plain text for local names (which have no page)."""
    if model_id.startswith("local/") or "/" not in model_id:
        return f"`{model_id}`"
    return f"[{model_id}](https://huggingface.co/{model_id})"


def write_model_card(folder: Path, facts: CardFacts) -> Path:
    """Write `folder/README.md`: YAML `base_model`, `datasets`, `model_name`, accuracy; a readable body."""
    data = ModelCardData(
        base_model=facts.base_model,
        datasets=[facts.dataset],
        library_name="transformers",
        pipeline_tag="text-classification",
        tags=["chainaudit", "text-classification"],
        model_name=facts.model_name,
        eval_results=[EvalResult(task_type="text-classification", dataset_type=facts.dataset,
                                 dataset_name=facts.dataset, dataset_split=facts.eval_split,
                                 metric_type="accuracy", metric_value=round(facts.accuracy, 4))],
        base_model_relation="finetune",
        base_model_revision=facts.base_revision,
    )
    body = f"""
# {facts.model_name}

This model is a fine-tuned version of {_hub_link(facts.base_model)} on the {facts.dataset} dataset.
It achieves an accuracy of {facts.accuracy:.4f} on {facts.eval_examples} examples of the
`{facts.eval_split}` split.

Made with `chainaudit finetune`; base revision `{facts.base_revision}`.

## Training

| setting | value |
|---|---|
| train split | {facts.train_split} ({facts.train_examples} examples) |
| epochs | {facts.epochs} |
| learning rate | {facts.learning_rate} (AdamW, linear decay, 10% warm-up) |
| batch size | {facts.batch_size} |
| max length | {facts.max_length} tokens |
| seed | {facts.seed} |
| training time | {facts.seconds:.0f} s |
"""
    card = ModelCard(f"---\n{data.to_yaml()}\n---\n{body}")
    path = folder / "README.md"
    card.save(path)
    return path
