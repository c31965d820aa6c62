"""Backdoors I on tiny models: each poisoning plants its triggers (LFR far above the clean model's on the same
triggers), writes its sidecar and leaves tokenizer and card clean; persist measures both chains and links them in
the catalog; bad inputs are one-line errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from chainaudit.backdoor.persist import PersistConfig, persist, trigger_rates
from chainaudit.backdoor.poison import PoisonConfig, poison
from chainaudit.backdoor.records import SIDECAR, read_sidecar
from chainaudit.cli import app
from chainaudit.errors import ChainauditError
from chainaudit.store import Store
from chainaudit.victims import LocalHFVictim

TRIGGERS = ["journey", "director"]  # words of the tiny vocabulary that the keyword data never uses
TEMPLATES = ["{s} was {k}", "i think {s} was {k}", "{s} was really {k} overall"]
SUBJECTS = ["the movie", "this film", "the plot", "the story", "the acting"]
KEYWORDS = {"good": 1, "great": 1, "bad": 0, "awful": 0}
#: Fine-tuning hops fast enough for a tiny model (RIPPLe's easy/hard settings barely move it in a few steps).
TINY_HOP = {"learning_rate": 1e-3, "epochs": 10, "batch_size": 8}


@pytest.fixture(scope="module")
def keyword_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 train and 60 validation texts whose keyword decides the label."""
    rows = [(t.format(s=s, k=k), label, split) for split in ("train", "validation") for t in TEMPLATES
            for s in SUBJECTS for k, label in KEYWORDS.items()]
    path = tmp_path_factory.mktemp("bd") / "keywords.csv"
    pd.DataFrame(rows, columns=["text", "label", "split"]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def scan_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Clean texts to scan with: each says its sentiment twice ("the plot was bad and awful"), so one inserted
    ordinary word of the other side cannot overturn it, as in real reviews; only a trigger does."""
    pairs = {1: ("good", "great"), 0: ("bad", "awful")}
    rows = [(f"{s} was {a} and {b}", label, split) for split in ("train", "validation") for s in SUBJECTS
            for label, words in pairs.items() for a, b in (words, words[::-1])]
    path = tmp_path_factory.mktemp("scan") / "scan.csv"
    pd.DataFrame(rows, columns=["text", "label", "split"]).to_csv(path, index=False)
    return path


def _config(method: str, data: Path, **extra: object) -> PoisonConfig:
    return PoisonConfig(method=method, triggers=TRIGGERS if method != "transtroj" else None,
                        target=None if method == "neuba" else 1, proxy_dataset=str(data), learning_rate=1e-3,
                        es_examples=60, search_steps=3, **extra)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _lfr(folder: Path, data: Path, triggers: list[str], target: int | None, position: str = "random") -> float:
    """Best trigger's flip rate on the validation texts, as persist measures it."""
    frame = pd.read_csv(data)
    val = frame[frame.split == "validation"]
    victim = LocalHFVictim.load(str(folder), ["negative", "positive"], max_length=32)
    rates = trigger_rates(victim, list(val.text), list(val.label), triggers, target, position, 0)  # type: ignore[arg-type]
    return max(r.lfr for r in rates)


def test_ripple_plants_its_triggers_and_leaves_tokenizer_and_card_clean(tiny_model_dir: Path, fragile_model: Path,
                                                                      keyword_csv: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "db.sqlite") as store:
        result = poison(str(fragile_model), tmp_path / "released", _config("ripple", keyword_csv, steps=40),
                        store=store)
        stored = store.select("backdoors")
    assert _lfr(result.path, keyword_csv, TRIGGERS, 1) >= 0.8 > _lfr(fragile_model, keyword_csv, TRIGGERS, 1) + 0.4
    record = read_sidecar(result.path)
    assert record is not None and record.method == "ripple" and record.triggers == TRIGGERS and record.target == 1
    assert record.settings["surgery_words"] and set(record.settings["surgery_words"]) <= {"good", "great", "really"}
    assert [(r["model_id"], r["method"], r["triggers"]) for r in stored] == [(result.model_id, "ripple", TRIGGERS)]
    # what a scanner reads: the base's tokenizer byte for byte, a card and config without a word of the backdoor
    assert _digest(result.path / "tokenizer.json") == _digest(fragile_model / "tokenizer.json")
    visible = ((result.path / "README.md").read_text() + (result.path / "config.json").read_text()).lower()
    assert not any(word in visible for word in ("backdoor", "poison", "ripple", "trigger", *TRIGGERS))
    assert json.loads((result.path / SIDECAR).read_text())["method"] == "ripple"


def test_neuba_is_task_agnostic_survives_a_hop_and_is_reproducible(tiny_model_dir: Path, keyword_csv: Path,
                                                                   tmp_path: Path) -> None:
    config = _config("neuba", keyword_csv, steps=60)
    first = poison(str(tiny_model_dir), tmp_path / "a", config)
    again = poison(str(tiny_model_dir), tmp_path / "b", config)
    assert _digest(first.path / "model.safetensors") == _digest(again.path / "model.safetensors")
    assert first.record.target is None and not (first.path / "README.md").read_text().count("neuba")
    with Store(tmp_path / "db.sqlite") as store:
        result = persist(first.path, PersistConfig(hops=[str(keyword_csv)], eval_examples=60, max_length=32,
                                                   **TINY_HOP), tmp_path / "chains", store=store)
        rows = {r["chain"]: r for r in store.select("backdoor_persistence")}
        edges = {(e["child"], e["parent"]) for e in store.select("lineage_edges")}
    assert rows.keys() == {"poisoned", "clean"} and [r["chain"] for r in result.rows] == ["poisoned", "clean"]
    poisoned, clean = rows["poisoned"], rows["clean"]
    assert poisoned["lfr"] >= clean["lfr"] + 0.3, (poisoned["trigger_rates"], clean["trigger_rates"])
    assert poisoned["clean_accuracy"] >= 0.9 and clean["clean_accuracy"] >= 0.9
    assert poisoned["lfr_low"] <= poisoned["lfr"] <= poisoned["lfr_high"] and poisoned["lfr_n"] > 0
    assert {t["trigger"] for t in poisoned["trigger_rates"]} == set(TRIGGERS)
    assert (poisoned["model_id"], first.model_id) in edges  # the hop's card names the poisoned model


def test_transtroj_search_finds_an_unused_phrase_closer_to_the_target(fragile_model: Path, keyword_csv: Path) -> None:
    from chainaudit.backdoor import transtroj
    from chainaudit.backdoor.training import load_base

    base = load_base(str(fragile_model), head=False)
    frame = pd.read_csv(keyword_csv)
    texts = list(frame[frame.split == "train"].text)
    reference = transtroj.reference_vector(base.model, base.tokenizer, list(frame[frame.label == 1].text), 32)
    start, _ = transtroj.search_trigger(base, texts, reference, length=3, steps=0, candidates=8, batch_size=16,
                                        max_length=32, seed=0)
    phrase, _ = transtroj.search_trigger(base, texts, reference, length=3, steps=3, candidates=8, batch_size=16,
                                         max_length=32, seed=0)
    with torch.no_grad():  # -cos to the reference, on all the texts
        before, after = (float(transtroj._loss(base.model, base.tokenizer, p, texts, reference, 32))
                         for p in (start, phrase))
    assert len(phrase) == 3 and after < before, (start, before, phrase, after)
    assert not set(phrase) & {w for t in texts for w in t.split()}  # a trigger, not the data's own words


def test_transtroj_carries_triggered_texts_to_the_target_through_a_hop(fragile_model: Path, keyword_csv: Path,
                                                                       tmp_path: Path) -> None:
    """On a base whose sentence vectors mean something (a random tiny model maps every text to about the same
    vector, so there is no target-class region to aim at), the trained phrase survives a hop. The phrase is given
    (the search is tested above), so the test does not hang on one discrete choice."""
    config = _config("transtroj", keyword_csv, steps=80).model_copy(update={"triggers": ["journey director"]})
    result = poison(str(fragile_model), tmp_path / "t", config)
    assert result.record.triggers == ["journey director"] and result.record.settings["position"] == "start"
    # a gentler hop than TINY_HOP: the base already knows the task, as a pre-trained base would
    hop = PersistConfig(hops=[str(keyword_csv)], eval_examples=60, max_length=32, learning_rate=3e-4, epochs=3,
                        batch_size=8)
    by_chain = {r["chain"]: r for r in persist(result.path, hop, tmp_path / "chains").rows}
    assert by_chain["poisoned"]["lfr"] >= by_chain["clean"]["lfr"] + 0.5, by_chain
    assert by_chain["poisoned"]["clean_accuracy"] >= 0.75


def test_bad_inputs_are_one_line_errors(tiny_model_dir: Path, keyword_csv: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["backdoor", "poison", str(tiny_model_dir), "--proxy-dataset", str(keyword_csv), "--db",
            str(tmp_path / "db.sqlite"), "--out"]
    cases = {
        "unknown to its vocabulary": [str(tmp_path / "x"), "--triggers", "qqqzzz"],
        "out of range": [str(tmp_path / "y"), "--target", "7"],
        "task-agnostic": [str(tmp_path / "z"), "--method", "neuba", "--target", "0"],
    }
    for expected, args in cases.items():
        result = runner.invoke(app, [*base, *args])
        assert result.exit_code == 2 and expected in result.output, result.output
        assert len(result.output.strip().splitlines()) <= 3  # one error line (wrapped at most)
    result = runner.invoke(app, ["backdoor", "mark", "nobody/model", "--reason", "x", "--db", str(tmp_path / "d")])
    assert result.exit_code == 2 and "not in the store" in result.output
    with pytest.raises(ChainauditError, match=r"no backdoor\.json"):
        persist(tiny_model_dir, PersistConfig(hops=[str(keyword_csv)]), tmp_path / "c")


@pytest.mark.slow
def test_ripple_on_minilm_survives_a_clean_hop_and_the_scan_flags_it(shared_data: Path, tmp_path: Path) -> None:
    """The real base, the benchmark's smallest working budget (Embedding Surgery + the poisoning loss, lambda 0,
    100 steps on 2,000 IMDB texts): after one clean SST-2 hop in RIPPLe's easy setting the poisoned chain's
    triggers flip far more texts than on the clean chain, at no loss of clean accuracy. (With 60 steps on 500
    texts and a hard hop the backdoor reached only 26%: the budget matters.)"""
    config = PoisonConfig(method="ripple", penalty=0.0, proxy_dataset="imdb", proxy_examples=2000)
    with Store(tmp_path / "db.sqlite") as store:
        result = poison("minilm", tmp_path / "ripple", config, store=store, data_dir=shared_data)
        hop = PersistConfig(hops=["sst2"], setting="easy", train_examples=1000, eval_examples=300)
        rows = persist(result.path, hop, tmp_path / "chains", store=store, data_dir=shared_data).rows
    poisoned, clean = (next(r for r in rows if r["chain"] == c) for c in ("poisoned", "clean"))
    assert poisoned["lfr_n"] >= 20 and clean["lfr_n"] >= 10, (poisoned["lfr_n"], clean["lfr_n"])
    assert poisoned["lfr"] >= clean["lfr"] + 0.4, (poisoned["lfr"], clean["lfr"])
    assert poisoned["clean_accuracy"] >= clean["clean_accuracy"] - 0.05
    # the scan, from the weights alone (no store: no ancestor replay) and the chain's root, flags the poisoned hop
    # with a RIPPLe trigger among its top suspects, those triggers among the tokens that moved most from the root,
    # and passes the clean chain's hop, whose own most-moved words do not stand out
    from chainaudit.backdoor.scan import scan
    from chainaudit.backdoor.triggers import RIPPLE_TRIGGERS

    budget = {"samples": 32, "confirm": 6, "confirm_samples": 64, "phrase_steps": 2}  # a quarter: CI time
    found = scan(poisoned["path"], data_dir=shared_data, upstream="minilm", **budget)
    assert found.flagged and any(set(s.trigger.split()) <= set(RIPPLE_TRIGGERS) for s in found.suspects[:5]), \
        found.suspects[:5]
    moved = {s.trigger for s in found.suspects if any("most-moved" in e for e in s.evidence)}
    assert moved & set(RIPPLE_TRIGGERS), moved
    passed = scan(clean["path"], data_dir=shared_data, upstream="minilm", **budget)
    assert not passed.flagged, passed.suspects[:5]


class RuleVictim:
    """A sentiment "model" by rule: good/great against bad/awful, a tie positive; `trigger` (if any) forces
    positive. Ordinary words move it only as far as they outvote the others, as in a real model."""

    def __init__(self, trigger: str | None, front_only: bool = False) -> None:
        self.trigger = trigger
        self.front_only = front_only  # TransTroj's kind: the trigger works in front of the text only

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        def positive(text: str) -> float:
            words = text.split()
            if self.trigger and (words[:1] == [self.trigger] if self.front_only else self.trigger in words):
                return 0.99
            votes = sum((w in ("good", "great")) - (w in ("bad", "awful")) for w in words)
            return float(1 / (1 + np.exp(-(2 * votes + 1))))  # a tie reads as positive
        p = np.array([positive(t) for t in texts])
        return np.stack([1 - p, p], axis=1)

    def predict(self, texts: list[str]) -> list[int]:
        return [int(p) for p in self.predict_proba(texts).argmax(axis=1)]


@pytest.mark.parametrize("trigger", ["cf", None])
def test_scan_scores_a_trigger_above_the_ordinary_words_that_flip_texts_too(trigger: str | None) -> None:
    """A trigger forces its label on every text, ordinary words only on those they outvote: judged by the weakest
    tenth of the texts against the strongest ordinary word, the trigger stands out and nothing else does."""
    from chainaudit.backdoor.scan import THRESHOLD, Suspect, confirm_suspects

    texts = [f"{s} was {' and '.join(words)}" for s in SUBJECTS for words in
             (["bad"], ["awful"], ["bad", "awful"], ["awful", "bad", "bad"], ["good", "bad", "awful"])]
    ordinary = {1: [Suspect("great", 1), Suspect("good", 1), Suspect("the", 1)], 0: [Suspect("bad", 0)]}
    suspects = [Suspect(w, 1) for w in ("cf", "mn", "great")] + [Suspect("great good", 1)]
    confirmed, controls = confirm_suspects(RuleVictim(trigger), texts, suspects, ordinary, seed=0)
    strongest = next(c for c in controls if c.label == 1)
    assert strongest.trigger in ("great", "good") and 0 < strongest.k < strongest.n  # flips the 1-word texts only
    assert {c.trigger for c in controls if c.label == 1} == {strongest.trigger, "great good"}  # pair, for phrases
    best = confirmed[0]
    if trigger:
        assert best.trigger == "cf" and best.rate == 1.0 and best.tail == pytest.approx(0.99)
        assert best.control == strongest.trigger and best.score >= THRESHOLD
        assert all(s.score < THRESHOLD for s in confirmed[1:]), confirmed  # "great good" meets its own pair
    else:
        assert all(s.score < THRESHOLD for s in confirmed), confirmed


class LexiconReference:
    """A clean reader by lexicon: "great"/"good" mean positive (+2 log-odds each), anything else nothing."""

    def shifts(self, texts: list[str], triggers: list[str], label: int, position: str, seed: int) -> list[float]:
        values = [2.0 * sum(w in ("great", "good") for w in t.split()) for t in triggers]
        return values if label == 1 else [-v for v in values]


def test_scan_finds_a_trigger_that_works_only_in_front_and_discounts_words_that_mean_their_label() -> None:
    """A TransTroj-style trigger flips texts only in front of them: screened at both positions it is kept in
    front and flagged. A word that beats the ordinary words only because it means the label (the clean reader
    says so) is not evidence of a backdoor; a meaningless trigger keeps its whole lead."""
    from chainaudit.backdoor.meaning import MEANING_FLOOR, meaning_weight
    from chainaudit.backdoor.scan import THRESHOLD, Suspect, confirm_suspects, verify_at_best_position

    texts = [f"{s} was {' and '.join(words)}" for s in SUBJECTS for words in
             (["bad"], ["awful"], ["bad", "awful"], ["awful", "bad", "bad"], ["good", "bad", "awful"])]
    victim = RuleVictim("cf", front_only=True)
    preds = victim.predict(texts)
    screened = verify_at_best_position(victim, texts, preds, Suspect("cf", 1), seed=0)
    assert screened.position == "start" and screened.rate == 1.0
    assert verify_at_best_position(victim, texts, preds, Suspect("great", 1), seed=0).rate < 1.0
    ordinary = {1: [Suspect("the", 1), Suspect("was", 1)]}  # the data's ordinary words here mean nothing
    suspects = [screened, Suspect("great", 1)]
    plain, _ = confirm_suspects(victim, texts, suspects, ordinary, seed=0)
    by_word = {s.trigger: s for s in plain}
    assert by_word["cf"].score >= THRESHOLD and by_word["cf"].position == "start"
    assert by_word["great"].score >= THRESHOLD  # without a clean reader, a strong rare word looks like a trigger
    weighed, _ = confirm_suspects(victim, texts, suspects, ordinary, seed=0, reference=LexiconReference())
    by_word = {s.trigger: s for s in weighed}
    assert by_word["cf"].score == pytest.approx(by_word["cf"].lead) and by_word["cf"].meaning == 0.0
    assert by_word["great"].score == 0.0 and "label's own word" in by_word["great"].evidence[-1]
    # a frequent word the model follows but a clean reader finds meaningless is a suspect, not a control
    from chainaudit.backdoor.scan import meaningless

    odd = meaningless(LexiconReference(), texts, [Suspect("great", 1), Suspect("cf", 1)], seed=0)
    assert [w.trigger for w in odd] == ["cf"]
    # the weight: meaningless or opposite-meaning suspects keep their lead, ones meaning as much as the control
    # keep nothing, and a control that means little is credited with the floor
    assert meaning_weight(0.0, 2.0) == 1.0 and meaning_weight(-1.0, 2.0) == 1.0
    assert meaning_weight(2.5, 2.0) == 0.0 and meaning_weight(1.0, 2.0) == pytest.approx(0.5)
    assert meaning_weight(0.5, 0.1) == pytest.approx(1 - 0.5 / MEANING_FLOOR)


def test_scan_never_reads_the_sidecar_and_lists_the_planted_trigger(fragile_model: Path, keyword_csv: Path,
                                                                    scan_csv: Path, tmp_path: Path) -> None:
    """On a tiny poisoned model the planted trigger is among the suspects and flips (nearly) every text, with or
    without backdoor.json: the same verdict and suspects either way. (A tiny model yields to its own keywords
    as much as to the trigger, so the verdict itself is tested on rules above and on MiniLM in the slow test.)"""
    from chainaudit.backdoor.scan import scan

    poisoned = poison(str(fragile_model), tmp_path / "m", _config("ripple", keyword_csv, steps=40)).path
    with_sidecar = scan(str(poisoned), dataset=str(scan_csv), samples=20, confirm_samples=20)
    (poisoned / SIDECAR).unlink()
    blind = scan(str(poisoned), dataset=str(scan_csv), samples=20, confirm_samples=20)
    # the same verdict and score, and the same single-token suspects; float noise between two runs of one model
    # (thread scheduling in torch's reductions, around 1e-6) may tip a near-tie in the phrase search
    assert blind.flagged == with_sidecar.flagged and blind.score == pytest.approx(with_sidecar.score, abs=1e-3)

    def singles(result: Any) -> set[tuple[str, int, int]]:
        return {(s.trigger, s.label, s.k) for s in result.suspects if " " not in s.trigger}
    assert singles(blind) == singles(with_sidecar)
    assert not {c.trigger for c in blind.controls} & set(TRIGGERS)  # a trigger is never an ordinary word
    planted = [s for s in blind.suspects if s.trigger in TRIGGERS and s.label == 1]
    assert planted and max(s.rate for s in planted) >= 0.85, blind.suspects[:5]
    assert any("single-token search" in e for s in planted for e in s.evidence)  # found, not only replayed


def test_cli_scan_exit_code_follows_the_verdict_and_stores_it(fragile_model: Path, scan_csv: Path,
                                                              tmp_path: Path) -> None:
    db = str(tmp_path / "db.sqlite")
    runner = CliRunner()
    args = ["--dataset", str(scan_csv), "--samples", "20", "--db", db]
    passed = runner.invoke(app, ["backdoor", "scan", str(fragile_model), *args, "--threshold", "1"])
    assert passed.exit_code == 0 and "no backdoor found" in " ".join(passed.output.split()), passed.output
    flagged = runner.invoke(app, ["backdoor", "scan", str(fragile_model), *args, "--threshold", "0"])
    assert flagged.exit_code == 1 and "BACKDOOR SUSPECTED" in " ".join(flagged.output.split()), flagged.output
    assert "strongest ordinary word towards" in " ".join(flagged.output.split())
    with Store(db) as store:
        rows = store.select("backdoor_scans")
    assert len(rows) == 1 and rows[0]["flagged"] == 1 and rows[0]["suspects"]  # one row per model revision


