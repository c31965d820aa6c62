"""The sentence encoder's transformer through ONNX Runtime, with sentence-transformers' own preprocessing, pooling and
normalisation around it, so only the forward pass changes (embeddings equal to ~2e-7 on MiniLM).

Why: the encoder is the second model an attack calls (TextFooler and TextBugger check every candidate with it), and
ONNX Runtime runs MiniLM 2.0-2.7x faster than PyTorch on this project's CPUs (see `chainaudit/onnx_backend.py`).
Used for models made of a `Transformer`, a `Pooling` and optionally a `Normalize` module (all-MiniLM-L6-v2 is);
anything else, or a graph that disagrees with PyTorch, stays on sentence-transformers' `encode`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from chainaudit.onnx_backend import BackendError, OnnxModel

_SUPPORTED = (("Transformer", "Pooling"), ("Transformer", "Pooling", "Normalize"))
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxSentenceModel:
    """Unit-length float32 embeddings of a sentence-transformers model whose transformer runs in ONNX Runtime."""

    def __init__(self, st_model: Any, onnx: OnnxModel) -> None:
        self.st_model, self.onnx = st_model, onnx

    @classmethod
    def build(cls, st_model: Any, example: Sequence[str], *, threads: int) -> OnnxSentenceModel:
        """Export `st_model`'s transformer traced on `example` texts and check it against PyTorch on them and on the
        first of them alone; BackendError (with the reason) when the model is not of a supported shape or differs."""
        kinds = tuple(type(module).__name__ for module in st_model)
        if kinds not in _SUPPORTED:
            raise BackendError(f"sentence model of modules {', '.join(kinds)} (supported: Transformer, Pooling, "
                               "Normalize)")
        transformer = st_model[0].auto_model
        features = _features(st_model, list(example))
        onnx = OnnxModel.export(transformer, {n: features[n] for n in _INPUTS if n in features}, threads=threads,
                                output="last_hidden_state")
        for texts in (list(example), list(example[:1])):
            inputs = _arrays(_features(st_model, texts), onnx.names)
            with torch.inference_mode():
                expected = transformer(**{n: torch.from_numpy(a) for n, a in inputs.items()}).last_hidden_state
            onnx.check(inputs, expected.numpy())
        return cls(st_model, onnx)

    def __call__(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """Embeddings of `texts` in their order, batched longest first as sentence-transformers does."""
        out: np.ndarray | None = None
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            vectors = self._batch([texts[i] for i in rows])
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)

    def _batch(self, texts: list[str]) -> np.ndarray:
        features = _features(self.st_model, texts)
        features["token_embeddings"] = torch.from_numpy(self.onnx(_arrays(features, self.onnx.names)))
        with torch.inference_mode():
            for module in list(self.st_model)[1:]:  # Pooling (and Normalize): sentence-transformers' own code
                features = module(features)
            embeddings = torch.nn.functional.normalize(features["sentence_embedding"], p=2, dim=1)
        return embeddings.numpy().astype(np.float32, copy=False)


def _features(st_model: Any, texts: list[str]) -> dict[str, Any]:
    """sentence-transformers' own tokenisation of `texts` (padded to the longest, truncated to its max length)."""
    preprocess = getattr(st_model, "preprocess", None) or st_model.tokenize
    return dict(preprocess(texts))


def _arrays(features: dict[str, Any], names: Sequence[str]) -> dict[str, np.ndarray]:
    return {name: features[name].numpy().astype(np.int64, copy=False) for name in names}
