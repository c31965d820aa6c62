"""The resource inventory: each resource described once, the attacks' models added by attacks/ (never imported by
resources/), missing ones listed with the reason and how to get them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chainaudit.attacks.inventory import all_status, model_specs
from chainaudit.errors import ResourceMissingError
from chainaudit.resources import ResourceSpec, resource_specs, status, status_of
from chainaudit.resources.inventory import Found

SHARED = ["wordnet", "stop words", "sentence encoder", "word vectors", "pos tagger"]


def test_a_spec_becomes_a_status_found_or_missing() -> None:
    def absent(checksums: bool) -> Found:
        raise ResourceMissingError("not here; run `get-it`")

    found, missing = status_of([ResourceSpec("a", "get a", lambda checksums: Found("/a", "fine", "ab" * 32)),
                                ResourceSpec("b", "get-it", absent, optional=True)])
    assert (found.name, found.available, found.location, found.sha256, found.how_to_get) == \
        ("a", True, "/a", "ab" * 32, "get a")
    assert (missing.available, missing.detail, missing.how_to_get, missing.optional) == \
        (False, "not here; run `get-it`", "get-it", True)


def test_shared_resources_then_the_attacks_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINAUDIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINAUDIT_GAN_DIR", raising=False)
    assert [s.name for s in resource_specs()] == SHARED and not any(s.optional for s in resource_specs())
    assert [r.name for r in status(checksums=False)] == SHARED
    rows = all_status(checksums=False, scpn_dir=tmp_path / "no-scpn")
    assert [r.name for r in rows] == [*SHARED, "gan", "scpn weights"]
    gan, scpn = rows[-2:]
    assert gan.optional and not gan.available and "train-gan" in gan.detail and "train-gan" in gan.how_to_get
    assert scpn.optional and not scpn.available and "scpn.pt" in scpn.detail and str(tmp_path / "no-scpn") in \
        scpn.how_to_get
    assert [s.name for s in model_specs()] == ["gan", "scpn weights"]


def test_found_scpn_weights_are_listed_with_their_checksum(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chainaudit.attacks.scpn.tiny import write_tiny_scpn

    monkeypatch.setenv("CHAINAUDIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINAUDIT_CORENLP_URL", raising=False)
    folder = write_tiny_scpn(tmp_path / "scpn")
    (scpn,) = [r for r in all_status(scpn_dir=folder) if r.name == "scpn weights"]
    assert scpn.available and scpn.location == str(folder.resolve()) and len(scpn.sha256 or "") == 64
    assert "pinned on first use" in scpn.detail


def test_resources_never_import_the_attacks_or_the_data() -> None:
    code = ("import sys, chainaudit.resources, chainaudit.resources.inventory; "
            "print(sorted(m for m in sys.modules if m.startswith(('chainaudit.attacks', 'chainaudit.data', "
            "'chainaudit.zoo', 'chainaudit.cli'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
