"""Cross-sample batching: several samples are attacked at once, and their candidate sets are merged
into one `Victim.predict_proba` call.

A greedy search scores a handful of candidates per step (TextBugger: about five), and a forward pass
over five short texts costs several times more per text than one over 64. Rather than rewriting every
search as a coroutine, each sample runs in its own thread against a `BatchingVictim`: a call enqueues
its texts and waits; when every running sample is waiting (or `max_wait` passes), the queued texts go
to the real victim in one call and each caller gets its rows back. Only one thread ever touches the
model: white-box calls (`input_gradients`, `embedding_matrix`, the tokenizer) share the same lock.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np


class BatchingVictim:
    """A `Victim` proxy that merges concurrent `predict_proba` calls of `workers` threads."""

    def __init__(self, victim: Any, workers: int, *, max_wait: float = 0.05) -> None:
        self.inner = victim
        self.model_id, self.revision, self.label_names = victim.model_id, victim.revision, victim.label_names
        self.workers = workers
        self.max_wait = max_wait
        self.lock = threading.Lock()          # the model: one user at a time
        self._cond = threading.Condition()
        self._pending: list[tuple[list[str], dict[str, Any]]] = []
        self._active = workers                # threads still running samples
        self._elsewhere = 0                   # threads in a locked non-batched call (gradients, encoder)

    @property
    def queries(self) -> int:
        return self.inner.queries

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name == "tokenizer":
            return _LockedTokenizer(attr, self.exclusive)
        if callable(attr) and name in {"input_gradients", "embedding_matrix"}:
            return self.exclusive(attr)
        return attr

    def exclusive(self, func: Any) -> Any:
        """`func` run under the model lock; meanwhile its thread does not hold up batched calls."""
        def call(*args: Any, **kwargs: Any) -> Any:
            with self._cond:
                self._elsewhere += 1
                self._cond.notify_all()
            try:
                with self.lock:
                    return func(*args, **kwargs)
            finally:
                with self._cond:
                    self._elsewhere -= 1
        return call

    def retire(self) -> None:
        """A worker thread has no more samples: stop waiting for it."""
        with self._cond:
            self._active -= 1
            self._cond.notify_all()

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        slot: dict[str, Any] = {}
        with self._cond:
            self._pending.append((list(texts), slot))
            self._cond.notify_all()
            while "out" not in slot and "error" not in slot:
                everyone_waits = len(self._pending) >= self._active - self._elsewhere
                if (everyone_waits or not self._cond.wait(self.max_wait)) and "out" not in slot \
                        and "error" not in slot:
                    self._flush()
        if "error" in slot:
            raise slot["error"]
        return slot["out"]

    def _flush(self) -> None:
        """Score every queued request in one call (called with the condition held)."""
        batch, self._pending = self._pending, []
        if not batch:
            return
        texts = [t for request, _ in batch for t in request]
        try:
            with self.lock:
                probs = self.inner.predict_proba(texts)
        except Exception:  # one request broke the merged call: score each alone, so only it errors
            for request, slot in batch:
                try:
                    with self.lock:
                        slot["out"] = self.inner.predict_proba(request)
                except Exception as exc:  # handed to its caller, whose sample becomes an `error` outcome
                    slot["error"] = exc
        else:
            start = 0
            for request, slot in batch:
                slot["out"] = probs[start:start + len(request)]
                start += len(request)
        self._cond.notify_all()


class _LockedTokenizer:
    """A fast tokenizer shared with the model thread: Rust tokenizers refuse concurrent use."""

    def __init__(self, tokenizer: Any, exclusive: Any) -> None:
        self._tokenizer = tokenizer
        self._call = exclusive(tokenizer.__call__)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tokenizer, name)
