"""Calibrating a clock against a log's own verdict: declared variants swept and ranked.

A log such as ServiceNow's carries its own verdict per incident (``made_sla``, the last row's).
:func:`calibrate` measures one clock of a policy in declared *variants* -- stop triggers,
pauses, calendars and targets per priority -- on every incident, compares each variant's
verdict (the clock breached in some cycle by the log's last row) with the log's, and ranks the
variants by agreement, best first. For the best one it lists the disagreements by cause.

Variants come from a calibration file (:func:`read_variants`, the format
:class:`CalibrationInput`) or from :func:`default_variants`. In every dimension the clock's own
setting is the variant named ``policy``, so the clock as the policy declares it (less its
scoping, below) is always measured. With ``fit: true`` the targets that agree best with the
log are also found, per priority, exactly: for a fixed stop, pause and calendar an
incident's elapsed clock time is one number, so the best threshold of a priority is found by
one sort of those numbers; the cost grows with the incidents and the (stop, pause, calendar)
variants, not with targets.

Elapsed time is escalate's own: :func:`~escalate.engine.clocks.run_cycles` folds the history
into cycles and :class:`~escalate.engine.clocks.ClockState` counts each on the calendar. The
clock's ``when``, scoped target ``definitions`` and ``on_scope_change`` are left out while
measuring, even in the ``policy`` variant: every incident is measured against the clock's
unconditional ``targets`` (the ``policy`` targets). The best variant's YAML carries over what
it does not vary (``on_scope_change``, the targets of priorities the log lacks) and its header
names what it cannot write (``when``, ``definitions``, ``ladder``, ``rationale``: keep them
from the policy). Pure: no I/O, no clock reads.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any

import yaml
from pydantic import Field

from escalate._models import Label, Positions, StrictModel, validate_model
from escalate.adapters.servicenow._records import LogIncident
from escalate.calendars._durations import Duration, format_duration, parse_duration
from escalate.calendars._instants import ONE_US
from escalate.calendars.calendar import Calendar
from escalate.calendars.models import CalendarModel
from escalate.calendars.models import Duration as DurationText
from escalate.engine.clocks import ClockDef, ClockState, Cycle, Step, Target, Trigger, run_cycles
from escalate.engine.compiled import Policy
from escalate.engine.context import prepare
from escalate.engine.history import EVENT_TYPES
from escalate.errors import ArgumentError, PolicyError, PolicyErrors, TicketError, shown, suggest
from escalate.people.availability import Availability
from escalate.policy.models import Id, PauseSpec, TriggerSpec

__all__ = [
    "MAX_VARIANTS",
    "Calibration",
    "CalibrationInput",
    "Cause",
    "Confusion",
    "VariantResult",
    "Variants",
    "calibrate",
    "default_variants",
    "read_variants",
]

#: The most variants one sweep may measure (stops x pauses x calendars x targets).
MAX_VARIANTS = 10_000
#: How many example incidents each cause of disagreement lists.
EXAMPLES = 5
#: How many refused incidents the text lists (the JSON lists them all).
REFUSED_SHOWN = 10
POLICY = "policy"
_FIT = "fit"
# Candidate units of a fitted target, roundest first: the fitted target is the smallest
# multiple of the roundest unit that lies in the best interval of thresholds.
_UNITS = tuple(
    timedelta(**{k: v})
    for k, v in (
        ("hours", 24),
        ("hours", 12),
        ("hours", 8),
        ("hours", 4),
        ("hours", 2),
        ("hours", 1),
        ("minutes", 30),
        ("minutes", 15),
        ("minutes", 5),
        ("minutes", 1),
        ("seconds", 1),
    )
)


# ---------------------------------------------------------------------------------------------
# The file format
# ---------------------------------------------------------------------------------------------


class PerPriorityCalendars(StrictModel):
    """A calendar per priority: priority (or ``default``) -> a calendar of the policy."""

    per_priority: dict[Label, Id] = Field(
        description="priority (canonical, or 'default') -> calendar name ('24x7' or the policy's)",
        min_length=1,
    )


CalendarSetting = Annotated[
    Id | CalendarModel | PerPriorityCalendars,
    Field(
        description="a calendar of the policy ('24x7' or its name), a calendar written out "
        "(declared under the variant's name), or {per_priority: {P1: 24x7, default: office}}"
    ),
]


class CalibrationInput(StrictModel):
    """A calibration file: the variants of one clock to sweep against a log's verdict.

    Each dimension maps a variant name to its setting, written as in a policy's clock; the
    clock's own setting is always the variant ``policy`` (a name the file may not use).
    """

    clock: Id | None = Field(default=None, description="the policy's clock to vary")
    stop: dict[Id, TriggerSpec | Annotated[list[TriggerSpec], Field(min_length=1)]] = Field(
        default_factory=dict,
        description="name -> a stop trigger (or a non-empty list of them), as a clock's 'stop:'",
    )
    new_cycle_on: dict[Id, list[str] | str | None] = Field(
        default_factory=dict,
        description="name -> the event types that start a new cycle, as a clock's "
        "'new_cycle_on:'; null: none",
    )
    pause: dict[Id, PauseSpec | None] = Field(
        default_factory=dict, description="name -> a pause, as a clock's 'pause:'; null: none"
    )
    calendar: dict[Id, CalendarSetting] = Field(
        default_factory=dict, description="name -> the calendar the targets count on"
    )
    targets: dict[Id, Annotated[dict[Label, DurationText], Field(min_length=1)]] = Field(
        default_factory=dict,
        description="name -> priority (canonical, or 'default') -> duration ('8h', '3bd')",
    )
    fit: bool = Field(
        default=True,
        description="also find, per priority, the target that agrees best with the log",
    )


# ---------------------------------------------------------------------------------------------
# Variants, compiled against a policy
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StopVariant:
    """A stop: its ``name``, the compiled ``triggers`` and how a policy writes it (``yaml``)."""

    name: str
    triggers: tuple[Trigger, ...]
    yaml: Any  # not object: mypyc's dataclass support fails on it


@dataclass(frozen=True, slots=True)
class CycleVariant:
    """What starts a new cycle: its ``name`` and the event types (none: one cycle only)."""

    name: str
    events: frozenset[str]


@dataclass(frozen=True, slots=True)
class PauseVariant:
    """A pause: its ``name``, the canonical ``statuses`` that pause the clock (none: never
    paused) and how a policy writes it (``yaml``; ``None``: no ``pause:`` key)."""

    name: str
    statuses: frozenset[str]
    yaml: Any


@dataclass(frozen=True, slots=True)
class CalendarChoice:
    """The calendars targets count on: ``by_priority`` maps a priority (or ``default``) to a
    calendar's name and the calendar; ``declare`` holds calendars written out in the
    calibration, to declare in the policy (name -> configuration)."""

    name: str
    by_priority: Mapping[str, tuple[str, Calendar]]
    declare: Mapping[str, object]

    def for_priority(self, priority: str | None) -> tuple[str, Calendar] | None:
        """The calendar a ticket of this priority is measured on (``None``: none)."""
        found = self.by_priority.get(priority or "")
        return found if found is not None else self.by_priority.get("default")


@dataclass(frozen=True, slots=True)
class TargetVariant:
    """Targets: priority (or ``default``) -> duration; ``None`` for the fitted ones."""

    name: str
    durations: Mapping[str, Duration] | None

    def for_priority(self, priority: str | None) -> Duration | None:
        assert self.durations is not None
        found = self.durations.get(priority or "")
        return found if found is not None else self.durations.get("default")


@dataclass(frozen=True, slots=True)
class Variants:
    """What to sweep: the ``clock`` varied and each dimension's variants, ``policy`` first."""

    clock: ClockDef
    stops: tuple[StopVariant, ...]
    cycles: tuple[CycleVariant, ...]
    pauses: tuple[PauseVariant, ...]
    calendars: tuple[CalendarChoice, ...]
    targets: tuple[TargetVariant, ...]

    @property
    def count(self) -> int:
        """How many variants the sweep measures."""
        return self.combinations * len(self.targets)

    @property
    def combinations(self) -> int:
        """How many (stop, new cycle, pause, calendar) combinations the sweep measures: each
        is measured once on every incident, and all its targets are scored on that."""
        return len(self.stops) * len(self.cycles) * len(self.pauses) * len(self.calendars)


