"""Field history: ``field-changed`` events, cleared groups and assignees, and rules that follow
re-categorisation exactly as they follow status."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from escalate.engine.decision import Decision
from escalate.engine.ticket import Event, Ticket
from escalate.errors import TicketError
from escalate.policy.loader import load
from escalate.testing.tickets import ITIL, ticket_mappings
from tests.policy_helpers import action_ids, done, event, policy, ticket, utc

T0 = "2024-11-20T10:00:00+00:00"
T1 = "2024-11-20T11:00:00+00:00"
T2 = "2024-11-20T12:00:00+00:00"
T3 = "2024-11-20T13:00:00+00:00"
T4 = "2024-11-20T14:00:00+00:00"
NOW = "2024-11-20T15:00:00+00:00"


def changed(at: str, field: str, to: Any, **more: Any) -> dict[str, Any]:
    """A ``field-changed`` event (``from_`` in ``more`` is the JSON ``from``)."""
    data = event(at, "field-changed", field=field, to=to)
    if "from_" in more:
        data["from"] = more.pop("from_")
    data.update(more)
    return data


def read(*events: dict[str, Any], **fields: Any) -> Ticket:
    return Ticket.from_mapping(ticket(T0, *events, **fields))


def error(*events: dict[str, Any], **fields: Any) -> TicketError:
    with pytest.raises(TicketError) as caught:
        read(*events, **fields)
    return caught.value


# -- reading and folding ------------------------------------------------------------------------


def test_a_field_change_sets_the_value_from_its_instant_on() -> None:
    tkt = read(changed(T1, "category", "database", from_="network"))
    assert ("database", "network", "database") == (
        tkt.category,
        tkt.state_at(utc(T0)).history_fields["category"],
        tkt.state_at(utc(T1)).history_fields["category"],
    )


def test_before_the_first_change_without_from_the_value_is_the_tickets_field() -> None:
    tkt = read(changed(T1, "category", "database"))
    assert "database" == tkt.state_at(utc(T0)).history_fields["category"]


def test_a_given_field_must_agree_with_the_last_change() -> None:
    caught = error(changed(T1, "category", "database"), category="network")
    assert (("category",), "network") == (caught.path, caught.value)


def test_to_null_clears_a_field() -> None:
    tkt = read(changed(T1, "service", "vpn"), changed(T2, "service", None))
    assert (None, "vpn") == (tkt.service, tkt.state_at(utc(T1)).history_fields["service"])


def test_from_is_checked_against_the_value_the_history_set() -> None:
    caught = error(
        changed(T1, "category", "database"), changed(T2, "category", "storage", from_="network")
    )
    assert (("events", 1, "from"), "network") == (caught.path, caught.value)


def test_status_and_priority_change_only_through_their_own_events() -> None:
    caught = error(changed(T1, "priority", "P2"))
    assert ("events", 0, "field") == caught.path
    assert "priority-changed" in caught.message


def test_an_unknown_field_name_is_an_error_with_a_suggestion() -> None:
    caught = error(changed(T1, "categroy", "database"))
    assert ("events", 0, "field") == caught.path
    assert "did you mean 'category'" in str(caught)


@pytest.mark.parametrize(
    ("to", "from_", "vip"), [("true", "no", True), ("NO", "Yes", False), ("1", "0", True)]
)
def test_customer_vip_changes_take_the_string_forms_of_a_boolean(
    to: str, from_: str, vip: bool
) -> None:
    tkt = read(changed(T1, "customer.vip", to, from_=from_))
    assert (vip, not vip, vip) == (
        tkt.customer.vip,
        tkt.state_at(utc(T0)).history_fields["customer.vip"],
        tkt.state_at(utc(T1)).history_fields["customer.vip"],
    )


def test_a_customer_vip_change_to_other_text_names_the_accepted_forms() -> None:
    caught = error(changed(T1, "customer.vip", "yes-ish"))
    assert (("events", 0, "to"), "yes-ish") == (caught.path, caught.value)
    assert "true/false, yes/no, 1/0 in any case" in caught.message


def test_a_customer_vip_change_in_text_agrees_with_a_given_boolean_vip() -> None:
    tkt = read(changed(T1, "customer.vip", "false"), customer={"vip": "FALSE"})
    assert tkt.customer.vip is False


def test_customer_fields_follow_their_changes() -> None:
    tkt = read(changed(T1, "customer.tier", "gold"), changed(T2, "customer.vip", True))
    assert ("gold", True) == (tkt.customer.tier, tkt.customer.vip)
    assert {"customer.tier": "gold", "customer.vip": True} == dict(
        tkt.state_at(utc(T2)).history_fields
    )


def test_a_custom_field_change_fills_in_the_custom_field() -> None:
    tkt = read(changed(T1, "fields.u_contract", "premium"))
    assert {"u_contract": "premium"} == dict(tkt.fields)


def test_the_group_can_be_cleared_and_the_clear_is_no_reassignment() -> None:
    tkt = read(
        event(T1, "assigned", group="network"),
        changed(T2, "assignment_group", None),
        changed(T3, "assignment_group", "network"),
    )
    assert (None, "network", 0) == (
        tkt.state_at(utc(T2)).assignment_group,
        tkt.assignment_group,
        tkt.reassignment_count,
    )


def test_a_group_set_after_a_clear_counts_when_it_differs_from_the_last_group() -> None:
    tkt = read(
        event(T1, "assigned", group="network"),
        changed(T2, "assignment_group", None, from_="network"),
        changed(T3, "assignment_group", "dba"),
    )
    assert 1 == tkt.reassignment_count


def test_the_assignee_can_be_cleared() -> None:
    tkt = read(event(T1, "assigned", assignee="alice"), changed(T2, "assignee", None))
    assert (None, "alice") == (tkt.assignee, tkt.state_at(utc(T1)).assignee)


def test_a_field_changed_event_round_trips_with_to_null() -> None:
    tkt = read(changed(T1, "risk", None, from_="high"))
    data = tkt.to_dict()
    assert {"from": "high", "to": None} == {k: data["events"][0][k] for k in ("from", "to")}
    assert tkt == Ticket.from_mapping(data)


def test_a_field_changed_event_needs_to() -> None:
    caught = error(event(T1, "field-changed", field="category"))
    assert ("events", 0, "to") == caught.path


def test_the_constructor_takes_field_changed_events() -> None:
    opened = datetime(2024, 11, 20, 10, tzinfo=UTC)
    later = datetime(2024, 11, 20, 11, tzinfo=UTC)
    tkt = Ticket(
        "T1",
        opened,
        events=[Event(0, later, "field-changed", field="region", to_value="emea")],
    )
    assert "emea" == tkt.region


# -- rules follow field history --------------------------------------------------------------

WRONG_TEAM = """
rules:
  - id: wrong-team
    when:
      all:
        - {category: database}
        - {not: {assignment_group: dba}}
    then: {notify: {to: [assignment-group]}}
