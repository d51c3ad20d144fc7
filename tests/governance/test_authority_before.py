"""Authority at an instant is what the actor held just before acting: one function answers
``Policy.authorize``, the engine's override checks and the audit (review of issue 14)."""

from __future__ import annotations

import pytest

from escalate import Policy, loads
from escalate.audit import AuditTrail, replay_audit
from tests.governance.policies import at, override, policy, ticket

FLAG = policy("\ngovernance:\n  overrides: {unauthorised: flag}\n")
REJECT = policy("\ngovernance:\n  overrides: {unauthorised: reject}\n")
DAVE_TO_L2 = ticket(override("2024-06-03T10:05:00Z", "dave", "L2"))


@pytest.mark.parametrize("chosen", [FLAG, REJECT, policy()], ids=["flag", "reject", "none"])
def test_an_override_does_not_authorise_itself(chosen: Policy) -> None:
    # dave is L2; the ticket is at L1 until 10:30. His own move to L2 at 10:05 must not make
    # him "paged by L2" at 10:05.
    answer = chosen.authorize("dave", "override-escalation", DAVE_TO_L2, at=at(3, 10, 5))
    assert (False, ()) == (answer.allowed, answer.grounds)


def test_engine_and_audit_agree_on_a_flagged_unauthorised_override() -> None:
    decision = FLAG.evaluate(DAVE_TO_L2, now=at(3, 10, 6))
    assert decision.governance is not None
    [check] = decision.governance.overrides
    asked = FLAG.authorize("dave", "override-escalation", DAVE_TO_L2, at=at(3, 10, 5))
    assert (False, True) == (check.authorised, check.honoured)
    assert (check.authorised, check.grounds, check.reason) == (
        asked.allowed,
        asked.grounds,
        asked.reason,
    )
    trail = AuditTrail()
    trail.add_policy(FLAG, at(3, 10, 6))
    records = trail.add_decision(decision, FLAG)
    [body] = [r.body for r in records if r.kind == "override"]
    assert body["authority"]["allowed"] is False
    report = replay_audit("".join(line + "\n" for line in trail.lines()).encode())
    assert ["unauthorised-override"] == [d.kind for d in report.deviations]


def test_an_unauthorised_override_grants_no_level_authority_for_the_next_one() -> None:
    # Under flag dave's unauthorised move to L2 is applied; L2 entered that way must not
    # authorise his next override a minute later.
    moved = ticket(
        override("2024-06-03T10:05:00Z", "dave", "L2"),
        override("2024-06-03T10:06:00Z", "dave", "L3"),
    )
    decision = FLAG.evaluate(moved, now=at(3, 10, 7))
    assert decision.governance is not None
    assert [(False, ()), (False, ())] == [
        (c.authorised, c.grounds) for c in decision.governance.overrides
    ]
    assert not FLAG.authorize("dave", "override-escalation", moved, at=at(3, 10, 6))
    # ... while L2 reached on its timer at 10:30 grants it as before.
    timely = ticket(override("2024-06-03T10:40:00Z", "dave", "L3"))
    assert FLAG.evaluate(timely, now=at(3, 10, 41)).governance.overrides[0].authorised  # type: ignore[union-attr]


def test_events_at_the_override_instant_are_not_part_of_its_check() -> None:
    # alice (authorised) moves the desk to L2 at 10:05 and dave to L3 at the same instant;
    # the ticket is resolved at that instant too. dave's check reads the ticket as it stood
    # before 10:05 (L1, open): he holds nothing then, whatever else happened at 10:05.
    w = "2024-06-03T10:05:00Z"
    for tail in (
        {"at": w, "type": "status-changed", "status": "in-progress"},
        {"at": w, "type": "resolved"},
    ):
        moved = ticket(override(w, "alice", "L2"), override(w, "dave", "L3"), tail)
        decision = REJECT.evaluate(moved, now=at(3, 10, 6))
        assert decision.governance is not None
        assert [("alice", True), ("dave", False)] == [
            (c.actor, c.authorised) for c in decision.governance.overrides
        ]
        asked = REJECT.authorize("dave", "override-escalation", moved, at=at(3, 10, 5))
        assert asked.reason == decision.governance.overrides[1].reason


def _with_l2(extra: str) -> Policy:
    from tests.governance.policies import BASE

    old = "        targets: [person:dave]\n        after: 1h\n"
    assert old in BASE
    return loads(BASE.replace(old, old + extra) + "governance: {}\n", filename="gov.yaml")


DAVE_AWAY = {"out_of_office": [{"person": "dave", "from": "2024-06-03T00:00:00Z"}]}