def _policy_clock(policy: Policy, name: str) -> ClockDef:
    for clock in policy.clocks:
        if clock.name == name:
            return clock
    known = [clock.name for clock in policy.clocks]
    raise ArgumentError(
        f"policy {policy.id!r} has no clock {name!r} (clocks: {', '.join(known) or 'none'})"
        + (f"; did you mean {hint!r}?" if (hint := suggest(name, known)) else "")
    )


def _policy_variants(policy: Policy, clock: ClockDef) -> tuple[Any, ...]:
    """The clock's own settings as the ``policy`` variant of each dimension."""
    stop = StopVariant(POLICY, clock.stop, [_trigger_yaml(t) for t in clock.stop])
    cycle = CycleVariant(POLICY, clock.new_cycle_on)
    pause = PauseVariant(
        POLICY, clock.pause, {"status": sorted(clock.pause)} if clock.pause else None
    )
    calendar = CalendarChoice(
        POLICY,
        {p: (t.calendar_name, t.calendar) for p, t in clock.targets.items()},
        {},
    )
    targets = TargetVariant(POLICY, {p: t.duration for p, t in clock.targets.items()})
    return stop, cycle, pause, calendar, targets


def _trigger_yaml(trigger: Trigger) -> dict[str, object]:
    out: dict[str, object] = {}
    if trigger.events is not None:
        out["event"] = sorted(trigger.events)
    if trigger.statuses is not None:
        out["status"] = sorted(trigger.statuses)
    return out


def default_variants(policy: Policy, clock_name: str, time_zone: str) -> Variants:
    """The sweep without a calibration file: stops at the first ended status or at closure
    only; a single cycle (when the clock starts new ones); no pause or every on-hold status;
    the calendars 24x7, each of the policy's and
    ``weekdays`` (Monday to Friday, all day, in ``time_zone``); the clock's own targets and
    the fitted ones."""
    weekdays = "weekdays" if "weekdays" not in policy.calendars else "weekdays-all-day"
    data: dict[str, Any] = {
        "clock": clock_name,
        "stop": {
            "resolved": {"category": ["resolved", "closed", "cancelled"]},
            "closed": {"category": ["closed", "cancelled"]},
        },
        "new_cycle_on": {"none": None} if _policy_clock(policy, clock_name).new_cycle_on else {},
        "pause": {"none": None, "on-hold": {"category": "on-hold"}},
        "calendar": {
            **{name: name for name in sorted(policy.calendars)},
            weekdays: {"timezone": time_zone, "hours": {"mon-fri": "00:00-24:00"}},
        },
        "fit": True,
    }
    return read_variants(data, policy, clock_name)


