"""escalate.adapters.jira: issue JSON with changelog -> Ticket, JSM SLA cross-checks, payloads.

The fixtures under fixtures/jira/ are written from Jira's documented REST formats; their
README.md names the documents used for each.
"""

from __future__ import annotations

import copy
import json
import runpy
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import escalate
from escalate import TicketError
from escalate.adapters import jira

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "jira"
POLICY = escalate.load(str(ROOT / "rules" / "itil-default.yaml"))
AT = datetime(2024, 6, 3, 8, 20, tzinfo=UTC)  # when SUP-42.json was "fetched": 10:20 +0200

CLOUD = jira.JiraMapping(
    group_field="customfield_10050",
    statuses={"Waiting for support": "new"},
    custom_fields={"customfield_10060": "contact_channel"},
    sla_fields={"customfield_10030": "resolution", "customfield_10031": "response"},
    transitions={"escalate": "31"},
    priority_names={"P2": "High"},
)
SERVER = jira.JiraMapping(
    api_version=2,
    group_field="customfield_10050",
    group_field_name="Assignment group",
    group_format="text",
    priorities={"Highest": "Critical"},
)


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def events(ticket: escalate.Ticket) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in e.items() if k not in ("actor", "index")}
        for e in ticket.to_dict()["events"]
    ]


# -- instants --------------------------------------------------------------------------------


def test_an_offset_without_a_colon_is_read_exactly() -> None:
    assert jira.parse_instant("2024-06-03T09:00:00.000-0700") == datetime(
        2024, 6, 3, 16, 0, tzinfo=UTC
    )


def test_an_offset_with_a_colon_and_z_are_read_too() -> None:
    assert jira.parse_instant("2024-06-03T09:00:00+05:30") == datetime(
        2024, 6, 3, 3, 30, tzinfo=UTC
    )
    assert jira.parse_instant("2024-06-03T09:00:00.5Z") == datetime(
        2024, 6, 3, 9, 0, 0, 500000, tzinfo=UTC
    )


def test_a_timestamp_without_an_offset_is_refused_without_a_declared_zone() -> None:
    with pytest.raises(TicketError) as caught:
        jira.parse_instant("2024-06-03T09:00:00.000", ("fields", "created"))
    assert (("fields", "created"), "2024-06-03T09:00:00.000") == (
        caught.value.path,
        caught.value.value,
    )


def test_a_declared_zone_reads_offset_less_timestamps() -> None:
    issue = load("SUP-42.json")
    issue["fields"]["created"] = "2024-06-03T09:00:00.000"
    ticket = jira.read_issue(issue, jira.JiraMapping(time_zone="Europe/Berlin", **_cloud_args()))
    assert datetime(2024, 6, 3, 7, 0, tzinfo=UTC) == ticket.opened_at


@pytest.mark.parametrize("text", ["2024-10-27T02:30:00.000", "2024-03-31T02:30:00.000"])
def test_a_local_time_a_clock_change_repeats_or_skips_is_refused(text: str) -> None:
    with pytest.raises(TicketError) as caught:
        jira.parse_instant(text, ("fields", "created"), "Europe/Berlin")
    assert (("fields", "created"), text) == (caught.value.path, caught.value.value)


@pytest.mark.parametrize(
    "text", ["0001-01-01T00:00:00.000+1400", "9999-12-31T23:59:59.999-1400", "2024-02-30T09:00:00Z"]
)
def test_regression_an_instant_out_of_range_after_its_offset_is_a_ticket_error(text: str) -> None:
    # Found by fuzzing: the offset arithmetic raised OverflowError.
    with pytest.raises(TicketError) as caught:
        jira.parse_instant(text, ("fields", "created"))
    assert text == caught.value.value


def test_regression_epoch_millis_before_year_one_is_a_ticket_error() -> None:
    issue = load("SUP-42.json")
    issue["fields"]["customfield_10030"]["ongoingCycle"]["breachTime"] = {"epochMillis": -(10**14)}
    with pytest.raises(TicketError) as caught:
        jira.compare_sla(issue, _decision(load("SUP-42.json")), CLOUD)
    assert (-(10**14)) == caught.value.value


def _cloud_args() -> dict[str, Any]:
    return {
        "group_field": CLOUD.group_field,
        "statuses": CLOUD.statuses,
        "custom_fields": CLOUD.custom_fields,
    }


# -- issue -> ticket -------------------------------------------------------------------------


