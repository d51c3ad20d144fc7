"""On-call schedules: rotations in layers, restrictions and overrides; who is on call when.

A :class:`Schedule` is compiled once from the mapping of a ``schedules.<name>`` entry in policy
YAML and then answers three questions about instants: who is on call (:meth:`Schedule.on_call`),
what the timeline looks like (:meth:`Schedule.shifts`, :meth:`Schedule.gaps`) and when the
answer next changes (:meth:`Schedule.next_handoff`).

Semantics (GoAlert's wall-clock hand-offs, PagerDuty's layers; docs/on-call.md says how each
anchor behaves and why these were chosen):

* **Hand-offs follow the wall clock** of the schedule's zone. Hand-off ``k`` is at the wall time
  ``anchor + k × turn``, computed on the naive wall clock: a ``1d`` or ``1w`` turn hands off at
  the same wall time every N days, a ``12h`` turn at 09:00 and 21:00 (so the turn that contains
  a DST switch lasts 11 or 13 real hours). A hand-off wall time that does not exist (spring
  forward) takes effect at the end of the gap; a repeated one (fall back) at its first
  occurrence. A ``1h`` turn whose hand-off lies in a one-hour gap therefore lasts no time at all
  and its member is not on call that day: every turn keeps its wall-clock slot, so the answer
  stays a function of the instant alone (GoAlert, which keeps a position counter, would hand
  that member the next slot instead and shift everyone after).
* **Turns never pause** (``advance: always``, the default). The member on call in a layer at
  ``t`` is ``members[k mod n]``, where ``k`` counts hand-offs since the anchor (negative
  before it), whatever the layer's restrictions and effective period: nobody is skipped or
  delayed by hours the layer is off. With ``advance: per-shift``, ``k`` counts only the
  turns whose wall-clock stretch meets the restrictions.
* **A layer has someone** at ``t`` iff ``effective_from <= t < effective_until`` (with
  ``until_mode: finish-turn``: until the end of the turn in progress at
  ``effective_until``), ``t``'s wall time lies in one of its ``restrictions`` (or in its
  ``window``), and its member is not ``null``. A layer's ``timezone`` replaces the
  schedule's for all of this.
* **The final answer** is the union of the overrides of the highest ``priority`` among those
  that cover ``t`` (in declaration order), or else the union of the layers of the highest
  ``level`` among those that have someone (in layer declaration order, then member order;
  duplicates removed). Overrides ignore restrictions. A turn whose member is ``null`` (nobody)
  leaves the layer without someone, like a restricted hour.

Round 2 (opt-in, docs/on-call.md): ``advance: per-shift`` (only turns that meet the
restrictions take a member: a closed-form count per period of the weekly pattern, never a walk),
monthly turns (``1mo``: the anchor's day of the month, clamped to the month's end), a time zone
per layer, member ``changes`` effective from an instant, ``until_mode: finish-turn`` and
override priorities.

Every instant is handled as integer microseconds (no floats); results are aware UTC datetimes.
"""

from __future__ import annotations

import bisect
import calendar as _gregorian
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from escalate._models import validate_model
from escalate.calendars._durations import parse_duration
from escalate.calendars._instants import (
    DAY_US,
    EPOCH_ORDINAL,
    HOUR_US,
    MAX_US,
    MIN_US,
    MINUTE_US,
    OUT_OF_RANGE,
    OffsetTable,
    from_us,
    load_zone,
    resolve_wall,
    to_us,
)
from escalate.calendars.calendar import parse_interval, parse_weekdays
from escalate.calendars.models import (
    NamedTimeIntervalModel,
    TimeIntervalModel,
    TimeWindowConfig,
    WeeklyTimes,
)
from escalate.calendars.timewindow import QUIET_DAYS, TimeWindow, _parse_clock
from escalate.errors import ArgumentError, ExportLimitError, InstantRangeError, PolicyError
from escalate.people.models import (
    LayerModel,
    OverrideModel,
    RotationChangeModel,
    RotationModel,
    ScheduleModel,
)

__all__ = ["Schedule", "Shift"]

Path = tuple[str | int, ...]

WEEK_US = 7 * DAY_US
# Wall-clock microseconds of Monday 1970-01-05 00:00: positions in the week count from Monday.
_MONDAY_WALL = 4 * DAY_US
# Bigger than any instant or wall time (stands in for "never").
_NEVER = 1 << 62
# Zone tables are built lazily, one per 2**45 µs (about 407 days) of instants.
_CHUNK_BITS = 45
# How long past the last dated boundary next_handoff looks for a change in a schedule whose
# pattern repeats (see Schedule.next_handoff): one DST year on top of the schedule's cycle.
_DST_YEAR_US = 400 * DAY_US
_QUIET_US = QUIET_DAYS * DAY_US
_MAX_ORDINAL = date.max.toordinal()
# The longest turn: ten years (87 600 hours, 120 months). next_handoff, last_handoff and
# repeats watch a quiet span of at most 40 years for the next change; a turn must fit in it
# many times over, so that every hand-off is seen (nobody has a decade-long turn).
MAX_TURN_HOURS = 87_600
MAX_TURN_MONTHS = 120


# --------------------------------------------------------------------------------------------
# Public values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shift:
    """A stretch ``[start, end)`` of the final timeline with one answer.

    ``people`` is who is on call (``()`` for a gap); ``source`` says why: the names of the layers
    on call together joined by ``+`` (``"primary"``, ``"primary+secondary"``), the overrides that
    cover the stretch as key paths (``"overrides[0]+overrides[2]"``), or ``""`` for a gap.
    ``start`` and ``end`` are aware UTC datetimes.
    """

    start: datetime
    end: datetime
    people: tuple[str, ...]
    source: str


# --------------------------------------------------------------------------------------------
# Compiled parts
# --------------------------------------------------------------------------------------------


class _Chunk:
    """The zone's offsets over one span of instants, with the wall clock's running maximum.

    ``runmax[i]`` is the latest wall time shown by any instant before segment ``i`` began (or
    ``-_NEVER``): after a fall-back the wall clock repeats an hour, and a hand-off wall time that
    was already reached stays reached. ``ends[i]`` is where segment ``i`` ends (a transition, or
    the end of the chunk).
    """

    __slots__ = ("ends", "offsets", "runmax", "starts")

    def __init__(self, zone: ZoneInfo, index: int) -> None:
        lo = index << _CHUNK_BITS
        hi = (index + 1) << _CHUNK_BITS
        # Two days of margin before the chunk: a fall-back shortly before it still counts.
        # The table samples a day beyond each end; a zone ahead of UTC (Pacific/Kiritimati,
        # +14h) would then ask for a wall time past 9999-12-31. Past its last sample the
        # last offset holds (the chunk's last segment runs to ``hi`` anyway).
        table = OffsetTable(
            zone, max(lo - DAY_US, MIN_US + DAY_US), max(min(hi, MAX_US - 3 * DAY_US), lo)
        )
        starts = list(table.starts)
        starts[0] = min(starts[0], lo)  # the first days of year 1 have no transition
        offsets = list(table.offsets)
        runmax = [-_NEVER]
        for i in range(1, len(starts)):
            runmax.append(max(runmax[-1], starts[i] - 1 + offsets[i - 1]))
        ends = [min(s, hi) for s in starts[1:]] + [hi]
        self.starts = starts
        self.offsets = offsets
        self.runmax = runmax
        self.ends = ends


Group = tuple[str, ...]
Groups = tuple[Group, ...]


