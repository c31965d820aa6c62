"""WordNet 3.0 through NLTK's reader: from nltk_data when a user has it, else from the Debian files.

Where WordNet is looked for, in order:

1. `$CHAINAUDIT_WORDNET_DIR` — when set, only there: a WordNet dict folder (data.noun, index.noun, ...) or
   an nltk_data `corpora/wordnet` folder;
2. nltk_data: `corpora/wordnet/` or `corpora/wordnet.zip` on `nltk.data.path` (`python -m nltk.downloader wordnet`);
3. system WordNet dict folders: `$WNSEARCHDIR`, `/usr/share/wordnet` (Debian/Ubuntu `wordnet-base`),
   `/usr/local/WordNet-3.0/dict`, `/usr/local/share/wordnet`, `/opt/homebrew/share/wordnet`.

A system folder is not read in place: NLTK (>= 3.9) opens corpus files only under an nltk_data root and
refuses symlinks and hard links, and Debian omits the `lexnames` file the reader needs. So the files are
copied once (~35 MB) into `$CHAINAUDIT_CACHE/nltk_data/corpora/wordnet/`, `lexnames` is written from
`LEXNAMES` (the table of the lexnames(5WN) man page), and that nltk_data root is added to `nltk.data.path`.
The copy is redone when the source files change.
"""

from __future__ import annotations

import os
import shutil
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chainaudit import settings
from chainaudit.errors import ResourceMissingError
from chainaudit.resources.cache import cache_dir, sha256_file, sha256_files

if TYPE_CHECKING:
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

SYSTEM_DIRS = ("/usr/share/wordnet", "/usr/local/WordNet-3.0/dict", "/usr/local/share/wordnet",
               "/opt/homebrew/share/wordnet")
APT_COMMAND = "apt-get install wordnet-base wordnet-sense-index"
HOW_TO_GET = (f"`sudo {APT_COMMAND}` (Debian/Ubuntu), or `python -m nltk.downloader wordnet`, or set "
              f"${settings.WORDNET_DIR_ENV} to a WordNet 3.0 dict folder")

_SUFFIXES = ("noun", "verb", "adj", "adv")
#: What NLTK's reader opens on start (index.sense: Debian's `wordnet-sense-index`); lexnames we can write.
REQUIRED_FILES = (*(f"{kind}.{s}" for kind in ("data", "index") for s in _SUFFIXES),
                  *(f"{s}.exc" for s in _SUFFIXES), "index.sense")
#: Used by `Lemma.count()` only; copied when present.
OPTIONAL_FILES = ("cntlist.rev",)

#: lexnames(5WN): file number (the row index), lexicographer file name, syntactic category
#: (1 noun, 2 verb, 3 adjective, 4 adverb).
LEXNAMES: tuple[tuple[str, int], ...] = (
    ("adj.all", 3), ("adj.pert", 3), ("adv.all", 4), ("noun.Tops", 1), ("noun.act", 1), ("noun.animal", 1),
    ("noun.artifact", 1), ("noun.attribute", 1), ("noun.body", 1), ("noun.cognition", 1),
    ("noun.communication", 1), ("noun.event", 1), ("noun.feeling", 1), ("noun.food", 1), ("noun.group", 1),
    ("noun.location", 1), ("noun.motive", 1), ("noun.object", 1), ("noun.person", 1), ("noun.phenomenon", 1),
    ("noun.plant", 1), ("noun.possession", 1), ("noun.process", 1), ("noun.quantity", 1), ("noun.relation", 1),
    ("noun.shape", 1), ("noun.state", 1), ("noun.substance", 1), ("noun.time", 1), ("verb.body", 2),
    ("verb.change", 2), ("verb.cognition", 2), ("verb.communication", 2), ("verb.competition", 2),
    ("verb.consumption", 2), ("verb.contact", 2), ("verb.creation", 2), ("verb.emotion", 2), ("verb.motion", 2),
    ("verb.perception", 2), ("verb.possession", 2), ("verb.social", 2), ("verb.stative", 2), ("verb.weather", 2),
    ("adj.ppl", 3),
)

