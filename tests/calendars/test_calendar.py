"""Table tests of the business-time calendar: configuration, boundaries, holidays, closures,
extra hours, ranges, errors and algebra. DST has its own file (``test_calendar_dst.py``).

Dates used below: 2024-06-03 is a Monday, 2024-06-07 a Friday; Berlin is on CEST (+02:00) in
June, so 09:00 there is 07:00Z.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from escalate import (
    ArgumentError,
    Calendar,
    CalendarRangeError,
    EscalateError,
    NaiveDatetimeError,
    PolicyError,
)

BERLIN = ZoneInfo("Europe/Berlin")
ZERO = timedelta(0)
ONE_US = timedelta(microseconds=1)
OFFICE: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "hours": {"mon-fri": ["09:00-17:00"]},
    "years": [2024, 2025],
}
HOLIDAYS_VERSION = importlib.metadata.version("holidays")


def berlin(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=BERLIN)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def office(**changes: Any) -> Calendar:
    return Calendar.from_config({**OFFICE, **changes})


def berlin_office_with_holidays() -> Calendar:
    return Calendar.from_config(
        {
            "timezone": "Europe/Berlin",
            "hours": {"mon-fri": ["09:00-17:00"]},
            "holidays": {"country": "DE", "subdiv": "BE", "years": [2024, 2026]},
        }
    )


# --------------------------------------------------------------------------------------------
# Weekly hours
# --------------------------------------------------------------------------------------------


def test_an_office_day_has_eight_hours() -> None:
    assert hours(8) == office().elapsed(berlin(2024, 6, 3), berlin(2024, 6, 4))


def test_an_office_week_has_forty_hours() -> None:
    assert hours(40) == office().elapsed(berlin(2024, 6, 3), berlin(2024, 6, 10))


def test_a_lunch_break_is_not_working_time() -> None:
    cal = office(hours={"mon-fri": ["09:00-12:00", "13:00-17:00"]})
    assert hours(7) == cal.elapsed(berlin(2024, 6, 3), berlin(2024, 6, 4))


def test_add_skips_the_lunch_break() -> None:
    cal = office(hours={"mon-fri": ["09:00-12:00", "13:00-17:00"]})
    assert berlin(2024, 6, 3, 14) == cal.add(berlin(2024, 6, 3, 11), hours(2))


def test_an_interval_may_end_at_2400() -> None:
    cal = office(hours={"mon": ["18:00-24:00"]})
    assert hours(6) == cal.elapsed(berlin(2024, 6, 3), berlin(2024, 6, 5))


def test_a_day_ending_at_2400_and_the_next_starting_at_0000_form_one_window() -> None:
    cal = office(hours={"mon": ["18:00-24:00"], "tue": ["00:00-06:00"]})
    assert berlin(2024, 6, 4, 6) == cal.next_close(berlin(2024, 6, 3, 20))


def test_an_overnight_interval_runs_into_the_next_day() -> None:
    cal = office(hours={"mon": ["22:00-06:00"]})
    assert [(berlin(2024, 6, 3, 22), berlin(2024, 6, 4, 6))] == cal.windows(
        berlin(2024, 6, 3), berlin(2024, 6, 5)
    )


def test_a_friday_night_shift_runs_into_saturday() -> None:
    cal = office(hours={"mon-fri": ["22:00-06:00"]})
    assert cal.is_open(berlin(2024, 6, 8, 5, 59))


def test_a_weekday_night_shift_does_not_open_monday_morning() -> None:
    cal = office(hours={"mon-fri": ["22:00-06:00"]})
    assert not cal.is_open(berlin(2024, 6, 3, 3))


def test_a_sunday_night_shift_runs_into_monday() -> None:
    cal = office(hours={"sun": ["22:00-06:00"]})
    assert hours(8) == cal.elapsed(berlin(2024, 6, 2), berlin(2024, 6, 4))


def test_a_weekday_range_may_wrap_around_the_week() -> None:
    cal = office(hours={"fri-mon": ["10:00-12:00"]})
    expected = [True, True, True, True, False]
    assert expected == [cal.is_working_day(date(2024, 6, d)) for d in (7, 8, 9, 10, 11)]


def test_weekdays_may_be_listed_with_commas() -> None:
    cal = office(hours={"mon,wed,fri": ["10:00-12:00"]})
    expected = [True, False, True, False, True]
    assert expected == [cal.is_working_day(date(2024, 6, d)) for d in (3, 4, 5, 6, 7)]


def test_weekday_keys_ignore_case() -> None:
    assert office() == office(hours={"Mon-FRI": ["09:00-17:00"]})


def test_a_lone_interval_may_be_given_as_text() -> None:
    assert office() == office(hours={"mon-fri": "09:00-17:00"})


def test_the_24x7_string_is_a_calendar_open_at_any_instant() -> None:
    cal = Calendar.from_config("24x7")
    expected = [True, True]
    assert expected == [cal.is_open(utc(1900, 1, 1)), cal.is_open(utc(2500, 6, 1))]


def test_the_24x7_string_counts_real_time() -> None:
    cal = Calendar.from_config("24x7")
    assert hours(1000) == cal.elapsed(utc(2024, 1, 1), utc(2024, 1, 1) + hours(1000))


def test_a_plain_24x7_calendar_never_closes() -> None:
    assert Calendar.from_config("24x7").next_close(utc(2024, 1, 1)) is None


def test_a_plain_24x7_calendar_answers_for_any_year() -> None:
    expected = (1, 9999)
    assert expected == Calendar.from_config({"timezone": "Asia/Tokyo", "hours": "24x7"}).years


def test_a_calendar_without_holidays_or_years_is_compiled_for_2000_to_2050() -> None:
    cal = Calendar.from_config({"timezone": "UTC", "hours": {"mon": ["09:00-17:00"]}})
    expected = (2000, 2050)
    assert expected == cal.years


# --------------------------------------------------------------------------------------------
# Boundaries
# --------------------------------------------------------------------------------------------


def test_the_calendar_is_open_at_exactly_0900() -> None:
    assert office().is_open(berlin(2024, 6, 3, 9))


def test_the_calendar_is_closed_at_exactly_1700() -> None:
    assert not office().is_open(berlin(2024, 6, 3, 17))


def test_the_calendar_is_open_a_microsecond_before_1700() -> None:
    assert office().is_open(berlin(2024, 6, 3, 17) - ONE_US)


def test_the_calendar_is_closed_a_microsecond_before_0900() -> None:
    assert not office().is_open(berlin(2024, 6, 3, 9) - ONE_US)


def test_elapsed_counts_the_start_instant_and_not_the_end() -> None:
    expected = ONE_US
    assert expected == office().elapsed(berlin(2024, 6, 3, 9), berlin(2024, 6, 3, 9) + ONE_US)


def test_elapsed_is_exact_to_the_microsecond() -> None:
    start = berlin(2024, 6, 3, 8, 59, 59, 999_999)
    assert timedelta(hours=1, microseconds=7) == office().elapsed(
        start, berlin(2024, 6, 3, 10, 0, 0, 7)
    )


def test_elapsed_is_zero_when_the_end_is_not_after_the_start() -> None:
    expected = [ZERO, ZERO]
    assert expected == [
        office().elapsed(berlin(2024, 6, 3, 12), berlin(2024, 6, 3, 12)),
        office().elapsed(berlin(2024, 6, 3, 12), berlin(2024, 6, 3, 10)),
    ]


def test_add_landing_on_1700_returns_1700() -> None:
    assert berlin(2024, 6, 3, 17) == office().add(berlin(2024, 6, 3, 9), hours(8))


def test_add_a_microsecond_past_1700_continues_the_next_morning() -> None:
    assert berlin(2024, 6, 4, 9) + ONE_US == office().add(berlin(2024, 6, 3, 9), hours(8) + ONE_US)


def test_add_of_zero_outside_hours_returns_the_next_opening() -> None:
    assert berlin(2024, 6, 4, 9) == office().add(berlin(2024, 6, 3, 20), ZERO)


def test_add_of_zero_inside_hours_returns_the_start() -> None:
    assert berlin(2024, 6, 3, 10) == office().add(berlin(2024, 6, 3, 10), ZERO)


def test_add_from_outside_hours_counts_from_the_next_opening() -> None:
    assert berlin(2024, 6, 4, 11) == office().add(berlin(2024, 6, 3, 20), hours(2))


def test_add_over_a_weekend_continues_on_monday() -> None:
    assert berlin(2024, 6, 10, 11) == office().add(berlin(2024, 6, 7, 15), hours(4))


def test_add_returns_an_aware_utc_datetime() -> None:
    result = office().add(berlin(2024, 6, 3, 9), hours(1))
    assert (UTC, utc(2024, 6, 3, 8)) == (result.tzinfo, result)


def test_subtract_landing_on_0900_returns_0900() -> None:
    assert berlin(2024, 6, 3, 9) == office().subtract(berlin(2024, 6, 3, 17), hours(8))


def test_subtract_continues_the_previous_afternoon() -> None:
    assert berlin(2024, 6, 3, 16) == office().subtract(berlin(2024, 6, 4, 10), hours(2))


def test_subtract_of_zero_outside_hours_returns_the_previous_closing() -> None:
    assert berlin(2024, 6, 3, 17) == office().subtract(berlin(2024, 6, 3, 20), ZERO)


def test_a_negative_duration_added_subtracts() -> None:
    assert berlin(2024, 6, 3, 16) == office().add(berlin(2024, 6, 4, 10), -hours(2))


def test_next_open_inside_hours_is_the_instant_itself() -> None:
    assert berlin(2024, 6, 3, 12) == office().next_open(berlin(2024, 6, 3, 12))


def test_next_open_at_1700_is_the_next_morning() -> None:
    assert berlin(2024, 6, 4, 9) == office().next_open(berlin(2024, 6, 3, 17))


def test_next_close_inside_hours_is_the_end_of_the_day() -> None:
    assert berlin(2024, 6, 3, 17) == office().next_close(berlin(2024, 6, 3, 9))


def test_next_close_outside_hours_is_the_end_of_the_next_window() -> None:
    assert berlin(2024, 6, 10, 17) == office().next_close(berlin(2024, 6, 8, 12))


def test_windows_are_clipped_to_the_span() -> None:
    assert [
        (berlin(2024, 6, 3, 12), berlin(2024, 6, 3, 17)),
        (berlin(2024, 6, 4, 9), berlin(2024, 6, 4, 10)),
    ] == office().windows(berlin(2024, 6, 3, 12), berlin(2024, 6, 4, 10))


# --------------------------------------------------------------------------------------------
# Paused periods (exclude)
# --------------------------------------------------------------------------------------------


def test_excluded_periods_do_not_count() -> None:
    pause = (berlin(2024, 6, 3, 10), berlin(2024, 6, 3, 11))
    assert hours(7) == office().elapsed(berlin(2024, 6, 3), berlin(2024, 6, 4), exclude=[pause])


def test_overlapping_excluded_periods_count_once() -> None:
    pauses = [
        (berlin(2024, 6, 3, 10), berlin(2024, 6, 3, 12)),
        (berlin(2024, 6, 3, 11), berlin(2024, 6, 3, 13)),
    ]
    assert hours(5) == office().elapsed(berlin(2024, 6, 3), berlin(2024, 6, 4), exclude=pauses)


def test_excluded_periods_beyond_the_span_count_only_inside_it() -> None:
    pause = (berlin(2024, 6, 2), berlin(2024, 6, 3, 10))
    assert hours(2) == office().elapsed(
        berlin(2024, 6, 3, 9), berlin(2024, 6, 3, 12), exclude=[pause]
    )


def test_an_excluded_period_ending_before_it_starts_excludes_nothing() -> None:
    pause = (berlin(2024, 6, 3, 12), berlin(2024, 6, 3, 10))
    assert hours(8) == office().elapsed(berlin(2024, 6, 3), berlin(2024, 6, 4), exclude=[pause])


def test_excluded_periods_outside_hours_change_nothing() -> None:
    pause = (berlin(2024, 6, 3, 18), berlin(2024, 6, 4, 8))
    assert hours(16) == office().elapsed(berlin(2024, 6, 3), berlin(2024, 6, 5), exclude=[pause])


# --------------------------------------------------------------------------------------------
# Business days
# --------------------------------------------------------------------------------------------


def test_one_business_day_after_friday_is_monday_same_wall_time() -> None:
    assert berlin(2024, 6, 10, 10) == office().add_business_days(berlin(2024, 6, 7, 10), 1)


def test_a_business_day_keeps_a_wall_time_outside_hours() -> None:
    assert berlin(2024, 6, 10, 20) == office().add_business_days(berlin(2024, 6, 7, 20), 1)


def test_business_days_from_a_weekend_start_counting_on_monday() -> None:
    assert berlin(2024, 6, 11, 12) == office().add_business_days(berlin(2024, 6, 8, 12), 2)


def test_minus_one_business_day_from_monday_is_friday() -> None:
    assert berlin(2024, 6, 7, 10) == office().add_business_days(berlin(2024, 6, 10, 10), -1)


def test_zero_business_days_return_the_start() -> None:
    assert berlin(2024, 6, 8, 12) == office().add_business_days(berlin(2024, 6, 8, 12), 0)


def test_business_days_keep_the_wall_time_across_a_dst_switch() -> None:
    # Friday 03-29 10:00 CET (09:00Z) + 1 working day = Monday 04-01 10:00 CEST (08:00Z).
    assert utc(2024, 4, 1, 8) == office().add_business_days(berlin(2024, 3, 29, 10), 1)


def test_business_days_skip_holidays() -> None:
    # 2025-05-08 (Thursday) was a one-off holiday in Berlin.
    cal = berlin_office_with_holidays()
    assert berlin(2025, 5, 9, 10) == cal.add_business_days(berlin(2025, 5, 7, 10), 1)


def test_a_day_opened_only_by_a_night_shift_spilling_over_is_a_working_day() -> None:
    cal = office(hours={"fri": ["22:00-06:00"]})
    assert cal.is_working_day(date(2024, 6, 8))


def test_business_days_must_be_a_whole_number() -> None:
    with pytest.raises(TypeError, match="days must be an int"):
        office().add_business_days(berlin(2024, 6, 3), 1.0)  # type: ignore[arg-type]


def test_business_days_may_not_be_a_boolean() -> None:
    with pytest.raises(TypeError, match="days must be an int"):
        office().add_business_days(berlin(2024, 6, 3), True)


def test_add_needs_a_timedelta() -> None:
    with pytest.raises(TypeError, match="duration must be a timedelta"):
        office().add(berlin(2024, 6, 3), 3600)  # type: ignore[arg-type]


def test_subtract_needs_a_timedelta() -> None:
    with pytest.raises(TypeError, match="duration must be a timedelta"):
        office().subtract(berlin(2024, 6, 3), 3600)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Holidays
# --------------------------------------------------------------------------------------------


def test_the_one_off_berlin_holiday_of_2025_05_08_is_closed() -> None:
    cal = berlin_office_with_holidays()
    expected = ZERO
    assert expected == cal.elapsed(berlin(2025, 5, 8), berlin(2025, 5, 9))


def test_the_one_off_berlin_holiday_of_2025_05_08_is_not_a_working_day() -> None:
    assert not berlin_office_with_holidays().is_working_day(date(2025, 5, 8))


def test_add_skips_a_holiday() -> None:
    cal = berlin_office_with_holidays()
    assert berlin(2025, 5, 9, 10) == cal.add(berlin(2025, 5, 7, 16), hours(2))


def test_christmas_and_boxing_day_are_closed_in_germany() -> None:
    cal = berlin_office_with_holidays()
    expected = [True, False, False, True]
    assert expected == [cal.is_working_day(date(2024, 12, d)) for d in (24, 25, 26, 27)]


def test_the_holiday_names_hold_the_country_holidays_only() -> None:
    names = berlin_office_with_holidays().holiday_names
    expected = [True, True, False]
    assert expected == [
        day in names for day in (date(2024, 12, 25), date(2025, 5, 8), date(2024, 12, 24))
    ]


def test_the_holiday_source_names_package_version_country_and_years() -> None:
    source = f"holidays {HOLIDAYS_VERSION} DE/BE 2024-2026"
    assert source == berlin_office_with_holidays().holiday_source


def test_holiday_categories_add_the_holidays_of_that_category() -> None:
    # 2024-08-15 (Thursday), Assumption Day, is a Bavarian holiday in the 'catholic' category.
    def bavaria(categories: list[str]) -> Calendar:  # [] means the package's default
        holidays = {"country": "DE", "subdiv": "BY", "years": [2024, 2024]}
        return Calendar.from_config(
            {
                "timezone": "Europe/Berlin",
                "hours": OK_HOURS,
                "holidays": {**holidays, "categories": categories},
            }
        )

    expected = [True, False]
    assert expected == [
        bavaria([]).is_working_day(date(2024, 8, 15)),
        bavaria(["public", "catholic"]).is_working_day(date(2024, 8, 15)),
    ]


def test_explicit_holiday_dates_are_closed() -> None:
    cal = Calendar.from_config(
        {
            "timezone": "Europe/Berlin",
            "hours": {"mon-fri": ["09:00-17:00"]},
            "holidays": {"years": [2024, 2024], "dates": ["2024-06-04", date(2024, 6, 5)]},
        }
    )
    assert hours(24) == cal.elapsed(berlin(2024, 6, 3), berlin(2024, 6, 10))


def test_recurring_holidays_close_the_date_every_year() -> None:
    cal = Calendar.from_config(
        {
            "timezone": "Europe/Berlin",
            "hours": {"mon-sun": ["09:00-17:00"]},
            "holidays": {"years": [2024, 2025], "recurring": ["12-24"]},
        }
    )
    expected = [False, False]
    assert expected == [
        cal.is_working_day(date(2024, 12, 24)),
        cal.is_working_day(date(2025, 12, 24)),
    ]


def test_a_recurring_29_february_closes_only_leap_years() -> None:
    cal = Calendar.from_config(
        {
            "timezone": "UTC",
            "hours": {"mon-sun": ["09:00-17:00"]},
            "holidays": {"years": [2024, 2025], "recurring": ["02-29"]},
        }
    )
    expected = [False, True]
    assert expected == [
        cal.is_working_day(date(2024, 2, 29)),
        cal.is_working_day(date(2025, 3, 1)),
    ]


def test_a_holiday_drops_a_night_shift_starting_on_it_whole() -> None:
    # Windows belong to the date they start on: Thursday 2025-05-08 22:00 to Friday 06:00.
    cal = Calendar.from_config(
        {
            "timezone": "Europe/Berlin",
            "hours": {"mon-fri": ["22:00-06:00"]},
            "holidays": {"years": [2025, 2025], "dates": ["2025-05-08"]},
        }
    )
    expected = ZERO
    assert expected == cal.elapsed(berlin(2025, 5, 8, 12), berlin(2025, 5, 9, 12))


def test_a_night_shift_starting_the_evening_before_a_holiday_runs_into_it() -> None:
    cal = Calendar.from_config(
        {
            "timezone": "Europe/Berlin",
            "hours": {"mon-fri": ["22:00-06:00"]},
            "holidays": {"years": [2025, 2025], "dates": ["2025-05-08"]},
        }
    )
    assert hours(8) == cal.elapsed(berlin(2025, 5, 7, 12), berlin(2025, 5, 8, 12))


def test_a_24x7_calendar_with_holidays_closes_on_them() -> None:
    cal = Calendar.from_config(
        {
            "timezone": "Europe/Berlin",
            "hours": "24x7",
            "holidays": {"years": [2024, 2024], "dates": ["2024-06-04"]},
        }
    )
    assert hours(48) == cal.elapsed(berlin(2024, 6, 3), berlin(2024, 6, 6))


# --------------------------------------------------------------------------------------------
# Closures and extra hours
# --------------------------------------------------------------------------------------------


def test_a_closure_removes_part_of_a_day() -> None:
    cal = office(closures={"2024-06-03": ["12:00-24:00"]})
    assert hours(3) == cal.elapsed(berlin(2024, 6, 3), berlin(2024, 6, 4))


def test_an_overnight_closure_runs_into_the_next_morning() -> None:
    cal = office(closures={"2024-06-03": ["16:00-10:00"]})
    assert hours(14) == cal.elapsed(berlin(2024, 6, 3), berlin(2024, 6, 5))


def test_extra_hours_open_a_saturday() -> None:
    cal = office(extra_hours={"2024-06-08": ["10:00-14:00"]})
    assert hours(4) == cal.elapsed(berlin(2024, 6, 8), berlin(2024, 6, 9))


def test_extra_hours_extend_a_working_day() -> None:
    cal = office(extra_hours={date(2024, 6, 3): ["17:00-19:00"]})
    assert berlin(2024, 6, 3, 19) == cal.next_close(berlin(2024, 6, 3, 10))


def test_extra_hours_open_even_on_a_holiday() -> None:
    cal = Calendar.from_config(
        {
            "timezone": "Europe/Berlin",
            "hours": {"mon-fri": ["09:00-17:00"]},
            "holidays": {"years": [2025, 2025], "dates": ["2025-05-08"]},
            "extra_hours": {"2025-05-08": ["10:00-12:00"]},
        }
    )
    assert hours(2) == cal.elapsed(berlin(2025, 5, 8), berlin(2025, 5, 9))


def test_closures_win_over_extra_hours() -> None:
    cal = office(
        extra_hours={"2024-06-08": ["10:00-14:00"]}, closures={"2024-06-08": ["11:00-12:00"]}
    )
    assert hours(3) == cal.elapsed(berlin(2024, 6, 8), berlin(2024, 6, 9))


def test_an_overnight_extra_interval_runs_into_the_next_day() -> None:
    cal = office(extra_hours={"2024-06-08": ["22:00-02:00"]})
    assert berlin(2024, 6, 9, 2) == cal.next_close(berlin(2024, 6, 8, 23))


# --------------------------------------------------------------------------------------------
# The compiled range
# --------------------------------------------------------------------------------------------


def test_the_range_starts_at_local_midnight_of_the_first_year() -> None:
    cal = office()
    assert (utc(2023, 12, 31, 23), utc(2025, 12, 31, 23)) == (cal.valid_from, cal.valid_until)


def test_an_instant_after_the_holiday_years_raises() -> None:
    with pytest.raises(CalendarRangeError):
        berlin_office_with_holidays().is_open(utc(2027, 1, 1))


def test_the_range_error_names_the_instant_the_years_and_the_holiday_source() -> None:
    message = (
        f"2027-01-01T00:00:00+00:00 lies outside the years 2024-2026 this calendar is compiled "
        f"for (holidays {HOLIDAYS_VERSION} DE/BE 2024-2026); widen its years to answer there"
    )
    with pytest.raises(CalendarRangeError) as caught:
        berlin_office_with_holidays().elapsed(utc(2026, 6, 1), utc(2027, 1, 1))
    assert message == str(caught.value)


def test_the_range_error_is_a_value_error_and_an_escalate_error() -> None:
    assert issubclass(CalendarRangeError, ValueError) and issubclass(
        CalendarRangeError, EscalateError
    )


def test_an_instant_before_the_years_raises_for_add() -> None:
    with pytest.raises(CalendarRangeError):
        office().add(utc(2023, 12, 31, 22), hours(1))


def test_add_running_past_the_end_of_the_years_raises() -> None:
    with pytest.raises(CalendarRangeError):
        office().add(berlin(2025, 12, 31, 16), hours(2))


def test_subtract_running_past_the_start_of_the_years_raises() -> None:
    with pytest.raises(CalendarRangeError):
        office().subtract(berlin(2024, 1, 2, 10), hours(10))


def test_business_days_running_past_the_end_of_the_years_raise() -> None:
    with pytest.raises(CalendarRangeError):
        office().add_business_days(berlin(2025, 12, 30, 10), 2)


def test_elapsed_up_to_the_end_of_the_range_is_answered() -> None:
    cal = office()
    assert hours(8) == cal.elapsed(berlin(2025, 12, 31), cal.valid_until)


def test_the_end_of_the_range_is_not_an_instant_the_calendar_can_judge() -> None:
    # Regression: is_open(valid_until) said False, though nothing is known there.
    cal = Calendar.from_config({"timezone": "UTC", "hours": "24x7", "years": [2024, 2024]})
    with pytest.raises(CalendarRangeError):
        cal.is_open(cal.valid_until)


def test_next_close_of_a_window_running_past_the_range_raises() -> None:
    # Regression: a bounded 24x7 calendar reported a close at valid_until (2025-01-01), where
    # the table merely ends.
    cal = Calendar.from_config({"timezone": "UTC", "hours": "24x7", "years": [2024, 2024]})
    with pytest.raises(CalendarRangeError):
        cal.next_close(utc(2024, 5, 1))


def test_next_close_of_a_night_shift_cut_by_the_end_of_the_range_raises() -> None:
    cal = office(hours={"wed": ["22:00-06:00"]})  # 2025-12-31 is a Wednesday
    with pytest.raises(CalendarRangeError):
        cal.next_close(berlin(2025, 12, 31, 23))


def test_elapsed_of_a_reversed_span_outside_the_range_raises() -> None:
    # Regression: the end <= start shortcut answered 0 before checking the range.
    with pytest.raises(CalendarRangeError):
        office().elapsed(utc(2030, 1, 1), utc(2024, 6, 1))


def test_empty_hours_open_only_on_extra_hours_dates() -> None:
    cal = Calendar.from_config(
        {
            "timezone": "UTC",
            "hours": {},
            "years": [2024, 2024],
            "extra_hours": {"2024-06-08": ["10:00-12:00"]},
        }
    )
    start = datetime(2024, 6, 1, tzinfo=UTC)
    assert timedelta(hours=2) == cal.elapsed(start, start + timedelta(days=14))


def test_is_working_day_outside_the_range_raises() -> None:
    with pytest.raises(CalendarRangeError):
        office().is_working_day(date(1990, 1, 2))


def test_years_may_be_given_without_holidays() -> None:
    cal = Calendar.from_config({"timezone": "UTC", "hours": "24x7", "years": [2030, 2031]})
    expected = (2030, 2031)
    assert expected == cal.years


# --------------------------------------------------------------------------------------------
# Naive datetimes and wrong types
# --------------------------------------------------------------------------------------------

NAIVE = datetime(2024, 6, 3, 10)
AWARE = berlin(2024, 6, 3, 10)
NAIVE_CALLS: dict[str, Callable[[Calendar], object]] = {
    "elapsed start": lambda c: c.elapsed(NAIVE, AWARE),
    "elapsed end": lambda c: c.elapsed(AWARE, NAIVE),
    "elapsed exclude": lambda c: c.elapsed(AWARE, AWARE + hours(1), exclude=[(NAIVE, AWARE)]),
    "elapsed exclude of an empty span": lambda c: c.elapsed(AWARE, AWARE, [(AWARE, NAIVE)]),
    "add": lambda c: c.add(NAIVE, hours(1)),
    "add zero": lambda c: c.add(NAIVE, ZERO),
    "subtract": lambda c: c.subtract(NAIVE, hours(1)),
    "is_open": lambda c: c.is_open(NAIVE),
    "next_open": lambda c: c.next_open(NAIVE),
    "next_close": lambda c: c.next_close(NAIVE),
    "add_business_days": lambda c: c.add_business_days(NAIVE, 1),
    "windows start": lambda c: c.windows(NAIVE, AWARE),
    "windows end": lambda c: c.windows(AWARE, NAIVE),
}


@pytest.mark.parametrize("call", NAIVE_CALLS.values(), ids=NAIVE_CALLS.keys())
def test_naive_datetimes_are_rejected(call: Callable[[Calendar], object]) -> None:
    with pytest.raises(NaiveDatetimeError, match="has no time zone"):
        call(office())


def test_a_string_instead_of_a_datetime_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="must be an aware datetime"):
        office().is_open("2024-06-03T10:00:00+02:00")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Configuration errors
# --------------------------------------------------------------------------------------------

OK_HOURS = {"mon-fri": ["09:00-17:00"]}
INTERVAL_HELP = (
    "expected an interval 'HH:MM-HH:MM' (end may be 24:00, or earlier than the start for an "
    "overnight range), got "
)
CONFIG_ERRORS: dict[str, tuple[object, str]] = {
    "unknown key, with a suggestion": (
        {"timezone": "UTC", "hours": OK_HOURS, "holiday": {}},
        "holiday: unknown key 'holiday' (did you mean 'holidays'?)",
    ),
    "unknown key, nothing close": (
        {"timezone": "UTC", "hours": OK_HOURS, "owner": "ops"},
        "owner: unknown key 'owner'",
    ),
    "missing timezone": ({"hours": OK_HOURS}, "timezone: missing required key 'timezone'"),
    "missing hours": (
        {"timezone": "UTC"},
        "hours: missing required key 'hours'",
    ),
    "unknown zone": (
        {"timezone": "Europe/Berln", "hours": OK_HOURS},
        "timezone: unknown time zone 'Europe/Berln' (expected an IANA name like 'Europe/Berlin')",
    ),
    "zone not text": (
        {"timezone": 1, "hours": OK_HOURS},
        "timezone: expected a string, got 1",
    ),
    "bad interval": (
        {"timezone": "UTC", "hours": {"mon": ["9-17"]}},
        f"hours.mon[0]: {INTERVAL_HELP}'9-17'",
    ),
    "hour 25": (
        {"timezone": "UTC", "hours": {"mon": ["09:00-25:00"]}},
        f"hours.mon[0]: {INTERVAL_HELP}'09:00-25:00'",
    ),
    "24:30": (
        {"timezone": "UTC", "hours": {"mon": ["09:00-24:30"]}},
        f"hours.mon[0]: {INTERVAL_HELP}'09:00-24:30'",
    ),
    "start at 24:00": (
        {"timezone": "UTC", "hours": {"mon": ["24:00-06:00"]}},
        f"hours.mon[0]: {INTERVAL_HELP}'24:00-06:00'",
    ),
    "minute 60": (
        {"timezone": "UTC", "hours": {"mon": ["09:60-10:00"]}},
        f"hours.mon[0]: {INTERVAL_HELP}'09:60-10:00'",
    ),
    "non-ASCII digits": (  # regression: int("0²") raised a bare ValueError without the key
        {"timezone": "UTC", "hours": {"tue": ["0²:00-10:00"]}},
        f"hours.tue[0]: {INTERVAL_HELP}'0²:00-10:00'",
    ),
    "non-ASCII decimal digits": (  # regression: Arabic-Indic digits were silently accepted
        {"timezone": "UTC", "hours": {"tue": ["0٩:00-10:00"]}},
        f"hours.tue[0]: {INTERVAL_HELP}'0٩:00-10:00'",
    ),
    "empty interval": (
        {"timezone": "UTC", "hours": {"mon": ["09:00-09:00"]}},
        "hours.mon[0]: interval '09:00-09:00' is empty",
    ),
    "intervals not a list": (
        {"timezone": "UTC", "hours": {"mon": 9}},
        "hours.mon: expected a string or a list, got 9",
    ),
    "an empty list of intervals": (
        {"timezone": "UTC", "hours": {"mon-fri": []}},
        "hours.mon-fri: expected a non-empty list of 'HH:MM-HH:MM' intervals "
        "(leave a closed day out), got []",
    ),
    "overlap on one day": (
        {"timezone": "UTC", "hours": {"mon": ["09:00-12:00", "11:00-13:00"]}},
        "hours.mon[1]: interval overlaps the interval at hours.mon[0]; merge them into one",
    ),
    "overlap between a range and a day": (
        {"timezone": "UTC", "hours": {"mon-fri": ["09:00-17:00"], "wed": ["16:00-18:00"]}},
        "hours.wed[0]: interval overlaps the interval at hours.mon-fri[0]; merge them into one",
    ),
    "overnight interval overlapping the next morning": (
        {"timezone": "UTC", "hours": {"mon": ["22:00-06:00"], "tue": ["05:00-09:00"]}},
        "hours.tue[0]: interval overlaps the interval at hours.mon[0]; merge them into one",
    ),
    "sunday night overlapping monday morning": (
        {"timezone": "UTC", "hours": {"sun": ["22:00-06:00"], "mon": ["05:00-09:00"]}},
        "hours.mon[0]: interval overlaps the interval at hours.sun[0]; merge them into one",
    ),
    "bad weekday": (
        {"timezone": "UTC", "hours": {"mnd": ["09:00-17:00"]}},
        "hours.mnd: unknown weekday 'mnd' in 'mnd' (use mon..sun, ranges like mon-fri) "
        "(did you mean 'mon'?)",
    ),
    "bad weekday in a range": (
        {"timezone": "UTC", "hours": {"mon-fry": ["09:00-17:00"]}},
        "hours.mon-fry: unknown weekday 'fry' in 'mon-fry' (use mon..sun, ranges like mon-fri) "
        "(did you mean 'fri'?)",
    ),
    "weekday not text": (
        {"timezone": "UTC", "hours": {1: ["09:00-17:00"]}},
        "hours[1]: expected a string, got 1",
    ),
    "not 24x7": (
        {"timezone": "UTC", "hours": "24x5"},
        "hours: expected '24x7' or a mapping, got '24x5'",
    ),
    "a calendar that is other text": (
        "24x5",
        "a calendar is a mapping or the string '24x7', got '24x5'",
    ),
    "country holidays without years": (
        {"timezone": "UTC", "hours": OK_HOURS, "holidays": {"country": "DE"}},
        "holidays.years: holidays from a country need an explicit 'years: [first, last]' "
        "(escalate never lets the holidays package guess further years)",
    ),
    "recurring holidays without years": (
        {"timezone": "UTC", "hours": OK_HOURS, "holidays": {"recurring": ["12-24"]}},
        "holidays.years: recurring dates need 'years: [first, last]' to know which years they "
        "apply to",
    ),
    "unknown holidays key": (
        {
            "timezone": "UTC",
            "hours": OK_HOURS,
            "holidays": {"country": "DE", "subdivision": "BE", "years": [2024, 2024]},
        },
        "holidays.subdivision: unknown key 'subdivision' (did you mean 'subdiv'?)",
    ),
    "unknown country": (
        {
            "timezone": "UTC",
            "hours": OK_HOURS,
            "holidays": {"country": "XX", "years": [2024, 2024]},
        },
        "holidays.country: the holidays package has no country 'XX'",
    ),
    "unknown subdivision": (
        {
            "timezone": "UTC",
            "hours": OK_HOURS,
            "holidays": {"country": "DE", "subdiv": "XX", "years": [2024, 2024]},
        },
        "holidays.subdiv: country 'DE' has no subdivision 'XX'",
    ),
    "subdivision without country": (
        {"timezone": "UTC", "hours": OK_HOURS, "holidays": {"subdiv": "BE", "years": [2024, 2024]}},
        "holidays.subdiv: 'subdiv' needs 'country'",
    ),
    "years reversed": (
        {"timezone": "UTC", "hours": OK_HOURS, "years": [2025, 2024]},
        "years: years must satisfy 1900 <= first <= last <= 2200, got [2025, 2024]",
    ),
    "years not a pair": (
        {"timezone": "UTC", "hours": OK_HOURS, "years": [2024]},
        "years: expected at least 2 items, got [2024]",
    ),
    "years given twice": (
        {
            "timezone": "UTC",
            "hours": OK_HOURS,
            "years": [2024, 2024],
            "holidays": {"country": "DE", "years": [2024, 2024]},
        },
        "years: years is already set by holidays.years; give it once",
    ),
    "holiday date outside the years": (
        {
            "timezone": "UTC",
            "hours": OK_HOURS,
            "holidays": {"years": [2024, 2024], "dates": ["2025-01-01"]},
        },
        "holidays.dates[0]: date 2025-01-01 lies outside years [2024, 2024]",
    ),
    "recurring date that is no date": (
        {
            "timezone": "UTC",
            "hours": OK_HOURS,
            "holidays": {"years": [2024, 2024], "recurring": ["13-01"]},
        },
        "holidays.recurring[0]: expected a yearly date MM-DD like '12-24', got '13-01'",
    ),
    "closure outside the years": (
        {
            "timezone": "UTC",
            "hours": OK_HOURS,
            "years": [2024, 2024],
            "closures": {"2025-01-01": ["09:00-10:00"]},
        },
        "closures.2025-01-01: date 2025-01-01 lies outside years [2024, 2024]",
    ),
    "closure on no date": (
        {"timezone": "UTC", "hours": OK_HOURS, "closures": {"2024-13-01": ["09:00-10:00"]}},
        "closures.2024-13-01: expected a date YYYY-MM-DD, got '2024-13-01'",
    ),
    "overlapping closures on a date": (
        {
            "timezone": "UTC",
            "hours": OK_HOURS,
            "closures": {"2024-12-24": ["09:00-12:00", "10:00-11:00"]},
        },
        "closures.2024-12-24[1]: interval overlaps the interval at closures.2024-12-24[0]; merge "
        "them into one",
    ),
    "a date given as a date and as text": (  # regression: the later entry silently won
        {
            "timezone": "UTC",
            "hours": OK_HOURS,
            "closures": {"2024-12-24": ["09:00-12:00"], date(2024, 12, 24): ["13:00-14:00"]},
        },
        "closures.2024-12-24: date 2024-12-24 is given twice; merge its intervals into one entry",
    ),
    "bad extra hours interval": (
        {"timezone": "UTC", "hours": OK_HOURS, "extra_hours": {"2024-12-24": "9-12"}},
        f"extra_hours.2024-12-24: {INTERVAL_HELP}'9-12'",
    ),
}


@pytest.mark.parametrize(("config", "message"), CONFIG_ERRORS.values(), ids=CONFIG_ERRORS.keys())
def test_an_invalid_config_raises_a_policy_error_naming_the_key(
    config: object, message: str
) -> None:
    with pytest.raises(PolicyError) as caught:
        Calendar.from_config(config)
    assert message == str(caught.value)


def test_a_policy_error_carries_the_key_path_and_the_suggestion() -> None:
    with pytest.raises(PolicyError) as caught:
        Calendar.from_config({"timezone": "UTC", "hours": {"mnd": ["09:00-17:00"]}})
    expected = (("hours", "mnd"), "mon")
    assert expected == (caught.value.path, caught.value.suggestion)


def test_a_policy_error_path_is_prefixed_with_where_the_calendar_stands() -> None:
    with pytest.raises(PolicyError) as caught:
        Calendar.from_config(
            {"timezone": "UTC", "hours": {"mon": ["9-17"]}}, path=("calendars", "office")
        )
    expected = ("calendars", "office", "hours", "mon", 0)
    assert expected == caught.value.path


def test_a_calendar_cannot_be_built_directly() -> None:
    with pytest.raises(TypeError, match="from_config"):
        Calendar()


def test_a_calendar_is_immutable() -> None:
    cal = office()
    with pytest.raises(AttributeError, match="immutable"):
        cal.zone = ZoneInfo("UTC")


# --------------------------------------------------------------------------------------------
# Algebra
# --------------------------------------------------------------------------------------------


def test_union_of_berlin_and_new_york_offices_follows_the_sun() -> None:
    new_york = Calendar.from_config({**OFFICE, "timezone": "America/New_York"})
    # Monday 2024-06-03: Berlin 07:00Z-15:00Z, New York 13:00Z-21:00Z.
    assert hours(14) == (office() | new_york).elapsed(utc(2024, 6, 3), utc(2024, 6, 4))


def test_intersection_of_berlin_and_new_york_offices_is_their_overlap() -> None:
    new_york = Calendar.from_config({**OFFICE, "timezone": "America/New_York"})
    assert [(utc(2024, 6, 3, 13), utc(2024, 6, 3, 15))] == (office() & new_york).windows(
        utc(2024, 6, 3), utc(2024, 6, 4)
    )


def test_difference_removes_a_blackout() -> None:
    blackout = Calendar.from_config(
        {"timezone": "Europe/Berlin", "hours": {"mon": ["12:00-14:00"]}, "years": [2024, 2025]}
    )
    assert hours(6) == (office() - blackout).elapsed(berlin(2024, 6, 3), berlin(2024, 6, 4))


def test_a_combined_calendar_answers_only_where_both_do() -> None:
    later = Calendar.from_config({**OFFICE, "years": [2025, 2026]})
    expected = (2025, 2025)
    assert expected == (office() | later).years


def test_calendars_with_disjoint_years_cannot_be_combined() -> None:
    later = Calendar.from_config({**OFFICE, "years": [2030, 2031]})
    with pytest.raises(CalendarRangeError, match="do not overlap"):
        office() | later


def test_a_combined_calendar_counts_business_days_in_the_first_calendars_zone() -> None:
    tokyo = Calendar.from_config(
        {**OFFICE, "timezone": "Asia/Tokyo", "hours": {"sat": ["09:00-10:00"]}}
    )
    # Tokyo's Saturday 09:00-10:00 is Saturday 02:00-03:00 in Berlin: Saturday is a working day.
    assert (office() | tokyo).is_working_day(date(2024, 6, 8))


def test_union_with_a_plain_24x7_calendar_is_always_open() -> None:
    always = office() | Calendar.from_config("24x7")
    assert timedelta(days=7) == always.elapsed(berlin(2024, 6, 3), berlin(2024, 6, 10))


@pytest.mark.parametrize("bad", ["2024-06-03T10:00:00+02:00", None, 1717401600])
def test_an_instant_that_is_not_a_datetime_raises_an_argument_error(bad: object) -> None:
    with pytest.raises(ArgumentError, match="must be an aware datetime"):
        office().elapsed(bad, berlin(2024, 6, 4))  # type: ignore[arg-type]


def test_a_duration_that_is_not_a_timedelta_raises_an_escalate_error() -> None:
    with pytest.raises(EscalateError, match="duration must be a timedelta"):
        office().add(berlin(2024, 6, 3), 3600)  # type: ignore[arg-type]
