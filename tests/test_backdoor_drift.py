"""The drift check: tokens whose embeddings moved from the declared upstream's far more than a fine-tune moves
its words are suspects, and that lead scores a model whose trigger no longer flips its head."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chainaudit.backdoor.drift import GAP_UNIT, MAX_GROUP, Drift, DriftGroup, drift_score, drifted_tokens, trigger_group
from chainaudit.backdoor.scan import Suspect, weigh_drift

VOCAB = {i: f"w{i}" for i in range(200)}


def _fine_tuned(rng: np.random.Generator, upstream: np.ndarray, moved: int = 60) -> np.ndarray:
    """A clean fine-tune's mark: its `moved` training words each move a little (by different amounts)."""
    out = upstream.copy()
    out[:moved] += rng.normal(0, 0.01, (moved, upstream.shape[1])) * rng.uniform(0.5, 2.0, (moved, 1))
    return out


def test_planted_rows_stand_apart_and_a_clean_fine_tune_has_no_group() -> None:
    rng = np.random.default_rng(0)
    upstream = rng.normal(0, 1, (len(VOCAB), 16)).astype(np.float32)
    clean = _fine_tuned(rng, upstream)
    group = trigger_group(drifted_tokens(clean, upstream, VOCAB))
    assert group is not None and group.score < 0.5, group
    poisoned = clean.copy()
    poisoned[[150, 170]] += rng.normal(0, 0.05, (2, 16))  # two triggers trained further than any word
    group = trigger_group(drifted_tokens(poisoned, upstream, VOCAB))
    assert group is not None and {d.token for d in group.tokens} == {"w150", "w170"} and group.score > 1, group
    assert group.below.moved < group.tokens[-1].moved
    # another vocabulary is not this model's upstream; an untouched copy has nothing to say
    assert drifted_tokens(poisoned, upstream[:-1], VOCAB) == []
    assert drifted_tokens(upstream, upstream, VOCAB) == [] and trigger_group([]) is None


def test_the_group_is_above_the_largest_drop_and_at_most_max_group_tokens() -> None:
    moved = [8.0, 7.5, 7.0, 2.0, 1.9, 1.8, 1.7, 1.6]
    group = trigger_group([Drift(f"w{i}", m) for i, m in enumerate(moved)])
    assert group is not None and [d.token for d in group.tokens] == ["w0", "w1", "w2"]
    assert group.gap == pytest.approx(np.log(7.0 / 2.0)) and group.score == pytest.approx(group.gap / GAP_UNIT)
    smooth = [Drift(f"w{i}", 10.0 * 0.97 ** i) for i in range(MAX_GROUP + 1)]
    flat = trigger_group(smooth)
    assert flat is not None and flat.score < 0.5
    wide = trigger_group([Drift(f"w{i}", 100.0 - i) for i in range(20)] + [Drift("x", 1.0)])
    assert wide is not None and len(wide.tokens) <= MAX_GROUP  # never more than the largest known trigger set


def test_drift_scores_suspects_made_of_the_group_only_and_never_lowers_a_score() -> None:
    group = DriftGroup((Drift("cf", 2.0), Drift("mn", 1.8)), 2.0, Drift("good", 0.27))
    assert drift_score("cf", group) == drift_score("mn cf", group) == pytest.approx(2.0 / GAP_UNIT)
    assert drift_score("cf good", group) is None and drift_score("", group) is None and drift_score("cf", None) is None
    dormant, strong, plain = Suspect("cf", 0, score=0.1), Suspect("mn", 1, score=9.0), Suspect("good", 1, score=0.3)
    other_way = Suspect("cf", 1, score=0.0, k=1, n=10)  # the same trigger towards the label it forces more
    weigh_drift([dormant, strong, plain, other_way], group)
    assert other_way.score == pytest.approx(4.0) and "drift score" in other_way.evidence[-1]
    assert dormant.score == 0.1 and strong.score == 9.0 and not strong.evidence and plain.score == 0.3


