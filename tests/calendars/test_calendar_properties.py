"""Properties of the business-time calendar, and a cross-check against a plain reference.

Every calendar here is drawn from ``escalate.testing.strategies``; the instants, durations and
dated entries (holidays, closures, extra hours) cluster around an anchor date, often a DST
switch of the calendar's zone, so that they meet.
``tests/calendars/calendar_reference.py`` answers the
same questions by first principles (wall time of each instant via ``zoneinfo``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from escalate import Calendar, CalendarRangeError
from escalate.testing import strategies as es
from tests.calendars.calendar_reference import ReferenceCalendar

T = TypeVar("T")
BOUNDS = (datetime(1990, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
ZERO = timedelta(0)
ONE_US = timedelta(microseconds=1)

# Years with odd switches (1986: Kathmandu moved from +05:30 to +05:45; 2011: Apia skipped
# 12-30; 2018 and 2021: Sao Paulo and Tehran still had DST), today, and far enough out that
# zoneinfo answers from the POSIX rule rather than the transition table.
YEARS = (1986, 2011, 2018, 2021, 2024, 2039, 2100)

# Example counts keep this file under a minute on two cores; for a deep search run it with
# ESCALATE_EXAMPLES_FACTOR=50 (or more).
FACTOR = int(os.environ.get("ESCALATE_EXAMPLES_FACTOR", "1"))
CROSS_CHECK = settings(
    max_examples=150 * FACTOR, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
PROPERTY = settings(
    max_examples=60 * FACTOR, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@functools.cache
def switch_days(zone_name: str, first: int, last: int) -> tuple[date, ...]:
    """The local dates in ``[first, last]`` on which the zone's UTC offset changes."""
    zone = ZoneInfo(zone_name)
    days: list[date] = []
    day = date(first, 1, 1)
    while day.year <= last:
        noon = datetime.combine(day, time(12), tzinfo=UTC)
        before, after = (noon - timedelta(days=1)).astimezone(zone), noon.astimezone(zone)
        if before.utcoffset() != after.utcoffset():
            days += [day - timedelta(days=1), day]
        day += timedelta(days=1)
    return tuple(days)


@dataclass(frozen=True)
class Scenario:
    config: dict[str, object]
    anchor: datetime  # midnight UTC of the anchor date

    def near(self, days: int = 6) -> st.SearchStrategy[datetime]:
        """Instants within ``days`` of the anchor, in random zones."""
        span = timedelta(days=days)
        return es.aware_datetimes(self.anchor - span, self.anchor + span)


@st.composite
def scenarios(draw: st.DrawFn, years: tuple[int, ...] = YEARS, edges: bool = True) -> Scenario:
    """A calendar config and an anchor: a DST switch day, a random day or (with ``edges``)
    the first or last day of the compiled range."""
    first = draw(st.sampled_from(years))
    last = first + draw(st.integers(0, 1))
    zone = draw(es.zone_names())
    lo, hi = date(first, 1, 1), date(last, 12, 31)
    if not edges:  # keep instants, and what add() reaches from them, well inside the range
        lo, hi = lo + timedelta(days=40), hi - timedelta(days=40)
    switches = tuple(d for d in switch_days(zone, first, last) if lo <= d <= hi)
    anchor = draw(
        st.one_of(
            st.sampled_from(switches or (lo,)),
            st.sampled_from((lo, hi) if edges else (lo,)),
            st.dates(lo, hi),
        )
    )
    dates = st.dates(max(lo, anchor - timedelta(days=8)), min(hi, anchor + timedelta(days=8)))
    config = draw(es.calendar_configs(first_year=first, last_year=last, zones=[zone], dates=dates))
    return Scenario(config, datetime.combine(anchor, time(), tzinfo=UTC))


def middle_scenarios() -> st.SearchStrategy[Scenario]:
    """Scenarios whose instants stay inside the range (for properties, not range errors)."""
    return scenarios(years=(2018, 2021, 2024), edges=False)


def answered(call: Callable[[], T]) -> T:
    """The result of ``call``; an example whose answer lies outside the range is rejected."""
    try:
        return call()
    except CalendarRangeError:
        reject()