#: Accepted POS names -> WordNet POS letter ("a" covers adjective satellites too in NLTK).
POS_NAMES = {"noun": "n", "verb": "v", "adj": "a", "adv": "r", "n": "n", "v": "v", "a": "a", "s": "a", "r": "r",
             "NOUN": "n", "VERB": "v", "ADJ": "a", "ADV": "r"}
#: Universal tags with no WordNet entries: words so tagged have no synonyms.
CLOSED_CLASS_TAGS = frozenset({"DET", "PRON", "ADP", "NUM", "CONJ", "CCONJ", "SCONJ", "PRT", "PART", "AUX",
                               "PROPN", "INTJ", ".", "PUNCT", "SYM", "X"})


@dataclass(frozen=True)
class WordNetLocation:
    """Where WordNet was found: `root` is what the reader opens, `source` where the files came from."""

    root: Any  # a Path, or an NLTK ZipFilePathPointer for corpora/wordnet.zip
    source: Path
    kind: str  # "nltk_data" or "system"
    data_root: Path  # the nltk_data root that must be on nltk.data.path

    def sha256(self) -> str:
        """Digest of the files the reader uses (the zip itself for a zipped corpus)."""
        if self.kind == "nltk_data" and self.source.suffix == ".zip":
            return sha256_file(self.source)
        root = Path(self.root)
        return sha256_files([root / name for name in (*REQUIRED_FILES, "lexnames")])


def lexnames_text() -> str:
    """The `lexnames` file NLTK's reader needs: `NN<TAB>name<TAB>category` per row."""
    return "".join(f"{i:02d}\t{name}\t{cat}\n" for i, (name, cat) in enumerate(LEXNAMES))


def _own_nltk_root() -> Path:
    return cache_dir("nltk_data")


def system_dirs() -> list[Path]:
    """Folders searched for system WordNet files (`$CHAINAUDIT_WORDNET_DIR` alone when set)."""
    explicit = settings.wordnet_dir()
    if explicit is not None:
        return [explicit]
    own = settings.wordnet_search_dir()
    return [*([own] if own is not None else []), *(Path(d) for d in SYSTEM_DIRS)]


def _nltk_paths() -> list[Path]:
    if settings.wordnet_dir() is not None:
        return []
    import nltk

    return [Path(str(p)).expanduser() for p in nltk.data.path]


def _has_files(folder: Path, names: Sequence[str]) -> bool:
    return all((folder / name).is_file() for name in names)


def find_wordnet(search_dirs: Sequence[Path] | None = None,
                 nltk_paths: Sequence[Path] | None = None) -> WordNetLocation:
    """Locate WordNet (see the module docstring); raise `ResourceMissingError` naming how to get it."""
    search_dirs = system_dirs() if search_dirs is None else list(search_dirs)
    nltk_paths = _nltk_paths() if nltk_paths is None else list(nltk_paths)
    own = _own_nltk_root().resolve()
    for data_root in nltk_paths:
        if data_root.resolve() == own:
            continue
        folder, archive = data_root / "corpora" / "wordnet", data_root / "corpora" / "wordnet.zip"
        if (folder / "chainaudit-source.txt").is_file():
            continue  # a copy chainaudit made (under another $CHAINAUDIT_CACHE): report the real source
        if _has_files(folder, (*REQUIRED_FILES, "lexnames")):
            return WordNetLocation(folder, folder, "nltk_data", data_root)
        if archive.is_file():
            import nltk

            _register(data_root)  # NLTK opens zips only under a registered data root
            try:
                pointer = nltk.data.find("corpora/wordnet.zip/wordnet/", paths=[str(data_root)])
            except LookupError as exc:
                raise ResourceMissingError(f"{archive} is not a usable WordNet corpus ({str(exc).strip()[:300]}). "
                                           f"Get WordNet with {HOW_TO_GET}.") from exc
            return WordNetLocation(pointer, archive, "nltk_data", data_root)
    incomplete = []
    for folder in search_dirs:
        if _has_files(folder, REQUIRED_FILES):
            return WordNetLocation(_reader_folder(folder), folder, "system", _own_nltk_root())
        if (folder / "data.noun").is_file():
            missing = ", ".join(name for name in REQUIRED_FILES if not (folder / name).is_file())
            incomplete.append(f"{folder} lacks {missing}")
    where = ", ".join(str(p) for p in [*nltk_paths, *search_dirs]) or "(nowhere)"
    note = f" ({'; '.join(incomplete)})" if incomplete else ""
    raise ResourceMissingError(f"WordNet 3.0 not found (looked in: {where}){note}. Get it with {HOW_TO_GET}.")


