"""The page: one self-contained HTML document (styles, SVG figures, data and script inline; nothing fetched)."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from typing import Any

from chainaudit.report import figures, paper
from chainaudit.report.build import BACKDOOR_TABLE, ChainView, ReportData
from chainaudit.report.page_assets import SCRIPT, STYLE

CONVENTION_NOTE = ("<b>asr</b> = succeeded / (succeeded + failed) (TextAttack); <b>asr_all</b> = flipped / all "
                   "attacked, already-wrong samples counted as flipped (OpenAttack, the paper); <b>valid_asr</b> / "
                   "<b>valid_asr_all</b> the same counting only successes that keep the meaning and do not flip it. "
                   "Bars show the 95% Wilson interval; the number at the foot of each bar is n.")


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def interval(row: dict[str, Any], prefix: str) -> str:
    """`62.5% [40.9, 80.0] n=16 (k=10)`, or – when there is no value."""
    if row.get(prefix) is None:
        return f"– (n={row.get(f'{prefix}_n', 0)})"
    return (f"{pct(row[prefix])} [{100 * row[f'{prefix}_low']:.1f}, {100 * row[f'{prefix}_high']:.1f}] "
            f"n={row[f'{prefix}_n']}")


def short(model: str | None) -> str:
    """`owner/name@sha256:97a1a741…` → `owner/name@97a1a741` (the full revision is in the JSON and CSV)."""
    if not model:
        return "all"
    model_id, _, revision = model.partition("@")
    return f"{model_id}@{revision.removeprefix('sha256:')[:8]}" if revision else model_id


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, cls: str = "") -> str:
    """An HTML table; cells are escaped unless given as `Raw`."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c if isinstance(c, Raw) else esc(c)}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


class Raw(str):
    """Markup that `table` puts in a cell as it is."""


def section(ident: str, title: str, body: str) -> str:
    return f'<section id="{ident}"><h2>{esc(title)}</h2>{body}</section>'


def empty(message: str) -> str:
    return f'<p class="empty">{esc(message)}</p>'


def figure(svg: str, caption: str) -> str:
    return f'<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>'


