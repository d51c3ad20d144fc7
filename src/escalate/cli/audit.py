"""``escalate audit record|verify|replay``: write a hash-chained audit trail, check it, replay it.

* ``record`` evaluates tickets at ``--at`` and appends to ``--out`` (created when missing):
  a ``policy`` record when the trail does not hold that version yet, then a ``decision``
  record per ticket and an ``override`` / ``acknowledgement`` record per such event not
  recorded yet. It refuses to append to a trail whose chain is broken (exit 2).
* ``verify FILE``: exit 0 when the chain is intact, 1 naming the first broken record.
* ``replay FILE``: exit 0 when the chain is intact and nothing deviates, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast

from escalate.audit.chain import ChainReport, Lines, counted, verify_chain
from escalate.audit.files import append_records
from escalate.audit.records import AuditTrail
from escalate.audit.replay import AuditReport, replay_audit
from escalate.cli._corpus import (
    add_recount_option,
    decide_entry,
    read_corpus,
    with_recurrence_fields,
)
from escalate.cli._io import (
    STDIN,
    UsageError,
    _Stdin,
    instant_arg,
    load_policy,
    out,
    print_json,
)
from escalate.engine.decision import Decision
from escalate.errors import ArgumentError, EscalateError
from escalate.people.availability import Availability

Report = ChainReport | AuditReport


def register(sub: Any) -> None:
    cmd = sub.add_parser(
        "audit",
        help="record decisions in a hash-chained audit trail, verify it, replay it",
        description=(
            "Audit trails (docs/audit.md): 'record' appends policy, decision, override and "
            "acknowledgement records to a JSON Lines file whose records are chained by "
            "SHA-256; 'verify' checks the chain and names the first broken record (exit 1); "
            "'replay' decides every recorded decision again under the recorded policy "
            "version and lists deviations: missed or undue actions, unauthorised overrides, "
            "decisions that differ (exit 1)."
        ),
    )
    actions = cmd.add_subparsers(dest="audit_command", required=True, metavar="ACTION")

    record = actions.add_parser(
        "record",
        help="evaluate tickets and append their records to a trail",
        description="Evaluate every ticket at --at and append the records to --out.",
    )
    record.add_argument("--policy", required=True, help="the policy file or folder")
    record.add_argument(
        "--tickets",
        required=True,
        help="a folder of *.json ticket files, a .json ticket or a JSONL file (a ticket a "
        "line; '-': JSONL on standard input)",
    )
    record.add_argument("--at", required=True, type=instant_arg, help="ISO instant with offset")
    record.add_argument("--out", required=True, help="the trail (JSON Lines; appended to)")
    record.add_argument("--json", action="store_true", help="print what was appended as JSON")
    add_recount_option(record)
    record.set_defaults(run=run_record)

    verify = actions.add_parser(
        "verify",
        help="check a trail's chain (exit 1 at the first broken record)",
        description="Check every record's hash, seq and prev; name the first broken record.",
    )
    verify.add_argument("path", metavar="FILE", help="the trail (JSON Lines; '-': standard input)")
    verify.add_argument(
        "--expect-head",
        metavar="HASH",
        help="the last record's hash as stored elsewhere: exit 1 when the trail ends with "
        "another (records cut off the end, or appended since)",
    )
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.set_defaults(run=run_verify)

    replay = actions.add_parser(
        "replay",
        help="replay a trail's decisions and list deviations (exit 1 if any)",
        description=(
            "Decide every recorded decision again under its recorded policy version and "
            "check the recorded histories: missed and undue actions, unauthorised overrides."
        ),
    )
    replay.add_argument("path", metavar="FILE", help="the trail (JSON Lines; '-': standard input)")
    replay.add_argument("--json", action="store_true", help="print the report as JSON")
    replay.set_defaults(run=run_replay)


class _Unrecordable(EscalateError):
    """A ticket of the batch holds what a record cannot (an integer beyond +-(2**53 - 1))."""


def run_record(args: argparse.Namespace) -> int:
    policy = load_policy(args.policy)
    entries = with_recurrence_fields(policy, read_corpus(args.tickets), recount=args.recount)
    decisions: list[Decision] = [decide_entry(policy, e, args.at, Availability()) for e in entries]
    added: list[dict[str, Any]] = []

    def build(trail: AuditTrail) -> None:
        # The whole batch is built before anything is written (append_records writes once
        # build returns): a ticket that cannot be recorded leaves the trail as it was.
        first = trail.seq
        trail.add_policy(policy, args.at)
        for entry, decision in zip(entries, decisions, strict=True):
            try:
                trail.add_decision(decision, policy)
            except ArgumentError as exc:
                where = str(exc).removeprefix("body.ticket.").removeprefix("body.")
                raise _Unrecordable(
                    f"{entry.where}: the ticket cannot be recorded in an audit trail, nothing "
                    f"was appended: {where}"
                ) from None
        added.extend(
            {"seq": r.seq, "kind": r.kind, "hash": r.hash} for r in trail.records if r.seq > first
        )

    try:
        append_records(args.out, build)
    except _Unrecordable:
        raise
    except EscalateError as exc:
        raise EscalateError(f"--out: {exc}") from None
    if args.json:
        print_json({"out": args.out, "appended": added})
    else:
        kinds: dict[str, int] = {}
        for entry in added:
            kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
        summary = ", ".join(counted(n, kind) for kind, n in sorted(kinds.items())) or "nothing"
        head = added[-1]["hash"] if added else "-"
        out(f"appended to {args.out}: {summary}; last hash {head}")
    return 0


def _trail(path: str) -> Lines:
    """The trail named on the command line: a file read a line at a time, or standard input
    for ``-`` (like every input of the CLI, docs/cli.md)."""
    if path == STDIN:
        if _Stdin.reader is not None:
            raise UsageError(
                f"FILE -: standard input is already read for {_Stdin.reader}; only one input "
                "can come from '-'"
            )
        _Stdin.reader = "FILE"
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            raise EscalateError(
                "FILE: cannot read the audit trail from standard input: there is none"
            )
        return cast("Iterable[bytes]", stream)
    return Path(path)


def _run(check: Callable[[], Report], as_json: bool) -> int:
    try:
        report = check()
    except EscalateError as exc:
        raise EscalateError(f"FILE: {exc}") from None
    if as_json:
        print_json(report.to_dict())
    else:
        out(report.text(), keep_newlines=True)
    return 0 if report.ok else 1


def run_verify(args: argparse.Namespace) -> int:
    trail = _trail(args.path)
    return _run(lambda: verify_chain(trail, expect_head=args.expect_head), args.json)


def run_replay(args: argparse.Namespace) -> int:
    trail = _trail(args.path)
    return _run(lambda: replay_audit(trail), args.json)
