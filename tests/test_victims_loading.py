"""Safe model resolution: pickle refused unless opted in, revisions pinned and recorded, clear failures."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from chainaudit import modelref
from chainaudit.errors import ModelLoadError, UnsafeModelError
from chainaudit.victims import LocalHFVictim, resolve_model

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture()
def pickle_model(tiny_model_factory) -> Path:
    folder = tiny_model_factory(safetensors=False)
    assert (folder / "pytorch_model.bin").is_file() and not list(folder.glob("*.safetensors"))
    return folder


@pytest.fixture()
def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An offline Hugging Face cache in tmp_path (what `snapshot_download` finds without the network)."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return tmp_path / "hub"


def cache_model(cache: Path, repo_id: str, source: Path, sha: str = SHA) -> Path:
    """Place `source` in the cache as `repo_id` at commit `sha`, with `main` pointing at it."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    shutil.copytree(source, repo / "snapshots" / sha)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(sha)
    return repo / "snapshots" / sha


def test_local_folder_is_named_and_pinned_by_content(tiny_model_dir: Path) -> None:
    resolved = resolve_model(str(tiny_model_dir))
    identity = modelref.local_identity(tiny_model_dir)
    assert (resolved.model_id, resolved.revision) == (identity.model_id, identity.revision)
    assert resolved.revision.startswith("sha256:")
    assert (resolved.source, resolved.weights_format, resolved.path) == ("local", "safetensors", tiny_model_dir)
    victim = LocalHFVictim.load(str(tiny_model_dir), ("negative", "positive"), device="cpu")
    assert (victim.model_id, victim.revision, victim.source) == (identity.model_id, identity.revision, "local")


def test_a_revision_that_does_not_match_a_local_folder_is_refused(tiny_model_dir: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not match local folder"):
        resolve_model(str(tiny_model_dir), revision="sha256:0000")


def test_minilm_alias_is_the_bundled_model() -> None:
    resolved = resolve_model("minilm")
    assert resolved.model_id == modelref.MINILM_HUB_ID
    assert resolved.path == modelref.minilm_path().resolve()
    assert resolved.weights_format == "safetensors"


def test_pickle_only_folder_is_refused_with_how_to_opt_in(pickle_model: Path) -> None:
    with pytest.raises(UnsafeModelError) as info:
        resolve_model(str(pickle_model))
    message = str(info.value)
    assert "pytorch_model.bin" in message and "arbitrary code" in message and "--allow-pickle" in message
    with pytest.raises(UnsafeModelError):
        LocalHFVictim.load(str(pickle_model), ("negative", "positive"))


def test_pickle_only_folder_loads_when_allowed(pickle_model: Path) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    resolved = resolve_model(str(pickle_model), allow_pickle=True)
    assert resolved.weights_format == "pickle"
    victim = LocalHFVictim.load(str(pickle_model), ("negative", "positive"), allow_pickle=True, device="cpu")
    texts = ["a charming and often affecting journey", "bad acting , bad script"]
    model = AutoModelForSequenceClassification.from_pretrained(pickle_model, use_safetensors=False).eval()
    with torch.no_grad():
        bare = model(**AutoTokenizer.from_pretrained(pickle_model)(texts, padding=True, return_tensors="pt"))
    np.testing.assert_allclose(victim.predict_proba(texts), bare.logits.softmax(-1).numpy(), atol=1e-6)


def test_hub_model_records_the_commit_sha(hub_cache: Path, tiny_model_dir: Path) -> None:
    snapshot = cache_model(hub_cache, "acme/tiny-sentiment", tiny_model_dir)
    for revision in (None, "main", SHA):
        resolved = resolve_model("acme/tiny-sentiment", revision=revision)
        assert (resolved.model_id, resolved.revision, resolved.source) == ("acme/tiny-sentiment", SHA, "hub")
        assert resolved.path == snapshot
    victim = LocalHFVictim.load("acme/tiny-sentiment", ("negative", "positive"), device="cpu")
    assert (victim.model_id, victim.revision) == ("acme/tiny-sentiment", SHA)


def test_hub_model_with_only_pickle_weights_is_refused(hub_cache: Path, pickle_model: Path) -> None:
    cache_model(hub_cache, "acme/old-model", pickle_model)
    with pytest.raises(UnsafeModelError, match="--allow-pickle"):
        resolve_model("acme/old-model")
    assert resolve_model("acme/old-model", allow_pickle=True).weights_format == "pickle"


def test_uncached_hub_model_offline_is_a_clear_error(hub_cache: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"acme/missing@v1 is not in the local Hugging Face cache"):
        resolve_model("acme/missing", revision="v1")


@pytest.mark.parametrize("spec", ["/no/such/model", "./relative/missing", "~/missing-model-xyz", "a/b/c"])
def test_missing_paths_are_not_mistaken_for_hub_ids(spec: str) -> None:
    with pytest.raises(ModelLoadError, match="no model folder"):
        resolve_model(spec)


def test_folders_without_config_or_weights_are_refused(tmp_path: Path, tiny_model_dir: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"no config\.json"):
        resolve_model(str(tmp_path))
    (tmp_path / "config.json").write_text((tiny_model_dir / "config.json").read_text())
    with pytest.raises(ModelLoadError, match="no model weights"):
        resolve_model(str(tmp_path))
    (tmp_path / "tf_model.h5").write_bytes(b"")
    with pytest.raises(ModelLoadError, match="no PyTorch weights"):
        resolve_model(str(tmp_path))
    with pytest.raises(ModelLoadError, match="is a file"):
        resolve_model(str(tmp_path / "config.json"))
