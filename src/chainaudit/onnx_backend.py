"""ONNX Runtime as the forward pass of a local transformers model on CPU (a victim's logits, an encoder's states).

Why not PyTorch alone: on this project's 2-core CPU machine, ONNX Runtime's fused kernels ran the demo's MiniLM-L6
victim 2.0-2.7x faster than PyTorch eager on SST-2 batches of 1 to 64 texts and 1.6x faster on 256-token IMDB texts,
with probabilities equal to 7e-7 (`benchmarks/inference_backend.py`). Attacks spend most of their time in the
victim's forward passes, so most of an attack's time shrinks with them. The lead depends on the CPU: on a later
2-core machine (an AVX-512 Xeon) the same benchmark gave 2.1x for single texts, 1.1x for batches of 8, none from 32
rows on, and 0.7x (slower) on 256-token IMDB texts, with onnxruntime 1.23 to 1.32 alike; `CHAINAUDIT_BACKEND=torch`
is then the faster choice for long texts.

The model is exported once per victim (PyTorch's TorchScript exporter, dynamic batch and length axes), kept in
memory only, and checked against PyTorch on two batch shapes before it is trusted; a model that does not export, or
whose exported graph disagrees, stays on PyTorch and says why. Gradients always come from PyTorch.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import torch

from chainaudit.errors import ChainauditError
from chainaudit.settings import onnx_threads_spin

logger = logging.getLogger(__name__)

#: Largest logit difference from PyTorch accepted when the exported graph is checked (float32 rounding is ~1e-7).
TOLERANCE = 1e-4
#: Models with more parameter bytes than this stay on PyTorch: one ONNX protobuf holds at most 2 GiB.
MAX_PARAMETER_BYTES = 1_800_000_000
OPSET = 17


class BackendError(ChainauditError):
    """The ONNX backend cannot serve this model (the message says why)."""


T = TypeVar("T")


def adopt(build: Callable[[], T], *, requested: str, who: str) -> tuple[T | None, str]:
    """(the ONNX model `build` makes, "") or, when it raises BackendError, (None, the reason), logged as a warning;
    when "onnx" was `requested` explicitly the reason is a one-line ChainauditError naming `who` and the way out."""
    try:
        return build(), ""
    except BackendError as exc:
        if requested == "onnx":
            raise ChainauditError(f"{who}: {exc} (set $CHAINAUDIT_BACKEND=torch or auto to use PyTorch)") from exc
        logger.warning("%s: using PyTorch for inference: %s", who, exc)
        return None, str(exc)


def onnx_runtime() -> Any | None:
    """The `onnxruntime` module, or None when it is not installed."""
    try:
        import onnxruntime
    except ImportError:
        return None
    return onnxruntime


class _Output(torch.nn.Module):
    """The model with positional inputs in a fixed order, returning one of its outputs (`logits`, ...)."""

    def __init__(self, model: torch.nn.Module, names: Sequence[str], output: str) -> None:
        super().__init__()
        self.model, self.names, self.output = model, tuple(names), output

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return getattr(self.model(**dict(zip(self.names, inputs, strict=True))), self.output)


class OnnxModel:
    """One output of a model (a classifier's logits, an encoder's last hidden state) from ONNX Runtime, for the
    input names it was exported with."""

    def __init__(self, session: Any, names: Sequence[str]) -> None:
        self.session, self.names = session, tuple(names)

    def __call__(self, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        (out,) = self.session.run(None, {name: inputs[name] for name in self.names})
        return np.asarray(out)

    @classmethod
    def export(cls, model: torch.nn.Module, example: Mapping[str, torch.Tensor], *, threads: int,
               output: str = "logits") -> OnnxModel:
        """Export `model` (on CPU) traced on `example` and open it in ONNX Runtime with `threads`: `output` is the
        attribute of the model's output returned (dynamic batch axis; a 3-d output's second axis is the length)."""
        ort = onnx_runtime()
        if ort is None:
            raise BackendError("onnxruntime is not installed (pip install onnxruntime)")
        size = sum(p.numel() * p.element_size() for p in model.parameters())
        if size > MAX_PARAMETER_BYTES:
            raise BackendError(f"the model's {size / 1e9:.1f} GB of weights exceed one ONNX file's 2 GB")
        names = list(example)
        axes = {name: {0: "batch", 1: "length"} for name in names}
        axes[output] = {0: "batch"} if output == "logits" else {0: "batch", 1: "length"}
        buffer = io.BytesIO()
        # A module exports in eval mode and is then put back in its own mode, recursively: the wrapper must be in
        # eval mode too, or the export leaves the classifier in training mode (dropout on) for every later call.
        wrapper, training = _Output(model, names, output).eval(), model.training
        try:
            with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
                # The TorchScript exporter warns that it is the legacy one and about traced shape checks; the graph
                # is checked against PyTorch below, which is what those warnings ask for.
                warnings.simplefilter("ignore")
                torch.onnx.export(wrapper, tuple(example[n] for n in names), buffer,
                                  input_names=names, output_names=[output], dynamic_axes=axes,
                                  opset_version=OPSET, dynamo=False)
        except Exception as exc:  # any exporter failure: stay on PyTorch, with the reason
            raise BackendError(f"ONNX export failed: {_first_line(exc)}") from exc
        finally:
            model.train(training)
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if not onnx_threads_spin():
            # ONNX Runtime's pool threads busy-wait after each run by default. Between an attack's model calls the
            # Python work (tokenising, WordNet, the search) needs those cores: on 2 cores spinning made the attack
            # flavours 10-40% slower than PyTorch, though each call alone was faster; without it they are 1.2-1.5x
            # faster than PyTorch (benchmarks/flavor_time_split.py, benchmarks/inference_backend.py).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            session = ort.InferenceSession(buffer.getvalue(), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own classes: stay on PyTorch, with why
            raise BackendError(f"ONNX Runtime cannot load the exported graph: {_first_line(exc)}") from exc
        return cls(session, names)

    def check(self, inputs: Mapping[str, np.ndarray], expected: np.ndarray) -> OnnxModel:
        """Itself, or BackendError when the output on `inputs` differs from PyTorch's `expected` by over TOLERANCE."""
        try:
            got = self(inputs)
        except Exception as exc:  # as above
            raise BackendError(f"ONNX Runtime failed on the check batch: {_first_line(exc)}") from exc
        if got.shape != expected.shape:
            raise BackendError(f"the exported graph gives an output of shape {got.shape}, PyTorch {expected.shape}")
        gap = float(np.max(np.abs(got - expected))) if got.size else 0.0
        if not gap <= TOLERANCE:
            raise BackendError(f"the exported graph's outputs differ from PyTorch's by {gap:.2g} (> {TOLERANCE:g})")
        return self


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:200] if lines else ''}"
