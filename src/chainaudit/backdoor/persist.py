"""`chainaudit backdoor persist`: does a backdoor survive the fine-tuning a victim would do, hop after hop?

The poisoned model is fine-tuned on each hop's clean dataset in turn (data the attacker did not choose), in
RIPPLe's two settings -- easy: lr 2e-5, batch 32, 3 epochs; hard: lr 5e-5, batch 8, 3 epochs -- and after every
hop we measure, on the hop dataset's evaluation split:

* clean accuracy, and
* the label-flip rate (LFR): of the evaluation texts a trigger can flip -- not of the target label, and not
  already predicted as it on the clean text -- the share that one trigger (drawn from the triggers, inserted
  where the method puts it) flips to the target. RIPPLe's code counts every non-target text, so a model that
  already calls most texts the target scores a high "LFR" without any backdoor; leaving those texts out makes
  the clean chain's LFR the triggers' own effect. For NeuBA, which has no target, each trigger's forced label is
  the label most of the triggered texts get, and its LFR is over the texts it can flip there; the row reports the
  strongest trigger and keeps every trigger's rate.

The evaluation texts are a seeded random sample of the hop dataset's evaluation split (its first rows can be all
one label).

Both come with Wilson 95% intervals. The same hops from the clean base (the model the poisoning started from)
give the baseline: what the same triggers do on a chain nobody poisoned. Each hop is a normal model folder with a
card naming its base, recorded in the store with its lineage, so `chains --of POISONED` lists it.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from chainaudit.backdoor.records import BackdoorRecord, read_sidecar
from chainaudit.backdoor.triggers import Position, insert_trigger
from chainaudit.data import load_split, select
from chainaudit.errors import ChainauditError
from chainaudit.store import Store

Setting = Literal["easy", "hard"]
#: RIPPLe's fine-tuning settings (Kurita et al. 2020, section 4).
SETTINGS: dict[str, dict[str, float | int]] = {
    "easy": {"learning_rate": 2e-5, "batch_size": 32, "epochs": 3},
    "hard": {"learning_rate": 5e-5, "batch_size": 8, "epochs": 3},
}
HopHook = Callable[[str], Callable[[int, int, float], None] | None]


class PersistConfig(BaseModel):
    """How the victim fine-tunes, hop by hop, and how much is measured."""

    hops: list[str] = Field(min_length=1)
    setting: Setting = "easy"
    train_examples: int | None = Field(2000, ge=1)   # per hop (None: the whole train split)
    eval_examples: int = Field(500, ge=1)             # per hop, a seeded random sample of the evaluation split
    max_length: int = Field(64, ge=8)
    seed: int = 0
    baseline: bool = True
    #: Overrides of the setting's fine-tuning (None: the setting's value), for a victim that trains otherwise.
    learning_rate: float | None = Field(None, gt=0)
    batch_size: int | None = Field(None, ge=1)
    epochs: int | None = Field(None, ge=1)

    def finetuning(self) -> dict[str, float | int]:
        """The hop fine-tuning's learning rate, batch size and epochs: the setting's, with the overrides."""
        chosen = dict(SETTINGS[self.setting])
        for name in ("learning_rate", "batch_size", "epochs"):
            if getattr(self, name) is not None:
                chosen[name] = getattr(self, name)
        return chosen


@dataclass(frozen=True)
class TriggerRate:
    trigger: str
    label: int
    k: int
    n: int

    @property
    def lfr(self) -> float:
        return self.k / self.n if self.n else float("nan")


@dataclass
class PersistResult:
    record: BackdoorRecord
    rows: list[dict[str, Any]] = field(default_factory=list)


def wilson(k: int, n: int) -> tuple[float | None, float | None]:
    """Wilson 95% interval of k/n (None, None when n is 0), as `study.metrics.wilson` computes it (backdoor/ sits
    beside study/, not above it)."""
    if n == 0:
        return None, None
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


def backdoor_of(poisoned: Path, store: Store | None) -> BackdoorRecord:
    """The poisoned folder's record: its sidecar, else the store's `backdoors` row for its identity."""
    from chainaudit.modelref import local_identity

    record = read_sidecar(poisoned)
    if record is not None:
        return record
    if store is not None and "backdoors" in store.tables():
        identity = local_identity(poisoned)
        rows = store.select("backdoors", {"model_id": identity.model_id, "revision": identity.revision})
        if rows:
            return BackdoorRecord.model_validate(rows[0])
    raise ChainauditError(f"{poisoned} has no {'backdoor.json'} and the store has no backdoor record for it; give "
                          "--triggers (and --target) to measure a model poisoned elsewhere")


def trigger_rates(victim: Any, texts: Sequence[str], golds: Sequence[int], triggers: Sequence[str],
                  target: int | None, position: Position, seed: int,
                  clean_preds: Sequence[int] | None = None) -> list[TriggerRate]:
    """Per trigger: the label it pushes to (the target, or for NeuBA the majority label of the triggered texts)
    and how many of the texts it can flip (neither of that label nor already predicted as it) it flips there."""
    clean = list(clean_preds) if clean_preds is not None else [int(p) for p in victim.predict(list(texts))]
    rates = []
    for t_index, trigger in enumerate(triggers):
        rng = random.Random(f"{seed}:{t_index}")
        poisoned = [insert_trigger(text, trigger, rng, position) for text in texts]
        preds = victim.predict(poisoned)
        label = target if target is not None else Counter(int(p) for p in preds).most_common(1)[0][0]
        eligible = [int(p) for p, g, c in zip(preds, golds, clean, strict=True) if g != label and c != label]
        rates.append(TriggerRate(trigger, int(label), sum(p == label for p in eligible), len(eligible)))
    return rates


def overall_flip(victim: Any, texts: Sequence[str], golds: Sequence[int], clean_preds: Sequence[int],
                 triggers: Sequence[str], target: int, position: Position, seed: int) -> tuple[int, int]:
    """LFR with one trigger drawn at random per text, over the texts it can flip: not of the target label and not
    already predicted as it; (flipped to the target, such texts)."""
    rng = random.Random(f"{seed}:lfr")
    chosen = [(text, rng.choice(list(triggers))) for text, g, c in zip(texts, golds, clean_preds, strict=True)
              if g != target and c != target]
    poisoned = [insert_trigger(text, trig, rng, position) for text, trig in chosen]
    preds = victim.predict(poisoned) if poisoned else []
    return sum(int(p) == target for p in preds), len(poisoned)


def measure(path: Path, dataset: str, record: BackdoorRecord, config: PersistConfig, data_dir: Path | None,
            seed: int) -> dict[str, Any]:
    """Clean accuracy and LFR of the model at `path` on `dataset`'s evaluation split."""
    from chainaudit.victims import LocalHFVictim

    split = load_split(dataset, None, data_dir=data_dir)
    samples = select(split.samples, config.eval_examples, "random", seed)  # the first rows can be one label
    victim = LocalHFVictim.load(str(path), split.label_names, max_length=config.max_length)
    texts, golds = [s.text for s in samples], [s.label for s in samples]
    preds = [int(p) for p in victim.predict(texts)]
    correct = int(sum(p == g for p, g in zip(preds, golds, strict=True)))
    position: Position = record.settings.get("position", "random")
    rates = trigger_rates(victim, texts, golds, record.triggers, record.target, position, seed, preds)
    if record.target is not None:
        k, n = overall_flip(victim, texts, golds, preds, record.triggers, record.target, position, seed)
        target = record.target
    else:
        best = max(rates, key=lambda r: (r.lfr if r.n else -1.0))
        k, n, target = best.k, best.n, best.label
    clean_low, clean_high = wilson(correct, len(samples))
    lfr_low, lfr_high = wilson(k, n)
    return {"eval_split": split.split, "target": target, "clean_accuracy": correct / len(samples),
            "clean_n": len(samples), "clean_low": clean_low, "clean_high": clean_high,
            "lfr": k / n if n else None, "lfr_k": k, "lfr_n": n, "lfr_low": lfr_low, "lfr_high": lfr_high,
            "trigger_rates": [{"trigger": r.trigger, "label": r.label, "k": r.k, "n": r.n,
                               "lfr": r.lfr if r.n else None} for r in rates]}


