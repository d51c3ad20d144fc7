"""Time windows: Prometheus Alertmanager ``time_intervals``, plus overnight ranges and holidays.

A :class:`TimeWindow` answers two questions about an instant: is it inside the window
(:meth:`TimeWindow.contains`), and when does that answer next change
(:meth:`TimeWindow.next_change`). The configuration is Alertmanager's ``time_intervals`` format
verbatim, so an existing ``alertmanager.yml`` interval can be pasted in unchanged. Two
extensions are described in ``docs/time-windows.md``: overnight ``times`` ranges (``22:00`` to
``06:00``) and a per-entry ``holidays:`` mapping.

Everything is compiled at :meth:`TimeWindow.from_config` time into bitmasks (one bit per
weekday, month, day of month and minute of the day), so evaluation never parses. Instants are
integer microseconds; floats never touch them.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from escalate._models import validate_model
from escalate.calendars._holidays import resolve_holidays
from escalate.calendars._instants import (
    DAY_US,
    EPOCH_ORDINAL,
    MAX_US,
    MINUTE_US,
    OffsetTable,
    checked_utc,
    from_us,
    load_zone,
    offset_us,
    to_us,
)
from escalate.calendars.models import (
    NamedTimeIntervalModel,
    TimeIntervalModel,
    TimeRangeModel,
    TimeWindowConfig,
)
from escalate.errors import CalendarRangeError, PolicyError, render_path, shown, suggest

__all__ = ["QUIET_DAYS", "TimeWindow"]

Path = tuple[str | int, ...]

#: How many consecutive unchanging local days ``next_change`` scans before it concludes that
#: nothing changes until the next ``years`` (or holiday-years) boundary. It is the longest gap
#: between two days that look alike to a time interval (same weekday, month, day of month and,
#: for February and March, leap year) anywhere in the 400-year Gregorian cycle: 29 February on
#: a given weekday can be 14,609 days (40 years, across 2100) apart. Any run this long has seen
#: every kind of day, so "no change" after it is exact, not a guess.
QUIET_DAYS = 14_610

ENTRY_KEYS = (
    "times",
    "weekdays",
    "days_of_month",
    "months",
    "years",
    "location",
    "holidays",
    "on_holidays",
)

# Alertmanager numbers weekdays like Go's time.Weekday (Sunday = 0), and a range must not run
# backwards in that numbering: 'sunday:saturday' is the whole week, 'saturday:sunday' an error.
_AM_WEEKDAYS = {
    "sunday": 0,
    "monday": 1,
    "tuesday": 2,
    "wednesday": 3,
    "thursday": 4,
    "friday": 5,
    "saturday": 6,
}
_MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}
_MONTH_NAMES = {number: name for name, number in _MONTHS.items()}
# strconv.Atoi's syntax, which Alertmanager uses for numeric members.
# At most nine digits: every day, month or year fits, and int() never meets a 5,000-digit token
# (which it refuses with a ValueError).
_INT_RE = re.compile(r"[+-]?[0-9]{1,9}")
# Alertmanager's own pattern for a clock time: two-digit hours, and 24:00 as the only hour 24.
_CLOCK_RE = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00")

DAY_MINUTES = 1440
FULL_DAY = (1 << DAY_MINUTES) - 1
_INNER_MINUTES = FULL_DAY & ~1  # minutes 1..1439: where a run of the day mask can start
_ALL_WEEKDAYS = (1 << 7) - 1
_ALL_MONTHS = ((1 << 13) - 1) & ~1  # bits 1..12
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# Scanning stops here: later instants are close to what datetime can represent at all.
_LAST_ORDINAL = date(9999, 12, 1).toordinal()
_UTC_ZONE = ZoneInfo("UTC")


def _full_dom(days: int) -> int:
    return ((1 << (days + 1)) - 1) & ~1  # bits 1..days


_ALL_DOMS = (_full_dom(28), _full_dom(29), _full_dom(30), _full_dom(31))


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int, month: int) -> int:
    """Length of a month.

    >>> _days_in_month(2024, 2), _days_in_month(2100, 2), _days_in_month(2023, 4)
    (29, 28, 30)
    """
    if month == 2 and _is_leap(year):
        return 29
    return _DAYS_IN_MONTH[month]


def _minute_bits(start_min: int, end_min: int) -> int:
    """Bitmask of the minutes ``[start_min, end_min)`` of a day.

    >>> bin(_minute_bits(1, 3))
    '0b110'
    """
    return ((1 << end_min) - 1) & ~((1 << start_min) - 1)


# --------------------------------------------------------------------------------------------
# Parsing


def _yaml_base60_hint(value: int) -> str:
    """Explain an integer that is really an unquoted ``a:b`` read by a YAML 1.1 loader.

    >>> _yaml_base60_hint(65)
    " (an unquoted 1:5 is read by YAML 1.1 as the base-60 number 65; quote it: '1:5')"
    >>> _yaml_base60_hint(12)
    ''
    """
    if value < 60:
        return ""
    text = f"{value // 60}:{value % 60}"
    return (
        f" (an unquoted {text} is read by YAML 1.1 as the base-60 number {value}; "
        f"quote it: '{text}')"
    )


def _parse_clock(value: object, path: Path) -> int:
    """Minutes since midnight of an Alertmanager clock time ``HH:MM`` (``24:00`` allowed).

    >>> _parse_clock("17:30", ()), _parse_clock("24:00", ())
    (1050, 1440)
    """
    if isinstance(value, str) and _CLOCK_RE.fullmatch(value):
        return int(value[:2]) * 60 + int(value[3:])
    hint = ""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= DAY_MINUTES:
        text = f"{value // 60:02d}:{value % 60:02d}"
        hint = (
            f"; an unquoted {text} is read by YAML 1.1 as the base-60 number {value}, "
            f"quote it: '{text}'"
        )
    raise PolicyError(
        f"expected a time 'HH:MM' (00:00 to 23:59, or 24:00 as an end), got {shown(value)}{hint}",
        path=path,
    )


def _list_field(config: Mapping[object, object], key: str, path: Path) -> list[object] | None:
    if key not in config:
        return None
    value = config[key]
    if value is None:
        raise PolicyError(
            f"{key} is empty (null); omit the key to match every value", path=(*path, key)
        )
    if not isinstance(value, list):
        raise PolicyError(f"{key} must be a list, got {shown(value)}", path=(*path, key))
    if not value:
        raise PolicyError(
            f"{key} is an empty list, which Alertmanager reads as matching nothing; "
            "omit the key to match every value",
            path=(*path, key),
        )
    return value


def _range_tokens(raw: object, what: str, path: Path) -> tuple[str | int, str | int]:
    """The two ends of a member or ``begin:end`` range, lower-cased like Alertmanager does."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw, raw
    if not isinstance(raw, str):
        raise PolicyError(f"expected {what}, got {shown(raw)}", path=path)
    text = raw.lower()
    if ":" not in text:
        return text, text
    parts = text.split(":")
    if len(parts) != 2:
        raise PolicyError(f"{shown(raw)} is not a range 'begin:end'", path=path)
    return parts[0], parts[1]


