"""The adversarial-example browser's data: a capped sample of a chain's result rows, with changed words marked.

A study can hold 10⁵ rows, so the page carries at most `per_group` rows per (model, attack, outcome), chosen in
SQL (first by dataset and index); the counts of every group and the full CSV's path say how many exist.
"""

from __future__ import annotations

import difflib
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chainaudit.store import Store

#: Rows per (model@revision, attack, outcome) carried in the page.
PER_GROUP = 20
_COLUMNS = ("model_id", "revision", "dataset", "split", "idx", "attack", "seed", "goal", "params", "outcome",
            "gold_label", "original_pred", "perturbed_pred", "original_text", "perturbed_text", "queries",
            "words_changed", "similarity", "valid", "error", "extra")


@dataclass(frozen=True)
class Examples:
    """The browser's rows (JSON-ready, texts pre-rendered as escaped HTML with changes marked) and, per
    (model, attack, outcome), how many rows the study holds."""

    rows: list[dict[str, Any]]
    totals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def capped(self) -> bool:
        return sum(t["count"] for t in self.totals) > len(self.rows)


def mark_changes(original: str, perturbed: str) -> tuple[str, str]:
    """(original, perturbed) as escaped HTML, words that differ wrapped in <del> (original) and <mark> (perturbed).

    >>> mark_changes("a good film", "a fine film")
    ('a <del>good</del> film', 'a <mark>fine</mark> film')
    """
    a, b = original.split(), perturbed.split()
    left: list[str] = []
    right: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        old, new = html.escape(" ".join(a[i1:i2])), html.escape(" ".join(b[j1:j2]))
        if op == "equal":
            left.append(old)
            right.append(new)
            continue
        if old:
            left.append(f"<del>{old}</del>")
        if new:
            right.append(f"<mark>{new}</mark>")
    return " ".join(left), " ".join(right)


def _probs(extra: Any, key: str) -> list[float] | None:
    """Victim probabilities stored in the row's `extra` under `key`, if any (the attacks do not store them
    today; the browser shows them when a row has them)."""
    if isinstance(extra, str):
        extra = json.loads(extra)
    value = extra.get(key) if isinstance(extra, dict) else None
    return [round(float(p), 4) for p in value] if isinstance(value, list) else None


def _browser_row(r: dict[str, Any]) -> dict[str, Any]:
    original, perturbed = r["original_text"] or "", r["perturbed_text"] or ""
    if perturbed:
        shown_original, shown_perturbed = mark_changes(original, perturbed)
    else:
        shown_original, shown_perturbed = html.escape(original), ""
    return {
        "model": f"{r['model_id']}@{r['revision']}", "attack": r["attack"], "outcome": r["outcome"],
        "dataset": r["dataset"], "split": r["split"], "idx": r["idx"], "seed": r["seed"], "gold": r["gold_label"],
        "pred_before": r["original_pred"], "pred_after": r["perturbed_pred"], "original": shown_original,
        "perturbed": shown_perturbed, "queries": r["queries"], "words_changed": r["words_changed"],
        "similarity": None if r["similarity"] is None else round(float(r["similarity"]), 3),
        "valid": None if r["valid"] is None else bool(r["valid"]), "error": r["error"],
        "probs_before": _probs(r["extra"], "original_probs"), "probs_after": _probs(r["extra"], "perturbed_probs"),
    }


def chain_examples(store: Store, study: str, runs: set[tuple[Any, ...]], models: Sequence[tuple[str, str]],
                   totals: list[dict[str, Any]], *, per_group: int = PER_GROUP) -> Examples:
    """The first `per_group` rows of each (model, attack, outcome) of `models` ((id, revision) pairs) among the
    current `runs` ((model_id, revision, attack, seed, goal, params) tuples); `totals` the group counts."""
    ids = sorted({m for m, _ in models})
    digests = sorted({run[5] for run in runs})
    if not ids or not digests:
        return Examples([], totals)
    sql = (f"SELECT {', '.join(_COLUMNS)} FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY model_id, revision, attack, "
           "outcome ORDER BY dataset, split, idx, seed) AS rn FROM attack_results WHERE study_id = ? "
           f"AND model_id IN ({','.join('?' * len(ids))}) AND params IN ({','.join('?' * len(digests))})) "
           "WHERE rn <= ? ORDER BY model_id, attack, outcome, rn")
    cursor = store.conn.execute(sql, [study, *ids, *digests, per_group])
    names = [d[0] for d in cursor.description]
    wanted = set(models)
    rows = []
    for values in cursor:
        r = dict(zip(names, values, strict=True))
        key = (r["model_id"], r["revision"], r["attack"], r["seed"], r["goal"], r["params"])
        if (r["model_id"], r["revision"]) in wanted and key in runs:
            rows.append(_browser_row(r))
    return Examples(rows, totals)
