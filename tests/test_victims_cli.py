"""`chainaudit predict`: prints accuracy and throughput, records the evaluation, fails cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainaudit import modelref
from chainaudit.cli import app
from chainaudit.store import Store


@pytest.fixture()
def tiny(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Register the `tiny` dataset of `data_dir` by name, with negative/positive labels."""
    from chainaudit.data import registry

    spec = registry.DatasetSpec("tiny", "nobody/tiny", None, ("text",), "label", ("negative", "positive"),
                                {"train": "train", "validation": "validation"})
    monkeypatch.setitem(registry.REGISTRY, "tiny", spec)
    return data_dir


def run(*args: str):
    result = CliRunner().invoke(app, ["predict", *args])
    return result, " ".join(result.output.split())  # rich wraps long lines


def test_predict_prints_and_records_an_evaluation(tiny_model_dir: Path, tiny: Path, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    result, out = run(str(tiny_model_dir), "--dataset", "tiny", "-n", "3", "--sample", "random", "--seed", "1",
                      "--max-length", "8", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "accuracy" in out and "sentences/s" in out and "negative→negative, positive→positive" in out
    identity = modelref.local_identity(tiny_model_dir)
    with Store(db) as store:
        (row,) = store.select("evaluations")
        (model,) = store.select("models")
    assert (row["model_id"], row["revision"]) == (identity.model_id, identity.revision)
    assert (row["dataset"], row["split"], row["sampling"], row["n"]) == ("tiny", "validation", "random:3:seed=1", 3)
    assert row["label_map"] == {"negative": "negative", "positive": "positive"}
    assert 0.0 <= row["accuracy"] <= 1.0 and row["sentences_per_s"] > 0
    assert f"truncated {row['truncated']} of 3 texts at max_length 8" in out
    assert model["source"] == "local" and model["id2label"] == {"0": "negative", "1": "positive"}
    assert model["path"] == str(tiny_model_dir)


def test_rerunning_predict_replaces_the_row(tiny_model_dir: Path, tiny: Path, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    for _ in range(2):
        assert run(str(tiny_model_dir), "--dataset", "tiny", "-n", "0", "--db", str(db))[0].exit_code == 0
    with Store(db) as store:
        assert [r["sampling"] for r in store.select("evaluations")] == ["first:all"]


def test_bad_model_path_exits_2_with_a_clear_message(tiny: Path, tmp_path: Path) -> None:
    result, out = run(str(tmp_path / "nope"), "--dataset", "tiny", "--db", str(tmp_path / "r.db"))
    assert result.exit_code == 2
    assert "error: no model folder at" in out and "Traceback" not in out


def test_pickle_model_needs_allow_pickle(tiny_model_factory, tiny: Path, tmp_path: Path) -> None:
    folder = tiny_model_factory(safetensors=False)
    db = str(tmp_path / "r.db")
    result, out = run(str(folder), "--dataset", "tiny", "--db", db)
    assert result.exit_code == 2 and "--allow-pickle" in out
    assert run(str(folder), "--dataset", "tiny", "--db", db, "--allow-pickle")[0].exit_code == 0


@pytest.mark.parametrize(("label_map", "code"), [(None, 2), ("LABEL_0=negative,LABEL_1=-,LABEL_2=positive", 0)])
def test_unaligned_labels_need_a_label_map(tiny_model_factory, tiny: Path, tmp_path: Path,
                                           label_map: str | None, code: int) -> None:
    folder = tiny_model_factory(id2label={0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})
    args = [str(folder), "--dataset", "tiny", "--db", str(tmp_path / "r.db")]
    result, out = run(*args, *(["--label-map", label_map] if label_map else []))
    assert result.exit_code == code, out
    if code == 2:
        assert "LABEL_2" in out and "negative" in out and "--label-map" in out
    else:
        assert "LABEL_1→(dropped)" in out


def test_a_csv_with_numeric_labels_needs_a_map_for_named_model_labels(tiny_model_dir: Path, data_dir: Path,
                                                                     tmp_path: Path) -> None:
    args = [str(tiny_model_dir), "--dataset", str(data_dir / "tiny" / "tiny.csv"), "--db", str(tmp_path / "r.db")]
    result, out = run(*args)
    assert result.exit_code == 2 and "0=0, 1=1" in out and "0=negative, 1=positive" in out
    result, out = run(*args, "--label-map", "negative=0,positive=1")
    assert result.exit_code == 0, out
