"""The redaction promise, as a property: over tickets whose every classified field (and
comments holding those values, and unclassified fields that happen to hold them) is filled with
random text, no value an audience may not read appears in any message rendered for it nor in
``json.dumps(policy.export(decision, audience=...))``.

The values are drawn from letters, digits and spaces, at least :data:`MIN_SCRUB_CHARS` long
and with an upper-case letter: shorter values are masked in their field but deliberately not
scrubbed from text (docs/notifications.md), and a value with an upper-case letter and no quote
cannot be spelt by JSON's own syntax (``true``, ``null``, numbers, ``": "``), so finding one in
the dump means a value leaked.
"""

from __future__ import annotations

import json
import re
import string
import textwrap
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.comms.redaction import MIN_SCRUB_CHARS
from tests.comms.helpers import COMMS, comms_policy

OPEN = datetime(2024, 11, 20, 10, tzinfo=UTC)
ALPHABET = string.ascii_letters + string.digits + " "
VALUES = st.text(alphabet=ALPHABET, min_size=MIN_SCRUB_CHARS, max_size=14).filter(
    lambda v: v == v.strip() and any(c.isupper() for c in v)
)
#: What each audience of the test policy may not read (its redaction profile's classes).
WITHHELD = {
    "customer": ("personal", "health", "security", "internal-only"),
    "regulator": ("personal", "health", "security", "internal-only"),
    "vendor": ("personal", "health", "security", "internal-only"),
    "executive": ("personal", "health"),
}


@st.composite
def classified_tickets(draw: Any) -> tuple[dict[str, Any], dict[str, list[str]], datetime]:
    """A P1 or P2 ticket, the values of each class it holds, and an instant to decide at."""
    customer_before, customer = draw(VALUES), draw(VALUES)
    assignee_before, assignee = draw(VALUES), draw(VALUES)
    patient_before, patient = draw(VALUES), draw(VALUES)
    guess, detail = draw(VALUES), draw(VALUES)
    filler = draw(st.text(alphabet=ALPHABET, max_size=8))
    comments = [
        f"{patient_before} called{filler}{guess}",
        f"{detail}{customer}",
        draw(VALUES),
        f"{filler} {assignee_before}",
    ]
    values = {
        "personal": [customer_before, customer, assignee_before, assignee],
        "health": [patient_before, patient],
        "security": [detail],
        "internal-only": [guess, *comments],
    }
    # An unclassified field may happen to hold a classified value, in another case and with
    # other whitespace: the value is still scrubbed, before templates transform it too.
    category = draw(variants(st.sampled_from([patient, guess, detail, customer, "network"])))
    service = draw(variants(st.sampled_from([assignee, patient_before, "payments"])))
    at = OPEN + timedelta(minutes=1)
    events: list[dict[str, Any]] = [{"at": "2024-11-20T10:00:00Z", "type": "created"}]

    def add(**event: Any) -> None:
        nonlocal at
        events.append({"at": at.isoformat(), **event})
        at += timedelta(minutes=1)

    add(type="assigned", assignee=assignee_before)
    add(type="field-changed", field="customer.id", **{"from": customer_before, "to": customer})
    add(type="assigned", assignee=assignee)
    add(
        type="field-changed",
        field="fields.patient_name",
        **{"from": patient_before, "to": patient},
    )
    for text in comments:
        add(type="comment", text=text)
    ticket = {
        "id": "INC7",
        "opened_at": "2024-11-20T10:00:00Z",
        "priority": draw(st.sampled_from(["P1", "P2"])),
        "category": category,
        "service": service,
        "customer": {"id": customer},
        "assignee": assignee,
        "fields": {
            "patient_name": patient,
            "root_cause_guess": guess,
            "security_detail": detail,
        },
        "events": events,
    }
    now = at + timedelta(minutes=draw(st.integers(0, 300)))
    return ticket, values, now