def outcome(call: Callable[[], T]) -> T | type[CalendarRangeError]:
    """The result of ``call``, or ``CalendarRangeError`` if it raised that."""
    try:
        return call()
    except CalendarRangeError:
        return CalendarRangeError


def in_order(*instants: datetime) -> list[datetime]:
    """Instants sorted in time. (``sorted`` alone compares aware datetimes that share a
    tzinfo by their wall clocks, ignoring ``fold``: wrong in a repeated hour.)"""
    return sorted(instants, key=lambda at: at.astimezone(UTC))


def real_time(start: datetime, end: datetime) -> timedelta:
    """``end - start`` in real time (plain ``-`` subtracts wall clocks when zones match)."""
    return end.astimezone(UTC) - start.astimezone(UTC)


def both(config: dict[str, object]) -> tuple[Calendar, ReferenceCalendar]:
    return Calendar.from_config(config), ReferenceCalendar(config)


# --------------------------------------------------------------------------------------------
# The shipped strategies
# --------------------------------------------------------------------------------------------


@PROPERTY
@given(es.calendar_configs(first_year=2023, last_year=2024))
def test_every_drawn_calendar_config_compiles(config: dict[str, object]) -> None:
    expected = (2023, 2024)
    assert expected == Calendar.from_config(config).years


@PROPERTY
@given(st.data())
def test_drawn_instants_lie_within_their_bounds(data: st.DataObject) -> None:
    lo, hi = sorted(data.draw(st.lists(es.instants(*BOUNDS), min_size=2, max_size=2)))
    at = data.draw(es.aware_datetimes(lo, hi))
    expected = (True, True)
    assert expected == (lo <= at <= hi, at.tzinfo is not None)


@PROPERTY
@given(es.durations(timedelta(hours=1), timedelta(hours=2)))
def test_drawn_durations_lie_within_their_bounds(duration: timedelta) -> None:
    assert timedelta(hours=1) <= duration <= timedelta(hours=2)


# --------------------------------------------------------------------------------------------
# Cross-check: the compiled calendar answers what the reference answers
# --------------------------------------------------------------------------------------------


@CROSS_CHECK
@given(st.data())
def test_elapsed_matches_the_reference(data: st.DataObject) -> None:
    scenario = data.draw(scenarios())
    start, end = data.draw(scenario.near()), data.draw(scenario.near())
    cal, ref = both(scenario.config)
    assert outcome(lambda: ref.elapsed(start, end)) == outcome(lambda: cal.elapsed(start, end))


@CROSS_CHECK
@given(st.data())
def test_elapsed_with_exclusions_matches_the_reference(data: st.DataObject) -> None:
    scenario = data.draw(scenarios())
    start, end = data.draw(scenario.near()), data.draw(scenario.near())
    exclude = data.draw(st.lists(st.tuples(scenario.near(), scenario.near()), max_size=3))
    cal, ref = both(scenario.config)
    assert outcome(lambda: ref.elapsed(start, end, exclude)) == outcome(
        lambda: cal.elapsed(start, end, exclude)
    )


@CROSS_CHECK
@given(st.data())
def test_windows_match_the_reference(data: st.DataObject) -> None:
    scenario = data.draw(scenarios())
    start, end = data.draw(scenario.near()), data.draw(scenario.near())
    cal, ref = both(scenario.config)
    assert outcome(lambda: ref.windows(start, end)) == outcome(lambda: cal.windows(start, end))


@CROSS_CHECK
@given(st.data())
def test_add_matches_the_reference(data: st.DataObject) -> None:
    scenario = data.draw(scenarios())
    start = data.draw(scenario.near())
    duration = data.draw(es.durations(max_value=timedelta(days=3)))
    cal, ref = both(scenario.config)
    assert outcome(lambda: ref.add(start, duration)) == outcome(lambda: cal.add(start, duration))


