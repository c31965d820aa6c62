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
    CONVENTIONS,
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
    """δ per hop pooled over attacks and datasets (Fig. 9), both conventions, paired bootstrap interval."""
    out = []
    for hop in hops:
        mine = [r for r in rows if r["model"] in (hop.up, hop.down)]
        for convention in CONVENTIONS:
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