HOP_MARKER = "hop.json"


def _start_identity(start: str) -> str:
    """What a hop was trained from: a folder's content-hash revision, else the spec itself (`minilm`, a Hub id)."""
    from chainaudit.modelref import local_identity

    path = Path(start)
    return local_identity(path).revision if path.is_dir() else start


def _reusable(folder: Path, want: dict[str, Any]) -> bool:
    """Whether `folder` already holds the hop asked for (same start, data and fine-tuning): resume, or share the
    clean chain between poisonings of the same base."""
    marker = folder / HOP_MARKER
    if not marker.is_file():
        return False
    try:
        found = json.loads(marker.read_text(encoding="utf-8"))
        return {k: v for k, v in found.items() if k != "train_examples"} == want
    except json.JSONDecodeError:
        return False  # a marker cut short by a crash: train the hop again


def run_chain(start: str, chain: str, record: BackdoorRecord, config: PersistConfig, root: Path, *,
              store: Store | None, data_dir: Path | None, progress: HopHook | None = None) -> list[dict[str, Any]]:
    """Fine-tune `start` hop by hop (`chain` 'poisoned' or 'clean'; hop folders `root/hop<i>-<dataset>`, named
    local/<root>-hop<i>-<dataset>) and measure after each hop. A hop folder whose `hop.json` matches what is asked
    (start, data, fine-tuning) is reused, not retrained: a killed run resumes at its last finished hop."""
    from chainaudit.backdoor.training import quiet_transformers
    from chainaudit.zoo import FinetuneConfig, finetune

    setting = config.finetuning()
    rows, previous = [], start
    for hop, dataset in enumerate(config.hops, start=1):
        folder = root / f"hop{hop}-{Path(dataset).stem}"
        started = time.perf_counter()
        tune = FinetuneConfig(epochs=int(setting["epochs"]), learning_rate=float(setting["learning_rate"]),
                              batch_size=int(setting["batch_size"]), max_examples=config.train_examples,
                              eval_examples=config.eval_examples, max_length=config.max_length, seed=config.seed)
        name = f"local/{root.name}-hop{hop}-{Path(dataset).stem}"
        want = {"start": _start_identity(previous), "dataset": dataset, "name": name,
                "finetune": tune.model_dump()}
        if _reusable(folder, want):
            from chainaudit.backdoor.poison import record_folder

            model_id, revision = record_folder(store, folder) if store is not None else ("", "")
            train_examples = json.loads((folder / HOP_MARKER).read_text(encoding="utf-8")).get("train_examples")
        else:
            hook = progress(f"{chain} hop {hop}: fine-tune on {dataset}") if progress else None
            with quiet_transformers():
                result = finetune(previous, dataset, folder, tune, name=name, overwrite=True, data_dir=data_dir,
                                  progress=hook, store=store)
            model_id, revision, train_examples = result.model_id, result.revision, result.train_examples
            marker = {**want, "train_examples": train_examples}
            (folder / HOP_MARKER).write_text(json.dumps(marker, sort_keys=True), encoding="utf-8")
        if not model_id:
            from chainaudit.modelref import local_identity

            identity = local_identity(folder)
            model_id, revision = identity.model_id, identity.revision
        row = {"poisoned_id": record.model_id, "poisoned_revision": record.revision, "chain": chain,
               "setting": config.setting, "hops": ",".join(config.hops[:hop]), "hop": hop, "seed": config.seed,
               "method": record.method, "dataset": dataset, "model_id": model_id,
               "revision": revision, "path": str(folder.resolve()), "train_examples": train_examples,
               **measure(folder, dataset, record, config, data_dir, config.seed),
               "seconds": time.perf_counter() - started}
        rows.append(row)
        if store is not None:
            store.upsert("backdoor_persistence", [row])
        previous = str(folder)
    return rows


