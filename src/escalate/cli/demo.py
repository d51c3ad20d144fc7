"""``escalate demo``: the bundled example tickets evaluated, as a table and one explanation."""

from __future__ import annotations

import argparse
import os
from typing import Any

from escalate.cli._io import decide, escape, instant_arg, out, read_availability
from escalate.engine.decision import Decision, iso
from escalate.errors import EscalateError
from escalate.policy.loader import load

DEMO_POLICY = "rules/itil-default.yaml"
DEMO_TICKETS = "examples/tickets"
DEMO_AT = "2024-11-20T15:00:00+00:00"
DEMO_AVAILABILITY = "examples/availability.json"


def register(sub: Any) -> None:
    cmd = sub.add_parser("demo", help="evaluate the bundled example tickets")
    cmd.add_argument("--policy", default=DEMO_POLICY)
    cmd.add_argument("--tickets", default=DEMO_TICKETS)
    cmd.add_argument("--at", type=instant_arg, default=instant_arg(DEMO_AT))
    cmd.add_argument(
        "--availability",
        help=f"availability JSON (default: {DEMO_AVAILABILITY} when it exists)",
    )
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    policy = load(args.policy)
    files = _json_files(args.tickets)
    availability_path = args.availability
    if availability_path is None and os.path.exists(DEMO_AVAILABILITY):
        availability_path = DEMO_AVAILABILITY
    availability = read_availability(availability_path)
    at = args.at
    decisions = [decide(policy, file, at, availability) for file in files]
    out(f"policy {policy.id} v{policy.version} ({policy.content_hash[:12]}) at {iso(at)}")
    out()
    rows = [tuple(escape(str(cell)) for cell in _row(d)) for d in decisions]
    header = ("ticket", "prio", "resolution", "service-desk", "due actions", "next evaluation")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        out("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    busiest = max(decisions, key=lambda d: (len(d.actions), d.ticket_id))
    out()
    out(f"why {busiest.ticket_id}:")
    out()
    out(busiest.explain(), keep_newlines=True)
    return 0


def _json_files(folder: str) -> list[str]:
    """The ``*.json`` files of the demo's ticket folder, in name order."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if e.name.endswith(".json"))
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "a path cannot hold a NUL character"
        raise EscalateError(f"cannot list ticket folder {folder!r}: {why}") from None
    if not names:
        raise EscalateError(f"no ticket JSON files in {folder!r}")
    return [os.path.join(folder, name) for name in names]


def _row(decision: Decision) -> tuple[Any, ...]:
    clock = decision.clocks.get("resolution")
    pct = "-"
    if clock is not None and clock.applies:
        pct = f"{clock.fact('percent')} {clock.state}"
    desk = decision.paths.get("service-desk")
    level = "-"
    if desk is not None and desk.active and desk.level_name is not None:
        level = desk.level_name
    kinds = ", ".join(a.kind + ("*" if a.late else "") for a in decision.actions) or "-"
    nxt = iso(decision.next_evaluation_at) or "-"
    return (decision.ticket_id, decision.priority or "-", pct, level, kinds, nxt)
