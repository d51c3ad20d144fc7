"""SLA clocks: cycles, pauses and breach instants derived from a ticket's event history.

A clock is a pure function of the history up to ``now``. It starts when its start trigger
fires, pauses while the ticket is in a pause status, stops when its stop trigger fires, and
begins a new cycle on the events it names (``new_cycle_on``, e.g. ``reopened``). Targets follow
the ticket's current priority retroactively from the cycle start (ServiceNow's retroactive
start) unless the clock says ``on_priority_change: restart``.

A scoped clock (``when:`` on the clock, or scoped target ``definitions``) applies to a ticket
only while a :class:`Definition` does; which one applies is a function of the ticket's fields
(:meth:`ClockDef.applying`), chosen by declared precedence.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from fractions import Fraction

from escalate._frozen import FrozenMap
from escalate.calendars._durations import Duration, format_duration
from escalate.calendars._instants import EPOCH, ONE_US
from escalate.calendars.calendar import Calendar

# Imported for real, not under TYPE_CHECKING: compiled, a dataclass's field annotations are
# built from the compiled classes they name, which must be loaded first (docs/scale.md).
from escalate.engine.actions import ActionDef
from escalate.engine.conditions import Condition
from escalate.errors import suggest

NOT_STARTED, RUNNING, PAUSED, STOPPED, NOT_APPLICABLE = (
    "not-started",
    "running",
    "paused",
    "stopped",
    "not-applicable",
)
CLOCK_STATES = (NOT_STARTED, RUNNING, PAUSED, STOPPED, NOT_APPLICABLE)


@dataclass(frozen=True, slots=True)
class Trigger:
    """Fires on an event whose type is in ``events`` and/or that enters a status in ``statuses``.

    ``None`` for either means "any".
    """

    events: frozenset[str] | None
    statuses: frozenset[str] | None

    def fires(self, event_type: str, status_before: str, status_after: str) -> bool:
        """Whether an event of ``event_type`` moving the status from ``status_before`` to
        ``status_after`` fires this trigger."""
        if self.events is not None and event_type not in self.events:
            return False
        if self.statuses is not None:
            entered = status_after != status_before or event_type == "created"
            return entered and status_after in self.statuses
        return True


#: What a target with ``by`` is measured on: real elapsed time. Its due instant is a
#: wall-clock instant whatever the calendar's hours (the calendar only says which date is
#: due), so its elapsed time, target, percent and breach are counted in real time. Immutable.
WALL = Calendar.from_config("24x7")


@dataclass(frozen=True, slots=True)
class Target:
    """A clock's target for one priority: a ``duration`` on the calendar ``calendar_name``;
    ``by`` (minutes of the day, 0 to 1440; ``None``: none) the wall time the due date ends at
    (YAML ``by: "17:30"``, ``"24:00"``: the end of the day); ``on_time_at_due`` whether a stop
    at exactly the due instant is on time (the breach is then the first microsecond after it;
    by default the due instant itself breaches: elapsed >= target).

    ``measure`` is the calendar elapsed time is counted on: ``calendar``, or real time
    (:data:`WALL`) for a target with ``by``, whose due instant is a wall-clock instant even
    outside the calendar's working hours."""

    duration: Duration
    calendar_name: str
    calendar: Calendar
    by: int | None = None
    on_time_at_due: bool = False
    measure: Calendar = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "measure", self.calendar if self.by is None else WALL)

    @property
    def text(self) -> str:
        """The target as written: ``4h``; with ``by``, its wall time too (``60d by 24:00``,
        ``4bd by 17:30``): the due instant is the end of that date, later than the bare
        duration from the start, and percent and remaining count to it."""
        by = self.by
        if by is None:
            return self.duration.text
        return f"{self.duration.text} by {by // 60:02d}:{by % 60:02d}"

    @property
    def dated(self) -> bool:
        """Whether the due instant is a wall time on a date (``bd``, ``mo`` or ``by``), so the
        target amount is the calendar's working time from the cycle start until then."""
        duration = self.duration
        return bool(duration.business_days or duration.months) or self.by is not None


