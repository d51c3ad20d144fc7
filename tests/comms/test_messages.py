"""Policy.messages: one message per due notify action naming a declared template, rendered
for its audience with its redaction, naming exactly one point of contact."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime

import pytest

from escalate import ArgumentError, Message, MessageError, PolicyError, load, loads
from tests.comms.helpers import COMMS, comms_policy, p1_ticket

NOW = datetime(2024, 11, 20, 10, 30, tzinfo=UTC)
CLASSIFIED = (
    "ACME-4711",
    "Jane Roe",
    "Jane Doe",
    "bad BGP config",
    "CVE-2024-1234",
    "Jane Doe called",
    "anna",
)


def _messages(ticket: dict[str, object] | None = None) -> dict[str, Message]:
    policy = comms_policy()
    decision = policy.evaluate(ticket or p1_ticket(), now=NOW)
    return {m.template: m for m in policy.messages(decision)}


def test_a_p1_gets_one_message_per_notify_action_naming_a_template() -> None:
    found = _messages()
    assert ["briefing", "customer-notice", "internal-update"] == sorted(found)


def test_the_customer_notice_holds_no_classified_value_and_says_what_it_withheld() -> None:
    notice = _messages()["customer-notice"]
    text = notice.subject + notice.body
    assert [] == [value for value in CLASSIFIED if value in text]
    assert "Dear customer [redacted]" in notice.body
    assert "comment: [redacted]" in notice.body


def test_the_executive_briefing_withholds_personal_and_health_data_only() -> None:
    briefing = _messages()["briefing"]
    assert "customer [withheld]" in briefing.body
    assert "patient [withheld]" in briefing.body
    assert "guess bad BGP config" in briefing.body  # internal-only is readable by executives
    assert "Jane Doe" not in briefing.body  # a former patient name inside a comment, scrubbed


def test_internal_messages_read_everything_their_profile_allows() -> None:
    update = _messages()["internal-update"]
    assert "customer ACME-4711, patient Jane Roe" == update.body


def test_a_message_names_the_action_audience_channel_and_one_owner() -> None:
    notice = _messages()["customer-notice"]
    assert notice.action_id.startswith("INC1:rule:p1-notices:")
    assert ("customer", "email", ("customer",), "cleo") == (
        notice.audience,
        notice.channel,
        notice.to,
        notice.owner,
    )
    assert "Contact: Cleo Koch" in notice.body


def test_an_audience_without_a_point_of_contact_names_no_owner() -> None:
    assert _messages()["internal-update"].owner is None


def test_messages_are_deterministic_values() -> None:
    first = comms_policy().messages(comms_policy().evaluate(p1_ticket(), now=NOW))
    again = comms_policy().messages(comms_policy().evaluate(p1_ticket(), now=NOW))
    assert first == again
    assert json.dumps([m.to_dict() for m in first]) == json.dumps([m.to_dict() for m in again])
    assert hash(first[0]) == hash(again[0])


def test_a_ticket_without_notify_actions_has_no_messages() -> None:
    decision = comms_policy().evaluate(p1_ticket(priority="P3"), now=NOW)
    assert () == comms_policy().messages(decision)


def _policy_with(**replacements: str) -> str:
    text = COMMS
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def test_a_point_of_contact_that_names_two_people_is_an_error() -> None:
    text = _policy_with(**{"point_of_contact: role:account-manager": "point_of_contact: team:desk"})
    policy = loads(text, filename="comms.yaml")
    decision = policy.evaluate(p1_ticket(), now=NOW)
    with pytest.raises(
        MessageError, match=r"names 2 people \(anna, ben\); a message names exactly one owner"
    ):
        policy.messages(decision)


def test_a_point_of_contact_that_names_nobody_is_an_error() -> None:
    text = _policy_with(**{"point_of_contact: role:account-manager": "point_of_contact: assignee"})
    policy = loads(text, filename="comms.yaml")
    ticket = p1_ticket()
    del ticket["assignee"]
    ticket["events"] = [e for e in ticket["events"] if e["type"] != "assigned"]  # type: ignore[union-attr]
    decision = policy.evaluate(ticket, now=NOW)
    with pytest.raises(
        MessageError, match="no point of contact of audience 'customer' names anyone"
    ):
        policy.messages(decision)


def test_a_list_of_contacts_takes_the_first_that_names_someone() -> None:
    text = _policy_with(
        **{"point_of_contact: role:account-manager": "point_of_contact: [assignee, person:cleo]"}
    )
    policy = loads(text, filename="comms.yaml")
    ticket = p1_ticket()
    del ticket["assignee"]
    ticket["events"] = [e for e in ticket["events"] if e["type"] != "assigned"]  # type: ignore[union-attr]
    notices = [
        m for m in policy.messages(policy.evaluate(ticket, now=NOW)) if m.audience == "customer"
    ]
    assert ["cleo"] == [m.owner for m in notices]


def test_an_external_audience_without_a_point_of_contact_does_not_load() -> None:
    text = _policy_with(**{"    point_of_contact: role:account-manager\n": ""})
    with pytest.raises(
        PolicyError, match="audience 'customer' is external: it needs a point_of_contact"
    ):
        loads(text, filename="comms.yaml")


def test_a_template_reading_owner_needs_its_audience_to_name_a_contact() -> None:
    text = (
        _policy_with(**{"internal: {redaction: none}": "internal: {redaction: none}"})
        .replace(
            'body: "customer {{ ticket.customer.id }}, patient {{ ticket.fields.patient_name }}"',
            'body: "{{ owner.name }}"',
        )
        .replace(
            "variables: [ticket.id, ticket.customer, ticket.fields]",
            "variables: [ticket.id, owner]",
        )
    )
    with pytest.raises(
        PolicyError, match="reads 'owner', but audience 'internal' names no point_of_contact"
    ):
        loads(text, filename="comms.yaml")


def test_once_templates_are_declared_a_notify_action_must_name_one() -> None:
    text = _policy_with(**{"template: internal-update}": "template: internal-updat}"})
    with pytest.raises(PolicyError) as caught:
        loads(text, filename="comms.yaml")
    assert "unknown template 'internal-updat'" in str(caught.value)
    assert "did you mean 'internal-update'" in str(caught.value)
    assert "rules[0].then[2].notify.template" in str(caught.value)


def test_a_notify_action_and_its_template_agree_on_the_audience() -> None:
    text = _policy_with(**{"template: internal-update}": "template: briefing}"})
    with pytest.raises(
        PolicyError, match="template 'briefing' is written for audience 'executive'"
    ):
        loads(text, filename="comms.yaml")


def test_without_templates_a_notify_action_may_name_any_template() -> None:
    policy = loads(
        textwrap.dedent(
            """
            policy: plain
            version: 1
            rules:
              - id: tell
                when: {priority: P1}
                then: {notify: {to: [assignee], template: anything-the-host-renders}}
            """
        )
    )
    decision = policy.evaluate(p1_ticket(fields={}), now=NOW)
    assert ["anything-the-host-renders"] == [a.details["template"] for a in decision.actions]
    assert () == policy.messages(decision)


def test_a_decision_of_another_policy_is_refused() -> None:
    decision = load("rules/itil-default").evaluate(p1_ticket(fields={}), now=NOW)
    with pytest.raises(ArgumentError, match="the decision was made by another policy"):
        comms_policy().messages(decision)


def test_the_shipped_pack_renders_a_p1_customer_notice_and_executive_briefing() -> None:
    policy = load("rules/itil-default")
    ticket = p1_ticket(
        fields={
            "patient_name": "Jane Roe",
            "caller_name": "John Doe",
            "root_cause_guess": "bad BGP config",
            "security_detail": "CVE-2024-1234",
        },
        assignment_group="service-desk",
        events=[
            {"at": "2024-11-20T10:00:00Z", "type": "created"},
            {"at": "2024-11-20T10:03:00Z", "type": "comment", "text": "Jane Roe says BGP"},
        ],
    )
    del ticket["assignee"]
    messages = {m.template: m for m in policy.messages(policy.evaluate(ticket, now=NOW))}
    assert {"customer-notice", "executive-briefing"} <= set(messages)
    notice, briefing = messages["customer-notice"], messages["executive-briefing"]
    secrets = ("ACME-4711", "Jane Roe", "John Doe", "bad BGP config", "CVE-2024-1234", "says BGP")
    assert [] == [s for s in secrets if s in notice.subject + notice.body]
    assert [] == [
        s for s in ("ACME-4711", "Jane Roe", "John Doe") if s in briefing.subject + briefing.body
    ]
    assert ("ravi.patel", "ravi.patel") == (notice.owner, briefing.owner)
    assert "Your contact for this incident is Ravi Patel" in notice.body


def test_the_shipped_pack_never_renders_a_missing_value_as_none() -> None:
    policy = load("rules/itil-default")
    ticket = p1_ticket(fields={}, assignment_group="service-desk")
    del ticket["assignee"], ticket["customer"], ticket["category"]
    ticket["events"] = [{"at": "2024-11-20T10:00:00Z", "type": "created"}]
    messages = policy.messages(policy.evaluate(ticket, now=NOW))
    assert {"customer-notice", "executive-briefing"} <= {m.template for m in messages}
    for message in messages:
        text = message.subject + "\n" + message.body
        assert "None" not in text, (message.template, text)
    briefing = next(m for m in messages if m.template == "executive-briefing")
    assert "Customer: not given" in briefing.body
    assert "for customer" not in briefing.subject


def test_a_segment_may_override_a_template_and_its_decisions_render_with_it() -> None:
    text = COMMS + textwrap.dedent(
        """
        segments:
          - id: emea
            when: {region: emea}
            precedence: 10
            templates:
              internal-update:
                audience: internal
                subject: "EMEA {{ ticket.id }}"
                body: "emea"
                variables: [ticket.id]
        """
    )
    policy = loads(text, filename="comms.yaml")
    decision = policy.evaluate(p1_ticket(region="emea"), now=NOW)
    assert "emea" == decision.segment
    found = {m.template: m for m in policy.messages(decision)}
    assert ("EMEA INC1", "emea") == (
        found["internal-update"].subject,
        found["internal-update"].body,
    )
    plain = policy.messages(policy.evaluate(p1_ticket(), now=NOW))
    assert "INC1" == {m.template: m for m in plain}["internal-update"].subject
