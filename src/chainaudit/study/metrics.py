"""Study metrics: pure functions over result rows, each a value with its n and a 95% interval.

Rows are dicts shaped like the store's `attack_results` table (`outcome` is succeeded / failed / skipped /
error; `goal` defaults to "untargeted" where absent). A sample is (dataset, split, idx); a run is (model_id,
revision, attack, seed, goal, params). No store and no I/O here: the report and the CLI read rows and call these.

A model is named by its id, or `id@revision` to pin one revision (`select`). An error is never counted anywhere:
not as a failure, not in any n.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

import numpy as np
from scipy.stats import binomtest

Row = Mapping[str, Any]
Convention = Literal["asr", "asr_all"]
CONVENTIONS: tuple[Convention, ...] = ("asr", "asr_all")
#: δ is also taken over valid successes only (`row_valid_success`): `valid_asr`, `valid_asr_all`.
DeltaConvention = Literal["asr", "asr_all", "valid_asr", "valid_asr_all"]
DELTA_CONVENTIONS: tuple[DeltaConvention, ...] = ("asr", "asr_all", "valid_asr", "valid_asr_all")
OUTCOMES = frozenset({"succeeded", "failed", "skipped", "error"})
#: What makes an upstream row and a downstream row the same attacked sample.
PAIR_KEY = ("dataset", "split", "idx", "attack", "seed", "goal")
CONFIDENCE = 0.95


# --------------------------------------------------------------------------------------------------- estimates
@dataclass(frozen=True)
class Estimate:
    """A value with its n and 95% interval; `k` the count of successes where it is a proportion.
    `value`, `low` and `high` are None when n == 0."""

    value: float | None
    n: int
    low: float | None = None
    high: float | None = None
    k: int | None = None


def wilson(k: int, n: int) -> Estimate:
    """k of n, with the Wilson score 95% interval (scipy's `binomtest(k, n).proportion_ci(method="wilson")`,
    no continuity correction). E.g. 8 of 10 → 0.8 in (0.4902, 0.9433)."""
    if n == 0:
        return Estimate(None, 0, None, None, 0)
    ci = binomtest(k, n).proportion_ci(confidence_level=CONFIDENCE, method="wilson")
    return Estimate(k / n, n, float(ci.low), float(ci.high), k)


def goal_of(row: Row) -> str:
    """The row's goal key; rows written before goals existed are untargeted."""
    return row.get("goal") or "untargeted"


def row_success(row: Row, convention: Convention) -> bool | None:
    """Whether the row counts as a successful attack in `convention`, or None when it is not counted.

    `asr` (TextAttack): succeeded → True, failed → False; skipped and error are not counted.
    `asr_all` (OpenAttack, the paper): as `asr`, and skipped → True under the untargeted goal (the model was
    already wrong: the sample counts as flipped). Under another goal a skipped sample was not attacked and is not
    counted, so there `asr_all` equals `asr` (as `attacks.outcome.summarize`). Error: never counted."""
    outcome = row["outcome"]
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; expected one of {sorted(OUTCOMES)}")
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; expected one of {CONVENTIONS}")
    if outcome in ("succeeded", "failed"):
        return outcome == "succeeded"
    if outcome == "skipped" and convention == "asr_all" and goal_of(row) == "untargeted":
        return True
    return None


def rate(rows: Iterable[Row], convention: Convention) -> Estimate:
    """The ASR of `rows` in `convention` (see `row_success`), Wilson interval; n = the counted rows."""
    flags = [f for f in (row_success(r, convention) for r in rows) if f is not None]
    return wilson(sum(flags), len(flags))


def asr(rows: Iterable[Row]) -> Estimate:
    """TextAttack's ASR: succeeded / (succeeded + failed); n = succeeded + failed; Wilson interval."""
    return rate(rows, "asr")


