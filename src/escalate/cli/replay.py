"""``escalate replay``: a ServiceNow incident log replayed through a policy, summarised.

The log is a CSV (or a zip holding one) of full-record snapshots, one row per update, as the
UCI incident event log is. Its rows are grouped by incident
(:func:`escalate.adapters.servicenow._log.group_rows`: what
:func:`escalate.adapters.servicenow.read_log` does first) under a mapping built from the
options (the defaults are those of ``UCI_LOG_MAPPING``, but the time zone, which a log never
states, must be given); then each incident is read from its rows and replayed
(:class:`~escalate.adapters.servicenow._replay.Replayer`), here or, with ``--workers N``, in N
processes partitioned by incident number (``cli/_workers``), and the parts are put together in
log order: the same summary, byte for byte, whatever N. This command measures the wall time
of reading and replaying the log, for the throughput line; the library reads no clock.

A policy that declares ``recurrence:`` reads counts only the whole log gives: every incident
is read here first and the counts are filled from the rebuilt tickets
(:func:`log_recurrences`, as the corpus commands fill theirs) into each incident as it opened
(:func:`with_counts`), so every evaluation of the replay reads them, as a middleware that
filled them when the ticket arrived would have. Worker processes get the counts along with
the rows and read their incidents again (an incident is not sent to them whole); with one
process the incidents read here are replayed.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from escalate.adapters.servicenow import LogIncident, Replay
from escalate.adapters.servicenow._log import IncidentReader
from escalate.adapters.servicenow._replay import (
    DEFAULT_MAX_STEPS,
    PERCENTILES,
    Replayer,
    ReplayPart,
)
from escalate.cli._corpus import countable
from escalate.cli._io import add_backend_option, load_policy, out, print_json
from escalate.cli._servicenow_log import (
    Progress,
    add_mapping_options,
    group_log_file,
    mapping_of,
    read_incident,
)
from escalate.cli._workers import run_in_workers, workers_arg
from escalate.cli.simulate import steps_arg
from escalate.engine.compiled import Policy
from escalate.engine.ticket import Ticket
from escalate.errors import ArgumentError, EscalateError
from escalate.learning.recurrence import recurrence_values

#: How many cases of a kind the text summary lists (``--json`` lists them all).
SHOWN = 10

Row = Mapping[str, str]


def register(sub: Any) -> None:
    cmd = sub.add_parser(
        "replay",
        help="replay a ServiceNow incident log through a policy and summarise what it did",
        description=(
            "Rebuild every incident of a ServiceNow log (a CSV of record snapshots, or a zip "
            "holding one), evaluate it at every update and at every next_evaluation_at until it "
            "closes, record each due action as done, and summarise: escalations, breaches "
            "against the log's made_sla, ping-pong, time to first escalation, late and "
            "duplicate actions. Exit 1 when an incident could not be replayed to its end or an "
            "action was emitted again after it was done."
        ),
    )
    cmd.add_argument("--policy", required=True, help="policy file or folder")
    cmd.add_argument(
        "--servicenow", required=True, metavar="LOG", help="the log: a .csv, or a .zip of one"
    )
    add_mapping_options(cmd)
    cmd.add_argument(
        "--clock",
        help="the clock compared with made_sla (default: the policy's first resolution clock)",
    )
    cmd.add_argument(
        "--max-steps",
        type=steps_arg,
        default=DEFAULT_MAX_STEPS,
        help=f"most evaluations of one incident (default {DEFAULT_MAX_STEPS})",
    )
    cmd.add_argument(
        "--workers",
        type=workers_arg,
        default=1,
        metavar="N",
        help="read and replay the incidents in N processes, partitioned by number (default 1: "
        "this process); the summary is the same",
    )
    cmd.add_argument("--quiet", action="store_true", help="no progress on stderr")
    cmd.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_backend_option(cmd)
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    policy = load_policy(args.policy, backend=args.backend)
    mapping = mapping_of(args)
    try:  # an unknown --clock is said before the log is read
        replayer = Replayer(policy, clock=args.clock, max_steps=args.max_steps)
    except ArgumentError as exc:
        raise EscalateError(f"--clock: {exc}") from None
    started = time.perf_counter_ns()
    grouped = group_log_file(args.servicenow, mapping)
    progress = Progress(
        len(grouped.incidents), args, command="replay", verb="replayed", unit="incident"
    )
    in_workers = f" in {args.workers} processes" if args.workers > 1 else ""
    read_line = f"escalate: read {grouped.rows} rows, {len(grouped.incidents)} incidents"
    reader = IncidentReader(mapping, grouped.state_column)
    items = list(grouped.incidents.items())
    counts: dict[str, Mapping[str, int]] = {}
    read: list[LogIncident] = []
    if policy.recurrence is not None:  # counted over the whole log before any is replayed
        progress.say(f"{read_line}; counting the recurrences of policy {policy.id!r}")
        read = [read_incident(reader, number, rows, args.servicenow) for number, rows in items]
        counts = log_recurrences(policy, read, args.servicenow)
        if args.workers > 1:
            read = []  # each worker reads its incidents again, from their rows
        progress.say(f"escalate: replaying{in_workers}")
    else:
        progress.say(f"{read_line}; replaying{in_workers}")
    work = _Work(reader, replayer, args.servicenow, counts)
    parts: list[ReplayPart] = []
    with progress as report:
        done: Iterable[ReplayPart]
        if read:
            done = (replayer.part(with_counts(incident, counts)) for incident in read)
        else:
            done = run_in_workers(_replay_incident, work, items, _number, args.workers)
        for part in done:
            parts.append(part)
            if report is not None:
                report(len(parts))
    result = replayer.assemble(parts, rows=grouped.rows)
    wall_ns = max(time.perf_counter_ns() - started, 1)
    summary = result.to_dict()
    throughput = throughput_of(result, wall_ns, workers=args.workers)
    if args.json:
        print_json({**summary, "throughput": throughput})
    else:
        out(text(result, summary, throughput), keep_newlines=True)
    return 1 if result.findings or result.duplicates else 0


def throughput_of(result: Replay, wall_ns: int, *, workers: int | None = None) -> dict[str, Any]:
    """The summary's ``throughput``: wall seconds (an exact decimal, to the millisecond) and
    whole evaluations per second over ``wall_ns`` (at least 1), and ``workers`` when given;
    integers and exact decimals, as every figure escalate prints."""
    figures: dict[str, Any] = {
        "wall_seconds": str((Decimal(wall_ns) / 10**9).quantize(Decimal("0.001"))),
        "evaluations_per_second": result.evaluations * 10**9 // wall_ns,
    }
    if workers is not None:
        figures["workers"] = workers
    return figures


def log_recurrences(
    policy: Policy, incidents: Iterable[LogIncident], path: str, option: str = "--servicenow"
) -> dict[str, Mapping[str, int]]:
    """The fields ``policy``'s ``recurrence:`` fills for each of a log's ``incidents``, by
    number (:func:`numbered_recurrences` of their numbers and tickets)."""
    return numbered_recurrences(
        policy, ((incident.number, incident.ticket) for incident in incidents), path, option
    )


def numbered_recurrences(
    policy: Policy, tickets: Iterable[tuple[str, Ticket]], path: str, option: str = "--servicenow"
) -> dict[str, Mapping[str, int]]:
    """The fields ``policy``'s ``recurrence:`` fills for each of a log's incidents (``tickets``:
    its number and its ticket rebuilt from every row), by number (the counts depend only on
    what happened up to each opening: :mod:`escalate.learning.recurrence`); none without the
    section. An incident whose ticket the policy refuses is left out of the counts (its
    replay reports it). A log that gives one of the fields itself (a column of that name) is
    an error naming the incident: the counts would not be the policy's."""
    spec = policy.recurrence
    if spec is None:
        return {}
    numbers, counted = [], []
    for number, ticket in tickets:
        for name in spec.fields:
            if ticket.field_value(name) is not None or name in ticket.changed_fields:
                raise EscalateError(
                    f"{option}: {path}: incident {number} gives {name} (a column of "
                    f"the log), which policy {policy.id!r}'s recurrence: fills: name another "
                    "field in recurrence.fields"
                )
        if countable(policy, ticket):
            numbers.append(number)
            counted.append(ticket)
    values = recurrence_values(counted, policy)
    return dict(zip(numbers, values, strict=True))


