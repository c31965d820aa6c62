"""Reading the files chainaudit is handed: JSONL records line by line, and sha256 checksums.

Both live here, at the bottom, so that datasets, catalog imports, lineage evaluation, model identities and
resources read and hash files the same way.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from chainaudit.errors import DataError

CHUNK = 1 << 20


class _Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...


def update_with_file(digest: _Digest, path: Path) -> None:
    """Feed the bytes of `path` into a running hash, 1 MiB at a time."""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)


def sha256_file(path: Path) -> str:
    """Hex sha256 of one file."""
    digest = hashlib.sha256()
    update_with_file(digest, path)
    return digest.hexdigest()


def read_jsonl(path: Path, *, errors: str = "strict",
               on_bad_line: Callable[[DataError], None] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each JSON object line of `path`; blank lines are skipped but counted.

    A line that is not valid UTF-8 (with `errors="strict"`), not valid JSON or not a JSON object raises a
    one-line `DataError` naming the file and the line. With `on_bad_line`, that error is handed to it
    instead and the line is skipped. A UTF-8 byte-order mark at the start of the file is ignored. A name
    ending in `.gz` is read through gzip.
    """
    with (gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")) as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            try:
                try:
                    text = raw.rstrip(b"\r\n").decode("utf-8", errors=errors)
                except UnicodeDecodeError as exc:
                    raise DataError(f"{path}, line {lineno}: not valid UTF-8 (byte {exc.start + 1})") from None
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise DataError(f"{path}, line {lineno}: not valid JSON ({exc.msg}, column {exc.colno})") \
                        from None
                except RecursionError:
                    raise DataError(f"{path}, line {lineno}: JSON nested too deeply") from None
                if not isinstance(obj, dict):
                    raise DataError(f"{path}, line {lineno}: expected a JSON object, got {type(obj).__name__}")
            except DataError as exc:
                if on_bad_line is None:
                    raise
                on_bad_line(exc)
                continue
            yield lineno, obj