def row_valid_success(row: Row, convention: Convention) -> bool | None:
    """`row_success` counting only valid successes (`attacks.validity`: meaning kept, not flipped): a success is
    True when its stored `valid` is true, False when false, and not counted when it was never checked (NULL, rows
    written before the check existed). A skipped sample counted under `asr_all` is a valid flip (its text is the
    clean one)."""
    success = row_success(row, convention)
    if success is None or row["outcome"] != "succeeded":
        return success
    valid = row.get("valid")
    return None if valid is None else bool(valid)


def valid_rate(rows: Iterable[Row], convention: Convention) -> Estimate:
    """The valid ASR of `rows` in `convention` (see `row_valid_success`), Wilson interval: `valid_asr` = valid
    successes / (checked successes + failed); `valid_asr_all` the same with already-wrong samples as valid flips."""
    flags = [f for f in (row_valid_success(r, convention) for r in rows) if f is not None]
    return wilson(sum(flags), len(flags))


def asr_all(rows: Iterable[Row]) -> Estimate:
    """OpenAttack's / the paper's ASR: (succeeded + skipped) / (succeeded + failed + skipped) under the untargeted
    goal (already-wrong samples count as flipped); elsewhere equal to `asr`. n = the denominator; Wilson."""
    return rate(rows, "asr_all")


# ------------------------------------------------------------------------------------------------- ASR table
@dataclass(frozen=True)
class AsrCell:
    """ASR both ways, and valid ASR both ways, for one group. `scope`: "group" (every field of `by`), one field
    name (that field alone, pooled over the others), or "all"; `key` holds the grouping values of that scope."""

    scope: str
    key: Mapping[str, Any]
    asr: Estimate
    asr_all: Estimate
    valid_asr: Estimate
    valid_asr_all: Estimate


def group_rows(rows: Iterable[Row], by: Sequence[str]) -> dict[tuple[Any, ...], list[Row]]:
    """Rows grouped by the values of `by`, in order of first appearance."""
    groups: dict[tuple[Any, ...], list[Row]] = {}
    for r in rows:
        groups.setdefault(tuple(r.get(f) for f in by), []).append(r)
    return groups


def _cell(scope: str, key: Mapping[str, Any], rows: list[Row]) -> AsrCell:
    return AsrCell(scope, dict(key), asr(rows), asr_all(rows), valid_rate(rows, "asr"), valid_rate(rows, "asr_all"))


def asr_table(rows: Iterable[Row], by: Sequence[str] = ("model_id", "attack", "dataset")) -> list[AsrCell]:
    """One (asr, asr_all, valid_asr, valid_asr_all) cell per group of `by`; then per value of each field of `by`
    alone (overall per model, per attack, per dataset) and over everything. Marginals pool the rows (each row
    counts once; with several seeds each (sample, seed) is one trial), so their n is the sum of their groups' n."""
    items = list(rows)
    by = tuple(by)
    cells = [_cell("group", dict(zip(by, key, strict=True)), g) for key, g in group_rows(items, by).items()]
    if len(by) > 1:
        for field in by:
            cells += [_cell(field, {field: key[0]}, g) for key, g in group_rows(items, (field,)).items()]
    cells.append(_cell("all", {}, items))
    return cells


# ----------------------------------------------------------------------------------------------- pairs and δ
def select(rows: Iterable[Row], model: str) -> list[Row]:
    """The rows of one model: `model` is a model id, or `id@revision` to pin one revision."""
    model_id, _, revision = model.partition("@")
    return [r for r in rows if r["model_id"] == model_id and (not revision or r.get("revision") == revision)]


def _pair_key(row: Row) -> tuple[Any, ...]:
    return tuple(goal_of(row) if f == "goal" else row[f] for f in PAIR_KEY)


def _by_sample(rows: Iterable[Row], model: str) -> dict[tuple[Any, ...], Row]:
    out: dict[tuple[Any, ...], Row] = {}
    for r in select(rows, model):
        key = _pair_key(r)
        if key in out:
            raise ValueError(f"{model}: two rows for {dict(zip(PAIR_KEY, key, strict=True))}; "
                             "keep one run (revision, params) per model, e.g. name it id@revision")
        out[key] = r
    return out


