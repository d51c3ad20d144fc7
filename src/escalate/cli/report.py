"""``escalate report``: the escalation report of a ticket corpus or a ServiceNow log, as HTML.

The tickets come from ``--tickets`` (a corpus, every ticket decided at ``--at``) or from
``--servicenow`` (a log of record snapshots: each incident rebuilt from its rows, as
``escalate replay`` rebuilds it, and decided **once**, at its last update; the mapping
options ``--time-zone``, ``--counters`` ... are refused without it). A policy with a
``recurrence:`` section has its two fields filled over all the tickets before any is decided,
as the other corpus commands do (:func:`escalate.cli._corpus.with_recurrence_fields` for a
corpus, with ``--recount``; :func:`escalate.cli.replay.numbered_recurrences` over a log's
rebuilt incidents, as ``escalate replay`` counts them). Each
decision is read into the report as it is made and then let go (a log's rows too, once its
incident is rebuilt), so the whole log's decisions are never held at once. The engine is a
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
import contextlib
import gc
import json
import os
import zoneinfo
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from escalate.adapters.servicenow._log import IncidentReader
from escalate.calendars._durations import parse_duration
from escalate.cli._corpus import (
    add_recount_option,
    decide_entry,
    read_corpus,
    with_recurrence_fields,
)
from escalate.cli._io import instant_arg, load_policy, out, print_json, read_availability
from escalate.cli._servicenow_log import (
    Progress,
    add_mapping_options,
    group_log_file,
    mapping_of,
    read_incident,
)
from escalate.cli.replay import numbered_recurrences
from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision
from escalate.engine.ticket import Ticket
from escalate.errors import (
    ArgumentError,
    EscalateError,
    MissingExtraError,
    PolicyError,
    suggest,
)
from escalate.learning.recurrence import DEFAULT_FIELDS, recurrences

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
    availability = cmd.add_argument("--availability", help="availability JSON, for --tickets")
    add_mapping_options(cmd)
    mapping_options: dict[str, tuple[str, Any]] = {}
    for action in cmd._actions[cmd._actions.index(availability) + 1 :]:
        # The log's mapping options: only with --servicenow (checked in run(), which puts
        # back their defaults), so their defaults are None here, to see which were given.
        mapping_options[action.dest] = (action.option_strings[0], action.default)
        action.default = None
        action.required = False
    cmd.set_defaults(mapping_options=mapping_options)
    cmd.add_argument("--out", metavar="FILE", help="write the HTML page to FILE")
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
        metavar="FIELDS",
        help="comma-separated fields that make two tickets 'the same problem', for the "
        "report's recurrences (default: the policy's recurrence: fingerprint, else "
        f"{','.join(DEFAULT_FIELDS)}; fields.<name> for a custom field)",
    )
    cmd.add_argument(
        "--within",
        metavar="DURATION",
        help="how long after a fix a ticket with its fingerprint counts as recurring, for the "
        "report's recurrences (e.g. 14d; default: the policy's recurrence: within, else 30d)",
    )
    add_recount_option(cmd)
    cmd.add_argument("--quiet", action="store_true", help="no progress on stderr")
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.out is None and args.json is None:
        raise EscalateError("--out: give --out FILE (the page), --json [FILE] (the data), or both")
    if args.out == "-":
        raise EscalateError("--out: give a file; `-` is only for --json")
    if args.tickets is not None:
        if args.at is None:
            raise EscalateError("--at: --tickets needs the instant to decide the tickets at")
        for dest, (option, _) in args.mapping_options.items():
            if getattr(args, dest) is not None:
                raise EscalateError(
                    f"{option}: says how a ServiceNow log is written: only with --servicenow"
                )
    if args.servicenow is not None:
        if args.at is not None:
            raise EscalateError("--at: a log's incidents are each decided at their last update")
        if args.time_zone is None:
            raise EscalateError("--time-zone: --servicenow needs the zone the log is written in")
        if args.availability is not None:
            raise EscalateError("--availability: only with --tickets")
        if args.recount:
            raise EscalateError(
                "--recount recounts a corpus's recurrence counts; give --tickets (a log's "
                "incidents are counted from the log, and a column with a count's name is "
                "refused)"
            )
        for dest, (_, default) in args.mapping_options.items():
            if getattr(args, dest) is None:
                setattr(args, dest, default)
    try:
        from escalate.learning import report
    except MissingExtraError as exc:
        raise EscalateError(f"escalate report: {exc}") from None
    _check_zone(args.zone)
    for path, option in ((args.out, "--out"), (args.json, "--json")):
        if path not in (None, "-"):
            _check_writable(path, option)
    if args.out is not None and args.json not in (None, "-") and _same_file(args.out, args.json):
        raise EscalateError(
            f"--json: {args.json!r} is the --out file too: the data would overwrite the page; "
            "give two files"
        )
    fingerprint = _fingerprint(args.fingerprint)
    within = _within(args.within)
    policy = load_policy(args.policy)
    with _fewer_collections():
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
            within=within,
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
        count = data["tickets"]
        lines = [
            f"{count} ticket{'' if count == 1 else 's'}; escalated "
            f"{data['headline']['escalated']['percent']}; MTTA p50 {k['mtta']['p50'] or '-'}; "
            f"MTTR p50 {k['mttr']['p50'] or '-'}"
        ]
        lines += [f"wrote {path}" for path in (args.out, args.json) if path is not None]
        out("\n".join(lines), keep_newlines=True)
    return 0


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cycle collector run less often while the report is read (then as it was).

    A run builds a few hundred thousand objects that live to its end (the log's rows, each
    ticket and what the report keeps of it); every full collection walks them all, and with
    the default thresholds that was 13 % of the real log's CPU time. Cyclic garbage is still
    collected, after 50,000 allocations instead of 700."""
    before = gc.get_threshold()
    gc.set_threshold(50_000, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _fingerprint(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    fields = tuple(name.strip() for name in text.split(","))
    try:
        recurrences((), fields=fields)  # checks the names
    except ArgumentError as exc:
        raise EscalateError(f"--fingerprint: {exc}") from None
    return fields


def _within(text: str | None) -> timedelta | None:
    if text is None:
        return None
    try:
        return parse_duration(text, (), allow_business_days=False).delta
    except PolicyError as exc:
        raise EscalateError(f"--within: {exc.message}") from None


def _same_file(first: str, second: str) -> bool:
    """Whether two paths name one file (an existing one, or the same place)."""
    try:
        if os.path.samefile(first, second):
            return True
    except OSError:
        pass
    return os.path.realpath(first) == os.path.realpath(second)


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


def _corpus(args: argparse.Namespace, policy: Policy) -> tuple[Iterator[Decision], str]:
    availability = read_availability(args.availability)
    entries = with_recurrence_fields(policy, read_corpus(args.tickets), recount=args.recount)
    decisions = (decide_entry(policy, entry, args.at, availability) for entry in entries)
    at = args.at.astimezone(UTC).isoformat()
    return decisions, f"the tickets of {args.tickets}, decided at {at}"


# -- a ServiceNow log ----------------------------------------------------------------------------


def _rebuild(
    reader: IncidentReader, path: str, number: str, rows: Sequence[tuple[int, Row]]
) -> tuple[Ticket, datetime]:
    """One incident read from its rows, and the instant it is decided at: its last update."""
    incident = read_incident(reader, number, rows, path)
    ticket = incident.ticket
    last = max((u.at for u in incident.updates), default=ticket.opened_at)
    return ticket, max(last, ticket.opened_at)


def _log(args: argparse.Namespace, policy: Policy) -> tuple[Iterator[Decision], str]:
    path = args.servicenow
    mapping = mapping_of(args)
    grouped = group_log_file(path, mapping)
    if not grouped.incidents:
        raise EscalateError(f"--servicenow: {path} holds no incidents (no row below its header)")
    # Each incident's rows are let go once it is rebuilt: the log's rows are the largest thing
    # a run holds (the grouped rows of the real log are about 300 MB).
    pending = dict(grouped.incidents)
    rows, reader = grouped.rows, IncidentReader(mapping, grouped.state_column)
    del grouped
    total = len(pending)
    # Progress is quiet when the JSON goes to standard output, not when it goes to a file.
    shown = argparse.Namespace(quiet=args.quiet, json=args.json == "-")
    rebuilding = Progress(total, shown, command="report", verb="rebuilt", unit="incident")
    rebuilding.say(f"escalate: read {rows} rows, {total} incidents; rebuilding them")
    rebuilt: list[tuple[str, Ticket, datetime]] = []
    with rebuilding as report:
        for number in list(pending):
            ticket, last = _rebuild(reader, path, number, pending.pop(number))
            rebuilt.append((number, ticket, last))
            if report is not None:
                report(len(rebuilt))
    if policy.recurrence is not None:  # counted as replay counts them (its messages too)
        counts = numbered_recurrences(policy, ((n, t) for n, t, _ in rebuilt), path)
        rebuilt = [
            (n, t.with_fields(counts[n]) if counts.get(n) else t, last) for n, t, last in rebuilt
        ]
    name = os.path.basename(path)
    return (
        _decided(
            policy,
            rebuilt,
            path,
            Progress(total, shown, command="report", verb="decided", unit="incident"),
        ),
        f"ServiceNow log {name}, each incident decided at its last update",
    )


def _decided(
    policy: Policy, rebuilt: list[tuple[str, Ticket, datetime]], path: str, progress: Progress
) -> Iterator[Decision]:
    """Each rebuilt incident decided at its last update, one at a time; the list is emptied
    as it goes (the report keeps what it needs of each)."""
    rebuilt.reverse()
    done = 0
    with progress as report:
        while rebuilt:
            number, ticket, last = rebuilt.pop()
            try:
                decision = policy.evaluate(ticket, now=last)
            except EscalateError as exc:
                raise EscalateError(f"--servicenow: {path}: incident {number}: {exc}") from None
            done += 1
            if report is not None:
                report(done)
            yield decision
