"""Tests for escalate.people.schedule: rotations, layers, restrictions, overrides, DST hand-offs."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from escalate.calendars._instants import resolve_wall
from escalate.errors import NaiveDatetimeError, PolicyError
from escalate.people.schedule import Schedule, Shift

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
ONE_US = timedelta(microseconds=1)


def utc(*fields: int) -> datetime:
    """An aware UTC datetime from (year, month, day[, hour, minute, second, microsecond])."""
    year, month, day, *clock = fields
    hour, minute, second, microsecond = [*clock, 0, 0, 0, 0][:4]
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


def local(zone: ZoneInfo, *fields: int, fold: int = 0) -> datetime:
    """An aware datetime on ``zone``'s wall clock (``fold=1``: the second of a repeated time)."""
    year, month, day, *clock = fields
    hour, minute = [*clock, 0, 0][:2]
    return datetime(year, month, day, hour, minute, tzinfo=zone, fold=fold)


def rotation(
    members: list[Any],
    turn: str,
    anchor: object = "2024-01-01",
    handoff: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"members": members, "turn": turn, "anchor": anchor}
    if handoff is not None:
        out["handoff"] = handoff
    return out


def layer(name: str, level: int, rot: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "level": level, "rotation": dict(rot), **extra}


def schedule(
    *layers: Mapping[str, Any], tz: str = "UTC", overrides: list[Any] | None = None
) -> Schedule:
    config: dict[str, Any] = {"timezone": tz, "layers": list(layers)}
    if overrides is not None:
        config["overrides"] = overrides
    return Schedule.from_config(config)


def single(members: list[Any], turn: str, tz: str = "UTC", **rot: Any) -> Schedule:
    return schedule(layer("primary", 1, rotation(members, turn, **rot)), tz=tz)