def _keep(row: Row, attack: str | None, dataset: str | None) -> bool:
    return (attack is None or row["attack"] == attack) and (dataset is None or row["dataset"] == dataset)


def paired(rows: Iterable[Row], up: str, down: str, *, attack: str | None = None,
           dataset: str | None = None) -> list[tuple[Row, Row]]:
    """(upstream row, downstream row) for each sample attacked on both: same dataset, split, idx, attack, seed and
    goal. Optionally one attack / dataset. Raises ValueError when a model has two rows for one sample."""
    items = [r for r in rows if _keep(r, attack, dataset)]
    ups, downs = _by_sample(items, up), _by_sample(items, down)
    return [(u, downs[key]) for key, u in ups.items() if key in downs]


def paired_flags(pairs: Iterable[tuple[Row, Row]], convention: DeltaConvention) -> tuple[np.ndarray, np.ndarray]:
    """Per-pair success (upstream, downstream) as two bool arrays. A pair is dropped when either row is not
    counted in `convention`: an error in either always; under `asr` also a skipped sample in either; under the
    `valid_` conventions (valid successes only) also a success whose validity was never checked."""
    if convention not in DELTA_CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; expected one of {DELTA_CONVENTIONS}")
    base: Convention = convention.removeprefix("valid_")  # type: ignore[assignment]
    success = row_valid_success if convention.startswith("valid_") else row_success
    kept = [(u, d) for u, d in ((success(a, base), success(b, base)) for a, b in pairs)
            if u is not None and d is not None]
    flags = np.asarray(kept, dtype=bool).reshape(-1, 2)
    return flags[:, 0], flags[:, 1]


def mcnemar_exact(b: int, c: int) -> float:
    """McNemar's exact two-sided test on the discordant pairs: binomtest(min(b, c), b + c, 0.5); 1.0 when none.
    E.g. b=6, c=1: 2·(C(7,0) + C(7,1))/2⁷ = 2·8/128 = 0.125."""
    return 1.0 if b + c == 0 else float(binomtest(min(b, c), b + c, 0.5).pvalue)


def bootstrap_delta(up: np.ndarray, down: np.ndarray, *, resamples: int = 2000,
                    seed: int = 0) -> tuple[float | None, float | None]:
    """Paired bootstrap 95% percentile interval of mean(down) − mean(up).

    Resampling the n pairs with replacement only matters through how many of each pair type it draws (both
    succeeded, upstream only, downstream only, neither), which is multinomial(n, type shares); δ* = (c* − b*)/n.
    So the types are drawn that way from `numpy.random.default_rng(seed)`: the same seed, the same interval."""
    n = len(up)
    if n == 0:
        return None, None
    counts = np.array([np.sum(up & down), np.sum(up & ~down), np.sum(~up & down), np.sum(~up & ~down)])
    draws = np.random.default_rng(seed).multinomial(n, counts / n, size=resamples)
    deltas = (draws[:, 2] - draws[:, 1]) / n
    low, high = np.percentile(deltas, [100 * (1 - CONFIDENCE) / 2, 100 * (1 + CONFIDENCE) / 2])
    return float(low), float(high)


@dataclass(frozen=True)
class Delta:
    """δ = ASR_down − ASR_up over n paired samples; (low, high) its paired bootstrap 95% interval; b (upstream
    succeeded, downstream failed) and c (upstream failed, downstream succeeded) the discordant pairs and
    `p_value` McNemar's exact test on them; `asr_up` / `asr_down` the two ASRs over the same pairs (Wilson)."""

    delta: float | None
    n: int
    low: float | None
    high: float | None
    b: int
    c: int
    p_value: float
    asr_up: Estimate
    asr_down: Estimate


