"""No import cycle between the project's modules.

The graph is read from the source with `ast`, so it sees every import, including those inside
functions: a "lazy" import that would close a cycle counts. Importing lazily only moves the
cycle from import time to call time; the two modules still cannot be understood, tested or
moved one without the other (the reason services never import tasks). Imports guarded by
`if TYPE_CHECKING:` do not count: they never run.

An import names the module it loads (`from inbox.services import sending` → the module
`inbox.services.sending`, `from inbox.models import Message` → `inbox.models`), not every
parent package on the way.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Every top-level package of the project but the tests and the benchmark scripts.
PACKAGES = sorted(
    path.parent.name
    for path in ROOT.glob("*/__init__.py")
    if path.parent.name not in ("tests", "bench")
)


def project_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(module: str, path: Path, known) -> set[str]:
    is_package = path.name == "__init__.py"
    names: set[str] = set()

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking_only(child):
                for other in child.orelse:
                    visit_one(other)
                continue
            visit_one(child)

    def visit_one(node):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                names.add(submodule if submodule in known else source)
        visit(node)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return names


def import_graph() -> dict[str, set[str]]:
    known = project_modules()
    graph = {}
    for module, path in known.items():
        targets = set()
        for name in _imported_names(module, path, known):
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_module_of_the_project_takes_part_in_an_import_cycle():
    graph = import_graph()
    assert {"config", "inbox", "signals_app", "tenants"} <= set(PACKAGES)
    assert "inbox.services.sending" in graph  # the walk found the project
    found = cycles(graph)
    assert found == [], "import cycles:\n" + "\n".join(" ↔ ".join(c) for c in found)


def test_the_cycle_finder_sees_a_lazy_import_that_closes_a_cycle():
    graph = {"a.services": {"a.models"}, "a.models": set(), "a.tasks": {"a.services"}}
    assert cycles(graph) == []
    graph["a.services"].add("a.tasks")  # e.g. `from a.tasks import t` inside a function
    assert cycles(graph) == [["a.services", "a.tasks"]]


def test_imports_inside_functions_are_part_of_the_graph(tmp_path):
    known = {"pkg.services": tmp_path / "services.py", "pkg.tasks": tmp_path / "tasks.py"}
    known["pkg.services"].write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pkg.models import Thing\n"
        "def later():\n    from pkg.tasks import run\n    from . import tasks\n"
    )
    assert _imported_names("pkg.services", known["pkg.services"], known) == {
        "typing",
        "pkg.tasks",
    }


def test_services_never_import_tasks():
    graph = import_graph()
    offenders = {
        (module, target)
        for module, targets in graph.items()
        if ".tasks" not in f".{module}" and not module.startswith("config")
        for target in targets
        if target.rpartition(".")[2] == "tasks" or ".tasks." in f"{target}."
    }
    assert offenders == set()
