"""Is a successful adversarial text still a valid one? Meaning kept, meaning flipped, checked on every success.

An attack's own constraint (its sentence-encoder threshold) cannot vouch for what it optimised: TextFooler and
TextBugger search for texts that pass exactly that check, and the word vectors of TextFooler, TextBugger and
white-box HotFlip are built from the same MiniLM here. So the verdict rests on evidence those searches never
saw, read word by word (a sentence score could be added only where it is independent):

* **Meaning kept.** The two texts are aligned word by word (whitespace tokens, `difflib`), and each change is
  judged (`Change.kind`): an inflection of the same word, or a substitute that shares a WordNet synset with the
  original *in a sense both words commonly have* (each sense's share of the word's SemCor counts, `cntlist.rev`,
  Laplace-smoothed; the original's senses in its part of speech in context, the substitute's over all its uses)
  keeps the meaning; a rare-sense synonym (PWWS's "last year" → "utmost year"), another real word one typo
  away ("bad" → "bed") or an unrelated word does not. A character bug that leaves a non-word within a few
  edits of the original (visually similar characters read as the letters they imitate: "g00d", "terrib1e",
  "b ad") stays readable and keeps it. A word moved, or a function word added or dropped, keeps it; a content
  word added or dropped does not.
  For recipes that do not optimise MiniLM (`INDEPENDENT_ENCODER`: PWWS, black-box HotFlip, the GAN) the MiniLM
  cosine of the two sentences can also be required to reach `Calibration.sentence_min`; never for the others,
  because a score the search maximised says nothing. The calibration switched it off (see `sentence_min`): the
  shipped check is lexical, independent of every recipe's encoder.
* **Meaning flipped.** A substitute that is a WordNet antonym of the original (direct, or through its
  similar-to head: `resources.wordnet.antonyms`), a polarity reversal in Pattern's sentiment lexicon ("charming"
  +0.5 → "cruel" -1.0: both beyond ±`Calibration.polarity_min`, `resources.lexicon`), or a negation added or
  removed ("not", "n't", "never", ...; a readable typo of a negation still negates).
* `valid` = kept and not flipped; a flipped text is never kept.

The thresholds (`CALIBRATION`) were fitted on hand-labelled SST-2 pairs made by chainaudit's own attacks
(`benchmarks/data/validity_labels.jsonl`, split calibrate / held-out); `benchmarks/validity_calibration.py`
refits them on the calibrate part and reports the held-out part (55 pairs: meaning kept precision 1.00, recall
0.43; meaning flipped precision 1.00, recall 0.86). The check is strict: it misses meaning kept through context
(an idiom, "short on thrills" → "light on thrills"; another part of speech, "humor" → "funny") and flips
through words Pattern's lexicon lacks ("affecting" → "sham"); read `valid_asr` as a lower bound and `asr` as
an upper one. Every resource is offline (WordNet, TextBlob's lexicons, MiniLM); a missing one raises
`ResourceMissingError`. Word-level judgements are cached; `ValidityChecker.check_many` encodes in one batch.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from chainaudit.resources import lexicon, pos
from chainaudit.resources import wordnet as wordnet_resource
from chainaudit.resources.stopwords import STOP_WORDS

if TYPE_CHECKING:
    from chainaudit.attacks.outcome import AttackOutcome

#: Stored with each verdict, so a recalibrated check is never mistaken for the old one.
VALIDITY_VERSION = "validity-1"
#: Recipes whose search never looks at MiniLM (nor at word vectors built from it): its sentence score is
#: independent evidence for them. Every other recipe (and any unknown one) is judged on words alone.
INDEPENDENT_ENCODER = frozenset({"pwws", "hotflip-blackbox", "gan"})
NEGATIONS = frozenset({"not", "no", "never", "n't", "nt", "nothing", "none", "nobody", "nowhere", "neither", "nor",
                       "cannot", "without", "hardly", "barely", "scarcely"})
#: Characters TextBugger's visual bugs put for letters, read back as those letters ("1" reads as l or i).
GLYPHS: dict[str, str] = {"0": "o", "@": "a", "3": "e", "$": "s", "5": "s", "7": "t", "6": "b", "8": "b", "9": "g",
                          "2": "z", "4": "a"}
_EDGE = ".,!?;:\"'()[]{}`«»“”‘’"
_POS = {"NOUN": "n", "VERB": "v", "ADJ": "a", "ADV": "r"}
Similarity = Callable[[Sequence[str], Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Calibration:
    """The check's thresholds (fitted by `benchmarks/validity_calibration.py`)."""

    #: A shared synset counts as a synonym when it has at least this share of each word's senses.
    sense_share_original: float = 0.15
    sense_share_substitute: float = 0.15
    #: Whether a substitute in a neighbouring synset (similar-to, also-see, hypernym, hyponym) keeps the meaning.
    related_keeps: bool = False
    #: A non-word is a readable typo within this many edits of the original word, when the original has at
    #: least `typo_min_length` letters (visual characters read as letters first).
    typo_max_edits: int = 2
    typo_min_length: int = 3
    #: A word not in WordNet counts as a real word when Norvig's list has it at least this often.
    word_min_count: int = 3
    #: Both polarities beyond ± this for a sentiment reversal.
    polarity_min: float = 0.3
    #: The least independent sentence similarity (MiniLM cosine) for meaning kept; None: not used. The fit left
    #: it out: on the labelled pairs it rejected readable swaps ("tedious" → "ho-hum", 0.64) and passed
    #: ungrammatical ones (0.9 and above), adding nothing the word checks did not already say.
    sentence_min: float | None = None


