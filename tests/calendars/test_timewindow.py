"""escalate.calendars.timewindow: Alertmanager time_intervals, overnight ranges, holidays."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.calendars.timewindow import QUIET_DAYS, TimeWindow
from escalate.errors import CalendarRangeError, NaiveDatetimeError, PolicyError

BERLIN = ZoneInfo("Europe/Berlin")
ONE_US = timedelta(microseconds=1)
BUSINESS = [{"start_time": "09:00", "end_time": "17:00"}]
NIGHT = [{"start_time": "22:00", "end_time": "06:00"}]
BERLIN_HOLIDAYS = {"country": "DE", "subdiv": "BE", "years": [2024, 2026]}


def utc(*fields: int) -> datetime:
    """An aware UTC datetime from (year, month, day[, hour, minute, second, microsecond])."""
    year, month, day, *clock = fields
    hour, minute, second, microsecond = [*clock, 0, 0, 0, 0][:4]
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


def berlin(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN)


def iso(at: datetime | None) -> str:
    return "None" if at is None else at.isoformat()


def window(config: object) -> TimeWindow:
    return TimeWindow.from_config(config)


def changes(w: TimeWindow, start: datetime, count: int) -> list[str]:
    """The next ``count`` change instants after ``start``, as ISO strings."""
    out = []
    at: datetime | None = start
    for _ in range(count):
        assert at is not None
        at = w.next_change(at)
        out.append(iso(at))
        if at is None:
            break
    return out


# --- every field alone ----------------------------------------------------------------------

FIELD_ALONE = [
    # (config, instant, expected)
    ({"times": BUSINESS}, utc(2024, 5, 6, 8, 59, 59), False),
    ({"times": BUSINESS}, utc(2024, 5, 6, 9, 0), True),
    ({"times": BUSINESS}, utc(2024, 5, 6, 16, 59, 59, 999_999), True),
    ({"times": BUSINESS}, utc(2024, 5, 6, 17, 0), False),
    ({"times": [{"start_time": "12:00", "end_time": "24:00"}]}, utc(2024, 5, 6, 23, 59), True),
    ({"times": [{"start_time": "12:00", "end_time": "24:00"}]}, utc(2024, 5, 7, 0, 0), False),
    ({"weekdays": ["saturday", "sunday"]}, utc(2024, 6, 1, 12), True),  # Saturday
    ({"weekdays": ["saturday", "sunday"]}, utc(2024, 6, 3, 12), False),  # Monday
    ({"weekdays": ["monday:friday"]}, utc(2024, 6, 7, 23, 59), True),  # Friday
    ({"weekdays": ["monday:friday"]}, utc(2024, 6, 8, 0, 0), False),
    ({"weekdays": ["Monday:FRIDAY"]}, utc(2024, 6, 5), True),  # case-insensitive
    ({"weekdays": ["sunday:saturday"]}, utc(2024, 6, 8), True),  # the whole week
    ({"weekdays": ["sunday:monday"]}, utc(2024, 6, 9), True),  # Sunday
    ({"weekdays": ["sunday:monday"]}, utc(2024, 6, 10), True),  # Monday
    ({"weekdays": ["sunday:monday"]}, utc(2024, 6, 11), False),  # Tuesday
    ({"days_of_month": ["1"]}, utc(2024, 7, 1, 5), True),
    ({"days_of_month": [1]}, utc(2024, 7, 2, 5), False),  # YAML integers are fine
    ({"days_of_month": ["-1"]}, utc(2024, 2, 29), True),  # leap year
    ({"days_of_month": ["-1"]}, utc(2024, 2, 28), False),
    ({"days_of_month": ["-1"]}, utc(2023, 2, 28), True),  # non-leap year
    ({"days_of_month": [-1]}, utc(2024, 4, 30), True),
    ({"days_of_month": ["-3:-1"]}, utc(2024, 1, 29), True),
    ({"days_of_month": ["-3:-1"]}, utc(2024, 1, 28), False),
    ({"days_of_month": ["-3:-1"]}, utc(2023, 2, 26), True),
    ({"days_of_month": ["-3:-1"]}, utc(2023, 2, 25), False),
    ({"days_of_month": ["-31:-1"]}, utc(2023, 2, 1), True),  # clamped to February
    ({"days_of_month": ["-31:-1"]}, utc(2024, 2, 29), True),
    ({"days_of_month": ["1:31"]}, utc(2024, 4, 30), True),  # clamped to a 30-day month
    ({"days_of_month": ["31"]}, utc(2024, 4, 30), False),  # day 31 never falls in April
    ({"days_of_month": ["29:31"]}, utc(2023, 2, 28), False),  # starts after February ends
    ({"days_of_month": ["29:31"]}, utc(2024, 2, 29), True),
    ({"days_of_month": ["1:-1"]}, utc(2024, 9, 30), True),
    ({"days_of_month": ["25:-3"]}, utc(2023, 2, 26), True),
    ({"days_of_month": ["25:-3"]}, utc(2023, 2, 27), False),
    ({"months": ["january:march"]}, utc(2024, 3, 31, 23, 59), True),
    ({"months": ["january:march"]}, utc(2024, 4, 1), False),
    ({"months": ["1:3"]}, utc(2024, 2, 10), True),
    ({"months": [12, "June"]}, utc(2024, 6, 10), True),
    ({"months": [12, "June"]}, utc(2024, 7, 10), False),
    ({"years": ["2024"]}, utc(2024, 12, 31, 23, 59), True),
    ({"years": ["2024"]}, utc(2025, 1, 1), False),
    ({"years": ["2020:2022", 2030]}, utc(2021, 6, 1), True),
    ({"years": ["2020:2022", 2030]}, utc(2023, 6, 1), False),
    ({"years": ["2020:2022", 2030]}, utc(2030, 6, 1), True),
    # location: 09:00-17:00 in Berlin is 07:00-15:00 UTC in summer
    ({"times": BUSINESS, "location": "Europe/Berlin"}, utc(2024, 6, 3, 7, 0), True),
    ({"times": BUSINESS, "location": "Europe/Berlin"}, utc(2024, 6, 3, 15, 0), False),
    ({"times": BUSINESS, "location": "Europe/Berlin"}, utc(2024, 1, 8, 7, 59), False),  # CET
    ({"times": BUSINESS, "location": "Europe/Berlin"}, utc(2024, 1, 8, 8, 0), True),
    ({}, utc(2024, 1, 1), True),  # no fields: every instant
]


@pytest.mark.parametrize(("config", "at", "expected"), FIELD_ALONE)
def test_each_field_alone_selects_what_alertmanager_selects(
    config: object, at: datetime, expected: bool
) -> None:
    assert expected == window(config).contains(at)


def test_day_fields_are_read_in_the_location_not_in_utc() -> None:
    w = window({"weekdays": ["saturday"], "location": "Australia/Sydney"})
    # Friday 14:00 UTC is already Saturday 00:00 in Sydney (AEST, +10:00).
    assert w.contains(utc(2024, 6, 7, 14, 0))
    assert not w.contains(utc(2024, 6, 7, 13, 59))


def test_instants_in_other_zones_are_compared_as_instants() -> None:
    w = window({"times": BUSINESS})
    assert w.contains(berlin(2024, 6, 3, 11, 0))  # 09:00 UTC
    assert not w.contains(berlin(2024, 6, 3, 10, 59))


# --- AND across fields, OR within a field and across entries ---------------------------------

ALERTMANAGER_EXAMPLE = {
    "weekdays": ["monday:wednesday", "saturday", "sunday"],
    "times": [{"start_time": "13:00", "end_time": "15:00"}],
    "days_of_month": ["1", "10", "20:-1"],
    "years": ["2020:2023"],
    "months": ["january:march"],
}


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2021, 1, 10, 13, 0), True),  # Sunday the 10th
        (utc(2021, 1, 30, 14, 24), True),  # Saturday in 20:-1
        (utc(2021, 1, 9, 13, 0), False),  # Saturday the 9th: day not listed
        (utc(2021, 1, 20, 12, 59), False),  # Wednesday the 20th, before 13:00
        (utc(2021, 2, 2, 13, 0), False),  # Tuesday the 2nd: day not listed
        (utc(2024, 1, 10, 13, 0), False),  # Wednesday the 10th, but 2024
    ],
)
def test_all_fields_must_match_and_any_member_of_a_field_may(at: datetime, expected: bool) -> None:
    assert expected == window(ALERTMANAGER_EXAMPLE).contains(at)


def test_a_list_of_entries_matches_when_any_entry_matches() -> None:
    w = window([{"weekdays": ["monday"], "times": BUSINESS}, {"weekdays": ["sunday"]}])
    assert w.contains(utc(2024, 6, 3, 10))  # Monday, office hours
    assert not w.contains(utc(2024, 6, 3, 18))  # Monday evening
    assert w.contains(utc(2024, 6, 9, 3))  # any time on Sunday
    assert not w.contains(utc(2024, 6, 4, 10))  # Tuesday


def test_a_named_interval_is_read_like_alertmanager_writes_it() -> None:
    w = TimeWindow.from_config(
        {
            "name": "office-hours",
            "time_intervals": [{"weekdays": ["monday:friday"], "times": BUSINESS}],
        }
    )
    assert w.name == "office-hours"
    assert w.contains(utc(2024, 6, 3, 10))
    assert not w.contains(utc(2024, 6, 1, 10))


def test_equal_configurations_give_equal_windows() -> None:
    config = {"weekdays": ["monday:friday"], "times": BUSINESS, "location": "Europe/Berlin"}
    assert window(config) == window(dict(config))
    assert hash(window(config)) == hash(window(dict(config)))


def test_a_window_is_immutable() -> None:
    w = window({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.name = "changed"  # type: ignore[misc]


def test_repr_names_the_entries_and_zones() -> None:
    w = TimeWindow.from_config({"name": "x", "time_intervals": [{"location": "Europe/Berlin"}]})
    assert repr(w) == "TimeWindow('x', 1 entry in Europe/Berlin)"
    assert repr(TimeWindow.always()) == "TimeWindow.always()"


# --- DST ------------------------------------------------------------------------------------


def test_a_range_inside_the_spring_forward_gap_contains_no_instant() -> None:
    w = window(
        {"times": [{"start_time": "02:00", "end_time": "03:00"}], "location": "Europe/Berlin"}
    )
    # 2024-03-31 in Berlin: 02:00 CET jumps to 03:00 CEST at 01:00 UTC.
    instants = [utc(2024, 3, 31, 0) + timedelta(minutes=m) for m in range(180)]
    assert [t for t in instants if w.contains(t)] == []
    assert iso(w.next_change(utc(2024, 3, 31, 0, 30))) == "2024-04-01T00:00:00+00:00"


def test_a_range_starting_inside_the_gap_starts_at_the_end_of_the_gap() -> None:
    w = window(
        {"times": [{"start_time": "02:30", "end_time": "04:00"}], "location": "Europe/Berlin"}
    )
    assert not w.contains(utc(2024, 3, 31, 0, 59, 59))
    assert w.contains(utc(2024, 3, 31, 1, 0))  # 03:00 CEST
    assert changes(w, utc(2024, 3, 31, 0, 0), 2) == [
        "2024-03-31T01:00:00+00:00",
        "2024-03-31T02:00:00+00:00",
    ]


def test_a_repeated_hour_is_inside_twice() -> None:
    w = window(
        {"times": [{"start_time": "02:00", "end_time": "03:00"}], "location": "Europe/Berlin"}
    )
    # 2024-10-27: 03:00 CEST falls back to 02:00 CET at 01:00 UTC; 02:xx lasts two real hours.
    assert changes(w, utc(2024, 10, 26, 23, 0), 2) == [
        "2024-10-27T00:00:00+00:00",
        "2024-10-27T02:00:00+00:00",
    ]


def test_the_fall_back_transition_itself_can_be_a_change() -> None:
    w = window(
        {"times": [{"start_time": "02:30", "end_time": "03:30"}], "location": "Europe/Berlin"}
    )
    assert changes(w, utc(2024, 10, 27, 0, 0), 4) == [
        "2024-10-27T00:30:00+00:00",  # 02:30 CEST
        "2024-10-27T01:00:00+00:00",  # the clock falls back from 03:00 to 02:00
        "2024-10-27T01:30:00+00:00",  # 02:30 CET
        "2024-10-27T02:30:00+00:00",  # 03:30 CET
    ]


def test_business_hours_move_in_utc_across_the_dst_change() -> None:
    w = window({"weekdays": ["monday:friday"], "times": BUSINESS, "location": "Europe/Berlin"})
    assert changes(w, utc(2024, 3, 29, 0, 0), 3) == [
        "2024-03-29T08:00:00+00:00",  # Friday 09:00 CET
        "2024-03-29T16:00:00+00:00",
        "2024-04-01T07:00:00+00:00",  # Monday 09:00 CEST
    ]


# --- overnight ranges (escalate extension) --------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2024, 6, 7, 21, 59), False),  # Friday before the start
        (utc(2024, 6, 7, 22, 0), True),  # Friday 22:00
        (utc(2024, 6, 8, 5, 59, 59), True),  # Saturday morning: still Friday's night
        (utc(2024, 6, 8, 6, 0), False),
        (utc(2024, 6, 8, 22, 0), False),  # Saturday night is not selected
        (utc(2024, 6, 7, 3, 0), False),  # Friday early morning belongs to Thursday's night
    ],
)
def test_an_overnight_range_belongs_to_the_day_it_starts_on(at: datetime, expected: bool) -> None:
    assert expected == window({"weekdays": ["friday"], "times": NIGHT}).contains(at)


def test_an_overnight_range_crosses_midnight_without_a_change() -> None:
    w = window({"times": NIGHT})
    assert changes(w, utc(2024, 6, 7, 22, 30), 2) == [
        "2024-06-08T06:00:00+00:00",
        "2024-06-08T22:00:00+00:00",
    ]


def test_an_overnight_range_crosses_a_month_end() -> None:
    w = window({"days_of_month": ["-1"], "times": NIGHT})
    assert w.contains(utc(2024, 1, 31, 23, 0))
    assert w.contains(utc(2024, 2, 1, 5, 0))
    assert not w.contains(utc(2024, 2, 1, 22, 0))
    assert changes(w, utc(2024, 1, 31, 12, 0), 2) == [
        "2024-01-31T22:00:00+00:00",
        "2024-02-01T06:00:00+00:00",
    ]


def test_an_overnight_range_crosses_a_year_end_on_its_start_year() -> None:
    w = window({"years": ["2024"], "times": NIGHT})
    assert w.contains(utc(2025, 1, 1, 3, 0))  # started on 2024-12-31
    assert not w.contains(utc(2025, 1, 1, 22, 0))
    assert changes(w, utc(2024, 12, 31, 23, 0), 2) == ["2025-01-01T06:00:00+00:00", "None"]


def test_an_overnight_range_to_midnight_is_the_rest_of_the_day() -> None:
    w = window({"times": [{"start_time": "22:00", "end_time": "00:00"}]})
    assert w.contains(utc(2024, 6, 7, 23, 59))
    assert not w.contains(utc(2024, 6, 8, 0, 0))


# --- next_change ----------------------------------------------------------------------------


def test_next_change_is_strictly_after_the_instant() -> None:
    w = window({"times": BUSINESS})
    assert iso(w.next_change(utc(2024, 5, 6, 9, 0))) == "2024-05-06T17:00:00+00:00"


def test_next_change_keeps_the_instants_zone_out_of_the_answer() -> None:
    found = window({"times": BUSINESS}).next_change(berlin(2024, 5, 6, 12, 0))
    assert found is not None
    assert utc(2024, 5, 6, 17, 0) == found
    assert found.tzinfo is UTC


def test_a_window_without_fields_never_changes() -> None:
    assert window({}).next_change(utc(2024, 1, 1)) is None
    assert window({"weekdays": ["sunday:saturday"]}).next_change(utc(2024, 1, 1)) is None


def test_always_contains_everything_and_never_changes() -> None:
    assert TimeWindow.always().contains(utc(1999, 12, 31, 23, 59, 59))
    assert TimeWindow.always().next_change(utc(2024, 1, 1)) is None


def test_a_window_whose_years_have_passed_never_changes_again() -> None:
    w = window({"years": ["2020"]})
    assert not w.contains(utc(2030, 1, 1))
    assert w.next_change(utc(2030, 1, 1)) is None
    assert utc(2021, 1, 1) == w.next_change(utc(2020, 6, 1))


def test_next_change_jumps_to_a_distant_year() -> None:
    assert utc(2090, 1, 1) == window({"years": ["2090"]}).next_change(utc(2024, 6, 1))


def test_next_change_finds_a_rare_day_decades_away() -> None:
    # 29 February falls on a Monday in 2016 and next in 2044: far beyond a few years' scan.
    w = window({"months": ["february"], "days_of_month": ["29"], "weekdays": ["monday"]})
    assert utc(2044, 2, 29) == w.next_change(utc(2016, 3, 1))


def test_entries_that_together_cover_everything_never_change() -> None:
    w = window([{"weekdays": ["monday:friday"]}, {"weekdays": ["saturday", "sunday"]}])
    assert w.next_change(utc(2024, 6, 1)) is None


def test_entries_in_several_locations_change_where_their_union_changes() -> None:
    office = {"weekdays": ["monday:friday"], "times": BUSINESS}
    w = window(
        [{**office, "location": "Europe/Berlin"}, {**office, "location": "America/New_York"}]
    )
    assert changes(w, utc(2024, 6, 3, 0, 0), 2) == [
        "2024-06-03T07:00:00+00:00",  # Berlin opens
        "2024-06-03T21:00:00+00:00",  # New York closes (Berlin closed at 15:00 UTC)
    ]


def test_quiet_days_cover_the_longest_gap_between_alike_days() -> None:
    assert QUIET_DAYS >= 365 * 40


# --- holidays (escalate extension) ----------------------------------------------------------

OFFICE_BERLIN = {"weekdays": ["monday:friday"], "times": BUSINESS, "location": "Europe/Berlin"}


def test_an_excluding_entry_does_not_match_on_a_holiday() -> None:
    w = window({**OFFICE_BERLIN, "holidays": BERLIN_HOLIDAYS})
    assert not w.contains(berlin(2024, 3, 8, 10, 0))  # Internationaler Frauentag (Berlin)
    assert w.contains(berlin(2024, 3, 7, 10, 0))
    assert berlin(2024, 3, 11, 9, 0) == w.next_change(berlin(2024, 3, 7, 18, 0))


def test_exclude_is_the_default() -> None:
    explicit = window({**OFFICE_BERLIN, "holidays": BERLIN_HOLIDAYS, "on_holidays": "exclude"})
    assert explicit == window({**OFFICE_BERLIN, "holidays": BERLIN_HOLIDAYS})


def test_an_only_entry_matches_only_on_holidays() -> None:
    w = window({"holidays": BERLIN_HOLIDAYS, "on_holidays": "only", "location": "Europe/Berlin"})
    assert w.contains(berlin(2024, 3, 8, 3, 0))
    assert not w.contains(berlin(2024, 3, 7, 23, 59))
    assert changes(w, berlin(2024, 3, 7, 12, 0), 2) == [
        "2024-03-07T23:00:00+00:00",
        "2024-03-08T23:00:00+00:00",
    ]


def test_holidays_are_local_dates_in_the_location() -> None:
    w = window(
        {"holidays": {"dates": ["2024-12-24"]}, "on_holidays": "only", "location": "Asia/Tokyo"}
    )
    assert w.contains(utc(2024, 12, 23, 15, 0))  # 00:00 on the 24th in Tokyo
    assert not w.contains(utc(2024, 12, 24, 15, 0))


def test_a_date_outside_the_holiday_years_raises() -> None:
    w = window({**OFFICE_BERLIN, "holidays": BERLIN_HOLIDAYS})
    with pytest.raises(CalendarRangeError, match=r"2027-01-04 lies outside the holiday years"):
        w.contains(berlin(2027, 1, 4, 10, 0))
    with pytest.raises(CalendarRangeError, match=r"time_intervals\[0\]|holidays"):
        w.contains(berlin(2023, 12, 29, 10, 0))


def test_a_day_the_other_fields_do_not_select_needs_no_holiday_data() -> None:
    w = window({**OFFICE_BERLIN, "holidays": BERLIN_HOLIDAYS})
    assert not w.contains(berlin(2027, 1, 2, 10, 0))  # a Saturday


def test_next_change_raises_rather_than_guess_beyond_the_holiday_years() -> None:
    w = window({**OFFICE_BERLIN, "holidays": BERLIN_HOLIDAYS})
    with pytest.raises(CalendarRangeError):
        w.next_change(berlin(2026, 12, 31, 18, 0))


def test_a_holiday_error_does_not_depend_on_entry_order() -> None:
    other = {"weekdays": ["monday"]}
    holiday_entry = {**OFFICE_BERLIN, "holidays": BERLIN_HOLIDAYS}
    for config in ([other, holiday_entry], [holiday_entry, other]):
        with pytest.raises(CalendarRangeError):
            window(config).contains(berlin(2027, 1, 4, 10, 0))


# --- errors ---------------------------------------------------------------------------------


def error_of(config: object) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        TimeWindow.from_config(config, path=("windows", "office"))
    return caught.value


def test_an_unknown_key_names_its_path_and_suggests_the_spelling() -> None:
    err = error_of({"name": "office", "time_intervals": [{"weekdys": ["monday"]}]})
    assert err.path == ("windows", "office", "time_intervals", 0, "weekdys")
    assert err.suggestion == "weekdays"
    assert str(err).startswith("windows.office.time_intervals[0].weekdys: unknown key")
    assert str(err).endswith("(did you mean 'weekdays'?)")


def test_an_unknown_key_of_a_bare_entry_names_its_path() -> None:
    with pytest.raises(PolicyError) as caught:
        TimeWindow.from_config([{"times": BUSINESS}, {"month": ["may"]}])
    assert str(caught.value) == "[1].month: unknown key 'month' (did you mean 'months'?)"


@pytest.mark.parametrize(
    ("config", "path", "text", "suggestion"),
    [
        (
            {"weekdays": ["mondey"]},
            ("weekdays", 0),
            "'mondey' in 'mondey' is not a weekday",
            "monday",
        ),
        ({"weekdays": ["friday:monday"]}, ("weekdays", 0), "runs backwards", None),
        ({"weekdays": ["saturday:sunday"]}, ("weekdays", 0), "['saturday', 'sunday']", None),
        ({"weekdays": [1]}, ("weekdays", 0), "not numbers, got 1", None),
        ({"weekdays": ["1:3"]}, ("weekdays", 0), "'1' in '1:3' is not a weekday", None),
        ({"weekdays": ["mon:tue:wed"]}, ("weekdays", 0), "is not a range", None),
        (
            {"days_of_month": ["0"]},
            ("days_of_month", 0),
            "0 in '0' is not a day of the month",
            None,
        ),
        ({"days_of_month": ["1:50"]}, ("days_of_month", 0), "50 in '1:50'", None),
        ({"days_of_month": ["-50:-20"]}, ("days_of_month", 0), "-50 in '-50:-20'", None),
        ({"days_of_month": ["-15:5"]}, ("days_of_month", 0), "end must be negative", None),
        ({"days_of_month": ["10:-25"]}, ("days_of_month", 0), "always before start day 10", None),
        ({"days_of_month": [65]}, ("days_of_month", 0), "quote it: '1:5'", None),
        ({"days_of_month": ["first"]}, ("days_of_month", 0), "'first' in 'first'", None),
        ({"days_of_month": [True]}, ("days_of_month", 0), "got True", None),
        ({"months": ["febuary:june"]}, ("months", 0), "'febuary' in 'febuary:june'", "february"),
        ({"months": ["december:january"]}, ("months", 0), "end month january is before", None),
        ({"months": [13]}, ("months", 0), "13 in 13 is not a month", None),
        ({"years": ["2022:2020"]}, ("years", 0), "end year 2020 is before start year 2022", None),
        ({"years": ["twenty"]}, ("years", 0), "'twenty' in 'twenty' is not a year", None),
        (
            {"times": [{"start_time": "9:00", "end_time": "17:00"}]},
            ("times", 0, "start_time"),
            "got '9:00'",
            None,
        ),
        (
            {"times": [{"start_time": "01:99", "end_time": "23:59"}]},
            ("times", 0, "start_time"),
            "got '01:99'",
            None,
        ),
        (
            {"times": [{"start_time": "12:30", "end_time": "24:01"}]},
            ("times", 0, "end_time"),
            "got '24:01'",
            None,
        ),
        (
            {"times": [{"start_time": "09:00", "end_time": 1020}]},
            ("times", 0, "end_time"),
            "quote it: '17:00'",
            None,
        ),
        (
            {"times": [{"start_time": "17:31", "end_time": "17:31"}]},
            ("times", 0),
            "both '17:31'",
            None,
        ),
        (
            {"times": [{"start_time": "24:00", "end_time": "06:00"}]},
            ("times", 0, "start_time"),
            "write 00:00",
            None,
        ),
        (
            {"times": [{"start_time": "14:03"}]},
            ("times", 0, "end_time"),
            "missing required key 'end_time'",
            None,
        ),
        (
            {"times": [{"start": "09:00", "end_time": "10:00"}]},
            ("times", 0, "start"),
            "unknown key 'start'",
            "start_time",
        ),
        ({"times": ["09:00-17:00"]}, ("times", 0), "expected a mapping, got '09:00-17:00'", None),
        ({"location": "Mars/Olympus"}, ("location",), "unknown time zone 'Mars/Olympus'", None),
        ({"location": "Local"}, ("location",), "never reads the machine's settings", None),
        ({"weekdays": []}, ("weekdays",), "omit the key", None),
        ({"weekdays": None}, ("weekdays",), "omit the key", None),
        ({"weekdays": "monday"}, ("weekdays",), "expected a list, got 'monday'", None),
        ({"months": ["february"], "days_of_month": ["30:31"]}, (), "matches no date", None),
        ({"on_holidays": "only"}, ("on_holidays",), "needs a 'holidays' mapping", None),
        (
            {"holidays": BERLIN_HOLIDAYS, "on_holidays": "onyl"},
            ("on_holidays",),
            "got 'onyl'",
            "only",
        ),
        (
            {"holidays": {"country": "DE", "subdiv": "BX", "years": [2024, 2024]}},
            ("holidays", "subdiv"),
            "no subdivision 'BX'",
            None,
        ),
        (
            {"holidays": {"dates": []}, "on_holidays": "only"},
            ("holidays",),
            "can never match",
            None,
        ),
    ],
)
def test_a_bad_value_names_its_path_and_the_value(
    config: object, path: tuple[str | int, ...], text: str, suggestion: str | None
) -> None:
    err = error_of(config)
    assert ("windows", "office", *path) == err.path
    assert text in err.message
    if suggestion is not None:
        assert suggestion == err.suggestion


@pytest.mark.parametrize(
    ("config", "path", "text"),
    [
        ([], (), "empty list of time intervals"),
        ({"name": "x", "time_intervals": []}, ("time_intervals",), "empty list"),
        ({"name": "x"}, ("time_intervals",), "missing required key 'time_intervals'"),
        ({"name": "", "time_intervals": [{}]}, ("name",), "non-empty string"),
        ({"name": "x", "time_intervals": {}}, ("time_intervals",), "expected a list, got {}"),
        (
            {"name": "x", "time_intervals": [{}], "weekdays": ["monday"]},
            ("weekdays",),
            "belongs inside",
        ),
        ({"name": "x", "time_intervls": [{}]}, ("time_intervls",), "unknown key"),
        ("monday", (), "got 'monday'"),
        ([["monday"]], (0,), "expected a mapping"),
    ],
)
def test_a_bad_shape_names_its_path(config: object, path: tuple[str | int, ...], text: str) -> None:
    err = error_of(config)
    assert ("windows", "office", *path) == err.path
    assert text in err.message


def test_a_misspelt_time_intervals_key_is_suggested() -> None:
    assert error_of({"name": "x", "time_intervls": [{}]}).suggestion == "time_intervals"


def test_a_naive_datetime_is_rejected() -> None:
    w = window({"times": BUSINESS})
    with pytest.raises(NaiveDatetimeError):
        w.contains(datetime(2024, 1, 1, 10, 0))
    with pytest.raises(NaiveDatetimeError):
        w.next_change(datetime(2024, 1, 1, 10, 0))


def test_a_date_is_not_an_instant() -> None:
    with pytest.raises(TypeError):
        window({}).contains(date(2024, 1, 1))  # type: ignore[arg-type]


# --- properties -----------------------------------------------------------------------------

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/St_Johns"]
CLOCKS = ["00:00", "01:30", "02:00", "02:30", "03:00", "09:00", "12:15", "17:00", "22:00", "23:59"]

times_entries = st.tuples(st.sampled_from(CLOCKS), st.sampled_from([*CLOCKS, "24:00"])).filter(
    lambda pair: pair[0] != pair[1]
)
entries = st.fixed_dictionaries(
    {},
    optional={
        "times": st.lists(
            times_entries.map(lambda p: {"start_time": p[0], "end_time": p[1]}),
            min_size=1,
            max_size=2,
        ),
        "weekdays": st.lists(
            st.sampled_from(["monday", "thursday:saturday", "sunday:tuesday", "wednesday"]),
            min_size=1,
            max_size=2,
        ),
        "days_of_month": st.lists(
            st.sampled_from(["1", "-1", "1:5", "-3:-1", "15:31", 29]), min_size=1, max_size=2
        ),
        "months": st.lists(st.sampled_from(["january:march", "october", 3, "4:12"]), min_size=1),
        "years": st.lists(st.sampled_from(["2024", "2025:2026", "2023"]), min_size=1, max_size=2),
        "location": st.sampled_from(ZONES),
        "holidays": st.just({"dates": ["2024-12-24", "2025-03-30", "2025-10-26"]}),
        "on_holidays": st.sampled_from(["exclude", "only"]),
    },
).map(lambda e: e if "holidays" in e else {k: v for k, v in e.items() if k != "on_holidays"})
configs = st.lists(entries, min_size=1, max_size=3)
instants = st.integers(0, 3 * 366 * 24 * 60).flatmap(
    lambda minute: st.sampled_from([0, 1, 59_999_999, 30_000_000]).map(
        lambda us: utc(2023, 6, 1) + timedelta(minutes=minute, microseconds=us)
    )
)


@settings(max_examples=200, deadline=None)
@given(config=configs, at=instants)
def test_next_change_is_the_first_instant_where_contains_flips(
    config: list[dict[str, object]], at: datetime
) -> None:
    w = window(config)
    before = w.contains(at)
    found = w.next_change(at)
    if found is None:
        for days in (1, 17, 200, 700):
            assert before == w.contains(at + timedelta(days=days, minutes=days))
        return
    assert found > at
    assert before != w.contains(found)
    assert before == w.contains(found - ONE_US)
    span_us = (found - at) // ONE_US
    for num, den in ((1, 4), (1, 3), (1, 2), (2, 3), (9, 10)):
        assert before == w.contains(at + timedelta(microseconds=span_us * num // den))


@settings(max_examples=40, deadline=None)
@given(config=configs, at=instants)
def test_no_whole_minute_before_next_change_flips(
    config: list[dict[str, object]], at: datetime
) -> None:
    # Every zone here has whole-minute offsets, so contains can only flip on a whole minute.
    w = window(config)
    before = w.contains(at)
    found = w.next_change(at)
    limit = at + timedelta(days=2)
    end = limit if found is None else min(found, limit)
    t = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while t < end:
        assert before == w.contains(t), t
        t += timedelta(minutes=1)


@settings(max_examples=60, deadline=None)
@given(config=configs, at=instants)
def test_answers_are_deterministic(config: list[dict[str, object]], at: datetime) -> None:
    first, second = window(config), window(config)
    assert first == second
    assert first.contains(at) == second.contains(at)
    assert first.next_change(at) == second.next_change(at)
    assert first.next_change(at) == first.next_change(at)


@settings(max_examples=60, deadline=None)
@given(config=configs, at=instants)
def test_the_order_of_entries_does_not_matter(
    config: list[dict[str, object]], at: datetime
) -> None:
    forward, backward = window(config), window(list(reversed(config)))
    assert forward == backward
    assert forward.contains(at) == backward.contains(at)
    assert forward.next_change(at) == backward.next_change(at)
