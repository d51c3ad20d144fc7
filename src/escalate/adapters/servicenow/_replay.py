"""Replaying a ServiceNow log through a policy: each incident decided as it happened, summarised.

:func:`replay` rebuilds every incident of a log and evaluates it at every recorded update
(after that row's events) and at every ``next_evaluation_at`` strictly between two updates,
until the incident is closed (the first closed state; an incident never closed is replayed up
to its last row and counted as open). Every action due at an evaluation is fed back as done
(an ``action-done`` event at that instant, actor ``replay``), as a caller that executes what
it is told would. The first evaluation is at the first row: nothing existed in ServiceNow
before it was saved, so an action due between ``opened_at`` and the first row is seen late.

Pure: no clock is read, nothing is printed; ``progress`` is the caller's to report. The cost
is one evaluation per update and per wake-up, whatever the span; a wake-up that does not move
forward, or an incident that would take more than ``max_steps`` evaluations, stops that
incident and is reported as a finding, never a loop.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any, Literal

from escalate.adapters.servicenow._log import LogReading
from escalate.adapters.servicenow._records import Anomaly, LogIncident, merge_done
from escalate.calendars._durations import format_duration
from escalate.engine.compiled import Policy
from escalate.engine.decision import Action, Decision, iso
from escalate.engine.incremental import TicketReplay
from escalate.engine.ticket import Event
from escalate.errors import ArgumentError, TicketError

__all__ = [
    "DEFAULT_MAX_STEPS",
    "REPLAY_FORMAT",
    "Duplicate",
    "IncidentReplay",
    "LateAction",
    "LevelEntry",
    "Replay",
    "ReplayFinding",
    "ReplayPart",
    "Replayer",
    "replay",
]

DEFAULT_MAX_STEPS = 10_000
"""Most evaluations :func:`replay` spends on one incident unless told otherwise. The shipped
pack averages under eight per incident on the UCI log (rows and wake-ups); a policy that woke
every minute of a month-long incident would need 43,200."""

#: The version of :meth:`Replay.to_dict`'s layout (``"format"`` in the output).
REPLAY_FORMAT = 1

ACTOR = "replay"
"""The actor of the ``action-done`` events a replay feeds back."""

#: The percentiles every duration summary gives (nearest rank: an observed value, exact).
PERCENTILES = (50, 90, 99)
_ESCALATIONS = frozenset({"escalate", "transfer"})
_ENDED = frozenset({"closed", "cancelled"})


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LevelEntry:
    """A path level the replay saw entered: ``path``, ``level`` (its name), ``cycle`` (the
    ticket's cycle, 1 + reopens) and ``entered_at``. A value."""

    path: str
    level: str
    cycle: int
    entered_at: datetime


@dataclass(frozen=True, slots=True)
class LateAction:
    """An action first seen due after its ``due_at``: at ``seen_at`` (an update or a wake-up
    later than it), ``lateness`` after. ``before_first_row``: it was due before the incident's
    first row, when no caller could have known of the incident. A value."""

    action_id: str
    kind: str
    due_at: datetime
    seen_at: datetime
    before_first_row: bool

    @property
    def lateness(self) -> timedelta:
        """How long after it was due the action was first seen due."""
        return self.seen_at - self.due_at


@dataclass(frozen=True, slots=True)
class Duplicate:
    """An action emitted again after it was recorded done (``due-after-done``), or twice in
    one decision (``done-twice``): a broken idempotency promise, never expected. A value."""

    action_id: str
    at: datetime
    why: Literal["due-after-done", "done-twice"]


@dataclass(frozen=True, slots=True)
class ReplayFinding:
    """Why an incident's replay stopped early: ``refused`` (the policy refused the ticket: a
    status or priority it does not know ...), ``step-cap`` (more than ``max_steps``
    evaluations), ``wake-up-not-after`` (a decision asked to be evaluated again at or before
    its own instant: a bug in escalate). ``at`` is the instant it happened. A value."""

    number: str
    kind: Literal["refused", "step-cap", "wake-up-not-after"]
    at: datetime
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the instant in UTC."""
        return {"number": self.number, "kind": self.kind, "at": iso(self.at), "detail": self.detail}


@dataclass(frozen=True, slots=True, eq=False)
class IncidentReplay:
    """One incident, replayed.

    ``number``; ``opened_at``; ``priority`` the canonical priority of its last decision
    (``None``: none, or never decided); ``closed`` whether it reached a closed state (the replay
    stopped there) and ``last_at`` the instant of its last evaluation (``None``: none ran);
    ``evaluations`` at its updates and ``wake_ups`` at ``next_evaluation_at`` between them;
    ``breached`` whether the replay saw the policy's clock breached (in any cycle, as it last
    stood; ``None`` when the clock never applied); ``made_sla`` the log's own verdict;
    ``levels`` the path levels seen entered, in order, each run of a path as its history last
    stood (a later row that moves the run's start moves its entries, it adds none);
    ``first_escalation_at`` the earliest
    ``due_at`` of an ``escalate`` or ``transfer`` action; ``actions`` how many distinct actions
    were due; ``late`` and ``duplicates`` as their classes say; ``groups`` the assignment groups
    in the order they held the incident (repeats in a row merged); ``finding`` why the replay
    stopped early (``None``: it did not).
    """

    number: str
    opened_at: datetime
    priority: str | None
    closed: bool
    last_at: datetime | None
    evaluations: int
    wake_ups: int
    breached: bool | None
    made_sla: bool | None
    levels: tuple[LevelEntry, ...]
    first_escalation_at: datetime | None
    actions: int
    late: tuple[LateAction, ...]
    duplicates: tuple[Duplicate, ...]
    groups: tuple[str, ...]
    finding: ReplayFinding | None

    @property
    def ping_pong(self) -> bool:
        """Whether the incident went from a group to another and back (A -> B -> A)."""
        groups = self.groups
        return any(groups[i] == groups[i + 2] for i in range(len(groups) - 2))

    @property
    def time_to_first_escalation(self) -> timedelta | None:
        """From opening to the first escalation's ``due_at`` (``None``: no escalation)."""
        at = self.first_escalation_at
        return None if at is None else at - self.opened_at


@dataclass(frozen=True, slots=True, eq=False)
class Replay:
    """What :func:`replay` gives: every incident's :class:`IncidentReplay` in log order, the
    log's ``anomalies`` and ``rows`` (``None`` when given incidents, not a reading), the
    ``clock`` compared with the log's ``made_sla``, and the policy it ran; ``counters_used``
    which counters the tickets carried (``servicenow`` or ``derived``, the mapping's
    ``counters``; ``None`` for no incidents) and ``counters_disagree`` the incidents whose two
    sets of counts differ. :meth:`to_dict` is the summary; it holds no timings (the command
    line measures those).

    Compares by identity; compare ``to_json()`` outputs to compare two replays.
    """

    policy_id: str
    policy_version: str
    policy_hash: str
    clock: str
    incidents: tuple[IncidentReplay, ...]
    anomalies: tuple[Anomaly, ...]
    rows: int | None
    counters_used: Literal["servicenow", "derived"] | None
    counters_disagree: tuple[str, ...]

    @property
    def evaluations(self) -> int:
        """Every evaluation the replay ran: at updates and at wake-ups."""
        return sum(i.evaluations + i.wake_ups for i in self.incidents)

    @property
    def findings(self) -> tuple[ReplayFinding, ...]:
        """The incidents whose replay stopped early, and why, in log order."""
        return tuple(i.finding for i in self.incidents if i.finding is not None)

    @property
    def duplicates(self) -> int:
        """How many actions were emitted again after done (must be 0)."""
        return sum(len(i.duplicates) for i in self.incidents)

    def to_dict(self) -> dict[str, Any]:
        """The summary, JSON-ready (docs/integrations.md, "Replaying a ServiceNow log"):
        durations as escalate writes them (``1d2h5m``), percentages as text with two
        decimals, instants in UTC; no timings, so the same inputs give the same bytes."""
        incidents = self.incidents
        return {
            "format": REPLAY_FORMAT,
            "policy": {
                "id": self.policy_id,
                "version": self.policy_version,
                "hash": self.policy_hash,
            },
            "clock": self.clock,
            "rows": self.rows,
            "incidents": {
                "total": len(incidents),
                "closed": sum(i.closed for i in incidents),
                "open": sum(not i.closed and i.finding is None for i in incidents),
                "stopped": len(self.findings),
            },
            "evaluations": {
                "total": self.evaluations,
                "at_updates": sum(i.evaluations for i in incidents),
                "at_wake_ups": sum(i.wake_ups for i in incidents),
            },
            "escalations": _escalations(incidents),
            "breaches": _breaches(incidents),
            "ping_pong": {
                "count": sum(i.ping_pong for i in incidents),
                "cases": [
                    {"number": i.number, "groups": list(i.groups)} for i in incidents if i.ping_pong
                ],
            },
            "first_escalation": {
                "incidents": sum(i.first_escalation_at is not None for i in incidents),
                "without": sum(i.first_escalation_at is None for i in incidents),
                **_durations(
                    [d for i in incidents if (d := i.time_to_first_escalation) is not None]
                ),
            },
            "actions": sum(i.actions for i in incidents),
            "late_actions": {
                "count": sum(len(i.late) for i in incidents),
                "before_first_row": sum(
                    late.before_first_row for i in incidents for late in i.late
                ),
                "lateness": _durations([late.lateness for i in incidents for late in i.late]),
            },
            "duplicate_actions": {
                "count": self.duplicates,
                "cases": [
                    {"number": i.number, "action_id": d.action_id, "at": iso(d.at), "why": d.why}
                    for i in incidents
                    for d in i.duplicates
                ],
            },
            "anomalies": {
                "count": len(self.anomalies),
                "by_kind": _count(a.kind for a in self.anomalies),
                "cases": [a.to_dict() for a in self.anomalies],
            },
            "counters": {
                "used": self.counters_used,
                "disagree": len(self.counters_disagree),
                "disagreeing": list(self.counters_disagree),
            },
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_json(self) -> str:
        """``to_dict()`` as canonical JSON text (sorted keys, ASCII): same inputs, same bytes."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2)


# ---------------------------------------------------------------------------------------------
# The replay
# ---------------------------------------------------------------------------------------------


def replay(
    policy: Policy,
    log: LogReading | Iterable[LogIncident],
    *,
    clock: str | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
    progress: Callable[[int], None] | None = None,
) -> Replay:
    """Replay every incident of ``log`` (a :class:`LogReading` from ``read_log``, or
    :class:`LogIncident` values) through ``policy``; see the module docstring for the rules.

    ``clock`` names the policy's clock whose breach is compared with the log's ``made_sla``
    (default: its first clock of type ``resolution``). ``max_steps`` caps the evaluations of
    one incident. ``progress`` is called with the number of incidents replayed so far after
    each one (for a progress bar; the replay itself prints nothing).

    A policy that refuses an incident's ticket (a status or priority it does not know) stops
    that incident, reported as a ``refused`` :class:`ReplayFinding`; the others are replayed.
    Incidents read under mappings whose ``counters`` differ are an :class:`ArgumentError`:
    one summary says which counters its decisions used.
    """
    replayer = Replayer(policy, clock=clock, max_steps=max_steps)
    if isinstance(log, LogReading):
        incidents = log.incidents
        rows: int | None = log.rows
    else:
        incidents = tuple(log)
        rows = None
    used: Literal["servicenow", "derived"] | None = None
    for i, incident in enumerate(incidents):
        if not isinstance(incident, LogIncident):
            raise ArgumentError(
                f"incident {i} must be a LogIncident, got {type(incident).__name__}"
            )
        used = _same_counters(i, incident.number, incident.counters.used, used)
    parts = []
    for done, incident in enumerate(incidents, 1):
        parts.append(replayer.part(incident))
        if progress is not None:
            progress(done)
    result = replayer.assemble(parts, rows=rows)
    if isinstance(log, LogReading):  # the reading's own list (read_log's is the same)
        result = dataclasses.replace(result, anomalies=log.anomalies)
    return result


@dataclass(frozen=True, slots=True, eq=False)
class ReplayPart:
    """What one incident adds to a :class:`Replay`: its :class:`IncidentReplay`
    (``replayed``), the ``anomalies`` its reading reported, which ``counters`` its ticket
    carried and whether ServiceNow's and the derived ones ``agree``. Small, and picklable: a
    part replayed in another process is sent back as it is."""

    replayed: IncidentReplay
    anomalies: tuple[Anomaly, ...]
    counters: Literal["servicenow", "derived"]
    agree: bool


class Replayer:
    """:func:`replay` in pieces: a policy set up once (the clock compared with ``made_sla``,
    the step cap, its level names), :meth:`part` for each incident, wherever it runs, and
    :meth:`assemble` for the whole :class:`Replay` from the parts in log order. What a
    :class:`Replay` says of an incident depends on that incident only, so the parts of a log
    replayed in several processes (``escalate replay --workers``) assemble, in log order, into
    the replay of the whole log in one: the same ``to_json()``, byte for byte.

    The arguments are checked as :func:`replay` checks them; a replayer pickles when its
    policy does."""

    __slots__ = ("clock", "levels", "max_steps", "policy")

    def __init__(
        self, policy: Policy, *, clock: str | None = None, max_steps: int = DEFAULT_MAX_STEPS
    ) -> None:
        if not isinstance(policy, Policy):
            raise ArgumentError(f"policy must be an escalate Policy, got {type(policy).__name__}")
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise ArgumentError(f"max_steps must be a positive int, got {max_steps!r}")
        self.policy = policy
        self.clock = _clock(policy, clock)
        self.max_steps = max_steps
        self.levels = _level_names(policy)

    def part(self, incident: LogIncident) -> ReplayPart:
        """``incident`` replayed, with what the summary needs of its reading."""
        if not isinstance(incident, LogIncident):
            raise ArgumentError(f"an incident must be a LogIncident, got {type(incident).__name__}")
        replayed = _replay_incident(self.policy, incident, self.clock, self.max_steps, self.levels)
        counters = incident.counters
        return ReplayPart(replayed, incident.anomalies, counters.used, counters.agree)

    def assemble(self, parts: Iterable[ReplayPart], *, rows: int | None = None) -> Replay:
        """The :class:`Replay` of the incidents whose ``parts`` are given, in log order;
        ``rows`` the log's rows (``None``: not a whole log). Parts whose counters differ are
        an :class:`ArgumentError`, as in :func:`replay`."""
        given = tuple(parts)
        used: Literal["servicenow", "derived"] | None = None
        for i, part in enumerate(given):
            if not isinstance(part, ReplayPart):
                raise ArgumentError(f"part {i} must be a ReplayPart, got {type(part).__name__}")
            used = _same_counters(i, part.replayed.number, part.counters, used)
        policy = self.policy
        return Replay(
            policy_id=policy.id,
            policy_version=str(policy.version),
            policy_hash=policy.content_hash,
            clock=self.clock,
            incidents=tuple(part.replayed for part in given),
            anomalies=tuple(a for part in given for a in part.anomalies),
            rows=rows,
            counters_used=used,
            counters_disagree=tuple(p.replayed.number for p in given if not p.agree),
        )


def _same_counters(
    i: int,
    number: str,
    counters: Literal["servicenow", "derived"],
    used: Literal["servicenow", "derived"] | None,
) -> Literal["servicenow", "derived"]:
    """``counters`` (incident ``i``'s), when the incidents before it used the same (``used``)."""
    if used is not None and counters != used:
        raise ArgumentError(
            f"incident {i} ({number}) carries the {counters} counters, the ones before it the "
            f"{used} ones; replay the incidents of one mapping's counters at a time"
        )
    return counters


def _clock(policy: Policy, name: str | None) -> str:
    """The clock compared with ``made_sla``: ``name``, or the first ``resolution`` clock."""
    names = [c.name for c in policy.clocks]
    if name is not None:
        if name not in names:
            known = ", ".join(names) or "none"
            raise ArgumentError(f"policy {policy.id!r} has no clock {name!r} (it has: {known})")
        return name
    found = next((c.name for c in policy.clocks if c.type == "resolution"), None)
    if found is None:
        known = ", ".join(names) or "none"
        raise ArgumentError(
            f"policy {policy.id!r} has no clock of type resolution to compare with the log's "
            f"made_sla; name one (it has: {known})"
        )
    return found


def _level_names(policy: Policy) -> Mapping[str, tuple[str, ...]]:
    """Each path's level names by index, the segments' own paths included."""
    names: dict[str, tuple[str, ...]] = {}
    for source in (policy, *(segment.policy for segment in policy.segments)):
        for path in source.paths:
            names.setdefault(path.name, tuple(level.name for level in path.levels))
    return names


class _Tally:
    """What one incident's evaluations add up to (see :class:`IncidentReplay`)."""

    def __init__(self, first_row_at: datetime | None) -> None:
        self.first_row_at = first_row_at
        self.seen: dict[str, tuple[datetime, Action]] = {}  # id -> (first seen at, action)
        self.done: set[str] = set()
        self.events: list[Event] = []
        self.duplicates: list[Duplicate] = []
        self.breached: dict[int, bool] = {}  # cycle -> breached, as last seen
        # Each path's runs, per cycle, each as its history last stood; and the run in progress
        # of each path (its cycle), while the path is seen active.
        self.runs: dict[tuple[str, int], list[tuple[tuple[datetime, int], ...]]] = {}
        self.running: dict[str, int] = {}
        self.priority: str | None = None
        self.last_at: datetime | None = None

    def observe(self, decision: Decision, at: datetime, clock: str) -> None:
        """Record one evaluation at ``at`` and feed its due actions back as done."""
        self.last_at = at
        self.priority = decision.priority
        this: set[str] = set()
        for action in decision.actions:
            if action.id in this:
                self.duplicates.append(Duplicate(action.id, at, "done-twice"))
                continue
            this.add(action.id)
            if action.id in self.done:
                self.duplicates.append(Duplicate(action.id, at, "due-after-done"))
                continue
            self.seen.setdefault(action.id, (at, action))
            self.done.add(action.id)
            self.events.append(Event(0, at, "action-done", action_id=action.id, actor=ACTOR))
        state = decision.clocks.get(clock)
        if state is not None and state.state != "not-applicable":
            breach = state.breach_at
            self.breached[state.cycle] = breach is not None and breach <= at
        for name in [name for name in self.running if name not in decision.paths]:
            del self.running[name]
        for name, path in decision.paths.items():
            if not path.history:  # not started, or its condition no longer holds: run over
                self.running.pop(name, None)
                continue
            runs = self.runs.setdefault((name, path.cycle), [])
            if self.running.get(name) == path.cycle:
                # The same run, as a later row tells it: its start (and every entry after)
                # may have moved, so its history replaces the one seen before.
                runs[-1] = path.history
            else:
                runs.append(path.history)
                self.running[name] = path.cycle

    def entries(self) -> list[tuple[datetime, str, int, int]]:
        """Every level entry, ``(entered_at, path, cycle, level index)``, in time order."""
        return sorted(
            (entered_at, name, cycle, index)
            for (name, cycle), runs in self.runs.items()
            for history in runs
            for entered_at, index in history
        )

    def late(self) -> tuple[LateAction, ...]:
        first = self.first_row_at
        return tuple(
            LateAction(
                action_id=action.id,
                kind=action.kind,
                due_at=action.due_at,
                seen_at=seen_at,
                before_first_row=first is not None and action.due_at < first,
            )
            for seen_at, action in self.seen.values()
            if action.due_at < seen_at
        )


class _Stop(Exception):
    """The replay of one incident stops early: the finding says why."""

    def __init__(self, finding: ReplayFinding) -> None:
        super().__init__(finding.detail)
        self.finding = finding


def _replay_incident(
    policy: Policy,
    incident: LogIncident,
    clock: str,
    max_steps: int,
    level_names: Mapping[str, tuple[str, ...]],
) -> IncidentReplay:
    updates = incident.updates
    tally = _Tally(updates[0].at if updates else None)
    steps = {"updates": 0, "wake-ups": 0}
    number = incident.number

    feed = _Feed(policy, incident)

    def decide(count: int, at: datetime, step: str) -> datetime | None:
        """Evaluate the ticket after ``count`` updates at ``at``; its next wake-up."""
        if steps["updates"] + steps["wake-ups"] >= max_steps:
            detail = f"more than {max_steps} evaluations; the replay of this incident stopped"
            raise _Stop(ReplayFinding(number, "step-cap", at, detail))
        try:
            decision = feed.decide(count, tally.events, at)
        except TicketError as exc:
            raise _Stop(ReplayFinding(number, "refused", at, str(exc))) from None
        steps[step] += 1
        tally.observe(decision, at, clock)
        wake = decision.next_evaluation_at
        if wake is not None and wake <= at:
            detail = (
                f"the decision asks to be evaluated again at {iso(wake)}, not after {iso(at)} "
                "(a bug in escalate; please report it with the policy and the incident)"
            )
            raise _Stop(ReplayFinding(number, "wake-up-not-after", at, detail))
        return wake

    closed = False
    finding: ReplayFinding | None = None
    count = 0  # updates applied
    wake: datetime | None = None  # the last decision's next_evaluation_at
    status = incident.opened.status  # as of the updates applied
    try:
        for count in range(1, len(updates) + 1):
            update_at = updates[count - 1].at
            while wake is not None and wake < update_at:  # wake-ups strictly between updates
                wake = decide(count - 1, wake, "wake-ups")
            wake = decide(count, update_at, "updates")
            for event in updates[count - 1].events:
                status = event.status or status
            if _is_closed(policy, status):
                closed = True
                break
    except _Stop as stop:
        finding = stop.finding

    breached = None if not tally.breached else any(tally.breached.values())
    return IncidentReplay(
        number=number,
        opened_at=incident.opened.opened_at,
        priority=tally.priority,
        closed=closed,
        last_at=tally.last_at,
        evaluations=steps["updates"],
        wake_ups=steps["wake-ups"],
        breached=breached,
        made_sla=incident.made_sla,
        levels=tuple(
            LevelEntry(path, _level(level_names, path, index), cycle, entered_at)
            for entered_at, path, cycle, index in tally.entries()
        ),
        first_escalation_at=min(
            (a.due_at for _, a in tally.seen.values() if a.kind in _ESCALATIONS), default=None
        ),
        actions=len(tally.seen),
        late=tally.late(),
        duplicates=tuple(tally.duplicates),
        groups=_groups(incident, count),
        finding=finding,
    )


class _Feed:
    """One incident's ticket fed to the policy's incremental replay (:meth:`Policy.replay`)
    as the replay of the log goes: each decision is the one ``policy.evaluate`` gives on
    ``incident.ticket_at(count, done)``, the ticket after ``count`` updates with the actions
    done so far, but only what is new since the last decision is folded.

    ``ticket_at`` puts the rows' events first among events of the same instant, done ones
    after them: a row at the instant of a done event already fed (a row saved in the minute
    an earlier row's decision acted) cannot be appended after it, so the ticket is taken from
    ``ticket_at`` afresh there (the decision costs a whole evaluation, as every decision did
    before the incremental replay) and fed incrementally again from it."""

    __slots__ = ("counters", "done", "done_at", "incident", "policy", "replay", "rows")

    def __init__(self, policy: Policy, incident: LogIncident) -> None:
        self.policy = policy
        self.incident = incident
        self.counters = incident.counters.used == "servicenow"
        self.replay: TicketReplay | None = None
        self.rows = 0  # the updates fed
        self.done = 0  # the done events fed
        self.done_at: datetime | None = None  # the instant of the last done event fed

    def decide(self, count: int, done: Sequence[Event], at: datetime) -> Decision:
        """The decision at ``at`` on the ticket after ``count`` updates (as many as the last
        decision's, or one more) with the events ``done`` (those fed before, then new ones)."""
        updates = self.incident.updates
        rows = [event for update in updates[self.rows : count] for event in update.events]
        replay = self.replay
        if replay is None or (rows and self.done_at is not None and rows[0].at <= self.done_at):
            replay = self.policy.replay(self.incident.ticket_at(count, done))
            decision = replay.decide(at)
        else:
            fields: dict[str, object] | None = None
            if self.counters and count != self.rows:
                last = updates[count - 1]  # as ticket_at: ServiceNow's, else derived ones
                fields = {
                    "reassignment_count": last.reassignment_count,
                    "reopen_count": last.reopen_count,
                }
            events = merge_done(rows, done[self.done :])
            decision = replay.update(events=events, fields=fields, now=at)
        self.replay = replay
        self.rows = count
        if len(done) > self.done:
            self.done = len(done)
            self.done_at = done[-1].at
        return decision


def _is_closed(policy: Policy, status: str) -> bool:
    """Whether ``status`` is a closed (or cancelled) one, by the policy's statuses."""
    try:
        _, category = policy.statuses.resolve(status, ("status",))
    except TicketError:
        return False
    return category in _ENDED


def _level(names: Mapping[str, tuple[str, ...]], path: str, index: int) -> str:
    levels = names.get(path, ())
    return levels[index] if index < len(levels) else str(index)


def _groups(incident: LogIncident, count: int) -> tuple[str, ...]:
    """The assignment groups that held the incident over its first ``count`` updates, in
    order, repeats in a row merged; a cleared group is left out (A -> none -> A is not a
    hand-off to another team)."""
    first = incident.opened.assignment_group
    chain: list[str] = [] if first is None else [first]
    for update in incident.updates[:count]:
        for event in update.events:
            group = event.group if event.type == "assigned" else None
            if group is not None and (not chain or chain[-1] != group):
                chain.append(group)
    return tuple(chain)


# ---------------------------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------------------------


def percentile(values: Sequence[timedelta], p: int) -> timedelta:
    """The ``p``-th percentile of sorted ``values`` by nearest rank: an observed value, exact.

    >>> percentile([timedelta(minutes=m) for m in (1, 2, 3, 4)], 50)
    datetime.timedelta(seconds=120)
    >>> percentile([timedelta(minutes=m) for m in (1, 2, 3, 4)], 99)
    datetime.timedelta(seconds=240)
    """
    rank = -(-p * len(values) // 100)  # ceil(p/100 * n), in integers
    return values[max(rank, 1) - 1]


def _durations(values: list[timedelta]) -> dict[str, Any]:
    values.sort()
    if not values:
        return {"min": None, **{f"p{p}": None for p in PERCENTILES}, "max": None}
    return {
        "min": format_duration(values[0]),
        **{f"p{p}": format_duration(percentile(values, p)) for p in PERCENTILES},
        "max": format_duration(values[-1]),
    }


def percent(part: int, whole: int) -> str | None:
    """``part / whole`` as a percentage with two decimals, rounded half to even; exact up to
    the rounding (no float). ``None`` when ``whole`` is 0.

    >>> percent(2, 3)
    '66.67'

    Written as ``calibrate`` writes its agreement: a decimal without the ``%`` sign.
    """
    if whole == 0:
        return None
    value = Fraction(100 * part, whole)
    text = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN
    )
    return str(text)


def _count(keys: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def _escalations(incidents: Sequence[IncidentReplay]) -> dict[str, Any]:
    by_path: dict[str, dict[str, int]] = {}
    for incident in incidents:
        for entry in incident.levels:
            levels = by_path.setdefault(entry.path, {})
            levels[entry.level] = levels.get(entry.level, 0) + 1
    return {
        "level_entries": sum(sum(levels.values()) for levels in by_path.values()),
        "by_path": {path: dict(sorted(by_path[path].items())) for path in sorted(by_path)},
    }


_CELLS = ("both", "ours_only", "log_only", "neither", "unknown")


def _cell(incident: IncidentReplay) -> str:
    ours, made = incident.breached, incident.made_sla
    if ours is None or made is None:
        return "unknown"
    missed = not made
    if ours and missed:
        return "both"
    if ours:
        return "ours_only"
    return "log_only" if missed else "neither"


def _confusion(cells: Iterable[str]) -> dict[str, Any]:
    counts = dict.fromkeys(_CELLS, 0)
    for cell in cells:
        counts[cell] += 1
    known = sum(counts[c] for c in _CELLS[:-1])
    return {**counts, "agreement": percent(counts["both"] + counts["neither"], known)}


def _breaches(incidents: Sequence[IncidentReplay]) -> dict[str, Any]:
    """Breaches per priority: ours (the clock breached) against the log's (``made_sla``
    false). ``both``, ``ours_only``, ``log_only``, ``neither``; ``unknown`` when either side
    has no verdict; ``agreement`` over the known ones."""
    by_priority: dict[str, list[str]] = {}
    for incident in incidents:
        by_priority.setdefault(incident.priority or "none", []).append(_cell(incident))
    return {
        "by_priority": {p: _confusion(cells) for p, cells in sorted(by_priority.items())},
        "total": _confusion(_cell(i) for i in incidents),
    }
