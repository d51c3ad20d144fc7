"""The ticket model: strict reading, derived fields, history folding, canonical form."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalate.engine.ticket import (
    EVENT_TYPES,
    STATUSES,
    Customer,
    Event,
    Ticket,
    TicketState,
)
from escalate.errors import NaiveDatetimeError, TicketError
from escalate.policy.loader import loads

CEST = timezone(timedelta(hours=2))
OPENED = datetime(2024, 6, 3, 9, 0, tzinfo=CEST)


def at(hour: int, minute: int = 0) -> datetime:
    """An instant on the incident's day, Berlin summer time, as UTC."""
    return datetime(2024, 6, 3, hour, minute, tzinfo=CEST).astimezone(UTC)


# A ServiceNow-like incident as an adapter would hand it over: display values for states and
# event types, raw priority strings, a VIP caller, custom u_* fields.
INCIDENT: dict[str, Any] = {
    "id": "INC0012345",
    "opened_at": "2024-06-03T09:00:00+02:00",
    "kind": "Incident",
    "priority": "2 - High",
    "impact": "2 - Medium",
    "urgency": "1 - High",
    "category": "Network",
    "subcategory": "VPN",
    "service": "remote-access",
    "configuration_item": "vpn-gw-01",
    "assignment_group": "Network",
    "assignee": "carol",
    "status": "In Progress",
    "business_unit": "retail",
    "region": "emea",
    "service_line": "workplace",
    "customer": {"id": "CUST-77", "tier": "gold", "vip": True},
    "risk": "high",
    "regulatory_flags": ["nis2", "gdpr", "nis2"],
    "fields": {"u_contact_type": "phone", "u_sys_mod_count": 12, "u_knowledge": False},
    "events": [
        {"at": "2024-06-03T09:00:00+02:00", "type": "Created"},
        {"at": "2024-06-03T09:05:00+02:00", "type": "assigned", "group": "Service Desk"},
        {"at": "2024-06-03T09:12:00+02:00", "type": "acknowledged", "actor": "alice"},
        {
            "at": "2024-06-03T09:40:00+02:00",
            "type": "status_changed",
            "status": "Awaiting User Info",
        },
        {"at": "2024-06-03T10:15:00+02:00", "type": "Customer Reply"},
        {
            "at": "2024-06-03T10:20:00+02:00",
            "type": "priority-changed",
            "priority": "2 - High",
            "from_priority": "3 - Moderate",
        },
        {"at": "2024-06-03T08:30:00Z", "type": "assigned", "group": "Network", "assignee": "carol"},
        {"at": "2024-06-03T10:31:00+02:00", "type": "Status Changed", "status": "in_progress"},
    ],
}


def incident(**changes: Any) -> dict[str, Any]:
    """A deep copy of INCIDENT with top-level keys replaced (``None`` removes a key)."""
    data = copy.deepcopy(INCIDENT)
    for key, value in changes.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    return data


def with_event(index: int, event: Any) -> dict[str, Any]:
    """INCIDENT with its event ``index`` replaced."""
    data = incident()
    data["events"][index] = event
    return data


def minimal(*events: dict[str, Any], **keys: Any) -> dict[str, Any]:
    """A ticket opened at 09:00 (+02:00) with the given events (``at`` as HH:MM that day)."""
    history = [{**e, "at": f"2024-06-03T{e['at']}:00+02:00"} for e in events]
    return {"id": "T1", "opened_at": "2024-06-03T09:00:00+02:00", "events": history, **keys}


def ticket_error(data: Any) -> TicketError:
    with pytest.raises(TicketError) as caught:
        Ticket.from_mapping(data)
    return caught.value


# --------------------------------------------------------------------------------------------
# Reading a realistic ticket
# --------------------------------------------------------------------------------------------


def test_a_servicenow_like_incident_with_eight_events_reads_into_typed_values() -> None:
    expected = Ticket(
        "INC0012345",
        at(9),
        kind="incident",
        priority="2 - High",
        impact="2 - Medium",
        urgency="1 - High",
        category="Network",
        subcategory="VPN",
        service="remote-access",
        configuration_item="vpn-gw-01",
        assignment_group="Network",
        assignee="carol",
        status="in-progress",
        business_unit="retail",
        region="emea",
        service_line="workplace",
        customer=Customer(id="CUST-77", tier="gold", vip=True),
        risk="high",
        regulatory_flags=("gdpr", "nis2"),
        fields={"u_contact_type": "phone", "u_knowledge": False, "u_sys_mod_count": 12},
        events=(
            Event(0, at(9), "created"),
            Event(1, at(9, 5), "assigned", group="Service Desk"),
            Event(2, at(9, 12), "acknowledged", actor="alice"),
            Event(3, at(9, 40), "status-changed", status="awaiting-user-info"),
            Event(4, at(10, 15), "customer-reply"),
            Event(
                5, at(10, 20), "priority-changed", priority="2 - High", from_priority="3 - Moderate"
            ),
            Event(6, at(10, 30), "assigned", group="Network", assignee="carol"),
            Event(7, at(10, 31), "status-changed", status="in-progress"),
        ),
        reassignment_count=1,
        reopen_count=0,
    )
    assert Ticket.from_mapping(INCIDENT) == expected