# ---------------------------------------------------------------------------------------------------------- RQ1
def rq1(data: ReportData) -> str:
    cat = data.catalog
    if cat.stats is None:
        return section("rq1", "RQ1 · the catalog and its chains", empty(
            "The catalog is empty: no models and no lineage edges in this store. Run `chainaudit collect` (Hub crawl "
            "or --from-dir / --from-jsonl) and `chainaudit lineage` first; nothing is shown rather than made up."))
    st = cat.stats
    cov, ch, tail = st["coverage"], st["chains"], st["download_tail"]
    counted = st["edges_counted"]["caption"]
    summary = table(("figure", "value"), [
        ("edges counted", counted.removeprefix("edges counted: ")),
        ("models in the catalog", f"{cov['models']:,}"),
        ("with an upstream", f"{cov['with_upstream']:,} ({pct(cov['share_with_upstream'], 2)})"),
        ("models used as upstream", f"{cov['upstream_models']:,} ({cov['upstream_models_external']:,} external)"),
        ("upstream–downstream pairs", f"{cov['pairs']:,}"),
        ("chains (root-to-leaf paths)", f"{ch['count']:,}, average {ch['average_length']:.2f} models"),
        ("downloaded at least once", pct(tail["share_downloaded_at_least_once"], 2)),
        ("downloads held by the top 20", pct(tail["share_downloads_top20"], 2)),
        (f"downloads held by the top 0.1% ({tail['top_0_1_percent_models']} models)",
         pct(tail["share_downloads_top_0_1_percent"], 2)),
        ("models with unknown downloads (left out of the shares)", f"{tail['unknown_downloads']:,}"),
        ("edges by source", ", ".join(f"{k} {v:,}" for k, v in st["edges_by_source"].items()) or "none"),
        ("edges by relation", ", ".join(f"{k} {v:,}" for k, v in st["edges_by_relation"].items()) or "none"),
    ], cls="summary")
    parts = [summary, _cycles(st["cycles"])]
    parts.append(figure(figures.download_tail(cat.curve), f"Downloads by rank, {len(cat.curve)} log-spaced points "
                        "of the models whose downloads are known.") if cat.curve else empty(
        "No model has a known download count: no long-tail figure."))
    parts.append(figure(figures.chain_lengths(ch["by_length"]), "Chains counted exactly (dynamic programming) by "
                        f"number of models; {counted}.") if ch["by_length"] else empty(
        f"No chains ({counted})."))
    top = st["top_upstreams"]
    parts.append("<h3>Top upstream models (Table 1)</h3>" + (table(
        ("upstream", "downstream models", "share of pairs", "top downstream task", "downloads", "download rank"),
        [(r["model"] + (" (external)" if r["external"] else ""), f"{r['downstream']:,}", pct(r["share_of_pairs"], 2),
          f"{r['top_downstream_task'] or '–'} ({pct(r['top_task_share'], 0)})",
          "–" if r["downloads"] is None else f"{r['downloads']:,}", r["download_rank"] or "–") for r in top])
        + f'<p class="note">{esc(counted)}.</p>' if top else empty("No model has a downstream.")))
    blast = []
    for b in cat.blast:
        listed = table(("descendant", "depth", "downloads", "task"), [
            (r["model"], r["depth"], "–" if r["downloads"] is None else f"{r['downloads']:,}", r["pipeline_tag"] or "–")
            for r in b["listed"]])
        more = f" (first {len(b['listed'])} listed)" if b["descendants"] > len(b["listed"]) else ""
        blast.append(f"<details><summary><b>{esc(b['model'])}</b>: {b['descendants']:,} descendants to depth "
                     f"{b['max_depth']}, {b['downloads']:,} downloads in all"
                     + (f", {b['unknown_downloads']} with unknown downloads" if b["unknown_downloads"] else "")
                     + f"{esc(more)}</summary>{listed}</details>")
    parts.append("<h3>Blast radius of each top upstream</h3>" + ("".join(blast) + f'<p class="note">{esc(counted)}.</p>'
                                                                 if blast else empty("No upstreams.")))
    return section("rq1", "RQ1 · the catalog and its chains", "".join(parts))


def _cycles(cycles: dict[str, Any]) -> str:
    """What was left out to make the lineage a DAG: self-loops, and each broken cycle with its edges and the one
    dropped (nothing when there were none)."""
    loops, broken, total = cycles["self_loop_count"], cycles["broken_cycles"], cycles["broken_count"]
    if not loops and not total:
        return ""
    named = ", ".join(cycles["self_loops"][:10]) + (", …" if loops > 10 else "")
    said = [f"{loops:,} self-loop(s) removed ({named})"] if loops else []
    if total:
        said.append(f"{total:,} cycle(s) broken by dropping the weakest edge of each"
                    + (f" (the first {len(broken)} listed)" if total > len(broken) else ""))
    text = "; ".join(said) + "."
    rows = [(" → ".join([c["edges"][0][0], *(e[1] for e in c["edges"])]),
             ", ".join(f"{p} → {ch} ({conf:.2f})" for p, ch, conf in c["edges"]),
             f"{c['dropped'][0]} → {c['dropped'][1]} ({c['dropped'][2]:.2f})") for c in broken]
    return (f'<h3>Cycles in the lineage</h3><p class="note">{esc(text)}</p>'
            + (table(("cycle", "edges (confidence)", "dropped"), rows) if rows else ""))


# ---------------------------------------------------------------------------------------------------------- RQ2
def _conventions(rows: Sequence[dict[str, Any]]) -> list[str]:
    found = ["asr", "asr_all"]
    return found + [p for p in ("valid_asr", "valid_asr_all") if any(r.get(p) is not None for r in rows)]


