"""Vendor-audience messages show a vendor only what its agreement shares.

A notify action's recipients come from the rule, not from a vendor, so a message for the
``vendor`` audience must be fit for any vendor the policy declares: in a policy with
``vendors:``, a vendor template may read, of the ticket, its id and the fields every vendor's
``data_sharing`` lists; reading anything else is a load error naming the template variable
(docs/vendors.md, "Data sharing"; docs/notifications.md).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import escalate
from escalate.errors import PolicyError

POOL = (
    "category",
    "service",
    "priority",
    "region",
    "configuration_item",
    "customer.id",
    "customer.tier",
    "fields.u_site",
)
# every value unique and unmistakable, so a leak shows up as a substring
# (category and priority hold the values the rule and the clocks need)
SENTINEL = {f: f"S-{f.replace('.', '-').upper()}-9" for f in POOL[3:]} | {"service": "S-SERVICE-9"}


def _policy(acme: list[str], beta: list[str], variables: list[str]) -> escalate.Policy:
    body = " ".join("{{ " + v + " }}" for v in variables)
    return escalate.loads(
        f"""
policy: vendor-messages
version: 1
directory:
  people:
    bob: {{name: Bob, channels: {{email: b@x.example}}}}
  teams:
    desk: {{members: [bob]}}
paths:
  acme: {{kind: horizontal, levels: [{{name: acme-l2, targets: ["team:desk"]}}]}}
  beta: {{kind: horizontal, levels: [{{name: beta-l2, targets: ["team:desk"]}}]}}
rules:
  - id: to-acme
    when: {{category: storage}}
    then:
      transfer: {{path: acme}}
      notify: {{to: [person:bob], channel: email, audience: vendor, template: ask}}
templates:
  ask:
    audience: vendor
    subject: "[{{{{ ticket.id }}}}] help"
    body: "{body}"
    variables: {["ticket.id", *variables]}
audiences:
  vendor: {{point_of_contact: person:bob}}
vendors:
  acme: {{name: ACME, path: acme, response: {{default: 1h}}, data_sharing: {{fields: {acme}}}}}
  beta: {{name: Beta, path: beta, response: {{default: 1h}}, data_sharing: {{fields: {beta}}}}}
""",
        filename="v.yaml",
    )


TICKET = {
    "id": "V9",
    "opened_at": "2024-11-20T14:00:00Z",
    "priority": "P1",
    "category": "storage",
    "service": SENTINEL["service"],
    "region": SENTINEL["region"],
    "configuration_item": SENTINEL["configuration_item"],
    "customer": {"id": SENTINEL["customer.id"], "tier": SENTINEL["customer.tier"]},
    "fields": {"u_site": SENTINEL["fields.u_site"]},
    "events": [],
}
ACME = ["category", "priority", "service", "customer.id"]
BETA = ["category", "priority", "service", "fields.u_site"]


@pytest.mark.parametrize(
    ("variable", "refused_for"),
    [
        ("ticket.service", None),  # both share it
        ("ticket.priority", None),
        ("ticket.customer.id", "beta"),  # acme's only
        ("ticket.fields.u_site", "acme"),  # beta's only
        ("ticket.region", "acme, beta"),  # nobody's
        ("ticket.customer", None),  # covers customer.tier and customer.vip too
        ("ticket.fields", None),  # every custom field
        ("ticket", None),  # the whole ticket
    ],
)
def test_a_vendor_template_reads_only_fields_every_vendor_shares(
    variable: str, refused_for: str | None
) -> None:
    if variable in ("ticket.service", "ticket.priority"):
        chosen = _policy(ACME, BETA, [variable])
        (message,) = chosen.messages(
            chosen.evaluate(TICKET, now=datetime(2024, 11, 20, 14, 5, tzinfo=UTC))
        )
        assert message.body.strip() in (SENTINEL["service"], "P1")
        return
    with pytest.raises(PolicyError) as raised:
        _policy(ACME, BETA, [variable])
    text = str(raised.value)
    assert "templates.ask.variables[1]" in text
    assert repr(variable) in text
    if refused_for is not None:
        assert f"vendor(s) {refused_for} does not list" in text


@settings(max_examples=40, deadline=None)
@given(
    acme=st.lists(st.sampled_from(POOL), unique=True),
    beta=st.lists(st.sampled_from(POOL), unique=True),
    read=st.lists(st.sampled_from(POOL), unique=True, min_size=1),
)
def test_no_unshared_value_reaches_a_vendor_message(
    acme: list[str], beta: list[str], read: list[str]
) -> None:
    variables = [f"ticket.{f}" for f in read]
    shared = set(acme) & set(beta)
    try:
        chosen = _policy(acme, beta, variables)
    except PolicyError:
        assert not set(read) <= shared  # refused only when it reads an unshared field
        return
    assert set(read) <= shared
    decision = chosen.evaluate(TICKET, now=datetime(2024, 11, 20, 14, 5, tzinfo=UTC))
    (message,) = chosen.messages(decision)
    text = message.subject + message.body
    for field, value in SENTINEL.items():
        assert (value in text) == (field in read), field
        assert value not in text or field in shared