def test_the_cloud_issue_reads_as_a_ticket_with_its_history_in_time_order() -> None:
    ticket = jira.read_issue(load("SUP-42.json"), CLOUD)
    assert [
        {"at": "2024-06-03T07:00:00+00:00", "type": "created"},
        {
            "at": "2024-06-03T07:05:00+00:00",
            "type": "priority-changed",
            "priority": "High",
            "from_priority": "Medium",
        },
        {"at": "2024-06-03T07:05:00+00:00", "type": "assigned", "group": "service-desk"},
        {
            "at": "2024-06-03T07:45:00+00:00",
            "type": "assigned",
            "assignee": "5b10ac8d82e05b22cc7d4ef5",
        },
        {
            "at": "2024-06-03T07:45:00+00:00",
            "type": "field-changed",
            "field": "fields.contact_channel",
            "from": "email",
            "to": "phone",
        },
        {"at": "2024-06-03T07:50:00+00:00", "type": "status-changed", "status": "in-progress"},
    ] == events(ticket)


def test_the_cloud_issue_carries_its_current_fields() -> None:
    ticket = jira.read_issue(load("SUP-42.json"), CLOUD)
    assert ("SUP-42", "High", "service-desk", "5b10ac8d82e05b22cc7d4ef5", "in-progress") == (
        ticket.id,
        ticket.priority,
        ticket.assignment_group,
        ticket.assignee,
        ticket.status,
    )
    assert {"contact_channel": "phone"} == dict(ticket.fields)


def test_the_history_author_is_the_event_actor() -> None:
    ticket = jira.read_issue(load("SUP-42.json"), CLOUD)
    assert "5b10ac8d82e05b22cc7d4ef5" == ticket.to_dict()["events"][-1]["actor"]


def test_histories_at_one_instant_are_ordered_by_id() -> None:
    # SRV-7: 30002 resolves and 30003 reopens at the same 10:00 -0700.
    ticket = jira.read_issue(load("SRV-7.json"), SERVER)
    kinds = [(e["type"], e.get("status")) for e in events(ticket)]
    assert [
        ("created", None),
        ("status-changed", "open"),  # the status it was created in, from the first change
        ("status-changed", "in-progress"),
        ("assigned", None),
        ("resolved", "resolved"),
        ("assigned", None),
        ("assigned", None),
        ("reopened", "in-progress"),
        ("resolved", "resolved"),
        ("closed", "closed"),
    ] == kinds


def test_the_server_issue_names_people_by_name_and_maps_priorities() -> None:
    ticket = jira.read_issue(load("SRV-7.json"), SERVER)
    assert ("jonas.weber", "second-line", "Critical", "closed", 1) == (
        ticket.assignee,
        ticket.assignment_group,
        ticket.priority,
        ticket.status,
        ticket.reopen_count,
    )


def test_a_cleared_assignee_is_a_field_change_to_null() -> None:
    issue = load("SUP-42.json")
    issue["fields"]["assignee"] = None
    issue["changelog"]["histories"].insert(
        0,
        {
            "id": "10314",
            "created": "2024-06-03T10:00:00.000+0200",
            "items": [
                {"field": "assignee", "fromString": "Anna Schmidt", "to": None, "toString": None}
            ],
        },
    )
    ticket = jira.read_issue(issue, CLOUD)
    assert {
        "at": "2024-06-03T08:00:00+00:00",
        "type": "field-changed",
        "field": "assignee",
        "to": None,
    } == events(ticket)[-1]
    assert ticket.assignee is None


def test_resolutiondate_says_when_a_resolved_issue_without_history_was_resolved() -> None:
    issue = load("SUP-42.json")
    del issue["changelog"]
    issue["fields"].update(
        status={"name": "Resolved"},
        resolutiondate="2024-06-03T11:00:00.000+0200",
        assignee=None,
        customfield_10050=None,
        customfield_10060=None,
    )
    ticket = jira.read_issue(issue, CLOUD)
    assert {"at": "2024-06-03T09:00:00+00:00", "type": "resolved", "status": "resolved"} == events(
        ticket
    )[-1]


@pytest.mark.parametrize(
    "case", json.loads((FIXTURES / "malformed.json").read_text()), ids=lambda c: c["name"]
)
def test_a_malformed_issue_is_a_ticket_error_naming_the_field_and_value(
    case: dict[str, Any],
) -> None:
    issue = load("SUP-42.json")
    if "set" in case:
        keys, value = case["set"]
        _at(issue, keys[:-1])[keys[-1]] = value
    else:
        keys = case["delete"]
        del _at(issue, keys[:-1])[keys[-1]]
    with pytest.raises(TicketError) as caught:
        jira.read_issue(issue, CLOUD)
    assert (tuple(case["path"]), case["value"]) == (caught.value.path, caught.value.value)