@dataclass(frozen=True, slots=True)
class Definition:
    """A set of targets and the tickets it applies to: a clock's scoped target definition.

    ``id`` is its YAML id (``None`` for the clock's own, unconditional ``targets``); ``when``
    the condition on ticket fields (``None``: every ticket); ``precedence`` and ``order`` (its
    position in the file) rank it, lower first; ``targets`` maps priority (or ``default``) to
    :class:`Target`.
    """

    id: str | None
    when: Condition | None
    precedence: int
    order: int
    targets: Mapping[str, Target]

    def __post_init__(self) -> None:
        if not isinstance(self.targets, FrozenMap):
            object.__setattr__(self, "targets", FrozenMap(self.targets, what="priority"))

    def covers(self, priority: str | None) -> bool:
        """Whether it has a target for this priority (or a ``default`` one)."""
        targets = self.targets
        return "default" in targets or (priority is not None and priority in targets)


#: What a clock that does not apply to a ticket is measured with: no target at all, so its
#: state is ``not-applicable`` and it never breaches.
OUT_OF_SCOPE = Definition(None, None, 0, -1, {})


@dataclass(frozen=True, slots=True)
class Rung:
    """A rung of a clock's ladder: when the clock's elapsed time reaches it, emit ``actions``.

    Exactly one measure is set: ``share`` of the target (YAML ``at: 75%``), ``after`` an
    elapsed duration (``after: 4h``, or ``2bd``: the elapsed time of two business days from
    the cycle start on the target's calendar), or ``before_breach`` a lead on the target
    (``before_breach: 30m``: the target less 30 minutes of elapsed time, the cycle start if
    that is not positive). ``text`` names it in action sources (``75%``, ``2bd``,
    ``breach-30m``); ``index`` is its position in the ladder (action ids use it).
    """

    index: int
    share: Fraction | None
    text: str
    actions: tuple[ActionDef, ...]
    rationale: str | None
    after: Duration | None = None
    before_breach: timedelta | None = None
    # Derived once: whether an action is settled by the bulletin stage (a status-page update,
    # a bridge with ``path:`` participants).
    bulletins: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "bulletins",
            any(
                a.kind == "status_page"
                or (a.kind == "open_bridge" and any(t.startswith("path:") for t in a.targets))
                for a in self.actions
            ),
        )


@dataclass(frozen=True, slots=True)
class ClockDef:
    """A compiled clock definition, as :attr:`escalate.Policy.clocks` lists it. Read-only.

    ``name`` is its YAML key, ``type`` its kind (``response``, ``resolution`` ...),
    ``precedence`` its declaration order; ``start``, ``stop`` the triggers; ``pause`` the
    statuses that pause it; ``new_cycle_on`` the events that start a new cycle;
    ``restart_on_priority_change`` whether a priority change restarts it; ``targets`` a
    read-only mapping from priority (or ``default``) to :class:`Target`; ``ladder`` its rungs.

    Scoping (all empty for a clock that applies to every ticket): ``when`` the clock's own
    condition; ``definitions`` its :class:`Definition` values in the order they are tried
    (scoped ones by precedence, then file order; the unconditional ``targets`` last, when the
    clock has them); ``restart_on_scope_change`` whether a change of the applying definition
    starts a new cycle; ``scope_fields`` the ticket fields that decide which definition
    applies (when none of them has a history, it cannot change).
    """

    name: str
    type: str
    precedence: int
    start: tuple[Trigger, ...]
    stop: tuple[Trigger, ...]
    pause: frozenset[str]
    new_cycle_on: frozenset[str]
    restart_on_priority_change: bool
    targets: Mapping[str, Target]
    ladder: tuple[Rung, ...]
    when: Condition | None = None
    definitions: tuple[Definition, ...] = ()
    restart_on_scope_change: bool = False
    scope_fields: tuple[str, ...] = ()
    # When the obligation is in force: only cycles started in [from, until) count (None: open).
    effective: tuple[datetime | None, datetime | None] | None = None
    # ``effective.judged_at``: the event type (``milestone:<name>``) whose first occurrence
    # judges every cycle of the clock against ``effective`` (None: each cycle's own start).
    effective_judged_at: str | None = None

    def __post_init__(self) -> None:
        # Built once per policy: freezing here costs nothing at evaluation.
        if not isinstance(self.targets, FrozenMap):
            object.__setattr__(self, "targets", FrozenMap(self.targets, what="priority"))

    def applying(self, facts: Mapping[str, object]) -> Definition | None:
        """The definition that applies to a ticket with these facts; ``None``: the clock does
        not apply. Only for a scoped clock (``definitions`` not empty).

        The clock's ``when`` must hold; then the first definition (in precedence order) whose
        condition holds and that has a target for the ticket's priority applies, else the
        unconditional one (last in ``definitions``) if the clock has one.
        """
        if self.when is not None and not self.when.check(facts):
            return None
        priority = facts["priority"]
        assert priority is None or isinstance(priority, str)
        for definition in self.definitions:
            when = definition.when
            if when is None:
                return definition
            if definition.covers(priority) and when.check(facts):
                return definition
        return None


