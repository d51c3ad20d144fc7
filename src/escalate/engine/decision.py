"""The decision ``evaluate`` returns: due actions, clocks, paths, next evaluation, trace.

A decision is a value: ``to_dict()`` is stable JSON (sorted keys, ISO instants in UTC, no
timings) and ``explain()`` is short readable text. The per-condition trace is built only when
asked for, from the facts the evaluation saw.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from escalate.calendars._durations import format_duration
from escalate.calendars._instants import EPOCH, ONE_US
from escalate.engine.clocks import ClockState
from escalate.engine.conditions import Leaf, trace
from escalate.engine.paths import PathDef, PathState
from escalate.errors import render_path

if TYPE_CHECKING:
    from escalate.engine.rules import RuleDef
    from escalate.engine.ticket import Ticket

MATCHED, NOT_MATCHED, SHADOWED, DONE = "matched", "not-matched", "shadowed", "done"


#: The version of the ``to_dict()`` layout (``"format"`` in the output). Adding a key keeps it;
#: renaming, removing or changing the meaning of a key bumps it. See docs/decision-format.md.
DECISION_FORMAT = 1

def iso(at: datetime | None) -> str | None:
    """An instant as ISO-8601 in UTC (``None`` stays ``None``)."""
    return None if at is None else at.astimezone(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class Action:
    """An action that is due. Execute it, then record ``action-done`` with its ``id``."""

    id: str
    kind: str
    source: str
    due_at: datetime
    late: bool
    targets: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    rationale: str | None = None
    people: tuple[str, ...] = ()  # the concrete people the targets reach (with a directory)
    notes: tuple[str, ...] = ()  # every substitution made on the way, and why

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "source": self.source,
            "due_at": iso(self.due_at),
            "late": self.late,
            "targets": list(self.targets),
            "people": list(self.people),
            "notes": list(self.notes),
            "details": dict(self.details),
            "rationale": self.rationale,
        }


@dataclass(frozen=True, slots=True)
class RuleResult:
    """What happened to one rule: matched, not matched, shadowed, or matched but already done."""

    rule: RuleDef
    status: str
    note: str = ""

    def to_dict(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "rule": self.rule.id,
            "status": self.status,
            "note": self.note,
            "conditions": [
                _leaf_dict(leaf, ok, actual, self.rule)
                for leaf, ok, actual in trace(self.rule.when, facts)
            ],
        }


def _leaf_dict(leaf: Leaf, ok: bool, actual: object, rule: RuleDef) -> dict[str, Any]:
    position = rule.positions.get(leaf.path)
    return {
        "field": leaf.field,
        "op": leaf.op,
        "expected": leaf.expected,
        "actual": actual,
        "result": ok,
        "at": render_path(leaf.path),
        "source": None if position is None else f"{position[0]}:{position[1]}:{position[2]}",
    }


class Decision:
    """The outcome of ``Policy.evaluate(ticket, now=...)``. Immutable."""

    __slots__ = (
        "_facts",
        "_rule_results",
        "_ticket",
        "actions",
        "clocks",
        "evaluated_at",
        "next_evaluation_at",
        "paths",
        "policy_hash",
        "policy_id",
        "policy_version",
        "priority",
        "ticket_id",
    )

    def __init__(
        self,
        *,
        policy_id: str,
        policy_version: str,
        policy_hash: str,
        ticket_id: str,
        ticket: Ticket,
        evaluated_at: datetime,
        priority: str | None,
        actions: tuple[Action, ...],
        clocks: tuple[ClockState, ...],
        paths: tuple[tuple[PathDef, PathState], ...],
        next_evaluation_at: datetime | None,
        rule_results: tuple[RuleResult, ...],
        facts: Mapping[str, Any],
    ) -> None:
        self.policy_id = policy_id
        self.policy_version = policy_version
        self.policy_hash = policy_hash
        self.ticket_id = ticket_id
        self._ticket = ticket
        self.evaluated_at = evaluated_at
        self.priority = priority
        self.actions = actions
        self.clocks = clocks
        self.paths = paths
        self.next_evaluation_at = next_evaluation_at
        self._rule_results = rule_results
        self._facts = facts

    @property
    def input_digest(self) -> str:
        """sha256 over the policy's content hash, the ticket's digest and ``now``: two
        decisions with the same input digest came from the same inputs. Computed on request
        (hashing the ticket costs more than many decisions do)."""
        now_us = (self.evaluated_at - EPOCH) // ONE_US
        text = f"{self.policy_hash}\x1f{self._ticket.digest()}\x1f{now_us}"
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def rule_results(self) -> tuple[RuleResult, ...]:
        return self._rule_results

    def clock(self, name: str) -> ClockState:
        """The state of the clock called ``name``."""
        return next(c for c in self.clocks if c.name == name)

    def path(self, name: str) -> PathState:
        """The state of the path called ``name``."""
        return next(state for path, state in self.paths if path.name == name)

    def to_dict(self, *, trace: bool = True) -> dict[str, Any]:
        """Stable JSON-ready form: sorted keys, instants in UTC, no timings."""
        out: dict[str, Any] = {
            "format": DECISION_FORMAT,
            "policy": {
                "id": self.policy_id,
                "version": self.policy_version,
                "hash": self.policy_hash,
            },
            "ticket": self.ticket_id,
            "input_digest": self.input_digest,
            "evaluated_at": iso(self.evaluated_at),
            "priority": self.priority,
            "actions": [a.to_dict() for a in self.actions],
            "clocks": [c.to_dict() for c in self.clocks],
            "paths": [_path_dict(p, s) for p, s in self.paths],
            "next_evaluation_at": iso(self.next_evaluation_at),
        }
        if trace:
            out["rules"] = [r.to_dict(self._facts) for r in self._rule_results]
        return out

    def to_json(self, *, trace: bool = True) -> str:
        """``to_dict()`` as canonical JSON text (same inputs, same bytes)."""
        return json.dumps(self.to_dict(trace=trace), sort_keys=True, indent=2, default=str)

    def explain(self, *, full: bool = False) -> str:
        """Short readable text: why these actions, what the clocks say, when to look again."""
        lines = [
            f"ticket {self.ticket_id} at {iso(self.evaluated_at)} "
            f"(policy {self.policy_id} v{self.policy_version}, priority {self.priority or '-'})"
        ]
        if self.actions:
            lines.append("due actions:")
            for a in self.actions:
                late = " LATE" if a.late else ""
                to = f" -> {', '.join(a.targets)}" if a.targets else ""
                lines.append(f"  - {a.kind}{to} [{a.source}] due {iso(a.due_at)}{late}")
                if a.people:
                    lines.append(f"      pages: {', '.join(a.people)}")
                for note in a.notes:
                    lines.append(f"      note: {note}")
                if a.rationale:
                    lines.append(f"      because: {a.rationale}")
        else:
            lines.append("no actions due")
        for c in self.clocks:
            if c.state == "not-applicable":
                lines.append(f"clock {c.name}: no target for priority {self.priority or '-'}")
                continue
            pct = c.fact("percent")
            breach = f", breach at {iso(c.breach_at)}" if c.breach_at else ""
            lines.append(
                f"clock {c.name}: {c.state}, {format_duration(c.elapsed)} of "
                f"{c.target_text} on {c.calendar_name} ({pct}){breach}"
            )
        for p, s in self.paths:
            if not s.active:
                lines.append(f"path {p.name}: not active")
                continue
            level = s.level(p)
            assert level is not None
            nxt = f", next move {iso(s.next_move_at)}" if s.next_move_at else ""
            lines.append(
                f"path {p.name}: at {level.name} since {iso(s.entered_at)} ({s.reason}){nxt}"
            )
        for r in self._rule_results:
            if r.status == NOT_MATCHED and not full:
                continue
            note = f" - {r.note}" if r.note else ""
            lines.append(f"rule {r.rule.id}: {r.status}{note}")
            if full:
                for leaf, ok, actual in trace(r.rule.when, self._facts):
                    mark = "ok " if ok else "no "
                    pos = r.rule.positions.get(leaf.path)
                    where = f" ({pos[0]}:{pos[1]}:{pos[2]})" if pos else ""
                    lines.append(
                        f"    {mark}{leaf.field} {leaf.op} {leaf.expected!r}: "
                        f"actual {actual!r}{where}"
                    )
        nxt = iso(self.next_evaluation_at) or "never (nothing changes without new events)"
        lines.append(f"next evaluation: {nxt}")
        return "\n".join(lines)


def _path_dict(path: PathDef, state: PathState) -> dict[str, Any]:
    level = state.level(path)
    return {
        "name": path.name,
        "kind": path.kind,
        "active": state.active,
        "level": None if level is None else level.name,
        "entered_at": iso(state.entered_at),
        "reason": state.reason,
        "round": state.round,
        "cycle": state.cycle,
        "acknowledged_at": iso(state.acknowledged_at),
        "next_move_at": iso(state.next_move_at),
    }
