"""DST and odd offsets: every expected instant is worked out by hand in the comment beside it.

The rules under test (docs/calendars.md, "Time zones and DST"): intervals are wall-clock times
in the calendar's zone; a nonexistent wall time means the end of the gap; a repeated hour counts
as real time (twice, when an interval covers it); 24x7 counts real time, so a fall-back day has
25 hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from escalate import Calendar

BERLIN = ZoneInfo("Europe/Berlin")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
SYDNEY = ZoneInfo("Australia/Sydney")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
TEHRAN = ZoneInfo("Asia/Tehran")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
APIA = ZoneInfo("Pacific/Apia")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def calendar(zone: str, year: int, hours: object) -> Calendar:
    return Calendar.from_config({"timezone": zone, "hours": hours, "years": [year, year]})


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


# --------------------------------------------------------------------------------------------
# Europe/Berlin: 2024-03-31 02:00 CET -> 03:00 CEST (01:00Z); 2024-10-27 03:00 CEST -> 02:00
# CET (01:00Z). Both are Sundays; the nights before are Saturday nights.
# --------------------------------------------------------------------------------------------


def test_berlin_24x7_spring_forward_day_has_23_hours() -> None:
    cal = calendar("Europe/Berlin", 2024, "24x7")
    # 2024-03-31 00:00 CET = 03-30 23:00Z; 2024-04-01 00:00 CEST = 03-31 22:00Z.
    assert hours(23) == cal.elapsed(utc(2024, 3, 30, 23), utc(2024, 3, 31, 22))


def test_berlin_24x7_fall_back_day_has_25_hours() -> None:
    cal = calendar("Europe/Berlin", 2024, "24x7")
    # 2024-10-27 00:00 CEST = 10-26 22:00Z; 2024-10-28 00:00 CET = 10-27 23:00Z.
    start = datetime(2024, 10, 27, tzinfo=BERLIN)
    assert hours(25) == cal.elapsed(start, start.replace(day=28))


def test_berlin_night_shift_over_spring_forward_has_7_real_hours() -> None:
    cal = calendar("Europe/Berlin", 2024, {"sat": ["22:00-06:00"]})
    # 22:00 CET = 21:00Z; 06:00 CEST = 04:00Z; the hour 02:00-03:00 never happens.
    assert hours(7) == cal.elapsed(utc(2024, 3, 30, 12), utc(2024, 3, 31, 12))


def test_berlin_night_shift_over_fall_back_has_9_real_hours() -> None:
    cal = calendar("Europe/Berlin", 2024, {"sat": ["22:00-06:00"]})
    # 22:00 CEST = 20:00Z; 06:00 CET = 05:00Z; the hour 02:00-03:00 happens twice.
    assert hours(9) == cal.elapsed(utc(2024, 10, 26, 12), utc(2024, 10, 27, 12))


def test_berlin_night_shift_over_fall_back_ends_at_six_local() -> None:
    cal = calendar("Europe/Berlin", 2024, {"sat": ["22:00-06:00"]})
    # 06:00 CET on 10-27 = 05:00Z.
    assert utc(2024, 10, 27, 5) == cal.next_close(utc(2024, 10, 26, 23))


def test_berlin_interval_starting_in_the_gap_opens_at_the_end_of_the_gap() -> None:
    cal = calendar("Europe/Berlin", 2024, {"sun": ["02:30-05:00"]})
    # 02:30 does not exist on 03-31: it means 03:00 CEST = 01:00Z.
    assert utc(2024, 3, 31, 1) == cal.next_open(utc(2024, 3, 30, 12))


def test_berlin_interval_starting_in_the_gap_counts_from_the_end_of_the_gap() -> None:
    cal = calendar("Europe/Berlin", 2024, {"sun": ["02:30-05:00"]})
    # 03:00 CEST (01:00Z) to 05:00 CEST (03:00Z).
    assert hours(2) == cal.elapsed(utc(2024, 3, 30), utc(2024, 4, 1))


def test_berlin_interval_ending_in_the_gap_closes_when_the_gap_begins() -> None:
    cal = calendar("Europe/Berlin", 2024, {"sun": ["01:00-02:30"]})
    # 01:00 CET = 00:00Z; the end 02:30 means 03:00 CEST = 01:00Z, the same instant as 02:00 CET.
    assert [(utc(2024, 3, 31, 0), utc(2024, 3, 31, 1))] == cal.windows(
        utc(2024, 3, 30), utc(2024, 4, 1)
    )


def test_berlin_interval_inside_the_repeated_hour_is_open_twice() -> None:
    cal = calendar("Europe/Berlin", 2024, {"sun": ["02:15-02:45"]})
    # 02:15-02:45 CEST = 00:15Z-00:45Z, then 02:15-02:45 CET = 01:15Z-01:45Z.
    assert [
        (utc(2024, 10, 27, 0, 15), utc(2024, 10, 27, 0, 45)),
        (utc(2024, 10, 27, 1, 15), utc(2024, 10, 27, 1, 45)),
    ] == cal.windows(utc(2024, 10, 26), utc(2024, 10, 28))


def test_berlin_interval_ending_inside_the_repeated_hour_reopens_when_the_wall_clock_repeats() -> (
    None
):
    # Open exactly when the wall clock reads 01:00-02:30: 01:00 CEST-02:30 CEST (23:00Z-00:30Z),
    # closed while it reads 02:30-03:00 CEST, open again for 02:00-02:30 CET (01:00Z-01:30Z).
    cal = calendar("Europe/Berlin", 2024, {"sun": ["01:00-02:30"]})
    assert [
        (utc(2024, 10, 26, 23), utc(2024, 10, 27, 0, 30)),
        (utc(2024, 10, 27, 1), utc(2024, 10, 27, 1, 30)),
    ] == cal.windows(utc(2024, 10, 26), utc(2024, 10, 28))


def test_berlin_office_hours_covering_the_repeated_hour_count_it_twice() -> None:
    cal = calendar("Europe/Berlin", 2024, {"sun": ["01:00-04:00"]})
    # 01:00 CEST = 23:00Z (10-26) to 04:00 CET = 03:00Z: four real hours for three on the wall.
    assert hours(4) == cal.elapsed(utc(2024, 10, 26), utc(2024, 10, 28))


def test_berlin_add_across_the_gap_counts_real_time() -> None:
    cal = calendar("Europe/Berlin", 2024, {"sun": ["01:00-05:00"]})
    # Open 00:00Z-03:00Z (01:00 CET to 05:00 CEST): 2 h from 01:00 CET ends at 02:00Z = 04:00 CEST.
    assert utc(2024, 3, 31, 2) == cal.add(utc(2024, 3, 31, 0), hours(2))


def test_berlin_business_day_onto_the_gap_moves_to_the_end_of_the_gap() -> None:
    cal = calendar("Europe/Berlin", 2024, {"mon-sun": ["09:00-17:00"]})
    # Saturday 02:30 CET + 1 working day = Sunday 02:30, which does not exist: 03:00 CEST = 01:00Z.
    start = datetime(2024, 3, 30, 2, 30, tzinfo=BERLIN)
    assert utc(2024, 3, 31, 1) == cal.add_business_days(start, 1)


def test_berlin_business_day_onto_the_repeated_hour_takes_its_first_occurrence() -> None:
    cal = calendar("Europe/Berlin", 2024, {"mon-sun": ["09:00-17:00"]})
    # Saturday 02:30 CEST + 1 working day = Sunday 02:30, first as CEST: 00:30Z.
    start = datetime(2024, 10, 26, 2, 30, tzinfo=BERLIN)
    assert utc(2024, 10, 27, 0, 30) == cal.add_business_days(start, 1)


# --------------------------------------------------------------------------------------------
# America/Sao_Paulo, 2018 (Brazil dropped DST in 2019). Switches at local midnight:
# 2018-02-18 00:00 -02 -> 02-17 23:00 -03 (02:00Z); 2018-11-04 00:00 -03 -> 01:00 -02 (03:00Z).
# --------------------------------------------------------------------------------------------


def test_sao_paulo_day_without_a_midnight_has_23_hours() -> None:
    cal = calendar("America/Sao_Paulo", 2018, "24x7")
    # 11-04 starts at 01:00 -02 (03:00Z); 11-05 00:00 -02 = 02:00Z.
    assert hours(23) == cal.elapsed(utc(2018, 11, 4, 3), utc(2018, 11, 5, 2))


def test_sao_paulo_day_with_a_repeated_last_hour_has_25_hours() -> None:
    cal = calendar("America/Sao_Paulo", 2018, "24x7")
    # 02-17 00:00 -02 = 02:00Z; 02-18 00:00 -03 = 03:00Z.
    assert hours(25) == cal.elapsed(utc(2018, 2, 17, 2), utc(2018, 2, 18, 3))


def test_sao_paulo_interval_from_the_missing_midnight_opens_at_one() -> None:
    cal = calendar("America/Sao_Paulo", 2018, {"sun": ["00:00-02:00"]})
    # 00:00 does not exist on 11-04: it means 01:00 -02 = 03:00Z.
    assert utc(2018, 11, 4, 3) == cal.next_open(utc(2018, 11, 3, 12))


def test_sao_paulo_interval_from_the_missing_midnight_lasts_one_hour() -> None:
    cal = calendar("America/Sao_Paulo", 2018, {"sun": ["00:00-02:00"]})
    # 01:00 -02 (03:00Z) to 02:00 -02 (04:00Z).
    assert hours(1) == cal.elapsed(utc(2018, 11, 3), utc(2018, 11, 5))


def test_sao_paulo_night_shift_over_spring_forward_has_3_real_hours() -> None:
    cal = calendar("America/Sao_Paulo", 2018, {"sat": ["22:00-02:00"]})
    # 22:00 -03 = 01:00Z; 02:00 -02 = 04:00Z.
    assert hours(3) == cal.elapsed(utc(2018, 11, 3, 12), utc(2018, 11, 4, 12))


def test_sao_paulo_night_shift_over_fall_back_has_5_real_hours() -> None:
    cal = calendar("America/Sao_Paulo", 2018, {"sat": ["22:00-02:00"]})
    # 22:00 -02 = 00:00Z; 02:00 -03 = 05:00Z (23:00-24:00 happens twice).
    assert hours(5) == cal.elapsed(utc(2018, 2, 17, 12), utc(2018, 2, 18, 12))


def test_sao_paulo_sunday_without_a_midnight_is_still_a_working_day() -> None:
    cal = calendar("America/Sao_Paulo", 2018, {"sun": ["00:00-02:00"]})
    # Saturday 00:00 -03 (03:00Z) + 1 working day = Sunday 00:00, which means 01:00 -02 = 03:00Z.
    assert utc(2018, 11, 4, 3) == cal.add_business_days(utc(2018, 11, 3, 3), 1)


# --------------------------------------------------------------------------------------------
# Australia/Sydney, 2024: 04-07 03:00 AEDT -> 02:00 AEST (04-06 16:00Z);
# 10-06 02:00 AEST -> 03:00 AEDT (10-05 16:00Z).
# --------------------------------------------------------------------------------------------


def test_sydney_night_shift_over_spring_forward_has_7_real_hours() -> None:
    cal = calendar("Australia/Sydney", 2024, {"sat": ["22:00-06:00"]})
    # 22:00 AEST = 12:00Z; 06:00 AEDT = 19:00Z.
    assert hours(7) == cal.elapsed(utc(2024, 10, 5), utc(2024, 10, 6, 12))


def test_sydney_night_shift_over_fall_back_has_9_real_hours() -> None:
    cal = calendar("Australia/Sydney", 2024, {"sat": ["22:00-06:00"]})
    # 22:00 AEDT = 11:00Z; 06:00 AEST = 20:00Z.
    assert hours(9) == cal.elapsed(utc(2024, 4, 6), utc(2024, 4, 7, 12))


def test_sydney_office_day_is_in_local_time_on_both_sides_of_the_switch() -> None:
    cal = calendar("Australia/Sydney", 2024, {"mon-fri": ["09:00-17:00"]})
    # Friday 10-04 09:00 AEST = 10-03 23:00Z; Monday 10-07 09:00 AEDT = 10-06 22:00Z.
    assert [utc(2024, 10, 3, 23), utc(2024, 10, 6, 22)] == [
        cal.next_open(utc(2024, 10, 3, 12)),
        cal.next_open(utc(2024, 10, 4, 12)),
    ]


# --------------------------------------------------------------------------------------------
# Australia/Lord_Howe, 2024: a 30-minute shift. 04-07 02:00 +11 -> 01:30 +10:30 (04-06 15:00Z);
# 10-06 02:00 +10:30 -> 02:30 +11 (10-05 15:30Z).
# --------------------------------------------------------------------------------------------


def test_lord_howe_0215_in_the_gap_means_0230() -> None:
    cal = calendar("Australia/Lord_Howe", 2024, {"sun": ["02:15-04:00"]})
    # 02:15 does not exist on 10-06: it means 02:30 +11 = 10-05 15:30Z.
    assert utc(2024, 10, 5, 15, 30) == cal.next_open(utc(2024, 10, 5))


def test_lord_howe_interval_from_the_gap_counts_from_0230() -> None:
    cal = calendar("Australia/Lord_Howe", 2024, {"sun": ["02:15-04:00"]})
    # 02:30 +11 (15:30Z) to 04:00 +11 (17:00Z).
    assert hours(1.5) == cal.elapsed(utc(2024, 10, 5), utc(2024, 10, 7))


def test_lord_howe_night_shift_over_spring_forward_loses_half_an_hour() -> None:
    cal = calendar("Australia/Lord_Howe", 2024, {"sat": ["22:00-06:00"]})
    # 22:00 +10:30 = 11:30Z; 06:00 +11 = 19:00Z.
    assert hours(7.5) == cal.elapsed(utc(2024, 10, 5), utc(2024, 10, 6, 12))


def test_lord_howe_night_shift_over_fall_back_gains_half_an_hour() -> None:
    cal = calendar("Australia/Lord_Howe", 2024, {"sat": ["22:00-06:00"]})
    # 22:00 +11 = 11:00Z; 06:00 +10:30 = 19:30Z.
    assert hours(8.5) == cal.elapsed(utc(2024, 4, 6), utc(2024, 4, 7, 12))


def test_lord_howe_business_day_onto_the_gap_moves_to_0230() -> None:
    cal = calendar("Australia/Lord_Howe", 2024, {"mon-sun": ["09:00-17:00"]})
    # Saturday 02:15 +10:30 + 1 working day = Sunday 02:15, which means 02:30 +11 = 15:30Z.
    start = datetime(2024, 10, 5, 2, 15, tzinfo=LORD_HOWE)
    assert utc(2024, 10, 5, 15, 30) == cal.add_business_days(start, 1)


# --------------------------------------------------------------------------------------------
# Asia/Tehran, 2021 (Iran dropped DST in 2022), at local midnight:
# 03-22 00:00 +03:30 -> 01:00 +04:30 (03-21 20:30Z); 09-22 00:00 +04:30 -> 09-21 23:00 +03:30
# (09-21 19:30Z).
# --------------------------------------------------------------------------------------------


def test_tehran_night_shift_over_spring_forward_has_3_real_hours() -> None:
    cal = calendar("Asia/Tehran", 2021, {"sun": ["22:00-02:00"]})
    # Sunday 03-21 22:00 +03:30 = 18:30Z; Monday 02:00 +04:30 = 21:30Z.
    assert hours(3) == cal.elapsed(utc(2021, 3, 21), utc(2021, 3, 22, 12))


def test_tehran_night_shift_over_fall_back_has_5_real_hours() -> None:
    cal = calendar("Asia/Tehran", 2021, {"tue": ["22:00-02:00"]})
    # Tuesday 09-21 22:00 +04:30 = 17:30Z; Wednesday 02:00 +03:30 = 22:30Z.
    assert hours(5) == cal.elapsed(utc(2021, 9, 21), utc(2021, 9, 22, 12))


def test_tehran_office_hours_follow_the_local_clock_after_the_switch() -> None:
    cal = calendar("Asia/Tehran", 2021, {"sat-wed": ["08:00-16:00"]})
    # Sunday 03-21 08:00 +03:30 = 04:30Z (closing 16:00 = 12:30Z); Monday 03-22 08:00 +04:30
    # = 03:30Z.
    assert [utc(2021, 3, 21, 4, 30), utc(2021, 3, 22, 3, 30)] == [
        cal.next_open(utc(2021, 3, 21)),
        cal.next_open(utc(2021, 3, 21, 13)),
    ]


def test_tehran_day_without_a_midnight_has_23_hours() -> None:
    cal = calendar("Asia/Tehran", 2021, "24x7")
    # 03-22 starts at 01:00 +04:30 = 03-21 20:30Z; 03-23 00:00 +04:30 = 03-22 19:30Z.
    start = datetime(2021, 3, 22, 1, tzinfo=TEHRAN)
    assert hours(23) == cal.elapsed(start, datetime(2021, 3, 23, tzinfo=TEHRAN))


# --------------------------------------------------------------------------------------------
# Asia/Kathmandu: +05:45 all year (since 1986-01-01 00:00, which jumped from +05:30 to 00:15).
# --------------------------------------------------------------------------------------------


def test_kathmandu_office_opens_at_a_quarter_past_three_utc() -> None:
    cal = calendar("Asia/Kathmandu", 2024, {"sun-thu": ["10:00-17:00"]})
    # Sunday 2024-06-02 10:00 +05:45 = 04:15Z.
    assert utc(2024, 6, 2, 4, 15) == cal.next_open(utc(2024, 6, 1, 12))


def test_kathmandu_add_landing_on_the_close_returns_the_close() -> None:
    cal = calendar("Asia/Kathmandu", 2024, {"sun-thu": ["10:00-17:00"]})
    # 10:00 +05:45 = 04:15Z; 7 h later is 17:00 +05:45 = 11:15Z.
    assert utc(2024, 6, 2, 11, 15) == cal.add(utc(2024, 6, 2, 4, 15), hours(7))


def test_kathmandu_1986_starts_at_a_quarter_past_midnight() -> None:
    cal = calendar("Asia/Kathmandu", 1986, "24x7")
    # Wall 1986-01-01 00:00-00:15 never happened; the year begins at 00:15 +05:45 = 18:30Z.
    assert utc(1985, 12, 31, 18, 30) == cal.valid_from


# --------------------------------------------------------------------------------------------
# Pacific/Apia skipped 2011-12-30 entirely: 12-29 23:59:59 -10:00 was followed by 12-31 00:00
# +14:00 (12-30 10:00Z).
# --------------------------------------------------------------------------------------------


def test_apia_24x7_the_skipped_date_is_not_a_working_day() -> None:
    # Regression: working days were read off whole windows, so a date inside a continuous
    # window counted as open even though no instant of it ever existed.
    cal = calendar("Pacific/Apia", 2011, "24x7")
    assert not cal.is_working_day(date(2011, 12, 30))


def test_apia_24x7_one_business_day_after_12_29_is_12_31() -> None:
    # Thursday 12-29 10:00 -10:00 + 1 working day = Saturday 12-31 10:00 +14:00 = 12-30 20:00Z.
    cal = calendar("Pacific/Apia", 2011, "24x7")
    start = datetime(2011, 12, 29, 10, tzinfo=APIA)
    assert utc(2011, 12, 30, 20) == cal.add_business_days(start, 1)


def test_apia_night_shift_the_skipped_date_is_not_a_working_day() -> None:
    # The 12-29 shift runs 22:00 -10:00 (12-30 08:00Z) straight into 12-31 00:00-06:00 +14:00.
    cal = calendar("Pacific/Apia", 2011, {"mon-sun": ["22:00-06:00"]})
    assert not cal.is_working_day(date(2011, 12, 30))


def test_apia_24x7_the_day_before_the_skipped_date_has_24_hours() -> None:
    cal = calendar("Pacific/Apia", 2011, "24x7")
    # 12-29 00:00 -10:00 (10:00Z) to 12-31 00:00 +14:00 (12-30 10:00Z): one real day for two dates.
    start = datetime(2011, 12, 29, tzinfo=APIA)
    assert hours(24) == cal.elapsed(start, datetime(2011, 12, 31, tzinfo=APIA))


# --------------------------------------------------------------------------------------------
# Two zones: DST dates differ (US 2024-03-10, EU 2024-03-31)
# --------------------------------------------------------------------------------------------


def test_follow_the_sun_union_covers_berlin_morning_to_new_york_evening() -> None:
    office = {"mon-fri": ["09:00-17:00"]}
    sun = calendar("Europe/Berlin", 2024, office) | calendar("America/New_York", 2024, office)
    # Monday 06-03: Berlin 07:00Z-15:00Z (CEST), New York 13:00Z-21:00Z (EDT): 07:00Z-21:00Z.
    assert [(utc(2024, 6, 3, 7), utc(2024, 6, 3, 21))] == sun.windows(
        utc(2024, 6, 3), utc(2024, 6, 4)
    )


def test_offices_overlap_an_hour_longer_while_only_the_us_has_switched() -> None:
    office = {"mon-fri": ["09:00-17:00"]}
    both = calendar("Europe/Berlin", 2024, office) & calendar("America/New_York", 2024, office)
    # Monday 03-11: Berlin still CET 08:00Z-16:00Z, New York already EDT 13:00Z-21:00Z.
    assert hours(3) == both.elapsed(utc(2024, 3, 11), utc(2024, 3, 12))