def test_timestamps_are_stored_in_utc() -> None:
    ticket = Ticket.from_mapping(INCIDENT)
    assert (ticket.opened_at.tzinfo, ticket.events[6].at.tzinfo) == (UTC, UTC)


def test_aware_datetime_objects_are_accepted_like_iso_strings() -> None:
    data = incident(opened_at=datetime(2024, 6, 3, 7, 0, tzinfo=UTC))
    assert Ticket.from_mapping(INCIDENT) == Ticket.from_mapping(data)


def test_custom_fields_are_a_read_only_mapping_sorted_by_key() -> None:
    fields = Ticket.from_mapping(INCIDENT).fields
    assert (type(fields), list(fields)) == (
        MappingProxyType,
        ["u_contact_type", "u_knowledge", "u_sys_mod_count"],
    )


def test_a_key_set_to_null_counts_as_absent() -> None:
    data = incident()
    data["category"] = None
    data["events"][0]["actor"] = None
    assert Ticket.from_mapping(data).category is None


def test_an_event_may_repeat_its_position_as_index() -> None:
    data = with_event(0, {"at": "2024-06-03T09:00:00+02:00", "type": "created", "index": 0})
    assert Ticket.from_mapping(INCIDENT) == Ticket.from_mapping(data)


def test_a_ticket_without_status_or_history_is_new() -> None:
    ticket = Ticket.from_mapping({"id": "T1", "opened_at": "2024-06-03T09:00:00Z"})
    assert (
        ticket.kind,
        ticket.status,
        ticket.events,
        ticket.reassignment_count,
        ticket.reopen_count,
    ) == ("incident", "new", (), 0, 0)


def test_fields_left_out_are_derived_from_the_history() -> None:
    data = incident(status=None, priority=None, assignment_group=None, assignee=None)
    ticket = Ticket.from_mapping(data)
    assert (
        ticket.status,
        ticket.priority,
        ticket.assignment_group,
        ticket.assignee,
    ) == ("in-progress", "2 - High", "Network", "carol")


def test_resolved_closed_and_reopened_events_set_the_status_themselves() -> None:
    data = minimal(
        {"at": "10:00", "type": "resolved"},
        {"at": "11:00", "type": "reopened"},
        {"at": "12:00", "type": "Reopened", "status": "Assigned"},
        {"at": "13:00", "type": "closed"},
    )
    events = Ticket.from_mapping(data).events
    assert [e.status for e in events] == ["resolved", "in-progress", "assigned", "closed"]


def test_coerce_passes_a_ticket_through_unchanged() -> None:
    ticket = Ticket.from_mapping(INCIDENT)
    assert Ticket.coerce(ticket) is ticket


def test_coerce_reads_a_mapping() -> None:
    assert Ticket.coerce(INCIDENT) == Ticket.from_mapping(INCIDENT)


# --------------------------------------------------------------------------------------------
# Errors: every one names the key path and the value
# --------------------------------------------------------------------------------------------


def test_a_naive_datetime_is_rejected() -> None:
    naive = datetime(2024, 6, 3, 9, 0)
    error = ticket_error(incident(opened_at=naive))
    assert (error.path, error.value) == (("opened_at",), naive)


def test_a_timestamp_string_without_offset_is_rejected_naming_the_event() -> None:
    error = ticket_error(with_event(3, {"at": "2024-06-03T09:40:00", "type": "comment"}))
    assert (
        error.path,
        error.value,
        str(error)[:14],
    ) == (("events", 3, "at"), "2024-06-03T09:40:00", "events[3].at: ")


def test_a_date_without_time_is_rejected_as_offsetless() -> None:
    error = ticket_error(incident(opened_at="2024-06-03"))
    assert (error.path, error.value) == (("opened_at",), "2024-06-03")


def test_text_that_is_not_a_timestamp_is_rejected() -> None:
    error = ticket_error(incident(opened_at="yesterday"))
    assert (
        error.path,
        error.value,
        "ISO-8601" in error.message,
    ) == (("opened_at",), "yesterday", True)


def test_an_epoch_number_is_not_taken_for_a_timestamp() -> None:
    error = ticket_error(incident(opened_at=1717398000))
    assert (error.path, error.value) == (("opened_at",), 1717398000)


def test_an_unknown_top_level_key_is_rejected_with_a_suggestion() -> None:
    data = incident(priority=None)
    data["priorty"] = "2 - High"
    error = ticket_error(data)
    assert (
        error.path,
        error.value,
        "did you mean 'priority'?" in error.message,
    ) == (("priorty",), "2 - High", True)


def test_an_unknown_event_key_is_rejected_with_a_suggestion() -> None:
    error = ticket_error(
        with_event(4, {"at": "2024-06-03T10:15:00+02:00", "type": "action-done", "action-id": "x"})
    )
    assert (
        error.path,
        error.value,
        "did you mean 'action_id'?" in error.message,
    ) == (("events", 4, "action-id"), "x", True)


def test_an_unknown_customer_key_is_rejected() -> None:
    error = ticket_error(incident(customer={"id": "C1", "vipp": True}))
    assert (error.path, error.value) == (("customer", "vipp"), True)


