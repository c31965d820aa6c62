"""Sentence encoder (MiniLM in place of USE): similarity sanity, caching, windows, calibration constants."""

from __future__ import annotations

import numpy as np
import pytest

from chainaudit.resources import encoder


def test_window_is_centred_and_shifted_at_the_edges() -> None:
    assert encoder.window(40, 20) == (13, 28)
    assert encoder.window(40, 0) == (0, 15)
    assert encoder.window(40, 39) == (25, 40)
    assert encoder.window(10, 5) == (0, 10)


def test_calibration_constants() -> None:
    assert set(encoder.CALIBRATION) >= {"textfooler_window", "textbugger", "pwws"}
    assert encoder.CALIBRATION["pwws"] is None
    for key in ("textfooler_window", "textbugger"):
        assert 0.5 < encoder.CALIBRATION[key] < 1.0
    assert encoder.USE_THRESHOLDS["textfooler_window"] == pytest.approx(0.8776, abs=1e-4)


def test_similarity_identical_related_unrelated() -> None:
    enc = encoder.get_encoder()
    base = "the movie was wonderful and the actors were great"
    sims = enc.similarity([base, base, base],
                          [base, "the film was excellent and the cast was superb",
                           "quarterly tax filings are due at the end of april"])
    assert sims[0] == pytest.approx(1.0, abs=1e-4)
    assert sims[2] < sims[1]
    assert sims[1] > 0.6


def test_encode_is_normalised_and_cached() -> None:
    enc = encoder.SentenceEncoder(cache_size=3)
    emb = enc.encode(["a good film", "a bad film", "a good film"])
    assert emb.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(emb[0], emb[2])
    enc.encode(["one", "two", "three", "four"])
    assert len(enc._cache) == 3
    assert enc.encode([]).shape == (0, 384)
    with pytest.raises(ValueError, match="equal-length"):
        enc.similarity(["a"], ["a", "b"])


TEXTS = ["a good film", "  the acting was wonderful , the plot less so  ", "bad",
         *(f"review number {i} says the movie was {'great' if i % 2 else 'dull'}" + " really" * (i % 9)
           for i in range(70))]


def test_onnx_encoder_gives_sentence_transformers_embeddings() -> None:
    reference = encoder.SentenceEncoder(backend="torch").encode(TEXTS)
    fast = encoder.SentenceEncoder(backend="auto", batch_size=16)
    assert fast.backend == "auto"
    np.testing.assert_allclose(fast.encode(TEXTS), reference, atol=1e-5)
    assert fast.backend == "onnx" and fast.backend_note == ""
    fast._cache.clear()  # every row from ONNX Runtime now, in other batches
    np.testing.assert_allclose(fast.encode(TEXTS[::-1]), reference[::-1], atol=1e-5)


def test_onnx_encoder_that_disagrees_falls_back_or_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from chainaudit.errors import ChainauditError
    from chainaudit.onnx_backend import OnnxModel

    real_call = OnnxModel.__call__
    monkeypatch.setattr(OnnxModel, "__call__", lambda self, inputs: real_call(self, inputs) * 1.5)
    reference = encoder.SentenceEncoder(backend="torch").encode(TEXTS[:5])
    fallback = encoder.SentenceEncoder(backend="auto")
    np.testing.assert_allclose(fallback.encode(TEXTS[:5]), reference, atol=1e-6)
    assert fallback.backend == "torch" and "differ from PyTorch's" in fallback.backend_note
    with pytest.raises(ChainauditError, match=r"sentence encoder: .*differ.*CHAINAUDIT_BACKEND=torch"):
        encoder.SentenceEncoder(backend="onnx").encode(TEXTS[:5])
