"""Parity of chainaudit's `openattack` / `textattack` flavours with the tools they reproduce, row by row.

For every recipe x tool it attacks the first N SST-2 validation rows twice -- chainaudit's flavour in this process
(`pipeline.plan_attack` + `runner.attack_samples`, no query budget, no time limit, one sample at a time unless
`--concurrency`, max length 128) and the tool itself through benchmarks/peers/run_peer.py in the peer venv
(benchmarks/peers/setup_peers.sh) -- interleaved (ours, peer, ours, peer, ...; `--chunk K` alternates every K
samples) so machine noise hits both alike, then prints one table: outcomes, ASR in both conventions with Wilson 95%
intervals (`asr` = S/(S+F), the TextAttack one; `asr_all` = flipped / attacked with already-wrong samples counted,
the OpenAttack one), `valid_asr` / `valid_asr_all` (successes that `chainaudit.attacks.validity` judges valid, over
the same denominators; both sides' texts checked by the same checker), per-row agreement (same outcome; and, among
the rows both sides broke, the same adversarial text, whitespace-normalised), mean queries, seconds per sample and
the speed ratio (peer s/sample over ours). The contract is benchmarks/peers/PARITY.md.

    .venv/bin/python benchmarks/attack_parity.py --n 20                       # every recipe, both tools
    .venv/bin/python benchmarks/attack_parity.py --recipes pwws --tools openattack --n 100 \\
        --peer-cache /work/peers/results --out runs/parity --diff            # reuse stored peer rows; show gaps
    .venv/bin/python benchmarks/attack_parity.py --load runs/parity --diff    # re-read a previous --out, no attack
    .venv/bin/python benchmarks/attack_parity.py --flavor paper --n 5         # test the harness with `paper`
    .venv/bin/python benchmarks/attack_parity.py --peer-cache /work/peers/results --peers-only --n 10  # peers only

`--out DIR` keeps every side's rows (`ours-<tool>-<recipe>-n<N>.jsonl`, `peer-<tool>-<recipe>-n<N>.jsonl`) and
`summary.json`. `--peer-cache DIR` reuses peer rows kept by benchmarks/peers/run_all_peers.sh (files
`<tool>-<recipe>-n<M>-<digest>.jsonl` with M >= N rows; the digest, run_peer.resources_digest(), covers every
substituted resource, the victim and run_peer's patch version, so changed resources never reuse old rows); the
peer's seconds are then those of the stored run. A flavour chainaudit does not have yet is reported as
`not implemented` and the run goes on.

Recipes: pwws, textfooler, textbugger, hotflip. For OpenAttack, `hotflip` is its black-box HotFlipAttacker
(chainaudit `hotflip-blackbox@openattack`); for TextAttack the white-box hotflip_ebrahimi_2017 (which cannot run on
a BERT victim: see run_peer.py; its rows are errors).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("CHAINAUDIT_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data" / "datasets"))

HERE = Path(__file__).resolve().parent
RUN_PEER = HERE / "peers" / "run_peer.py"
DEFAULT_MODEL = HERE.parent / "runs" / "demo" / "models" / "minilm-sst2"
DEFAULT_PEER_PYTHON = Path(os.environ.get("PEERS_VENV", "/work/peers/venv")) / "bin" / "python"
TOOLS = ("openattack", "textattack")
RECIPES = ("pwws", "textfooler", "textbugger", "hotflip")
#: (tool, recipe) -> (the peer runner's recipe, chainaudit's attack name); None: the tool has no such recipe.
NAMES: dict[tuple[str, str], tuple[str, str] | None] = {
    **{(t, r): (r, r) for t in TOOLS for r in ("pwws", "textfooler", "textbugger")},
    ("openattack", "hotflip"): ("hotflip-blackbox", "hotflip-blackbox"),
    ("openattack", "hotflip-blackbox"): ("hotflip-blackbox", "hotflip-blackbox"),
    ("textattack", "hotflip"): ("hotflip", "hotflip"),
    ("textattack", "hotflip-blackbox"): None,
}


#: `run_peer.py`'s DEFAULT_SEED: both sides draw their random numbers from the same seed.
PEER_SEED = 765

def load_run_peer():
    """benchmarks/peers/run_peer.py as a module (its top level is stdlib only; its digest uses chainaudit only)."""
    spec = importlib.util.spec_from_file_location("run_peer", RUN_PEER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------------------------ statistics

def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float] | None:
    """Wilson score 95% interval of k/n (None when n is 0); equal to statsmodels' proportion_confint(wilson)."""
    if n == 0:
        return None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def short(message: str | None, limit: int = 160) -> str:
    """An error message's first line, cut to `limit` characters."""
    lines = (message or "").strip().splitlines()
    return (lines[0] if lines else "")[:limit]