# One point of the history a clock reacts to: (instant, event type, status before, status
# after). A plain tuple: the evaluate hot path builds one per event.
Step = tuple[datetime, str, str, str]


@dataclass(slots=True)
class Cycle:
    """One cycle of a clock: its start, its stop and pauses so far, and (scoped clocks) the
    definition in force when it ended."""

    number: int
    started_at: datetime
    stopped_at: datetime | None = None
    pauses: list[tuple[datetime, datetime | None]] | None = None
    # For a scoped clock: the definition that applied when this (closed) cycle ended.
    scope: Definition | None = None
    # Working microseconds from the start to a ``bd`` / ``mo`` / ``by`` due instant, by
    # (calendar's id, business days, months[, by, days]), with the calendar itself: calendar
    # arithmetic done once per cycle, however often it is measured. The entry holds the
    # calendar, so the id in its key names no other calendar while the entry lives. Copies
    # (:meth:`as_of`) share the dict: they have the same start.
    amounts: dict[tuple[int, ...], tuple[Calendar, int]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def as_of(self, at: datetime, *, keep_scope: bool) -> Cycle:
        """A copy of the cycle as it stood at ``at`` (started by then): the stop and the pause
        ends after ``at`` not yet known, the pauses begun after it dropped. ``keep_scope``:
        keep the definition the cycle ended under (else ``None``, as for a cycle still
        running). The copy shares the cached target amounts."""
        stopped = self.stopped_at
        if stopped is not None and stopped > at:
            stopped = None
        pauses = None
        if self.pauses:
            pauses = [(p, e if e is None or e <= at else None) for p, e in self.pauses if p <= at]
        scope = self.scope if keep_scope else None
        return Cycle(self.number, self.started_at, stopped, pauses or None, scope, self.amounts)


def wall_amount_us(
    cycle: Cycle,
    calendar: Calendar,
    duration: Duration,
    by: int | None = None,
    *,
    real: bool = False,
) -> int:
    """The working time (µs) on ``calendar`` from the cycle's start to the wall-clock due
    instant of a ``bd`` or ``mo`` ``duration``, or of any duration with a wall time ``by``
    (minutes of the day; see :meth:`Duration.due_at`), the amount of a fixed one otherwise;
    computed once per cycle and calendar. With ``by``, or ``real`` (a rung of a clock whose
    target has ``by``), the real time until then: ``calendar`` only finds the due date."""
    if by is None and not (duration.business_days or duration.months):
        return _us(duration.delta)
    amounts = cycle.amounts
    key: tuple[int, ...] = (id(calendar), duration.business_days, duration.months)
    if by is not None:  # the wall time, and the whole days a ``d`` / ``w`` target counts
        key = (*key, by, duration.delta.days)
        real = True
    elif real:  # a rung in real time: a key of its own length
        key = (*key, -1)
    found = amounts.get(key)
    if found is None:
        start = cycle.started_at
        due_at = duration.due_at(calendar, start, by)
        assert due_at is not None
        amount = 0
        if due_at > start:
            amount = _us(due_at - start) if real else _us(calendar.elapsed(start, due_at))
        found = amounts[key] = (calendar, amount)
    return found[1]


def in_force(clock: ClockDef, cycles: list[Cycle], steps: Sequence[Step] = ()) -> list[Cycle]:
    """The cycles that started while the clock's obligation was in force (``effective``);
    all of them for a clock without ``effective``. They keep their numbers: a cycle's number
    is in its rungs' action ids, which a ticket may already have recorded as done, so the
    cycles left out leave gaps (the first cycle in force may be cycle 2)."""
    effective = clock.effective
    if effective is None:
        return cycles
    lo, hi = effective
    judged_at = clock.effective_judged_at
    if judged_at is not None:
        # A clock chained after others (a final report after a notification) is judged by the
        # moment that triggered the whole obligation, the first time it was recorded: every
        # cycle counts, or none does. Not recorded (yet): each cycle by its own start.
        for t, event_type, _, _ in steps:
            if event_type == judged_at:
                return cycles if (lo is None or t >= lo) and (hi is None or t < hi) else []
    return [
        c
        for c in cycles
        if (lo is None or c.started_at >= lo) and (hi is None or c.started_at < hi)
    ]


#: How many edits (a letter added, dropped, changed, or two swapped) make a ticket's milestone
#: a near miss of a name the policy reads. Two: ``hipaa-discoverd``, ``gdpr_aware``,
#: ``nis2-awrae`` are near misses; another regime's names (``gdpr-aware`` for ``nis2-aware``,
#: four edits) are not, so a ticket evaluated under several packs stays silent.
NEAR_MISS_EDITS = 2


def milestone_warnings(
    milestones: Sequence[tuple[int, str]], names: frozenset[str]
) -> tuple[str, ...]:
    """The warnings for a ticket's milestones (``(event index, name)``, in history order)
    that the policy reads under no name (``names``: :attr:`escalate.Policy.milestone_names`)
    but that are at most :data:`NEAR_MISS_EDITS` edits from one it does: most likely a typo
    that keeps a legal clock from starting. One per misspelt name, at its first event. Any
    other unknown name is silent: a ticket is evaluated under several policies (one per
    regulatory pack) and records every one's milestones.

    >>> [hint] = milestone_warnings([(0, "hipaa-discoverd")], frozenset({"hipaa-discovered"}))
    >>> hint.endswith("(did you mean 'hipaa-discovered'?)")
    True
    >>> milestone_warnings([(0, "gdpr-aware")], frozenset({"nis2-aware"}))
    ()
    """
    out: list[str] = []
    seen: set[str] = set()
    for index, name in milestones:
        if name in names or name in seen:
            continue
        seen.add(name)
        close = [n for n in names if _edits_at_most(name, n, NEAR_MISS_EDITS)]
        if close:
            hint = suggest(name, close) or min(close)
            out.append(
                f"milestone {name!r} (events[{index}]) is named by no clock or rule of this "
                f"policy (did you mean {hint!r}?)"
            )
    return tuple(out)


def _edits_at_most(a: str, b: str, most: int) -> bool:
    """Whether ``a`` becomes ``b`` in at most ``most`` edits: a character inserted, deleted
    or replaced, or two adjacent ones swapped (optimal string alignment distance). Cost:
    ``len(a) * len(b)``, and nothing for lengths too far apart."""
    if abs(len(a) - len(b)) > most:
        return False
    before: list[int] | None = None
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + cost)
            if before is not None and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > most:
            return False
        before, row = row, current
    return row[-1] <= most


