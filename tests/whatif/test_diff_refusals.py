"""A policy that refuses a ticket is a finding of ``diff``, not an end to it.

The new policy is the shipped pack with one alias of P4 dropped (``4 - Low``), so it refuses
the example ticket INC0010004, whose priority is written that way; the other five tickets
decide as before.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from escalate import load, loads
from escalate.errors import TicketError
from escalate.whatif import Change, compare, diff

ROOT = Path(__file__).resolve().parents[2]
PACK_TEXT = (ROOT / "rules" / "itil-default.yaml").read_text(encoding="utf-8")
OLD = load(ROOT / "rules" / "itil-default.yaml")
AT = datetime.fromisoformat("2024-11-20T15:00:00+00:00")
EXAMPLES = [
    json.loads(path.read_text(encoding="utf-8"))
    for path in sorted((ROOT / "examples" / "tickets").glob("*.json"))
]
P4 = '    P4: [Sev4, Low, "4 - Low", "4"]'
assert PACK_TEXT.count(P4) == 1
STRICT = loads(PACK_TEXT.replace(P4, '    P4: [Sev4, Low, "4"]'), filename="strict.yaml")
REFUSAL = (
    "priority: priority value is not known to policy 'itil-default' (known: P1, P2, P3, P4, "
    "P5; add an alias under terminology.priority) (got '4 - Low')"
)


def test_a_ticket_the_new_policy_refuses_differs_and_the_others_are_compared() -> None:
    result = diff(OLD, STRICT, EXAMPLES, at=AT)
    refused = result.differing
    assert (6, ["INC0010004"]) == (len(result.tickets), [t.ticket_id for t in refused])
    assert (Change("refusal", before=None, after=REFUSAL),) == refused[0].changes
    assert (None, REFUSAL) == (refused[0].old_refusal, refused[0].new_refusal)


def test_the_text_says_which_policy_refuses_and_why() -> None:
    lines = diff(OLD, STRICT, EXAMPLES, at=AT).text().splitlines()
    assert [f"  old: decides; new: refuses: {REFUSAL}"] == lines[3:]
    back = diff(STRICT, OLD, EXAMPLES, at=AT).text().splitlines()
    assert [f"  old: refuses: {REFUSAL}; new: decides"] == back[3:]


def test_a_ticket_both_policies_refuse_does_not_differ_but_is_reported() -> None:
    result = diff(STRICT, STRICT, EXAMPLES, at=AT)
    assert ((), ["INC0010004"]) == (
        result.differing,
        [t.ticket_id for t in result.refused_by_both],
    )
    assert [
        "6 tickets, 0 differ, 1 refused by both policies",
        "refused by both policies:",
        f"  ticket INC0010004: {REFUSAL}",
    ] == result.text().splitlines()[1:]


def test_the_json_counts_refusals_and_names_each_side() -> None:
    data = diff(OLD, STRICT, EXAMPLES, at=AT).to_dict()
    row = next(r for r in data["results"] if r["ticket"] == "INC0010004")
    assert (1, 0, {"old": None, "new": REFUSAL}) == (
        data["differ"],
        data["refused_by_both"],
        row["refused"],
    )
    assert [{"what": "refusal", "name": None, "field": None, "before": None, "after": REFUSAL}] == (
        row["changes"]
    )


def test_a_ticket_without_a_readable_id_refused_by_both_has_no_id() -> None:
    result = diff(OLD, OLD, [{"opened_at": "2024-11-20T09:00:00Z"}, 42], at=AT)  # type: ignore[list-item]
    assert ([None, None], ()) == ([t.ticket_id for t in result.tickets], result.differing)


def test_compare_takes_a_refusal_from_either_side() -> None:
    ticket = next(t for t in EXAMPLES if t["id"] == "INC0010004")
    decision = OLD.evaluate(ticket, now=AT)
    with pytest.raises(TicketError) as refused:
        STRICT.evaluate(ticket, now=AT)
    assert ("INC0010004", True, False) == (
        compare(refused.value, decision).ticket_id,
        compare(decision, refused.value).differs,
        compare(refused.value, refused.value, ticket_id="INC0010004").differs,
    )