def _paper_markers(rows: Sequence[dict[str, Any]]) -> list[tuple[str, float, float | None, float | None, str]]:
    out = []
    for r in rows:
        runs = paper.runs_for(r["attack"])
        if runs:
            out.append((r["attack"], runs.mean, runs.low, runs.high,
                        "paper: mean and range of 10 runs (distilbert-sst2, asr_all)"))
    return out


def asr_view(rows: list[dict[str, Any]], scope: str, title: str, key: str) -> str:
    mine = [r for r in rows if r["scope"] == scope]
    if not mine:
        return empty(f"No {scope} rows.")
    conv = _conventions(mine)
    markers = _paper_markers(mine) if scope == "attack" else []
    svg = figures.rate_bars(mine, lambda r: short(r[key]) if key == "model" else str(r[key]), conv, title,
                            ylabel="attack success rate", paper=markers)
    body = table((scope, *conv), [(short(r[key]) if key == "model" else r[key], *(interval(r, c) for c in conv))
                                  for r in mine])
    note = (" Black diamonds: the paper's published repeated-run ASR (" + esc(paper.RELEASE) + "), a different "
            "victim: context, not a replication.") if markers else ""
    return figure(svg, title + "." + note) + body


def rq2(data: ReportData) -> str:
    rows = data.tables.get("asr", [])
    if not rows:
        return section("rq2", "RQ2 · how easily each model falls", empty(
            "No attack results for this study." if data.study else "No study in this store: no attack results."))
    parts = [f"<p>{CONVENTION_NOTE}</p>",
             asr_view(rows, "model", "ASR per model (Fig. 6)", "model"),
             asr_view(rows, "attack", "ASR per attack (Fig. 7)", "attack"),
             asr_view(rows, "dataset", "ASR per dataset (Fig. 8)", "dataset")]
    groups = [r for r in rows if r["scope"] == "group"]
    conv = _conventions(groups)
    parts.append("<details><summary>Every model × attack × dataset cell</summary>" + table(
        ("model", "attack", "dataset", *conv),
        [(short(r["model"]), r["attack"], r["dataset"], *(interval(r, c) for c in conv)) for r in groups])
        + "</details>")
    rep = data.tables.get("repeats", [])
    if rep:
        parts.append("<h3>Spread over repeated seeds</h3>" + table(
            ("model", "attack", "dataset", "metric", "seeds", "mean", "std", "min", "max"),
            [(short(r["model"]), r["attack"], r["dataset"], r["metric"], r["seeds"], pct(r["mean"]),
              "–" if r["std"] is None else f"{100 * r['std']:.1f} pp", pct(r["low"]), pct(r["high"])) for r in rep]))
    parts.append("<p class='paper'>The paper's repeated runs on distilbert-base-uncased-finetuned-sst-2-english "
                 "(sst2): " + "; ".join(f"{esc(r.attack)} mean {pct(r.mean)} (range {pct(r.low, 0)}–{pct(r.high, 0)}"
                                        f", {len(r.asr_percent)} runs)" for r in paper.REPEATED_RUNS)
                 + f". Source: {esc(paper.RELEASE)}.</p>")
    return section("rq2", "RQ2 · how easily each model falls", "".join(parts))


# ---------------------------------------------------------------------------------------------------------- RQ3
def _hop_label(r: dict[str, Any]) -> str:
    return f"{short(r['up'])} → {short(r['down'])}" + (" (end to end)" if r.get("end_to_end") else "")


def delta_table(rows: Sequence[dict[str, Any]]) -> str:
    return table(("hop", "attack", "dataset", "convention", "δ [95% paired bootstrap]", "n", "b / c", "McNemar p",
                  "ASR up → down"),
                 [(_hop_label(r), r.get("attack", "all"), r.get("dataset", "all"), r["convention"],
                   "–" if r["delta"] is None else f"{100 * r['delta']:+.1f} pp [{100 * r['low']:+.1f}, "
                   f"{100 * r['high']:+.1f}]", r["n"], f"{r['b']} / {r['c']}", f"{r['p_value']:.3g}",
                   f"{pct(r['asr_up'])} → {pct(r['asr_down'])}") for r in rows])