def test_an_unknown_event_type_is_rejected_with_the_allowed_types_and_a_suggestion() -> None:
    error = ticket_error(
        with_event(7, {"at": "2024-06-03T10:31:00+02:00", "type": "Status Chnged", "status": "x"})
    )
    assert (
        error.path,
        error.value,
        "did you mean 'status-changed'?" in error.message,
        ", ".join(EVENT_TYPES) in error.message,
    ) == (("events", 7, "type"), "Status Chnged", True, True)


def evaluation_error(data: Any) -> TicketError:
    """The error a policy with the built-in statuses raises for ``data`` (the ticket itself
    knows no policy: statuses are checked when a policy evaluates it)."""
    with pytest.raises(TicketError) as caught:
        loads("policy: p\nversion: 1\n").evaluate(data, now=at(12))
    return caught.value


def test_an_unknown_event_status_is_rejected_with_a_suggestion() -> None:
    error = evaluation_error(
        with_event(
            3, {"at": "2024-06-03T09:40:00+02:00", "type": "status-changed", "status": "On Hodl"}
        )
    )
    assert (
        error.path,
        error.value,
        "did you mean 'on-hold'?" in error.message,
    ) == (("events", 3, "status"), "on-hodl", True)


def test_an_unknown_ticket_status_is_rejected() -> None:
    error = evaluation_error(incident(status="solved", events=None))
    assert (
        error.path,
        error.value,
        "did you mean 'resolved'?" in error.message,
    ) == (("status",), "solved", True)


def test_an_unknown_kind_is_rejected() -> None:
    error = ticket_error(incident(kind="incidnet"))
    assert (error.path, error.value) == (("kind",), "incidnet")


def test_a_numeric_priority_is_rejected_not_coerced() -> None:
    error = ticket_error(incident(priority=3))
    assert (error.path, error.value) == (("priority",), 3)


def test_a_numeric_event_priority_is_rejected_not_coerced() -> None:
    event = {"at": "2024-06-03T10:20:00+02:00", "type": "priority-changed", "priority": 2}
    error = ticket_error(with_event(5, event))
    assert (error.path, error.value) == (("events", 5, "priority"), 2)


def test_an_empty_string_is_rejected_rather_than_read_as_no_value() -> None:
    error = ticket_error(incident(category=""))
    assert (error.path, error.value) == (("category",), "")


def test_a_vip_flag_given_as_text_that_is_no_boolean_is_rejected() -> None:
    error = ticket_error(incident(customer={"id": "C1", "vip": "sometimes"}))
    assert (error.path, error.value) == (("customer", "vip"), "sometimes")


def test_a_float_custom_field_is_rejected() -> None:
    error = ticket_error(incident(fields={"u_score": 0.5}))
    assert (error.path, error.value) == (("fields", "u_score"), 0.5)


def test_a_nested_custom_field_is_rejected() -> None:
    error = ticket_error(incident(fields={"u_tags": ["a"]}))
    assert (error.path, error.value) == (("fields", "u_tags"), ["a"])


def test_a_regulatory_flag_that_is_not_text_is_rejected() -> None:
    error = ticket_error(incident(regulatory_flags=["gdpr", 72]))
    assert (error.path, error.value) == (("regulatory_flags", 1), 72)


def test_events_that_are_not_a_list_are_rejected() -> None:
    error = ticket_error(incident(events={"at": "2024-06-03T09:00:00Z", "type": "created"}))
    assert error.path == ("events",)


def test_an_event_that_is_not_a_mapping_is_rejected() -> None:
    error = ticket_error(with_event(2, "acknowledged"))
    assert (error.path, error.value) == (("events", 2), "acknowledged")


def test_a_counter_given_as_a_boolean_is_rejected() -> None:
    error = ticket_error(incident(reassignment_count=True))
    assert (error.path, error.value) == (("reassignment_count",), True)


def test_a_negative_counter_is_rejected() -> None:
    error = ticket_error(incident(reopen_count=-1))
    assert (error.path, error.value) == (("reopen_count",), -1)


def test_a_ticket_without_id_is_rejected() -> None:
    error = ticket_error(incident(id=None))
    assert (error.path, error.value) == (("id",), None)


def test_an_empty_id_is_rejected() -> None:
    error = ticket_error(incident(id=""))
    assert (error.path, error.value) == (("id",), "")


def test_a_ticket_without_opened_at_is_rejected() -> None:
    error = ticket_error(incident(opened_at=None))
    assert (error.path, error.value) == (("opened_at",), None)


def test_an_event_without_type_is_rejected() -> None:
    error = ticket_error(with_event(4, {"at": "2024-06-03T10:15:00+02:00"}))
    assert (error.path, error.value) == (("events", 4, "type"), None)


def test_an_event_earlier_than_the_one_before_is_rejected() -> None:
    error = ticket_error(with_event(4, {"at": "2024-06-03T09:39:59+02:00", "type": "comment"}))
    assert (error.path, error.value) == (
        ("events", 4, "at"),
        datetime(2024, 6, 3, 7, 39, 59, tzinfo=UTC),
    )


def test_an_event_before_opened_at_is_rejected() -> None:
    error = ticket_error(with_event(0, {"at": "2024-06-03T08:59:00+02:00", "type": "created"}))
    assert (error.path, "opened_at" in error.message) == (("events", 0, "at"), True)


