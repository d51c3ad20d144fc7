"""Running cases: each statement checked as documented; a failure says where, what and why."""

from __future__ import annotations

import json
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate import Ticket, load
from escalate.engine.decision import Decision, iso
from escalate.errors import CaseError
from escalate.testing.cases import load_cases
from escalate.testing.runner import CaseResult, run_case
from escalate.testing.tickets import ticket_mappings
from tests.testing.case_helpers import P1, PACK, write_cases

POLICY = load(PACK)


def results(path: Path) -> list[CaseResult]:
    case_file = load_cases(path)
    return [run_case(case_file.policy, case) for case in case_file.cases]


def one(tmp_path: Path, expect: str, *, key: str = "expect", ticket: Path = P1) -> CaseResult:
    path = write_cases(
        tmp_path,
        f"""\
        cases:
          - name: p1
            ticket: {ticket}
            {key}: {expect}
        """,
    )
    (result,) = results(path)
    return result


def test_a_case_that_holds_passes(tmp_path: Path) -> None:
    result = one(
        tmp_path,
        "{segment: null, levels: {service-desk: L2, after-hours: null}, rules: [wrong-team],"
        " next_evaluation_at: '2024-11-20T16:05:00+01:00'}",
    )
    assert ("pass", (), "") == (result.status, result.mismatches, result.report())


def test_a_failure_names_the_key_its_line_expected_and_actual(tmp_path: Path) -> None:
    result = one(tmp_path, "{levels: {service-desk: L3}}")
    path = tmp_path / "pack.cases.yaml"
    assert "fail" == result.status
    assert f'{path}:8:23: expect.levels.service-desk: expected "L3", got "L2"' == str(
        result.mismatches[0]
    )
    assert f"FAIL p1 {path}:6" == result.line()


def test_the_failure_report_carries_the_decision_and_the_trace_of_named_rules(
    tmp_path: Path,
) -> None:
    report = one(tmp_path, "{rules: [vip-heads-up]}").report().splitlines()
    assert "expect.rules[0]: rule vip-heads-up: expected to match, status not-matched" in report[0]
    assert "decision:" in report
    assert "  ticket INC0010001 at 2024-11-20T15:00:00+00:00" in "\n".join(report)
    assert "  rule vip-heads-up: not-matched" in report
    assert any(
        line.startswith("    no customer.vip eq true: actual false (")
        and "itil-default.yaml:" in line
        for line in report
    )


def test_expect_not_fails_when_the_decision_shows_what_it_must_not(tmp_path: Path) -> None:
    result = one(tmp_path, "{rules: [wrong-team], levels: {service-desk: L3}}", key="expect_not")
    assert [("expect_not.rules[0]", "wrong-team", "matched", True)] == [
        (m.key, m.expected, m.actual, m.negated) for m in result.mismatches
    ]
    assert "rule wrong-team: expected not to match, status matched" in str(result.mismatches[0])


def test_an_action_pattern_matches_subsets_of_targets_people_and_details(tmp_path: Path) -> None:
    passing = one(
        tmp_path,
        "{actions: [{kind: notify, source: 'clock:resolution@75%', late: true,"
        " targets: [assignee], people: [jonas.weber], details: {channel: chat}}]}",
    )
    failing = one(tmp_path, "{actions: [{kind: notify, details: {channel: sms}}]}")
    assert ("pass", "fail") == (passing.status, failing.status)
    actual = failing.mismatches[0].actual
    assert isinstance(actual, list)
    assert {"kind": "notify", "source": "clock:resolution@75%"}.items() <= actual[0].items()


def test_clock_fields_compare_by_meaning(tmp_path: Path) -> None:
    result = one(
        tmp_path,
        "{clocks: {resolution: {state: running, percent: '91.67%', elapsed: 220m,"
        " breach_at: '2024-11-20T16:20:00+01:00', breached: false, cycle: 1}, response: {"
        "elapsed: 8m, stopped_at: '2024-11-20T11:28:00Z'}}}",
    )
    assert ("pass", ()) == (result.status, result.mismatches)


def test_each_clock_field_is_its_own_statement(tmp_path: Path) -> None:
    result = one(tmp_path, "{clocks: {resolution: {state: paused, percent: 90}}}")
    assert [
        ("expect.clocks.resolution.state", "paused", "running"),
        ("expect.clocks.resolution.percent", 90, "91.67"),
    ] == [(m.key, m.expected, m.actual) for m in result.mismatches]


def test_a_null_clock_means_the_clock_does_not_apply(tmp_path: Path) -> None:
    result = one(tmp_path, "{clocks: {resolution: null}}")
    assert [("expect.clocks.resolution", None, "applies (running)")] == [
        (m.key, m.expected, m.actual) for m in result.mismatches
    ]


def test_no_actions_lists_the_actions_that_are_due(tmp_path: Path) -> None:
    result = one(tmp_path, "{no_actions: true}")
    actual = result.mismatches[0].actual
    assert isinstance(actual, list)
    assert 10 == len(actual)


