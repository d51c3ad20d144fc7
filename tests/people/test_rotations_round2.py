"""Table tests for rotations round 2: per-shift advance, override priorities, the empty member,
monthly turns, a time zone per layer, member changes, until_mode and iCalendar export."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

import escalate
from escalate.errors import ExportLimitError, MissingExtraError, PolicyError
from escalate.people import ical
from escalate.people.schedule import Schedule, Shift
from escalate.policy.lint import lint

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
TOKYO = ZoneInfo("Asia/Tokyo")
SEVEN = [f"p{i}" for i in range(7)]
ABC = ["alice", "bob", "carol"]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def at(zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def layer(name: str, level: int, rotation: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "level": level, "rotation": dict(rotation), **extra}


def build(*layers: Mapping[str, Any], tz: str = "UTC", overrides: Any = None) -> Schedule:
    config: dict[str, Any] = {"timezone": tz, "layers": list(layers)}
    if overrides is not None:
        config["overrides"] = overrides
    return Schedule.from_config(config)


def weekdays_layer(advance: str, members: list[Any] | None = None) -> dict[str, Any]:
    """The research note's example: 7 members, one-day turns, Monday to Friday hours."""
    return layer(
        "weekdays",
        1,
        {
            "members": members or SEVEN,
            "turn": "1d",
            "handoff": "09:00",
            "anchor": "2024-01-01",  # a Monday
            "advance": advance,
        },
        restrictions=[{"days": "mon-fri", "time": "09:00-17:00"}],
    )


def people_in(schedule: Schedule, start: datetime, end: datetime) -> set[str]:
    return {p for shift in schedule.shifts(start, end) for p in shift.people}


def noon_answers(schedule: Schedule, zone: ZoneInfo, first: datetime, days: int) -> list[Any]:
    return [
        schedule.on_call((first + timedelta(days=d)).replace(hour=12, tzinfo=zone))
        for d in range(days)
    ]


# --- advance: per-shift ---------------------------------------------------------------------


def test_with_the_default_advance_two_of_seven_members_are_never_on_call_in_a_year() -> None:
    s = build(weekdays_layer("always"), tz="Europe/Berlin")
    assert {"p0", "p1", "p2", "p3", "p4"} == people_in(s, utc(2024, 1, 1), utc(2025, 1, 1))


def test_with_per_shift_advance_all_seven_members_are_on_call_within_two_weeks() -> None:
    s = build(weekdays_layer("per-shift"), tz="Europe/Berlin")
    assert set(SEVEN) == people_in(s, utc(2024, 1, 1), utc(2024, 1, 13))


def test_per_shift_gives_weekday_turns_in_member_order_and_skips_weekends() -> None:
    s = build(weekdays_layer("per-shift"), tz="Europe/Berlin")
    first = datetime(2024, 1, 1)
    expected = [
        *[("p0",), ("p1",), ("p2",), ("p3",), ("p4",), (), ()],
        *[("p5",), ("p6",), ("p0",), ("p1",), ("p2",), (), ()],
        ("p3",),
    ]
    assert expected == noon_answers(s, BERLIN, first, 15)


def test_per_shift_counts_backwards_before_the_anchor() -> None:
    s = build(weekdays_layer("per-shift"), tz="Europe/Berlin")
    # Friday 29 December 2023 is the last weekday turn before the anchor: counter -1.
    assert [("p6",), ("p5",)] == [
        s.on_call(at(BERLIN, 2023, 12, 29, 12)),
        s.on_call(at(BERLIN, 2023, 12, 28, 12)),
    ]


def test_per_shift_is_the_same_far_from_the_anchor_as_a_brute_force_count() -> None:
    s = build(weekdays_layer("per-shift"), tz="Europe/Berlin")
    day = datetime(2031, 7, 15)  # a Tuesday
    weekdays_before = sum(
        1
        for d in range((day - datetime(2024, 1, 1)).days)
        if (datetime(2024, 1, 1) + timedelta(days=d)).weekday() < 5
    )
    assert (SEVEN[weekdays_before % 7],) == s.on_call(day.replace(hour=12, tzinfo=BERLIN))


def test_per_shift_without_restrictions_is_the_default_rotation() -> None:
    rot = {"members": ABC, "turn": "8h", "anchor": "2024-01-01"}
    always = build(layer("a", 1, rot))
    per_shift = build(layer("a", 1, {**rot, "advance": "per-shift"}))
    span = (utc(2024, 3, 1), utc(2024, 3, 9))
    assert always.shifts(*span) == per_shift.shifts(*span)