def test_events_at_the_same_instant_keep_their_given_order() -> None:
    data = minimal(
        {"at": "10:00", "type": "assigned", "group": "A"},
        {"at": "10:00", "type": "assigned", "group": "B"},
    )
    assert (
        Ticket.from_mapping(data).assignment_group,
        Ticket.from_mapping(data).reassignment_count,
    ) == ("B", 1)


def test_a_misplaced_event_index_is_rejected() -> None:
    error = ticket_error(
        with_event(2, {"at": "2024-06-03T09:12:00+02:00", "type": "comment", "index": 5})
    )
    assert (error.path, error.value) == (("events", 2, "index"), 5)


def test_an_event_index_given_as_a_float_is_rejected() -> None:
    event = {"at": "2024-06-03T09:12:00+02:00", "type": "comment", "index": 2.0}
    error = ticket_error(with_event(2, event))
    assert (error.path, error.value) == (("events", 2, "index"), 2.0)


def test_an_action_done_event_needs_an_action_id() -> None:
    error = ticket_error(with_event(4, {"at": "2024-06-03T10:15:00+02:00", "type": "action_done"}))
    assert (error.path, error.value) == (("events", 4, "action_id"), None)


@pytest.mark.parametrize("missing", ["actor", "reason", "path", "level"])
def test_an_override_event_needs_actor_reason_path_and_level(missing: str) -> None:
    override = {
        "at": "2024-06-03T10:15:00+02:00",
        "type": "override",
        "actor": "dave",
        "reason": "customer escalated by phone",
        "path": "service-desk",
        "level": "L2",
    }
    del override[missing]
    error = ticket_error(with_event(4, override))
    assert (error.path, error.value) == (("events", 4, missing), None)


def test_a_priority_changed_event_needs_a_priority() -> None:
    event = {"at": "2024-06-03T10:20:00+02:00", "type": "priority-changed", "from_priority": "3"}
    error = ticket_error(with_event(5, event))
    assert (error.path, error.value) == (("events", 5, "priority"), None)


def test_a_status_changed_event_needs_a_status() -> None:
    error = ticket_error(
        with_event(3, {"at": "2024-06-03T09:40:00+02:00", "type": "status-changed"})
    )
    assert (error.path, error.value) == (("events", 3, "status"), None)


def test_an_assigned_event_needs_a_group_or_an_assignee() -> None:
    error = ticket_error(with_event(1, {"at": "2024-06-03T09:05:00+02:00", "type": "assigned"}))
    assert (error.path, error.value) == (("events", 1), None)


def test_a_payload_key_that_does_not_belong_to_the_event_type_is_rejected() -> None:
    event = {"at": "2024-06-03T10:15:00+02:00", "type": "comment", "action_id": "a-1"}
    error = ticket_error(with_event(4, event))
    assert (error.path, error.value) == (("events", 4, "action_id"), "a-1")


def test_a_resolved_event_cannot_name_another_status() -> None:
    event = {"at": "2024-06-03T10:15:00+02:00", "type": "resolved", "status": "closed"}
    error = ticket_error(with_event(4, event))
    assert (error.path, error.value) == (("events", 4, "status"), "closed")


def test_a_ticket_cannot_be_reopened_into_a_final_status() -> None:
    event = {"at": "2024-06-03T10:15:00+02:00", "type": "reopened", "status": "cancelled"}
    error = ticket_error(with_event(4, event))
    assert (error.path, error.value) == (("events", 4, "status"), "cancelled")


def test_a_status_that_contradicts_the_last_status_event_is_rejected() -> None:
    error = ticket_error(incident(status="resolved"))
    assert (
        error.path,
        error.value,
        "events[7]" in error.message,
    ) == (("status",), "resolved", True)


def test_a_priority_that_contradicts_the_last_priority_change_is_rejected() -> None:
    error = ticket_error(incident(priority="1 - Critical"))
    assert (error.path, error.value) == (("priority",), "1 - Critical")


def test_an_assignment_group_that_contradicts_the_last_assignment_is_rejected() -> None:
    error = ticket_error(incident(assignment_group="Service Desk"))
    assert (error.path, error.value) == (("assignment_group",), "Service Desk")


def test_an_assignee_that_contradicts_the_last_assignment_is_rejected() -> None:
    error = ticket_error(incident(assignee="bob"))
    assert (error.path, error.value) == (("assignee",), "bob")


def test_a_from_priority_that_contradicts_the_previous_change_is_rejected() -> None:
    data = minimal(
        {"at": "10:00", "type": "priority-changed", "priority": "P2"},
        {"at": "11:00", "type": "priority-changed", "priority": "P1", "from_priority": "P3"},
    )
    error = ticket_error(data)
    assert (error.path, error.value) == (("events", 1, "from_priority"), "P3")


def test_something_that_is_not_a_mapping_is_not_a_ticket() -> None:
    error = ticket_error(["INC1"])
    assert (error.path, error.value) == ((), ["INC1"])


def test_coerce_rejects_what_is_neither_a_ticket_nor_a_mapping() -> None:
    with pytest.raises(TicketError) as caught:
        Ticket.coerce("INC1")  # type: ignore[arg-type]
    assert caught.value.value == "INC1"


