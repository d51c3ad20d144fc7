"""Business-time calendars: working time between instants, and when N hours of it end.

A :class:`Calendar` is compiled once from its configuration into a table of working windows in
UTC microseconds with prefix sums, so that ``elapsed`` and ``add`` cost two binary searches
whatever the span. Every result is exact to the microsecond; no float touches an instant.

Semantics, in short (``docs/calendars.md`` has the long form):

* Weekly hours are wall-clock intervals in the calendar's IANA zone. The calendar is open at
  exactly the instants whose wall time lies in an interval: a repeated hour (autumn) counts as
  real time, twice; a nonexistent wall time (spring) has no instant, so an interval starting in
  the gap opens at the end of the gap.
* ``24x7`` counts real elapsed time (a fall-back day has 25 hours) and needs no year range.
* Holiday data is known only for the configured years; any instant outside them raises
  :class:`~escalate.errors.CalendarRangeError` instead of silently assuming no holidays.
* Every datetime result is an aware datetime in UTC.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from escalate._models import validate_model
from escalate.calendars._holidays import HolidaySet, parse_date, parse_years, resolve_holidays
from escalate.calendars._instants import (
    DAY_US,
    EPOCH,
    EPOCH_ORDINAL,
    MAX_US,
    MIN_US,
    ONE_US,
    OffsetTable,
    from_us,
    load_zone,
    naive_error,
    resolve_wall,
    to_us,
    wall_us,
)
from escalate.calendars.models import WEEKDAYS, CalendarModel
from escalate.errors import ArgumentError, CalendarRangeError, PolicyError, shown, suggest

__all__ = ["DEFAULT_YEARS", "MAX_CALENDAR_WINDOWS", "Calendar"]

Path = tuple[str | int, ...]
Window = tuple[int, int]

#: The years a calendar without holiday data is compiled for, unless it says ``years:``.
DEFAULT_YEARS = (2000, 2050)
#: The most working windows (one per interval and day, before merging) one calendar may
#: compile to: loading costs a few microseconds per window. Office hours over 50 years are
#: about 13,000; three shifts a day, every day, for the 301 years a policy may name, 330,000.
MAX_CALENDAR_WINDOWS = 400_000

WEEK_MINUTES = 7 * 1440
ZERO = timedelta(0)


# --------------------------------------------------------------------------------------------
# Configuration parsing
# --------------------------------------------------------------------------------------------


def parse_interval(text: object, path: Path) -> tuple[int, int]:
    """Minutes ``(start, end)`` of an ``"HH:MM-HH:MM"`` interval; ``end < start`` runs overnight.

    ``24:00`` is allowed as an end. The end of an overnight interval is returned past 1440.

    >>> parse_interval("09:00-17:30", ())
    (540, 1050)
    >>> parse_interval("22:00-06:00", ())
    (1320, 1800)
    >>> parse_interval("00:00-24:00", ())
    (0, 1440)
    """
    if isinstance(text, str):
        parts = text.replace(" ", "").split("-")
        if len(parts) == 2:
            start, end = _parse_clock(parts[0]), _parse_clock(parts[1])
            if start is not None and end is not None and start < 1440:
                if end == start:
                    raise PolicyError(f"interval {shown(text)} is empty", path=path)
                if end < start:
                    end += 1440
                    if end > 1440 + start:
                        raise PolicyError(f"interval {shown(text)} is longer than a day", path=path)
                return start, end
    raise PolicyError(
        f"expected an interval 'HH:MM-HH:MM' (end may be 24:00, or earlier than the start "
        f"for an overnight range), got {shown(text)}",
        path=path,
    )


def _parse_clock(text: str) -> int | None:
    digits = text[:2] + text[3:]
    if len(text) != 5 or text[2] != ":" or not (digits.isascii() and digits.isdigit()):
        return None
    hours, minutes = int(text[:2]), int(text[3:])
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def parse_weekdays(spec: object, path: Path) -> list[int]:
    """Weekday numbers (Monday = 0) of ``mon``, ``mon-fri``, ``fri-mon`` or ``mon,wed,fri``.

    >>> parse_weekdays("mon-fri", ())
    [0, 1, 2, 3, 4]
    >>> parse_weekdays("sat-mon", ())
    [5, 6, 0]
    """
    if not isinstance(spec, str):
        raise PolicyError(
            f"weekday key must be a string like 'mon-fri', got {shown(spec)}", path=path
        )
    days: list[int] = []
    for part in spec.lower().replace(" ", "").split(","):
        ends = part.split("-")
        if len(ends) > 2 or not all(e in WEEKDAYS for e in ends):
            bad = next((e for e in ends if e not in WEEKDAYS), part)
            raise PolicyError(
                f"unknown weekday {shown(bad)} in {shown(spec)} "
                "(use mon..sun, ranges like mon-fri)",
                path=path,
                suggestion=suggest(bad, WEEKDAYS),
            )
        first, last = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
        span = (last - first) % 7
        days.extend((first + k) % 7 for k in range(span + 1))
    return days


def _intervals(value: str | list[str], path: Path) -> list[tuple[int, int]]:
    if isinstance(value, str):
        value = [value]
    if not value:
        raise PolicyError(
            f"expected a non-empty list of 'HH:MM-HH:MM' intervals (leave a closed day out), "
            f"got {shown(value)}",
            path=path,
        )
    return [parse_interval(item, (*path, i)) for i, item in enumerate(value)]


def _check_no_overlap(spans: list[tuple[int, int, Path]], modulo: int | None) -> None:
    """Raise if two minute spans overlap (on a circular week when ``modulo`` is given)."""
    pieces: list[tuple[int, int, Path]] = []
    for lo, hi, where in spans:
        if modulo is not None and hi > modulo:
            pieces += [(lo, modulo, where), (0, hi - modulo, where)]
        else:
            pieces.append((lo, hi, where))
    pieces.sort()
    for (_, hi, first), (lo, _, second) in itertools.pairwise(pieces):
        if lo < hi:
            raise PolicyError(
                f"interval overlaps the interval at {_render(first)}; merge them into one",
                path=second,
            )


def _render(path: Path) -> str:
    from escalate.errors import render_path

    return render_path(path)


def _merge(ranges: Iterable[Window]) -> list[Window]:
    """Sort and merge overlapping or touching half-open ranges."""
    out: list[Window] = []
    for lo, hi in sorted(ranges):
        if lo >= hi:
            continue
        if out and lo <= out[-1][1]:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _subtract(ranges: list[Window], holes: list[Window]) -> list[Window]:
    """``ranges`` minus ``holes``; both sorted and merged."""
    out: list[Window] = []
    j = 0
    for lo, hi in ranges:
        while j < len(holes) and holes[j][1] <= lo:
            j += 1
        k = j
        cur = lo
        while k < len(holes) and holes[k][0] < hi:
            if holes[k][0] > cur:
                out.append((cur, holes[k][0]))
            cur = max(cur, holes[k][1])
            k += 1
        if cur < hi:
            out.append((cur, hi))
    return out


def _intersect(a: list[Window], b: list[Window]) -> list[Window]:
    out: list[Window] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _clip(windows: list[Window], lo: int, hi: int) -> list[Window]:
    return [(max(s, lo), min(e, hi)) for s, e in windows if e > lo and s < hi]


_ALWAYS = CalendarModel(timezone="UTC", hours="24x7")


def _model(config: object, path: Path) -> CalendarModel:
    """The validated model of a calendar configuration (``"24x7"``, a mapping or a model)."""
    if isinstance(config, CalendarModel):
        return config
    if isinstance(config, str):
        if config.strip().lower() != "24x7":
            raise PolicyError(
                f"a calendar is a mapping or the string '24x7', got {shown(config)}", path=path
            )
        return _ALWAYS
    if not isinstance(config, Mapping):
        raise PolicyError(f"a calendar is a mapping or '24x7', got {shown(config)}", path=path)
    return validate_model(CalendarModel, config, path=path)


class _Config:
    """A validated calendar configuration (all wall-clock values in minutes)."""

    def __init__(self, config: object, path: Path) -> None:
        model = _model(config, path)
        self.zone: ZoneInfo = load_zone(model.timezone, (*path, "timezone"))
        self.always = False
        self.weekly: list[list[tuple[int, int]]] = [[] for _ in WEEKDAYS]
        self._parse_hours(model.hours, (*path, "hours"))

        self.holidays = (
            resolve_holidays(model.holidays, (*path, "holidays"))
            if model.holidays is not None
            else HolidaySet(names={}, years=None, source="none")
        )
        if model.years is not None:
            if self.holidays.years is not None:
                raise PolicyError(
                    "years is already set by holidays.years; give it once", path=(*path, "years")
                )
            self.years: tuple[int, int] | None = parse_years(model.years, (*path, "years"))
        else:
            self.years = self.holidays.years
        self.closures = self._dated(model.closures, (*path, "closures"))
        self.extra_hours = self._dated(model.extra_hours, (*path, "extra_hours"))
        # A date outside the compiled years would be dropped without a word: refused, also
        # against the default years of a calendar that names none.
        first, last = self.years or DEFAULT_YEARS
        which = "" if self.years is not None else " (the default; set 'years' to change it)"
        for day in self.holidays.names:
            if not first <= day.year <= last:
                raise PolicyError(
                    f"holiday {day.isoformat()} lies outside years {[first, last]}{which}",
                    path=(*path, "holidays"),
                )
        for key, table in (("closures", self.closures), ("extra_hours", self.extra_hours)):
            for day in table:
                if not first <= day.year <= last:
                    raise PolicyError(
                        f"date {day.isoformat()} lies outside years {[first, last]}{which}",
                        path=(*path, key, day.isoformat()),
                    )

    @property
    def unbounded(self) -> bool:
        """True for a plain 24×7 calendar, which needs no year range."""
        return (
            self.always
            and not self.holidays.names
            and not self.closures
            and not self.extra_hours
            and self.years is None
        )

    def _parse_hours(self, hours: str | Mapping[str, str | list[str]], path: Path) -> None:
        if isinstance(hours, str):  # the model admits only "24x7"
            self.always = True
            self.weekly = [[(0, 1440)] for _ in WEEKDAYS]
            return
        # {} is allowed: open only on extra_hours dates
        spans: list[tuple[int, int, Path]] = []
        for key, value in hours.items():
            where = (*path, key)
            for day in parse_weekdays(key, where):
                for i, (lo, hi) in enumerate(_intervals(value, where)):
                    self.weekly[day].append((lo, hi))
                    spans.append((day * 1440 + lo, day * 1440 + hi, (*where, i)))
        _check_no_overlap(spans, WEEK_MINUTES)
        for day_intervals in self.weekly:
            day_intervals.sort()

    @staticmethod
    def _dated(
        value: Mapping[date | str, str | list[str]], path: Path
    ) -> dict[date, list[tuple[int, int]]]:
        out: dict[date, list[tuple[int, int]]] = {}
        for key, intervals in value.items():
            day = parse_date(key, (*path, str(key)))
            where = (*path, day.isoformat())
            if day in out:  # YAML reads 2024-12-24 as a date and "2024-12-24" as text
                raise PolicyError(
                    f"date {day.isoformat()} is given twice; merge its intervals into one entry",
                    path=where,
                )
            parsed = _intervals(intervals, where)
            _check_no_overlap(
                [(lo, hi, (*where, i)) for i, (lo, hi) in enumerate(parsed)], modulo=None
            )
            out[day] = sorted(parsed)
        return dict(sorted(out.items()))


# --------------------------------------------------------------------------------------------
# The compiled calendar
# --------------------------------------------------------------------------------------------


class Calendar:
    """A compiled business-hours calendar. Immutable; safe to share between threads.

    Build one with :meth:`from_config` (the mapping of a calendar entry in policy YAML), or
    combine two with ``|`` (union), ``&`` (intersection) and ``-`` (difference).
    """

    __slots__ = (
        "_cum",
        "_cum_end",
        "_day_count_end",
        "_day_first",
        "_day_last",
        "_ends",
        "_hi",
        "_lo",
        "_offsets",
        "_starts",
        "_years",
        "description",
        "holiday_names",
        "holiday_source",
        "name",
        "zone",
    )

    zone: ZoneInfo
    description: str
    #: The calendar's name in its policy (``None`` when built outside one, or by algebra):
    #: range errors say which calendar they are about.
    name: str | None
    holiday_source: str
    holiday_names: Mapping[date, str]
    # The window table: UTC microseconds, sorted, disjoint, non-touching; prefix sums of the
    # working time before each window (_cum) and through its end (_cum_end).
    _starts: list[int]
    _ends: list[int]
    _cum: list[int]
    _cum_end: list[int]
    _lo: int
    _hi: int
    _offsets: OffsetTable | None
    # Working days as runs of local date ordinals, with the running count through each run.
    _day_first: list[int]
    _day_last: list[int]
    _day_count_end: list[int]
    _years: tuple[int, int]

    @property
    def round_the_clock(self) -> bool:
        """Whether every instant of the calendar's years is working time (24x7 without
        holidays or closures): its elapsed time is real time.

        >>> Calendar.from_config({"timezone": "Europe/Brussels", "hours": "24x7"}).round_the_clock
        True
        >>> Calendar.from_config({"timezone": "UTC", "hours": {"mon-fri": ["00:00-24:00"]},
        ...                       "years": [2024, 2024]}).round_the_clock
        False
        """
        return len(self._starts) == 1 and (self._starts[0], self._ends[0]) == (self._lo, self._hi)

    def __new__(cls) -> Calendar:
        # An instance with no attributes set, for the builders below; a class method may not
        # call object.__new__ on a class mypyc compiles, so that call lives here.
        return object.__new__(cls)

    def __init__(self) -> None:
        raise ArgumentError("use Calendar.from_config(...) or calendar algebra to build a Calendar")

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_config(
        cls, config: object, *, path: Sequence[str | int] = (), name: str | None = None
    ) -> Calendar:
        """Compile a calendar from its configuration mapping (or the string ``"24x7"``).

        Keys: ``timezone`` (IANA name, required); ``hours`` (``24x7`` or weekday keys such as
        ``mon``, ``mon-fri``, ``sat-sun`` mapped to ``"HH:MM-HH:MM"`` intervals; ``24:00`` ends
        a day; an end before the start runs overnight into the next day); ``holidays``
        (``country``/``subdiv``/``categories`` with ``years: [first, last]``, ``dates``,
        ``recurring``); ``closures`` and ``extra_hours`` (date → intervals closed / open on that
        date only); ``years`` (the range to compile when there is no holiday range; default
        :data:`DEFAULT_YEARS`).

        Invalid configuration raises :class:`~escalate.errors.PolicyError` naming the key.
        ``name`` labels the calendar in range errors (the policy compiler passes its key).
        """
        cfg = _Config(config, tuple(path))
        if cfg.unbounded:
            return cls._build(
                cfg.zone,
                windows=[(MIN_US, MAX_US)],
                lo_us=MIN_US,
                hi_us=MAX_US,
                description="24x7",
                holidays=cfg.holidays,
                offsets=None,
                years=(date.min.year, date.max.year),
                name=name,
            )
        first, last = cfg.years or DEFAULT_YEARS
        per_week = sum(len(day) for day in cfg.weekly)
        weeks = (date(last, 12, 31) - date(first, 1, 1)).days // 7 + 2
        extra = sum(len(intervals) for intervals in cfg.extra_hours.values())
        if per_week * weeks + extra > MAX_CALENDAR_WINDOWS:
            raise PolicyError(
                f"{per_week} weekly intervals over {first}-{last} make about "
                f"{per_week * weeks + extra:,} working windows, more than the "
                f"{MAX_CALENDAR_WINDOWS:,} a calendar may have: cover fewer years or merge "
                "intervals",
                path=(*path, "years") if cfg.years is not None else tuple(path),
            )
        offsets = OffsetTable(
            cfg.zone,
            wall_us(date(first, 1, 1), 0) - 2 * DAY_US,
            wall_us(date(last + 1, 1, 1), 0) + 2 * DAY_US,
        )
        lo = offsets.wall_to_utc(wall_us(date(first, 1, 1), 0), wall_us(date(first, 1, 2), 0))
        hi = offsets.wall_to_utc(wall_us(date(last + 1, 1, 1), 0), wall_us(date(last + 1, 1, 2), 0))
        lo_us, hi_us = lo[0][0], hi[0][0]

        # All set algebra happens on the naive wall clock; the wall -> UTC mapping is a preimage,
        # so it preserves unions and differences, and DST is handled in one place.
        holidays = cfg.holidays.names
        local: list[Window] = []
        day = date(first, 1, 1) - timedelta(days=1)
        ordinal = day.toordinal()
        end_ordinal = date(last, 12, 31).toordinal()
        weekday = day.weekday()
        while ordinal <= end_ordinal:
            base = (ordinal - EPOCH_ORDINAL) * DAY_US
            if date.fromordinal(ordinal) not in holidays:
                for s, e in cfg.weekly[weekday]:
                    local.append((base + s * 60_000_000, base + e * 60_000_000))
            ordinal += 1
            weekday = (weekday + 1) % 7
        for extra_day, intervals in cfg.extra_hours.items():
            base = wall_us(extra_day, 0)
            local += [(base + s * 60_000_000, base + e * 60_000_000) for s, e in intervals]
        merged = _merge(local)
        if cfg.closures:
            closed = _merge(
                (wall_us(d, s), wall_us(d, e))
                for d, intervals in cfg.closures.items()
                for s, e in intervals
            )
            merged = _subtract(merged, closed)
        windows: list[Window] = []
        for wall_lo, wall_hi in merged:
            windows += offsets.wall_to_utc(wall_lo, wall_hi)
        windows = _clip(_merge(windows), lo_us, hi_us)
        description = "24x7" if cfg.always else "weekly hours"
        return cls._build(
            cfg.zone,
            windows=windows,
            lo_us=lo_us,
            hi_us=hi_us,
            description=description,
            holidays=cfg.holidays,
            offsets=offsets,
            years=(first, last),
            name=name,
        )

    @classmethod
    def _build(
        cls,
        zone: ZoneInfo,
        *,
        windows: list[Window],
        lo_us: int,
        hi_us: int,
        description: str,
        holidays: HolidaySet,
        offsets: OffsetTable | None,
        years: tuple[int, int],
        name: str | None = None,
    ) -> Calendar:
        self = cls.__new__(cls)
        starts: list[int] = []
        ends: list[int] = []
        cum: list[int] = []
        cum_end: list[int] = []
        total = 0
        for s, e in windows:
            starts.append(s)
            ends.append(e)
            cum.append(total)
            total += e - s
            cum_end.append(total)
        object.__setattr__(self, "zone", zone)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "holiday_source", holidays.source)
        object.__setattr__(self, "holiday_names", MappingProxyType(dict(holidays.names)))
        object.__setattr__(self, "_starts", starts)
        object.__setattr__(self, "_ends", ends)
        object.__setattr__(self, "_cum", cum)
        object.__setattr__(self, "_cum_end", cum_end)
        object.__setattr__(self, "_lo", lo_us)
        object.__setattr__(self, "_hi", hi_us)
        object.__setattr__(self, "_years", years)
        object.__setattr__(self, "_offsets", offsets)
        first, last = self._working_day_runs(windows, offsets)
        counts: list[int] = []
        n = 0
        for a, b in zip(first, last, strict=True):
            n += b - a + 1
            counts.append(n)
        object.__setattr__(self, "_day_first", first)
        object.__setattr__(self, "_day_last", last)
        object.__setattr__(self, "_day_count_end", counts)
        return self

    @staticmethod
    def _working_day_runs(
        windows: list[Window], offsets: OffsetTable | None
    ) -> tuple[list[int], list[int]]:
        """Runs of local date ordinals on which the calendar is open at some instant.

        A window is split at the zone's offset changes: within one offset the wall clock runs
        on, so every date between the first and the last is met, but across a change a whole
        date can be skipped (Pacific/Apia went from 2011-12-29 straight to 2011-12-31).
        """
        spans: list[tuple[int, int]] = []
        for s, e in windows:
            if offsets is None:  # only a plain 24x7 calendar has no offset table
                spans.append((1, date.max.toordinal()))
                continue
            i = max(bisect.bisect_right(offsets.starts, s) - 1, 0)
            lo = s
            while lo < e:
                hi = min(e, offsets.starts[i + 1]) if i + 1 < len(offsets.starts) else e
                off = offsets.offsets[i]
                spans.append(
                    ((lo + off) // DAY_US + EPOCH_ORDINAL, (hi - 1 + off) // DAY_US + EPOCH_ORDINAL)
                )
                lo, i = hi, i + 1
        first: list[int] = []
        last: list[int] = []
        for a, b in sorted(spans):  # a repeated wall clock can step back to an earlier date
            if last and a <= last[-1] + 1:
                last[-1] = max(last[-1], b)
            else:
                first.append(a)
                last.append(b)
        return first, last

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Calendar is immutable")

    def __repr__(self) -> str:
        years = "any" if self._lo == MIN_US else f"{self.years[0]}-{self.years[1]}"
        return (
            f"<Calendar {self.description} {self.zone.key} years={years} "
            f"windows={len(self._starts)} holidays={shown(self.holiday_source)}>"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Calendar):
            return NotImplemented
        return (
            self.zone.key == other.zone.key
            and (self._lo, self._hi) == (other._lo, other._hi)
            and self._starts == other._starts
            and self._ends == other._ends
        )

    def __hash__(self) -> int:
        return hash((self.zone.key, self._lo, self._hi, len(self._starts)))

    # -- introspection ------------------------------------------------------------------------

    @property
    def years(self) -> tuple[int, int]:
        """The inclusive years this calendar answers for (for algebra results: the years of
        the operand that bounds the range, in that operand's zone)."""
        return self._years

    @property
    def window_count(self) -> int:
        """How many working windows the calendar holds (what its memory and load time grow
        with; at most :data:`MAX_CALENDAR_WINDOWS` for a configured calendar)."""
        return len(self._starts)

    @property
    def never_open(self) -> bool:
        """True when the calendar has no working time at all in its years (say ``hours: {}``
        without ``extra_hours``, or an intersection of disjoint calendars). The policy compiler
        refuses such a calendar; as an operand of calendar algebra it is the empty set."""
        return not self._starts

    @property
    def valid_from(self) -> datetime:
        """The first instant this calendar answers for (UTC)."""
        return from_us(self._lo)

    @property
    def valid_until(self) -> datetime:
        """The end (exclusive for instants, inclusive as a span end) of the valid range (UTC)."""
        return from_us(self._hi)

    def windows(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The working windows overlapping ``[start, end)``, clipped to it, in UTC."""
        lo, hi = self._check(to_us(start, "start")), self._check(to_us(end, "end"))
        i = max(bisect.bisect_right(self._starts, lo) - 1, 0)
        out: list[tuple[datetime, datetime]] = []
        starts, ends = self._starts, self._ends
        while i < len(starts) and starts[i] < hi:
            s, e = max(starts[i], lo), min(ends[i], hi)
            if s < e:
                out.append((from_us(s), from_us(e)))
            i += 1
        return out

    # -- the hot path -------------------------------------------------------------------------

    def _check(self, us: int) -> int:
        if us < self._lo or us > self._hi:
            raise self._range_error(us)
        return us

    def _range_error(self, us: int) -> CalendarRangeError:
        first, last = self.years
        never = f"; it is never open in {first}-{last}" if self.never_open else ""
        return CalendarRangeError(
            f"{_shown_us(us)} lies outside the years {first}-{last} {self._called} "
            f"is compiled for ({self.holiday_source}); widen its years to answer there{never}"
        )

    @property
    def _called(self) -> str:
        """How errors name the calendar: ``calendar 'office'``, or ``this calendar``."""
        return "this calendar" if self.name is None else f"calendar {shown(self.name)}"

    def _worked(self, us: int) -> int:
        """Working microseconds from the table's start up to the instant ``us``."""
        i = bisect.bisect_right(self._starts, us) - 1
        if i < 0:
            return 0
        end = self._ends[i]
        return self._cum[i] + (us if us < end else end) - self._starts[i]

    def elapsed(
        self,
        start: datetime,
        end: datetime,
        exclude: Iterable[tuple[datetime, datetime]] = (),
    ) -> timedelta:
        """Working time in ``[start, end)``, minus the ``(from, to)`` intervals in ``exclude``.

        ``exclude`` holds paused periods of an SLA clock; they may overlap each other and
        extend beyond ``[start, end)``. Returns ``timedelta(0)`` when ``end <= start``.
        """
        try:
            a = (start - EPOCH) // ONE_US
            b = (end - EPOCH) // ONE_US
        except TypeError:
            to_us(start, "start")
            raise naive_error(end, "end") from None
        lo_us, hi_us = self._lo, self._hi
        if a < lo_us or a > hi_us or b < lo_us or b > hi_us:
            # both ends, even of an empty span: no silent 0 outside the range
            raise self._range_error(a if a < lo_us or a > hi_us else b)
        # Convert the pauses before the empty-span shortcut, so naive ones always raise.
        pauses = (
            [(to_us(f, "exclude start"), to_us(t, "exclude end")) for f, t in exclude]
            if exclude
            else ()
        )
        if b <= a:
            return ZERO
        # _worked(b) - _worked(a), inlined: this is the hot path of every SLA clock.
        starts, ends, cum = self._starts, self._ends, self._cum
        i = bisect.bisect_right(starts, b) - 1
        worked = 0
        if i >= 0:
            e = ends[i]
            worked = cum[i] + (b if b < e else e) - starts[i]
            i = bisect.bisect_right(starts, a, 0, i + 1) - 1
            if i >= 0:
                e = ends[i]
                worked -= cum[i] + (a if a < e else e) - starts[i]
        if pauses:
            for lo, hi in _merge((max(f, a), min(t, b)) for f, t in pauses):
                worked -= self._worked(hi) - self._worked(lo)
        return ONE_US * worked

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant by which ``duration`` of working time has passed since ``start``.

        Landing exactly on the end of a working interval returns that end (17:00, not the next
        morning's 09:00). A zero duration returns ``start`` if the calendar is open then, else
        the next opening. A negative duration is :meth:`subtract`. Result in UTC.
        """
        try:
            a = (start - EPOCH) // ONE_US
            d = duration // ONE_US
        except TypeError:
            to_us(start, "start")
            raise ArgumentError(f"duration must be a timedelta, got {shown(duration)}") from None
        if d < 0:
            return self.subtract(start, -duration)
        if a < self._lo or a > self._hi:
            raise self._range_error(a)
        if d == 0:
            return self._next_open_us(a)
        target = self._worked(a) + d
        cum_end = self._cum_end
        j = bisect.bisect_left(cum_end, target)
        if j == len(cum_end):
            raise self._range_error(self._hi)
        return EPOCH + ONE_US * (self._starts[j] + target - self._cum[j])

    def subtract(self, start: datetime, duration: timedelta) -> datetime:
        """The latest instant from which ``duration`` of working time runs until ``start``.

        The mirror of :meth:`add`: landing exactly on the start of a working interval returns
        that start. A zero duration returns ``start`` if working time runs right up to it (the
        calendar is open just before ``start``), else the previous closing: the mirror of
        ``add(start, 0)``, and the limit of ``subtract(start, d)`` as ``d`` shrinks to zero.
        A negative duration is :meth:`add`. Result in UTC.
        """
        a = to_us(start, "start")
        if not isinstance(duration, timedelta):
            raise ArgumentError(f"duration must be a timedelta, got {shown(duration)}")
        d = duration // ONE_US
        if d < 0:
            return self.add(start, -duration)
        self._check(a)
        if d == 0:
            return self._previous_close_us(a)
        target = self._worked(a) - d
        if target < 0:
            raise self._range_error(self._lo - 1)
        j = bisect.bisect_right(self._cum, target) - 1
        return from_us(self._starts[j] + target - self._cum[j])

    # -- open / close -------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` lies inside a working window (windows are half-open: 17:00 is closed)."""
        u = self._check(to_us(at, "at"))
        if u == self._hi:  # valid as the end of a span, but nothing is known at that instant
            raise self._range_error(u)
        i = bisect.bisect_right(self._starts, u) - 1
        return i >= 0 and u < self._ends[i]

    def _next_open_us(self, u: int) -> datetime:
        i = bisect.bisect_right(self._starts, u) - 1
        if i >= 0 and u < self._ends[i]:
            return from_us(u)
        if i + 1 < len(self._starts):
            return from_us(self._starts[i + 1])
        raise self._range_error(self._hi)

    def _previous_close_us(self, u: int) -> datetime:
        """``u`` if the calendar is open just before it, else the end of the last window
        before it (windows are half-open, so an opening instant looks back to the last close)."""
        i = bisect.bisect_left(self._starts, u) - 1  # the last window starting before u
        if i < 0:
            raise self._range_error(self._lo - 1)
        end = self._ends[i]
        return from_us(u if u < end else end)

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself if the calendar is open then, else the next opening (UTC)."""
        return self._next_open_us(self._check(to_us(at, "at")))

    def next_close(self, at: datetime) -> datetime | None:
        """The next instant after ``at`` at which the calendar closes (UTC).

        ``None`` for a calendar that never closes (plain 24x7). If the calendar is closed at
        ``at``, this is the end of the next working window.
        """
        u = self._check(to_us(at, "at"))
        i = bisect.bisect_right(self._starts, u) - 1
        if i < 0 or u >= self._ends[i]:
            i += 1
        if i >= len(self._ends):
            raise self._range_error(self._hi)
        if self._ends[i] == MAX_US:
            return None
        if self._ends[i] == self._hi:  # the window runs on past the compiled range: unknown
            raise self._range_error(self._hi)
        return from_us(self._ends[i])

    def last_change(self, at: datetime) -> datetime | None:
        """The latest instant at or before ``at`` at which :meth:`is_open` changed (UTC).

        The start of the window holding ``at`` if the calendar is open then, else the end of
        the last window before it; ``None`` when nothing changed since :attr:`valid_from` (a
        plain 24x7 calendar, or a window that begins with the compiled range). One binary
        search, however far back the change lies.
        """
        u = self._check(to_us(at, "at"))
        if u == self._hi:
            raise self._range_error(u)
        i = bisect.bisect_right(self._starts, u) - 1
        if i < 0:
            return None
        if u < self._ends[i]:
            return None if self._starts[i] <= self._lo else from_us(self._starts[i])
        return from_us(self._ends[i])

    def next_change(self, at: datetime) -> datetime | None:
        """The first instant after ``at`` at which :meth:`is_open` changes (UTC).

        :meth:`next_close` if the calendar is open at ``at``, else :meth:`next_open`; ``None``
        for a calendar that never changes again (plain 24x7). A change beyond the compiled
        years raises ``CalendarRangeError``. One binary search.
        """
        u = self._check(to_us(at, "at"))
        if u == self._hi:
            raise self._range_error(u)
        i = bisect.bisect_right(self._starts, u) - 1
        if i >= 0 and u < self._ends[i]:
            end = self._ends[i]
            if end == MAX_US:
                return None
            if end >= self._hi:  # the window runs on past the compiled range: unknown
                raise self._range_error(self._hi)
            return from_us(end)
        if i + 1 < len(self._starts):
            return from_us(self._starts[i + 1])
        raise self._range_error(self._hi)

    # -- business days ------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Whether the calendar is open at some instant of this local date.

        A date outside the calendar's years raises ``CalendarRangeError``: nothing is known
        about its holidays there; anything but a ``date`` raises ``ArgumentError``.
        """
        if not isinstance(day, date) or isinstance(day, datetime):
            raise ArgumentError(f"day must be a date, got {type(day).__name__}: {shown(day)}")
        if not self._years[0] <= day.year <= self._years[1]:
            raise CalendarRangeError(
                f"{day.isoformat()} lies outside the years {self._years[0]}-{self._years[1]} "
                f"{self._called} is compiled for ({self.holiday_source})"
            )
        ordinal = day.toordinal()
        i = bisect.bisect_right(self._day_first, ordinal) - 1
        return i >= 0 and ordinal <= self._day_last[i]

    def _working_days_through(self, ordinal: int) -> int:
        i = bisect.bisect_right(self._day_first, ordinal) - 1
        if i < 0:
            return 0
        before = self._day_count_end[i - 1] if i else 0
        return before + min(ordinal, self._day_last[i]) - self._day_first[i] + 1

    def _nth_working_day(self, k: int) -> int:
        """The ordinal of the k-th working day of the table (1-based)."""
        counts = self._day_count_end
        if k < 1 or not counts or k > counts[-1]:
            raise self._range_error(self._lo - 1 if k < 1 else self._hi)
        i = bisect.bisect_left(counts, k)
        before = counts[i - 1] if i else 0
        return self._day_first[i] + (k - before - 1)

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """The same wall time as ``start`` on the ``days``-th next working day (UTC result).

        A working day is a local date on which the calendar is open at some instant. This is
        day arithmetic (GLPI, biz ``2bd``), kept apart from hour arithmetic: ``start`` need not
        be inside working hours, and the result keeps its wall time even if that is outside the
        day's hours. A wall time that does not exist on the target day moves to the end of the
        DST gap. Negative ``days`` count backwards; zero returns ``start``.
        """
        u = self._check(to_us(start, "start"))
        if isinstance(days, bool) or not isinstance(days, int):
            raise ArgumentError(f"days must be an int, got {shown(days)}")
        local = from_us(u).astimezone(self.zone)
        if days == 0:
            return from_us(u)
        ordinal = local.toordinal()
        if days > 0:
            target = self._nth_working_day(self._working_days_through(ordinal) + days)
        else:
            target = self._nth_working_day(self._working_days_through(ordinal - 1) + days + 1)
        wall = datetime.combine(date.fromordinal(target), local.time())
        result = resolve_wall(wall, self.zone)
        self._check(to_us(result))
        return result

    def add_months(self, start: datetime, months: int) -> datetime:
        """The same wall time as ``start`` (on the calendar's clock), ``months`` calendar
        months later (UTC result).

        Month arithmetic as ``dateutil.relativedelta`` does it, in the calendar's zone: the day
        of the month is kept, or the month's last day when the month is shorter (January 31
        plus one month is February 29 in a leap year, else February 28). Opening hours and
        holidays play no part (a regulator's "one month after the notification"), and the
        result keeps its wall time even when the calendar is closed then. A wall time that
        does not exist on the target day moves to the end of the DST gap; one that exists
        twice means its first occurrence, as everywhere in the calendar. Negative ``months``
        count backwards; zero returns ``start``.
        """
        u = self._check(to_us(start, "start"))
        if isinstance(months, bool) or not isinstance(months, int):
            raise ArgumentError(f"months must be an int, got {shown(months)}")
        if months == 0:
            return from_us(u)
        local = from_us(u).astimezone(self.zone).replace(tzinfo=None)
        try:
            result = resolve_wall(local + relativedelta(months=months), self.zone)
        except (ValueError, OverflowError):  # past the years datetime can hold
            raise self._range_error(self._hi + 1 if months > 0 else self._lo - 1) from None
        self._check(to_us(result))
        return result

    # -- algebra ------------------------------------------------------------------------------

    def _combine(self, other: Calendar, op: str) -> Calendar:
        if not isinstance(other, Calendar):
            return NotImplemented
        lo, hi = max(self._lo, other._lo), min(self._hi, other._hi)
        if lo >= hi:
            raise CalendarRangeError(
                f"the calendars' year ranges {self.years} and {other.years} do not overlap"
            )
        mine = _clip(list(zip(self._starts, self._ends, strict=True)), lo, hi)
        theirs = _clip(list(zip(other._starts, other._ends, strict=True)), lo, hi)
        if op == "|":
            windows = _merge(mine + theirs)
        elif op == "&":
            windows = _intersect(mine, theirs)
        else:
            windows = _subtract(mine, theirs)
        offsets = self._offsets or other._offsets
        if offsets is not None and offsets.zone is not self.zone:
            offsets = OffsetTable(self.zone, lo - 2 * DAY_US, hi + 2 * DAY_US)
        names = dict(sorted({**other.holiday_names, **self.holiday_names}.items()))
        sources = sorted({self.holiday_source, other.holiday_source} - {"none"})
        holidays = HolidaySet(names=names, years=None, source="; ".join(sources) or "none")
        description = f"({self.description} {op} {other.description})"
        years = (max(self._years[0], other._years[0]), min(self._years[1], other._years[1]))
        return Calendar._build(
            self.zone,
            windows=windows,
            lo_us=lo,
            hi_us=hi,
            description=description,
            holidays=holidays,
            offsets=offsets,
            years=years,
        )

    def union(self, other: Calendar) -> Calendar:
        """Open whenever either calendar is open (follow-the-sun coverage)."""
        return self._combine(_calendar_arg(other), "|")

    def intersection(self, other: Calendar) -> Calendar:
        """Open only when both calendars are open."""
        return self._combine(_calendar_arg(other), "&")

    def difference(self, other: Calendar) -> Calendar:
        """Open when this calendar is open and ``other`` is not ("office hours minus blackout")."""
        return self._combine(_calendar_arg(other), "-")

    # The operators follow Python's protocol (NotImplemented, so ``cal | 5`` is a TypeError
    # from Python); the named methods raise ArgumentError, which is a TypeError too.
    def __or__(self, other: Calendar) -> Calendar:
        return self._combine(other, "|")

    def __and__(self, other: Calendar) -> Calendar:
        return self._combine(other, "&")

    def __sub__(self, other: Calendar) -> Calendar:
        return self._combine(other, "-")


def _calendar_arg(other: object) -> Calendar:
    if not isinstance(other, Calendar):
        raise ArgumentError(f"expected a Calendar, got {type(other).__name__}")
    return other


def _shown_us(us: int) -> str:
    """An instant in microseconds as ISO text, also beyond what ``datetime`` holds."""
    if us < _DATETIME_MIN_US:
        return "an instant before 0001-01-01T00:00:00+00:00"
    if us > _DATETIME_MAX_US:
        return "an instant after 9999-12-31T23:59:59.999999+00:00"
    return from_us(us).isoformat()


_DATETIME_MIN_US = to_us(datetime.min.replace(tzinfo=UTC))
_DATETIME_MAX_US = to_us(datetime.max.replace(tzinfo=UTC))