def out_of_force(clock: ClockDef, steps: Sequence[Step], cycles: Sequence[Cycle]) -> bool:
    """Whether the clock does not apply because of its ``effective`` dates: no cycle in force
    (``cycles``, from :func:`run_cycles`) though the history started some."""
    if clock.effective is None or cycles:
        return False
    return bool(run_cycles(replace(clock, effective=None, effective_judged_at=None), steps))


def _fires(triggers: tuple[Trigger, ...], event_type: str, before: str, after: str) -> bool:
    # A plain loop, not any(genexpr): this runs for every event of every clock.
    for trigger in triggers:  # noqa: SIM110
        if trigger.fires(event_type, before, after):
            return True
    return False


def run_cycles(
    clock: ClockDef, steps: Sequence[Step], restarts: frozenset[datetime] = frozenset()
) -> list[Cycle]:
    """Fold the history into the clock's cycles (start, pauses, stop).

    ``restarts`` are the instants at which the definition applying to the ticket changed, for
    a clock with ``on_scope_change: restart``: a running or paused cycle ends there and a new
    one starts, once per instant, after every event at that instant (a stop at that instant
    wins: the clock stays stopped).
    """
    cycles: list[Cycle] = []
    current: Cycle | None = None
    stop, start, new_cycle_on = clock.stop, clock.start, clock.new_cycle_on
    restart_on_priority = clock.restart_on_priority_change
    last = len(steps) - 1
    for i, (t, event_type, before, after) in enumerate(steps):
        if current is not None:
            if _fires(stop, event_type, before, after):
                _close(current, t)
                current = None
                continue
            if (
                event_type in new_cycle_on
                or (restart_on_priority and event_type == "priority-changed")
                or (
                    restarts
                    and t in restarts
                    and current.started_at != t
                    and (i == last or steps[i + 1][0] != t)
                )
            ):
                _close(current, t)
                current = Cycle(len(cycles) + 1, t)
                cycles.append(current)
            _pause_or_resume(current, clock, after, t)
        else:
            starts = (
                event_type in new_cycle_on if cycles else _fires(start, event_type, before, after)
            )
            # Stop wins when both match at once (ServiceNow: such an SLA never attaches).
            if starts and not _fires(stop, event_type, before, after):
                current = Cycle(len(cycles) + 1, t)
                cycles.append(current)
                _pause_or_resume(current, clock, after, t)
    return cycles if clock.effective is None else in_force(clock, cycles, steps)