def delta(rows: Iterable[Row], up: str, down: str, *, convention: DeltaConvention = "asr_all",
          attack: str | None = None,
          dataset: str | None = None, resamples: int = 2000, seed: int = 0) -> Delta:
    """δ for one hop (any pair of models) over the samples both were attacked on validly (`paired`,
    `paired_flags`: errors dropped; under `asr` a sample skipped in either is dropped too). Success per sample
    in `convention` (default the paper's `asr_all`; `valid_asr` / `valid_asr_all` count valid successes only).
    Pooled over attacks / datasets unless one is given."""
    u, d = paired_flags(paired(rows, up, down, attack=attack, dataset=dataset), convention)
    n = len(u)
    b, c = int(np.sum(u & ~d)), int(np.sum(~u & d))
    low, high = bootstrap_delta(u, d, resamples=resamples, seed=seed)
    asr_up, asr_down = wilson(int(u.sum()), n), wilson(int(d.sum()), n)
    value = None if n == 0 else (c - b) / n  # = mean(down) − mean(up): concordant pairs cancel
    return Delta(value, n, low, high, b, c, mcnemar_exact(b, c), asr_up, asr_down)


# --------------------------------------------------------------------------------------------------- transfer
@dataclass(frozen=True)
class Transfer:
    """Per hop and attack. `rate`: of the samples whose attack succeeded on the upstream, the share whose attack
    also succeeded on the downstream (outcomes `succeeded` on both; a downstream skip or error is not counted).
    `vulnerable` / `ordinary`: the downstream's ASR (in the chosen convention) on samples whose upstream attack
    succeeded / failed (the paper: 78.57% vs 58.24%). Under `asr` `vulnerable` equals `rate`."""

    rate: Estimate
    vulnerable: Estimate
    ordinary: Estimate


def transfer(rows: Iterable[Row], up: str, down: str, *, convention: Convention = "asr_all",
             attack: str | None = None, dataset: str | None = None) -> Transfer:
    """The transferable rate and the vulnerable / ordinary downstream ASRs for one pair of models (Wilson).
    A sample is vulnerable when its upstream outcome is `succeeded`, ordinary when `failed`; upstream skips and
    errors are neither."""
    pairs = paired(rows, up, down, attack=attack, dataset=dataset)
    vulnerable = [d for u, d in pairs if u["outcome"] == "succeeded"]
    ordinary = [d for u, d in pairs if u["outcome"] == "failed"]
    return Transfer(rate(vulnerable, "asr"), rate(vulnerable, convention), rate(ordinary, convention))


# ----------------------------------------------------------------------------------------------------- replay
def replay_transferred(replay: Row) -> bool | None:
    """Whether one replay (the upstream's adversarial text sent as it is to the downstream) transferred, or None
    when it is not counted. Untargeted goal only (ValueError otherwise). Counted: the upstream attack succeeded
    (`upstream_pred` != gold) and the downstream got the clean text right (`downstream_clean_pred` == gold);
    transferred: `downstream_pred` != gold. A replay with a missing label or prediction is not counted."""
    if goal_of(replay) != "untargeted":
        raise ValueError(f"replay rate is defined for the untargeted goal, not {goal_of(replay)!r}")
    gold, up, clean, down = (replay.get(k) for k in ("gold_label", "upstream_pred", "downstream_clean_pred",
                                                     "downstream_pred"))
    if None in (gold, up, clean, down) or up == gold or clean != gold:
        return None
    return down != gold


def replay_rate(replays: Iterable[Row]) -> Estimate:
    """Transferred / counted replays (`replay_transferred`), Wilson interval."""
    flags = [f for f in (replay_transferred(r) for r in replays) if f is not None]
    return wilson(sum(flags), len(flags))


def select_replays(replays: Iterable[Row], up: str, down: str) -> list[Row]:
    """Replays from `up` to `down` (rows shaped like `transfer_replays`: upstream_id / downstream_id and their
    revisions; `id@revision` pins one)."""
    def matches(r: Row, side: str, model: str) -> bool:
        model_id, _, revision = model.partition("@")
        return r.get(f"{side}_id") == model_id and (not revision or r.get(f"{side}_revision") == revision)

    return [r for r in replays if matches(r, "upstream", up) and matches(r, "downstream", down)]


