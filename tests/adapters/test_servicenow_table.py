"""escalate.adapters.servicenow: Table API records and history rows -> Ticket, Decision -> PATCH.

The fixtures under fixtures/servicenow/ are written from ServiceNow's documented formats; their
README.md names the documents used for each.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import escalate
from escalate import TicketError
from escalate.adapters import servicenow as sn

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "servicenow"
POLICY = escalate.load(str(ROOT / "rules" / "itil-default.yaml"))
AT = datetime(2024, 6, 3, 8, 20, tzinfo=UTC)

SERVICE_DESK = "d625dccec0a8016700a222a0f7900d06"
NETWORK = "287ebd7da9fe198100f92cc8d1d2154e"
SECOND_LINE = "8a5055c9c61122780043563ef53438e3"
BETH = "46d44a23a9fe19810012d100cca80666"
FRED = "5137153cc611227c000bbd1bd8cd2005"
NAMES = {
    SERVICE_DESK: "Service Desk",
    NETWORK: "Network",
    SECOND_LINE: "Second Line",
    BETH: "Beth Anglin",
    FRED: "Fred Luddy",
}
# The fetching user's settings: the record's display values are in Berlin time, German order.
MAPPING = sn.ServiceNowMapping(
    time_zone="Europe/Berlin",
    date_format="dd.MM.yyyy HH:mm:ss",
    custom_columns=("u_vendor_ticket",),
)
OPTIONS = sn.PatchOptions(
    groups={"second-line": SECOND_LINE, "network-ops": NETWORK},
    escalation_levels={"L1": "0", "L2": "1", "L3": "2", "L4": "3"},
    priorities={"P1": "1", "P2": "2", "P3": "3", "P4": "4", "P5": "5"},
)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def read(mode: str, **changes: Any) -> escalate.Ticket:
    """The fixture incident read in ``mode``: false and all with its sys_audit rows, true with
    its sys_history_line rows (display values both, as a user's view)."""
    record, history = _inputs(mode)
    return _read(mode, record, history, **changes)


def _inputs(mode: str) -> tuple[Any, Any]:
    table = "sys_history_line" if mode == "true" else "sys_audit"
    return load(f"INC0010042-{mode}.json"), load(f"INC0010042-{table}.json")


def _read(mode: str, record: Any, history: Any, **changes: Any) -> escalate.Ticket:
    arguments: dict[str, Any] = {"display_value": mode, "history": history}
    if mode == "true":
        arguments["history_table"] = "sys_history_line"
    else:
        arguments["names"] = NAMES
    arguments.update(changes)
    return sn.read_incident(record, MAPPING, **arguments)


def events(ticket: escalate.Ticket) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "actor"} for e in ticket.to_dict()["events"]]


# -- record -> ticket ------------------------------------------------------------------------


def test_the_stored_values_and_audit_rows_read_as_a_ticket_with_its_history_in_order() -> None:
    assert [
        {"at": "2024-06-03T07:00:00+00:00", "type": "status-changed", "status": "new"},
        {"at": "2024-06-03T07:00:00+00:00", "type": "priority-changed", "priority": "3 - Moderate"},
        {"at": "2024-06-03T07:00:00+00:00", "type": "field-changed", "field": "impact",
         "to": "2 - Medium"},
        {"at": "2024-06-03T07:00:00+00:00", "type": "field-changed", "field": "urgency",
         "to": "2 - Medium"},
        {"at": "2024-06-03T07:00:00+00:00", "type": "field-changed", "field": "category",
         "to": "network"},
        {"at": "2024-06-03T07:00:00+00:00", "type": "field-changed", "field": "customer.id",
         "to": "Fred Luddy"},
        {"at": "2024-06-03T07:00:00+00:00", "type": "assigned", "group": "Service Desk"},
        {"at": "2024-06-03T07:05:00+00:00", "type": "field-changed", "field": "urgency",
         "from": "2 - Medium", "to": "1 - High"},
        {"at": "2024-06-03T07:05:00+00:00", "type": "priority-changed", "priority": "2 - High",
         "from_priority": "3 - Moderate"},
        {"at": "2024-06-03T07:20:00+00:00", "type": "assigned", "group": "Network"},
        {"at": "2024-06-03T07:20:00+00:00", "type": "assigned", "assignee": "Beth Anglin"},
        {"at": "2024-06-03T07:20:00+00:00", "type": "status-changed", "status": "in-progress"},
        {"at": "2024-06-03T07:30:00+00:00", "type": "comment"},
        {"at": "2024-06-03T07:45:00+00:00", "type": "field-changed", "field": "assignee",
         "to": None},
        {"at": "2024-06-03T07:45:00+00:00", "type": "assigned", "group": "Second Line"},
        {"at": "2024-06-03T07:50:00+00:00", "type": "status-changed", "status": "on-hold"},
        {"at": "2024-06-03T07:50:00+00:00", "type": "field-changed",
         "field": "fields.u_vendor_ticket", "to": "V-881"},
        {"at": "2024-06-03T08:10:00+00:00", "type": "status-changed", "status": "in-progress"},
    ] == events(read("false"))  # fmt: skip


