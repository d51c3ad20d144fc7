"""Simulation: a ticket's future, decided at each instant something can change.

:func:`simulate` evaluates the ticket at its start, then jumps to the next instant at which the
decision can change -- the decision's ``next_evaluation_at`` or the next scripted event,
whichever comes first -- and so on until ``until``. It never steps through time minute by
minute: the cost is one evaluation per step, and the number of steps is the number of
wake-ups and scripted events in the span, whatever its length. Nobody acts unless the script
says so: no action is recorded done, no page is acknowledged, so the timeline is the ticket's
future if nothing but the scripted events happens. Pure: no clock is read, no file touched.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from escalate.calendars._instants import checked_utc
from escalate.engine.clocks import ClockState
from escalate.engine.compiled import Policy
from escalate.engine.decision import Action, Decision, iso
from escalate.engine.ticket import Event, Ticket
from escalate.errors import ArgumentError, EscalateError, TicketError
from escalate.people.availability import Availability
from escalate.whatif._text import table
from escalate.whatif.script import (
    ScriptedEventError,
    ScriptedEventErrors,
    append,
    read_script,
    scripted_error,
)

__all__ = [
    "DEFAULT_MAX_STEPS",
    "SIMULATION_FORMAT",
    "ClockChange",
    "LevelChange",
    "ScriptedEventError",
    "ScriptedEventErrors",
    "SegmentChange",
    "Simulation",
    "SimulationError",
    "Step",
    "simulate",
]

DEFAULT_MAX_STEPS = 10_000
"""Most steps :func:`simulate` takes unless told otherwise. A step is one evaluation (about a
millisecond for the bundled examples); the shipped pack wakes a ticket a few dozen to a hundred
times in 30 days, while a policy that woke every minute would need 43,200 steps for them."""

#: The version of :meth:`Simulation.to_dict`'s layout (``"format"`` in the output).
SIMULATION_FORMAT = 1


class SimulationError(EscalateError, ValueError):
    """A simulation cannot run as asked: its span is the wrong way round, it starts before
    the ticket's last event, or it would take more than ``max_steps`` steps. ``argument``
    names the argument of :func:`simulate` to change: ``start``, ``until`` or ``max_steps``
    (a command line names its own option for it)."""

    def __init__(self, message: str, *, argument: str) -> None:
        super().__init__(message)
        self.argument = argument


@dataclass(frozen=True, slots=True)
class SegmentChange:
    """The ticket moved between segments of the policy between two steps (a scripted event
    changed a field a segment's ``when`` reads): ``before`` and ``after`` are segment ids
    (``None``: the policy as written). A value: immutable, hashable."""

    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class LevelChange:
    """A path that moved between two steps: ``before`` and ``after`` are level names
    (``None``: the path was not active, or the policy had no such path for the ticket then:
    a segment's own path appears and vanishes with the segment). A value: immutable,
    hashable."""

    path: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class ClockChange:
    """A clock whose state changed between two steps: ``before`` and ``after`` are its state
    (``running``, ``paused``, ``stopped`` ...) followed by ``, breached`` once its breach
    instant has passed (``None``: the clock did not apply to the ticket, such as a scoped
    clock out of scope or a clock only another segment has). A value: immutable, hashable."""

    clock: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True, eq=False)
class Step:
    """One instant of a simulation: ``at`` (UTC), the scripted ``events`` applied there (with
    their positions in the script as ``index``), the ticket's ``status`` after them (as its
    history writes it), the ``decision`` at that instant, and what
    changed since the previous step: ``newly_due`` (due actions that were not due before, each
    id once), ``no_longer_due`` (actions due before and not now: answered, withdrawn or
    ended), ``segment`` (a :class:`SegmentChange` when the ticket moved to another segment,
    else ``None``), ``levels`` (a :class:`LevelChange` per path that moved, appeared or
    vanished) and ``clocks`` (a :class:`ClockChange` per clock whose state or breach changed,
    or that began or ceased to apply). The first step compares with nothing: everything due,
    the segment (if any), every active path and every clock is a change.

    Compares by identity, like the decision it holds.
    """

    at: datetime
    events: tuple[Event, ...]
    status: str
    decision: Decision
    newly_due: tuple[Action, ...]
    no_longer_due: tuple[Action, ...]
    segment: SegmentChange | None
    levels: tuple[LevelChange, ...]
    clocks: tuple[ClockChange, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: instants in UTC, the decision without its trace."""
        return {
            "at": iso(self.at),
            "events": [event.to_dict() for event in self.events],
            "status": self.status,
            "newly_due": [action.to_dict() for action in self.newly_due],
            "no_longer_due": [action.id for action in self.no_longer_due],
            "segment": None
            if self.segment is None
            else {"from": self.segment.before, "to": self.segment.after},
            "levels": [{"path": c.path, "from": c.before, "to": c.after} for c in self.levels],
            "clocks": [{"clock": c.clock, "from": c.before, "to": c.after} for c in self.clocks],
            "decision": self.decision.to_dict(trace=False),
        }


@dataclass(frozen=True, slots=True, eq=False)
class Simulation:
    """The result of :func:`simulate`: ``steps`` in time order (strictly increasing instants),
    the span ``start`` to ``until`` (UTC), and ``next_step_at``: when the step after ``until``
    would come (``None``: after the last step nothing changes without new events).

    Compares by identity; compare ``to_json()`` outputs to compare two simulations.
    """

    policy_id: str
    policy_version: str
    policy_hash: str
    ticket_id: str
    start: datetime
    until: datetime
    steps: tuple[Step, ...]
    next_step_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON-ready form: instants in UTC, no timings."""
        return {
            "format": SIMULATION_FORMAT,
            "policy": {
                "id": self.policy_id,
                "version": self.policy_version,
                "hash": self.policy_hash,
            },
            "ticket": self.ticket_id,
            "start": iso(self.start),
            "until": iso(self.until),
            "next_step_at": iso(self.next_step_at),
            "steps": [step.to_dict() for step in self.steps],
        }

    def to_json(self) -> str:
        """``to_dict()`` as canonical JSON text (sorted keys, ASCII): same inputs, same bytes."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2)

    def table(self) -> str:
        """The timeline as a text table: one row per step, with the instant (UTC), what
        happened (scripted events, clock changes), the path levels (``from -> to`` where one
        moved) and the actions that became due (``+``) or stopped being due (``-``)."""
        rows = [
            (
                (_when(step.at),),
                _happened(step, first=i == 0),
                _levels(step),
                _due(step),
            )
            for i, step in enumerate(self.steps)
        ]
        heading = (
            f"ticket {self.ticket_id}, policy {self.policy_id} v{self.policy_version}: "
            f"{len(self.steps)} step{'s' if len(self.steps) != 1 else ''} "
            f"from {_when(self.start)} to {_when(self.until)} (UTC)"
        )
        after = (
            f"next step after {_when(self.until)}: {_when(self.next_step_at)}"
            if self.next_step_at is not None
            else "nothing changes after the last step without new events"
        )
        body = table(("at (UTC)", "what happened", "levels", "due actions"), rows)
        return f"{heading}\n{body}\n{after}"


def simulate(
    policy: Policy,
    ticket: Ticket | Mapping[str, Any],
    *,
    until: datetime,
    start: datetime | None = None,
    events: Iterable[Mapping[str, Any]] = (),
    availability: Availability | Mapping[str, Any] | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> Simulation:
    """The ticket's future from ``start`` to ``until`` (aware instants), one step per instant
    at which the decision can change.

    ``start`` defaults to the ticket's last event (its opening when it has none) and may not
    be earlier: the ticket's fields describe it as of its last event. ``events`` are scripted
    events, ticket events (``docs/ticket-format.md``) placed by ``at`` (an instant) or
    ``after`` (a duration from ``start``: ``{"after": "10m", "type": "acknowledged", "actor":
    "anna"}``), in time order, from ``start`` to ``until``. ``availability`` is the same at
    every step. A ticket given as a mapping is read with the policy's empty-value markers. A
    scripted event that cannot be read or contradicts the history raises
    :class:`ScriptedEventError` (a :class:`TicketError`) whose path names it in ``events``;
    when several events have problems of their own, :class:`ScriptedEventErrors` holds every
    one.

    Each step is one evaluation of the ticket with the scripted events up to its instant:
    ``steps[i].decision`` equals ``policy.evaluate`` of that history at ``steps[i].at``. A
    simulation that would take more than ``max_steps`` steps raises :class:`SimulationError`
    rather than run on (the cost is per step, not per day simulated).
    """
    if not isinstance(policy, Policy):
        raise ArgumentError(f"policy must be an escalate Policy, got {type(policy).__name__}")
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        raise ArgumentError(f"max_steps must be a positive int, got {max_steps!r}")
    if not isinstance(ticket, Ticket):
        if not isinstance(ticket, Mapping):
            raise TicketError("a ticket must be an escalate.Ticket or a mapping", value=ticket)
        ticket = Ticket.from_mapping(ticket, empty=policy.empty_values)
    last = max(ticket.opened_at, ticket.events[-1].at) if ticket.events else ticket.opened_at
    until = checked_utc(until, "until")
    given = start is not None
    start = last if start is None else checked_utc(start, "start")
    if start < last:
        raise SimulationError(
            f"start {iso(start)} is before the ticket's last event ({iso(last)}): a simulation "
            "starts from the ticket as it is; leave start out or give a later one",
            argument="start",
        )
    if until < start:
        of = "" if given else " (the ticket's last event)"
        raise SimulationError(
            f"until {iso(until)} is before the start {iso(start)}{of}", argument="until"
        )
    scripted = read_script(
        events,
        ticket=ticket,
        start=start,
        until=until,
        empty=policy.empty_values,
        statuses=policy.statuses,
    )
    availability = Availability.from_mapping(availability)

    steps: list[Step] = []
    current, applied, at = ticket, 0, start
    previous: Decision | None = None
    while True:
        first = applied
        while applied < len(scripted) and scripted[applied].at <= at:
            applied += 1
        if applied > first:
            current = append(ticket, scripted[:applied])
        try:
            decision = policy.evaluate(current, now=at, availability=availability)
        except TicketError as exc:  # the policy's own checks, such as its statuses
            raise _blamed(scripted_error(exc, len(ticket.events)), scripted[:applied]) from None
        status = current.state_at(at).status
        steps.append(_step(at, scripted[first:applied], status, decision, previous))
        previous = decision
        wake = decision.next_evaluation_at
        if wake is not None and wake <= at:
            raise EscalateError(
                f"the decision at {iso(at)} asks to be evaluated again at {iso(wake)}, not "
                "later (a bug in escalate; please report it with the policy and the ticket)"
            )
        event_at = scripted[applied].at if applied < len(scripted) else None
        following = min((t for t in (wake, event_at) if t is not None), default=None)
        if following is None or following > until:
            break
        if len(steps) == max_steps:
            raise SimulationError(
                f"simulating ticket {ticket.id} from {iso(start)} to {iso(until)} takes more "
                f"than {max_steps} steps (step {max_steps} is at {iso(at)}): the policy wakes "
                "it that often; pass a larger max_steps (each step is one evaluation) or an "
                "earlier until",
                argument="max_steps",
            )
        at = following
    return Simulation(
        policy_id=policy.id,
        policy_version=policy.version,
        policy_hash=policy.content_hash,
        ticket_id=ticket.id,
        start=start,
        until=until,
        steps=tuple(steps),
        next_step_at=following,
    )


def _step(
    at: datetime,
    events: tuple[Event, ...],
    status: str,
    decision: Decision,
    previous: Decision | None,
) -> Step:
    """The step at ``at``: ``decision`` compared with the ``previous`` step's."""
    was = {} if previous is None else {a.id: a for a in previous.actions}
    now = {a.id for a in decision.actions}
    segment = None if previous is None else previous.segment
    # Paths and clocks are matched by name over both decisions: a segment change or a scoped
    # clock's condition can add or drop some (the new decision's order, then the dropped ones).
    levels = [
        LevelChange(name, before, after)
        for name, (before, after) in _pairs(
            {} if previous is None else {n: s.level_name for n, s in previous.paths.items()},
            {n: s.level_name for n, s in decision.paths.items()},
        )
    ]
    clocks = [
        ClockChange(name, before, after)
        for name, (before, after) in _pairs(
            {} if previous is None else {n: _clock(c) for n, c in previous.clocks.items()},
            {n: _clock(c) for n, c in decision.clocks.items()},
        )
    ]
    return Step(
        at=at,
        events=events,
        status=status,
        decision=decision,
        newly_due=tuple(a for a in decision.actions if a.id not in was),
        no_longer_due=tuple(a for i, a in was.items() if i not in now),
        segment=None if segment == decision.segment else SegmentChange(segment, decision.segment),
        levels=tuple(levels),
        clocks=tuple(clocks),
    )


def _pairs(
    old: Mapping[str, str | None], new: Mapping[str, str | None]
) -> list[tuple[str, tuple[str | None, str | None]]]:
    """``(name, (before, after))`` for each name whose value differs between ``old`` and
    ``new`` (a name only one has is ``None`` in the other), in ``new``'s order, then the names
    only ``old`` has."""
    names = [*new, *(name for name in old if name not in new)]
    return [
        (name, (old.get(name), new.get(name))) for name in names if old.get(name) != new.get(name)
    ]


def _clock(state: ClockState) -> str:
    """A clock's state as a step compares it: ``running``, ``running, breached`` ..."""
    return f"{state.state}, breached" if state.breached else state.state


# -- the table ------------------------------------------------------------------------------------


def _when(at: datetime | None) -> str:
    """``2024-11-20 15:00:00`` (UTC), the offset left to the column heading."""
    text = iso(at)
    return "-" if text is None else text[:19].replace("T", " ") + _fraction(text)


def _fraction(text: str) -> str:
    """The microseconds of an ISO instant, when it has any (``.5``)."""
    return text[19:26].rstrip("0") if text[19] == "." else ""


def _happened(step: Step, *, first: bool) -> tuple[str, ...]:
    lines = []
    if first:
        lines.append(f"start: {step.status}, priority {step.decision.priority or '-'}")
    for event in step.events:
        payload = {k: v for k, v in event.to_dict().items() if k not in ("at", "type")}
        said = ", ".join(f"{key} {value}" for key, value in payload.items())
        lines.append(f"{event.type}" + (f" ({said})" if said else ""))
    if step.segment is not None:
        before = "" if first else f"{step.segment.before or '-'} -> "
        lines.append(f"segment: {before}{step.segment.after or '-'}")
    for change in step.clocks:
        before = "" if first or change.before is None else f"{change.before} -> "
        lines.append(f"clock {change.clock}: {before}{change.after or 'does not apply'}")
    if not step.events and not first:
        lines.insert(0, "wake-up")
    return tuple(lines)


def _levels(step: Step) -> tuple[str, ...]:
    moved = {change.path: change for change in step.levels}
    lines = []
    for name, state in step.decision.paths.items():
        change = moved.get(name)
        if change is not None and change.before is not None:
            lines.append(f"{name}: {change.before} -> {change.after or 'inactive'}")
        elif state.level_name is not None:
            lines.append(f"{name}: {state.level_name}")
    # Paths the ticket's new segment does not have: the level it left.
    for change in step.levels:
        if change.path not in step.decision.paths:
            lines.append(f"{change.path}: {change.before} -> inactive")
    return tuple(lines)


def _due(step: Step) -> tuple[str, ...]:
    lines = [f"+ {_action(a)}" for a in step.newly_due]
    lines += [f"- {_action(a, people=False)}" for a in step.no_longer_due]
    return tuple(lines)


def _action(action: Action, *, people: bool = True) -> str:
    """``kind -> targets [source] => people`` (the people it reaches, when asked for)."""
    to = f" -> {', '.join(action.targets)}" if action.targets else ""
    reached = f" => {', '.join(action.people)}" if people and action.people else ""
    return f"{action.kind}{to} [{action.source}]{reached}"


def _blamed(exc: TicketError, applied: Sequence[Event]) -> TicketError:
    """``exc`` about a field of the ticket (``priority``) the policy refuses, as a
    :class:`ScriptedEventError` naming the last scripted event that set it, when one did: the
    ticket file only said what the script then changed."""
    if isinstance(exc, ScriptedEventError) or not exc.path or not isinstance(exc.path[0], str):
        return exc
    field = exc.path[0]
    for i in range(len(applied) - 1, -1, -1):
        event = applied[i]
        if field == "priority" and event.type == "priority-changed":
            key = "priority"
        elif field == "status" and event.status is not None:
            key = "status"
        elif event.type == "field-changed" and event.field == field:
            key = "to"
        else:
            continue
        return ScriptedEventError(exc.message, path=("events", i, key), value=exc.value)
    return exc