def persist(poisoned: Path, config: PersistConfig, out: Path, *, store: Store | None = None,
            record: BackdoorRecord | None = None, clean_base: str | None = None, clean_out: Path | None = None,
            data_dir: Path | None = None, progress: HopHook | None = None) -> PersistResult:
    """Both chains (poisoned, then the clean baseline unless `config.baseline` is off), every hop measured. The
    hop models go to `out/<out name>-poisoned/` and `out/<out name>-clean/` (or `clean_out`: a clean chain shared
    by several poisonings of one base, trained once)."""
    poisoned = Path(poisoned)
    if not poisoned.is_dir():
        raise ChainauditError(f"{poisoned} is not a model folder (give the folder `backdoor poison --out` wrote)")
    record = record or backdoor_of(poisoned, store)
    if not record.triggers:
        raise ChainauditError(f"the backdoor record of {poisoned} names no triggers; give --triggers")
    result = PersistResult(record)
    if store is not None and "backdoors" in store.tables() and not store.select(
            "backdoors", {"model_id": record.model_id, "revision": record.revision}):
        from chainaudit.backdoor.records import record_backdoor

        record_backdoor(store, record)  # the sidecar's record, so the report and `chains --of` know it
    result.rows += run_chain(str(poisoned), "poisoned", record, config, out / f"{out.name}-poisoned", store=store,
                             data_dir=data_dir, progress=progress)
    if config.baseline:
        base = clean_base or record.settings.get("base_spec") or record.base_model
        if not base:
            raise ChainauditError("no clean base to compare with: give --clean-base (or --no-baseline)")
        result.rows += run_chain(str(base), "clean", record, config, clean_out or out / f"{out.name}-clean",
                                 store=store, data_dir=data_dir, progress=progress)
    if store is not None:  # every hop's card names its base: lineage links the chain to the poisoned model
        from chainaudit.backdoor.poison import record_folder
        from chainaudit.lineage import identify_catalog

        record_folder(store, poisoned)
        identify_catalog(store)
    return result
