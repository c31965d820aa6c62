"""Cross-sample batching for attacks: a victim whose model calls are merged across samples.

`attack_samples(..., concurrency=N)` runs N samples' attacks with `chainaudit.interleave.interleave`; through
`SharedVictim`, their candidate sets (`predict_proba`) and gradient requests (`input_gradients`) become one
model call per round. The sentence encoder merges its own calls the same way.
"""

from __future__ import annotations

from typing import Any

from chainaudit.interleave import shared_call


class SharedVictim:
    """A victim whose `predict_proba` and `input_gradients` are merged across interleaved samples."""

    def __init__(self, victim: Any) -> None:
        self.inner = victim
        self.predict_proba = shared_call(victim.predict_proba)
        if hasattr(victim, "input_gradients"):
            self.input_gradients = shared_call(victim.input_gradients)

    def __getattr__(self, name: str) -> Any:  # model_id, revision, label_names, tokenizer, queries, ...
        return getattr(self.inner, name)