class _Layer:
    """One compiled layer: its rotation on its zone's wall clock, its versions (member
    changes), its period and its restrictions.

    The hand-off grid: hand-off ``k`` is at wall time ``origin + k × turn`` (``turn`` in µs),
    or, for a monthly turn (``months > 0``), on the anchor's day of month ``k × months``
    months after the anchor's month (clamped to the month's last day), at the anchor's time of
    day. The turn counter of grid turn ``k`` is ``k`` (``advance: always``) or the number of
    turns before ``k`` (from turn 0, negative before it) that meet the restrictions
    (``per-shift``): ``prefix`` holds those counts over one period of the weekly pattern. From
    ``vstarts[v]`` on, turn counter ``c`` has member ``vgroups[v][(c - vbase[v]) mod n]``.
    """

    __slots__ = (
        "const",
        "edges",
        "eff_from",
        "eff_until",
        "groups",
        "level",
        "mentions",
        "months",
        "n",
        "name",
        "needs_wall",
        "o_day",
        "o_month",
        "o_tod",
        "origin",
        "per_shift",
        "prefix",
        "turn",
        "vbase",
        "vgroups",
        "vstarts",
        "window",
        "zi",
    )

    def __init__(
        self,
        *,
        name: str,
        level: int,
        zi: int,
        groups: Groups,
        turn: int,
        months: int,
        origin: int,
        eff_from: int,
        eff_until: int,
        edges: tuple[int, ...] | None,
        window: TimeWindow | None,
        per_shift: bool,
    ) -> None:
        self.name = name
        self.level = level
        self.zi = zi  # index of the layer's zone in the schedule's zones
        self.turn = turn  # wall-clock µs (0 for a monthly turn)
        self.months = months  # calendar months per turn (0 for a fixed turn)
        self.origin = origin  # wall-clock µs of hand-off 0
        day, tod = divmod(origin, DAY_US)
        anchor = date.fromordinal(day + EPOCH_ORDINAL)
        self.o_month = anchor.year * 12 + anchor.month - 1
        self.o_day = anchor.day
        self.o_tod = tod
        self.eff_from = eff_from
        self.eff_until = eff_until
        self.edges = edges  # sorted positions in the week (µs from Monday 00:00); odd = inside
        self.window = window
        self.per_shift = per_shift
        # Monthly turns (28 days or more) and turns of a week or more meet any restriction.
        counted = per_shift and edges is not None and 0 < turn < WEEK_US
        self.prefix = _active_prefix(edges, origin, turn) if counted else None
        self.vstarts: list[int] = [-_NEVER]
        self.vgroups: list[Groups] = [groups]
        self.vbase: list[int] = [0]
        # Per version: person id -> key path (below the layer) of its first mention, for lint.
        self.mentions: list[dict[str, tuple[str | int, ...]]] = [{}]
        self._settle_groups()

    def _settle_groups(self) -> None:
        self.groups = self.vgroups[-1]  # the members in force after the last change
        self.n = len(self.groups)
        first = self.vgroups[0][0]
        self.const = all(g == first for groups in self.vgroups for g in groups)
        # Whether the answer depends on the wall clock (else: only on effective bounds).
        self.needs_wall = self.edges is not None or not self.const

    def add_version(self, start: int, groups: Groups, keep: bool, reached: int) -> None:
        """Members ``groups`` from the instant ``start`` on (after every earlier version);
        ``reached`` is the wall time reached at ``start`` (see :class:`_Chunk`)."""
        c = self.counter(self.index(reached))
        p = 0
        if keep:
            old = self.vgroups[-1]
            current = old[(c - self.vbase[-1]) % len(old)]
            # Those on call who stay in the rotation stay on call, if they are one member
            # (a person or a group, in any order) of the new list; else the rotation restarts.
            staying = {person for g in groups for person in g}
            kept = frozenset(person for person in current if person in staying)
            if kept or not current:
                for i, g in enumerate(groups):
                    if frozenset(g) == kept:
                        p = i
                        break
        self.vstarts.append(start)
        self.vgroups.append(groups)
        self.vbase.append(c - p)
        self.mentions.append({})
        self._settle_groups()

    def index(self, reached: int) -> int:
        """The grid turn whose hand-off is the last at or before wall time ``reached``."""
        if not self.months:
            return (reached - self.origin) // self.turn
        ordinal = reached // DAY_US + EPOCH_ORDINAL
        if ordinal < 1:
            month = 11  # December of year 0: a wall clock behind UTC on 0001-01-01
        elif ordinal > _MAX_ORDINAL:
            month = 10_000 * 12  # January of year 10000: ahead of UTC on 9999-12-31
        else:
            day = date.fromordinal(ordinal)
            month = day.year * 12 + day.month - 1
        k = (month - self.o_month) // self.months
        return k - 1 if self.handoff(k) > reached else k

    def handoff(self, k: int) -> int:
        """The wall time of hand-off ``k`` (±``_NEVER`` outside years 1 to 9999)."""
        if not self.months:
            return self.origin + k * self.turn
        year, month0 = divmod(self.o_month + k * self.months, 12)
        if year < 1:
            return -_NEVER
        if year > 9999:
            return _NEVER
        last = _gregorian.monthrange(year, month0 + 1)[1]
        return _wall_us(date(year, month0 + 1, min(self.o_day, last)), self.o_tod)

    def counter(self, k: int) -> int:
        """The turn counter of grid turn ``k``: ``k``, or with ``per-shift`` the number of
        turns from turn 0 to ``k`` (excluded) that meet the restrictions. O(1)."""
        prefix = self.prefix
        if prefix is None:
            return k
        period = len(prefix) - 1
        q, r = divmod(k, period)
        return q * prefix[period] + prefix[r]

    def group(self, t: int, k: int) -> Group:
        """Who the rotation names at instant ``t`` in grid turn ``k``."""
        if self.const:
            return self.vgroups[0][0]
        v = bisect.bisect_right(self.vstarts, t) - 1
        groups = self.vgroups[v]
        return groups[(self.counter(k) - self.vbase[v]) % len(groups)]

    def period(self) -> int:
        """Wall-clock µs within which every member of every version has had a turn on the
        layer's hours (an upper bound): members (of the longest version) × turn, stretched to
        whole weeks of the restrictions (with ``per-shift``: × the turns of one period of the
        weekly pattern), monthly turns at 31 days a month; a ``window`` layer, whose hours
        follow no weekly pattern, adds a year (windows repeat yearly: holidays, months)."""
        n = max(len(groups) for groups in self.vgroups)
        if self.months:
            span = n * self.months * 31 * DAY_US
            return span + WEEK_US if self.edges is not None else span
        turns = n * (len(self.prefix) - 1 if self.prefix is not None else 1)
        span = turns * self.turn
        if self.window is not None:
            return span + 366 * DAY_US
        return math.lcm(span, WEEK_US) if self.edges is not None else span

    def next_version(self, t: int) -> int:
        """The first member change after ``t`` (``_NEVER``: none)."""
        v = bisect.bisect_right(self.vstarts, t)
        return self.vstarts[v] if v < len(self.vstarts) else _NEVER

    def key(self) -> tuple[object, ...]:
        return (
            self.name,
            self.level,
            self.zi,
            tuple(self.vgroups),
            tuple(self.vstarts),
            tuple(self.vbase),
            self.turn,
            self.months,
            self.origin,
            self.prefix,
            self.eff_from,
            self.eff_until,
            self.edges,
            self.window,
        )


def _active_prefix(edges: tuple[int, ...] | None, origin: int, turn: int) -> tuple[int, ...]:
    """How many of grid turns ``0 .. j-1`` meet the restricted hours, for ``j`` over one
    period of the weekly pattern (``WEEK / gcd(WEEK, turn)`` turns, at most 168 for whole
    hours): the arithmetic behind ``advance: per-shift``.

    >>> hour, day = 3_600_000_000, 86_400_000_000
    >>> weekdays = (0, 5 * day)  # Monday 00:00 to Saturday 00:00
    >>> _active_prefix(weekdays, 4 * day, day)  # daily turns from a Monday 00:00
    (0, 1, 2, 3, 4, 5, 5, 5)
    """
    period = WEEK_US // math.gcd(WEEK_US, turn)
    counts = [0]
    for j in range(period):
        start = (origin + j * turn - _MONDAY_WALL) % WEEK_US
        counts.append(counts[-1] + _meets(edges, start, turn))
    return tuple(counts)


