"""Ladder rungs at a percentage, an elapsed duration (``after``) or a lead before the breach
(``before_breach``): when each is reached, the order they are reached in, load errors and lint
(docs/policy-reference.md, "`ladder` and rungs")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from escalate import CalendarRangeError, Decision, Finding, Policy, PolicyError, lint, loads
from escalate.testing import strategies as es

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Monday to Thursday 09:00-17:30, Friday 09:00-13:00: business days differ in length.
SHORT_FRIDAY = """
policy: example
version: 1
calendars:
  office:
    timezone: Europe/London
    hours: {mon-thu: ["09:00-17:30"], fri: ["09:00-13:00"]}
    years: [2024, 2026]
clocks:
  resolution:
    stop: {status: [resolved, closed, cancelled]}
    pause: {status: awaiting-user-info}
    targets:
      P1: {within: 4h}
      P3: {within: 3bd, calendar: office}
    ladder:
      - at: 50%
        notify: {to: [assignee], template: half}
      - after: 2bd
        notify: {to: [assignment-group], template: two-days}
      - before_breach: 30m
        notify: {to: ["role:duty-manager"], template: nearly}
"""
POLICY = loads(SHORT_FRIDAY)
OPENED = "2024-11-20T10:00:00Z"  # a Wednesday; London is on UTC in November


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def ticket(priority: str = "P3", *events: dict[str, Any]) -> dict[str, Any]:
    return {"id": "INC1", "opened_at": OPENED, "priority": priority, "events": list(events)}


def due(decision: Decision) -> list[tuple[str, str, str]]:
    return [(a.id, a.source, a.due_at.isoformat()) for a in decision.actions]


def one_rung(measure: str, value: str, target: str, calendar: str = "24x7") -> Policy:
    return loads(
        f"""
policy: example
version: 1
calendars:
  office:
    timezone: UTC
    hours: {{mon-fri: ["09:00-17:00"]}}
    years: [2024, 2026]
clocks:
  c:
    stop: {{status: resolved}}
    targets: {{default: {{within: {target}, calendar: {calendar}}}}}
    ladder:
      - {{{measure}: {value}, notify: {{to: [assignee]}}}}
