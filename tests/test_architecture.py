"""The layering of ../shared/ARCHITECTURE.md, checked on the source: imports point one way, no circles, and
command bodies stay thin."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "chainaudit"
#: cli → study/report/backdoor → attacks/lineage/zoo → victims/data/resources/hub → store → shared modules.
LAYERS = {
    "cli": 5,
    "study": 4, "report": 4, "backdoor": 4,
    "attacks": 3, "lineage": 3, "zoo": 3,
    "victims": 2, "data": 2, "resources": 2, "hub": 2,
    "store": 1,
    "errors": 0, "settings": 0, "interleave": 0, "modelref": 0, "files": 0, "onnx_backend": 0, "__init__": 0,
}
#: Pairs that must not import each other whatever their layers: same-layer packages that must not know about each
#: other, and attacks, which never write to the store (the study driver is the single writer).
FORBIDDEN = {("data", "victims"), ("resources", "attacks"), ("resources", "data"), ("backdoor", "study"),
             ("hub", "lineage"), ("report", "attacks"), ("attacks", "store")}


def _part(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else "__init__"


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """`chainaudit.*` modules imported by one file (all imports, or only those run at import time)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.If) and top_level_only:  # `if TYPE_CHECKING:` imports do not run
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("chainaudit"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("chainaudit"))
    return found


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = _modules()


def test_imports_point_one_way() -> None:
    upward = []
    for name, path in MODULES.items():
        here = _part(name)
        for target in _imports(path):
            there = _part(target)
            if there not in LAYERS or here == there:
                continue
            if LAYERS[there] > LAYERS[here] or (here, there) in FORBIDDEN:
                upward.append(f"{name} imports {target}")
    assert not upward, "imports against the layering:\n" + "\n".join(sorted(upward))


def test_packages_form_no_circle() -> None:
    graph = nx.DiGraph()
    for name, path in MODULES.items():
        for target in _imports(path):
            if _part(target) in LAYERS and _part(target) != _part(name):
                graph.add_edge(_part(name), _part(target))
    assert list(nx.simple_cycles(graph)) == []


def test_modules_form_no_import_time_circle() -> None:
    graph = nx.DiGraph()
    for name, path in MODULES.items():
        for target in _imports(path, top_level_only=True):
            if target in MODULES and target != name and not name.startswith(target + "."):
                graph.add_edge(name, target)
    cycles = [c for c in nx.simple_cycles(graph) if len(c) > 1]
    assert cycles == []


def test_nothing_imports_the_cli() -> None:
    users = [name for name, path in MODULES.items() if not name.startswith("chainaudit.cli")
             and any(t.startswith("chainaudit.cli") for t in _imports(path))]
    assert users == []


def _command_bodies() -> list[tuple[str, int]]:
    """(command, statement lines of its body without the docstring) for every Typer command in cli/."""
    out = []
    for path in (SRC / "cli").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        registered = {n.args[0].id for n in ast.walk(tree) if isinstance(n, ast.Call) and n.args
                      and isinstance(n.args[0], ast.Name) and isinstance(n.func, ast.Call)}
        decorated = {f.name for f in tree.body if isinstance(f, ast.FunctionDef) and any(
            isinstance(d, ast.Call) and getattr(d.func, "attr", "") in {"command", "callback"}
            for d in f.decorator_list)}
        for fn in tree.body:
            if isinstance(fn, ast.FunctionDef) and fn.name in registered | decorated:
                body = fn.body[1:] if isinstance(fn.body[0], ast.Expr) else fn.body
                out.append((f"{path.stem}.{fn.name}", body[-1].end_lineno - body[0].lineno + 1))
    return out


def test_command_bodies_are_thin() -> None:
    bodies = _command_bodies()
    assert len(bodies) >= 12  # every command was found
    assert [b for b in bodies if b[1] > 25] == []


@pytest.mark.parametrize("sql", ["SELECT ", "INSERT ", "UPDATE ", ".upsert(", ".insert_new(", ".conn."])
def test_cli_holds_no_sql_and_no_store_writes(sql: str) -> None:
    hits = [p.name for p in (SRC / "cli").glob("*.py") if sql in p.read_text(encoding="utf-8")]
    assert hits == []