def _meets(edges: tuple[int, ...] | None, start: int, length: int) -> bool:
    """Whether the wall-clock stretch ``[start, start + length)`` (a position in the week,
    running on past Sunday into the next weeks) shares time with the restricted hours.

    >>> day = 86_400_000_000
    >>> _meets((0, 5 * day), 5 * day, 2 * day), _meets((0, 5 * day), 6 * day, 2 * day)
    (False, True)
    """
    if edges is None or length >= WEEK_US:
        return True
    if bisect.bisect_right(edges, start) & 1:
        return True  # starts inside
    # Else it meets them iff an opening edge (even index) lies in (start, start + length).
    for i in range(0, len(edges), 2):
        opening = edges[i]
        if start < opening < start + length or start < opening + WEEK_US < start + length:
            return True
    return False


# --------------------------------------------------------------------------------------------
# The schedule
# --------------------------------------------------------------------------------------------


class Schedule:
    """A compiled on-call schedule. Immutable; safe to share between threads.

    Build one with :meth:`from_config`. The only state that changes after that is a cache of
    the zones' UTC offsets, filled lazily (about 407 days of instants per entry) and identical
    whichever thread fills it, so answers never depend on the order of calls.
    """

    __slots__ = (
        "_chunks",
        "_key",
        "_layers",
        "_ov_bounds",
        "_ov_people",
        "_ov_sources",
        "_quiet",
        "_settle",
        "_steady",
        "_tiers",
        "_zones",
        "people",
        "zone",
    )

    #: The schedule's zone (a layer may have its own, see ``timezone:`` of a layer).
    zone: ZoneInfo
    #: Every person id the schedule names (members and override people), sorted.
    people: tuple[str, ...]
    _layers: tuple[_Layer, ...]
    _tiers: tuple[tuple[_Layer, ...], ...]  # layers grouped by level, highest level first
    # Override segments: [_ov_bounds[j], _ov_bounds[j + 1]) has _ov_people[j] (None: no override)
    _ov_bounds: list[int]
    _ov_people: list[tuple[str, ...] | None]
    _ov_sources: list[str]
    _settle: int  # the last dated boundary (override or effective bound)
    _steady: bool  # provably constant once past _settle
    _quiet: int  # how long next_handoff looks past _settle before concluding "never"
    _zones: tuple[ZoneInfo, ...]  # the schedule's zone first, then the layers' own
    _chunks: dict[tuple[int, int], _Chunk]  # (zone index, chunk index) -> offsets
    _key: tuple[object, ...]

    def __new__(cls) -> Schedule:
        # An instance with no attributes set, for the builders below; a class method may not
        # call object.__new__ on a class mypyc compiles, so that call lives here.
        return object.__new__(cls)

    def __init__(self) -> None:
        raise ArgumentError("use Schedule.from_config(...) to build a Schedule")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Schedule is immutable")

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_config(cls, config: object, *, path: Sequence[str | int] = ()) -> Schedule:
        """Compile a schedule from its configuration mapping.

        ``path`` is where the mapping stands in the policy (``("schedules", "ops")``); error
        paths extend it. Raises :class:`~escalate.errors.PolicyError` naming the key path and
        value for unknown keys (with a suggestion), missing or malformed values, naive
        datetimes, duplicate layer names and overrides whose end is not after their start.

        >>> from datetime import UTC
        >>> s = Schedule.from_config({
        ...     "timezone": "Europe/Berlin",
        ...     "layers": [{"name": "primary", "level": 1, "rotation": {
        ...         "members": ["alice", "bob"], "turn": "1w", "handoff": "09:00",
        ...         "anchor": "2024-01-01"}}],
        ... })
        >>> s.on_call(datetime(2024, 1, 8, 7, 59, tzinfo=UTC))  # Monday 08:59 in Berlin
        ('alice',)
        >>> s.on_call(datetime(2024, 1, 8, 8, 0, tzinfo=UTC))
        ('bob',)
        >>> s.next_handoff(datetime(2024, 1, 8, 7, 59, tzinfo=UTC)).isoformat()
        '2024-01-08T08:00:00+00:00'
        """
        base: Path = tuple(path)
        if isinstance(config, ScheduleModel):
            model = config
        elif isinstance(config, Mapping):
            model = validate_model(ScheduleModel, config, path=base)
        else:
            raise PolicyError(f"a schedule must be a mapping, got {config!r}", path=base)
        zone = load_zone(model.timezone, (*base, "timezone"))
        zones = [zone]
        layers: list[_Layer] = []
        seen: dict[str, int] = {}
        for i, spec in enumerate(model.layers):
            layer = _compile_layer(spec, zones, (*base, "layers", i))
            if layer.name in seen:
                raise PolicyError(
                    f"duplicate layer name {layer.name!r} (also layers[{seen[layer.name]}]); "
                    "layer names must be unique within a schedule",
                    path=(*base, "layers", i, "name"),
                )
            seen[layer.name] = i
            layers.append(layer)
        overrides = [
            _compile_override(spec, (*base, "overrides", i))
            for i, spec in enumerate(model.overrides or ())
        ]
        return cls._build(tuple(zones), tuple(layers), overrides)

    @classmethod
    def _build(
        cls,
        zones: tuple[ZoneInfo, ...],
        layers: tuple[_Layer, ...],
        overrides: list[_Override],
    ) -> Schedule:
        self = cls.__new__(cls)
        object.__setattr__(self, "zone", zones[0])
        object.__setattr__(self, "_zones", zones)
        object.__setattr__(self, "_layers", layers)
        levels = sorted({layer.level for layer in layers}, reverse=True)
        tiers = tuple(tuple(la for la in layers if la.level == lv) for lv in levels)
        object.__setattr__(self, "_tiers", tiers)
        bounds, seg_people, seg_sources = _override_segments(overrides)
        object.__setattr__(self, "_ov_bounds", bounds)
        object.__setattr__(self, "_ov_people", seg_people)
        object.__setattr__(self, "_ov_sources", seg_sources)
        people: set[str] = set()
        for layer in layers:
            for groups in layer.vgroups:
                for group in groups:
                    people.update(group)
        for _, _, who, _ in overrides:
            people.update(who)
        object.__setattr__(self, "people", tuple(sorted(people)))
        dated = list(bounds)
        for layer in layers:
            dated += [b for b in (layer.eff_from, layer.eff_until) if abs(b) != _NEVER]
            dated += layer.vstarts[1:]
        object.__setattr__(self, "_settle", max(dated, default=-_NEVER))
        steady, quiet = _steady_state(layers)
        object.__setattr__(self, "_steady", steady)
        object.__setattr__(self, "_quiet", quiet)
        object.__setattr__(self, "_chunks", {})
        object.__setattr__(
            self,
            "_key",
            (tuple(z.key for z in zones), tuple(la.key() for la in layers), tuple(overrides)),
        )
        return self

    def __repr__(self) -> str:
        names = ",".join(layer.name for layer in self._layers)
        count = sum(p is not None for p in self._ov_people)
        return f"<Schedule {self.zone.key} layers={names} override-segments={count}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Schedule):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    # -- queries ------------------------------------------------------------------------------

    def on_call(self, at: datetime) -> tuple[str, ...]:
        """Who is on call at the instant ``at`` (``()`` when nobody is).

        ``at`` must be aware (a naive datetime raises
        :class:`~escalate.errors.NaiveDatetimeError`). The order is deterministic: overrides in
        declaration order, else layers in declaration order, each in member order; a person
        named twice appears once, at the first place.
        """
        t = to_us(at)
        bounds = self._ov_bounds
        if bounds:
            j = bisect.bisect_right(bounds, t) - 1
            if j >= 0:
                covered = self._ov_people[j]
                if covered is not None:
                    return covered
        clocks: dict[int, tuple[int, int, int, int]] = {}
        for tier in self._tiers:
            found: list[tuple[str, ...]] = []
            for layer in tier:
                if t < layer.eff_from or t >= layer.eff_until:
                    continue
                if layer.needs_wall:
                    clock = clocks.get(layer.zi)
                    if clock is None:
                        clock = clocks[layer.zi] = self._clock(layer.zi, t)
                    wall, reached = clock[0], clock[1]
                    edges = layer.edges
                    if (
                        edges is not None
                        and not bisect.bisect_right(edges, (wall - _MONDAY_WALL) % WEEK_US) & 1
                    ):
                        continue
                    group = layer.group(t, layer.index(reached))
                else:
                    group = layer.vgroups[0][0]
                if layer.window is not None and not layer.window.contains(at):
                    continue
                if group:
                    found.append(group)
            if found:
                if len(found) == 1:
                    return found[0]
                return tuple(dict.fromkeys(p for group in found for p in group))
        return ()

    def shifts(self, start: datetime, end: datetime) -> tuple[Shift, ...]:
        """The final timeline over ``[start, end)``, as consecutive shifts in UTC.

        The shifts tile the span exactly: the first starts at ``start``, the last ends at
        ``end``, gaps appear as shifts with ``people == ()``, and adjacent shifts with equal
        ``people`` and ``source`` are merged (so a boundary where only the source changes,
        say from an override of alice to alice's own turn, stays visible). ``()`` when
        ``start == end``; ``end < start`` raises :class:`~escalate.errors.InstantRangeError` (a
        ``ValueError``).
        """
        lo, hi = _span(start, end)
        starts, answers = self._timeline(lo, hi)
        return tuple(
            Shift(from_us(starts[i]), from_us(starts[i + 1]), people, source)
            for i, (people, source) in enumerate(answers)
        )

    def to_ical(self, start: datetime, end: datetime, *, name: str = "schedule") -> bytes:
        """The shifts of ``[start, end)`` with people, as an iCalendar (RFC 5545) document.

        One ``VEVENT`` per shift of :meth:`shifts` that has people (gaps are left out), in
        order, with ``DTSTART``/``DTEND`` in UTC, ``SUMMARY`` the people joined by ``", "``,
        and a ``UID`` made of the shift's start, its source and ``name`` (the schedule's name
        in the policy), so exporting again names the same shift the same way. The shift in
        progress at ``start`` keeps its true start (``DTSTART`` and ``UID``), found by looking
        back like :meth:`last_handoff`, so a rolling export ("from now on") names it as earlier
        exports did; the last shift ends at ``end``. ``DTSTAMP`` is
        the shift's start, never the clock: equal input gives equal bytes. Times are whole
        seconds in iCalendar: instants are rounded down to the second. Returns UTF-8 bytes
        with CRLF line ends (what a file or an HTTP response carries as is).

        Needs the ``icalendar`` package (the ``ical`` extra): without it,
        :class:`~escalate.errors.MissingExtraError`. A span whose timeline holds more than
        :data:`escalate.people.ical.MAX_EVENTS` shifts (gaps included) raises
        :class:`~escalate.errors.ExportLimitError` before anything is written; ask for
        shorter spans.
        """
        from escalate.people import ical

        ical.require()
        if not isinstance(name, str) or not name.strip() or "\n" in name or "\r" in name:
            raise ArgumentError(f"name must be a non-empty single line, got {name!r}")
        lo, hi = _span(start, end)
        starts, answers = self._timeline(lo, hi, ical.MAX_EVENTS)
        if answers and answers[0][0]:
            # The first shift shows its true start, not the export's: a rolling export ("from
            # now on") names and dates the shift in progress as every earlier export did.
            starts[0] = self._shift_start(lo)
        rows = [
            (from_us(starts[i]), from_us(starts[i + 1]), people, source)
            for i, (people, source) in enumerate(answers)
            if people
        ]
        return ical.render(rows, name=name)

    def full_round(self) -> timedelta:
        """How long the slowest layer takes to come round again: its members × turn, extended
        to whole weeks of its restrictions (with ``per-shift``, members × ``lcm(turn, week)``),
        plus a day for DST; monthly turns count 31 days a month, ``window`` layers nothing.

        Within any stretch this long, every member of a layer whose rotation and hours alone
        would ever put them on call is on call at least once (unless an override or a higher
        level hides them): lint's ``member-never-on-call`` looks at least this far ahead.
        """
        longest = max((layer.period() for layer in self._layers), default=0)
        # Clamped to the span of instants escalate computes with (a hostile but valid policy
        # can ask for more than a timedelta holds).
        return timedelta(microseconds=min(longest + DAY_US, MAX_US - MIN_US) if longest else 0)

    def unseen_members(
        self, start: datetime, end: datetime
    ) -> tuple[tuple[str, str, Path, bool], ...]:
        """The rotation members that are never on call through their layer in
        ``[start, end)``: ``(layer name, person id, key path of the member below the
        schedule, whether the layer's turns advance through restricted hours)`` in layer and
        member order; ``()`` for an empty span.

        A member counts for the layers (and member ``changes``) in force somewhere in the
        span; it is seen when the final timeline shows the layer's turn of that member
        (not hidden by an override or a higher level, not restricted out). This is what
        lint's ``member-never-on-call`` reports: typically turns that always fall on
        restricted hours (``advance: always`` with 7 members, daily turns and weekday
        restrictions leaves two members out for ever).
        """
        lo, hi = _span(start, end)
        if lo == hi:
            return ()
        spans = {layer.name: (lo, hi) for layer in self._layers}
        return tuple(
            (name, pid, where, masked)
            for name, pid, where, masked, _, _ in self._unseen(
                spans, lambda layer, v_lo, v_hi: v_hi > lo and v_lo < hi
            )
        )

    def never_on_call(
        self, as_of: datetime, horizon: timedelta, cap: timedelta
    ) -> tuple[tuple[str, str, Path, bool, datetime, datetime], ...]:
        """Lint's ``member-never-on-call``: the members never on call through their layer
        although a whole round of the layer lies in the look-ahead, as ``(layer name, person
        id, key path, masked, span start, span end)`` (see :meth:`unseen_members`).

        Each layer is judged over its own span: from ``as_of`` or its ``effective_from``,
        whichever is later, for ``horizon`` or one round of the layer (:meth:`full_round`'s
        rule for that layer alone), whichever is longer, stretched to a whole round after
        every member change that starts in it, cut at its ``effective_until`` and at ``cap``
        after ``as_of``. A layer that takes effect only after ``as_of`` plus that look-ahead
        is not judged; a member is judged only when a version of the members that names it
        is in force for a whole round within the span (so a layer that ends, or members that
        change, before their turns could come round report nobody).
        """
        lo = to_us(as_of, "as_of")
        if not MIN_US <= lo <= MAX_US:
            raise InstantRangeError(f"as_of {as_of.isoformat()} {OUT_OF_RANGE}")
        ahead_us = max(horizon // timedelta(microseconds=1), 0)
        cap_us = min(lo + cap // timedelta(microseconds=1), MAX_US)
        if not ahead_us:
            return ()
        spans: dict[str, tuple[int, int]] = {}
        rounds: dict[str, int] = {}
        for layer in self._layers:
            rnd = min(layer.period() + DAY_US, MAX_US - MIN_US)
            ahead = max(ahead_us, rnd)
            first = max(lo, layer.eff_from)
            if first >= min(lo + ahead, cap_us):
                continue
            last = first + ahead
            for vs in layer.vstarts[1:]:
                if first < vs < last:
                    last = max(last, vs + rnd)
            spans[layer.name] = (first, min(last, cap_us, layer.eff_until))
            rounds[layer.name] = rnd

        def judged(layer: _Layer, v_lo: int, v_hi: int) -> bool:
            first, last = spans[layer.name]
            return min(v_hi, last) - max(v_lo, first) >= rounds[layer.name]

        return tuple(self._unseen(spans, judged))

    def _unseen(
        self,
        spans: dict[str, tuple[int, int]],
        judged: Callable[[_Layer, int, int], bool],
    ) -> list[tuple[str, str, Path, bool, datetime, datetime]]:
        """The members of the layers in ``spans`` (layer name -> ``[lo, hi)``) never on call
        through their layer in its span, among the versions that ``judged`` accepts."""
        seen: dict[str, set[str]] = {name: set() for name in spans}
        by_name = {layer.name: layer for layer in self._layers}
        spans = {name: (lo, hi) for name, (lo, hi) in spans.items() if lo < hi}
        if not spans:
            return []
        t = min(lo for lo, _ in spans.values())
        end = max(hi for _, hi in spans.values())
        while t < end:
            people, source, nxt = self._piece(t)
            if people and not source.startswith("overrides["):
                for name in source.split("+"):
                    if name not in spans:
                        continue
                    s_lo, s_hi = spans[name]
                    if not (t < s_hi and min(nxt, end) > s_lo):
                        continue
                    layer = by_name[name]
                    if layer.const:
                        seen[name].update(layer.vgroups[0][0])
                    else:
                        reached = self._clock(layer.zi, t)[1]
                        seen[name].update(layer.group(t, layer.index(reached)))
            t = min(nxt, end)
        out: list[tuple[str, str, Path, bool, datetime, datetime]] = []
        for i, layer in enumerate(self._layers):
            if layer.name not in spans:
                continue
            lo, hi = spans[layer.name]
            named: dict[str, Path] = {}
            for v, mentions in enumerate(layer.mentions):
                until = layer.vstarts[v + 1] if v + 1 < len(layer.vstarts) else _NEVER
                if judged(
                    layer, max(layer.vstarts[v], layer.eff_from), min(until, layer.eff_until)
                ):
                    for pid, where in mentions.items():
                        named.setdefault(pid, where)
            # Only then does advance: per-shift help: turns shorter than a week with restrictions
            # (a window admits no per-shift; longer turns meet every restriction anyway).
            masked = not layer.per_shift and layer.edges is not None and 0 < layer.turn < WEEK_US
            out += [
                (layer.name, pid, ("layers", i, *where), masked, from_us(lo), from_us(hi))
                for pid, where in named.items()
                if pid not in seen[layer.name]
            ]
        return out

    def gaps(self, start: datetime, end: datetime) -> tuple[Shift, ...]:
        """The stretches of ``[start, end)`` where nobody is on call (the empty shifts)."""
        return tuple(s for s in self.shifts(start, end) if not s.people)

    def next_handoff(self, after: datetime) -> datetime | None:
        """The earliest instant strictly after ``after`` at which :meth:`on_call` changes.

        ``None`` when the answer never changes again. Only the people count: a change of
        source alone (an override naming whoever was on call anyway) is not a hand-off.

        The search walks the schedule's own boundaries (hand-offs, restriction edges, effective
        bounds, override edges, UTC offset changes, window changes) in order, so an instant it
        returns is exact and no earlier change is skipped. ``None`` is concluded either from
        the structure (past the last override and effective bound, every layer at or above the
        highest always-on level names the same people and never rotates) or after a quiet span
        past the last dated boundary: one full cycle of the schedule (the least common multiple
        of the week and of every rotation's members × turn) plus 400 days, so that a whole year
        of DST transitions is seen too, capped at :data:`~escalate.calendars.timewindow.QUIET_DAYS`
        (40 years); with a ``window:`` layer the span is that cap. A first change later than
        that would need a rotation cycle longer than 40 years, or a hand-off inside a repeated
        (fall-back) hour that shows a combination the first year did not.
        """
        t0 = to_us(after, "after")
        people0, _, t = self._piece(t0)
        if self._steady and t0 >= self._settle:
            return None
        limit = max(t0, self._settle) + self._quiet
        while t < MAX_US:
            people, _, nxt = self._piece(t)
            if people != people0:
                return from_us(t)
            if (self._steady and t >= self._settle) or t > limit:
                return None
            t = nxt
        return None

    def last_handoff(self, after: datetime, until: datetime) -> datetime | None:
        """The latest instant in ``(after, until]`` at which :meth:`on_call` changes, or ``None``.

        The cost depends on how recently the answer changed, not on how far apart ``after``
        and ``until`` are: the search looks back from ``until`` over windows that double in
        length (a day, two days, four …), walking each forwards with the exact boundary walk
        of :meth:`next_handoff`, and stops at the first window that holds a change. Past the
        last dated boundary (overrides, effective bounds) the schedule repeats, so a quiet
        stretch there as long as :meth:`next_handoff`'s quiet span proves that nothing changed
        since that boundary, and the search jumps to it.
        """
        lo, hi = to_us(after, "after"), to_us(until, "until")
        settle = self._settle
        if self._steady and hi > settle:
            hi = settle  # provably constant after the last dated boundary
        span = DAY_US
        while lo < hi:
            start = max(lo, hi - span)
            found = self._last_change(start, hi)
            if found is not None:
                return from_us(found)
            if start >= settle and hi - start >= self._quiet:
                hi = settle  # a whole quiet span unchanged: the same since the last boundary
                span = DAY_US
                continue
            if start == lo:
                return None
            span *= 2
        return None

    def repeats(self) -> tuple[datetime | None, timedelta]:
        """``(since, span)``: from ``since`` on (``None``: always) :meth:`on_call` repeats, and
        any stretch of ``span`` after ``since`` shows every answer it will ever give again.

        ``since`` is the last dated boundary (an override or an effective bound); ``span`` is
        the quiet span :meth:`next_handoff` watches (one full cycle plus a year of DST
        changes, at most 40 years). A walk that has seen a whole ``span`` past ``since`` can
        stop instead of going on through hand-offs.
        """
        since = None if self._settle <= MIN_US else from_us(self._settle)
        return since, timedelta(microseconds=self._quiet)

    def rotation_period(self, at: datetime) -> int | None:
        """How many hand-offs the answers take to come round again from ``at`` on, when the
        schedule is then one plain rotation: after ``at`` there is no override and no effective
        bound left, and it has one layer without restrictions or window. Its people follow the
        members in order then, whatever the calendar (DST moves a hand-off's UTC instant, not
        whose turn it is), so any ``n + 1`` consecutive answers from ``at`` on show every answer
        it will ever give. ``None`` for any other schedule.
        """
        if len(self._layers) != 1 or to_us(at, "at") < self._settle:
            return None
        layer = self._layers[0]
        if layer.edges is not None or layer.window is not None:
            return None
        return 1 if layer.const or to_us(at) >= layer.eff_until else layer.n

    # -- internals ----------------------------------------------------------------------------

    def _timeline(
        self, lo: int, hi: int, limit: int | None = None
    ) -> tuple[list[int], list[tuple[tuple[str, ...], str]]]:
        """Shift starts (and ``hi``) and answers over ``[lo, hi)``; with ``limit``, more than
        that many shifts (or eight times as many boundaries looked at) is an
        :class:`~escalate.errors.ExportLimitError`."""
        starts: list[int] = []
        answers: list[tuple[tuple[str, ...], str]] = []
        t = lo
        steps = 0
        while t < hi:
            people, source, nxt = self._piece(t)
            if not answers or answers[-1] != (people, source):
                starts.append(t)
                answers.append((people, source))
            t = min(nxt, hi)
            steps += 1
            if limit is not None and (len(answers) > limit or steps > 8 * limit):
                raise ExportLimitError(
                    f"{from_us(lo).isoformat()} to {from_us(hi).isoformat()} holds more than "
                    f"{limit} shifts, more than one export may hold; export shorter spans"
                )
        starts.append(hi)
        return starts, answers

    def _shift_start(self, t: int) -> int:
        """Where the shift in progress at ``t`` began: the last instant at or before ``t`` at
        which the people or the source changed (``MIN_US`` when they never did).

        Looks back over windows that double in length, like :meth:`last_handoff`; past the
        last dated boundary a whole quiet span without a change proves that the shift began
        at or before that boundary, and the search goes on from there."""
        hi = t
        span = DAY_US
        while True:
            start = max(MIN_US, hi - span)
            people, source, u = self._piece(start)
            prev = (people, source)
            found = None
            while u <= hi:
                people, source, nxt = self._piece(u)
                if (people, source) != prev:
                    found, prev = u, (people, source)
                u = nxt
            if found is not None:
                return found
            if start <= MIN_US:
                return MIN_US
            if start >= self._settle and hi - start >= self._quiet:
                hi = self._settle
                span = DAY_US
                continue
            span *= 2

    def _last_change(self, lo: int, hi: int) -> int | None:
        """The last instant in ``(lo, hi]`` at which the people on call change (µs)."""
        people0, _, t = self._piece(lo)
        last = None
        while t <= hi:
            people, _, nxt = self._piece(t)
            if people != people0:
                last, people0 = t, people
            t = nxt
        return last

    def _chunk(self, t: int, zi: int = 0) -> _Chunk:
        index = t >> _CHUNK_BITS
        chunk = self._chunks.get((zi, index))
        if chunk is None:
            # Racing threads build equal chunks; whichever lands last is as good as the other.
            chunk = _Chunk(self._zones[zi], index)
            self._chunks[(zi, index)] = chunk
        return chunk

    def _piece(self, t: int) -> tuple[tuple[str, ...], str, int]:
        """Who is on call from ``t``, why, and the first instant after ``t`` where that may
        change (a boundary of something that matters; the answer may turn out the same)."""
        end = _NEVER
        bounds = self._ov_bounds
        j = bisect.bisect_right(bounds, t) - 1
        if j + 1 < len(bounds):
            end = bounds[j + 1]
        if j >= 0:
            covered = self._ov_people[j]
            if covered is not None:
                return covered, self._ov_sources[j], end
        clocks: dict[int, tuple[int, int, int, int]] = {}
        at: datetime | None = None
        for tier in self._tiers:
            found: list[tuple[_Layer, tuple[str, ...]]] = []
            for layer in tier:
                if t < layer.eff_from:
                    end = min(end, layer.eff_from)
                    continue
                if t >= layer.eff_until:
                    continue
                end = min(end, layer.eff_until)
                off = wall = reached = 0
                if layer.needs_wall:
                    # The wall clock is linear up to the next offset change (or the end of
                    # the chunk): the answer is looked at again there.
                    clock = clocks.get(layer.zi)
                    if clock is None:
                        clock = clocks[layer.zi] = self._clock(layer.zi, t)
                    wall, reached, off, seg_end = clock
                    end = min(end, seg_end)
                edges = layer.edges
                if edges is not None:
                    pos = (wall - _MONDAY_WALL) % WEEK_US
                    idx = bisect.bisect_right(edges, pos)
                    edge = edges[idx] if idx < len(edges) else edges[0] + WEEK_US
                    end = min(end, t + edge - pos)
                    if not idx & 1:
                        continue
                elif layer.window is not None:
                    if at is None:
                        at = from_us(t)
                    change = layer.window.next_change(at)
                    if change is not None:
                        end = min(end, to_us(change))
                    if not layer.window.contains(at):
                        continue
                if layer.const:
                    group = layer.vgroups[0][0]
                else:
                    k = layer.index(reached)
                    # The wall clock reaches the next hand-off here, unless the offset
                    # changes first (then the segment end above stands in and we look again
                    # there); a member change (a new version) is a boundary too.
                    end = min(end, layer.handoff(k + 1) - off, layer.next_version(t))
                    group = layer.group(t, k)
                if group:
                    found.append((layer, group))
            if found:
                if len(found) == 1:
                    return found[0][1], found[0][0].name, end
                people = tuple(dict.fromkeys(p for _, group in found for p in group))
                return people, "+".join(layer.name for layer, _ in found), end
        return (), "", end

    def _clock(self, zi: int, t: int) -> tuple[int, int, int, int]:
        """``(wall, reached, offset, segment end)`` of instant ``t`` in zone ``zi``: its wall
        time, the latest wall time reached so far (see :class:`_Chunk`), the UTC offset, and
        where that offset ends."""
        chunk = self._chunks.get((zi, t >> _CHUNK_BITS))
        if chunk is None:
            chunk = self._chunk(t, zi)
        i = bisect.bisect_right(chunk.starts, t) - 1
        off = chunk.offsets[i]
        wall = t + off
        return wall, max(wall, chunk.runmax[i]), off, chunk.ends[i]


# --------------------------------------------------------------------------------------------
# Compilation helpers
# --------------------------------------------------------------------------------------------


def _span(start: datetime, end: datetime) -> tuple[int, int]:
    lo, hi = to_us(start, "start"), to_us(end, "end")
    for what, at, us in (("start", start, lo), ("end", end, hi)):
        if not MIN_US <= us <= MAX_US:
            raise InstantRangeError(f"{what} {at.isoformat()} {OUT_OF_RANGE}")
    if hi < lo:
        raise InstantRangeError(f"end {end.isoformat()} is before start {start.isoformat()}")
    return lo, hi


def _person(value: object, path: Path) -> str:
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise PolicyError(
            f"a person id must be a non-empty string without surrounding spaces, got {value!r}",
            path=path,
        )
    return value


def _members(value: Sequence[str | list[str] | None], path: Path) -> Groups:
    """Rotation members: person ids, lists of person ids on call together, or ``None`` (YAML
    ``null``) for a turn nobody covers (the empty group).

    >>> _members(["alice", ["carol", "dave"], None], ())
    (('alice',), ('carol', 'dave'), ())
    """
    groups: list[Group] = []
    for i, item in enumerate(value):
        if item is None:
            groups.append(())
        elif isinstance(item, list):
            if not item:
                raise PolicyError(
                    "a group of members is empty; write null for a turn nobody covers",
                    path=(*path, i),
                )
            group = tuple(_person(p, (*path, i, j)) for j, p in enumerate(item))
            for j, p in enumerate(group):
                if p in group[:j]:
                    raise PolicyError(f"{p!r} appears twice in the same group", path=(*path, i, j))
            groups.append(group)
        else:
            groups.append((_person(item, (*path, i)),))
    return tuple(groups)


def _turn(value: object, path: Path) -> tuple[int, int]:
    """The turn length: wall-clock microseconds (whole hours, days or weeks) and calendar
    months; exactly one of the two is non-zero.

    >>> _turn("12h", ())[0] // 3_600_000_000, _turn("1w", ())[0] // 3_600_000_000
    (12, 168)
    >>> _turn("3mo", ())
    (0, 3)
    """
    hint = "a turn is whole hours, days or weeks, or calendar months, like '8h', '1d', '1w', '1mo'"
    try:
        duration = parse_duration(value, path, allow_business_days=False, allow_months=True)
    except PolicyError as err:
        raise PolicyError(f"{hint}; got {value!r}", path=path) from err
    if duration.is_months:
        if duration.months > MAX_TURN_MONTHS:
            raise PolicyError(
                f"a turn is at most {MAX_TURN_MONTHS} months (ten years); got {value!r}",
                path=path,
            )
        return 0, duration.months
    us = duration.delta // timedelta(microseconds=1)
    if us % HOUR_US or us <= 0:
        raise PolicyError(f"{hint}; got {value!r}, which is not whole hours", path=path)
    if us > MAX_TURN_HOURS * HOUR_US:
        raise PolicyError(
            f"a turn is at most {MAX_TURN_HOURS}h (ten years of 365 days); got {value!r}",
            path=path,
        )
    return us, 0


def _instant(value: object, path: Path) -> int:
    """An aware instant from YAML (a datetime with an offset, or an ISO string with one)."""
    example = "an aware date and time like '2024-06-03T09:00:00+02:00'"
    at = value
    if isinstance(value, str) and len(value) == 10:
        raise PolicyError(
            f"expected {example}, got the date {value!r} (which zone's midnight?)", path=path
        )
    if isinstance(value, str):
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            raise PolicyError(f"expected {example}, got {value!r}", path=path) from None
    if not isinstance(at, datetime):
        if isinstance(at, date):
            raise PolicyError(
                f"expected {example}, got the date {at.isoformat()} (which zone's midnight?)",
                path=path,
            )
        raise PolicyError(f"expected {example}, got {value!r}", path=path)
    if at.utcoffset() is None:
        raise PolicyError(
            f"{at.isoformat()} has no time zone; write its UTC offset, e.g. "
            f"'{at.isoformat()}+00:00' (escalate never guesses)",
            path=path,
        )
    return to_us(at)


def _wall_us(day: date, us_of_day: int) -> int:
    return (day.toordinal() - EPOCH_ORDINAL) * DAY_US + us_of_day


def _origin(rotation: RotationModel, zone: ZoneInfo, path: Path) -> int:
    """Wall-clock microseconds of hand-off 0 (anchor date + handoff, in the zone)."""
    anchor: object = rotation.anchor
    handoff_us: int | None = None
    if rotation.handoff is not None:
        minute = _parse_clock(rotation.handoff, (*path, "handoff"))
        if minute >= 1440:
            raise PolicyError(
                "handoff 24:00 is the next day's 00:00; write 00:00", path=(*path, "handoff")
            )
        handoff_us = minute * MINUTE_US
    anchor_path = (*path, "anchor")
    if isinstance(anchor, str):
        try:
            anchor = (
                date.fromisoformat(anchor) if len(anchor) == 10 else datetime.fromisoformat(anchor)
            )
        except ValueError:
            raise PolicyError(
                f"anchor must be a date like 2024-01-01 or an aware date and time like "
                f"'2024-01-01T09:00:00+01:00', got {anchor!r}",
                path=anchor_path,
            ) from None
    if isinstance(anchor, datetime):
        if anchor.utcoffset() is None:
            raise PolicyError(
                f"anchor {anchor.isoformat()} has no time zone; give a date (2024-01-01) and a "
                f"handoff, or write the UTC offset (escalate never guesses)",
                path=anchor_path,
            )
        local = anchor.astimezone(zone)
        of_day = (
            (local.hour * 60 + local.minute) * MINUTE_US
            + local.second * 1_000_000
            + local.microsecond
        )
        if handoff_us is not None and handoff_us != of_day:
            raise PolicyError(
                f"anchor {anchor.isoformat()} is {local.time().isoformat()} in {zone.key} but "
                f"handoff is {rotation.handoff!r}; give the anchor as a date, or drop handoff",
                path=anchor_path,
            )
        return _wall_us(local.date(), of_day)
    assert isinstance(anchor, date)  # the model admits dates, datetimes and text
    return _wall_us(anchor, handoff_us or 0)


def _restriction_edges(value: Sequence[WeeklyTimes], path: Path) -> tuple[int, ...] | None:
    """Sorted edges of the restricted wall-clock time, as µs from Monday 00:00.

    Position ``p`` in the week is inside iff ``bisect_right(edges, p)`` is odd. ``None`` when
    the restrictions cover the whole week (the layer is never restricted).

    >>> hour = 3_600_000_000
    >>> sunday_night = WeeklyTimes(days="sun", time="22:00-06:00")
    >>> [e // hour for e in _restriction_edges([sunday_night], ())]
    [0, 6, 166, 168]
    """
    if not value:
        raise PolicyError(
            "restrictions must be a non-empty list of {days, time} "
            f"(omit the key for a layer without restrictions), got {value!r}",
            path=path,
        )
    spans: list[tuple[int, int]] = []
    for i, item in enumerate(value):
        item_path = (*path, i)
        if item.days is None and item.time is None:
            raise PolicyError("a restriction needs days, time or both", path=item_path)
        days = (
            parse_weekdays(item.days, (*item_path, "days"))
            if item.days is not None
            else list(range(7))
        )
        start, end = (
            parse_interval(item.time, (*item_path, "time")) if item.time is not None else (0, 1440)
        )
        for day in days:
            lo = (day * 1440 + start) * MINUTE_US
            hi = (day * 1440 + end) * MINUTE_US
            if hi > WEEK_US:  # Sunday night runs into Monday
                spans += [(lo, WEEK_US), (0, hi - WEEK_US)]
            else:
                spans.append((lo, hi))
    merged: list[list[int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    if merged == [[0, WEEK_US]]:
        return None
    return tuple(edge for span in merged for edge in span)


def _with_location(config: TimeWindowConfig, zone: ZoneInfo) -> TimeWindowConfig:
    """A window configuration whose entries without ``location`` use the schedule's zone."""

    def entry(item: TimeIntervalModel) -> TimeIntervalModel:
        if item.location is None:
            return item.model_copy(update={"location": zone.key})
        return item

    if isinstance(config, NamedTimeIntervalModel):
        return config.model_copy(
            update={"time_intervals": [entry(item) for item in config.time_intervals]}
        )
    if isinstance(config, list):
        return [entry(item) for item in config]
    return entry(config)


def _compile_layer(spec: LayerModel, zones: list[ZoneInfo], path: Path) -> _Layer:
    """Compile one layer; a ``timezone`` of its own is appended to ``zones`` (index 0 is the
    schedule's zone) unless already there."""
    rot_path = (*path, "rotation")
    rotation = spec.rotation
    zone = zones[0]
    if spec.timezone is not None:
        zone = load_zone(spec.timezone, (*path, "timezone"))
        if zone.key not in [z.key for z in zones]:
            zones.append(zone)
    zi = [z.key for z in zones].index(zone.key)
    groups = _members(rotation.members, (*rot_path, "members"))
    turn, months = _turn(rotation.turn, (*rot_path, "turn"))
    origin = _origin(rotation, zone, rot_path)
    eff_from, eff_until = -_NEVER, _NEVER
    if spec.effective_from is not None:
        eff_from = _instant(spec.effective_from, (*path, "effective_from"))
    if spec.effective_until is not None:
        eff_until = _instant(spec.effective_until, (*path, "effective_until"))
        if eff_until <= eff_from:
            raise PolicyError(
                f"effective_until {spec.effective_until!s} is not after effective_from "
                f"{spec.effective_from!s}",
                path=(*path, "effective_until"),
            )
    given = spec.model_fields_set
    if "until_mode" in given and spec.effective_until is None:
        raise PolicyError(
            "until_mode says how effective_until ends the layer, and there is no effective_until",
            path=(*path, "until_mode"),
        )
    if "restrictions" in given and "window" in given:
        raise PolicyError("give either restrictions or window, not both", path=(*path, "window"))
    for key in ("restrictions", "window"):
        if key in given and getattr(spec, key) is None:
            raise PolicyError(
                f"{key} is empty (null); omit the key for a layer on call all week",
                path=(*path, key),
            )
    edges: tuple[int, ...] | None = None
    window: TimeWindow | None = None
    if spec.restrictions is not None:
        edges = _restriction_edges(spec.restrictions, (*path, "restrictions"))
    elif spec.window is not None:
        if rotation.advance == "per-shift":
            raise PolicyError(
                "advance: per-shift counts the turns that meet the layer's weekly "
                "restrictions; a window (holidays, months) has no weekly pattern to count: "
                "use restrictions, or advance: always",
                path=(*rot_path, "advance"),
            )
        window = TimeWindow.from_config(_with_location(spec.window, zone), path=(*path, "window"))
        if window == TimeWindow.always():
            window = None
    layer = _Layer(
        name=spec.name,
        level=spec.level,
        zi=zi,
        groups=groups,
        turn=turn,
        months=months,
        origin=origin,
        eff_from=eff_from,
        eff_until=eff_until,
        edges=edges,
        window=window,
        per_shift=rotation.advance == "per-shift",
    )
    _mention(layer, rotation.members, ("rotation", "members"))
    for i, change in enumerate(rotation.changes or ()):
        _add_change(layer, change, zone, (*rot_path, "changes", i))
    if spec.until_mode == "finish-turn" and eff_until != _NEVER:
        layer.eff_until = _turn_end(layer, zone, eff_until)
    return layer


def _mention(layer: _Layer, members: Sequence[object], where: tuple[str | int, ...]) -> None:
    """Record where each person of ``members`` is first named in the layer (for lint)."""
    for i, item in enumerate(members):
        for j, pid in enumerate(item if isinstance(item, list) else [item]):
            if isinstance(pid, str):
                sub = (*where, i, j) if isinstance(item, list) else (*where, i)
                layer.mentions[-1].setdefault(pid, sub)


def _add_change(layer: _Layer, change: RotationChangeModel, zone: ZoneInfo, path: Path) -> None:
    start = _instant(change.effective_from, (*path, "effective_from"))
    if start <= layer.vstarts[-1]:
        raise PolicyError(
            f"changes must be in time order: effective_from {change.effective_from!s} is not "
            "after the previous change's",
            path=(*path, "effective_from"),
        )
    groups = _members(change.members, (*path, "members"))
    layer.add_version(start, groups, change.position == "keep", _reached(zone, start))
    _mention(layer, change.members, (*path[-3:], "members"))


def _reached(zone: ZoneInfo, t: int) -> int:
    """The latest wall time zone ``zone`` has shown up to instant ``t`` (compile time only)."""
    chunk = _Chunk(zone, t >> _CHUNK_BITS)
    i = bisect.bisect_right(chunk.starts, t) - 1
    return max(t + chunk.offsets[i], chunk.runmax[i])


def _turn_end(layer: _Layer, zone: ZoneInfo, until: int) -> int:
    """``until_mode: finish-turn``: the end of the turn in progress at ``until`` (``until``
    itself when a turn starts exactly then)."""
    k = layer.index(_reached(zone, until))
    if _instant_of_wall(layer.handoff(k), zone) == until:
        return until
    return _instant_of_wall(layer.handoff(k + 1), zone)


def _instant_of_wall(wall: int, zone: ZoneInfo) -> int:
    """The instant a hand-off at wall time ``wall`` takes effect (``resolve_wall``'s rule);
    ±``_NEVER`` outside the instants escalate computes with."""
    if wall >= MAX_US + 2 * DAY_US:
        return _NEVER
    if wall <= MIN_US - 2 * DAY_US:
        return -_NEVER
    try:
        at = to_us(resolve_wall(from_us(wall).replace(tzinfo=None), zone))
    except (OverflowError, ValueError, InstantRangeError):
        return _NEVER if wall > 0 else -_NEVER
    return at if MIN_US <= at <= MAX_US else (_NEVER if at > 0 else -_NEVER)


_Override = tuple[int, int, tuple[str, ...], int]  # start, end, people, priority


def _compile_override(spec: OverrideModel, path: Path) -> _Override:
    start = _instant(spec.start, (*path, "start"))
    end = _instant(spec.end, (*path, "end"))
    if end <= start:
        raise PolicyError(
            f"end {spec.end!s} is not after start {spec.start!s} (an override covers [start, end))",
            path=(*path, "end"),
        )
    who = tuple(_person(p, (*path, "people", i)) for i, p in enumerate(spec.people))
    return start, end, tuple(dict.fromkeys(who)), spec.priority


def _override_segments(
    overrides: list[_Override],
) -> tuple[list[int], list[tuple[str, ...] | None], list[str]]:
    """Cut the overrides into disjoint segments, each with the union of those of the highest
    priority covering it.

    >>> _override_segments([(0, 10, ("a",), 0), (5, 20, ("b", "a"), 0)])
    ([0, 5, 10, 20], [('a',), ('a', 'b'), ('b', 'a'), None], ['overrides[0]', \
'overrides[0]+overrides[1]', 'overrides[1]', ''])
    >>> _override_segments([(0, 10, ("a",), 0), (5, 20, ("b",), 1)])[1]
    [('a',), ('b',), ('b',), None]
    """
    bounds = sorted({b for start, end, _, _ in overrides for b in (start, end)})
    people: list[tuple[str, ...] | None] = []
    sources: list[str] = []
    for lo in bounds:
        covering = [i for i, (s, e, _, _) in enumerate(overrides) if s <= lo < e]
        if covering:
            top = max(overrides[i][3] for i in covering)
            covering = [i for i in covering if overrides[i][3] == top]
            people.append(tuple(dict.fromkeys(p for i in covering for p in overrides[i][2])))
            sources.append("+".join(f"overrides[{i}]" for i in covering))
        else:
            people.append(None)
            sources.append("")
    return bounds, people, sources


def _steady_state(layers: Sequence[_Layer]) -> tuple[bool, int]:
    """Whether the schedule is provably constant past its last dated boundary, and how long
    next_handoff watches a repeating pattern before it concludes that nothing changes."""
    # Past the last dated boundary, a layer whose members are all nobody never has someone.
    live = [la for la in layers if la.eff_until == _NEVER and any(la.groups)]
    steady_groups = [la for la in live if all(la.groups)]
    always = [la.level for la in steady_groups if la.edges is None and la.window is None]
    steady = not live
    if always:
        top = max(always)
        ruling = [la for la in live if la.level >= top]
        first = ruling[0].groups[0]
        steady = all(len(set(la.groups)) == 1 and la.groups[0] == first for la in ruling)
    if live and not steady:
        # Or: the first layer of the highest level is always on with one group G, and every
        # other layer of that level names only people of G (or nobody): whatever they do,
        # the union is G in G's order (a base layer plus restricted or monthly helpers).
        top_tier = [la for la in live if la.level == max(x.level for x in live)]
        base = top_tier[0]
        always_on = base in steady_groups and base.edges is None and base.window is None
        if always_on and len(set(base.groups)) == 1:
            people = set(base.groups[0])
            steady = all(person in people for la in top_tier[1:] for g in la.groups for person in g)
    if any(la.window is not None or la.months for la in live):
        # A window, or monthly hand-offs, have no short exact period: watch the whole cap.
        return steady, _QUIET_US
    cycle = WEEK_US if any(la.edges is not None for la in live) else 1
    for la in live:
        if len(set(la.groups)) > 1:
            turns = la.n * (len(la.prefix) - 1 if la.prefix is not None else 1)
            cycle = math.lcm(cycle, turns * la.turn)
            if cycle > _QUIET_US:
                return steady, _QUIET_US
    return steady, min(cycle + _DST_YEAR_US, _QUIET_US)
