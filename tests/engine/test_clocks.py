"""SLA clocks: start/stop/pause triggers, cycles, business and wall time, targets and rungs.

Every expected instant below was worked out by hand. The office calendar is UTC, Monday to
Friday 08:00-17:00 (9 working hours a day); 2024-11-22 is a Friday, 2024-11-25 a Monday.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from escalate.calendars._durations import parse_duration
from escalate.engine.clocks import ClockState, cycles_as_of, run_cycles, wall_amount_us
from escalate.engine.decision import Decision
from escalate.errors import PolicyError
from tests.policy_helpers import OFFICE, action_ids, event, iso, policy, ticket, utc

FRI_2100 = "2024-11-22T21:00:00+00:00"

# The ServiceNow documentation's example, with our own numbers: an 8 h SLA on an office schedule
# for a ticket opened on Friday evening, paused while waiting for the caller.
OFFICE_CLOCK = (
    OFFICE
    + """
clocks:
  res:
    pause: {status: [awaiting-user-info]}
    stop: {status: [resolved, closed]}
    targets:
      P1: {within: 4h}
      P2: {within: 8h, calendar: office}
      P3: {within: 3bd, calendar: office}
      P4: {within: 1bd, calendar: office}
"""
)

# A plain 4 h wall-clock clock with a three-rung ladder.
WALL_CLOCK = """
clocks:
  res:
    stop: {status: [resolved, closed]}
    new_cycle_on: [reopened]
    targets: {default: {within: 4h}}
    ladder:
      - {at: 50%, notify: {to: [assignee]}}
      - {at: 75%, notify: {to: [assignee]}}
      - {at: 100%, notify: {to: ["role:owner"]}}
