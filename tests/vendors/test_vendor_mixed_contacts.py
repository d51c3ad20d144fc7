"""Contact ladders whose levels measure different clocks (``until: response`` and ``until:
resolution``) or mix durations and shares: the contact level is the highest-numbered level
reached whose clock still runs, never the one reached latest, and a level whose clock
stopped hands back to a lower one still running (docs/vendors.md, "Vendor-side contacts").

Engaged Wednesday 2024-11-20 14:00 UTC (09:00 in New York, inside ACME's hours).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.vendors.helpers import T0, contract, engaged_ticket, ev, vendor_ack

LADDER = '      - {name: duty-engineer, address: "noc@acme.example", after: 15m}\n      - {name: account-manager, address: "am@acme.example", after: 1h}\n'  # noqa: E501
ENGAGED = ev(T0, "action-done", action_id="INC1:path:acme:1:0:acme-l2")

# 1: resolver-chase 10m of resolution (14:10); 2: response-chase 20m of response (14:20).
RESOLUTION_FIRST = contract(
    ladder=LADDER
    + "=>"
    + "      - {name: resolver-chase, address: r@acme.example, after: 10m, until: resolution}\n"
    + "      - {name: response-chase, address: s@acme.example, after: 20m, until: response}\n"
)
# P3 (response 2h, resolution 2bd): 1: duty-engineer at 75% of response = 1h30m (15:30);
# 2: account-manager 1h of resolution (15:00), reached before level 1.
SHARE_AFTER_DURATION = contract(
    ladder=LADDER
    + "=>"
    + '      - {name: duty-engineer, address: n@acme.example, after: "75%", until: response}\n'
    + "      - {name: account-manager, address: a@acme.example, after: 1h, until: resolution}\n"
)

CASES: list[tuple[Any, str, str, list[dict[str, Any]], int | None, list[str]]] = [
    # policy, priority, now, events, contact level, due vendor_escalation ids
    (RESOLUTION_FIRST, "P1", "2024-11-20T14:15:00+00:00", [], 1, ["INC1:vendor:acme:1:contact:1"]),
    (RESOLUTION_FIRST, "P1", "2024-11-20T14:22:00+00:00", [], 2, ["INC1:vendor:acme:1:contact:2"]),
    # ACME responded at 14:25: level 2 (until response) stops; level 1 still runs and its
    # action, superseded while level 2 was due and never recorded done, is due again.
    (
        RESOLUTION_FIRST,
        "P1",
        "2024-11-20T14:30:00+00:00",
        [vendor_ack("2024-11-20T14:25:00+00:00")],
        1,
        ["INC1:vendor:acme:1:contact:1"],
    ),
    (
        RESOLUTION_FIRST,
        "P1",
        "2024-11-20T14:30:00+00:00",
        [
            ev(
                "2024-11-20T14:11:00+00:00", "action-done", action_id="INC1:vendor:acme:1:contact:1"
            ),
            vendor_ack("2024-11-20T14:25:00+00:00"),
        ],
        1,
        [],
    ),
    # Resolved: no clock runs; the highest-numbered level reached stays on record.
    (
        RESOLUTION_FIRST,
        "P1",
        "2024-11-20T14:40:00+00:00",
        [ev("2024-11-20T14:30:00+00:00", "resolved")],
        2,
        [],
    ),
    (
        SHARE_AFTER_DURATION,
        "P3",
        "2024-11-20T15:10:00+00:00",
        [],
        2,
        ["INC1:vendor:acme:1:contact:2"],
    ),
    # 15:35: level 1 reached at 15:30, after level 2: level 2 stays the contact level.
    (
        SHARE_AFTER_DURATION,
        "P3",
        "2024-11-20T15:35:00+00:00",
        [],
        2,
        ["INC1:vendor:acme:1:contact:2"],
    ),
    # 15:50: response stopped at 15:45; level 2 (resolution) still runs and is chased.
    (
        SHARE_AFTER_DURATION,
        "P3",
        "2024-11-20T15:50:00+00:00",
        [vendor_ack("2024-11-20T15:45:00+00:00")],
        2,
        ["INC1:vendor:acme:1:contact:2"],
    ),
]


@pytest.mark.parametrize(("chosen", "priority", "now", "events", "level", "ids"), CASES)
def test_the_contact_level_is_the_highest_reached_whose_clock_runs(
    chosen: Any,
    priority: str,
    now: str,
    events: list[dict[str, Any]],
    level: int | None,
    ids: list[str],
) -> None:
    history = sorted([ENGAGED, *events], key=lambda e: e["at"])
    status = "resolved" if any(e["type"] == "resolved" for e in events) else "in-progress"
    ticket = engaged_ticket(*history, priority=priority, status=status)
    decision = chosen.evaluate(ticket, now=datetime.fromisoformat(now))
    assert decision.vendors is not None
    (found,) = decision.vendors
    assert level == found.contact_level
    assert ids == [a.id for a in decision.actions if a.kind == "vendor_escalation"]
