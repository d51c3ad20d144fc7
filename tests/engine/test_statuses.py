"""Statuses by terminology, empty markers and booleans from their usual string forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate.engine.decision import Decision
from escalate.engine.statuses import BUILT_IN, CATEGORIES
from escalate.engine.ticket import STATUSES, Ticket
from escalate.errors import PolicyError, TicketError
from escalate.policy.loader import load, loads
from escalate.testing.tickets import ITIL, ticket_mappings
from tests.policy_helpers import action_ids, event, policy, ticket, utc

T0 = "2024-11-20T10:00:00+00:00"
T1 = "2024-11-20T11:00:00+00:00"
T2 = "2024-11-20T12:00:00+00:00"
NOW = "2024-11-20T13:00:00+00:00"

JIRA = """
statuses:
  open: {category: new}
  in-progress: {category: in-progress}
  waiting-for-customer:
    category: on-hold
    aliases: ["Waiting for customer", "Awaiting User Info", pending]
  waiting-for-support: {category: in-progress}
  done: {category: resolved, aliases: [Resolved, Fixed]}
  closed: {category: closed}
  canceled: {category: cancelled}
clocks:
  resolution:
    start: {event: created}
    pause: {category: on-hold}
    stop: {category: [resolved, cancelled]}
    targets: {default: {within: 4h}}
rules:
  - id: customer-waiting
    when: {status_category: on-hold}
    then: {notify: {to: [assignee]}}