@CROSS_CHECK
@given(st.data())
def test_subtract_matches_the_reference(data: st.DataObject) -> None:
    scenario = data.draw(scenarios())
    start = data.draw(scenario.near())
    duration = data.draw(es.durations(max_value=timedelta(days=3)))
    cal, ref = both(scenario.config)
    assert outcome(lambda: ref.subtract(start, duration)) == outcome(
        lambda: cal.subtract(start, duration)
    )


@CROSS_CHECK
@given(st.data())
def test_is_open_matches_the_reference(data: st.DataObject) -> None:
    scenario = data.draw(scenarios())
    at = data.draw(scenario.near())
    cal, ref = both(scenario.config)
    assert outcome(lambda: ref.is_open(at)) == outcome(lambda: cal.is_open(at))


@CROSS_CHECK
@given(st.data())
def test_next_open_matches_the_reference(data: st.DataObject) -> None:
    scenario = data.draw(scenarios())
    at = data.draw(scenario.near())
    cal, ref = both(scenario.config)
    assert outcome(lambda: ref.next_open(at)) == outcome(lambda: cal.next_open(at))


@CROSS_CHECK
@given(st.data())
def test_next_close_matches_the_reference(data: st.DataObject) -> None:
    scenario = data.draw(scenarios())
    at = data.draw(scenario.near())
    cal, ref = both(scenario.config)
    assert outcome(lambda: ref.next_close(at)) == outcome(lambda: cal.next_close(at))


@CROSS_CHECK
@given(st.data())
def test_add_business_days_matches_the_reference(data: st.DataObject) -> None:
    scenario = data.draw(scenarios())
    start = data.draw(scenario.near())
    days = data.draw(st.integers(-4, 4))
    cal, ref = both(scenario.config)
    assert outcome(lambda: ref.add_business_days(start, days)) == outcome(
        lambda: cal.add_business_days(start, days)
    )


@CROSS_CHECK
@given(st.data())
def test_is_working_day_matches_the_reference(data: st.DataObject) -> None:
    scenario = data.draw(scenarios())
    day = data.draw(scenario.near(days=10)).date()
    cal, ref = both(scenario.config)
    assert outcome(lambda: ref.is_working_day(day)) == outcome(lambda: cal.is_working_day(day))


@CROSS_CHECK
@given(st.data())
def test_a_plain_24x7_calendar_matches_the_reference_anywhere(data: st.DataObject) -> None:
    zone = data.draw(es.zone_names())
    config: dict[str, object] = {"timezone": zone, "hours": "24x7"}
    span = (datetime(1901, 1, 1, tzinfo=UTC), datetime(2199, 1, 1, tzinfo=UTC))
    start, end = data.draw(es.aware_datetimes(*span)), data.draw(es.aware_datetimes(*span))
    cal, ref = both(config)
    real = real_time(start, end)
    assert (ref.elapsed(start, end), ref.add(start, real)) == (
        cal.elapsed(start, end),
        cal.add(start, real),
    )


# --------------------------------------------------------------------------------------------
# Properties of one calendar
# --------------------------------------------------------------------------------------------


@PROPERTY
@given(st.data())
def test_elapsed_is_additive_over_adjacent_spans(data: st.DataObject) -> None:
    scenario = data.draw(middle_scenarios())
    a, b, c = in_order(*data.draw(st.lists(scenario.near(), min_size=3, max_size=3)))
    cal = Calendar.from_config(scenario.config)
    assert cal.elapsed(a, c) == cal.elapsed(a, b) + cal.elapsed(b, c)


@PROPERTY
@given(st.data())
def test_elapsed_until_add_is_the_duration_added(data: st.DataObject) -> None:
    scenario = data.draw(middle_scenarios())
    start, duration = data.draw(scenario.near()), data.draw(es.durations())
    cal = Calendar.from_config(scenario.config)
    assert duration == cal.elapsed(start, answered(lambda: cal.add(start, duration)))


@PROPERTY
@given(st.data())
def test_add_returns_the_earliest_instant_by_which_the_duration_has_passed(
    data: st.DataObject,
) -> None:
    scenario = data.draw(middle_scenarios())
    start = data.draw(scenario.near())
    duration = data.draw(es.durations(min_value=ONE_US))
    cal = Calendar.from_config(scenario.config)
    assert cal.elapsed(start, answered(lambda: cal.add(start, duration)) - ONE_US) < duration