def test_the_record_gives_the_current_fields_and_servicenow_counters() -> None:
    ticket = read("false")
    assert (
        "INC0010042", "2 - High", "2 - Medium", "1 - High", "Second Line", None, "in-progress",
        "Fred Luddy", {"u_vendor_ticket": "V-881"}, 2, 0,
    ) == (
        ticket.id, ticket.priority, ticket.impact, ticket.urgency, ticket.assignment_group,
        ticket.assignee, ticket.status, ticket.customer.id, dict(ticket.fields),
        ticket.reassignment_count, ticket.reopen_count,
    )  # fmt: skip


def test_the_audit_user_is_the_event_actor() -> None:
    assert "sl.agent" == read("false").to_dict()["events"][-1]["actor"]


def test_the_all_record_reads_the_same_ticket_as_the_stored_values() -> None:
    assert read("false").to_dict() == read("all").to_dict()


def test_the_display_record_with_history_lines_reads_the_same_ticket_but_choice_labels() -> None:
    # A choice column other than state, priority, impact and urgency shows its label in
    # display mode ("Network"); everything else is the same ticket.
    shown, stored = read("true").to_dict(), read("false").to_dict()
    assert ("Network", "network") == (shown["category"], stored["category"])
    shown["category"] = stored["category"]
    shown["events"][4]["to"] = stored["events"][4]["to"]
    assert stored == shown


def test_the_envelope_is_optional() -> None:
    record, history = _inputs("false")
    assert read("false").to_dict() == _read("false", record["result"], history["result"]).to_dict()


def test_display_dates_are_read_in_the_declared_zone_and_format() -> None:
    # 09:00 in Berlin (summer time) is 07:00 UTC; the stored value says so too.
    assert datetime(2024, 6, 3, 7, tzinfo=UTC) == read("true").opened_at


def test_the_record_mode_is_declared_not_guessed_from_its_shape() -> None:
    record, history = _inputs("all")
    with pytest.raises(TicketError) as caught:
        _read("false", record, history)
    assert ("result", "sys_id", "display_value") == caught.value.path


def test_without_names_a_stored_values_record_keeps_sys_ids() -> None:
    record, _ = _inputs("false")
    ticket = sn.read_incident(record, MAPPING, display_value="false")
    assert (SECOND_LINE, FRED) == (ticket.assignment_group, ticket.customer.id)


def test_an_all_record_names_its_own_references_for_the_history() -> None:
    # Only the groups the record does not show need a declared name.
    record, history = _inputs("all")
    names = {SERVICE_DESK: "Service Desk", NETWORK: "Network", BETH: "Beth Anglin"}
    ticket = _read("all", record, history, names=names)
    assert ("Second Line", "Fred Luddy") == (ticket.assignment_group, ticket.customer.id)


@pytest.mark.parametrize("names", [None, NAMES])
def test_a_display_record_refuses_audit_rows_and_says_what_to_fetch(
    names: dict[str, str] | None,
) -> None:
    # sys_audit holds stored values ("network") and the record labels ("Network"): even with
    # every sys_id named, a choice column could not be compared. Refused, not half-read.
    record, _ = _inputs("true")
    with pytest.raises(escalate.ArgumentError) as caught:
        sn.read_incident(record, MAPPING, display_value="true", names=names, history=load(
            "INC0010042-sys_audit.json"))  # fmt: skip
    assert "sysparm_display_value=all" in str(caught.value)
    assert "sys_history_line" in str(caught.value)