def normalise(text: str | None) -> str | None:
    return None if text is None else re.sub(r"\s+", " ", text).strip()


@dataclass
class Side:
    """One side of a comparison: its rows (index -> row) and how it ran."""

    label: str
    rows: dict[int, dict] = field(default_factory=dict)
    status: str = "ok"  # ok | not implemented | error: ... | cached
    wall_s: float = 0.0

    def counts(self) -> dict[str, int]:
        c = {"succeeded": 0, "failed": 0, "skipped": 0, "error": 0}
        for row in self.rows.values():
            c[row["outcome"]] = c.get(row["outcome"], 0) + 1
        return c

    def summary(self) -> dict[str, object]:
        c = self.counts()
        s, f, k = c["succeeded"], c["failed"], c["skipped"]
        valid = [r for r in self.rows.values() if r["outcome"] == "succeeded" and r.get("valid") is not None]
        n_valid = sum(1 for r in valid if r["valid"])
        done = [r for r in self.rows.values() if r["outcome"] != "error"]
        attacked = [r for r in done if r["outcome"] != "skipped"]
        out: dict[str, object] = {
            "n": len(self.rows), **c,
            "asr": s / (s + f) if s + f else None, "asr_ci": wilson(s, s + f),
            "asr_all": s / (s + f + k) if s + f + k else None, "asr_all_ci": wilson(s, s + f + k),
            "mean_queries": sum(r["queries"] or 0 for r in attacked) / len(attacked) if attacked else None,
            "seconds_per_sample": sum(r["seconds"] or 0.0 for r in done) / len(done) if done else None,
        }
        if valid or not s:
            out.update(valid=n_valid, valid_asr=n_valid / (s + f) if s + f else None,
                       valid_asr_ci=wilson(n_valid, s + f),
                       valid_asr_all=n_valid / (s + f + k) if s + f + k else None)
        errors = [r.get("error") for r in self.rows.values() if r["outcome"] == "error"]
        if errors:
            out["first_error"] = short(errors[0], 300)
        return out


def agreement(ours: Side, peer: Side) -> dict[str, object]:
    """Same outcome per row; among joint successes, the same adversarial text (whitespace-normalised)."""
    common = sorted(set(ours.rows) & set(peer.rows))
    same = sum(ours.rows[i]["outcome"] == peer.rows[i]["outcome"] for i in common)
    joint = [i for i in common if ours.rows[i]["outcome"] == peer.rows[i]["outcome"] == "succeeded"]
    same_text = sum(normalise(ours.rows[i]["adversarial"]) == normalise(peer.rows[i]["adversarial"]) for i in joint)
    return {"rows": len(common), "same_outcome": same, "joint_successes": len(joint), "same_text": same_text}


# ------------------------------------------------------------------------------------------------ the two sides