# --------------------------------------------------------------------------------------------
# Counters
# --------------------------------------------------------------------------------------------


def test_assignment_ping_pong_a_b_a_c_counts_three_reassignments() -> None:
    data = minimal(
        {"at": "09:01", "type": "assigned", "group": "A"},
        {"at": "09:30", "type": "assigned", "group": "B"},
        {"at": "10:00", "type": "assigned", "group": "A"},
        {"at": "10:30", "type": "assigned", "group": "C"},
    )
    assert Ticket.from_mapping(data).reassignment_count == 3


def test_assigning_a_person_within_the_same_group_is_not_a_reassignment() -> None:
    data = minimal(
        {"at": "09:01", "type": "assigned", "group": "A"},
        {"at": "09:30", "type": "assigned", "assignee": "carol"},
        {"at": "10:00", "type": "assigned", "group": "A", "assignee": "dave"},
    )
    assert Ticket.from_mapping(data).reassignment_count == 0


def test_reopening_twice_counts_two_reopens() -> None:
    data = minimal(
        {"at": "10:00", "type": "resolved"},
        {"at": "11:00", "type": "reopened"},
        {"at": "12:00", "type": "resolved"},
        {"at": "13:00", "type": "reopened"},
    )
    assert Ticket.from_mapping(data).reopen_count == 2


def test_given_counters_win_over_the_history() -> None:
    ticket = Ticket.from_mapping(incident(reassignment_count=4, reopen_count=1))
    assert (ticket.reassignment_count, ticket.reopen_count) == (4, 1)


# --------------------------------------------------------------------------------------------
# state_at
# --------------------------------------------------------------------------------------------


def test_the_state_before_any_event_is_new_and_unassigned() -> None:
    state = Ticket.from_mapping(INCIDENT).state_at(at(8))
    expected = TicketState(
        status="new",
        priority="3 - Moderate",
        assignment_group=None,
        assignee=None,
        acknowledged_at=None,
        resolved_at=None,
        reassignment_count=0,
        reopen_count=0,
        done_action_ids=frozenset(),
    )
    assert state == expected


def test_the_state_while_awaiting_the_user() -> None:
    state = Ticket.from_mapping(INCIDENT).state_at(at(10))
    expected = TicketState(
        status="awaiting-user-info",
        priority="3 - Moderate",
        assignment_group="Service Desk",
        assignee=None,
        acknowledged_at=at(9, 12),
        resolved_at=None,
        reassignment_count=0,
        reopen_count=0,
        done_action_ids=frozenset(),
    )
    assert state == expected


def test_the_state_includes_an_event_at_exactly_the_instant_asked() -> None:
    state = Ticket.from_mapping(INCIDENT).state_at(at(10, 30))
    assert (
        state.assignment_group,
        state.assignee,
        state.reassignment_count,
        state.status,
    ) == ("Network", "carol", 1, "awaiting-user-info")


def test_the_state_after_the_last_event_matches_the_ticket() -> None:
    ticket = Ticket.from_mapping(INCIDENT)
    state = ticket.state_at(at(23))
    assert (
        state.status,
        state.priority,
        state.assignment_group,
        state.assignee,
        state.reassignment_count,
        state.reopen_count,
    ) == ("in-progress", "2 - High", "Network", "carol", 1, 0)


def test_without_from_priority_the_priority_before_the_first_change_is_the_current_one() -> None:
    data = minimal({"at": "10:00", "type": "priority-changed", "priority": "P1"})
    assert Ticket.from_mapping(data).state_at(at(9, 30)).priority == "P1"


def test_a_ticket_without_history_has_its_own_fields_at_every_instant() -> None:
    ticket = Ticket.from_mapping(
        {"id": "T1", "opened_at": "2024-06-03T09:00:00Z", "status": "on-hold", "assignee": "eve"}
    )
    state = ticket.state_at(at(12))
    assert (state.status, state.assignee) == ("on-hold", "eve")


def test_a_reopen_clears_the_acknowledgement_and_the_resolution() -> None:
    data = minimal(
        {"at": "09:10", "type": "acknowledged"},
        {"at": "10:00", "type": "resolved"},
        {"at": "11:00", "type": "reopened"},
    )
    state = Ticket.from_mapping(data).state_at(at(11, 30))
    assert (
        state.acknowledged_at,
        state.resolved_at,
        state.status,
        state.reopen_count,
    ) == (None, None, "in-progress", 1)


def test_closing_a_resolved_ticket_keeps_the_resolution_instant() -> None:
    data = minimal(
        {"at": "10:00", "type": "status-changed", "status": "Resolved"},
        {"at": "12:00", "type": "closed"},
    )
    assert Ticket.from_mapping(data).state_at(at(13)).resolved_at == at(10)


def test_done_action_ids_accumulate_over_time() -> None:
    data = minimal(
        {"at": "10:00", "type": "action-done", "action_id": "a-1"},
        {"at": "11:00", "type": "action-done", "action_id": "a-2", "actor": "bot"},
    )
    ticket = Ticket.from_mapping(data)
    assert (
        ticket.state_at(at(10, 30)).done_action_ids,
        ticket.state_at(at(11)).done_action_ids,
    ) == (frozenset({"a-1"}), frozenset({"a-1", "a-2"}))


