"""WordNet: found offline (nltk_data or Debian files + generated lexnames), synonyms, antonyms, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainaudit import settings
from chainaudit.errors import ResourceMissingError
from chainaudit.resources import wordnet


def test_lexnames_table_is_the_45_rows_of_the_man_page() -> None:
    lines = wordnet.lexnames_text().splitlines()
    assert len(lines) == 45
    assert lines[0] == "00\tadj.all\t3"
    assert lines[3] == "03\tnoun.Tops\t1"
    assert lines[29] == "29\tverb.body\t2"
    assert lines[44] == "44\tadj.ppl\t3"


def test_synonyms_of_common_words() -> None:
    assert {"estimable", "honorable", "respectable", "beneficial"} <= set(wordnet.synonyms("good", "adj"))
    assert {"film", "picture", "flick"} <= set(wordnet.synonyms("movie", "noun"))
    assert "good" not in wordnet.synonyms("good")
    assert all(w == w.lower() and "_" not in w and " " not in w for w in wordnet.synonyms("movie"))


def test_synonyms_pos_filter_and_multiword() -> None:
    assert "film" in wordnet.synonyms("movie", "NOUN")
    assert wordnet.synonyms("movie", "verb") == []
    assert wordnet.synonyms("the", "DET") == []
    assert "motion picture" in wordnet.synonyms("movie", multiword=True)
    with pytest.raises(ValueError, match="unknown part of speech"):
        wordnet.synonyms("movie", "nounish")


def test_antonyms() -> None:
    assert "bad" in wordnet.antonyms("good")
    assert "evil" in wordnet.antonyms("good", indirect=False)
    assert "terrible" in wordnet.antonyms("good")  # a satellite of "bad": an indirect antonym
    assert "terrible" not in wordnet.antonyms("good", indirect=False)
    assert "hate" in wordnet.antonyms("loved")  # through the base form "love"
    assert "inferior" in wordnet.antonyms("excellent")  # a satellite takes its head's antonyms
    assert wordnet.antonyms("movie") == set()


def test_reader_is_nltk_and_cached() -> None:
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    wn = wordnet.get_wordnet()
    assert isinstance(wn, WordNetCorpusReader)
    assert wordnet.get_wordnet() is wn
    assert wn.get_version() == "3.0"
    assert wn.synset("good.a.01").lexname() == "adj.all"


def test_missing_wordnet_names_the_apt_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ResourceMissingError, match="apt-get install wordnet-base wordnet-sense-index") as err:
        wordnet.find_wordnet(search_dirs=[tmp_path], nltk_paths=[tmp_path])
    assert str(tmp_path) in str(err.value)
    assert "nltk.downloader wordnet" in str(err.value)
    monkeypatch.setenv(settings.WORDNET_DIR_ENV, str(tmp_path))
    with pytest.raises(ResourceMissingError, match=settings.WORDNET_DIR_ENV):
        wordnet.find_wordnet()
    (tmp_path / "data.noun").write_text("", encoding="utf-8")  # wordnet-base without wordnet-sense-index
    with pytest.raises(ResourceMissingError, match=r"lacks .*index\.sense"):
        wordnet.find_wordnet()


def test_system_folder_is_copied_with_lexnames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = wordnet.find_wordnet().source
    if not wordnet._has_files(source, wordnet.REQUIRED_FILES) or (source / "lexnames").exists():
        pytest.skip("this machine's WordNet is not a Debian-style folder without lexnames")
    monkeypatch.setenv("CHAINAUDIT_CACHE", str(tmp_path))
    found = wordnet.find_wordnet(search_dirs=[source], nltk_paths=[])
    root = Path(found.root)
    assert found.kind == "system" and root.is_relative_to(tmp_path)
    assert (root / "lexnames").read_text() == wordnet.lexnames_text()
    assert not any(p.is_symlink() for p in root.iterdir())  # NLTK refuses links
    assert wordnet.find_wordnet(search_dirs=[source], nltk_paths=[]).root == root  # reused, not re-copied
    reader = wordnet.load_wordnet(found)
    assert "film" in {name for s in reader.synsets("movie") for name in s.lemma_names()}


def test_nltk_data_zip_and_folder_are_used_as_they_are(tmp_path: Path) -> None:
    import shutil
    import zipfile

    source = Path(wordnet.get_wordnet().root.path)  # a folder with lexnames (nltk_data or chainaudit's copy)
    names = [*wordnet.REQUIRED_FILES, *wordnet.OPTIONAL_FILES, "lexnames"]  # a zip must hold all of them
    zipped = tmp_path / "zipped"
    (zipped / "corpora").mkdir(parents=True)
    with zipfile.ZipFile(zipped / "corpora" / "wordnet.zip", "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("wordnet/", "")
        for name in names:
            zf.write(source / name, f"wordnet/{name}")
    found = wordnet.find_wordnet(search_dirs=[], nltk_paths=[zipped])
    assert found.kind == "nltk_data" and found.source.name == "wordnet.zip"
    assert "film" in wordnet.load_wordnet(found).synsets("movie")[0].lemma_names()
    plain = tmp_path / "plain" / "corpora" / "wordnet"
    plain.mkdir(parents=True)
    for name in names:
        shutil.copyfile(source / name, plain / name)
    found = wordnet.find_wordnet(search_dirs=[], nltk_paths=[tmp_path / "plain"])
    assert found.kind == "nltk_data" and Path(found.root) == plain
    assert len(found.sha256()) == 64


def test_inflections_read_every_analysis() -> None:
    from chainaudit.resources.wordnet import inflections

    assert inflections("movies") == {("n", "plural")}
    assert ("v", "past") in inflections("played") and ("v", "past") not in inflections("player")
    assert {("n", "plural"), ("v", "s")} <= inflections("films")
    assert inflections("xqzzyv") == frozenset()