"""


def status(at: str, value: str) -> dict[str, Any]:
    return event(at, "status-changed", status=value)


def evaluate(body: str, tkt: dict[str, Any], now: str = NOW) -> Decision:
    return policy(body).evaluate(tkt, now=utc(now))


def clock(decision: Decision, name: str) -> dict[str, Any]:
    clocks: list[dict[str, Any]] = decision.to_dict()["clocks"]
    return next(c for c in clocks if c["name"] == name)


# -- declaring statuses ---------------------------------------------------------------------------


def test_an_alias_is_read_as_its_canonical_status() -> None:
    decision = evaluate(JIRA, ticket(T0, status(T1, "Waiting for customer")))
    assert ["T1:rule:customer-waiting:20241120T110000Z:notify0"] == action_ids(decision)


def test_a_pause_by_category_pauses_in_every_status_of_it() -> None:
    decision = evaluate(JIRA, ticket(T0, status(T1, "Awaiting User Info")))
    assert ("paused", "1h") == (
        clock(decision, "resolution")["state"],
        clock(decision, "resolution")["elapsed"],
    )


def test_a_resolved_event_lands_on_the_policys_status_of_that_category() -> None:
    decision = evaluate(JIRA, ticket(T0, event(T1, "resolved")))
    assert "stopped" == clock(decision, "resolution")["state"]


def test_a_resolved_event_may_name_the_policys_own_resolved_status() -> None:
    decision = evaluate(JIRA, ticket(T0, event(T1, "resolved", status="Fixed")))
    assert "stopped" == clock(decision, "resolution")["state"]


def test_a_resolved_event_naming_an_open_status_of_the_policy_is_an_error() -> None:
    with pytest.raises(TicketError) as caught:
        evaluate(JIRA, ticket(T0, event(T1, "resolved", status="waiting-for-support")))
    assert (("events", 0, "status"), "waiting-for-support") == (
        caught.value.path,
        caught.value.value,
    )


def test_a_status_the_policy_does_not_know_is_a_ticket_error_with_a_suggestion() -> None:
    with pytest.raises(TicketError) as caught:
        evaluate(JIRA, ticket(T0, status(T1, "Waiting for custmer")))
    assert ("events", 0, "status") == caught.value.path
    assert "did you mean 'waiting-for-customer'?" in caught.value.message


def test_a_built_in_status_a_policy_does_not_declare_is_unknown_to_it() -> None:
    with pytest.raises(TicketError) as caught:
        evaluate(JIRA, ticket(T0, status(T1, "awaiting-vendor")))
    assert ("events", 0, "status") == caught.value.path


def test_the_status_condition_compares_canonical_names() -> None:
    body = JIRA.replace("{status_category: on-hold}", "{status: waiting-for-customer}")
    decision = evaluate(body, ticket(T0, status(T1, "pending")))
    assert ["T1:rule:customer-waiting:20241120T110000Z:notify0"] == action_ids(decision)


def test_a_condition_on_a_status_the_policy_does_not_declare_is_a_policy_error() -> None:
    body = JIRA.replace("{status_category: on-hold}", "{status: awaiting-user-info}")
    with pytest.raises(PolicyError) as caught:
        policy(body)
    assert "waiting-for-customer" in str(caught.value)


def test_a_trigger_naming_an_unknown_status_is_a_policy_error_with_a_suggestion() -> None:
    body = JIRA.replace("stop: {category: [resolved, cancelled]}", "stop: {status: dnoe}")
    with pytest.raises(PolicyError) as caught:
        policy(body)
    assert ("clocks", "resolution", "stop", "status") == caught.value.path
    assert "done" in str(caught.value)


def test_two_statuses_sharing_an_alias_is_a_policy_error() -> None:
    body = """
    statuses:
      open: {category: new, aliases: [pending]}
      waiting: {category: on-hold, aliases: [Pending]}
    """
    with pytest.raises(PolicyError) as caught:
        policy(body)
    assert ("statuses", "waiting", "aliases", 0) == caught.value.path


def test_a_policy_needs_a_status_of_category_new() -> None:
    with pytest.raises(PolicyError) as caught:
        policy("statuses:\n  doing: {category: in-progress}\n")
    assert ("statuses",) == caught.value.path


def test_an_unknown_category_is_a_policy_error() -> None:
    with pytest.raises(PolicyError):
        policy("statuses:\n  open: {category: fresh}\n")


def test_the_built_in_statuses_have_their_natural_categories() -> None:
    assert {
        "new": "new",
        "assigned": "in-progress",
        "awaiting-vendor": "on-hold",
        "on-hold": "on-hold",
        "cancelled": "cancelled",
    } == {
        name: BUILT_IN.category[name]
        for name in ("new", "assigned", "awaiting-vendor", "on-hold", "cancelled")
    }
    assert set(STATUSES) == set(BUILT_IN.names)
    assert set(CATEGORIES) == set(BUILT_IN.category.values())


def test_a_ticket_takes_a_status_no_built_in_list_knows() -> None:
    tkt = Ticket.from_mapping(ticket(T0, status(T1, "Waiting for customer")))
    assert "waiting-for-customer" == tkt.status


# -- empty markers and booleans -------------------------------------------------------------------


def test_empty_markers_read_as_null_in_every_field() -> None:
    data = ticket(
        T0,
        event(T1, "assigned", group="network", assignee="NULL"),
        category="?",
        customer={"id": "NULL", "tier": "gold"},
        fields={"u_contact": "?"},
        regulatory_flags=["?", "gdpr"],
        assignment_group="network",
    )
    tkt = Ticket.from_mapping(data, empty=("?", "NULL"))
    assert (None, None, {"u_contact": None}, ("gdpr",), None) == (
        tkt.category,
        tkt.customer.id,
        dict(tkt.fields),
        tkt.regulatory_flags,
        tkt.assignee,
    )


def test_without_markers_a_question_mark_is_a_value() -> None:
    assert "?" == Ticket.from_mapping(ticket(T0, category="?")).category


def test_an_empty_string_is_an_error_unless_it_is_a_marker() -> None:
    with pytest.raises(TicketError):
        Ticket.from_mapping(ticket(T0, category=""))
    assert Ticket.from_mapping(ticket(T0, category=""), empty=[""]).category is None


def test_a_marker_in_a_required_key_reads_as_missing() -> None:
    with pytest.raises(TicketError) as caught:
        Ticket.from_mapping(ticket(T0, event(T1, "priority-changed", priority="?")), empty=["?"])
    assert ("events", 0, "priority") == caught.value.path


def test_a_marker_in_field_changed_to_clears_the_field() -> None:
    data = ticket(T0, event(T1, "field-changed", field="category", to="NULL", **{"from": "db"}))
    assert Ticket.from_mapping(data, empty=["NULL"]).category is None


def test_the_policys_empty_values_apply_to_tickets_it_reads() -> None:
    body = """
    empty_values: ["?", "NULL"]
    rules:
      - id: uncategorised
        when: {category: {exists: false}}
        then: {notify: {to: [assignee]}}
    """
    assert ["T1:rule:uncategorised:20241120T100000Z:notify0"] == action_ids(
        evaluate(body, ticket(T0, category="?"))
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("FALSE", False), ("Yes", True), ("no", False), ("1", True), ("0", False)],
)
def test_customer_vip_takes_the_usual_string_forms_of_booleans(text: str, expected: bool) -> None:
    tkt = Ticket.from_mapping(ticket(T0, customer={"vip": text}))
    assert expected is tkt.customer.vip


BOOLEAN_FIELD = """
custom_fields: {u_major: boolean}
rules:
  - id: major
    when: {fields.u_major: true}
    then: {notify: {to: [assignee]}}
