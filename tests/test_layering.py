"""The library's layers have one dependency direction, no import cycle, and no import hidden inside a function.

    ui (app.py, pages/, analytics/{cache,cli,upload_jobs,demo_load,__main__}.py)
      -> refresh (analytics/refresh.py) -> views (analytics/views/, analytics/figures/, analytics/auth.py)
      -> metrics (analytics/metrics/, analytics/filters.py), estimators, model, results -> db
    ingest (analytics/ingest/) -> model, estimators -> db;  ui may call ingest (the activity load runs the
    message trackers, an estimator, inside its transaction).
    analytics/settings.py, analytics/safe_csv.py, analytics/intervals.py and analytics/demo/ are leaves anybody may import.
Estimators import no project module except analytics.settings and analytics.intervals. Imports are read with ast, nothing is executed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# layer -> the layers its modules may import (besides their own layer and the leaves)
ALLOWED = {
    "leaf": set(),
    "db": set(),
    "model": {"db"},
    "results": {"db"},
    "estimators": set(),
    "metrics": {"db"},
    "ingest": {"model", "estimators", "db"},
    "views": {"metrics", "estimators", "model", "results", "db"},
    "refresh": {"views", "metrics", "estimators", "model", "results", "db"},
    "ui": {"refresh", "views", "metrics", "estimators", "model", "results", "ingest", "db"},
}
UI_MODULES = {"app", "analytics.cache", "analytics.cli", "analytics.upload_jobs", "analytics.demo_load",
              "analytics.__main__"}
PREFIXES = [("analytics.estimators", "estimators"), ("analytics.metrics", "metrics"), ("analytics.views", "views"),
            ("analytics.figures", "views"), ("analytics.model", "model"), ("analytics.ingest", "ingest"),
            ("analytics.demo", "leaf"), ("pages", "ui")]
SINGLE = {"analytics": "leaf", "analytics.settings": "leaf", "analytics.safe_csv": "leaf", "analytics.delivery": "leaf", "analytics.intervals": "leaf",
          "analytics.db": "db",
          "analytics.results": "results", "analytics.filters": "metrics", "analytics.auth": "views",
          "analytics.refresh": "refresh", "analytics.refresh_worker": "refresh",
          "analytics.store_config": "db", "analytics.lake": "db", "analytics.lake_write": "db", "analytics.stores": "db"}


def module_files() -> dict[str, Path]:
    """Every module of analytics/, app.py and pages/, by dotted name."""
    files = [ROOT / "app.py", *(ROOT / "analytics").rglob("*.py"), *(ROOT / "pages").rglob("*.py")]
    out = {}
    for path in files:
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = module_files()


def layer_of(module: str) -> str:
    if module in UI_MODULES:
        return "ui"
    if module in SINGLE:
        return SINGLE[module]
    for prefix, layer in PREFIXES:
        if module == prefix or module.startswith(prefix + "."):
            return layer
    raise AssertionError(f"{module} belongs to no layer: add it to tests/test_layering.py")


def is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def imports(module: str, source: str | None = None) -> list[tuple[str, int, bool]]:
    """(imported project module, line, inside a function) for every import statement of a module."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8") if source is None else source)
    package = module if module in MODULES and is_package(module) else module.rpartition(".")[0]
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.extend((m, child.lineno, in_function) for m in _project(alias.name))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[:len(package.split(".")) - child.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in child.names:
                    name = f"{base}.{alias.name}"
                    found.extend((m, child.lineno, in_function) for m in _project(name if name in MODULES else base))
            visit(child, inner)
    visit(tree, False)
    return found


def _project(name: str) -> list[str]:
    """The project module an import names (the longest known prefix), or nothing for a third-party one."""
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        candidate = ".".join(parts[:k])
        if candidate in MODULES:
            return [candidate]
    return []


def upward(module: str, found) -> list[str]:
    """The imports of a module that reach a layer it may not import."""
    mine = layer_of(module)
    return [f"{module}:{line} ({mine}) imports {target} ({layer_of(target)})" for target, line, _ in found
            if not (target == module or layer_of(target) in ("leaf", mine) or layer_of(target) in ALLOWED[mine]
                    or mine == "estimators")]          # estimators: checked below, more strictly


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_imports_only_its_own_layer_or_the_layers_below(module):
    assert not upward(module, imports(module))


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer_of(m) == "estimators"))
def test_estimators_import_no_project_module_but_the_settings_and_intervals(module):
    for target, line, _ in imports(module):
        allowed = target in ("analytics.settings", "analytics.intervals") or target.startswith("analytics.estimators")
        assert allowed, f"{module}:{line} {target}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "analytics.cli"))
def test_no_module_but_the_cli_imports_inside_a_function(module):
    inside = [(target, line) for target, line, in_function in imports(module) if in_function]
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    third_party = [n.lineno for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
                   for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert not inside and not third_party, f"{module}: imports inside functions at lines {third_party}"


# Modules that import a module named at run time, on purpose: the estimators' registry, stored results' dataclasses,
# the page cache's functions, and the optional optimizer (torch). Anywhere else it would hide a dependency.
BY_NAME = {"analytics.estimators", "analytics.results", "analytics.cache", "analytics.estimators.fsrs_reference"}


def by_name(source: str) -> list[int]:
    """The lines calling importlib.import_module or __import__ (imports the checks above cannot see)."""
    return [n.lineno for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)
            and ((isinstance(n.func, ast.Attribute) and n.func.attr == "import_module")
                 or (isinstance(n.func, ast.Name) and n.func.id in ("import_module", "__import__")))]


def test_no_module_but_the_registries_imports_a_module_by_name():
    hidden = "import importlib\n\ndef f():\n    return importlib.import_module('analytics.model.catalog')\n"
    assert by_name(hidden) == [4]
    found = {m: by_name(MODULES[m].read_text(encoding="utf-8")) for m in sorted(MODULES) if m not in BY_NAME}
    assert {m: lines for m, lines in found.items() if lines} == {}


def test_there_is_no_import_cycle():
    graph = {m: {t for t, _, _ in imports(m) if t != m} for m in MODULES}
    # a package's __init__ importing its own submodules is no cycle when they do not import it back
    state: dict[str, int] = {}
    path: list[str] = []

    def walk(m):
        state[m] = 1
        path.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(t):] + [t]))
            if t not in state:
                walk(t)
        path.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            walk(m)


def test_the_checks_see_an_upward_import_and_an_import_inside_a_function():
    source = "from analytics.views import lift\nfrom ..db import sql\n\ndef f():\n    from . import plan\n"
    found = imports("analytics.metrics.fake", source)
    assert found == [("analytics.views.lift", 1, False), ("analytics.db", 2, False),
                     ("analytics.metrics.plan", 5, True)]
    assert upward("analytics.metrics.fake", found) == [
        "analytics.metrics.fake:1 (metrics) imports analytics.views.lift (views)"]
