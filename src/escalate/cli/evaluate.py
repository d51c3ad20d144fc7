"""``escalate evaluate`` and ``escalate explain``: one ticket's decision at an instant."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from escalate.cli._io import (
    decide,
    instant_arg,
    load_policy,
    out,
    read_availability,
    write,
)


def register(sub: Any) -> None:
    for name, text in (
        ("evaluate", "evaluate one ticket at an instant"),
        ("explain", "evaluate and print the full trace"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--policy", required=True, help="policy file or folder")
        cmd.add_argument("--ticket", required=True, help="ticket JSON file ('-': stdin)")
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
        cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    policy = load_policy(args.policy)
    availability = read_availability(args.availability)
    decision = decide(policy, args.ticket, args.at, availability)
    if args.json:
        # ASCII: json.dumps escapes control and bidi characters itself.
        write(sys.stdout, decision.to_json(trace=args.command == "explain"))
    else:
        out(decision.explain(full=args.command == "explain"), keep_newlines=True)
    return 0