@st.composite
def variants(draw: Any, values: st.SearchStrategy[str]) -> str:
    """A value as another field might spell it: another case, longer runs of whitespace."""
    value = draw(values)
    case = draw(st.sampled_from([str, str.upper, str.lower, str.swapcase, str.title]))
    space = draw(st.sampled_from([" ", "  ", "   "]))  # tickets refuse control characters
    return str(case(value)).replace(" ", space)


#: Templates that transform the unclassified fields holding those variants.
TRANSFORMS = {
    "U": lambda v: v.upper(),
    "L": lambda v: v.lower(),
    "T": lambda v: v.title(),
    "J": " ".join,
    "S": lambda v: v[0:4],
}
_LINES = "".join(
    f"{key}<{{{{ ticket.{field}{expr} }}}}>\n"
    for field in ("category", "service")
    for key, expr in (
        ("U", "|upper"),
        ("L", "|lower"),
        ("T", "|title"),
        ("J", "|list|join(' ')"),
        ("S", "[0:4]"),
    )
)
TRANSFORMING = COMMS.replace(
    "      {% endfor %}Contact: {{ owner.name }}\n",
    "      {% endfor %}Contact: {{ owner.name }}\n" + textwrap.indent(_LINES, "      "),
).replace(
    "      patient {{ ticket.fields.patient_name }}; {{ ticket.category }}\n",
    "      patient {{ ticket.fields.patient_name }}; {{ ticket.category }}\n"
    + textwrap.indent(_LINES, "      "),
)
_PIECE = re.compile(r"^([ULTJS])<(.*)>$", re.MULTILINE)


def _folded(text: str) -> str:
    return " ".join(text.lower().split())


def _leaks(
    text: str, audience: str, values: dict[str, list[str]], *, exact: bool = False
) -> list[str]:
    """Withheld values in ``text``: as written, or (unless ``exact``: a JSON dump spells
    ``null`` and ``true`` itself) in any case and spacing."""
    folded = _folded(text)
    return [
        v
        for kind in WITHHELD[audience]
        for v in values[kind]
        if v in text or (not exact and _folded(v) in folded)
    ]


@settings(max_examples=60)
@given(classified_tickets())
def test_no_withheld_value_reaches_a_message_or_an_export(
    case: tuple[dict[str, Any], dict[str, list[str]], datetime],
) -> None:
    ticket, values, now = case
    policy = comms_policy()
    decision = policy.evaluate(ticket, now=now)
    messages = policy.messages(decision)
    if ticket["priority"] == "P1":
        assert {"customer", "executive", "internal"} <= {m.audience for m in messages}
    for message in messages:
        if message.audience in WITHHELD:
            assert [] == _leaks(message.subject + "\n" + message.body, message.audience, values)
    for audience in WITHHELD:
        assert [] == _leaks(
            json.dumps(policy.export(decision, audience=audience)), audience, values, exact=True
        )


@settings(max_examples=60)
@given(classified_tickets())
def test_no_template_filter_turns_a_withheld_value_into_text_that_escapes_the_scrub(
    case: tuple[dict[str, Any], dict[str, list[str]], datetime],
) -> None:
    ticket, values, now = case
    policy = comms_policy(TRANSFORMING)
    decision = policy.evaluate(ticket, now=now)
    messages = [m for m in policy.messages(decision) if m.audience in WITHHELD]
    if ticket["priority"] == "P1":
        assert {"customer", "executive"} <= {m.audience for m in messages}
    for message in messages:
        withheld = [_folded(v) for kind in WITHHELD[message.audience] for v in values[kind]]
        assert [] == _leaks(message.subject + "\n" + message.body, message.audience, values)
        pieces = _PIECE.findall(message.body)
        assert (10 if message.template in ("customer-notice", "briefing") else 0) == len(pieces)
        for i, (key, piece) in enumerate(pieces):
            spelt = ticket["category"] if i < 5 else ticket["service"]
            if _folded(spelt) in withheld:
                # the template saw the scrubbed field, never the value
                assert TRANSFORMS[key](spelt) != piece
