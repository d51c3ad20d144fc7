"""Anonymised case studies: stable salted pseudonyms, classified fields, scrubbed free text.

The pseudonyms below are pinned: an export made today must match one made next year with the
same salt (training material cross-references them), so a change of derivation must fail here.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalate import Ticket, loads
from escalate.errors import ArgumentError
from escalate.learning import WITHHELD, case_study, pseudonym

HEALTH = {"fields.patient_name": "health"}


def source(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "INC0042",
        "opened_at": "2024-06-03T10:00:00Z",
        "priority": "P1",
        "customer": {"id": "C-1042", "tier": "gold"},
        "fields": {"patient_name": "Jane Doe"},
        "events": [
            {
                "at": "2024-06-03T10:00:00Z",
                "type": "assigned",
                "group": "net",
                "assignee": "alice.smith",
            },
            {
                "at": "2024-06-03T10:05:00Z",
                "type": "comment",
                "actor": "bob.jones",
                "text": "Called JANE  roe; alice.smith on it for C-1042",
            },
            {
                "at": "2024-06-03T10:06:00Z",
                "type": "action-done",
                "action_id": "INC0042:rule:x:20240603T100000Z:page0",
            },
            {
                "at": "2024-06-03T10:07:00Z",
                "type": "field-changed",
                "field": "fields.patient_name",
                "from": "Jane Roe",
                "to": "Jane Doe",
            },
        ],
    }
    data.update(extra)
    return data


def test_people_customers_and_classified_fields_get_pinned_pseudonyms() -> None:
    out = case_study(Ticket.from_mapping(source()), salt="s", classification=HEALTH)
    assert out["id"] == "ticket-210cb7"
    assert out["assignee"] == "person-b3dd15"
    assert out["customer"] == {"id": "customer-5a5301", "tier": "gold", "vip": False}
    assert out["fields"] == {"patient_name": "health-3f178e"}  # Jane Doe
    assigned, comment, done, changed = out["events"]
    assert assigned["assignee"] == "person-b3dd15" and assigned["group"] == "net"
    assert comment["actor"] == "person-4fb509"
    # the earlier name, in another case and spacing, the assignee and the customer, all found
    assert comment["text"] == "Called health-03f397; person-b3dd15 on it for customer-5a5301"
    assert done["action_id"] == "ticket-210cb7:rule:x:20240603T100000Z:page0"
    assert (changed["from"], changed["to"]) == ("health-03f397", "health-3f178e")
    text = json.dumps(out).lower()
    for secret in ("inc0042", "alice", "bob.jones", "c-1042", "jane"):
        assert secret not in text


def test_stable_under_a_salt_and_different_under_another() -> None:
    ticket = Ticket.from_mapping(source())
    one = case_study(ticket, salt="s", classification=HEALTH)
    assert case_study(ticket, salt="s", classification=HEALTH) == one
    other = case_study(ticket, salt="t", classification=HEALTH)
    assert other["assignee"].startswith("person-") and other["assignee"] != one["assignee"]
    assert pseudonym("person", "Alice.Smith", "s") == "person-b3dd15"  # case-folded
    assert pseudonym("person", "alice.smith", "s", length=12).startswith("person-b3dd15")


def test_the_export_reads_back_and_decides_as_the_original() -> None:
    policy = loads(
        """\
policy: cs
version: "1"
directory: {people: {bob: {}, dave: {}}}
paths:
  desk:
    kind: vertical
    starts: on-open
    levels:
      - {name: L1, targets: [person:bob], after: 30m}
      - {name: L2, targets: [person:dave]}
""",
        filename="cs.yaml",
    )
    now = datetime(2024, 6, 3, 12, tzinfo=UTC)
    original = Ticket.from_mapping(source())
    copy = Ticket.from_mapping(case_study(original, salt="s", classification=HEALTH))
    assert copy.id == "ticket-210cb7"
    assert (
        policy.evaluate(copy, now=now).paths["desk"]
        == policy.evaluate(original, now=now).paths["desk"]
    )


def test_classified_comments_are_withheld_and_short_values_stay_in_text() -> None:
    data = source()
    data["events"][0]["assignee"] = "ann"  # three characters: too short to scrub from text
    data["events"][1]["text"] = "ann called"
    out = case_study(Ticket.from_mapping(data), salt="s")
    assert out["assignee"].startswith("person-")
    assert out["events"][1]["text"] == "ann called"  # as comms redaction does (MIN_SCRUB_CHARS)
    withheld = case_study(
        Ticket.from_mapping(source()), salt="s", classification={"comments": "personal"}
    )
    assert withheld["events"][1]["text"] == WITHHELD


def test_bad_arguments_and_colliding_pseudonyms_are_refused() -> None:
    ticket = Ticket.from_mapping(source())
    with pytest.raises(ArgumentError, match="salt"):
        case_study(ticket, salt="")
    with pytest.raises(ArgumentError, match="not a class"):
        case_study(ticket, salt="s", classification={"fields.patient_name": "medical"})
    with pytest.raises(ArgumentError, match="4 to 64"):
        pseudonym("person", "x", "s", length=3)
    # user0194 and user0285 share person-1cc9 at four hex digits under salt "s"
    assert pseudonym("person", "user0194", "s", length=4) == "person-1cc9"
    assert pseudonym("person", "user0285", "s", length=4) == "person-1cc9"
    data = source()
    data["events"][0]["assignee"] = "user0194"
    data["events"][1]["actor"] = "user0285"
    with pytest.raises(ArgumentError, match="longer"):
        case_study(Ticket.from_mapping(data), salt="s", length=4)
    assert case_study(Ticket.from_mapping(data), salt="s")["assignee"] != "person-1cc9"


NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=10)
FILLER = st.text(alphabet=" .,;:!0123456789", max_size=12)
PSEUDONYM = re.compile(r"(?:person|customer|health|ticket|value)-[0-9a-f]{6}")


@given(person=NAMES, customer=NAMES, patient=NAMES, filler=FILLER)
def test_no_original_value_survives_anywhere(
    person: str, customer: str, patient: str, filler: str
) -> None:
    data = source(customer={"id": customer}, fields={"patient_name": patient})
    data["events"] = [
        {"at": "2024-06-03T10:00:00Z", "type": "assigned", "assignee": person},
        {
            "at": "2024-06-03T10:05:00Z",
            "type": "comment",
            "text": f"{filler}{person.upper()}{filler}{customer} {patient.title()}{filler}",
        },
    ]
    out = case_study(Ticket.from_mapping(data), salt="salt", classification=HEALTH)
    replaced = (out["assignee"], out["customer"]["id"], out["fields"]["patient_name"])
    assert all(PSEUDONYM.fullmatch(v) for v in replaced)
    # a space where each pseudonym stood: values that ran together in the text and were
    # replaced one after the other leave fragments, which must not join up here into a value
    left = PSEUDONYM.sub(" ", out["events"][1]["text"]).casefold()
    for value in (person, customer, patient):
        assert value not in left
