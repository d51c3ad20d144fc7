"""Regression tests for the review of rotations round 2 (issue 13): the lint look-ahead, turn
caps, range edges, hints, ``position: keep`` with groups, iCalendar UIDs and DST per-shift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import escalate
from escalate.errors import InstantRangeError, PolicyError
from escalate.people.schedule import MAX_TURN_HOURS, MAX_TURN_MONTHS, Schedule
from escalate.policy.lint import MAX_HORIZON, lint

BERLIN = ZoneInfo("Europe/Berlin")
FOUR = ["a", "b", "c", "d"]
SEVEN = [f"p{i}" for i in range(7)]
AS_OF = datetime(2024, 1, 1, 12, tzinfo=UTC)
HORIZON = timedelta(days=14)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def layer(members: list[Any], turn: str = "1w", name: str = "l", **extra: Any) -> dict[str, Any]:
    rotation: dict[str, Any] = {"members": members, "turn": turn, "anchor": "2024-01-01"}
    for key in ("advance", "changes", "handoff"):
        if key in extra:
            rotation[key] = extra.pop(key)
    return {"name": name, "level": 1, "rotation": rotation, **extra}


def build(*layers: dict[str, Any], tz: str = "UTC", overrides: Any = None) -> Schedule:
    config: dict[str, Any] = {"timezone": tz, "layers": list(layers)}
    if overrides is not None:
        config["overrides"] = overrides
    return Schedule.from_config(config)


def unseen(schedule: Schedule, horizon: timedelta = HORIZON) -> list[str]:
    return [pid for _, pid, *_ in schedule.never_on_call(AS_OF, horizon, MAX_HORIZON)]


# --- 1. member-never-on-call judges each layer over a whole round of its own ----------------

WEEKDAYS = [{"days": "mon-fri"}]


@pytest.mark.parametrize(
    ("label", "spec", "expected"),
    [
        ("weekly four, no bounds", layer(FOUR), []),
        ("weekly four, weekends window", layer(FOUR, window=[{"weekdays": ["saturday"]}]), []),
        (
            "weekly four starting in 20 days",
            layer(FOUR, effective_from="2024-01-20T00:00:00+00:00"),
            [],
        ),
        (
            "a change in 20 days adds e",
            layer(
                FOUR,
                changes=[{"effective_from": "2024-01-20T00:00:00+00:00", "members": [*FOUR, "e"]}],
            ),
            [],
        ),
        (
            "weekly four ending in 3 days",
            layer(FOUR, effective_until="2024-01-04T00:00:00+00:00"),
            [],
        ),
        (
            "weekly four replaced after 3 days",
            layer(
                FOUR, changes=[{"effective_from": "2024-01-04T00:00:00+00:00", "members": ["x"]}]
            ),
            [],
        ),
        ("seven daily, weekdays", layer(SEVEN, "1d", restrictions=WEEKDAYS), ["p5", "p6"]),
        (
            "seven daily, weekdays, starting in a year",
            layer(SEVEN, "1d", restrictions=WEEKDAYS, effective_from="2025-01-01T00:00:00+00:00"),
            [],
        ),
        (
            "seven daily, weekdays, starting in 10 days",
            layer(SEVEN, "1d", restrictions=WEEKDAYS, effective_from="2024-01-11T00:00:00+00:00"),
            ["p5", "p6"],
        ),
        (
            "seven daily, weekdays, ending after two months",
            layer(SEVEN, "1d", restrictions=WEEKDAYS, effective_until="2024-03-01T00:00:00+00:00"),
            ["p5", "p6"],
        ),
        (
            "seven daily, weekdays, ending in 5 days",
            layer(SEVEN, "1d", restrictions=WEEKDAYS, effective_until="2024-01-06T00:00:00+00:00"),
            [],
        ),
        (
            "seven daily, weekdays, per-shift",
            layer(SEVEN, "1d", restrictions=WEEKDAYS, advance="per-shift"),
            [],
        ),
        ("monthly three with a null", layer(["a", None, "b"], "1mo"), []),
    ],
)
def test_member_never_on_call_waits_for_a_whole_round_of_each_layer(
    label: str, spec: dict[str, Any], expected: list[str]
) -> None:
    assert expected == unseen(build(spec)), label


def test_a_layer_starting_later_is_judged_from_its_effective_from() -> None:
    spec = layer(SEVEN, "1d", restrictions=WEEKDAYS, effective_from="2024-01-11T00:00:00+00:00")
    (found, _) = build(spec).never_on_call(AS_OF, HORIZON, MAX_HORIZON)
    assert ("l", "p5") == found[:2]
    assert (utc(2024, 1, 11), utc(2024, 1, 25)) == found[4:]


def test_a_window_layer_looks_a_year_past_its_rotation() -> None:
    s = build(layer(FOUR, window=[{"weekdays": ["saturday"]}]))
    assert timedelta(days=4 * 7 + 366 + 1) == s.full_round()


# --- 2. turns are capped so that the quiet span sees every hand-off --------------------------


@pytest.mark.parametrize(
    ("turn", "ok"),
    [
        (f"{MAX_TURN_HOURS}h", True),
        (f"{MAX_TURN_HOURS + 1}h", False),
        ("521w", True),
        ("522w", False),
        (f"{MAX_TURN_MONTHS}mo", True),
        (f"{MAX_TURN_MONTHS + 1}mo", False),
        ("1200mo", False),
    ],
)
def test_a_turn_longer_than_ten_years_is_a_load_error_naming_the_key(turn: str, ok: bool) -> None:
    if ok:
        build(layer(["a", "b"], turn))
        return
    with pytest.raises(PolicyError, match="at most") as err:
        build(layer(["a", "b"], turn))
    assert ("layers", 0, "rotation", "turn") == err.value.path[-4:]
    assert turn in str(err.value)


@pytest.mark.parametrize(
    ("turn", "first"),
    [
        (f"{MAX_TURN_MONTHS}mo", utc(2034, 1, 1)),
        (f"{MAX_TURN_HOURS}h", utc(2024, 1, 1) + timedelta(hours=MAX_TURN_HOURS)),
    ],
)
def test_the_longest_turn_hands_off_where_every_search_sees_it(turn: str, first: datetime) -> None:
    s = build(layer(["a", "b"], turn))
    assert first == s.next_handoff(utc(2024, 6, 1))
    assert first == s.last_handoff(utc(2024, 6, 1), first + timedelta(days=1))
    assert s.repeats()[1] > first - utc(2024, 1, 1)
    second = s.next_handoff(first)
    assert second is not None
    assert ("a",) == s.on_call(second)


# --- 3. full_round clamps hostile sizes -------------------------------------------------------


@pytest.mark.parametrize(
    ("members", "turn", "extra"),
    [
        (167, f"{MAX_TURN_HOURS - 1}h", {"restrictions": [{"days": "mon"}]}),
        (30_000, f"{MAX_TURN_MONTHS}mo", {}),
        (3, "7h", {"restrictions": [{"days": "mon"}], "advance": "per-shift"}),
    ],
)
def test_full_round_and_the_lint_walk_never_overflow(
    members: int, turn: str, extra: dict[str, Any]
) -> None:
    s = build(layer([f"p{i}" for i in range(members)], turn, **extra))
    assert timedelta(0) < s.full_round() <= datetime(9999, 12, 30, tzinfo=UTC) - utc(1, 1, 2)
    s.never_on_call(AS_OF, HORIZON, MAX_HORIZON)


# --- 4. exports and timelines past year 9999 -----------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (utc(9999, 12, 1), datetime(9999, 12, 31, 23, 59, tzinfo=ZoneInfo("Etc/GMT+12"))),
        (datetime(1, 1, 1, tzinfo=ZoneInfo("Etc/GMT-12")), utc(1, 2, 1)),
    ],
)
@pytest.mark.parametrize("call", ["shifts", "to_ical", "gaps", "unseen_members"])
def test_spans_outside_the_supported_instants_raise_instant_range_error(
    start: datetime, end: datetime, call: str
) -> None:
    s = build(layer(["a", "b"]))
    with pytest.raises(InstantRangeError, match="out of range"):
        getattr(s, call)(start, end)


# --- 5 and 8. the edges of the supported range answer -------------------------------------


@pytest.mark.parametrize(
    ("tz", "turn", "at", "same_as"),
    [
        ("America/New_York", "1mo", utc(1, 1, 1), utc(1, 1, 1, 4)),
        ("Asia/Tokyo", "1mo", utc(9999, 12, 31, 23, 59), utc(9999, 12, 31, 14)),
        ("Pacific/Kiritimati", "1d", utc(9999, 12, 29), utc(9999, 12, 29, 9)),
        ("Pacific/Kiritimati", "1mo", utc(9999, 12, 29), utc(9999, 12, 20)),
    ],
)
def test_monthly_and_far_east_layers_answer_at_the_range_edges(
    tz: str, turn: str, at: datetime, same_as: datetime
) -> None:
    s = build(layer(["a", "b"], turn), tz=tz)
    assert s.on_call(same_as) == s.on_call(at)
    assert s.on_call(at) in {("a",), ("b",)}
    s.next_handoff(utc(9999, 12, 1))
    s.last_handoff(utc(9999, 1, 1), utc(9999, 12, 29))
    s.shifts(utc(9999, 12, 1), utc(9999, 12, 29))


# --- 6. the per-shift hint only where per-shift would help -------------------------------------


@pytest.mark.parametrize(
    ("spec", "hint"),
    [
        (layer(SEVEN, "1d", restrictions=WEEKDAYS), True),
        (layer(["a", "b"], "1w", restrictions=WEEKDAYS, advance="per-shift"), False),
        (layer(["a", "b"], "1w", restrictions=WEEKDAYS), False),
        (layer(["a", "b"], "1mo", restrictions=WEEKDAYS), False),
        (layer(["a", "b"], "1d"), False),
    ],
)
def test_the_per_shift_hint_names_only_layers_it_would_help(
    spec: dict[str, Any], hint: bool
) -> None:
    # An override of someone else hides everyone, so every layer has findings.
    s = build(
        spec,
        overrides=[
            {
                "start": "2023-12-01T00:00:00+00:00",
                "end": "2025-12-01T00:00:00+00:00",
                "people": ["z"],
            }
        ],
    )
    found = s.never_on_call(AS_OF, HORIZON, MAX_HORIZON)
    assert found
    assert {hint} == {masked for _, _, _, masked, _, _ in found}


def test_lint_gives_the_layer_span_and_no_hint_for_a_per_shift_layer() -> None:
    people = "".join(f"\n    {p}: {{channels: {{sms: '+1555000'}}}}" for p in "abc")
    policy = escalate.loads(
        f"""