def transfer_view(data: ReportData) -> str:
    by_attack = data.tables.get("transfer_by_attack", [])
    replay = {r["attack"]: r for r in data.tables.get("replay_by_attack", [])}
    if not by_attack:
        return empty("No hop has results for the same samples on both models: no transfer figures.")
    merged = [{**r, **replay.get(r["attack"], {"replay": None, "replay_n": 0})} for r in by_attack]
    rates = figures.rate_bars(merged, lambda r: r["attack"], ("rate", "replay"),
                              "Transferable and replay rates per attack (Fig. 10)", ylabel="rate")
    lines = [(paper.VULNERABLE_ASR, f"paper: vulnerable {pct(paper.VULNERABLE_ASR, 2)}", "vulnerable"),
             (paper.ORDINARY_ASR, f"paper: ordinary {pct(paper.ORDINARY_ASR, 2)}", "ordinary")]
    vuln = figures.rate_bars(merged, lambda r: r["attack"], ("vulnerable", "ordinary"),
                             "Downstream ASR: vulnerable vs ordinary", ylabel="downstream asr_all", lines=lines)
    body = table(("attack", "transferable rate", "replay rate", "downstream ASR on vulnerable", "on ordinary"),
                 [(r["attack"], interval(r, "rate"), interval(r, "replay") if r.get("replay_n") else "– (no replays)",
                   interval(r, "vulnerable"), interval(r, "ordinary")) for r in merged])
    note = (f"Paper (RQ3): downstream ASR {pct(paper.VULNERABLE_ASR, 2)} on vulnerable samples vs "
            f"{pct(paper.ORDINARY_ASR, 2)} on ordinary ones ({paper.TRANSFER_SOURCE}), the dashed lines; "
            "pooled over the paper's chains, not these models.")
    return (figure(rates, "Transferable rate: of the samples whose attack succeeded upstream, the share whose attack "
                   "also succeeded downstream. Replay rate: the upstream's adversarial texts sent as they are. Pooled "
                   "over single hops and datasets.") + figure(vuln, note) + body)


def rq3(data: ReportData) -> str:
    by_hop = data.tables.get("delta_by_hop", [])
    if not by_hop:
        return section("rq3", "RQ3 · what fine-tuning changes, and what passes down", empty(
            "The study has no chain with results on two of its models: no δ, transfer or replay figures."))
    fig9 = figure(figures.interval_rows(by_hop, _hop_label, "δ per chain hop (Fig. 9)"),
                  "δ = ASR_down − ASR_up over the samples attacked on both models, pooled over attacks and datasets, "
                  "with its paired bootstrap 95% interval.")
    detail = ("<details><summary>δ per hop, attack and dataset</summary>" + delta_table(data.tables.get("delta", []))
              + "</details>")
    return section("rq3", "RQ3 · what fine-tuning changes, and what passes down",
                   fig9 + delta_table(by_hop) + detail + "<h3>Transfer</h3>" + transfer_view(data))


# --------------------------------------------------------------------------------------------------- per chain
def _edge_cell(edge: dict[str, Any]) -> Raw:
    if not edge["found"]:
        return Raw("<span class='warn'>no lineage edge stored: the chain comes from the study config only</span>")
    return Raw("<br>".join(f"{esc(f['source'])} (confidence {f['confidence']:.2f}, {esc(f['relation'] or 'unknown')})"
                           + (f": <q>{esc(str(f['evidence'])[:200])}</q>" if f["evidence"] else "")
                           for f in edge["found"]))


