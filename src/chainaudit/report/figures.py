"""The report's figures: matplotlib, rendered to inline SVG text (no pyplot, no global state, no files)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

_RC = {"svg.fonttype": "none", "svg.hashsalt": "chainaudit", "font.size": 9, "axes.spines.top": False,
       "axes.spines.right": False}
#: Colours of the ASR conventions (asr, asr_all, valid_asr, valid_asr_all), of the paper's figures and of the
#: label-flip rates of a poisoned chain and its clean baseline.
COLOURS = {"asr": "#4c72b0", "asr_all": "#dd8452", "valid_asr": "#55a868", "valid_asr_all": "#8172b3",
           "rate": "#4c72b0", "replay": "#c44e52", "vulnerable": "#dd8452", "ordinary": "#55a868", "paper": "#222222",
           "poisoned_lfr": "#c44e52", "clean_lfr": "#8c8c8c"}
#: At most this many rows in one interval plot (the rest are in the tables and CSV).
MAX_ROWS = 60


def to_svg(fig: Figure) -> str:
    """The figure as an inline `<svg>` element (XML header and metadata dropped)."""
    buf = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format="svg")
    text = buf.getvalue()
    text = re.sub(r"<metadata>.*?</metadata>", "", text[text.index("<svg"):], flags=re.S)
    return text


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height), layout="constrained")


def _errors(values: Sequence[float | None], lows: Sequence[float | None],
            highs: Sequence[float | None]) -> tuple[np.ndarray, np.ndarray]:
    v = np.array([np.nan if x is None else x for x in values], dtype=float)
    lo = np.array([np.nan if x is None else x for x in lows], dtype=float)
    hi = np.array([np.nan if x is None else x for x in highs], dtype=float)
    return v, np.vstack([np.nan_to_num(v - lo), np.nan_to_num(hi - v)])


def download_tail(curve: Sequence[tuple[int, int]]) -> str:
    """Fig. 4: downloads of each model by download rank, log-log (the long tail)."""
    fig = _figure(6, 3)
    with matplotlib.rc_context(_RC):
        ax = fig.add_subplot()
        ranks = np.array([r for r, _ in curve])
        downloads = np.array([d for _, d in curve], dtype=float)
        ax.plot(ranks, np.maximum(downloads, 0.8), marker=".", markersize=2, linewidth=1, color=COLOURS["asr"])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("model rank by downloads")
        ax.set_ylabel("downloads (0 drawn at 0.8)")
        ax.set_title("Download long tail (Fig. 4)")
    return to_svg(fig)


def chain_lengths(by_length: dict[str, int]) -> str:
    """Fig. 5: number of chains by number of models."""
    fig = _figure(5, 2.8)
    with matplotlib.rc_context(_RC):
        ax = fig.add_subplot()
        lengths = sorted(by_length, key=int)
        counts = [by_length[k] for k in lengths]
        bars = ax.bar(lengths, counts, color=COLOURS["asr"])
        ax.bar_label(bars, labels=[f"{c:,}" for c in counts], fontsize=8)
        ax.set_xlabel("models in the chain")
        ax.set_ylabel("chains")
        ax.set_title("Chain-length distribution (Fig. 5)")
    return to_svg(fig)


def rate_bars(rows: Sequence[dict[str, Any]], label: Callable[[dict[str, Any]], str], prefixes: Sequence[str],
              title: str, *, ylabel: str = "rate", paper: Sequence[tuple[str, float, float | None, float | None,
                                                                             str]] = (),
              lines: Sequence[tuple[float, str, str]] = ()) -> str:
    """Grouped bars, one group per row and one bar per `prefix` (its value with its interval; `n` under the bar),
    the paper's figures as black markers: (row label, value, low, high, legend text), and as dashed reference
    `lines`: (value, legend text, colour key)."""
    labels = [label(r) for r in rows][:MAX_ROWS]
    rows = list(rows)[:MAX_ROWS]
    fig = _figure(max(5.0, 0.25 * len(rows) * len(prefixes) + 2), 3.4)
    with matplotlib.rc_context(_RC):
        ax = fig.add_subplot()
        x = np.arange(len(rows))
        width = 0.8 / max(1, len(prefixes))
        for i, prefix in enumerate(prefixes):
            v, err = _errors([r.get(prefix) for r in rows], [r.get(f"{prefix}_low") for r in rows],
                             [r.get(f"{prefix}_high") for r in rows])
            pos = x - 0.4 + width * (i + 0.5)
            ax.bar(pos, np.nan_to_num(v), width, yerr=err, capsize=2, label=prefix,
                   color=COLOURS.get(prefix), error_kw={"linewidth": 0.8})
            for p, r in zip(pos, rows, strict=True):
                n = r.get(f"{prefix}_n")
                ax.text(p, 0.01, "" if n is None else f"{n}", ha="center", va="bottom", fontsize=6, rotation=90,
                        color="white")
        seen = set()
        for where, value, low, high, legend in paper:
            if where not in labels:
                continue
            at = labels.index(where)
            yerr = None if low is None else [[value - low], [high - value]]
            ax.errorbar([at + 0.45], [value], yerr=yerr, fmt="D", color=COLOURS["paper"], markersize=4, capsize=2,
                        label=None if legend in seen else legend)
            seen.add(legend)
        for value, legend, colour in lines:
            ax.axhline(value, linestyle="--", linewidth=1, color=COLOURS.get(colour, colour), label=legend)
        tilt = _labels_crowded(labels, fig.get_figwidth())
        ax.set_xticks(x, labels, rotation=30 if tilt else 0, ha="right" if tilt else "center")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return to_svg(fig)


def _labels_crowded(labels: Sequence[str], width_inches: float) -> bool:
    """Whether side-by-side tick labels would overlap: about 11 characters fit per inch at the tick font size, and
    the axes take about 70% of the figure's width (the legend sits to the right)."""
    per_label = 0.7 * width_inches * 11 / max(1, len(labels))
    return any(len(text) > per_label for text in labels)