def cycles_as_of(cycles: Sequence[Cycle], at: datetime) -> list[Cycle]:
    """What :func:`run_cycles` gives for the steps up to ``at`` (every step at ``at``
    included), read off the cycles of a longer history: the fold only ever changes the
    latest cycle, so the cycles started by ``at`` are those, without the stops and pause ends
    that came after it. New :class:`Cycle` objects (:meth:`Cycle.as_of`, numbered as in
    ``cycles``), which share the cached target amounts of the ones they copy."""
    out: list[Cycle] = []
    for cycle in cycles:
        if cycle.started_at > at:
            break
        out.append(cycle.as_of(at, keep_scope=False))
    return out


def in_scope_cycles(cycles: list[Cycle], applies: Callable[[datetime], bool]) -> list[Cycle]:
    """The cycles of a clock with ``on_scope_change: restart`` that ran in its scope, numbered
    from 1 (``cycles``, from :func:`run_cycles`, are renumbered in place).

    ``applies(at)`` says whether a definition of the clock applies to the ticket at ``at``
    (after the events at that instant). A restart ends a cycle at every change of scope, so
    each cycle runs under one scope, the one at its start. A cycle run while no definition
    applied (before the ticket entered the scope, or after it left) is no cycle of the clock:
    the cycle that starts when a ticket opened outside the scope enters it is cycle 1, and
    the cycle after a return counts the cycles that ran in scope before it.
    """
    kept = [cycle for cycle in cycles if applies(cycle.started_at)]
    for number, cycle in enumerate(kept, 1):
        cycle.number = number
    return kept


def _close(cycle: Cycle, at: datetime) -> None:
    cycle.stopped_at = at
    if cycle.pauses and cycle.pauses[-1][1] is None:
        cycle.pauses[-1] = (cycle.pauses[-1][0], at)