def test_matrix_rows_replace_top_level_ticket_keys(tmp_path: Path) -> None:
    path = write_cases(
        tmp_path,
        """\
        cases:
          - name: prio
            ticket: {id: T1, opened_at: "2024-11-20T14:00:00Z", priority: P1}
            matrix:
              - {name: p1}
              - {name: p3, ticket: {priority: P3}}
            expect: {rules: [p1-bridge]}
        """,
    )
    assert [("prio[p1]", "pass"), ("prio[p3]", "fail")] == [
        (r.case.name, r.status) for r in results(path)
    ]


def test_timeline_events_are_appended_at_the_step_instant_and_update_the_ticket(
    tmp_path: Path,
) -> None:
    path = write_cases(
        tmp_path,
        """\
        cases:
          - name: life
            ticket:
              id: T1
              opened_at: "2024-11-20T14:00:00Z"
              priority: P2
              status: new
              assignment_group: service-desk
              reassignment_count: 5
            timeline:
              - at: "2024-11-20T14:10:00Z"
                expect: {clocks: {response: {state: running}}, rules: [ping-pong]}
              - after: 5m
                events: [{type: acknowledged}, {type: status-changed, status: in-progress}]
                expect: {clocks: {response: {state: stopped, stopped_at: "2024-11-20T14:15:00Z"}}}
              - after: 1h
                events:
                  - {type: resolved, at: "2024-11-20T15:00:00Z"}
                  - {type: assigned, group: network-ops}
                expect:
                  clocks: {resolution: {state: stopped, stopped_at: "2024-11-20T15:00:00Z"}}
        """,
    )
    found = results(path)
    assert [("life[1]", "pass"), ("life[2]", "pass"), ("life[3]", "pass")] == [
        (r.case.name, r.status) for r in found
    ]
    last = found[-1].case.ticket
    # The status and group come from the appended events; the given count keeps its surplus
    # over the history (the first group the history sets is no reassignment).
    assert ("resolved", "network-ops", 5) == (
        last.status,
        last.assignment_group,
        last.reassignment_count,
    )


def test_an_event_a_step_appends_that_does_not_fit_is_reported_where_it_stands(
    tmp_path: Path,
) -> None:
    path = write_cases(
        tmp_path,
        """\
        cases:
          - name: life
            ticket: {id: T1, opened_at: "2024-11-20T14:00:00Z"}
            timeline:
              - at: "2024-11-20T14:10:00Z"
                events: [{type: acknowledgd}]
                expect: {no_actions: true}
        """,
    )
    with pytest.raises(CaseError) as info:
        load_cases(path)
    message = str(info.value)
    assert message.startswith(f"{path}:10:19: cases[0].timeline[0].events[0].type: ")
    assert "case 'life': ticket: " in message


# -- a property: a case written from a decision's own values passes -------------------------------


def case_from(decision: Decision) -> dict[str, Any]:
    """Every statement a case can make, written from what ``decision`` shows."""
    expect: dict[str, Any] = {
        "segment": decision.segment,
        "levels": {
            name: state.level_name if state.active else None
            for name, state in decision.paths.items()
        },
        "rules": [r.rule.id for r in decision.rule_results if r.status in ("matched", "done")],
        "clocks": {
            clock.name: (
                {k: v for k, v in state.to_dict().items() if k != "name"}
                if (state := decision.clocks.get(clock.name)) is not None
                else None
            )
            for clock in POLICY.clocks
        },
        "next_evaluation_at": iso(decision.next_evaluation_at),
        "actions": [
            {
                "kind": a.kind,
                "id": a.id,
                "source": a.source,
                "late": a.late,
                # An empty subset states nothing, and a case may not write one.
                **({"targets": list(a.targets)} if a.targets else {}),
                **({"people": list(a.people)} if a.people else {}),
            }
            for a in decision.actions
        ],
    }
    if not decision.actions:
        expect["no_actions"] = True
        del expect["actions"]
    if not expect["rules"]:
        del expect["rules"]
    return expect


@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow])
@given(ticket=ticket_mappings(max_events=8), hours=st.integers(0, 72))
def test_a_case_written_from_a_decision_passes_and_fails_when_one_value_changes(
    ticket: dict[str, Any], hours: int
) -> None:
    ticket_obj = Ticket.from_mapping(ticket, empty=POLICY.empty_values)
    latest = ticket_obj.events[-1].at if ticket_obj.events else ticket_obj.opened_at
    now = latest + timedelta(hours=hours)
    decision = POLICY.evaluate(ticket_obj, now=now)
    expect = case_from(decision)
    with tempfile.TemporaryDirectory() as folder:
        ticket_file = Path(folder) / "ticket.json"
        ticket_file.write_text(json.dumps(ticket, default=lambda d: d.isoformat()))
        body = {
            "cases": [
                {"name": "own", "now": iso(now), "ticket": str(ticket_file), "expect": expect}
            ]
        }
        path = Path(folder) / "own.cases.yaml"
        path.write_text(f"policy: {PACK}\n" + yaml.safe_dump(body, sort_keys=False))
        (result,) = results(path)
        assert ("pass", ()) == (result.status, result.mismatches)

        path_name = "service-desk"
        level = expect["levels"][path_name]
        expect["levels"][path_name] = "L4" if level != "L4" else "L1"
        path.write_text(f"policy: {PACK}\n" + yaml.safe_dump(body, sort_keys=False))
        (changed,) = results(path)
        assert ["expect.levels.service-desk"] == [m.key for m in changed.mismatches]
