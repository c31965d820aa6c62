"""The attack engine and recipes on a keyword victim: outcomes, constraints, seeds, errors, resume."""

from __future__ import annotations

from pathlib import Path

import pytest

from attack_helpers import KeywordVictim, tiny_resources
from chainaudit.attacks import ADHOC_STUDY, build_recipe, summarize
from chainaudit.attacks.text import WordText
from chainaudit.data import Sample
from chainaudit.errors import ChainauditError, ResourceMissingError
from chainaudit.store import Store
from chainaudit.study.records import run_attack

BLACK_BOX = ["textfooler", "pwws", "textbugger", "hotflip-blackbox"]


def sample(text: str, label: int = 1, index: int = 0) -> Sample:
    return Sample("toy", "validation", index, text, label)


def test_word_text_round_trips_and_edits_in_place() -> None:
    text = "  It's a GOOD movie, well-made… really!\n"
    parsed = WordText.parse(text)
    assert str(parsed) == text
    assert parsed.words == ("It's", "a", "GOOD", "movie", "well-made", "really")
    edited = parsed.replace({2: "FINE"})
    assert str(edited) == "  It's a FINE movie, well-made… really!\n" and edited.changed == {2}


@pytest.mark.parametrize("name", BLACK_BOX)
def test_recipe_flips_a_fragile_victim_within_its_constraints(name: str) -> None:
    recipe = build_recipe(name, tiny_resources())
    victim = KeywordVictim()
    outcome = recipe.attack(victim, sample("the movie was good"), seed=1)
    assert outcome.outcome == "succeeded", outcome
    assert outcome.original_pred == 1 and outcome.perturbed_pred == 0
    assert victim.predict_proba([outcome.perturbed_text]).argmax() == 0  # it really flips
    new = WordText.parse(outcome.perturbed_text)
    assert {"the", "was"} <= set(new.words), "stop words must not change"
    assert 0 < outcome.words_changed <= 2 and outcome.queries > 0
    assert outcome.modification_rate == pytest.approx(outcome.words_changed / 4)


def test_textfooler_similarity_window_applies_to_long_texts_only() -> None:
    res = tiny_resources(threshold=0.99)  # no one-word swap keeps a 0.99 word-overlap similarity
    recipe = build_recipe("textfooler", res)
    short = recipe.attack(KeywordVictim(), sample("the movie was good"))
    assert short.outcome == "succeeded"  # shorter than the 15-word window: not checked (authors' code)
    long_text = "the movie was good and the plot and the story and the film was a plot of a story"
    assert len(WordText.parse(long_text)) >= 15
    assert recipe.attack(KeywordVictim(), sample(long_text)).outcome == "failed"


def test_part_of_speech_must_match_except_noun_verb() -> None:
    res = tiny_resources()
    res.pos_tagger = lambda tokens: ["DET" if t == "the" else "ADJ" if t == "good" else "ADV" for t in tokens]
    outcome = build_recipe("textfooler", res).attack(KeywordVictim(), sample("the movie was good"))
    assert outcome.outcome == "failed"  # every neighbour of "good" is tagged ADV, never ADJ


def test_pwws_uses_only_wordnet_synonyms() -> None:
    outcome = build_recipe("pwws", tiny_resources()).attack(KeywordVictim(), sample("a good plot"))
    assert outcome.outcome == "succeeded"
    assert WordText.parse(outcome.perturbed_text).words[1] in {"fine", "nice", "dear"}


def test_same_seed_same_text_and_seed_changes_random_bugs() -> None:
    recipe = build_recipe("textbugger", tiny_resources(threshold=0.0))
    texts = {seed: recipe.attack(KeywordVictim(), sample("this excellent movie"), seed=seed).perturbed_text
             for seed in (0, 0, 1, 2, 3, 4)}
    again = recipe.attack(KeywordVictim(), sample("this excellent movie"), seed=0).perturbed_text
    assert texts[0] == again
    assert len(set(texts.values())) > 1


