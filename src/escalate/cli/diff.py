"""``escalate diff``: which tickets' decisions differ between two policies, and how.

Exit codes: 0 the decisions agree for every ticket; 1 at least one differs (a ticket one
policy refuses and the other decides differs) or neither policy decides one (both refuse it:
no change, but nothing was compared); 2 an error.
"""

from __future__ import annotations

import argparse
from typing import Any

from escalate.cli._corpus import add_recount_option, read_corpus, with_recurrence_fields
from escalate.cli._io import instant_arg, load_policy, out, print_json, read_availability
from escalate.whatif.diff import PolicyDiff, compare, outcome


def register(sub: Any) -> None:
    cmd = sub.add_parser(
        "diff",
        help="compare two policies' decisions for a corpus of tickets (exit 1 if any differ)",
        description=(
            "Evaluate every ticket with the OLD and the NEW policy at --at and list, per ticket, "
            "what differs: segment, priority, rules, path levels, clocks and breach instants, "
            "due actions, next evaluation; or that one policy refuses the ticket (and why). "
            "Exit 0: every ticket decided alike; 1: some differ, or both policies refuse "
            "some; 2: an error."
        ),
    )
    cmd.add_argument("old", metavar="OLD", help="the current policy (file or folder)")
    cmd.add_argument("new", metavar="NEW", help="the changed policy (file or folder)")
    cmd.add_argument(
        "--tickets",
        required=True,
        help="a folder of *.json ticket files, a .json ticket or a JSONL file (a ticket a "
        "line; '-': JSONL on standard input)",
    )
    cmd.add_argument("--at", required=True, type=instant_arg, help="ISO instant with offset")
    cmd.add_argument("--availability", help="availability JSON (out of office, unreachable)")
    cmd.add_argument("--json", action="store_true", help="print the differences as JSON")
    add_recount_option(cmd)
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    old, new = load_policy(args.old, "OLD"), load_policy(args.new, "NEW")
    entries = read_corpus(args.tickets)
    availability = read_availability(args.availability)
    # each policy counts recurrences its own way (or not at all)
    olds = with_recurrence_fields(old, entries, recount=args.recount)
    news = with_recurrence_fields(new, entries, recount=args.recount)
    results = tuple(
        compare(
            outcome(old, old_entry.data, args.at, availability),
            outcome(new, new_entry.data, args.at, availability),
            source=entry.where,
            ticket_id=entry.data.get("id") if isinstance(entry.data.get("id"), str) else None,
        )
        for entry, old_entry, new_entry in zip(entries, olds, news, strict=True)
    )
    result = PolicyDiff(old, new, args.at, results)
    if args.json:
        print_json(result.to_dict())
    else:
        out(result.text(), keep_newlines=True)
    return 1 if result.differing or result.refused_by_both else 0
