"""TextFooler's stop words: function words and negations stay; content words are attackable."""

from __future__ import annotations

from chainaudit.resources import STOP_WORDS


def test_textfooler_list() -> None:
    assert len(STOP_WORDS) == 266
    assert {"the", "a", "and", "of", "is", "it's", "you're"} <= STOP_WORDS
    assert all(w == w.lower() for w in STOP_WORDS)


def test_negations_are_kept_as_in_the_paper() -> None:
    assert {"not", "no", "never", "nor", "nothing", "didn't", "don't", "won't", "t", "don"} <= STOP_WORDS


def test_content_words_are_not_stop_words() -> None:
    assert not {"movie", "good", "bad", "film", "great", "boring", "love"} & STOP_WORDS
