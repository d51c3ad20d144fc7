"""Coverage: rules matched, rungs reached, levels entered, fallbacks used, as documented."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from escalate import load, loads
from escalate.testing.cases import load_cases
from escalate.testing.coverage import Coverage, CoverageReport, exercised, items_of
from escalate.testing.runner import run_case
from tests.testing.case_helpers import PACK, STARTER

SMALL = """\
policy: small
version: 1
directory:
  people:
    alice: {channels: {sms: "+49 30 5550001"}}
    bob: {channels: {sms: "+49 30 5550002"}}
clocks:
  resolution:
    type: resolution
    start: {event: created}
    stop: {category: [resolved, closed, cancelled]}
    targets: {default: {within: 4h, calendar: 24x7}}
    ladder:
      - at: 50%
        notify: {to: [person:alice], channel: sms, template: half}
      - after: 3h
        notify: {to: [person:alice], channel: sms, template: late}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: [person:alice], after: 10m}
      - name: L2
        targets: [person:alice]
        on_empty: fallback
        fallback: [person:bob]
        ack_within: 30m
rules:
  - id: vip
    when: {customer.vip: true}
    then: {notify: {to: [person:bob], channel: sms, template: vip}}
segments:
  - id: emea
    when: {region: emea}
    precedence: 10
    add:
      rules:
        - id: emea-only
          when: {priority: P1}
          then: {notify: {to: [person:bob], channel: sms, template: emea}}
"""
OPENED = datetime(2024, 11, 20, 9, tzinfo=UTC)
ALICE_AWAY = {"out_of_office": [{"person": "alice", "from": "2024-11-20T00:00:00Z"}]}


def ticket(**fields: object) -> dict[str, object]:
    return {
        "id": "T1",
        "opened_at": OPENED.isoformat(),
        "events": [{"at": OPENED.isoformat(), "type": "created"}],
        **fields,
    }


def test_the_items_of_the_shipped_pack() -> None:
    assert (
        "rule:p1-bridge",
        "rule:p1-status-page",
        "rule:p1-customer-notice",
        "rule:regulator-notice",
        "rule:after-hours-page",
        "rule:ping-pong",
        "rule:wrong-team",
        "rule:vip-heads-up",
        "rule:post-mortem-at-level-2",
        "rule:vendor-request",
        "rule:recurring-problem",
        "rung:response@100%",
        "rung:resolution@50%",
        "rung:resolution@75%",
        "rung:resolution@breach-15m",
        "rung:resolution@100%",
        "level:after-hours/on-call",
        "level:after-hours/duty-manager",
        "level:coordination/coordinator",
        "level:coordination/problem-manager",
        "level:network-team/network-ops",
        "level:network-team/network-vendor",
        "level:service-desk/L1",
        "level:service-desk/L2",
        "level:service-desk/L3",
        "level:service-desk/L4",
        "fallback:after-hours/on-call/unacknowledged",
        "fallback:service-desk/L2/unacknowledged",
    ) == items_of(load(PACK))


def test_a_segment_only_item_is_named_for_its_segment() -> None:
    policy = loads(SMALL)
    assert (
        "rule:vip",
        "segment:emea/rule:emea-only",
        "rung:resolution@50%",
        "rung:resolution@3h",
        "level:desk/L1",
        "level:desk/L2",
        "fallback:desk/L2/unacknowledged",
        "fallback:desk/L2/on_empty",
    ) == items_of(policy)


def test_a_decision_exercises_rungs_reached_the_current_level_and_fallbacks_used() -> None:
    policy = loads(SMALL)
    at = OPENED + timedelta(hours=3)
    away = policy.evaluate(ticket(), now=at, availability=ALICE_AWAY)
    unanswered = policy.evaluate(ticket(), now=at)
    # Alice away: L2 pages bob, its fallback (and nobody is left for the unacknowledged page).
    # Alice there: nobody acknowledged L2 within 30m, so bob gets the unacknowledged page.
    assert (
        {"rung:resolution@50%", "rung:resolution@3h", "level:desk/L2", "fallback:desk/L2/on_empty"},
        {
            "rung:resolution@50%",
            "rung:resolution@3h",
            "level:desk/L2",
            "fallback:desk/L2/unacknowledged",
        },
    ) == (exercised(away), exercised(unanswered))


def test_a_level_passed_through_is_not_counted() -> None:
    decision = loads(SMALL).evaluate(ticket(), now=OPENED + timedelta(minutes=20))
    assert {"level:desk/L2"} == {i for i in exercised(decision) if i.startswith("level:")}


def test_segment_decisions_cover_shared_items_by_id_and_their_own_items_prefixed() -> None:
    policy = loads(SMALL)
    coverage = Coverage(policy, "small.yaml")
    coverage.add(
        policy.evaluate(ticket(region="emea", priority="P1", customer={"vip": True}), now=OPENED)
    )
    report = coverage.report()
    assert {"rule:vip", "segment:emea/rule:emea-only", "level:desk/L1"} == set(report.covered)


def test_the_starter_cases_report_what_they_miss() -> None:
    case_file = load_cases(STARTER)
    coverage = Coverage(case_file.policy, case_file.policy_path)
    for case in case_file.cases:
        result = run_case(case_file.policy, case)
        assert result.decision is not None
        coverage.add(result.decision)
    report = coverage.report()
    assert (
        ("rule:regulator-notice", "rule:ping-pong"),
        {"rule": (7, 11), "rung": (5, 5), "level": (5, 10), "fallback": (1, 2)},
        Decimal("64.2"),
    ) == (report.missed[:2], report.by_kind(), report.percent)


def test_the_percentage_is_rounded_down_and_the_bar_compared_exactly() -> None:
    items = tuple(f"rule:r{i}" for i in range(2000))
    report = CoverageReport("p", "p.yaml", items, frozenset(items[:1999]))
    assert (Decimal("99.9"), True, False) == (
        report.percent,
        report.reaches(Decimal("99.95")),
        report.reaches(Decimal("99.951")),
    )


def test_a_policy_without_items_is_fully_covered() -> None:
    assert Decimal(100) == CoverageReport("p", "p.yaml", (), frozenset()).percent