def test_per_shift_counts_a_turn_that_only_touches_restricted_hours() -> None:
    # 12h turns from 00:00; restricted 11:00-13:00 on weekdays: both turns of a weekday meet
    # the hours (the morning one from 11:00, the evening one until 13:00), weekend turns not.
    s = build(
        layer(
            "a",
            1,
            {"members": ABC, "turn": "12h", "anchor": "2024-01-01", "advance": "per-shift"},
            restrictions=[{"days": "mon-fri", "time": "11:00-13:00"}],
        )
    )
    assert [("alice",), ("bob",), ("carol",), ("alice",)] == [
        s.on_call(utc(2024, 1, 1, 11)),
        s.on_call(utc(2024, 1, 1, 12)),
        s.on_call(utc(2024, 1, 2, 11)),
        s.on_call(utc(2024, 1, 2, 12)),
    ]
    # Friday's two turns are counters 8 and 9; Monday 8 January continues with 10.
    assert ("bob",) == s.on_call(utc(2024, 1, 8, 11))


def test_per_shift_with_a_window_is_refused_naming_the_key() -> None:
    with pytest.raises(PolicyError) as caught:
        build(
            layer(
                "a",
                1,
                {"members": ABC, "turn": "1d", "anchor": "2024-01-01", "advance": "per-shift"},
                window=[{"weekdays": ["monday:friday"]}],
            )
        )
    assert "layers[0].rotation.advance" in str(caught.value)
    assert "window" in str(caught.value)


def test_per_shift_hands_off_on_the_wall_clock_across_dst_in_new_york() -> None:
    s = build(
        layer(
            "nights",
            1,
            {
                "members": ABC,
                "turn": "1d",
                "handoff": "02:30",
                "anchor": "2024-03-04",
                "advance": "per-shift",
            },
            restrictions=[{"days": "sat,sun", "time": "00:00-06:00"}],
        ),
        tz="America/New_York",
    )
    # Only the Friday, Saturday and Sunday turns meet the weekend nights: counters 0, 1, 2.
    assert ("bob",) == s.on_call(at(NEW_YORK, 2024, 3, 10, 1))
    # Sunday 10 March 2024: 02:30 does not exist in New York; the hand-off is at 03:00 EDT.
    assert at(NEW_YORK, 2024, 3, 10, 3) == s.next_handoff(at(NEW_YORK, 2024, 3, 10, 1))
    assert ("carol",) == s.on_call(at(NEW_YORK, 2024, 3, 10, 3))


# --- override priorities --------------------------------------------------------------------


def override(start: str, end: str, people: list[str], priority: int | None = None) -> Any:
    out: dict[str, Any] = {"start": start, "end": end, "people": people}
    if priority is not None:
        out["priority"] = priority
    return out


BASE = layer("base", 1, {"members": ["base"], "turn": "1w", "anchor": "2024-01-01"})


@pytest.mark.parametrize(
    ("priorities", "expected"),
    [
        ((None, None), ("alice", "bob")),  # equal (default 0): together, as before
        ((0, 1), ("bob",)),
        ((2, 1), ("alice",)),
        ((-1, None), ("bob",)),
        ((5, 5), ("alice", "bob")),
    ],
)
def test_where_overrides_overlap_the_higher_priority_wins_and_equal_ones_are_together(
    priorities: tuple[int | None, int | None], expected: tuple[str, ...]
) -> None:
    s = build(
        BASE,
        overrides=[
            override(
                "2024-01-02T00:00:00+00:00", "2024-01-04T00:00:00+00:00", ["alice"], priorities[0]
            ),
            override(
                "2024-01-03T00:00:00+00:00", "2024-01-05T00:00:00+00:00", ["bob"], priorities[1]
            ),
        ],
    )
    assert expected == s.on_call(utc(2024, 1, 3, 12))


def test_a_lower_priority_override_shows_where_the_higher_one_does_not_cover() -> None:
    s = build(
        BASE,
        overrides=[
            override("2024-01-02T00:00:00+00:00", "2024-01-04T00:00:00+00:00", ["alice"]),
            override("2024-01-03T00:00:00+00:00", "2024-01-05T00:00:00+00:00", ["bob"], 1),
        ],
    )
    assert [
        Shift(utc(2024, 1, 1), utc(2024, 1, 2), ("base",), "base"),
        Shift(utc(2024, 1, 2), utc(2024, 1, 3), ("alice",), "overrides[0]"),
        Shift(utc(2024, 1, 3), utc(2024, 1, 5), ("bob",), "overrides[1]"),
        Shift(utc(2024, 1, 5), utc(2024, 1, 6), ("base",), "base"),
    ] == list(s.shifts(utc(2024, 1, 1), utc(2024, 1, 6)))


def test_an_override_priority_must_be_an_integer() -> None:
    with pytest.raises(PolicyError) as caught:
        build(
            BASE,
            overrides=[
                {
                    **override("2024-01-02T00:00:00+00:00", "2024-01-03T00:00:00+00:00", ["a"]),
                    "priority": "high",
                }
            ],
        )
    assert "overrides[0].priority" in str(caught.value)