def test_given_counters_shift_the_state_as_if_the_unsent_history_came_first() -> None:
    data = minimal(
        {"at": "10:00", "type": "assigned", "group": "A"},
        {"at": "11:00", "type": "assigned", "group": "B"},
        reassignment_count=5,
    )
    ticket = Ticket.from_mapping(data)
    assert (
        ticket.state_at(at(10)).reassignment_count,
        ticket.state_at(at(11)).reassignment_count,
    ) == (4, 5)


def test_state_at_a_naive_datetime_raises() -> None:
    with pytest.raises(NaiveDatetimeError):
        Ticket.from_mapping(INCIDENT).state_at(datetime(2024, 6, 3, 10))


def test_instants_between_the_same_two_events_share_one_cached_state() -> None:
    ticket = Ticket.from_mapping(INCIDENT)
    assert ticket.state_at(at(10)) is ticket.state_at(at(10, 1))


# --------------------------------------------------------------------------------------------
# Typed construction
# --------------------------------------------------------------------------------------------


def test_typed_construction_derives_what_is_left_out() -> None:
    events = [
        Event(0, at(9, 1), "assigned", group="A", assignee="carol"),
        Event(1, at(9, 2), "assigned", group="B"),
        Event(2, at(9, 3), "resolved"),
    ]
    ticket = Ticket("T1", at(9), events=events)
    assert (
        ticket.status,
        ticket.assignment_group,
        ticket.assignee,
        ticket.reassignment_count,
        (ticket.events[2].index, ticket.events[2].status),
    ) == ("resolved", "B", "carol", 1, (2, "resolved"))


def test_typed_construction_rejects_a_naive_opened_at() -> None:
    with pytest.raises(TicketError) as caught:
        Ticket("T1", datetime(2024, 6, 3, 9))
    assert caught.value.path == ("opened_at",)


def test_typed_construction_rejects_an_event_out_of_position() -> None:
    with pytest.raises(TicketError) as caught:
        Ticket("T1", at(9), events=[Event(1, at(10), "comment")])
    assert (caught.value.path, caught.value.value) == (("events", 0, "index"), 1)


def test_typed_construction_checks_the_history_like_from_mapping() -> None:
    with pytest.raises(TicketError) as caught:
        Ticket("T1", at(9), events=[Event(0, at(10), "comment", action_id="x")])
    assert (caught.value.path, caught.value.value) == (("events", 0, "action_id"), "x")


def test_any_event_may_name_its_actor() -> None:
    ticket = Ticket("T1", at(9), events=[Event(0, at(10), "comment", actor="x")])
    assert ticket.events[0].actor == "x"


def test_typed_construction_sorts_and_deduplicates_regulatory_flags() -> None:
    ticket = Ticket("T1", at(9), regulatory_flags=["nis2", "dora", "nis2"])
    assert ticket.regulatory_flags == ("dora", "nis2")


def test_tickets_are_hashable_values() -> None:
    assert hash(Ticket.from_mapping(INCIDENT)) == hash(Ticket.from_mapping(incident()))