def read_variants(
    data: object,
    policy: Policy,
    clock_name: str | None = None,
    *,
    locate: Positions | None = None,
) -> Variants:
    """Check calibration data (a :class:`CalibrationInput`, as parsed from YAML or JSON)
    against ``policy`` and compile its variants.

    ``clock_name`` (the command line's ``--clock``) names the clock when the data does not,
    and must agree with it when both do. ``locate`` gives a key path's ``(file, line,
    column)``. Every problem is a :class:`PolicyError` naming the key path (and position):
    unknown statuses, categories, event types, calendars, priorities; a variant named
    ``policy``; more than :data:`MAX_VARIANTS` variants. ``None`` (an empty file) declares
    nothing: the clock as the policy declares it, and the fitted targets.
    """

    def fail(message: str, path: tuple[str | int, ...], suggestion: str | None = None) -> None:
        raise PolicyError(
            message,
            path=path,
            source=None if locate is None else locate(path),
            suggestion=suggestion,
        )

    try:
        spec = validate_model(CalibrationInput, {} if data is None else data)
    except PolicyError as exc:
        if locate is None:
            raise
        if isinstance(exc, PolicyErrors):
            raise PolicyErrors([e.located(locate(e.path)) for e in exc.errors]) from None
        raise exc.located(locate(exc.path)) from None
    name = clock_name or spec.clock
    if name is None:
        fail("name the clock to calibrate: 'clock:' here or --clock", ("clock",))
    assert name is not None
    if clock_name is not None and spec.clock is not None and spec.clock != clock_name:
        fail(
            f"the file calibrates clock {shown(spec.clock)}, --clock says {shown(clock_name)}",
            ("clock",),
        )
    try:
        clock = _policy_clock(policy, name)
    except ArgumentError as exc:
        if clock_name is not None:
            raise
        fail(str(exc), ("clock",))
        raise  # pragma: no cover - fail raised
    own_stop, own_cycle, own_pause, own_calendar, own_targets = _policy_variants(policy, clock)
    for dimension in ("stop", "new_cycle_on", "pause", "calendar", "targets"):
        if POLICY in getattr(spec, dimension):
            fail(
                f"the variant name 'policy' is the clock's own {dimension}; name yours otherwise",
                (dimension, POLICY),
            )
    table = policy.statuses

    def statuses(
        status: list[str] | str | None,
        category: Sequence[str] | str | None,
        path: tuple[str | int, ...],
    ) -> frozenset[str] | None:
        if status is None and category is None:
            return None
        found: set[str] = set()
        items = [status] if isinstance(status, str) else status or []
        for i, item in enumerate(items):
            canonical = table.declared(item)
            if canonical is None:
                where = (*path, "status") if isinstance(status, str) else (*path, "status", i)
                fail(
                    f"policy {shown(policy.id)} has no status {shown(item)} (statuses: "
                    f"{', '.join(table.names)})",
                    where,
                    suggest(item, table.names),
                )
            else:
                found.add(canonical)
        kinds = [category] if isinstance(category, str) else category or []
        found |= table.in_categories(kinds)
        return frozenset(found)

    stops = [own_stop]
    for key, trig in spec.stop.items():
        items = trig if isinstance(trig, list) else [trig]
        compiled: list[Trigger] = []
        for i, item in enumerate(items):
            path: tuple[str | int, ...] = (
                ("stop", key, i) if isinstance(trig, list) else ("stop", key)
            )
            events = None
            if item.event is not None:
                names = [item.event] if isinstance(item.event, str) else item.event
                for j, event in enumerate(names):
                    if event not in EVENT_TYPES:
                        fail(
                            f"unknown event type {shown(event)} (known: {', '.join(EVENT_TYPES)})",
                            (*path, "event")
                            if isinstance(item.event, str)
                            else (*path, "event", j),
                            suggest(event, EVENT_TYPES),
                        )
                events = frozenset(names)
            compiled.append(Trigger(events, statuses(item.status, item.category, path)))
        written = [t.model_dump(exclude_none=True) for t in items]
        stops.append(StopVariant(key, tuple(compiled), written if len(written) > 1 else written[0]))
    cycles = [own_cycle]
    for key, starts in spec.new_cycle_on.items():
        starting = [starts] if isinstance(starts, str) else starts or []
        for j, event in enumerate(starting):
            if event not in EVENT_TYPES:
                fail(
                    f"unknown event type {shown(event)} (known: {', '.join(EVENT_TYPES)})",
                    ("new_cycle_on", key, *(() if isinstance(starts, str) else (j,))),
                    suggest(event, EVENT_TYPES),
                )
        cycles.append(CycleVariant(key, frozenset(starting)))
    pauses = [own_pause]
    for key, pause in spec.pause.items():
        if pause is None:
            pauses.append(PauseVariant(key, frozenset(), None))
            continue
        found = statuses(pause.status, pause.category, ("pause", key)) or frozenset()
        pauses.append(PauseVariant(key, found, pause.model_dump(exclude_none=True)))
    calendars = [own_calendar]
    for key, cal in spec.calendar.items():
        calendars.append(_calendar_variant(policy, key, cal, fail))
    priorities = _priorities(policy)
    targets = [own_targets]
    for key, durations in spec.targets.items():
        parsed: dict[str, Duration] = {}
        for priority, text in durations.items():
            where = ("targets", key, priority)
            _check_priority(priority, priorities, policy, where, fail)
            try:
                duration = parse_duration(text, where, allow_months=True)
            except PolicyError as exc:
                fail(exc.message, where)
                raise  # pragma: no cover - fail raised
            if duration.delta <= timedelta(0) and not (duration.business_days or duration.months):
                fail(f"a target must be longer than zero, got {shown(text)}", where)
            parsed[priority] = duration
        targets.append(TargetVariant(key, parsed))
    if spec.fit:
        targets.append(TargetVariant(_FIT, None))
    variants = Variants(
        clock, tuple(stops), tuple(cycles), tuple(pauses), tuple(calendars), tuple(targets)
    )
    if variants.count > MAX_VARIANTS:
        fail(
            f"{variants.count:,} variants (stops x new cycles x pauses x calendars x targets) is "
            "more than "
            f"{MAX_VARIANTS:,}: declare fewer",
            (),
        )
    return variants


def _check_priority(
    priority: str,
    priorities: tuple[str, ...] | None,
    policy: Policy,
    where: tuple[str | int, ...],
    fail: Any,
) -> None:
    """``fail`` unless ``priority`` is ``default`` or one of the policy's canonical ones."""
    if priority != "default" and priorities is not None and priority not in priorities:
        fail(
            f"{shown(priority)} is not a canonical priority of policy {shown(policy.id)}"
            f" (known: {', '.join(priorities)}, or 'default')",
            where,
            suggest(priority, priorities),
        )


def _priorities(policy: Policy) -> tuple[str, ...] | None:
    """The policy's canonical priorities, or ``None`` when it declares no terminology."""
    table = policy._aliases.get("priority")
    return None if table is None else tuple(sorted(set(table.values())))


