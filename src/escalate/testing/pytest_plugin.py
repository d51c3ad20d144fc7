"""The pytest plugin: every ``*.cases.yaml`` file is collected, each of its cases a test item.

Installed with escalate (entry point ``pytest11``: ``escalate``), so ``pytest rules/`` runs
the case files under ``rules/`` beside any Python tests; ``-k``, ``-x``, ``--lf`` and IDE
test explorers work on cases as on functions. A case is an item named as ``escalate test``
names it (``case``, ``case[row]`` for a matrix row, ``case[step]`` for a timeline step); a
failure shows the same report (each contradicted statement at its ``file:line:col``, expected
against actual, then the decision's trace), and the item's location is the case's line.
A case file that does not load is a collection error listing every problem, one per line.

Disable it with ``-p no:escalate``. It imports neither Hypothesis nor anything outside
escalate and pytest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from escalate.engine.compiled import Policy
from escalate.errors import EscalateError
from escalate.policy.loader import CASE_SUFFIXES
from escalate.testing.cases import Case, every_problem, load_cases
from escalate.testing.runner import CaseResult, run_case

__all__ = ["CaseFailed", "CaseFileCollector", "CaseItem", "pytest_collect_file"]


class CaseFailed(Exception):
    """Raised by a :class:`CaseItem` whose case did not pass; ``result`` says why."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.line())
        self.result = result


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> CaseFileCollector | None:
    """Collect ``*.cases.yaml`` (and ``*.cases.yml``) files."""
    if file_path.name.endswith(CASE_SUFFIXES):
        collector: CaseFileCollector = CaseFileCollector.from_parent(parent, path=file_path)
        return collector
    return None


class CaseFileCollector(pytest.File):
    """A case file: loads it (and its policy) and yields one :class:`CaseItem` per case."""

    def collect(self) -> Iterator[CaseItem]:
        """The file's cases, in file order."""
        case_file = load_cases(self.path)
        for case in case_file.cases:
            yield CaseItem.from_parent(self, name=case.name, case=case, policy=case_file.policy)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:  # type: ignore[override]
        """A case file that does not load: every problem, one line each, not a traceback."""
        if isinstance(excinfo.value, EscalateError):
            return "\n".join(str(e) for e in every_problem(excinfo.value))
        return super().repr_failure(excinfo)


class CaseItem(pytest.Item):
    """One case (a matrix row, a timeline step) as a test."""

    def __init__(self, *, case: Case, policy: Policy, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.policy = policy

    def runtest(self) -> None:
        """Evaluate the case; raise :class:`CaseFailed` unless it passes."""
        result = run_case(self.policy, self.case)
        if not result.passed:
            raise CaseFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:  # type: ignore[override]
        """The case's report: where, expected against actual, the decision's trace."""
        if isinstance(excinfo.value, CaseFailed):
            result = excinfo.value.result
            return f"{result.line()}\n{result.report()}"
        if isinstance(excinfo.value, EscalateError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        """The case file and the case's line (0-based, as pytest counts)."""
        _, line, _ = self.case.source
        return self.path, line - 1, f"case {self.case.name}"
