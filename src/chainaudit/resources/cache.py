"""The chainaudit cache folder and sha256 helpers shared by the resources.

Everything chainaudit builds for itself (the WordNet reader folder, the fallback word vectors, converted
vector files) lives under `$CHAINAUDIT_CACHE`, default `~/.cache/chainaudit`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from chainaudit import settings
from chainaudit.errors import ResourceChecksumError
from chainaudit.files import sha256_file  # the one file hasher; re-exported for the resources


def cache_dir(*parts: str) -> Path:
    """`$CHAINAUDIT_CACHE/<parts...>` (default `~/.cache/chainaudit`), created if missing."""
    path = settings.cache_root().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


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
