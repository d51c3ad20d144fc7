"""Micro-benchmark of the rotation options of round 2: is ``on_call`` still O(1) per instant?

Run from the project root::

    .venv/bin/python bench/rotation_bench.py            # full run, about ten seconds
    .venv/bin/python bench/rotation_bench.py --quick    # smoke test

For each schedule below it times ``on_call`` on 1000 instants near the anchor (2024-2025) and
on the same instants 400 to 2800 years later (a whole number of the schedule's periods and of
400-year Gregorian cycles), interleaving the two sets pass by pass, and reports the median
pass per call. ``advance: per-shift`` and monthly turns are computed
in closed form, so the far column should match the near one (a walk from the anchor would
make it thousands of times slower). It also times ``to_ical`` over 30 days.

* ``always``: 7 members, daily turns at 09:00, Mon-Fri 09:00-17:00 (Europe/Berlin);
* ``per-shift``: the same with ``advance: per-shift``;
* ``per-shift 5h``: 7 members, 5-hour turns (a 168-turn weekly period), weekday hours, UTC;
* ``monthly``: 3 members, ``1mo`` turns anchored on the 31st;
* ``changes``: daily turns with 20 member changes over 2024;
* ``zones``: three follow-the-sun layers in Berlin, New York and Tokyo.

Before timing, each answer at a far instant is checked against the answer at the near one:
the offset is a whole number of the schedule's periods (members × the weekly pattern) and, in
a zone with DST, of 146,097 days (400 Gregorian years, over which the calendar and today's DST
rules repeat), so the two must agree once the last member change is past.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from escalate.people.schedule import Schedule  # noqa: E402

SEED = 20240101
GREGORIAN = 146_097  # days in 400 Gregorian years: whole weeks, whole months
# How far the far instants lie: whole periods of each schedule (see the module docstring).
FAR = {
    "always": timedelta(days=GREGORIAN),  # 7 members × daily turns: a 7-day period
    "per-shift": timedelta(days=GREGORIAN * 7),  # 7 members × 5 weekday turns: 49 days
    "per-shift 5h": timedelta(days=245 * 1490),  # UTC, 7 × lcm(5 h, 1 w) = 245 days
    "monthly": timedelta(days=GREGORIAN),  # 4800 months, a multiple of 3 members
    "changes": timedelta(days=GREGORIAN),  # UTC, 7 members × daily turns
    "zones": timedelta(days=GREGORIAN * 2),  # 2 members × weekly turns: 14 days
}
SEVEN = [f"p{i}" for i in range(7)]
WEEKDAYS = [{"days": "mon-fri", "time": "09:00-17:00"}]


def layer(name: str, rotation: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "level": 1, "rotation": rotation, **extra}


def configs() -> dict[str, dict[str, Any]]:
    """The benchmarked schedules."""

    def day(text: str) -> str:
        return text

    def daily(**extra: Any) -> dict[str, Any]:
        return {
            "members": SEVEN,
            "turn": "1d",
            "handoff": "09:00",
            "anchor": day("2024-01-01"),
            **extra,
        }

    changes = [
        {
            "effective_from": f"{day('2024-01-01')[:5]}{month:02d}-{d:02d}T12:00:00+00:00",
            "members": SEVEN[i % 7 :] + SEVEN[: i % 7],
            "position": "keep" if i % 2 else "restart",
        }
        for i, (month, d) in enumerate((m, d) for m in range(1, 11) for d in (5, 20))
    ]
    return {
        "always": {
            "timezone": "Europe/Berlin",
            "layers": [layer("a", daily(), restrictions=WEEKDAYS)],
        },
        "per-shift": {
            "timezone": "Europe/Berlin",
            "layers": [layer("a", daily(advance="per-shift"), restrictions=WEEKDAYS)],
        },
        "per-shift 5h": {
            "timezone": "UTC",
            "layers": [
                layer(
                    "a",
                    {
                        "members": SEVEN,
                        "turn": "5h",
                        "anchor": day("2024-01-01"),
                        "advance": "per-shift",
                    },
                    restrictions=WEEKDAYS,
                )
            ],
        },
        "monthly": {
            "timezone": "Europe/Berlin",
            "layers": [
                layer(
                    "a",
                    {
                        "members": SEVEN[:3],
                        "turn": "1mo",
                        "handoff": "18:00",
                        "anchor": day("2024-01-31"),
                    },
                )
            ],
        },
        "changes": {"timezone": "UTC", "layers": [layer("a", daily(changes=changes))]},
        "zones": {
            "timezone": "UTC",
            "layers": [
                layer(
                    name,
                    {"members": SEVEN[i : i + 2], "turn": "1w", "anchor": day("2024-01-01")},
                    timezone=zone,
                    restrictions=[{"days": "mon-fri", "time": "08:00-17:00"}],
                )
                for i, (name, zone) in enumerate(
                    (
                        ("emea", "Europe/Berlin"),
                        ("amer", "America/New_York"),
                        ("apac", "Asia/Tokyo"),
                    )
                )
            ],
        },
    }


def instants(rng: random.Random, count: int, start: datetime) -> list[datetime]:
    span = timedelta(days=730) // timedelta(minutes=1)
    return [start + timedelta(minutes=rng.randrange(span)) for _ in range(count)]


def per_call(fn: Callable[[datetime], object], ats: list[datetime]) -> float:
    begin = time.perf_counter()
    for at in ats:
        fn(at)
    return (time.perf_counter() - begin) / len(ats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer passes and instants")
    args = parser.parse_args()
    passes, count = (3, 200) if args.quick else (15, 1000)
    rng = random.Random(SEED)
    near = instants(rng, count, datetime(2024, 1, 1, tzinfo=UTC))
    schedules = {name: Schedule.from_config(c) for name, c in configs().items()}
    settled = datetime(2024, 10, 21, tzinfo=UTC)  # after the last member change
    for name, schedule in schedules.items():
        for a in near:
            if a >= settled or name != "changes":
                assert schedule.on_call(a) == schedule.on_call(a + FAR[name]), (name, a)
    print("| schedule | `on_call` near the anchor | `on_call` centuries on | `to_ical` 30 days |")
    print("|---|---|---|---|")
    gc.disable()
    try:
        for name, schedule in schedules.items():
            far = [at + FAR[name] for at in near]
            near_t: list[float] = []
            far_t: list[float] = []
            ical_t: list[float] = []
            start = datetime(2024, 3, 1, tzinfo=UTC)
            for _ in range(passes):  # interleaved
                near_t.append(per_call(schedule.on_call, near))
                far_t.append(per_call(schedule.on_call, far))
                begin = time.perf_counter()
                schedule.to_ical(start, start + timedelta(days=30), name=name)
                ical_t.append(time.perf_counter() - begin)
            print(
                f"| {name} | {statistics.median(near_t) * 1e6:.2f} µs "
                f"| {statistics.median(far_t) * 1e6:.2f} µs "
                f"| {statistics.median(ical_t) * 1e3:.2f} ms |"
            )
    finally:
        gc.enable()
    print(f"\n{passes} interleaved passes of {count} instants per column; medians per call.")


if __name__ == "__main__":
    main()
