"""Bounds on one sample's attack: texts cut to what the model reads, a query budget and a time limit (both
recorded with the outcome), and errors retried on request."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from attack_helpers import KeywordVictim, tiny_resources
from chainaudit.attacks import build_recipe
from chainaudit.attacks.pipeline import AttackRequest
from chainaudit.data import Sample
from chainaudit.store import Store
from chainaudit.study.adhoc import run_adhoc
from chainaudit.study.records import run_attack
from chainaudit.victims import LocalHFVictim


def _sample(text: str, index: int = 0, label: int = 1) -> Sample:
    return Sample("toy", "validation", index, text, label)


def test_a_huge_text_is_attacked_as_the_model_reads_it(tiny_model_dir: Path, tmp_path: Path) -> None:
    victim = LocalHFVictim.load(str(tiny_model_dir), ("negative", "positive"), max_length=16)
    huge = "the movie was great fun and the acting was wonderful " * 20_000  # 1 MB, 200,000 words
    clean = int(victim.predict_proba([huge])[0].argmax())
    started = time.perf_counter()
    with Store(tmp_path / "r.db") as store:
        run = run_attack(build_recipe("pwws", tiny_resources()), victim, [_sample(huge, label=clean)], store)
    assert time.perf_counter() - started < 60
    (outcome,) = run.outcomes
    assert outcome.outcome in {"succeeded", "failed"}
    assert outcome.extra["truncated_from_chars"] == len(huge)
    assert run.summary.truncated == 1
    stored = Store(tmp_path / "r.db").select("attack_results")[0]["original_text"]
    assert len(stored) < 200 and huge.startswith(stored)


class SlowVictim(KeywordVictim):
    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(0.3)
        return super().predict_proba(texts)


def test_time_limit_stops_a_sample_and_is_recorded(tmp_path: Path) -> None:
    with Store(tmp_path / "r.db") as store:  # the clean prediction alone outlasts the limit
        run = run_attack(build_recipe("pwws", tiny_resources()), SlowVictim(), [_sample("the movie was good")],
                         store, time_limit=0.1, concurrency=1)
    (outcome,) = run.outcomes
    assert outcome.outcome == "failed" and outcome.queries == 1
    assert outcome.extra["time_limit_reached"] is True and outcome.extra["time_limit_s"] == 0.1
    assert outcome.seconds < 2 and run.summary.time_limited == 1


def test_query_budget_is_recorded_and_stops_the_search(tmp_path: Path) -> None:
    text = "good " + " ".join(f"word{i}" for i in range(30))
    with Store(tmp_path / "r.db") as store:
        run = run_attack(build_recipe("pwws", tiny_resources()), KeywordVictim(), [_sample(text)], store, budget=5)
    (outcome,) = run.outcomes
    assert outcome.queries <= 5 and outcome.extra == {"budget_exhausted": True, "query_budget": 5}
    assert run.summary.budget_exhausted == 1


def test_the_default_request_bounds_every_sample(keyword_data: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    request = AttackRequest(model=str(tiny_model_dir), attack="pwws", dataset=str(keyword_data), n=4,
                            label_map="negative=0,positive=1", resources=tiny_resources(), concurrency=1)
    with Store(tmp_path / "r.db") as store:
        done = run_adhoc(request, store)
    attacked = [o for o in done.outcomes if o.outcome in {"succeeded", "failed"}]
    assert attacked and all(o.extra["query_budget"] == 10_000 and o.extra["time_limit_s"] == 300 for o in attacked)


def test_retry_errors_attacks_stored_errors_again(tmp_path: Path) -> None:
    recipe = build_recipe("pwws", tiny_resources())
    samples = [_sample("the movie was good", 0), _sample("a good plot", 1)]
    with Store(tmp_path / "r.db") as store:
        first = run_attack(recipe, KeywordVictim(explode_on="plot"), samples, store)
        assert [o.outcome for o in first.outcomes] == ["succeeded", "error"]
        resumed = run_attack(recipe, KeywordVictim(), samples, store)  # an ordinary error resumes as it is
        assert resumed.resumed == 2 and resumed.outcomes[1].outcome == "error"
        retried = run_attack(recipe, KeywordVictim(), samples, store, retry_errors=True)
        assert retried.resumed == 1 and [o.outcome for o in retried.outcomes] == ["succeeded", "succeeded"]
        assert len(store.select("attack_results")) == 2


def test_a_changed_parameter_makes_new_rows_instead_of_resuming_old_ones(keyword_data: Path, tiny_model_dir: Path,
                                                                         tmp_path: Path) -> None:
    def run(**changes: object) -> int:
        request = AttackRequest(model=str(tiny_model_dir), attack="pwws", dataset=str(keyword_data), n=3,
                                label_map="negative=0,positive=1", resources=tiny_resources(), concurrency=1,
                                **changes)
        with Store(tmp_path / "r.db") as store:
            (run_,) = run_adhoc(request, store).runs.values()
            return run_.resumed

    assert run() == 0
    assert run() == 3  # same parameters: resumed
    assert run(budget=20) == 0  # a new budget: new rows, the old ones untouched
    assert run(max_length=32) == 0
    with Store(tmp_path / "r.db") as store:
        assert store.count("attack_results") == 9
        digests = {r["params"] for r in store.select("attack_results")}
        described = {r["params"]: r["value"] for r in store.select("attack_params")}
    assert len(digests) == 3 and digests == set(described)
    assert sorted(v["query_budget"] for v in described.values()) == [20, 10_000, 10_000]