def _pause_or_resume(cycle: Cycle, clock: ClockDef, status: str, at: datetime) -> None:
    paused_now = bool(cycle.pauses) and cycle.pauses[-1][1] is None  # type: ignore[index]
    should_pause = status in clock.pause
    if should_pause and not paused_now:
        if cycle.pauses is None:
            cycle.pauses = []
        cycle.pauses.append((at, None))
    elif paused_now and not should_pause:
        assert cycle.pauses is not None
        cycle.pauses[-1] = (cycle.pauses[-1][0], at)


def _us(delta: timedelta) -> int:
    return delta // ONE_US


class ClockState:
    """A clock as of ``now``: its state, elapsed time, target and breach instant. Immutable.

    ``state`` is one of ``not-started``, ``running``, ``paused``, ``stopped``,
    ``not-applicable`` (no target for the ticket's priority). The other attributes describe the
    clock's current (latest) ``cycle``: ``started_at``, ``stopped_at``, ``paused_since``
    (aware instants or ``None``); ``elapsed`` (business time on the target's calendar; real
    time for a target with ``by``) and
    ``elapsed_wall`` (wall time), ``elapsed_us`` (``elapsed`` in microseconds); ``target``
    (the target as a duration on that calendar, ``None`` without one), ``target_us``,
    ``target_text`` (as written, with its ``by``: ``60d by 24:00``; see :attr:`Target.text`)
    and ``calendar_name``; ``breach_at`` (when elapsed reaches
    the target; a future instant assumes no new events); ``definition`` (the compiled
    :class:`ClockDef`) and ``now`` (the instant evaluated); ``scope`` the :class:`Definition`
    it is measured with (``None``: the clock's own targets) and ``definition_id`` its id.

    Not a value type: a clock state is a view of one evaluation and compares by identity.
    Compare ``to_dict()`` outputs to compare two states.
    """

    __slots__ = (
        "_cycle",
        "_segments",
        "_target",
        "_worked_before",
        "breach_at",
        "calendar_name",
        "cycle",
        "definition",
        "elapsed",
        "elapsed_us",
        "elapsed_wall",
        "now",
        "paused_since",
        "scope",
        "started_at",
        "state",
        "stopped_at",
        "target",
        "target_text",
        "target_us",
    )

    _cycle: Cycle | None
    _segments: list[tuple[datetime, datetime | None]]
    _target: Target | None
    _worked_before: list[int]
    breach_at: datetime | None
    calendar_name: str | None
    cycle: int
    definition: ClockDef
    elapsed: timedelta
    elapsed_us: int
    elapsed_wall: timedelta
    now: datetime
    paused_since: datetime | None
    scope: Definition | None
    started_at: datetime | None
    state: str
    stopped_at: datetime | None
    target: timedelta | None
    target_text: str | None
    target_us: int

    def __init__(
        self,
        clock: ClockDef,
        cycles: list[Cycle],
        priority: str | None,
        now: datetime,
        scope: Definition | None = None,
    ) -> None:
        # Computed in locals and stored once at the end: the instance is immutable
        # (``__setattr__`` raises), so stores go through ``object.__setattr__``.
        started_at: datetime | None = None
        stopped_at: datetime | None = None
        paused_since: datetime | None = None
        breach_at: datetime | None = None
        elapsed_target: timedelta | None = None
        target_us = 0
        elapsed_us = 0
        wall = timedelta(0)
        segments: list[tuple[datetime, datetime | None]] = []
        worked_before: list[int] = []
        targets = clock.targets if scope is None else scope.targets
        target = targets.get(priority or "") or targets.get("default")
        object.__setattr__(self, "definition", clock)
        object.__setattr__(self, "scope", scope)
        object.__setattr__(self, "_cycle", None)
        object.__setattr__(self, "now", now)
        # The latest cycle's own number: with ``effective`` the cycles kept may skip some.
        object.__setattr__(self, "cycle", cycles[-1].number if cycles else 0)
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_segments", segments)
        object.__setattr__(self, "_worked_before", worked_before)
        object.__setattr__(self, "target_text", None if target is None else target.text)
        object.__setattr__(self, "calendar_name", None if target is None else target.calendar_name)
        if target is None:
            state = NOT_APPLICABLE
        elif not cycles:
            state = NOT_STARTED
        else:
            cycle = cycles[-1]
            started_at = cycle.started_at
            stopped_at = cycle.stopped_at
            end = cycle.stopped_at or now
            pauses = cycle.pauses or []
            if cycle.stopped_at is not None:
                state = STOPPED
            elif pauses and pauses[-1][1] is None:
                state = PAUSED
                paused_since = pauses[-1][0]
            else:
                state = RUNNING
            # Running segments: [start, end) minus the pauses; the last one of a running clock
            # is open-ended. The work in each closed segment is computed once, so that finding
            # when an amount of elapsed time is reached costs one calendar call.
            cursor: datetime = cycle.started_at
            for p_from, p_to in pauses:
                if p_from > cursor:
                    segments.append((cursor, p_from))
                cursor = p_to if p_to is not None else end
            if cursor < end or state == RUNNING:
                segments.append((cursor, None if state == RUNNING else end))
            cal = target.measure
            # ``3bd`` and ``1mo`` end at a wall time (a working day, a calendar month later):
            # the target is the calendar's working time from the cycle start until then. A
            # target with ``by`` (a wall time on the due date) is the real time until then,
            # and is measured in real time (``measure``): it breaches at its due instant
            # whatever the calendar's hours.
            duration = target.duration
            if target.dated:
                target_us = wall_amount_us(cycle, target.calendar, duration, target.by)
                elapsed_target = ONE_US * target_us
            else:
                elapsed_target = duration.delta
                target_us = _us(elapsed_target)
            object.__setattr__(self, "_cycle", cycle)
            for s, e in segments:
                stop = e if e is not None else now
                worked_before.append(elapsed_us)
                if stop > s:
                    elapsed_us += _us(cal.elapsed(s, stop))
                    wall += stop - s
        object.__setattr__(self, "state", state)
        object.__setattr__(self, "started_at", started_at)
        object.__setattr__(self, "stopped_at", stopped_at)
        object.__setattr__(self, "paused_since", paused_since)
        object.__setattr__(self, "target", elapsed_target)
        object.__setattr__(self, "target_us", target_us)
        object.__setattr__(self, "elapsed_us", elapsed_us)
        object.__setattr__(self, "elapsed", ONE_US * elapsed_us)
        object.__setattr__(self, "elapsed_wall", wall)
        if state not in (NOT_APPLICABLE, NOT_STARTED):
            breach_at = self.reached_at(self.breach_amount_us)
        object.__setattr__(self, "breach_at", breach_at)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"ClockState is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"ClockState is immutable; cannot delete {name!r}")

    def __repr__(self) -> str:
        return (
            f"<ClockState {self.name} {self.state} elapsed={format_duration(self.elapsed)} "
            f"target={self.target_text} breach_at={self.breach_at}>"
        )

    # -- facts --------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The clock's name (its YAML key)."""
        return self.definition.name

    @property
    def definition_id(self) -> str | None:
        """The id of the scoped definition measuring the clock; ``None`` for its own
        ``targets`` (or when it does not apply)."""
        return None if self.scope is None else self.scope.id

    @property
    def applies(self) -> bool:
        """Whether the clock has a target for this ticket and has started."""
        return self.state not in (NOT_APPLICABLE, NOT_STARTED)

    @property
    def breach_amount_us(self) -> int:
        """The elapsed microseconds at which the clock breaches: the target, or one more
        for a target with ``on_time_at_due`` (reaching the due instant is on time)."""
        target = self._target
        return self.target_us + (target is not None and target.on_time_at_due)

    @property
    def breached(self) -> bool:
        """Whether the breach instant is at or before ``now``."""
        return self.breach_at is not None and self.breach_at <= self.now

    @property
    def remaining(self) -> timedelta | None:
        """Target minus elapsed (negative after a breach); ``None`` without a target."""
        return None if self.target is None else self.target - self.elapsed

    @property
    def percent(self) -> Fraction | None:
        """Elapsed as an exact percentage of the target."""
        if not self.applies or not self.target_us:
            return None
        return Fraction(self.elapsed_us * 100, self.target_us)

    def fact(self, attr: str) -> object:
        """The value of ``clock.<name>.<attr>`` for explanations."""
        if attr == "percent":
            pct = self.percent
            return None if pct is None else f"{float(pct):.2f}%"
        if attr == "elapsed":
            return format_duration(self.elapsed) if self.applies else None
        if attr == "remaining":
            rem = self.remaining
            return None if rem is None or not self.applies else format_duration(rem)
        if attr == "breached":
            return self.breached
        return self.state

    def reached_at(self, amount_us: int) -> datetime | None:
        """The first instant at which this cycle's elapsed time reaches ``amount_us``.

        Past instants are exact; a future one assumes no new events (the clock keeps running).
        ``None`` if the cycle will not get there without new events (paused or stopped short).
        """
        target = self._target
        if target is None or amount_us <= 0 or not self._segments:
            return None
        if amount_us > self.elapsed_us:
            if self.state != RUNNING:
                return None
            # elapsed(start, t) = elapsed_us + elapsed(now, t) for t >= now (additivity)
            return target.measure.add(self.now, ONE_US * (amount_us - self.elapsed_us))
        i = bisect.bisect_left(self._worked_before, amount_us) - 1
        start = self._segments[i][0]
        return target.measure.add(start, ONE_US * (amount_us - self._worked_before[i]))

    def rung_amount_us(self, share: Fraction) -> int:
        """The elapsed microseconds at which a rung of this share is reached (rounded up)."""
        return -(-self.target_us * share.numerator // share.denominator)

    def amount_us(self, rung: Rung) -> int:
        """The elapsed microseconds of this cycle at which ``rung`` is reached, for the
        current target (0: at the cycle start). Only for a clock that :attr:`applies`.

        ``after: 2bd`` is exact business-day arithmetic from the cycle start, like a ``bd``
        target: the time the calendar is open from the start to the same wall time two
        working days later, not a fraction of anything (``after: 1mo`` likewise, to the same
        wall time a calendar month later).
        """
        share = rung.share
        if share is not None:  # as rung_amount_us, inlined: this runs for every rung
            return -(-self.target_us * share.numerator // share.denominator)
        if rung.before_breach is not None:
            return max(0, self.target_us - _us(rung.before_breach))
        after = rung.after
        assert after is not None and self._target is not None and self.started_at is not None
        assert self._cycle is not None
        # ``bd``, ``mo``: at a wall time, like targets (once per cycle); in real time on a
        # clock whose target has ``by``, as that target is
        target = self._target
        return wall_amount_us(self._cycle, target.calendar, after, real=target.by is not None)

    def rung_reached_at(self, amount_us: int) -> datetime | None:
        """When this cycle's elapsed time reaches ``amount_us`` (see :meth:`reached_at`); an
        amount of 0 is reached when the cycle started."""
        return self.started_at if amount_us == 0 else self.reached_at(amount_us)

    def to_dict(self) -> dict[str, object]:
        """The JSON-ready form used in ``Decision.to_dict()["clocks"]`` (instants in UTC)."""

        def iso(at: datetime | None) -> str | None:
            return None if at is None else at.astimezone(EPOCH.tzinfo).isoformat()

        pct = self.percent
        rem = self.remaining
        return {
            "name": self.name,
            "type": self.definition.type,
            "definition": self.definition_id,
            "state": self.state,
            "cycle": self.cycle,
            "target": self.target_text,
            "calendar": self.calendar_name,
            "started_at": iso(self.started_at),
            "stopped_at": iso(self.stopped_at),
            "paused_since": iso(self.paused_since),
            "elapsed": format_duration(self.elapsed),
            "elapsed_wall": format_duration(self.elapsed_wall),
            "remaining": None if rem is None or not self.applies else format_duration(rem),
            "percent": None if pct is None else f"{float(pct):.2f}",
            "breached": self.breached,
            "breach_at": iso(self.breach_at),
        }
