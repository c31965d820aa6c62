"""Victims: models seen through the dataset's label space (`Victim.predict_proba`), loaded safely."""

from chainaudit.victims.base import GradientVictim, TokenGradients, Victim, VictimStats
from chainaudit.victims.cache import PredictionCache
from chainaudit.victims.evaluate import EvalResult, ModelEvaluation, evaluate, evaluate_model, record_evaluation
from chainaudit.victims.hf_local import DEFAULT_BATCH_SIZE, DEFAULT_MAX_LENGTH, LocalHFVictim, load_classifier
from chainaudit.victims.labels import LabelAlignment, align_labels, parse_label_map
from chainaudit.victims.loading import ResolvedModel, resolve_model

__all__ = ["DEFAULT_BATCH_SIZE", "DEFAULT_MAX_LENGTH", "EvalResult", "GradientVictim", "LabelAlignment",
           "LocalHFVictim", "ModelEvaluation", "PredictionCache", "ResolvedModel", "TokenGradients", "Victim",
           "VictimStats", "align_labels", "evaluate", "evaluate_model", "load_classifier", "parse_label_map",
           "record_evaluation", "resolve_model"]
