"""What an attack is after, as a part of its own (TextAttack's goal functions).

A goal decides, per sample, which samples are attacked at all, which label scores are measured against, when a
perturbed text counts as a success, and how close a text is to success. The engine and every search ask the goal
(through `AttackContext`) instead of comparing with the gold label themselves.

* `untargeted` (default): away from the gold label; a sample the model already gets wrong is skipped.
* `flip-prediction`: away from the model's own clean prediction; nothing is skipped as already wrong, so it
  suits models whose labels do not match the dataset's.
* `targeted:<label>`: towards a label index (backdoors); a sample whose gold label, or clean prediction, is
  already the target is skipped.

`Goal.key` is the goal's stored identity (`attack_results.goal`): a targeted run never resumes an untargeted one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from chainaudit.errors import ChainauditError

GoalName = Literal["untargeted", "flip-prediction", "targeted"]
GOAL_NAMES: tuple[GoalName, ...] = ("untargeted", "flip-prediction", "targeted")


@dataclass(frozen=True)
class Goal:
    """Base of the three goals. `label(gold, clean_pred)` is the label a sample's scores are measured against;
    away from it (`towards` False) or towards it (`towards` True)."""

    name: ClassVar[GoalName]
    #: True when success means reaching `label` (targeted); False when it means leaving it.
    towards: ClassVar[bool] = False

    @property
    def key(self) -> str:
        """The goal as stored with each result (part of the result's natural key)."""
        return self.name

    def label(self, gold: int, clean_pred: int) -> int:
        """The label this sample's scores are measured against."""
        raise NotImplementedError

    def skip(self, gold: int, clean_pred: int) -> bool:
        """True when the sample is not attacked (its outcome is `skipped`)."""
        raise NotImplementedError

    def check(self, num_labels: int) -> None:
        """Raise `ChainauditError` when the goal cannot apply to a model with `num_labels` labels."""

    def succeeded(self, probs: np.ndarray, label: int) -> np.ndarray:
        """Per row of `probs`: whether that text reaches the goal."""
        top = probs.argmax(axis=1)
        return top == label if self.towards else top != label

    def score(self, probs: np.ndarray, label: int) -> np.ndarray:
        """Per row: closeness to success, higher is closer (1 - p(label) away from it, p(label) towards it)."""
        return probs[:, label] if self.towards else 1.0 - probs[:, label]

    def gain(self, base: np.ndarray, probs: np.ndarray, label: int) -> np.ndarray:
        """Per row: how far each text moved towards the goal from the probabilities `base` of one text (the drop
        in p(label) away from it, the rise towards it)."""
        return probs[:, label] - base[label] if self.towards else base[label] - probs[:, label]


@dataclass(frozen=True)
class Untargeted(Goal):
    """Away from the gold label; samples the model already gets wrong are skipped (TextAttack, OpenAttack)."""

    name: ClassVar[GoalName] = "untargeted"

    def label(self, gold: int, clean_pred: int) -> int:
        return gold

    def skip(self, gold: int, clean_pred: int) -> bool:
        return clean_pred != gold


@dataclass(frozen=True)
class FlipPrediction(Goal):
    """Away from the model's own clean prediction, whatever the gold label; no sample is skipped."""

    name: ClassVar[GoalName] = "flip-prediction"

    def label(self, gold: int, clean_pred: int) -> int:
        return clean_pred

    def skip(self, gold: int, clean_pred: int) -> bool:
        return False


@dataclass(frozen=True)
class Targeted(Goal):
    """Towards label index `target`: success when it is the top label; score p(target). A sample whose gold label
    is the target, or that the model already predicts as the target, is skipped."""

    target: int
    name: ClassVar[GoalName] = "targeted"
    towards: ClassVar[bool] = True

    @property
    def key(self) -> str:
        return f"targeted:{self.target}"

    def label(self, gold: int, clean_pred: int) -> int:
        return self.target

    def skip(self, gold: int, clean_pred: int) -> bool:
        return gold == self.target or clean_pred == self.target

    def check(self, num_labels: int) -> None:
        if not 0 <= self.target < num_labels:
            raise ChainauditError(f"target label {self.target} is out of range: the model has labels "
                                  f"0..{num_labels - 1}")


UNTARGETED = Untargeted()


def parse_goal(name: str = "untargeted", target_label: int | None = None) -> Goal:
    """The goal named `name` ("untargeted", "flip-prediction" or "targeted"); `target_label` (a label index) is
    required by "targeted" and refused by the others."""
    if name not in GOAL_NAMES:
        raise ChainauditError(f"unknown goal {name!r}; choose one of {', '.join(GOAL_NAMES)}")
    if name == "targeted":
        if target_label is None:
            raise ChainauditError("the targeted goal needs a target label (--target LABEL)")
        if isinstance(target_label, bool) or not isinstance(target_label, int) or target_label < 0:
            raise ChainauditError(f"target label must be a label index >= 0, not {target_label!r}")
        return Targeted(target_label)
    if target_label is not None:
        raise ChainauditError(f"a target label is used only by the targeted goal, not by {name!r}")
    return UNTARGETED if name == "untargeted" else FlipPrediction()
