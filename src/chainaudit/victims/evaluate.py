"""Clean accuracy and throughput of a victim on dataset samples, and recording it in the store."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chainaudit.data import Sample, SamplingMode, load_split, sampling_label, select
from chainaudit.errors import DataError
from chainaudit.store import Store, record_model
from chainaudit.victims.base import Victim
from chainaudit.victims.hf_local import DEFAULT_BATCH_SIZE, DEFAULT_MAX_LENGTH, LocalHFVictim
from chainaudit.victims.loading import resolve_model

PROGRESS_CHUNK = 512  # texts per `predict_proba` call when a progress bar is shown
ProgressHook = Callable[[int, int], None]  # (texts done, total)


@dataclass(frozen=True)
class EvalResult:
    """Accuracy and speed of one pass over `n` samples; `predictions` are dataset label indices."""

    n: int
    accuracy: float
    seconds: float
    sentences_per_s: float
    truncated: int
    predictions: np.ndarray


@dataclass(frozen=True)
class ModelEvaluation:
    """An `EvalResult` with what was evaluated: the victim (identity, alignment) and the data."""

    victim: LocalHFVictim
    dataset: str
    split: str
    sampling: str
    result: EvalResult


def evaluate(victim: Victim, samples: Sequence[Sample], *, progress: ProgressHook | None = None,
             chunk_size: int = PROGRESS_CHUNK) -> EvalResult:
    """Predict every sample once; with a `progress(done, total)` hook, in chunks of `chunk_size`."""
    if not samples:
        raise DataError("no samples to evaluate")
    texts = [s.text for s in samples]
    stats = getattr(victim, "stats", None)
    truncated_before = stats.truncated if stats is not None else 0
    started = time.perf_counter()
    if progress is not None:
        parts = []
        for start in range(0, len(texts), chunk_size):
            parts.append(victim.predict_proba(texts[start:start + chunk_size]))
            progress(min(start + chunk_size, len(texts)), len(texts))
        probs = np.concatenate(parts)
    else:
        probs = victim.predict_proba(texts)
    seconds = time.perf_counter() - started
    predictions = probs.argmax(axis=1)
    gold = np.fromiter((s.label for s in samples), dtype=np.int64, count=len(samples))
    truncated = (stats.truncated - truncated_before) if stats is not None else 0
    return EvalResult(len(samples), float((predictions == gold).mean()), seconds,
                      len(samples) / seconds if seconds > 0 else float("inf"), truncated, predictions)


def evaluate_model(model: str, dataset: str, *, split: str | None = None, n: int | None = 200,
                   sample: SamplingMode = "first", seed: int = 0, revision: str | None = None,
                   allow_pickle: bool = False, label_map: Mapping[str, str | None] | str | None = None,
                   batch_size: int = DEFAULT_BATCH_SIZE, max_length: int = DEFAULT_MAX_LENGTH,
                   data_dir: Path | None = None, progress: ProgressHook | None = None,
                   store: Store | None = None) -> ModelEvaluation:
    """Load `dataset` and `model` (safely, labels aligned) and evaluate on a sample of the split; with a
    `store`, record the model and the result there (`record_evaluation`)."""
    resolved = resolve_model(model, revision=revision, allow_pickle=allow_pickle)  # cheap: fail fast
    loaded = load_split(dataset, split, data_dir=data_dir)
    samples = select(loaded.samples, n, sample, seed)
    victim = LocalHFVictim.from_resolved(resolved, loaded.label_names, label_map=label_map, batch_size=batch_size,
                                         max_length=max_length)
    result = evaluate(victim, samples, progress=progress)
    evaluation = ModelEvaluation(victim, loaded.name, loaded.split, sampling_label(n, sample, seed), result)
    if store is not None:
        record_evaluation(store, evaluation)
    return evaluation


def record_evaluation(store: Store, evaluation: ModelEvaluation) -> None:
    """Upsert the model into `models` and the result into `evaluations` (keyed incl. the sampling)."""
    victim, result = evaluation.victim, evaluation.result
    record_model(store, victim.model_id, revision=victim.revision, source=victim.source, path=victim.path,
                 id2label={str(i): name for i, name in enumerate(victim.id2label)})
    store.upsert("evaluations", [{
        "model_id": victim.model_id, "revision": victim.revision, "dataset": evaluation.dataset,
        "split": evaluation.split, "sampling": evaluation.sampling, "n": result.n, "accuracy": result.accuracy,
        "truncated": result.truncated, "seconds": result.seconds, "sentences_per_s": result.sentences_per_s,
        "label_map": victim.alignment.to_json(),
    }])
