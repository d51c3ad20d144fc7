"""Running cases: each case evaluated, its expectations checked, the outcome as a result.

:func:`run_case` evaluates one :class:`~escalate.testing.cases.Case` with
``Policy.evaluate`` and checks its ``expect`` and ``expect_not``; the :class:`CaseResult`
says whether it passed and, when it did not, which statements the decision contradicts
(expected against actual, each at its ``file:line:col``) and the decision's trace.
:func:`select` filters cases with a ``-k`` expression (:mod:`escalate.testing.keywords`).
Pure: no files, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from escalate.engine.compiled import Policy
from escalate.engine.decision import NOT_MATCHED, Decision
from escalate.errors import EscalateError, TicketError
from escalate.testing.cases import Case, Where
from escalate.testing.expectations import Mismatch, flow
from escalate.testing.keywords import Keywords

__all__ = ["CaseResult", "run_case", "select"]

PASS, FAIL, ERROR = "pass", "fail", "error"


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The outcome of one case.

    ``case`` is the case run; ``status`` ``pass``, ``fail`` (the decision contradicts
    ``mismatches``) or ``error`` (the case could not be evaluated: ``error`` says why);
    ``decision`` the decision evaluated (``None`` on an error); ``error_source`` where the
    ticket key the error names stands in the case file (``None``: at the case).
    """

    case: Case
    status: str
    mismatches: tuple[Mismatch, ...] = ()
    decision: Decision | None = None
    error: str | None = None
    error_source: Where | None = None

    @property
    def passed(self) -> bool:
        """Whether the case passed."""
        return self.status == PASS

    @property
    def location(self) -> str:
        """``file:line`` of the case (its row or step for a matrix or a timeline)."""
        file, line, _ = self.case.source
        return f"{file}:{line}"

    def line(self) -> str:
        """The one-line summary: ``PASS name file:line`` (``FAIL``, ``ERROR``)."""
        return f"{self.status.upper()} {self.case.name} {self.location}"

    def report(self) -> str:
        """What went wrong, for a reader: each contradicted statement (where it stands,
        expected, actual), then the decision's trace: its short explanation and the condition
        trace of the rules the case names and of the near misses (rules that failed on one
        condition only). Empty for a case that passed."""
        if self.status == PASS:
            return ""
        if self.error is not None:
            file, line, col = self.error_source or self.case.source
            return f"{file}:{line}:{col}: case {self.case.name!r}: {self.error}"
        lines = [str(m) for m in self.mismatches]
        assert self.decision is not None
        lines.append("decision:")
        lines += [f"  {line}" for line in self.decision.explain().splitlines()]
        traced = rule_traces(self.decision, self._named_rules())
        if traced:
            lines.append("rule traces (named by the case, or missed by one condition):")
            lines += [f"  {line}" for line in traced]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form ``escalate test --json`` prints."""
        file, line, col = self.case.source
        return {
            "name": self.case.name,
            "case": self.case.case,
            "source": f"{file}:{line}:{col}",
            "status": self.status,
            "mismatches": [m.to_dict() for m in self.mismatches],
            "error": self.error,
            "error_source": None
            if self.error_source is None
            else "{}:{}:{}".format(*self.error_source),
            "trace": self.report() if self.status == FAIL else None,
        }

    def _named_rules(self) -> tuple[str, ...]:
        case = self.case
        return tuple(
            dict.fromkeys(
                rule for e in (case.expect, case.expect_not) if e is not None for rule in e.rules
            )
        )


def run_case(policy: Policy, case: Case) -> CaseResult:
    """Evaluate ``case`` against ``policy`` and check its expectations. An input the engine
    refuses is a result with status ``error``, not an exception."""
    try:
        decision = policy.evaluate(case.ticket, now=case.now, availability=case.availability)
    except EscalateError as exc:
        where = None
        if isinstance(exc, TicketError) and case.locate is not None:
            where = case.locate(exc.path)
        return CaseResult(case, ERROR, error=str(exc), error_source=where)
    mismatches: list[Mismatch] = []
    for expectation in (case.expect, case.expect_not):
        if expectation is not None:
            mismatches += expectation.check(decision)
    mismatches.sort(key=lambda m: m.source[1:])  # in the order the case file writes them
    return CaseResult(case, FAIL if mismatches else PASS, tuple(mismatches), decision)


def select(cases: Iterable[Case], keywords: Keywords | None) -> list[Case]:
    """The cases whose name the ``-k`` expression selects (all of them without one)."""
    return [c for c in cases if keywords is None or keywords.matches(c.name)]


def rule_traces(decision: Decision, named: Sequence[str]) -> list[str]:
    """The condition traces of the rules in ``named`` and of every near miss (a rule that did
    not match because of exactly one condition), one line per condition with its actual value
    and where it stands in the policy."""
    lines: list[str] = []
    for rule in decision.to_dict()["rules"]:
        conditions = rule["conditions"]
        misses = sum(1 for c in conditions if not c["result"])
        near = rule["status"] == NOT_MATCHED and misses == 1 and len(conditions) > 1
        if rule["rule"] not in named and not near:
            continue
        note = " (near miss)" if near and rule["rule"] not in named else ""
        lines.append(f"rule {rule['rule']}: {rule['status']}{note}")
        for c in conditions:
            mark = "ok" if c["result"] else "no"
            where = f" ({c['source']})" if c["source"] else ""
            lines.append(
                f"  {mark} {c['field']} {c['op']} {flow(c['expected'])}: "
                f"actual {flow(c['actual'])}{where}"
            )
    return lines
