"""White-box recipes (HotFlip, TextBugger's gradient ranking) and the `attack` command on a real,
deliberately fragile tiny BERT (conftest's `fragile_model`): fine-tuned so that one keyword decides the label."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from attack_helpers import tiny_resources
from chainaudit.attacks import build_recipe
from chainaudit.attacks.engine import AttackContext
from chainaudit.attacks.search import gradient_importance
from chainaudit.attacks.text import WordText
from chainaudit.cli import app
from chainaudit.data import Sample, load_split
from chainaudit.store import Store
from chainaudit.victims import LocalHFVictim
from conftest import KEYWORDS, SUBJECTS


@pytest.fixture(scope="module")
def victim(fragile_model: Path, keyword_data: Path) -> LocalHFVictim:
    return LocalHFVictim.load(str(fragile_model), load_split(str(keyword_data)).label_names)


def test_gradient_importance_ranks_the_keyword_first(victim: LocalHFVictim) -> None:
    sample = Sample("kw", "validation", 0, "the movie was good", 1)
    ctx = AttackContext(victim, sample, budget=None, seed=0)
    scores = gradient_importance(ctx, [1, 3])  # "movie" vs "good"
    assert scores[1] > scores[0]


def test_hotflip_white_box_flips_within_its_modification_limit(victim: LocalHFVictim) -> None:
    recipe = build_recipe("hotflip", tiny_resources())
    samples = [Sample("kw", "validation", i, f"{s} was {k}", lab)
               for i, (s, (k, lab)) in enumerate((s, kl) for s in SUBJECTS for kl in KEYWORDS.items())]
    outcomes = [recipe.attack(victim, s, seed=0) for s in samples]
    wins = [o for o in outcomes if o.outcome == "succeeded"]
    assert len(wins) >= len(samples) // 2, [o.outcome for o in outcomes]
    for o in wins:
        assert int(victim.predict_proba([o.perturbed_text]).argmax()) != o.sample.label
        assert o.words_changed <= max(1, int(0.2 * len(WordText.parse(o.sample.text))))
        assert o.perturbed_text.split()[:2] == o.sample.text.split()[:2] or o.words_changed == 1


def test_textbugger_white_box_same_seed_same_text(victim: LocalHFVictim) -> None:
    recipe = build_recipe("textbugger", tiny_resources(threshold=0.0))
    sample = Sample("kw", "validation", 3, "the plot was great", 1)
    first, second = (recipe.attack(victim, sample, seed=5) for _ in range(2))
    assert first.outcome == "succeeded" and first.perturbed_text == second.perturbed_text


def test_attack_cli_stores_outcomes_and_writes_examples(fragile_model: Path, keyword_data: Path,
                                                        tmp_path: Path) -> None:
    db, examples = tmp_path / "a.db", tmp_path / "adv.jsonl"
    args = ["attack", str(fragile_model), "--attack", "pwws", "--dataset", str(keyword_data), "-n", "8",
            "--save-examples", str(examples), "--db", str(db)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "asr_all" in flat and "accuracy before" in flat
    with Store(db) as store:
        rows = store.select("attack_results")
        assert len(rows) == 8 and {r["attack"] for r in rows} == {"pwws"}
        assert all(r["outcome"] in {"succeeded", "failed", "skipped", "error"} for r in rows)
    lines = [json.loads(x) for x in examples.read_text().splitlines()]
    assert len(lines) == 8 and all("perturbed_text" in x for x in lines)
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0 and "8 resumed" in " ".join(again.output.split())
    with Store(db) as store:
        assert store.count("attack_results") == 8
    bad = CliRunner().invoke(app, [*args[:3], "nope", *args[4:]])
    assert bad.exit_code == 2 and "unknown attack" in bad.output


@pytest.mark.parametrize("name", ["hotflip", "textbugger"])
def test_white_box_attacks_at_once_give_the_one_at_a_time_outcomes(victim: LocalHFVictim, name: str) -> None:
    """Merged gradient and candidate calls (--concurrency) must not change any sample's attack."""
    from chainaudit.attacks.runner import attack_samples

    recipe = build_recipe(name, tiny_resources(threshold=0.0))
    samples = [Sample("kw", "validation", i, f"{s} was {k}", lab)
               for i, (s, (k, lab)) in enumerate((s, kl) for s in SUBJECTS for kl in KEYWORDS.items())]
    alone = [(o.outcome, o.perturbed_text, o.queries) for o in attack_samples(recipe, victim, samples, seed=1)]
    together = [(o.outcome, o.perturbed_text, o.queries)
                for o in attack_samples(recipe, victim, samples, seed=1, concurrency=6)]
    assert together == alone
    assert any(kind == "succeeded" for kind, _, _ in alone)


def test_attack_cli_repeats_runs_one_seed_each_and_reports_the_spread(fragile_model: Path, keyword_data: Path,
                                                                      tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    args = ["attack", str(fragile_model), "--attack", "pwws", "--dataset", str(keyword_data), "-n", "4",
            "--repeats", "2", "--seed", "7", "--db", str(db)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "seed 7" in flat and "seed 8" in flat and "mean ± std" in flat
    assert "deterministic" in flat  # PWWS has no randomness: the repeats agree and the output says so
    with Store(db) as store:
        assert sorted({r["seed"] for r in store.select("attack_results")}) == [7, 8]
        assert store.count("attack_results") == 8