"""


def test_a_boolean_custom_field_takes_the_usual_string_forms() -> None:
    assert ["T1:rule:major:20241120T100000Z:notify0"] == action_ids(
        evaluate(BOOLEAN_FIELD, ticket(T0, fields={"u_major": "TRUE"}))
    )


def test_a_boolean_custom_field_refuses_other_text() -> None:
    with pytest.raises(TicketError) as caught:
        evaluate(BOOLEAN_FIELD, ticket(T0, fields={"u_major": "y"}))
    assert (("fields", "u_major"), "y") == (caught.value.path, caught.value.value)


# -- properties --------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
PACK_TEXT = (ROOT / "rules" / "itil-default.yaml").read_text(encoding="utf-8")
PACK = load(ROOT / "rules" / "itil-default.yaml")
_DATA = yaml.safe_load(PACK_TEXT)
_DATA["statuses"] = {name: {"category": BUILT_IN.category[name]} for name in BUILT_IN.names}
DECLARED = loads(yaml.safe_dump(_DATA, sort_keys=False))
_ALIASED = dict(_DATA)
_ALIASED["statuses"] = {
    name: {
        "category": BUILT_IN.category[name],
        "aliases": [f"Custom {name.replace('-', ' ').title()} State"],
    }
    for name in BUILT_IN.names
}
ALIASED = loads(yaml.safe_dump(_ALIASED, sort_keys=False))
SOME = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def shape(decision: Decision) -> dict[str, Any]:
    """The decision without what names the policy's file (line:col of each condition)."""
    data = decision.to_dict()
    for key in ("input_digest", "policy"):
        data.pop(key, None)
    for rule in data["rules"]:
        for condition in rule.get("conditions", ()):
            condition.pop("source", None)
    return data


def _now(tkt: Ticket) -> Any:
    return tkt.events[-1].at if tkt.events else tkt.opened_at


@SOME
@given(data=ticket_mappings(ITIL, max_events=12))
def test_declaring_the_built_in_statuses_decides_exactly_as_before(data: dict[str, Any]) -> None:
    tkt = Ticket.from_mapping(data)
    now = _now(tkt)
    assert shape(PACK.evaluate(tkt, now=now)) == shape(DECLARED.evaluate(tkt, now=now))


@SOME
@given(data=ticket_mappings(ITIL, max_events=12), spell=st.booleans())
def test_alias_spelling_does_not_change_a_decision(data: dict[str, Any], spell: bool) -> None:
    """Writing every status as its alias gives the decision the canonical names give."""
    tkt = Ticket.from_mapping(data)
    aliased = dict(data)
    if "status" in data:
        aliased["status"] = _alias(str(data["status"]))
    aliased["events"] = [
        dict(e, status=_alias(str(e["status"]))) if "status" in e and spell else e
        for e in data["events"]
    ]
    now = _now(tkt)
    assert shape(ALIASED.evaluate(tkt, now=now)) == shape(ALIASED.evaluate(aliased, now=now))


def _alias(status: str) -> str:
    canonical = BUILT_IN.canonical(status, ())
    return f"Custom {canonical.replace('-', ' ').title()} State"


def test_a_reopened_event_into_an_ended_status_of_the_policy_is_an_error() -> None:
    tkt = ticket(T0, event(T1, "resolved"), event(T2, "reopened", status="Fixed"))
    with pytest.raises(TicketError) as caught:
        evaluate(JIRA, tkt)
    assert ("events", 1, "status") == caught.value.path


def test_a_ticket_status_given_as_an_alias_of_the_last_status_agrees() -> None:
    tkt = ticket(T0, event(T1, "resolved"), status="Fixed")
    assert [] == action_ids(evaluate(JIRA, tkt))


def test_a_ticket_status_naming_another_status_than_the_history_is_an_error() -> None:
    tkt = ticket(T0, event(T1, "resolved"), status="waiting-for-customer")
    with pytest.raises(TicketError) as caught:
        evaluate(JIRA, tkt)
    assert (("status",), "waiting-for-customer") == (caught.value.path, caught.value.value)


def test_a_built_in_status_disagreeing_with_the_history_is_still_a_ticket_error() -> None:
    with pytest.raises(TicketError) as caught:
        Ticket.from_mapping(ticket(T0, event(T1, "resolved"), status="in-progress"))
    assert ("status",) == caught.value.path
