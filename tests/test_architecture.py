"""The package's shape: imports point down the pipeline only, and every module says its job.

The stages, lowest first, are the folders of ``src/escalate`` (see docs/architecture.md).
A module may import from its own stage or a lower one, never a higher one, and the import
graph has no cycle -- imports made only for type checking and imports inside functions count
too, since they tie the modules together all the same.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "escalate"

# Lowest first. A module's stage is its first folder under escalate/, or its own name.
STAGES: tuple[frozenset[str], ...] = (
    frozenset({"errors", "_frozen", "_version", "_models", "_json", "_stats"}),
    frozenset({"calendars"}),
    frozenset({"people"}),
    frozenset({"engine"}),
    frozenset({"comms"}),
    frozenset({"policy"}),
    frozenset(
        {
            "schemas",
            "testing",
            "cli",
            "whatif",
            "adapters",
            "integrations",
            "governance",
            "audit",
            "learning",
            "backends",
        }
    ),
    frozenset({"__init__"}),
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: Iterable[str]) -> set[str]:
    """The escalate modules ``name`` imports, anywhere in the file."""
    known = set(known)
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join([*base, *([node.module] if node.module else [])])
            else:
                prefix = node.module or ""
            # "from pkg import sub" names the submodule when there is one
            targets = [
                f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in known else prefix
                for alias in node.names
            ]
        else:
            continue
        for named in targets:
            target = named
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(name, path, found) for name, path in found.items()}


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle of the graph as a list of nodes (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def stage_of(name: str) -> int:
    parts = name.split(".")
    key = parts[1] if len(parts) > 1 else "__init__"
    for rank, members in enumerate(STAGES):
        if key in members:
            return rank
    raise AssertionError(f"{name} belongs to no stage; add its folder to STAGES and the docs")


def test_the_cycle_finder_finds_a_cycle_through_three_modules() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert ["a", "b", "c", "a"] == find_cycle(graph)


def test_the_cycle_finder_accepts_a_diamond() -> None:
    assert find_cycle({"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set()}) is None


def test_type_only_and_function_level_imports_are_edges(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from escalate.engine.decision import Decision\n"
        "def f():\n    from ..policy import loader\n"
    )
    path = tmp_path / "x.py"
    path.write_text(source, encoding="utf-8")
    known = {"escalate.engine.decision", "escalate.policy.loader", "escalate.engine.x"}
    found = imports_of("escalate.engine.x", path, known)
    assert {"escalate.engine.decision", "escalate.policy.loader"} == found


def test_the_import_graph_has_no_cycle() -> None:
    assert find_cycle(import_graph()) is None


def test_imports_point_down_the_pipeline_only() -> None:
    upward = [
        f"{name} (stage {stage_of(name)}) imports {target} (stage {stage_of(target)})"
        for name, targets in sorted(import_graph().items())
        for target in sorted(targets)
        if stage_of(target) > stage_of(name)
    ]
    assert [] == upward


@pytest.mark.parametrize("name", sorted(modules()))
def test_every_module_says_its_job_in_its_first_docstring_line(name: str) -> None:
    doc = ast.get_docstring(ast.parse(modules()[name].read_text(encoding="utf-8")))
    assert doc, f"{name} has no module docstring"
    first = doc.splitlines()[0]
    assert first.endswith((".", ":")), f"{name}: {first!r}"


def test_the_architecture_page_maps_every_module() -> None:
    text = (SRC.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    mapped = set(re.findall(r"`([\w/]+)`", text))
    missing = []
    for name in sorted(modules()):
        parts = name.split(".")[1:]
        if (
            not parts
            or parts[-1] in ("__init__", "_version")
            or (
                len(parts) == 1
                and parts[0]
                in (
                    "calendars",
                    "people",
                    "engine",
                    "policy",
                    "cli",
                )
            )
        ):
            continue
        where = "testing" if parts[0] == "testing" else "/".join(parts)
        if where not in mapped:
            missing.append(where)
    assert [] == missing
