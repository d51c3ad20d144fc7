"""Spark: a DataFrame of tickets decided, and a log's rows replayed, in local mode.

One ``local[2]`` session for the module (starting Spark takes seconds): Python workers in
their own processes, so the policy travels as text and errors come back through the JVM as
they would from a cluster; each result is compared with the one computed in this process.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

pyspark_sql = pytest.importorskip(
    "pyspark.sql", reason="pyspark is not installed: pip install 'escalate[spark]'"
)

from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from pyspark.sql.types import LongType, StringType, StructField, StructType  # noqa: E402

from escalate.errors import ArgumentError, NaiveDatetimeError  # noqa: E402
from escalate.integrations import PolicySource, WorkerError  # noqa: E402
from escalate.integrations.spark import (  # noqa: E402
    SCHEMA,
    evaluate_dataframe,
    replay_log,
    worker_errors,
)

from .conftest import (  # noqa: E402
    LOGS,
    NOW,
    ROOT,
    UCI_LOG_MAPPING,
    cli_replay_json,
    corpus,
    expected_decisions,
    expected_replay,
    interleaved_log,
    numbered_rows,
    run_example,
)

# pyspark 3.5 leaves the sockets that bring results to the driver to the garbage collector.
pytestmark = [
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    # The Python workers run this interpreter (Spark would start `python3` from PATH).
    # Everything stays on the loopback interface.
    names = ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "SPARK_LOCAL_IP")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(dict.fromkeys(names[:2], sys.executable), SPARK_LOCAL_IP="127.0.0.1")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("escalate-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def tickets_frame(spark: SparkSession, tickets: list[dict[str, object]]) -> DataFrame:
    schema = StructType([StructField("ticket", StringType())])
    return spark.createDataFrame([(json.dumps(t),) for t in tickets], schema).repartition(3)


def log_frame(spark: SparkSession, text: str) -> DataFrame:
    rows = numbered_rows(text)
    header = list(rows[0][1])
    schema = StructType(
        [StructField("line", LongType()), *(StructField(c, StringType()) for c in header)]
    )
    data = [(line, *(row[c] or None for c in header)) for line, row in rows]  # "" as Spark's null
    return spark.createDataFrame(data, schema).repartition(3)


def test_a_dataframe_of_tickets_gives_each_decision_byte_for_byte(
    spark: SparkSession, pack_source: PolicySource
) -> None:
    tickets = corpus()
    result = evaluate_dataframe(tickets_frame(spark, tickets), pack_source, NOW)
    assert SCHEMA == result.schema
    rows = result.collect()
    assert expected_decisions(tickets) == {r.ticket_id: r.decision for r in rows}
    for row in rows:
        decision = json.loads(row.decision)
        assert decision["next_evaluation_at"] == row.next_evaluation_at
        assert len(decision["actions"]) == row.actions
    assert any(r.actions for r in rows)


def test_a_bad_ticket_surfaces_as_an_escalate_error_naming_it(
    spark: SparkSession, pack_source: PolicySource
) -> None:
    tickets = corpus()[:6]
    tickets[4] = {**tickets[4], "id": "BROKEN-7", "priority": "P9000"}
    result = evaluate_dataframe(tickets_frame(spark, tickets), pack_source, NOW)
    with (
        pytest.raises(WorkerError, match=r"^ticket BROKEN-7: TicketError: priority: .*'P9000'\)$"),
        worker_errors(),
    ):
        result.collect()


def test_the_log_replays_to_the_summary_of_one_process(
    spark: SparkSession, log_source: PolicySource
) -> None:
    text = interleaved_log()
    result = replay_log(log_frame(spark, text), log_source, UCI_LOG_MAPPING)
    assert expected_replay(text) == result.to_json()
    assert 14 == len(result.incidents)


def test_a_row_that_cannot_be_read_names_the_incident_and_its_line_in_the_log(
    spark: SparkSession, log_source: PolicySource
) -> None:
    text = interleaved_log().replace("INC2x3,Active,true,1,0,1,", "INC2x3,Active,true,1,0,one,")
    line = next(n for n, row in numbered_rows(text) if row["sys_mod_count"] == "one")
    with pytest.raises(
        WorkerError, match=rf"^incident INC2x3: LogError: sys_mod_count: line {line}: "
    ):
        replay_log(log_frame(spark, text), log_source, UCI_LOG_MAPPING)


def test_bad_arguments_fail_on_the_driver(spark: SparkSession, pack_source: PolicySource) -> None:
    frame = tickets_frame(spark, corpus()[:1])
    with pytest.raises(NaiveDatetimeError):
        evaluate_dataframe(frame, pack_source, datetime(2024, 11, 20, 15))
    with pytest.raises(ArgumentError, match="no column 'tickets'"):
        evaluate_dataframe(frame, pack_source, NOW, ticket_column="tickets")
    numbers = spark.createDataFrame([(1, 2)], "line long, number long")
    with pytest.raises(ArgumentError, match="column 'number' must hold the log's text"):
        replay_log(numbers, pack_source, UCI_LOG_MAPPING)


def test_the_example_prints_the_summary_escalate_replay_prints(
    spark: SparkSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "log.csv"
    log.write_text(interleaved_log(), encoding="utf-8")
    policy = LOGS / "policy.yaml"
    argv = [str(log), "--policy", str(policy), "--time-zone", "UTC", "--json", "--partitions", "2"]
    example = ROOT / "examples" / "spark" / "replay_log.py"
    assert 0 == run_example(example, argv, spark=spark)
    found = json.loads(capsys.readouterr().out)
    assert found.pop("throughput")["evaluations_per_second"] > 0
    assert cli_replay_json(log, policy, capsys) == found
