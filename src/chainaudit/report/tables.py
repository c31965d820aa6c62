"""RQ2/RQ3 data for the report: a study's current result rows read once, and every table through `study.metrics`.

Which rows count: a run is (model@revision, attack, seed, goal); a study re-run with a changed parameter stores
new rows under a new `params` digest beside the old ones. Without the study config's plan (which would load the
datasets) the report keeps, per run, the digest written last, and counts the rows it set aside as superseded.
Rows are read without their texts (pandas over one SQL query), so 10⁵ rows take about a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from chainaudit.store import Store
from chainaudit.study.metrics import (
    DELTA_CONVENTIONS,
    Hop,
    asr_rows,
    delta,
    delta_rows,
    group_rows,
    repeat_rows,
    replay_rows,
    transfer_rows,
    wilson,
)

RUN = ["model_id", "revision", "attack", "seed", "goal"]
_READ = ("model_id, revision, dataset, split, idx, attack, seed, goal, params, outcome, valid, error, created_at")
BY = ("model", "attack", "dataset")
OUTCOME_COLUMNS = ("succeeded", "failed", "skipped", "error")


@dataclass(frozen=True)
class StudyRows:
    """The current rows (`frame`: one per attacked sample, `model` = id@revision), the runs they belong to and the
    number of superseded rows left out."""

    frame: pd.DataFrame
    runs: set[tuple[Any, ...]]
    superseded: int

    def records(self) -> list[dict[str, Any]]:
        return self.frame.drop(columns=["created_at"]).to_dict("records")


def read_rows(store: Store, study: str) -> StudyRows:
    """The study's rows, the latest `params` digest of each run only."""
    frame = pd.read_sql_query(f"SELECT {_READ} FROM attack_results WHERE study_id = ?", store.conn, params=[study])
    if frame.empty:
        return StudyRows(frame.assign(model=pd.Series(dtype=str)), set(), 0)
    frame["goal"] = frame["goal"].fillna("untargeted")
    stamps = frame.groupby([*RUN, "params"], dropna=False)["created_at"].max().reset_index()
    latest = stamps.sort_values("created_at").groupby(RUN, dropna=False).tail(1)[[*RUN, "params"]]
    kept = frame.merge(latest, on=[*RUN, "params"], how="inner")
    kept["model"] = kept["model_id"] + "@" + kept["revision"]
    kept["valid"] = kept["valid"].astype(object).where(kept["valid"].notna(), None)
    runs = {tuple(r) for r in latest.itertuples(index=False, name=None)}
    return StudyRows(kept.reset_index(drop=True), runs, len(frame) - len(kept))