@PROPERTY
@given(st.data())
def test_elapsed_grows_with_the_end(data: st.DataObject) -> None:
    scenario = data.draw(middle_scenarios())
    start, end1, end2 = (data.draw(scenario.near()) for _ in range(3))
    cal = Calendar.from_config(scenario.config)
    end1, end2 = in_order(end1, end2)
    assert cal.elapsed(start, end1) <= cal.elapsed(start, end2)


@PROPERTY
@given(st.data())
def test_add_grows_with_the_duration(data: st.DataObject) -> None:
    scenario = data.draw(middle_scenarios())
    start = data.draw(scenario.near())
    short, long = sorted((data.draw(es.durations()), data.draw(es.durations())))
    cal = Calendar.from_config(scenario.config)
    assert answered(lambda: cal.add(start, short)) <= answered(lambda: cal.add(start, long))


@PROPERTY
@given(st.data())
def test_adding_nothing_is_the_next_opening(data: st.DataObject) -> None:
    scenario = data.draw(middle_scenarios())
    start = data.draw(scenario.near())
    cal = Calendar.from_config(scenario.config)
    assert outcome(lambda: cal.next_open(start)) == outcome(lambda: cal.add(start, ZERO))


@PROPERTY
@given(st.data())
def test_subtract_undoes_add_up_to_the_next_opening(data: st.DataObject) -> None:
    # The latest instant from which ``d`` runs until add(a, d) is a itself when a is open,
    # else the opening that followed a (any instant of the closed gap would also do).
    scenario = data.draw(middle_scenarios())
    start = data.draw(scenario.near())
    duration = data.draw(es.durations(min_value=ONE_US))
    cal = Calendar.from_config(scenario.config)
    end = answered(lambda: cal.add(start, duration))
    assert cal.next_open(start) == cal.subtract(end, duration)


@PROPERTY
@given(st.data())
def test_subtract_returns_the_latest_instant_with_the_duration_before_the_start(
    data: st.DataObject,
) -> None:
    scenario = data.draw(middle_scenarios())
    end = data.draw(scenario.near())
    duration = data.draw(es.durations(min_value=ONE_US))
    cal = Calendar.from_config(scenario.config)
    start = answered(lambda: cal.subtract(end, duration))
    assert (duration, True) == (
        cal.elapsed(start, end),
        cal.elapsed(start + ONE_US, end) < duration,
    )


@PROPERTY
@given(st.data())
def test_a_negative_duration_added_is_a_subtraction(data: st.DataObject) -> None:
    # Not for zero: add(at, 0) is the next opening, subtract(at, 0) the previous closing.
    scenario = data.draw(middle_scenarios())
    start = data.draw(scenario.near())
    duration = data.draw(es.durations(min_value=ONE_US))
    cal = Calendar.from_config(scenario.config)
    assert outcome(lambda: cal.subtract(start, duration)) == outcome(
        lambda: cal.add(start, -duration)
    )


@PROPERTY
@given(st.data())
def test_the_calendar_is_open_at_the_next_opening_and_closed_at_the_next_close(
    data: st.DataObject,
) -> None:
    scenario = data.draw(middle_scenarios())
    at = data.draw(scenario.near())
    cal = Calendar.from_config(scenario.config)
    opens, closes = outcome(lambda: cal.next_open(at)), outcome(lambda: cal.next_close(at))
    if isinstance(opens, datetime) and isinstance(closes, datetime):
        assert (True, False, closes - opens) == (
            cal.is_open(opens),
            cal.is_open(closes),
            cal.elapsed(opens, closes),
        )