def test_a_display_record_without_audit_rows_is_read() -> None:
    record, _ = _inputs("true")
    for history in ([], {"result": []}):
        ticket = sn.read_incident(record, MAPPING, display_value="true", history=history)
        assert "in-progress" == ticket.status


def test_rows_of_fields_the_mapping_does_not_map_are_left_out() -> None:
    # short_description changed at 07:50: no event for it.
    assert not [e for e in events(read("false")) if "short" in str(e.get("field"))]


def test_rows_at_one_instant_follow_the_record_checkpoint() -> None:
    record, history = _inputs("false")
    for row in history["result"]:
        row["sys_created_on"] = "2024-06-03 07:00:00"
        row.pop("internal_checkpoint")
    kinds = [(e["type"], e.get("status")) for e in events(_read("false", record, history))]
    assert [("status-changed", "new"), ("status-changed", "in-progress"),
            ("status-changed", "on-hold"), ("status-changed", "in-progress")] == [
        k for k in kinds if k[0] == "status-changed"
    ]  # fmt: skip


def test_a_row_before_opened_at_is_clamped_when_the_mapping_says_so() -> None:
    record, history = _inputs("false")
    row = next(r for r in history["result"] if r["fieldname"] == "category")
    row["sys_created_on"] = "2024-06-03 06:59:00"
    mapping = sn.ServiceNowMapping(
        time_zone="Europe/Berlin", custom_columns=("u_vendor_ticket",), before_opened="clamp"
    )
    ticket = sn.read_incident(record, mapping, display_value="false", history=history, names=NAMES)
    assert datetime(2024, 6, 3, 7, tzinfo=UTC) == ticket.events[4].at


def test_a_resolved_then_reopened_history_reads_as_resolved_and_reopened() -> None:
    record, history = _inputs("false")
    rows = history["result"]
    resolve = {**_state_row(rows, 6), "oldvalue": "3", "newvalue": "6",
               "sys_created_on": "2024-06-03 08:00:00"}  # fmt: skip
    for row in rows:
        if row["fieldname"] == "state" and row["record_checkpoint"] == "6":
            row.update(oldvalue="6", newvalue="2", record_checkpoint="7")
    rows.append(resolve)
    record["result"]["reopen_count"] = "1"
    kinds = [(e["type"], e.get("status")) for e in events(_read("false", record, history))]
    assert [("resolved", "resolved"), ("reopened", "in-progress")] == kinds[-2:]


def _state_row(rows: list[dict[str, Any]], checkpoint: int) -> dict[str, Any]:
    wanted = ("state", str(checkpoint))
    return dict(next(r for r in rows if (r["fieldname"], r["record_checkpoint"]) == wanted))


def test_a_closed_record_without_state_history_ends_at_its_dates() -> None:
    record, _ = _inputs("false")
    record["result"].update(
        state="7", resolved_at="2024-06-03 10:00:00", closed_at="2024-06-04 10:00:00"
    )
    ticket = sn.read_incident(record, MAPPING, display_value="false", names=NAMES)
    assert [
        {"at": "2024-06-03T10:00:00+00:00", "type": "resolved", "status": "resolved"},
        {"at": "2024-06-04T10:00:00+00:00", "type": "closed", "status": "closed"},
    ] == events(ticket)


def test_a_closed_record_resolved_after_it_closed_is_refused_not_dropped() -> None:
    record, _ = _inputs("false")
    record["result"].update(
        state="7", resolved_at="2024-06-03 09:00:00", closed_at="2024-06-03 08:00:00"
    )
    with pytest.raises(TicketError) as caught:
        sn.read_incident(record, MAPPING, display_value="false", names=NAMES)
    assert (("result", "resolved_at"), "2024-06-03 09:00:00") == (
        caught.value.path,
        caught.value.value,
    )


def _closing_row(old: str, new: str, at: str) -> dict[str, str]:
    return {"documentkey": "9d385017c611228701d22104cc95c371", "fieldname": "state",
            "oldvalue": old, "newvalue": new, "sys_created_on": at,
            "record_checkpoint": "9", "user": "itil"}  # fmt: skip


