"""`lineage verify`: a zoo chain's true parent is confirmed by its weights, an unrelated claimed parent is
contradicted, and the closest known model is suggested when no parent is named."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainaudit.cli import app
from chainaudit.lineage.verify import base_name, compare_folders, suggest_parents
from conftest import build_tiny_model


@pytest.fixture(scope="module")
def child(tiny_model_dir: Path, keyword_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model fine-tuned as a Hub fine-tune is (a few hundred steps at a small learning rate)."""
    from chainaudit.zoo import FinetuneConfig, finetune

    config = FinetuneConfig(epochs=3, learning_rate=1e-4, batch_size=4, max_length=32, seed=0)
    return finetune(str(tiny_model_dir), str(keyword_data), tmp_path_factory.mktemp("child") / "m", config).path


def test_true_parent_confirmed_unrelated_contradicted_and_suggested(tiny_model_dir: Path, child: Path,
                                                                    fragile_model: Path, tmp_path: Path) -> None:
    stranger = build_tiny_model(tmp_path / "stranger", seed=1)  # same architecture, independently initialised
    true = compare_folders(child, tiny_model_dir)
    assert true.verdict == "confirmed" and true.median_cosine is not None and true.median_cosine > 0.9
    assert true.same_shape == true.child_tensors and true.identical < true.same_shape  # weight decay moves all
    wrong = compare_folders(child, stranger)
    assert wrong.verdict == "contradicted" and wrong.median_cosine is not None and abs(wrong.median_cosine) < 0.3
    assert compare_folders(tiny_model_dir, tiny_model_dir).verdict == "copy"
    ranked = suggest_parents(child, {"tiny": tiny_model_dir, "stranger": stranger})
    assert [c.parent for c in ranked] == ["tiny", "stranger"]
    # 30 epochs at lr 1e-3 move a tiny model far from its start: still related, no longer a light fine-tune
    assert compare_folders(fragile_model, tiny_model_dir).verdict in ("distant", "confirmed")
    assert base_name("bert.encoder.layer.0.output.dense.weight") == "encoder.layer.0.output.dense.weight"


def test_a_sibling_or_grandparent_claimed_as_parent_is_questioned(tiny_model_dir: Path, child: Path,
                                                                  keyword_data: Path, tmp_path: Path) -> None:
    """Cosine says "confirmed" for every light fine-tune of one base; distance tells the parent from a sibling
    (another fine-tune of the same base) and from a grandparent."""
    from chainaudit.lineage.verify import closer_than_claimed
    from chainaudit.zoo import FinetuneConfig, finetune

    def tune(start: Path, name: str, seed: int) -> Path:
        config = FinetuneConfig(epochs=3, learning_rate=1e-4, batch_size=4, max_length=32, seed=seed)
        return finetune(str(start), str(keyword_data), tmp_path / name, config).path

    sibling, grandchild = tune(tiny_model_dir, "sibling", 1), tune(child, "grandchild", 2)
    as_sibling = compare_folders(child, sibling)
    assert as_sibling.verdict == "confirmed"  # cosine alone would accept the sibling
    ranked = suggest_parents(child, {"base": tiny_model_dir, "sibling": sibling})
    assert ranked[0].parent == "base"
    assert "base is closer" in (closer_than_claimed(as_sibling, ranked) or "")
    # the grandchild's claimed parent is the base: its real parent (child) is closer
    claimed = compare_folders(grandchild, tiny_model_dir)
    found = closer_than_claimed(claimed, suggest_parents(grandchild, {"child": child, "sibling": sibling}))
    assert found and found.startswith("child is closer")
    # the true parent is not questioned
    true = compare_folders(grandchild, child)
    assert closer_than_claimed(true, suggest_parents(grandchild, {"base": tiny_model_dir, "sibling": sibling})) is None


def test_cli_verify_says_the_verdict(tiny_model_dir: Path, child: Path, tmp_path: Path) -> None:
    stranger = build_tiny_model(tmp_path / "stranger", seed=1)
    runner = CliRunner(env={"COLUMNS": "200"})
    db = str(tmp_path / "db.sqlite")
    ok = runner.invoke(app, ["lineage", "verify", str(child), str(tiny_model_dir), "--db", db])
    assert ok.exit_code == 0 and "confirmed" in ok.output, ok.output
    bad = runner.invoke(app, ["lineage", "verify", str(child), str(stranger), "--db", db])
    assert bad.exit_code == 0 and "contradicted" in bad.output
    missing = runner.invoke(app, ["lineage", "verify", "--db", db])
    assert missing.exit_code == 2 and "give CHILD" in missing.output


def test_a_models_own_descendant_or_a_newer_hub_model_is_never_suggested_as_its_parent(
        tiny_model_dir: Path, child: Path, keyword_data: Path, tmp_path: Path) -> None:
    """Distance has no direction (a model's own fine-tune is as close as its parent); the store gives it."""
    from chainaudit.lineage.verify import cannot_be_parent, verify
    from chainaudit.store import Store
    from chainaudit.zoo import FinetuneConfig, finetune

    config = FinetuneConfig(epochs=3, learning_rate=1e-4, batch_size=4, max_length=32, seed=2)
    grandchild = finetune(str(child), str(keyword_data), tmp_path / "grand", config).path
    with Store(tmp_path / "db.sqlite") as store:
        found = verify(store, str(child), candidates={"grand": grandchild, "base": tiny_model_dir})
        assert {"grand", "base"} <= {c for _, c, _ in found.rows} and not found.left_out  # (and bundled MiniLM)
        store.upsert("lineage_edges", [{"child": "grand", "parent": str(child), "source": "metadata",
                                        "confidence": 1.0, "relation": "finetune"}])
        found = verify(store, str(child), candidates={"grand": grandchild, "base": tiny_model_dir})
        assert "grand" not in [c for _, c, _ in found.rows] and "below" in found.left_out["grand"]
        assert found.conclusion and found.conclusion.startswith(f"suggested parent of {child}: base")
        store.upsert("models", [{"model_id": "o/old", "source": "hub", "created_at": "2020-01-01T00:00:00"},
                                {"model_id": "o/new", "source": "hub", "created_at": "2023-05-01T00:00:00"},
                                {"model_id": "o/local", "source": "dir"}])
        why = cannot_be_parent(store, "o/old", ["o/new", "o/local", "grand"])
        assert list(why) == ["o/new"] and "created after o/old (2023-05-01 > 2020-01-01)" in why["o/new"]
