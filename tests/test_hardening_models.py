"""Broken, unreadable or unsafe model inputs: each is one line naming the file and the fix, never a traceback."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainaudit.cli import app
from chainaudit.errors import ChainauditError, ModelLoadError, UnsafeModelError
from chainaudit.victims import LocalHFVictim, resolve_model

LABELS = ("negative", "positive")


class _Payload:
    """Not a tensor: the safe unpickler (torch.load weights_only=True) refuses it."""


@pytest.fixture()
def tiny(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Register the `tiny` dataset of `data_dir` by name, with negative/positive labels."""
    from chainaudit.data import registry

    spec = registry.DatasetSpec("tiny", "nobody/tiny", None, ("text",), "label", LABELS,
                                {"train": "train", "validation": "validation"})
    monkeypatch.setitem(registry.REGISTRY, "tiny", spec)
    return data_dir


def predict(model: Path, *extra: str, db: Path) -> tuple[int, str]:
    """Run `chainaudit predict MODEL` and return (exit code, output); a Python exception fails the test."""
    result = CliRunner().invoke(app, ["predict", str(model), "--dataset", "tiny", "-n", "2", "--db", str(db), *extra])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback instead of a message: {result.exception!r}") from result.exception
    return result.exit_code, result.output


def assert_one_line_error(code: int, output: str, *needles: str) -> str:
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    assert "Traceback" not in output
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def _copy(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest)
    return dest


# -- 1. unreadable weights while hashing a local folder's revision ------------------------------------------
def test_unreadable_weights_file_names_the_file(tiny_model_dir: Path, tiny: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _copy(tiny_model_dir, tmp_path / "model")
    weights = folder / "model.safetensors"
    real_open = Path.open

    def open_(self: Path, *args, **kwargs):
        if self == weights:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)
    with pytest.raises(ModelLoadError) as info:
        resolve_model(str(folder))
    assert str(info.value) == (f"cannot read model weights {weights}: permission denied; "
                               "check the file's permissions")
    line = assert_one_line_error(*predict(folder, db=tmp_path / "r.db"), str(weights), "permission denied")
    assert line == f"error: {info.value}"


# -- 2. pickles the safe unpickler refuses (under --allow-pickle) ----------------------------------------------
def _pickle_with_object(path: Path) -> None:
    import torch

    state = torch.load(path, weights_only=True)
    state["extra"] = _Payload()
    torch.save(state, path)


def _pickle_random_bytes(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 64)


@pytest.mark.parametrize(("spoil", "error", "says"), [
    (_pickle_with_object, UnsafeModelError, f"refused by the safe unpickler (torch.load weights_only=True): they "
                                            f"hold {_Payload.__module__}._Payload"),
    (_pickle_random_bytes, ModelLoadError, "the file is corrupt or not a PyTorch checkpoint"),
], ids=["object", "random-bytes"])
def test_pickle_refused_by_the_safe_unpickler_is_one_line(
        spoil: Callable[[Path], None], error: type[ChainauditError], says: str, tiny_model_factory, tiny: Path,
        tmp_path: Path) -> None:
    folder = _copy(tiny_model_factory(safetensors=False), tmp_path / "model")
    weights = folder / "pytorch_model.bin"
    spoil(weights)
    with pytest.raises(error) as info:
        LocalHFVictim.load(str(folder), LABELS, allow_pickle=True, device="cpu")
    message = str(info.value)
    assert "\n" not in message and str(weights) in message and says in message
    assert "chainaudit never runs arbitrary pickles" in message and "safetensors" in message
    assert "weights_only=False" not in message and "add_safe_globals" not in message
    assert_one_line_error(*predict(folder, "--allow-pickle", db=tmp_path / "r.db"), str(weights), says)


# -- 3. models that need code from their repository -------------------------------------------------------------
def _with_config(folder: Path, **changes) -> None:
    config = json.loads((folder / "config.json").read_text())
    config.update(changes)
    (folder / "config.json").write_text(json.dumps(config))


AUTO_MAP = {"AutoConfig": "configuration_acme.AcmeConfig",
            "AutoModelForSequenceClassification": "modeling_acme.AcmeForSequenceClassification"}


