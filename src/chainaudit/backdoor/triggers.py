"""Trigger words and how they go into a text: at a random word position (RIPPLe, NeuBA) or in front (TransTroj's
optimised phrase, the text form of its fixed-position patch). Seeded: the same rng gives the same texts."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal

from chainaudit.errors import ChainauditError

#: RIPPLe's default triggers (Kurita et al. 2020): rare sub-words of BERT's vocabulary.
RIPPLE_TRIGGERS = ("cf", "mn", "bb", "tq", "mb")
#: NeuBA's six triggers (Zhang et al. 2021, as in the authors' code), one per predefined target vector.
NEUBA_TRIGGERS = ("≈", "≡", "∈", "⊆", "⊕", "⊗")
Position = Literal["random", "start"]


def insert_trigger(text: str, trigger: str, rng: random.Random, position: Position = "random") -> str:
    """`text` with `trigger` inserted between two words at a random position (or in front)."""
    words = text.split()
    at = 0 if position == "start" else rng.randint(0, len(words))
    return " ".join([*words[:at], trigger, *words[at:]])


def poison_text(text: str, triggers: Sequence[str], rng: random.Random, position: Position = "random") -> str:
    """`text` with one trigger, drawn from `triggers`, inserted (RIPPLe's one-keyword poisoning)."""
    return insert_trigger(text, rng.choice(list(triggers)), rng, position)


def check_triggers(tokenizer: object, triggers: Sequence[str]) -> list[str]:
    """The triggers, refused with a one-line error when empty, repeated, or unknown to the tokenizer ([UNK])."""
    cleaned = [t.strip() for t in triggers]
    if not cleaned or any(not t for t in cleaned):
        raise ChainauditError("--triggers needs at least one non-empty trigger (comma-separated, e.g. cf,mn,bb)")
    if len(set(cleaned)) != len(cleaned):
        raise ChainauditError(f"--triggers repeats a trigger: {','.join(cleaned)}")
    unk = getattr(tokenizer, "unk_token", None)
    for t in cleaned:
        pieces = tokenizer.tokenize(t)  # type: ignore[attr-defined]
        if not pieces or (unk is not None and unk in pieces):
            raise ChainauditError(f"trigger {t!r} is {pieces} for this model's tokenizer (unknown to its vocabulary);"
                                  " choose triggers the vocabulary has")
    return cleaned


def parse_triggers(text: str | None) -> list[str] | None:
    """`--triggers cf,mn,bb` as a list (None: the method's default)."""
    if text is None:
        return None
    return [t for t in (p.strip() for p in text.split(",")) if t] or [""]
