"""OpenAttack 2.1.1's five TextBugger bugs, reproduced with the same random calls in the same order.

Quirks reproduced (`attackers/textbugger/__init__.py`, `generateBugs`, `bug_insert`, `bug_delete`, `bug_swap`,
`bug_sub_C`, `bug_sub_W`, `get_key_neighbors`):

* a word of at most 2 characters gets no bug (all five are the word itself) and draws no random number;
* insert: a space at a random inner position, only for words shorter than 6 characters;
* delete: one random inner character (never the first or last);
* swap: two random distinct inner characters, not necessarily adjacent, only for words longer than 4;
* sub_C: ONE random position (first and last included); if its character has neighbours (lowercase letters
  only) it becomes a random one of them: keyboard neighbours (OpenAttack's table, whose "q" row reads "was")
  then visually similar digits; else the bug is the word itself;
* sub_W: the first WordNet candidate over all POS (`openattack_substitute`), not a word-vector neighbour;
* random numbers: `randint` / `sample` of a `random.Random`, drawn insert, delete, swap, sub_C.
"""

from __future__ import annotations

import random
from collections.abc import Callable

_KEYBOARD = ("q:was w:qeasd e:wrsdf r:etdfg t:ryfgh y:tughj u:yihjk i:uojkl o:ipkl p:ol a:qwszx s:qweadzx "
             "d:wersfxc f:ertdgcv g:rtyfhvb h:tyugjbn j:yuihknm k:uiojlm l:opk z:asx x:sdzc c:dfxv v:fgcb "
             "b:ghvn n:hjbm m:jkn")
_VISUAL = "i1 l1 z2 e3 a4 s5 g6 b8 g9 q9 o0"


def _neighbours() -> dict[str, str]:
    table = dict(entry.split(":") for entry in _KEYBOARD.split())
    for pair in _VISUAL.split():
        table[pair[0]] += pair[1]
    return table


#: Character -> the characters `bug_sub_C` may put in its place, in OpenAttack's order.
KEY_NEIGHBOURS: dict[str, str] = _neighbours()


def generate_bugs(word: str, rng: random.Random, sub_w: Callable[[str], str]) -> list[str]:
    """[insert, delete, swap, sub_C, sub_W] of `word` (a bug that cannot apply is the word itself)."""
    if len(word) <= 2:
        return [word] * 5
    return [_insert(word, rng), _delete(word, rng), _swap(word, rng), _sub_c(word, rng), sub_w(word)]


def _insert(word: str, rng: random.Random) -> str:
    if len(word) >= 6:
        return word
    point = rng.randint(1, len(word) - 1)
    return word[:point] + " " + word[point:]


def _delete(word: str, rng: random.Random) -> str:
    point = rng.randint(1, len(word) - 2)
    return word[:point] + word[point + 1:]


def _swap(word: str, rng: random.Random) -> str:
    if len(word) <= 4:
        return word
    a, b = rng.sample(range(1, len(word) - 1), 2)
    chars = list(word)
    chars[a], chars[b] = chars[b], chars[a]
    return "".join(chars)


def _sub_c(word: str, rng: random.Random) -> str:
    point = rng.randint(0, len(word) - 1)
    choices = KEY_NEIGHBOURS.get(word[point])
    if choices is None:
        return word
    return word[:point] + choices[rng.randint(0, len(choices) - 1)] + word[point + 1:]
