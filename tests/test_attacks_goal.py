"""Attack goals (untargeted, flip-prediction, targeted) on keyword victims, their parsing, and the goal as part of a
stored result's identity (the store migration, resume)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from attack_helpers import KeywordVictim, jaccard, tiny_resources
from chainaudit.attacks import (
    UNTARGETED,
    AttackResources,
    FlipPrediction,
    Targeted,
    build_recipe,
    parse_goal,
)
from chainaudit.attacks.runner import attack_samples
from chainaudit.attacks.text import WordText
from chainaudit.data import Sample
from chainaudit.errors import ChainauditError
from chainaudit.resources.word_vectors import WordVectors
from chainaudit.store import Store
from chainaudit.store.schema import MIGRATIONS, SCHEMA_VERSION
from chainaudit.study.records import run_attack

WORD_LEVEL = ["pwws", "textfooler", "textbugger", "hotflip-blackbox"]


def sample(text: str, label: int = 1, index: int = 0) -> Sample:
    return Sample("toy", "validation", index, text, label)


class ThreeWayVictim:
    """negative / neutral / positive: logits (#bad, 0.5, #good), so "fine" reads neutral and "bad" negative."""

    model_id, revision = "test/three-way", "r1"
    label_names = ("negative", "neutral", "positive")

    def __init__(self) -> None:
        self.queries = 0

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        self.queries += len(texts)
        out = np.zeros((len(texts), 3))
        for i, text in enumerate(texts):
            words = [w.lower() for w in WordText.parse(text).words]
            logits = np.array([words.count("bad"), 0.5, words.count("good")], dtype=float)
            out[i] = np.exp(logits) / np.exp(logits).sum()
        return out


def three_way_resources() -> AttackResources:
    """Every search can reach both "fine" (neutral) and "bad" (negative) from "good", "fine" first."""
    words = ["good", "fine", "bad", "movie", "film"]
    vectors = np.array([[1, 0], [0.99, 0.01], [0.98, 0.02], [0, 1], [0.01, 0.99]])
    return AttackResources(
        stop_words=frozenset({"the", "was"}),
        word_vectors=WordVectors(words, vectors, source="test", antonym_filter=False),
        sentence_similarity=jaccard,
        wordnet_synonyms=lambda word, pos=None: {"good": ["fine", "bad"], "movie": ["film"]}.get(word, []),
        pos_tagger=lambda tokens: ["ADJ"] * len(tokens),
        textfooler_threshold=0.0,
        textbugger_threshold=0.0,
    )


def test_parse_goal_and_its_one_line_errors() -> None:
    assert parse_goal() is UNTARGETED and parse_goal("untargeted").key == "untargeted"
    assert parse_goal("flip-prediction") == FlipPrediction() and FlipPrediction().key == "flip-prediction"
    assert parse_goal("targeted", 2) == Targeted(2) and Targeted(2).key == "targeted:2"
    for args, message in [(("targeted", None), "needs a target label"), (("targeted", -1), ">= 0"),
                          (("untargeted", 1), "only by the targeted goal"), (("towards", None), "unknown goal")]:
        with pytest.raises(ChainauditError, match=message) as info:
            parse_goal(*args)
        assert "\n" not in str(info.value)


def test_untargeted_is_the_default_and_unchanged() -> None:
    recipe = build_recipe("pwws", tiny_resources())
    samples = [sample("a good movie", index=0), sample("a bad plot", index=1), sample("great plot", index=2)]
    default = list(attack_samples(recipe, KeywordVictim(), samples, concurrency=1))
    explicit = list(attack_samples(recipe, KeywordVictim(), samples, concurrency=1, goal=UNTARGETED))
    strip = [(o.outcome, o.perturbed_text, o.queries, o.goal) for o in default]
    assert strip == [(o.outcome, o.perturbed_text, o.queries, o.goal) for o in explicit]
    assert [o.outcome for o in default] == ["succeeded", "skipped", "succeeded"]
    assert {o.goal for o in default} == {"untargeted"}


@pytest.mark.parametrize("name", WORD_LEVEL)
def test_flip_prediction_attacks_misclassified_samples_away_from_the_clean_prediction(name: str) -> None:
    recipe = build_recipe(name, tiny_resources())
    wrong = sample("the movie was good", label=0)  # the victim says positive: already wrong
    assert recipe.attack(KeywordVictim(), wrong, seed=1).outcome == "skipped"
    outcome = recipe.attack(KeywordVictim(), wrong, seed=1, goal=FlipPrediction())
    assert outcome.outcome == "succeeded" and outcome.goal == "flip-prediction", outcome
    assert (outcome.original_pred, outcome.perturbed_pred) == (1, 0)  # away from the model's own prediction
    right = sample("the movie was good", label=1)  # where gold is the prediction, the same as untargeted
    untargeted = recipe.attack(KeywordVictim(), right, seed=1)
    flip = recipe.attack(KeywordVictim(), right, seed=1, goal=FlipPrediction())
    assert (flip.outcome, flip.perturbed_text, flip.queries) == (untargeted.outcome, untargeted.perturbed_text,
                                                                 untargeted.queries)


def test_flip_prediction_fails_when_the_prediction_holds() -> None:
    # "excellent" has no synonyms: nothing moves the victim off its (wrong) positive prediction
    outcome = build_recipe("pwws", tiny_resources()).attack(KeywordVictim(), sample("excellent", label=0),
                                                            goal=FlipPrediction())
    assert outcome.outcome == "failed" and outcome.original_pred == 1


@pytest.mark.parametrize("name", WORD_LEVEL)
def test_targeted_success_lands_on_the_target_label(name: str) -> None:
    recipe = build_recipe(name, three_way_resources())
    text = sample("the movie was good", label=2)
    outcome = recipe.attack(ThreeWayVictim(), text, seed=0, goal=Targeted(0))
    assert outcome.outcome == "succeeded" and outcome.goal == "targeted:0", outcome
    assert outcome.perturbed_pred == 0 and "bad" in WordText.parse(outcome.perturbed_text).words
    assert ThreeWayVictim().predict_proba([outcome.perturbed_text]).argmax() == 0
    neutral = recipe.attack(ThreeWayVictim(), text, seed=0, goal=Targeted(1))
    assert neutral.outcome == "succeeded" and neutral.perturbed_pred == 1


def test_targeted_and_untargeted_differ_where_the_first_success_is_another_label() -> None:
    # first success wins, "fine" tried before "bad" (and "movie" keeps its last substitute, as in OpenAttack)
    recipe = build_recipe("hotflip-blackbox", three_way_resources())
    text = sample("the movie was good", label=2)
    away = recipe.attack(ThreeWayVictim(), text)
    towards = recipe.attack(ThreeWayVictim(), text, goal=Targeted(0))
    assert (away.outcome, away.perturbed_text, away.perturbed_pred) == ("succeeded", "the film was fine", 1)
    assert (towards.outcome, towards.perturbed_text, towards.perturbed_pred) == ("succeeded", "the film was bad", 0)


def test_targeted_fails_when_only_another_label_is_reachable() -> None:
    resources = three_way_resources()
    resources.wordnet_synonyms = lambda word, pos=None: ["fine"] if word == "good" else []
    recipe = build_recipe("pwws", resources)
    text = sample("the movie was good", label=2)
    assert recipe.attack(ThreeWayVictim(), text).outcome == "succeeded"  # neutral is away from positive
    outcome = recipe.attack(ThreeWayVictim(), text, goal=Targeted(0))
    assert outcome.outcome == "failed" and outcome.perturbed_pred == 1  # the engine judges by the goal


def test_targeted_skips_samples_already_at_the_target() -> None:
    recipe = build_recipe("pwws", three_way_resources())
    gold_is_target = recipe.attack(ThreeWayVictim(), sample("the movie was good", label=0), goal=Targeted(0))
    predicted_as_target = recipe.attack(ThreeWayVictim(), sample("the movie was bad", label=2), goal=Targeted(0))
    for outcome in (gold_is_target, predicted_as_target):
        assert outcome.outcome == "skipped" and outcome.queries == 1 and outcome.goal == "targeted:0"
    # a sample the model gets wrong, but not as the target, is attacked
    wrong = recipe.attack(ThreeWayVictim(), sample("the movie was good", label=1), goal=Targeted(0))
    assert wrong.outcome == "succeeded" and wrong.perturbed_pred == 0


def test_a_target_outside_the_labels_is_refused(tmp_path: Path) -> None:
    with Store(tmp_path / "t.db") as store, pytest.raises(ChainauditError, match="out of range"):
        run_attack(build_recipe("pwws", tiny_resources()), KeywordVictim(), [sample("a good movie")], store,
                   goal=Targeted(2))


def test_the_goal_is_part_of_a_results_identity(tmp_path: Path) -> None:
    recipe = build_recipe("pwws", tiny_resources())
    samples = [sample(t, index=i) for i, t in enumerate(["a good movie", "great plot", "a bad movie"])]
    with Store(tmp_path / "g.db") as store:
        untargeted = run_attack(recipe, KeywordVictim(), samples, store)
        targeted = run_attack(recipe, KeywordVictim(), samples, store, goal=Targeted(0))
        assert targeted.resumed == 0 and store.count("attack_results") == 6  # never resumes the untargeted run
        again = run_attack(recipe, KeywordVictim(), samples, store, goal=Targeted(0))
        assert again.resumed == 3 and store.count("attack_results") == 6
        assert [o.goal for o in again.outcomes] == ["targeted:0"] * 3
        assert [o.outcome for o in untargeted.outcomes] == ["succeeded", "succeeded", "skipped"]
        assert [o.outcome for o in targeted.outcomes] == ["succeeded", "succeeded", "skipped"]  # "bad": at target
        goals = {(r["idx"], r["goal"]) for r in store.select("attack_results")}
        assert goals == {(i, g) for i in range(3) for g in ("untargeted", "targeted:0")}


def test_migration_marks_existing_results_untargeted(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:2]:
        conn.executescript(script)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO attack_results (study_id, model_id, revision, dataset, split, idx, attack, seed, "
                 "outcome, perturbed_text, extra, created_at) VALUES ('s', 'm', 'r', 'sst2', 'validation', 0, "
                 "'pwws', 0, 'succeeded', 'a fine movie', '{\"k\": 1}', '2024-01-01T00:00:00+00:00')")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.version == SCHEMA_VERSION >= 3
        (row,) = store.select("attack_results")
        assert row["goal"] == "untargeted" and row["perturbed_text"] == "a fine movie" and row["extra"] == {"k": 1}
        assert row["params"] == ""  # written before digests: never resumed by a run that has one
        assert row["created_at"] == "2024-01-01T00:00:00+00:00"
        key = {k: row[k] for k in ("study_id", "model_id", "revision", "dataset", "split", "idx", "attack", "seed")}
        def insert(goal: str, params: str) -> int:
            return store.insert_new("attack_results", [{**key, "goal": goal, "params": params, "outcome": "failed"}])

        assert insert("untargeted", "") == 0
        assert insert("targeted:1", "") == 1
        assert insert("untargeted", "d1") == 1
        assert store.keys("attack_results") == {(*key.values(), "untargeted", ""), (*key.values(), "targeted:1", ""),
                                                (*key.values(), "untargeted", "d1")}


# -- white-box goals on the fragile tiny BERT (conftest's `fragile_model`) ---------------------------------------
@pytest.fixture(scope="module")
def bert(fragile_model: Path, keyword_data: Path):
    from chainaudit.data import load_split
    from chainaudit.victims import LocalHFVictim

    return LocalHFVictim.load(str(fragile_model), load_split(str(keyword_data)).label_names)


def keyword_samples() -> list[Sample]:
    from conftest import KEYWORDS, SUBJECTS

    return [Sample("kw", "validation", i, f"{s} was {k}", lab)
            for i, (s, (k, lab)) in enumerate((s, kl) for s in SUBJECTS for kl in KEYWORDS.items())]


@pytest.mark.parametrize("name", ["hotflip", "textbugger"])
def test_white_box_targeted_moves_towards_the_target(bert, name: str) -> None:
    """Gradients are taken of the target's loss and descended: on two labels, targeting the other label is the
    untargeted attack (same successes), and each success is predicted as the target."""
    recipe = build_recipe(name, tiny_resources(threshold=0.0))
    samples = keyword_samples()
    away = list(attack_samples(recipe, bert, samples, seed=0, concurrency=1))
    towards = [recipe.attack(bert, s, seed=0, goal=Targeted(1 - s.label)) for s in samples]
    assert sum(o.outcome == "succeeded" for o in towards) >= len(samples) // 2, [o.outcome for o in towards]
    assert [o.outcome for o in towards] == [o.outcome for o in away]
    for sample_, o in zip(samples, towards, strict=True):
        if o.outcome == "succeeded":
            assert o.perturbed_pred == 1 - sample_.label == int(bert.predict_proba([o.perturbed_text]).argmax())


def test_white_box_flip_prediction_attacks_mislabelled_samples(bert) -> None:
    """With every gold label flipped the model is always "wrong": untargeted skips all; flip-prediction attacks
    each away from the model's own prediction, exactly as untargeted attacks the rightly labelled sample."""
    recipe = build_recipe("hotflip", tiny_resources())
    right = keyword_samples()
    mislabelled = [Sample(s.dataset, s.split, s.index, s.text, 1 - s.label) for s in right]
    assert {o.outcome for o in attack_samples(recipe, bert, mislabelled, concurrency=1)} == {"skipped"}
    flip = list(attack_samples(recipe, bert, mislabelled, concurrency=1, goal=FlipPrediction()))
    away = list(attack_samples(recipe, bert, right, concurrency=1))
    assert [(o.outcome, o.perturbed_text, o.queries) for o in flip] == \
        [(o.outcome, o.perturbed_text, o.queries) for o in away]
    wins = [o for o in flip if o.outcome == "succeeded"]
    assert len(wins) >= len(flip) // 2
    assert all(o.original_pred == 1 - o.sample.label != o.perturbed_pred for o in wins)