# --- the empty member -----------------------------------------------------------------------


def test_a_null_member_is_a_turn_nobody_covers_every_other_week() -> None:
    s = build(
        layer(
            "every-other-week",
            1,
            {"members": ["alice", None], "turn": "1w", "anchor": "2024-01-01"},
        )
    )
    assert [
        Shift(utc(2024, 1, 1), utc(2024, 1, 8), ("alice",), "every-other-week"),
        Shift(utc(2024, 1, 8), utc(2024, 1, 15), (), ""),
        Shift(utc(2024, 1, 15), utc(2024, 1, 22), ("alice",), "every-other-week"),
    ] == list(s.shifts(utc(2024, 1, 1), utc(2024, 1, 22)))


def test_a_turn_covered_by_nobody_lets_a_lower_layer_show_through() -> None:
    s = build(
        layer(
            "primary", 2, {"members": ["alice", None, "bob"], "turn": "1d", "anchor": "2024-01-01"}
        ),
        layer("fallback", 1, {"members": ["carol"], "turn": "1w", "anchor": "2024-01-01"}),
    )
    assert [("alice",), ("carol",), ("bob",)] == [s.on_call(utc(2024, 1, d, 12)) for d in (1, 2, 3)]
    assert utc(2024, 1, 2) == s.next_handoff(utc(2024, 1, 1, 12))


def test_a_null_member_is_not_a_person_of_the_schedule() -> None:
    s = build(layer("a", 1, {"members": ["alice", None], "turn": "1w", "anchor": "2024-01-01"}))
    assert ("alice",) == s.people


def test_a_layer_of_nobody_only_never_has_anyone() -> None:
    s = build(layer("a", 1, {"members": [None], "turn": "1w", "anchor": "2024-01-01"}))
    assert ((), None) == (s.on_call(utc(2024, 5, 1)), s.next_handoff(utc(2024, 5, 1)))


def test_an_empty_group_is_refused_and_points_to_null() -> None:
    with pytest.raises(PolicyError) as caught:
        build(layer("a", 1, {"members": ["alice", []], "turn": "1w", "anchor": "2024-01-01"}))
    assert "rotation.members[1]" in str(caught.value)
    assert "null" in str(caught.value)


def test_a_policy_with_a_null_member_loads_with_a_directory() -> None:
    policy = escalate.loads(
        """
policy: eow
version: 1
directory:
  people:
    alice: {channels: {sms: "+49 30 5550001"}}
schedules:
  fortnight:
    timezone: Europe/Berlin
    layers:
      - name: every-other-week
        level: 1
        rotation: {members: [alice, null], turn: 1w, handoff: "09:00", anchor: 2024-01-01}
"""
    )
    fortnight = policy.directory.schedules["fortnight"]
    assert [("alice",), ()] == [fortnight.on_call(at(BERLIN, 2024, 1, d, 12)) for d in (2, 9)]


# --- monthly turns --------------------------------------------------------------------------


def monthly(anchor: str, turn: str = "1mo", tz: str = "Europe/Berlin", **rot: Any) -> Schedule:
    return build(
        layer(
            "monthly",
            1,
            {"members": ABC, "turn": turn, "handoff": "09:00", "anchor": anchor, **rot},
        ),
        tz=tz,
    )


def test_a_monthly_turn_hands_off_on_the_same_day_of_month_at_the_handoff_time() -> None:
    s = monthly("2024-01-15")
    starts = [shift.start for shift in s.shifts(utc(2024, 1, 20), utc(2024, 6, 1))[1:]]
    assert [
        at(BERLIN, 2024, 2, 15, 9),
        at(BERLIN, 2024, 3, 15, 9),
        at(BERLIN, 2024, 4, 15, 9),  # CEST now: still 09:00 on the wall clock
        at(BERLIN, 2024, 5, 15, 9),
    ] == starts


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        ("2024-01-31", [(2, 29), (3, 31), (4, 30), (5, 31), (6, 30)]),
        ("2024-01-30", [(2, 29), (3, 30), (4, 30), (5, 30), (6, 30)]),
        ("2023-01-29", [(2, 28), (3, 29), (4, 29), (5, 29), (6, 29)]),
    ],
)
def test_a_monthly_anchor_late_in_the_month_is_clamped_to_each_months_end(
    anchor: str, expected: list[tuple[int, int]]
) -> None:
    s = monthly(anchor)
    year = int(anchor[:4])
    starts = [
        (shift.start.astimezone(BERLIN).month, shift.start.astimezone(BERLIN).day)
        for shift in s.shifts(at(BERLIN, year, 2, 1), at(BERLIN, year, 7, 1))[1:]
    ]
    assert expected == starts


