"""Calibrate the validity check (`chainaudit.attacks.validity`) and report it on held-out labels.

`benchmarks/data/validity_labels.jsonl`: successes of chainaudit's PWWS, TextFooler, TextBugger and black-box
HotFlip on the first 60 SST-2 validation sentences (victim: the demo's MiniLM fine-tuned on SST-2), each read and
labelled by hand: `kept` (a reader takes the same meaning and sentiment from it) and `flipped` (the sentiment or
meaning is reversed: an antonym, an opposite-polarity word, a negation). `split` is fixed per recipe (a seeded
40% is `heldout`).

The thresholds are fitted on the `calibrate` part only, by coordinate ascent over a small grid from the shipped
`CALIBRATION` (objective: accuracy on kept plus accuracy on flipped; ties keep the earlier value), then the
fitted and the shipped thresholds are scored on the `heldout` part, never seen by the fit: precision, recall
and accuracy of `meaning_kept` and of `meaning_flipped`, per recipe and overall.

    .venv/bin/python benchmarks/validity_calibration.py [--labels FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chainaudit.attacks.validity import CALIBRATION, Calibration, Validity, ValidityChecker

LABELS = Path(__file__).parent / "data" / "validity_labels.jsonl"
GRID: dict[str, Sequence[Any]] = {
    "sense_share_original": (0.02, 0.05, 0.1, 0.15, 0.2, 0.3),
    "sense_share_substitute": (0.02, 0.05, 0.1, 0.15, 0.2, 0.3),
    "related_keeps": (False, True),
    "typo_max_edits": (1, 2, 3),
    "typo_min_length": (3, 4, 5),
    "polarity_min": (0.1, 0.2, 0.3, 0.5),
    "sentence_min": (None, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9),
}


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def verdicts(items: list[dict[str, Any]], cal: Calibration) -> list[Validity]:
    checker = ValidityChecker(cal)
    return checker.check_many([(i["original"], i["adversarial"], i["recipe"]) for i in items])


def objective(items: list[dict[str, Any]], cal: Calibration) -> float:
    vs = verdicts(items, cal)
    return sum((v.meaning_kept == i["kept"]) + (v.meaning_flipped == i["flipped"]) for v, i in zip(vs, items,
                                                                                                      strict=True))


def fit(items: list[dict[str, Any]], start: Calibration, rounds: int = 2) -> Calibration:
    """Coordinate ascent over `GRID` from `start`."""
    best, best_score = start, objective(items, start)
    for _ in range(rounds):
        for name, values in GRID.items():
            for value in values:
                trial = dataclasses.replace(best, **{name: value})
                score = objective(items, trial)
                if score > best_score:
                    best, best_score = trial, score
    return best


def scores(truth: list[bool], said: list[bool]) -> tuple[float | None, float | None, float, int, int]:
    tp = sum(t and s for t, s in zip(truth, said, strict=True))
    precision = tp / sum(said) if sum(said) else None
    recall = tp / sum(truth) if sum(truth) else None
    accuracy = sum(t == s for t, s in zip(truth, said, strict=True)) / len(truth)
    return precision, recall, accuracy, sum(truth), sum(said)


def _fmt(x: float | None) -> str:
    return "   -" if x is None else f"{x:4.2f}"


def report(title: str, items: list[dict[str, Any]], cal: Calibration) -> None:
    vs = verdicts(items, cal)
    print(f"\n{title}")
    print(f"{'recipe':18} {'n':>3} | {'kept P':>6} {'R':>4} {'acc':>4} {'true':>4} {'said':>4} | "
          f"{'flip P':>6} {'R':>4} {'acc':>4} {'true':>4} {'said':>4} | {'valid':>5}")
    groups = sorted({i["recipe"] for i in items})
    for group in [*groups, "all"]:
        rows = [(i, v) for i, v in zip(items, vs, strict=True) if group in ("all", i["recipe"])]
        kp, kr, ka, kt, ks = scores([i["kept"] for i, _ in rows], [v.meaning_kept for _, v in rows])
        fp, fr, fa, ft, fs = scores([i["flipped"] for i, _ in rows], [v.meaning_flipped for _, v in rows])
        valid = sum(v.valid for _, v in rows) / len(rows)
        print(f"{group:18} {len(rows):3} | {_fmt(kp):>6} {_fmt(kr)} {_fmt(ka)} {kt:4} {ks:4} | "
              f"{_fmt(fp):>6} {_fmt(fr)} {_fmt(fa)} {ft:4} {fs:4} | {valid:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--errors", action="store_true", help="list the held-out pairs the shipped check gets wrong")
    args = parser.parse_args()
    items = load(args.labels)
    calibrate = [i for i in items if i["split"] == "calibrate"]
    heldout = [i for i in items if i["split"] == "heldout"]
    print(f"{len(items)} labelled pairs: {len(calibrate)} calibrate, {len(heldout)} held out")
    fitted = fit(calibrate, CALIBRATION)
    changed = {f.name: getattr(fitted, f.name) for f in dataclasses.fields(Calibration)
               if getattr(fitted, f.name) != getattr(CALIBRATION, f.name)}
    print("fitted on the calibrate part:", dataclasses.asdict(fitted))
    print("shipped CALIBRATION " + ("equals the fit" if not changed else f"differs from the fit in {changed}"))
    report("calibrate part, shipped thresholds (the fit's own data)", calibrate, CALIBRATION)
    report("HELD-OUT part, shipped thresholds (never tuned on)", heldout, CALIBRATION)
    if changed:
        report("held-out part, fitted thresholds", heldout, fitted)
    if args.errors:
        print("\nheld-out disagreements (shipped thresholds):")
        for i, v in zip(heldout, verdicts(heldout, CALIBRATION), strict=True):
            if (v.meaning_kept, v.meaning_flipped) != (i["kept"], i["flipped"]):
                print(f"  [{i['recipe']}] label kept={i['kept']} flipped={i['flipped']}: {v.why}")


if __name__ == "__main__":
    main()
