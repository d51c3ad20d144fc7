"""Simulation: 30 days of a ticket's future with ``escalate.simulate``, in milliseconds.

Run from the project root::

    .venv/bin/python bench/simulate_bench.py               # 15 repeats, about 30 s
    .venv/bin/python bench/simulate_bench.py --repeats 3   # smoke test

Each row simulates one ticket for 30 days from its last event with the shipped pack
(``rules/itil-default.yaml``, ``examples/availability.json``): the bundled example tickets,
one of them with a script (acknowledged after 10 minutes, resolved after 3 hours), and a
synthetic ticket of a policy that wakes it every hour (an on-call schedule handing over
hourly, paged by the ticket's level: 721 steps). A simulation costs one evaluation per step,
never one per minute simulated; the last row shows what stepping minute by minute would cost
instead (one day of it measured, times 30).

What is timed: ``simulate(...)`` on a freshly built ``Ticket`` each repeat (nothing the
ticket caches survives), gc disabled, ``perf_counter``; the figure is the median over the
repeats, with the step count and the time per step. Determinism: every repeat's
``to_json()`` must be the same bytes.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # measure this working tree

from escalate import Availability, Policy, Ticket, load, loads, simulate  # noqa: E402

DAYS = 30
HOURLY = textwrap.dedent(
    """
    policy: wakes-hourly
    version: "1"
    directory:
      people:
        ann: {name: Ann}
        bob: {name: Bob}
    schedules:
      desk-oncall:
        timezone: UTC
        layers:
          - name: hourly
            level: 1
            rotation: {members: [ann, bob], turn: 1h, anchor: 2024-01-01}
    paths:
      desk:
        kind: vertical
        page_first_level: true
        levels:
          - name: on-call
            targets: [schedule:desk-oncall]
    """
)
SYNTHETIC = {"id": "SYN0000001", "opened_at": "2024-11-20T10:00:00Z", "priority": "P1"}
SCRIPT = [
    {"after": "10m", "type": "acknowledged", "actor": "anna.schmidt"},
    {"after": "3h", "type": "resolved", "actor": "anna.schmidt"},
]


def last_instant(ticket: Ticket) -> datetime:
    return max([ticket.opened_at, *(event.at for event in ticket.events)])


def bench_ticket(
    name: str,
    policy: Policy,
    data: dict[str, Any],
    availability: Availability,
    repeats: int,
    events: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    tickets = [Ticket.from_mapping(data) for _ in range(repeats)]  # built before any timing
    start = last_instant(tickets[0])
    until = start + timedelta(days=DAYS)
    outputs: set[str] = set()

    times = []
    for ticket in tickets:
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            simulation = simulate(
                policy, ticket, until=until, events=events or (), availability=availability
            )
            times.append((time.perf_counter() - t0) * 1000)
        finally:
            gc.enable()
        outputs.add(simulation.to_json())
    assert len(outputs) == 1, f"{name}: simulations of the same inputs differ"
    ms = statistics.median(times)
    steps = len(simulation.steps)
    return {"ticket": name, "steps": steps, "ms": ms, "ms_per_step": ms / steps}


def per_minute(policy: Policy, data: dict[str, Any], availability: Availability) -> dict[str, Any]:
    """One day of evaluating every minute (what a simulation does not do), times 30."""
    ticket = Ticket.from_mapping(data)
    start = last_instant(ticket)
    instants = [start + timedelta(minutes=m) for m in range(24 * 60)]
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for at in instants:
            policy.evaluate(ticket, now=at, availability=availability)
        ms = (time.perf_counter() - t0) * 1000
    finally:
        gc.enable()
    return {
        "ticket": f"{data['id']} stepped every minute (1 day measured x {DAYS})",
        "steps": 24 * 60 * DAYS,
        "ms": ms * DAYS,
        "ms_per_step": ms / (24 * 60),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    policy = load(ROOT / "rules" / "itil-default.yaml")
    availability = Availability.from_mapping(
        json.loads((ROOT / "examples" / "availability.json").read_text(encoding="utf-8"))
    )
    rows = []
    for path in sorted((ROOT / "examples" / "tickets").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        rows.append(bench_ticket(data["id"], policy, data, availability, args.repeats))
    first = json.loads((ROOT / "examples" / "tickets" / "INC0010001.json").read_text())
    rows.append(
        bench_ticket(
            "INC0010001 + script (ack 10m, resolved 3h)",
            policy,
            first,
            availability,
            args.repeats,
            SCRIPT,
        )
    )
    hourly = loads(HOURLY, filename="hourly.yaml")
    rows.append(
        bench_ticket(
            "SYN0000001 (wakes every hour)", hourly, SYNTHETIC, Availability(), args.repeats
        )
    )
    rows.append(per_minute(policy, first, availability))

    print(
        f"escalate.simulate: {DAYS} days per ticket, median of {args.repeats} repeats "
        f"(Python {platform.python_version()}, {platform.machine()})"
    )
    print()
    print("| ticket | steps | ms per simulation | ms per step |")
    print("|---|---:|---:|---:|")
    for row in rows:
        print(f"| {row['ticket']} | {row['steps']} | {row['ms']:.1f} | {row['ms_per_step']:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