"""


def clock(decision: Decision, name: str = "res") -> ClockState:
    return decision.clock(name)


def evaluate(body: str, tkt: dict[str, object], now: str) -> Decision:
    return policy(body).evaluate(tkt, now=utc(now))


# -- business time, wall time, pauses ------------------------------------------------------------


def test_a_business_clock_opened_on_friday_evening_counts_nothing_until_monday_morning() -> None:
    decision = evaluate(OFFICE_CLOCK, ticket(FRI_2100, priority="P2"), "2024-11-25T08:00:00+00:00")
    assert ("running", timedelta(0), timedelta(hours=59)) == (
        clock(decision).state,
        clock(decision).elapsed,
        clock(decision).elapsed_wall,
    )


def test_a_business_clock_breaches_after_eight_working_hours_on_monday() -> None:
    decision = evaluate(OFFICE_CLOCK, ticket(FRI_2100, priority="P2"), "2024-11-25T10:00:00+00:00")
    assert utc("2024-11-25T16:00:00+00:00") == clock(decision).breach_at


def test_business_and_wall_elapsed_are_reported_side_by_side() -> None:
    decision = evaluate(OFFICE_CLOCK, ticket(FRI_2100, priority="P2"), "2024-11-25T10:00:00+00:00")
    expected = {"elapsed": "2h", "elapsed_wall": "2d13h", "remaining": "6h", "percent": "25.00"}
    actual = clock(decision).to_dict()
    assert expected == {key: actual[key] for key in expected}


def paused_ticket(*more: dict[str, object]) -> dict[str, object]:
    """Friday 21:00, P2; waiting for the caller on Monday from 09:00 to 11:30."""
    return ticket(
        FRI_2100,
        event("2024-11-25T09:00:00+00:00", "status-changed", status="awaiting-user-info"),
        *more,
        priority="P2",
    )


def test_a_paused_clock_has_no_breach_instant() -> None:
    decision = evaluate(OFFICE_CLOCK, paused_ticket(), "2024-11-25T10:00:00+00:00")
    assert ("paused", utc("2024-11-25T09:00:00+00:00"), None) == (
        clock(decision).state,
        clock(decision).paused_since,
        clock(decision).breach_at,
    )


def test_a_paused_clock_does_not_count_elapsed_time() -> None:
    decision = evaluate(OFFICE_CLOCK, paused_ticket(), "2024-11-25T16:00:00+00:00")
    assert (timedelta(hours=1), timedelta(hours=60)) == (
        clock(decision).elapsed,
        clock(decision).elapsed_wall,
    )


def test_a_paused_clock_gives_no_next_evaluation() -> None:
    decision = evaluate(OFFICE_CLOCK, paused_ticket(), "2024-11-25T10:00:00+00:00")
    assert decision.next_evaluation_at is None


def test_a_resumed_clock_moves_its_breach_by_the_paused_working_time() -> None:
    # 1 h before the pause, 30 min after it by 12:00; 6 h 30 min left: 12:00-17:00 and 1 h 30 min
    # on Tuesday morning.
    resumed = paused_ticket(
        event("2024-11-25T11:30:00+00:00", "status-changed", status="in-progress")
    )
    decision = evaluate(OFFICE_CLOCK, resumed, "2024-11-25T12:00:00+00:00")
    assert (timedelta(hours=1, minutes=30), utc("2024-11-26T09:30:00+00:00")) == (
        clock(decision).elapsed,
        clock(decision).breach_at,
    )


def test_the_next_evaluation_of_a_resumed_clock_is_its_breach() -> None:
    resumed = paused_ticket(
        event("2024-11-25T11:30:00+00:00", "status-changed", status="in-progress")
    )
    decision = evaluate(OFFICE_CLOCK, resumed, "2024-11-25T12:00:00+00:00")
    assert utc("2024-11-26T09:30:00+00:00") == decision.next_evaluation_at


def test_a_ticket_without_status_events_is_in_its_given_status_since_opening() -> None:
    tkt = ticket(FRI_2100, priority="P2", status="awaiting-user-info")
    decision = evaluate(OFFICE_CLOCK, tkt, "2024-11-25T10:00:00+00:00")
    assert ("paused", utc(FRI_2100), timedelta(0)) == (
        clock(decision).state,
        clock(decision).paused_since,
        clock(decision).elapsed,
    )


def test_the_status_before_the_first_status_event_is_new_not_the_final_status() -> None:
    # The ticket ends awaiting the caller, but it was "new" (not paused) until 09:00 Monday.
    decision = evaluate(OFFICE_CLOCK, paused_ticket(), "2024-11-25T10:00:00+00:00")
    assert timedelta(hours=1) == clock(decision).elapsed


# -- targets -------------------------------------------------------------------------------------


def test_a_business_day_target_ends_at_the_same_wall_time_three_working_days_later() -> None:
    # Wednesday 10:00 + 3bd = Monday 10:00: 7 h + 9 h + 9 h + 2 h = 27 working hours.
    tkt = ticket("2024-11-20T10:00:00+00:00", priority="P3")
    decision = evaluate(OFFICE_CLOCK, tkt, "2024-11-21T10:00:00+00:00")
    assert (timedelta(hours=27), utc("2024-11-25T10:00:00+00:00")) == (
        clock(decision).target,
        clock(decision).breach_at,
    )


def test_a_business_day_target_skips_a_closed_day() -> None:
    body = OFFICE_CLOCK.replace(
        "    years: [2024, 2025]\n",
        "    years: [2024, 2025]\n    closures: {'2024-11-21': ['00:00-24:00']}\n",
    )
    tkt = ticket("2024-11-20T10:00:00+00:00", priority="P3")
    decision = evaluate(body, tkt, "2024-11-21T10:00:00+00:00")
    assert utc("2024-11-26T10:00:00+00:00") == clock(decision).breach_at


def test_a_one_business_day_target_from_friday_evening_breaches_when_monday_closes() -> None:
    # Friday 21:00 + 1bd = Monday 21:00; the 9 working hours in between are used up at 17:00.
    decision = evaluate(OFFICE_CLOCK, ticket(FRI_2100, priority="P4"), "2024-11-25T10:00:00+00:00")
    assert (timedelta(hours=9), utc("2024-11-25T17:00:00+00:00")) == (
        clock(decision).target,
        clock(decision).breach_at,
    )


def test_a_default_target_catches_priorities_without_their_own() -> None:
    body = """
    clocks:
      res:
        stop: {status: [resolved]}
        targets: {P1: {within: 1h}, default: {within: 2h}}
    """
    decision = evaluate(body, ticket(priority="P7"), "2024-11-20T10:30:00+00:00")
    assert ("2h", utc("2024-11-20T12:00:00+00:00")) == (
        clock(decision).target_text,
        clock(decision).breach_at,
    )


def test_a_clock_without_a_target_for_the_priority_is_not_applicable() -> None:
    decision = evaluate(OFFICE_CLOCK, ticket(priority="P5"), "2024-11-20T11:00:00+00:00")
    expected = {"state": "not-applicable", "target": None, "remaining": None, "breach_at": None}
    actual = clock(decision).to_dict()
    assert expected == {key: actual[key] for key in expected}


def test_a_clock_on_a_ticket_without_priority_is_not_applicable() -> None:
    tkt = ticket()
    del tkt["priority"]
    decision = evaluate(OFFICE_CLOCK, tkt, "2024-11-20T11:00:00+00:00")
    assert "not-applicable" == clock(decision).state


# -- breach, remaining, percent ------------------------------------------------------------------


def test_a_wall_clock_breaches_exactly_at_its_target() -> None:
    at_breach = evaluate(WALL_CLOCK, ticket(), "2024-11-20T14:00:00+00:00")
    just_before = evaluate(WALL_CLOCK, ticket(), "2024-11-20T13:59:59.999999+00:00")
    assert (True, False) == (clock(at_breach).breached, clock(just_before).breached)


def test_remaining_is_negative_after_the_breach() -> None:
    decision = evaluate(WALL_CLOCK, ticket(), "2024-11-20T15:30:00+00:00")
    assert (timedelta(hours=-1, minutes=-30), "-1h30m") == (
        clock(decision).remaining,
        clock(decision).to_dict()["remaining"],
    )


def test_percent_is_exact_and_rendered_with_two_decimals() -> None:
    decision = evaluate(WALL_CLOCK, ticket(), "2024-11-20T11:20:00+00:00")
    assert ("33.33", 100 * timedelta(minutes=80) / timedelta(hours=4)) == (
        clock(decision).to_dict()["percent"],
        float(clock(decision).percent or 0),
    )


def test_a_breached_clock_stays_breached_after_it_stops() -> None:
    tkt = ticket(
        "2024-11-20T10:00:00+00:00",
        event("2024-11-20T15:00:00+00:00", "resolved"),
        status="resolved",
    )
    decision = evaluate(WALL_CLOCK, tkt, "2024-11-21T10:00:00+00:00")
    assert ("stopped", True, utc("2024-11-20T14:00:00+00:00"), timedelta(hours=5)) == (
        clock(decision).state,
        clock(decision).breached,
        clock(decision).breach_at,
        clock(decision).elapsed,
    )


def test_a_clock_stopped_before_its_target_has_no_breach_instant() -> None:
    tkt = ticket(
        "2024-11-20T10:00:00+00:00",
        event("2024-11-20T11:00:00+00:00", "resolved"),
        status="resolved",
    )
    decision = evaluate(WALL_CLOCK, tkt, "2024-11-21T10:00:00+00:00")
    assert ("stopped", None, iso(utc("2024-11-20T11:00:00+00:00"))) == (
        clock(decision).state,
        clock(decision).breach_at,
        clock(decision).to_dict()["stopped_at"],
    )


# -- triggers ------------------------------------------------------------------------------------


def test_a_clock_starts_on_entering_a_start_status() -> None:
    body = """
    clocks:
      work:
        start: {status: [in-progress]}
        stop: {status: [resolved]}
        targets: {default: {within: 4h}}
    """
    tkt = ticket(
        "2024-11-20T10:00:00+00:00",
        event("2024-11-20T10:30:00+00:00", "status-changed", status="in-progress"),
    )
    decision = evaluate(body, tkt, "2024-11-20T11:00:00+00:00")
    assert (utc("2024-11-20T10:30:00+00:00"), timedelta(minutes=30)) == (
        clock(decision, "work").started_at,
        clock(decision, "work").elapsed,
    )


def test_a_clock_that_has_not_met_its_start_trigger_is_not_started() -> None:
    body = """
    clocks:
      work:
        start: {status: [in-progress]}
        stop: {status: [resolved]}
        targets: {default: {within: 4h}}
    """
    decision = evaluate(body, ticket(), "2024-11-20T11:00:00+00:00")
    assert ("not-started", None, None) == (
        clock(decision, "work").state,
        clock(decision, "work").started_at,
        clock(decision, "work").breach_at,
    )


def test_an_event_trigger_fires_on_its_event_type() -> None:
    body = """
    clocks:
      response:
        start: {event: assigned}
        stop: {event: [acknowledged, first-response]}
        targets: {default: {within: 30m}}
    """
    tkt = ticket(
        "2024-11-20T10:00:00+00:00",
        event("2024-11-20T10:05:00+00:00", "assigned", group="desk"),
        event("2024-11-20T10:25:00+00:00", "first-response"),
    )
    decision = evaluate(body, tkt, "2024-11-20T11:00:00+00:00")
    assert ("stopped", timedelta(minutes=20)) == (
        clock(decision, "response").state,
        clock(decision, "response").elapsed,
    )


def test_stop_wins_over_start_at_the_same_step() -> None:
    body = """
    clocks:
      res:
        start: {event: created}
        stop: {status: [resolved]}
        targets: {default: {within: 4h}}
    """
    # Imported already resolved: the creation both starts and stops the clock.
    tkt = ticket(status="resolved")
    decision = evaluate(body, tkt, "2024-11-20T11:00:00+00:00")
    assert ("not-started", timedelta(0)) == (clock(decision).state, clock(decision).elapsed)


def test_a_status_trigger_does_not_fire_on_an_event_that_keeps_the_status() -> None:
    body = """
    clocks:
      work:
        start: {status: [in-progress]}
        stop: {status: [resolved]}
        targets: {default: {within: 4h}}
    """
    tkt = ticket(
        "2024-11-20T10:00:00+00:00",
        event("2024-11-20T10:10:00+00:00", "status-changed", status="in-progress"),
        event("2024-11-20T10:20:00+00:00", "status-changed", status="in-progress"),
    )
    decision = evaluate(body, tkt, "2024-11-20T11:00:00+00:00")
    assert utc("2024-11-20T10:10:00+00:00") == clock(decision, "work").started_at


def test_a_trigger_with_event_and_status_needs_both() -> None:
    body = """
    clocks:
      work:
        start: {event: status-changed, status: in-progress}
        stop: {status: [resolved]}
        targets: {default: {within: 4h}}
    """
    tkt = ticket(
        "2024-11-20T10:00:00+00:00",
        event("2024-11-20T10:10:00+00:00", "resolved"),
        event("2024-11-20T10:20:00+00:00", "reopened"),
        event("2024-11-20T10:30:00+00:00", "status-changed", status="on-hold"),
        event("2024-11-20T10:40:00+00:00", "status-changed", status="in-progress"),
    )
    decision = evaluate(body, tkt, "2024-11-20T11:00:00+00:00")
    assert utc("2024-11-20T10:40:00+00:00") == clock(decision, "work").started_at


# -- cycles --------------------------------------------------------------------------------------


def reopened_ticket() -> dict[str, object]:
    return ticket(
        "2024-11-20T10:00:00+00:00",
        event("2024-11-20T11:00:00+00:00", "resolved"),
        event("2024-11-20T13:00:00+00:00", "reopened"),
    )


def test_a_reopen_starts_a_new_cycle_for_a_clock_that_declares_it() -> None:
    decision = evaluate(WALL_CLOCK, reopened_ticket(), "2024-11-20T14:00:00+00:00")
    assert (2, "running", utc("2024-11-20T13:00:00+00:00"), timedelta(hours=1)) == (
        clock(decision).cycle,
        clock(decision).state,
        clock(decision).started_at,
        clock(decision).elapsed,
    )


def test_a_reopen_leaves_a_clock_without_new_cycle_on_stopped() -> None:
    body = WALL_CLOCK.replace("    new_cycle_on: [reopened]\n", "")
    decision = evaluate(body, reopened_ticket(), "2024-11-20T14:00:00+00:00")
    assert (1, "stopped", timedelta(hours=1)) == (
        clock(decision).cycle,
        clock(decision).state,
        clock(decision).elapsed,
    )


def test_a_reopen_while_running_closes_the_cycle_and_starts_the_next() -> None:
    tkt = ticket(
        "2024-11-20T10:00:00+00:00",
        event("2024-11-20T12:00:00+00:00", "reopened"),
    )
    decision = evaluate(WALL_CLOCK, tkt, "2024-11-20T12:30:00+00:00")
    assert (2, timedelta(minutes=30)) == (clock(decision).cycle, clock(decision).elapsed)


def test_the_rungs_of_a_new_cycle_are_new_trigger_instances() -> None:
    # Cycle 1 ran 1 h (25 %) before the resolution; cycle 2 has run 2 h (50 %) since the reopen.
    decision = evaluate(WALL_CLOCK, reopened_ticket(), "2024-11-20T15:00:00+00:00")
    assert ["T1:clock:res#2@0:notify0"] == action_ids(decision)


PRIORITY_CLOCK = """
clocks:
  res:
    stop: {status: [resolved]}
    ON_CHANGE
    targets: {P1: {within: 4h}, P3: {within: 8h}}
    ladder:
      - {at: 50%, notify: {to: [assignee]}}
      - {at: 75%, notify: {to: [assignee]}}
      - {at: 100%, notify: {to: ["role:owner"]}}
