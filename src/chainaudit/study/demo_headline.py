"""The demo's headline figures from the store, through `study.metrics`: ASR per model and attack (pooled over the
datasets), and per chain hop and attack δ and the transferable rate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chainaudit.store import Store
from chainaudit.study.metrics import Delta, Estimate, Transfer, asr_table, chain_hops, delta, transfer
from chainaudit.study.plan import StudyPlan


@dataclass(frozen=True)
class ModelAttack:
    """One model under one attack, over every dataset of the study."""

    model_id: str
    attack: str
    asr: Estimate
    asr_all: Estimate
    valid_asr: Estimate


@dataclass(frozen=True)
class HopAttack:
    """One chain hop under one attack, over the samples attacked on both ends (the paper's `asr_all` counting)."""

    up: str
    down: str
    attack: str
    delta: Delta
    transfer: Transfer


@dataclass(frozen=True)
class Headline:
    models: list[ModelAttack]
    hops: list[HopAttack]
    rows: int


def plan_rows(plan: StudyPlan, store: Store) -> list[dict[str, Any]]:
    """The stored result rows of the plan's jobs (its current parameters only), as the report counts them."""
    return [r for key in {j.key for j in plan.jobs} for r in store.select("attack_results", key.where())]


def headline(plan: StudyPlan, store: Store, *, resamples: int = 1000, seed: int = 0) -> Headline:
    """The headline figures of a chain study, models and hops in chain order, attacks in the config's order."""
    rows = plan_rows(plan, store)
    attacks = [a.id for a in plan.config.attacks]
    cells = {(c.key["model_id"], c.key["attack"]): c for c in asr_table(rows, ("model_id", "attack"))
             if c.scope == "group"}
    ids = {j.job.model: (j.key.model_id, j.key.revision) for j in plan.jobs}
    order = list(dict.fromkeys(ids[m][0] for m in plan.config.subjects()))
    models = [ModelAttack(m, a, c.asr, c.asr_all, c.valid_asr) for m in order for a in attacks
              if (c := cells.get((m, a))) is not None]
    pinned = {m: f"{model_id}@{revision}" for m, (model_id, revision) in ids.items()}
    hops = [hop for chain in plan.config.chains if len(chain) > 1 for hop in chain_hops([pinned[m] for m in chain])]
    per_hop = [HopAttack(h.up.partition("@")[0], h.down.partition("@")[0], a,
                         delta(rows, h.up, h.down, attack=a, resamples=resamples, seed=seed),
                         transfer(rows, h.up, h.down, attack=a)) for h in dict.fromkeys(hops) for a in attacks]
    return Headline(models, per_hop, len(rows))