CALIBRATION = Calibration()


@dataclass(frozen=True)
class Change:
    """One aligned change: the original words, the adversarial ones, what it is, and its verdict."""

    original: str
    adversarial: str
    kind: str
    keeps: bool
    flips: bool = False
    note: str = ""

    def describe(self) -> str:
        return f"{self.original or '∅'}→{self.adversarial or '∅'} {self.kind}" + (f" ({self.note})" if self.note
                                                                                   else "")


@dataclass(frozen=True)
class Validity:
    """The verdict on one success. `score`: share of the changes that keep the meaning (1.0 with none);
    `similarity`: the independent sentence similarity, None when the recipe optimised the encoder."""

    meaning_kept: bool
    meaning_flipped: bool
    valid: bool
    why: str
    score: float
    similarity: float | None = None
    changes: tuple[Change, ...] = ()
    version: str = VALIDITY_VERSION

    #: Its columns in `attack_results` (NULL: not checked).
    COLUMNS: ClassVar[tuple[str, ...]] = ("valid", "meaning_kept", "meaning_flipped", "validity_score",
                                          "validity_similarity", "validity_why", "validity_version")

    def columns(self) -> dict[str, Any]:
        """The `attack_results` columns of this verdict."""
        values = (int(self.valid), int(self.meaning_kept), int(self.meaning_flipped), self.score, self.similarity,
                  self.why, self.version)
        return dict(zip(self.COLUMNS, values, strict=True))

    @classmethod
    def from_columns(cls, row: Mapping[str, Any]) -> Validity | None:
        """The verdict stored in a result row, None when the row was not checked (its changes are not stored)."""
        if row.get("valid") is None:
            return None
        return cls(bool(row["meaning_kept"]), bool(row["meaning_flipped"]), bool(row["valid"]),
                   row.get("validity_why") or "", row.get("validity_score") or 0.0, row.get("validity_similarity"),
                   version=row.get("validity_version") or "")


# ------------------------------------------------------------------------------------------------------- words
def tokens(text: str) -> list[str]:
    """Whitespace tokens, lowercased, edge punctuation stripped (visual characters inside a word kept)."""
    out = []
    for raw in text.split():
        word = raw.strip(_EDGE).lower()
        if word:
            out.append(word)
    return out


def osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, adjacent transpositions."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def readings(word: str) -> set[str]:
    """How a reader takes `word`: visual characters read as the letters they imitate ("g00d" → "good")."""
    if not any(ch.isalpha() for ch in word):
        return {word}
    out = {""}
    for ch in word:
        options = {"l", "i"} if ch == "1" else {GLYPHS.get(ch, ch)}
        out = {prefix + o for prefix in out for o in options}
        if len(out) > 16:
            break
    return out


@lru_cache(maxsize=100_000)
def is_word(word: str, min_count: int) -> bool:
    """A real English word: in WordNet (any inflection), a stop word, or frequent in Norvig's list."""
    if word in STOP_WORDS or word in NEGATIONS:
        return True
    if not word.isalpha() and "-" not in word and "'" not in word:
        return False
    with wordnet_resource._LOCK:
        if wordnet_resource.get_wordnet().synsets(word):
            return True
    return lexicon.word_count(word) >= min_count


def is_negation(word: str) -> bool:
    return word in NEGATIONS or word.endswith("n't")


@lru_cache(maxsize=100_000)
def sense_shares(word: str, wn_pos: str | None) -> dict[str, float]:
    """Each synset of `word` (in `wn_pos`, else any) → its share of the word's SemCor counts, Laplace-smoothed."""
    wn = wordnet_resource.get_wordnet()
    forms = wordnet_resource.base_forms(word)
    with wordnet_resource._LOCK:
        synsets = wn.synsets(word, pos=wn_pos)
        counts = {s.name(): sum(lemma.count() for lemma in s.lemmas() if lemma.name().lower() in forms)
                  for s in synsets}
    total = sum(counts.values()) + len(counts)
    return {name: (c + 1) / total for name, c in counts.items()}


@lru_cache(maxsize=50_000)
def _neighbours(synset_name: str) -> frozenset[str]:
    wn = wordnet_resource.get_wordnet()
    with wordnet_resource._LOCK:
        s = wn.synset(synset_name)
        near = [*s.similar_tos(), *s.also_sees(), *s.hypernyms(), *s.hyponyms(), *s.verb_groups()]
        return frozenset(n.name() for n in near)


def _polarity(word: str) -> float | None:
    value = lexicon.polarity(word)
    if value is None:
        for base in sorted(wordnet_resource.base_forms(word) - {word}):
            value = lexicon.polarity(base)
            if value is not None:
                break
    return value


def judge_word(original: str, adversarial: str, wn_pos: str | None, cal: Calibration = CALIBRATION) -> Change:
    """The verdict on one substituted word (both lowercased tokens), `wn_pos` the original's POS in context."""
    o, a = original, adversarial
    if o == a:
        return Change(o, a, "same", True)
    if is_negation(o) != is_negation(a):
        readable = is_negation(o) and any(osa_distance(o, r) <= 1 for r in readings(a)) and not is_word(
            a, cal.word_min_count)
        if not readable:
            return Change(o, a, "negation", False, True, "added" if is_negation(a) else "removed")
    if a in wordnet_resource.antonyms(o) or o in wordnet_resource.antonyms(a):
        return Change(o, a, "antonym", False, True)
    po, pa = _polarity(o), _polarity(a)
    if po is not None and pa is not None and min(abs(po), abs(pa)) >= cal.polarity_min and po * pa < 0:
        return Change(o, a, "polarity", False, True, f"{po:+.2f}→{pa:+.2f}")
    if wordnet_resource.base_forms(o) & wordnet_resource.base_forms(a) - {""}:
        return Change(o, a, "inflection", True)
    if not is_word(a, cal.word_min_count):
        edits = min(osa_distance(o, r) for r in readings(a))
        if edits == 0:
            return Change(o, a, "visual", True)
        if edits <= cal.typo_max_edits and len(o) >= cal.typo_min_length:
            return Change(o, a, "typo", True, note=f"{edits} edit(s)")
        return Change(o, a, "garbled", False, note=f"{edits} edit(s)")
    if o in STOP_WORDS and a in STOP_WORDS:
        return Change(o, a, "function-word", True)
    return _judge_senses(o, a, wn_pos, cal)