def test_a_history_that_begins_resolved_starts_at_resolved_at_not_opened_at() -> None:
    # One row, Resolved -> Closed: the resolution is the record's resolved_at (08:00), not
    # opened_at, so the resolution clock ran an hour.
    record, _ = _inputs("false")
    record["result"].update(
        state="7", resolved_at="2024-06-03 08:00:00", closed_at="2024-06-03 09:00:00"
    )
    history = [_closing_row("6", "7", "2024-06-03 09:00:00")]
    ticket = sn.read_incident(record, MAPPING, display_value="false", history=history)
    assert [
        ("resolved", "resolved", "2024-06-03T08:00:00+00:00"),
        ("closed", "closed", "2024-06-03T09:00:00+00:00"),
    ] == [(e["type"], e["status"], e["at"]) for e in events(ticket)]
    clock = POLICY.evaluate(ticket, now=datetime(2024, 6, 3, 10, tzinfo=UTC)).clocks["resolution"]
    assert "1h" == clock.to_dict()["elapsed"]


def test_a_history_that_begins_closed_starts_at_the_records_dates() -> None:
    record, _ = _inputs("false")
    record["result"].update(
        state="2", resolved_at="2024-06-03 08:00:00", closed_at="2024-06-03 08:30:00"
    )
    history = [_closing_row("7", "2", "2024-06-03 09:00:00")]
    ticket = sn.read_incident(record, MAPPING, display_value="false", history=history)
    assert [("resolved", "2024-06-03T08:00:00+00:00"), ("closed", "2024-06-03T08:30:00+00:00"),
            ("reopened", "2024-06-03T09:00:00+00:00")] == [
        (e["type"], e["at"]) for e in events(ticket)
    ]  # fmt: skip


def test_a_history_that_begins_resolved_after_its_first_change_is_refused() -> None:
    # resolved_at 10:00 is a later resolution than the one the 09:00 reopening leaves.
    record, _ = _inputs("false")
    record["result"].update(state="2", resolved_at="2024-06-03 10:00:00")
    history = [_closing_row("6", "2", "2024-06-03 09:00:00")]
    with pytest.raises(TicketError) as caught:
        sn.read_incident(record, MAPPING, display_value="false", history=history)
    assert ("result", "resolved_at") == caught.value.path


@pytest.mark.parametrize("mode", ["false", "true"])
def test_a_history_that_begins_in_an_open_state_is_refused_not_dated_opened_at(
    mode: str,
) -> None:
    # The first state row leaves On Hold: when the incident went on hold is unknown.
    record, history = _inputs(mode)
    rows = history["result"]
    first = min(
        (r for r in rows if r.get("fieldname", r.get("field")) == "state"),
        key=lambda r: r.get("sys_created_on", r.get("update_time")),
    )
    rows[:] = [r for r in rows if r.get("fieldname", r.get("field")) != "state" or r is first]
    if mode == "true":
        first.update(old="On Hold", old_value="3", new="In Progress", new_value="2")
    else:
        first.update(oldvalue="3")
    with pytest.raises(TicketError) as caught:
        _read(mode, record, history)
    assert "begins in state 'On Hold'" in caught.value.message
    assert ("history", rows.index(first)) == caught.value.path[:2]
    assert "3" == caught.value.value


def test_a_resolved_record_without_history_or_resolved_at_is_refused() -> None:
    record, _ = _inputs("false")
    record["result"]["state"] = "6"
    with pytest.raises(TicketError) as caught:
        sn.read_incident(record, MAPPING, display_value="false", names=NAMES)
    assert ("result", "resolved_at") == caught.value.path


@pytest.mark.parametrize(
    "case", load("malformed.json"), ids=lambda c: c["name"]
)  # fmt: skip
def test_a_malformed_payload_is_a_ticket_error_naming_the_field_and_value(
    case: dict[str, Any],
) -> None:
    record, history = _inputs(case["in"])
    data = {"result": record["result"], "history": history}
    keys = case["set"][0] if "set" in case else case["delete"]
    parent = data if keys[0] != "result" else record
    for key in keys[:-1]:
        parent = parent[key]
    if "set" in case:
        parent[keys[-1]] = case["set"][1]
    else:
        del parent[keys[-1]]
    with pytest.raises(TicketError) as caught:
        _read(case["in"], record, history)
    assert (tuple(case["path"]), case["value"]) == (caught.value.path, caught.value.value)