def test_a_quarterly_turn_rotates_every_three_months() -> None:
    s = monthly("2024-01-01", turn="3mo")
    assert [("alice",), ("bob",), ("carol",), ("alice",)] == [
        s.on_call(at(BERLIN, 2024, m, 2)) for m in (1, 4, 7, 10)
    ]
    assert ("carol",) == s.on_call(at(BERLIN, 2023, 12, 31))  # turn -1


def test_a_monthly_turn_far_from_the_anchor_is_answered_at_once() -> None:
    s = monthly("2024-01-31")
    # December 5024 is turn 3000 × 12 + 11 = 36011 (36011 mod 3 = 2); its hand-off is on the
    # 31st at 09:00.
    assert ("carol",) == s.on_call(at(BERLIN, 5024, 12, 31, 9))
    assert ("bob",) == s.on_call(at(BERLIN, 5024, 12, 31, 8, 59))


def test_a_monthly_handoff_in_the_lord_howe_gap_takes_effect_at_its_end() -> None:
    # 6 October 2024: Lord Howe jumps from 02:00 to 02:30.
    s = build(
        layer("m", 1, {"members": ABC, "turn": "1mo", "handoff": "02:15", "anchor": "2024-01-06"}),
        tz="Australia/Lord_Howe",
    )
    assert at(LORD_HOWE, 2024, 10, 6, 2, 30) == s.next_handoff(at(LORD_HOWE, 2024, 10, 1))


def test_a_monthly_turn_in_months_mixed_with_hours_is_refused() -> None:
    with pytest.raises(PolicyError) as caught:
        monthly("2024-01-01", turn="1mo2d")
    assert "rotation.turn" in str(caught.value)


def test_a_monthly_plain_rotation_repeats_after_one_round_of_members() -> None:
    s = monthly("2024-01-01")
    assert 3 == s.rotation_period(utc(2025, 1, 1))


# --- a time zone per layer ------------------------------------------------------------------


def follow_the_sun() -> Schedule:
    return build(
        layer(
            "europe",
            1,
            {"members": ["anna", "ben"], "turn": "1w", "anchor": "2024-01-01"},
            timezone="Europe/Berlin",
            restrictions=[{"time": "08:00-20:00"}],
        ),
        layer(
            "americas",
            1,
            {"members": ["carl", "dina"], "turn": "1w", "anchor": "2024-01-01"},
            timezone="America/New_York",
            restrictions=[{"time": "08:00-20:00"}],
        ),
        tz="UTC",
    )


def test_each_layer_hands_off_on_its_own_wall_clock() -> None:
    s = follow_the_sun()
    # Berlin's week starts at midnight Berlin time, New York's at midnight New York time.
    assert ("anna",) == s.on_call(at(BERLIN, 2024, 1, 7, 10))
    assert ("ben",) == s.on_call(at(BERLIN, 2024, 1, 8, 10))
    assert ("carl",) == s.on_call(at(NEW_YORK, 2024, 1, 7, 19))
    assert ("ben", "dina") == s.on_call(at(NEW_YORK, 2024, 1, 8, 10))  # 16:00 in Berlin
    assert ("dina",) == s.on_call(at(NEW_YORK, 2024, 1, 8, 15))


@pytest.mark.parametrize(
    "day",
    [
        datetime(2024, 1, 9),  # both zones on standard time
        datetime(2024, 3, 12),  # New York on summer time, Berlin not yet
        datetime(2024, 4, 16),  # both on summer time
        datetime(2024, 10, 29),  # Berlin back on standard time, New York not yet
    ],
)
def test_follow_the_sun_hours_stay_on_local_time_across_each_zones_dst(day: datetime) -> None:
    s = follow_the_sun()
    y, m, d = day.year, day.month, day.day
    starts = {shift.start for shift in s.shifts(at(BERLIN, y, m, d, 7), at(NEW_YORK, y, m, d, 21))}
    assert {
        at(BERLIN, y, m, d, 7),  # the span's start
        at(BERLIN, y, m, d, 8),  # europe comes on
        at(NEW_YORK, y, m, d, 8),  # americas join
        at(BERLIN, y, m, d, 20),  # europe leaves
        at(NEW_YORK, y, m, d, 20),  # americas leave
    } == starts


def test_a_layer_zone_moves_the_restrictions_and_the_handoffs_together() -> None:
    tokyo = build(
        layer(
            "apac",
            1,
            {"members": ["kenji", "mai"], "turn": "1d", "handoff": "09:00", "anchor": "2024-01-01"},
            timezone="Asia/Tokyo",
            restrictions=[{"days": "mon-fri", "time": "09:00-18:00"}],
        ),
        tz="Europe/Berlin",
    )
    assert [("kenji",), ("mai",), ()] == [
        tokyo.on_call(at(TOKYO, 2024, 1, 1, 9)),
        tokyo.on_call(at(TOKYO, 2024, 1, 2, 9)),
        tokyo.on_call(at(TOKYO, 2024, 1, 2, 18)),
    ]


