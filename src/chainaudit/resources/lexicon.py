"""Two word lists that ship inside TextBlob's PyPI wheel (no download), for the validity check of attacks:

* `polarity(word)` — Pattern's sentiment lexicon (`textblob/en/en-sentiment.xml`, De Smedt & Daelemans 2012):
  2,918 word senses, mostly adjectives from product and movie reviews, each with a polarity in [-1, 1]; a form
  with several senses takes their mean (as TextBlob does). None for a word the lexicon lacks.
* `word_count(word)` — Norvig's spelling frequency list (`textblob/en/en-spelling.txt`: ~30k words from Project
  Gutenberg books, Wiktionary and BNC frequency lists): how often the word occurs there, 0 when it never does.

Both raise `ResourceMissingError` when TextBlob (or one of its files) is absent.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

from chainaudit.errors import ResourceMissingError

HOW_TO_GET = "pip install textblob  (the lexicons ship inside the wheel; no download)"


def lexicon_file(name: str) -> Path:
    """`textblob/en/<name>`, or `ResourceMissingError`."""
    try:
        import textblob
    except ImportError as exc:
        raise ResourceMissingError(f"textblob is not installed; get it with: {HOW_TO_GET}") from exc
    path = Path(textblob.__file__).parent / "en" / name
    if not path.is_file():
        raise ResourceMissingError(f"textblob's {name} is missing at {path}; reinstall: {HOW_TO_GET}")
    return path


@lru_cache(maxsize=1)
def _polarities() -> dict[str, float]:
    senses: dict[str, list[float]] = {}
    for node in ET.parse(lexicon_file("en-sentiment.xml")).getroot().iter("word"):
        form, value = node.get("form"), node.get("polarity")
        if form and value is not None:
            senses.setdefault(form.lower(), []).append(float(value))
    return {form: sum(values) / len(values) for form, values in senses.items()}


@lru_cache(maxsize=1)
def _counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in lexicon_file("en-spelling.txt").read_text(encoding="utf-8").splitlines():
        word, _, count = line.partition(" ")
        if word and not word.startswith(";;;") and count.strip().isdigit():
            counts[word.lower()] = int(count)
    return counts


def polarity(word: str) -> float | None:
    """Mean polarity of `word`'s senses in Pattern's lexicon (-1 negative … 1 positive), None when absent."""
    return _polarities().get(word.lower())


def word_count(word: str) -> int:
    """How often `word` occurs in Norvig's frequency list (0: never)."""
    return _counts().get(word.lower(), 0)
