"""A slow, plainly correct reference for :class:`escalate.Calendar`, for cross-checks.

It shares no code with ``escalate``: it reads the same configuration mapping with its own
plain parser and answers every question from first principles.

* Open wall-clock intervals, per local calendar date ``D`` (naive datetimes in the zone):
  the weekly intervals of ``D``'s weekday, unless ``D`` is a holiday, plus the ``extra_hours``
  of ``D``; an interval belongs to the date it *starts* on, so an overnight interval starting
  on a holiday is dropped whole and one starting the evening before a holiday runs on into it.
  ``closures`` of ``D`` are wall intervals subtracted from all of that (they win over extra
  hours; an overnight closure runs into the next morning). Holidays never remove extra hours.
* An instant is open exactly when its wall time in the zone (``zoneinfo``) lies in an open
  wall interval and in no closed one. A repeated hour therefore opens twice; a nonexistent
  wall time is never the reading of any instant.
* Between two consecutive "candidate" instants -- instants whose wall time is an interval
  boundary, UTC offset transitions, and the ends of the span -- the open state is constant
  (intervals are half-open and wall time only rises between transitions), so working time is
  a sum over those pieces of ``(q - p) if is_open(p)``.
* Offset transitions are found by sampling the offset every hour and bisecting to the
  microsecond (the tz database has no two transitions within an hour).
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_package

from escalate.errors import CalendarRangeError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ONE_US = timedelta(microseconds=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

Wall = tuple[datetime, datetime]  # naive wall-clock [start, end)
Piece = tuple[datetime, datetime]  # aware UTC [start, end)


def _minutes(text: str) -> int:
    hours, minutes = text.strip().split(":")
    return int(hours) * 60 + int(minutes)


def _interval(text: str) -> tuple[int, int]:
    first, second = text.split("-")
    start, end = _minutes(first), _minutes(second)
    if end <= start:  # overnight: ends on the next day
        end += 24 * 60
    return start, end


def _intervals(value: str | list[str]) -> list[tuple[int, int]]:
    return [_interval(value)] if isinstance(value, str) else [_interval(v) for v in value]


def _weekdays(spec: str) -> list[int]:
    out: list[int] = []
    for part in spec.lower().replace(" ", "").split(","):
        if "-" in part:
            first, last = part.split("-")
            day = DAYS.index(first)
            out.append(day)
            while day != DAYS.index(last):
                day = (day + 1) % 7
                out.append(day)
        else:
            out.append(DAYS.index(part))
    return out


def _date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


class ReferenceCalendar:
    """Answers the questions :class:`escalate.Calendar` answers, slowly and plainly."""

    def __init__(self, config: Mapping[str, object] | str) -> None:
        if isinstance(config, str):  # "24x7"
            config = {"timezone": "UTC", "hours": "24x7"}
        self.zone = ZoneInfo(str(config["timezone"]))
        hours = config["hours"]
        self.weekly: dict[int, list[tuple[int, int]]] = {day: [] for day in range(7)}
        self.always = hours == "24x7"
        if isinstance(hours, str):
            for day in range(7):
                self.weekly[day].append((0, 24 * 60))
        else:
            assert isinstance(hours, Mapping)
            for spec, value in hours.items():
                for day in _weekdays(spec):
                    self.weekly[day] += _intervals(value)

        spec = config.get("holidays", {})
        assert isinstance(spec, Mapping)
        years: list[int] | None = spec.get("years") or config.get("years")  # type: ignore[assignment]
        self.holidays: set[date] = set()
        if "country" in spec:
            assert years is not None
            found = holidays_package.country_holidays(
                spec["country"],
                subdiv=spec.get("subdiv"),
                years=range(years[0], years[1] + 1),
                categories=tuple(spec["categories"]) if spec.get("categories") else None,
            )
            self.holidays |= {day for day in found if years[0] <= day.year <= years[1]}
        self.holidays |= {_date(day) for day in spec.get("dates", [])}
        for month_day in spec.get("recurring", []):
            assert years is not None
            month, day_of_month = (int(part) for part in month_day.split("-"))
            for year in range(years[0], years[1] + 1):
                if (month, day_of_month) != (2, 29) or calendar.isleap(year):
                    self.holidays.add(date(year, month, day_of_month))

        def dated(key: str) -> dict[date, list[tuple[int, int]]]:
            table = config.get(key, {})
            assert isinstance(table, Mapping)
            return {_date(day): _intervals(value) for day, value in table.items()}

        self.closures = dated("closures")
        self.extra_hours = dated("extra_hours")
        # A plain 24x7 calendar holds no dated data and so answers for any instant.
        self.unbounded = (
            self.always
            and not self.holidays
            and not self.closures
            and not self.extra_hours
            and years is None
        )
        first, last = years or (2000, 2050)
        self.first_day, self.last_day = date(first, 1, 1), date(last, 12, 31)
        if self.unbounded:
            self.lo = datetime(1, 1, 2, tzinfo=UTC)
            self.hi = datetime(9999, 12, 30, tzinfo=UTC)
        else:
            self.lo = self.first_instant_at(datetime(first, 1, 1))
            self.hi = self.first_instant_at(datetime(last + 1, 1, 1))

    # -- wall clock ---------------------------------------------------------------------------

    def wall(self, at: datetime) -> datetime:
        """The naive wall-clock reading of an instant in the calendar's zone."""
        return at.astimezone(self.zone).replace(tzinfo=None)

    def offset(self, at: datetime) -> timedelta:
        offset = at.astimezone(self.zone).utcoffset()
        assert offset is not None
        return offset

    def transitions(self, lo: datetime, hi: datetime) -> list[datetime]:
        """The instants in ``(lo, hi]`` at which the zone's UTC offset changes."""
        out: list[datetime] = []
        t = lo
        while t < hi:
            step = min(HOUR, hi - t)
            if self.offset(t) != self.offset(t + step):
                a, b = t, t + step  # the offset is offset(a) up to some instant in (a, b]
                while b - a > ONE_US:
                    mid = a + (b - a) // 2 // ONE_US * ONE_US
                    if self.offset(mid) == self.offset(a):
                        a = mid
                    else:
                        b = mid
                out.append(b)
            t += step
        return out

    def instants_reading(self, wall: datetime) -> list[datetime]:
        """Every instant whose wall time is ``wall``: none (a gap), one, or two (a fold)."""
        found = set()
        for fold in (0, 1):
            at = wall.replace(tzinfo=self.zone, fold=fold).astimezone(UTC)
            if self.wall(at) == wall:
                found.add(at)
        return sorted(found)

    def first_instant_at(self, wall: datetime) -> datetime:
        """The first instant whose wall time is ``wall`` or, in a gap, the end of the gap."""
        readings = self.instants_reading(wall)
        if readings:
            return readings[0]
        guesses = [wall.replace(tzinfo=self.zone, fold=f).astimezone(UTC) for f in (0, 1)]
        lo, hi = min(guesses), max(guesses)
        (gap_end,) = [t for t in self.transitions(lo - HOUR, hi + HOUR) if self.wall(t) > wall]
        return gap_end

    # -- the open set -------------------------------------------------------------------------

    def opened_on(self, day: date) -> list[Wall]:
        """The wall intervals that open on ``day`` (weekly hours unless a holiday, extras)."""
        midnight = datetime.combine(day, time())
        minutes: list[tuple[int, int]] = list(self.extra_hours.get(day, []))
        if day not in self.holidays:
            minutes += self.weekly[day.weekday()]
        return [
            (midnight + timedelta(minutes=s), midnight + timedelta(minutes=e)) for s, e in minutes
        ]

    def closed_on(self, day: date) -> list[Wall]:
        midnight = datetime.combine(day, time())
        return [
            (midnight + timedelta(minutes=s), midnight + timedelta(minutes=e))
            for s, e in self.closures.get(day, [])
        ]

    def wall_is_open(self, wall: datetime) -> bool:
        # An interval is at most a day long, so only today's and yesterday's can hold ``wall``.
        days = (wall.date(), wall.date() - DAY)
        opened = any(a <= wall < b for day in days for a, b in self.opened_on(day))
        closed = any(a <= wall < b for day in days for a, b in self.closed_on(day))
        return opened and not closed

    def _open(self, at: datetime) -> bool:
        return self.unbounded or self.wall_is_open(self.wall(at))

    # -- range --------------------------------------------------------------------------------

    def check(self, *instants: datetime) -> None:
        for at in instants:
            if not self.lo <= at <= self.hi:
                raise CalendarRangeError(f"{at} is outside the reference's range")

    def check_instant(self, at: datetime) -> None:
        """Instants asked about (not span ends) must lie in ``[lo, hi)``."""
        if not self.lo <= at < self.hi:
            raise CalendarRangeError(f"{at} is outside the reference's range")

    # -- pieces -------------------------------------------------------------------------------

    def pieces(self, lo: datetime, hi: datetime) -> list[Piece]:
        """The open pieces of ``[lo, hi)`` (UTC, sorted, adjacent ones merged)."""
        lo, hi = lo.astimezone(UTC), hi.astimezone(UTC)
        if hi <= lo:
            return []
        if self.unbounded:
            return [(lo, hi)]
        candidates = {lo, hi, *self.transitions(lo, hi)}
        day = self.wall(lo - 2 * DAY).date()
        while day <= self.wall(hi + DAY).date():
            for a, b in self.opened_on(day) + self.closed_on(day):
                for wall in (a, b):
                    candidates.update(self.instants_reading(wall))
            day += DAY
        points = sorted(c for c in candidates if lo <= c <= hi)
        out: list[Piece] = []
        for p, q in itertools.pairwise(points):
            if self._open(p):
                if out and out[-1][1] == p:
                    out[-1] = (out[-1][0], q)
                else:
                    out.append((p, q))
        return out

    def forward(self, start: datetime) -> Iterator[Piece]:
        """Open pieces from ``start`` on, up to the end of the range (three days at a time)."""
        t = start
        while t < self.hi:
            nxt = min(t + 3 * DAY, self.hi)
            yield from self.pieces(t, nxt)
            t = nxt

    def backward(self, start: datetime) -> Iterator[Piece]:
        """Open pieces before ``start``, latest first, down to the start of the range."""
        t = start
        while t > self.lo:
            prev = max(t - 3 * DAY, self.lo)
            yield from reversed(self.pieces(prev, t))
            t = prev

    # -- the API under test -------------------------------------------------------------------

    def windows(self, start: datetime, end: datetime) -> list[Piece]:
        self.check(start, end)
        return self.pieces(start, end)

    def is_open(self, at: datetime) -> bool:
        self.check_instant(at)
        return self._open(at)

    def elapsed(
        self, start: datetime, end: datetime, exclude: Iterable[tuple[datetime, datetime]] = ()
    ) -> timedelta:
        self.check(start, end)
        holes = [(f.astimezone(UTC), t.astimezone(UTC)) for f, t in exclude]
        total = timedelta(0)
        for a, b in self.pieces(start, end):
            cuts = sorted({a, b} | {x for hole in holes for x in hole if a < x < b})
            for p, q in itertools.pairwise(cuts):
                if not any(f <= p < t for f, t in holes):
                    total += q - p
        return total

    def add(self, start: datetime, duration: timedelta) -> datetime:
        if duration < timedelta(0):
            return self.subtract(start, -duration)
        self.check(start)
        left = duration
        for a, b in self.forward(start.astimezone(UTC)):
            if left == timedelta(0) or b - a >= left:
                return a + left
            left -= b - a
        raise CalendarRangeError("ran past the end of the reference's range")

    def subtract(self, start: datetime, duration: timedelta) -> datetime:
        if duration < timedelta(0):
            return self.add(start, -duration)
        self.check(start)
        left = duration
        # Zero lands on the end of the latest open piece before ``start``: ``start`` itself if
        # the calendar is open just before it, else the previous closing (mirror of ``add``).
        for a, b in self.backward(start.astimezone(UTC)):
            if b - a >= left:
                return b - left
            left -= b - a
        raise CalendarRangeError("ran past the start of the reference's range")

    def next_open(self, at: datetime) -> datetime:
        self.check_instant(at)
        for a, _ in self.forward(at.astimezone(UTC)):
            return a
        raise CalendarRangeError("no opening before the end of the reference's range")

    def next_close(self, at: datetime) -> datetime | None:
        """The end of the open run at or after ``at``; a run reaching the range's end has no
        known close (``None`` for a plain 24x7 calendar, else a range error)."""
        self.check_instant(at)
        if self.unbounded:
            return None
        run_end: datetime | None = None
        for a, b in self.forward(at.astimezone(UTC)):
            if run_end is not None and a != run_end:
                return run_end
            run_end = b
        if run_end is not None and run_end < self.hi:
            return run_end
        raise CalendarRangeError("no known close before the end of the reference's range")

    def is_working_day(self, day: date) -> bool:
        """Whether the calendar is open at some instant of the local date ``day``."""
        if self.unbounded:
            return True
        if not self.first_day <= day <= self.last_day:
            raise CalendarRangeError("the date lies outside the reference's range")
        lo = self.first_instant_at(datetime.combine(day, time()))
        hi = self.first_instant_at(datetime.combine(day + DAY, time()))
        return bool(self.pieces(lo, hi))

    def add_business_days(self, start: datetime, days: int) -> datetime:
        self.check(start)
        if days == 0:
            return start.astimezone(UTC)
        local = self.wall(start)
        day, step, left = local.date(), (1 if days > 0 else -1), abs(days)
        while left:
            day += step * DAY
            if not self.first_day <= day <= self.last_day:
                raise CalendarRangeError("ran out of the reference's range counting days")
            if self.is_working_day(day):
                left -= 1
        return self.first_instant_at(datetime.combine(day, local.time()))
