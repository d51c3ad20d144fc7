"""What docs/vendors.md promises a reader with only the docs (a bank's admin trying vendors):
the shareable fields listed in full, the contract keys as the code reads them, and the
penalty step that can fall on the evaluated instant."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from escalate import PolicyError
from escalate.policy.loader import loads
from escalate.policy.vendors import SHAREABLE_FIELDS
from tests.vendors.helpers import CONTRACT, contract, engaged_ticket, vendor_ack

DOCS = Path(__file__).resolve().parents[2] / "docs"
MARK = "<!-- shareable-fields:"


def test_the_docs_list_exactly_the_shareable_fields() -> None:
    text = (DOCS / "vendors.md").read_text(encoding="utf-8")
    table = text[text.index(MARK) :].split("\n\n", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    listed = [name for row in rows for name in re.findall(r"`([^`]+)`", row.split(" | ")[0])]
    assert listed == [*SHAREABLE_FIELDS, "fields.<name>"]


def key_row(page: str, key: str) -> str:
    text = (DOCS / page).read_text(encoding="utf-8")
    start = text.index("## Vendors") if page == "policy-reference.md" else 0
    return next(line for line in text[start:].splitlines() if line.startswith(f"| `{key}` |"))


def test_a_vendor_name_is_required_as_both_docs_say() -> None:
    with pytest.raises(PolicyError) as caught:
        loads(
            "policy: p\nversion: 1\n" + CONTRACT.replace("    name: ACME Storage Inc.\n", ""),
            filename="p.yaml",
        )
    assert str(caught.value) == "p.yaml:28:3: vendors.acme.name: missing required key 'name'"
    assert "**Required.**" in key_row("vendors.md", "name")
    assert "**required**" in key_row("policy-reference.md", "name")


def test_the_next_penalty_step_can_be_the_evaluated_instant() -> None:
    # Resolution P1 4h + 30m grace from 14:00 UTC (09:00 New York): unit 3 of 1h begins at
    # 2h late, 6h30m elapsed, 20:30 UTC. At that instant two units count and the next step
    # is "now"; a microsecond later three count and the next is an hour on.
    ticket = engaged_ticket(vendor_ack("2024-11-20T14:10:00+00:00"))
    policy = contract()
    on = datetime.fromisoformat("2024-11-20T20:30:00+00:00")
    after = datetime.fromisoformat("2024-11-20T20:30:00.000001+00:00")
    (at_step,) = policy.evaluate(ticket, now=on).vendors or ()
    (past_step,) = policy.evaluate(ticket, now=after).vendors or ()
    assert (at_step.penalties[1].units, at_step.next_penalty_at) == (2, on)
    assert (past_step.penalties[1].units, past_step.to_dict()["next_penalty_at"]) == (
        3,
        "2024-11-20T21:30:00+00:00",
    )


@pytest.mark.parametrize(
    "field", ["vendor.acme.resolution.breached", "vendors.acme.penalty_total", "vendor"]
)
def test_a_rule_on_vendor_state_is_refused_saying_it_is_not_a_condition_field(
    field: str,
) -> None:
    text = "policy: p\nversion: 1\n" + CONTRACT.replace(
        "    when: {category: storage}\n", f"    when: {{{field}: true}}\n", 1
    )
    with pytest.raises(PolicyError) as caught:
        loads(text, filename="p.yaml")
    assert str(caught.value) == (
        f"p.yaml:25:12: rules[0].when.{field}: unknown field {field!r} in condition: vendor "
        "state (vendor clocks, penalties, contact levels) is not a condition field; a rule "
        "can read the vendor's path (path.<name>.level, path.<name>.active), the ticket's "
        "clocks (clock.<name>.*) and milestones such as '<vendor>-resolved'; see "
        "docs/vendors.md, 'Rules and vendor state'"
    )


def test_the_docs_say_what_a_rule_can_read_instead_of_vendor_state() -> None:
    text = (DOCS / "vendors.md").read_text(encoding="utf-8")
    assert "\n## Rules and vendor state\n" in text