def _int_token(token: str | int, raw: object, what: str, path: Path) -> int:
    if isinstance(token, int):
        return token
    if _INT_RE.fullmatch(token):
        return int(token)
    raise PolicyError(f"{shown(token)} in {shown(raw)} is not {what}", path=path)


def _weekday_bits(values: list[object], path: Path) -> int:
    """Bitmask of Python weekdays (Monday = bit 0) selected by Alertmanager ``weekdays``.

    >>> bin(_weekday_bits(["monday:friday"], ()))
    '0b11111'
    >>> bin(_weekday_bits(["Sunday:Monday"], ()))
    '0b1000001'
    """
    bits = 0
    for i, raw in enumerate(values):
        item_path = (*path, i)
        if isinstance(raw, int) and not isinstance(raw, bool):
            raise PolicyError(
                f"weekdays are names like 'monday', not numbers, got {shown(raw)}", path=item_path
            )
        tokens = _range_tokens(raw, "a weekday like 'monday' or a range 'monday:friday'", item_path)
        ends = []
        for token in tokens:
            assert isinstance(token, str)
            if token not in _AM_WEEKDAYS:
                raise PolicyError(
                    f"{shown(token)} in {shown(raw)} is not a weekday (monday … sunday)",
                    path=item_path,
                    suggestion=suggest(token, _AM_WEEKDAYS),
                )
            ends.append(_AM_WEEKDAYS[token])
        begin, end = ends
        if begin > end:
            raise PolicyError(
                f"weekday range {shown(raw)} runs backwards: Alertmanager weeks run from sunday to "
                f"saturday, so list the days separately, e.g. ['{tokens[0]}', '{tokens[1]}']"
                if end == 0
                else f"weekday range {shown(raw)} runs backwards (start after end)",
                path=item_path,
            )
        for am_day in range(begin, end + 1):
            bits |= 1 << ((am_day + 6) % 7)  # Alertmanager Sunday = 0 → Python Sunday = 6
    return bits