# ------------------------------------------------------------------------------------------------------ chains
@dataclass(frozen=True)
class Hop:
    """An (upstream, downstream) pair; `end_to_end` marks a chain's first model against its last."""

    up: str
    down: str
    end_to_end: bool = False


def chain_hops(chain: Sequence[str]) -> list[Hop]:
    """The hops of [m0, m1, m2, ...]: (m0, m1), (m1, m2), ..., then (m0, m_last) marked end-to-end (only for
    three or more models: with two it is the single hop). Fewer than two models: ValueError."""
    if len(chain) < 2:
        raise ValueError(f"a chain needs at least two models, got {list(chain)}")
    hops = [Hop(a, b) for a, b in pairwise(chain)]
    if len(chain) > 2:
        hops.append(Hop(chain[0], chain[-1], end_to_end=True))
    return hops


# ------------------------------------------------------------------------------------------------------ seeds
@dataclass(frozen=True)
class Spread:
    """One metric over repeated seeds: mean, sample std (ddof=1; None with one seed), min (`low`) and max
    (`high`) of the per-seed values, and how many seeds had a value."""

    mean: float | None
    std: float | None
    low: float | None
    high: float | None
    n_seeds: int


def over_seeds(values: Mapping[int, Estimate]) -> Spread:
    """The spread of per-seed estimates (e.g. a random attack's ASR per seed); seeds with no value are left out.
    E.g. 0.5, 0.6, 0.7 → mean 0.6, std √((0.1² + 0 + 0.1²)/2) = 0.1, low 0.5, high 0.7."""
    kept = np.asarray([e.value for e in values.values() if e.value is not None], dtype=float)
    if not kept.size:
        return Spread(None, None, None, None, 0)
    std = float(kept.std(ddof=1)) if kept.size > 1 else None
    return Spread(float(kept.mean()), std, float(kept.min()), float(kept.max()), int(kept.size))


# ------------------------------------------------------------------------------------------------------ tables
def _plain(value: Any) -> Any:
    """Numpy scalars (e.g. from pandas rows) as Python ones, so tables dump to JSON."""
    return value.item() if isinstance(value, np.generic) else value


def _columns(prefix: str, est: Estimate) -> dict[str, Any]:
    return {prefix: est.value, f"{prefix}_k": est.k, f"{prefix}_n": est.n, f"{prefix}_low": est.low,
            f"{prefix}_high": est.high}


def _hop_columns(hop: Hop) -> dict[str, Any]:
    return {"up": hop.up, "down": hop.down, "end_to_end": hop.end_to_end}


def _as_hop(hop: Hop | tuple[str, str]) -> Hop:
    return hop if isinstance(hop, Hop) else Hop(*hop)


def _attack_datasets(rows: list[Row], hop: Hop) -> Iterator[tuple[str, str]]:
    """The (attack, dataset) pairs both ends of `hop` have rows for, in order of first appearance."""
    down = set(group_rows(select(rows, hop.down), ("attack", "dataset")))
    yield from (key for key in group_rows(select(rows, hop.up), ("attack", "dataset")) if key in down)


def asr_rows(rows: list[Row], by: Sequence[str]) -> list[dict[str, Any]]:
    """The "asr" table: scope, one column per field of `by` (None outside the cell's scope), both ASRs and both
    valid ASRs."""
    out = []
    for cell in asr_table(rows, by):
        keys = {f: _plain(cell.key.get(f)) for f in by}
        out.append({"scope": cell.scope, **keys, **_columns("asr", cell.asr), **_columns("asr_all", cell.asr_all),
                    **_columns("valid_asr", cell.valid_asr), **_columns("valid_asr_all", cell.valid_asr_all)})
    return out


