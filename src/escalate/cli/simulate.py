"""``escalate simulate``: a ticket's future as a timeline, through scripted events.

The events file is a JSON or YAML list of ticket events, each placed by ``at`` (an instant)
or ``after`` (a duration from the start, ``10m``): ``[{after: 10m, type: acknowledged,
actor: anna.schmidt}]``. An error in it names the file, line and column; every event's own
problems are reported at once, one a line, in file order.
"""

from __future__ import annotations

import argparse
from typing import Any

from escalate.cli._io import (
    error,
    instant_arg,
    load_policy,
    out,
    print_json,
    read_availability,
    read_input,
    read_ticket,
    shown_path,
)
from escalate.errors import EscalateError, PolicyError, TicketError
from escalate.policy._yaml import Positions, parse_yaml
from escalate.whatif.simulate import (
    DEFAULT_MAX_STEPS,
    ScriptedEventError,
    ScriptedEventErrors,
    SimulationError,
    simulate,
)

MAX_EVENTS_BYTES = 1024 * 1024
"""Largest events file read, in bytes."""

#: The option that sets each argument of :func:`simulate` a :class:`SimulationError` names.
_OPTIONS = {"start": "--from", "until": "--until", "max_steps": "--max-steps"}


def register(sub: Any) -> None:
    cmd = sub.add_parser(
        "simulate",
        help="a ticket's future: every step at which its decision changes, up to --until",
        description=(
            "Evaluate the ticket at its last event (or --from), then at every instant its "
            "decision can change (next_evaluation_at) and at every scripted event, up to "
            "--until. Nobody acts unless the events file says so."
        ),
    )
    cmd.add_argument("--policy", required=True, help="policy file or folder")
    cmd.add_argument("--ticket", required=True, help="ticket JSON file ('-': standard input)")
    cmd.add_argument("--until", required=True, type=instant_arg, help="last instant (ISO)")
    cmd.add_argument(
        "--from",
        dest="start",
        type=instant_arg,
        help="first instant (ISO; default: the ticket's last event)",
    )
    cmd.add_argument(
        "--events",
        help="scripted events: a JSON or YAML list, each with 'at' or 'after' (e.g. 10m); "
        "'-': standard input",
    )
    cmd.add_argument("--availability", help="availability JSON (out of office, unreachable)")
    cmd.add_argument(
        "--max-steps",
        type=steps_arg,
        default=DEFAULT_MAX_STEPS,
        help=f"stop with an error beyond this many steps (default {DEFAULT_MAX_STEPS})",
    )
    cmd.add_argument("--json", action="store_true", help="print the simulation as JSON")
    cmd.set_defaults(run=run)


def steps_arg(text: str) -> int:
    """A ``--max-steps`` value: a positive whole number."""
    if not text.isascii() or not text.isdigit() or len(text) > 9 or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def run(args: argparse.Namespace) -> int:
    policy = load_policy(args.policy)
    ticket = read_ticket(args.ticket, policy.empty_values)
    availability = read_availability(args.availability)
    events: list[Any] = []
    positions: Positions | None = None
    if args.events is not None:
        events, positions = read_events(args.events)
    try:
        simulation = simulate(
            policy,
            ticket,
            until=args.until,
            start=args.start,
            events=events,
            availability=availability,
            max_steps=args.max_steps,
        )
    except SimulationError as exc:  # the library's words, under the option to change
        raise EscalateError(f"{_OPTIONS[exc.argument]}: {exc}") from None
    except ScriptedEventErrors as exc:  # every problem, one per line, in file order
        problems = sorted(
            (_located(e, args.events, positions, args.ticket) for e in exc.errors),
            key=lambda located: located[0],
        )
        for _, problem in problems:
            error(f"escalate: error: {problem}")
        error(f"escalate: {len(problems)} problems; the scripted events do not run")
        return 2
    except TicketError as exc:
        raise EscalateError(_located(exc, args.events, positions, args.ticket)[1]) from None
    if args.json:
        print_json(simulation.to_dict())
    else:
        out(simulation.table(), keep_newlines=True)
    return 0


def read_events(path: str) -> tuple[list[Any], Positions]:
    """The scripted events of a JSON or YAML file (``-``: standard input), with the position
    of every key."""
    raw = read_input(path, "events", "--events")
    path = shown_path(path)
    try:
        data, positions = parse_yaml(
            raw, path, max_bytes=MAX_EVENTS_BYTES, document="an events file"
        )
    except PolicyError as exc:  # paths named as the library names them: events[0].actor
        raise exc.under(("events",)) if exc.path else exc from None
    if not isinstance(data, list):
        raise EscalateError(
            f"{path}: the scripted events must be a list of events (got "
            f"{'nothing' if data is None else type(data).__name__})"
        )
    return data, positions


def _located(
    exc: TicketError, events: str | None, positions: Positions | None, ticket: str
) -> tuple[tuple[int, int], str]:
    """A ticket error named by where it stands: a scripted event's file, line and column, or
    the ticket file; with its line and column, to sort by (``(0, 0)`` when not known)."""
    if not isinstance(exc, ScriptedEventError):
        return (0, 0), f"{shown_path(ticket)}: {exc}"
    source = None if positions is None else positions.of(exc.path[1:])
    if source is None:
        return (0, 0), f"{shown_path(events or '--events')}: {exc}"
    return (source[1], source[2]), f"{source[0]}:{source[1]}:{source[2]}: {exc}"
