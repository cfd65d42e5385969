"""The house's arrows: which of our packages each layer may import, no cycles, a light core.

Read from the source with `ast`, so lazy imports inside functions count too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("navigator", "api", "web")

# Layer (module prefix) -> the prefixes of our own modules it may import. Most specific first.
ALLOWED: list[tuple[str, tuple[str, ...]]] = [
    ("navigator.core", ("navigator.core",)),
    ("navigator.settings", ()),
    ("navigator.db", ("navigator.core", "navigator.db", "navigator.settings")),
    ("api", ("navigator.core", "navigator.db", "navigator.settings", "api")),
    ("web", ("navigator.core", "navigator.db", "navigator.settings", "api", "web")),
    # The outer shell: one module assembles the app, one runs the server, the CLI drives the
    # core and the database, and only its `serve` command reaches the server.
    ("navigator.cli.server", ("navigator.cli", "navigator.settings", "navigator.serve")),
    ("navigator.app", ("navigator.settings", "api", "web")),
    (
        "navigator.serve",
        ("navigator.settings", "api.logging", "navigator.db.collector", "navigator.app"),
    ),
    ("navigator.cli", ("navigator.core", "navigator.db", "navigator.settings", "navigator.cli")),
    ("navigator.__main__", ("navigator.cli",)),
    ("navigator", ()),
]
# What the pure core must never load, even indirectly.
HEAVY = ["fastapi", "starlette", "sqlmodel", "sqlalchemy", "pyvis", "uvicorn", "typer", "jinja2"]


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path, *, top_level_only: bool = False) -> set[str]:
    """Our modules that `name` imports (resolved to modules we have), lazily or not."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out: set[str] = set()
    for node in nodes:
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from navigator.db import store` imports the module navigator.db.store; `from
            # navigator.db.store import load_map` imports navigator.db.store.
            subs = [f"{node.module}.{a.name}" for a in node.names]
            targets = [t for t in subs if t in MODULES] or [node.module]
        elif isinstance(node, ast.If) and top_level_only:
            continue  # `if TYPE_CHECKING:` imports do not run
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def _layer(module: str) -> tuple[str, tuple[str, ...]]:
    for prefix, allowed in ALLOWED:
        if module == prefix or module.startswith(prefix + "."):
            return prefix, allowed
    raise AssertionError(f"{module} belongs to no layer: add it to ALLOWED")


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_the_modules_are_found() -> None:
    assert {"navigator.core.navigate", "navigator.db.writes", "api.main", "web.routes"} <= set(
        MODULES
    )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_import_follows_an_arrow(module: str) -> None:
    layer, allowed = _layer(module)
    wrong = sorted(t for t in _imports(module, MODULES[module]) if not _within(t, allowed))
    assert not wrong, f"{module} ({layer}) may not import {wrong}"


def test_the_checker_catches_a_wrong_arrow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from api.deps import MapDep\n")
    assert "api.deps" in _imports("navigator.core.bad", bad)
    assert not _within("api.deps", _layer("navigator.core.navigate")[1])


def test_no_import_cycles() -> None:
    graph = nx.DiGraph()
    for name, path in MODULES.items():
        graph.add_node(name)
        for target in _imports(name, path, top_level_only=True):
            # A package importing its own submodules is how packages re-export: not a cycle.
            if not target.startswith(name + "."):
                graph.add_edge(name, target)
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"import cycles: {cycles[:5]}"


CORE = sorted(m for m in MODULES if m.startswith("navigator.core"))


@pytest.mark.parametrize("module", CORE)
def test_the_core_loads_no_web_database_or_cli(module: str) -> None:
    code = (
        f"import sys, {module}; "
        f"bad = [m for m in {HEAVY!r} if m in sys.modules]; "
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, f"{module} loaded {run.stdout.strip()} {run.stderr}"