@PROPERTY
@given(st.data())
def test_excluding_periods_equals_subtracting_a_calendar_open_in_them(
    data: st.DataObject,
) -> None:
    scenario = data.draw(middle_scenarios())
    cal = Calendar.from_config(scenario.config)
    first, last = cal.years
    # Pauses on whole minutes in UTC, so that a calendar of extra hours can express them.
    pause_days = st.dates(
        scenario.anchor.date() - timedelta(days=3), scenario.anchor.date() + timedelta(days=3)
    )
    extra = data.draw(es.dated_intervals(pause_days, max_dates=3))
    paused = Calendar.from_config(
        {
            "timezone": "UTC",
            "hours": {},
            "years": [first - 1, last + 1],
            "extra_hours": extra,
        }
    )
    start, end = in_order(data.draw(scenario.near()), data.draw(scenario.near()))
    exclude = paused.windows(start - timedelta(days=2), end + timedelta(days=2))
    assert (cal - paused).elapsed(start, end) == cal.elapsed(start, end, exclude=exclude)


@PROPERTY
@given(st.data())
def test_a_24x7_calendar_counts_real_time_in_every_zone(data: st.DataObject) -> None:
    scenario = data.draw(middle_scenarios())
    zone = scenario.config["timezone"]
    first, last = scenario.anchor.year - 1, scenario.anchor.year + 1
    cal = Calendar.from_config({"timezone": zone, "hours": "24x7", "years": [first, last]})
    start, end = in_order(data.draw(scenario.near()), data.draw(scenario.near()))
    assert real_time(start, end) == cal.elapsed(start, end)


@PROPERTY
@given(st.data())
def test_every_result_is_an_aware_utc_datetime(data: st.DataObject) -> None:
    scenario = data.draw(middle_scenarios())
    at, duration = data.draw(scenario.near()), data.draw(es.durations())
    cal = Calendar.from_config(scenario.config)
    results = [
        outcome(call)
        for call in (
            lambda: cal.add(at, duration),
            lambda: cal.subtract(at, duration),
            lambda: cal.add(at, ZERO),
            lambda: cal.subtract(at, ZERO),
            lambda: cal.next_open(at),
            lambda: cal.next_close(at),
            lambda: cal.add_business_days(at, 1),
            lambda: cal.add_business_days(at, 0),
        )
    ]
    instants = [r for r in results if isinstance(r, datetime)]
    assert [UTC] * len(instants) == [r.tzinfo for r in instants]


@PROPERTY
@given(st.data())
def test_compiling_a_config_twice_gives_equal_calendars_and_answers(
    data: st.DataObject,
) -> None:
    scenario = data.draw(middle_scenarios())
    at, duration = data.draw(scenario.near()), data.draw(es.durations())
    reordered = dict(reversed(list(scenario.config.items())))
    one, two = Calendar.from_config(scenario.config), Calendar.from_config(reordered)
    assert (one, hash(one), outcome(lambda: one.add(at, duration))) == (
        two,
        hash(two),
        outcome(lambda: two.add(at, duration)),
    )


@PROPERTY
@given(st.data())
def test_answers_do_not_depend_on_the_zone_an_instant_is_given_in(data: st.DataObject) -> None:
    scenario = data.draw(middle_scenarios())
    at, duration = data.draw(scenario.near()), data.draw(es.durations())
    elsewhere = at.astimezone(ZoneInfo(data.draw(es.zone_names())))
    cal = Calendar.from_config(scenario.config)

    def answers(instant: datetime) -> list[object]:
        return [
            outcome(lambda: cal.add(instant, duration)),
            outcome(lambda: cal.elapsed(instant, scenario.anchor)),
            outcome(lambda: cal.add_business_days(instant, 2)),
            outcome(lambda: cal.next_close(instant)),
        ]

    assert answers(at) == answers(elsewhere)


# --------------------------------------------------------------------------------------------
# Algebra: union, intersection, difference
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trio:
    a: Calendar
    b: Calendar
    c: Calendar
    start: datetime
    end: datetime
    probes: tuple[datetime, ...]


