"""An unauthorised override to the level the path is already at moves nothing, so it takes
no authority from that level's own people (only an entry the override caused is tainted)."""

from __future__ import annotations

from tests.governance.policies import at, override, policy, ticket

FLAG = policy("\ngovernance:\n  overrides: {unauthorised: flag}\n")


def test_a_flagged_override_to_the_current_level_leaves_its_people_their_authority() -> None:
    # desk is at L2 (dave, who may override) from 10:30; erin (no authority) "overrides" to
    # L2 at 10:40: nothing moves, so dave still holds L2's authority at 10:50.
    same = ticket(
        override("2024-06-03T10:40:00Z", "erin", "L2"),
        override("2024-06-03T10:50:00Z", "dave", "L3"),
    )
    decision = FLAG.evaluate(same, now=at(3, 11))
    assert decision.governance is not None
    checks = [(c.actor, c.authorised) for c in decision.governance.overrides]
    assert [("erin", False), ("dave", True)] == checks
    answer = FLAG.authorize("dave", "override-escalation", same, at=at(3, 10, 50))
    assert answer.allowed


def test_a_flagged_override_that_moved_the_path_still_grants_nothing() -> None:
    # erin moves desk from L1 to L2 at 10:10: L2 was entered through her act, so dave,
    # paged only because of it, holds no authority from it at 10:20.
    moved = ticket(
        override("2024-06-03T10:10:00Z", "erin", "L2"),
        override("2024-06-03T10:20:00Z", "dave", "L3"),
    )
    decision = FLAG.evaluate(moved, now=at(3, 10, 30))
    assert decision.governance is not None
    checks = [(c.actor, c.authorised) for c in decision.governance.overrides]
    assert [("erin", False), ("dave", False)] == checks
