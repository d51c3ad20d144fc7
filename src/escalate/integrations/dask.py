"""Dask: decide a bag or a dataframe of tickets, and replay a bag of ServiceNow log rows.

Dask schedules; escalate only gives it functions. The policy travels as a
:class:`~escalate.integrations.PolicySource` (its text) and is compiled at most once per
worker process. Every result equals the one-process result: :func:`evaluate_bag` and
:func:`evaluate_frame` give each ticket's :meth:`~escalate.Decision.to_json` byte for byte
as ``policy.evaluate`` does, and :func:`replay_log` gives the
:class:`~escalate.adapters.servicenow.Replay` that :func:`escalate.replay` gives for the whole
log. Any scheduler works (threads, processes, ``dask.distributed``); a ticket that fails on a
worker raises :class:`~escalate.integrations.WorkerError` naming it when the result is computed
(a remote scheduler may append the worker's traceback to its text; ``what``, ``error`` and
``message`` hold the parts).
Needs ``pip install 'escalate[dask]'``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import dask.bag as db
import dask.dataframe as dd
import pandas as pd

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
    evaluate_partition,
    replay_incident,
)

__all__ = ["COLUMNS", "evaluate_bag", "evaluate_frame", "replay_log"]

#: The columns of :func:`evaluate_frame`'s result, as :func:`evaluate_bag`'s records' keys.
COLUMNS = ("ticket_id", "decision", "next_evaluation_at", "actions")


def evaluate_bag(policy: PolicySource, tickets: db.Bag, now: datetime) -> db.Bag:
    """Decide every ticket of ``tickets`` (mappings, or their JSON text) at ``now`` (aware).

    A lazy bag of records, one per ticket in the bag's order: ``ticket_id``, ``decision``
    (the decision's JSON text, as ``Decision.to_json()``), ``next_evaluation_at`` (ISO-8601
    UTC, or ``None``) and ``actions`` (how many are due). The policy is compiled here first,
    so a bad one fails before any task runs.
    """
    check_call(policy, now)
    if not isinstance(tickets, db.Bag):
        raise ArgumentError(f"tickets must be a dask Bag, got {type(tickets).__name__}")
    return tickets.map_partitions(_decide, policy, now)


def _decide(tickets: Iterable[object], policy: PolicySource, now: datetime) -> list[Any]:
    return list(evaluate_partition(policy, tickets, now))


def evaluate_frame(
    policy: PolicySource, frame: dd.DataFrame, now: datetime, *, ticket_column: str = "ticket"
) -> dd.DataFrame:
    """Decide the tickets of ``frame[ticket_column]`` (JSON text, or mappings) at ``now``.

    A lazy dataframe with the input's index and the columns :data:`COLUMNS` (``actions`` an
    integer column, the others text; ``next_evaluation_at`` missing when there is none).
    """
    check_call(policy, now)
    if not isinstance(frame, dd.DataFrame):
        raise ArgumentError(f"frame must be a dask DataFrame, got {type(frame).__name__}")
    if ticket_column not in frame.columns:
        raise ArgumentError(
            f"frame has no column {ticket_column!r} (columns: {', '.join(map(str, frame.columns))})"
        )
    return frame[ticket_column].map_partitions(
        _decide_frame, policy, now, meta=_table([], pd.RangeIndex(0))
    )


def _decide_frame(tickets: pd.Series, policy: PolicySource, now: datetime) -> pd.DataFrame:
    return _table(list(evaluate_partition(policy, tickets.tolist(), now)), tickets.index)


def _table(records: list[dict[str, Any]], index: pd.Index) -> pd.DataFrame:
    """Records as a frame with fixed dtypes, so every partition matches the declared meta."""
    text = {
        name: pd.Series([r[name] for r in records], index=index, dtype="string")
        for name in ("ticket_id", "decision", "next_evaluation_at")
    }
    count = pd.Series([r["actions"] for r in records], index=index, dtype="int64")
    return pd.DataFrame({**text, "actions": count}, index=index)[list(COLUMNS)]


def replay_log(
    policy: PolicySource,
    rows: db.Bag,
    mapping: ServiceNowMapping,
    *,
    clock: str | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> Replay:
    """Replay a ServiceNow snapshot log held as a bag of ``(line, row)`` pairs: ``line`` the
    row's line in the log (the header is line 1), ``row`` its columns as text (a
    ``csv.DictReader`` row). Rows are grouped by ``number`` and each incident is read and
    replayed on a worker; the result is what :func:`escalate.replay` gives for
    ``read_log(rows, mapping)`` in one process, computed here with the current scheduler.
    """
    local = compiled(policy)
    replay(local, (), clock=clock, max_steps=max_steps)  # the clock and the cap, checked here
    if not isinstance(rows, db.Bag):
        raise ArgumentError(f"rows must be a dask Bag, got {type(rows).__name__}")
    if not isinstance(mapping, ServiceNowMapping):
        raise ArgumentError(f"mapping must be a ServiceNowMapping, got {type(mapping).__name__}")
    grouped = rows.groupby(_number, shuffle="tasks")
    try:
        done = grouped.map(_replay_group, policy, mapping, clock, max_steps).compute()
    except WorkerError as exc:  # without the remote traceback a process scheduler appends
        raise WorkerError(exc.what, exc.error, exc.message) from None
    return assemble(local, done, clock=clock)


def _number(pair: tuple[int, Mapping[str, str]]) -> str:
    number = pair[1].get("number")
    return number if isinstance(number, str) else ""


def _replay_group(
    group: tuple[str, list[tuple[int, Mapping[str, str]]]],
    policy: PolicySource,
    mapping: ServiceNowMapping,
    clock: str | None,
    max_steps: int,
) -> ReplayedIncident:
    number, pairs = group
    return replay_incident(policy, mapping, number, pairs, clock=clock, max_steps=max_steps)