def interval_rows(rows: Sequence[dict[str, Any]], label: Callable[[dict[str, Any]], str], title: str, *,
                  xlabel: str = "δ = ASR_down − ASR_up", series: str = "convention") -> str:
    """Horizontal intervals, one line per distinct `label` and one marker per `series` value (Fig. 9): each
    row's `delta` with (`low`, `high`), a zero line, n at the right."""
    names = list(dict.fromkeys(label(r) for r in rows))[:MAX_ROWS]
    kinds = list(dict.fromkeys(r[series] for r in rows))
    # the y tick labels (model pairs, attack, dataset) take about 0.07 in a character; the plot keeps 3.5 in
    width = max(7.0, 3.5 + 0.07 * max((len(n) for n in names), default=0))
    fig = _figure(width, 0.9 + 0.32 * len(names) * max(1, len(kinds)) / 1.5)
    with matplotlib.rc_context(_RC):
        ax = fig.add_subplot()
        for k, kind in enumerate(kinds):
            mine = [r for r in rows if r[series] == kind and label(r) in names and r["delta"] is not None]
            y = np.array([names.index(label(r)) for r in mine], dtype=float) + (k - (len(kinds) - 1) / 2) * 0.25
            v, err = _errors([r["delta"] for r in mine], [r["low"] for r in mine], [r["high"] for r in mine])
            ax.errorbar(v, y, xerr=err, fmt="o", markersize=4, capsize=2, label=kind, color=COLOURS.get(kind))
            for yy, vv, r in zip(y, v, mine, strict=True):
                ax.annotate(f"n={r['n']}", (vv, yy), xytext=(4, 2), textcoords="offset points", fontsize=6)
        ax.axvline(0, color="#888", linewidth=0.8)
        ax.set_yticks(range(len(names)), names)
        ax.invert_yaxis()
        ax.set_xlim(-1.05, 1.05)
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.legend(fontsize=7, loc="lower right")
    return to_svg(fig)
