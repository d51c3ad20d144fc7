"""Hypothesis strategies for property tests of code that uses escalate.

Instants come out as aware datetimes (expressed in a random zone, so code under test cannot
rely on receiving UTC), durations as :class:`~datetime.timedelta`, calendars as the plain
mappings :meth:`escalate.Calendar.from_config` takes (what a YAML calendar entry parses to).
Every strategy favours round values (whole seconds, minutes, quarter hours) besides arbitrary
microseconds, because working-hour boundaries sit on round values and that is where bugs live.

>>> from datetime import UTC, datetime
>>> strategy = aware_datetimes(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 12, 31, tzinfo=UTC))
>>> isinstance(strategy, SearchStrategy)
True

Requires ``hypothesis`` (a test dependency of your project, not of escalate).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from escalate.calendars._instants import EPOCH, ONE_US, to_us

__all__ = [
    "COUNTRIES",
    "ZONES",
    "aware_datetimes",
    "calendar_configs",
    "clock_text",
    "dated_intervals",
    "durations",
    "holiday_configs",
    "instants",
    "interval_text",
    "weekly_hours",
    "zone_names",
]

#: Zones with interesting clocks: DST at 02:00/03:00 (Berlin, New York, Sydney), at midnight
#: (Sao Paulo until 2019, Tehran until 2022), a 30-minute shift (Lord Howe), odd offsets
#: (Kathmandu +05:45, St John's -03:30, Chatham +12:45/+13:45), a skipped date (Apia went from
#: 2011-12-29 to 2011-12-31) and none at all (UTC).
ZONES: tuple[str, ...] = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Sao_Paulo",
    "America/St_Johns",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Tehran",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "Pacific/Apia",
)

#: ``(country, subdiv)`` pairs of the ``holidays`` package used by :func:`holiday_configs`.
COUNTRIES: tuple[tuple[str, str | None], ...] = (("DE", "BE"), ("US", None), ("GB", "ENG"))

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 1440
WEEK_MINUTES = 7 * DAY_MINUTES
#: Weekly hours as a mapping: weekday keys to intervals (a list, or one interval as text).
Hours = dict[str, list[str] | str]
# Microseconds of the units values are drawn in: 1 µs, 1 s, 1 min, 15 min.
_UNITS_US = (1, 1_000_000, 60_000_000, 900_000_000)


# --------------------------------------------------------------------------------------------
# Text helpers (pure, so they carry doctests)
# --------------------------------------------------------------------------------------------


def clock_text(minute: int) -> str:
    """The ``HH:MM`` of a minute of the day; 1440 is ``24:00``.

    >>> clock_text(0), clock_text(545), clock_text(1440)
    ('00:00', '09:05', '24:00')
    """
    if not 0 <= minute <= DAY_MINUTES:
        raise ValueError(f"minute of day must be in 0..1440, got {minute}")
    return f"{minute // 60:02d}:{minute % 60:02d}"


def interval_text(start: int, end: int) -> str:
    """The ``HH:MM-HH:MM`` text of minutes ``[start, end)`` counted from a day's midnight.

    ``end`` past 1440 runs overnight into the next day; an interval is at most a day long.

    >>> interval_text(540, 1020)
    '09:00-17:00'
    >>> interval_text(1320, 1800)
    '22:00-06:00'
    >>> interval_text(0, 1440), interval_text(600, 1440)
    ('00:00-24:00', '10:00-24:00')
    """
    if not (0 <= start < DAY_MINUTES and start < end <= start + DAY_MINUTES):
        raise ValueError(f"not an interval of at most a day: {start}..{end}")
    if end - start == DAY_MINUTES and start:
        raise ValueError("a whole-day interval must start at 00:00 to be writable")
    return f"{clock_text(start)}-{clock_text(end if end <= DAY_MINUTES else end - DAY_MINUTES)}"


# --------------------------------------------------------------------------------------------
# Instants and durations
# --------------------------------------------------------------------------------------------


def zone_names(names: Sequence[str] = ZONES) -> SearchStrategy[str]:
    """IANA zone names, from ``names``."""
    return st.sampled_from(tuple(names))


@st.composite
def _multiples(draw: st.DrawFn, lo_us: int, hi_us: int) -> int:
    """An integer in ``[lo_us, hi_us]``, often a multiple of a round unit."""
    unit = draw(st.sampled_from(_UNITS_US))
    first, last = -(-lo_us // unit), hi_us // unit
    if first > last:
        unit, first, last = 1, lo_us, hi_us
    return unit * draw(st.integers(first, last))


def instants(min_value: datetime, max_value: datetime) -> SearchStrategy[datetime]:
    """Aware UTC datetimes in ``[min_value, max_value]`` (both aware; naive ones raise).

    >>> from datetime import UTC
    >>> instants(datetime(2024, 1, 2, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC))
    Traceback (most recent call last):
    ...
    ValueError: min_value 2024-01-02 00:00:00+00:00 is after max_value 2024-01-01 00:00:00+00:00
    """
    lo, hi = to_us(min_value, "min_value"), to_us(max_value, "max_value")
    if lo > hi:
        raise ValueError(f"min_value {min_value} is after max_value {max_value}")
    return _multiples(lo, hi).map(lambda us: EPOCH + us * ONE_US)


@st.composite
def _in_zone(draw: st.DrawFn, instant: datetime, names: tuple[str, ...]) -> datetime:
    return instant.astimezone(ZoneInfo(draw(st.sampled_from(names))))


def aware_datetimes(
    min_value: datetime, max_value: datetime, zones: Sequence[str] = ZONES
) -> SearchStrategy[datetime]:
    """Instants in ``[min_value, max_value]`` expressed in a zone drawn from ``zones``.

    The wall time is what the instant reads in that zone, with ``fold`` set on a repeated
    hour, so every drawn value is a real instant (never a nonexistent wall time). Python
    compares and subtracts two aware datetimes that share a ``tzinfo`` by their wall clocks,
    ignoring ``fold``; sort and subtract drawn values via ``.astimezone(UTC)``.
    """
    names = tuple(zones)
    return instants(min_value, max_value).flatmap(lambda at: _in_zone(at, names))


def durations(
    min_value: timedelta = timedelta(0), max_value: timedelta = timedelta(days=7)
) -> SearchStrategy[timedelta]:
    """Timedeltas in ``[min_value, max_value]``, often whole seconds, minutes or quarters."""
    lo, hi = min_value // ONE_US, max_value // ONE_US
    if lo > hi:
        raise ValueError(f"min_value {min_value} is greater than max_value {max_value}")
    return _multiples(lo, hi).map(lambda us: us * ONE_US)


# --------------------------------------------------------------------------------------------
# Calendar configurations
# --------------------------------------------------------------------------------------------


@st.composite
def _circular_intervals(
    draw: st.DrawFn, period: int, max_count: int, min_count: int = 0
) -> list[tuple[int, int]]:
    """Disjoint minute intervals ``(start, end)`` on a circle of ``period`` minutes.

    ``0 <= start < period``, ``end - start`` is at most a day (a whole day only from a
    midnight), and ``end`` may pass ``period`` (wrapping to the start of the circle).
    """
    step = draw(st.sampled_from((60, 30, 15, 1)))
    count = draw(st.integers(min_count, max_count))
    slots = draw(
        st.lists(
            st.integers(0, period // step - 1), min_size=2 * count, max_size=2 * count, unique=True
        )
    )
    points = sorted(slot * step for slot in slots)
    wrap = draw(st.booleans())
    if points and wrap:  # pair each end with the next start, wrapping around the circle
        points = [*points[1:], points[0] + period]
    out: list[tuple[int, int]] = []
    for start, end in zip(points[::2], points[1::2], strict=True):
        longest = DAY_MINUTES if start % DAY_MINUTES == 0 else DAY_MINUTES - 1
        out.append((start, min(end, start + longest)))
    return out


def _texts(intervals: list[tuple[int, int]]) -> list[str]:
    return [interval_text(s, e) for s, e in intervals]


@st.composite
def _random_week(draw: st.DrawFn) -> Hours:
    """Any disjoint intervals over the week, overnight ones (even Sunday into Monday) too."""
    by_day: dict[str, list[str]] = {}
    for start, end in draw(_circular_intervals(WEEK_MINUTES, max_count=12, min_count=1)):
        day, offset = divmod(start, DAY_MINUTES)
        by_day.setdefault(WEEKDAYS[day], []).append(interval_text(offset, offset + end - start))
    hours: Hours = {}
    hours.update(by_day)
    return hours


_DAY_SETS = ("mon-fri", "mon-sat", "sun-thu", "mon,wed,fri", "sat-sun", "fri-mon", "mon-sun")


@st.composite
def _office_week(draw: st.DrawFn) -> Hours:
    """Office hours on a set of days, perhaps with a lunch break, perhaps on Saturday too."""
    opens = draw(st.integers(4 * 4, 11 * 4)) * 15
    closes = draw(st.integers(opens // 15 + 8, 96)) * 15
    intervals = [(opens, closes)]
    if draw(st.booleans()):
        lunch = draw(st.integers(opens // 15 + 2, closes // 15 - 4)) * 15
        back = lunch + draw(st.integers(1, min(6, closes // 15 - lunch // 15 - 1))) * 15
        intervals = [(opens, lunch), (back, closes)]
    days = draw(st.sampled_from(_DAY_SETS))
    hours: Hours = {days: _texts(intervals)}
    if len(intervals) == 1 and draw(st.booleans()):
        hours[days] = interval_text(*intervals[0])  # a lone interval may be a plain string
    if days == "mon-fri" and draw(st.booleans()):
        hours["sat"] = _texts([(opens, min(closes, opens + 240))])
    return hours


@st.composite
def _night_week(draw: st.DrawFn) -> Hours:
    """Night shifts running over midnight (the DST switch hour sits inside them)."""
    opens = draw(st.integers(18 * 4, 23 * 4 + 3)) * 15
    closes = draw(st.integers(1, 8 * 4)) * 15 + DAY_MINUTES
    days = draw(st.sampled_from(_DAY_SETS))
    return {days: [interval_text(opens, closes)]}


def weekly_hours() -> SearchStrategy[Hours | str]:
    """The ``hours`` of a calendar: ``24x7``, office days (lunch breaks), nights, or anything."""
    return st.one_of(
        st.just("24x7"),
        _office_week(),
        _night_week(),
        _random_week(),
    )


def _date_key(day: date, as_text: bool) -> date | str:
    return day.isoformat() if as_text else day


@st.composite
def dated_intervals(
    draw: st.DrawFn, dates: SearchStrategy[date], max_dates: int = 3
) -> dict[date | str, list[str]]:
    """``closures`` / ``extra_hours``: dates (ISO text or ``date``, as YAML gives either) to
    disjoint intervals on that date, overnight ones included."""
    days = draw(st.lists(dates, max_size=max_dates, unique=True))
    as_text = draw(st.booleans())
    return {
        _date_key(day, as_text): _texts(
            draw(_circular_intervals(DAY_MINUTES, max_count=3, min_count=1))
        )
        for day in days
    }


@st.composite
def holiday_configs(
    draw: st.DrawFn,
    first_year: int,
    last_year: int,
    *,
    dates: SearchStrategy[date] | None = None,
    countries: Sequence[tuple[str, str | None]] = COUNTRIES,
) -> dict[str, object]:
    """A ``holidays`` mapping for ``years: [first_year, last_year]``: perhaps a country from
    ``countries`` (only from 2000 on, where the package is reliable), explicit dates,
    recurring ``MM-DD`` dates."""
    if dates is None:
        dates = st.dates(date(first_year, 1, 1), date(last_year, 12, 31))
    config: dict[str, object] = {"years": [first_year, last_year]}
    if countries and first_year >= 2000 and draw(st.booleans()):
        country, subdiv = draw(st.sampled_from(tuple(countries)))
        config["country"] = country
        if subdiv is not None:
            config["subdiv"] = subdiv
    explicit = draw(st.lists(dates, max_size=4, unique=True))
    keep_empty = draw(st.booleans())
    if explicit or keep_empty:
        as_text = draw(st.booleans())
        config["dates"] = [_date_key(day, as_text) for day in explicit]
    recurring = draw(st.lists(dates.map(lambda d: d.strftime("%m-%d")), max_size=2, unique=True))
    if recurring:
        config["recurring"] = recurring
    return config


@st.composite
def calendar_configs(
    draw: st.DrawFn,
    *,
    first_year: int = 2024,
    last_year: int = 2025,
    zones: Sequence[str] = ZONES,
    dates: SearchStrategy[date] | None = None,
    countries: Sequence[tuple[str, str | None]] = COUNTRIES,
) -> dict[str, object]:
    """A calendar mapping as :meth:`escalate.Calendar.from_config` takes it.

    It is always bounded to ``[first_year, last_year]`` (through ``holidays.years`` or a
    top-level ``years``). ``dates`` draws the dates of holidays, closures and extra hours;
    narrow it around the instants you test so that they meet.
    """
    if dates is None:
        dates = st.dates(date(first_year, 1, 1), date(last_year, 12, 31))
    config: dict[str, object] = {
        "timezone": draw(zone_names(zones)),
        "hours": draw(weekly_hours()),
    }
    if draw(st.booleans()):
        config["holidays"] = draw(
            holiday_configs(first_year, last_year, dates=dates, countries=countries)
        )
    else:
        config["years"] = [first_year, last_year]
    if draw(st.booleans()):
        config["closures"] = draw(dated_intervals(dates))
    if draw(st.booleans()):
        config["extra_hours"] = draw(dated_intervals(dates))
    return config