def test_already_wrong_sample_is_skipped_not_attacked() -> None:
    victim = KeywordVictim()
    outcome = build_recipe("pwws", tiny_resources()).attack(victim, sample("a bad plot", label=1))
    assert outcome.outcome == "skipped" and outcome.queries == 1


def test_exception_in_one_sample_is_an_error_outcome_and_the_run_goes_on(tmp_path: Path) -> None:
    victim = KeywordVictim(explode_on="nice")
    samples = [sample("a good movie", index=0), sample("great plot", index=1)]
    with Store(tmp_path / "e.db") as store:
        run = run_attack(build_recipe("pwws", tiny_resources()), victim, samples, store)
    kinds = [o.outcome for o in run.outcomes]
    assert kinds[0] == "error" and "victim exploded" in run.outcomes[0].error
    assert kinds[1] == "succeeded"
    assert run.summary.errors == 1 and run.summary.asr == 1.0  # the error is not a failed attack


def test_missing_resource_is_an_error_not_a_failed_attack() -> None:
    res = tiny_resources()

    def missing(*_a: object) -> list[str]:
        raise ResourceMissingError("WordNet not found: apt-get install wordnet-base")

    res.wordnet_synonyms = missing
    outcome = build_recipe("pwws", res).attack(KeywordVictim(), sample("a good movie"))
    assert outcome.outcome == "error" and outcome.error.startswith("resource missing: WordNet not found")
    assert not summarize([outcome]).ran


def test_query_budget_is_respected() -> None:
    outcome = build_recipe("textfooler", tiny_resources()).attack(
        KeywordVictim(), sample("the movie plot was good"), budget=3)
    assert outcome.queries <= 3 and outcome.outcome == "failed"
    assert outcome.extra.get("budget_exhausted") is True


def test_summary_reports_both_asr_conventions() -> None:
    recipe = build_recipe("pwws", tiny_resources())
    victim = KeywordVictim()
    outcomes = [recipe.attack(victim, s) for s in (
        sample("a good movie", index=0),                 # succeeded
        sample("the excellent excellent", index=1),      # failed: no synonyms for excellent
        sample("a bad movie", label=1, index=2),          # skipped
    )]
    summary = summarize(outcomes)
    assert [o.outcome for o in outcomes] == ["succeeded", "failed", "skipped"]
    assert summary.asr == pytest.approx(1 / 2) and summary.asr_all == pytest.approx(2 / 3)
    assert summary.accuracy_before == pytest.approx(2 / 3) and summary.accuracy_after == pytest.approx(1 / 3)


def test_runner_resumes_without_doubling(tmp_path: Path) -> None:
    samples = [sample(t, index=i) for i, t in enumerate(["a good movie", "great plot", "good film"])]
    recipe = build_recipe("pwws", tiny_resources())
    with Store(tmp_path / "r.db") as store:
        first = run_attack(recipe, KeywordVictim(), samples[:2], store)
        assert first.resumed == 0
        victim = KeywordVictim()
        second = run_attack(recipe, victim, samples, store)
        assert second.resumed == 2 and len(second.outcomes) == 3
        assert store.count("attack_results") == 3
        assert victim.queries < 10  # only the new sample was attacked
        rows = store.select("attack_results", {"study_id": ADHOC_STUDY})
        assert {r["idx"] for r in rows} == {0, 1, 2}


def test_unknown_attack_lists_the_known_ones() -> None:
    with pytest.raises(ChainauditError, match=r"choose one of .*pwws"):
        build_recipe("nope")


def test_textbugger_gives_up_when_similarity_falls_to_the_threshold() -> None:
    """Algorithm 1 of the paper: the best bug is applied, then S(x, x') <= ε ends the attack."""
    strict = build_recipe("textbugger", tiny_resources(threshold=0.99)).attack(
        KeywordVictim(), sample("this excellent movie"), seed=0)
    assert strict.outcome == "failed"
    loose = build_recipe("textbugger", tiny_resources(threshold=0.1)).attack(
        KeywordVictim(), sample("this excellent movie"), seed=0)
    assert loose.outcome == "succeeded"


