"""Zero durations on a calendar: ``add(t, 0)`` is the next opening, ``subtract(t, 0)`` the
previous closing, each the limit of a vanishing duration, and both agree with the reference.

``subtract(t, 0)`` used to return ``t`` even when the calendar was closed then, while
``add(t, 0)`` returned the next opening (biz and business_time return the previous closing).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalate import Calendar, CalendarRangeError
from escalate.testing import strategies as es
from tests.calendars.calendar_reference import ReferenceCalendar
from tests.calendars.test_calendar_properties import (
    CROSS_CHECK,
    PROPERTY,
    answered,
    both,
    middle_scenarios,
    outcome,
    scenarios,
)

BERLIN = ZoneInfo("Europe/Berlin")
ZERO = timedelta(0)
ONE_US = timedelta(microseconds=1)
OFFICE = {"timezone": "Europe/Berlin", "hours": {"mon-fri": "09:00-17:00"}, "years": [2024, 2025]}


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def office() -> Calendar:
    return Calendar.from_config(OFFICE)


# -- examples -------------------------------------------------------------------------------------


def test_subtracting_nothing_on_a_saturday_is_fridays_closing() -> None:
    assert berlin(2024, 6, 7, 17) == office().subtract(berlin(2024, 6, 8, 12), ZERO)


def test_subtracting_nothing_at_the_opening_looks_back_to_the_last_closing() -> None:
    # Nothing was worked just before Monday 09:00: the last working time ended on Friday.
    assert berlin(2024, 6, 7, 17) == office().subtract(berlin(2024, 6, 10, 9), ZERO)


def test_subtracting_nothing_inside_hours_is_the_instant_itself() -> None:
    assert berlin(2024, 6, 10, 10) == office().subtract(berlin(2024, 6, 10, 10), ZERO)


def test_subtracting_nothing_at_the_closing_is_the_closing() -> None:
    assert berlin(2024, 6, 10, 17) == office().subtract(berlin(2024, 6, 10, 17), ZERO)


def test_adding_nothing_at_the_closing_is_the_next_opening() -> None:
    assert berlin(2024, 6, 11, 9) == office().add(berlin(2024, 6, 10, 17), ZERO)


def test_subtracting_nothing_before_the_first_opening_is_a_range_error() -> None:
    with pytest.raises(CalendarRangeError):
        office().subtract(berlin(2024, 1, 1, 8), ZERO)  # New Year's Day 2024 is a Monday


def test_subtracting_nothing_on_a_plain_24x7_calendar_is_the_instant_itself() -> None:
    at = datetime(2024, 6, 8, 12, tzinfo=UTC)
    assert at == Calendar.from_config("24x7").subtract(at, ZERO)


def test_zero_business_days_and_zero_months_keep_the_start_even_on_a_closed_day() -> None:
    saturday = berlin(2024, 6, 8, 12)
    assert (saturday, saturday) == (
        office().add_business_days(saturday, 0),
        office().add_months(saturday, 0),
    )


# -- against the reference ------------------------------------------------------------------------


@CROSS_CHECK
@given(st.data())
def test_subtracting_nothing_matches_the_reference(data: st.DataObject) -> None:
    scenario = data.draw(scenarios())
    start = data.draw(scenario.near())
    cal, ref = both(scenario.config)
    assert outcome(lambda: ref.subtract(start, ZERO)) == outcome(lambda: cal.subtract(start, ZERO))


@CROSS_CHECK
@given(st.data())
def test_adding_nothing_matches_the_reference(data: st.DataObject) -> None:
    scenario = data.draw(scenarios())
    start = data.draw(scenario.near())
    cal, ref = both(scenario.config)
    assert outcome(lambda: ref.add(start, ZERO)) == outcome(lambda: cal.add(start, ZERO))


@CROSS_CHECK
@given(st.data())
def test_zero_business_days_match_the_reference(data: st.DataObject) -> None:
    scenario = data.draw(scenarios())
    start = data.draw(scenario.near())
    cal, ref = Calendar.from_config(scenario.config), ReferenceCalendar(scenario.config)
    assert outcome(lambda: ref.add_business_days(start, 0)) == outcome(
        lambda: cal.add_business_days(start, 0)
    )


# -- properties -----------------------------------------------------------------------------------


@PROPERTY
@given(st.data())
def test_subtracting_nothing_is_the_end_of_the_last_working_microsecond(
    data: st.DataObject,
) -> None:
    # subtract(t, 1µs) starts the last working microsecond before t; zero is where it ends.
    scenario = data.draw(middle_scenarios())
    end = data.draw(scenario.near())
    cal = Calendar.from_config(scenario.config)
    assert answered(lambda: cal.subtract(end, ONE_US)) + ONE_US == cal.subtract(end, ZERO)


@PROPERTY
@given(st.data())
def test_adding_nothing_is_the_start_of_the_first_working_microsecond(
    data: st.DataObject,
) -> None:
    scenario = data.draw(middle_scenarios())
    start = data.draw(scenario.near())
    cal = Calendar.from_config(scenario.config)
    assert answered(lambda: cal.add(start, ONE_US)) - ONE_US == cal.add(start, ZERO)


@PROPERTY
@given(st.data())
def test_add_undoes_subtract_up_to_the_previous_closing(data: st.DataObject) -> None:
    # The mirror of "subtract undoes add up to the next opening".
    scenario = data.draw(middle_scenarios())
    end = data.draw(scenario.near())
    duration = data.draw(es.durations(min_value=ONE_US))
    cal = Calendar.from_config(scenario.config)
    start = answered(lambda: cal.subtract(end, duration))
    assert cal.subtract(end, ZERO) == cal.add(start, duration)


@PROPERTY
@given(st.data())
def test_nothing_is_worked_between_the_previous_closing_and_the_instant(
    data: st.DataObject,
) -> None:
    scenario = data.draw(middle_scenarios())
    end = data.draw(scenario.near())
    cal = Calendar.from_config(scenario.config)
    closing = answered(lambda: cal.subtract(end, ZERO))
    assert (True, ZERO) == (closing <= end, cal.elapsed(closing, end))