def test_an_unknown_layer_zone_is_refused_naming_the_key() -> None:
    with pytest.raises(PolicyError) as caught:
        build(
            layer(
                "a",
                1,
                {"members": ABC, "turn": "1d", "anchor": "2024-01-01"},
                timezone="Europe/Berlim",
            )
        )
    assert "layers[0].timezone" in str(caught.value)


def test_layers_in_other_zones_make_other_schedules() -> None:
    rot = {"members": ABC, "turn": "1d", "anchor": "2024-01-01"}
    assert build(layer("a", 1, rot, timezone="Asia/Tokyo")) != build(layer("a", 1, rot))
    assert build(layer("a", 1, rot, timezone="UTC")) == build(layer("a", 1, rot))


# --- member changes from an instant ---------------------------------------------------------


def changed(
    position: str | None = None,
    at_: str = "2024-01-05T12:00:00+00:00",
    members: list[Any] | None = None,
) -> Schedule:
    change: dict[str, Any] = {"effective_from": at_, "members": members or ["dave", "carol", "bob"]}
    if position is not None:
        change["position"] = position
    return build(
        layer("a", 1, {"members": ABC, "turn": "1d", "anchor": "2024-01-01", "changes": [change]})
    )


def daily(s: Schedule, first: int, last: int) -> list[tuple[str, ...]]:
    return [s.on_call(utc(2024, 1, d, 18)) for d in range(first, last + 1)]


def test_a_change_leaves_every_instant_before_it_as_it_was() -> None:
    before = build(layer("a", 1, {"members": ABC, "turn": "1d", "anchor": "2024-01-01"}))
    after = changed()
    span = (utc(2023, 6, 1), utc(2024, 1, 5, 12))
    assert before.shifts(*span) == after.shifts(*span)


def test_a_change_keeps_whoever_is_on_call_and_goes_on_in_the_new_order() -> None:
    # 5 January is bob's turn (counter 4); bob stays on, then the new order after bob.
    assert [("bob",), ("dave",), ("carol",), ("bob",), ("dave",)] == daily(changed(), 5, 9)
    assert ("bob",) == changed().on_call(utc(2024, 1, 5, 12))


def test_a_change_that_drops_the_person_on_call_hands_over_at_its_instant() -> None:
    s = changed(members=["dave", "erin"])
    assert ("bob",) == s.on_call(utc(2024, 1, 5, 11, 59))
    assert ("dave",) == s.on_call(utc(2024, 1, 5, 12))
    assert [("erin",), ("dave",)] == daily(s, 6, 7)
    assert utc(2024, 1, 5, 12) == s.next_handoff(utc(2024, 1, 5))


def test_a_change_with_restart_puts_the_first_new_member_on_at_its_instant() -> None:
    s = changed(position="restart")
    assert ("dave",) == s.on_call(utc(2024, 1, 5, 12))
    assert [("dave",), ("carol",), ("bob",), ("dave",)] == daily(s, 5, 8)


def test_changes_must_be_in_time_order() -> None:
    with pytest.raises(PolicyError) as caught:
        build(
            layer(
                "a",
                1,
                {
                    "members": ABC,
                    "turn": "1d",
                    "anchor": "2024-01-01",
                    "changes": [
                        {"effective_from": "2024-02-01T00:00:00+00:00", "members": ["a"]},
                        {"effective_from": "2024-01-01T00:00:00+00:00", "members": ["b"]},
                    ],
                },
            )
        )
    assert "rotation.changes[1].effective_from" in str(caught.value)


def test_a_naive_change_instant_is_refused() -> None:
    with pytest.raises(PolicyError) as caught:
        changed(at_="2024-01-05T12:00:00")
    assert "changes[0].effective_from" in str(caught.value)


def test_a_change_is_a_dated_boundary_for_repeats_and_rotation_period() -> None:
    s = changed()
    assert utc(2024, 1, 5, 12) == s.repeats()[0]
    assert s.rotation_period(utc(2024, 1, 1)) is None
    assert 3 == s.rotation_period(utc(2024, 2, 1))


def test_a_change_under_per_shift_keeps_the_person_due_next() -> None:
    plain = weekdays_layer("per-shift", members=["p0", "p1", "p2"])
    edited = {
        **plain,
        "rotation": {
            **plain["rotation"],
            "changes": [
                {"effective_from": "2024-01-06T12:00:00+01:00", "members": ["p2", "new", "p0"]}
            ],
        },
    }
    base = noon_answers(build(plain, tz="Europe/Berlin"), BERLIN, datetime(2024, 1, 1), 12)
    answers = noon_answers(build(edited, tz="Europe/Berlin"), BERLIN, datetime(2024, 1, 1), 12)
    assert base[:6] == answers[:6]
    # Saturday noon: the next weekday turn (Monday's) was p2's; p2 keeps it, then the new order.
    assert [(), ("p2",), ("new",), ("p0",), ("p2",), ("new",)] == answers[6:]


