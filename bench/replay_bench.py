"""Bench: the whole UCI ServiceNow incident log replayed through the shipped pack (issues 11, 12).

Reads ``../shared/datasets/servicenow-incident-event-log.zip`` (beside the repository; never
copied into it) with ``UCI_LOG_MAPPING`` (UTC: the log does not say its zone) and replays every
incident through ``rules/itil-default.yaml``: evaluated at every update and every wake-up until
closure, due actions recorded done. Three parts are timed apart, in CPU seconds
(``time.process_time``) of one process:

* load: the file to rows (``log_rows``: unzip, decode, CSV);
* convert: the rows to incidents (``read_log``);
* evaluate: the replay (``escalate.replay``).

With ``--before SRC`` (another checkout's ``src``, such as ``git archive main`` unpacked in
/tmp) each pass runs both trees, alternately, each in its own process, and the summaries'
bytes are compared. ``--workers 1,2`` then times the whole command, ``escalate replay --json
--workers N`` (load, convert and evaluate), in wall seconds, and checks that every N gives
the summary of one process, byte for byte.

    .venv/bin/python bench/replay_bench.py                       # one pass, this tree
    .venv/bin/python bench/replay_bench.py --every 20 --passes 3 # every 20th incident
    .venv/bin/python bench/replay_bench.py --before /tmp/before/src --workers 1,2
    .venv/bin/python bench/replay_bench.py --json results.json   # also the full summary
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT.parent / "shared" / "datasets" / "servicenow-incident-event-log.zip"
PACK = ROOT / "rules" / "itil-default.yaml"


def measure(log: str, every: int, summary_path: str | None) -> dict[str, Any]:
    """One pass in this process (the ``src`` on ``sys.path`` is the tree measured)."""
    import escalate
    from escalate.adapters.servicenow import UCI_LOG_MAPPING, LogReading, read_log
    from escalate.cli._servicenow_log import log_rows

    started = time.process_time()
    rows = list(log_rows(log))
    load = time.process_time() - started
    started = time.process_time()
    reading = read_log(rows, UCI_LOG_MAPPING)
    convert = time.process_time() - started
    del rows
    if every > 1:
        chosen = reading.incidents[::every]
        reading = LogReading(
            chosen,
            tuple(a for i in chosen for a in i.anomalies),
            sum(len(i.updates) for i in chosen),
        )
    policy = escalate.load(PACK)
    started = time.process_time()
    result = escalate.replay(policy, reading)
    evaluate = time.process_time() - started
    text = result.to_json()
    if summary_path:
        Path(summary_path).write_text(text + "\n")
    return {
        "load": load,
        "convert": convert,
        "evaluate": evaluate,
        "rows": reading.rows,
        "incidents": len(reading.incidents),
        "evaluations": result.evaluations,
        "summary_sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


def in_process(src: str, log: str, every: int, summary_path: str | None = None) -> dict[str, Any]:
    """:func:`measure` in a new process with ``src`` first on its path."""
    argv = [sys.executable, __file__, "--measure", "--src", src, "--log", log]
    argv += ["--every", str(every)] + (["--json", summary_path] if summary_path else [])
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout))


def command(src: str, log: str, workers: int) -> tuple[float, dict[str, Any]]:
    """``escalate replay --json --workers N`` in a new process: its wall seconds and the
    summary without the throughput (the one part that differs between runs)."""
    argv = [sys.executable, "-m", "escalate.cli", "replay", "--policy", str(PACK)]
    argv += ["--servicenow", log, "--time-zone", "UTC", "--json", "--workers", str(workers)]
    env = {**os.environ, "PYTHONPATH": src}
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"replay_bench: escalate replay failed: {done.stderr.strip()}")
    document = dict(json.loads(done.stdout))
    del document["throughput"]
    return wall, document


def main() -> int:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--log", default=str(DATASET), help="the log (default: the UCI log)")
    cli.add_argument("--every", type=int, default=1, help="replay every Nth incident only")
    cli.add_argument("--passes", type=int, default=1, help="passes of each tree (median)")
    cli.add_argument("--before", help="another tree's src, measured alternately with this one")
    cli.add_argument("--workers", help="also time the whole command with these --workers N")
    cli.add_argument("--json", help="write the full summary to this file")
    cli.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    cli.add_argument("--src", default=str(ROOT / "src"), help=argparse.SUPPRESS)
    args = cli.parse_args()
    if args.measure:  # one pass in this process, as a subprocess of the bench
        sys.path.insert(0, args.src)
        print(json.dumps(measure(args.log, args.every, args.json)))
        return 0
    if not Path(args.log).exists():
        print(f"replay_bench: {args.log} is absent; nothing to measure", file=sys.stderr)
        return 2

    trees = {"this": str(ROOT / "src")}
    if args.before:
        trees = {"before": args.before, **trees}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    summary_path = args.json or str(Path(tempfile.mkdtemp()) / "summary.json")
    for n in range(args.passes):
        for name, src in trees.items():
            last = n == args.passes - 1 and name == "this"
            runs[name].append(in_process(src, args.log, args.every, summary_path if last else None))

    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print(f"log: {args.log}" + (f" (every {args.every}th incident)" if args.every > 1 else ""))
    first = runs["this"][0]
    print(
        f"{first['rows']} rows, {first['incidents']} incidents, {first['evaluations']} "
        f"evaluations; CPU seconds, median of {args.passes} pass(es) per tree"
    )
    print(f"{'tree':<8} {'load':>7} {'convert':>8} {'evaluate':>9} {'total':>7}  us/evaluation")
    for name, passes in runs.items():
        parts = {
            k: statistics.median(p[k] for p in passes) for k in ("load", "convert", "evaluate")
        }
        total = sum(parts.values())
        per = 1e6 * parts["evaluate"] / first["evaluations"]
        print(
            f"{name:<8} {parts['load']:7.2f} {parts['convert']:8.2f} {parts['evaluate']:9.2f} "
            f"{total:7.2f}  {per:.0f}"
        )
    digests = {p["summary_sha256"] for passes in runs.values() for p in passes}
    same = len(digests) == 1
    print(f"summaries: {'identical' if same else 'DIFFER'} across trees and passes")

    if args.workers:
        if args.every > 1:
            raise SystemExit("replay_bench: --workers replays the whole log; drop --every")
        library = json.loads(Path(summary_path).read_text())  # escalate.replay's, this tree
        for workers in (int(n) for n in args.workers.split(",")):
            wall, summary = command(trees["this"], args.log, workers)
            same = "the library's summary" if summary == library else "A DIFFERENT SUMMARY"
            print(f"escalate replay --workers {workers}: {wall:.2f} s wall, {same}")
            same = same and summary == library
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
