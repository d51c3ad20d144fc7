"""``escalate evaluate`` and ``escalate explain``: a ticket's decision at an instant, or a corpus's.

With ``--tickets`` (a corpus: a folder of ticket files or JSON Lines, see
:mod:`escalate.cli._corpus`) every ticket is decided at the same instant, in corpus order, as
one sweep (:meth:`escalate.Policy.evaluate_many`: the availability read once, people resolved
once for all); ``--workers N`` spreads the tickets over N processes, partitioned by ticket id
(:mod:`escalate.cli._workers`), with the same output byte for byte. For one ticket,
``--messages`` also renders the audience messages of the due notify actions
(:meth:`escalate.Policy.messages`) and ``--audience`` with ``--json`` prints the decision as
that audience may read it (:meth:`escalate.Policy.export`).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

from escalate.cli._corpus import Entry, add_recount_option, read_corpus, with_recurrence_fields
from escalate.cli._io import (
    UsageError,
    add_backend_option,
    decide,
    instant_arg,
    load_policy,
    out,
    print_json,
    read_availability,
    read_json,
    write,
)
from escalate.cli._workers import run_in_workers, workers_arg
from escalate.comms.models import AUDIENCES
from escalate.engine.compiled import Policy
from escalate.engine.decision import iso
from escalate.engine.messages import Message
from escalate.engine.sweep import Sweep
from escalate.errors import EscalateError


def register(sub: Any) -> None:
    for name, text in (
        ("evaluate", "evaluate one ticket (or a corpus of tickets) at an instant"),
        ("explain", "evaluate and print the full trace"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--policy", required=True, help="policy file or folder")
        which = cmd.add_mutually_exclusive_group(required=True)
        which.add_argument("--ticket", help="ticket JSON file ('-': stdin)")
        which.add_argument(
            "--tickets",
            help="a corpus: a folder of ticket JSON files or a JSON Lines file ('-': stdin)",
        )
        cmd.add_argument(
            "--at",
            required=True,
            type=instant_arg,
            help="ISO instant with offset, or 'now' (this machine's clock)",
        )
        cmd.add_argument("--json", action="store_true", help="print the decision as JSON")
        cmd.add_argument(
            "--availability",
            help="availability JSON: out of office, unreachable ('-': stdin)",
        )
        cmd.add_argument(
            "--messages",
            action="store_true",
            help="also render the audience messages of the due notify actions (one --ticket)",
        )
        cmd.add_argument(
            "--audience",
            choices=AUDIENCES,
            help="with --json: the decision as this audience may read it (redacted); with "
            "--messages: only this audience's messages",
        )
        cmd.add_argument(
            "--vendor",
            metavar="ID",
            help="with --audience vendor --json: the vendor the export is for (required when "
            "the policy declares vendors: only that vendor's shared fields and own state)",
        )
        cmd.add_argument(
            "--workers",
            type=workers_arg,
            default=1,
            metavar="N",
            help="with --tickets: decide in N processes, partitioned by ticket id (default 1)",
        )
        add_recount_option(cmd)
        add_backend_option(cmd)
        cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    full = args.command == "explain"
    if args.tickets is None and args.workers != 1:
        raise UsageError(
            "--workers decides a corpus in processes; give --tickets (one --ticket is decided here)"
        )
    if args.tickets is None and args.recount:
        raise UsageError(
            "--recount recounts a corpus's recurrence counts; give --tickets (one --ticket is "
            "decided as given)"
        )
    if args.tickets is not None and (args.messages or args.audience is not None):
        raise UsageError("--messages and --audience take one --ticket, not a corpus (--tickets)")
    if args.audience is not None and not (args.json or args.messages):
        raise UsageError("--audience chooses what --json or --messages show; give one of them")
    if args.vendor is not None and args.audience != "vendor":
        raise UsageError("--vendor chooses the vendor of --audience vendor; give that audience")
    policy = load_policy(args.policy, backend=args.backend)
    if args.tickets is not None:
        return _corpus(args, policy, full)
    availability = read_availability(args.availability)
    decision = decide(policy, args.ticket, args.at, availability)
    messages: tuple[Message, ...] = ()
    if args.messages:
        messages = tuple(
            m
            for m in policy.messages(decision, availability=availability)
            if args.audience is None or m.audience == args.audience
        )
    if args.json:
        if args.audience is not None:
            document: Any = policy.export(decision, audience=args.audience, vendor=args.vendor)
            if not full:
                document.pop("rules", None)
        else:
            document = decision.to_dict(trace=full)
        if args.messages:
            document = {"decision": document, "messages": [m.to_dict() for m in messages]}
        # ASCII: json.dumps escapes control and bidi characters itself.
        write(sys.stdout, json.dumps(document, sort_keys=True, indent=2, default=str))
        return 0
    out(decision.explain(full=full), keep_newlines=True)
    for message in messages:
        out()
        owner = "" if message.owner is None else f", owner {message.owner}"
        out(
            f"message {message.action_id} to {message.audience} via {message.channel} "
            f"(template {message.template}{owner})"
        )
        out(f"subject: {message.subject}")
        out(message.body, keep_newlines=True)
    return 0


def _corpus(args: argparse.Namespace, policy: Policy, full: bool) -> int:
    """Every ticket of ``--tickets`` decided at ``--at``: one explanation each, a blank line
    between them; with ``--json`` one document, ``{"policy", "at", "decisions"}``."""
    raw = None
    if args.availability is not None:
        read_availability(args.availability)  # every problem reported here, with its file
        raw = read_json(args.availability, "availability", "--availability")
    entries = with_recurrence_fields(policy, read_corpus(args.tickets), recount=args.recount)
    job = Job(policy, args.at, raw, as_json=args.json, full=full)
    results = run_in_workers(decide_entry, job, entries, _ticket_key, args.workers)
    if args.json:
        print_json(
            {
                "policy": {
                    "id": policy.id,
                    "version": policy.version,
                    "content_hash": policy.content_hash,
                },
                "at": iso(args.at),
                "decisions": list(results),
            }
        )
        return 0
    for number, text in enumerate(results):
        assert isinstance(text, str)  # an explanation, without --json
        if number:
            out()
        out(text, keep_newlines=True)
    return 0


def _ticket_key(entry: Entry) -> str:
    """The partition key of a corpus entry: its ticket id (where it was read when it has no
    string id: the ticket is refused when decided)."""
    ticket_id = entry.data.get("id")
    return ticket_id if isinstance(ticket_id, str) else entry.where


class Job:
    """What every ticket of a corpus shares: the policy, the instant, the availability, the
    output wanted, and the sweep's shared people work (one per process)."""

    def __init__(
        self,
        policy: Policy,
        at: datetime,
        availability: dict[str, Any] | None,
        *,
        as_json: bool,
        full: bool,
    ) -> None:
        self.policy = policy
        self.at = at
        self.availability = availability
        self.as_json = as_json
        self.full = full
        self.sweep: Sweep = policy._sweep(at, availability)

    def __reduce__(self) -> tuple[Any, ...]:
        # The sweep is rebuilt, empty, in each worker: what it remembers is this process's.
        return (
            _job,
            (self.policy, self.at, self.availability, self.as_json, self.full),
        )


def _job(
    policy: Policy,
    at: datetime,
    availability: dict[str, Any] | None,
    as_json: bool,
    full: bool,
) -> Job:
    return Job(policy, at, availability, as_json=as_json, full=full)


def decide_entry(job: Job, entry: Entry) -> dict[str, Any] | str:
    """One ticket of the corpus decided within the job's sweep, rendered: the decision
    document (``--json``) or its explanation. A ticket that does not fit is an error naming
    where it was read."""
    try:
        decision = job.policy._evaluate_in(job.sweep, entry.data)
    except EscalateError as exc:  # the ticket, or an instant of it a calendar cannot measure
        raise EscalateError(f"{entry.where}: {exc}") from None
    if job.as_json:
        return decision.to_dict(trace=job.full)
    return decision.explain(full=job.full)
