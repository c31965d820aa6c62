"""A local Hugging Face sequence classifier as a `GradientVictim`.

Each `predict_proba` call tokenizes its new texts once with the fast tokenizer (truncating to
`max_length`), sorts them by token length and runs batches padded only to their own longest text, under
`torch.inference_mode`, or through ONNX Runtime on CPU (`onnx_backend.py`, chosen by `$CHAINAUDIT_BACKEND`;
gradients always come from PyTorch). Predictions are cached per text (LRU); every text asked about counts as a query,
cached or not. Outputs are in the dataset's label space through a `LabelAlignment`.
"""

from __future__ import annotations

import json
import pickle
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError

from chainaudit.errors import ChainauditError, ModelLoadError, UnsafeModelError
from chainaudit.onnx_backend import OnnxModel, adopt
from chainaudit.settings import BACKENDS, inference_backend
from chainaudit.victims.base import TokenGradients, VictimStats
from chainaudit.victims.cache import PredictionCache
from chainaudit.victims.labels import LabelAlignment, align_labels, id2label_names
from chainaudit.victims.loading import (
    PICKLE_SUFFIXES,
    ModelSource,
    ResolvedModel,
    remote_code_error,
    resolve_model,
)

DEFAULT_BATCH_SIZE = 64
#: At most this many tokens (rows x the batch's longest) in one forward pass, besides `batch_size` rows. On 2 cores
#: with MiniLM, 64-row batches ran slower as the activations outgrow the caches: `benchmarks/token_budget.py`
#: measured 1,024 tokens 1.13x faster than 64 rows on 512 SST-2 texts and 1.23x on 256 IMDB texts (256 tokens).
#: CPU only: a GPU wants its batches large (not measured here: no GPU was lent).
TOKEN_BUDGET = 1024
DEFAULT_MAX_LENGTH = 256
DEFAULT_CACHE_SIZE = 20_000
_NO_LIMIT = 1_000_000  # tokenizers without a length limit report a huge model_max_length


