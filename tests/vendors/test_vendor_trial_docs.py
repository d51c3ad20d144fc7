"""What docs/vendors.md promises a reader with only the docs (a bank's admin trying vendors)."""

from __future__ import annotations

from datetime import datetime

from tests.vendors.helpers import contract, engaged_ticket, vendor_ack


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