def _judge_senses(o: str, a: str, wn_pos: str | None, cal: Calibration) -> Change:
    # The original's senses in its part of speech in context; the substitute's among all its uses, so a noun
    # sense of a word that is nearly always an adjective ("treat" → "dainty") counts as rare.
    shares_o = sense_shares(o, wn_pos) or sense_shares(o, None)
    shares_a = sense_shares(a, None)
    shared = [(shares_o[s], shares_a[s]) for s in shares_o.keys() & shares_a.keys()]
    if shared:
        so, sa = max(shared, key=lambda p: min(p[0] / cal.sense_share_original, p[1] / cal.sense_share_substitute))
        note = f"sense share {so:.2f}/{sa:.2f}"
        if so >= cal.sense_share_original and sa >= cal.sense_share_substitute:
            return Change(o, a, "synonym", True, note=note)
        return Change(o, a, "rare-sense", False, note=note)
    frequent = [s for s, share in shares_o.items() if share >= cal.sense_share_original]
    if any(_neighbours(s) & shares_a.keys() for s in frequent):
        return Change(o, a, "related", cal.related_keeps)
    close = osa_distance(o, a) <= 2
    return Change(o, a, "other-word" if close else "unrelated", False)


# ------------------------------------------------------------------------------------------------------ texts
def align(original: Sequence[str], adversarial: Sequence[str]) -> list[tuple[list[str], list[str]]]:
    """The changed spans of two token lists: (original tokens, adversarial tokens), in order."""
    matcher = difflib.SequenceMatcher(None, list(original), list(adversarial), autojunk=False)
    return [(list(original[i1:i2]), list(adversarial[j1:j2]))
            for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]


def _joined(words: Sequence[str]) -> str:
    return "".join(words).replace("'", "").replace("’", "")


def judge_span(o_words: list[str], a_words: list[str], o_all: Sequence[str], a_all: Sequence[str],
               pos_of: dict[str, str | None], cal: Calibration) -> list[Change]:
    """Changes of one aligned span: word by word when lengths match, else a split or merged word, moved,
    added or dropped words."""
    if len(o_words) == len(a_words):
        return [judge_word(o, a, pos_of.get(o), cal) for o, a in zip(o_words, a_words, strict=True)]
    if o_words and a_words and _joined(o_words) == _joined(a_words):
        return [Change(" ".join(o_words), " ".join(a_words), "split", True)]
    if (len(o_words) == 1 and len(a_words) > 1) or (len(a_words) == 1 and len(o_words) > 1):
        joined = judge_word(_joined(o_words), _joined(a_words), pos_of.get(o_words[0]), cal)
        if joined.kind in ("visual", "typo", "same"):
            return [Change(" ".join(o_words), " ".join(a_words), "split-" + joined.kind, True, note=joined.note)]
    out = []
    for word, other, side in [*((w, a_all, "dropped") for w in o_words), *((w, o_all, "added") for w in a_words)]:
        pair = (word, "") if side == "dropped" else ("", word)
        if is_negation(word):
            out.append(Change(*pair, "negation", False, True, side))
        elif word in other:
            out.append(Change(*pair, "moved", True))
        elif word in STOP_WORDS or not any(ch.isalnum() for ch in word):
            out.append(Change(*pair, "function-word", True, note=side))
        else:
            out.append(Change(*pair, side, False))
    return out


def _pos_map(words: list[str]) -> dict[str, str | None]:
    tags = pos.tag(words) if words else []
    return {w: _POS.get(t) for w, t in zip(words, tags, strict=True)}


def base_recipe(recipe: str) -> str:
    """`pwws@openattack` → `pwws`."""
    return recipe.partition("@")[0]


