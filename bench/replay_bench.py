"""Bench: the whole UCI ServiceNow incident log replayed through the shipped pack (issue 11).

Reads ``../shared/datasets/servicenow-incident-event-log.zip`` (beside the repository; never
copied into it), reads it with ``UCI_LOG_MAPPING`` (UTC: the log does not say its zone), and
replays every incident through ``rules/itil-default.yaml`` with ``escalate.replay``: evaluated
at every update and every wake-up until closure, due actions recorded done. Prints the time of
each phase, the evaluations and the throughput, then the summary's headline figures.

    .venv/bin/python bench/replay_bench.py            # the whole log (about two minutes)
    .venv/bin/python bench/replay_bench.py --every 20 # every 20th incident (a quick look)
    .venv/bin/python bench/replay_bench.py --json results.json   # also the full summary
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # measure this checkout, installed or not

import escalate  # noqa: E402
from escalate.adapters.servicenow import UCI_LOG_MAPPING, LogReading, read_log  # noqa: E402
from escalate.cli._servicenow_log import log_rows  # noqa: E402

DATASET = ROOT.parent / "shared" / "datasets" / "servicenow-incident-event-log.zip"
PACK = ROOT / "rules" / "itil-default.yaml"


def main() -> int:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--log", default=str(DATASET), help="the log (default: the UCI log)")
    cli.add_argument("--every", type=int, default=1, help="replay every Nth incident only")
    cli.add_argument("--json", help="write the full summary to this file")
    args = cli.parse_args()
    if not Path(args.log).exists():
        print(f"replay_bench: {args.log} is absent; nothing to measure", file=sys.stderr)
        return 2

    started = time.perf_counter()
    reading = read_log(log_rows(args.log), UCI_LOG_MAPPING)
    read_s = time.perf_counter() - started
    if args.every > 1:
        chosen = reading.incidents[:: args.every]
        reading = LogReading(
            chosen,
            tuple(a for i in chosen for a in i.anomalies),
            sum(len(i.updates) for i in chosen),
        )
    policy = escalate.load(PACK)

    started = time.perf_counter()
    result = escalate.replay(policy, reading)
    replay_s = time.perf_counter() - started
    summary = result.to_dict()

    evaluations = summary["evaluations"]
    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print(f"log: {args.log}" + (f" (every {args.every}th incident)" if args.every > 1 else ""))
    print(f"read:   {read_s:8.2f} s  {reading.rows} rows, {len(reading.incidents)} incidents")
    print(
        f"replay: {replay_s:8.2f} s  {evaluations['total']} evaluations "
        f"({evaluations['at_updates']} at updates, {evaluations['at_wake_ups']} at wake-ups), "
        f"{evaluations['total'] / replay_s:,.0f} evaluations/s, "
        f"{1e6 * replay_s / evaluations['total']:.0f} us per evaluation"
    )
    incidents = summary["incidents"]
    print(
        f"incidents: {incidents['closed']} closed, {incidents['open']} open at their last row, "
        f"{incidents['stopped']} stopped early"
    )
    total = summary["breaches"]["total"]
    print(
        f"breaches vs made_sla: agreement {total['agreement']}% (both {total['both']}, ours only "
        f"{total['ours_only']}, log only {total['log_only']}, neither {total['neither']}, "
        f"unknown {total['unknown']})"
    )
    for priority, row in summary["breaches"]["by_priority"].items():
        known = sum(row[k] for k in ("both", "ours_only", "log_only", "neither"))
        print(f"  {priority}: agreement {row['agreement']}% of {known}")
    late = summary["late_actions"]
    print(
        f"actions: {summary['actions']}; late {late['count']} "
        f"({late['before_first_row']} due before the first row), lateness p50 "
        f"{late['lateness']['p50']}, p90 {late['lateness']['p90']}; duplicates "
        f"{summary['duplicate_actions']['count']}"
    )
    first = summary["first_escalation"]
    print(
        f"first escalation: {first['incidents']} incidents, p50 {first['p50']}, p90 "
        f"{first['p90']}, p99 {first['p99']}"
    )
    print(
        f"level entries: {summary['escalations']['level_entries']}; ping-pong: "
        f"{summary['ping_pong']['count']} incidents; counters disagree: "
        f"{summary['counters']['disagree']}; anomalies: {summary['anomalies']}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(summary, sort_keys=True, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