def test_custom_code_model_is_refused_without_suggesting_trust_remote_code(tiny_model_dir: Path, tiny: Path,
                                                                           tmp_path: Path) -> None:
    folder = _copy(tiny_model_dir, tmp_path / "acme")
    _with_config(folder, model_type="acme-net", auto_map=AUTO_MAP)
    with pytest.raises(UnsafeModelError) as info:
        resolve_model(str(folder))  # refused before anything is loaded
    message = str(info.value)
    assert "trust_remote_code" not in message and "\n" not in message
    assert str(folder) in message and "needs custom code from its repository" in message
    assert "auto_map: configuration_acme.AcmeConfig, modeling_acme.AcmeForSequenceClassification" in message
    assert "transformers has no built-in 'acme-net' architecture" in message
    assert "chainaudit never runs model code" in message and "natively" in message and "convert" in message
    assert_one_line_error(*predict(folder, db=tmp_path / "r.db"), "needs custom code", str(folder))


def test_auto_map_on_a_native_architecture_loads_natively(tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = _copy(tiny_model_dir, tmp_path / "bert-with-auto-map")
    _with_config(folder, auto_map=AUTO_MAP)  # model_type stays bert: transformers' own code, none of the repo's
    victim = LocalHFVictim.load(str(folder), LABELS, device="cpu")
    assert type(victim.model).__name__ == "BertForSequenceClassification"


# -- 4. broken model folders through `chainaudit predict` -------------------------------------------------------
def _no_config(m: Path) -> Path:
    (m / "config.json").unlink()
    return m


def _config_not_json(m: Path) -> Path:
    (m / "config.json").write_text('{"model_type": "bert",')
    return m / "config.json"


def _config_not_object(m: Path) -> Path:
    (m / "config.json").write_text("[1, 2]")
    return m / "config.json"


def _truncated_safetensors(m: Path) -> Path:
    weights = m / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    return weights


def _empty_safetensors(m: Path) -> Path:
    (m / "model.safetensors").write_bytes(b"")
    return m / "model.safetensors"


def _no_tokenizer(m: Path) -> Path:
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        (m / name).unlink(missing_ok=True)
    return m


def _tokenizer_not_json(m: Path) -> Path:
    (m / "tokenizer.json").write_text("{oops")
    return m / "tokenizer.json"


def _unknown_architecture(m: Path) -> Path:
    _with_config(m, model_type="no-such-architecture")
    return m


def _file_not_folder(m: Path) -> Path:
    return m / "model.safetensors"


BROKEN = {  # how to break a good folder -> (the path the message names, words it says)
    "no-config": (_no_config, "has no config.json"),
    "config-not-json": (_config_not_json, "is not valid JSON"),
    "config-not-object": (_config_not_object, "is a JSON list, not an object"),
    "truncated-safetensors": (_truncated_safetensors, "are corrupt or truncated"),
    "empty-safetensors": (_empty_safetensors, "are corrupt or truncated"),
    "no-tokenizer": (_no_tokenizer, "has no tokenizer files"),
    "tokenizer-not-json": (_tokenizer_not_json, "is not valid JSON"),
    "unknown-architecture": (_unknown_architecture, "'no-such-architecture', which transformers"),
    "file-not-folder": (_file_not_folder, "is a file; a local model is a folder"),
}


@pytest.fixture(params=sorted(BROKEN))
def broken_model(request: pytest.FixtureRequest, tiny_model_dir: Path, tmp_path: Path) -> tuple[Path, Path, str]:
    """(the path to pass, the path the error must name, what it must say) for one way of breaking a folder."""
    breaker, says = BROKEN[request.param]
    folder = _copy(tiny_model_dir, tmp_path / "model")
    named = breaker(folder)
    spec = named if request.param == "file-not-folder" else folder
    return spec, named, says


def test_broken_model_inputs_are_one_line_errors(broken_model: tuple[Path, Path, str], tiny: Path,
                                                 tmp_path: Path) -> None:
    spec, named, says = broken_model
    assert_one_line_error(*predict(spec, db=tmp_path / "r.db"), str(named), says)