class LocalHFVictim:
    """A transformers `AutoModelForSequenceClassification` seen through the dataset's labels."""

    def __init__(self, model: Any, tokenizer: Any, label_names: Sequence[str], *, model_id: str, revision: str,
                 label_map: Mapping[str, str | None] | str | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                 max_length: int = DEFAULT_MAX_LENGTH, cache_size: int = DEFAULT_CACHE_SIZE,
                 device: str | None = None, source: ModelSource = "local", path: str | None = None,
                 new_weights: Sequence[str] = (), backend: str | None = None) -> None:
        if not getattr(tokenizer, "is_fast", False):
            raise ModelLoadError(f"{model_id} has no fast tokenizer (tokenizer.json); chainaudit needs one for "
                                 "batched tokenization and character offsets")
        if batch_size < 1 or max_length < 1:
            raise ValueError(f"batch_size and max_length must be >= 1, got {batch_size} and {max_length}")
        self.model_id, self.revision, self.source, self.path = model_id, revision, source, path
        self.label_names = tuple(label_names)
        self.id2label = id2label_names(model.config.id2label, model.config.num_labels)
        self.alignment: LabelAlignment = align_labels(self.id2label, self.label_names, label_map)
        self.new_weights = tuple(new_weights)  # weights the checkpoint lacked (randomly initialised)
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model = model.to(self.device).eval().requires_grad_(False)
        self.tokenizer = tokenizer
        limit = tokenizer.model_max_length if tokenizer.model_max_length < _NO_LIMIT else max_length
        self.max_length = min(max_length, limit)
        self.batch_size = batch_size
        self.stats = VictimStats()
        self._cache = PredictionCache(cache_size)
        self._pad_id = _pad_id(tokenizer, model)
        self._left_pad = tokenizer.padding_side == "left"
        requested = backend or inference_backend()
        if requested not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {requested!r}")
        #: "torch" or "onnx" once decided; "auto"/"onnx" before the first forward pass on CPU (export is lazy).
        self.backend = "torch" if self.device.type != "cpu" and requested == "auto" else requested
        if self.device.type != "cpu" and requested == "onnx":
            raise ChainauditError(f"{model_id}: the ONNX backend runs on CPU only, and this victim is on {self.device}")
        self.backend_note = ""  # why the ONNX backend was not used, when it was not
        self._onnx: OnnxModel | None = None

    @classmethod
    def load(cls, spec: str, label_names: Sequence[str], *, revision: str | None = None, allow_pickle: bool = False,
             label_map: Mapping[str, str | None] | str | None = None, **options: Any) -> LocalHFVictim:
        """Resolve `spec` safely (see `resolve_model`), load it, and align its labels with `label_names`."""
        return cls.from_resolved(resolve_model(spec, revision=revision, allow_pickle=allow_pickle), label_names,
                                 label_map=label_map, **options)

    @classmethod
    def from_resolved(cls, resolved: ResolvedModel, label_names: Sequence[str], *,
                      label_map: Mapping[str, str | None] | str | None = None, **options: Any) -> LocalHFVictim:
        """Load an already resolved model (`options`: batch_size, max_length, cache_size, device, backend)."""
        model, tokenizer, new_weights = load_classifier(resolved)
        return cls(model, tokenizer, label_names, model_id=resolved.model_id, revision=resolved.revision,
                   label_map=label_map, source=resolved.source, path=str(resolved.path),
                   new_weights=new_weights, **options)

    # -- Victim ------------------------------------------------------------------------------------
    @property
    def queries(self) -> int:
        return self.stats.queries

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), n_dataset_labels) float64 probabilities; cached texts skip the model."""
        texts = list(texts)
        out = np.empty((len(texts), len(self.label_names)))
        todo: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] is {type(text).__name__}, not str")
            row = self._cache.get(text) if text not in todo else None
            if row is None:
                todo.setdefault(text, []).append(i)
            else:
                out[i] = row
        self.stats.queries += len(texts)
        self.stats.cache_hits += len(texts) - len(todo)
        if todo:
            unique = list(todo)
            probs = self._run(unique)
            for text, row in zip(unique, probs, strict=True):
                out[todo[text]] = row
                self._cache.put(text, row.copy())
        return out

    def truncate_text(self, text: str) -> str:
        """`text` cut to what the model reads: its first `max_length` tokens, ending at a word boundary (the text
        itself when it fits). Attacks perturb this, so no query is spent on words the model never sees."""
        enc = self.tokenizer(text, truncation=True, max_length=self.max_length, return_offsets_mapping=True,
                             return_attention_mask=False)
        if not enc.encodings[0].overflowing:
            return text
        end = max((stop for start, stop in enc["offset_mapping"] if stop > start), default=0)
        if end < len(text) and not text[end].isspace():  # the last word was split: keep whole words only
            end = max(text.rfind(" ", 0, end), text.rfind("\n", 0, end), 0)
        return text[:end].rstrip()

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """The predicted dataset label index of each text."""
        return self.predict_proba(texts).argmax(axis=1)

    def clear_cache(self) -> None:
        self._cache.clear()

    # -- GradientVictim ----------------------------------------------------------------------------
    def input_gradients(self, texts: Sequence[str], labels: Sequence[int]) -> list[TokenGradients]:
        """Gradient of the aligned cross-entropy w.r.t. each text's input embeddings (not counted as queries)."""
        texts, labels = list(texts), [int(y) for y in labels]
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        if any(not 0 <= y < len(self.label_names) for y in labels):
            raise ValueError(f"labels must be dataset label indices 0..{len(self.label_names) - 1}")
        enc = self._encode(texts, offsets=True)
        ids = enc["input_ids"]
        embed = self.model.get_input_embeddings()
        out: list[TokenGradients | None] = [None] * len(texts)
        for rows in self._batches(ids):
            inputs = self._tensors(enc, rows)
            target = torch.tensor([labels[i] for i in rows], device=self.device)
            with torch.enable_grad():
                embeds = embed(inputs.pop("input_ids")).detach().requires_grad_(True)
                logits = self.model(inputs_embeds=embeds, **inputs).logits
                log_probs = self.alignment.log_probs_torch(logits.double())
                loss = -log_probs.gather(1, target[:, None]).squeeze(1)
                (grads,) = torch.autograd.grad(loss.sum(), embeds)
            grads_np, losses, width = grads.cpu().numpy(), loss.detach().cpu().numpy(), grads.shape[1]
            for r, i in enumerate(rows):
                n = len(ids[i])
                span = slice(width - n, width) if self._left_pad else slice(0, n)
                out[i] = TokenGradients(
                    tokens=self.tokenizer.convert_ids_to_tokens(ids[i]), token_ids=np.asarray(ids[i]),
                    offsets=[tuple(o) for o in enc["offset_mapping"][i]], grads=grads_np[r, span],
                    loss=float(losses[r]))
        return [g for g in out if g is not None]

    def embedding_matrix(self) -> np.ndarray:
        """The input embedding table (vocab, hidden), read-only (a view on CPU, no copy)."""
        array = self.model.get_input_embeddings().weight.detach().cpu().numpy()
        array.flags.writeable = False
        return array

    # -- the model path ----------------------------------------------------------------------------
    def _encode(self, texts: list[str], offsets: bool = False) -> Any:
        """Tokenize once, truncating to `max_length`; counts the truncated texts."""
        enc = self.tokenizer(texts, truncation=True, max_length=self.max_length, padding=False,
                             return_attention_mask=False, return_offsets_mapping=offsets)
        self.stats.truncated += sum(1 for e in enc.encodings if e.overflowing)
        return enc

    def _batches(self, ids: list[list[int]], rows: Sequence[int] | None = None) -> Iterator[list[int]]:
        """Indices (of `rows`, default all) in batches, longest texts first: at most `batch_size` rows and, past
        the first row, on CPU, `TOKEN_BUDGET` tokens (rows x the batch's longest, which is its first)."""
        order = sorted(range(len(ids)) if rows is None else rows, key=lambda i: -len(ids[i]))
        budget = TOKEN_BUDGET if self.device.type == "cpu" else None
        start = 0
        while start < len(order):
            size = self.batch_size if budget is None else min(
                self.batch_size, max(1, budget // max(1, len(ids[order[start]]))))
            self.stats.batches += 1
            yield order[start:start + size]
            start += size

    def _arrays(self, enc: Any, rows: list[int]) -> dict[str, np.ndarray]:
        """Model inputs for `rows` as int64 arrays, padded to the batch's longest text."""
        ids = enc["input_ids"]
        width = max(len(ids[i]) for i in rows)
        names = ["input_ids", *(["token_type_ids"] if "token_type_ids" in enc else [])]
        arrays = {name: np.full((len(rows), width), self._pad_id if name == "input_ids" else 0, dtype=np.int64)
                  for name in [*names, "attention_mask"]}
        for r, i in enumerate(rows):
            n = len(ids[i])
            span = slice(width - n, width) if self._left_pad else slice(0, n)
            for name in names:
                arrays[name][r, span] = enc[name][i]
            arrays["attention_mask"][r, span] = 1
        return arrays

    def _tensors(self, enc: Any, rows: list[int]) -> dict[str, torch.Tensor]:
        """Model inputs for `rows` as tensors on the victim's device, padded to the batch's longest text."""
        return self._on_device(self._arrays(enc, rows))

    def _on_device(self, arrays: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
        return {name: torch.from_numpy(a).to(self.device) for name, a in arrays.items()}

    def _torch_logits(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        return self.model(**self._on_device(arrays)).logits.float().cpu().numpy()

    def _logits(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """Float32 logits of one padded batch, from the backend in use (deciding it on the first batch)."""
        if self._onnx is not None:
            return self._onnx(arrays)
        logits = self._torch_logits(arrays)
        if self.backend in ("auto", "onnx"):
            self._try_onnx(arrays, logits)
        return logits

    def _try_onnx(self, arrays: dict[str, np.ndarray], logits: np.ndarray) -> None:
        """Export to ONNX Runtime and check it on this batch and on its first row alone (another shape, no padding);
        on failure stay on PyTorch with the reason in `backend_note` (logged), or raise when "onnx" was asked."""
        n = int(arrays["attention_mask"][0].sum())
        span = slice(-n, None) if self._left_pad else slice(0, n)
        first = {name: np.ascontiguousarray(a[:1, span]) for name, a in arrays.items()}

        def build() -> OnnxModel:
            example = {name: torch.from_numpy(a) for name, a in arrays.items()}
            onnx = OnnxModel.export(self.model, example, threads=torch.get_num_threads()).check(arrays, logits)
            return onnx.check(first, self._torch_logits(first))

        self._onnx, self.backend_note = adopt(build, requested=self.backend, who=self.model_id)
        self.backend = "onnx" if self._onnx is not None else "torch"

    def _run(self, texts: list[str]) -> np.ndarray:
        """Probabilities of `texts`, the model run once per distinct token sequence: texts the tokenizer reads
        alike ("tuⲅkey" and "tur𝒌ey" are both [UNK]) share one row, so they get the same numbers bit for bit
        (rows of one batch can differ in the last bits, which would break their tie at random) at the cost of one."""
        enc = self._encode(texts)
        ids = enc["input_ids"]
        first: dict[tuple[int, ...], int] = {}
        same = [first.setdefault(tuple(row), i) for i, row in enumerate(ids)]
        probs = np.empty((len(texts), len(self.label_names)))
        with torch.inference_mode():
            for rows in self._batches(ids, list(first.values())):
                probs[rows] = self.alignment.apply(self._logits(self._arrays(enc, rows)))
        probs = probs[same]
        self.stats.model_texts += len(first)
        return probs

    def __repr__(self) -> str:
        return (f"LocalHFVictim({self.model_id}@{self.revision[:19]}, labels={self.alignment.describe()}, "
                f"batch_size={self.batch_size}, max_length={self.max_length}, device={self.device}, "
                f"backend={self.backend})")


def load_classifier(resolved: ResolvedModel) -> tuple[Any, Any, list[str]]:
    """(model, fast tokenizer, names of weights the checkpoint lacked) from a resolved model folder.

    A checkpoint without a classification head (e.g. a sentence encoder) gets one initialised from a
    fixed seed, so repeated loads give the same predictions; the global RNG is left untouched. Every
    failure is a one-line `ChainauditError` naming the file at fault (`_load_error`).
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    if not _has_vocabulary(resolved.path):  # transformers would build a blank tokenizer and carry on
        raise ModelLoadError(f"{resolved.model_id} has no tokenizer files in {resolved.path} (tokenizer.json, "
                             "vocab.txt, vocab.json, *.model); copy the tokenizer of the model it was trained "
                             "from into the folder (tokenizer.save_pretrained)")
    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()  # the load report of missing weights is returned, not printed
    hf_logging.disable_progress_bar()
    stage = "tokenizer"
    try:
        tokenizer = AutoTokenizer.from_pretrained(resolved.path, trust_remote_code=False)
        stage = "model"
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            model, info = AutoModelForSequenceClassification.from_pretrained(
                resolved.path, trust_remote_code=False, output_loading_info=True,
                use_safetensors=resolved.weights_format == "safetensors")
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, EOFError, pickle.UnpicklingError,
            SafetensorError) as exc:
        raise _load_error(resolved, stage, exc) from exc
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
    return model, tokenizer, sorted(info.get("missing_keys", []))


#: Files a tokenizer's vocabulary lives in (one of them must be present).
_VOCAB_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "merges.txt")
_VOCAB_SUFFIXES = (".model", ".spm", ".vocab")


def _has_vocabulary(folder: Path) -> bool:
    return any(p.name in _VOCAB_FILES or p.suffix in _VOCAB_SUFFIXES for p in folder.iterdir() if p.is_file())


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _load_error(resolved: ResolvedModel, stage: str, exc: BaseException) -> ChainauditError:
    """The one-line error for a failed tokenizer or model load: remote code, a refused or corrupt pickle, a
    corrupt safetensors file, else what transformers said (on one line)."""
    name = f"{resolved.model_id} ({resolved.path})"
    if isinstance(exc, ValueError) and "trust_remote_code" in str(exc):
        return remote_code_error(name, why=f"its {stage} class is not built into transformers")
    if stage == "model" and resolved.weights_format == "pickle" and not isinstance(exc, (KeyError, ValueError)):
        refused = _pickle_error(resolved, exc)
        if refused is not None:
            return refused
    if stage == "model" and resolved.weights_format == "safetensors" and isinstance(exc, (SafetensorError,
                                                                                             OSError)):
        bad = _bad_safetensors(resolved.path)
        if bad is not None:
            path, detail = bad
            return ModelLoadError(f"safetensors weights {path} are corrupt or truncated ({detail}); download or "
                                  "save the model again")
    if isinstance(exc, json.JSONDecodeError):
        bad = _bad_json(resolved.path)
        if bad is not None:
            return ModelLoadError(f"{stage} file {bad[0]} is not valid JSON ({bad[1]}); download or save the "
                                  f"model's {stage} again")
    unknown = re.search(r"model type `([^`]+)` but Transformers does not recognize", str(exc))
    if unknown:
        import transformers

        return ModelLoadError(f"{name} has model type {unknown.group(1)!r}, which transformers "
                              f"{transformers.__version__} does not implement; upgrade transformers "
                              "(pip install -U transformers) or use another model")
    what = "the tokenizer of " if stage == "tokenizer" else ""
    kind = "" if stage == "tokenizer" else " as a sequence classifier"
    return ModelLoadError(f"cannot load {what}{resolved.model_id} from {resolved.path}{kind}: "
                          f"{type(exc).__name__}: {_one_line(exc)}")


def _bad_json(folder: Path) -> tuple[Path, str] | None:
    """The first *.json file of `folder` that does not parse, and why."""
    for path in sorted(folder.glob("*.json")):
        try:
            json.loads(path.read_bytes().decode("utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            why = (f"{exc.msg}, line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError)
                   else _one_line(exc, 160))
            return path, why
    return None


def _bad_safetensors(folder: Path) -> tuple[Path, str] | None:
    """The first *.safetensors file of `folder` whose header cannot be read, and why."""
    from safetensors import safe_open

    for path in sorted(folder.glob("*.safetensors")):
        try:
            with safe_open(str(path), framework="pt"):
                pass
        except (SafetensorError, OSError) as exc:
            return path, _one_line(exc, 160)
    return None


def _pickle_weights(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.name.endswith(PICKLE_SUFFIXES) and p.name != "training_args.bin")


def _pickle_error(resolved: ResolvedModel, exc: BaseException) -> ChainauditError | None:
    """Why the safe unpickler (torch.load weights_only=True) failed, naming the file at fault; None when
    every pickle file loads (the failure was elsewhere)."""
    culprit, cause = None, exc
    for path in _pickle_weights(resolved.path):
        try:
            torch.load(path, map_location="cpu", weights_only=True)
        except Exception as found:  # any failure marks the file at fault
            culprit, cause = path, found
            break
    if culprit is None and not isinstance(exc, pickle.UnpicklingError):
        return None
    where = str(culprit) if culprit else ", ".join(str(p) for p in _pickle_weights(resolved.path)) or str(
        resolved.path)
    refused = re.search(r"GLOBAL ([\w.]+)", str(cause))
    never = "chainaudit never runs arbitrary pickles"
    if isinstance(cause, pickle.UnpicklingError) and refused:
        return UnsafeModelError(
            f"pickle weights {where} were refused by the safe unpickler (torch.load weights_only=True): they "
            f"hold {refused.group(1)}, which is not a tensor, and {never}. If you trust the file, convert it "
            "to safetensors (torch.load it yourself, safetensors.torch.save_file) and pass that folder.")
    detail = re.search(r"WeightsUnpickler error:\s*(.+?)\s*(?:Check the documentation|$)", str(cause), re.S)
    return ModelLoadError(
        f"pickle weights {where} could not be read by the safe unpickler (torch.load weights_only=True): the "
        f"file is corrupt or not a PyTorch checkpoint ({_one_line(detail.group(1) if detail else cause, 160)}); "
        f"{never}. Download it again, or use the model's safetensors weights.")


def _pad_id(tokenizer: Any, model: Any) -> int:
    """The padding token id; a tokenizer without one (GPT-2) pads with EOS, which the model learns of."""
    if tokenizer.pad_token_id is not None:
        return int(tokenizer.pad_token_id)
    if tokenizer.eos_token_id is None:
        raise ModelLoadError("the tokenizer has neither a pad nor an eos token, so texts cannot be batched")
    model.config.pad_token_id = tokenizer.eos_token_id
    return int(tokenizer.eos_token_id)