@st.composite
def trios(draw: st.DrawFn) -> Trio:
    """Three calendars (different zones, same years) and instants around one anchor."""
    first = draw(st.sampled_from((2018, 2021, 2024)))
    anchor = draw(st.dates(date(first, 2, 1), date(first, 11, 30)))
    dates = st.dates(anchor - timedelta(days=8), anchor + timedelta(days=8))
    cals = [
        Calendar.from_config(
            draw(es.calendar_configs(first_year=first, last_year=first, dates=dates))
        )
        for _ in range(3)
    ]
    mid = datetime.combine(anchor, time(), tzinfo=UTC)
    near = es.aware_datetimes(mid - timedelta(days=5), mid + timedelta(days=5))
    start, end = in_order(draw(near), draw(near))
    probes = tuple(draw(st.lists(near, min_size=5, max_size=5)))
    return Trio(cals[0], cals[1], cals[2], start=start, end=end, probes=probes)


def openness(cal: Calendar, probes: tuple[datetime, ...]) -> list[bool]:
    return [cal.is_open(at) for at in probes]


@PROPERTY
@given(trios())
def test_union_is_open_exactly_when_either_calendar_is(t: Trio) -> None:
    expected = [
        x or y for x, y in zip(openness(t.a, t.probes), openness(t.b, t.probes), strict=True)
    ]
    assert expected == openness(t.a | t.b, t.probes)


@PROPERTY
@given(trios())
def test_intersection_is_open_exactly_when_both_calendars_are(t: Trio) -> None:
    expected = [
        x and y for x, y in zip(openness(t.a, t.probes), openness(t.b, t.probes), strict=True)
    ]
    assert expected == openness(t.a & t.b, t.probes)


@PROPERTY
@given(trios())
def test_difference_is_open_exactly_when_only_the_first_calendar_is(t: Trio) -> None:
    expected = [
        x and not y for x, y in zip(openness(t.a, t.probes), openness(t.b, t.probes), strict=True)
    ]
    assert expected == openness(t.a - t.b, t.probes)


@PROPERTY
@given(trios())
def test_union_and_intersection_commute(t: Trio) -> None:
    assert (
        (t.b | t.a).elapsed(t.start, t.end),
        (t.b & t.a).elapsed(t.start, t.end),
    ) == ((t.a | t.b).elapsed(t.start, t.end), (t.a & t.b).elapsed(t.start, t.end))


@PROPERTY
@given(trios())
def test_union_and_intersection_associate(t: Trio) -> None:
    assert (
        ((t.a | t.b) | t.c).windows(t.start, t.end),
        ((t.a & t.b) & t.c).windows(t.start, t.end),
    ) == (
        (t.a | (t.b | t.c)).windows(t.start, t.end),
        (t.a & (t.b & t.c)).windows(t.start, t.end),
    )


@PROPERTY
@given(trios())
def test_union_and_intersection_with_itself_change_nothing(t: Trio) -> None:
    windows = t.a.windows(t.start, t.end)
    assert [windows, windows, []] == [
        (t.a | t.a).windows(t.start, t.end),
        (t.a & t.a).windows(t.start, t.end),
        (t.a - t.a).windows(t.start, t.end),
    ]


@PROPERTY
@given(trios())
def test_subtracting_a_union_is_intersecting_the_differences(t: Trio) -> None:
    assert ((t.a - t.b) & (t.a - t.c)).windows(t.start, t.end) == (t.a - (t.b | t.c)).windows(
        t.start, t.end
    )


@PROPERTY
@given(trios())
def test_subtracting_an_intersection_is_uniting_the_differences(t: Trio) -> None:
    assert ((t.a - t.b) | (t.a - t.c)).windows(t.start, t.end) == (t.a - (t.b & t.c)).windows(
        t.start, t.end
    )


@PROPERTY
@given(trios())
def test_union_and_intersection_count_each_moment_once(t: Trio) -> None:
    union, both_ = (t.a | t.b).elapsed(t.start, t.end), (t.a & t.b).elapsed(t.start, t.end)
    assert t.a.elapsed(t.start, t.end) + t.b.elapsed(t.start, t.end) == union + both_


@PROPERTY
@given(trios())
def test_a_difference_counts_what_the_intersection_does_not(t: Trio) -> None:
    assert t.a.elapsed(t.start, t.end) - (t.a & t.b).elapsed(t.start, t.end) == (t.a - t.b).elapsed(
        t.start, t.end
    )
