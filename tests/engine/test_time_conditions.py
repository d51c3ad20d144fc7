"""Time in conditions: ``within: <calendar>`` / ``not_within: <calendar>`` in rule conditions.

A time test is evaluated at every instant of the history like any other condition: a rule's
stretch (and so its action ids and path requests) begins when the window opens or when the rest
of the condition began to hold, whichever is later, and ``next_evaluation_at`` wakes for a
window change only when it changes the decision.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate.engine.compiled import Policy
from escalate.engine.context import prepare
from escalate.engine.decision import Decision
from escalate.engine.facts import Facts
from escalate.engine.ticket import Ticket
from escalate.errors import CalendarRangeError, PolicyError
from escalate.people.availability import Availability
from escalate.policy.loader import loads
from escalate.schemas import json_schema
from tests.policy_helpers import event, iso, policy, rule_status, ticket, utc, yaml_text

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Weekdays 08:00-12:00 and 13:00-17:00 UTC (a lunch break makes two windows a day).
CALENDARS = """
calendars:
  office:
    timezone: UTC
    hours: {mon-fri: ["08:00-12:00", "13:00-17:00"]}
    years: [2024, 2025]
  weekend:
    timezone: UTC
    hours: {sat-sun: ["00:00-24:00"]}
    years: [2024, 2025]
"""

# After hours, P1 and P2 page on-call; in hours, they go to the service desk's queue.
AFTER_HOURS = (
    CALENDARS
    + """
clocks:
  res:
    stop: {status: [resolved]}
    targets: {default: {within: 8h}}
paths:
  on-call:
    kind: vertical
    starts: on-trigger
    levels:
      - {name: page, targets: ["team:on-call"], after: 30m}
      - {name: manager, targets: ["team:managers"]}
rules:
  - id: page-after-hours
    when: {priority: [P1, P2], not_within: office, status: {not_in: [resolved]}}
    then: {escalate: {path: on-call, to: page}}
  - id: tell-on-call
    when: {priority: [P1, P2], not_within: office, status: {not_in: [resolved]}}
    then: {notify: {to: [assignee]}}
  - id: queue-in-hours
    when: {priority: [P1, P2, P3], within: office, status: {not_in: [resolved]}}
    then: {notify: {to: [assignment-group]}}
  - id: half-time-in-hours
    when: {clock.res.percent: {gte: 50}, within: office}
    then: {notify: {to: [assignee]}}