def handoffs(s: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """The instants in (start, end) where the final timeline changes, in the zone's wall time."""
    return [shift.start for shift in s.shifts(start, end)[1:]]


ABC = ["alice", "bob", "carol"]


# --- rotations ------------------------------------------------------------------------------

ROTATIONS = [
    # (members, turn, handoff, instant, expected)
    (ABC, "8h", None, utc(2024, 1, 1, 0), ("alice",)),
    (ABC, "8h", None, utc(2024, 1, 1, 7, 59, 59, 999_999), ("alice",)),
    (ABC, "8h", None, utc(2024, 1, 1, 8), ("bob",)),
    (ABC, "8h", None, utc(2024, 1, 1, 16), ("carol",)),
    (ABC, "8h", None, utc(2024, 1, 2, 0), ("alice",)),
    (ABC, "12h", "09:00", utc(2024, 1, 1, 8, 59), ("carol",)),  # turn -1, before the anchor
    (ABC, "12h", "09:00", utc(2024, 1, 1, 9), ("alice",)),
    (ABC, "12h", "09:00", utc(2024, 1, 1, 21), ("bob",)),
    (ABC, "12h", "09:00", utc(2024, 1, 2, 9), ("carol",)),
    (ABC, "1d", "09:00", utc(2024, 1, 3, 9), ("carol",)),
    (ABC, "1d", "09:00", utc(2024, 1, 4, 8, 59), ("carol",)),
    (ABC, "1d", "09:00", utc(2024, 1, 4, 9), ("alice",)),
    (ABC, "2d", None, utc(2024, 1, 3), ("bob",)),
    (ABC, "1w", "09:00", utc(2024, 1, 8, 9), ("bob",)),
    (ABC, "1w", "09:00", utc(2024, 1, 22, 9), ("alice",)),
    (ABC, "1w", "09:00", utc(2023, 12, 31, 12), ("carol",)),  # k = -1
    (ABC, "1w", "09:00", utc(2023, 12, 18, 9), ("bob",)),  # k = -2
    (ABC, "1w", "09:00", utc(2023, 12, 18, 8, 59), ("alice",)),  # k = -3
    (["alice", ["carol", "dave"]], "1d", None, utc(2024, 1, 2, 12), ("carol", "dave")),
    (["alice", ["carol", "dave"]], "1d", None, utc(2024, 1, 3, 12), ("alice",)),
    (["alice", "alice", "bob"], "1d", None, utc(2024, 1, 2, 12), ("alice",)),
]


@pytest.mark.parametrize(("members", "turn", "handoff", "at", "expected"), ROTATIONS)
def test_a_rotation_puts_the_member_of_the_turn_on_call(
    members: list[Any], turn: str, handoff: str | None, at: datetime, expected: tuple[str, ...]
) -> None:
    assert expected == single(members, turn, handoff=handoff).on_call(at)


def test_an_anchor_datetime_sets_the_handoff_wall_time() -> None:
    s = single(ABC, "1d", tz="Europe/Berlin", anchor="2024-01-01T09:30:00+01:00")
    assert ("alice",) == s.on_call(local(BERLIN, 2024, 1, 1, 9, 30))
    assert ("carol",) == s.on_call(local(BERLIN, 2024, 1, 1, 9, 29))
    assert ("bob",) == s.on_call(local(BERLIN, 2024, 7, 1, 9, 30) - timedelta(days=181))


def test_an_anchor_datetime_in_another_offset_is_read_on_the_schedule_clock() -> None:
    # 08:00 UTC is 09:00 in Berlin in winter, so hand-offs are at 09:00 Berlin, also in summer.
    s = single(ABC, "1d", tz="Europe/Berlin", anchor=datetime(2024, 1, 1, 8, tzinfo=UTC))
    assert [local(BERLIN, 2024, 7, 1, 9)] == handoffs(
        s, local(BERLIN, 2024, 7, 1, 8), local(BERLIN, 2024, 7, 1, 10)
    )


def test_a_date_anchor_without_handoff_hands_off_at_midnight() -> None:
    s = single(ABC, "1d", tz="America/New_York", anchor="2024-05-01")
    assert [local(NEW_YORK, 2024, 5, 2)] == handoffs(
        s, local(NEW_YORK, 2024, 5, 1, 12), local(NEW_YORK, 2024, 5, 2, 12)
    )


def test_a_twelve_hour_turn_hands_off_at_the_same_two_wall_times_every_day() -> None:
    s = single(["alice", "bob"], "12h", tz="Europe/Berlin", handoff="09:00")
    changes = handoffs(s, local(BERLIN, 2024, 3, 29, 12), local(BERLIN, 2024, 4, 1, 12))
    expected = [
        local(BERLIN, 2024, 3, 29, 21),
        local(BERLIN, 2024, 3, 30, 9),
        local(BERLIN, 2024, 3, 30, 21),
        local(BERLIN, 2024, 3, 31, 9),
        local(BERLIN, 2024, 3, 31, 21),
        local(BERLIN, 2024, 4, 1, 9),
    ]
    assert expected == changes


def test_the_twelve_hour_turn_across_spring_forward_lasts_eleven_hours() -> None:
    s = single(["alice", "bob"], "12h", tz="Europe/Berlin", handoff="09:00")
    start = local(BERLIN, 2024, 3, 30, 21)
    nxt = s.next_handoff(start)
    assert local(BERLIN, 2024, 3, 31, 9) == nxt
    assert nxt is not None
    assert timedelta(hours=11) == nxt - start


def test_the_twelve_hour_turn_across_fall_back_lasts_thirteen_hours() -> None:
    s = single(["alice", "bob"], "12h", tz="Europe/Berlin", handoff="09:00")
    start = local(BERLIN, 2024, 10, 26, 21)
    nxt = s.next_handoff(start)
    assert local(BERLIN, 2024, 10, 27, 9) == nxt
    assert nxt is not None
    assert timedelta(hours=13) == nxt - start


def test_a_weekly_turn_across_spring_forward_is_a_week_minus_an_hour() -> None:
    s = single(ABC, "1w", tz="America/New_York", anchor="2024-03-04", handoff="08:00")
    start = local(NEW_YORK, 2024, 3, 4, 8)
    nxt = s.next_handoff(start)
    assert nxt is not None
    assert timedelta(days=7, hours=-1) == nxt - start


# --- DST hand-offs --------------------------------------------------------------------------

DST_HANDOFFS = [
    # (zone, handoff, anchor, the day of the switch, expected hand-off that day (UTC))
    # Berlin spring: 02:00 -> 03:00; a 02:30 hand-off is at the end of the gap, 03:00 CEST.
    ("Europe/Berlin", "02:30", "2024-03-25", (2024, 3, 31), utc(2024, 3, 31, 1, 0)),
    # Berlin autumn: 03:00 -> 02:00; 02:30 happens twice, the first time (CEST) counts.
    ("Europe/Berlin", "02:30", "2024-10-21", (2024, 10, 27), utc(2024, 10, 27, 0, 30)),
    ("Europe/Berlin", "03:00", "2024-10-21", (2024, 10, 27), utc(2024, 10, 27, 2, 0)),
    ("Europe/Berlin", "01:59", "2024-10-21", (2024, 10, 27), utc(2024, 10, 26, 23, 59)),
    # New York spring 2024-03-10: 02:00 -> 03:00 (EDT, -4).
    ("America/New_York", "02:30", "2024-03-04", (2024, 3, 10), utc(2024, 3, 10, 7, 0)),
    ("America/New_York", "02:00", "2024-03-04", (2024, 3, 10), utc(2024, 3, 10, 7, 0)),
    ("America/New_York", "01:59", "2024-03-04", (2024, 3, 10), utc(2024, 3, 10, 6, 59)),
    # New York autumn 2024-11-03: 02:00 EDT -> 01:00 EST; 01:30 first as EDT (-4).
    ("America/New_York", "01:30", "2024-10-28", (2024, 11, 3), utc(2024, 11, 3, 5, 30)),
    # Lord Howe spring 2024-10-06: 02:00 -> 02:30 (+10:30 -> +11); 02:15 moves to 02:30.
    ("Australia/Lord_Howe", "02:15", "2024-10-01", (2024, 10, 6), utc(2024, 10, 5, 15, 30)),
    ("Australia/Lord_Howe", "02:30", "2024-10-01", (2024, 10, 6), utc(2024, 10, 5, 15, 30)),
    # Lord Howe autumn 2024-04-07: 02:00 -> 01:30 (+11 -> +10:30); 01:45 first as +11.
    ("Australia/Lord_Howe", "01:45", "2024-04-01", (2024, 4, 7), utc(2024, 4, 6, 14, 45)),
    ("Australia/Lord_Howe", "02:00", "2024-04-01", (2024, 4, 7), utc(2024, 4, 6, 15, 30)),
]


@pytest.mark.parametrize(("tz", "handoff", "anchor", "day", "expected"), DST_HANDOFFS)
def test_a_daily_handoff_on_a_dst_day_follows_the_wall_clock_rules(
    tz: str, handoff: str, anchor: str, day: tuple[int, int, int], expected: datetime
) -> None:
    s = single(ABC, "1d", tz=tz, handoff=handoff, anchor=anchor)
    zone = ZoneInfo(tz)
    noon_before = datetime(*day, 12, tzinfo=zone) - timedelta(days=1)
    assert expected == s.next_handoff(noon_before)
    assert expected == resolve_wall(datetime(*day, int(handoff[:2]), int(handoff[3:])), zone)


def test_a_daily_rotation_keeps_its_member_order_across_the_spring_gap() -> None:
    s = single(ABC, "1d", tz="Europe/Berlin", handoff="02:30", anchor="2024-03-29")
    assert ("alice",) == s.on_call(utc(2024, 3, 30, 0))
    assert ("bob",) == s.on_call(utc(2024, 3, 30, 12))
    assert ("bob",) == s.on_call(utc(2024, 3, 31, 0, 59, 59, 999_999))
    assert ("carol",) == s.on_call(utc(2024, 3, 31, 1))
    assert ("alice",) == s.on_call(utc(2024, 4, 1, 0, 30))


def test_a_handoff_in_the_repeated_hour_is_not_undone_when_the_clock_goes_back() -> None:
    # 02:30 CEST (00:30 UTC) hands over to carol; at 02:00 CET (01:00 UTC) the wall clock
    # reads before 02:30 again, but the hand-off has happened: carol stays on call.
    s = single(ABC, "1d", tz="Europe/Berlin", handoff="02:30", anchor="2024-10-25")
    assert [
        Shift(utc(2024, 10, 26, 12), utc(2024, 10, 27, 0, 30), ("bob",), "primary"),
        Shift(utc(2024, 10, 27, 0, 30), utc(2024, 10, 27, 12), ("carol",), "primary"),
    ] == list(s.shifts(utc(2024, 10, 26, 12), utc(2024, 10, 27, 12)))
    assert ("carol",) == s.on_call(utc(2024, 10, 27, 1, 15))


def test_an_hourly_turn_across_fall_back_lasts_two_real_hours() -> None:
    # GoAlert: an hourly rotation stays on wall-clock hours, so the repeated hour is one turn.
    s = single(["alice", "bob"], "1h", tz="Europe/Berlin", anchor="2024-10-27")
    starts = [
        (shift.start, shift.end - shift.start, shift.people)
        for shift in s.shifts(utc(2024, 10, 26, 23), utc(2024, 10, 27, 3))
    ]
    assert [
        (utc(2024, 10, 26, 23), timedelta(hours=1), ("bob",)),  # 01:00 CEST
        (utc(2024, 10, 27, 0), timedelta(hours=2), ("alice",)),  # 02:00 CEST .. 03:00 CET
        (utc(2024, 10, 27, 2), timedelta(hours=1), ("bob",)),  # 03:00 CET
    ] == starts


def test_an_hourly_turn_in_the_spring_gap_lasts_no_time() -> None:
    # Turn 2 belongs to 02:00, which does not exist: it starts and ends at 03:00 CEST.
    s = single(ABC, "1h", tz="Europe/Berlin", anchor="2024-03-31")
    shifts = s.shifts(utc(2024, 3, 30, 23), utc(2024, 3, 31, 2))
    assert [("alice",), ("bob",), ("alice",)] == [shift.people for shift in shifts]
    assert utc(2024, 3, 31, 1) == shifts[2].start


def test_a_three_hour_turn_across_new_york_fall_back_lasts_four_hours() -> None:
    # goalert rotation_test: from 00:00 on 2017-11-05, a 3-hour turn ends at 03:00, 4 h later.
    s = single(["alice", "bob"], "3h", tz="America/New_York", anchor="2017-11-05")
    start = local(NEW_YORK, 2017, 11, 5, 0)
    nxt = s.next_handoff(start)
    assert local(NEW_YORK, 2017, 11, 5, 3) == nxt
    assert nxt is not None
    assert timedelta(hours=4) == nxt - start


def test_a_three_hour_turn_across_new_york_spring_forward_lasts_two_hours() -> None:
    s = single(["alice", "bob"], "3h", tz="America/New_York", anchor="2017-03-12")
    start = local(NEW_YORK, 2017, 3, 12, 0)
    nxt = s.next_handoff(start)
    assert nxt is not None
    assert timedelta(hours=2) == nxt - start


def test_an_hourly_lord_howe_turn_in_the_half_hour_gap_lasts_half_an_hour() -> None:
    s = single(["alice", "bob"], "1h", tz="Australia/Lord_Howe", anchor="2024-10-06")
    # 01:00 (+10:30) alice? anchor 00:00 is turn 0 = alice, 01:00 bob, 02:00 -> 02:30 alice.
    shifts = s.shifts(local(LORD_HOWE, 2024, 10, 6, 1), local(LORD_HOWE, 2024, 10, 6, 4))
    assert [
        (local(LORD_HOWE, 2024, 10, 6, 1), timedelta(hours=1), ("bob",)),
        (local(LORD_HOWE, 2024, 10, 6, 2, 30), timedelta(minutes=30), ("alice",)),
        (local(LORD_HOWE, 2024, 10, 6, 3), timedelta(hours=1), ("bob",)),
    ] == [(x.start, x.end - x.start, x.people) for x in shifts]


# --- restrictions ---------------------------------------------------------------------------


def restricted(restrictions: list[Any], tz: str = "UTC") -> Schedule:
    return schedule(
        layer("primary", 1, rotation(["alice"], "1w"), restrictions=restrictions), tz=tz
    )


RESTRICTIONS = [
    # (restrictions, instant, on call?)  2024-06-03 is a Monday; the zone is Berlin.
    ([{"time": "09:00-17:00"}], (2024, 6, 3, 9, 0), True),
    ([{"time": "09:00-17:00"}], (2024, 6, 3, 8, 59), False),
    ([{"time": "09:00-17:00"}], (2024, 6, 3, 17, 0), False),
    ([{"time": "09:00-17:00"}], (2024, 6, 8, 12, 0), True),  # every day, Saturday too
    ([{"days": "mon-fri", "time": "09:00-17:00"}], (2024, 6, 8, 12, 0), False),
    ([{"days": "mon-fri", "time": "09:00-17:00"}], (2024, 6, 7, 16, 59), True),
    ([{"days": "sat,sun"}], (2024, 6, 8, 0, 0), True),  # days alone: the whole day
    ([{"days": "sat,sun"}], (2024, 6, 10, 0, 0), False),
    # Overnight: the day is the START day.
    ([{"days": "mon-fri", "time": "20:00-08:00"}], (2024, 6, 7, 23, 0), True),  # Friday night
    ([{"days": "mon-fri", "time": "20:00-08:00"}], (2024, 6, 8, 7, 59), True),  # into Saturday
    ([{"days": "mon-fri", "time": "20:00-08:00"}], (2024, 6, 8, 20, 0), False),  # Saturday night
    ([{"days": "mon-fri", "time": "20:00-08:00"}], (2024, 6, 3, 7, 0), False),  # Sunday's night
    ([{"days": "mon-fri", "time": "20:00-08:00"}], (2024, 6, 4, 7, 0), True),  # Monday's night
    ([{"days": "sun", "time": "22:00-06:00"}], (2024, 6, 10, 5, 59), True),  # wraps the week
    ([{"days": "sun", "time": "22:00-06:00"}], (2024, 6, 10, 6, 0), False),
    ([{"time": "09:00-12:00"}, {"time": "13:00-17:00"}], (2024, 6, 3, 12, 30), False),
    ([{"time": "09:00-12:00"}, {"time": "13:00-17:00"}], (2024, 6, 3, 13, 0), True),
    ([{"time": "00:00-24:00"}], (2024, 6, 3, 0, 0), True),
]


@pytest.mark.parametrize(("restrictions", "fields", "expected"), RESTRICTIONS)
def test_a_restricted_layer_has_someone_only_inside_its_restrictions(
    restrictions: list[Any], fields: tuple[int, ...], expected: bool
) -> None:
    s = restricted(restrictions, tz="Europe/Berlin")
    assert (("alice",) if expected else ()) == s.on_call(local(BERLIN, *fields))


def test_restrictions_follow_the_wall_clock_across_spring_forward() -> None:
    s = restricted([{"time": "01:30-02:30"}], tz="Europe/Berlin")
    assert [
        (utc(2024, 3, 31, 0, 30), utc(2024, 3, 31, 1), ("alice",)),  # 01:30 CET .. the jump
    ] == [
        (x.start, x.end, x.people)
        for x in s.shifts(utc(2024, 3, 30, 23), utc(2024, 3, 31, 3))
        if x.people
    ]


def test_restrictions_count_the_repeated_hour_twice_in_autumn() -> None:
    s = restricted([{"time": "02:00-02:30"}], tz="Europe/Berlin")
    shifts = s.shifts(utc(2024, 10, 26, 23), utc(2024, 10, 27, 3))
    on = [(x.start, x.end) for x in shifts if x.people]
    assert [
        (utc(2024, 10, 27, 0, 0), utc(2024, 10, 27, 0, 30)),  # 02:00-02:30 CEST
        (utc(2024, 10, 27, 1, 0), utc(2024, 10, 27, 1, 30)),  # 02:00-02:30 CET
    ] == on


def test_turns_keep_advancing_through_restricted_hours() -> None:
    s = schedule(
        layer(
            "primary",
            1,
            rotation(ABC, "1d", handoff="09:00"),
            restrictions=[{"days": "mon-fri", "time": "09:00-17:00"}],
        )
    )
    # 2024-01-01 is a Monday: alice, bob, carol, alice, bob; then Saturday (carol) and Sunday
    # (alice) pass unseen, and Monday is bob's.
    people = [s.on_call(utc(2024, 1, d, 12)) for d in range(1, 9)]
    expected = [("alice",), ("bob",), ("carol",), ("alice",), ("bob",), (), (), ("bob",)]
    assert expected == people


def test_a_window_layer_uses_alertmanager_time_intervals_in_the_schedule_zone() -> None:
    s = schedule(
        layer(
            "primary",
            1,
            rotation(["alice"], "1w"),
            window={
                "weekdays": ["monday:friday"],
                "times": [{"start_time": "09:00", "end_time": "17:00"}],
            },
        ),
        tz="Europe/Berlin",
    )
    assert ("alice",) == s.on_call(local(BERLIN, 2024, 6, 3, 9))
    assert () == s.on_call(local(BERLIN, 2024, 6, 3, 8, 59))
    assert local(BERLIN, 2024, 6, 3, 17) == s.next_handoff(local(BERLIN, 2024, 6, 3, 9))
    assert local(BERLIN, 2024, 6, 3, 9) == s.next_handoff(local(BERLIN, 2024, 6, 2, 12))


def test_a_window_with_its_own_location_keeps_it() -> None:
    s = schedule(
        layer(
            "primary",
            1,
            rotation(["alice"], "1w"),
            window=[{"times": [{"start_time": "09:00", "end_time": "17:00"}], "location": "UTC"}],
        ),
        tz="Europe/Berlin",
    )
    assert ("alice",) == s.on_call(utc(2024, 6, 3, 9))
    assert () == s.on_call(utc(2024, 6, 3, 8, 59))


def test_a_named_window_gets_the_schedule_zone_in_every_entry() -> None:
    s = schedule(
        layer(
            "primary",
            1,
            rotation(["alice"], "1w"),
            window={
                "name": "office",
                "time_intervals": [{"times": [{"start_time": "09:00", "end_time": "17:00"}]}],
            },
        ),
        tz="America/New_York",
    )
    assert ("alice",) == s.on_call(local(NEW_YORK, 2024, 6, 3, 9))
    assert () == s.on_call(local(NEW_YORK, 2024, 6, 3, 17))


# --- overrides ------------------------------------------------------------------------------

WEEKLY = layer("primary", 1, rotation(ABC, "1w"))


def test_an_override_beats_the_rotation_inside_its_period() -> None:
    s = schedule(
        WEEKLY, overrides=[{"start": utc(2024, 1, 2), "end": utc(2024, 1, 3), "people": ["eve"]}]
    )
    assert ("eve",) == s.on_call(utc(2024, 1, 2, 12))
    assert ("alice",) == s.on_call(utc(2024, 1, 3, 12))


def test_an_override_interval_is_half_open() -> None:
    s = schedule(
        WEEKLY, overrides=[{"start": utc(2024, 1, 2), "end": utc(2024, 1, 3), "people": ["eve"]}]
    )
    assert ("alice",) == s.on_call(utc(2024, 1, 2) - ONE_US)
    assert ("eve",) == s.on_call(utc(2024, 1, 2))
    assert ("eve",) == s.on_call(utc(2024, 1, 3) - ONE_US)
    assert ("alice",) == s.on_call(utc(2024, 1, 3))


def test_overlapping_overrides_are_on_call_together_in_declaration_order() -> None:
    s = schedule(
        WEEKLY,
        overrides=[
            {"start": "2024-01-02T12:00:00Z", "end": "2024-01-04T00:00:00Z", "people": ["eve"]},
            {
                "start": "2024-01-02T00:00:00Z",
                "end": "2024-01-03T00:00:00Z",
                "people": ["frank", "eve"],
            },
        ],
    )
    assert ("frank", "eve") == s.on_call(utc(2024, 1, 2, 6))
    assert ("eve", "frank") == s.on_call(utc(2024, 1, 2, 18))
    assert ("eve",) == s.on_call(utc(2024, 1, 3, 6))
    assert [
        Shift(utc(2024, 1, 2), utc(2024, 1, 2, 12), ("frank", "eve"), "overrides[1]"),
        Shift(utc(2024, 1, 2, 12), utc(2024, 1, 3), ("eve", "frank"), "overrides[0]+overrides[1]"),
        Shift(utc(2024, 1, 3), utc(2024, 1, 4), ("eve",), "overrides[0]"),
    ] == list(s.shifts(utc(2024, 1, 2), utc(2024, 1, 4)))


def test_an_override_beats_restrictions_and_covers_gaps() -> None:
    s = schedule(
        layer("primary", 1, rotation(["alice"], "1w"), restrictions=[{"time": "09:00-17:00"}]),
        overrides=[{"start": utc(2024, 1, 1, 20), "end": utc(2024, 1, 1, 22), "people": ["eve"]}],
    )
    assert ("eve",) == s.on_call(utc(2024, 1, 1, 21))
    assert () == s.on_call(utc(2024, 1, 1, 22))


def test_an_override_with_the_person_already_on_call_is_no_handoff_but_a_new_shift() -> None:
    s = schedule(
        WEEKLY, overrides=[{"start": utc(2024, 1, 2), "end": utc(2024, 1, 3), "people": ["alice"]}]
    )
    assert utc(2024, 1, 8) == s.next_handoff(utc(2024, 1, 1, 12))
    assert ["primary", "overrides[0]", "primary"] == [
        x.source for x in s.shifts(utc(2024, 1, 1), utc(2024, 1, 4))
    ]


# --- layers ---------------------------------------------------------------------------------


def test_a_higher_level_wins_where_it_has_someone_and_falls_through_where_not() -> None:
    s = schedule(
        layer("base", 1, rotation(["alice"], "1w")),
        layer("day", 2, rotation(["bob"], "1w"), restrictions=[{"time": "09:00-17:00"}]),
    )
    assert ("bob",) == s.on_call(utc(2024, 1, 1, 12))
    assert ("alice",) == s.on_call(utc(2024, 1, 1, 18))


def test_declaration_order_of_layers_does_not_decide_precedence() -> None:
    s = schedule(
        layer("day", 2, rotation(["bob"], "1w"), restrictions=[{"time": "09:00-17:00"}]),
        layer("base", 1, rotation(["alice"], "1w")),
    )
    assert ("bob",) == s.on_call(utc(2024, 1, 1, 12))
    assert ("alice",) == s.on_call(utc(2024, 1, 1, 18))


def test_layers_of_the_same_level_are_on_call_together_in_declaration_order() -> None:
    s = schedule(
        layer("primary", 1, rotation(["alice", "bob"], "1d")),
        layer("shadow", 1, rotation([["carol", "alice"]], "1w")),
    )
    assert ("alice", "carol") == s.on_call(utc(2024, 1, 1, 12))
    assert ("bob", "carol", "alice") == s.on_call(utc(2024, 1, 2, 12))
    assert "primary+shadow" == s.shifts(utc(2024, 1, 1), utc(2024, 1, 2))[0].source


def test_a_same_level_layer_without_someone_leaves_the_other_alone() -> None:
    s = schedule(
        layer("primary", 1, rotation(["alice"], "1d")),
        layer("shadow", 1, rotation(["carol"], "1w"), restrictions=[{"time": "09:00-17:00"}]),
    )
    assert ("alice",) == s.on_call(utc(2024, 1, 1, 18))
    assert ("alice", "carol") == s.on_call(utc(2024, 1, 1, 10))


def test_a_lower_level_does_not_join_a_higher_one() -> None:
    s = schedule(
        layer("primary", 2, rotation(["alice"], "1d")),
        layer("backup", 1, rotation(["bob"], "1d")),
    )
    assert ("alice",) == s.on_call(utc(2024, 1, 1))


# --- effective periods ----------------------------------------------------------------------


def test_a_layer_has_nobody_outside_its_effective_period() -> None:
    s = schedule(
        layer(
            "primary",
            1,
            rotation(ABC, "1d"),
            effective_from="2024-01-03T00:00:00+00:00",
            effective_until=datetime(2024, 1, 5, tzinfo=UTC),
        )
    )
    assert () == s.on_call(utc(2024, 1, 3) - ONE_US)
    assert ("carol",) == s.on_call(utc(2024, 1, 3))  # turns counted from the anchor, not from
    assert ("alice",) == s.on_call(utc(2024, 1, 4, 12))
    assert () == s.on_call(utc(2024, 1, 5))
    assert [(), ("carol",), ("alice",), ()] == [
        x.people for x in s.shifts(utc(2024, 1, 1), utc(2024, 1, 10))
    ]


def test_an_ending_layer_hands_over_to_a_lower_one() -> None:
    s = schedule(
        layer("old", 2, rotation(["alice"], "1d"), effective_until="2024-02-01T00:00:00Z"),
        layer("new", 1, rotation(["bob"], "1d")),
    )
    assert utc(2024, 2, 1) == s.next_handoff(utc(2024, 1, 15))
    assert ("bob",) == s.on_call(utc(2024, 2, 1))


# --- shifts, gaps, next_handoff -------------------------------------------------------------


def test_shifts_tile_the_span_with_gaps_and_merge_equal_neighbours() -> None:
    s = schedule(
        layer(
            "primary",
            1,
            rotation(["alice", "alice", "bob"], "1d"),
            restrictions=[{"time": "00:00-12:00"}],
        )
    )
    assert [
        Shift(utc(2024, 1, 1), utc(2024, 1, 1, 12), ("alice",), "primary"),
        Shift(utc(2024, 1, 1, 12), utc(2024, 1, 2), (), ""),
        Shift(utc(2024, 1, 2), utc(2024, 1, 2, 12), ("alice",), "primary"),
        Shift(utc(2024, 1, 2, 12), utc(2024, 1, 3), (), ""),
        Shift(utc(2024, 1, 3), utc(2024, 1, 3, 6), ("bob",), "primary"),
    ] == list(s.shifts(utc(2024, 1, 1), utc(2024, 1, 3, 6)))


def test_shifts_are_in_utc_even_for_inputs_in_another_zone() -> None:
    s = single(ABC, "1d", tz="Europe/Berlin")
    shifts = s.shifts(local(BERLIN, 2024, 1, 1, 12), local(BERLIN, 2024, 1, 2, 12))
    assert all(x.start.tzinfo is UTC and x.end.tzinfo is UTC for x in shifts)
    assert utc(2024, 1, 1, 23) == shifts[1].start


def test_an_empty_span_has_no_shifts_and_a_backwards_one_is_an_error() -> None:
    s = single(ABC, "1d")
    assert () == s.shifts(utc(2024, 1, 1), utc(2024, 1, 1))
    with pytest.raises(ValueError, match="before start"):
        s.shifts(utc(2024, 1, 2), utc(2024, 1, 1))


def test_gaps_are_the_empty_shifts() -> None:
    s = restricted([{"days": "mon-fri", "time": "09:00-17:00"}])
    gaps = s.gaps(utc(2024, 1, 5, 12), utc(2024, 1, 8, 12))  # Friday noon to Monday noon
    assert [Shift(utc(2024, 1, 5, 17), utc(2024, 1, 8, 9), (), "")] == list(gaps)


def test_next_handoff_is_none_for_a_single_member_always_on() -> None:
    assert single(["alice"], "1w").next_handoff(utc(2024, 1, 1)) is None


def test_next_handoff_is_none_once_the_last_override_has_ended() -> None:
    s = schedule(
        layer("primary", 1, rotation(["alice"], "1d")),
        overrides=[{"start": utc(2024, 1, 2), "end": utc(2024, 1, 3), "people": ["eve"]}],
    )
    assert utc(2024, 1, 2) == s.next_handoff(utc(2024, 1, 1))
    assert utc(2024, 1, 3) == s.next_handoff(utc(2024, 1, 2))
    assert s.next_handoff(utc(2024, 1, 3)) is None


def test_next_handoff_is_none_when_every_layer_names_the_same_person() -> None:
    s = schedule(
        layer("night", 2, rotation(["alice"], "1d"), restrictions=[{"time": "20:00-08:00"}]),
        layer("day", 1, rotation(["alice"], "1w"), restrictions=[{"time": "08:00-20:00"}]),
    )
    assert s.next_handoff(utc(2024, 1, 1)) is None


def test_next_handoff_is_none_after_the_last_layer_ends() -> None:
    s = schedule(layer("primary", 1, rotation(ABC, "1d"), effective_until="2024-01-02T12:00:00Z"))
    assert utc(2024, 1, 2) == s.next_handoff(utc(2024, 1, 1, 12))
    assert utc(2024, 1, 2, 12) == s.next_handoff(utc(2024, 1, 2))
    assert s.next_handoff(utc(2024, 1, 2, 12)) is None


def test_next_handoff_skips_boundaries_where_the_people_stay_the_same() -> None:
    s = single(["alice", "alice", "bob"], "1d")
    assert utc(2024, 1, 3) == s.next_handoff(utc(2024, 1, 1))


def test_next_handoff_ignores_lower_layers_hidden_by_an_always_on_one() -> None:
    s = schedule(
        layer("primary", 2, rotation(["alice"], "1d")),
        layer("backup", 1, rotation(ABC, "1h")),
    )
    assert s.next_handoff(utc(2024, 1, 1)) is None


def test_the_people_are_every_person_named_sorted() -> None:
    s = schedule(
        layer("primary", 1, rotation(["bob", ["carol", "alice"]], "1d")),
        overrides=[{"start": utc(2024, 1, 2), "end": utc(2024, 1, 3), "people": ["eve", "bob"]}],
    )
    assert ("alice", "bob", "carol", "eve") == s.people


# --- values ---------------------------------------------------------------------------------


def test_naive_instants_are_rejected_everywhere() -> None:
    s = single(ABC, "1d")
    naive = datetime(2024, 1, 1)
    with pytest.raises(NaiveDatetimeError, match="has no time zone"):
        s.on_call(naive)
    with pytest.raises(NaiveDatetimeError):
        s.shifts(naive, naive)
    with pytest.raises(NaiveDatetimeError):
        s.next_handoff(naive)


def test_a_schedule_is_immutable() -> None:
    s = single(ABC, "1d")
    with pytest.raises(AttributeError):
        s.zone = BERLIN
    with pytest.raises(TypeError):
        Schedule()


def test_equal_configurations_give_equal_schedules() -> None:
    config = {"timezone": "UTC", "layers": [layer("primary", 1, rotation(ABC, "1d"))]}
    reordered = {
        "layers": [dict(reversed(list(layer("primary", 1, rotation(ABC, "1d")).items())))],
        "timezone": "UTC",
    }
    a, b = Schedule.from_config(config), Schedule.from_config(reordered)
    assert a == b
    assert hash(a) == hash(b)
    assert a != single(["bob"], "1d")
    assert "primary" in repr(a)


def test_extreme_instants_are_answered() -> None:
    s = single(ABC, "1d", tz="America/New_York")
    assert s.on_call(datetime.min.replace(tzinfo=UTC)) in {("alice",), ("bob",), ("carol",)}
    assert s.on_call(datetime.max.replace(tzinfo=UTC)) in {("alice",), ("bob",), ("carol",)}
    assert s.next_handoff(datetime(9999, 12, 31, 12, tzinfo=UTC)) is None


def test_threads_share_a_schedule_and_get_the_same_answers() -> None:
    s = single(ABC, "8h", tz="Europe/Berlin")
    instants = [utc(2000 + i % 60, 1 + i % 12, 1 + i % 28, i % 24) for i in range(600)]
    expected = [single(ABC, "8h", tz="Europe/Berlin").on_call(at) for at in instants]
    results: list[list[tuple[str, ...]]] = []

    def work() -> None:
        results.append([s.on_call(at) for at in instants])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)


