"""Flavours as part of an attack's name and key: parsing, study configs, stored rows, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from attack_helpers import KeywordVictim, tiny_chain_study, tiny_resources
from chainaudit.attacks.pipeline import AttackRequest, params_digest
from chainaudit.attacks.recipes import build_recipe, parse_attack_id
from chainaudit.data import Sample
from chainaudit.errors import ChainauditError
from chainaudit.store import Store
from chainaudit.study.config import AttackChoice, StudyConfig
from chainaudit.study.run import run_study


def test_attack_ids_name_the_flavour_once() -> None:
    assert parse_attack_id("pwws") == ("pwws", "paper")
    assert parse_attack_id("pwws@textattack") == ("pwws", "textattack")
    assert parse_attack_id("pwws", "openattack") == ("pwws", "openattack")
    with pytest.raises(ChainauditError, match="names flavour 'textattack' but --flavor is 'openattack'"):
        parse_attack_id("pwws@textattack", "openattack")
    with pytest.raises(ChainauditError, match="unknown flavour 'oa'; choose one of paper, openattack, textattack"):
        parse_attack_id("pwws@oa")


def test_a_flavoured_recipe_is_stored_under_its_own_name_and_digest() -> None:
    recipe = build_recipe("hotflip-blackbox", tiny_resources(), flavor="openattack")
    assert recipe.name == "hotflip-blackbox@openattack"
    paper = AttackRequest(model="m", attack="hotflip-blackbox")
    flavoured = AttackRequest(model="m", attack="hotflip-blackbox", flavor="openattack")
    assert flavoured.attack == "hotflip-blackbox@openattack" and paper.attack == "hotflip-blackbox"
    assert params_digest(paper, "untargeted")[0] != params_digest(flavoured, "untargeted")[0]
    outcome = recipe.attack(KeywordVictim(), Sample("toy", "validation", 0, "a good plot", 1))
    assert outcome.attack == "hotflip-blackbox@openattack"


def test_config_takes_a_flavour_as_a_key_or_in_the_name() -> None:
    assert AttackChoice.model_validate("pwws@textattack").id == "pwws@textattack"
    assert AttackChoice.model_validate({"name": "hotflip-blackbox", "flavor": "openattack"}).id \
        == "hotflip-blackbox@openattack"
    with pytest.raises(ValueError, match="flavor"):
        AttackChoice.model_validate({"name": "pwws", "flavor": "nope"})
    with pytest.raises(ValueError, match="textattack has no gan recipe"):
        AttackChoice.model_validate("gan@textattack")


def test_a_study_runs_both_flavours_as_separate_jobs(tiny_model_dir: Path, fragile_model: Path,
                                                     keyword_data: Path, tmp_path: Path) -> None:
    config = StudyConfig.model_validate(tiny_chain_study(
        fragile_model, tiny_model_dir, keyword_data, n=3,
        attacks=["hotflip-blackbox", "hotflip-blackbox@openattack"]))
    with Store(tmp_path / "s.db") as store:
        run_study(config, store, resources=tiny_resources())
        attacks = {r["attack"] for r in store.select("attack_results")}
    assert attacks == {"hotflip-blackbox", "hotflip-blackbox@openattack"}


def test_the_key_holds_only_the_resources_a_flavour_uses() -> None:
    from chainaudit.attacks.recipes import resource_identity

    res = tiny_resources()
    assert "word_vectors" not in resource_identity("textfooler@openattack", res)
    assert "threshold" not in resource_identity("textbugger@openattack", res)
    assert {"word_vectors", "threshold"} <= resource_identity("textfooler@textattack", res).keys()
    assert {"word_vectors", "threshold"} <= resource_identity("textfooler", res).keys()
    assert "scpn" in resource_identity("scpn@openattack", res)
