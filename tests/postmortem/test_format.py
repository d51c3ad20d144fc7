"""The post-mortem in tickets and decisions as JSON, in explain(), in exports, in lint and in
case files."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import jsonschema

from escalate import Event, Ticket, lint, loads
from escalate.engine.decision_format import DecisionOutput
from escalate.schemas import json_schema
from escalate.testing.cases import load_cases
from escalate.testing.runner import run_case
from tests.postmortem.policies import BASE, SECTION, at, done, item, pm, policy, ticket

POLICY = policy()
EVENTS = (
    pm("2024-10-25T12:00:00Z", "assigned", owner="anna", due="2024-11-01T12:00:00+01:00"),
    item("2024-10-25T13:00:00Z", "fix-dns"),
    item("2024-10-25T13:30:00Z", "add-alert", owner="zoe", due="2024-10-28T09:00:00Z"),
    pm("2024-10-28T08:00:00Z", "item-done", item="add-alert", actor="zoe"),
    item("2024-10-28T09:00:00Z", "runbook", owner="max"),
    pm("2024-10-28T10:00:00Z", "item-dropped", item="runbook", reason="covered by\nfix-dns"),
)
NOW = at("2024-10-29T14:00:00Z")


def test_a_ticket_with_post_mortem_events_reads_back_equal_from_its_json() -> None:
    first = Ticket.from_mapping(ticket(*EVENTS))
    again = Ticket.from_mapping(json.loads(json.dumps(first.to_dict())))
    assert (first.to_dict(), first.digest()) == (again.to_dict(), again.digest())
    assigned = first.to_dict()["events"][3]
    assert {
        "at": "2024-10-25T12:00:00+00:00",
        "change": "assigned",
        "due": "2024-11-01T11:00:00+00:00",
        "owner": "anna",
        "type": "postmortem",
    } == assigned


def test_a_due_given_in_another_offset_is_stored_in_utc_by_the_python_constructor() -> None:
    opened = datetime(2024, 10, 25, 10, tzinfo=UTC)
    due = datetime.fromisoformat("2024-11-01T12:00:00+01:00")
    event = Event(0, opened, "postmortem", change="assigned", owner="anna", due=due)
    [stored] = Ticket("T1", opened, events=[event]).events
    assert (stored.due, stored.due.tzinfo) == (due, UTC)


def test_a_decision_with_a_post_mortem_validates_against_the_model_and_the_json_schema() -> None:
    # The document: 99 h of the 168 h from Friday 11:00 to the assigned due, Friday 1 November
    # 11:00 UTC. add-alert: 66.5 h of 67.5 h of real time to its own due. runbook: recorded
    # Monday 10:00 in Berlin, due Wednesday 10:00 (16 working hours), dropped after 1 h.
    document = json.loads(POLICY.evaluate(ticket(*EVENTS), now=NOW).to_json())
    DecisionOutput.model_validate(document)
    jsonschema.validate(document, json_schema("decision"))
    assert {
        "required_at": "2024-10-25T11:00:00+00:00",
        "required_by": "T1:rule:pm:20241025T110000Z:require_postmortem0",
        "due_by": "2024-11-01T11:00:00+00:00",
        "revision": 2,
        "owner": "anna",
        "owner_from": "event",
        "published_at": None,
        "status": "pending",
        "percent": "58.93",
        "overdue_since": None,
        "overdue_items": 1,
        "items": [
            {
                "id": "fix-dns",
                "title": "do fix-dns",
                "owner": "anna",
                "recorded_at": "2024-10-25T13:00:00+00:00",
                "due": "2024-10-29T14:00:00+00:00",
                "target": "2bd",
                "revision": 1,
                "status": "overdue",
                "percent": "100.00",
                "overdue_since": "2024-10-29T14:00:00+00:00",
                "closed_at": None,
                "reason": None,
            },
            {
                "id": "add-alert",
                "title": "do add-alert",
                "owner": "zoe",
                "recorded_at": "2024-10-25T13:30:00+00:00",
                "due": "2024-10-28T09:00:00+00:00",
                "target": "2d19h30m",
                "revision": 1,
                "status": "done",
                "percent": "98.52",
                "overdue_since": None,
                "closed_at": "2024-10-28T08:00:00+00:00",
                "reason": None,
            },
            {
                "id": "runbook",
                "title": "do runbook",
                "owner": "max",
                "recorded_at": "2024-10-28T09:00:00+00:00",
                "due": "2024-10-30T09:00:00+00:00",
                "target": "2bd",
                "revision": 1,
                "status": "dropped",
                "percent": "6.25",
                "overdue_since": None,
                "closed_at": "2024-10-28T10:00:00+00:00",
                "reason": "covered by\nfix-dns",
            },
        ],
    } == document["postmortem"]


def test_explain_says_where_the_post_mortem_and_each_item_stand() -> None:
    lines = POLICY.evaluate(ticket(*EVENTS), now=NOW).explain().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("post-mortem:"))
    assert [
        "post-mortem: required 2024-10-25T11:00:00+00:00 "
        "(T1:rule:pm:20241025T110000Z:require_postmortem0), owner anna (event); "
        "pending, due 2024-11-01T11:00:00+00:00",
        "  item fix-dns (anna): do fix-dns; OVERDUE since 2024-10-29T14:00:00+00:00, 100.00%",
        "  item add-alert (zoe): do add-alert; done 2024-10-28T08:00:00+00:00",
        "  item runbook (max): do runbook; dropped 2024-10-28T10:00:00+00:00: covered by\\nfix-dns",
    ] == lines[start : start + 4]


def test_only_the_internal_audience_s_export_carries_the_post_mortem() -> None:
    decision = POLICY.evaluate(ticket(*EVENTS), now=NOW)
    assert "postmortem" in POLICY.export(decision, audience="internal")
    for audience in ("customer", "executive", "regulator"):
        exported = POLICY.export(decision, audience=audience)
        assert "postmortem" not in exported
        assert "fix-dns" not in json.dumps(exported)


def test_to_json_is_the_same_bytes_for_the_same_inputs() -> None:
    assert (
        POLICY.evaluate(ticket(*EVENTS), now=NOW).to_json()
        == POLICY.evaluate(ticket(*EVENTS), now=NOW).to_json()
    )


def test_lint_reports_a_section_no_action_ever_requires() -> None:
    text = BASE.split("rules:")[0] + SECTION
    found = [f for f in lint(loads(text, filename="pm.yaml")) if f.code.startswith("postmortem")]
    assert [("postmortem-never-required", "warning", ("postmortem",))] == [
        (f.code, f.severity, f.where) for f in found
    ]
    assert not [f for f in lint(POLICY) if f.code == "postmortem-never-required"]


def test_a_calendar_only_the_section_names_is_used() -> None:
    assert not [f for f in lint(POLICY) if f.code == "unused-calendar"]


def test_a_case_file_checks_a_post_mortem_threshold_by_its_source(tmp_path: Path) -> None:
    (tmp_path / "pm.yaml").write_text(BASE + SECTION)
    (tmp_path / "t1.json").write_text(json.dumps(ticket(item("2024-10-25T13:00:00Z", "fix-dns"))))
    cases = tmp_path / "pm.cases.yaml"
    cases.write_text(
        textwrap.dedent(
            """\
            policy: pm.yaml
            cases:
              - name: overdue-item
                ticket: t1.json
                now: "2024-10-29T14:00:00Z"
                expect:
                  actions:
                    - {source: "postmortem:fix-dns@100%", people: [anna]}
                  next_evaluation_at: "2024-10-30T11:00:00Z"
                expect_not:
                  actions: [{source: "postmortem:fix-dns@150%"}]
            """
        )
    )
    case_file = load_cases(cases)
    [result] = [run_case(case_file.policy, case) for case in case_file.cases]
    assert ("pass", ()) == (result.status, result.mismatches)


def test_a_case_naming_a_threshold_the_section_lacks_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pm.yaml").write_text(BASE + SECTION)
    cases = tmp_path / "pm.cases.yaml"
    cases.write_text(
        "policy: pm.yaml\ncases:\n  - name: c\n"
        "    ticket: {id: T1, opened_at: '2024-10-25T10:00:00Z'}\n"
        "    now: '2024-10-29T14:00:00Z'\n"
        "    expect_not: {actions: [{source: 'postmortem:document@150%'}]}\n"
    )
    try:
        load_cases(cases)
    except Exception as exc:
        assert "postmortem.document_escalation has no threshold '150%' (thresholds: 100%)" in str(
            exc
        )
    else:
        raise AssertionError("the case file was accepted")


def test_done_threshold_actions_leave_the_decision_once_recorded() -> None:
    decision = POLICY.evaluate(
        ticket(
            item("2024-10-25T13:00:00Z", "fix-dns"),
            done(NOW.isoformat(), "T1:postmortem:fix-dns#1@0:notify0"),
        ),
        now=NOW,
    )
    assert [] == [a.id for a in decision.actions]