def _at(data: Any, keys: list[Any]) -> Any:
    for key in keys:
        data = data[key]
    return data


@pytest.mark.parametrize(
    "bad",
    [
        {"time_zone": "Mars/Olympus"},
        {"api_version": 4},
        {"statuses": {"Done": 3}},
        {"closed_statuses": "done"},
        {"sla_tolerance": 60},
        {"group_format": "select"},
    ],
)
def test_a_mapping_that_does_not_fit_is_an_argument_error(bad: dict[str, Any]) -> None:
    with pytest.raises(escalate.ArgumentError):
        jira.JiraMapping(**bad)


def test_a_mapping_is_frozen_and_compares_by_value() -> None:
    table = {"Waiting for support": "new"}
    mapping = jira.JiraMapping(statuses=table)
    table["Done"] = "closed"
    assert ({"Waiting for support": "new"}, mapping) == (
        dict(mapping.statuses),
        jira.JiraMapping(statuses={"Waiting for support": "new"}),
    )
    assert hash(mapping) == hash(jira.JiraMapping(statuses={"Waiting for support": "new"}))


# -- JSM SLA cross-checks --------------------------------------------------------------------


def _decision(issue: dict[str, Any], at: datetime = AT) -> escalate.Decision:
    return POLICY.evaluate(jira.read_issue(issue, CLOUD), now=at)


def test_sla_disagreements_are_reported_with_both_values() -> None:
    issue = load("SUP-42.json")
    found = [d.to_dict() for d in jira.compare_sla(issue, _decision(issue), CLOUD)]
    assert [
        # JSM's goal is 4h; the pack gives P2 8h.
        {
            "field": "customfield_10030",
            "clock": "resolution",
            "what": "breach_at",
            "jira": "2024-06-03T11:00:00+00:00",
            "escalate": "2024-06-03T15:00:00+00:00",
        },
        {
            "field": "customfield_10030",
            "clock": "resolution",
            "what": "remaining",
            "jira": 9_600_000,
            "escalate": 24_000_000,
        },
        # Both breached: JSM stopped at the 09:45 reply (-15m), escalate has no first-response.
        {
            "field": "customfield_10031",
            "clock": "response",
            "what": "remaining",
            "jira": -900_000,
            "escalate": -3_000_000,
        },
    ] == found


def test_a_negative_remaining_time_that_matches_ours_agrees() -> None:
    issue = load("SUP-42.json")
    # Record the first response at 09:45 +0200, as JSM did: both clocks are 15m past breach.
    data = jira.read_issue(issue, CLOUD).to_dict()
    reply = {"at": "2024-06-03T07:45:00+00:00", "type": "first-response"}
    data["events"] = sorted([*data["events"], reply], key=lambda e: e["at"])
    for event in data["events"]:
        event.pop("index", None)
    decision = POLICY.evaluate(escalate.Ticket.from_mapping(data), now=AT)
    mapping = jira.JiraMapping(sla_fields={"customfield_10031": "response"})
    assert timedelta(minutes=-15) == decision.clock("response").remaining
    assert () == jira.compare_sla(issue, decision, mapping)


def test_a_breached_flag_that_differs_is_reported() -> None:
    issue = load("SUP-42.json")
    issue["fields"]["customfield_10030"]["ongoingCycle"]["breached"] = True
    found = jira.compare_sla(issue, _decision(issue), CLOUD)
    assert ("breached", True, False) == (found[0].what, found[0].jira, found[0].escalate)


def test_an_sla_for_a_clock_the_policy_lacks_is_reported() -> None:
    issue = load("SUP-42.json")
    mapping = jira.JiraMapping(sla_fields={"customfield_10030": "no-such-clock"})
    found = jira.compare_sla(issue, _decision(issue), mapping)
    assert [("clock", "running", None)] == [(d.what, d.jira, d.escalate) for d in found]


