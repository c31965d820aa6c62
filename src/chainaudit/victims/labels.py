"""Label alignment: map a model's `id2label` onto a dataset's label names.

An alignment is a 0/1 matrix `M` of shape (n_model_labels, n_dataset_labels); the dataset-space
probabilities are `normalise(p_model @ M)`. A model label whose row is all zeros is *dropped*: its
probability mass is removed and the rest renormalised (the documented policy for a neutral class and
for "3 stars"). Automatic rules, tried in order:

1. names: negative/positive in any case or abbreviation (NEG, neg, Negative, ...), neutral dropped;
2. stars: "1 star" .. "5 stars" (or "1".."5") onto negative/positive: 1-2 negative, 4-5 positive, 3 dropped;
3. index: LABEL_0..LABEL_k (or "0".."k") onto any dataset with as many labels, in index order.

Anything else needs a user mapping: `--label-map "LABEL_0=negative,LABEL_1=positive"` (or the same as a
JSON object); `name=-` drops a model label.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from chainaudit.errors import LabelAlignmentError

if TYPE_CHECKING:
    import torch

DROP = None  # the target of a dropped model label
_DROP_WORDS = {"-", "", "none", "null", "drop"}
_SYNONYMS = {"neg": "negative", "negative": "negative", "pos": "positive", "positive": "positive",
             "neu": "neutral", "neutral": "neutral"}
_STARS = re.compile(r"^([1-5])(\s*stars?)?$")
_INDEX = re.compile(r"^(?:label_)?(\d+)$")
LABEL_MAP_HELP = ('--label-map "LABEL_0=negative,LABEL_1=positive" (model label=dataset label, comma-separated; '
                  'or a JSON object; "name=-" drops a model label)')


@dataclass(frozen=True)
class LabelAlignment:
    """How each model label (by class index) maps onto the dataset's labels."""

    model_labels: tuple[str, ...]
    dataset_labels: tuple[str, ...]
    targets: tuple[int | None, ...]  # targets[i] = dataset label index of model label i, None = dropped
    rule: str  # names | stars | index | user

    @property
    def matrix(self) -> np.ndarray:
        """The (n_model_labels, n_dataset_labels) 0/1 alignment matrix."""
        m = np.zeros((len(self.model_labels), len(self.dataset_labels)))
        for i, j in enumerate(self.targets):
            if j is not None:
                m[i, j] = 1.0
        return m

    @property
    def is_identity(self) -> bool:
        return self.targets == tuple(range(len(self.dataset_labels)))

    def to_json(self) -> dict[str, str | None]:
        """Model label -> dataset label (None = dropped), as stored in `evaluations.label_map`."""
        return {m: (None if j is None else self.dataset_labels[j]) for m, j in zip(self.model_labels, self.targets,
                                                                                     strict=True)}

    def describe(self) -> str:
        """One line for people, e.g. `LABEL_0→negative, LABEL_1→positive (index order)`."""
        rules = {"names": "by name", "stars": "stars: 1-2 negative, 4-5 positive, 3 dropped",
                 "index": "index order", "user": "user mapping"}
        pairs = ", ".join(f"{m}→{t if t is not None else '(dropped)'}" for m, t in self.to_json().items())
        return f"{pairs} ({rules.get(self.rule, self.rule)})"

    def apply(self, logits: np.ndarray) -> np.ndarray:
        """Dataset-space probabilities (n, n_dataset_labels) from model logits (n, n_model_labels).

        Equal to `normalise(softmax(logits) @ M)`, computed over the kept labels only so that a dropped
        label holding nearly all the mass does not cost precision.
        """
        logits = np.asarray(logits, dtype=np.float64)
        if self.is_identity:
            z = logits - logits.max(axis=1, keepdims=True)
            e = np.exp(z)
            return e / e.sum(axis=1, keepdims=True)
        kept = [i for i, t in enumerate(self.targets) if t is not None]
        z = logits[:, kept] - logits[:, kept].max(axis=1, keepdims=True)
        q = np.exp(z) @ self.matrix[kept]
        return q / q.sum(axis=1, keepdims=True)

    def log_probs_torch(self, logits: torch.Tensor) -> torch.Tensor:
        """Differentiable dataset-space log-probabilities from model logits (autograd-friendly)."""
        import torch

        if self.is_identity:
            return torch.log_softmax(logits, dim=-1)
        log_m = torch.full(self.matrix.shape, float("-inf"), dtype=logits.dtype, device=logits.device)
        log_m[torch.as_tensor(self.matrix, device=logits.device) > 0] = 0.0
        kept = torch.tensor([t is not None for t in self.targets], device=logits.device)
        grouped = torch.logsumexp(logits.unsqueeze(-1) + log_m, dim=1)  # (n, n_dataset)
        return grouped - torch.logsumexp(logits[:, kept], dim=1, keepdim=True)


