"""Spark: decide a DataFrame of tickets, and replay a DataFrame of ServiceNow log rows.

Spark schedules; escalate only gives it functions over partitions (``mapPartitions``). The
policy travels as a :class:`~escalate.integrations.PolicySource` (its text) and is compiled
at most once per Python worker process. Every result equals the one-process result:
:func:`evaluate_dataframe` gives each ticket's :meth:`~escalate.Decision.to_json` byte for
byte as ``policy.evaluate`` does, and :func:`replay_log` gives the
:class:`~escalate.adapters.servicenow.Replay` that :func:`escalate.replay` gives for the whole
log. Spark returns a worker's failure to the driver as text; :func:`replay_log` turns it back
into the :class:`~escalate.integrations.WorkerError` naming the ticket or incident, and
:func:`worker_errors` does the same around any action on :func:`evaluate_dataframe`'s lazy
result. Needs ``pip install 'escalate[spark]'`` and Java 17.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pyspark.sql import DataFrame, Row
from pyspark.sql.types import (
    IntegerType,
    LongType,
    ShortType,
    StringType,
    StructField,
    StructType,
)

from escalate.adapters.servicenow import Replay, ServiceNowMapping, replay
from escalate.adapters.servicenow._replay import DEFAULT_MAX_STEPS
from escalate.errors import ArgumentError
from escalate.integrations._worker import (
    PolicySource,
    ReplayedIncident,
    WorkerError,
    assemble,
    check_call,
    compiled,
    decision_record,
    replay_incident,
)

__all__ = ["SCHEMA", "evaluate_dataframe", "replay_log", "worker_errors"]

SCHEMA = StructType(
    [
        StructField("ticket_id", StringType(), nullable=False),
        StructField("decision", StringType(), nullable=False),
        StructField("next_evaluation_at", StringType(), nullable=True),
        StructField("actions", IntegerType(), nullable=False),
    ]
)
"""The schema of :func:`evaluate_dataframe`'s result: the ticket's id, the decision's JSON
text (``Decision.to_json()``), when to evaluate it again (ISO-8601 UTC; null: never) and how
many actions are due."""


@contextmanager
def worker_errors() -> Iterator[None]:
    """Turn a Spark failure that carries an escalate worker's error back into that
    :class:`~escalate.integrations.WorkerError` (naming the ticket), whatever Spark wrapped it
    in; any other error passes unchanged. Wrap the action that runs the work::

        with worker_errors():
            evaluate_dataframe(frame, source, now).write.parquet("decisions")
    """
    try:
        yield
    except WorkerError:
        raise
    except Exception as exc:
        found = WorkerError.from_text(str(exc))
        if found is None:
            raise
        raise found from None


def evaluate_dataframe(
    frame: DataFrame, policy: PolicySource, now: datetime, *, ticket_column: str = "ticket"
) -> DataFrame:
    """Decide the tickets of ``frame[ticket_column]`` (a string column of ticket JSON) at
    ``now`` (aware): a lazy DataFrame of :data:`SCHEMA`, one row per ticket, in the input's
    partitions and order. The policy is compiled here first, so a bad one fails before any
    task runs; a bad ticket fails the action that computes it (see :func:`worker_errors`).
    """
    check_call(policy, now)
    if not isinstance(frame, DataFrame):
        raise ArgumentError(f"frame must be a Spark DataFrame, got {type(frame).__name__}")
    field = _field(frame, ticket_column)
    if not isinstance(field.dataType, StringType):
        raise ArgumentError(
            f"column {ticket_column!r} must hold ticket JSON as strings, "
            f"got {field.dataType.simpleString()}"
        )
    decided = frame.select(ticket_column).rdd.mapPartitions(
        functools.partial(_decide, policy=policy, now=now)
    )
    return frame.sparkSession.createDataFrame(decided, SCHEMA)


def _decide(
    rows: Iterable[Row], *, policy: PolicySource, now: datetime
) -> Iterator[tuple[Any, ...]]:
    try:
        found = compiled(policy)
        for row in rows:
            record = decision_record(found, row[0], now)
            yield tuple(record[field.name] for field in SCHEMA.fields)
    except WorkerError as exc:  # Spark carries text only: the error goes as one marked line
        raise RuntimeError(exc.marked()) from None


def replay_log(
    rows: DataFrame,
    policy: PolicySource,
    mapping: ServiceNowMapping,
    *,
    line_column: str = "line",
    clock: str | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> Replay:
    """Replay a ServiceNow snapshot log held as a DataFrame: one row per log row, its columns
    as strings (a null is an empty cell, as Spark's CSV reader gives one) and ``line_column``
    (an integer) its line in the log (the header is line 1). Rows are grouped by ``number``
    and each incident is read and replayed on a worker; the result is what
    :func:`escalate.replay` gives for ``read_log(rows, mapping)`` in one process. A failure is
    the :class:`~escalate.integrations.WorkerError` naming the incident (and the line).
    """
    local = compiled(policy)
    replay(local, (), clock=clock, max_steps=max_steps)  # the clock and the cap, checked here
    if not isinstance(rows, DataFrame):
        raise ArgumentError(f"rows must be a Spark DataFrame, got {type(rows).__name__}")
    if not isinstance(mapping, ServiceNowMapping):
        raise ArgumentError(f"mapping must be a ServiceNowMapping, got {type(mapping).__name__}")
    if not isinstance(_field(rows, line_column).dataType, IntegerType | LongType | ShortType):
        raise ArgumentError(f"column {line_column!r} must hold each row's line as an integer")
    columns = [f.name for f in rows.schema.fields if f.name != line_column]
    for field in rows.schema.fields:
        if field.name != line_column and not isinstance(field.dataType, StringType):
            raise ArgumentError(
                f"column {field.name!r} must hold the log's text as strings, "
                f"got {field.dataType.simpleString()} (read the log without inferring a schema)"
            )
    keyed = rows.rdd.map(functools.partial(_keyed, line_column=line_column, columns=columns))
    replayed = keyed.groupByKey().map(
        functools.partial(
            _replay_group, policy=policy, mapping=mapping, clock=clock, max_steps=max_steps
        )
    )
    with worker_errors():
        done: list[ReplayedIncident] = replayed.collect()
    return assemble(local, done, clock=clock)


def _keyed(
    row: Row, *, line_column: str, columns: list[str]
) -> tuple[str, tuple[int, dict[str, str]]]:
    cells = {name: "" if row[name] is None else row[name] for name in columns}
    return (cells.get("number", ""), (row[line_column], cells))


def _replay_group(
    group: tuple[str, Iterable[tuple[int, dict[str, str]]]],
    *,
    policy: PolicySource,
    mapping: ServiceNowMapping,
    clock: str | None,
    max_steps: int,
) -> ReplayedIncident:
    number, pairs = group
    try:
        return replay_incident(
            policy, mapping, number, list(pairs), clock=clock, max_steps=max_steps
        )
    except WorkerError as exc:  # Spark carries text only: the error goes as one marked line
        raise RuntimeError(exc.marked()) from None


def _field(frame: DataFrame, name: str) -> StructField:
    for field in frame.schema.fields:
        if field.name == name:
            return field
    raise ArgumentError(
        f"the DataFrame has no column {name!r} (columns: {', '.join(frame.columns)})"
    )