def test_tickets_are_frozen() -> None:
    ticket = Ticket.from_mapping(INCIDENT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ticket.status = "closed"  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# Canonical form
# --------------------------------------------------------------------------------------------


def test_to_dict_reads_back_into_an_equal_ticket() -> None:
    ticket = Ticket.from_mapping(INCIDENT)
    assert Ticket.from_mapping(ticket.to_dict()) == ticket


def test_to_dict_is_json_with_sorted_keys_and_utc_timestamps() -> None:
    data = Ticket.from_mapping(INCIDENT).to_dict()
    assert (list(data), data["opened_at"], json.loads(json.dumps(data))) == (
        sorted(data),
        "2024-06-03T07:00:00+00:00",
        data,
    )


def test_the_digest_is_sha256_of_the_canonical_json() -> None:
    ticket = Ticket.from_mapping(INCIDENT)
    text = json.dumps(ticket.to_dict(), sort_keys=True, separators=(",", ":"))
    assert ticket.digest() == hashlib.sha256(text.encode()).hexdigest()


def reversed_keys(value: Any) -> Any:
    """The same data with every mapping's keys in reverse order."""
    if isinstance(value, Mapping):
        return {key: reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(item) for item in value]
    return value


def test_the_digest_does_not_depend_on_key_order() -> None:
    shuffled = reversed_keys(INCIDENT)
    assert list(shuffled) != list(INCIDENT)
    assert Ticket.from_mapping(INCIDENT).digest() == Ticket.from_mapping(shuffled).digest()


def test_the_digest_does_not_depend_on_the_offset_a_timestamp_was_written_with() -> None:
    data = incident(opened_at="2024-06-03T07:00:00Z")
    assert Ticket.from_mapping(INCIDENT).digest() == Ticket.from_mapping(data).digest()


def test_the_digest_changes_when_a_field_changes() -> None:
    assert (
        Ticket.from_mapping(INCIDENT).digest()
        != Ticket.from_mapping(incident(region="apac")).digest()
    )


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

OFFSETS = st.sampled_from([UTC, CEST, timezone(timedelta(hours=-5, minutes=-30))])
NAMES = st.sampled_from(["alpha", "beta", "gamma"])
PRIORITIES = st.sampled_from(["P1", "P2", "P3", "1 - Critical"])
OPEN_STATUSES = [s for s in STATUSES if s not in ("resolved", "closed", "cancelled")]


def spelled(name: str) -> st.SearchStrategy[str]:
    """A canonical name as an adapter might spell it."""
    title = name.replace("-", " ").title()
    return st.sampled_from([name, title, name.replace("-", "_").upper()])


def postmortem_payload(draw: st.DrawFn, items: dict[str, bool], when: datetime) -> dict[str, Any]:
    """A valid ``postmortem`` event's payload; ``items`` (id -> still open) follows the
    items it records and closes: a closed item is never recorded again."""
    free = [i for i in ("fix-dns", "add-alert", "runbook_2") if items.get(i, True)]
    open_items = sorted(i for i, is_open in items.items() if is_open)
    changes = ["assigned", "published", *(["item"] if free else [])]
    if open_items:
        changes += ["item-done", "item-dropped"]
    change = draw(st.sampled_from(changes))
    payload: dict[str, Any] = {"change": change}
    due = when + timedelta(days=draw(st.integers(-1, 10)))
    if change in ("assigned", "item"):
        payload["owner"] = draw(NAMES)
        if draw(st.booleans()):
            payload["due"] = due if draw(st.booleans()) else due.isoformat()
    if change == "item":
        item = draw(st.sampled_from(free))
        items[item] = True
        payload.update(item=item, title=draw(NAMES))
    elif change in ("item-done", "item-dropped"):
        item = draw(st.sampled_from(open_items))
        items[item] = False
        payload["item"] = item
        if change == "item-dropped":
            payload["reason"] = "superseded by\nthe new design"
    return payload


@st.composite
def valid_ticket_data(draw: st.DrawFn) -> dict[str, Any]:
    """JSON-like data of a valid ticket with a random history."""
    opened = draw(
        st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=OFFSETS
        )
    )
    when = opened
    status: str | None = None
    priority: str | None = None
    group: str | None = None
    assignee: str | None = None
    category: str | None = None
    events: list[dict[str, Any]] = []
    items: dict[str, bool] = {}  # post-mortem action items recorded: id -> still open
    for _ in range(draw(st.integers(0, 12))):
        when += draw(st.sampled_from([timedelta(0), timedelta(seconds=1), timedelta(hours=3)]))
        kind = draw(st.sampled_from(EVENT_TYPES))
        stamp = when if draw(st.booleans()) else when.isoformat()
        event: dict[str, Any] = {"at": stamp, "type": draw(spelled(kind))}
        if kind == "status-changed":
            status = draw(st.sampled_from(STATUSES))
            event["status"] = draw(spelled(status))
        elif kind in ("resolved", "closed"):
            status = kind
        elif kind == "reopened":
            status = draw(st.sampled_from(OPEN_STATUSES))
            if status != "in-progress" or draw(st.booleans()):
                event["status"] = status
        elif kind == "priority-changed":
            if draw(st.booleans()):
                event["from_priority"] = priority if priority is not None else draw(PRIORITIES)
            priority = event["priority"] = draw(PRIORITIES)
        elif kind == "assigned":
            new_group, new_assignee = draw(
                st.one_of(
                    st.tuples(NAMES, st.none()),
                    st.tuples(st.none(), NAMES),
                    st.tuples(NAMES, NAMES),
                )
            )
            if new_group is not None:
                group = event["group"] = new_group
            if new_assignee is not None:
                assignee = event["assignee"] = new_assignee
        elif kind == "action-done":
            event["action_id"] = draw(st.sampled_from(["a-1", "a-2", "b-1"]))
        elif kind == "override":
            event.update(actor="dave", reason="bridge call", path="service-desk", level="L2")
        elif kind == "field-changed":
            if category is not None and draw(st.booleans()):
                event["from"] = category
            category = event["to"] = draw(NAMES)
            event["field"] = "category"
        elif kind == "milestone":
            event["milestone"] = draw(st.sampled_from(["gdpr-aware", "sec-8k-filed"]))
            if draw(st.booleans()):
                event["reason"] = "scoping took\ntwo days"
        elif kind == "postmortem":
            event.update(postmortem_payload(draw, items, when))
        if kind in ("acknowledged", "first-response", "action-done") and draw(st.booleans()):
            event["actor"] = draw(NAMES)
        events.append(event)
    data: dict[str, Any] = {
        "id": draw(st.sampled_from(["INC1", "REQ0001", "CHG-7"])),
        "opened_at": opened.isoformat(),
        "events": events,
    }
    # Fields the history sets are given (equal to it) or left out; others are free.
    for key, value, free in (
        ("status", status, st.sampled_from(STATUSES)),
        ("priority", priority, PRIORITIES),
        ("assignment_group", group, NAMES),
        ("assignee", assignee, NAMES),
        ("category", category, NAMES),
    ):
        if draw(st.booleans()):
            data[key] = value if value is not None else draw(free)
    optional = {
        "kind": st.sampled_from(["incident", "Service Request", "CHANGE"]),
        "customer": st.fixed_dictionaries(
            {}, optional={"id": NAMES, "tier": NAMES, "vip": st.booleans()}
        ),
        "regulatory_flags": st.lists(st.sampled_from(["gdpr", "nis2", "dora"])),
        "fields": st.dictionaries(
            st.sampled_from(["u_a", "u_b", "u_c"]),
            st.one_of(
                st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=5)
            ),
        ),
        "reassignment_count": st.integers(0, 30),
        "reopen_count": st.integers(0, 5),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            data[key] = draw(strategy)
    return data