"""


def test_a_wrong_team_rule_fires_with_the_stamp_of_the_recategorisation() -> None:
    tkt = ticket(
        T0,
        event(T0, "assigned", group="network"),
        changed(T1, "category", "database", from_="network"),
        category="database",
    )
    decision = policy(WRONG_TEAM).evaluate(tkt, now=utc(NOW))
    assert ["T1:rule:wrong-team:20241120T110000Z:notify0"] == action_ids(decision)


def test_a_wrong_team_rule_fires_again_after_a_second_recategorisation() -> None:
    first = "T1:rule:wrong-team:20241120T110000Z:notify0"
    tkt = ticket(
        T0,
        event(T0, "assigned", group="network"),
        changed(T1, "category", "database", from_="network"),
        done(T1, first),
        changed(T2, "category", "network"),
        changed(T3, "category", "database"),
        category="database",
    )
    decision = policy(WRONG_TEAM).evaluate(tkt, now=utc(NOW))
    assert ["T1:rule:wrong-team:20241120T130000Z:notify0"] == action_ids(decision)


def test_a_rule_on_a_cleared_group_follows_the_clear() -> None:
    body = """
    rules:
      - id: unowned
        when: {assignment_group: {exists: false}}
        then: {notify: {to: [assignee]}}
    """
    tkt = ticket(
        T0,
        event(T0, "assigned", group="network"),
        changed(T2, "assignment_group", None),
    )
    assert ["T1:rule:unowned:20241120T120000Z:notify0"] == action_ids(
        policy(body).evaluate(tkt, now=utc(NOW))
    )


def test_a_custom_field_change_is_checked_against_the_declared_type() -> None:
    body = """
    custom_fields: {u_major: boolean}
    rules:
      - id: major
        when: {fields.u_major: true}
        then: {notify: {to: [assignee]}}
    """
    tkt = ticket(T0, changed(T1, "fields.u_major", 3))
    with pytest.raises(TicketError) as caught:
        policy(body).evaluate(tkt, now=utc(NOW))
    assert ("events", 0, "to") == caught.value.path


def test_an_impact_change_moves_the_matrix_priority_at_that_instant() -> None:
    body = """
    terminology:
      impact: {high: [], low: []}
      urgency: {high: [], low: []}
      priority: {P1: [], P3: []}
    priority_matrix:
      high: {high: P1, low: P3}
      low: {high: P3, low: P3}
    rules:
      - id: p1
        when: {priority: P1}
        then: {notify: {to: [assignee]}}
    """
    tkt = ticket(
        T0,
        changed(T2, "impact", "high", from_="low"),
        priority=None,
        impact="high",
        urgency="high",
    )
    assert ["T1:rule:p1:20241120T120000Z:notify0"] == action_ids(
        policy(body).evaluate(tkt, now=utc(NOW))
    )


# -- properties ---------------------------------------------------------------------------------

PACK = load(Path(__file__).resolve().parents[2] / "rules" / "itil-default.yaml")


def shape(decision: Decision) -> dict[str, Any]:
    """The decision without its input digest (the ticket's history differs by one event)."""
    data = decision.to_dict()
    data.pop("input_digest")
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=ticket_mappings(ITIL, max_events=12),
    field=st.sampled_from(["category", "service", "region", "fields.u_contract", "customer.tier"]),
)
def test_a_field_change_to_the_same_value_changes_nothing(data: dict[str, Any], field: str) -> None:
    """A ``field-changed`` event at the end of the history to the value the field already
    holds changes no decision of the shipped pack."""
    tkt = Ticket.from_mapping(data)
    now = tkt.events[-1].at if tkt.events else tkt.opened_at
    value = tkt.field_value(field)
    assume(value is not None)
    extra = {"at": now.isoformat(), "type": "field-changed", "field": field, "to": value}
    more = Ticket.from_mapping(dict(data, events=[*data["events"], extra]))
    assert shape(PACK.evaluate(tkt, now=now)) == shape(PACK.evaluate(more, now=now))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=ticket_mappings(ITIL, max_events=12))
