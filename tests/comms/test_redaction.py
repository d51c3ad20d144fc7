"""Redaction: classified fields masked in the view, their values from the whole history
scrubbed from text and exports, longest first, with nothing spelt again."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import ArgumentError, PolicyError, Ticket, loads
from escalate.comms.redaction import (
    MIN_SCRUB_CHARS,
    Profile,
    Scrubber,
    classified_values,
    ticket_view,
)
from tests.comms.helpers import COMMS, comms_policy, p1_ticket

NOW = datetime(2024, 11, 20, 10, 30, tzinfo=UTC)
EVERY_CLASS = frozenset({"personal", "health", "security", "internal-only"})


def test_the_scrubber_replaces_the_longest_value_first() -> None:
    scrub = Scrubber(["Jane", "Jane Roe"], "[x]")
    assert "patient [x], nurse [x]" == scrub.text("patient Jane Roe, nurse Jane")


@pytest.mark.parametrize(
    "spelt",
    [
        "Jane Roe",
        "JANE ROE",
        "jane roe",
        "Jane  Roe",
        "Jane\n\tRoe",
        "jAnE\u00a0rOe",  # a no-break space
        "\uff2a\uff41\uff4e\uff45 \uff32\uff4f\uff45",  # full-width letters
        "J\u0301ane Roe\u0308",  # combining accents
    ],
)
def test_the_scrubber_ignores_case_whitespace_runs_and_unicode_forms(spelt: str) -> None:
    assert "<[x]>" == Scrubber(["Jane Roe"], "[x]").text(f"<{spelt}>")


def test_a_value_counts_its_inner_whitespace_toward_the_shortest_scrubbed_length() -> None:
    # "A  0" is four characters as written (Hypothesis found it passing through): collapsing
    # its whitespace run to match "A 0" must not also make it too short to scrub
    scrub = Scrubber(["A  0", "  B1  "], "[x]")
    assert "patient [x], [x], B1" == scrub.text("patient A  0, a 0, B1")


def test_the_scrubber_folds_case_fully_and_keeps_the_text_around_a_value() -> None:
    scrub = Scrubber(["Strauß", " José Díaz "], "[x]")
    assert "Herr [x], [x]; Ｈｅｒｒ [x]." == scrub.text("Herr STRAUSS, jose diaz; Ｈｅｒｒ Strauß.")


def test_the_scrubber_does_not_scrub_what_only_looks_alike() -> None:
    scrub = Scrubber(["Jane Roe", "  ab  "], "[x]")
    assert "Jane Rowe, JaneRoe, ab cab" == scrub.text("Jane Rowe, JaneRoe, ab cab")


def test_the_scrubber_finds_each_of_many_values_in_a_long_text() -> None:
    scrub = Scrubber([f"value number {i:04}" for i in range(200)], "[x]")
    text = "é " + "value number 0042 and other words " * 3000
    assert 3000 == scrub.text(text).count("[x]")


def test_a_value_spelt_again_across_a_placeholder_edge_is_deleted() -> None:
    scrub = Scrubber(["ab12", "x]cd"], "[x]")
    out = scrub.text("ab12cd")  # "[x]" + "cd" spells "x]cd"
    assert "ab12" not in out and "x]cd" not in out


def test_a_placeholder_holding_a_value_is_not_used() -> None:
    assert "name: " == Scrubber(["dact"], "[redacted]").text("name: dact")


def test_the_scrubber_reaches_every_string_of_an_export_keys_included() -> None:
    data = {"Jane Roe": ["a Jane Roe b", {"k": "Jane Roe"}], "n": 1}
    assert {"[x]": ["a [x] b", {"k": "[x]"}], "n": 1} == Scrubber(["Jane Roe"], "[x]").data(data)


def _ticket() -> Ticket:
    return Ticket.from_mapping(p1_ticket())


def test_classified_values_come_from_the_whole_history() -> None:
    classification = {
        "fields.patient_name": "health",
        "comments": "internal-only",
        "assignee": "personal",
    }
    found = classified_values(_ticket(), classification, EVERY_CLASS)
    assert ("Jane Doe called", "Jane Doe", "Jane Roe", "anna") == found


def test_only_withheld_classes_are_collected() -> None:
    classification = {"fields.patient_name": "health", "customer.id": "personal"}
    assert ("ACME-4711",) == classified_values(_ticket(), classification, frozenset({"personal"}))


def test_values_shorter_than_the_minimum_are_masked_but_not_scrubbed() -> None:
    ticket = Ticket.from_mapping(p1_ticket(customer={"id": "AB1"}))
    assert () == classified_values(ticket, {"customer.id": "personal"}, EVERY_CLASS)
    view = ticket_view(ticket, "P1", {"customer.id": "personal"}, Profile.default("customer"))
    assert "[redacted]" == view["customer"]["id"]
    assert 3 < MIN_SCRUB_CHARS


def test_the_view_masks_each_withheld_field_and_comment() -> None:
    classification = {
        "fields.patient_name": "health",
        "comments": "internal-only",
        "assignee": "personal",
    }
    view = ticket_view(
        _ticket(), "P1", classification, Profile("p", frozenset({"health", "internal-only"}), "#")
    )
    assert ("#", "anna", ["#"]) == (
        view["fields"]["patient_name"],
        view["assignee"],
        [c["text"] for c in view["comments"]],
    )


def test_an_audience_without_a_profile_fails_closed() -> None:
    assert EVERY_CLASS == Profile.default("executive").redact
    assert frozenset() == Profile.default("internal").redact


def test_an_unknown_classified_field_does_not_load() -> None:
    with pytest.raises(PolicyError) as caught:
        loads(COMMS.replace("customer.id: personal", "customer.idd: personal"), filename="c.yaml")
    assert "'customer.idd' is not a ticket field a classification can name" in caught.value.message
    assert "customer.id" == caught.value.suggestion


def test_an_unknown_profile_does_not_load() -> None:
    with pytest.raises(PolicyError) as caught:
        loads(COMMS.replace("redaction: external", "redaction: externall"), filename="c.yaml")
    assert "unknown redaction profile 'externall'" in caught.value.message
    assert ("audiences", "customer", "redaction") == caught.value.path


def _export(audience: str) -> dict[str, object]:
    policy = comms_policy()
    return policy.export(policy.evaluate(p1_ticket(), now=NOW), audience=audience)


def test_a_customer_export_holds_no_classified_value() -> None:
    text = json.dumps(_export("customer"))
    secrets = ["ACME-4711", "Jane Roe", "Jane Doe", "bad BGP config", "CVE-2024-1234", "anna"]
    assert [] == [s for s in secrets if s in text]


def test_a_customer_export_keeps_only_its_own_actions_without_people_or_notes() -> None:
    exported = _export("customer")
    actions = exported["actions"]
    assert isinstance(actions, list)
    assert {"customer"} == {a["details"]["audience"] for a in actions}
    assert [[]] * len(actions) == [a["people"] for a in actions]
    assert "paths" not in exported and "rules" not in exported
    assert "customer" == exported["audience"]


def test_an_executive_export_keeps_paths_and_drops_the_trace() -> None:
    exported = _export("executive")
    assert "paths" in exported and "rules" not in exported
    assert "ACME-4711" not in json.dumps(exported)


def test_an_internal_export_is_the_whole_decision_with_the_view() -> None:
    policy = comms_policy()
    decision = policy.evaluate(p1_ticket(), now=NOW)
    exported = policy.export(decision, audience="internal")
    assert {
        k: v for k, v in exported.items() if k not in ("audience", "ticket_view")
    } == decision.to_dict()
    assert "Jane Roe" == exported["ticket_view"]["fields"]["patient_name"]  # type: ignore[index]


def test_an_unknown_audience_is_an_argument_error() -> None:
    with pytest.raises(ArgumentError, match=r"unknown audience 'custmer'.*did you mean 'customer'"):
        _export("custmer")


def test_a_withheld_value_in_an_unclassified_field_is_scrubbed_before_filters_see_it() -> None:
    text = COMMS.replace(
        'subject: "[{{ ticket.id }}] {{ ticket.category }}"',
        "subject: \"{{ ticket.category|upper }}|{{ ticket.category|list|join(' ') }}|"
        '{{ ticket.category[0:4] }}|{{ ticket.category|title }}|{{ ticket.id }}"',
    )
    policy = comms_policy(text)
    # the patient's name, in another spelling, in a field nobody classifies
    decision = policy.evaluate(p1_ticket(category="JANE  roe"), now=NOW)
    notices = [m for m in policy.messages(decision) if m.template == "customer-notice"]
    assert "[REDACTED]|[ r e d a c t e d ]|[red|[Redacted]|INC1" == notices[0].subject


def _reference_fold(text: str) -> str:
    """The scrubber's comparison, written the slow, obvious way."""
    folded = "".join(
        " "
        if c.isspace()
        else "".join(
            d for d in unicodedata.normalize("NFKD", c) if not unicodedata.combining(d)
        ).casefold()
        for c in text
    )
    return " ".join(folded.split())


_MIXED = st.text(alphabet="aAbBéÉßſ \u00a0\u0301Ｊｊﬁ", max_size=30)


@settings(max_examples=300)
@given(_MIXED, st.text(alphabet="aAbBéÉß Ｊｊ", min_size=4, max_size=8))
def test_after_scrubbing_no_spelling_of_a_value_is_left(text: str, value: str) -> None:
    wanted = _reference_fold(value)
    if len(wanted) < MIN_SCRUB_CHARS:
        return
    out = Scrubber([value], "#").text(text + " " + value.upper() + " " + text)
    assert wanted not in _reference_fold(out)
