"""Regression tests for hostile calendar, duration and percentage configuration (issue #8).

Each bad value is a :class:`~escalate.errors.PolicyError` naming where it stands, never a
foreign exception, a silent reading (``'٤h'`` as four hours) nor a failure at evaluation.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from fractions import Fraction
from typing import Any

import pytest

from escalate import (
    ArgumentError,
    Calendar,
    CalendarRangeError,
    InstantRangeError,
    PolicyError,
    TimeWindow,
)
from escalate.calendars._durations import parse_duration, parse_percent
from escalate.calendars._holidays import _parse_month_day
from escalate.calendars.calendar import MAX_CALENDAR_WINDOWS
from escalate.policy import compiler
from escalate.policy.loader import loads


@pytest.mark.parametrize("text", ["\u0664h", "1\u0660m", "\uff14h", "\u09ea\u09e6m", "\U0001d7dah"])
def test_a_duration_in_non_ascii_digits_is_a_policy_error(text: str) -> None:
    with pytest.raises(PolicyError, match="expected a duration"):
        parse_duration(text, ("within",))


@pytest.mark.parametrize("text", ["\u0667\u0665%", "7\u0665%", "\uff17\uff15%"])
def test_a_percentage_in_non_ascii_digits_is_a_policy_error(text: str) -> None:
    with pytest.raises(PolicyError, match="expected a percentage"):
        parse_percent(text, ("at",))


@pytest.mark.parametrize(
    "text",
    [
        "1" * 5000 + "%",
        "1." + "1" * 5000 + "%",
        "75.1234567%",
        "1000.5%",
        "00001%",
        "nan%",
        "inf%",
        "1e3%",
        "0%",
        "0.0000001%",
    ],
)
def test_a_percentage_with_too_many_digits_or_out_of_range_is_a_policy_error(text: str) -> None:
    with pytest.raises(PolicyError, match="expected a percentage"):
        parse_percent(text, ("at",))


def test_the_largest_percentage_with_six_decimals_reads_exactly() -> None:
    assert Fraction(999_999_999, 10**8) == parse_percent("999.999999%", ())
    assert Fraction(10) == parse_percent("1000%", ())
    assert Fraction(1, 10**8) == parse_percent("0.000001%", ())


def _calendar(**changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"timezone": "UTC", "hours": {"mon-fri": ["09:00-17:00"]}}
    config.update(changes)
    return config


def test_calendar_hours_with_a_non_ascii_digit_are_a_policy_error() -> None:
    with pytest.raises(PolicyError, match=r"hours\.mon-fri"):
        Calendar.from_config(_calendar(hours={"mon-fri": ["\u0660\u0669:00-17:00"]}))


def test_a_policy_calendar_without_hours_is_a_policy_error_at_its_key_path() -> None:
    text = (
        "policy: p\nversion: 1\ncalendars:\n  x: {timezone: UTC, hours: {}, years: [2024, 2024]}\n"
    )
    with pytest.raises(PolicyError, match="'x' is never open in 2024-2024") as caught:
        loads(text, filename="p.yaml")
    assert ("calendars", "x") == caught.value.path
    assert ("p.yaml", 4, 3) == caught.value.source


def test_a_policy_calendar_whose_closures_cover_every_open_hour_is_a_policy_error() -> None:
    saturdays = [date(2024, 1, 6) + timedelta(weeks=k) for k in range(52)]
    config = _calendar(
        hours={"sat": ["09:00-10:00"]},
        years=[2024, 2024],
        closures={day.isoformat(): "09:00-10:00" for day in saturdays},
    )
    text = json.dumps({"policy": "p", "version": 1, "calendars": {"sat": config}})
    with pytest.raises(PolicyError, match="'sat' is never open in 2024-2024"):
        loads(text)


def test_an_empty_calendar_built_directly_says_so_when_asked_to_add_time() -> None:
    empty = Calendar.from_config(_calendar(hours={}, years=[2024, 2024]))
    assert empty.never_open
    with pytest.raises(CalendarRangeError, match="never open in 2024-2024"):
        empty.add(datetime(2024, 6, 3, tzinfo=UTC), timedelta(hours=1))


def test_a_calendar_open_on_extra_hours_only_still_loads() -> None:
    calendar = Calendar.from_config(
        _calendar(hours={}, years=[2024, 2024], extra_hours={"2024-06-01": "09:00-12:00"})
    )
    assert [(2024, 2024)] == [calendar.years]


@pytest.mark.parametrize("key", ["closures", "extra_hours"])
def test_a_dated_entry_outside_the_default_years_is_a_policy_error_not_dropped(key: str) -> None:
    with pytest.raises(PolicyError, match=r"lies outside years \[2000, 2050\] \(the default") as c:
        Calendar.from_config(_calendar(**{key: {"2099-12-24": "09:00-12:00"}}))
    assert (key, "2099-12-24") == c.value.path


def test_an_explicit_holiday_outside_the_default_years_is_a_policy_error_not_dropped() -> None:
    with pytest.raises(PolicyError, match="holiday 2077-01-01 lies outside"):
        Calendar.from_config(_calendar(holidays={"dates": ["2077-01-01"]}))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("closures", {"9999-12-31": "09:00-12:00"}),
        ("extra_hours", {"0001-01-01": "09:00-12:00"}),
        ("holidays", {"dates": ["9999-12-31"]}),
        ("holidays", {"dates": ["1899-12-31"]}),
    ],
)
def test_a_date_outside_the_years_a_policy_may_name_is_a_policy_error(
    key: str, value: object
) -> None:
    with pytest.raises(PolicyError, match=r"outside the years a policy may name \(1900 to 2200\)"):
        Calendar.from_config(_calendar(**{key: value}))


@pytest.mark.parametrize(
    ("key", "token"),
    [("years", "9" * 5000), ("years", "2024:" + "9" * 5000), ("days_of_month", "1" * 5000)],
)
def test_a_time_window_number_of_thousands_of_digits_is_a_policy_error(
    key: str, token: str
) -> None:
    with pytest.raises(PolicyError, match="is not"):
        TimeWindow.from_config({key: [token]})


BEFORE_DATETIME_MIN = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
AFTER_DATETIME_MAX = datetime.max.replace(tzinfo=timezone(timedelta(hours=-14)))
OFFICE = _calendar(years=[2024, 2025])


@pytest.mark.parametrize("at", [BEFORE_DATETIME_MIN, AFTER_DATETIME_MAX])
@pytest.mark.parametrize(
    "call",
    [
        lambda c, at: c.is_open(at),
        lambda c, at: c.next_open(at),
        lambda c, at: c.next_close(at),
        lambda c, at: c.add(at, timedelta(hours=1)),
        lambda c, at: c.subtract(at, timedelta(hours=1)),
        lambda c, at: c.add_business_days(at, 1),
        lambda c, at: c.elapsed(datetime(2024, 6, 3, tzinfo=UTC), at),
        lambda c, at: c.windows(at, at),
    ],
)
@pytest.mark.parametrize("config", ["24x7", OFFICE])
def test_an_instant_beyond_what_datetime_holds_in_utc_is_a_calendar_range_error(
    config: object, call: Any, at: datetime
) -> None:
    with pytest.raises(CalendarRangeError, match=r"an instant (before 0001|after 9999)"):
        call(Calendar.from_config(config), at)


@pytest.mark.parametrize("day", [None, "2024-06-03", 5, datetime(2024, 6, 3, tzinfo=UTC)])
def test_is_working_day_of_anything_but_a_date_is_an_argument_error(day: object) -> None:
    with pytest.raises(ArgumentError, match="day must be a date"):
        Calendar.from_config(OFFICE).is_working_day(day)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["union", "intersection", "difference"])
@pytest.mark.parametrize("other", [None, "24x7", 5])
def test_calendar_algebra_with_something_else_than_a_calendar_is_an_argument_error(
    method: str, other: object
) -> None:
    with pytest.raises(ArgumentError, match="expected a Calendar"):
        getattr(Calendar.from_config(OFFICE), method)(other)


@pytest.mark.parametrize("at", [BEFORE_DATETIME_MIN, AFTER_DATETIME_MAX])
@pytest.mark.parametrize("method", ["contains", "next_change"])
def test_a_time_window_asked_about_an_instant_beyond_datetime_is_an_instant_range_error(
    method: str, at: datetime
) -> None:
    window = TimeWindow.from_config({"weekdays": ["monday:friday"], "location": "Europe/Berlin"})
    with pytest.raises(InstantRangeError):
        getattr(window, method)(at)


@pytest.mark.parametrize("years", [["1"], ["1:2"], ["9999"], ["1", "9999"]])
def test_a_time_window_for_the_first_or_last_year_datetime_holds_compiles(
    years: list[str],
) -> None:
    window = TimeWindow.from_config({"years": years, "location": "America/Los_Angeles"})
    assert not window.contains(datetime(2024, 6, 3, tzinfo=UTC))


def test_a_long_bad_duration_is_cut_in_the_message() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_duration("4h" + "x" * 100_000, ("within",))
    assert len(str(caught.value)) < 400
    assert "(100002 characters)" in str(caught.value)


HUGE = 10**4400  # repr() refuses integers of more than 4,300 digits


@pytest.mark.parametrize(
    "build",
    [
        lambda: Calendar.from_config(HUGE),
        lambda: Calendar.from_config(_calendar(hours={HUGE: "09:00-17:00"})),
        lambda: Calendar.from_config(_calendar(years=[2024, HUGE])),
        lambda: TimeWindow.from_config(HUGE),
        lambda: TimeWindow.from_config({"years": [HUGE]}),
        lambda: TimeWindow.from_config({"times": [{"start_time": HUGE, "end_time": "10:00"}]}),
    ],
)
def test_a_configuration_holding_a_huge_integer_is_a_policy_error_with_a_short_message(
    build: Any,
) -> None:
    with pytest.raises(PolicyError) as caught:
        build()
    assert len(str(caught.value)) < 400


def test_a_calendar_of_too_many_working_windows_is_refused_before_it_is_built() -> None:
    dense = {"mon-sun": [f"{h:02d}:00-{h:02d}:30" for h in range(24)]}
    with pytest.raises(PolicyError, match="more than the 400,000 a calendar may have") as c:
        Calendar.from_config(_calendar(hours=dense, years=[1900, 2200]), path=("calendars", "x"))
    assert ("calendars", "x", "years") == c.value.path


def test_a_calendar_of_three_shifts_a_day_stays_under_the_window_cap() -> None:
    shifts = {"mon-sun": ["06:00-14:00", "14:00-22:00", "22:00-23:00"]}
    calendar = Calendar.from_config(_calendar(hours=shifts, years=[2000, 2010]))
    assert 0 < calendar.window_count <= MAX_CALENDAR_WINDOWS


def _policy_with_calendars(count: int, calendar: dict[str, Any]) -> str:
    calendars = {f"c{i}": calendar for i in range(count)}
    return json.dumps({"policy": "p", "version": 1, "calendars": calendars})


def test_the_calendars_of_one_policy_share_a_budget_of_working_windows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compiler, "MAX_POLICY_WINDOWS", 30_000)
    office = _calendar(years=[2000, 2050])  # about 13,300 windows
    loads(_policy_with_calendars(2, office))
    with pytest.raises(PolicyError, match="more than 30,000 working windows") as caught:
        loads(_policy_with_calendars(3, office))
    assert ("calendars", "c2") == caught.value.path


def test_the_calendars_of_one_policy_share_a_budget_of_country_holiday_years(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compiler, "MAX_HOLIDAY_YEARS", 20)
    german = _calendar(holidays={"country": "DE", "years": [2024, 2033]})
    loads(_policy_with_calendars(2, german))
    with pytest.raises(PolicyError, match="more than 20 years of country holidays") as caught:
        loads(_policy_with_calendars(3, german))
    assert ("calendars", "c2", "holidays", "years") == caught.value.path


@pytest.mark.parametrize("text", ["\u0661\u0662-\u0662\u0664", "+1-24", " 1-24", "12-+4"])
def test_a_recurring_holiday_in_other_than_two_ascii_digits_each_is_a_policy_error(
    text: str,
) -> None:
    with pytest.raises(PolicyError, match="expected a yearly date MM-DD"):
        _parse_month_day(text, ("recurring", 0))