def _dom_masks(values: list[object], path: Path) -> tuple[int, int, int, int]:
    """Day-of-month bitmasks for months of 28, 29, 30 and 31 days, clamped like Alertmanager.

    A negative day counts from the month's end (-1 is the last day). A range whose start lies
    past the month's end selects nothing in that month; an end past it is clamped to it.

    >>> [bin(m) for m in _dom_masks(["30:31"], ())]
    ['0b0', '0b0', '0b1000000000000000000000000000000', '0b11000000000000000000000000000000']
    >>> [m.bit_count() for m in _dom_masks(["-3:-1"], ())]
    [3, 3, 3, 3]
    """
    masks = [0, 0, 0, 0]
    for i, raw in enumerate(values):
        item_path = (*path, i)
        what = "a day of the month like '1', '-1' or a range '1:5'"
        first, last = _range_tokens(raw, what, item_path)
        begin = _int_token(first, raw, "a day of the month", item_path)
        end = _int_token(last, raw, "a day of the month", item_path)
        for value in (begin, end):
            if value == 0 or not -31 <= value <= 31:
                raise PolicyError(
                    f"{value} in {shown(raw)} is not a day of the month (1 to 31, or -1 to -31 "
                    f"counting from the month's end){_yaml_base60_hint(value)}",
                    path=item_path,
                )
        if begin < 0 < end:
            raise PolicyError(
                f"days_of_month range {shown(raw)}: the end must be negative when the start is",
                path=item_path,
            )
        # Alertmanager rejects ranges that are empty in every month, judged on a 28-day month.
        check_begin = 28 + begin if begin < 0 else begin
        check_end = 28 + end if end < 0 else end
        if check_begin > check_end:
            raise PolicyError(
                f"days_of_month range {shown(raw)}: end day {end} is always before start day "
                f"{begin}",
                path=item_path,
            )
        for k, days in enumerate((28, 29, 30, 31)):
            lo = days + begin + 1 if begin < 0 else begin
            hi = days + end + 1 if end < 0 else end
            if lo > days:
                continue
            lo, hi = max(lo, 1), min(hi, days)
            if lo <= hi:
                masks[k] |= ((1 << (hi + 1)) - 1) & ~((1 << lo) - 1)
    return masks[0], masks[1], masks[2], masks[3]


def _month_bits(values: list[object], path: Path) -> int:
    """Bitmask of months (January = bit 1) from names, numbers or ranges of either.

    >>> bin(_month_bits(["january:march", 12], ()))
    '0b1000000001110'
    """
    bits = 0
    for i, raw in enumerate(values):
        item_path = (*path, i)
        tokens = _range_tokens(raw, "a month like 'january' or 1, or a range", item_path)
        ends = []
        for token in tokens:
            if isinstance(token, str) and token in _MONTHS:
                ends.append(_MONTHS[token])
                continue
            if isinstance(token, str) and not _INT_RE.fullmatch(token):
                raise PolicyError(
                    f"{shown(token)} in {shown(raw)} is not a month (january … december or 1 … 12)",
                    path=item_path,
                    suggestion=suggest(token, _MONTHS),
                )
            number = _int_token(token, raw, "a month", item_path)
            if not 1 <= number <= 12:
                raise PolicyError(
                    f"{number} in {shown(raw)} is not a month (1 … 12){_yaml_base60_hint(number)}",
                    path=item_path,
                )
            ends.append(number)
        begin, end = ends
        if begin > end:
            raise PolicyError(
                f"months range {shown(raw)}: end month {_MONTH_NAMES[end]} is before start month "
                f"{_MONTH_NAMES[begin]} (ranges do not wrap around the new year; list both parts)",
                path=item_path,
            )
        bits |= _minute_bits(begin, end + 1)
    return bits


def _year_ranges(values: list[object], path: Path) -> tuple[tuple[int, int], ...]:
    """Merged inclusive year ranges.

    >>> _year_ranges(["2020:2022", 2023, "2030"], ())
    ((2020, 2023), (2030, 2030))
    """
    ranges = []
    for i, raw in enumerate(values):
        item_path = (*path, i)
        first, last = _range_tokens(raw, "a year like '2024' or a range '2020:2022'", item_path)
        begin = _int_token(first, raw, "a year", item_path)
        end = _int_token(last, raw, "a year", item_path)
        for value in (begin, end):
            if not 1 <= value <= 9999:
                raise PolicyError(
                    f"{value} in {shown(raw)} is not a year (1 … 9999)", path=item_path
                )
        if begin > end:
            raise PolicyError(
                f"years range {shown(raw)}: end year {end} is before start year {begin}",
                path=item_path,
            )
        ranges.append((begin, end))
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(ranges):
        if merged and begin <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return tuple(merged)


