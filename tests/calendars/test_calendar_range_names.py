"""A calendar range error names the calendar, so a policy with several says which to widen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from escalate.calendars.calendar import Calendar
from escalate.errors import CalendarRangeError
from escalate.policy.loader import loads

OFFICE = {"timezone": "UTC", "hours": {"mon-fri": ["08:00-17:00"]}, "years": [2024, 2025]}
POLICY = """policy: p
version: 1
calendars:
  office:
    timezone: UTC
    hours: {mon-fri: ["08:00-17:00"]}
    years: [2024, 2025]
clocks:
  work:
    stop: {status: [resolved]}
    targets: {default: {within: 4h, calendar: office}}
"""


def test_a_named_calendars_range_error_names_it() -> None:
    calendar = Calendar.from_config(OFFICE, name="office")
    with pytest.raises(CalendarRangeError) as caught:
        calendar.is_open(datetime(2027, 1, 1, tzinfo=UTC))
    assert (
        "2027-01-01T00:00:00+00:00 lies outside the years 2024-2025 calendar 'office' is "
        "compiled for (none); widen its years to answer there"
    ) == str(caught.value)


def test_an_unnamed_calendar_is_this_calendar() -> None:
    with pytest.raises(CalendarRangeError) as caught:
        Calendar.from_config(OFFICE).is_open(datetime(2027, 1, 1, tzinfo=UTC))
    assert " this calendar is compiled for " in str(caught.value)


def test_the_working_day_range_error_names_the_calendar_too() -> None:
    with pytest.raises(CalendarRangeError) as caught:
        Calendar.from_config(OFFICE, name="office").is_working_day(datetime(2027, 1, 4).date())
    assert (
        "2027-01-04 lies outside the years 2024-2025 calendar 'office' is compiled for (none)"
    ) == str(caught.value)


def test_a_policys_calendar_carries_its_key_as_its_name() -> None:
    assert "office" == loads(POLICY).calendars["office"].name


def test_evaluating_past_a_policys_calendar_names_the_calendar() -> None:
    ticket = {"id": "T1", "opened_at": "2026-12-31T10:00:00+00:00", "priority": "P1"}
    with pytest.raises(CalendarRangeError, match="calendar 'office' is compiled for"):
        loads(POLICY).evaluate(ticket, now=datetime(2027, 1, 1, tzinfo=UTC))


def test_the_name_is_a_label_calendars_are_equal_without_it() -> None:
    assert Calendar.from_config(OFFICE, name="office") == Calendar.from_config(OFFICE)