# --- until_mode -----------------------------------------------------------------------------


def ending(mode: str | None) -> Schedule:
    extra: dict[str, Any] = {"effective_until": "2024-01-10T12:00:00+00:00"}
    if mode is not None:
        extra["until_mode"] = mode
    return build(
        layer(
            "weekly",
            2,
            {"members": ["alice", "bob"], "turn": "1w", "anchor": "2024-01-01"},
            **extra,
        ),
        layer("fallback", 1, {"members": ["carol"], "turn": "1w", "anchor": "2024-01-01"}),
    )


@pytest.mark.parametrize(
    ("mode", "last"),
    [
        (None, utc(2024, 1, 10, 12)),
        ("cut", utc(2024, 1, 10, 12)),
        ("finish-turn", utc(2024, 1, 15)),
    ],
)
def test_effective_until_cuts_by_default_and_finish_turn_runs_the_turn_to_its_handoff(
    mode: str | None, last: datetime
) -> None:
    s = ending(mode)
    assert [
        Shift(utc(2024, 1, 8), last, ("bob",), "weekly"),
        Shift(last, utc(2024, 1, 20), ("carol",), "fallback"),
    ] == list(s.shifts(utc(2024, 1, 8), utc(2024, 1, 20)))


def test_finish_turn_at_a_handoff_starts_no_new_turn() -> None:
    s = build(
        layer(
            "weekly",
            2,
            {"members": ["alice", "bob"], "turn": "1w", "anchor": "2024-01-01"},
            effective_until="2024-01-08T00:00:00+00:00",
            until_mode="finish-turn",
        ),
        layer("fallback", 1, {"members": ["carol"], "turn": "1w", "anchor": "2024-01-01"}),
    )
    assert [("alice",), ("carol",)] == [s.on_call(utc(2024, 1, 7, 23)), s.on_call(utc(2024, 1, 8))]


def test_finish_turn_ends_at_the_wall_clock_handoff_across_dst() -> None:
    # A daily turn at 02:30 Berlin, ended on 30 March 2024 at noon: the turn in progress ends
    # at the next hand-off, 31 March 02:30, which does not exist: 03:00 CEST.
    s = build(
        layer(
            "daily",
            1,
            {"members": ABC, "turn": "1d", "handoff": "02:30", "anchor": "2024-01-01"},
            effective_until="2024-03-30T12:00:00+01:00",
            until_mode="finish-turn",
        ),
        tz="Europe/Berlin",
    )
    gap = s.gaps(utc(2024, 3, 29), utc(2024, 4, 2))
    assert at(BERLIN, 2024, 3, 31, 3) == gap[0].start


def test_until_mode_without_effective_until_is_refused() -> None:
    with pytest.raises(PolicyError) as caught:
        build(
            layer(
                "a",
                1,
                {"members": ABC, "turn": "1d", "anchor": "2024-01-01"},
                until_mode="finish-turn",
            )
        )
    assert "layers[0].until_mode" in str(caught.value)


def test_an_unknown_until_mode_or_advance_is_refused_naming_the_key() -> None:
    with pytest.raises(PolicyError) as caught:
        build(
            layer(
                "a",
                1,
                {"members": ABC, "turn": "1d", "anchor": "2024-01-01", "advance": "per-turn"},
            )
        )
    assert "rotation.advance" in str(caught.value)


# --- iCalendar export -----------------------------------------------------------------------


def ops() -> Schedule:
    return build(
        layer(
            "primary",
            1,
            {"members": ["alice", "bob"], "turn": "1d", "handoff": "09:00", "anchor": "2024-01-01"},
        ),
        layer(
            "office",
            2,
            {"members": [["carol", "dave"]], "turn": "1w", "anchor": "2024-01-01"},
            restrictions=[{"days": "mon-fri", "time": "10:00-16:00"}],
        ),
        tz="Europe/Berlin",
        overrides=[override("2024-01-03T11:00:00+01:00", "2024-01-03T13:00:00+01:00", ["erin"])],
    )


def events(data: bytes) -> list[tuple[datetime, datetime, str, str]]:
    calendar = icalendar.Calendar.from_ical(data)
    return [
        (e.decoded("dtstart"), e.decoded("dtend"), str(e["summary"]), str(e["uid"]))
        for e in calendar.walk("VEVENT")
    ]