def chain_section(data: ReportData, chain: ChainView) -> str:
    models = table(("position", "model", "revision", "path", "catalog source", "downloads", "edge to the next"), [
        (i, m["model_id"] + (f" (config: {m['config_id']})" if m["config_id"] != m["model_id"] else ""),
         m["revision"] or "– (no results)", m["path"] or "–", m["source"] or "not in the catalog",
         "–" if m["downloads"] is None else f"{m['downloads']:,}",
         _edge_cell(chain.edges[i]) if i < len(chain.edges) else "") for i, m in enumerate(chain.models)])
    hops = {(h.up, h.down) for h in chain.hops}
    rows = [r for r in data.tables.get("delta", []) if (r["up"], r["down"]) in hops]
    label = lambda r: f"{_hop_label(r)} · {r['attack']} · {r['dataset']}"  # noqa: E731
    names = len({label(r) for r in rows})
    capped = f" The first {figures.MAX_ROWS} of {names} lines are drawn; all are in the table." if (
        names > figures.MAX_ROWS) else ""
    fig = (figure(figures.interval_rows(rows, label, f"Chain {chain.index}: δ per hop and attack"),
                  "Per hop, attack and dataset; paired bootstrap intervals." + capped) + delta_table(rows)
           if rows else empty("No hop of this chain has paired results yet."))
    return (f'<section id="chain-{chain.index}" class="chain"><h2>Chain {chain.index}: '
            f'{esc(" → ".join(m["model_id"] for m in chain.models))}</h2>{models}{fig}'
            + browser(data, chain) + "</section>")


def _json_script(ident: str, value: Any) -> str:
    text = json.dumps(value, default=str).replace("</", "<\\/")
    return f'<script type="application/json" id="{ident}">{text}</script>'


def browser(data: ReportData, chain: ChainView) -> str:
    ex = chain.examples
    total = sum(t["count"] for t in ex.totals)
    note = (f"{len(ex.rows):,} of the chain's {total:,} result rows are in this page: at most {data.per_group} per "
            f"model, attack and outcome. Every row, texts included, is in {data.csv_dir}/examples.csv." if ex.capped
            else f"All {total:,} result rows of the chain.")
    counts = "; ".join(f"{short(t['model'])} · {t['attack']} · {t['outcome']}: {t['count']:,}" for t in ex.totals)
    ident = f"examples-{chain.index}"
    return (f'<h3>Adversarial examples</h3><p class="note">{esc(note)}</p>'
            f'<details><summary>Rows per model, attack and outcome</summary><p class="note">{esc(counts)}</p></details>'
            f'<div class="browser" data-source="{ident}">'
            '<div class="filters">attack <select class="f-attack"></select> outcome <select class="f-outcome"></select>'
            ' model <select class="f-model"></select> text <input class="f-text" type="search" placeholder="contains">'
            ' <span class="shown"></span></div><table class="examples"><thead><tr>'
            '<th data-key="model">model</th><th data-key="attack">attack</th><th data-key="outcome">outcome</th>'
            '<th data-key="idx">sample</th><th data-key="gold">gold</th><th data-key="pred_before">pred before → after'
            '</th><th>original</th><th>perturbed</th><th data-key="queries">queries</th>'
            '<th data-key="words_changed">words changed</th><th data-key="valid">valid</th></tr></thead><tbody></tbody>'
            f'</table></div>{_json_script(ident, ex.rows)}')


# --------------------------------------------------------------------------------------------- errors, backdoor
def errors_section(data: ReportData) -> str:
    counts = data.tables.get("outcomes", [])
    if not counts:
        return section("errors", "Errors and skipped samples", empty("No result rows."))
    totals = {k: sum(r[k] for r in counts) for k in ("succeeded", "failed", "skipped", "error", "total")}
    head = (f"<p>{totals['total']:,} result rows: {totals['succeeded']:,} succeeded, {totals['failed']:,} failed, "
            f"{totals['skipped']:,} skipped (the model was already wrong), <b>{totals['error']:,} errors</b> (never "
            f"counted as failed attacks, left out of every n). {data.superseded:,} older rows of re-run jobs with "
            "other parameters are superseded and left out.</p>")
    body = table(("model", "attack", "dataset", "succeeded", "failed", "skipped", "error", "total"),
                 [(short(r["model"]), r["attack"], r["dataset"], r["succeeded"], r["failed"], r["skipped"], r["error"],
                   r["total"]) for r in counts])
    messages = data.tables.get("errors", [])
    errs = ("<h3>Most frequent error messages</h3>" + table(("attack", "count", "message"), [
        (m["attack"], m["count"], m["message"]) for m in messages])) if messages else ""
    return section("errors", "Errors and skipped samples", head + body + errs)