def verdict(changes: Sequence[Change], similarity: float | None, cal: Calibration = CALIBRATION) -> Validity:
    """Combine the word verdicts and the independent sentence similarity (see the module docstring)."""
    flipped = any(c.flips for c in changes)
    words_keep = all(c.keeps for c in changes)
    sentence_keeps = similarity is None or cal.sentence_min is None or similarity >= cal.sentence_min
    kept = words_keep and sentence_keeps and not flipped
    score = sum(c.keeps for c in changes) / len(changes) if changes else 1.0
    bad = [c for c in changes if c.flips] or [c for c in changes if not c.keeps]
    parts = [c.describe() for c in (bad if bad else changes)[:4]]
    if not sentence_keeps:
        parts.append(f"sentence similarity {similarity:.2f} < {cal.sentence_min}")
    head = "flipped" if flipped else "kept" if kept else "changed"
    why = f"{head}: " + ("; ".join(parts) if parts else "no word changed")
    if similarity is not None and sentence_keeps:
        why += f"; sentence similarity {similarity:.2f}"
    return Validity(kept, flipped, kept and not flipped, why[:400], score, similarity, tuple(changes))


class ValidityChecker:
    """The check with its thresholds and (independent recipes only) a sentence similarity function; the
    default similarity is the MiniLM encoder's, loaded on first use."""

    def __init__(self, calibration: Calibration = CALIBRATION, similarity: Similarity | None = None) -> None:
        self.calibration = calibration
        self._similarity = similarity

    def similarity(self) -> Similarity:
        if self._similarity is None:
            from chainaudit.resources.encoder import get_encoder

            self._similarity = get_encoder().similarity
        return self._similarity

    def changes(self, original: str, adversarial: str) -> list[Change]:
        """Every aligned change between the two texts, judged."""
        o_all, a_all = tokens(original), tokens(adversarial)
        spans = align(o_all, a_all)
        pos_of = _pos_map(o_all) if spans else {}
        return [c for o, a in spans for c in judge_span(o, a, o_all, a_all, pos_of, self.calibration)]

    def check_many(self, items: Sequence[tuple[str, str, str]]) -> list[Validity]:
        """Verdicts for (original, adversarial, recipe) triples; one encoder call for the independent ones."""
        independent = [i for i, (_, _, r) in enumerate(items) if base_recipe(r) in INDEPENDENT_ENCODER]
        sims: dict[int, float] = {}
        if independent and self.calibration.sentence_min is not None:
            values = self.similarity()([items[i][0] for i in independent], [items[i][1] for i in independent])
            sims = {i: float(v) for i, v in zip(independent, values, strict=True)}
        return [verdict(self.changes(o, a), sims.get(i), self.calibration) for i, (o, a, _) in enumerate(items)]

    def check(self, original: str, adversarial: str, recipe: str) -> Validity:
        return self.check_many([(original, adversarial, recipe)])[0]


@lru_cache(maxsize=1)
def default_checker() -> ValidityChecker:
    """The process-wide checker with the calibrated thresholds."""
    return ValidityChecker()


def check(original: str, adversarial: str, recipe: str) -> Validity:
    """Is `adversarial` (a success of `recipe` on `original`) still a valid adversarial text? See the module."""
    return default_checker().check(original, adversarial, recipe)



def checked(outcome: AttackOutcome, checker: ValidityChecker | None = None) -> AttackOutcome:
    """`outcome` with its validity: a success with an adversarial text is checked (once: a checked one is kept
    as it is); every other outcome has none."""
    if outcome.outcome != "succeeded" or outcome.perturbed_text is None:
        return dataclasses.replace(outcome, validity=None) if outcome.validity else outcome
    if outcome.validity is not None:
        return outcome
    verdict_ = (checker or default_checker()).check(outcome.sample.text, outcome.perturbed_text, outcome.attack)
    return dataclasses.replace(outcome, validity=verdict_)