def test_to_ical_has_one_event_per_shift_with_people_in_utc() -> None:
    s = ops()
    start, end = at(BERLIN, 2024, 1, 2), at(BERLIN, 2024, 1, 5)
    expected = [
        (shift.start, shift.end, ", ".join(shift.people))
        for shift in s.shifts(start, end)
        if shift.people
    ]
    got = events(s.to_ical(start, end, name="ops"))
    # The shift in progress at start (alice's night from 16:00 Berlin) keeps its true start.
    assert at(BERLIN, 2024, 1, 1, 16) == s.shifts(at(BERLIN, 2024, 1, 1, 12), end)[1].start
    expected[0] = (at(BERLIN, 2024, 1, 1, 16), *expected[0][1:])
    assert expected == [(a, b, summary) for a, b, summary, _ in got]
    assert all(a.tzinfo is not None and a.utcoffset() == timedelta(0) for a, _, _, _ in got)


def test_to_ical_uids_name_the_start_the_source_and_the_schedule() -> None:
    got = events(ops().to_ical(at(BERLIN, 2024, 1, 3, 9), at(BERLIN, 2024, 1, 3, 14), name="ops"))
    assert [
        "20240103T080000Z-primary@ops",
        "20240103T090000Z-office@ops",
        "20240103T100000Z-overrides[0]@ops",
        "20240103T120000Z-office@ops",
    ] == [uid for _, _, _, uid in got]


def test_to_ical_gives_the_same_bytes_every_time_and_has_no_clock_in_it() -> None:
    span = (at(BERLIN, 2024, 1, 1), at(BERLIN, 2024, 2, 1))
    first = ops().to_ical(*span, name="ops")
    assert first == ops().to_ical(*span, name="ops")
    calendar = icalendar.Calendar.from_ical(first)
    assert all(e.decoded("dtstamp") == e.decoded("dtstart") for e in calendar.walk("VEVENT"))
    assert first.startswith(b"BEGIN:VCALENDAR\r\n")
    assert b"PRODID:-//escalate//on-call schedule//EN" in first


def test_to_ical_of_an_empty_span_or_only_gaps_has_no_events() -> None:
    s = build(layer("a", 1, {"members": [None], "turn": "1w", "anchor": "2024-01-01"}))
    assert [] == events(s.to_ical(utc(2024, 1, 1), utc(2024, 2, 1)))
    assert [] == events(ops().to_ical(utc(2024, 1, 1), utc(2024, 1, 1)))


def test_to_ical_refuses_a_span_with_more_than_max_events_shifts() -> None:
    hourly = build(
        layer("a", 1, {"members": ["alice", "bob"], "turn": "1h", "anchor": "2024-01-01"})
    )
    fits = utc(2024, 1, 1) + timedelta(hours=ical.MAX_EVENTS)
    assert ical.MAX_EVENTS == len(events(hourly.to_ical(utc(2024, 1, 1), fits)))
    with pytest.raises(ExportLimitError) as caught:
        hourly.to_ical(utc(2024, 1, 1), fits + timedelta(hours=1))
    assert str(ical.MAX_EVENTS) in str(caught.value)


def test_to_ical_without_the_icalendar_package_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "icalendar", None)  # makes `import icalendar` fail
    with pytest.raises(MissingExtraError) as caught:
        ops().to_ical(utc(2024, 1, 1), utc(2024, 1, 2))
    assert "escalate[ical]" in str(caught.value)
    assert isinstance(caught.value, ImportError)


def test_to_ical_refuses_a_backwards_span_and_a_bad_name() -> None:
    with pytest.raises(escalate.InstantRangeError):
        ops().to_ical(utc(2024, 1, 2), utc(2024, 1, 1))
    with pytest.raises(escalate.ArgumentError):
        ops().to_ical(utc(2024, 1, 1), utc(2024, 1, 2), name="two\nlines")


# --- lint: member-never-on-call -------------------------------------------------------------

WEEKDAY_POLICY = """
policy: weekdays
version: 1
directory:
  people:
{people}
schedules:
  weekdays:
    timezone: Europe/Berlin
    layers:
      - name: weekdays
        level: 1
        rotation:
          members: [{members}]
          turn: 1d
          handoff: "09:00"
          anchor: 2024-01-01
          advance: {advance}
        restrictions: [{{days: mon-fri, time: "09:00-17:00"}}]
"""


def weekday_policy(advance: str) -> escalate.Policy:
    people = "\n".join(
        f'    {p}: {{channels: {{sms: "+49 30 555000{i}"}}}}' for i, p in enumerate(SEVEN)
    )
    return escalate.loads(
        WEEKDAY_POLICY.format(people=people, members=", ".join(SEVEN), advance=advance)
    )


def test_lint_names_the_two_members_never_on_call_with_the_default_advance() -> None:
    found = [
        f
        for f in lint(weekday_policy("always"), as_of=utc(2024, 1, 1), horizon=timedelta(days=365))
        if f.code == "member-never-on-call"
    ]
    assert [
        ("schedules", "weekdays", "layers", 0, "rotation", "members", 5),
        ("schedules", "weekdays", "layers", 0, "rotation", "members", 6),
    ] == [f.where for f in found]
    assert "p5 is never on call through layer 'weekdays' of schedule 'weekdays'" in found[0].message
    assert "advance: per-shift" in found[0].message
    assert "warning" == found[0].severity