def run_ours(model: Path, attack: str, flavor: str, n: int, indices: Sequence[int] | None = None,
             cache: dict | None = None, concurrency: int = 1) -> tuple[dict[int, dict], str]:
    """chainaudit's rows for the first `n` samples (or those of `indices`); ('not implemented' | error) status.

    With `concurrency` != 1 (0: the flavour's own width, what `chainaudit attack` runs) samples are attacked
    together, their model calls merged; a row's own seconds then overlap the others', so every row gets the
    block's wall seconds over its rows (kept as `own_seconds` too)."""
    from chainaudit.attacks.pipeline import AttackRequest, plan_attack
    from chainaudit.attacks.runner import attack_samples
    from chainaudit.errors import ChainauditError

    key = (attack, flavor, n)
    plan = (cache or {}).get(key)
    if plan is None:
        # The peer runner reseeds every sample with 765; textattack flavours add TextAttack's 765 to the seed
        # themselves, so they take seed 0, openattack ones take 765: TextBugger's random draws then match.
        request = AttackRequest(model=str(model), attack=attack, flavor=flavor, dataset="sst2", split="validation",
                                n=n, budget=None, time_limit=None, concurrency=1, max_length=128,
                                seed=PEER_SEED if flavor == "openattack" else 0)
        try:
            plan = plan_attack(request)
        except ChainauditError as exc:
            message = str(exc)
            return {}, "not implemented" if " has no " in message else f"error: {message}"
        _warm_up(plan)
        if cache is not None:
            cache[key] = plan
    samples = [s for s in plan.samples if indices is None or s.index in set(indices)]
    rows = {}
    started = time.perf_counter()
    for outcome in attack_samples(plan.recipe, plan.victim, samples, seed=plan.seeds[0], budget=None,
                                  concurrency=concurrency, goal=plan.goal, time_limit=None):
        s = outcome.sample
        rows[s.index] = {"index": s.index, "text": s.text, "label": s.label, "outcome": outcome.outcome,
                         "adversarial": outcome.perturbed_text if outcome.outcome == "succeeded" else None,
                         "original_pred": outcome.original_pred, "perturbed_pred": outcome.perturbed_pred,
                         "queries": outcome.queries, "seconds": outcome.seconds, "error": outcome.error}
    if concurrency != 1 and rows:
        share = (time.perf_counter() - started) / len(rows)
        for row in rows.values():
            row["own_seconds"], row["seconds"] = row["seconds"], share
    return rows, "ok"


def _warm_up(plan) -> None:
    """Load what the recipe loads lazily (the victim's first call, MiniLM), as run_peer does on its side."""
    plan.victim.predict_proba(["warm up"])
    from chainaudit.errors import ResourceMissingError
    from chainaudit.resources.encoder import get_encoder

    try:
        get_encoder().encode(["warm up"])
    except ResourceMissingError as exc:  # an encoder-free recipe runs without it; the others will say so
        print(f"warm-up: no sentence encoder ({exc})", file=sys.stderr)


def run_peer(python: Path, tool: str, recipe: str, n: int, start: int, out: Path, timeout: float
             ) -> tuple[dict[int, dict], str]:
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(python), str(RUN_PEER), "--tool", tool, "--recipe", recipe, "--n", str(n), "--start", str(start),
           "--out", str(out)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        return read_rows(out), f"error: peer timed out after {timeout:.0f}s"
    rows = read_rows(out)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
        return rows, f"error: peer exited {proc.returncode}: {tail[0][:200]}"
    return rows, "ok"


def read_rows(path: Path) -> dict[int, dict]:
    rows = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                break
            rows[row["index"]] = row
    return rows


def cached_peer(cache_dir: Path, tool: str, recipe: str, n: int, digest: str) -> tuple[dict[int, dict], Path] | None:
    """Stored peer rows for the first n samples: a file of this tool, recipe and digest with at least n rows."""
    pattern = re.compile(rf"^{re.escape(tool)}-{re.escape(recipe)}-n(\d+)-{re.escape(digest)}\.jsonl$")
    for path in sorted(cache_dir.glob(f"{tool}-{recipe}-n*-{digest}.jsonl")):
        if pattern.match(path.name):
            rows = read_rows(path)
            if all(i in rows for i in range(n)):
                return {i: rows[i] for i in range(n)}, path
    return None


def add_validity(rows: dict[int, dict], attack: str) -> bool:
    """Judge every success with chainaudit.attacks.validity (False when that module is not there)."""
    try:
        from chainaudit.attacks import validity
    except ImportError:
        return False
    todo = [r for r in rows.values() if r["outcome"] == "succeeded" and r.get("adversarial")]
    if todo:
        verdicts = validity.default_checker().check_many([(r["text"], r["adversarial"], attack) for r in todo])
        for row, v in zip(todo, verdicts, strict=True):
            row.update(valid=v.valid, meaning_kept=v.meaning_kept, meaning_flipped=v.meaning_flipped, why=v.why)
    return True


# ------------------------------------------------------------------------------------------------ the table

def _pct(x: object) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def _ci(ci: object) -> str:
    return "" if not ci else f" [{100 * ci[0]:.0f},{100 * ci[1]:.0f}]"


def _num(x: object, fmt: str) -> str:
    return "—" if x is None else format(x, fmt)


