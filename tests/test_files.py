"""The shared file readers: JSONL records with errors naming file and line, and the sha256 of a file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from chainaudit.errors import DataError
from chainaudit.files import read_jsonl, sha256_file


def test_read_jsonl_numbers_lines_and_skips_blanks(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\n\n  \n{"b": "caf\xc3\xa9"}\r\n{"c": "\xe2\x80\xa8 inside"}')
    assert list(read_jsonl(path)) == [(1, {"a": 1}), (4, {"b": "café"}), (5, {"c": "\u2028 inside"})]


@pytest.mark.parametrize(("line", "message"), [
    (b'{"a": ', "line 2: not valid JSON (Expecting value, column 7)"),
    (b"[1, 2]", "line 2: expected a JSON object, got list"),
    (b'{"a": "\xff"}', "line 2: not valid UTF-8 (byte 8)"),
    (b"[" * 100_000 + b"]" * 100_000, "line 2: JSON nested too deeply"),
])
def test_bad_line_is_one_line_error_naming_file_and_line(tmp_path: Path, line: bytes, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"ok": true}\n' + line + b"\n")
    with pytest.raises(DataError) as caught:
        list(read_jsonl(path))
    assert str(caught.value) == f"{path}, {message}" and "\n" not in str(caught.value)


def test_bad_lines_can_be_skipped(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"a": 1}\nnope\n{"b": "\xff"}\n"str"\n{"c": 3}\n')
    skipped: list[DataError] = []
    got = list(read_jsonl(path, errors="replace", on_bad_line=skipped.append))
    assert got == [(1, {"a": 1}), (3, {"b": "\ufffd"}), (5, {"c": 3})]
    assert [str(e).removeprefix(f"{path}, ")[:6] for e in skipped] == ["line 2", "line 4"]


def test_sha256_file_matches_hashlib_and_is_shared(tmp_path: Path) -> None:
    from chainaudit.resources import cache

    path = tmp_path / "blob"
    data = bytes(range(256)) * 10_000  # crosses the 1 MiB read size
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    assert cache.sha256_file is sha256_file