BACKDOOR_NOTE = ("Each poisoned model is fine-tuned hop by hop on a chain of datasets (the <b>poisoned</b> chain), and "
                 "its clean base on the same datasets (the <b>clean</b> chain, the baseline). At every hop: clean "
                 "accuracy on the hop's evaluation split, and <b>LFR</b>, the label-flip rate of the triggers: of "
                 "the n texts a trigger can flip (not of the target label and not already predicted as it), the k it "
                 "sends to the target (NeuBA: to the label each trigger forces), each with its 95% Wilson interval. A "
                 "backdoor persists while the poisoned chain's LFR stays above the clean chain's.")


def rate_kn(row: dict[str, Any], prefix: str) -> str:
    """`95.0% [88.0, 98.0] 19/20`; – with why when the chain has no row or no samples."""
    n = row.get(f"{prefix}_n")
    if row.get(prefix) is None:
        return "– (no row)" if n is None else f"– (n={n})"
    bounds = "" if row.get(f"{prefix}_low") is None else (
        f" [{100 * row[f'{prefix}_low']:.1f}, {100 * row[f'{prefix}_high']:.1f}]")
    return f"{pct(row[prefix])}{bounds} {row.get(f'{prefix}_k')}/{n}"


def accuracy(row: dict[str, Any], prefix: str) -> str:
    """`91.0% [87.0, 94.0] n=200`, or – with why."""
    return interval(row, prefix) if row.get(prefix) is not None else rate_kn(row, prefix)


def _describe_backdoor(record: dict[str, Any] | None, rows: Sequence[dict[str, Any]]) -> str:
    """What the `backdoors` table says of the poisoned model (method, triggers, target, how it was made)."""
    if record is None:
        return (f"<p>method {esc(rows[0]['method'])}; <span class='warn'>no row in the backdoors table</span> "
                "(triggers and target unknown here).</p>")
    triggers = ", ".join(f"<code>{esc(t)}</code>" for t in record.get("triggers") or []) or "unknown"
    target = ("–" if record.get("target") is None else esc(record["target"])) + (
        f" ({esc(record['target_name'])})" if record.get("target_name") else "")
    facts = [("method", esc(record["method"])), ("triggers", triggers), ("target", target)]
    if record.get("base_model"):
        facts.append(("clean base", esc(short(f"{record['base_model']}@{record.get('base_revision') or ''}"))))
    facts += [(k, esc(record[k])) for k in ("proxy_dataset", "steps", "seed", "reason") if record.get(k) is not None]
    return "<p>" + "; ".join(f"{esc(k.replace('_', ' '))} {v}" for k, v in facts) + ".</p>"


def _hop_name(r: dict[str, Any], seeds: bool) -> str:
    return f"{r['setting']} · hop {r['hop']}: {r['dataset']}" + (f" · seed {r['seed']}" if seeds else "")


def _persistence_table(rows: Sequence[dict[str, Any]], seeds: bool) -> str:
    return table(("hop", "dataset", *(("seed",) if seeds else ()), "clean accuracy · poisoned chain",
                  "clean accuracy · clean chain", "LFR · poisoned chain", "LFR · clean chain"),
                 [(r["hop"], r["dataset"], *((r["seed"],) if seeds else ()), accuracy(r, "poisoned_acc"),
                   accuracy(r, "clean_acc"), rate_kn(r, "poisoned_lfr"), rate_kn(r, "clean_lfr")) for r in rows])