@pytest.mark.parametrize(
    ("extra", "paged", "how"),
    [
        ("        on_empty: fallback\n        fallback: [person:erin]\n", "erin", "fallback"),
        ("        on_empty: skip\n", "carol", "skip"),
    ],
)
def test_whoever_on_empty_pages_for_a_level_holds_its_authority(
    extra: str, paged: str, how: str
) -> None:
    chosen = _with_l2(extra)
    decision = chosen.evaluate(ticket(), now=at(3, 10, 45), availability=DAVE_AWAY)
    assert [(paged,)] == [a.people for a in decision.actions if a.kind == "escalate"]
    answer = chosen.authorize(
        paged, "override-escalation", ticket(), at=at(3, 10, 45), availability=DAVE_AWAY
    )
    assert (
        f"path:desk level L2 (entered 2024-06-03T10:30:00+00:00; paged for it by on_empty: {how})",
    ) == answer.grounds


def test_the_unacknowledged_fallback_holds_the_level_authority_until_someone_acknowledges() -> None:
    chosen = _with_l2("        ack_within: 10m\n        fallback: [person:frank]\n")
    plain = ticket()
    acked = ticket({"at": "2024-06-03T10:50:00Z", "type": "acknowledged", "actor": "dave"})
    answers = [
        chosen.authorize("frank", "override-escalation", t, at=when).allowed
        for t, when in ((plain, at(3, 10, 39)), (plain, at(3, 10, 40)), (acked, at(3, 10, 55)))
    ]
    # paged from 10:40 (10:30 + 10m); no longer once dave acknowledged at 10:50
    assert [False, True, False] == answers
    assert (
        "not of a level that paged them"
        in chosen.authorize("frank", "override-escalation", plain, at=at(3, 10, 39)).reason
    )


def test_the_audit_records_for_each_override_what_authorize_answers() -> None:
    # Overrides by alice (own authority), dave (L2 once the timer put him there), erin
    # (nothing), some at the same instant: the trail's authority of each is authorize's.
    moved = ticket(
        override("2024-06-03T10:05:00Z", "erin", "L3"),
        override("2024-06-03T10:10:00Z", "alice", "L1"),
        override("2024-06-03T10:40:00Z", "dave", "L3"),
        override("2024-06-03T10:40:00Z", "erin", "L2"),
        override("2024-06-03T10:50:00Z", "dave", "L1"),
    )
    # dave at 10:50: under flag the path is at L2 through erin's unauthorised override (no
    # authority from it); under reject at L3 (erin's is dropped; L3 does not page dave);
    # without governance overrides are not checked, and L2 grants him its authority.
    expected = [False, True, True, False]
    for chosen, last in ((FLAG, False), (REJECT, False), (policy(), True)):
        full = chosen._ticket(moved)
        trail = AuditTrail()
        trail.add_policy(chosen, at(3, 11))
        records = trail.add_decision(chosen.evaluate(full, now=at(3, 11)), chosen)
        recorded = [r.body["authority"] for r in records if r.kind == "override"]
        asked = [
            chosen.authorize(e.actor or "", "override-escalation", full, at=e.at)
            for e in full.events
        ]
        assert [(a.allowed, list(a.grounds), a.reason) for a in asked] == [
            (r["allowed"], r["grounds"], r["reason"]) for r in recorded
        ]
        assert [*expected, last] == [a.allowed for a in asked]


def test_overrides_cost_no_replay_when_no_level_grants_override_escalation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without a level carrying override-escalation the paths' states cannot change an
    # answer: checking an override must not evaluate the history before it again (that made
    # evaluate grow with history x overrides).
    from escalate.engine import evaluate
    from tests.governance.policies import BASE

    text = BASE.replace(
        "authority: [approve-emergency-change, override-escalation]",
        "authority: [approve-emergency-change]",
    )
    chosen = loads(text + "governance:\n  overrides: {unauthorised: reject}\n")
    calls: list[object] = []
    real = evaluate._evaluate

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(args[1])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(evaluate, "_evaluate", counting)
    moved = ticket(
        *(
            override(f"2024-06-03T10:{m:02d}:00Z", "erin" if m % 2 else "alice", "L3")
            for m in range(1, 40)
        )
    )
    decision = chosen.evaluate(moved, now=at(3, 11))
    assert 1 == len(calls)
    assert decision.governance is not None
    assert [m % 2 == 0 for m in range(1, 40)] == [
        c.authorised for c in decision.governance.overrides
    ]
    assert not chosen.authorize("erin", "override-escalation", moved, at=at(3, 10, 30))
    assert chosen.authorize("alice", "spend", moved, at=at(3, 10, 30), amount="10")
    assert 1 == len(calls)
