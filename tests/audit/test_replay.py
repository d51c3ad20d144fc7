"""Replay audit: recorded decisions decided again, and deviations found where they were seeded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import escalate.audit.replay
from escalate import load
from escalate.audit import AuditTrail, Deviation, policy_body, replay_audit, verify_chain
from escalate.audit.replay import _compile
from tests.audit.test_chain import VALID
from tests.audit.trails import (
    PACK,
    PACK_PATH,
    POLICY,
    POLICY_TEXT,
    at,
    diligent,
    event,
    text,
    ticket,
)
from tests.audit.trails import TICKETS as ROOT_TICKETS

START, END = at("2024-03-04T08:00:00Z"), at("2024-03-04T13:00:00Z")
L3 = "INC1:path:desk:1:0:L3"


def summary(found: tuple[Deviation, ...]) -> list[tuple[Any, ...]]:
    return [(d.kind, d.ticket, d.action, d.event, d.at) for d in found]


def rechained(records: list[dict[str, Any]]) -> str:
    """The records (possibly edited) chained again, as a forger who rehashes everything would."""
    trail = AuditTrail()
    for record in records:
        trail.add(record["kind"], at(record["at"]), record["body"])
    return text(trail)


def lines_of(content: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in content.splitlines()]


def test_a_diligent_middleware_leaves_a_trail_with_no_deviation() -> None:
    trail, _ = diligent(POLICY, ticket(), START, END)
    report = replay_audit(text(trail))
    assert (True, 4, 1, ()) == (report.ok, report.decisions, report.tickets, report.deviations)


def test_the_shipped_pack_deciding_the_examples_replays_clean() -> None:
    report = replay_audit(VALID)
    assert (True, 4, ()) == (report.ok, report.decisions, report.deviations)


def test_an_escalation_due_never_done_on_a_ticket_resolved_later_is_a_missed_action() -> None:
    trail, data = diligent(POLICY, ticket(), START, END, skip=frozenset({L3}))
    first_due = next(
        r.seq for r in trail.records if r.kind == "decision" and L3 in str(r.body["actions"])
    )
    data["events"].append(event("2024-03-04T13:30:00Z", "resolved", status="resolved"))
    trail.add_decision(POLICY.evaluate(data, now=at("2024-03-04T14:00:00Z")), POLICY)
    report = replay_audit(text(trail))
    assert [("missed-action", "INC1", L3, None, at("2024-03-04T10:00:00Z"))] == summary(
        report.deviations
    )
    assert (first_due, trail.seq) == report.deviations[0].evidence


def test_an_action_due_in_the_latest_decision_of_an_open_ticket_is_pending_not_missed() -> None:
    trail = AuditTrail()
    trail.add_policy(POLICY, START)
    trail.add_decision(POLICY.evaluate(ticket(), now=at("2024-03-04T11:00:00Z")), POLICY)
    report = replay_audit(text(trail))
    assert ((), (("INC1", L3),)) == (report.deviations, report.pending)


def test_an_action_done_that_was_never_due_is_an_undue_action() -> None:
    trail, data = diligent(POLICY, ticket(), START, END)
    data["events"].append(event("2024-03-04T13:10:00Z", "action-done", action_id="INC1:made-up"))
    trail.add_decision(POLICY.evaluate(data, now=at("2024-03-04T13:20:00Z")), POLICY)
    index = len(data["events"]) - 1
    report = replay_audit(text(trail))
    assert [("undue-action", "INC1", "INC1:made-up", index, at("2024-03-04T13:10:00Z"))] == (
        summary(report.deviations)
    )


def test_an_action_done_before_any_recorded_decision_gave_it_is_due_by_re_evaluation() -> None:
    # The middleware decided at 10:00 without recording, did L3, and recorded at 11:00 only.
    data = ticket(event("2024-03-04T10:01:00Z", "action-done", action_id=L3))
    trail = AuditTrail()
    trail.add_policy(POLICY, START)
    trail.add_decision(POLICY.evaluate(data, now=at("2024-03-04T11:00:00Z")), POLICY)
    assert () == replay_audit(text(trail)).deviations


def overridden(actor: str) -> dict[str, Any]:
    move = event("2024-03-04T08:30:00Z", "override", actor=actor, reason="x", path="desk")
    return ticket({**move, "level": "L2"})


def test_an_override_by_someone_without_override_authority_is_unauthorised() -> None:
    trail = AuditTrail()
    trail.add_policy(POLICY, START)
    records = trail.add_decision(POLICY.evaluate(overridden("bob"), now=START.replace(hour=9)))
    report = replay_audit(text(trail))
    assert [("unauthorised-override", "INC1", None, 0, at("2024-03-04T08:30:00Z"))] == summary(
        report.deviations
    )
    assert (records[0].seq, records[1].seq) == report.deviations[0].evidence
    assert "bob holds no 'override-escalation' authority" in report.deviations[0].text


def test_an_override_by_someone_with_the_authority_is_no_deviation() -> None:
    trail = AuditTrail()
    trail.add_policy(POLICY, START)
    trail.add_decision(POLICY.evaluate(overridden("alice"), now=START.replace(hour=9)), POLICY)
    assert () == replay_audit(text(trail)).deviations


def test_an_override_record_carries_the_authority_check_when_the_policy_is_given() -> None:
    trail = AuditTrail()
    decision = POLICY.evaluate(overridden("bob"), now=START.replace(hour=9))
    override = trail.add_decision(decision, POLICY)[1]
    assert ("override", False, "bob", "L2") == (
        override.kind,
        override.body["authority"]["allowed"],
        override.body["actor"],
        override.body["level"],
    )


def test_a_recorded_decision_edited_and_rechained_is_a_decision_mismatch() -> None:
    trail, _ = diligent(POLICY, ticket(), START, END)
    records = lines_of(text(trail))
    second = next(r for r in records if r["kind"] == "decision" and r["body"]["actions"])
    dropped = second["body"]["actions"][0]["id"]
    second["body"]["actions"] = second["body"]["actions"][1:]
    forged = rechained(records)
    report = replay_audit(forged)
    assert (True, ["decision-mismatch"]) == (
        verify_chain(forged).ok,
        [d.kind for d in report.deviations],
    )
    assert (dropped, (1, second["seq"])) == (
        report.deviations[0].action,
        report.deviations[0].evidence,
    )


def test_a_decision_whose_policy_was_never_recorded_cannot_be_replayed() -> None:
    trail = AuditTrail()
    trail.add_decision(POLICY.evaluate(ticket(), now=START), POLICY)
    assert ["policy-not-recorded"] == [d.kind for d in replay_audit(text(trail)).deviations]


def test_a_policy_record_whose_text_was_changed_is_a_policy_mismatch() -> None:
    trail, _ = diligent(POLICY, ticket(), START, END)
    records = lines_of(text(trail))
    records[0]["body"]["document"]["text"] = POLICY_TEXT.replace("4h", "5h")
    report = replay_audit(rechained(records))
    assert [("policy-mismatch", None)] == [(d.kind, d.ticket) for d in report.deviations]


def test_a_policy_loaded_from_a_file_compiles_again_from_its_record() -> None:
    assert PACK.content_hash == _compile(policy_body(PACK)["document"]).content_hash


def test_a_policy_loaded_from_a_folder_compiles_again_from_its_record(tmp_path: Path) -> None:
    folder = tmp_path / "policy"
    folder.mkdir()
    head, _, rest = POLICY_TEXT.partition("paths:")
    (folder / "a.yaml").write_text(head, encoding="utf-8")
    (folder / "b.yaml").write_text("paths:" + rest, encoding="utf-8")
    policy = load(folder)
    document = json.loads(json.dumps(policy_body(policy)["document"]))
    for path in folder.iterdir():
        path.unlink()  # nothing is read from disk again
    assert (policy.content_hash, "load") == (_compile(document).content_hash, document["loader"])


def test_each_recorded_policy_is_compiled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def counting(document: dict[str, Any]) -> Any:
        calls.append(document["loader"])
        return _compile(document)

    monkeypatch.setattr(escalate.audit.replay, "_compile", counting)
    trail, _ = diligent(POLICY, ticket(), START, END)
    diligent(PACK, ticket(ticket_id="INC2"), START, END, trail=trail)
    diligent(POLICY, ticket(ticket_id="INC3"), START, END, trail=trail)
    report = replay_audit(text(trail))
    decisions = sum(1 for r in trail.records if r.kind == "decision")
    assert (["load", "loads"], decisions) == (sorted(calls), report.decisions)


def test_a_broken_chain_is_replayed_up_to_its_first_broken_record() -> None:
    trail, _ = diligent(POLICY, ticket(), START, END)
    lines = text(trail).splitlines()
    report = replay_audit("\n".join([*lines[:3], "garbage", *lines[3:]]))
    assert (False, 3, 2, 4) == (
        report.ok,
        report.chain.checked,
        report.decisions,
        report.chain.broken.line if report.chain.broken else None,
    )


def test_deviations_come_in_ticket_instant_kind_order() -> None:
    trail = AuditTrail()
    trail.add_policy(POLICY, START)
    for ticket_id, actor in (("INC9", "bob"), ("INC2", "carol")):
        data = {**overridden(actor), "id": ticket_id}
        data["events"].append(event("2024-03-04T08:40:00Z", "action-done", action_id="bogus"))
        trail.add_decision(POLICY.evaluate(data, now=START.replace(hour=9)), POLICY)
    found = [(d.ticket, d.kind) for d in replay_audit(text(trail)).deviations]
    assert [
        ("INC2", "unauthorised-override"),
        ("INC2", "undue-action"),
        ("INC9", "unauthorised-override"),
        ("INC9", "undue-action"),
    ] == found


def test_the_pack_path_is_recorded_as_loaded() -> None:
    body = policy_body(PACK)
    assert (PACK.content_hash, "itil-default", str(PACK_PATH)) == (
        body["policy_hash"],
        body["policy_id"],
        body["document"]["path"],
    )


def test_a_body_of_the_wrong_shape_in_an_intact_chain_is_an_unreadable_record() -> None:
    trail, _ = diligent(POLICY, ticket(), START, END)
    records = lines_of(text(trail))
    records[1]["body"]["actions"] = "oops"
    records[2]["body"]["ticket"] = {"id": 42}
    report = replay_audit(rechained(records))
    assert [("unreadable-record", 2), ("decision-mismatch", 3)] == [
        (d.kind, d.evidence[0]) for d in report.deviations
    ]


ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
CLEAN, _ = diligent(POLICY, overridden("bob"), START.replace(hour=9), END)
CLEAN_RECORDS = lines_of(text(CLEAN))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_replay_never_raises_on_an_intact_chain_whatever_its_bodies_hold(
    data: st.DataObject,
) -> None:
    records = json.loads(json.dumps(CLEAN_RECORDS))
    seq = data.draw(st.integers(1, len(records) - 1), label="record")
    body = records[seq]["body"]
    key = data.draw(st.sampled_from(sorted(body)), label="key")
    body[key] = data.draw(ANY_JSON, label="value")
    report = replay_audit(rechained(records))
    assert report.chain.ok


def test_a_decision_by_a_segment_replays_under_the_recorded_whole_policy() -> None:
    data = {**json.loads((ROOT_TICKETS / "INC0010002.json").read_text()), "region": "uk"}
    now = at("2024-11-20T15:00:00Z")
    decision = PACK.evaluate(data, now=now)
    trail = AuditTrail()
    trail.add_policy(PACK, now)
    trail.add_decision(decision, PACK)
    report = replay_audit(text(trail))
    assert ("uk", 1, ()) == (decision.segment, report.decisions, report.deviations)


def test_replay_reads_a_trail_file_given_its_path_and_parsed_records_alike(tmp_path: Path) -> None:
    trail, _ = diligent(POLICY, ticket(), START, END, skip=frozenset({L3}))
    path = tmp_path / "audit.jsonl"
    path.write_text(text(trail), encoding="utf-8")
    from_text = replay_audit(text(trail)).to_dict()
    assert [from_text, from_text] == [
        replay_audit(path).to_dict(),
        replay_audit(lines_of(text(trail))).to_dict(),
    ]