def print_table(results: list[dict], with_validity: bool) -> None:
    head = ["recipe", "side", "n", "S/F/K/E", "asr % [95%]", "asr_all % [95%]"]
    if with_validity:
        head += ["valid_asr %", "valid_all %"]
    head += ["same outcome", "same text", "mean q", "s/sample", "speed x"]
    lines = [head]
    for res in results:
        for side_name in ("ours", "peer"):
            side = res[side_name]
            s = side["summary"]
            if side["status"] not in ("ok", "cached") and not s["n"]:
                lines.append([res["recipe"], side["label"], "0", side["status"][:60]] + [""] * (len(head) - 4))
                continue
            row = [res["recipe"], side["label"] + (" (cached)" if side["status"] == "cached" else ""), str(s["n"]),
                   f"{s['succeeded']}/{s['failed']}/{s['skipped']}/{s['error']}",
                   _pct(s["asr"]) + _ci(s["asr_ci"]), _pct(s["asr_all"]) + _ci(s["asr_all_ci"])]
            if with_validity:
                row += [_pct(s.get("valid_asr")), _pct(s.get("valid_asr_all"))]
            agree = res.get("agreement")
            if side_name == "ours" and agree and agree["rows"]:
                row += [f"{agree['same_outcome']}/{agree['rows']}", f"{agree['same_text']}/{agree['joint_successes']}"]
            else:
                row += ["", ""]
            row += [_num(s["mean_queries"], ".1f"), _num(s["seconds_per_sample"], ".3f"),
                    _num(res.get("speed_ratio"), ".1f") if side_name == "ours" else ""]
            lines.append(row)
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for j, line in enumerate(lines):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        if j == 0:
            print("  ".join("-" * w for w in widths))


def print_diff(res: dict, ours: Side, peer: Side, limit: int) -> None:
    common = sorted(set(ours.rows) & set(peer.rows))
    diffs = [i for i in common if ours.rows[i]["outcome"] != peer.rows[i]["outcome"]
             or normalise(ours.rows[i]["adversarial"]) != normalise(peer.rows[i]["adversarial"])]
    print(f"\n== {res['recipe']} / {res['tool']}: {len(diffs)} of {len(common)} rows differ "
          f"(outcome or adversarial text)")
    for i in diffs[:limit]:
        o, p = ours.rows[i], peer.rows[i]
        print(f"[{i}] {o['text'].strip()}")
        for name, row in ((ours.label, o), (peer.label, p)):
            extra = f" ({short(row['error'])})" if row.get("error") else ""
            valid = "" if row.get("valid") is None else f" valid={row['valid']}"
            print(f"    {name:>22}: {row['outcome']:9} q={row['queries']}{valid} {row['adversarial'] or ''}{extra}")
    if len(diffs) > limit:
        print(f"    ... {len(diffs) - limit} more (--diff-limit)")


