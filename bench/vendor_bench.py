"""What a vendor contract costs an evaluation (engine/vendors.py).

Run from the project root::

    .venv/bin/python bench/vendor_bench.py            # full run, about 15 s on 2 cores
    .venv/bin/python bench/vendor_bench.py --quick    # smoke test

It times ``Policy.evaluate`` of a P1 storage ticket that engages ACME (examples/vendors) at
18:00 UTC, against:

* **without**: ``examples/vendors/policy.yaml`` with its ``vendors:`` section cut out (the
  stage does not run);
* **with**: the policy as shipped (clocks on the vendor's New York calendar, two clauses with
  a cap and a grace, two contact levels);

each with a history of 0, 100 and 1,000 earlier stretches in ``awaiting-user-info`` (the
vendor's pause status), to show that the vendor clocks read the history once per evaluation.
Runs are interleaved (without, with, without, with …) so drifting machine load hits both
alike; the table shows medians per evaluation and the ratio with / without. The decisions are
checked first: the same actions apart from the vendor's, and the vendor's clock present.
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

OPENED = datetime(2024, 11, 20, 14, 0, tzinfo=UTC)
NOW = datetime(2024, 11, 20, 18, 0, tzinfo=UTC)
TEXT = (ROOT / "examples" / "vendors" / "policy.yaml").read_text(encoding="utf-8")


def without_vendors() -> str:
    """The example policy without its ``vendors:`` section (the last top-level key)."""
    return TEXT[: TEXT.index("\nvendors:\n") + 1]


def ticket(pauses: int) -> dict[str, Any]:
    """INC-B, engaging ACME at the opening, with ``pauses`` one-minute waits for the user in
    the first three hours, acknowledged by the vendor at 14:10."""
    events: list[dict[str, Any]] = [
        {"at": "2024-11-20T14:00:00Z", "type": "action-done",
         "action_id": "INC-B:path:acme:1:0:acme-l2"},
        {"at": "2024-11-20T14:10:00Z", "type": "acknowledged", "path": "acme", "party": "vendor"},
    ]  # fmt: skip
    step = timedelta(hours=3) / max(pauses, 1)
    for i in range(pauses):
        start = OPENED + timedelta(minutes=15) + step * i
        events.append(
            {"at": start.isoformat(), "type": "status-changed", "status": "awaiting-user-info"}
        )
        events.append(
            {
                "at": (start + step / 2).isoformat(),
                "type": "status-changed",
                "status": "in-progress",
            }
        )
    return {
        "id": "INC-B",
        "kind": "incident",
        "opened_at": OPENED.isoformat(),
        "status": "in-progress",
        "priority": "P1",
        "category": "storage",
        "service": "san",
        "events": events,
    }


def check(without: escalate.Policy, with_: escalate.Policy, data: dict[str, Any]) -> None:
    plain = without.evaluate(data, now=NOW)
    full = with_.evaluate(data, now=NOW)
    assert plain.vendors is None and "vendors" not in plain.to_dict()
    assert full.vendors is not None and full.vendors[0].response is not None
    others = [a.to_dict() for a in full.actions if a.kind != "vendor_escalation"]
    assert [a.to_dict() for a in plain.actions] == others


def median_us(
    policy: escalate.Policy, ticket_: escalate.Ticket, rounds: int, n: int
) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            policy.evaluate(ticket_, now=NOW)
        out.append((time.perf_counter() - start) / n * 1e6)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test: few repetitions")
    args = parser.parse_args()
    rounds, n = (3, 20) if args.quick else (15, 200)
    without = escalate.loads(without_vendors(), filename="without.yaml")
    with_ = escalate.loads(TEXT, filename="with.yaml")
    print(f"vendor contract cost per evaluation (median of {rounds} rounds x {n} calls)")
    print(f"{'pauses':>7}  {'without':>10}  {'with':>10}  {'ratio':>6}")
    gc.disable()
    try:
        for pauses in (0, 100, 1000):
            data = ticket(pauses)
            check(without, with_, data)
            t = escalate.Ticket.from_mapping(data)
            a: list[float] = []
            b: list[float] = []
            for _ in range(rounds):  # interleaved
                a += median_us(without, t, 1, n)
                b += median_us(with_, t, 1, n)
            ma, mb = statistics.median(a), statistics.median(b)
            print(f"{pauses:>7}  {ma:>8.1f}us  {mb:>8.1f}us  {mb / ma:>6.2f}")
    finally:
        gc.enable()


if __name__ == "__main__":
    main()