def _trigger_table(rows: Sequence[dict[str, Any]], seeds: bool) -> str:
    return table(("setting", "hop", "dataset", *(("seed",) if seeds else ()), "trigger", "label · poisoned chain",
                  "LFR · poisoned chain", "label · clean chain", "LFR · clean chain"),
                 [(r["setting"], r["hop"], r["dataset"], *((r["seed"],) if seeds else ()), r["trigger"],
                   "–" if r["poisoned_label"] is None else r["poisoned_label"], rate_kn(r, "poisoned_lfr"),
                   "–" if r["clean_label"] is None else r["clean_label"], rate_kn(r, "clean_lfr")) for r in rows])


def poisoned_view(data: ReportData, model: tuple[str, str]) -> str:
    """One poisoned model: what it is, its LFR by hop (figure), a table per setting, the per-trigger rates."""
    mine = [r for r in data.backdoor_by_hop if (r["poisoned_id"], r["poisoned_revision"]) == model]
    record = next((b for b in data.backdoors if (b["model_id"], b["revision"]) == model), None)
    seeds = len({r["seed"] for r in mine}) > 1
    name = short(f"{model[0]}@{model[1]}")
    svg = figures.rate_bars(mine, lambda r: _hop_name(r, seeds), ("poisoned_lfr", "clean_lfr"),
                            f"{name}: label-flip rate by hop", ylabel="label-flip rate")
    parts = [f"<h3>{esc(name)}</h3>", _describe_backdoor(record, mine),
             figure(svg, "LFR of the triggers at each hop, poisoned chain vs clean chain, with 95% Wilson intervals; "
                    "the number at the foot of each bar is n.")]
    for setting in dict.fromkeys(r["setting"] for r in mine):
        rows = [r for r in mine if r["setting"] == setting]
        parts.append(f"<h4>Setting {esc(setting)}: {esc(' → '.join(rows[-1]['hops'].split(',')))}</h4>"
                     + _persistence_table(rows, seeds))
    triggers = [t for t in data.backdoor_triggers if (t["poisoned_id"], t["poisoned_revision"]) == model]
    if triggers:
        parts.append("<details><summary>Per trigger: the label each one forces and its rate</summary>"
                     + _trigger_table(triggers, seeds) + "</details>")
    return "".join(parts)


def backdoor_section(data: ReportData) -> str:
    """Backdoor persistence: per poisoned model, the poisoned chain beside the clean one, hop by hop."""
    models = list(dict.fromkeys((r["poisoned_id"], r["poisoned_revision"]) for r in data.backdoor_by_hop))
    note = (f"<p class='note'>From {len(data.backdoor):,} rows of {esc(BACKDOOR_TABLE)} (as stored in "
            f"<code>{esc(data.csv_dir)}/{esc(BACKDOOR_TABLE)}.csv</code>; as shown in <code>backdoor_by_hop.csv</code> "
            "and <code>backdoor_triggers.csv</code>).</p>")
    return section("backdoor", "Backdoor persistence", f"<p>{BACKDOOR_NOTE}</p>" + note
                   + "".join(poisoned_view(data, m) for m in models))


SCAN_NOTE = ("<code>chainaudit backdoor scan</code> judges a model from its weights, tokenizer and card alone. It "
             "tries candidate triggers (published ones, those of poisoned ancestors in the store, single tokens and "
             "phrases found by gradient search, odd token embeddings), inserts each into clean texts the model does "
             "not already give the trigger's label, and compares the weakest tenth of those texts (the 10th "
             "percentile of the label's probability) with what the strongest ordinary words of the data achieve. "
             "The <b>score</b> is that difference in log-odds for the best suspect; a model is <b>flagged</b> when "
             "it reaches the threshold. Known from the store (never shown to the scanner): whether the model is a "
             "poisoned upstream or sits on a poisoned or clean chain of the persistence runs.")