# ------------------------------------------------------------------------------------------------ main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--recipes", default=",".join(RECIPES), help="comma-separated (default: all four)")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated (default: both)")
    parser.add_argument("--n", type=int, default=20, help="first N SST-2 validation rows (default 20)")
    parser.add_argument("--out", type=Path, help="keep every side's rows and summary.json here")
    parser.add_argument("--peer-python", type=Path, default=DEFAULT_PEER_PYTHON)
    parser.add_argument("--peer-cache", type=Path, help="reuse stored peer rows (benchmarks/peers/run_all_peers.sh)")
    parser.add_argument("--peer-timeout", type=float, default=7200.0, help="seconds per peer run")
    parser.add_argument("--flavor", help="chainaudit flavour to compare (default: the tool's own; `paper` tests)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--chunk", type=int, default=0, help="alternate sides every K samples (default: per job)")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="chainaudit's samples attacked at once (0: the flavour's own, as `chainaudit attack` "
                             "runs; default 1, like the tools); seconds per sample are then wall seconds / rows")
    parser.add_argument("--peers-only", action="store_true",
                        help="with --peer-cache: summarise the stored peer rows (the first N), attack nothing")
    parser.add_argument("--load", type=Path, help="re-read the rows of a previous --out instead of attacking")
    parser.add_argument("--diff", action="store_true", help="print the rows where the two sides differ")
    parser.add_argument("--diff-limit", type=int, default=40)
    args = parser.parse_args(argv)

    recipes = [r.strip() for r in args.recipes.split(",") if r.strip()]
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    for tool in tools:
        if tool not in TOOLS:
            parser.error(f"unknown tool {tool!r}; choose from {', '.join(TOOLS)}")
    for recipe in recipes:
        if recipe not in (*RECIPES, "hotflip-blackbox"):
            parser.error(f"unknown recipe {recipe!r}; choose from {', '.join(RECIPES)}")
    digest = None
    if args.peer_cache and not args.load:
        digest = load_run_peer().resources_digest()
        print(f"peer cache {args.peer_cache}, resources digest {digest}")

    with_validity = importlib.util.find_spec("chainaudit.attacks.validity") is not None
    if not with_validity:
        print("valid_asr: chainaudit.attacks.validity is not there; column left out")
    results, sides = [], []
    for recipe in recipes:
        for tool in tools:
            names = NAMES[(tool, recipe)]
            if names is None:
                print(f"{tool} has no {recipe} recipe; skipped")
                continue
            peer_recipe, attack = names
            flavor = args.flavor or tool
            plans: dict = {}  # one victim per job: its prediction cache must not carry over to another job
            ours = Side(f"chainaudit {attack}@{flavor}")
            peer = Side(f"{tool} {peer_recipe}")
            tag = f"{tool}-{recipe}-n{args.n}"
            if args.load:
                ours.rows = read_rows(args.load / f"ours-{tag}.jsonl")
                peer.rows = read_rows(args.load / f"peer-{tag}.jsonl")
                ours.status = "ok" if ours.rows else "not implemented"
            else:
                cached = cached_peer(args.peer_cache, tool, peer_recipe, args.n, digest) if args.peer_cache else None
                if cached:
                    peer.rows, path = cached
                    peer.status = "cached"
                    print(f"{tag}: peer rows from {path}")
                if args.peers_only:
                    ours.status = "not run (--peers-only)"
                chunk = args.chunk if args.chunk > 0 else args.n
                for start in range(0, args.n, chunk):
                    if args.peers_only:
                        break
                    size = min(chunk, args.n - start)
                    if ours.status == "ok":
                        t0 = time.perf_counter()
                        rows, ours.status = run_ours(args.model, attack, flavor, args.n,
                                                     range(start, start + size), plans, args.concurrency)
                        ours.rows.update(rows)
                        ours.wall_s += time.perf_counter() - t0
                        print(f"{tag}: ours {start}..{start + size - 1} {ours.status} "
                              f"({time.perf_counter() - t0:.0f}s)", flush=True)
                    if not cached:
                        t0 = time.perf_counter()
                        part = (args.out or Path("/tmp/attack_parity")) / f"peer-{tag}.part{start}.jsonl"
                        rows, peer.status = run_peer(args.peer_python, tool, peer_recipe, size, start, part,
                                                     args.peer_timeout)
                        peer.rows.update(rows)
                        peer.wall_s += time.perf_counter() - t0
                        part.unlink(missing_ok=True)
                        print(f"{tag}: peer {start}..{start + size - 1} {peer.status} "
                              f"({time.perf_counter() - t0:.0f}s)", flush=True)
            if with_validity:
                add_validity(ours.rows, attack)
                add_validity(peer.rows, attack)
            res = {"recipe": recipe, "tool": tool, "attack": attack, "flavor": flavor, "n": args.n,
                   "ours": {"label": ours.label, "status": ours.status, "summary": ours.summary()},
                   "peer": {"label": peer.label, "status": peer.status, "summary": peer.summary()}}
            if ours.rows and peer.rows:
                res["agreement"] = agreement(ours, peer)
                a, b = res["ours"]["summary"]["seconds_per_sample"], res["peer"]["summary"]["seconds_per_sample"]
                res["speed_ratio"] = b / a if a and b else None
            results.append(res)
            sides.append((res, ours, peer))
            if args.out and not args.load:
                args.out.mkdir(parents=True, exist_ok=True)
                for name, side in (("ours", ours), ("peer", peer)):
                    with (args.out / f"{name}-{tag}.jsonl").open("w", encoding="utf-8") as fh:
                        for i in sorted(side.rows):
                            fh.write(json.dumps(side.rows[i], ensure_ascii=False) + "\n")
    print()
    print_table(results, with_validity)
    if args.diff:
        for res, ours, peer in sides:
            if ours.rows and peer.rows:
                print_diff(res, ours, peer, args.diff_limit)
    if args.out and not args.load:
        (args.out / "summary.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
