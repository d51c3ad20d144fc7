"""Issue 13's "done when", end to end on the shipped pack: a P1 at night pages the on-call
engineer through a notification plan (channel attempts with stable ids, each next one a
wake-up), the customer notice and the executive briefing render without any classified value,
and a chain nobody acknowledges becomes an operational incident linked to the ticket."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import escalate

PACK = Path(__file__).resolve().parents[1] / "rules" / "itil-default.yaml"

#: A value for every field the pack classifies, each long enough to be scrubbed from text.
CLASSIFIED = {
    "customer.id": "ACME-HOSPITAL-4711",
    "fields.caller_name": "Dr. Erika Mustermann",
    "fields.patient_name": "Jonathan Q. Patient",
    "fields.root_cause_guess": "expired TLS certificate on lb-07",
    "fields.security_detail": "CVE-2024-99999 exploited via admin portal",
    "comments": "Jonathan Q. Patient cannot reach the portal (Dr. Erika Mustermann)",
}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _ticket(events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": "INC13000",
        "opened_at": "2024-11-20T22:00:00Z",
        "priority": "P1",
        "category": "application",
        "service": "patient-portal",
        "assignment_group": "service-desk",
        "customer": {"id": CLASSIFIED["customer.id"], "tier": "gold"},
        "fields": {
            "caller_name": CLASSIFIED["fields.caller_name"],
            "patient_name": CLASSIFIED["fields.patient_name"],
            "root_cause_guess": CLASSIFIED["fields.root_cause_guess"],
            "security_detail": CLASSIFIED["fields.security_detail"],
        },
        "events": [
            {"at": "2024-11-20T22:00:00Z", "type": "created"},
            {"at": "2024-11-20T22:01:00Z", "type": "comment", "text": CLASSIFIED["comments"]},
            *(events or []),
        ],
    }


@pytest.fixture(scope="module")
def policy() -> escalate.Policy:
    return escalate.load(PACK)


def test_the_pack_classifies_every_field_this_test_fills(policy: escalate.Policy) -> None:
    text = PACK.read_text(encoding="utf-8")
    classification = text.split("\nclassification:\n", 1)[1].split("\n\n", 1)[0]
    assert sorted(line.split(":")[0].strip() for line in classification.splitlines()) == sorted(
        CLASSIFIED
    )


def test_a_p1_at_night_pages_through_channel_attempts(policy: escalate.Policy) -> None:
    first = policy.evaluate(_ticket(), now=_at("2024-11-20T22:01:00Z"))
    attempts = [a for a in first.actions if a.kind == "notify_attempt"]
    assert [a.details["channel_kind"] for a in attempts] == ["chat"]
    [chat] = attempts
    assert chat.id.endswith("/notify/" + chat.details["person"] + "/0")
    assert chat.details["address"]  # the person's chat handle, from the directory
    # the SMS step five minutes later is the next wake-up
    assert first.next_evaluation_at == _at("2024-11-20T22:05:00Z")

    later = policy.evaluate(_ticket(), now=_at("2024-11-20T22:05:00Z"))
    [sms] = [a for a in later.actions if a.kind == "notify_attempt"]
    assert sms.details["channel_kind"] == "sms"
    assert sms.id.rsplit("/", 1)[0] == chat.id.rsplit("/", 1)[0]  # same chain, stable ids
    assert later.next_evaluation_at == _at("2024-11-20T22:10:00Z")


def test_an_acknowledgement_stops_the_chain(policy: escalate.Policy) -> None:
    acked = _ticket([{"at": "2024-11-20T22:03:00Z", "type": "acknowledged"}])
    decision = policy.evaluate(acked, now=_at("2024-11-20T22:40:00Z"))
    assert not [a for a in decision.actions if a.kind in ("notify_attempt", "open_incident")]


def _leaks(text: str) -> list[str]:
    return [value for value in CLASSIFIED.values() if value in text]


def test_customer_notice_and_executive_briefing_carry_no_classified_value(
    policy: escalate.Policy,
) -> None:
    decision = policy.evaluate(_ticket(), now=_at("2024-11-20T22:05:00Z"))
    messages = {m.audience: m for m in policy.messages(decision)}
    notice, briefing = messages["customer"], messages["executive"]
    assert notice.template == "customer-notice" and briefing.template == "executive-briefing"
    assert "INC13000" in notice.body and "INC13000" in briefing.subject
    for message in (notice, briefing):
        assert message.owner  # exactly one point of contact, resolved
        assert _leaks(message.subject + "\n" + message.body) == []
    for audience in ("customer", "executive"):
        exported = json.dumps(policy.export(decision, audience=audience))
        assert _leaks(exported) == []
    # the internal audience does see them: the test would catch a pack that classifies nothing
    assert _leaks(json.dumps(policy.export(decision, audience="internal")))


def test_nobody_acknowledging_opens_an_operational_incident(policy: escalate.Policy) -> None:
    quiet = policy.evaluate(_ticket(), now=_at("2024-11-20T23:30:00Z"))
    [failure] = [a for a in quiet.actions if a.kind == "open_incident"]
    assert failure.id.endswith("/comms-failure")
    assert failure.details["linked_to"] == "INC13000"
    assert "nobody acknowledged" in failure.details["reason"]
    # the host learns of it by following next_evaluation_at: walking the wake-ups from the
    # opening reaches the instant it falls due
    at, seen = _at("2024-11-20T22:01:00Z"), []
    while at < failure.due_at:
        decision = policy.evaluate(_ticket(), now=at)
        assert decision.next_evaluation_at is not None
        at = decision.next_evaluation_at
        seen.append(at)
    assert failure.due_at in seen