def with_counts(incident: LogIncident, counts: Mapping[str, Mapping[str, int]]) -> LogIncident:
    """``incident`` with its recurrence fields (``counts[number]``, none when absent) set in
    the ticket as it opened, and so in every ticket of its replay."""
    fields = counts.get(incident.number)
    if not fields:
        return incident
    return dataclasses.replace(incident, opened=incident.opened.with_fields(fields))


class _Work:
    """What every incident's work shares (sent once to each worker process): the reader of
    the log's incidents, the replayer, the log's path for messages and the recurrence fields
    of each incident (:func:`log_recurrences`; empty without a ``recurrence:`` section)."""

    __slots__ = ("counts", "path", "reader", "replayer")

    def __init__(
        self,
        reader: IncidentReader,
        replayer: Replayer,
        path: str,
        counts: Mapping[str, Mapping[str, int]],
    ) -> None:
        self.reader = reader
        self.replayer = replayer
        self.path = path
        self.counts = counts

    def __getstate__(
        self,
    ) -> tuple[IncidentReader, Replayer, str, Mapping[str, Mapping[str, int]]]:
        return (self.reader, self.replayer, self.path, self.counts)

    def __setstate__(
        self, state: tuple[IncidentReader, Replayer, str, Mapping[str, Mapping[str, int]]]
    ) -> None:
        self.reader, self.replayer, self.path, self.counts = state


def _replay_incident(work: _Work, item: tuple[str, Sequence[tuple[int, Row]]]) -> ReplayPart:
    """One incident read from its rows and replayed (in a worker process, or here)."""
    number, rows = item
    incident = read_incident(work.reader, number, rows, work.path)
    return work.replayer.part(with_counts(incident, work.counts))


