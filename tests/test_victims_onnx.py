"""The ONNX Runtime backend: same numbers as PyTorch, the model left as it was, a clear fallback and refusal."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from chainaudit import onnx_backend
from chainaudit.errors import ChainauditError
from chainaudit.onnx_backend import OnnxModel
from chainaudit.settings import inference_backend
from chainaudit.victims.hf_local import LocalHFVictim
from conftest import TINY_CORPUS

BINARY = ("negative", "positive")
TEXTS = [*TINY_CORPUS, "ok", "a long rambling sentence about a film , the acting , the plot and the script " * 3]


def victim(folder: Path, backend: str, **options) -> LocalHFVictim:
    return LocalHFVictim.load(str(folder), BINARY, device="cpu", backend=backend, **options)


@pytest.mark.parametrize("batch_size", [1, 3, 64])
def test_onnx_gives_pytorchs_probabilities_whatever_the_batching(tiny_model_dir: Path, batch_size: int) -> None:
    order = list(range(len(TEXTS)))
    random.Random(batch_size).shuffle(order)
    texts = [TEXTS[i] for i in order]
    reference = victim(tiny_model_dir, "torch", batch_size=batch_size)
    fast = victim(tiny_model_dir, "auto", batch_size=batch_size)
    expected = reference.predict_proba(texts)
    assert fast.backend == "auto"  # decided on the first forward pass, not at load
    np.testing.assert_allclose(fast.predict_proba(texts), expected, atol=1e-6)
    assert fast.backend == "onnx" and reference.backend == "torch" and fast.backend_note == ""
    fast.clear_cache()  # now every batch comes from ONNX Runtime
    np.testing.assert_allclose(fast.predict_proba(texts[::-1]), expected[::-1], atol=1e-6)
    assert "backend=onnx" in repr(fast)


def test_export_leaves_the_model_in_eval_mode(tiny_model_dir: Path) -> None:
    """Exporting once put the classifier back in training mode (dropout on): its gradients and any PyTorch pass
    became random. The model must come out of the export as it went in."""
    fast = victim(tiny_model_dir, "onnx")
    fast.predict_proba(TEXTS[:4])
    assert fast.backend == "onnx" and not fast.model.training
    first = fast.input_gradients(TEXTS[:2], [0, 1])
    again = fast.input_gradients(TEXTS[:2], [0, 1])
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a.grads, b.grads)


def test_a_graph_that_disagrees_falls_back_to_pytorch_with_the_reason(
        tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    expected = victim(tiny_model_dir, "torch").predict_proba(TEXTS)
    real_call = OnnxModel.__call__
    monkeypatch.setattr(OnnxModel, "__call__", lambda self, inputs: real_call(self, inputs) + 0.5)
    fallback = victim(tiny_model_dir, "auto")
    with caplog.at_level(logging.WARNING):
        probs = fallback.predict_proba(TEXTS)
    np.testing.assert_allclose(probs, expected, atol=1e-6)  # PyTorch's numbers, not the wrong graph's
    assert fallback.backend == "torch" and "differ from PyTorch's by 0.5" in fallback.backend_note
    assert "using PyTorch for inference" in caplog.text
    with pytest.raises(ChainauditError, match=r"differ from PyTorch.*CHAINAUDIT_BACKEND=torch"):
        victim(tiny_model_dir, "onnx").predict_proba(TEXTS)


def test_without_onnxruntime_auto_stays_on_pytorch_and_onnx_is_refused(
        tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnx_backend, "onnx_runtime", lambda: None)
    fallback = victim(tiny_model_dir, "auto")
    fallback.predict_proba(TEXTS[:3])
    assert fallback.backend == "torch" and "onnxruntime is not installed" in fallback.backend_note
    with pytest.raises(ChainauditError, match="onnxruntime is not installed"):
        victim(tiny_model_dir, "onnx").predict_proba(TEXTS[:3])


def test_torch_backend_never_exports(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("exported although the backend is torch")

    monkeypatch.setattr(OnnxModel, "export", refuse)
    monkeypatch.setenv("CHAINAUDIT_BACKEND", "torch")
    plain = LocalHFVictim.load(str(tiny_model_dir), BINARY, device="cpu")
    plain.predict_proba(TEXTS)
    assert plain.backend == "torch"


def test_backend_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINAUDIT_BACKEND", " ONNX ")
    assert inference_backend() == "onnx"
    monkeypatch.setenv("CHAINAUDIT_BACKEND", "tensorrt")
    with pytest.raises(ChainauditError, match=r"CHAINAUDIT_BACKEND='tensorrt' is not a backend; use one of auto"):
        inference_backend()


def test_left_padding_models_get_the_same_numbers(tiny_model_dir: Path) -> None:
    def left_padded(backend: str) -> LocalHFVictim:
        tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
        tokenizer.padding_side = "left"
        model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir)
        return LocalHFVictim(model, tokenizer, BINARY, model_id="tiny-left", revision="test", device="cpu",
                             backend=backend)

    expected = left_padded("torch").predict_proba(TEXTS)
    fast = left_padded("onnx")
    np.testing.assert_allclose(fast.predict_proba(TEXTS), expected, atol=1e-6)
    fast.clear_cache()
    np.testing.assert_allclose(fast.predict_proba(TEXTS), expected, atol=1e-6)
    assert fast.backend == "onnx"


def test_oversized_models_are_not_exported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnx_backend, "MAX_PARAMETER_BYTES", 10)
    model = torch.nn.Linear(4, 4)
    with pytest.raises(onnx_backend.BackendError, match="exceed one ONNX file's 2 GB"):
        OnnxModel.export(model, {"input_ids": torch.zeros((1, 3), dtype=torch.int64)}, threads=1)


def test_a_graph_onnx_runtime_cannot_run_is_a_backend_error(tiny_model_dir: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """onnxruntime raises its own exception classes; they must become the fallback, not crash an attack."""
    class Broken:
        def run(self, *args, **kwargs):
            raise RuntimeError("[ONNXRuntimeError] : 1 : FAIL : kernel missing")

    fallback = victim(tiny_model_dir, "auto")
    monkeypatch.setattr(OnnxModel, "__init__", lambda self, session, names: (
        setattr(self, "session", Broken()), setattr(self, "names", tuple(names)))[0])
    fallback.predict_proba(TEXTS[:3])
    assert fallback.backend == "torch"
    assert "ONNX Runtime failed on the check batch: RuntimeError: [ONNXRuntimeError]" in fallback.backend_note


@pytest.mark.parametrize(("env", "expected"), [(None, "0"), ("0", "0"), ("1", None)])
def test_onnx_threads_sleep_between_runs_unless_asked_to_spin(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                              env: str | None, expected: str | None) -> None:
    """Spinning pool threads took the 2 cores from the attack's Python work between calls (10-40% slower attacks);
    they must sleep by default, and `$CHAINAUDIT_ORT_SPIN=1` gives ONNX Runtime's own default back."""
    if env is None:
        monkeypatch.delenv("CHAINAUDIT_ORT_SPIN", raising=False)
    else:
        monkeypatch.setenv("CHAINAUDIT_ORT_SPIN", env)
    fast = victim(tiny_model_dir, "onnx")
    fast.predict_proba(TEXTS[:2])
    options = fast._onnx.session.get_session_options()
    try:
        entry = options.get_session_config_entry("session.intra_op.allow_spinning")
    except RuntimeError:  # onnxruntime's answer for an entry never set: its own default, spinning
        entry = None
    assert entry == expected


def test_a_bad_spin_setting_is_a_one_line_error(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINAUDIT_ORT_SPIN", "yes")
    with pytest.raises(ChainauditError, match=r"CHAINAUDIT_ORT_SPIN='yes' must be 0 .* or 1"):
        victim(tiny_model_dir, "onnx").predict_proba(TEXTS[:2])
