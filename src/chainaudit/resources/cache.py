"""The chainaudit cache folder and sha256 helpers shared by the resources.

Everything chainaudit builds for itself (the WordNet reader folder, the fallback word vectors, converted
vector files) lives under `$CHAINAUDIT_CACHE`, default `~/.cache/chainaudit`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from chainaudit.errors import ChainauditError

CACHE_ENV = "CHAINAUDIT_CACHE"


class ResourceChecksumError(ChainauditError):
    """A resource file exists but its sha256 is not the one expected (corrupt or a different file)."""


def cache_dir(*parts: str) -> Path:
    """`$CHAINAUDIT_CACHE/<parts...>` (default `~/.cache/chainaudit`), created if missing."""
    root = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "chainaudit").expanduser()
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_file(path: Path) -> str:
    """Hex sha256 of one file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_files(paths: Iterable[Path]) -> str:
    """Hex sha256 over several files: each file's name and content, in the given order."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        digest.update(bytes.fromhex(sha256_file(path)))
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str | None, what: str) -> str:
    """The file's sha256; raise `ResourceChecksumError` when `expected` is given and differs."""
    actual = sha256_file(path)
    if expected and actual != expected.lower().removeprefix("sha256:"):
        raise ResourceChecksumError(
            f"{what} at {path} has sha256 {actual}, expected {expected}: the file is corrupt or a different "
            "version; download it again or pass the checksum of the file you mean to use.")
    return actual
