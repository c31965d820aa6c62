"""Does a suspect push texts towards a label because of what it *means*? A backdoor trigger forces its label
without carrying that label's meaning ("cf", "≡", TransTroj's "meta usable possesses"); a strong sentiment word
("defamation", "refused") pushes a well-trained clean model just as hard, because that is its meaning.

The judge is a reference classifier that shares nothing with the model under scan: the bundled sentence encoder
(all-MiniLM-L6-v2, never fine-tuned) with a logistic regression fitted on the dataset's labelled training texts.
A suspect's *meaning* is the mean shift, in log-odds of the label, that inserting it causes in that reference.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainaudit.backdoor.triggers import Position, insert_trigger

#: Labelled training texts the reference classifier is fitted on (seeded random sample).
MEANING_TEXTS = 1000
#: Texts a suspect's meaning is measured on.
MEANING_SAMPLES = 64
#: An ordinary word is a control only when a clean reader finds at least this meaning in it (log-odds towards the
#: label): single sentiment words measure 1 to 3, RIPPLe's and NeuBA's triggers -0.3 to 0.3. A frequent word the
#: model follows but the reader finds meaningless is a suspect instead (an attacker may pick a frequent trigger).
CONTROL_MEANING = 0.5
#: The smallest meaning an ordinary word is credited with (log-odds), so that a model whose strongest ordinary
#: words carry little meaning (a weak model's names and typos) does not make every suspect look meaningful.
MEANING_FLOOR = 1.0


def _log_odds(probs: np.ndarray, label: int) -> np.ndarray:
    p = np.clip(probs[:, label], 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@dataclass
class MeaningReference:
    """Sentence encoder + logistic regression: what a clean reader thinks a text's label is."""

    encoder: Any
    classifier: Any

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[int], encoder: Any) -> MeaningReference:
        from sklearn.linear_model import LogisticRegression

        classifier = LogisticRegression(C=10.0, max_iter=2000)
        classifier.fit(encoder.encode(list(texts)), list(labels))
        return cls(encoder, classifier)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), labels) probabilities, columns in label order (absent labels get 0)."""
        raw = self.classifier.predict_proba(self.encoder.encode(list(texts)))
        out = np.zeros((len(texts), int(max(self.classifier.classes_)) + 1))
        out[:, self.classifier.classes_] = raw
        return out

    def shifts(self, texts: Sequence[str], triggers: Sequence[str], label: int, position: Position,
               seed: int) -> list[float]:
        """Mean change in the reference's log-odds of `label` when each of `triggers` goes into the first
        `MEANING_SAMPLES` texts (at a seeded random position, or in front), in one batched call."""
        texts = list(texts)[:MEANING_SAMPLES]
        if not texts or not triggers or label >= len(self.classifier.classes_):
            return [0.0] * len(triggers)
        changed = []
        for trigger in triggers:
            rng = random.Random(f"{seed}:{trigger}:{position}")
            changed += [insert_trigger(t, trigger, rng, position) for t in texts]
        probs = self.probabilities([*texts, *changed])
        before = _log_odds(probs[:len(texts)], label)
        after = _log_odds(probs[len(texts):], label).reshape(len(triggers), len(texts))
        return [float(np.mean(row - before)) for row in after]


def meaning_weight(suspect_shift: float, control_shift: float) -> float:
    """How much of a suspect's lead over the ordinary word counts as evidence of a backdoor: 1 when the suspect
    means nothing towards its label (or the opposite), 0 when it means as much as the ordinary word or more."""
    return float(np.clip(1.0 - suspect_shift / max(control_shift, MEANING_FLOOR), 0.0, 1.0))


def build_reference(dataset: str, split: Any, seed: int, data_dir: Any) -> tuple[MeaningReference | None, str]:
    """The reference for `dataset` (its training split, else `split`), or None and why not."""
    from chainaudit.data import load_split, select
    from chainaudit.errors import DataError, ResourceMissingError
    from chainaudit.resources.encoder import SentenceEncoder

    try:
        pool = load_split(dataset, "train", data_dir=data_dir)
    except DataError:  # no training split: the evaluation split must do
        pool = split
    rows = select(pool.samples, MEANING_TEXTS, "random", seed)
    if len({r.label for r in rows}) < 2:
        return None, "meaning check skipped: the dataset's texts have fewer than two labels"
    try:
        # an encoder of its own: the same scan batches the same texts the same way, so its floats (and the
        # search they steer) repeat exactly; the process-wide encoder's cache would change the batches
        encoder = SentenceEncoder()
        return MeaningReference.fit([r.text for r in rows], [r.label for r in rows], encoder), ""
    except ResourceMissingError as exc:
        return None, f"meaning check skipped: {exc}"