@pytest.mark.parametrize(
    "bad",
    [
        {"display_value": True},
        {"display_value": "display"},
        {"display_value": "false", "history_table": "sys_journal_field"},
        {"display_value": "false", "names": {"a": 1}},
    ],
)
def test_arguments_that_do_not_fit_are_argument_errors(bad: dict[str, Any]) -> None:
    record, _ = _inputs("false")
    with pytest.raises(escalate.ArgumentError):
        sn.read_incident(record, MAPPING, **bad)


# -- decision -> PATCH body ------------------------------------------------------------------


def _decision(ticket: escalate.Ticket) -> escalate.Decision:
    return POLICY.evaluate(ticket, now=AT)


def test_the_patch_body_sets_escalation_and_carries_the_explanation() -> None:
    ticket = read("false")
    body = sn.patch_body(_decision(ticket), ticket, MAPPING, OPTIONS)
    assert body is not None
    # The service-desk path is at L2 (Moderate) but the response clock is breached: Overdue.
    # P2 is its priority already.
    assert ["assignment_group", "escalation", "work_notes"] == sorted(body)
    assert "3" == body["escalation"]
    assert body["work_notes"].startswith("ticket INC0010042 at 2024-06-03T08:20:00+00:00")


def test_a_due_move_to_the_current_group_does_not_hide_another_teams_move() -> None:
    # Due: transfer -> network-ops (07:00) and escalate -> second-line (07:35), the group the
    # incident is in. The later move changes nothing; the transfer the notes announce is
    # written, and the notes need no word on the choice.
    ticket = read("false")
    decision = _decision(ticket)
    assert [("transfer", "team:network-ops"), ("escalate", "team:second-line")] == [
        (a.kind, a.targets[0]) for a in decision.actions if a.kind in ("escalate", "transfer")
    ]
    body = sn.patch_body(decision, ticket, MAPPING, OPTIONS)
    assert body is not None
    assert NETWORK == body["assignment_group"]
    assert "not written" not in body["work_notes"]


def test_a_group_change_is_written_as_the_declared_sys_id() -> None:
    ticket = read("false")
    data = ticket.to_dict()
    data["events"] = [e for e in data["events"] if e.get("group") != "Second Line"]
    data["assignment_group"] = "Network"
    moved = escalate.Ticket.from_mapping(data)
    body = sn.patch_body(_decision(moved), moved, MAPPING, OPTIONS)
    assert body is not None
    # Two teams' moves are due (the group is named "Network", not network-ops): the latest
    # is written, and the work notes say which one was not.
    assert SECOND_LINE == body["assignment_group"]
    assert body["work_notes"].endswith(
        "\nassignment_group: team:second-line written, the latest due move (escalate by"
        " path:service-desk, due 2024-06-03T07:35:00+00:00); not written: team:network-ops"
        " (transfer by path:network-team, due 2024-06-03T07:00:00+00:00)"
    )


def test_display_values_are_written_when_declared() -> None:
    ticket = read("true")
    data = ticket.to_dict()
    data["events"] = [e for e in data["events"] if e.get("group") != "Second Line"]
    data["assignment_group"] = "Network"
    moved = escalate.Ticket.from_mapping(data)
    options = sn.PatchOptions(
        input_display_value=True, escalation_levels={"L2": "1"}, escalation_on_breach=None
    )
    body = sn.patch_body(_decision(moved), moved, MAPPING, options)
    assert body is not None
    assert ("second-line", "Moderate") == (body["assignment_group"], body["escalation"])


def test_a_team_without_a_sys_id_is_refused_when_writing_values() -> None:
    ticket = read("false")
    data = ticket.to_dict()
    data["events"] = [e for e in data["events"] if e.get("group") != "Second Line"]
    data["assignment_group"] = "Network"
    moved = escalate.Ticket.from_mapping(data)
    with pytest.raises(escalate.ArgumentError, match="second-line"):
        sn.patch_body(_decision(moved), moved, MAPPING, sn.PatchOptions())