def _times_masks(values: list[TimeRangeModel], path: Path) -> tuple[int, int]:
    """Minute bitmasks ``(same_day, next_day)`` of a ``times`` list.

    An overnight range (end before start) contributes its part after midnight to ``next_day``:
    it belongs to the day it starts on.

    >>> overnight = TimeRangeModel(start_time="22:00", end_time="06:00")
    >>> same, nxt = _times_masks([overnight], ())
    >>> same.bit_count(), nxt.bit_count()
    (120, 360)
    """
    same_day = next_day = 0
    for i, raw in enumerate(values):
        item_path = (*path, i)
        start_min = _parse_clock(raw.start_time, (*item_path, "start_time"))
        end_min = _parse_clock(raw.end_time, (*item_path, "end_time"))
        if start_min == DAY_MINUTES:
            raise PolicyError(
                "start_time 24:00 is the next day's 00:00; write 00:00",
                path=(*item_path, "start_time"),
            )
        if start_min == end_min:
            raise PolicyError(
                f"start_time and end_time are both {shown(raw.start_time)}: that is neither an "
                "empty nor a whole day; for the whole day write 00:00 to 24:00",
                path=item_path,
            )
        if start_min < end_min:
            same_day |= _minute_bits(start_min, end_min)
        else:  # overnight: an escalate extension (Alertmanager rejects end before start)
            same_day |= _minute_bits(start_min, DAY_MINUTES)
            next_day |= _minute_bits(0, end_min)
    return same_day, next_day


def _location(value: object, path: Path) -> ZoneInfo:
    if isinstance(value, str) and value.lower() == "local":
        raise PolicyError(
            "location 'Local' (the host's zone) is not supported: escalate never reads the "
            "machine's settings; name the IANA zone, e.g. 'Europe/Berlin'",
            path=path,
        )
    return load_zone(value, path)


# --------------------------------------------------------------------------------------------
# Compiled form


@dataclass(frozen=True, slots=True)
class _Entry:
    """One compiled Alertmanager time interval (one element of ``time_intervals``)."""

    weekdays: int  # bit i: Python weekday i (Monday = 0)
    months: int  # bit m: month m
    doms: tuple[int, int, int, int]  # day-of-month bits for months of 28, 29, 30, 31 days
    years: tuple[tuple[int, int], ...] | None
    same_day: int  # minute bits on the day that matches
    next_day: int  # minute bits after midnight, for overnight ranges that start the day before
    holiday_dates: frozenset[date] | None
    holiday_years: tuple[int, int] | None
    holidays_only: bool
    path: Path = field(compare=False)

    def sort_key(self) -> tuple[object, ...]:
        return (
            self.weekdays,
            self.months,
            self.doms,
            self.years or (),
            self.same_day,
            self.next_day,
            self.holiday_years or (),
            tuple(sorted(self.holiday_dates or ())),
            self.holiday_dates is None,
            self.holidays_only,
        )

    def year_ok(self, year: int) -> bool:
        if self.years is None:
            return True
        return any(lo <= year <= hi for lo, hi in self.years)

    def day_ok(self, year: int, month: int, day: int, weekday: int, days_in_month: int) -> bool:
        """Whether the day fields (and holidays) select this local date."""
        if not (self.months >> month) & 1:
            return False
        if not (self.doms[days_in_month - 28] >> day) & 1:
            return False
        if not (self.weekdays >> weekday) & 1:
            return False
        if self.years is not None and not self.year_ok(year):
            return False
        if self.holiday_dates is None:
            return True
        years = self.holiday_years
        if years is not None and not years[0] <= year <= years[1]:
            raise CalendarRangeError(
                f"{date(year, month, day).isoformat()} lies outside the holiday years "
                f"{years[0]}-{years[1]} of {render_path((*self.path, 'holidays'))}; widen "
                "'years' there (escalate never assumes a year has no holidays)"
            )
        return (date(year, month, day) in self.holiday_dates) == self.holidays_only

    @property
    def full_apart_from_years(self) -> bool:
        """Matches every instant of every year its ``years`` field allows."""
        return (
            self.weekdays == _ALL_WEEKDAYS
            and self.months == _ALL_MONTHS
            and self.doms == _ALL_DOMS
            and self.same_day == FULL_DAY
            and self.holiday_dates is None
        )

    def can_match(self) -> bool:
        """Whether some day of some month can satisfy the month and day-of-month fields."""
        for month in range(1, 13):
            if not (self.months >> month) & 1:
                continue
            lengths = (28, 29) if month == 2 else (_DAYS_IN_MONTH[month],)
            if any(self.doms[days - 28] for days in lengths):
                return True
        return False


@dataclass(frozen=True, slots=True)
class _Regime:
    """What holds for every local day between two consecutive year or holiday boundaries."""

    alive: bool  # some entry's years allow the day (or the day before, for overnight parts)
    full: bool  # some entry matches the whole day, every day
    holidays_known: bool  # some holiday set is in force: days may differ unpredictably


