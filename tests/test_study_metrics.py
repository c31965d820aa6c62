"""`study.metrics` on hand-made result tables; every expected number is worked out by hand beside it."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from chainaudit.study.metrics import (
    Hop,
    asr,
    asr_all,
    asr_table,
    bootstrap_delta,
    chain_hops,
    delta,
    mcnemar_exact,
    over_seeds,
    paired,
    replay_rate,
    study_tables,
    transfer,
    wilson,
)

S, F, K, E = "succeeded", "failed", "skipped", "error"


def row(model: str, idx: int, outcome: str, *, attack: str = "pwws", dataset: str = "sst2", seed: int = 0,
        goal: str = "untargeted", revision: str = "main") -> dict[str, Any]:
    """One `attack_results` row (gold label 1; predictions consistent with the outcome)."""
    return {"study_id": "s1", "model_id": model, "revision": revision, "dataset": dataset, "split": "validation",
            "idx": idx, "attack": attack, "seed": seed, "goal": goal, "params": f"{model}-{attack}",
            "outcome": outcome, "gold_label": 1, "original_pred": 0 if outcome == K else 1,
            "perturbed_pred": 0 if outcome == S else 1, "perturbed_text": "x", "queries": 10, "similarity": 0.9}


def rows_of(model: str, outcomes: str, **kw: Any) -> list[dict[str, Any]]:
    """Rows idx 0, 1, ... from a string of outcome letters S F K E ("-" leaves that idx out)."""
    letters = {"S": S, "F": F, "K": K, "E": E}
    return [row(model, i, letters[c], **kw) for i, c in enumerate(outcomes) if c != "-"]


# --------------------------------------------------------------------------------------------------- ASR
def test_asr_both_ways_with_skips_and_errors() -> None:
    rows = rows_of("m", "SSSFKKE")  # 3 succeeded, 1 failed, 2 skipped, 1 error
    a, b = asr(rows), asr_all(rows)
    assert (a.value, a.k, a.n) == (0.75, 3, 4)          # 3 / (3 + 1); the error is not a failure
    assert (b.value, b.k, b.n) == (5 / 6, 5, 6)         # (3 + 2) / (3 + 1 + 2); the error counts nowhere
    assert (a.low, a.high) == (wilson(3, 4).low, wilson(3, 4).high)


def test_asr_all_equals_asr_under_another_goal() -> None:
    rows = rows_of("m", "SSSFKKE", goal="targeted:0")  # skipped = not attacked under a targeted goal
    assert (asr_all(rows).k, asr_all(rows).n) == (3, 4)  # 3 / (3 + 1), as asr


def test_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown outcome"):
        asr([row("m", 0, "timeout")])


def test_wilson_known_value_and_empty() -> None:
    est = wilson(8, 10)
    # p = 0.8, z = 1.96: centre (0.8 + z²/20)/(1 + z²/10) = 0.7168, half-width z·√(0.016 + z²/400)/(1 + z²/10) = 0.2266
    assert est.value == 0.8 and est.n == 10 and est.k == 8
    assert (round(est.low, 4), round(est.high, 4)) == (0.4902, 0.9433)
    empty = wilson(0, 0)
    assert (empty.value, empty.n, empty.low, empty.high) == (None, 0, None, None)


def test_asr_table_groups_and_marginals() -> None:
    rows = (rows_of("A", "SSFK") + rows_of("A", "SFFE", attack="textfooler")
            + rows_of("B", "SSSS") + rows_of("B", "FFFK", attack="textfooler"))
    cells = {(c.scope, tuple(c.key.values())): c for c in asr_table(rows)}
    assert len(cells) == 4 + 2 + 2 + 1 + 1  # groups, per model, per attack, per dataset, all
    g = cells[("group", ("A", "pwws", "sst2"))]
    assert (g.asr.k, g.asr.n, g.asr_all.k, g.asr_all.n) == (2, 3, 3, 4)   # S S F K: 2/3; (2 + 1)/4
    a = cells[("model_id", ("A",))]
    assert (a.asr.value, a.asr_all.value) == (3 / 6, 4 / 7)             # (2 + 1)/(3 + 3); (3 + 1)/(4 + 3)
    b = cells[("model_id", ("B",))]
    assert (b.asr.value, b.asr_all.value) == (4 / 7, 5 / 8)             # (4 + 0)/(4 + 3); (4 + 1)/(4 + 4)
    tf = cells[("attack", ("textfooler",))]
    assert (tf.asr.value, tf.asr_all.value) == (1 / 6, 2 / 7)           # (1 + 0)/(3 + 3); (1 + 1)/(3 + 4)
    everything = cells[("all", ())]
    assert (everything.asr.k, everything.asr.n) == (7, 13)              # 2 + 1 + 4 + 0 of 3 + 3 + 4 + 3
    assert everything.asr_all.value == 0.6                              # (3 + 1 + 4 + 1)/(4 + 3 + 4 + 4) = 9/15
    assert cells[("dataset", ("sst2",))].asr == everything.asr          # one dataset: its marginal is all


# ----------------------------------------------------------------------------------------------------- δ
def delta_rows() -> list[dict[str, Any]]:
    # idx:      0  1  2..7    8  9  10 11 12 13
    up = rows_of("base", "SS" + "S" * 6 + "FF" + "EKSS")
    down = rows_of("ft", "SS" + "F" * 6 + "SF" + "SS-K")
    return up + down  # 12 is attacked on the upstream only; 13 is skipped downstream


def test_delta_asr_convention_drops_errors_and_skips() -> None:
    d = delta(delta_rows(), "base", "ft", convention="asr")
    # pairs 0..9 (10: error upstream, 11 and 13: a skip, 12: unpaired); up 2 + 6 = 8 of 10, down 2 + 1 = 3 of 10
    assert (d.n, d.asr_up.value, d.asr_down.value) == (10, 0.8, 0.3)
    assert d.delta == pytest.approx(-0.5)  # 0.3 − 0.8 = (c − b)/n = (1 − 6)/10
    assert (d.b, d.c) == (6, 1)
    assert d.p_value == pytest.approx(0.125)  # 2·(C(7,0) + C(7,1))/2⁷ = 16/128


def test_delta_asr_all_counts_skips_as_flipped() -> None:
    d = delta(delta_rows(), "base", "ft", convention="asr_all")
    # 11 (up skipped, down succeeded) and 13 (up succeeded, down skipped) join as both-succeeded: n = 12
    assert (d.n, d.asr_up.k, d.asr_down.k) == (12, 10, 5)  # up 8 + 2, down 3 + 2
    assert d.delta == pytest.approx(-5 / 12)               # (1 − 6)/12
    assert (d.b, d.c, d.p_value) == (6, 1, pytest.approx(0.125))


def test_delta_bootstrap_interval_is_reproducible_and_contains_the_estimate() -> None:
    rows = delta_rows()
    d = delta(rows, "base", "ft", convention="asr", seed=7)
    assert d == delta(rows, "base", "ft", convention="asr", seed=7)
    assert -1.0 <= d.low < d.delta < d.high < 0.0  # b − c = 5 of 10 is far from 0: δ* ≥ 0 in under 2.5%
    other = delta(rows, "base", "ft", convention="asr", seed=8)
    assert other.delta == d.delta and other.n == d.n


def test_bootstrap_matches_resampling_pairs_by_index() -> None:
    # the multinomial draw must behave like resampling the pairs themselves
    up = np.array([1, 1] + [1] * 6 + [0, 0], dtype=bool)
    down = np.array([1, 1] + [0] * 6 + [1, 0], dtype=bool)
    low, high = bootstrap_delta(up, down, resamples=20_000, seed=0)
    idx = np.random.default_rng(1).integers(0, 10, size=(20_000, 10))
    ref_low, ref_high = np.percentile(down[idx].mean(1) - up[idx].mean(1), [2.5, 97.5])
    assert abs(low - ref_low) <= 0.1 + 1e-9 and abs(high - ref_high) <= 0.1 + 1e-9  # δ* moves in steps of 1/10
    assert bootstrap_delta(up[:0], down[:0]) == (None, None)


def test_mcnemar_exact() -> None:
    assert mcnemar_exact(6, 1) == pytest.approx(0.125)  # two-sided: 2·8/128
    assert mcnemar_exact(1, 6) == pytest.approx(0.125)
    assert mcnemar_exact(0, 2) == pytest.approx(0.5)    # 2·(1/4)
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(0, 0) == 1.0                   # no discordant pair


def test_delta_with_no_pairs() -> None:
    d = delta(rows_of("base", "SS"), "base", "ft")
    assert (d.delta, d.n, d.low, d.high, d.b, d.c, d.p_value) == (None, 0, None, None, 0, 0, 1.0)
    assert d.asr_up.value is None


def test_pairing_needs_one_run_per_model() -> None:
    rows = rows_of("base", "SS") + rows_of("base", "FF", revision="r2") + rows_of("ft", "FF")
    with pytest.raises(ValueError, match="two rows"):
        paired(rows, "base", "ft")
    assert [u["outcome"] for u, _ in paired(rows, "base@r2", "ft")] == [F, F]
    other_seed = rows_of("base", "SS") + rows_of("ft", "FF", seed=1) + rows_of("ft", "S", goal="targeted:0")
    assert paired(other_seed, "base", "ft") == []  # a pair is the same seed and goal on both


# -------------------------------------------------------------------------------------------------- transfer
def test_transfer_rate_and_vulnerable_vs_ordinary() -> None:
    # idx:                     0..5 vulnerable (up S)  6..10 ordinary (up F)  11 up K, 12 up E: neither
    up = rows_of("base", "SSSSSS" + "FFFFF" + "KE")
    down = rows_of("ft", "SSSFKE" + "SFFFK" + "SS")
    t = transfer(up + down, "base", "ft", convention="asr_all")
    assert (t.rate.k, t.rate.n) == (3, 4)              # down succeeded on 0, 1, 2 of 0..3 (4 skipped, 5 error)
    assert (t.vulnerable.k, t.vulnerable.n) == (4, 5)  # (3 + skip at 4)/5 = 0.8
    assert (t.ordinary.k, t.ordinary.n) == (2, 5)      # (1 at 6 + skip at 10)/5 = 0.4
    strict = transfer(up + down, "base", "ft", convention="asr")
    assert strict.vulnerable == strict.rate             # 3/4
    assert (strict.ordinary.k, strict.ordinary.n) == (1, 4)  # 1/(1 + 3)


# ---------------------------------------------------------------------------------------------------- replay
def replay(up_pred: int | None, down_pred: int | None, clean: int | None, *, idx: int = 0,
           goal: str = "untargeted", up: str = "base", down: str = "ft") -> dict[str, Any]:
    return {"upstream_id": up, "upstream_revision": "main", "downstream_id": down, "downstream_revision": "main",
            "dataset": "sst2", "split": "validation", "idx": idx, "attack": "pwws", "seed": 0, "goal": goal,
            "gold_label": 1, "upstream_pred": up_pred, "downstream_pred": down_pred, "downstream_clean_pred": clean}


def replays() -> list[dict[str, Any]]:
    return [replay(0, 0, 1, idx=0),     # transferred: downstream wrong on the adversarial text, right on clean
            replay(0, 1, 1, idx=1),     # not transferred
            replay(0, 0, 1, idx=2),     # transferred
            replay(0, 0, 0, idx=3),     # not counted: downstream already wrong on the clean text
            replay(1, 0, 1, idx=4),     # not counted: the upstream attack did not succeed
            replay(0, None, 1, idx=5)]  # not counted: no downstream prediction


def test_replay_rate() -> None:
    est = replay_rate(replays())
    assert (est.k, est.n, est.value) == (2, 3, 2 / 3)  # 0 and 2 of 0, 1, 2
    with pytest.raises(ValueError, match="untargeted"):
        replay_rate([replay(0, 0, 1, goal="flip-prediction")])


# ---------------------------------------------------------------------------------------------------- chains
def chain_rows() -> list[dict[str, Any]]:
    return rows_of("a", "SSSF") + rows_of("b", "SSFF") + rows_of("c", "SFFF")


def test_chain_hops_and_end_to_end() -> None:
    hops = chain_hops(["a", "b", "c"])
    assert hops == [Hop("a", "b"), Hop("b", "c"), Hop("a", "c", end_to_end=True)]
    assert chain_hops(["a", "b"]) == [Hop("a", "b")]  # with two models the end-to-end pair is the hop
    with pytest.raises(ValueError):
        chain_hops(["a"])
    rows = chain_rows()
    ab, bc, ac = (delta(rows, h.up, h.down) for h in hops)
    assert (ab.delta, ab.b, ab.c) == (pytest.approx(-0.25), 1, 0)  # 2/4 − 3/4; idx 2 flips S → F
    assert (bc.delta, bc.b, bc.c) == (pytest.approx(-0.25), 1, 0)  # 1/4 − 2/4; idx 1
    assert (ac.delta, ac.b, ac.c) == (pytest.approx(-0.5), 2, 0)   # 1/4 − 3/4; idx 1 and 2
    assert ac.p_value == pytest.approx(0.5)                        # 2·(1/2)²


# ----------------------------------------------------------------------------------------------------- seeds
def test_spread_over_three_seeds() -> None:
    spread = over_seeds({0: wilson(5, 10), 1: wilson(6, 10), 2: wilson(7, 10), 3: wilson(0, 0)})
    assert spread.n_seeds == 3                       # seed 3 has no value
    assert spread.mean == pytest.approx(0.6)         # (0.5 + 0.6 + 0.7)/3
    assert spread.std == pytest.approx(0.1)          # √((0.1² + 0² + 0.1²)/(3 − 1)); ddof=0 would give 0.0816
    assert (spread.low, spread.high) == (0.5, 0.7)
    one = over_seeds({0: wilson(1, 2)})
    assert (one.mean, one.std, one.n_seeds) == (0.5, None, 1)
    assert over_seeds({}).n_seeds == 0


# ---------------------------------------------------------------------------------------------------- tables
def test_study_tables_are_flat_and_agree_with_the_functions() -> None:
    rows = chain_rows() + rows_of("a", "SSFF", attack="pso", seed=1) + rows_of("a", "SFFF", attack="pso", seed=2)
    rows += rows_of("a", "SSSS", attack="pso", seed=0)
    hops = [*chain_hops(["a", "b", "c"]), Hop("base", "ft")]  # base → ft: the replays' hop (no attack rows)
    tables = study_tables(rows, hops, replays(), resamples=500, seed=3)
    assert set(tables) == {"asr", "delta", "transfer", "replay", "repeats"}
    json.dumps(tables)
    for name, table in tables.items():
        assert table, name
        assert len({tuple(r) for r in table}) == 1, f"{name}: rows with different columns"
        for r in table:
            assert all(v is None or type(v) in (float, int, str, bool) for v in r.values()), (name, r)

    e2e = [r for r in tables["delta"] if r["end_to_end"] and r["convention"] == "asr_all"]
    assert len(e2e) == 1 and (e2e[0]["up"], e2e[0]["down"], e2e[0]["attack"]) == ("a", "c", "pwws")
    assert (e2e[0]["delta"], e2e[0]["n"], e2e[0]["b"]) == (pytest.approx(-0.5), 4, 2)
    assert e2e[0]["asr_up"] == 0.75 and e2e[0]["asr_up_n"] == 4

    pso = [r for r in tables["repeats"] if r["model_id"] == "a" and r["attack"] == "pso" and r["metric"] == "asr"]
    assert len(pso) == 1 and pso[0]["seeds"] == "0 1 2" and pso[0]["n_seeds"] == 3
    assert pso[0]["mean"] == pytest.approx(1.75 / 3)  # seeds 0, 1, 2: (4/4 + 2/4 + 1/4)/3
    assert pso[0]["values"] == "1.0 0.5 0.25"

    (rep,) = tables["replay"]  # only base → ft has replays
    assert (rep["up"], rep["down"], rep["replay_k"], rep["replay_n"]) == ("base", "ft", 2, 3)
    assert not [r for r in tables["delta"] if r["up"] == "base"]  # no attack rows for base: no δ rows

    overall = next(r for r in tables["asr"] if r["scope"] == "all")
    assert (overall["asr_k"], overall["asr_n"]) == (3 + 2 + 1 + 2 + 1 + 4, 24)


def test_delta_over_valid_successes_only() -> None:
    """`valid_asr`: a success counts only when its meaning check passed; an unchecked success drops the pair."""
    rows = [{**row("base", 0, "succeeded"), "valid": 0}, {**row("ft", 0, "succeeded"), "valid": 1},
            {**row("base", 1, "succeeded"), "valid": 1}, {**row("ft", 1, "succeeded"), "valid": 1},
            {**row("base", 2, "failed")}, {**row("ft", 2, "succeeded"), "valid": 0},
            {**row("base", 3, "succeeded"), "valid": None}, {**row("ft", 3, "failed")}]
    plain = delta(rows, "base", "ft", convention="asr")
    assert (plain.n, plain.delta) == (4, pytest.approx(0.0))  # up 3 of 4, down 3 of 4
    valid = delta(rows, "base", "ft", convention="valid_asr")
    assert (valid.n, valid.b, valid.c) == (3, 0, 1) and valid.delta == pytest.approx(1 / 3)  # pair 3 unchecked
    with pytest.raises(ValueError, match="unknown convention"):
        delta(rows, "base", "ft", convention="valid")  # type: ignore[arg-type]