def parse_label_map(text: str) -> dict[str, str | None]:
    """Parse `"LABEL_0=negative,LABEL_1=positive"` or a JSON object; `x=-` (or `none`/`drop`) drops x."""
    text = text.strip()
    if text.startswith("{"):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LabelAlignmentError(f"--label-map is not valid JSON ({exc.msg}); use {LABEL_MAP_HELP}") from exc
        if not isinstance(raw, dict):
            raise LabelAlignmentError(f"--label-map JSON must be an object; use {LABEL_MAP_HELP}")
        pairs = [(str(k), None if v is None else str(v)) for k, v in raw.items()]
    else:
        pairs = []
        for item in filter(None, (p.strip() for p in text.split(","))):
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise LabelAlignmentError(f"--label-map entry {item!r} is not model_label=dataset_label; "
                                          f"use {LABEL_MAP_HELP}")
            pairs.append((key.strip(), value.strip()))
    if not pairs:
        raise LabelAlignmentError(f"--label-map is empty; use {LABEL_MAP_HELP}")
    out: dict[str, str | None] = {}
    for key, value in pairs:
        if key in out:
            raise LabelAlignmentError(f"--label-map names model label {key!r} twice")
        out[key] = None if value is None or value.strip().lower() in _DROP_WORDS else value
    return out


def align_labels(model_labels: Sequence[str], dataset_labels: Sequence[str],
                 user_map: Mapping[str, str | None] | str | None = None) -> LabelAlignment:
    """Align `model_labels` (index = class id) with `dataset_labels`, or raise `LabelAlignmentError`."""
    model, data = tuple(model_labels), tuple(dataset_labels)
    if len(set(model)) != len(model):
        raise _refusal(model, data, "the model has duplicate label names")
    if user_map is not None:
        mapping = parse_label_map(user_map) if isinstance(user_map, str) else dict(user_map)
        return _from_user(model, data, mapping)
    for rule, attempt in (("names", _by_names), ("stars", _by_stars), ("index", _by_index)):
        targets = attempt(model, data)
        if targets is not None:
            return LabelAlignment(model, data, targets, rule)
    raise _refusal(model, data, "no automatic rule applies")


def id2label_names(id2label: Mapping[int | str, str], num_labels: int) -> tuple[str, ...]:
    """The model's label names in class-index order, checked against the classifier's output size."""
    by_index = {int(k): str(v) for k, v in id2label.items()}
    if sorted(by_index) != list(range(num_labels)):
        raise LabelAlignmentError(f"the model's id2label {dict(sorted(by_index.items()))} does not name its "
                                  f"{num_labels} outputs 0..{num_labels - 1}")
    return tuple(by_index[i] for i in range(num_labels))


def model_label_names(folder: str | Path) -> tuple[str, ...]:
    """A model folder's own label names, in class-index order, from its config.json (no weights loaded);
    transformers' `LABEL_i` names when the config has no id2label."""
    config_path = Path(folder) / "config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LabelAlignmentError(f"cannot read the model's labels from {config_path}: {exc}") from exc
    id2label = config.get("id2label") or {}
    num_labels = len(id2label) or int(config.get("num_labels") or 2)
    return id2label_names(id2label or {i: f"LABEL_{i}" for i in range(num_labels)}, num_labels)


