"""``escalate demo``: the bundled example tickets evaluated, as a table and one explanation.

The pack (``rules/itil-default.yaml``), the example tickets and their availability ship inside
the package (``escalate/_data``, links to the repository's files), so the demo runs from any
folder. The table has one column per clock and per path of the policy shown.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from importlib import resources
from typing import Any

from escalate.cli._io import (
    decide,
    escape,
    instant_arg,
    load_policy,
    out,
    print_json,
    read_availability,
)
from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision, iso
from escalate.errors import EscalateError

DEMO_AT = "2024-11-20T15:00:00+00:00"
_DATA = resources.files("escalate").joinpath("_data")


def register(sub: Any) -> None:
    cmd = sub.add_parser("demo", help="evaluate the bundled example tickets")
    cmd.add_argument(
        "--policy", help="policy file or folder (default: the bundled rules/itil-default.yaml)"
    )
    cmd.add_argument(
        "--tickets", help="folder of ticket JSON files (default: the bundled examples/tickets)"
    )
    cmd.add_argument(
        "--at",
        type=instant_arg,
        default=instant_arg(DEMO_AT),
        help=f"ISO instant with offset, or 'now' (default: {DEMO_AT})",
    )
    cmd.add_argument(
        "--availability",
        help="availability JSON ('-': stdin; default: the bundled examples/availability.json "
        "when --tickets is not given, none otherwise)",
    )
    cmd.add_argument("--json", action="store_true", help="print the decisions as one JSON document")
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        policy_path = args.policy or stack.enter_context(_bundled("itil-default.yaml"))
        if args.tickets is None:
            tickets = [
                stack.enter_context(_bundled("tickets", name)) for name in _bundled_tickets()
            ]
            availability_path = args.availability or stack.enter_context(
                _bundled("availability.json")
            )
        else:
            tickets = _json_files(args.tickets)
            availability_path = args.availability
        policy = load_policy(policy_path)
        availability = read_availability(availability_path)
        decisions = [decide(policy, file, args.at, availability, "--tickets") for file in tickets]
    if args.json:
        print_json(_document(policy, args.at, decisions))
    else:
        _table(policy, args.at, decisions)
    return 0


def _document(policy: Policy, at: datetime, decisions: list[Decision]) -> dict[str, Any]:
    """The ``--json`` output: the policy, the instant and every ticket's decision."""
    return {
        "policy": {
            "id": policy.id,
            "version": policy.version,
            "content_hash": policy.content_hash,
        },
        "at": iso(at),
        "decisions": [d.to_dict(trace=False) for d in decisions],
    }


def _table(policy: Policy, at: datetime, decisions: list[Decision]) -> None:
    out(f"policy {policy.id} v{policy.version} ({policy.content_hash[:12]}) at {iso(at)}")
    out()
    # The policy's clocks and paths, then any a segment adds, in the order first met.
    clocks = list(
        dict.fromkeys([c.name for c in policy.clocks] + [n for d in decisions for n in d.clocks])
    )
    paths = list(
        dict.fromkeys([p.name for p in policy.paths] + [n for d in decisions for n in d.paths])
    )
    header = tuple(
        escape(h) for h in ("ticket", "prio", *clocks, *paths, "due actions", "next evaluation")
    )
    rows = [tuple(escape(cell) for cell in _row(d, clocks, paths)) for d in decisions]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        out("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    out()
    for line in _legend(clocks, paths):
        out(line)
    busiest = max(decisions, key=lambda d: (len(d.actions), d.ticket_id))
    out()
    out(f"why {busiest.ticket_id}:")
    out()
    out(busiest.explain(), keep_newlines=True)


def _legend(clocks: list[str], paths: list[str]) -> list[str]:
    """What every column and marker of the table means."""
    lines = ["legend:"]
    if clocks:
        lines.append(
            f"  {', '.join(clocks)} (clocks): the share of the target elapsed and the clock's "
            "state; 'not started': its start has not happened; '-': no target for the priority"
        )
    if paths:
        lines.append(
            f"  {', '.join(paths)} (paths): the current level; '-': the path is not active"
        )
    lines.append("  due actions: '*' marks a late action (it was due before --at)")
    lines.append("  next evaluation: when the decision next changes without new events; '-': never")
    return lines


def _row(decision: Decision, clocks: list[str], paths: list[str]) -> tuple[str, ...]:
    cells = [decision.ticket_id, decision.priority or "-"]
    for name in clocks:
        clock = decision.clocks.get(name)
        if clock is None or clock.state == "not-applicable":
            cells.append("-")
        elif not clock.applies:
            cells.append("not started")
        else:
            cells.append(f"{clock.fact('percent')} {clock.state}")
    for name in paths:
        path = decision.paths.get(name)
        level = path.level_name if path is not None and path.active else None
        cells.append(level or "-")
    cells.append(", ".join(a.kind + ("*" if a.late else "") for a in decision.actions) or "-")
    cells.append(iso(decision.next_evaluation_at) or "-")
    return tuple(cells)


@contextmanager
def _bundled(*parts: str) -> Iterator[str]:
    """A file shipped in ``escalate/_data`` as a path on disk, for as long as it is needed."""
    with resources.as_file(_DATA.joinpath(*parts)) as path:
        yield str(path)


def _bundled_tickets() -> list[str]:
    """The names of the bundled example tickets, in name order."""
    return sorted(e.name for e in _DATA.joinpath("tickets").iterdir() if e.name.endswith(".json"))


def _json_files(folder: str) -> list[str]:
    """The ``*.json`` files of the demo's ticket folder, in name order."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if e.name.endswith(".json"))
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "a path cannot hold a NUL character"
        raise EscalateError(f"--tickets: cannot list ticket folder {folder!r}: {why}") from None
    if not names:
        raise EscalateError(f"--tickets: no ticket JSON files in {folder!r}")
    return [os.path.join(folder, name) for name in names]
