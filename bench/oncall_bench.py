"""Target resolution with fallbacks: median cost of Directory.resolve on the shipped pack.

Run from the project root: ``.venv/bin/python bench/oncall_bench.py``. Each case resolves a
level's targets at a fixed instant with examples/availability.json (people on leave, so the
fallback chain is walked). Timing: fixed inputs, gc off, median of repeated passes.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import escalate  # noqa: E402

CASES = [
    ("person, available", ["person:anna.schmidt"]),
    ("team members", ["team:service-desk"]),
    ("team via schedule, on leave -> backup", ["team:second-line"]),
    ("role, on leave -> backup", ["role:service-owner"]),
    ("role via schedule", ["role:duty-manager"]),
    ("two-layer schedule", ["schedule:network-oncall"]),
    ("manager line", ["manager:markus.braun"]),
]


def median_us(fn: object, passes: int = 15, calls: int = 2000) -> float:
    assert callable(fn)
    samples = []
    gc.disable()
    try:
        for _ in range(passes):
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            samples.append((time.perf_counter() - start) / calls * 1e6)
    finally:
        gc.enable()
    return statistics.median(samples)


def main() -> None:
    policy = escalate.load(ROOT / "rules" / "itil-default.yaml")
    availability = escalate.Availability.from_mapping(
        json.loads((ROOT / "examples" / "availability.json").read_text())
    )
    directory = policy.directory
    now = datetime(2024, 11, 20, 15, tzinfo=UTC)
    print("| case | people | substitutions | median µs |")
    print("|---|---|---|---|")
    for label, targets in CASES:
        found = directory.resolve(targets, now, availability)
        cost = median_us(lambda targets=targets: directory.resolve(targets, now, availability))
        print(f"| {label} | {', '.join(found.people)} | {len(found.notes)} | {cost:.2f} |")
    # Across a week of instants, so schedule lookups are not all at one hand-off.
    instants = [now + timedelta(minutes=37 * i) for i in range(300)]
    targets = ["team:second-line", "role:duty-manager"]

    def sweep() -> None:
        for at in instants:
            directory.resolve(targets, at, availability)

    per_call = median_us(sweep, passes=9, calls=5) / len(instants)
    print(f"| two targets, 300 instants over a week | | | {per_call:.2f} |")


if __name__ == "__main__":
    main()