@pytest.mark.parametrize(
    ("where", "value", "path", "bad"),
    [
        ("breached", "no", ("breached",), "no"),
        ("remainingTime", {"millis": "2h"}, ("remainingTime", "millis"), "2h"),
        (
            "breachTime",
            {"iso8601": "2024-06-03T13:00:00+0200", "epochMillis": 1},
            ("breachTime", "epochMillis"),
            1,
        ),
        (
            "breachTime",
            {"iso8601": "2024-06-03T13:00:00"},
            ("breachTime", "iso8601"),
            "2024-06-03T13:00:00",
        ),
        ("paused", None, ("paused",), None),
    ],
)
def test_a_malformed_sla_field_is_a_ticket_error(
    where: str, value: object, path: tuple[str, ...], bad: object
) -> None:
    issue = load("SUP-42.json")
    issue["fields"]["customfield_10030"]["ongoingCycle"][where] = value
    with pytest.raises(TicketError) as caught:
        jira.compare_sla(issue, _decision(load("SUP-42.json")), CLOUD)
    expected = (("fields", "customfield_10030", "ongoingCycle", *path), bad)
    assert expected == (caught.value.path, caught.value.value)


# -- payloads --------------------------------------------------------------------------------


def test_the_decision_writes_a_transition_an_edit_and_an_adf_comment() -> None:
    out = jira.payloads(_decision(load("SUP-42.json")), CLOUD)
    assert {"transition": {"id": "31"}} == out["transition"]
    assert {
        "fields": {"customfield_10050": {"value": "second-line"}, "priority": {"name": "High"}}
    } == out["edit"]
    comment: Any = out["comment"]
    assert ("doc", 1) == (comment["body"]["type"], comment["body"]["version"])
    first = comment["body"]["content"][0]["content"][0]["text"]
    assert first.startswith("ticket SUP-42 at 2024-06-03T08:20:00+00:00")


def test_the_server_comment_is_the_explanation_in_a_noformat_block() -> None:
    decision = _decision(load("SUP-42.json"))
    expected = {"body": "{noformat}\n" + decision.explain() + "\n{noformat}"}
    assert expected == jira.comment_payload(decision, SERVER)


def test_nothing_to_transition_or_edit_is_none() -> None:
    decision = _decision(load("SUP-42.json"))
    bare = jira.JiraMapping()
    assert (None, None) == (
        jira.transition_payload(decision, bare),
        jira.edit_payload(decision, bare),
    )


# -- the example handler --------------------------------------------------------------------


def test_the_example_handler_prints_the_bodies_for_the_bundled_issue() -> None:
    script = ROOT / "examples" / "jira" / "handler.py"
    run = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    out = json.loads(run.stdout)
    assert ({"id": "31"}, 3) == (out["transition"]["transition"], len(out["sla_disagreements"]))


def test_the_example_bundles_the_documented_fixture() -> None:
    bundled = (ROOT / "examples" / "jira" / "SUP-42.json").read_text(encoding="utf-8")
    assert (FIXTURES / "SUP-42.json").read_text(encoding="utf-8") == bundled


def test_the_example_handler_is_deterministic() -> None:
    module = runpy.run_path(str(ROOT / "examples" / "jira" / "handler.py"))
    issue = json.loads((ROOT / "examples" / "jira" / "SUP-42.json").read_text())
    first = json.dumps(module["handle"](issue, AT, POLICY), sort_keys=True)
    assert first == json.dumps(module["handle"](copy.deepcopy(issue), AT, POLICY), sort_keys=True)


# -- property --------------------------------------------------------------------------------


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(data, dict):
        return [prefix] + [p for k, v in data.items() for p in _paths(v, (*prefix, k))]
    if isinstance(data, list):
        return [prefix] + [p for i, v in enumerate(data) for p in _paths(v, (*prefix, i))]
    return [prefix]


_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(
        [
            "2024-06-03T09:00:00.000-0700",
            "9999-12-31T23:59:59.999-1400",
            "Resolved",
            "Done",
            "",
            " ",
        ]
    ),
    st.just({}),
    st.just([]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_round_trip_is_deterministic_and_raises_only_ticket_errors(data: st.DataObject) -> None:
    base = load(data.draw(st.sampled_from(["SUP-42.json", "SRV-7.json"])))
    mapping = CLOUD if "fields" in base and base["key"] == "SUP-42" else SERVER
    issue = copy.deepcopy(base)
    for _ in range(data.draw(st.integers(0, 3))):
        path = data.draw(st.sampled_from(_paths(issue)[1:]))
        parent = _at(issue, list(path[:-1]))
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(_JUNK)

    def round_trip() -> str:
        ticket = jira.read_issue(copy.deepcopy(issue), mapping)
        decision = POLICY.evaluate(ticket, now=AT + timedelta(hours=1))
        found = [d.to_dict() for d in jira.compare_sla(issue, decision, mapping)]
        return json.dumps([jira.payloads(decision, mapping), found], sort_keys=True)

    try:
        first = round_trip()
    except TicketError:
        return
    assert first == round_trip()
