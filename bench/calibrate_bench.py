"""Calibration on the real ServiceNow log: time and agreement of ``escalate calibrate``.

Run from the project root::

    .venv/bin/python bench/calibrate_bench.py            # about 2.5 min
    .venv/bin/python bench/calibrate_bench.py --quick    # the targeted sweep only, ~30 s

Reads ``../shared/datasets/servicenow-incident-event-log.zip`` (beside the repository; the
bench exits 2 with a message when it is absent) with ``read_log`` and ``UCI_LOG_MAPPING``
(UTC: the log does not say its zone), then calibrates the shipped pack's ``resolution`` clock:

* the *default* sweep (``escalate calibrate`` without ``--variants``): 3 stops x 2 new-cycle
  rules x 3 pauses x 4 calendars = 72 (stop, cycle, pause, calendar) combinations, each with
  the clock's own targets and the fitted ones: 144 variants;
* a *targeted* sweep of the issue's hand-fitted clock (stop at closure, one cycle, no pause,
  weekday time) against the pack as shipped: 2 x 2 x 2 x 2 = 16 combinations, 32 variants;
* the same targeted sweep with eight more declared target sets, to show what targets cost:
  declared targets are checked per incident, the fitted ones need one sort per priority.

What is timed: ``read_log`` once, then each ``calibrate(...)`` call (``perf_counter``, one
run: the sweep is seconds to minutes long, not micro-benchmark material). Every figure of
agreement is exact and deterministic (a second call gives the same ``to_dict()``; checked on
the targeted sweep).
"""

from __future__ import annotations

import argparse
import csv
import io
import platform
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # measure this working tree

from escalate import load  # noqa: E402
from escalate.adapters.servicenow import (  # noqa: E402
    UCI_LOG_MAPPING,
    Calibration,
    calibrate,
    default_variants,
    read_log,
    read_variants,
)

DATASET = ROOT.parent / "shared" / "datasets" / "servicenow-incident-event-log.zip"
TARGETED = {
    "stop": {"closed": {"category": ["closed", "cancelled"]}},
    "new_cycle_on": {"none": None},
    "pause": {"none": None},
    "calendar": {"weekdays": {"timezone": "UTC", "hours": {"mon-fri": "00:00-24:00"}}},
    "fit": True,
}


def line(name: str, seconds: float, result: Calibration) -> str:
    best = result.best
    shipped = next(r for r in result.results if r.order == (0, 0, 0, 0, 0))
    per = seconds / len(result.results) * 1000
    return (
        f"| {name} | {len(result.results)} | {seconds:.1f} s | {per:.0f} ms | "
        f"{best.agreement()} % ({best.name}) | {shipped.agreement()} % |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the targeted sweep only")
    args = parser.parse_args()
    if not DATASET.exists():
        print(f"calibrate_bench: the log is not here: {DATASET} (see ../shared/datasets)")
        return 2
    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    start = time.perf_counter()
    with zipfile.ZipFile(DATASET) as archive, archive.open("incident_event_log.csv") as raw:
        rows = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        reading = read_log(rows, UCI_LOG_MAPPING)
    read_s = time.perf_counter() - start
    print(f"read_log: {reading.rows:,} rows, {len(reading.incidents):,} incidents, {read_s:.1f} s")
    policy = load(str(ROOT / "rules" / "itil-default.yaml"))

    print()
    print("| sweep | variants | time | per variant | best | pack as shipped |")
    print("|---|---|---|---|---|---|")
    targeted = read_variants(TARGETED, policy, "resolution")
    start = time.perf_counter()
    result = calibrate(policy, targeted, reading.incidents)
    seconds = time.perf_counter() - start
    print(line("targeted (16 combinations)", seconds, result))
    again = calibrate(policy, targeted, reading.incidents)
    assert again.to_dict() == result.to_dict(), "the sweep is not deterministic"
    targets = {
        f"x{i}": {"P1": f"{4 + i}h", "P2": f"{8 + i}h", "P3": f"{3 + i}bd", "P4": f"{5 + i}bd"}
        for i in range(8)
    }
    more = read_variants({**TARGETED, "targets": targets}, policy, "resolution")
    start = time.perf_counter()
    with_targets = calibrate(policy, more, reading.incidents)
    print(line("targeted + 8 declared target sets", time.perf_counter() - start, with_targets))
    if not args.quick:
        variants = default_variants(policy, "resolution", "UTC")
        start = time.perf_counter()
        default = calibrate(policy, variants, reading.incidents)
        print(line("default (72 combinations)", time.perf_counter() - start, default))
    best = result.best
    print()
    print(f"best of the targeted sweep: {best.name}")
    print(f"  confusion: {best.confusion.to_dict()}")
    print(f"  fitted targets: {dict(sorted(best.target_texts.items()))}")
    for cause in result.causes:
        print(f"  {cause.count:>5}  {cause.cause}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
