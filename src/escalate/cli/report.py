"""``escalate report``: the escalation report of a ticket corpus or a ServiceNow log, as HTML.

The tickets come from ``--tickets`` (a corpus, every ticket decided at ``--at``) or from
``--servicenow`` (a log of record snapshots: each incident rebuilt from its rows, as
``escalate replay`` rebuilds it, and decided **once**, at its last update). The engine is a
pure function of a ticket's history and ``now``, so that one decision sees the clocks and
the paths' level history a replay's last decision sees, with one difference: a replay records
every due action as done, and an escalation recorded done stands even where a later change
(a priority lowered afterwards) would have moved it later; decided once, the history is
read as it stands at the end (docs/analytics.md gives the count on the real log).

The report's data (:func:`escalate.learning.report.report_data`) is written as a page with
``--out`` and as JSON with ``--json`` (standard output) or ``--json FILE``. matplotlib, the
``report`` extra, is imported only when the command runs, so ``escalate --help`` works
without it. Exit codes: 0 the report was written; 2 an error.
"""

from __future__ import annotations

import argparse
import json
import os
import zoneinfo
from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any

from escalate.adapters.servicenow._log import IncidentReader
from escalate.cli._corpus import decide_entry, read_corpus
from escalate.cli._io import instant_arg, load_policy, out, print_json, read_availability
from escalate.cli._servicenow_log import (
    Progress,
    add_mapping_options,
    group_log_file,
    mapping_of,
    read_incident,
)
from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision
from escalate.errors import ArgumentError, EscalateError, MissingExtraError, suggest
from escalate.learning.recurrence import DEFAULT_FIELDS, _check_fields

Row = Mapping[str, str]


def register(sub: Any) -> None:
    cmd = sub.add_parser(
        "report",
        help="the escalation report of a ticket corpus or a ServiceNow log: a static HTML "
        "page with plots, and its data as JSON",
        description=(
            "Decide every ticket (a corpus at --at, or each incident of a ServiceNow log at "
            "its last update) and write the escalation report: KPIs (MTTA, MTTE per level, "
            "MTTR, breach and reopen rates, reassignments), the escalation funnel, time to "
            "first escalation, breach rate by priority over time, the ping-pong graph, "
            "escalations by weekday and hour, and the patterns with recommendations. "
            "Needs matplotlib: pip install 'escalate[report]'. Exit 0: written; 2: an error."
        ),
    )
    cmd.add_argument("--policy", required=True, help="policy file or folder")
    source = cmd.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--tickets",
        help="a folder of *.json ticket files, a .json ticket or a JSONL file ('-': JSONL on "
        "standard input), decided at --at",
    )
    source.add_argument(
        "--servicenow",
        metavar="LOG",
        help="a ServiceNow log (a .csv of record snapshots, or a .zip of one): each incident "
        "decided at its last update; needs --time-zone",
    )
    cmd.add_argument(
        "--at",
        "--now",
        dest="at",
        type=instant_arg,
        help="the instant the --tickets corpus is decided at (ISO 8601 with an offset, or now)",
    )
    cmd.add_argument("--availability", help="availability JSON, for --tickets")
    add_mapping_options(cmd)
    for action in cmd._actions:
        if action.dest == "time_zone":
            action.required = False  # required with --servicenow only: checked in run()
    cmd.add_argument("--out", metavar="FILE", help="write the HTML page there")
    cmd.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="print the report's data as JSON, or write it to FILE",
    )
    cmd.add_argument(
        "--zone",
        default="UTC",
        help="IANA zone the periods and the heat map's hours are cut in (default UTC)",
    )
    cmd.add_argument(
        "--period",
        choices=("week", "month"),
        help="the breach rate's period (default: week when the openings span less than 13 "
        "weeks, else month)",
    )
    cmd.add_argument(
        "--fingerprint",
        default=",".join(DEFAULT_FIELDS),
        metavar="FIELDS",
        help="comma-separated fields that make two tickets 'the same problem', for "
        f"recurrence (default {','.join(DEFAULT_FIELDS)}; fields.<name> for a custom field)",
    )
    cmd.add_argument("--quiet", action="store_true", help="no progress on stderr")
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.out is None and args.json is None:
        raise EscalateError("--out: give --out FILE (the page), --json [FILE] (the data), or both")
    if args.tickets is not None and args.at is None:
        raise EscalateError("--at: --tickets needs the instant to decide the tickets at")
    if args.servicenow is not None:
        if args.at is not None:
            raise EscalateError("--at: a log's incidents are each decided at their last update")
        if args.time_zone is None:
            raise EscalateError("--time-zone: --servicenow needs the zone the log is written in")
        if args.availability is not None:
            raise EscalateError("--availability: only with --tickets")
    try:
        from escalate.learning import report
    except MissingExtraError as exc:
        raise EscalateError(f"escalate report: {exc}") from None
    _check_zone(args.zone)
    for path, option in ((args.out, "--out"), (args.json, "--json")):
        if path not in (None, "-"):
            _check_writable(path, option)
    fingerprint = tuple(name.strip() for name in args.fingerprint.split(","))
    try:
        _check_fields(fingerprint)
    except ArgumentError as exc:
        raise EscalateError(f"--fingerprint: {exc}") from None
    policy = load_policy(args.policy)
    if args.tickets is not None:
        decisions, source = _corpus(args, policy)
    else:
        decisions, source = _log(args, policy)
    data = report.report_data(
        decisions,
        policy,
        zone=args.zone,
        period=args.period,
        source=source,
        fingerprint=fingerprint,
    )
    if args.out is not None:
        _write(args.out, report.render_html(data), "--out")
    if args.json not in (None, "-"):
        _write(
            args.json,
            json.dumps(data, sort_keys=True, indent=2, ensure_ascii=True) + "\n",
            "--json",
        )
    if args.json == "-":
        print_json(data)
    else:
        k = data["kpis"]["all"]
        lines = [
            f"{data['tickets']} tickets; escalated {data['headline']['escalated']['percent']}; "
            f"MTTA p50 {k['mtta']['p50'] or '-'}; MTTR p50 {k['mttr']['p50'] or '-'}"
        ]
        lines += [f"wrote {path}" for path in (args.out, args.json) if path is not None]
        out("\n".join(lines), keep_newlines=True)
    return 0


