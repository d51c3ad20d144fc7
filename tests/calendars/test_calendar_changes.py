"""``Calendar.last_change`` and ``Calendar.next_change``: where ``is_open`` last and next flips.

Time tests in rule conditions (``within:``) find the start of a stretch and the next wake-up
with these two lookups instead of walking the windows, so they must be exact at boundaries.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from escalate.calendars.calendar import Calendar
from escalate.errors import CalendarRangeError
from escalate.testing import strategies as es

ONE_US = timedelta(microseconds=1)
OFFICE = Calendar.from_config(
    {"timezone": "UTC", "hours": {"mon-fri": ["08:00-17:00"]}, "years": [2024, 2025]}
)
MON = datetime(2024, 6, 3, tzinfo=UTC)  # a Monday


def test_last_change_inside_a_window_is_its_opening() -> None:
    assert MON.replace(hour=8) == OFFICE.last_change(MON.replace(hour=12))


def test_last_change_at_an_opening_is_that_opening() -> None:
    assert MON.replace(hour=8) == OFFICE.last_change(MON.replace(hour=8))


def test_last_change_while_closed_is_the_last_closing_across_a_weekend() -> None:
    friday_close = datetime(2024, 5, 31, 17, tzinfo=UTC)
    assert friday_close == OFFICE.last_change(MON.replace(hour=7))


def test_next_change_while_open_is_the_closing_and_while_closed_the_opening() -> None:
    assert (MON.replace(hour=17), MON.replace(hour=8)) == (
        OFFICE.next_change(MON.replace(hour=8)),
        OFFICE.next_change(MON.replace(hour=7, minute=59)),
    )


def test_24x7_never_changes() -> None:
    always = Calendar.from_config("24x7")
    assert (None, None) == (always.last_change(MON), always.next_change(MON))


def test_a_change_beyond_the_compiled_years_is_a_range_error() -> None:
    with pytest.raises(CalendarRangeError):
        OFFICE.next_change(datetime(2025, 12, 31, 18, tzinfo=UTC))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    config=es.calendar_configs(first_year=2024, last_year=2024),
    at=es.instants(datetime(2024, 1, 8, tzinfo=UTC), datetime(2024, 12, 20, tzinfo=UTC)),
)
def test_is_open_is_constant_between_the_last_and_the_next_change_and_flips_at_both(
    config: dict[str, object], at: datetime
) -> None:
    calendar = Calendar.from_config(config)
    assume(not calendar.never_open)
    state = calendar.is_open(at)
    try:
        after = calendar.next_change(at)
    except CalendarRangeError:
        after = None  # the next change lies past 2024
    before = calendar.last_change(at)
    if before is not None:
        assert before <= at
        assert state == calendar.is_open(before)
        if before - ONE_US >= calendar.valid_from:
            assert state != calendar.is_open(before - ONE_US)
        assert calendar.windows(before, at + ONE_US) == ([(before, at + ONE_US)] if state else [])
    if after is not None:
        assert after > at
        assert state == calendar.is_open(after - ONE_US)
        assert state != calendar.is_open(after)
        assert calendar.windows(at, after) == ([(at, after)] if state else [])


@given(hours=st.integers(0, 24 * 7 * 4))
def test_the_changes_of_a_weekday_calendar_are_its_opening_and_closing_hours(hours: int) -> None:
    at = MON + timedelta(hours=hours, minutes=30)
    change = OFFICE.next_change(at)
    assert change is not None
    assert (change.hour, change.minute) in ((8, 0), (17, 0))
