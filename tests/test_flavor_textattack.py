"""`--flavor textattack`: TextAttack 0.3.11's segmentation, text rebuilding, candidates, search order, query
counting and give-up rules, pinned on a keyword victim and tiny resources."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from attack_helpers import KeywordVictim, tiny_resources
from chainaudit.attacks import build_recipe
from chainaudit.attacks.engine import AttackContext
from chainaudit.attacks.flavors.textattack_constraints import (
    PartOfSpeech,
    RepeatModification,
    StopwordModification,
    WordEmbeddingDistance,
)
from chainaudit.attacks.flavors.textattack_text import TAText, words_from_text
from chainaudit.attacks.flavors.textattack_transformations import (
    CharDeletion,
    CharInsertion,
    Composite,
    EmbeddingSwap,
    HomoglyphSwap,
    NeighbourCharSwap,
    WordNetSwap,
    recover_word_case,
    sample_rng,
)
from chainaudit.data import Sample
from chainaudit.errors import ChainauditError
from chainaudit.resources.word_vectors import WordVectors


def sample(text: str, label: int = 1, index: int = 0) -> Sample:
    return Sample("toy", "validation", index, text, label)


class RecordingVictim(KeywordVictim):
    """The keyword victim, keeping every text it is asked about, in order; with `weights`, p(positive) is
    sigmoid(sum of the words' weights - 0.1) instead."""

    def __init__(self, weights: dict[str, float] | None = None) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.weights = weights

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += list(texts)
        if self.weights is None:
            return super().predict_proba(texts)
        sums = np.array([sum(self.weights.get(w, 0.0) for w in t.split()) for t in texts])
        p = 1 / (1 + np.exp(-(sums - 0.1)))
        return np.stack([1 - p, p], axis=1)


def vectors(groups: dict[str, int], dims: int = 4) -> WordVectors:
    """Words in the same group are near-identical (cos ~ 1); other groups are orthogonal."""
    words = list(groups)
    rng = np.random.default_rng(0)
    matrix = np.eye(dims)[[groups[w] for w in words]] + 0.01 * rng.standard_normal((len(words), dims))
    return WordVectors(words, matrix, source="test", antonym_filter=False)


def ctx_for(text: str) -> AttackContext:
    return AttackContext(KeywordVictim(), sample(text), budget=None, seed=0)


# -- segmentation and rebuilding (shared/utils/strings.py, shared/attacked_text.py) ---------------------------------

def test_words_from_text_splits_like_textattack() -> None:
    assert words_from_text("it 's slow -- very , very slow . ") == ["it", "s", "slow", "very", "very", "slow"]
    assert words_from_text("'quoted' ex-wife a/b don't @home* 90s") == ["quoted", "ex-wife", "a", "b", "don't",
                                                                        "home", "90s"]
    assert words_from_text("gоod h`m") == ["gоod", "h`m"]  # homoglyphs are word characters


def test_replacement_rebuilds_text_and_tracks_indices_like_attacked_text() -> None:
    text = TAText.parse("it 's a charming and often affecting journey . ")
    assert str(text) == "it 's a charming and often affecting journey . "
    assert text.words[:3] == ("it", "s", "a")
    assert str(text.delete(0)) == "'s a charming and often affecting journey . "  # takes the following space
    assert str(text.delete(7)) == "it 's a charming and often affecting . "  # takes the preceding space
    assert str(TAText.parse("a b").delete(1)) == "a "  # last word, nothing after it: no space taken
    split = text.replace_word(3, "char ming")
    assert split.words[3:5] == ("char", "ming") and len(split) == 9
    assert split.changed == {3, 4} and split.newly == {3, 4}
    later = split.replace_word(6, "touching")  # index 6 of the CURRENT text: "often", the original word 5
    assert later.words[5:8] == ("and", "touching", "affecting") and later.newly == {6}
    assert RepeatModification().modifiable(later) == {0, 1, 2, 5, 7, 8}


def test_window_text_is_the_span_from_first_to_last_word() -> None:
    long = TAText.parse(" ".join(f"w{i}" for i in range(30)) + " .")
    assert long.window_text(20, 15) == " ".join(f"w{i}" for i in range(13, 28))
    assert long.window_text(2, 15) == " ".join(f"w{i}" for i in range(15))
    assert long.window_text(28, 15) == " ".join(f"w{i}" for i in range(15, 30))
    assert TAText.parse("a good film .").window_text(1, math.inf) == "a good film"  # the final " ." is left out


# -- constraints --------------------------------------------------------------------------------------------------

def test_stop_words_are_case_sensitive_and_indices_come_from_sets() -> None:
    text = TAText.parse("The movie is the best")
    assert StopwordModification(frozenset({"the", "is"})).modifiable(text) == {0, 1, 4}


def test_word_embedding_distance_compares_with_the_original_and_passes_unknown_words() -> None:
    vecs = vectors({"good": 0, "fine": 0, "bad": 1})
    wed = WordEmbeddingDistance(vecs, 0.5)
    original = TAText.parse("a Good day")
    ctx = ctx_for("a Good day")
    kept = wed.check_many([original.replace_word(1, w) for w in ("fine", "bad", "zzz")], original, ctx)
    assert [t.words[1] for t in kept] == ["fine", "zzz"]


def test_part_of_speech_tags_both_words_in_the_originals_context() -> None:
    calls: list[list[str]] = []

    def tagger(tokens: list[str]) -> list[str]:  # a word seen before in the context is tagged ADJ
        calls.append(tokens)
        tags = ["VERB" if t == "run" else "ADJ" if t in tokens[:k] or not t.startswith("w") else "NOUN"
                for k, t in enumerate(tokens)]
        return tags

    pos = PartOfSpeech(tagger, allow_verb_noun_swap=True)
    original = TAText.parse(" ".join(f"w{i}" for i in range(10)))
    ctx = ctx_for(str(original))
    texts = [original.replace_word(5, w) for w in ("run", "nice", "w2")]
    kept = pos.check_many(texts, original, ctx)
    assert calls[0] == ["w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8"]  # 4 words before, 3 after
    # verb for noun allowed; adjective not; the new "w2" takes the tag of the context's FIRST "w2" (a noun), as
    # `word_list.index(word)` does, not its own (ADJ)
    assert [t.words[5] for t in kept] == ["run", "w2"]
    assert ["w1", "w2", "w3", "w4", "w2", "w6", "w7", "w8"] in calls


# -- transformations ----------------------------------------------------------------------------------------------

def test_wordnet_swap_keeps_wordnet_case_and_drops_phrases() -> None:
    names = {"movie": ["movie", "film", "Hollywood", "motion_picture", "U.S.", "pic"]}
    swap = WordNetSwap(lambda word: names.get(word.lower(), []))
    assert swap(TAText.parse("Movie"), 0, ctx_for("Movie")) == ["movie", "film", "Hollywood", "pic"]


def test_wordnet_swap_on_real_wordnet() -> None:
    swap = WordNetSwap()
    got = swap(TAText.parse("us"), 0, ctx_for("us"))
    assert {"America", "US", "uranium"} <= set(got)
    assert "U.S." not in got and "United_States" not in got and "us" not in got


def test_embedding_swap_takes_k_nearest_without_floor_and_recovers_case() -> None:
    vecs = vectors({"good": 0, "fine": 0, "nice": 0, "bad": 1, "film": 2})
    got = EmbeddingSwap(vecs, max_candidates=3)(TAText.parse("GOOD"), 0, ctx_for("GOOD"))
    assert set(got[:2]) == {"FINE", "NICE"} and len(got) == 3  # the third is an unrelated word: no cos floor
    assert recover_word_case("film", "I") == "film" and recover_word_case("film", "Good") == "Film"


def test_textbugger_character_edits_draw_like_textattack() -> None:
    ctx = ctx_for("bad")
    bad = TAText.parse("bad")
    state = sample_rng(ctx).get_state()
    bugs = Composite((CharInsertion(" "), CharDeletion(), NeighbourCharSwap(), HomoglyphSwap()))
    assert bugs(bad, 0, ctx) == ["b ad", "bd", "Ьad", "bɑd", "baԁ"]  # 3 letters: no swap position
    twin = np.random.RandomState()
    twin.set_state(state)
    twin.randint(1, 2), twin.randint(1, 2)  # exactly two draws were spent (insertion, deletion)
    assert sample_rng(ctx).randint(0, 2 ** 30) == twin.randint(0, 2 ** 30)
    ok = TAText.parse("ok")
    assert CharInsertion(" ")(ok, 0, ctx) == [] and CharDeletion()(ok, 0, ctx) == []
    word = TAText.parse("movie")
    assert NeighbourCharSwap()(word, 0, ctx)[0] in {"mvoie", "moive"}  # positions 1..2, first/last kept


# -- search, goal and queries -------------------------------------------------------------------------------------

def test_pwws_ranks_by_weighted_saliency_and_counts_every_text() -> None:
    victim = RecordingVictim({"good": 1.0, "great": 1.2})
    recipe = build_recipe("pwws@textattack", tiny_resources())
    out = recipe.attack(victim, sample("the movie was good great"))
    assert out.attack == "pwws@textattack" and out.outcome == "succeeded"
    assert victim.texts[:-1] == [  # the last: the engine re-scoring the result, uncounted
        "the movie was good great",
        "the [UNK] was good great", "the movie was [UNK] great", "the movie was good [UNK]",  # saliency
        "the film was good great", "the picture was good great",  # each word's swaps on the original...
        "the movie was dear great", "the movie was fine great", "the movie was nice great",
        "the movie was good big", "the movie was good fine",  # ... sorted by text
        "the movie was good big", "the movie was good fine",  # "great" ranks first: asked again
        "the movie was dear big", "the movie was fine big", "the movie was nice big",  # re-chosen on the current
    ]
    assert out.queries == len(victim.texts) - 1 == 16  # already-asked texts count again, as in TextAttack
    # equal scores go to the alphabetically first text ("big" before "fine", "dear" before "fine")
    assert out.perturbed_text == "the movie was dear big"


def test_pwws_ignores_part_of_speech() -> None:
    res = tiny_resources()

    def no_tagger(tokens: list[str]) -> list[str]:
        raise AssertionError("TextAttack's PWWS does not tag")

    res.pos_tagger = no_tagger
    out = build_recipe("pwws", res, flavor="textattack").attack(KeywordVictim(), sample("the movie was good"))
    assert out.outcome == "succeeded" and out.perturbed_text == "the movie was dear"


def test_greedy_search_keeps_only_improving_swaps() -> None:
    # "movie" comes last and no swap of it helps: the failed result keeps it (the paper's PWWS would swap it)
    res = tiny_resources()
    res.wordnet_synonyms = lambda word, pos=None: {"movie": ["film"], "bad": ["poor"]}.get(word, [])
    out = build_recipe("pwws@textattack", res).attack(KeywordVictim(), sample("bad movie bad", label=0))
    assert out.outcome == "failed"
    assert out.perturbed_text == "poor movie poor"


def test_textfooler_candidates_order_and_queries() -> None:
    victim = RecordingVictim()
    out = build_recipe("textfooler@textattack", tiny_resources()).attack(victim, sample("the movie was good"))
    assert out.perturbed_text == "the movie was fine"
    # deletion scores (good first), then good's neighbours with cos >= 0.5 of its part of speech, sorted by text
    assert victim.texts[:-1] == ["the movie was good", "the was good", "the movie was ",
                            "the movie was fine", "the movie was great", "the movie was nice"]
    assert out.queries == 6


def long_text(word: str, noun: str = "film") -> str:
    return f"the {noun} {word} " + " ".join(f"w{i}" for i in range(14))


def test_textfooler_window_threshold_applies_to_texts_of_15_words_or_more() -> None:
    strict = tiny_resources(threshold=0.99)
    recipe = build_recipe("textfooler@textattack", strict)
    assert recipe.attack(KeywordVictim(), sample("the movie was good")).outcome == "succeeded"
    assert recipe.attack(KeywordVictim(), sample(long_text("good"))).outcome == "failed"


def test_textfooler_picks_the_success_most_similar_to_the_text_before_the_swap() -> None:
    res = tiny_resources(threshold=0.3)
    res.word_vectors = vectors({"good": 0, "fine": 0, "plot": 0, "nice": 0})
    res.pos_tagger = lambda tokens: ["ADJ"] * len(tokens)
    out = build_recipe("textfooler@textattack", res).attack(KeywordVictim(), sample(long_text("good", "plot")))
    # all three succeed equally; "plot", already in the window, overlaps more than "fine" (first by text)
    assert out.outcome == "succeeded" and out.perturbed_text == long_text("plot", "plot")


def test_textbugger_has_no_give_up_rule_and_uses_unfloored_neighbours() -> None:
    res = tiny_resources(threshold=0.3)
    res.word_vectors = vectors({"bad": 0, "poor": 0, "good": 1, "movie": 2, "film": 2, "plot": 3})
    out = build_recipe("textbugger@textattack", res).attack(KeywordVictim(), sample("the movie was bad", label=0))
    # "good" is among bad's 5 nearest words though orthogonal to it: TextAttack's Sub-W has no similarity floor
    assert out.outcome == "succeeded" and out.perturbed_text == "the movie was good"


def test_textbugger_similarity_filters_candidates_against_the_original() -> None:
    strict = tiny_resources(threshold=0.99)
    out = build_recipe("textbugger@textattack", strict).attack(KeywordVictim(), sample("the movie was good"))
    assert out.outcome == "failed" and out.perturbed_text is None


def test_already_wrong_samples_are_skipped_after_one_query() -> None:
    out = build_recipe("textfooler@textattack", tiny_resources()).attack(KeywordVictim(), sample("bad", label=1))
    assert out.outcome == "skipped" and out.queries == 1


def test_query_budget_cuts_the_candidate_list() -> None:
    recipe = build_recipe("pwws@textattack", tiny_resources())
    out = recipe.attack(KeywordVictim(), sample("the movie was good great"), budget=6)
    assert out.queries == 6 and out.outcome == "failed"


def test_hotflip_is_refused_as_textattack_refuses_it() -> None:
    with pytest.raises(ChainauditError, match="LSTMForClassification"):
        build_recipe("hotflip", tiny_resources(), flavor="textattack")