"""
)

# 2024-06-03 is a Monday.
MON = "2024-06-03"


def at(day: str, clock: str) -> str:
    return f"{day}T{clock}:00+00:00"


def one_rule(when: str, then: str = "{notify: {to: [assignee]}}", extra: str = "") -> Policy:
    return policy(CALENDARS + extra + f"rules:\n  - id: r\n    when: {when}\n    then: {then}\n")


def due_ids(decision: Decision) -> list[str]:
    return sorted(action.id for action in decision.actions)


# -- matching and stamps ---------------------------------------------------------------------


def test_a_within_rule_matches_inside_the_window_and_not_at_its_end() -> None:
    p = one_rule("{within: office}")
    tkt = ticket(at(MON, "07:00"))
    found = [
        rule_status(p.evaluate(tkt, now=utc(at(MON, clock))), "r")
        for clock in ("07:59", "08:00", "11:59", "12:00", "13:00", "17:00")
    ]
    assert ["not-matched", "matched", "matched", "not-matched", "matched", "not-matched"] == found


def test_not_within_holds_exactly_where_within_does_not() -> None:
    p = one_rule("{not_within: office}")
    tkt = ticket(at(MON, "07:00"))
    found = [
        rule_status(p.evaluate(tkt, now=utc(at(MON, clock))), "r")
        for clock in ("07:59", "08:00", "12:00", "17:00")
    ]
    assert ["matched", "not-matched", "matched", "matched"] == found


def test_the_action_id_carries_the_instant_the_window_opened() -> None:
    decision = one_rule("{within: office}").evaluate(
        ticket(at("2024-05-31", "18:00")), now=utc(at(MON, "14:30"))
    )
    assert ["T1:rule:r:20240603T130000Z:notify0"] == due_ids(decision)
    assert utc(at(MON, "13:00")) == decision.actions[0].due_at


def test_a_ticket_opened_inside_the_window_is_stamped_at_its_opening() -> None:
    decision = one_rule("{within: office}").evaluate(
        ticket(at(MON, "09:15")), now=utc(at(MON, "10:00"))
    )
    assert ["T1:rule:r:20240603T091500Z:notify0"] == due_ids(decision)


def test_a_change_inside_the_window_stamps_the_change() -> None:
    tkt = ticket(
        at(MON, "07:00"),
        event(at(MON, "09:30"), "priority-changed", priority="P1", from_priority="P3"),
        priority="P1",
    )
    decision = one_rule("{within: office, priority: P1}").evaluate(tkt, now=utc(at(MON, "10:00")))
    assert ["T1:rule:r:20240603T093000Z:notify0"] == due_ids(decision)


def test_after_hours_the_stamp_is_the_closing_over_a_weekend() -> None:
    # Closed from Friday 17:00 to Monday 08:00: one stretch, however many days it spans.
    decision = one_rule("{not_within: office}").evaluate(
        ticket(at("2024-05-31", "10:00")), now=utc(at(MON, "07:00"))
    )
    assert ["T1:rule:r:20240531T170000Z:notify0"] == due_ids(decision)


def test_the_next_window_is_a_new_stretch_with_its_own_action() -> None:
    p = one_rule("{within: office}")
    tkt = ticket(at(MON, "07:00"))
    morning = p.evaluate(tkt, now=utc(at(MON, "09:00")))
    done = Ticket.from_mapping(
        {
            **tkt,
            "events": [
                {"at": at(MON, "09:00"), "type": "action-done", "action_id": morning.actions[0].id}
            ],
        }
    )
    assert [] == due_ids(p.evaluate(done, now=utc(at(MON, "11:00"))))
    assert ["T1:rule:r:20240603T130000Z:notify0"] == due_ids(
        p.evaluate(done, now=utc(at(MON, "13:00")))
    )


def test_the_builtin_24x7_calendar_can_be_named() -> None:
    decision = one_rule("{within: 24x7}").evaluate(
        ticket(at(MON, "03:00")), now=utc(at(MON, "04:00"))
    )
    assert (["T1:rule:r:20240603T030000Z:notify0"], None) == (
        due_ids(decision),
        decision.next_evaluation_at,
    )


def test_time_tests_combine_with_any_and_not() -> None:
    p = one_rule("{any: [{within: office}, {priority: P1}], not: {not_within: office}}")
    inside = p.evaluate(ticket(at(MON, "07:00"), priority="P3"), now=utc(at(MON, "09:00")))
    outside = p.evaluate(ticket(at(MON, "07:00"), priority="P1"), now=utc(at(MON, "18:00")))
    assert ("matched", "not-matched") == (rule_status(inside, "r"), rule_status(outside, "r"))


# -- wake-ups ----------------------------------------------------------------------------------


def test_a_rule_that_matches_when_the_window_opens_wakes_then() -> None:
    decision = one_rule("{within: office}").evaluate(
        ticket(at("2024-05-31", "18:00")), now=utc(at("2024-06-01", "10:00"))
    )
    assert utc(at(MON, "08:00")) == decision.next_evaluation_at


def test_a_window_closing_on_a_done_rule_wakes_for_the_next_opening_not_the_close() -> None:
    # At 17:00 the rule stops matching, which changes no due action: the next instant that
    # does is Tuesday 08:00, a new stretch with a new action id.
    p = one_rule("{within: office}")
    done = {"at": at(MON, "13:05"), "type": "action-done"}
    tkt = ticket(at(MON, "07:00"), {**done, "action_id": "T1:rule:r:20240603T130000Z:notify0"})
    decision = p.evaluate(tkt, now=utc(at(MON, "14:00")))
    assert ("done", utc(at("2024-06-04", "08:00"))) == (
        rule_status(decision, "r"),
        decision.next_evaluation_at,
    )


def test_a_due_action_not_yet_recorded_stops_being_due_when_the_window_closes() -> None:
    p = one_rule("{within: office}")
    tkt = ticket(at(MON, "07:00"))
    decision = p.evaluate(tkt, now=utc(at(MON, "14:00")))
    assert (1, utc(at(MON, "17:00")), []) == (
        len(decision.actions),
        decision.next_evaluation_at,
        due_ids(p.evaluate(tkt, now=utc(at(MON, "17:00")))),
    )


def test_a_rule_whose_rest_never_holds_does_not_wake_for_windows() -> None:
    decision = one_rule("{within: office, priority: P1}").evaluate(
        ticket(at(MON, "07:00"), priority="P3"), now=utc(at(MON, "07:30"))
    )
    assert decision.next_evaluation_at is None


def test_a_clock_crossing_outside_the_window_wakes_at_the_next_opening() -> None:
    # 2 h elapse at 20:00 on Monday, after hours: the rule holds from Tuesday 08:00.
    clock = (
        "clocks:\n  res:\n    stop: {status: [resolved]}\n    targets: {default: {within: 30d}}\n"
    )
    decision = one_rule("{clock.res.elapsed: {gte: 2h}, within: office}", extra=clock).evaluate(
        ticket(at(MON, "18:00")), now=utc(at(MON, "18:30"))
    )
    assert utc(at("2024-06-04", "08:00")) == decision.next_evaluation_at


def test_a_final_time_rule_wakes_when_it_stops_shadowing_a_rule_that_holds() -> None:
    rules = """