@dataclass(frozen=True, slots=True)
class _Zone:
    """The entries that share one location, evaluated on that location's wall clock."""

    zone: ZoneInfo
    entries: tuple[_Entry, ...]
    has_next_day: bool = field(compare=False)
    months: int = field(compare=False)  # union of the entries' month bits
    regime_starts: tuple[int, ...] = field(compare=False)  # date ordinals, sorted
    regimes: tuple[_Regime, ...] = field(compare=False)  # one more than regime_starts

    @staticmethod
    def build(zone: ZoneInfo, entries: tuple[_Entry, ...]) -> _Zone:
        bounds: set[int] = set()
        for e in entries:
            year_spans = list(e.years or ())
            if e.holiday_years is not None:
                year_spans.append(e.holiday_years)
            for lo, hi in year_spans:
                for year in (lo, hi + 1):
                    if year <= 9999:
                        first = date(year, 1, 1).toordinal()
                        bounds.update((first, first + 1))  # +1: overnight parts of Dec 31
            if e.holiday_dates and e.holiday_years is None:
                bounds.add(max(e.holiday_dates).toordinal() + 2)
        starts = tuple(sorted(bounds))
        regimes = []
        for i in range(len(starts) + 1):
            day = starts[i - 1] if i else (starts[0] - 1 if starts else EPOCH_ORDINAL)
            # ``years: [1]`` puts a boundary at the first ordinal; no date lies before it, and
            # year 0 (which no entry selects) stands for "before the calendar began".
            year = date.fromordinal(day).year if day >= 1 else 0
            prev_year = date.fromordinal(day - 1).year if day >= 2 else 0
            alive = any(e.year_ok(year) or (e.next_day and e.year_ok(prev_year)) for e in entries)
            full = any(e.full_apart_from_years and e.year_ok(year) for e in entries)
            known = False
            for e in entries:
                if e.holiday_years is not None:
                    lo, hi = e.holiday_years
                    known = known or lo <= year <= hi or lo <= prev_year <= hi
                elif e.holiday_dates:
                    known = known or day <= max(e.holiday_dates).toordinal() + 1
            regimes.append(_Regime(alive=alive, full=full, holidays_known=known))
        months = 0
        for e in entries:
            months |= e.months
        return _Zone(
            zone=zone,
            entries=entries,
            has_next_day=any(e.next_day for e in entries),
            months=months,
            regime_starts=starts,
            regimes=tuple(regimes),
        )

    def day_mask(self, year: int, month: int, day: int, weekday: int) -> int:
        """Minute bits of the wall-clock day ``year-month-day`` that lie inside the window."""
        days = _days_in_month(year, month)
        mask = 0
        for e in self.entries:
            if e.day_ok(year, month, day, weekday, days):
                mask |= e.same_day
        if self.has_next_day:
            if day > 1:
                p_year, p_month, p_day, p_days = year, month, day - 1, days
            elif month > 1:
                p_year, p_month = year, month - 1
                p_days = p_day = _days_in_month(year, month - 1)
            else:
                p_year, p_month, p_day, p_days = year - 1, 12, 31, 31
            p_weekday = (weekday - 1) % 7
            for e in self.entries:
                if e.next_day and e.day_ok(p_year, p_month, p_day, p_weekday, p_days):
                    mask |= e.next_day
        return mask

    def contains_local(self, local: datetime) -> bool:
        mask = self.day_mask(local.year, local.month, local.day, local.weekday())
        return bool((mask >> (local.hour * 60 + local.minute)) & 1)

    def contains_us(self, at_us: int) -> bool:
        return self.contains_local(from_us(at_us).astimezone(self.zone))

    def ordinal_mask(self, ordinal: int) -> int:
        d = date.fromordinal(ordinal)
        return self.day_mask(d.year, d.month, d.day, d.weekday())

    def next_change(self, at_us: int, cur: bool) -> int | None:
        """The first instant after ``at_us`` where this zone's answer differs from ``cur``."""
        zone = self.zone
        ordinal = (at_us + offset_us(zone, at_us)) // DAY_US + EPOCH_ORDINAL
        # A fall-back across midnight can return the wall clock to the previous date.
        if offset_us(zone, at_us - DAY_US) != offset_us(zone, at_us + DAY_US):
            ordinal -= 1
        quiet = FULL_DAY if cur else 0
        run = 0
        run_regime = -1
        while ordinal <= _LAST_ORDINAL:
            r = bisect.bisect_right(self.regime_starts, ordinal)
            if r != run_regime:
                run_regime, run = r, 0
            regime = self.regimes[r]
            regime_end = self.regime_starts[r] if r < len(self.regime_starts) else None
            if (regime.full if cur else not regime.alive) or (
                run >= QUIET_DAYS and not regime.holidays_known
            ):
                # Nothing can change before the next boundary (see QUIET_DAYS).
                if regime_end is None:
                    return None
                ordinal = regime_end
                continue
            d = date.fromordinal(ordinal)
            mask = self.day_mask(d.year, d.month, d.day, d.weekday())
            if mask == quiet:
                step = 1
                if not cur and not (self.months >> d.month) & 1:
                    # No entry selects this month, so no day of it (nor an overnight part
                    # starting in it) can match: skip to the 1st of the next month.
                    step = _days_in_month(d.year, d.month) - d.day + 1
                    if regime_end is not None:
                        step = min(step, regime_end - ordinal)
                run += step
                ordinal += step
                continue
            run = 0
            hit, near_transition = self._first_flip_on(ordinal, mask, at_us, cur)
            if hit is not None:
                if near_transition and ordinal + 1 <= _LAST_ORDINAL:
                    # A fall-back across midnight interleaves this date's instants with the
                    # next date's; the earlier flip wins.
                    later_mask = self.ordinal_mask(ordinal + 1)
                    if later_mask != quiet:
                        other, _ = self._first_flip_on(ordinal + 1, later_mask, at_us, cur)
                        if other is not None:
                            hit = min(hit, other)
                return hit
            ordinal += 1
        return None

    def _first_flip_on(
        self, ordinal: int, mask: int, at_us: int, cur: bool
    ) -> tuple[int | None, bool]:
        """The first instant after ``at_us`` on wall date ``ordinal`` where the answer is not
        ``cur``, and whether a UTC offset change lies near that date.

        The answer can only change where the wall clock reaches a minute at which ``mask``
        changes (every instant showing that wall time: a repeated hour shows it twice, a
        skipped one never, so the end of the gap stands in) or where the offset changes.
        """
        lo_wall = (ordinal - EPOCH_ORDINAL) * DAY_US
        hi_wall = lo_wall + DAY_US
        table = OffsetTable(self.zone, lo_wall, hi_wall)
        edges = (mask ^ (mask << 1)) & _INNER_MINUTES
        minutes = [0, DAY_MINUTES]
        while edges:
            low = edges & -edges
            minutes.append(low.bit_length() - 1)
            edges ^= low
        candidates: set[int] = set()
        starts, offsets = table.starts, table.offsets
        near_transition = False
        for i, seg_lo in enumerate(starts):
            seg_hi = starts[i + 1] if i + 1 < len(starts) else MAX_US
            off = offsets[i]
            for minute in minutes:
                at = lo_wall + minute * MINUTE_US - off
                if seg_lo <= at < seg_hi:
                    candidates.add(at)
            if i and (
                lo_wall <= seg_lo + off <= hi_wall or lo_wall <= seg_lo + offsets[i - 1] <= hi_wall
            ):
                candidates.add(seg_lo)  # the wall clock jumps here
                near_transition = True
        # Wall times inside a gap have no instant; the end of the gap is the transition itself,
        # which is already a candidate.
        for candidate in sorted(candidates):
            if at_us < candidate <= MAX_US and self.contains_us(candidate) != cur:
                return candidate, near_transition
        return None, near_transition