def _calendar_variant(policy: Policy, key: str, cal: object, fail: Any) -> CalendarChoice:
    path: tuple[str | int, ...] = ("calendar", key)
    known = sorted(policy.calendars)

    def named(name: str, where: tuple[str | int, ...]) -> tuple[str, Calendar]:
        found = policy.calendars.get(name)
        if found is None:
            fail(
                f"policy {shown(policy.id)} has no calendar {shown(name)} "
                f"(calendars: {', '.join(known)})",
                where,
                suggest(name, known),
            )
        assert found is not None
        return name, found

    if isinstance(cal, str):
        return CalendarChoice(key, {"default": named(cal, path)}, {})
    if isinstance(cal, PerPriorityCalendars):
        priorities = _priorities(policy)
        table: dict[str, tuple[str, Calendar]] = {}
        for priority, name in cal.per_priority.items():
            where = (*path, "per_priority", priority)
            _check_priority(priority, priorities, policy, where, fail)
            table[priority] = named(name, where)
        return CalendarChoice(key, table, {})
    if key in policy.calendars:
        fail(
            f"the policy already has a calendar {shown(key)}: name this one otherwise (it is "
            "declared under the variant's name)",
            path,
        )
    assert isinstance(cal, CalendarModel)
    try:
        calendar = Calendar.from_config(cal, path=path, name=key)
    except PolicyError as exc:
        fail(exc.message, exc.path or path)
        raise  # pragma: no cover - fail raised
    if calendar.never_open:  # every measure on it would fail mid-sweep with a range error
        first, last = calendar.years
        fail(
            f"calendar {shown(key)} is never open in {first}-{last}: give it 'hours' (or "
            "'extra_hours' dates) that closures and holidays leave open",
            (*path, "hours"),
        )
    written = cal.model_dump(mode="json", exclude_defaults=True)
    return CalendarChoice(key, {"default": (key, calendar)}, {key: written})


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Case:
    """One incident with a verdict, as calibration reads it."""

    number: str
    missed: bool
    priority: str | None
    first_priority: str | None
    steps: tuple[Step, ...]
    now: datetime
    anomalies: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Measure:
    """One incident's clock in one (stop, pause, calendar): per cycle its start, elapsed
    microseconds on the calendar and wall microseconds running; whether the last cycle was
    still running or paused at the log's last row; the wall microseconds paused."""

    cycles: tuple[tuple[datetime, int, int], ...]
    open_at_end: bool
    paused_us: int

    @property
    def peak_us(self) -> int:
        """The largest elapsed time of a cycle (0 when the clock never started)."""
        return max((e for _, e, _ in self.cycles), default=0)


def _case(policy: Policy, incident: LogIncident) -> _Case:
    assert incident.made_sla is not None
    ticket = incident.ticket
    now = ticket.events[-1].at if ticket.events else ticket.opened_at
    try:
        context = prepare(policy, ticket, now, Availability())
        first = policy.priority_of(incident.opened, incident.opened.priority)
    except TicketError as exc:
        raise TicketError(
            f"incident {incident.number}: {exc.message}", path=exc.path, value=exc.value
        ) from None
    kinds = tuple(sorted({anomaly.kind for anomaly in incident.anomalies}))
    return _Case(
        incident.number,
        not incident.made_sla,
        context.priority,
        first,
        context.steps,
        now,
        kinds,
    )


