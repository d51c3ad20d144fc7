"""Micro-benchmark of escalate's on-call ``Schedule``.

Run from the project root (needs only escalate and its own dependencies)::

    .venv/bin/python bench/schedule_bench.py            # full run, a few seconds
    .venv/bin/python bench/schedule_bench.py --quick    # smoke test, a few seconds

The schedule is the target's (issue: ``on_call`` median <= 5 µs): Europe/Berlin, three layers
with restrictions and 50 overrides:

* ``business`` (level 3): daily turns of three people at 09:00, Mon-Fri 09:00-17:00;
* ``nights`` (level 2): weekly turns of two people and a pair at 17:00 on Mondays,
  Mon-Fri 17:00-09:00 (overnight);
* ``base`` (level 1): 12-hour turns of two people at 08:00 and 20:00, always;
* 50 overrides of 1 to 72 hours spread over 2024-2025 (some overlap).

It times, as medians over passes of fixed inputs (a fixed seed; gc off; ``time.perf_counter``
around whole passes; the table shows the median pass per call and the fastest pass):

* ``on_call(at)`` for 2000 instants in 2024-2025, a third of them within a day of a DST switch;
* ``next_handoff(after)`` for the same instants;
* ``shifts(start, start + 30 days)`` for 200 starts;
* ``from_config`` and the first ``on_call`` in a new year (it builds that span's offset table).

Before timing, every timed answer is checked: ``on_call`` against ``shifts`` over the whole
range (at every shift start, end - 1 µs and a midpoint) and ``next_handoff`` against
``on_call``. The report is a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
# Benchmark this checkout's source, whether or not escalate is installed in the venv.
sys.path.insert(0, str(ROOT / "src"))

from escalate.people.schedule import Schedule  # noqa: E402

BERLIN = ZoneInfo("Europe/Berlin")
ONE_US = timedelta(microseconds=1)
SEED = 20240331
LO = datetime(2024, 1, 1, tzinfo=UTC)
HI = datetime(2026, 1, 1, tzinfo=UTC)
DST_SWITCHES = [
    datetime(2024, 3, 31, 1, tzinfo=UTC),
    datetime(2024, 10, 27, 1, tzinfo=UTC),
    datetime(2025, 3, 30, 1, tzinfo=UTC),
    datetime(2025, 10, 26, 1, tzinfo=UTC),
]


def config(rng: random.Random) -> dict[str, Any]:
    overrides = []
    people = ["alice", "bob", "carol", "dave", "eve", "frank", "grace", "henry", "ivan", "judy"]
    span_us = (HI - LO) // ONE_US
    for _ in range(50):
        start = LO + rng.randrange(span_us) // 60_000_000 * 60_000_000 * ONE_US
        end = start + timedelta(hours=rng.randint(1, 72))
        overrides.append(
            {"start": start.isoformat(), "end": end.isoformat(), "people": [rng.choice(people)]}
        )
    return {
        "timezone": "Europe/Berlin",
        "layers": [
            {
                "name": "business",
                "level": 3,
                "rotation": {
                    "members": ["alice", "bob", "carol"],
                    "turn": "1d",
                    "handoff": "09:00",
                    "anchor": "2024-01-01",
                },
                "restrictions": [{"days": "mon-fri", "time": "09:00-17:00"}],
            },
            {
                "name": "nights",
                "level": 2,
                "rotation": {
                    "members": ["dave", "eve", ["frank", "grace"]],
                    "turn": "1w",
                    "handoff": "17:00",
                    "anchor": "2024-01-01",
                },
                "restrictions": [{"days": "mon-fri", "time": "17:00-09:00"}],
            },
            {
                "name": "base",
                "level": 1,
                "rotation": {
                    "members": ["henry", "ivan"],
                    "turn": "12h",
                    "handoff": "08:00",
                    "anchor": "2024-01-01",
                },
            },
        ],
        "overrides": overrides,
    }


def instants(rng: random.Random, count: int) -> list[datetime]:
    span_us = (HI - LO) // ONE_US
    out = []
    for i in range(count):
        if i % 3 == 0:
            base = rng.choice(DST_SWITCHES)
            at = base + rng.randrange(-86_400_000_000, 86_400_000_000) * ONE_US
        else:
            at = LO + rng.randrange(span_us) * ONE_US
        out.append(at.astimezone(BERLIN) if i % 2 else at)
    return out


def check(schedule: Schedule, inputs: Sequence[datetime]) -> int:
    """Cross-check on_call, shifts and next_handoff; returns the number of checks."""
    checks = 0
    for shift in schedule.shifts(LO, HI):
        middle = shift.start + (shift.end - shift.start) / 2
        for at in (shift.start, shift.end - ONE_US, middle):
            assert schedule.on_call(at) == shift.people, (at, shift)
            checks += 1
    for at in inputs:
        now = schedule.on_call(at)
        nxt = schedule.next_handoff(at)
        assert nxt is not None and nxt > at
        assert schedule.on_call(nxt - ONE_US) == now != schedule.on_call(nxt), at
        checks += 1
    return checks


def per_call(
    fn: Callable[[Any], object], inputs: Sequence[Any], passes: int
) -> tuple[float, float]:
    """Median and fastest per-call seconds over ``passes`` passes of ``fn`` over ``inputs``."""
    for at in inputs[:50]:  # warm caches (offset tables) before timing
        fn(at)
    times = []
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(passes):
            t0 = time.perf_counter()
            for at in inputs:
                fn(at)
            times.append((time.perf_counter() - t0) / len(inputs))
    finally:
        if gc_was:
            gc.enable()
    return statistics.median(times), min(times)


def fmt(seconds: float) -> str:
    us = seconds * 1e6
    if us >= 1000:
        return f"{us / 1000:,.2f} ms"
    return f"{us:.2f} µs"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer passes (smoke test)")
    args = parser.parse_args(argv)
    passes = 3 if args.quick else 15
    rng = random.Random(SEED)
    cfg = config(rng)
    inputs = instants(rng, 2000)
    starts = inputs[:200]

    compile_times = []
    cold_times = []
    for _ in range(5 if args.quick else 9):
        t0 = time.perf_counter()
        fresh = Schedule.from_config(cfg)
        compile_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fresh.on_call(LO)
        cold_times.append(time.perf_counter() - t0)
    schedule = Schedule.from_config(cfg)
    checks = check(schedule, inputs)

    rows = [
        ("`on_call(at)`", per_call(schedule.on_call, inputs, passes), len(inputs)),
        ("`next_handoff(after)`", per_call(schedule.next_handoff, inputs, passes), len(inputs)),
        (
            "`shifts(start, start + 30 d)`",
            per_call(lambda at: schedule.shifts(at, at + timedelta(days=30)), starts, passes),
            len(starts),
        ),
    ]
    shifts_30d = statistics.mean(len(schedule.shifts(at, at + timedelta(days=30))) for at in starts)

    print("## `bench/schedule_bench.py`\n")
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{passes} passes per row; seed {SEED}.\n"
    )
    print(
        "Schedule: Europe/Berlin, 3 layers (daily business hours Mon-Fri 09-17 at level 3, "
        "weekly overnight Mon-Fri 17-09 at level 2, 12-hour always-on at level 1), "
        "50 overrides over 2024-2025.\n"
    )
    print("| call | inputs | median per call | fastest pass |")
    print("|---|---|---|---|")
    for name, (median, fastest), count in rows:
        print(f"| {name} | {count} | {fmt(median)} | {fmt(fastest)} |")
    print(
        f"| `from_config` | {len(compile_times)} runs | {fmt(statistics.median(compile_times))} | "
        f"{fmt(min(compile_times))} |"
    )
    print(
        f"| first `on_call` (builds ~407 days of offsets) | {len(cold_times)} runs | "
        f"{fmt(statistics.median(cold_times))} | {fmt(min(cold_times))} |"
    )
    print(
        f"\n`shifts` over 30 days returns {shifts_30d:.1f} shifts on average. "
        f"Correctness: {checks:,} cross-checks of on_call, shifts and next_handoff passed."
    )
    target = rows[0][1][0]
    print(
        f"\nTarget `on_call` median ≤ 5 µs: **{'met' if target <= 5e-6 else 'NOT met'}** "
        f"({fmt(target)})."
    )


if __name__ == "__main__":
    main()