"""
    )


def rung_due_at(policy: Policy, opened: str, now: str) -> datetime | None:
    decision = policy.evaluate({"id": "T", "opened_at": opened, "priority": "P3"}, now=at(now))
    return decision.actions[0].due_at if decision.actions else None


# -- after: business days are exact business-day arithmetic ----------------------------------


def test_after_two_business_days_is_reached_at_the_same_wall_time_two_working_days_later() -> None:
    decision = POLICY.evaluate(ticket(), now=at("2024-11-22T12:00:00Z"))
    assert [
        (
            "INC1:clock:resolution#1@1:notify0",
            "clock:resolution@2bd",
            "2024-11-22T10:00:00+00:00",
        )
    ] == due(decision)


def test_after_two_business_days_is_not_a_fraction_of_the_target() -> None:
    # Two thirds of the 21 business hours of 3bd from Wednesday 10:00 would be 14 hours
    # (Thursday 15:30); two business days are 17 hours on this calendar (Friday 10:00).
    decision = POLICY.evaluate(ticket(), now=at("2024-11-21T16:00:00Z"))
    assert ["clock:resolution@50%"] == [a.source for a in decision.actions]
    assert at("2024-11-22T10:00:00Z") == decision.next_evaluation_at


def test_after_business_days_counts_from_the_cycle_start_not_the_target() -> None:
    policy = one_rung("after", "1bd", "8h", "office")
    # opened Friday 15:00: one business day later is Monday 15:00 (8 business hours)
    assert at("2024-11-25T15:00:00Z") == rung_due_at(
        policy, "2024-11-22T15:00:00Z", "2024-11-26T00:00:00Z"
    )


def test_after_hours_on_an_office_calendar_are_business_hours() -> None:
    policy = one_rung("after", "4h", "2bd", "office")
    # opened Friday 15:00: two hours on Friday, two on Monday
    assert at("2024-11-25T11:00:00Z") == rung_due_at(
        policy, "2024-11-22T15:00:00Z", "2024-11-26T00:00:00Z"
    )


def test_a_pause_delays_an_after_rung_by_the_business_time_it_took() -> None:
    paused = ticket(
        "P3",
        {"at": "2024-11-21T09:00:00Z", "type": "status-changed", "status": "awaiting-user-info"},
        {"at": "2024-11-21T13:00:00Z", "type": "status-changed", "status": "in-progress"},
    )
    # 17 business hours: Wednesday 7.5, Thursday 4.5 after the pause, Friday 4, Monday 1
    decision = POLICY.evaluate(paused, now=at("2024-11-25T10:30:00Z"))
    assert [("clock:resolution@2bd", at("2024-11-25T10:00:00Z"))] == [
        (a.source, a.due_at) for a in decision.actions
    ]


# -- before_breach: a lead of elapsed time --------------------------------------------------


def test_before_breach_on_24x7_is_that_long_before_the_breach_instant() -> None:
    decision = POLICY.evaluate(ticket("P1"), now=at("2024-11-20T13:40:00Z"))
    assert [
        (
            "INC1:clock:resolution#1@2:notify0",
            "clock:resolution@breach-30m",
            "2024-11-20T13:30:00+00:00",
        )
    ] == due(decision)


def test_before_breach_on_an_office_calendar_is_business_time_before_the_breach() -> None:
    # 3bd from Wednesday 10:00 breaches Monday 10:00; 30 business minutes earlier is 09:30
    decision = POLICY.evaluate(ticket(), now=at("2024-11-25T09:45:00Z"))
    assert at("2024-11-25T10:00:00Z") == decision.clock("resolution").breach_at
    assert [at("2024-11-25T09:30:00Z")] == [a.due_at for a in decision.actions]


def test_before_breach_across_a_closed_night_is_reached_the_evening_before() -> None:
    policy = one_rung("before_breach", "30m", "8h", "office")
    # opened Monday 09:15: breach Tuesday 09:15; 30 business minutes earlier: Monday 16:45
    assert at("2024-11-18T16:45:00Z") == rung_due_at(
        policy, "2024-11-18T09:15:00Z", "2024-11-19T12:00:00Z"
    )


def test_a_lead_as_long_as_the_target_is_reached_when_the_clock_starts() -> None:
    policy = one_rung("before_breach", "2h", "1h")
    assert at("2024-11-18T09:15:00Z") == rung_due_at(
        policy, "2024-11-18T09:15:00Z", "2024-11-18T09:15:00Z"
    )


# -- order for the current target -------------------------------------------------------------


def test_rungs_are_ordered_by_when_they_are_reached_for_the_current_target() -> None:
    # For P1 (4h on 24x7): 50% at 2h, breach-30m at 3h30, 2bd at 48h. Between 3h30 and 48h
    # the before_breach rung (written last) is the highest reached rung.
    decision = POLICY.evaluate(ticket("P1"), now=at("2024-11-21T10:00:00Z"))
    assert ["clock:resolution@breach-30m"] == [a.source for a in decision.actions]
    assert at("2024-11-22T10:00:00Z") == decision.next_evaluation_at
    later = POLICY.evaluate(ticket("P1"), now=at("2024-11-22T10:00:00Z"))
    assert ["INC1:clock:resolution#1@1:notify0"] == [a.id for a in later.actions]


def test_a_retroactive_priority_change_reorders_the_rungs() -> None:
    upgraded = {
        **ticket("P1"),
        "events": [
            {
                "at": "2024-11-21T11:00:00Z",
                "type": "priority-changed",
                "priority": "P1",
                "from_priority": "P3",
            }
        ],
    }
    decision = POLICY.evaluate(upgraded, now=at("2024-11-21T11:00:00Z"))
    assert ["clock:resolution@breach-30m"] == [a.source for a in decision.actions]


def test_rungs_reached_at_the_same_instant_emit_the_one_written_last() -> None:
    policy = loads(
        """