def outcome_counts(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Per model, attack and dataset: how many rows ended in each outcome (errors and skips included)."""
    if frame.empty:
        return []
    counts = frame.groupby([*BY, "outcome"]).size().unstack("outcome", fill_value=0)
    counts = counts.reindex(columns=list(OUTCOME_COLUMNS), fill_value=0)
    counts["total"] = counts.sum(axis=1)
    return [{k: (int(v) if k in (*OUTCOME_COLUMNS, "total") else v) for k, v in r.items()}
            for r in counts.reset_index().to_dict("records")]


def error_messages(frame: pd.DataFrame, top: int = 20) -> list[dict[str, Any]]:
    """The most frequent error messages (first 300 characters) with their attack and count."""
    errors = frame[frame["outcome"] == "error"]
    if errors.empty:
        return []
    message = errors["error"].fillna("(no message)").str.slice(0, 300)
    grouped = errors.assign(message=message).groupby(["attack", "message"]).size().sort_values(ascending=False)
    return [{"attack": a, "message": m, "count": int(c)} for (a, m), c in grouped.head(top).items()]


def _by_partition(rows: list[dict[str, Any]], hops: Sequence[Hop], fn: Any) -> list[dict[str, Any]]:
    """`fn(rows, [hop])` per hop and (attack, dataset), over the rows of the hop's two models only (the metrics
    filter by all three anyway; this keeps each call small), in hop order."""
    by_model = group_rows(rows, ("model",))
    out: list[dict[str, Any]] = []
    for hop in hops:
        mine = [*by_model.get((hop.up,), []), *by_model.get((hop.down,), [])]
        for part in group_rows(mine, ("attack", "dataset")).values():
            out += fn(part, [hop])
    return out


def hop_deltas(rows: list[dict[str, Any]], hops: Sequence[Hop], *, resamples: int, seed: int) -> list[dict[str, Any]]:
    """δ per hop pooled over attacks and datasets (Fig. 9), both conventions and their valid-only versions,
    paired bootstrap interval."""
    out = []
    for hop in hops:
        mine = [r for r in rows if r["model"] in (hop.up, hop.down)]
        for convention in DELTA_CONVENTIONS:
            d = delta(mine, hop.up, hop.down, convention=convention, resamples=resamples, seed=seed)
            out.append({"up": hop.up, "down": hop.down, "end_to_end": hop.end_to_end, "convention": convention,
                        "delta": d.delta, "n": d.n, "low": d.low, "high": d.high, "b": d.b, "c": d.c,
                        "p_value": d.p_value, "asr_up": d.asr_up.value, "asr_down": d.asr_down.value})
    return out


def pooled(rows: list[dict[str, Any]], prefixes: Sequence[str], *, where: dict[str, Any]) -> list[dict[str, Any]]:
    """Per attack, the `prefix` rates of `rows` (transfer or replay table rows of single hops) pooled over hops
    and datasets: Σk / Σn with a Wilson interval (Fig. 10)."""
    keep = [r for r in rows if not r["end_to_end"] and all(r.get(k) == v for k, v in where.items())]
    out = []
    for (attack,), group in group_rows(keep, ("attack",)).items():
        row: dict[str, Any] = {"attack": attack}
        for prefix in prefixes:
            est = wilson(sum(r[f"{prefix}_k"] or 0 for r in group), sum(r[f"{prefix}_n"] for r in group))
            row |= {prefix: est.value, f"{prefix}_k": est.k, f"{prefix}_n": est.n, f"{prefix}_low": est.low,
                    f"{prefix}_high": est.high}
        out.append(row)
    return out


def study_tables(rows: list[dict[str, Any]], replays: list[dict[str, Any]], hops: Sequence[Hop], *,
                 resamples: int = 2000, seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    """Every RQ2/RQ3 table: `asr` (per model, attack, dataset and their marginals, both conventions, valid ASR),
    `delta` / `transfer` / `replay` per hop, attack and dataset, `delta_by_hop`, `transfer_by_attack`,
    `replay_by_attack` and `repeats`."""
    transfer = _by_partition(rows, hops, transfer_rows)
    replay = replay_rows(replays, hops)
    return {
        "asr": asr_rows(rows, BY),
        "delta": _by_partition(rows, hops, lambda part, hs: delta_rows(part, hs, resamples=resamples, seed=seed)),
        "delta_by_hop": hop_deltas(rows, hops, resamples=resamples, seed=seed),
        "transfer": transfer,
        "transfer_by_attack": pooled(transfer, ("rate", "vulnerable", "ordinary"), where={"convention": "asr_all"}),
        "replay": replay,
        "replay_by_attack": pooled(replay, ("replay",), where={}),
        "repeats": repeat_rows(rows, BY),
    }


# ------------------------------------------------------------------------------------------------------ backdoor
#: Settings in page order (any other after these, by name).
SETTINGS = ("easy", "hard")
#: The chains of a persistence study: fine-tuned from the poisoned model, and from its clean base (the baseline).
CHAINS = ("poisoned", "clean")
_HOP = ("poisoned_id", "poisoned_revision", "setting", "seed", "hop", "hops", "dataset", "eval_split", "method")


def _side(row: dict[str, Any] | None, side: str) -> dict[str, Any]:
    """One chain's columns of a paired hop row, prefixed by the chain (all None when it has no row)."""
    r = row or {}
    return {f"{side}_model": f"{r['model_id']}@{r['revision']}" if row else None, f"{side}_target": r.get("target"),
            f"{side}_train_examples": r.get("train_examples"),
            f"{side}_acc": r.get("clean_accuracy"), f"{side}_acc_n": r.get("clean_n"),
            f"{side}_acc_low": r.get("clean_low"), f"{side}_acc_high": r.get("clean_high"),
            f"{side}_lfr": r.get("lfr"), f"{side}_lfr_k": r.get("lfr_k"), f"{side}_lfr_n": r.get("lfr_n"),
            f"{side}_lfr_low": r.get("lfr_low"), f"{side}_lfr_high": r.get("lfr_high"),
            f"{side}_trigger_rates": list(r.get("trigger_rates") or [])}


def _setting_order(setting: str) -> tuple[int, str]:
    return (SETTINGS.index(setting) if setting in SETTINGS else len(SETTINGS), setting)


def persistence_by_hop(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """`backdoor_persistence` rows paired: per poisoned model, setting, seed and hop, the poisoned chain's clean
    accuracy and label-flip rate (`poisoned_acc`, `poisoned_lfr`, each with `_low`/`_high`/`_n` as stored: Wilson
    95%) beside the clean chain's (`clean_*`; None where a chain has no row for the hop)."""
    by_key: dict[tuple[Any, ...], dict[str, dict[str, Any]]] = {}
    for r in rows:
        key = (r["poisoned_id"], r["poisoned_revision"], r["setting"], r["seed"], r["hops"])
        by_key.setdefault(key, {})[r["chain"]] = r
    out = []
    for chains in by_key.values():
        first = chains.get("poisoned") or chains["clean"]
        out.append({k: first[k] for k in _HOP} | _side(chains.get("poisoned"), "poisoned")
                   | _side(chains.get("clean"), "clean"))
    return sorted(out, key=lambda r: (r["poisoned_id"], r["poisoned_revision"], _setting_order(r["setting"]),
                                      r["seed"], r["hop"]))


def trigger_rows(by_hop: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per paired hop whose chains evaluated several triggers (NeuBA), one row per trigger: on each chain the label
    it forces and its label-flip rate k/n with a Wilson 95% interval."""
    out = []
    for hop in by_hop:
        rates = {side: {t["trigger"]: t for t in hop[f"{side}_trigger_rates"]} for side in CHAINS}
        if max(len(r) for r in rates.values()) < 2:
            continue
        for trigger in dict.fromkeys([*rates["poisoned"], *rates["clean"]]):
            row: dict[str, Any] = {k: hop[k] for k in ("poisoned_id", "poisoned_revision", "setting", "seed", "hop",
                                                       "dataset")} | {"trigger": trigger}
            for side in CHAINS:
                found = rates[side].get(trigger)
                est = wilson(int(found["k"]), int(found["n"])) if found else wilson(0, 0)
                row |= {f"{side}_label": (found or {}).get("label"), f"{side}_lfr": est.value,
                        f"{side}_lfr_k": est.k, f"{side}_lfr_n": est.n, f"{side}_lfr_low": est.low,
                        f"{side}_lfr_high": est.high}
            out.append(row)
    return out
