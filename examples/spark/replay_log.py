"""Replay a ServiceNow log on a local Spark cluster and print what `escalate replay` prints.

    python examples/spark/replay_log.py ../shared/datasets/servicenow-incident-event-log.zip \
        --policy rules/itil-default.yaml --time-zone UTC [--master local[2]] [--json]

The log (a CSV, or a zip of one) is read here as `escalate replay` reads it, each row numbered
with its line; Spark holds the rows, groups them by incident and replays each incident on a
worker (escalate.integrations.spark.replay_log); the summary is the one `escalate replay`
gives in one process, figure for figure. Only the throughput line differs: it is the wall
time of the distributed replay (Spark's start excluded).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time

from pyspark.sql import SparkSession
from pyspark.sql.types import LongType, StringType, StructField, StructType

from escalate.adapters.servicenow import UCI_LOG_MAPPING
from escalate.cli._servicenow_log import log_rows
from escalate.cli.replay import text, throughput_of
from escalate.errors import EscalateError
from escalate.integrations import PolicySource
from escalate.integrations.spark import replay_log


def main(argv: list[str] | None = None, spark: SparkSession | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", help="the ServiceNow log: a .csv, or a .zip holding one")
    parser.add_argument("--policy", default="rules/itil-default.yaml", help="policy file or folder")
    parser.add_argument("--time-zone", required=True, help="IANA zone of the log's date-times")
    parser.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    parser.add_argument("--partitions", type=int, default=8, help="partitions of the rows")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    try:
        source = PolicySource.from_path(args.policy)
        mapping = dataclasses.replace(UCI_LOG_MAPPING, time_zone=args.time_zone)
        rows = list(enumerate(log_rows(args.log, option="log"), start=2))
    except EscalateError as exc:
        print(f"replay_log: {exc}", file=sys.stderr)
        return 2
    header = list(rows[0][1]) if rows else ["number"]
    schema = StructType(
        [StructField("line", LongType()), *(StructField(c, StringType()) for c in header)]
    )
    own = spark is None
    if spark is None:
        # Spark's Python workers run this interpreter, where escalate is installed (Spark
        # would start `python3` from PATH); a local cluster stays on the loopback interface.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = SparkSession.builder.master(args.master).appName("escalate-replay")
        if args.master.startswith("local"):
            builder = builder.config("spark.driver.host", "127.0.0.1").config(
                "spark.driver.bindAddress", "127.0.0.1"
            )
        spark = builder.config("spark.ui.enabled", "false").getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
    try:
        frame = spark.createDataFrame(
            [(line, *(row[c] for c in header)) for line, row in rows], schema
        ).repartition(args.partitions)
        started = time.perf_counter_ns()
        result = replay_log(frame, source, mapping)
        wall_ns = max(time.perf_counter_ns() - started, 1)
    except EscalateError as exc:
        print(f"replay_log: {exc}", file=sys.stderr)
        return 2
    finally:
        if own:
            spark.stop()
    summary = result.to_dict()
    throughput = throughput_of(result, wall_ns)
    if args.json:
        print(json.dumps({**summary, "throughput": throughput}, indent=2, sort_keys=True))
    else:
        print(text(result, summary, throughput))
    return 1 if result.findings or result.duplicates else 0


if __name__ == "__main__":
    sys.exit(main())
