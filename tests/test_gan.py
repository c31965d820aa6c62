"""The GAN attack (Zhao, Dua, Singh 2018): ARAE + inverter training, save/load, the latent search on a keyword
victim, seeds, a missing GAN as `error` outcomes, and the `train-gan` command."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from attack_helpers import KeywordVictim
from chainaudit.attacks import AttackResources, build_recipe
from chainaudit.attacks.gan import TrainedGan, load_gan, save_gan
from chainaudit.attacks.gan.vocab import UNK_ID, Vocab, tokenize
from chainaudit.attacks.text import WordText
from chainaudit.cli import app
from chainaudit.data import Sample
from chainaudit.files import sha256_file
from chainaudit.store import Store
from chainaudit.study.records import run_attack
from chainaudit.zoo.gan_training import GanConfig, train_gan
from conftest import SHARED_DATA

SUBJECTS = ["the movie", "this film", "the plot", "the story", "the acting", "the music"]
ADJECTIVES = ["good", "great", "excellent", "bad", "awful", "terrible", "long", "slow", "quiet"]
SENTENCES = [f"{s} was {a}" for s in SUBJECTS for a in ADJECTIVES]
TINY = GanConfig(max_steps=150, minutes=5, emb=32, hidden=64, code=32, z=16, mlp=64, batch_size=16, holdout=0,
                 lr_ae=5e-3, log_every=50, seed=0, threads=1)


@pytest.fixture(scope="module")
def tiny_gan() -> TrainedGan:
    return train_gan(SENTENCES, "toy", TINY).gan


def sample(text: str, label: int = 1, dataset: str = "toy", index: int = 0) -> Sample:
    return Sample(dataset, "validation", index, text, label)


def test_vocab_tokenizes_pads_and_marks_unknown_words() -> None:
    assert tokenize("It's a well-made FILM, really!") == ["it's", "a", "well-made", "film", ",", "really", "!"]
    vocab = Vocab.build(["the movie was good", "the film was bad"], max_len=3)
    ids = vocab.encode("the zebra was good")
    assert len(ids) == 4 and ids[1] == UNK_ID and vocab.decode(ids) == "the was"  # cut to 3 words, <unk> dropped


def test_short_training_lowers_reconstruction_loss(tiny_gan: TrainedGan) -> None:
    initial, final = tiny_gan.meta["initial"], tiny_gan.meta["final"]
    assert final["rec_loss"] < 0.5 * initial["rec_loss"]
    assert final["rec_acc"] > 0.8
    assert tiny_gan.meta["steps"] == TINY.max_steps and tiny_gan.meta["dataset"] == "toy"
    assert tiny_gan.autoencode(["the plot was slow"]) == ["the plot was slow"]


def test_training_is_seeded() -> None:
    cfg = GanConfig(**{**TINY.as_dict(), "max_steps": 5})
    first, second = (train_gan(SENTENCES, "toy", cfg).gan for _ in range(2))
    assert all((a == b).all() for a, b in zip(first.model.state_dict().values(),
                                              second.model.state_dict().values(), strict=True))


def test_save_and_load_keep_weights_vocab_and_provenance(tiny_gan: TrainedGan, tmp_path: Path) -> None:
    folder = save_gan(tiny_gan, tmp_path / "gan")
    config = json.loads((folder / "gan.json").read_text())
    assert config["dataset"] == "toy" and len(config["data_sha256"]) == 64 and len(config["weights_sha256"]) == 64
    assert config["steps"] == TINY.max_steps and config["final"]["rec_acc"] > 0.8
    loaded = load_gan(folder)
    texts = SENTENCES[:5]
    assert loaded.reconstruct(texts) == tiny_gan.reconstruct(texts)
    assert loaded.vocab == tiny_gan.vocab


def test_attack_flips_a_keyword_victim_with_a_decoded_sentence(tiny_gan: TrainedGan) -> None:
    recipe = build_recipe("gan", AttackResources(gan_loader=lambda _: tiny_gan))
    assert recipe.transformation is None and "ICLR 2018" in recipe.paper
    victim = KeywordVictim()
    outcomes = [recipe.attack(victim, sample(f"{s} was good", index=i), seed=0) for i, s in enumerate(SUBJECTS)]
    wins = [o for o in outcomes if o.outcome == "succeeded"]
    assert len(wins) >= len(outcomes) - 1, [(o.outcome, o.error) for o in outcomes]
    for o in wins:
        assert victim.predict_proba([o.perturbed_text])[0].argmax() == 0
        # a sentence the GAN wrote (its own lowercased, space-joined form, its vocabulary), never the input
        assert o.perturbed_text == tiny_gan.normalize(o.perturbed_text)
        assert set(o.perturbed_text.split()) <= set(tiny_gan.vocab.tokens)
        assert o.perturbed_text != tiny_gan.normalize(o.sample.text) and o.words_changed >= 1
        assert o.queries <= 6 * 20 + 1  # one query per distinct decoded text, at most samples x steps
        assert o.words_changed == WordText.parse(o.perturbed_text).words_changed(WordText.parse(o.sample.text))


def test_same_seed_same_text_and_budget_is_respected(tiny_gan: TrainedGan) -> None:
    recipe = build_recipe("gan", AttackResources(gan_loader=lambda _: tiny_gan))
    target = sample("the acting was great", index=7)
    first, second = (recipe.attack(KeywordVictim(), target, seed=3) for _ in range(2))
    assert first.outcome == "succeeded" and first.perturbed_text == second.perturbed_text
    assert first.queries == second.queries
    tight = recipe.attack(KeywordVictim(), target, seed=3, budget=1)
    assert tight.outcome in {"failed", "succeeded"} and tight.queries <= 1


def test_missing_gan_gives_error_outcomes_not_failed_attacks(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINAUDIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINAUDIT_GAN_DIR", raising=False)
    recipe = build_recipe("gan", AttackResources())  # building never needs the GAN
    samples = [sample("the movie was good", index=0), sample("the movie was bad", label=0, index=1),
               sample("the movie was good", label=0, index=2)]  # already wrong: an error too, not skipped
    with Store(tmp_path / "r.db") as store:
        run = run_attack(recipe, KeywordVictim(), samples, store, study_id="t", seed=0)
    assert [o.outcome for o in run.outcomes] == ["error"] * 3
    assert all(o.error.startswith("resource missing:") and "chainaudit resources train-gan --dataset toy" in o.error
               for o in run.outcomes)
    assert run.summary.failed == 0 and not run.summary.ran


def test_a_gan_of_another_dataset_is_used_with_a_warning(tiny_gan: TrainedGan, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINAUDIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINAUDIT_GAN_DIR", raising=False)
    save_gan(tiny_gan, tmp_path / "cache" / "gan" / "toy")
    recipe = build_recipe("gan", AttackResources())
    with pytest.warns(UserWarning, match="trained on 'toy', not 'other'"):
        first = recipe.attack(KeywordVictim(), sample("the plot was good", dataset="other"), seed=0)
    assert first.extra.get("gan_dataset") == "toy"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once per pair of datasets
        recipe.attack(KeywordVictim(), sample("the story was good", dataset="other", index=1), seed=0)
    assert first.outcome == "succeeded"


def test_train_gan_command_saves_and_status_lists_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINAUDIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINAUDIT_GAN_DIR", raising=False)
    data = tmp_path / "kw.csv"
    pd.DataFrame({"text": SENTENCES, "label": [int(a in ADJECTIVES[:3]) for _ in SUBJECTS for a in ADJECTIVES],
                  "split": "train"}).to_csv(data, index=False)
    result = CliRunner().invoke(app, ["resources", "train-gan", "--dataset", str(data), "--minutes", "0.05"])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "saved the" in flat and "sha256" in flat and "reconstruction accuracy" in flat
    assert load_gan(tmp_path / "cache" / "gan" / "kw").dataset == "kw"  # a file dataset goes by its stem
    status = CliRunner().invoke(app, ["resources", "status", "--json"])
    rows = {r["name"]: r for r in json.loads(status.output)}
    assert rows["gan"]["available"] and "kw:" in rows["gan"]["detail"]


@pytest.mark.slow
def test_a_minute_on_real_sst2_lowers_reconstruction_loss() -> None:
    from chainaudit.zoo.gan_training import training_texts

    if not (SHARED_DATA / "sst2" / "sst2.csv").is_file():
        pytest.skip("real SST-2 not found")
    texts, _, _ = training_texts("sst2", data_dir=SHARED_DATA, max_examples=20_000)
    gan = train_gan(texts, "sst2", GanConfig(minutes=1.0, threads=1)).gan
    assert gan.meta["final"]["rec_loss"] < gan.meta["initial"]["rec_loss"] - 2.0
    assert gan.meta["final"]["rec_acc"] > 0.1


def test_a_corrupt_gan_config_is_reported_not_taken_for_a_missing_gan(tmp_path: Path) -> None:
    from chainaudit.attacks.gan.store import CONFIG, WEIGHTS, find_gan
    from chainaudit.errors import ResourceMissingError

    folder = tmp_path / "gan"
    folder.mkdir()
    (folder / WEIGHTS).write_bytes(b"")
    (folder / CONFIG).write_text("{ not json", encoding="utf-8")
    with pytest.raises(ResourceMissingError, match="unreadable"):
        find_gan("sst2", folder)


def test_errors_from_a_missing_gan_are_attacked_again_once_it_exists(tiny_gan: TrainedGan, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINAUDIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINAUDIT_GAN_DIR", raising=False)
    samples = [sample("the movie was good", index=0), sample("the plot was good", index=1)]
    with Store(tmp_path / "r.db") as store:
        before = run_attack(build_recipe("gan", AttackResources()), KeywordVictim(), samples, store, study_id="t")
        assert [o.outcome for o in before.outcomes] == ["error", "error"]
        save_gan(tiny_gan, tmp_path / "cache" / "gan" / "toy")  # the user runs `resources train-gan`
        after = run_attack(build_recipe("gan", AttackResources()), KeywordVictim(), samples, store, study_id="t")
        assert after.resumed == 0 and "error" not in [o.outcome for o in after.outcomes]
        assert len(store.select("attack_results", {"study_id": "t"})) == 2  # replaced, not doubled
        again = run_attack(build_recipe("gan", AttackResources()), KeywordVictim(), samples, store, study_id="t")
        assert again.resumed == 2  # real outcomes resume as they are


def test_attack_command_exits_non_zero_when_the_attack_did_not_run(keyword_data: Path, tiny_model_dir: Path,
                                                                   tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINAUDIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINAUDIT_GAN_DIR", raising=False)
    args = ["attack", str(tiny_model_dir), "--attack", "gan", "--dataset", str(keyword_data), "-n", "2",
            "--label-map", "negative=0,positive=1", "--db", str(tmp_path / "r.db")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "did not run" in " ".join(result.output.split())


def test_the_gan_in_use_is_part_of_the_result_key(tiny_gan: TrainedGan, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from chainaudit.attacks.pipeline import AttackRequest, params_digest

    monkeypatch.setenv("CHAINAUDIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINAUDIT_GAN_DIR", raising=False)

    def digest() -> tuple[str, object]:
        request = AttackRequest(model="m", attack="gan", dataset=str(tmp_path / "toy.csv"),
                                resources=AttackResources())
        key, value = params_digest(request, "untargeted")
        return key, value["gan"]

    missing = digest()
    assert missing[1] is None
    folder = save_gan(tiny_gan, tmp_path / "cache" / "gan" / "toy")
    trained = digest()
    assert trained[0] != missing[0] and trained[1] == sha256_file(folder / "model.safetensors")
    assert digest() == trained  # the same GAN: the same key, so a rerun resumes