# -- rules -----------------------------------------------------------------------------------------
def _canonical(name: str) -> str:
    key = re.sub(r"[\s_\-]+", " ", name.strip().lower())
    return _SYNONYMS.get(key, key)


def _by_names(model: tuple[str, ...], data: tuple[str, ...]) -> tuple[int | None, ...] | None:
    data_canon = [_canonical(d) for d in data]
    if len(set(data_canon)) != len(data_canon):
        return None
    targets: list[int | None] = []
    for name in model:
        canon = _canonical(name)
        if canon in data_canon:
            targets.append(data_canon.index(canon))
        elif canon == "neutral":
            targets.append(DROP)
        else:
            return None
    return tuple(targets) if set(targets) - {DROP} == set(range(len(data))) else None


def _by_stars(model: tuple[str, ...], data: tuple[str, ...]) -> tuple[int | None, ...] | None:
    data_canon = [_canonical(d) for d in data]
    if sorted(data_canon) != ["negative", "positive"]:
        return None
    stars = [_STARS.match(_canonical(m)) for m in model]
    if not all(stars) or sorted(int(s.group(1)) for s in stars if s) != [1, 2, 3, 4, 5]:
        return None
    neg, pos = data_canon.index("negative"), data_canon.index("positive")
    return tuple({1: neg, 2: neg, 3: DROP, 4: pos, 5: pos}[int(s.group(1))] for s in stars if s)


def _by_index(model: tuple[str, ...], data: tuple[str, ...]) -> tuple[int | None, ...] | None:
    if len(model) != len(data):
        return None
    ids = [_INDEX.match(m.strip().lower()) for m in model]
    if all(ids) and [int(m.group(1)) for m in ids if m] == list(range(len(model))):
        return tuple(range(len(data)))
    return None


def _from_user(model: tuple[str, ...], data: tuple[str, ...],
               mapping: Mapping[str, str | None]) -> LabelAlignment:
    targets: list[int | None] = [DROP] * len(model)
    for key, value in mapping.items():
        i = _lookup(key, model)
        if i is None:
            raise _refusal(model, data, f"--label-map names model label {key!r}, which the model does not have")
        if value is None:
            continue
        j = _lookup(value, data)
        if j is None:
            raise _refusal(model, data, f"--label-map maps {key!r} to {value!r}, which is not a dataset label")
        targets[i] = j
    missing = [d for j, d in enumerate(data) if j not in targets]
    if missing:
        raise _refusal(model, data, f"--label-map gives no model label for dataset label(s) {missing}")
    return LabelAlignment(model, data, tuple(targets), "user")


def _lookup(name: str, labels: tuple[str, ...]) -> int | None:
    """Index of `name` in `labels`: exact, then case-insensitive, then a plain class index."""
    if name in labels:
        return labels.index(name)
    lowered = [label.lower() for label in labels]
    if name.lower() in lowered:
        return lowered.index(name.lower())
    if name.isdigit() and int(name) < len(labels):
        return int(name)
    return None


def _refusal(model: tuple[str, ...], data: tuple[str, ...], why: str) -> LabelAlignmentError:
    model_desc = ", ".join(f"{i}={m}" for i, m in enumerate(model))
    data_desc = ", ".join(f"{j}={d}" for j, d in enumerate(data))
    return LabelAlignmentError(
        f"cannot align the model's labels with the dataset's ({why}).\n"
        f"  model labels:   {model_desc}\n"
        f"  dataset labels: {data_desc}\n"
        f"Pass a mapping (model label=dataset label, comma-separated; or a JSON object; \"name=-\" drops a model "
        f"label), e.g. in index order, if that is what the labels mean: {_suggestion(model, data)}")


def _suggestion(model: tuple[str, ...], data: tuple[str, ...]) -> str:
    """A `--label-map` built from these very labels: model label i → dataset label i (extra model labels dropped)."""
    pairs = [f"{m}={data[i] if i < len(data) else '-'}" for i, m in enumerate(model)]
    return f'--label-map "{",".join(pairs)}"'