rules:
  - id: quiet-hours
    final: true
    when: {not_within: office}
    then: {notify: {to: [assignee]}}
  - id: p1
    when: {priority: P1}
    then: {notify: {to: [assignment-group]}}
"""
    decision = policy(CALENDARS + rules).evaluate(
        ticket(at(MON, "07:00")), now=utc(at(MON, "07:30"))
    )
    assert ("shadowed", utc(at(MON, "08:00"))) == (
        rule_status(decision, "p1"),
        decision.next_evaluation_at,
    )


# -- paths -------------------------------------------------------------------------------------


def test_a_path_moving_time_rule_enters_the_path_when_the_window_closes() -> None:
    decision = policy(AFTER_HOURS).evaluate(ticket(at(MON, "15:00")), now=utc(at(MON, "17:10")))
    state = decision.paths["on-call"]
    assert ("page", utc(at(MON, "17:00")), "rule:page-after-hours") == (
        state.level_name,
        state.entered_at,
        state.reason,
    )


def test_a_path_moving_time_rule_does_not_wake_when_the_path_is_already_there() -> None:
    # Paged at 17:00 Monday, manager at 17:30; Tuesday 17:00's request for page changes nothing.
    decision = policy(AFTER_HOURS).evaluate(
        ticket(at(MON, "15:00"), priority="P2"), now=utc(at("2024-06-04", "12:30"))
    )
    assert ("manager", utc(at("2024-06-04", "13:00"))) == (
        decision.paths["on-call"].level_name,
        decision.next_evaluation_at,
    )


# -- explanations ------------------------------------------------------------------------------


def test_explain_shows_the_instant_and_whether_the_calendar_was_open() -> None:
    decision = one_rule("{within: office}").evaluate(
        ticket(at(MON, "07:00")), now=utc(at(MON, "18:00"))
    )
    assert (
        "    no time within 'office': actual '2024-06-03T18:00:00+00:00 (office closed)' "
        "(p.yaml:15:12)"
    ) in decision.explain(full=True).splitlines()


def test_the_trace_names_the_time_leaf() -> None:
    decision = one_rule("{not_within: office}").evaluate(
        ticket(at(MON, "07:00")), now=utc(at(MON, "18:00"))
    )
    rule = next(r for r in decision.to_dict()["rules"] if r["rule"] == "r")
    condition = rule["conditions"][0]
    assert ("time", "not_within", "office", "2024-06-03T18:00:00+00:00 (office closed)", True) == (
        condition["field"],
        condition["op"],
        condition["expected"],
        condition["actual"],
        condition["result"],
    )


# -- load errors and ranges --------------------------------------------------------------------


NOTIFY = "{notify: {to: [assignee]}}"


def rule_text(when: str) -> str:
    return CALENDARS + f"rules:\n  - id: r\n    when: {when}\n    then: {NOTIFY}\n"


def load_error(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        loads(yaml_text(text), filename="p.yaml")
    return caught.value


def test_an_unknown_calendar_is_a_load_error_with_a_suggestion_and_position() -> None:
    error = load_error(
        CALENDARS
        + "rules:\n  - id: r\n    when: {within: ofice}\n    then: {notify: {to: [assignee]}}\n"
    )
    assert (
        "p.yaml:15:12: rules[0].when.within: unknown calendar 'ofice' (calendars: 24x7, office, "
        "weekend) (did you mean 'office'?)"
    ) == str(error)


def test_a_misspelt_within_suggests_it() -> None:
    error = load_error(
        CALENDARS
        + "rules:\n  - id: r\n    when: {withn: office}\n    then: {notify: {to: [assignee]}}\n"
    )
    assert "did you mean 'within'?" in str(error)


def test_within_takes_a_calendar_name() -> None:
    error = load_error(
        CALENDARS
        + "rules:\n  - id: r\n    when: {within: [office]}\n    then: {notify: {to: [assignee]}}\n"
    )
    assert "within takes the name of a calendar, got ['office']" == error.message


def test_a_condition_that_names_two_calendars_is_a_load_error() -> None:
    when = "{any: [{within: office}, {within: weekend}]}"
    error = load_error(CALENDARS + f"rules:\n  - id: r\n    when: {when}\n    then: {NOTIFY}\n")
    assert error.message.startswith("one condition tests one calendar; this one names office")


def test_a_time_test_in_a_path_criterion_is_a_load_error() -> None:
    text = (
        CALENDARS
        + "paths:\n  p:\n    kind: vertical\n    when: {within: office}\n"
        + "    levels: [{name: a, targets: ['team:a']}]\n"
    )
    error = load_error(text)
    assert (("paths", "p", "when", "within"), True) == (
        error.path,
        "time tests belong in rule conditions" in error.message,
    )


def test_an_instant_outside_the_calendar_years_is_a_range_error() -> None:
    with pytest.raises(CalendarRangeError):
        one_rule("{within: office}").evaluate(
            ticket("2026-01-05T09:00:00+00:00"), now=utc("2026-01-05T10:00:00+00:00")
        )


# -- properties --------------------------------------------------------------------------------

# Tickets for the properties: opened on a whole hour in June 2024, with priority changes and a
# resolution on whole hours, evaluated at any minute. Every boundary of the office calendar and
# of the history lies on a whole hour, so checking each hour is an exact reference.
START = datetime(2024, 6, 1, tzinfo=UTC)
PRIORITIES = ("P1", "P2", "P3")


@st.composite
def histories(draw: st.DrawFn, max_days: int = 30) -> tuple[dict[str, Any], datetime]:
    opened = START + timedelta(hours=draw(st.integers(0, 24 * 10)))
    priority = draw(st.sampled_from(PRIORITIES))
    events: list[dict[str, Any]] = []
    hour = opened
    for _ in range(draw(st.integers(0, 6))):
        hour += timedelta(hours=draw(st.integers(0, 24 * 3)))
        new = draw(st.sampled_from(PRIORITIES))
        if new != priority:
            events.append(
                {"at": hour, "type": "priority-changed", "priority": new, "from_priority": priority}
            )
            priority = new
    now = hour + timedelta(minutes=draw(st.integers(0, 24 * 60 * max_days)))
    data: dict[str, Any] = {"id": "T1", "opened_at": opened, "priority": priority}
    if events:
        data["events"] = events
    return data, now


def priority_at(data: dict[str, Any], instant: datetime) -> str:
    current = data["priority"]
    for change in reversed(data.get("events", [])):
        if change["at"] <= instant:
            return str(change["priority"])
        current = change["from_priority"]
    return str(current)


def office_open(instant: datetime) -> bool:
    return instant.weekday() < 5 and (8 <= instant.hour < 12 or 13 <= instant.hour < 17)


def reference_start(data: dict[str, Any], now: datetime, holds: Any) -> datetime | None:
    """The start of the stretch holding at ``now``, hour by hour (None: not holding now)."""
    if not holds(now):
        return None
    start = now.replace(minute=0, second=0, microsecond=0)
    opened = data["opened_at"]
    while start > opened and holds(start - timedelta(hours=1)):
        start -= timedelta(hours=1)
    return max(start, opened)


WHEN = "{within: office, priority: [P1, P2]}"
WHEN_NOT = "{not_within: office, priority: [P1, P2]}"


@PROPERTY
@given(case=histories(), outside=st.booleans())
def test_the_stamp_of_a_matched_time_rule_is_where_its_stretch_began(
    case: tuple[dict[str, Any], datetime], outside: bool
) -> None:
    data, now = case
    p = one_rule(WHEN_NOT if outside else WHEN)

    def holds(instant: datetime) -> bool:
        return office_open(instant) is not outside and priority_at(data, instant) != "P3"

    expected = reference_start(data, now, holds)
    decision = p.evaluate(data, now=now)
    if expected is None:
        assert [] == due_ids(decision)
    else:
        assert [f"T1:rule:r:{expected:%Y%m%dT%H%M%S}Z:notify0"] == due_ids(decision)


@PROPERTY
@given(case=histories(max_days=10))
def test_stretches_follow_every_window_and_change(case: tuple[dict[str, Any], datetime]) -> None:
    data, now = case
    p = one_rule(WHEN)
    tkt = Ticket.from_mapping(data)
    facts = Facts(prepare(p, tkt, now, Availability.from_mapping(None)))
    rule = p.rules[0]

    def holds(instant: datetime) -> bool:
        return office_open(instant) and priority_at(data, instant) != "P3"

    expected: list[tuple[datetime, datetime | None]] = []
    hour = data["opened_at"]
    began: datetime | None = None
    while hour <= now:
        if holds(hour) and began is None:
            began = hour
        elif not holds(hour) and began is not None:
            expected.append((began, hour))
            began = None
        hour += timedelta(hours=1)
    if holds(now):
        expected.append((began if began is not None else now, None))
    elif began is not None:
        expected.append((began, now))
    assert expected == facts.stretches(rule.when, rule.fields)


@PROPERTY
@given(case=histories(), minute=st.integers(0, 60 * 24 * 14))
def test_within_and_not_within_partition_every_instant(
    case: tuple[dict[str, Any], datetime], minute: int
) -> None:
    data, now = case
    now += timedelta(minutes=minute)
    inside = rule_status(one_rule("{within: office}").evaluate(data, now=now), "r")
    outside = rule_status(one_rule("{not_within: office}").evaluate(data, now=now), "r")
    assert {inside, outside} == {"matched", "not-matched"}


def without_time(decision: Decision) -> tuple[object, ...]:
    return (
        [(a.id, a.due_at, a.kind) for a in decision.actions],
        {name: (s.level_name, s.entered_at) for name, s in decision.paths.items()},
        decision.next_evaluation_at,
    )


WITH_24X7 = AFTER_HOURS.replace("not_within: office", "within: 24x7").replace(
    ", within: office", ", within: 24x7"
)
WITHOUT = AFTER_HOURS.replace(", not_within: office", "").replace(", within: office", "")


@PROPERTY
@given(case=histories())
def test_within_24x7_is_the_same_as_no_time_test(case: tuple[dict[str, Any], datetime]) -> None:
    data, now = case
    assert "office" not in WITH_24X7.split("rules:")[1]
    assert without_time(policy(WITHOUT).evaluate(data, now=now)) == without_time(
        policy(WITH_24X7).evaluate(data, now=now)
    )


def shape(decision: Decision) -> tuple[object, ...]:
    return (
        tuple(sorted(action.id for action in decision.actions)),
        tuple((name, s.active, s.level_index, s.round) for name, s in decision.paths.items()),
        tuple(sorted((r.rule.id, r.status) for r in decision.rule_results if r.status != "done")),
    )


def actions_and_paths(decision: Decision) -> tuple[object, ...]:
    """Due action ids, path levels and clock states: what only changes at next_evaluation_at."""
    clocks = tuple((name, c.state, c.breached) for name, c in decision.clocks.items())
    return (*shape(decision)[:2], clocks)


@PROPERTY
@given(case=histories(max_days=6), records=st.booleans())
def test_next_evaluation_at_is_sound_for_time_rules(
    case: tuple[dict[str, Any], datetime], records: bool
) -> None:
    """Nothing due changes before next_evaluation_at, and something does at it."""
    data, now = case
    p = policy(AFTER_HOURS)
    tkt = Ticket.from_mapping(data)
    for _ in range(4):
        decision = p.evaluate(tkt, now=now)
        if decision.actions and records:
            recorded = tkt.to_dict()
            done = [{"at": now, "type": "action-done", "action_id": a.id} for a in decision.actions]
            recorded["events"] = [*recorded["events"], *done]  # type: ignore[misc]
            tkt = Ticket.from_mapping(recorded)
            decision = p.evaluate(tkt, now=now)
        wake_at = decision.next_evaluation_at
        if wake_at is None:
            later = p.evaluate(tkt, now=now + timedelta(days=20))
            assert actions_and_paths(later) == actions_and_paths(decision)
            return
        assert wake_at > now
        for instant in (now + (wake_at - now) / 2, wake_at - timedelta(microseconds=1)):
            assert actions_and_paths(p.evaluate(tkt, now=instant)) == actions_and_paths(decision), (
                f"changed at {iso(instant)}, before {iso(wake_at)}"
            )
        assert actions_and_paths(p.evaluate(tkt, now=wake_at)) != actions_and_paths(decision), (
            f"nothing changed at {iso(wake_at)}"
        )
        now = wake_at


# -- the JSON Schema ---------------------------------------------------------------------------


def test_the_policy_schema_types_within_and_not_within_as_calendar_names() -> None:
    schema = json_schema("policy")
    data = yaml.safe_load(yaml_text(AFTER_HOURS))
    jsonschema.validate(data, schema)  # a policy with time tests is valid
    data["rules"][0]["when"]["not_within"] = ["office"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


# -- the first-stretch shortcut for vertical paths ----------------------------------------------

# The same policy twice: a vertical path without repeat (only the first stretch of the night
# rule after the path's start is looked at) and with `repeat: 1` but a last level without a
# timer, which never wraps, so it behaves the same while every stretch is handed to the path.
SHORTCUT = (
    CALENDARS
    + """
