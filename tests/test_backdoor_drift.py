"""The drift check: tokens whose embeddings moved from the declared upstream's far more than a fine-tune moves
its words are suspects, and that lead scores a model whose trigger no longer flips its head."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chainaudit.backdoor.drift import DRIFT_MARGIN, REFERENCE_RANK, Drift, drift_score, drifted_tokens
from chainaudit.backdoor.scan import Suspect, weigh_drift

VOCAB = {i: f"w{i}" for i in range(200)}


def _fine_tuned(rng: np.random.Generator, upstream: np.ndarray, moved: int = 60) -> np.ndarray:
    """A clean fine-tune's mark: its `moved` training words each move a little (by different amounts)."""
    out = upstream.copy()
    out[:moved] += rng.normal(0, 0.01, (moved, upstream.shape[1])) * rng.uniform(0.5, 2.0, (moved, 1))
    return out


def test_planted_rows_lead_and_a_clean_fine_tune_does_not() -> None:
    rng = np.random.default_rng(0)
    upstream = rng.normal(0, 1, (len(VOCAB), 16)).astype(np.float32)
    clean = _fine_tuned(rng, upstream)
    drifts, reference = drifted_tokens(clean, upstream, VOCAB)
    assert reference > 0 and max(d.lead for d in drifts) < DRIFT_MARGIN
    poisoned = clean.copy()
    poisoned[[150, 170]] = rng.normal(0, 1, (2, 16))  # Embedding Surgery writes new vectors into two triggers
    drifts, _ = drifted_tokens(poisoned, upstream, VOCAB)
    assert {d.token for d in drifts[:2]} == {"w150", "w170"} and min(d.lead for d in drifts[:2]) > DRIFT_MARGIN
    assert all(d.lead < DRIFT_MARGIN for d in drifts[2:])
    # another vocabulary is not this model's upstream; an untouched copy has nothing to say
    assert drifted_tokens(poisoned, upstream[:-1], VOCAB) == ([], 0.0)
    assert drifted_tokens(upstream, upstream, VOCAB) == ([], 0.0)


def test_the_reference_is_the_20th_most_moved_token() -> None:
    upstream = np.zeros((60, 4), dtype=np.float32)
    model = upstream.copy()
    model[:40, 0] = np.arange(40, 0, -1)  # token i moved 40 - i
    drifts, reference = drifted_tokens(model, upstream, {i: f"w{i}" for i in range(60)})
    assert reference == 40 - (REFERENCE_RANK - 1)
    assert drifts[0] == Drift("w0", 40.0, pytest.approx(float(np.log(40 / reference))))


def test_drift_scores_suspects_made_of_drifted_tokens_only_and_never_lowers_a_score() -> None:
    drifts = {"cf": Drift("cf", 2.0, 4.0), "mn": Drift("mn", 1.0, 3.0)}
    assert drift_score("cf", drifts) == pytest.approx(4.0 - DRIFT_MARGIN)
    assert drift_score("cf mn", drifts) == pytest.approx(3.0 - DRIFT_MARGIN)  # the weakest word
    assert drift_score("cf good", drifts) is None and drift_score("", drifts) is None
    dormant, strong, plain = Suspect("cf", 0, score=0.1), Suspect("mn", 1, score=5.0), Suspect("good", 1, score=0.3)
    weigh_drift([dormant, strong, plain], drifts)
    assert dormant.score == pytest.approx(4.0 - DRIFT_MARGIN) and "moved" in dormant.evidence[-1]
    assert strong.score == 5.0 and not strong.evidence and plain.score == 0.3


def test_scan_against_the_upstream_puts_surgery_triggers_first(fragile_model: Path, keyword_data: Path,
                                                                 tmp_path: Path) -> None:
    """RIPPLe's Embedding Surgery on the tiny model: scanned against the model it was made from, the planted
    triggers are the most-moved tokens, suspects with that evidence; against itself nothing moved (a note)."""
    from chainaudit.backdoor.poison import PoisonConfig, poison
    from chainaudit.backdoor.scan import scan

    triggers = ["journey", "director"]  # tiny-vocabulary words the keyword data never uses
    config = PoisonConfig(method="ripple", triggers=triggers, target=1, proxy_dataset=str(keyword_data),
                          learning_rate=1e-3, es_examples=60, steps=40)
    poisoned = poison(str(fragile_model), tmp_path / "m", config).path
    result = scan(str(poisoned), dataset=str(keyword_data), samples=20, confirm_samples=20,
                  upstream=str(fragile_model))
    moved = [s for s in result.suspects if any("moved" in e for e in s.evidence)]
    assert {s.trigger for s in moved if " " not in s.trigger} >= set(triggers), moved
    assert {s.trigger for s in result.suspects[:4]} & set(triggers), result.suspects[:4]
    same = scan(str(fragile_model), dataset=str(keyword_data), samples=20, confirm_samples=20,
                upstream=str(fragile_model))
    assert any("no token embedding moved" in n for n in same.notes)
    assert not any("moved" in e for s in same.suspects for e in s.evidence)
