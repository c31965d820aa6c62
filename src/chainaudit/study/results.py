"""A study's figures from the store: its result rows and replays, through `study.metrics`, written as JSON and CSV."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainaudit.errors import ChainauditError
from chainaudit.store import Store
from chainaudit.study.config import StudyConfig
from chainaudit.study.metrics import chain_hops, study_tables
from chainaudit.study.plan import StudyPlan


@dataclass(frozen=True)
class StudyFigures:
    """The tables (`asr`, `delta`, `transfer`, `replay`, `repeats`) and the files they were written to."""

    tables: dict[str, list[dict[str, Any]]]
    files: list[Path]


def study_figures(plan: StudyPlan, store: Store, *, out: Path | None = None, resamples: int = 2000,
                  seed: int = 0) -> StudyFigures:
    """Every figure of the study over the rows its plan keys (the current parameters only), each with its n
    and 95% interval; with `out`, also `<out>/<table>.csv` and `<out>/metrics.json`."""
    config: StudyConfig = plan.config
    keys = {j.key for j in plan.jobs}
    rows = [r for key in keys for r in store.select("attack_results", key.where())]
    if not rows:
        raise ChainauditError(f"study {config.name!r} has no stored results for its current settings; run "
                              "`chainaudit study run` first")
    ids = {j.job.model: f"{j.key.model_id}@{j.key.revision}" for j in plan.jobs}
    hops = [hop for chain in config.chains if len(chain) > 1 for hop in chain_hops([ids[m] for m in chain])]
    replays = store.select("transfer_replays", {"study_id": config.name})
    tables = study_tables(rows, hops, replays, resamples=resamples, seed=seed)
    return StudyFigures(tables, _write(tables, out) if out else [])


def _write(tables: dict[str, list[dict[str, Any]]], out: Path) -> list[Path]:
    if not out.parent.is_dir():
        raise ChainauditError(f"cannot write into {out}: folder {out.parent} does not exist")
    out.mkdir(exist_ok=True)
    files = [out / "metrics.json"]
    files[0].write_text(json.dumps(tables, indent=2), encoding="utf-8")
    for name, rows in tables.items():
        path = out / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else [])
            writer.writeheader()
            writer.writerows(rows)
        files.append(path)
    return files
