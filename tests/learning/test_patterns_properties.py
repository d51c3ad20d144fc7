"""Properties of the ping-pong patterns over generated reassignment histories."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from escalate import Ticket
from escalate.learning import (
    chains_of,
    group_sequence,
    loops_of,
    ping_pong,
    ping_pong_chains,
    ping_pong_loops,
)

GROUPS = st.lists(st.sampled_from(["app", "db", "net"]), max_size=8)


def ticket(index: int, groups: list[str]) -> Ticket:
    events = [
        {"at": f"2024-06-03T10:{i:02d}:00Z", "type": "assigned", "group": g}
        for i, g in enumerate(groups)
    ]
    return Ticket.from_mapping(
        {"id": f"T{index}", "opened_at": "2024-06-03T10:00:00Z", "events": events}
    )


@given(st.lists(GROUPS, max_size=6), st.randoms(use_true_random=False))
def test_returns_are_counted_once_and_order_does_not_matter(
    histories: list[list[str]], rng: random.Random
) -> None:
    tickets = [ticket(i, h) for i, h in enumerate(histories)]
    found = ping_pong(tickets)
    # every assignment to the group held two assignments before is one return, in one pair
    expected = 0
    for t in tickets:
        seq = group_sequence(t)
        expected += sum(1 for i in range(2, len(seq)) if seq[i] == seq[i - 2])
    assert sum(p.returns for p in found) == expected
    shuffled = list(tickets)
    rng.shuffle(shuffled)
    assert ping_pong(shuffled) == found
    assert ping_pong_chains(shuffled, top=100) == ping_pong_chains(tickets, top=100)
    for t in tickets:
        for chain in chains_of(group_sequence(t)):
            assert len(chain) >= 3 and len(set(chain)) == 2
            assert all(chain[i] == chain[i - 2] for i in range(2, len(chain)))


@given(st.lists(GROUPS, max_size=6))
def test_every_return_to_a_group_is_one_loop_from_its_previous_turn(
    histories: list[list[str]],
) -> None:
    tickets = [ticket(i, h) for i, h in enumerate(histories)]
    for t in tickets:
        seq = group_sequence(t)
        found = loops_of(seq)
        # a loop per group held again later (repeats in a row are collapsed)
        assert len(found) == len(seq) - len(set(seq))
        for loop in found:
            assert loop[0] == loop[-1] and len(loop) >= 3
            assert loop[0] not in loop[1:-1]  # from the group's previous turn
    strict = sum(1 for t in tickets for lp in loops_of(group_sequence(t)) if len(lp) == 3)
    assert strict == sum(p.returns for p in ping_pong(tickets))
    assert {lp.loop for lp in ping_pong_loops(tickets, top=1000)} == {
        lp for t in tickets for lp in loops_of(group_sequence(t))
    }