def _measure(clock: ClockDef, cycles: list[Cycle], now: datetime) -> _Measure:
    """Each cycle measured by :class:`ClockState` on ``clock``'s (default) target calendar."""
    out = []
    for k in range(len(cycles)):
        state = ClockState(clock, cycles[: k + 1], None, now)
        out.append((cycles[k].started_at, state.elapsed_us, state.elapsed_wall // ONE_US))
    paused = 0
    for cycle in cycles:
        end = cycle.stopped_at or now
        for p_from, p_to in cycle.pauses or ():
            paused += ((p_to or end) - p_from) // ONE_US
    open_at_end = bool(cycles) and cycles[-1].stopped_at is None
    return _Measure(tuple(out), open_at_end, paused)


def _target_us(duration: Duration, calendar: Calendar, start: datetime) -> int:
    """The target in elapsed microseconds for a cycle started at ``start``: a ``bd`` or ``mo``
    target is the calendar's working time until its due instant, as :class:`ClockState`
    counts it."""
    due = duration.due_at(calendar, start)
    if due is None:
        return duration.delta // ONE_US
    return calendar.elapsed(start, due) // ONE_US


class _Sweep:
    """The cycles and measures of every case, computed once per (stop, pause[, calendar])."""

    def __init__(self, variants: Variants, cases: Sequence[_Case]) -> None:
        self.variants = variants
        self.cases = cases
        self._cycles: dict[tuple[int, int, int], list[list[Cycle]]] = {}
        self._measures: dict[tuple[int, int, int, str], list[_Measure | None]] = {}
        self._clocks: dict[tuple[int, int, int, str | None], ClockDef] = {}
        # A target in elapsed microseconds, by (duration, calendar, cycle start): the same for
        # every (stop, new cycle, pause) rule whose cycle starts there.
        self._targets: dict[tuple[str, str, datetime], int] = {}
        base = replace(
            variants.clock,
            ladder=(),
            when=None,
            definitions=(),
            restart_on_scope_change=False,
            scope_fields=(),
        )
        self._base = base

    def clock(
        self, rule: tuple[int, int, int], calendar: tuple[str, Calendar] | None = None
    ) -> ClockDef:
        """The clock of one (stop, new cycle, pause) rule, measured on ``calendar``."""
        key = (*rule, None if calendar is None else calendar[0])
        found = self._clocks.get(key)
        if found is None:
            found = self._clocks[key] = self._clock(rule, calendar)
        return found

    def _clock(self, rule: tuple[int, int, int], calendar: tuple[str, Calendar] | None) -> ClockDef:
        si, ni, pi = rule
        variants = self.variants
        stop, cycle, pause = variants.stops[si], variants.cycles[ni], variants.pauses[pi]
        targets = {}
        if calendar is not None:
            targets = {"default": Target(parse_duration("1h", ()), calendar[0], calendar[1])}
        return replace(
            self._base,
            stop=stop.triggers,
            new_cycle_on=cycle.events,
            pause=pause.statuses,
            targets=targets,
        )

    def keep_only(self, rule: tuple[int, int, int]) -> None:
        """Forget the cycles and measures of every other rule (memory stays one rule's)."""
        for other in [k for k in self._cycles if k != rule]:
            del self._cycles[other]
        for measured in [k for k in self._measures if k[:3] != rule]:
            del self._measures[measured]

    def cycles(self, rule: tuple[int, int, int]) -> list[list[Cycle]]:
        found = self._cycles.get(rule)
        if found is None:
            clock = self.clock(rule)
            found = self._cycles[rule] = [run_cycles(clock, c.steps) for c in self.cases]
        return found

    def measure(
        self, rule: tuple[int, int, int], calendar: tuple[str, Calendar], i: int
    ) -> _Measure:
        key = (*rule, calendar[0])
        table = self._measures.get(key)
        if table is None:
            table = self._measures[key] = [None] * len(self.cases)
        found = table[i]
        if found is None:
            clock = self.clock(rule, calendar)
            found = table[i] = _measure(clock, self.cycles(rule)[i], self.cases[i].now)
        return found

    def target_us(self, duration: Duration, calendar: tuple[str, Calendar], start: datetime) -> int:
        """:func:`_target_us`, computed once per duration, calendar and cycle start."""
        if not (duration.business_days or duration.months):
            return duration.delta // ONE_US
        key = (duration.text, calendar[0], start)
        found = self._targets.get(key)
        if found is None:
            found = self._targets[key] = _target_us(duration, calendar[1], start)
        return found

    def breached(
        self, measure: _Measure, duration: Duration, calendar: tuple[str, Calendar]
    ) -> bool:
        """Whether some cycle of ``measure`` reached ``duration`` on ``calendar``."""
        for start, elapsed, _ in measure.cycles:
            target = self.target_us(duration, calendar, start)
            if target > 0 and elapsed >= target:
                return True
        return False


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Confusion:
    """A variant's verdicts against the log's: ``both`` breached (ours) and missed (log's);
    ``ours_only`` breached but made; ``log_only`` missed but not breached; ``neither``."""

    both: int
    ours_only: int
    log_only: int
    neither: int

    @property
    def agree(self) -> int:
        return self.both + self.neither

    @property
    def total(self) -> int:
        return self.both + self.ours_only + self.log_only + self.neither

    def to_dict(self) -> dict[str, int]:
        return {
            "both_breached": self.both,
            "ours_only": self.ours_only,
            "log_only": self.log_only,
            "neither": self.neither,
        }


@dataclass(frozen=True, slots=True)
class VariantResult:
    """One variant measured: its dimension names (``stop``, ``pause``, ``calendar``,
    ``targets``), their indexes (declaration order, ``policy`` first), the confusion matrix,
    and the targets used (priority -> duration text; the fitted ones for ``fit``)."""

    stop: str
    new_cycle_on: str
    pause: str
    calendar: str
    targets: str
    order: tuple[int, int, int, int, int]
    confusion: Confusion
    target_texts: Mapping[str, str]

    @property
    def name(self) -> str:
        return (
            f"stop={self.stop} new_cycle_on={self.new_cycle_on} pause={self.pause} "
            f"calendar={self.calendar} targets={self.targets}"
        )

    def agreement(self) -> str:
        """The share of incidents on which it agrees with the log, in percent, 2 decimals."""
        return percent(self.confusion.agree, self.confusion.total)

    def to_dict(self) -> dict[str, object]:
        return {
            "stop": self.stop,
            "new_cycle_on": self.new_cycle_on,
            "pause": self.pause,
            "calendar": self.calendar,
            "targets": self.targets,
            "agreement": self.agreement(),
            "agree": self.confusion.agree,
            "confusion": self.confusion.to_dict(),
            "target_values": dict(sorted(self.target_texts.items())),
        }


@dataclass(frozen=True, slots=True)
class Cause:
    """Why the best variant disagrees with the log on some incidents: the ``cause``, how many
    (``count``) and the first :data:`EXAMPLES` incidents as ``(number, detail)``."""

    cause: str
    count: int
    examples: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "cause": self.cause,
            "count": self.count,
            "examples": [{"number": n, "detail": d} for n, d in self.examples],
        }


def percent(part: int, whole: int) -> str:
    """``part`` of ``whole`` in percent with two decimals (half-even), exact.

    >>> percent(2, 3), percent(0, 0)
    ('66.67', '0.00')
    """
    if whole == 0:
        return "0.00"
    value = Decimal(part * 100) / Decimal(whole)
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True, slots=True)
class Calibration:
    """What :func:`calibrate` found: the ``policy`` and ``clock`` varied; ``incidents`` read,
    ``with_verdict`` of them carrying the log's verdict and ``missed`` of those the log says
    missed; ``results`` every variant, best first (agreement, then declaration order);
    ``causes`` the best one's disagreements by cause (most first); ``clock_yaml`` the best
    variant as policy YAML; ``refused`` the incidents with a verdict whose ticket the policy
    refuses, as ``(number, message)``, left out of every count but ``incidents``."""

    policy: str
    clock: str
    incidents: int
    with_verdict: int
    missed: int
    results: tuple[VariantResult, ...]
    causes: tuple[Cause, ...]
    clock_yaml: str
    refused: tuple[tuple[str, str], ...] = ()

    @property
    def best(self) -> VariantResult:
        return self.results[0]

    def to_dict(self) -> dict[str, object]:
        return {
            "policy": self.policy,
            "clock": self.clock,
            "incidents": self.incidents,
            "with_verdict": self.with_verdict,
            "log_missed": self.missed,
            "refused": [{"number": n, "message": m} for n, m in self.refused],
            "variants": [
                {"rank": rank, **result.to_dict()} for rank, result in enumerate(self.results, 1)
            ],
            "best": {
                **self.best.to_dict(),
                "disagreements": [cause.to_dict() for cause in self.causes],
                "clock_yaml": self.clock_yaml,
            },
        }

    def text(self, top: int = 10) -> str:
        """The ranking (the first ``top`` variants), the best one's disagreements by cause and
        its clock as policy YAML."""
        lines = [
            f"clock {self.clock} of policy {self.policy}: {self.with_verdict:,} of "
            f"{self.incidents:,} incidents carry the log's verdict, {self.missed:,} missed; "
            f"{len(self.results):,} variant{'' if len(self.results) == 1 else 's'}",
        ]
        if self.refused:
            lines.append(
                f"refused by the policy, left out: {len(self.refused):,} "
                f"incident{'' if len(self.refused) == 1 else 's'}"
                + ("" if len(self.refused) <= REFUSED_SHOWN else " (--json lists them all)")
            )
            lines += [f"  {n}: {m}" for n, m in self.refused[:REFUSED_SHOWN]]
        lines += [
            "",
            "rank  agree%  both  ours-only  log-only  neither  variant",
        ]
        for rank, result in enumerate(self.results[:top], 1):
            c = result.confusion
            lines.append(
                f"{rank:>4}  {result.agreement():>6}  {c.both:>4}  {c.ours_only:>9}  "
                f"{c.log_only:>8}  {c.neither:>7}  {result.name}"
            )
        if len(self.results) > top:
            lines.append(f"      ... {len(self.results) - top:,} more (--top, or --json)")
        best = self.best
        lines += ["", f"best: {best.name}: {best.agreement()}% agree"]
        if best.target_texts:
            shown_targets = ", ".join(f"{p} {t}" for p, t in sorted(best.target_texts.items()))
            lines.append(f"targets: {shown_targets}")
        if self.causes:
            lines.append(f"disagreements ({best.confusion.total - best.confusion.agree:,}):")
            for cause in self.causes:
                examples = ", ".join(
                    f"{number} ({detail})" if detail else number
                    for number, detail in cause.examples
                )
                lines.append(f"  {cause.count:>6}  {cause.cause}; e.g. {examples}")
        lines += ["", "as policy YAML:", self.clock_yaml.rstrip("\n")]
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# The sweep
# ---------------------------------------------------------------------------------------------