"""


def raised_to_p1() -> dict[str, object]:
    """Opened as P3 at 10:00, raised to P1 at 15:00."""
    return ticket(
        "2024-11-20T10:00:00+00:00",
        event("2024-11-20T15:00:00+00:00", "priority-changed", priority="P1", from_priority="P3"),
        priority="P1",
    )


def test_a_priority_change_applies_the_new_target_from_the_cycle_start() -> None:
    body = PRIORITY_CLOCK.replace("ON_CHANGE", "on_priority_change: retroactive")
    decision = evaluate(body, raised_to_p1(), "2024-11-20T15:00:00+00:00")
    assert (1, timedelta(hours=4), utc("2024-11-20T14:00:00+00:00"), True) == (
        clock(decision).cycle,
        clock(decision).target,
        clock(decision).breach_at,
        clock(decision).breached,
    )


def test_a_retroactive_priority_change_makes_passed_rungs_due_at_once_collapsed() -> None:
    body = PRIORITY_CLOCK.replace("ON_CHANGE", "on_priority_change: retroactive")
    decision = evaluate(body, raised_to_p1(), "2024-11-20T15:00:00+00:00")
    action = decision.actions[0]
    assert (["T1:clock:res#1@2:notify0"], utc("2024-11-20T14:00:00+00:00"), True) == (
        action_ids(decision),
        action.due_at,
        action.late,
    )


def test_a_restarting_clock_starts_a_new_cycle_on_a_priority_change() -> None:
    body = PRIORITY_CLOCK.replace("ON_CHANGE", "on_priority_change: restart")
    decision = evaluate(body, raised_to_p1(), "2024-11-20T16:00:00+00:00")
    assert (2, utc("2024-11-20T15:00:00+00:00"), timedelta(hours=1)) == (
        clock(decision).cycle,
        clock(decision).started_at,
        clock(decision).elapsed,
    )


def test_a_restarted_clock_breaches_a_full_target_after_the_change() -> None:
    body = PRIORITY_CLOCK.replace("ON_CHANGE", "on_priority_change: restart")
    decision = evaluate(body, raised_to_p1(), "2024-11-20T16:00:00+00:00")
    assert (utc("2024-11-20T19:00:00+00:00"), []) == (
        clock(decision).breach_at,
        action_ids(decision),
    )


# -- rungs ---------------------------------------------------------------------------------------


def test_a_rung_is_reached_exactly_at_its_share_of_the_target() -> None:
    at_half = evaluate(WALL_CLOCK, ticket(), "2024-11-20T12:00:00+00:00")
    assert (["T1:clock:res#1@0:notify0"], False) == (
        action_ids(at_half),
        at_half.actions[0].late,
    )


def test_a_rung_is_not_reached_one_microsecond_before_its_share() -> None:
    decision = evaluate(WALL_CLOCK, ticket(), "2024-11-20T11:59:59.999999+00:00")
    assert ([], utc("2024-11-20T12:00:00+00:00")) == (
        action_ids(decision),
        decision.next_evaluation_at,
    )


RAGGED = """
clocks:
  res:
    stop: {status: [resolved]}
    targets: {default: {within: 1s}}
    ladder:
      - {at: 12.34567%, notify: {to: [assignee]}}
