"""Override events checked against the actor's authority: flagged, or rejected and not replayed."""

from __future__ import annotations

from typing import Any

import pytest

from escalate import Policy, Ticket
from escalate.engine.governance import OverrideCheck
from tests.governance.policies import at, override, policy, ticket

FLAG = policy("\ngovernance:\n  overrides: {unauthorised: flag}\n")
REJECT = policy("\ngovernance:\n  overrides: {unauthorised: reject}\n")
DEFAULT = policy("\ngovernance: {}\n")
ERIN_TO_L3 = ticket(override("2024-06-03T10:05:00Z", "erin", "L3"))


@pytest.mark.parametrize(
    ("chosen", "level", "reason", "honoured"),
    [
        (FLAG, "L3", "override:erin", True),
        (DEFAULT, "L3", "override:erin", True),  # flag is the default
        (REJECT, "L1", "start", False),
    ],
)
def test_an_unauthorised_override_is_flagged_or_rejected(
    chosen: Policy, level: str, reason: str, honoured: bool
) -> None:
    decision = chosen.evaluate(ERIN_TO_L3, now=at(3, 10, 10))
    state = decision.path("desk")
    assert (level, reason) == (state.level_name, state.reason)
    assert decision.governance is not None
    assert (
        OverrideCheck(
            index=0,
            at=at(3, 10, 5),
            actor="erin",
            path="desk",
            level="L3",
            authorised=False,
            grounds=(),
            reason="erin holds no 'override-escalation' authority at 2024-06-03T10:05:00+00:00 "
            "(not their own, not of the roles they fill (role:service-owner), not of a level "
            "that paged them: its targets, on_empty fallback or skip, or its unacknowledged "
            "fallback).",
            honoured=honoured,
        ),
    ) == decision.governance.overrides


def test_without_a_governance_section_every_override_is_applied_unchecked() -> None:
    decision = policy().evaluate(ERIN_TO_L3, now=at(3, 10, 10))
    assert ("L3", None) == (decision.path("desk").level_name, decision.governance)


def test_a_rejected_override_leaves_the_path_on_its_timers() -> None:
    decision = REJECT.evaluate(ERIN_TO_L3, now=at(3, 10, 40))
    state = decision.path("desk")
    assert ("L2", at(3, 10, 30), at(3, 11, 30)) == (
        state.level_name,
        state.entered_at,
        state.next_move_at,
    )


@pytest.mark.parametrize(
    ("event", "grounds"),
    [
        (override("2024-06-03T10:05:00Z", "alice", "L3"), ("person:alice authority",)),
        # dave is paged by L2, which carries override-escalation, from 10:30
        (
            override("2024-06-03T10:45:00Z", "dave", "L3"),
            ("path:desk level L2 (entered 2024-06-03T10:30:00+00:00)",),
        ),
        # bob fills incident-manager (override-escalation) on Monday
        (
            override("2024-06-03T10:05:00Z", "bob", "L3"),
            ("role:incident-manager (filled via schedule:im at 2024-06-03T10:05:00+00:00)",),
        ),
    ],
)
def test_an_authorised_override_is_honoured_under_reject(
    event: dict[str, Any], grounds: tuple[str, ...]
) -> None:
    decision = REJECT.evaluate(ticket(event), now=at(3, 11))
    gov = decision.governance
    assert gov is not None
    check = gov.overrides[0]
    assert (True, grounds, True) == (check.authorised, check.grounds, check.honoured)
    assert "L3" == decision.path("desk").level_name


def test_the_level_an_override_is_checked_against_is_the_one_just_before_it() -> None:
    # dave overrides at 10:15, while the desk is still at L1: L2's authority is not his yet.
    decision = REJECT.evaluate(
        ticket(override("2024-06-03T10:15:00Z", "dave", "L3")), now=at(3, 10, 20)
    )
    gov = decision.governance
    assert gov is not None
    assert (False, False, "L1") == (
        gov.overrides[0].authorised,
        gov.overrides[0].honoured,
        decision.path("desk").level_name,
    )


def test_a_rejected_override_is_not_replayed_when_a_later_one_is_checked() -> None:
    # erin (no authority) sends the desk to L3 at 10:05; dave overrides at 10:40.
    # Rejected, erin's override leaves the desk at L2 at 10:40: dave is paged there and has
    # its authority. Flagged, it holds the desk at L3: dave is not paged, not authorised.
    events = (
        override("2024-06-03T10:05:00Z", "erin", "L3"),
        override("2024-06-03T10:40:00Z", "dave", "L1"),
    )
    rejected = REJECT.evaluate(ticket(*events), now=at(3, 10, 50)).governance
    flagged = FLAG.evaluate(ticket(*events), now=at(3, 10, 50)).governance
    assert rejected is not None and flagged is not None
    assert [(False, False), (True, True)] == [
        (c.authorised, c.honoured) for c in rejected.overrides
    ]
    assert [(False, True), (False, True)] == [(c.authorised, c.honoured) for c in flagged.overrides]


def test_a_replay_decides_as_an_evaluation_does() -> None:
    events = [
        override("2024-06-03T10:05:00Z", "erin", "L3"),
        override("2024-06-03T10:40:00Z", "dave", "L1"),
    ]
    replay = REJECT.replay(ticket())
    for event in Ticket.from_mapping(ticket(*events)).events:
        replay.update(events=[event], now=event.at)
    decided = replay.decide(now=at(3, 10, 50))
    assert REJECT.evaluate(ticket(*events), now=at(3, 10, 50)).to_json() == decided.to_json()