def calibrate(
    policy: Policy,
    variants: Variants,
    incidents: Iterable[LogIncident],
    *,
    progress: Callable[[int], None] | None = None,
) -> Calibration:
    """Measure every variant on every incident that carries the log's verdict and rank them.

    An incident's verdict is the log's on its last row (``made_sla``); ours is whether the
    clock breached (elapsed reached the target, in any cycle) by that row. Incidents without
    a verdict are counted and left out. An incident whose ticket the policy refuses (a status
    or priority it does not know) is skipped, as :func:`replay` skips it, and listed in
    :attr:`Calibration.refused` with the reason.

    ``progress`` is called with the number of (stop, new cycle, pause, calendar) combinations
    measured so far (of :attr:`Variants.combinations`) after each one (for a progress bar; the
    sweep itself prints nothing).
    """
    if not isinstance(policy, Policy):
        raise ArgumentError(f"calibrate() takes a compiled Policy, got {type(policy).__name__}")
    total = 0
    cases: list[_Case] = []
    refused: list[tuple[str, str]] = []
    for incident in incidents:
        if not isinstance(incident, LogIncident):
            raise ArgumentError(
                f"calibrate() takes LogIncident values, got {type(incident).__name__}"
            )
        total += 1
        if incident.made_sla is not None:
            try:
                cases.append(_case(policy, incident))
            except TicketError as exc:
                refused.append((incident.number, str(exc)))
    if not cases:
        why = f" ({len(refused):,} refused by the policy)" if refused else ""
        raise TicketError(
            f"none of the {total:,} incidents carries the log's verdict{why}: nothing to "
            "calibrate against",
            path=("made_sla",),
            value=None,
        )
    sweep = _Sweep(variants, cases)
    results: list[VariantResult] = []
    for done, ((si, stop), (ni, cycle), (pi, pause), (ci, cal)) in enumerate(
        itertools.product(
            enumerate(variants.stops),
            enumerate(variants.cycles),
            enumerate(variants.pauses),
            enumerate(variants.calendars),
        ),
        1,
    ):
        rule = (si, ni, pi)
        sweep.keep_only(rule)  # a rule's cycles and measures are not needed after its turn
        calendars = [cal.for_priority(case.priority) for case in cases]
        measures = [
            None if c is None else sweep.measure(rule, c, i) for i, c in enumerate(calendars)
        ]
        for ti, targets in enumerate(variants.targets):
            if targets.durations is None:
                fitted, texts = _fit(cases, measures)
                verdicts = [
                    m is not None
                    and (t := fitted.get(_key(case.priority))) is not None
                    and m.peak_us >= t
                    for case, m in zip(cases, measures, strict=True)
                ]
            else:
                verdicts = _verdicts(sweep, measures, calendars, targets)
                texts = {p: d.text for p, d in targets.durations.items()}
            results.append(
                VariantResult(
                    stop.name,
                    cycle.name,
                    pause.name,
                    cal.name,
                    targets.name,
                    (si, ni, pi, ci, ti),
                    _confusion(cases, verdicts),
                    texts,
                )
            )
        if progress is not None:
            progress(done)
    results.sort(key=lambda r: (-r.confusion.agree, r.order))
    best = results[0]
    causes = _causes(policy, sweep, best, cases)
    yaml_text = _clock_yaml(variants, best, cases)
    return Calibration(
        policy.id,
        variants.clock.name,
        total,
        len(cases),
        sum(case.missed for case in cases),
        tuple(results),
        causes,
        yaml_text,
        tuple(refused),
    )