"""


def test_a_rung_share_that_is_not_a_whole_microsecond_rounds_up() -> None:
    # 12.34567 % of 1 s is 123456.7 us: the rung is reached at 123457 us, not before.
    decision = evaluate(RAGGED, ticket(), "2024-11-20T10:00:00.123456+00:00")
    assert utc("2024-11-20T10:00:00.123457+00:00") == decision.next_evaluation_at


def test_a_rung_share_that_is_not_a_whole_microsecond_is_reached_at_the_rounded_instant() -> None:
    decision = evaluate(RAGGED, ticket(), "2024-11-20T10:00:00.123457+00:00")
    assert ["T1:clock:res#1@0:notify0"] == action_ids(decision)


def test_a_business_clock_rung_is_reached_in_working_time() -> None:
    body = (
        OFFICE
        + """
clocks:
  res:
    stop: {status: [resolved]}
    targets: {default: {within: 8h, calendar: office}}
    ladder:
      - {at: 75%, notify: {to: [assignee]}}
"""
    )
    # 6 working hours from Friday 21:00: Monday 14:00.
    decision = evaluate(body, ticket(FRI_2100), "2024-11-25T14:30:00+00:00")
    assert utc("2024-11-25T14:00:00+00:00") == decision.actions[0].due_at


def test_the_next_evaluation_of_a_running_clock_is_its_next_rung() -> None:
    decision = evaluate(WALL_CLOCK, ticket(), "2024-11-20T12:30:00+00:00")
    assert utc("2024-11-20T13:00:00+00:00") == decision.next_evaluation_at


def test_the_next_evaluation_after_the_last_rung_is_none() -> None:
    decision = evaluate(WALL_CLOCK, ticket(), "2024-11-20T15:00:00+00:00")
    assert decision.next_evaluation_at is None


def test_a_stopped_clock_gives_no_next_evaluation() -> None:
    tkt = ticket(
        "2024-11-20T10:00:00+00:00",
        event("2024-11-20T11:00:00+00:00", "resolved"),
        status="resolved",
    )
    decision = evaluate(WALL_CLOCK, tkt, "2024-11-20T11:30:00+00:00")
    assert decision.next_evaluation_at is None


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("0%", "expected a percentage of the target like '75%' (0 < p <= 1000%), got '0%'"),
        ("75", "expected a percentage of the target like '75%' (0 < p <= 1000%), got '75'"),
    ],
)
def test_a_rung_share_must_be_a_positive_percentage(at: str, message: str) -> None:
    body = f"""
    clocks:
      res:
        stop: {{status: [resolved]}}
        targets: {{default: {{within: 1h}}}}
        ladder:
          - {{at: "{at}", notify: {{to: [assignee]}}}}
    """
    with pytest.raises(PolicyError) as caught:
        policy(body)
    assert (message, ("clocks", "res", "ladder", 0, "at")) == (
        caught.value.message,
        caught.value.path,
    )


def test_a_cycle_cut_at_an_instant_shares_the_cached_amounts_of_the_whole_history() -> None:
    """Every cycle run_cycles folds has one amounts cache, which its copies as of an earlier
    instant share: a ``bd`` target is worked out on the calendar once per cycle. An entry holds
    its calendar, so the id in its key names no other calendar while the entry lives."""
    pol = policy(OFFICE_CLOCK)
    res = next(c for c in pol.clocks if c.name == "res")
    office = pol.calendars["office"]
    opened = utc(FRI_2100)
    paused, resumed = opened + timedelta(days=3), opened + timedelta(days=4)
    steps = [
        (opened, "created", "new", "new"),
        (paused, "status-changed", "new", "awaiting-user-info"),
        (resumed, "status-changed", "awaiting-user-info", "in-progress"),
    ]
    (cycle,) = run_cycles(res, steps)
    (copy,) = cycles_as_of([cycle], paused + timedelta(hours=1))
    assert (copy.pauses, copy.amounts) == ([(paused, None)], {})
    assert copy.amounts is cycle.amounts
    three_days = parse_duration("3bd", ("within",))
    amount = wall_amount_us(copy, office, three_days)
    assert {(id(office), 3, 0): (office, amount)} == cycle.amounts
    assert amount == wall_amount_us(cycle, office, three_days)
    assert 3 * 9 * 3600 * 10**6 == amount  # three office days of 9 working hours