@given(valid_ticket_data())
def test_valid_tickets_round_trip_through_to_dict(data: dict[str, Any]) -> None:
    ticket = Ticket.from_mapping(data)
    again = Ticket.from_mapping(ticket.to_dict())
    assert (ticket, ticket.to_dict(), ticket.digest()) == (again, again.to_dict(), again.digest())


@given(valid_ticket_data())
def test_the_state_after_the_last_event_agrees_with_the_ticket(data: dict[str, Any]) -> None:
    ticket = Ticket.from_mapping(data)
    final = ticket.events[-1].at if ticket.events else ticket.opened_at
    state = ticket.state_at(final)
    assert (
        ticket.status,
        ticket.priority,
        ticket.assignment_group,
        ticket.assignee,
        ticket.reassignment_count,
        ticket.reopen_count,
    ) == (
        state.status,
        state.priority,
        state.assignment_group,
        state.assignee,
        state.reassignment_count,
        state.reopen_count,
    )


@given(valid_ticket_data())
def test_counters_in_the_state_never_decrease_over_the_history(data: dict[str, Any]) -> None:
    ticket = Ticket.from_mapping(data)
    counts = [
        (s.reassignment_count, s.reopen_count, len(s.done_action_ids))
        for s in map(ticket.state_at, [ticket.opened_at, *(e.at for e in ticket.events)])
    ]
    running_max = [tuple(map(max, zip(*counts[: i + 1], strict=True))) for i in range(len(counts))]
    assert running_max == counts


@given(valid_ticket_data())
def test_typed_construction_from_a_ticket_s_values_gives_an_equal_ticket(
    data: dict[str, Any],
) -> None:
    ticket = Ticket.from_mapping(data)
    values: dict[str, Any] = {
        f.name: getattr(ticket, f.name) for f in dataclasses.fields(ticket) if f.init
    }
    ident, opened_at = values.pop("id"), values.pop("opened_at")
    assert Ticket(ident, opened_at, **values) == ticket


# --------------------------------------------------------------------------------------------
# The input format: pydantic models, their errors, the module graph
# --------------------------------------------------------------------------------------------


def test_a_timestamp_in_a_basic_iso_form_is_rejected_with_the_form_to_write() -> None:
    error = ticket_error(incident(opened_at="20240603T090000+0200"))
    assert (error.path, error.value, "YYYY-MM-DDTHH:MM" in error.message) == (
        ("opened_at",),
        "20240603T090000+0200",
        True,
    )


def test_a_misspelt_required_event_key_is_reported_as_unknown_not_as_missing() -> None:
    event = {"at": "2024-06-03T10:15:00+02:00", "type": "action-done", "actionid": "a-1"}
    error = ticket_error(with_event(4, event))
    assert (error.path, "did you mean 'action_id'?" in error.message) == (
        ("events", 4, "actionid"),
        True,
    )


def test_an_event_type_that_is_not_text_is_rejected_naming_the_type() -> None:
    error = ticket_error(with_event(4, {"at": "2024-06-03T10:15:00+02:00", "type": 7}))
    assert (error.path, error.value) == (("events", 4, "type"), 7)


def test_an_empty_custom_field_name_is_rejected() -> None:
    error = ticket_error(incident(fields={"": "x"}))
    assert (error.path, error.value) == (("fields",), "")


def test_an_event_given_as_a_read_only_mapping_is_read_like_a_dict() -> None:
    data = incident()
    data["events"] = [MappingProxyType(e) for e in data["events"]]
    assert Ticket.from_mapping(INCIDENT) == Ticket.from_mapping(data)


def test_a_ticket_error_from_the_model_says_where_and_what() -> None:
    error = ticket_error(with_event(3, {"at": "2024-06-03T09:40:00", "type": "comment"}))
    assert str(error) == (
        "events[3].at: timestamp has no UTC offset (escalate never guesses whether it is UTC "
        "or local time; add 'Z' or '+02:00') (got '2024-06-03T09:40:00')"
    )


def test_the_history_module_does_not_import_the_ticket_module() -> None:
    import ast
    import inspect

    from escalate.engine import history

    tree = ast.parse(inspect.getsource(history))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert set() == imported & {"escalate.engine.ticket", "escalate.engine.ticket_format"}


def test_a_ticket_is_hashable_and_refuses_attribute_assignment() -> None:
    ticket = Ticket.from_mapping(INCIDENT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ticket.status = "closed"  # type: ignore[misc]
    assert hash(ticket) == hash(Ticket.from_mapping(INCIDENT))


@pytest.mark.parametrize("written", ["2024-06-03T07:00:00z", "2024-06-03t07:00:00Z"])
def test_a_lower_case_z_or_t_reads_as_the_schema_allows(written: str) -> None:
    ticket = Ticket.from_mapping(incident(opened_at=written))
    assert datetime(2024, 6, 3, 7, tzinfo=UTC) == ticket.opened_at