def test_the_state_at_each_event_agrees_with_the_fields_the_history_leaves(
    data: dict[str, Any],
) -> None:
    """After the last event, the fold's values are the ticket's current fields."""
    tkt = Ticket.from_mapping(data)
    final = tkt.state_at(tkt.events[-1].at if tkt.events else tkt.opened_at)
    assert {name: tkt.field_value(name) for name in tkt.changed_fields} == dict(
        final.history_fields
    )
    assert (tkt.assignment_group, tkt.assignee) == (final.assignment_group, final.assignee)


def test_a_changed_value_the_terminology_does_not_know_names_the_event() -> None:
    body = """
    terminology:
      category: {network: [Net], database: [DB]}
    rules:
      - id: db
        when: {category: database}
        then: {notify: {to: [assignee]}}
    """
    tkt = ticket(T0, changed(T1, "category", "storage", from_="Net"), category="storage")
    with pytest.raises(TicketError) as caught:
        policy(body).evaluate(tkt, now=utc(NOW))
    assert (("events", 0, "to"), "storage") == (caught.value.path, caught.value.value)


def test_a_changed_value_is_mapped_by_the_terminology_at_each_instant() -> None:
    body = """
    terminology:
      category: {network: [Net], database: [DB]}
    rules:
      - id: db
        when: {category: database}
        then: {notify: {to: [assignee]}}
    """
    tkt = ticket(T0, changed(T1, "category", "DB", from_="Net"), category="DB")
    assert ["T1:rule:db:20241120T110000Z:notify0"] == action_ids(
        policy(body).evaluate(tkt, now=utc(NOW))
    )


# -- scoped clocks follow field history -------------------------------------------------------

VIP_CLOCK = """
clocks:
  resolution:
    stop: {status: [resolved, closed]}
    on_scope_change: restart
    targets: {default: {within: 24h}}
    definitions:
      - id: vip
        when: {customer.vip: true}
        targets: {default: {within: 2h}}
"""


def test_a_scoped_clock_restarts_at_the_field_change_that_moves_its_definition() -> None:
    tkt = ticket(T0, changed(T2, "customer.vip", True, from_=False), customer={"vip": True})
    clock = policy(VIP_CLOCK).evaluate(tkt, now=utc(NOW)).to_dict()["clocks"][0]
    assert ("vip", "2024-11-20T12:00:00+00:00", "3h") == (
        clock.get("definition"),
        clock["started_at"],
        clock["elapsed"],
    )