@pytest.mark.parametrize("name", ["pwws", "textbugger", "textfooler"])
def test_concurrent_attacks_give_the_sequential_outcomes(name: str) -> None:
    from chainaudit.attacks.runner import attack_samples

    texts = ["a good movie", "great plot", "the film was good", "a bad movie", "excellent excellent",
             "good good story", "the plot was great and good"]
    samples = [sample(t, index=i) for i, t in enumerate(texts)]
    recipe = build_recipe(name, tiny_resources(threshold=0.1))
    alone = list(attack_samples(recipe, KeywordVictim(), samples, seed=3, concurrency=1))
    victim = KeywordVictim()
    together = list(attack_samples(recipe, victim, samples, seed=3, concurrency=4))
    strip = [(o.sample.index, o.outcome, o.perturbed_text, o.queries) for o in alone]
    assert [(o.sample.index, o.outcome, o.perturbed_text, o.queries) for o in together] == strip
    assert victim.queries >= sum(o.queries for o in together)


def test_words_changed_of_a_paraphrase_is_the_word_edit_distance() -> None:
    original = WordText.parse("the movie was good.")
    same_length = WordText.parse("the film was fine.")
    paraphrase = WordText.parse("this film is really good")
    assert same_length.words_changed(original) == 2
    assert paraphrase.words_changed(original) == 4  # 3 substitutions + 1 insertion
    assert WordText.parse("good").words_changed(original) == 3


def test_repeats_are_summarised_with_their_spread() -> None:
    from chainaudit.attacks import AttackOutcome, summarize_repeats

    def run(seed: int, wins: int) -> list[AttackOutcome]:
        return [AttackOutcome(sample(f"text {i}", index=i), "gan", seed, "succeeded" if i < wins else "failed", 1,
                              0 if i < wins else 1, f"adv {seed} {i}") for i in range(4)]

    rep = summarize_repeats({0: run(0, 1), 1: run(1, 2), 2: run(2, 3)})
    asr = rep.spread("asr")
    assert asr is not None and asr.mean == pytest.approx(0.5) and asr.std == pytest.approx(0.25)
    assert (asr.low, asr.high) == (0.25, 0.75) and not rep.identical
    same = summarize_repeats({0: run(0, 2), 1: run(0, 2)})
    assert same.identical


def test_summary_warns_when_successes_share_little_meaning_with_the_originals(
        capsys: pytest.CaptureFixture[str]) -> None:
    from chainaudit.attacks import AttackOutcome
    from chainaudit.cli.attack import _print_summary

    def outcomes(similarity: float) -> list[AttackOutcome]:
        return [AttackOutcome(sample("a good movie", index=i), "gan", 0, "succeeded", 1, 0, "of the film",
                              similarity=similarity) for i in range(3)]

    _print_summary("gan", "m", summarize(outcomes(0.26)), 0)
    assert "upper bound" in " ".join(capsys.readouterr().err.split())
    _print_summary("pwws", "m", summarize(outcomes(0.8)), 0)
    assert "upper bound" not in capsys.readouterr().err


def test_a_skipped_sample_counts_as_flipped_only_under_the_untargeted_goal() -> None:
    from chainaudit.attacks import AttackOutcome

    def outcomes(goal: str) -> list[AttackOutcome]:
        return [AttackOutcome(sample("a good movie", index=0), "pwws", 0, "succeeded", 1, 0, "a fine movie", goal=goal),
                AttackOutcome(sample("a good plot", index=1), "pwws", 0, "failed", 1, 1, "a good plot", goal=goal),
                AttackOutcome(sample("a dull plot", index=2), "pwws", 0, "skipped", 0, 0, goal=goal)]

    untargeted = summarize(outcomes("untargeted"))
    assert untargeted.asr == 0.5 and untargeted.asr_all == pytest.approx(2 / 3)
    targeted = summarize(outcomes("targeted:0"))
    assert targeted.asr == targeted.asr_all == 0.5 and targeted.goal == "targeted:0"
    # accuracy is always against the gold label: sample 2 (gold 1, predicted 0) is wrong before and after
    assert untargeted.accuracy_before == pytest.approx(2 / 3) and untargeted.accuracy_after == pytest.approx(1 / 3)