paths:
  desk:
    kind: vertical
    REPEAT
    levels:
      - {name: L1, targets: ["team:desk"], after: 12h}
      - {name: L2, targets: ["team:night"], after: 2h, ack_timeout: 1h}
      - {name: L3, targets: ["team:managers"]}
rules:
  - id: night
    when: {priority: [P1, P2], not_within: office}
    then: {escalate: {path: desk, to: L2}}
"""
)


def path_view(decision: Decision) -> tuple[object, ...]:
    return (
        due_ids(decision),
        {name: (s.level_name, s.entered_at, s.reason) for name, s in decision.paths.items()},
        decision.next_evaluation_at,
    )


@PROPERTY
@given(case=histories(), acks=st.lists(st.integers(0, 24 * 30), max_size=3))
def test_only_the_first_stretch_moves_a_vertical_path_without_rounds(
    case: tuple[dict[str, Any], datetime], acks: list[int]
) -> None:
    data, now = case
    acked = sorted(data["opened_at"] + timedelta(hours=h) for h in acks)
    events = [*data.get("events", []), *({"at": a, "type": "acknowledged"} for a in acked)]
    data = {**data, "events": sorted((e for e in events if e["at"] <= now), key=lambda e: e["at"])}
    shortcut = policy(SHORTCUT.replace("REPEAT", "repeat: 0"))
    every = policy(SHORTCUT.replace("REPEAT", "repeat: 1"))
    assert path_view(shortcut.evaluate(data, now=now)) == path_view(every.evaluate(data, now=now))


def test_an_override_down_lets_the_next_closing_escalate_again() -> None:
    # Escalated to L2 when the office closed for lunch on Monday (12:00); put back to L1 by
    # hand on Tuesday at 09:00; Tuesday's lunch break asks for L2 again and gets it (every
    # stretch is handed to a path with overrides).
    override = {
        "type": "override",
        "actor": "anna",
        "reason": "handled by the desk",
        "path": "desk",
        "level": "L1",
    }
    tkt = ticket(at(MON, "10:00"), {"at": at("2024-06-04", "09:00"), **override})
    decision = policy(SHORTCUT.replace("REPEAT", "repeat: 0")).evaluate(
        tkt, now=utc(at("2024-06-04", "12:30"))
    )
    state = decision.paths["desk"]
    assert ("L2", utc(at("2024-06-04", "12:00")), "rule:night") == (
        state.level_name,
        state.entered_at,
        state.reason,
    )


def test_a_field_change_inside_the_window_stamps_the_change() -> None:
    recategorised = {"type": "field-changed", "field": "category", "from": "other", "to": "network"}
    tkt = ticket(at(MON, "07:00"), {"at": at(MON, "10:15"), **recategorised}, category="network")
    decision = one_rule("{within: office, category: network}").evaluate(
        tkt, now=utc(at(MON, "11:00"))
    )
    assert ["T1:rule:r:20240603T101500Z:notify0"] == due_ids(decision)


REENTERED = """
policy: p
version: 1
calendars:
  office: {timezone: UTC, hours: {mon-fri: ["09:00-17:00"]}, holidays: {years: [2024, 2025]}}
paths:
  vendor:
    kind: horizontal
    reenter: true
    levels: [{name: noc, targets: [team:noc]}]
directory:
  people: {ann: {name: Ann, channels: {email: a@x.example}}}
  teams: {noc: {members: [ann]}}
rules:
  - id: office-transfer
    when: {priority: P1, within: office}
    then: {transfer: {path: vendor}}
"""


def test_a_time_rule_wakes_for_its_next_window_when_it_enters_its_path_again() -> None:
    # The path is already at the level the rule asks for, but with reenter the next window's
    # stretch is a new entry: a new transfer is due then, so the caller must wake.
    reentering = loads(REENTERED)
    opened = {"id": "T", "opened_at": "2024-06-03T10:00:00Z", "priority": "P1"}

    evening = reentering.evaluate(opened, now=utc("2024-06-03T18:00+00:00"))
    morning = reentering.evaluate(opened, now=utc("2024-06-04T09:00+00:00"))

    assert utc("2024-06-04T09:00+00:00") == evening.next_evaluation_at
    assert ["T:path:vendor:1:20240603T100000Z:0:noc"] == [a.id for a in evening.actions]
    assert ["T:path:vendor:1:20240604T090000Z:0:noc"] == [a.id for a in morning.actions]