def _check_zone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = suggest(name, zoneinfo.available_timezones())
        tail = f" (did you mean {hint!r}?)" if hint else ""
        raise EscalateError(f"--zone: unknown time zone {name!r}{tail}") from None


def _check_writable(path: str, option: str) -> None:
    """Said before the work, not after it: a page that cannot be written where asked."""
    folder = os.path.dirname(path) or "."
    if os.path.isdir(path):
        raise EscalateError(f"{option}: cannot write {path!r}: it is a folder")
    if not os.path.isdir(folder):
        raise EscalateError(f"{option}: cannot write {path!r}: no folder {folder!r}")


def _write(path: str, text: str, option: str) -> None:
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
    except OSError as exc:
        raise EscalateError(
            f"{option}: cannot write {path!r}: {exc.strerror or type(exc).__name__}"
        ) from None


# -- a corpus ----------------------------------------------------------------------------------


def _corpus(args: argparse.Namespace, policy: Policy) -> tuple[list[Decision], str]:
    availability = read_availability(args.availability)
    entries = read_corpus(args.tickets)
    decisions = [decide_entry(policy, entry, args.at, availability) for entry in entries]
    at = args.at.astimezone(UTC).isoformat()
    return decisions, f"the tickets of {args.tickets}, decided at {at}"


# -- a ServiceNow log ----------------------------------------------------------------------------


def _decide_incident(
    policy: Policy, reader: IncidentReader, path: str, number: str, rows: Sequence[tuple[int, Row]]
) -> Decision:
    """One incident read from its rows and decided at its last update."""
    incident = read_incident(reader, number, rows, path)
    ticket = incident.ticket
    last = max((u.at for u in incident.updates), default=ticket.opened_at)
    try:
        return policy.evaluate(ticket, now=max(last, ticket.opened_at))
    except EscalateError as exc:
        raise EscalateError(f"--servicenow: {path}: incident {number}: {exc}") from None


def _log(args: argparse.Namespace, policy: Policy) -> tuple[list[Decision], str]:
    mapping = mapping_of(args)
    grouped = group_log_file(args.servicenow, mapping)
    # Progress is quiet when the JSON goes to standard output, not when it goes to a file.
    shown = argparse.Namespace(quiet=args.quiet, json=args.json == "-")
    progress = Progress(
        len(grouped.incidents), shown, command="report", verb="decided", unit="incident"
    )
    progress.say(
        f"escalate: read {grouped.rows} rows, {len(grouped.incidents)} incidents; deciding"
    )
    reader = IncidentReader(mapping, grouped.state_column)
    decisions: list[Decision] = []
    with progress as report:
        for number, rows in grouped.incidents.items():
            decisions.append(_decide_incident(policy, reader, args.servicenow, number, rows))
            if report is not None:
                report(len(decisions))
    name = os.path.basename(args.servicenow)
    return decisions, f"ServiceNow log {name}, each incident decided at its last update"