def test_lint_finds_no_unseen_member_with_per_shift() -> None:
    found = lint(weekday_policy("per-shift"), as_of=utc(2024, 1, 1), horizon=timedelta(days=365))
    assert [] == [f for f in found if f.code == "member-never-on-call"]


def test_lint_reports_members_of_a_slow_rotation_only_beyond_the_horizon() -> None:
    s = build(layer("a", 1, {"members": ABC, "turn": "1w", "anchor": "2024-01-01"}))
    assert [("a", "carol", ("layers", 0, "rotation", "members", 2), False)] == list(
        s.unseen_members(utc(2024, 1, 1), utc(2024, 1, 14))
    )
    assert () == s.unseen_members(utc(2024, 1, 1), utc(2024, 1, 21))
    assert () == s.unseen_members(utc(2024, 1, 1), utc(2024, 1, 1))


def test_unseen_members_follow_the_changes_in_force_in_the_span() -> None:
    s = changed(members=["dave", "erin"])
    # After the change only dave and erin count, and both serve within two days.
    assert () == s.unseen_members(utc(2024, 2, 1), utc(2024, 2, 3))
    # Across the change: alice, bob, carol and the new members all count; carol is the one
    # whose turn (3 January) is outside this span.
    unseen = s.unseen_members(utc(2024, 1, 4), utc(2024, 1, 7))
    assert [("carol", ("layers", 0, "rotation", "members", 2))] == [(p, w) for _, p, w, _ in unseen]


def test_unseen_members_count_a_member_hidden_by_a_higher_level() -> None:
    s = build(
        layer("top", 2, {"members": ["boss"], "turn": "1w", "anchor": "2024-01-01"}),
        layer("low", 1, {"members": ["alice"], "turn": "1w", "anchor": "2024-01-01"}),
    )
    assert [("low", "alice", ("layers", 1, "rotation", "members", 0), False)] == list(
        s.unseen_members(utc(2024, 1, 1), utc(2024, 3, 1))
    )


def test_full_round_is_members_times_turn_stretched_to_whole_weeks_when_restricted() -> None:
    day = timedelta(days=1)
    rot = {"members": ABC, "turn": "1d", "anchor": "2024-01-01"}
    hours = [{"days": "mon-fri"}]
    assert [4 * day, 22 * day, 22 * day, 29 * day, 94 * day, 370 * day] == [
        build(layer("a", 1, rot)).full_round(),
        build(layer("a", 1, rot, restrictions=hours)).full_round(),
        build(layer("a", 1, {**rot, "advance": "per-shift"}, restrictions=hours)).full_round(),
        build(layer("a", 1, {**rot, "members": [*ABC, "dave"], "turn": "1w"})).full_round(),
        build(layer("a", 1, {**rot, "turn": "1mo"})).full_round(),
        build(layer("a", 1, rot, window=[{"weekdays": ["monday"]}])).full_round(),
    ]


def weekly_policy(members: int, restricted: bool = False) -> escalate.Policy:
    people = [f"p{i}" for i in range(members)]
    hours = '\n        restrictions: [{days: mon-fri, time: "09:00-17:00"}]' if restricted else ""
    return escalate.loads(
        f"""
policy: weekly
version: 1
schedules:
  ops:
    timezone: Europe/Berlin
    layers:
      - name: rota
        level: 1
        rotation: {{members: [{", ".join(people)}], turn: {"1d" if restricted else "1w"},
                    handoff: "09:00", anchor: 2024-01-01}}{hours}
"""
    )


def test_lint_looks_a_whole_round_ahead_so_a_turn_yet_to_come_is_no_finding() -> None:
    # Four weekly members with the default 14-day horizon; three daily members on weekdays
    # from a Friday with a one-day horizon: every member comes on call within a round.
    for policy, horizon in (
        (weekly_policy(4), timedelta(days=14)),
        (weekly_policy(3, True), timedelta(days=1)),
    ):
        found = lint(policy, as_of=at(BERLIN, 2024, 1, 5, 12), horizon=horizon)
        assert [] == [f for f in found if f.code == "member-never-on-call"]


def test_lint_finds_the_weekday_trap_with_the_default_horizon_and_not_with_none() -> None:
    policy = weekly_policy(7, True)
    found = [
        f.where[-1] for f in lint(policy, as_of=utc(2024, 3, 1)) if f.code == "member-never-on-call"
    ]
    assert [5, 6] == found
    assert [] == [
        f
        for f in lint(policy, as_of=utc(2024, 3, 1), horizon=timedelta(0))
        if f.code == "member-never-on-call"
    ]
