"""The suite runs against the build it says: pure Python by default, the mypyc build when asked.

``make test-compiled`` sets ``ESCALATE_BUILD=compiled`` and runs the whole suite in
``.venv-compiled``; there every module ``[tool.escalate.compiled]`` does not exclude must come
from a C extension, or the run would silently test the pure modules. Everywhere else (``make
test``) every module must come from its ``.py`` file: the pure package is the reference.
"""

import importlib
import importlib.machinery
import os
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = os.environ.get("ESCALATE_BUILD", "pure")


def _modules() -> list[str]:
    """Every module of src/escalate, by dotted name (a package by its own name)."""
    names = []
    for path in sorted((ROOT / "src" / "escalate").rglob("*.py")):
        parts = path.relative_to(ROOT / "src").with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _excluded() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(config["tool"]["escalate"]["compiled"]["exclude"])


def _is_extension(module: str) -> bool:
    path = importlib.import_module(module).__file__ or ""
    return path.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def test_the_build_is_named_pure_or_compiled() -> None:
    assert BUILD in {"pure", "compiled"}


def test_every_excluded_module_exists() -> None:
    assert _excluded() <= set(_modules())


@pytest.mark.skipif(BUILD != "compiled", reason="runs against the compiled build only")
def test_the_compiled_build_imports_every_compiled_module_from_an_extension() -> None:
    # __main__ is only ever run as a script (python -m escalate.cli), never imported here
    modules = [m for m in _modules() if not m.endswith(".__main__")]
    compiled = [m for m in modules if m not in _excluded()]
    assert compiled, "nothing is compiled"
    assert [m for m in compiled if not _is_extension(m)] == []
    assert [m for m in modules if m in _excluded() and _is_extension(m)] == []


@pytest.mark.skipif(BUILD != "pure", reason="runs against the pure build only")
def test_the_pure_build_imports_every_module_from_its_source() -> None:
    modules = [m for m in _modules() if not m.endswith(".__main__")]
    assert [m for m in modules if _is_extension(m)] == []
