"""The decision ``evaluate`` returns: due actions, clocks, paths, next evaluation, trace.

A decision is immutable: ``to_dict()`` is stable JSON-ready data (ISO instants in UTC, no
timings; ``to_json()`` sorts the keys) and ``explain()`` is short readable text. The
per-condition trace is built only when asked for, from the facts the evaluation saw.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from escalate._frozen import FrozenMap, freeze_map, thaw
from escalate.calendars._durations import format_duration
from escalate.calendars._instants import EPOCH, ONE_US, checked_utc
from escalate.engine.audiences import Communication
from escalate.engine.clocks import NOT_STARTED, ClockState
from escalate.engine.conditions import Leaf, trace
from escalate.engine.contracts import VendorState
from escalate.engine.governance import Governance
from escalate.engine.paths import PathDef, PathState
from escalate.engine.postmortem import Postmortem

# Imported for real, not under TYPE_CHECKING: compiled, RuleResult's field annotations are
# built from the compiled RuleDef class, which must be loaded first (docs/scale.md).
from escalate.engine.rules import RuleDef
from escalate.errors import ArgumentError, render_path

if TYPE_CHECKING:
    from escalate.engine.ticket import Ticket

__all__ = ["DECISION_FORMAT", "Action", "Decision", "RuleResult", "Withdrawn", "iso"]

MATCHED, NOT_MATCHED, SHADOWED, DONE = "matched", "not-matched", "shadowed", "done"
_NO_DETAILS: FrozenMap[str, Any] = FrozenMap()


#: The version of the ``to_dict()`` layout (``"format"`` in the output). Adding a key keeps it;
#: renaming, removing or changing the meaning of a key bumps it. See docs/decision-format.md.
DECISION_FORMAT = 1


def iso(at: datetime | None) -> str | None:
    """An instant as ISO-8601 in UTC (``None`` stays ``None``)."""
    return None if at is None else at.astimezone(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class Action:
    """An action that is due. Execute it, then record ``action-done`` with its ``id``.

    A value: immutable, hashable, equal when every field is. ``id`` is stable across
    evaluations (the idempotency key); ``kind`` the action (``notify``, ``escalate``,
    ``transfer``, ``page``, ``handoff`` ...); ``source`` what emitted it (``rule:<id>``,
    ``clock:<name>@<rung>`` such as ``clock:resolution@75%``, ``path:<name>``); ``due_at``
    when it became due (aware, UTC) and ``late`` whether that is before the evaluated instant;
    ``targets`` the target strings as written; ``details`` a read-only mapping of the action's
    options (lists inside are tuples; values are JSON scalars, tuples or read-only mappings);
    ``rationale`` the YAML ``rationale:``;
    ``people`` the concrete people the targets reach (with a directory); ``notes`` every
    substitution made on the way, and why; ``risks`` the sorted risk classes of a rule or
    rung action and of its rule (``risk:``; empty without, and then not in ``to_dict()``).
    """

    id: str
    kind: str
    source: str
    due_at: datetime
    late: bool
    targets: tuple[str, ...] = ()
    details: Mapping[str, Any] = _NO_DETAILS
    rationale: str | None = None
    people: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # The engine passes fresh dicts (and tuples); freezing is one shallow pass over a
        # handful of keys, cheap next to the evaluation that produced them.
        object.__setattr__(self, "details", freeze_map(self.details))
        if type(self.targets) is not tuple:
            object.__setattr__(self, "targets", tuple(self.targets))
        if type(self.people) is not tuple:
            object.__setattr__(self, "people", tuple(self.people))
        if type(self.notes) is not tuple:
            object.__setattr__(self, "notes", tuple(self.notes))

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form used in ``Decision.to_dict()["actions"]`` (plain dicts and
        lists, instants in UTC); ``risks`` only when the action has some."""
        out = {
            "id": self.id,
            "kind": self.kind,
            "source": self.source,
            "due_at": iso(self.due_at),
            "late": self.late,
            "targets": list(self.targets),
            "people": list(self.people),
            "notes": list(self.notes),
            "details": thaw(self.details),
            "rationale": self.rationale,
        }
        if self.risks:
            out["risks"] = list(self.risks)
        return out


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """A breach or reached rung that a retroactive change undid: the audit trace of it.

    A value: immutable, hashable, equal when every field is. ``clock`` and ``cycle`` name the
    clock cycle; ``what`` is ``breach`` or the rung as its action sources name it (``75%``,
    ``2bd``, ``breach-30m``) and ``rung`` its position in the ladder (``None`` for the
    breach); ``reached_at`` when it had been reached under the priority in force before
    ``withdrawn_at``, the instant of the change; ``reached_now_at`` when the current priority
    reaches it (later than ``withdrawn_at``; a future instant assumes no new events; ``None``:
    not without new events); ``because`` says what changed.
    """

    clock: str
    cycle: int
    what: str
    rung: int | None
    reached_at: datetime
    withdrawn_at: datetime
    reached_now_at: datetime | None
    because: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form used in ``Decision.to_dict()["withdrawn"]``."""
        return {
            "clock": self.clock,
            "cycle": self.cycle,
            "what": self.what,
            "rung": self.rung,
            "reached_at": iso(self.reached_at),
            "withdrawn_at": iso(self.withdrawn_at),
            "reached_now_at": iso(self.reached_now_at),
            "because": self.because,
        }


@dataclass(frozen=True, slots=True)
class RuleResult:
    """What happened to one rule: matched, not matched, shadowed, or matched but already done.

    A value: immutable, hashable, equal when every field is. ``rule`` is the compiled
    :class:`RuleDef`; ``status`` one of ``matched``, ``not-matched``, ``shadowed`` (a
    ``final`` rule ranked before it matched) and ``done`` (matched, its actions already
    recorded); ``note`` says more (which final rule shadowed it).
    """

    rule: RuleDef
    status: str
    note: str = ""

    def to_dict(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        """The JSON-ready trace of this rule against ``facts`` (what the evaluation saw)."""
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
        "expected": list(leaf.expected) if isinstance(leaf.expected, tuple) else leaf.expected,
        "actual": actual,
        "result": ok,
        "at": render_path(leaf.path),
        "source": None if position is None else f"{position[0]}:{position[1]}:{position[2]}",
    }


class Decision:
    """The outcome of ``Policy.evaluate(ticket, now=...)``. Immutable.

    ``policy_id``, ``policy_version`` and ``policy_hash`` name the policy, ``segment`` the
    segment of it that decided (``None``: the policy as written); ``ticket_id`` the
    ticket; ``evaluated_at`` the instant evaluated; ``priority`` the ticket's canonical
    priority (``None`` when it has none); ``actions`` the due actions, a tuple of
    :class:`Action`; ``clocks`` and ``paths`` read-only mappings from name to
    :class:`ClockState` / :class:`PathState`, in the policy's declaration order (only the
    clocks that apply to the ticket: a scoped clock that does not is absent);
    ``next_evaluation_at`` the earliest instant at which the decision changes without new
    events (``None``: never); ``rule_results`` what happened to each rule; ``missed`` the
    actions that were due when the ticket ended (resolved, closed or cancelled) and were
    never recorded done, a tuple of :class:`Action` that are not due (empty while the
    ticket is open); ``withdrawn`` the breaches and reached rungs a retroactive priority
    change undid, a tuple of :class:`Withdrawn` (usually empty); ``communications`` where
    each audience with an update cadence for the ticket's priority stands (a tuple of
    :class:`~escalate.engine.audiences.Communication`; ``None`` when the policy declares no
    cadence: then ``to_dict()`` has no ``communications`` key); ``ticket`` the ticket as
    evaluated; ``vendors`` each vendor contract's state (a tuple of
    :class:`~escalate.engine.vendors.VendorState`; ``None`` when the policy declares no
    vendors: then ``to_dict()`` has no ``vendors`` key).
    evaluated; ``governance`` where the ticket stands for governance (a
    :class:`~escalate.engine.governance.Governance`: risks, oversight tier, board and audit
    flags, override checks; ``None`` when the policy declares no ``governance:``, and then
    ``to_dict()`` has no ``governance`` key); ``warnings`` what the ticket likely got wrong
    for this policy, as text (a milestone one or two letters from a name the policy reads:
    docs/regulatory.md); empty for most decisions, and then ``to_dict()`` has no
    ``warnings`` key; ``postmortem`` where the post-mortem a ``require_postmortem`` action
    asked for stands (a :class:`~escalate.engine.postmortem.Postmortem`: owner, due date,
    action items; ``None`` when the policy declares no ``postmortem:`` section or the ticket
    required none, and then ``to_dict()`` has no ``postmortem`` key).

    Not a value type: decisions compare by identity and are not meant as dictionary keys
    (two evaluations of the same inputs give equal ``to_json()`` and ``input_digest``; compare
    those). Looking up an unknown clock or path raises ``KeyError`` naming the known ones.
    """

    __slots__ = (
        "_clock_map",
        "_clock_states",
        "_facts",
        "_held",
        "_missed",
        "_path_map",
        "_path_pairs",
        "_rule_results",
        "_ticket",
        "actions",
        "communications",
        "evaluated_at",
        "governance",
        "next_evaluation_at",
        "policy_hash",
        "policy_id",
        "policy_version",
        "postmortem",
        "priority",
        "segment",
        "ticket_id",
        "vendors",
        "warnings",
        "withdrawn",
    )

    _clock_map: FrozenMap[str, ClockState] | None
    _clock_states: tuple[ClockState, ...]
    _facts: Mapping[str, Any]
    _held: tuple[tuple[str, datetime], ...]
    _missed: tuple[Action, ...] | Callable[[], tuple[Action, ...]]
    _path_map: FrozenMap[str, PathState] | None
    _path_pairs: tuple[tuple[PathDef, PathState], ...]
    _rule_results: tuple[RuleResult, ...]
    _ticket: Ticket
    actions: tuple[Action, ...]
    communications: tuple[Communication, ...] | None
    evaluated_at: datetime
    governance: Governance | None
    next_evaluation_at: datetime | None
    policy_hash: str
    policy_id: str
    policy_version: str
    postmortem: Postmortem | None
    priority: str | None
    segment: str | None
    ticket_id: str
    vendors: tuple[VendorState, ...] | None
    warnings: tuple[str, ...]
    withdrawn: tuple[Withdrawn, ...]

    def __init__(
        self,
        *,
        policy_id: str,
        policy_version: str,
        policy_hash: str,
        ticket_id: str,
        segment: str | None = None,
        ticket: Ticket,
        evaluated_at: datetime,
        priority: str | None,
        actions: tuple[Action, ...],
        clocks: tuple[ClockState, ...],
        paths: tuple[tuple[PathDef, PathState], ...],
        next_evaluation_at: datetime | None,
        rule_results: tuple[RuleResult, ...],
        facts: Mapping[str, Any],
        missed: tuple[Action, ...] | Callable[[], tuple[Action, ...]] = (),
        withdrawn: tuple[Withdrawn, ...] = (),
        communications: tuple[Communication, ...] | None = None,
        held: tuple[tuple[str, datetime], ...] = (),
        vendors: tuple[VendorState, ...] | None = None,
        governance: Governance | None = None,
        warnings: tuple[str, ...] = (),
        postmortem: Postmortem | None = None,
    ) -> None:
        # The mappings by name are built on first use: most callers read only the actions.
        object.__setattr__(self, "policy_id", policy_id)
        object.__setattr__(self, "policy_version", policy_version)
        object.__setattr__(self, "policy_hash", policy_hash)
        object.__setattr__(self, "segment", segment)
        object.__setattr__(self, "ticket_id", ticket_id)
        object.__setattr__(self, "_ticket", ticket)
        object.__setattr__(self, "evaluated_at", evaluated_at)
        object.__setattr__(self, "priority", priority)
        object.__setattr__(self, "actions", tuple(actions))
        object.__setattr__(self, "_clock_states", tuple(clocks))
        object.__setattr__(self, "_clock_map", None)
        object.__setattr__(self, "_path_pairs", tuple(paths))
        object.__setattr__(self, "_path_map", None)
        object.__setattr__(self, "next_evaluation_at", next_evaluation_at)
        object.__setattr__(self, "_rule_results", tuple(rule_results))
        object.__setattr__(self, "_facts", facts)
        object.__setattr__(self, "_missed", missed if callable(missed) else tuple(missed))
        object.__setattr__(self, "withdrawn", tuple(withdrawn))
        object.__setattr__(self, "_held", tuple(held))
        object.__setattr__(self, "vendors", None if vendors is None else tuple(vendors))
        object.__setattr__(self, "governance", governance)
        object.__setattr__(self, "warnings", tuple(warnings))
        object.__setattr__(self, "postmortem", postmortem)
        object.__setattr__(
            self, "communications", None if communications is None else tuple(communications)
        )

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Decision is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Decision is immutable; cannot delete {name!r}")

    def __repr__(self) -> str:
        return (
            f"<Decision ticket={self.ticket_id} at {iso(self.evaluated_at)} "
            f"actions={len(self.actions)} policy={self.policy_id} v{self.policy_version}>"
        )

    @property
    def clocks(self) -> Mapping[str, ClockState]:
        """Every clock of the policy that applies to the ticket, by name, in declaration order
        (read-only). A scoped clock that does not apply is absent."""
        found: FrozenMap[str, ClockState] | None = self._clock_map
        if found is None:
            found = FrozenMap({c.name: c for c in self._clock_states}, what="clock")
            object.__setattr__(self, "_clock_map", found)
        return found

    @property
    def paths(self) -> Mapping[str, PathState]:
        """Every path of the policy by name, in declaration order (read-only)."""
        found: FrozenMap[str, PathState] | None = self._path_map
        if found is None:
            found = FrozenMap({s.name: s for _, s in self._path_pairs}, what="path")
            object.__setattr__(self, "_path_map", found)
        return found

    @property
    def ticket(self) -> Ticket:
        """The ticket this decision was made for (its whole history; the decision saw it as of
        ``evaluated_at``)."""
        return self._ticket

    @property
    def missed(self) -> tuple[Action, ...]:
        """The actions that were due when the ticket ended and were never recorded done (not
        due; empty while the ticket is open). Worked out on first use: it may walk the
        history."""
        found = self._missed
        if callable(found):
            found = found()
            object.__setattr__(self, "_missed", found)
        return found

    @property
    def input_digest(self) -> str:
        """sha256 over the policy's content hash, the ticket's digest and ``now``: two
        decisions with the same input digest came from the same inputs. Computed on request
        (hashing the ticket costs more than many decisions do)."""
        now_us = (self.evaluated_at - EPOCH) // ONE_US
        text = f"{self.policy_hash}\x1f{self._ticket.digest()}\x1f{now_us}"
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def event_count(self) -> int:
        """How many events the ticket's history held when it was evaluated (O(1))."""
        return len(self._ticket.events)

    def is_due(self, now: datetime, *, event_count: int) -> bool:
        """Whether the ticket must be evaluated again at ``now`` (aware), given how many
        events its history holds now. O(1): no hashing, nothing read from the history.

        ``False`` -- not due -- exactly when ``event_count`` is the decision's own
        :attr:`event_count` (no new events), ``evaluated_at <= now`` and ``now`` is before
        ``next_evaluation_at`` (or that is ``None``). Evaluating anyway with the same policy and
        availability then gives the same ``actions`` (ids, kinds, sources, due instants,
        targets, details, people, notes; only ``late`` may turn true), the same paths,
        priority, segment, ``missed`` (``late`` aside) and ``withdrawn``, the same clock
        states and breach instants. What grows with ``now`` differs: clocks' elapsed, percent
        and remaining, the post-mortem's and its action items' ``percent``,
        ``evaluated_at``, the trace's actual values, ``input_digest``; so may the status of a
        rule whose time condition (a calendar window, an elapsed time) turned without moving
        anything (its path already at the level it asks for). ``next_evaluation_at`` stays,
        or moves later when it was a checkpoint (docs/scale.md, "Batch sweeps").

        The caller vouches for "no new events": the history only grows (events are appended,
        never edited), every change to a ticket is an event (``field-changed`` for a field),
        and the policy and availability are the ones this decision was made with. A ticket
        whose history was edited in place, or whose top-level fields changed without an
        event, must be evaluated (:meth:`escalate.Policy.evaluate`), not checked.
        """
        if isinstance(event_count, bool) or not isinstance(event_count, int):
            raise ArgumentError(
                f"event_count must be an int (len(ticket.events)), got {type(event_count).__name__}"
            )
        if event_count < 0:
            raise ArgumentError(
                f"event_count must be 0 or more (len(ticket.events)), got {event_count}"
            )
        return self._due(checked_utc(now, "now"), event_count)

    def _due(self, now: datetime, event_count: int) -> bool:
        """:meth:`is_due` with its arguments already checked (``now`` in UTC): a sweep checks
        them once."""
        if event_count != len(self._ticket.events) or now < self.evaluated_at:
            return True
        nxt = self.next_evaluation_at
        return nxt is not None and now >= nxt

    @property
    def rule_results(self) -> tuple[RuleResult, ...]:
        """What happened to each rule, in the policy's declared precedence."""
        return self._rule_results

    def clock(self, name: str) -> ClockState:
        """The state of the clock called ``name``; ``KeyError`` (naming the known clocks) if
        the policy has none by that name or it does not apply to the ticket."""
        return self.clocks[name]

    def path(self, name: str) -> PathState:
        """The state of the path called ``name``; ``KeyError`` (naming the known paths) if
        the policy has none by that name."""
        return self.paths[name]

    def to_dict(self, *, trace: bool = True) -> dict[str, Any]:
        """Stable JSON-ready form: instants in UTC, no timings (``to_json`` sorts the keys)."""
        out: dict[str, Any] = {
            "format": DECISION_FORMAT,
            "policy": {
                "id": self.policy_id,
                "version": self.policy_version,
                "hash": self.policy_hash,
            },
            "segment": self.segment,
            "ticket": self.ticket_id,
            "input_digest": self.input_digest,
            "evaluated_at": iso(self.evaluated_at),
            "priority": self.priority,
            "actions": [a.to_dict() for a in self.actions],
            "clocks": [c.to_dict() for c in self._clock_states],
            "paths": [_path_dict(p, s) for p, s in self._path_pairs],
            "next_evaluation_at": iso(self.next_evaluation_at),
        }
        # Audit keys, present only when there is something to report.
        if self.missed:
            out["missed"] = [a.to_dict() for a in self.missed]
        if self.withdrawn:
            out["withdrawn"] = [w.to_dict() for w in self.withdrawn]
        if self.warnings:
            out["warnings"] = list(self.warnings)
        # Present whenever the policy declares update cadences (then always, even empty).
        if self.communications is not None:
            out["communications"] = [c.to_dict() for c in self.communications]
        # Present whenever the policy declares vendor contracts (then always, even if none is
        # engaged): a policy without vendors decides byte for byte as before.
        if self.vendors is not None:
            out["vendors"] = [v.to_dict() for v in self.vendors]
        # Present whenever the policy declares ``governance:``.
        if self.governance is not None:
            out["governance"] = self.governance.to_dict()
        # Present once a policy with a ``postmortem:`` section required a post-mortem.
        if self.postmortem is not None:
            out["postmortem"] = self.postmortem.to_dict()
        if trace:
            out["rules"] = [r.to_dict(self._facts) for r in self._rule_results]
        return out

    def to_json(self, *, trace: bool = True) -> str:
        """``to_dict()`` as canonical JSON text (same inputs, same bytes)."""
        return json.dumps(self.to_dict(trace=trace), sort_keys=True, indent=2, default=str)

    def explain(self, *, full: bool = False) -> str:
        """Short readable text: why these actions, what the clocks say, when to look again."""
        segment = "" if self.segment is None else f", segment {self.segment}"
        lines = [
            f"ticket {self.ticket_id} at {iso(self.evaluated_at)} "
            f"(policy {self.policy_id} v{self.policy_version}{segment}, "
            f"priority {self.priority or '-'})"
        ]
        lines += [f"warning: {w}" for w in self.warnings]
        if self.actions:
            lines.append("due actions:")
            for a in self.actions:
                late = " LATE" if a.late else ""
                to = f" -> {', '.join(a.targets)}" if a.targets else ""
                lines.append(f"  - {a.kind}{to}{_what(a)} [{a.source}] due {iso(a.due_at)}{late}")
                if a.people:
                    lines.append(f"      pages: {', '.join(a.people)}")
                for note in a.notes:
                    lines.append(f"      note: {note}")
                if a.rationale:
                    lines.append(f"      because: {a.rationale}")
                if a.risks:
                    lines.append(f"      risks: {', '.join(a.risks)}")
        else:
            lines.append("no actions due")
        if self.missed:
            lines.append("missed (due when the ticket ended, never recorded done):")
            for a in self.missed:
                lines.append(f"  - {a.kind} [{a.source}] due {iso(a.due_at)} id {a.id}")
        for w in self.withdrawn:
            again = iso(w.reached_now_at) or "not without new events"
            lines.append(
                f"withdrawn: clock {w.clock} {w.what} reached {iso(w.reached_at)}, undone at "
                f"{iso(w.withdrawn_at)} ({w.because}); now reached {again}"
            )
        for m in self.communications or ():
            if m.due_at is None:
                state = "ticket ended, no update owed"
            else:
                state = f"{'OVERDUE since' if m.overdue else 'next due'} {iso(m.due_at)}"
            lines.append(
                f"audience {m.audience}: every {format_duration(m.every)}, {m.updates} "
                f"update(s) done, last {iso(m.last_update_at)}; {state}"
            )
        for c in self._clock_states:
            # A scoped clock names the definition measuring it; unscoped clocks read as before.
            name = c.name if c.definition_id is None else f"{c.name} ({c.definition_id})"
            if c.state == "not-applicable":
                lines.append(f"clock {name}: no target for priority {self.priority or '-'}")
                continue
            if c.state == NOT_STARTED:
                lines.append(
                    f"clock {name}: not started (target {c.target_text} on {c.calendar_name})"
                )
                continue
            pct = c.fact("percent")
            share = "" if pct is None else f" ({pct})"  # None: a zero target has no share
            breach = f", breach at {iso(c.breach_at)}" if c.breach_at else ""
            if c.breached:  # marked as the vendor clocks are: a late report is easy to miss
                breach += " BREACHED"
            lines.append(
                f"clock {name}: {c.state}, {format_duration(c.elapsed)} of "
                f"{c.target_text} on {c.calendar_name}{share}{breach}"
            )
        for v in self.vendors or ():
            lines.extend(v.explain())
        if self.postmortem is not None:
            lines += self.postmortem.explain()
        for p, s in self._path_pairs:
            if not s.active:
                lines.append(f"path {p.name}: not active")
                continue
            level = s.level_def(p)
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
        for what, until in self._held:
            lines.append(f"held: {what} until {iso(until)}")
        if self.governance is not None:
            lines.append("governance:")
            lines += self.governance.explain()
        nxt = iso(self.next_evaluation_at) or "never (nothing changes without new events)"
        lines.append(f"next evaluation: {nxt}")
        # One line per entry: a line break inside a value (a rationale may span lines) is
        # written as an escape, so no value can make a line of its own.
        return "\n".join(_one_line(line) for line in lines)


#: The details explain() shows after an action's kind, by kind: (key, label; "" for none).
_SHOWN: dict[str, tuple[tuple[str, str], ...]] = {
    "status_page": (("component", ""), ("state", "")),
    "notify": (("channel", "via"), ("template", "template"), ("audience", "audience")),
    "notify_attempt": (("channel", "via"), ("address", "to")),
}


def _what(action: Action) -> str:
    """What an action carries, for explain(): a status page's component and state, a
    notify's channel, template and audience, an attempt's channel and address."""
    shown = [
        f"{label} {value}" if label else str(value)
        for key, label in _SHOWN.get(action.kind, ())
        if (value := action.details.get(key)) not in (None, "")
    ]
    return f" ({', '.join(shown)})" if shown else ""


def _one_line(text: str) -> str:
    """``text`` with every line break written as ``repr`` writes it.

    >>> print(_one_line("first\\nsecond"))
    first\\nsecond
    """
    if len(text.splitlines()) <= 1 and not text.endswith(("\n", "\r")):
        return text
    return "".join(repr(c)[1:-1] if c.splitlines() != [c] else c for c in text)


def _path_dict(path: PathDef, state: PathState) -> dict[str, Any]:
    level = state.level_def(path)
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
