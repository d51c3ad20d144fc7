"""Replay audit: recorded decisions decided again, and deviations found where they were seeded."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import escalate.audit.replay
from escalate import ArgumentError, Policy, load, loads
from escalate.audit import (
    AuditTrail,
    Deviation,
    TrailNotFoundError,
    policy_body,
    replay_audit,
    verify_chain,
)
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
    stamp,
    text,
    ticket,
)
from tests.audit.trails import TICKETS as ROOT_TICKETS

START, END = at("2024-03-04T08:00:00Z"), at("2024-03-04T13:00:00Z")
L3 = "INC1:path:desk:1:0:L3"


def summary(found: tuple[Deviation, ...]) -> list[tuple[Any, ...]]:
    return [(d.kind, d.ticket, d.action, d.event, d.at) for d in found]


def rechained(records: list[dict[str, Any]]) -> bytes:
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
    assert ((), (("INC1", L3, at("2024-03-04T10:00:00Z")),)) == (
        report.deviations,
        report.pending,
    )


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
    report = replay_audit([*lines[:3], "garbage", *lines[3:]])
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
    records[2]["body"]["ticket"] = {"id": "INC1", "events": []}
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
    path.write_bytes(text(trail))
    from_text = replay_audit(text(trail)).to_dict()
    assert [from_text, from_text] == [
        replay_audit(path).to_dict(),
        replay_audit(lines_of(text(trail))).to_dict(),
    ]


# -- the review of issue 14 (each test failed before its fix) ---------------------------------

GRANTING = loads(POLICY_TEXT.replace("bob: {}", "bob: {authority: [override-escalation]}"))
BOB_MOVES = event("2024-03-04T09:30:00Z", "override", actor="bob", reason="x", path="desk")


def decided(
    trail: AuditTrail, policy: Policy, data: dict[str, Any], when: str, *, judged: bool = False
) -> list[Any]:
    """Record ``policy``'s decision on ``data`` at ``when`` (its policy first, once); override
    records carry no authority check unless ``judged``."""
    trail.add_policy(policy, at(when))
    return trail.add_decision(policy.evaluate(data, now=at(when)), policy if judged else None)


def test_an_override_is_judged_under_the_policy_in_force_when_it_happened() -> None:
    # bob's override at 09:30 falls under the 09:00 decision's policy; a later version
    # granting (or refusing) him the authority does not judge it.
    with_move = ticket({**BOB_MOVES, "level": "L2"})
    found = []
    for then, later in ((POLICY, GRANTING), (GRANTING, POLICY)):
        trail = AuditTrail()
        first = decided(trail, then, ticket(), "2024-03-04T09:00:00Z")[0]
        decided(trail, then, with_move, "2024-03-04T10:00:00Z")
        decided(trail, later, with_move, "2024-03-04T11:00:00Z")
        report = replay_audit(text(trail))
        found.append([(d.kind, d.event, d.evidence[0] == first.seq) for d in report.deviations])
    assert [[("unauthorised-override", 0, True)], []] == found


def test_an_override_record_saying_not_allowed_is_reported_even_when_later_dropped() -> None:
    trail = AuditTrail()
    moved = decided(
        trail, POLICY, ticket({**BOB_MOVES, "level": "L2"}), "2024-03-04T10:00:00Z", judged=True
    )
    decided(trail, GRANTING, ticket(), "2024-03-04T11:00:00Z")  # the override gone, bob granted
    report = replay_audit(text(trail))
    assert [("unauthorised-override", None), ("history-rewritten", 0)] == [
        (d.kind, d.event) for d in report.deviations
    ]
    assert (moved[1].seq,) == report.deviations[0].evidence
    assert (moved[0].seq, trail.seq) == report.deviations[1].evidence


def test_a_later_history_that_edits_an_earlier_event_is_history_rewritten() -> None:
    ack = event("2024-03-04T08:10:00Z", "acknowledged", actor="bob", path="desk")
    trail = AuditTrail()
    first = decided(trail, POLICY, ticket(ack), "2024-03-04T09:00:00Z")[0]
    grown = ticket({**ack, "actor": "carol"}, event("2024-03-04T09:30:00Z", "agent-update"))
    second = decided(trail, POLICY, grown, "2024-03-04T10:00:00Z")[0]
    report = replay_audit(text(trail))
    assert [("history-rewritten", 0, (first.seq, second.seq))] == [
        (d.kind, d.event, d.evidence) for d in report.deviations
    ]
    assert '"actor":"bob"' in report.deviations[0].text


def test_events_only_appended_to_the_history_are_no_deviation() -> None:
    trail, _ = diligent(POLICY, ticket(), START, END)
    assert ("history-rewritten", []) == (
        "history-rewritten",
        [d for d in replay_audit(text(trail)).deviations if d.kind == "history-rewritten"],
    )


def test_an_override_synced_late_before_a_recorded_ack_gets_its_own_record() -> None:
    ack = event("2024-03-04T08:40:00Z", "acknowledged", actor="carol", path="desk")
    trail = AuditTrail()
    decided(trail, POLICY, ticket(ack), "2024-03-04T09:00:00Z", judged=True)
    late = {
        **event("2024-03-04T08:20:00Z", "override", actor="bob", reason="x", path="desk"),
        "level": "L2",
    }
    added = decided(trail, POLICY, ticket(late, ack), "2024-03-04T10:00:00Z", judged=True)
    assert ["decision", "override"] == [r.kind for r in added]
    unauthorised = [
        d for d in replay_audit(text(trail)).deviations if d.kind == "unauthorised-override"
    ]
    assert [(0, True)] == [(d.event, added[1].seq in d.evidence) for d in unauthorised]


def resolved_pack_trail(skip: str | None) -> AuditTrail:
    """The shipped pack on INC0010001, a middleware doing every due action 30 s after each
    decision (all but ids containing ``skip``), the ticket resolved after 31 hours."""
    data = json.loads((ROOT_TICKETS / "INC0010001.json").read_text(encoding="utf-8"))
    trail = AuditTrail()
    start = at("2024-11-20T13:10:00Z")
    trail.add_policy(PACK, start)
    for hours in (0, 2, 8, 30):
        now = start + timedelta(hours=hours)
        decision = PACK.evaluate(data, now=now)
        trail.add_decision(decision, PACK)
        done = stamp(now + timedelta(seconds=30))
        for action in decision.actions:
            if skip is None or skip not in action.id:
                data["events"].append(event(done, "action-done", action_id=action.id))
    end = start + timedelta(hours=31)
    data["events"].append(event(stamp(end), "status-changed", status="resolved"))
    data["status"] = "resolved"
    trail.add_decision(PACK.evaluate(data, now=end + timedelta(minutes=1)), PACK)
    return trail


def test_actions_due_in_the_final_decision_of_an_ended_ticket_are_pending_not_missed() -> None:
    clean = replay_audit(text(resolved_pack_trail(None)))
    seeded = replay_audit(text(resolved_pack_trail("path:service-desk")))
    assert ((), 1) == (clean.deviations, len(clean.pending))
    assert [("missed-action", True)] == [
        (d.kind, "path:service-desk" in (d.action or "")) for d in seeded.deviations
    ]


def test_decisions_recorded_out_of_time_order_are_read_in_time_order() -> None:
    trail = AuditTrail()
    trail.add_policy(POLICY, START)
    done = ticket(
        event("2024-03-04T10:01:00Z", "action-done", action_id=L3),
        event("2024-03-04T10:30:00Z", "resolved", status="resolved"),
    )
    trail.add_decision(POLICY.evaluate(done, now=at("2024-03-04T11:00:00Z")), POLICY)
    early = ticket()  # the 10:00 decision, appended after the 11:00 one
    trail.add_decision(POLICY.evaluate(early, now=at("2024-03-04T10:00:00Z")), POLICY)
    assert ((), ()) == (replay_audit(text(trail)).deviations, replay_audit(text(trail)).pending)


def test_a_decision_naming_another_ticket_than_it_holds_is_unreadable() -> None:
    trail, _ = diligent(POLICY, ticket(), START, END)
    records = lines_of(text(trail))
    records[1]["body"]["ticket_id"] = "INC2"
    report = replay_audit(rechained(records))
    assert [("unreadable-record", "INC2", (2,))] == [
        (d.kind, d.ticket, d.evidence) for d in report.deviations
    ]
    assert "names ticket 'INC2' but holds ticket 'INC1'" in report.deviations[0].text


def test_a_decision_that_cannot_be_decided_again_is_one_deviation() -> None:
    trail, _ = diligent(POLICY, ticket(), START, END)
    records = lines_of(text(trail))
    records[-1]["body"]["evaluated_at"] = "9999-12-31T23:59:59+00:00"
    report = replay_audit(rechained(records))
    assert [("decision-mismatch", (records[-1]["seq"],))] == [
        (d.kind, d.evidence) for d in report.deviations
    ]


def test_every_policy_record_is_checked_even_one_no_decision_names() -> None:
    trail, _ = diligent(POLICY, ticket(), START, END)
    trail.add_policy(PACK, END)  # recorded, never used by a decision
    records = lines_of(text(trail))
    records[-1]["body"]["document"]["answers"][0][2] = "file"  # edited: it no longer compiles
    records[-1]["body"]["document"]["answers"] = records[-1]["body"]["document"]["answers"][:1]
    again = {
        **records[0],
        "body": {
            **records[0]["body"],
            "document": {**records[0]["body"]["document"], "text": POLICY_TEXT.replace("4h", "5h")},
        },
    }
    report = replay_audit(rechained([*records, again]))  # the first policy's hash, another text
    assert [
        ("policy-mismatch", (records[-1]["seq"],)),
        ("policy-mismatch", (len(records) + 1,)),
    ] == [(d.kind, d.evidence) for d in report.deviations]


def test_report_text_keeps_each_finding_on_one_line() -> None:
    trail = AuditTrail()
    decided(
        trail, POLICY, ticket({**BOB_MOVES, "level": "L2"}), "2024-03-04T10:00:00Z", judged=True
    )
    records = lines_of(text(trail))
    forged = "bob\n  - missed-action: forged [records 1]"
    records[-1]["body"]["actor"] = records[-1]["body"]["data"]["actor"] = forged
    lines = replay_audit(rechained(records)).text().splitlines()
    assert ["  - unauthorised-override: "] * 2 == [line[:27] for line in lines[2:]]
    assert any("bob\\n  - missed-action" in line for line in lines)


def test_a_missing_trail_file_is_an_error_and_a_str_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TrailNotFoundError, match="no audit trail at"):
        replay_audit(tmp_path / "missing.jsonl")
    with pytest.raises(ArgumentError, match=r"pathlib\.Path"):
        replay_audit("audit.jsonl")  # type: ignore[arg-type]