def _number(item: tuple[str, Sequence[tuple[int, Row]]]) -> str:
    """The partition key of an incident's rows: its number."""
    return item[0]


# -- the text summary -----------------------------------------------------------------------------


def text(result: Replay, summary: dict[str, Any], throughput: dict[str, Any]) -> str:
    """The summary as text: one block per question, cases cut to :data:`SHOWN`."""
    lines: list[str] = []
    add = lines.append
    policy = summary["policy"]
    incidents = summary["incidents"]
    evaluations = summary["evaluations"]
    add(f"policy {policy['id']} v{policy['version']}; clock compared with made_sla: {result.clock}")
    add(
        f"incidents: {incidents['total']} ({incidents['closed']} closed, {incidents['open']} "
        f"open at their last row, {incidents['stopped']} stopped early) from "
        f"{summary['rows']} rows"
    )
    add(
        f"evaluations: {evaluations['total']} ({evaluations['at_updates']} at updates, "
        f"{evaluations['at_wake_ups']} at wake-ups); {throughput['wall_seconds']} s, "
        f"{throughput['evaluations_per_second']} evaluations/s"
    )
    add("")
    escalations = summary["escalations"]
    add(f"level entries by path: {escalations['level_entries']}")
    for path, levels in escalations["by_path"].items():
        add(f"  {path}: " + ", ".join(f"{name} {n}" for name, n in levels.items()))
    add("")
    add("breaches (ours: the clock breached; log: made_sla false), by priority:")
    add("  priority  both  ours only  log only  neither  unknown  agreement")
    breaches = summary["breaches"]
    for name, row in [*breaches["by_priority"].items(), ("all", breaches["total"])]:
        add(
            f"  {name:<8}  {row['both']:>4}  {row['ours_only']:>9}  {row['log_only']:>8}  "
            f"{row['neither']:>7}  {row['unknown']:>7}  {_percent(row['agreement']):>9}"
        )
    add("")
    ping = summary["ping_pong"]
    add(f"ping-pong (a group, another, the first again): {_incidents(ping['count'])}")
    for case in ping["cases"][:SHOWN]:
        add(f"  {case['number']}: {' -> '.join(case['groups'])}")
    if ping["count"] > SHOWN:
        add(f"  ... and {ping['count'] - SHOWN} more (--json lists them all)")
    add("")
    first = summary["first_escalation"]
    add(
        f"time to first escalation: {first['incidents']} incidents escalated, "
        f"{first['without']} never; {_spread(first)}"
    )
    late = summary["late_actions"]
    add(
        f"late actions: {late['count']} of {summary['actions']} "
        f"({late['before_first_row']} due before the incident's first row); "
        f"lateness {_spread(late['lateness'])}"
    )
    duplicates = summary["duplicate_actions"]
    add(f"duplicate actions: {duplicates['count']}")
    for case in duplicates["cases"][:SHOWN]:
        add(f"  {case['number']}: {case['action_id']} at {case['at']} ({case['why']})")
    add("")
    anomalies = summary["anomalies"]
    add(
        "log anomalies (handled by the mapping's rules): "
        + (", ".join(f"{kind} {n}" for kind, n in anomalies["by_kind"].items()) or "none")
    )
    for case in anomalies["cases"][:SHOWN]:
        where = f"{case['number']} line {case['line']}"
        add(f"  {where}: {case['kind']} ({case['rule']}): {case['detail']}")
    if anomalies["count"] > SHOWN:
        add(f"  ... and {anomalies['count'] - SHOWN} more (--json lists them all)")
    counters = summary["counters"]
    add(
        f"counters (reassignments, reopens): the decisions used the "
        f"{counters['used'] or '-'} ones; ServiceNow's and the derived ones "
        f"disagree on {_incidents(counters['disagree'])}"
    )
    if counters["disagreeing"]:
        shown = ", ".join(counters["disagreeing"][:SHOWN])
        more = counters["disagree"] - SHOWN
        add(f"  {shown}" + (f" ... and {more} more (--json lists them all)" if more > 0 else ""))
    findings = summary["findings"]
    if findings:
        add("")
        add(f"stopped early: {_incidents(len(findings))}")
        for finding in findings[:SHOWN]:
            add(f"  {finding['number']} at {finding['at']}: {finding['kind']}: {finding['detail']}")
        if len(findings) > SHOWN:
            add(f"  ... and {len(findings) - SHOWN} more (--json lists them all)")
    return "\n".join(lines)


def _incidents(count: int) -> str:
    """``1 incident``, ``2 incidents``."""
    return f"{count} incident{'' if count == 1 else 's'}"


def _percent(agreement: str | None) -> str:
    """An agreement as the summary writes it (``79.53``), for reading: ``79.53%``; ``-``
    when nothing was known to agree on."""
    return "-" if agreement is None else f"{agreement}%"


def _spread(durations: dict[str, Any]) -> str:
    if durations["max"] is None:
        return "-"
    parts = [f"min {durations['min']}"]
    parts += [f"p{p} {durations[f'p{p}']}" for p in PERCENTILES]
    parts.append(f"max {durations['max']}")
    return ", ".join(parts)
