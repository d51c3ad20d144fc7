"""Who stops a vendor's response clock: an acknowledgement on the vendor's path whose
``party`` is ``vendor`` or the vendor's id, exactly (docs/vendors.md, "Clocks";
docs/ticket-format.md, ``acknowledged``). Any other party, or none, is ours: the clock keeps
running and the late-response clause keeps accruing.

acme's P1 response target is 30m on New York hours; engaged Wed 2024-11-20 09:00 New York
(14:00 UTC); acknowledged at 14:20 UTC, evaluated at 15:00 UTC."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.vendors.helpers import contract, engaged_ticket, ev

NOW = datetime.fromisoformat("2024-11-20T15:00:00+00:00")
ACK_AT = "2024-11-20T14:20:00+00:00"


@pytest.mark.parametrize(
    ("party", "stopped", "elapsed", "breached", "late_response"),
    [
        # answered at 14:20: 20m of 30m, no penalty
        ("vendor", True, "20m", False, "0.00"),
        ("acme", True, "20m", False, "0.00"),
        # not them: running at 15:00, 1h of 30m, 30m late = 2 started 15m units of 100.00
        ("acme-storage", False, "1h", True, "200.00"),
        ("ACME", False, "1h", True, "200.00"),
        ("us", False, "1h", True, "200.00"),
        (None, False, "1h", True, "200.00"),
    ],
)
def test_party_vendor_or_the_vendor_id_stops_the_response_clock(
    party: str | None, stopped: bool, elapsed: str, breached: bool, late_response: str
) -> None:
    ack = ev(ACK_AT, "acknowledged", path="acme")
    if party is not None:
        ack["party"] = party
    (state,) = contract().evaluate(engaged_ticket(ack), now=NOW).vendors or ()
    clock = state.response.to_dict()  # type: ignore[union-attr]
    assert (clock["state"] == "stopped", clock["elapsed"], clock["breached"]) == (
        stopped,
        elapsed,
        breached,
    )
    assert clock["stopped_at"] == (ACK_AT if stopped else None)
    assert str(state.penalties[0].amount) == late_response