# --- errors ---------------------------------------------------------------------------------

GOOD_LAYER = {
    "name": "primary",
    "level": 1,
    "rotation": {"members": ["alice"], "turn": "1w", "anchor": "2024-01-01"},
}


def with_layer(**changes: Any) -> dict[str, Any]:
    out = dict(GOOD_LAYER)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return {"timezone": "Europe/Berlin", "layers": [out]}


def with_rotation(**changes: Any) -> dict[str, Any]:
    rot = dict(GOOD_LAYER["rotation"])  # type: ignore[call-overload]
    for key, value in changes.items():
        if value is None:
            rot.pop(key, None)
        else:
            rot[key] = value
    return with_layer(rotation=rot)


ERRORS = [
    # (config, path, message fragment)
    (
        {"timezone": "UTC", "layers": [GOOD_LAYER], "overide": []},
        "s.overide",
        "did you mean 'overrides'",
    ),
    ({"layers": [GOOD_LAYER]}, "s.timezone", "missing required key 'timezone'"),
    ({"timezone": "Europe/Berln", "layers": [GOOD_LAYER]}, "s.timezone", "unknown time zone"),
    ({"timezone": "UTC", "layers": []}, "s.layers", "expected a non-empty list, got []"),
    ({"timezone": "UTC"}, "s.layers", "missing required key 'layers'"),
    (with_layer(levle=2), "s.layers[0].levle", "did you mean 'level'"),
    (with_layer(name="Primary"), "s.layers[0].name", "kebab-case"),
    (with_layer(name=None), "s.layers[0].name", "missing required key 'name'"),
    (with_layer(level=0), "s.layers[0].level", "greater than or equal to 1 (got 0)"),
    (with_layer(level=True), "s.layers[0].level", "expected a whole number, got True"),
    (with_layer(level="1"), "s.layers[0].level", "expected a whole number, got '1'"),
    (with_layer(rotation=["alice"]), "s.layers[0].rotation", "expected a mapping"),
    (with_rotation(member=["a"]), "s.layers[0].rotation.member", "did you mean 'members'"),
    (with_rotation(members=[]), "s.layers[0].rotation.members", "expected a non-empty list"),
    (
        with_rotation(members="alice"),
        "s.layers[0].rotation.members",
        "expected a list, got 'alice'",
    ),
    (
        with_rotation(members=["alice", []]),
        "s.layers[0].rotation.members[1]",
        "group of members is empty",
    ),
    (
        with_rotation(members=["alice", ["bob", "bob"]]),
        "s.layers[0].rotation.members[1][1]",
        "twice",
    ),
    (
        with_rotation(members=["alice", ""]),
        "s.layers[0].rotation.members[1]",
        "expected a non-empty string, got ''",
    ),
    (
        with_rotation(members=["alice", 7]),
        "s.layers[0].rotation.members[1]",
        "expected a string or a list, got 7",
    ),
    (
        with_rotation(members=["alice", [["bob"]]]),
        "s.layers[0].rotation.members[1][0]",
        "expected a string, got ['bob']",
    ),
    (with_rotation(turn="90m"), "s.layers[0].rotation.turn", "not whole hours"),
    (with_rotation(turn="2bd"), "s.layers[0].rotation.turn", "whole hours, days or weeks"),
    (with_rotation(turn="weekly"), "s.layers[0].rotation.turn", "expected a duration like '30m'"),
    (with_rotation(turn=7), "s.layers[0].rotation.turn", "expected a string, got 7"),
    (with_rotation(turn=None), "s.layers[0].rotation.turn", "missing required key 'turn'"),
    (with_rotation(handoff=540), "s.layers[0].rotation.handoff", "quote it: '09:00'"),
    (with_rotation(handoff="9am"), "s.layers[0].rotation.handoff", "HH:MM"),
    (with_rotation(handoff="24:00"), "s.layers[0].rotation.handoff", "write 00:00"),
    (with_rotation(anchor=None), "s.layers[0].rotation.anchor", "missing required key 'anchor'"),
    (with_rotation(anchor="2024-13-01"), "s.layers[0].rotation.anchor", "date like 2024-01-01"),
    (with_rotation(anchor=datetime(2024, 1, 1, 9)), "s.layers[0].rotation.anchor", "no time zone"),
    (with_rotation(anchor="2024-01-01T09:00"), "s.layers[0].rotation.anchor", "no time zone"),
    (
        with_rotation(anchor="2024-01-01T10:00:00+01:00", handoff="09:00"),
        "s.layers[0].rotation.anchor",
        "drop handoff",
    ),
    (
        with_layer(effective_from="2024-01-01"),
        "s.layers[0].effective_from",
        "which zone's midnight",
    ),
    (
        with_layer(effective_from="2024-01-01T00:00:00"),
        "s.layers[0].effective_from",
        "no time zone",
    ),
    (with_layer(effective_from=datetime(2024, 1, 1)), "s.layers[0].effective_from", "no time zone"),
    (with_layer(effective_until="soon"), "s.layers[0].effective_until", "aware date and time"),
    (
        with_layer(effective_from="2024-02-01T00:00:00Z", effective_until="2024-01-01T00:00:00Z"),
        "s.layers[0].effective_until",
        "not after effective_from",
    ),
    (with_layer(restrictions=[]), "s.layers[0].restrictions", "non-empty list"),
    (with_layer(restrictions=[{}]), "s.layers[0].restrictions[0]", "days, time or both"),
    (
        with_layer(restrictions=[{"tim": "09:00-17:00"}]),
        "s.layers[0].restrictions[0].tim",
        "did you mean 'time'",
    ),
    (
        with_layer(restrictions=[{"days": "mon-fry"}]),
        "s.layers[0].restrictions[0].days",
        "unknown weekday",
    ),
    (
        with_layer(restrictions=[{"time": "09:00"}]),
        "s.layers[0].restrictions[0].time",
        "HH:MM-HH:MM",
    ),
    (
        with_layer(restrictions=["09:00-17:00"]),
        "s.layers[0].restrictions[0]",
        "expected a mapping",
    ),
    (
        with_layer(restrictions=[{"time": "09:00-17:00"}], window={"weekdays": ["monday"]}),
        "s.layers[0].window",
        "either restrictions or window",
    ),
    (
        with_layer(window={"weekday": ["monday"]}),
        "s.layers[0].window.weekday",
        "did you mean 'weekdays'",
    ),
    (
        {"timezone": "UTC", "layers": [GOOD_LAYER, GOOD_LAYER]},
        "s.layers[1].name",
        "duplicate layer name",
    ),
    (
        {"timezone": "UTC", "layers": [GOOD_LAYER], "overrides": {}},
        "s.overrides",
        "expected a list, got {}",
    ),
    (
        {
            "timezone": "UTC",
            "layers": [GOOD_LAYER],
            "overrides": [
                {"start": "2024-01-02T00:00:00Z", "end": "2024-01-02T00:00:00Z", "people": ["eve"]}
            ],
        },
        "s.overrides[0].end",
        "not after start",
    ),
    (
        {
            "timezone": "UTC",
            "layers": [GOOD_LAYER],
            "overrides": [
                {"start": "2024-01-02T00:00:00", "end": "2024-01-03T00:00:00Z", "people": ["eve"]}
            ],
        },
        "s.overrides[0].start",
        "no time zone",
    ),
    (
        {
            "timezone": "UTC",
            "layers": [GOOD_LAYER],
            "overrides": [
                {"start": "2024-01-02T00:00:00Z", "end": "2024-01-03T00:00:00Z", "people": []}
            ],
        },
        "s.overrides[0].people",
        "expected a non-empty list",
    ),
    (
        {
            "timezone": "UTC",
            "layers": [GOOD_LAYER],
            "overrides": [
                {"start": "2024-01-02T00:00:00Z", "end": "2024-01-03T00:00:00Z", "person": ["eve"]}
            ],
        },
        "s.overrides[0].person",
        "unknown key 'person'",
    ),
    (
        {"timezone": "UTC", "layers": [GOOD_LAYER], "overrides": ["eve"]},
        "s.overrides[0]",
        "mapping",
    ),
    ("Europe/Berlin", "s", "must be a mapping"),
]


@pytest.mark.parametrize(("config", "path", "fragment"), ERRORS)
def test_an_invalid_config_raises_a_policy_error_naming_the_key_and_value(
    config: object, path: str, fragment: str
) -> None:
    with pytest.raises(PolicyError) as caught:
        Schedule.from_config(config, path=("s",))
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert fragment in message


def test_an_error_message_shows_the_bad_value() -> None:
    with pytest.raises(PolicyError) as caught:
        Schedule.from_config(with_rotation(turn="90m"), path=("schedules", "ops"))
    assert "schedules.ops.layers[0].rotation.turn: " in str(caught.value)
    assert "'90m'" in str(caught.value)


def test_a_policy_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        Schedule.from_config(with_rotation(members=[]))
