"""Offline POS tagging (Pattern's Brill tagger from the textblob wheel) on a hand-tagged sample."""

from __future__ import annotations

from chainaudit.resources import pos

#: Hand-tagged (universal tagset, Petrov et al. 2012), SST-style lowercase tokenised sentences.
SAMPLE = (
    "the/DET film/NOUN is/VERB a/DET charming/ADJ and/CONJ often/ADV affecting/ADJ journey/NOUN ./.",
    "it/PRON 's/VERB not/ADV a/DET bad/ADJ movie/NOUN ,/. "
    "but/CONJ the/DET script/NOUN is/VERB painfully/ADV slow/ADJ ./.",
    "the/DET actors/NOUN played/VERB their/PRON roles/NOUN beautifully/ADV "
    "and/CONJ the/DET music/NOUN never/ADV stops/VERB ./.",
    "i/PRON loved/VERB every/DET minute/NOUN of/ADP this/DET wonderful/ADJ story/NOUN ./.",
    "a/DET dull/ADJ ,/. boring/ADJ mess/NOUN that/DET wastes/VERB a/DET talented/ADJ cast/NOUN ./.",
    "the/DET director/NOUN does/VERB a/DET fine/ADJ job/NOUN with/ADP a/DET weak/ADJ script/NOUN ./.",
    "you/PRON will/VERB laugh/VERB ,/. you/PRON will/VERB cry/VERB ,/. "
    "and/CONJ you/PRON will/VERB want/VERB to/PRT see/VERB it/PRON again/ADV ./.",
    "there/DET are/VERB two/NUM good/ADJ scenes/NOUN in/ADP this/DET long/ADJ and/CONJ tedious/ADJ film/NOUN ./.",
    "the/DET plot/NOUN feels/VERB predictable/ADJ ,/. yet/CONJ "
    "the/DET performances/NOUN are/VERB surprisingly/ADV strong/ADJ ./.",
    "she/PRON gives/VERB the/DET best/ADJ performance/NOUN of/ADP her/PRON career/NOUN ./.",
    "this/DET movie/NOUN should/VERB have/VERB been/VERB much/ADV shorter/ADJ ./.",
    "the/DET jokes/NOUN fall/VERB flat/ADJ and/CONJ the/DET characters/NOUN are/VERB thinly/ADV written/VERB ./.",
    "an/DET intelligent/ADJ ,/. funny/ADJ and/CONJ deeply/ADV moving/ADJ film/NOUN about/ADP growing/VERB up/PRT ./.",
    "nothing/NOUN in/ADP the/DET movie/NOUN makes/VERB sense/NOUN ./.",
    "we/PRON watched/VERB it/PRON twice/ADV because/ADP the/DET ending/NOUN was/VERB so/ADV clever/ADJ ./.",
    "the/DET visuals/NOUN are/VERB stunning/ADJ but/CONJ the/DET "
    "story/NOUN quickly/ADV runs/VERB out/ADP of/ADP steam/NOUN ./.",
    "his/PRON latest/ADJ film/NOUN is/VERB an/DET absolute/ADJ disaster/NOUN ./.",
    "the/DET children/NOUN in/ADP the/DET audience/NOUN seemed/VERB bored/ADJ ./.",
    "the/DET cinematography/NOUN alone/ADV is/VERB worth/ADJ the/DET price/NOUN of/ADP admission/NOUN ./.",
    "a/DET terrible/ADJ ,/. terrible/ADJ film/NOUN ./.",
)


def _sample() -> list[tuple[list[str], list[str]]]:
    rows = []
    for line in SAMPLE:
        pairs = [token.rsplit("/", 1) for token in line.split()]
        rows.append(([w for w, _ in pairs], [t for _, t in pairs]))
    return rows


def test_accuracy_on_hand_tagged_sample() -> None:
    correct = total = 0
    for words, gold in _sample():
        predicted = pos.tag(words)
        assert len(predicted) == len(words)
        correct += sum(p == g for p, g in zip(predicted, gold, strict=True))
        total += len(gold)
    assert total > 200
    assert correct / total >= 0.9, f"accuracy {correct / total:.3f}"


def test_content_word_tags() -> None:
    words = ["the", "movie", "was", "not", "good", ",", "but", "the", "actors", "played", "their", "roles",
             "beautifully", "."]
    assert pos.tag(words) == ["DET", "NOUN", "VERB", "ADV", "ADJ", ".", "CONJ", "DET", "NOUN", "VERB", "PRON",
                              "NOUN", "ADV", "."]


def test_edge_cases() -> None:
    assert pos.tag([]) == []
    assert len(pos.tag(["new york", "is", "big"])) == 3  # a token with a space stays one token
    assert pos.to_universal("VBZ") == "VERB" and pos.to_universal("???") == "X"
    assert pos.lexicon_path().is_file()