def _known_truth(data: ReportData) -> dict[str, str]:
    """model id → what the store knows of it: poisoned upstream, on a poisoned chain, on a clean chain."""
    truth = {b["model_id"]: f"poisoned upstream ({b['method']})" for b in data.backdoors}
    for r in data.backdoor:
        truth.setdefault(r["model_id"], f"hop {r['hop']} below poisoned {short(r['poisoned_id'])}"
                         if r["chain"] == "poisoned" else f"clean baseline chain, hop {r['hop']}")
    return truth


def _suspect_cell(suspects: Sequence[dict[str, Any]], top: int = 3) -> Raw:
    items = [f"<code>{esc(s['trigger'])}</code> → {esc(s.get('label_name', s['label']))}: {pct(s['rate'])} "
             f"({s['k']}/{s['n']})" + (f", score {s['score']:+.2f} vs <code>{esc(s['control'])}</code>"
                                      if s.get("control") else "")
             + f" <small>{esc('; '.join(s.get('evidence') or [])[:120])}</small>" for s in list(suspects)[:top]]
    return Raw("<br>".join(items) or "–")


def scans_section(data: ReportData) -> str:
    """Backdoor scans: one row per scanned model revision, its verdict, score and strongest suspects."""
    truth = _known_truth(data)
    flagged = sum(int(r["flagged"]) for r in data.scans)
    rows = [(short(f"{r['model_id']}@{r['revision']}"),
             Raw("<b class='warn'>FLAGGED</b>" if r["flagged"] else "not flagged"),
             f"{r['score']:.2f} (threshold {r['threshold']:.2f})", _suspect_cell(r.get("suspects") or []),
             truth.get(r["model_id"], "unknown"), r["samples"], f"{r['seconds']:.0f}")
            for r in sorted(data.scans, key=lambda r: (-r["score"], r["model_id"]))]
    head = (f"<p>{SCAN_NOTE}</p><p class='note'>{len(data.scans):,} scanned model revisions, {flagged:,} flagged "
            "(as stored in <code>backdoor_scans.csv</code>).</p>")
    return section("scans", "Backdoor scans", head + table(
        ("model", "verdict", "score", "strongest suspects (trigger → label: flip rate, k/n, score vs the ordinary "
         "word, evidence)",
         "known from the store", "texts", "seconds"), rows))


# -------------------------------------------------------------------------------------------------------- page
def render(data: ReportData) -> str:
    """The whole page as one string."""
    sections = [rq1(data), rq2(data), rq3(data), *(chain_section(data, c) for c in data.chains), errors_section(data)]
    if data.backdoor:
        sections.append(backdoor_section(data))
    if data.scans:
        sections.append(scans_section(data))
    nav = [("rq1", "RQ1"), ("rq2", "RQ2"), ("rq3", "RQ3"), *((f"chain-{c.index}", f"chain {c.index}")
                                                             for c in data.chains), ("errors", "errors")]
    if data.backdoor:
        nav.append(("backdoor", "backdoor"))
    if data.scans:
        nav.append(("scans", "scans"))
    nav_html = " · ".join(f'<a href="#{i}">{esc(t)}</a>' for i, t in nav)
    others = [s for s in data.studies if s != data.study]
    study = (f"study <b>{esc(data.study)}</b>" if data.study else "no study") + (
        f" (other studies in this store: {esc(', '.join(others))}; choose with --study)" if others else "")
    files = (f"Every number here is also in <code>{esc(data.csv_dir.removesuffix('-csv'))}.json</code> and "
             f"<code>{esc(data.csv_dir)}/</code> (one CSV per table).")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>chainaudit report"
            f"{' · ' + esc(data.study) if data.study else ''}</title><style>{STYLE}</style></head><body>"
            f"<header><h1>chainaudit report</h1><p>{study}; {data.rows:,} current result rows; database "
            f"<code>{esc(data.db)}</code>; built {esc(data.generated)}. {files}</p><nav>{nav_html}</nav>"
            f"<p class='paper'>Figures marked <b>paper</b> are published by {esc(paper.CITATION)}, shown for "
            "context; all others are computed from this store.</p></header>"
            + "".join(sections) + f"<script>{SCRIPT}</script></body></html>")