# --------------------------------------------------------------------------------------------
# Public value


@dataclass(frozen=True, slots=True, repr=False)
class TimeWindow:
    """A set of instants described by Alertmanager ``time_intervals`` (plus two extensions).

    Build one with :meth:`from_config` or :meth:`always`; the constructor is internal. Equal
    configurations give equal (and equally hashed) windows, whatever the order of entries.
    """

    _zones: tuple[_Zone, ...]
    _always: bool
    _has_holidays: bool
    #: The ``name`` of a named interval, for traces and explanations.
    name: str | None = None

    @classmethod
    def always(cls) -> TimeWindow:
        """The window that contains every instant (``next_change`` is always ``None``).

        >>> from datetime import UTC
        >>> TimeWindow.always().contains(datetime(2024, 1, 1, tzinfo=UTC))
        True
        """
        return cls(_zones=(), _always=True, _has_holidays=False)

    @classmethod
    def from_config(cls, config: object, *, path: Sequence[str | int] = ()) -> TimeWindow:
        """Compile Alertmanager ``time_intervals`` configuration.

        ``config`` is one entry (a mapping of ``times``, ``weekdays``, ``days_of_month``,
        ``months``, ``years``, ``location``, and escalate's ``holidays`` / ``on_holidays``), a
        list of entries (a match of any entry matches), or a named interval ``{name: ...,
        time_intervals: [entries]}``. ``path`` is where ``config`` stands in the document; error
        paths extend it. Raises :class:`PolicyError` for unknown keys (with a suggestion) and
        for values Alertmanager would reject, and for a few it would accept but that can never
        be meant (empty lists, months 13 and up, an entry no date can satisfy).

        >>> from datetime import UTC
        >>> w = TimeWindow.from_config({"weekdays": ["saturday", "sunday"]})
        >>> w.contains(datetime(2024, 6, 1, 12, 0, tzinfo=UTC))  # a Saturday
        True
        >>> w.next_change(datetime(2024, 6, 1, 12, 0, tzinfo=UTC)).isoformat()
        '2024-06-03T00:00:00+00:00'
        """
        base: Path = tuple(path)
        model = _model(config, base)
        name: str | None = None
        if isinstance(model, NamedTimeIntervalModel):
            name = model.name
            base = (*base, "time_intervals")
            entries = [(item, (*base, i)) for i, item in enumerate(model.time_intervals)]
        elif isinstance(model, list):
            entries = [(item, (*base, i)) for i, item in enumerate(model)]
        else:
            entries = [(model, base)]
        if not entries:
            raise PolicyError(
                "an empty list of time intervals matches no instant; to match every instant "
                "use a single empty entry {}",
                path=base,
            )
        by_zone: dict[str, tuple[ZoneInfo, list[_Entry]]] = {}
        always_on = False
        for spec, entry_path in entries:
            zone, entry = _compile_entry(spec, entry_path)
            if entry.full_apart_from_years and entry.years is None:
                always_on = True
            by_zone.setdefault(zone.key, (zone, []))[1].append(entry)
        # Zones and entries in a canonical order: the configuration's order never matters,
        # neither to answers nor to equality.
        zones = tuple(
            _Zone.build(zone, tuple(sorted(entries, key=_Entry.sort_key)))
            for _, (zone, entries) in sorted(by_zone.items())
        )
        has_holidays = any(e.holiday_dates is not None for z in zones for e in z.entries)
        return cls(_zones=zones, _always=always_on, _has_holidays=has_holidays, name=name)

    def __repr__(self) -> str:
        if self._always and not self._zones:
            return "TimeWindow.always()"
        count = sum(len(z.entries) for z in self._zones)
        where = ", ".join(z.zone.key for z in self._zones)
        label = f"{shown(self.name)}, " if self.name else ""
        return f"TimeWindow({label}{count} entr{'y' if count == 1 else 'ies'} in {where})"

    def contains(self, at: datetime) -> bool:
        """Whether the instant ``at`` lies in the window (read on each entry's wall clock).

        ``at`` must be aware (a naive datetime raises :class:`NaiveDatetimeError`). Only the
        wall-clock minute matters, as in Alertmanager: ``09:00``–``17:00`` contains 16:59:59.9
        but not 17:00. Raises :class:`CalendarRangeError` when an entry with ``holidays`` would
        select the local date (or, for its overnight ranges, the date before) and that date lies
        outside the holiday years, and :class:`InstantRangeError` for an instant outside the
        range escalate computes with (its wall time could not be read in every zone).
        """
        at = checked_utc(at, "instant")
        if self._always and not self._has_holidays:
            return True
        found = self._always
        for z in self._zones:
            if z.contains_local(at.astimezone(z.zone)):
                if not self._has_holidays:
                    return True
                # Keep evaluating: a date outside the holiday years must raise whatever the
                # other entries say, so the answer never depends on the order of entries.
                found = True
        return found

    def next_change(self, at: datetime) -> datetime | None:
        """The earliest instant strictly after ``at`` where :meth:`contains` flips, in UTC.

        ``None`` when the answer never changes again. Exact at DST transitions: boundaries are
        wall times in each entry's location; a boundary inside a spring-forward gap takes
        effect at the end of the gap, and a repeated hour is walked through twice. The search
        runs over local dates, skipping days that cannot change, and is exact: after
        :data:`QUIET_DAYS` unchanging days it jumps to the next ``years`` or holiday-years
        boundary (or answers ``None`` if there is none). It raises
        :class:`CalendarRangeError` if it reaches a date whose holidays it does not know before
        it finds the change. Windows whose entries use several locations scan at most
        ``QUIET_DAYS`` days past ``at`` and answer ``None`` if nothing changed by then.
        """
        at_us = to_us(at)
        cur = self.contains(at)
        if self._always and not self._has_holidays:
            return None
        if len(self._zones) == 1 and not self._always:
            found = self._zones[0].next_change(at_us, cur)
            return None if found is None else from_us(found)
        return self._next_change_zones(at_us, cur)

    def _next_change_zones(self, at_us: int, cur: bool) -> datetime | None:
        # With several locations the window is an OR of per-zone answers. Each zone's own next
        # change is exact, and the OR can only change where some zone's answer does.
        if not cur:
            found = [z.next_change(at_us, False) for z in self._zones]
            hits = [t for t in found if t is not None]
            return from_us(min(hits)) if hits else None
        if self._always:  # holidays forced the full evaluation; nothing can flip
            return None
        horizon_us = at_us + QUIET_DAYS * DAY_US
        t = at_us
        while t <= horizon_us:
            # While any zone is inside, the OR is inside: jump to the latest end among them.
            ends = []
            for z in self._zones:
                if z.contains_us(t):
                    end = z.next_change(t, True)
                    if end is None:
                        return None
                    ends.append(end)
            if not ends:
                return from_us(t)
            t = max(ends)
        return None