def test_a_priority_the_decision_changes_is_written() -> None:
    # Impact 1 x urgency 1 is P1 by the pack's matrix, but the record says 2 - High.
    ticket = read("false")
    data = ticket.to_dict()
    data["priority"] = None
    data["events"] = [e for e in data["events"] if e["type"] != "priority-changed"]
    data["impact"] = "1 - High"
    data["events"] = [
        e for e in data["events"] if not (e["type"] == "field-changed" and e["field"] == "impact")
    ]
    unprioritised = escalate.Ticket.from_mapping(data)
    decision = _decision(unprioritised)
    body = sn.patch_body(decision, unprioritised, MAPPING, OPTIONS)
    assert body is not None
    assert ("P1", "1") == (decision.priority, body["priority"])


def test_nothing_due_and_nothing_to_change_is_no_body() -> None:
    # A software incident a minute after it was opened, still unassigned: nothing is due.
    data = read("false").to_dict()
    data["events"] = [e for e in data["events"] if e["at"] <= "2024-06-03T07:00:00+00:00"]
    for event in data["events"]:
        if event.get("field") == "category":
            event["to"] = "software"
    data.update(
        category="software", assignment_group=None, assignee=None, priority=None, urgency=None,
        status=None, reassignment_count=None, fields={},
    )  # fmt: skip
    ticket = escalate.Ticket.from_mapping(data)
    decision = POLICY.evaluate(ticket, now=datetime(2024, 6, 3, 7, 1, tzinfo=UTC))
    assert () == decision.actions
    assert sn.patch_body(decision, ticket, MAPPING, OPTIONS) is None


def _all_done(ticket: escalate.Ticket) -> tuple[escalate.Decision, escalate.Ticket]:
    """The decision at AT once every action due then is recorded as done."""
    due = _decision(ticket).actions
    done = ticket.with_events([escalate.Event(0, AT, "action-done", action_id=a.id) for a in due])
    return POLICY.evaluate(done, now=AT), done


def test_a_breach_alone_sets_escalation_when_the_record_escalation_is_unknown() -> None:
    # Every action done, the response clock still breached: escalation Overdue is a change.
    decision, done = _all_done(read("false"))
    assert () == decision.actions
    body = sn.patch_body(decision, done, MAPPING, OPTIONS)
    assert body is not None
    assert ("3", ["escalation", "work_notes"]) == (body["escalation"], sorted(body))


@pytest.mark.parametrize(("mode", "current", "sent"), [
    ("false", "3", False), ("false", "1", True), ("all", "3", False), ("true", "Overdue", False),
    ("true", "Moderate", True), ("false", "", True),
])  # fmt: skip
def test_escalation_is_written_when_it_differs_from_the_records(
    mode: str, current: str, sent: bool
) -> None:
    mapping = sn.ServiceNowMapping(
        time_zone="Europe/Berlin",
        date_format="dd.MM.yyyy HH:mm:ss",
        custom_columns=("u_vendor_ticket", "escalation"),
    )
    record, history = _inputs(mode)
    cell = record["result"]["escalation"]
    if mode == "all":
        cell.update(value=current, display_value=sn.ESCALATIONS[current])
    else:
        record["result"]["escalation"] = current
    kwargs: dict[str, Any] = {"history_table": "sys_history_line"} if mode == "true" else {
        "names": NAMES}  # fmt: skip
    ticket = sn.read_incident(record, mapping, display_value=mode, history=history, **kwargs)
    decision, done = _all_done(ticket)
    body = sn.patch_body(decision, done, mapping, OPTIONS)
    assert sent == (body is not None)
    if body is not None:
        assert "3" == body["escalation"]


def test_work_notes_are_cut_to_the_declared_length_and_say_so() -> None:
    ticket = read("false")
    decision = _decision(ticket)
    whole = sn.work_notes(decision)
    assert sn.WORK_NOTES_MAX_LENGTH == sn.PatchOptions().work_notes_max_length
    for limit in (200, 333, len(whole) - 1):
        options = sn.PatchOptions(
            groups=OPTIONS.groups, work_notes_max_length=limit, escalation_on_breach="3"
        )
        body = sn.patch_body(decision, ticket, MAPPING, options)
        assert body is not None
        notes = body["work_notes"]
        assert len(notes) <= limit
        kept, _, last = notes.rpartition("\n")
        assert whole.startswith(kept)
        assert f"(work notes truncated: {len(whole) - len(kept)} of {len(whole)} characters" \
            " left out)" == last  # fmt: skip
    body = sn.patch_body(decision, ticket, MAPPING, sn.PatchOptions(
        groups=OPTIONS.groups, work_notes_max_length=None))  # fmt: skip
    assert body is not None
    assert whole == body["work_notes"]


