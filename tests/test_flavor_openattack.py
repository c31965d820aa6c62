"""`--flavor openattack`: OpenAttack 2.1.1's tokeniser, substitutes, filter words and searches, pinned on tiny
victims and resources (each test fails an implementation that departs from OpenAttack's code in that point)."""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import pytest

from attack_helpers import KeywordVictim, tiny_resources
from chainaudit.attacks import build_recipe
from chainaudit.attacks.flavors.openattack import RECIPES
from chainaudit.attacks.flavors.openattack_bugs import KEY_NEIGHBOURS, generate_bugs
from chainaudit.attacks.flavors.openattack_substitute import WordNetSubstitute
from chainaudit.attacks.flavors.openattack_text import (
    FILTER_WORDS,
    OpenAttackText,
    PunctTokenizer,
    penn_tagger,
    universal_tagger,
)
from chainaudit.attacks.text import WordText
from chainaudit.data import Sample
from chainaudit.resources.stopwords import STOP_WORDS


def sample(text: str, label: int = 1, index: int = 0) -> Sample:
    return Sample("toy", "validation", index, text, label)


class SpyVictim(KeywordVictim):
    """The keyword victim, remembering every text it was asked about, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        self.asked += list(texts)
        return super().predict_proba(texts)


def test_recipes_registered_and_named_by_flavour() -> None:
    assert set(RECIPES) == {"pwws", "textfooler", "textbugger", "hotflip", "hotflip-blackbox", "scpn"}
    assert "gan" not in RECIPES  # OpenAttack's SST GAN is a different protocol (one noisy reconstruction)
    assert build_recipe("pwws", tiny_resources(), flavor="openattack").name == "pwws@openattack"
    scpn = build_recipe("scpn", tiny_resources(), flavor="openattack")
    assert scpn.search.similarity is None  # OpenAttack returns the FIRST successful paraphrase in template order


def test_punct_tokenizer_splits_word_punct_and_detokenizes_with_spaces() -> None:
    tok = PunctTokenizer(universal_tagger(lambda tokens: ["NOUN"] * len(tokens)))
    assert tok.tokenize("It's a well-made film. Really!") == ["It", "'", "s", "a", "well", "-", "made", "film", ".",
                                                              "Really", "!"]
    assert str(OpenAttackText.of(["it", "'", "s", "fine", "."])) == "it ' s fine ."
    # Penn tags map on their first two letters: MD and WRB are "other" (the universal tagset makes them VERB/ADV)
    tags = penn_tagger(lambda tokens: ["MD", "WRB", "JJR", "NNS", "VBD", "RBS", "DT"])(["x"] * 7)
    assert tags == ["other", "other", "adj", "noun", "verb", "adv", "other"]


def test_filter_words_are_textfoolers_stop_words_plus_be_and_have() -> None:
    assert STOP_WORDS <= FILTER_WORDS
    assert sorted(FILTER_WORDS - STOP_WORDS) == ["be", "have"]


def test_words_changed_ignores_lowercasing_and_respacing() -> None:
    original = WordText.parse("It's a GOOD movie, really.")
    adversarial = OpenAttackText.of(["it", "'", "s", "a", "fine", "movie", ",", "really", "."])
    assert adversarial.words_changed(original) == 1


def test_wordnet_substitute_reproduces_openattacks_filtering_and_order() -> None:
    lemmas = {("good", "a"): ["good", "Good", "full_of_life", "well", "Well", "near_and_dear"],
              ("good", "r"): ["well", "thoroughly"], ("good", "n"): ["goodness"], ("is", "v"): ["exist"]}
    sub = WordNetSubstitute(lambda word, letter: lemmas.get((word, letter), []))
    # first word of each lemma; the word itself dropped case-sensitively, so "Good" survives lowercased
    assert sub("good", "adj") == ["good", "full", "well", "near"]
    assert sub("good", "other") == [] and sub("is", "verb") == []  # "other" has none; be/is/are/am never change
    assert sub("good", None) == ["well", "thoroughly", "good", "full", "near", "goodness"]  # adv, adj, noun, verb


def test_pwws_lowercases_scores_unk_saliency_on_every_token_and_skips_filter_words() -> None:
    res = tiny_resources()
    res.wordnet_synonyms = lambda word, pos=None: {"good": ["fine"], "have": ["bad"], "movie": ["film"]}.get(word, [])
    victim = SpyVictim()
    outcome = build_recipe("pwws", res, flavor="openattack").attack(victim, sample("I have a GOOD movie."))
    assert outcome.outcome == "succeeded" and outcome.perturbed_text == "i have a fine movie ."
    unk = [t for t in victim.asked if "<UNK>" in t]
    assert len(unk) == 6  # the literal "<UNK>" in place of each of the 6 tokens, "i", "a" and "." included
    assert "i bad a good movie ." not in victim.asked  # "have" is a filter word: its candidates are never tried


def test_pwws_applies_each_best_swap_in_weighted_saliency_order_even_a_harmful_one() -> None:
    res = tiny_resources()
    # "good" -> "nice" helps, "great" has no candidate (drop 0), "movie" -> "excellent" HURTS (negative drop)
    res.wordnet_synonyms = lambda word, pos=None: {"good": ["nice"], "movie": ["excellent"]}.get(word, [])
    victim = SpyVictim()
    outcome = build_recipe("pwws", res, flavor="openattack").attack(victim, sample("good great movie"))
    assert outcome.outcome == "failed"
    # every candidate was scored in one batch; the only new text afterwards is the last, harmful, cumulative swap
    assert victim.asked[-1] == "nice great excellent" and victim.asked.count("nice great excellent") == 1


def test_textfooler_threshold_falls_to_point_one_for_the_rest_of_the_run_after_a_short_text() -> None:
    res = tiny_resources()
    res.sentence_similarity = lambda a, b: np.full(len(a), 0.3)  # below 0.5, above 0.1
    res.pos_tagger = lambda tokens: ["ADJ" if t in ("good", "fine") else "NOUN" for t in tokens]
    long_text = "the movie was good and the plot and the story and the film was a plot of a story"
    assert len(long_text.split()) >= 15
    recipe = build_recipe("textfooler", res, flavor="openattack")
    first = recipe.attack(KeywordVictim(), sample(long_text))
    assert first.outcome == "failed" and first.extra["sim_threshold"] == 0.5
    assert recipe.attack(KeywordVictim(), sample("the movie was good")).extra["sim_threshold"] == 0.1
    again = recipe.attack(KeywordVictim(), sample(long_text, index=1))
    assert again.outcome == "succeeded" and again.extra["sim_threshold"] == 0.1  # OpenAttack's quirk
    fresh = build_recipe("textfooler", res, flavor="openattack").attack(KeywordVictim(), sample(long_text))
    assert fresh.outcome == "failed"  # a new recipe instance starts again at 0.5


def test_textfooler_takes_wordnet_synonyms_of_a_matching_pos() -> None:
    res = tiny_resources()
    res.wordnet_synonyms = lambda word, pos=None: {"good": ["great", "fine"]}.get(word, [])
    # tagging "fine" in its window as a noun makes it fail the POS check (adj vs noun); "great" stays adj but
    # does not flip; nothing else qualifies
    res.pos_tagger = lambda tokens: ["NOUN" if t == "fine" else "ADJ" if t in ("good", "great") else "DET"
                                     for t in tokens]
    outcome = build_recipe("textfooler", res, flavor="openattack").attack(KeywordVictim(), sample("the movie was good"))
    assert outcome.outcome == "failed"
    res.pos_tagger = lambda tokens: ["ADJ" if t in ("good", "great", "fine") else "DET" for t in tokens]
    outcome = build_recipe("textfooler", res, flavor="openattack").attack(KeywordVictim(), sample("the movie was good"))
    assert outcome.perturbed_text == "the movie was fine"  # WordNet's "fine", not a word-vector neighbour


def test_textbugger_has_no_similarity_give_up() -> None:
    res = tiny_resources(threshold=0.99)  # the paper flavour gives up at once below 0.99 similarity
    assert build_recipe("textbugger", res).attack(KeywordVictim(), sample("the movie was good")).outcome == "failed"
    outcome = build_recipe("textbugger", res, flavor="openattack").attack(KeywordVictim(), sample("the movie was good"))
    assert outcome.outcome == "succeeded"


def test_textbugger_ranks_by_deletion_without_lowercasing() -> None:
    res = tiny_resources()
    res.wordnet_synonyms = lambda word, pos=None: []
    victim = SpyVictim()
    outcome = build_recipe("textbugger", res, flavor="openattack").attack(victim, sample("The Movie is GOOD"))
    assert victim.asked[1:5] == ["Movie is GOOD", "The is GOOD", "The Movie GOOD", "The Movie is"]  # deletions
    assert outcome.outcome == "succeeded" and outcome.perturbed_text.startswith("The Movie is ")
    assert outcome.perturbed_text != "The Movie is GOOD"  # "GOOD" (lowest p(positive) when deleted) is bugged


def test_textbugger_bugs_draw_openattacks_random_calls_in_its_order() -> None:
    never = lambda word: "SUBW"  # noqa: E731
    rng = random.Random(3)
    assert generate_bugs("ok", rng, never) == ["ok"] * 5 and rng.getstate() == random.Random(3).getstate()
    replay = random.Random(7)
    point = replay.randint(1, 4)  # insert (len < 6)
    cut = replay.randint(1, 3)  # delete
    a, b = replay.sample(range(1, 4), 2)  # swap (len > 4)
    sub = replay.randint(0, 4)  # sub_C position, then the neighbour
    word = "movie"
    swapped = list(word)
    swapped[a], swapped[b] = swapped[b], swapped[a]
    choices = KEY_NEIGHBOURS[word[sub]]
    expected = [word[:point] + " " + word[point:], word[:cut] + word[cut + 1:], "".join(swapped),
                word[:sub] + choices[replay.randint(0, len(choices) - 1)] + word[sub + 1:], "SUBW"]
    assert generate_bugs(word, random.Random(7), never) == expected
    long = generate_bugs("terrible", random.Random(1), never)
    assert long[0] == "terrible" and " " not in "".join(long)  # no space insertion from 6 characters on
    assert generate_bugs("good", random.Random(1), never)[2] == "good"  # no swap up to 4 characters
    assert KEY_NEIGHBOURS["q"] == "was9" and KEY_NEIGHBOURS["o"] == "ipkl0"


def test_hotflip_goes_left_to_right_keeping_each_tokens_last_failed_candidate() -> None:
    res = tiny_resources()
    res.wordnet_synonyms = lambda word, pos=None: {"movie": ["film", "picture"], "good": ["fine"]}.get(word, [])
    for name in ("hotflip", "hotflip-blackbox"):
        victim = SpyVictim()
        outcome = build_recipe(name, res, flavor="openattack").attack(victim, sample("The movie was GOOD"))
        assert outcome.perturbed_text == "the picture was fine"  # "movie" failed: its last candidate stays
        assert victim.asked[1:4] == ["the film was good", "the picture was good", "the picture was fine"]


@pytest.mark.parametrize("name", ["pwws", "textfooler", "textbugger", "hotflip-blackbox"])
def test_flavour_flips_a_fragile_victim_and_keeps_filter_words(name: str) -> None:
    outcome = build_recipe(name, tiny_resources(), flavor="openattack").attack(KeywordVictim(),
                                                                               sample("the movie was good"), seed=1)
    assert outcome.outcome == "succeeded" and KeywordVictim().predict_proba([outcome.perturbed_text]).argmax() == 0
    assert outcome.perturbed_text.split()[0] == "the" and outcome.perturbed_text.split()[2] == "was"


def test_textfooler_lazy_pick_equals_openattacks_full_arithmetic() -> None:
    from chainaudit.attacks.flavors.openattack_search import _LazySimilarity, _textfooler_pick

    rng = np.random.default_rng(0)
    for _ in range(500):
        n = int(rng.integers(1, 8))
        probs = rng.dirichlet([1, 1], size=n)
        probs[rng.random(n) < 0.2] = probs[0]  # ties
        sims = np.round(rng.random(n), 1)
        pos_ok = rng.random(n) < 0.7
        orig_prob, threshold = float(rng.uniform(0.5, 1)), float(rng.choice([0.1, 0.5]))
        mask = (probs.argmax(axis=1) != 1) & (sims >= threshold) & pos_ok  # OpenAttack's attack(), label 1
        if mask.any():
            expected = (int(np.argmax(mask * sims)), True)
        else:
            penalised = probs[:, 1] + (sims < threshold) + (~pos_ok)
            k = int(np.argmin(penalised))
            expected = (k if penalised[k] < orig_prob else None, False)
        windows = [str(k) for k in range(n)]
        lazy = _LazySimilarity(lambda a, b, s=sims, w=windows: s[[w.index(x) for x in b]], "x", windows)
        assert _textfooler_pick(probs, 1, orig_prob, pos_ok, lazy, threshold) == expected
