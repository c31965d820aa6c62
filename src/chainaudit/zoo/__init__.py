"""Fine-tune a model into a downstream model, so chains can be built and studied locally."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chainaudit.data import sampling_label
from chainaudit.store import Store, record_model
from chainaudit.victims import LocalHFVictim, ModelEvaluation, evaluate, record_evaluation
from chainaudit.zoo.finetune import EVAL_SEED, FinetuneConfig, ProgressHook, TrainedModel, train
from chainaudit.zoo.model_card import CardFacts, write_model_card

__all__ = ["FinetuneConfig", "FinetuneResult", "finetune", "record_finetune"]


@dataclass(frozen=True)
class FinetuneResult:
    """A finished, evaluated, carded model folder."""

    path: Path
    model_id: str
    revision: str
    base_model: str
    base_revision: str
    dataset: str
    train_examples: int
    eval_split: str
    eval_examples: int
    accuracy: float
    train_seconds: float
    eval_sentences_per_s: float
    id2label: dict[int, str]
    evaluation: ModelEvaluation


def finetune(base: str, dataset: str, out: Path, config: FinetuneConfig | None = None, *,
             name: str | None = None, revision: str | None = None, allow_pickle: bool = False,
             overwrite: bool = False, data_dir: Path | None = None,
             progress: ProgressHook | None = None, store: Store | None = None) -> FinetuneResult:
    """Train, evaluate on the evaluation split through the local `Victim`, and write the model card; with a
    `store`, also record the model and its evaluation there (`record_finetune`)."""
    from chainaudit.modelref import local_identity

    config = config or FinetuneConfig()
    trained: TrainedModel = train(base, dataset, out, config, name=name, revision=revision,
                                  allow_pickle=allow_pickle, overwrite=overwrite, data_dir=data_dir,
                                  progress=progress)
    victim = LocalHFVictim.load(str(trained.path), trained.dataset.label_names, max_length=config.max_length)
    scores = evaluate(victim, trained.eval_data.samples)
    evaluation = ModelEvaluation(victim, trained.eval_data.name, trained.eval_data.split,
                                 sampling_label(config.eval_examples, "random", EVAL_SEED), scores)
    write_model_card(trained.path, CardFacts(
        model_name=trained.model_name, base_model=trained.base_model, base_revision=trained.base_revision,
        dataset=trained.dataset.name, train_split=trained.dataset.split, eval_split=trained.eval_data.split,
        train_examples=trained.train_examples, eval_examples=scores.n, accuracy=scores.accuracy,
        epochs=config.epochs, learning_rate=config.learning_rate, batch_size=config.batch_size,
        max_length=config.max_length, seed=config.seed, seconds=trained.seconds))
    identity = local_identity(trained.path)
    result = FinetuneResult(trained.path, identity.model_id, identity.revision, trained.base_model,
                          trained.base_revision, trained.dataset.name, trained.train_examples,
                          trained.eval_data.split, scores.n, scores.accuracy, trained.seconds,
                          scores.sentences_per_s, dict(enumerate(trained.dataset.label_names)), evaluation)
    if store is not None:
        record_finetune(store, result)
    return result


def record_finetune(store: Store, result: FinetuneResult) -> None:
    """Store the new model with its card, and its evaluation (as `chainaudit predict` would)."""
    from chainaudit.hub.card import parse_card

    card = parse_card((result.path / "README.md").read_bytes())
    record_evaluation(store, result.evaluation)
    record_model(store, result.model_id, revision=result.revision, source="local", path=str(result.path.resolve()),
                 pipeline_tag="text-classification", library="transformers", card_text=card.text,
                 card_data=card.data, card_sha=result.revision, datasets=[result.dataset],
                 tags=card.data.get("tags"), id2label={str(k): v for k, v in result.id2label.items()})