def delta_rows(rows: list[Row], hops: Sequence[Hop], *, resamples: int, seed: int) -> list[dict[str, Any]]:
    """The "delta" table: one row per hop, attack (and dataset) both ends have rows for, and convention (valid
    ones too)."""
    out = []
    for hop in hops:
        for attack, dataset in _attack_datasets(rows, hop):
            for convention in DELTA_CONVENTIONS:
                d = delta(rows, hop.up, hop.down, convention=convention, attack=attack, dataset=dataset,
                          resamples=resamples, seed=seed)
                out.append({**_hop_columns(hop), "attack": attack, "dataset": dataset, "convention": convention,
                            "delta": d.delta, "n": d.n, "low": d.low, "high": d.high, "b": d.b, "c": d.c,
                            "p_value": d.p_value, **_columns("asr_up", d.asr_up), **_columns("asr_down", d.asr_down)})
    return out


def transfer_rows(rows: list[Row], hops: Sequence[Hop]) -> list[dict[str, Any]]:
    """The "transfer" table: one row per hop, attack (and dataset) both ends have rows for, and convention."""
    out = []
    for hop in hops:
        for attack, dataset in _attack_datasets(rows, hop):
            for convention in CONVENTIONS:
                t = transfer(rows, hop.up, hop.down, convention=convention, attack=attack, dataset=dataset)
                out.append({**_hop_columns(hop), "attack": attack, "dataset": dataset, "convention": convention,
                            **_columns("rate", t.rate), **_columns("vulnerable", t.vulnerable),
                            **_columns("ordinary", t.ordinary)})
    return out


def replay_rows(replays: list[Row], hops: Sequence[Hop]) -> list[dict[str, Any]]:
    """The "replay" table: one row per hop, attack and dataset."""
    out = []
    for hop in hops:
        for (attack, dataset), group in group_rows(select_replays(replays, hop.up, hop.down),
                                                   ("attack", "dataset")).items():
            out.append({**_hop_columns(hop), "attack": attack, "dataset": dataset,
                        **_columns("replay", replay_rate(group))})
    return out


_REPEAT_METRICS = (("asr", "asr", rate), ("asr_all", "asr_all", rate), ("valid_asr", "asr", valid_rate),
                   ("valid_asr_all", "asr_all", valid_rate))


def repeat_rows(rows: list[Row], by: Sequence[str]) -> list[dict[str, Any]]:
    """The "repeats" table: for each group of `by` (seed aside) run with two or more seeds, each ASR's (and valid
    ASR's) per-seed values (as text, in seed order) and their spread."""
    keys = tuple(f for f in by if f != "seed")
    out = []
    for key, group in group_rows(rows, keys).items():
        per_seed = group_rows(group, ("seed",))
        if len(per_seed) < 2:
            continue
        seeds = sorted(s for (s,) in per_seed)
        for metric, convention, of in _REPEAT_METRICS:
            values = {s: of(per_seed[(s,)], convention) for s in seeds}
            spread = over_seeds(values)
            out.append({**{f: _plain(v) for f, v in zip(keys, key, strict=True)}, "metric": metric,
                        "seeds": " ".join(str(s) for s in seeds),
                        "values": " ".join("" if e.value is None else repr(e.value) for e in values.values()),
                        "mean": spread.mean, "std": spread.std, "low": spread.low, "high": spread.high,
                        "n_seeds": spread.n_seeds})
    return out


def study_tables(rows: Iterable[Row], hops: Iterable[Hop | tuple[str, str]], replays: Iterable[Row] | None = None,
                 *, by: Sequence[str] = ("model_id", "attack", "dataset"), resamples: int = 2000,
                 seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    """Flat, JSON-ready tables "asr", "delta", "transfer", "replay" and "repeats": plain values, each rate with
    its k, n and interval columns; every row of a table has the same columns (ready for CSV). `hops` as from
    `chain_hops` (or (up, down) pairs); `replays` rows shaped like `transfer_replays` ("replay" empty without)."""
    items, hop_list = list(rows), [_as_hop(h) for h in hops]
    return {
        "asr": asr_rows(items, by),
        "delta": delta_rows(items, hop_list, resamples=resamples, seed=seed),
        "transfer": transfer_rows(items, hop_list),
        "replay": replay_rows(list(replays or []), hop_list),
        "repeats": repeat_rows(items, by),
    }
