"""What status pages and path-reading bridges cost an evaluation (engine/bulletins.py).

Run from the project root::

    .venv/bin/python bench/bulletins_bench.py            # full run, about 20 s on 2 cores
    .venv/bin/python bench/bulletins_bench.py --quick    # smoke test

It times ``Policy.evaluate`` of a P1 (service order-portal, a network fault, so both paths a
bridge reads are engaged) at 15:00 against:

* **before**: the shipped pack with the bridge as it was before issue 13 (teams, no ``path:``
  participants) and neither the status-page rule nor ``status_pages``;
* **pack**: the shipped pack (the status-page rule, ``status_pages``, ``path:`` participants);

each with a history of 0, 100 and 1,000 earlier status-page updates recorded done (a flapping
incident), to show that the pacing reads the recorded ids once per evaluation. Runs are
interleaved (before, pack, before, pack …) so drifting machine load hits both alike; the
table shows medians per evaluation and the ratio pack / before. The decisions are checked
first: the pack's has a bridge_join, and a status-page update only when none was posted since
the P1 began.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import escalate  # noqa: E402

NOW = datetime(2024, 11, 20, 15, 0, tzinfo=UTC)
OPENED = datetime(2024, 11, 20, 10, 0, tzinfo=UTC)
PACK_TEXT = (ROOT / "rules" / "itil-default.yaml").read_text(encoding="utf-8")


def before_text() -> str:
    """The pack as it was before status pages and ``path:`` participants."""
    text = PACK_TEXT
    start = text.index("# Status-page updates")
    text = text[:start] + text[text.index("rules:\n", start) :]
    start = text.index("      open_bridge:\n")
    end = text.index("    rationale:", start)
    bridge = (
        "      open_bridge: {participants: [role:incident-manager, team:service-desk, "
        "team:second-line]}\n"
    )
    text = text[:start] + bridge + text[end:]
    start = text.index("  - id: p1-status-page")
    end = text.index("  - id: vip-heads-up")
    return text[:start] + text[end:]


def ticket(updates: int) -> dict[str, Any]:
    """A P1 with ``updates`` status-page updates recorded done, the last at 14:50, and the
    bridge recorded open at 10:05."""
    events: list[dict[str, Any]] = [
        {
            "at": "2024-11-20T10:05:00Z",
            "type": "action-done",
            "action_id": "B1:rule:p1-bridge:20241120T100000Z:open_bridge0",
        }
    ]
    step = timedelta(hours=4, minutes=40) / max(updates, 1)
    for i in range(updates):
        at = OPENED + timedelta(minutes=10) + step * i
        if i == updates - 1:
            at = datetime(2024, 11, 20, 14, 50, tzinfo=UTC)
        events.append(
            {
                "at": at.isoformat(),
                "type": "action-done",
                "action_id": (
                    f"B1:status-page:order-portal:rule:flap-{i}:20241120T100000Z:status_page0"
                ),
            }
        )
    return {
        "id": "B1",
        "opened_at": OPENED.isoformat(),
        "priority": "P1",
        "category": "network",
        "service": "order-portal",
        "assignment_group": "service-desk",
        "events": sorted(events, key=lambda e: e["at"]),
    }


def check(pack: escalate.Policy, updates: int) -> None:
    decision = pack.evaluate(escalate.Ticket.from_mapping(ticket(updates)), now=NOW)
    kinds = [a.kind for a in decision.actions]
    assert "bridge_join" in kinds, kinds
    # posted since the P1 began: the P1's own request is superseded; none posted: it is due
    assert ("status_page" in kinds) is (updates == 0), kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, calls = (5, 20) if args.quick else (15, 200)
    pack = escalate.loads(PACK_TEXT)
    before = escalate.loads(before_text())
    rows = []
    for updates in (0, 100, 1000):
        check(pack, updates)
        t = escalate.Ticket.from_mapping(ticket(updates))
        times: dict[str, list[float]] = {"before": [], "pack": []}
        gc.disable()
        try:
            for _ in range(rounds):
                for name, policy in (("before", before), ("pack", pack)):
                    start = time.perf_counter()
                    for _ in range(calls):
                        policy.evaluate(t, now=NOW)
                    times[name].append((time.perf_counter() - start) / calls)
        finally:
            gc.enable()
        b, p = statistics.median(times["before"]), statistics.median(times["pack"])
        rows.append((updates, b, p))
    print("| status-page updates done | before (µs) | pack (µs) | pack / before |")
    print("|---:|---:|---:|---:|")
    for updates, b, p in rows:
        print(f"| {updates:,} | {b * 1e6:,.0f} | {p * 1e6:,.0f} | {p / b:.2f} |")


if __name__ == "__main__":
    main()