def _key(priority: str | None) -> str:
    return "default" if priority is None else priority


def _verdicts(
    sweep: _Sweep,
    measures: Sequence[_Measure | None],
    calendars: Sequence[tuple[str, Calendar] | None],
    targets: TargetVariant,
) -> list[bool]:
    """Whether our clock breached on each case, for declared targets."""
    out = []
    for case, measure, cal in zip(sweep.cases, measures, calendars, strict=True):
        duration = targets.for_priority(case.priority)
        out.append(
            measure is not None
            and cal is not None
            and duration is not None
            and sweep.breached(measure, duration, cal)
        )
    return out


def _confusion(cases: Sequence[_Case], verdicts: Sequence[bool]) -> Confusion:
    both = ours = log = neither = 0
    for case, breached in zip(cases, verdicts, strict=True):
        if breached and case.missed:
            both += 1
        elif breached:
            ours += 1
        elif case.missed:
            log += 1
        else:
            neither += 1
    return Confusion(both, ours, log, neither)


def _fit(
    cases: Sequence[_Case], measures: Sequence[_Measure | None]
) -> tuple[dict[str, int], dict[str, str]]:
    """Per priority, the target (elapsed microseconds) that agrees best with the log.

    The clock breaches when its peak elapsed time reaches the target, so with the peaks
    sorted, every threshold between two neighbouring values gives the same verdicts: one pass
    over the sorted values scores them all. Among the best, the roundest target is chosen
    (whole days, hours ... seconds; then the smallest).
    """
    groups: dict[str, list[tuple[int, bool]]] = {}
    for case, measure in zip(cases, measures, strict=True):
        if measure is not None:
            groups.setdefault(_key(case.priority), []).append((measure.peak_us, case.missed))
    fitted: dict[str, int] = {}
    texts: dict[str, str] = {}
    for priority in sorted(groups):
        found = best_threshold(groups[priority])
        if found is not None:
            fitted[priority] = found
            texts[priority] = duration_text(found)
    return fitted, texts


def best_threshold(values: Sequence[tuple[int, bool]]) -> int | None:
    """The target (microseconds, > 0, whole seconds) that best separates ``values`` --
    ``(elapsed, missed)`` pairs -- when "breached" means elapsed >= target: the most pairs
    agreeing, then the roundest target, then the smallest.

    Targets are whole seconds because a policy writes durations in whole seconds: a gap
    between two neighbouring values that holds no whole second (1.2 s and 1.7 s) is not a
    target a policy could declare, so it is not offered; the result agrees at least as well as
    every whole-second target.

    >>> best_threshold([(3_600_000_000, False), (7_200_000_000, True)])
    7200000000
    >>> best_threshold([(60_000_000, False)])  # nothing missed: beyond every value
    86400000000
    """
    ordered = sorted(values)
    missed_total = sum(missed for _, missed in ordered)
    # Thresholds in (previous, value] breach this value and every later one.
    best: tuple[int, int, int] | None = None  # (agree, unit rank (lower rounder), -target)
    best_target: int | None = None
    made_below = 0  # made incidents whose value is below the threshold
    missed_below = 0
    previous = 0
    i = 0
    n = len(ordered)
    while True:
        upper = ordered[i][0] if i < n else None
        agree = made_below + (missed_total - missed_below)
        target = _roundest(previous, upper)
        if target is not None:
            rank, value = target
            key = (agree, -rank, -value)
            if best is None or key > best:
                best, best_target = key, value
        if i >= n:
            break
        value = ordered[i][0]
        while i < n and ordered[i][0] == value:
            if ordered[i][1]:
                missed_below += 1
            else:
                made_below += 1
            i += 1
        previous = value
    return best_target


