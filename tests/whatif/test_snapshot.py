"""Golden snapshots: the shipped pack's decisions on the bundled examples, reviewed as diffs.

The files under ``tests/snapshots/itil-default/`` are the decisions of
``rules/itil-default.yaml`` for ``examples/tickets`` at 2024-11-20T15:00:00Z with
``examples/availability.json``. A change of the pack or the engine that changes a decision
fails here with a unified diff of the snapshot; when the new decision is right, rewrite the
files (the command is in the failure message and in docs/what-if.md) and commit the diff.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from escalate import Availability, Decision, Ticket, load, loads
from escalate.whatif import snapshot, snapshot_diff, snapshot_json, snapshot_name

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = ROOT / "tests" / "snapshots" / "itil-default"
TICKETS = ROOT / "examples" / "tickets"
AT = datetime.fromisoformat("2024-11-20T15:00:00+00:00")
POLICY = load(ROOT / "rules" / "itil-default.yaml")
AVAILABILITY = Availability.from_mapping(
    json.loads((ROOT / "examples" / "availability.json").read_text(encoding="utf-8"))
)
UPDATE = (
    "escalate snapshot --policy rules/itil-default.yaml --tickets examples/tickets "
    "--at 2024-11-20T15:00:00Z --availability examples/availability.json "
    "--out tests/snapshots/itil-default"
)
EXAMPLES = sorted(TICKETS.glob("*.json"))


def decision_of(path: Path) -> Decision:
    ticket = Ticket.from_mapping(json.loads(path.read_text(encoding="utf-8")))
    return POLICY.evaluate(ticket, now=AT, availability=AVAILABILITY)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_the_decision_for_an_example_ticket_matches_its_committed_snapshot(path: Path) -> None:
    ticket = Ticket.from_mapping(json.loads(path.read_text(encoding="utf-8")))
    decision = POLICY.evaluate(ticket, now=AT, availability=AVAILABILITY)
    file = SNAPSHOTS / snapshot_name(ticket.id)
    expected = file.read_text(encoding="utf-8") if file.exists() else ""
    actual = snapshot_json(decision)
    diff = snapshot_diff(expected, actual, name=str(file.relative_to(ROOT)))
    assert expected == actual, (
        f"the decision for {ticket.id} changed:\n{diff}\n"
        f"if the new decision is right, update the snapshots with:\n  {UPDATE}"
    )


def test_every_committed_snapshot_has_an_example_ticket() -> None:
    names = {snapshot_name(json.loads(p.read_text(encoding="utf-8"))["id"]) for p in EXAMPLES}
    stale = sorted(p.name for p in SNAPSHOTS.glob("*.json") if p.name not in names)
    assert [] == stale, f"snapshots without a ticket: {stale}; update them with:\n  {UPDATE}"


def test_a_snapshot_leaves_out_what_changes_with_every_edit_of_the_policy() -> None:
    data = snapshot(POLICY.evaluate(json.loads(EXAMPLES[0].read_text()), now=AT))
    assert (False, {"id": "itil-default"}, False) == (
        "input_digest" in data,
        data["policy"],
        any("conditions" in str(value) for value in data.values()),
    )


def test_a_snapshot_names_the_rules_that_matched_and_why_not_the_others() -> None:
    data = snapshot(decision_of(TICKETS / "INC0010003.json"))
    assert {"ping-pong": "matched", "post-mortem-at-level-2": "matched"} == data["rules"]


def test_the_same_decision_gives_the_same_bytes() -> None:
    first = snapshot_json(decision_of(EXAMPLES[0]))
    again = snapshot_json(decision_of(EXAMPLES[0]))
    assert (first, True, True) == (again, first.endswith("}\n"), first.isascii())


def test_a_policy_edit_that_changes_no_decision_changes_no_snapshot() -> None:
    text = (ROOT / "rules" / "itil-default.yaml").read_text(encoding="utf-8")
    edited = loads(text.replace("version: 1", "version: 2", 1), filename="itil-default.yaml")
    decision = edited.evaluate(
        json.loads(EXAMPLES[0].read_text()), now=AT, availability=AVAILABILITY
    )
    assert (True, snapshot_json(decision_of(EXAMPLES[0]))) == (
        edited.content_hash != POLICY.content_hash,
        snapshot_json(decision),
    )


@pytest.mark.parametrize(
    ("ticket_id", "name"),
    [
        ("INC0010001", "INC0010001.json"),
        ("CHG/42", "CHG%2F42.json"),
        ("..", "%2E..json"),
        ("a b", "a%20b.json"),
        ("Ünï", "%C3%9Cn%C3%AF.json"),
    ],
)
def test_a_snapshot_file_name_cannot_leave_its_folder_or_hide(ticket_id: str, name: str) -> None:
    assert name == snapshot_name(ticket_id)


def test_the_diff_of_two_snapshots_is_a_unified_diff_with_the_file_name() -> None:
    diff = snapshot_diff('{\n  "a": 1\n}\n', '{\n  "a": 2\n}\n', name="s/T1.json")
    assert diff.splitlines() == [
        "--- s/T1.json (expected)",
        "+++ s/T1.json (actual)",
        "@@ -1,3 +1,3 @@",
        " {",
        '-  "a": 1',
        '+  "a": 2',
        " }",
    ]


def test_equal_snapshots_have_an_empty_diff() -> None:
    assert "" == snapshot_diff("{}\n", "{}\n", name="x.json")