policy: example
version: 1
clocks:
  c:
    stop: {status: resolved}
    targets: {default: {within: 4h}}
    ladder:
      - {after: 3h, notify: {to: [assignee]}}
      - {before_breach: 1h, notify: {to: [assignment-group]}}
"""
    )
    decision = policy.evaluate(ticket(), now=at("2024-11-20T13:00:00Z"))
    assert ["INC1:clock:c#1@1:notify0"] == [a.id for a in decision.actions]


# -- load errors -------------------------------------------------------------------------------

LADDER = """
policy: example
version: 1
clocks:
  c:
    stop: {status: resolved}
    targets: {default: {within: 8h}}
    ladder:
"""


@pytest.mark.parametrize(
    ("rungs", "message"),
    [
        (
            "      - {at: 50%, after: 4h, notify: {to: [assignee]}}",
            "policy.yaml:9:9: clocks.c.ladder[0]: a rung needs exactly one of: at, after, "
            "before_breach (got at, after)",
        ),
        (
            "      - {notify: {to: [assignee]}}",
            "policy.yaml:9:9: clocks.c.ladder[0]: a rung needs exactly one of: at, after, "
            "before_breach (got none)",
        ),
        (
            "      - {before_breach: 1bd, notify: {to: [assignee]}}",
            "policy.yaml:9:10: clocks.c.ladder[0].before_breach: business days ('bd') are not "
            "allowed here, got '1bd'",
        ),
        (
            "      - {after: 2bd, notify: {to: [assignee]}}\n"
            "      - {at: 50%, notify: {to: [assignee]}}\n"
            "      - {after: 1bd, notify: {to: [assignee]}}",
            "policy.yaml:11:10: clocks.c.ladder[2].after: ladder rungs must rise: 1bd is not "
            "above rung 0 (after: 2bd)",
        ),
        (
            "      - {before_breach: 30m, notify: {to: [assignee]}}\n"
            "      - {before_breach: 1h, notify: {to: [assignee]}}",
            "policy.yaml:10:10: clocks.c.ladder[1].before_breach: ladder rungs must rise: 1h is "
            "not above the rung before it",
        ),
    ],
)
def test_a_rung_without_exactly_one_rising_measure_is_a_load_error(
    rungs: str, message: str
) -> None:
    with pytest.raises(PolicyError) as caught:
        loads(LADDER + rungs + "\n", filename="policy.yaml")
    assert message == str(caught.value)


# -- lint ----------------------------------------------------------------------------------------


def ladder_lint(policy: Policy) -> tuple[Finding, ...]:
    """The lint findings about clock ladders (these fixtures' clocks also stop on 'resolved'
    without a new cycle on reopen, which test_lint_traps.py covers)."""
    return tuple(f for f in lint(policy) if f.where[2:3] == ("ladder",))


def test_lint_names_rungs_out_of_order_for_some_target() -> None:
    assert [
        "<string>:21:9: warning rungs-out-of-order: clocks.resolution.ladder[2]: for P1 (4h) "
        "rung before_breach: 30m is reached no later than rung 1 (after: 2bd) written before it"
    ] == [str(f) for f in ladder_lint(POLICY)]


def test_lint_names_a_lead_that_puts_the_rung_at_the_start() -> None:
    policy = one_rung("before_breach", "2h", "1h", "office")
    assert ["rung-at-start"] == [f.code for f in ladder_lint(policy)]


def test_lint_finds_nothing_in_a_mixed_ladder_in_order_for_every_target() -> None:
    policy = loads(SHORT_FRIDAY.replace("      P1: {within: 4h}\n", ""))
    assert () == ladder_lint(policy)


def test_lint_compares_business_days_for_cycles_starting_on_short_days() -> None:
    # 1bd is 8.5 business hours from Monday to Thursday, 4 from a Friday: after Friday it
    # comes before the 40% rung of a 2bd target (which is at least 5 hours); written after it.
    policy = loads(
        SHORT_FRIDAY.replace("      P1: {within: 4h}\n", "").replace(
            """      - at: 50%
        notify: {to: [assignee], template: half}
      - after: 2bd""",
            """      - at: 40%
        notify: {to: [assignee], template: half}
      - after: 1bd""",
        )
    )
    assert ["rungs-out-of-order"] == [f.code for f in ladder_lint(policy)]


# -- properties ----------------------------------------------------------------------------------


def rung_policy(calendar: dict[str, Any], target: str, rungs: list[dict[str, Any]]) -> Policy:
    data = {
        "policy": "p",
        "version": "1",
        "calendars": {"cal": calendar},
        "clocks": {
            "c": {
                "stop": {"status": "resolved"},
                "targets": {"default": {"within": target, "calendar": "cal"}},
                "ladder": [{**r, "notify": {"to": ["assignee"]}} for r in rungs],
            }
        },
    }
    return loads(yaml.safe_dump(data))


def at_breach(policy: Policy, opened: datetime) -> Decision:
    """The decision at the breach instant of a ticket opened at ``opened`` (every rung at or
    before the target reached by then); the example is dropped when the calendar's years end
    first."""
    ticket = {"id": "T", "opened_at": opened.isoformat(), "priority": "P3"}
    try:
        breach = policy.evaluate(ticket, now=opened).clock("c").breach_at
        assume(breach is not None)
        assert breach is not None
        return policy.evaluate(ticket, now=breach)
    except CalendarRangeError:
        assume(False)
        raise


def reached(decision: Decision) -> list[datetime]:
    return [a.due_at for a in decision.actions]


OPENINGS = es.instants(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 12, 31, tzinfo=UTC))


@SETTINGS
@given(calendar=es.calendar_configs(), opened=OPENINGS, days=st.integers(1, 5))
def test_after_the_target_s_own_business_days_is_the_breach_instant(
    calendar: dict[str, Any], opened: datetime, days: int
) -> None:
    decision = at_breach(rung_policy(calendar, f"{days}bd", [{"after": f"{days}bd"}]), opened)
    assert [decision.clock("c").breach_at] == reached(decision)


@SETTINGS
@given(
    calendar=es.calendar_configs(),
    opened=OPENINGS,
    target_minutes=st.integers(2, 3000),
    lead_minutes=st.integers(1, 3000),
)
def test_a_lead_before_the_breach_is_the_rest_of_the_target_after_the_start(
    calendar: dict[str, Any], opened: datetime, target_minutes: int, lead_minutes: int
) -> None:
    lead_minutes = lead_minutes % (target_minutes - 1) + 1  # 1 .. target - 1
    target = f"{target_minutes}m"
    before = rung_policy(calendar, target, [{"before_breach": f"{lead_minutes}m"}])
    after = rung_policy(calendar, target, [{"after": f"{target_minutes - lead_minutes}m"}])
    assert reached(at_breach(after, opened)) == reached(at_breach(before, opened))


@SETTINGS
@given(calendar=es.calendar_configs(), opened=OPENINGS, minutes=st.integers(1, 3000))
def test_a_hundred_percent_and_after_the_target_are_reached_at_the_breach(
    calendar: dict[str, Any], opened: datetime, minutes: int
) -> None:
    for rung in ({"at": "100%"}, {"after": f"{minutes}m"}):
        decision = at_breach(rung_policy(calendar, f"{minutes}m", [rung]), opened)
        assert [decision.clock("c").breach_at] == reached(decision)


def test_after_a_calendar_month_is_reached_at_the_same_wall_time_a_month_later() -> None:
    policy = loads(
        """
policy: example
version: 1
clocks:
  regulatory:
    stop: {status: resolved}
    targets: {default: {within: 2mo}}
    ladder:
      - {after: 1mo, notify: {to: ["role:compliance"]}}
"""
    )
    ticket = {"id": "T", "opened_at": "2024-01-31T09:00:00Z", "priority": "P3"}
    decision = policy.evaluate(ticket, now=at("2024-03-01T00:00:00Z"))
    # one month after 31 January is the last day of February (2024 is a leap year)
    assert [at("2024-02-29T09:00:00Z")] == [a.due_at for a in decision.actions]