def _roundest(lower: int, upper: int | None) -> tuple[int, int] | None:
    """The roundest whole-second target in ``(lower, upper]`` (``upper`` ``None``: no bound)
    as (rank of its unit, roundest first; the target), or ``None``."""
    for rank, unit in enumerate(_UNITS):
        step = unit // ONE_US
        target = (lower // step + 1) * step
        if upper is None or target <= upper:
            return rank, target
    return None


def duration_text(us: int) -> str:
    """Microseconds (whole seconds) as a policy duration in hours, minutes and seconds.

    >>> duration_text(93_600_000_000), duration_text(5_430_000_000), duration_text(45_000_000)
    ('26h', '1h30m30s', '45s')
    """
    seconds = us // 1_000_000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((hours, "h"), (minutes, "m"), (seconds, "s")) if v]
    return "".join(parts) or "0s"


# ---------------------------------------------------------------------------------------------
# The best variant: disagreements by cause, and the clock as YAML
# ---------------------------------------------------------------------------------------------


def _causes(
    policy: Policy, sweep: _Sweep, best: VariantResult, cases: Sequence[_Case]
) -> tuple[Cause, ...]:
    variants = sweep.variants
    si, ni, pi, ci, ti = best.order
    rule = (si, ni, pi)
    sweep.keep_only(rule)
    cal_variant, targets = variants.calendars[ci], variants.targets[ti]
    pause = variants.pauses[pi]
    fitted: dict[str, int] = {}
    if targets.durations is None:
        measures = [
            None
            if (c := cal_variant.for_priority(case.priority)) is None
            else sweep.measure(rule, c, i)
            for i, case in enumerate(cases)
        ]
        fitted, _ = _fit(cases, measures)
    found: dict[str, list[tuple[str, str]]] = {}
    for i, case in enumerate(cases):
        cal = cal_variant.for_priority(case.priority)
        measure = None if cal is None else sweep.measure(rule, cal, i)
        target_us: int | None = None
        duration: Duration | None = None
        if cal is not None and measure is not None:
            if targets.durations is None:
                target_us = fitted.get(_key(case.priority))
                breached = target_us is not None and measure.peak_us >= target_us
            else:
                duration = targets.for_priority(case.priority)
                breached = duration is not None and sweep.breached(measure, duration, cal)
                if duration is not None:
                    target_us = max(
                        (sweep.target_us(duration, cal, s) for s, _, _ in measure.cycles),
                        default=None,
                    )
        else:
            breached = False
        if breached == case.missed:
            continue
        cause, detail = _cause(case, breached, measure, target_us, pause, sweep, rule, cal)
        found.setdefault(cause, []).append((case.number, detail))
    out = [Cause(cause, len(items), tuple(items[:EXAMPLES])) for cause, items in found.items()]
    out.sort(key=lambda c: (-c.count, c.cause))
    return tuple(out)


def _cause(
    case: _Case,
    breached: bool,
    measure: _Measure | None,
    target_us: int | None,
    pause: PauseVariant,
    sweep: _Sweep,
    rule: tuple[int, int, int],
    cal: tuple[str, Calendar] | None,
) -> tuple[str, str]:
    """The first cause that explains one disagreement, and its detail for this incident."""
    said = "log says missed" if case.missed else "log says made"
    if case.anomalies:
        return f"{said}; anomaly in the log", ", ".join(case.anomalies)
    if case.priority != case.first_priority:
        return f"{said}; priority changed", f"{case.first_priority} -> {case.priority}"
    if any(kind == "reopened" for _, kind, _, _ in case.steps):
        return f"{said}; reopened", ""
    if cal is None:  # neither a calendar nor a target for the priority
        return f"{said}; no target for the priority", str(case.priority)
    if measure is None or not measure.cycles:
        return f"{said}; our clock never started", ""
    if target_us is None:
        return f"{said}; no target for the priority", str(case.priority)
    if measure.open_at_end:
        last = case.steps[-1][3]
        return f"{said}; no stop row: our clock still ran at the log's last row", last
    peak = measure.peak_us
    share = percent(peak, target_us)
    if case.missed and not breached:
        if measure.paused_us and cal is not None:
            # Would the clock have breached without its pauses?
            statuses = sorted({after for _, _, _, after in case.steps if after in pause.statuses})
            if _unpaused_breach(sweep, rule, cal, case, target_us):
                return (
                    f"{said} but our clock paused on {', '.join(statuses)}",
                    f"paused {format_duration(measure.paused_us * ONE_US)}",
                )
        wall = max((w for _, _, w in measure.cycles), default=0)
        if wall >= target_us:
            return (
                f"{said} but the calendar's hours left our clock short",
                f"{share}% of target, {format_duration(wall * ONE_US)} wall time",
            )
    if abs(peak - target_us) * 10 <= target_us:
        return f"{said}; our clock within 10% of the target", f"{share}% of target"
    if case.missed:
        return f"{said}; our clock far below the target", f"{share}% of target"
    return f"{said}; our clock far beyond the target", f"{share}% of target"


def _unpaused_breach(
    sweep: _Sweep,
    rule: tuple[int, int, int],
    cal: tuple[str, Calendar],
    case: _Case,
    target_us: int,
) -> bool:
    """Whether the same clock without pauses would have reached ``target_us``."""
    clock = replace(sweep.clock(rule, cal), pause=frozenset())
    cycles = run_cycles(clock, case.steps)
    return _measure(clock, cycles, case.now).peak_us >= target_us


def _clock_yaml(variants: Variants, best: VariantResult, cases: Sequence[_Case]) -> str:
    """The best variant as a ``clocks:`` entry (and the calendars it declares) to paste into
    the policy; the ladder and scoped definitions are the policy's own, to keep."""
    si, ni, pi, ci, ti = best.order
    clock = variants.clock
    stop, pause = variants.stops[si], variants.pauses[pi]
    cal, targets = variants.calendars[ci], variants.targets[ti]
    priorities = sorted({_key(case.priority) for case in cases})
    written: dict[str, dict[str, str]] = {}
    if targets.durations is None:
        # The fitted targets, and the clock's own for the priorities the log gave no fit
        # (absent from the log), so that pasting the clock drops no priority's target.
        own = variants.targets[0].durations or {}
        texts = {p: d.text for p, d in own.items()} | dict(best.target_texts)
        for priority, text in sorted(texts.items()):
            found = cal.for_priority(None if priority == "default" else priority)
            if found is not None:
                written[priority] = {"within": text, "calendar": found[0]}
    else:
        for priority in sorted(set(targets.durations) | set(priorities)):
            p = None if priority == "default" else priority
            duration, found = targets.for_priority(p), cal.for_priority(p)
            if duration is not None and found is not None:
                written[priority] = {"within": duration.text, "calendar": found[0]}
    body: dict[str, object] = {"type": clock.type, "precedence": clock.precedence}
    start = [_trigger_yaml(t) for t in clock.start]
    body["start"] = start[0] if len(start) == 1 else start
    if pause.yaml is not None:
        body["pause"] = pause.yaml
    body["stop"] = stop.yaml
    new_cycle_on = variants.cycles[ni].events
    if new_cycle_on:
        body["new_cycle_on"] = sorted(new_cycle_on)
    body["on_priority_change"] = "restart" if clock.restart_on_priority_change else "retroactive"
    if clock.when is not None or clock.definitions:
        body["on_scope_change"] = "restart" if clock.restart_on_scope_change else "retroactive"
    body["targets"] = written
    document: dict[str, object] = {}
    if cal.declare:
        document["calendars"] = dict(cal.declare)
    document["clocks"] = {clock.name: body}
    text = yaml.safe_dump(document, sort_keys=False, default_flow_style=None, width=100)
    scoping = [
        key
        for key, present in (
            ("when", clock.when is not None),
            ("definitions", any(d.when is not None for d in clock.definitions)),
        )
        if present
    ]
    kept = [*scoping, *(["ladder"] if clock.ladder else []), "rationale (if any)"]
    note = (
        f"# calibrated: {best.name}, {best.agreement()}% agree with the log's verdict\n"
        f"# not written here, keep from your policy's clock: {', '.join(kept)}\n"
    )
    if scoping:
        note += (
            f"# measured without its {' and '.join(scoping)}: every incident counted against "
            "'targets'\n"
        )
    return note + text