policy: p
version: 1
directory:
  people:{people}
schedules:
  s:
    timezone: UTC
    layers:
      - name: l
        level: 1
        rotation: {{members: [a, b], turn: 1w, anchor: 2024-01-01, advance: per-shift}}
        restrictions: [{{days: mon-fri}}]
    overrides:
      - {{start: "2024-01-08T00:00:00+00:00", end: "2024-01-29T00:00:00+00:00", people: [c]}}
"""
    )
    found = [
        f
        for f in lint(policy, as_of=utc(2024, 1, 8), horizon=timedelta(days=6))
        if f.code == "member-never-on-call"
    ]
    assert 2 == len(found)
    assert "from 2024-01-08T00:00:00+00:00 to 2024-01-23T00:00:00+00:00" in found[0].message
    assert "per-shift" not in found[0].message


# --- 9. position: keep with groups ---------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "on_call"),
    [
        (["a", "c"], ("a",)),
        ([["b", "a"], "c"], ("b", "a")),
        (["c", ["a", "x"]], ("c",)),  # a alone is not a member: restart
        (["b", "a"], ("b",)),  # a and b apart are two members: restart
        (["c", "d"], ("c",)),  # nobody stays: restart
        (["x", ["a", "b"], "c"], ("a", "b")),
        (["x", "b"], ("b",)),
    ],
)
def test_keep_keeps_the_members_of_the_on_call_group_who_stay(
    new: list[Any], on_call: tuple[str, ...]
) -> None:
    change = {"effective_from": "2024-01-03T12:00:00+00:00", "members": new}
    s = build(layer([["a", "b"], "z"], "1w", changes=[change]))
    assert ("a", "b") == s.on_call(utc(2024, 1, 3))
    assert on_call == s.on_call(utc(2024, 1, 3, 12))
    assert on_call == s.on_call(utc(2024, 1, 7, 23))


# --- 10. iCalendar: the shift in progress keeps its true start -------------------------------


def events(data: bytes) -> list[str]:
    text = data.decode().replace("\r\n", "\n")
    return [chunk.split("END:VEVENT")[0] for chunk in text.split("BEGIN:VEVENT")[1:]]


@pytest.mark.parametrize("later", [utc(2024, 1, 10), utc(2024, 1, 8, 8), utc(2024, 1, 14, 23)])
def test_a_rolling_export_names_and_dates_the_shift_in_progress_as_before(later: datetime) -> None:
    s = build(layer(["a", "b"], handoff="09:00"), tz="Europe/Berlin")
    end = utc(2024, 1, 30)
    full, rolled = events(s.to_ical(utc(2024, 1, 1), end)), events(s.to_ical(later, end))
    assert rolled == full[-len(rolled) :]
    assert "DTSTART:20240108T080000Z" in rolled[0]
    assert "UID:20240108T080000Z-l@schedule" in rolled[0]


def test_a_shift_that_never_began_starts_at_the_first_supported_instant() -> None:
    (event,) = events(build(layer(["a"])).to_ical(utc(2024, 1, 10), utc(2024, 1, 20)))
    assert "UID:00010102T000000Z-l@schedule" in event
    assert "DTEND:20240120T000000Z" in event


# --- 12. per-shift and a restriction inside a spring-forward gap (documented) -----------------


def test_a_per_shift_turn_meeting_only_skipped_wall_time_uses_up_a_turn() -> None:
    spec = layer(
        ["a", "b", "c"],
        "1d",
        advance="per-shift",
        restrictions=[{"days": "sun", "time": "02:00-03:00"}],
    )
    s = build(spec, tz="Europe/Berlin")
    sundays = [datetime(2024, 3, d, 2, 30, tzinfo=BERLIN) for d in (24, 31)]
    sundays.append(datetime(2024, 4, 7, 2, 30, tzinfo=BERLIN))
    # 31 March 02:30 does not exist: that Sunday's member is never on call, and the next
    # Sunday goes on with the member after it (the count is on the wall clock).
    first, skipped, after = (s.on_call(t) for t in sundays)
    gap = s.shifts(datetime(2024, 3, 31, 1, tzinfo=BERLIN), datetime(2024, 3, 31, 4, tzinfo=BERLIN))
    assert [()] == [x.people for x in gap]
    order = ["a", "b", "c"]
    assert order[(order.index(first[0]) + 2) % 3] == after[0]
    assert () == skipped  # 02:30 that day is 03:30 summer time, outside the restrictions


# --- 7. a base layer with helpers that only repeat its people is provably constant ------------


@pytest.mark.parametrize(
    ("helpers", "constant"),
    [
        ([layer(["a", None], "1h"), layer(["a", None], "1mo")], True),
        ([layer(["a", None], "1mo", restrictions=WEEKDAYS)], True),
        ([layer(["a", "b"], "1h")], False),
    ],
)
def test_next_handoff_proves_a_base_layer_with_repeating_helpers_constant_without_walking(
    helpers: list[dict[str, Any]], constant: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    layers = [layer(["a"], name="base")] + [{**h, "name": f"h{i}"} for i, h in enumerate(helpers)]
    s = build(*layers)
    calls = []
    piece = Schedule._piece

    def counting(self: Schedule, t: int) -> Any:
        calls.append(t)
        return piece(self, t)

    monkeypatch.setattr(Schedule, "_piece", counting)
    found = s.next_handoff(utc(2024, 6, 1))
    assert (found is None) == constant
    assert (s.last_handoff(utc(2000, 1, 1), utc(2024, 6, 1)) is None) == constant
    assert len(calls) < 100  # no walk through 40 years of hourly or monthly hand-offs