def _model(config: object, path: Path) -> TimeWindowConfig:
    """The validated model of a window configuration (an entry, a list, a named interval)."""
    if isinstance(config, NamedTimeIntervalModel | TimeIntervalModel):
        return config
    if isinstance(config, list) and all(isinstance(c, TimeIntervalModel) for c in config):
        return config
    if isinstance(config, Mapping) and ("time_intervals" in config or "name" in config):
        for key in config:
            if key in ENTRY_KEYS:
                raise PolicyError(
                    f"{shown(key)} belongs inside one of the entries of 'time_intervals', not "
                    "beside 'name'",
                    path=(*path, str(key)),
                )
        return validate_model(NamedTimeIntervalModel, config, path=path)
    if isinstance(config, Mapping):
        return validate_model(TimeIntervalModel, config, path=path)
    if isinstance(config, list):
        return [
            validate_model(TimeIntervalModel, item, path=(*path, i))
            for i, item in enumerate(config)
        ]
    raise PolicyError(
        "a time window must be a time interval mapping, a list of them, or "
        f"{{name: ..., time_intervals: [...]}}, got {shown(config)}",
        path=path,
    )


def _given_list(spec: TimeIntervalModel, key: str, path: Path) -> list[object] | None:
    """A list-valued key of an entry: ``None`` when omitted; ``null`` and ``[]`` are errors."""
    value: list[object] | None = getattr(spec, key)
    if key not in spec.model_fields_set:
        return None
    if value is None:
        raise PolicyError(
            f"{key} is empty (null); omit the key to match every value", path=(*path, key)
        )
    if not value:
        raise PolicyError(
            f"{key} is an empty list, which Alertmanager reads as matching nothing; "
            "omit the key to match every value",
            path=(*path, key),
        )
    return value