def test_a_cut_explanation_keeps_the_note_on_the_group_choice() -> None:
    ticket = read("false")
    data = ticket.to_dict()
    data["events"] = [e for e in data["events"] if e.get("group") != "Second Line"]
    data["assignment_group"] = "Network"
    moved = escalate.Ticket.from_mapping(data)
    options = sn.PatchOptions(groups=OPTIONS.groups, work_notes_max_length=400)
    body = sn.patch_body(_decision(moved), moved, MAPPING, options)
    assert body is not None
    assert len(body["work_notes"]) <= 400
    assert "(work notes truncated: " in body["work_notes"]
    assert body["work_notes"].endswith("due 2024-06-03T07:00:00+00:00)")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("[code]<script>alert(1)</script>[/code]", "(code)<script>alert(1)</script>(/code)"),
        ("[CoDe]x[/ code ]", "(CoDe)x(/ code )"),
        ("[ code ]x", "( code )x"),
        ("[clock:response@100%]", "[clock:response@100%]"),
        ("a\u202eb\u200bc\x1bd", "a<U+202E>b<U+200B>c<U+001B>d"),
        ("line\n\tnext", "line\n\tnext"),
    ],
)
def test_work_notes_neutralise_markup_and_invisible_characters(text: str, shown: str) -> None:
    from escalate.adapters.servicenow._patch import _plain

    assert shown == _plain(text)


def test_a_rationale_cannot_inject_a_code_block() -> None:
    policy = escalate.loads(
        (ROOT / "rules" / "itil-default.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "every incident that needed second line or above gets a blameless post-mortem",
            "'[code]<img src=x onerror=alert(1)>[/code]'",
        )
    )
    ticket = read("false")
    notes = sn.work_notes(policy.evaluate(ticket, now=AT))
    assert "[code]" not in notes.lower()
    assert "(code)<img src=x onerror=alert(1)>(/code)" in notes


@pytest.mark.parametrize(
    "bad",
    [
        {"groups": {"second-line": ""}},
        {"escalation_levels": {"L2": "High"}},
        {"escalation_on_breach": "4"},
        {"input_display_value": "true"},
        {"priorities": {"P1": 1}},
        {"work_notes_max_length": 199},
        {"work_notes_max_length": True},
        {"work_notes_max_length": "4000"},
    ],
)
def test_patch_options_that_do_not_fit_are_argument_errors(bad: dict[str, Any]) -> None:
    with pytest.raises(escalate.ArgumentError):
        sn.PatchOptions(**bad)


def test_the_same_decision_gives_the_same_body() -> None:
    ticket = read("all")
    first = json.dumps(sn.patch_body(_decision(ticket), ticket, MAPPING, OPTIONS), sort_keys=True)
    again = read("all")
    assert first == json.dumps(
        sn.patch_body(_decision(again), again, MAPPING, OPTIONS), sort_keys=True
    )


def test_canceled_read_as_a_plain_state_ends_the_ticket_under_the_shipped_pack() -> None:
    # Canceled is in neither resolved_states nor closed_states by default: the change is a
    # status-changed, and the pack (category cancelled) ends the ticket there.
    mapping = sn.ServiceNowMapping(time_zone="Europe/Berlin", custom_columns=("u_vendor_ticket",))
    record, history = _inputs("false")
    rows = history["result"]
    rows.append(
        {**_state_row(rows, 6), "oldvalue": "2", "newvalue": "8", "record_checkpoint": "7",
         "sys_created_on": "2024-06-03 09:00:00", "internal_checkpoint": ""}
    )  # fmt: skip
    record["result"]["state"] = "8"
    ticket = sn.read_incident(record, mapping, display_value="false", history=history, names=NAMES)
    decision = POLICY.evaluate(ticket, now=datetime(2024, 6, 5, tzinfo=UTC))
    assert {"at": "2024-06-03T09:00:00+00:00", "type": "status-changed",
            "status": "canceled"} == events(ticket)[-1]  # fmt: skip
    assert decision.missed