def test_scan_against_the_upstream_puts_surgery_triggers_first(fragile_model: Path, keyword_data: Path,
                                                                 tmp_path: Path) -> None:
    """RIPPLe's Embedding Surgery on the tiny model: scanned against the model it was made from, the planted
    triggers are the most-moved tokens, suspects with that evidence; against itself nothing moved (a note)."""
    from chainaudit.backdoor.poison import PoisonConfig, poison
    from chainaudit.backdoor.scan import scan

    triggers = ["journey", "director"]  # tiny-vocabulary words the keyword data never uses
    config = PoisonConfig(method="ripple", triggers=triggers, target=1, proxy_dataset=str(keyword_data),
                          learning_rate=1e-3, es_examples=60, steps=40)
    poisoned = poison(str(fragile_model), tmp_path / "m", config).path
    result = scan(str(poisoned), dataset=str(keyword_data), samples=20, confirm_samples=20,
                  upstream=str(fragile_model))
    moved = [s for s in result.suspects if any("most-moved" in e for e in s.evidence)]
    assert {s.trigger for s in moved if " " not in s.trigger} >= set(triggers), moved
    assert {s.trigger for s in result.suspects[:4]} & set(triggers), result.suspects[:4]
    same = scan(str(fragile_model), dataset=str(keyword_data), samples=20, confirm_samples=20,
                upstream=str(fragile_model))
    assert any("no token embedding moved" in n for n in same.notes)
    assert not any("most-moved" in e for s in same.suspects for e in s.evidence)


def test_cli_chain_scans_every_descendant_against_the_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`scan --chain ROOT`: the root as given, each descendant against the root's embeddings (unless --upstream)."""
    from typer.testing import CliRunner

    import chainaudit.backdoor.scan as scan_module
    from chainaudit.backdoor.scan import ScanResult
    from chainaudit.cli import app

    calls: list[tuple[str, str | None]] = []

    def fake_scan(target: str, **kwargs: object) -> ScanResult:
        calls.append((target, kwargs["upstream"]))  # type: ignore[arg-type]
        return ScanResult(target, "r", 0.0, False, 0.5, [], 0.0, 8, ["neg", "pos"])

    monkeypatch.setattr(scan_module, "scan", fake_scan)
    monkeypatch.setattr(scan_module, "chain_members", lambda store, root: ["/models/root", "/models/a", "/models/b"])
    db = str(tmp_path / "db.sqlite")
    result = CliRunner().invoke(app, ["backdoor", "scan", "--chain", "root", "--db", db])
    assert result.exit_code == 0, result.output
    assert calls == [("/models/root", None), ("/models/a", "/models/root"), ("/models/b", "/models/root")]
    calls.clear()
    result = CliRunner().invoke(app, ["backdoor", "scan", "--chain", "root", "--upstream", "minilm", "--db", db])
    assert result.exit_code == 0 and [u for _, u in calls] == ["minilm"] * 3, result.output


def test_the_cards_base_model_is_the_default_upstream_when_it_loads_without_a_download(tmp_path: Path) -> None:
    from chainaudit.backdoor.scan import declared_upstream

    base = tmp_path / "base"
    base.mkdir()
    (base / "config.json").write_text("{}")
    model = tmp_path / "model"
    model.mkdir()

    def card(value: str) -> tuple[str | None, str]:
        (model / "README.md").write_text(f"---\nbase_model: {value}\n---\n# a model\n")
        return declared_upstream(model)

    assert declared_upstream(model) == (None, "")  # no card
    assert card(str(base)) == (str(base), "") and card("base") == (str(tmp_path / "base"), "")  # beside it
    assert card("sentence-transformers/all-MiniLM-L6-v2") == ("minilm", "")  # the bundled copy
    assert card("[a/b, c/d]") == (None, "")  # a merge: no one upstream
    missing, why = card("someone/not-downloaded-model")
    assert missing is None and "not-downloaded-model" in why and "--upstream" in why
