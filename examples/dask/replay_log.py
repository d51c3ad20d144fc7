"""Replay a ServiceNow log on Dask worker processes and print what `escalate replay` prints.

    python examples/dask/replay_log.py ../shared/datasets/servicenow-incident-event-log.zip \
        --policy rules/itil-default.yaml --time-zone UTC [--workers 2] [--json]

The log (a CSV, or a zip of one) is read here as `escalate replay` reads it, each row numbered
with its line; a Dask bag holds the rows, groups them by incident and replays each incident on
a worker process (escalate.integrations.dask.replay_log); the summary is the one `escalate
replay` gives in one process, figure for figure. Only the throughput line differs: it is the
wall time of the distributed replay. For a cluster, start a dask.distributed Client first.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time

import dask
import dask.bag as db

from escalate.adapters.servicenow import UCI_LOG_MAPPING
from escalate.cli._servicenow_log import log_rows
from escalate.cli.replay import text, throughput_of
from escalate.errors import EscalateError
from escalate.integrations import PolicySource
from escalate.integrations.dask import replay_log


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", help="the ServiceNow log: a .csv, or a .zip holding one")
    parser.add_argument("--policy", default="rules/itil-default.yaml", help="policy file or folder")
    parser.add_argument("--time-zone", required=True, help="IANA zone of the log's date-times")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--partitions", type=int, default=8, help="partitions of the rows")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    try:
        source = PolicySource.from_path(args.policy)
        mapping = dataclasses.replace(UCI_LOG_MAPPING, time_zone=args.time_zone)
        rows = list(enumerate(log_rows(args.log, option="log"), start=2))
        started = time.perf_counter_ns()
        with dask.config.set(scheduler="processes", num_workers=args.workers):
            bag = db.from_sequence(rows, npartitions=max(1, min(args.partitions, len(rows))))
            result = replay_log(source, bag, mapping)
        wall_ns = max(time.perf_counter_ns() - started, 1)
    except EscalateError as exc:
        print(f"replay_log: {exc}", file=sys.stderr)
        return 2
    summary = result.to_dict()
    throughput = throughput_of(result, wall_ns)
    if args.json:
        print(json.dumps({**summary, "throughput": throughput}, indent=2, sort_keys=True))
    else:
        print(text(result, summary, throughput))
    return 1 if result.findings or result.duplicates else 0


if __name__ == "__main__":
    sys.exit(main())