def _manifest(source: Path) -> str:
    lines = [f"source\t{source.resolve()}"]
    for name in (*REQUIRED_FILES, *OPTIONAL_FILES):
        path = source / name
        if path.is_file():
            stat = path.stat()
            lines.append(f"{name}\t{stat.st_size}\t{stat.st_mtime_ns}")
    return "\n".join(lines) + "\n"


def _reader_folder(source: Path) -> Path:
    """Copy a system WordNet folder (+ generated lexnames) under the chainaudit nltk_data root, once."""
    target = _own_nltk_root() / "corpora" / "wordnet"
    manifest = _manifest(source)
    stamp = target / "chainaudit-source.txt"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == manifest:
        return target
    staging = target.with_name(f".wordnet-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in (*REQUIRED_FILES, *OPTIONAL_FILES, "lexnames"):
        if (source / name).is_file():
            shutil.copyfile(source / name, staging / name)  # a real copy: NLTK refuses links
    if not (staging / "lexnames").is_file():
        (staging / "lexnames").write_text(lexnames_text(), encoding="utf-8")
    (staging / "chainaudit-source.txt").write_text(manifest, encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    try:
        staging.rename(target)
    except OSError:  # another process finished the same copy first
        shutil.rmtree(staging, ignore_errors=True)
        if not (stamp.is_file() and stamp.read_text(encoding="utf-8") == manifest):
            raise
    return target


def _register(data_root: Path) -> None:
    """Add an nltk_data root to `nltk.data.path` (NLTK reads corpus files only under those)."""
    import nltk

    if str(data_root) not in [str(p) for p in nltk.data.path]:
        nltk.data.path.append(str(data_root))


def load_wordnet(location: WordNetLocation) -> WordNetCorpusReader:
    """An NLTK `WordNetCorpusReader` over `location` (registers its nltk_data root with NLTK)."""
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    _register(location.data_root)
    with warnings.catch_warnings():  # "multilingual functions are not available": we pass no OMW reader
        warnings.filterwarnings("ignore", message=".*multilingual functions.*")
        root = str(location.root) if isinstance(location.root, Path) else location.root
        return WordNetCorpusReader(root, None)


#: NLTK's reader shares open files and seeks them: concurrent lookups (cross-sample batched attacks run
#: samples in threads) read each other's lines. Every lookup below holds this lock.
_LOCK = threading.RLock()


@lru_cache(maxsize=1)
def get_wordnet() -> WordNetCorpusReader:
    """The WordNet reader, found and loaded once per process (callers that read it hold `_LOCK`)."""
    return load_wordnet(find_wordnet())


def wordnet_pos(pos: str | None) -> str | None:
    """WordNet POS letter for "noun"/"verb"/"adj"/"adv" (also universal tags and letters), None for any."""
    if pos is None:
        return None
    try:
        return POS_NAMES[pos]
    except KeyError:
        raise ValueError(f"unknown part of speech {pos!r}: use noun, verb, adj, adv (or NOUN, VERB, ADJ, ADV)"
                         ) from None


def base_forms(word: str) -> set[str]:
    """The word (lowercased) and its WordNet base forms in any POS ("movies" -> {"movies", "movie"})."""
    wn = get_wordnet()
    word = word.lower()
    forms = {word}
    with _LOCK:
        for pos in ("n", "v", "a", "r"):
            base = wn.morphy(word, pos)
            if base:
                forms.add(base.lower())
    return forms


_SUPERLATIVES = frozenset({"best", "worst", "most", "least"})


def _form(word: str, base: str, pos: str) -> str:
    """How `word` inflects `base` in WordNet part of speech `pos`: base, plural, s, ing, past, comp or sup."""
    if word == base:
        return "base"
    if pos == "n":
        return "plural"
    if pos == "v":
        if word.endswith("ing"):
            return "ing"
        return "s" if word.endswith("s") and not word.endswith("ss") else "past"
    return "sup" if word.endswith("est") or word in _SUPERLATIVES else "comp"


@lru_cache(maxsize=100_000)
def inflections(word: str) -> frozenset[tuple[str, str]]:
    """Every (WordNet POS, inflection) reading of `word`: "movies" -> {("n", "plural")}, "films" -> {("n",
    "plural"), ("v", "s")}, "played" -> {("v", "past")}; empty for a word WordNet does not know in any form."""
    wn = get_wordnet()
    word = word.lower()
    readings: set[tuple[str, str]] = set()
    with _LOCK:
        for pos in ("n", "v", "a", "r"):
            for base in wn._morphy(word, pos):  # every analysis, not only morphy()'s first
                readings.add(("a" if pos == "s" else pos, _form(word, base.lower(), pos)))
    return frozenset(readings)


@lru_cache(maxsize=50_000)
def _synonyms(word: str, pos: str | None, multiword: bool) -> tuple[str, ...]:
    wn = get_wordnet()
    out: dict[str, None] = {}
    for synset in wn.synsets(word, pos=pos):
        for name in synset.lemma_names():
            name = name.lower()
            if "_" in name:
                if not multiword:
                    continue
                name = name.replace("_", " ")
            if name != word:
                out.setdefault(name)
    return tuple(out)


def synonyms(word: str, pos: str | None = None, *, multiword: bool = False) -> list[str]:
    """WordNet synonyms of `word` (lowercase, most frequent senses first, without the word itself).

    `pos` is "noun", "verb", "adj", "adv" (or a universal tag, or None for all); closed-class tags such as
    DET give []. Multi-word lemmas are skipped unless `multiword`, which returns them with spaces.
    """
    if pos in CLOSED_CLASS_TAGS:
        return []
    with _LOCK:
        return list(_synonyms(word.lower(), wordnet_pos(pos), multiword))


def _opposites(lemma: Any, indirect: bool) -> set[str]:
    """Names of a lemma's antonyms; with `indirect`, also their synsets' lemmas and satellites."""
    out: set[str] = set()
    for antonym in lemma.antonyms():
        out.add(antonym.name())
        if indirect:
            synset = antonym.synset()
            out.update(synset.lemma_names())
            out.update(name for sat in synset.similar_tos() for name in sat.lemma_names())
    return out


@lru_cache(maxsize=50_000)
def _antonyms(word: str, indirect: bool) -> frozenset[str]:
    wn = get_wordnet()
    forms = base_forms(word)
    out: set[str] = set()
    for synset in wn.synsets(word):
        if not any(name.lower() in forms for name in synset.lemma_names()):
            continue
        lemmas = [lemma for lemma in synset.lemmas() if lemma.name().lower() in forms]
        if synset.pos() == "s":  # a satellite has no antonym of its own: use its head's (WordNet's indirect ones)
            lemmas += [lemma for head in synset.similar_tos() for lemma in head.lemmas()]
        for lemma in lemmas:
            out |= _opposites(lemma, indirect)
    return frozenset(name.lower().replace("_", " ") for name in out) - {word}


def antonyms(word: str, *, indirect: bool = True) -> set[str]:
    """WordNet antonyms of `word` in any sense, lowercased ("good" -> {"bad", "evil", "ill", ...}).

    Direct antonyms of the word's lemmas; an adjective satellite takes its head's ("excellent" is similar
    to "superior", whose antonym is "inferior"). With `indirect` (default) also WordNet's indirect
    antonyms: the other lemmas of each antonym's synset and the satellites of an antonym adjective
    ("good" -> "bad" -> "awful", "terrible", ...; "boring" -> "interesting" -> "entertaining", ...).
    """
    with _LOCK:
        return set(_antonyms(word.lower(), indirect))