def _compile_entry(spec: TimeIntervalModel, path: Path) -> tuple[ZoneInfo, _Entry]:
    times = _given_list(spec, "times", path)
    weekdays = _given_list(spec, "weekdays", path)
    doms = _given_list(spec, "days_of_month", path)
    months = _given_list(spec, "months", path)
    years = _given_list(spec, "years", path)
    zone = _UTC_ZONE
    if spec.location is not None:
        zone = _location(spec.location, (*path, "location"))
    same_day, next_day = FULL_DAY, 0
    if times is not None:
        same_day, next_day = _times_masks(spec.times or [], (*path, "times"))
    holiday_dates: frozenset[date] | None = None
    holiday_years: tuple[int, int] | None = None
    only = False
    if spec.holidays is not None:
        holidays = resolve_holidays(spec.holidays, (*path, "holidays"))
        holiday_dates, holiday_years = holidays.dates, holidays.years
        only = spec.on_holidays == "only"
        if only and not holiday_dates:
            raise PolicyError(
                "on_holidays: only with no holiday dates can never match",
                path=(*path, "holidays"),
            )
    elif spec.on_holidays is not None:
        raise PolicyError("on_holidays needs a 'holidays' mapping", path=(*path, "on_holidays"))
    entry = _Entry(
        weekdays=_ALL_WEEKDAYS
        if weekdays is None
        else _weekday_bits(weekdays, (*path, "weekdays")),
        months=_ALL_MONTHS if months is None else _month_bits(months, (*path, "months")),
        doms=_ALL_DOMS if doms is None else _dom_masks(doms, (*path, "days_of_month")),
        years=None if years is None else _year_ranges(years, (*path, "years")),
        same_day=same_day,
        next_day=next_day,
        holiday_dates=holiday_dates,
        holiday_years=holiday_years,
        holidays_only=only,
        path=path,
    )
    if not entry.can_match():
        raise PolicyError(
            "this time interval matches no date: no selected month has any of the selected "
            "days_of_month",
            path=path,
        )
    return zone, entry
