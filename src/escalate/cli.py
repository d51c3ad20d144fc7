"""The ``escalate`` command line: validate, evaluate, explain, schema, demo.

Exit codes: 0 ok; 1 a finding (``validate`` found lint problems); 2 a usage, load or input
error (the message names the file, line and key).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from escalate.engine.decision import Decision, iso
from escalate.engine.ticket import Ticket
from escalate.errors import EscalateError
from escalate.people.availability import Availability
from escalate.policy.lint import lint
from escalate.policy.loader import load
from escalate.schemas import KINDS as SCHEMA_KINDS
from escalate.schemas import json_schema

DEMO_POLICY = "rules/itil-default.yaml"
DEMO_TICKETS = "examples/tickets"
DEMO_AT = "2024-11-20T15:00:00+00:00"
DEMO_AVAILABILITY = "examples/availability.json"


def _instant(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 instant: {text!r}") from None
    if at.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no UTC offset; give one, e.g. {text}+00:00 (escalate never guesses)"
        )
    return at


def _read_json(path: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise EscalateError(f"cannot read {what} {path!r}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise EscalateError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise EscalateError(f"{path}: the {what} must be a JSON object")
    return data


def _read_ticket(path: str) -> Ticket:
    data = _read_json(path, "ticket")
    try:
        return Ticket.from_mapping(data)
    except EscalateError as exc:
        raise EscalateError(f"{path}: {exc}") from None


def _read_availability(path: str | None) -> Availability:
    if path is None:
        return Availability()
    try:
        return Availability.from_mapping(_read_json(path, "availability"))
    except EscalateError as exc:
        raise EscalateError(f"{path}: {exc}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="escalate", description="Deterministic escalation decisions from YAML policies."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    for name in ("validate", "lint"):
        validate = sub.add_parser(name, help="load a policy and lint it")
        validate.add_argument("path", help="policy file or folder")
        validate.add_argument(
            "--as-of",
            type=_instant,
            help="instant for time-based findings (stale contacts, schedule gaps); "
            "default: now, read from this machine's clock",
        )
        validate.add_argument("--horizon-days", type=int, default=14, help="schedule gap horizon")

    for name, text in (
        ("evaluate", "evaluate one ticket at an instant"),
        ("explain", "evaluate and print the full trace"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--policy", required=True, help="policy file or folder")
        cmd.add_argument("--ticket", required=True, help="ticket JSON file")
        cmd.add_argument("--at", required=True, type=_instant, help="ISO instant with offset")
        cmd.add_argument("--json", action="store_true", help="print the decision as JSON")
        cmd.add_argument("--availability", help="availability JSON (out of office, unreachable)")

    schema = sub.add_parser("schema", help="print the JSON Schema of a format (default: policy)")
    schema.add_argument("kind", nargs="?", default="policy", choices=SCHEMA_KINDS)

    demo = sub.add_parser("demo", help="evaluate the bundled example tickets")
    demo.add_argument("--policy", default=DEMO_POLICY)
    demo.add_argument("--tickets", default=DEMO_TICKETS)
    demo.add_argument("--at", type=_instant, default=_instant(DEMO_AT))
    demo.add_argument("--availability", default=DEMO_AVAILABILITY)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    try:
        if args.command in ("validate", "lint"):
            # The edge may read the clock; the core never does.
            as_of = args.as_of or datetime.now(UTC)
            return _validate(args.path, as_of, timedelta(days=args.horizon_days))
        if args.command in ("evaluate", "explain"):
            policy = load(args.policy)
            availability = _read_availability(args.availability)
            decision = policy.evaluate(
                _read_ticket(args.ticket), now=args.at, availability=availability
            )
            if args.json:
                print(decision.to_json(trace=args.command == "explain"))
            else:
                print(decision.explain(full=args.command == "explain"))
            return 0
        if args.command == "schema":
            print(json.dumps(json_schema(args.kind), indent=2, sort_keys=True))
            return 0
        return _demo(args.policy, args.tickets, args.at, args.availability)
    except EscalateError as exc:
        print(f"escalate: error: {exc}", file=sys.stderr)
        return 2


def _validate(path: str, as_of: datetime, horizon: timedelta) -> int:
    policy = load(path)
    findings = lint(policy, as_of=as_of, horizon=horizon)
    print(f"{path}: policy {policy.id} v{policy.version} ({policy.content_hash[:12]}) loads")
    for finding in findings:
        print(f"  {finding}")
    if findings:
        print(f"{len(findings)} finding(s)")
        return 1
    return 0


def _demo(policy_path: str, tickets_dir: str, at: datetime, availability_path: str) -> int:
    policy = load(policy_path)
    files = sorted(Path(tickets_dir).glob("*.json"))
    if not files:
        raise EscalateError(f"no ticket JSON files in {tickets_dir!r}")
    availability = _read_availability(
        availability_path if Path(availability_path).exists() else None
    )
    decisions = [
        policy.evaluate(_read_ticket(str(f)), now=at, availability=availability) for f in files
    ]
    print(f"policy {policy.id} v{policy.version} ({policy.content_hash[:12]}) at {iso(at)}\n")
    rows = [_row(d) for d in decisions]
    header = ("ticket", "prio", "resolution", "service-desk", "due actions", "next evaluation")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)))
    busiest = max(decisions, key=lambda d: (len(d.actions), d.ticket_id))
    print(f"\nwhy {busiest.ticket_id}:\n")
    print(busiest.explain())
    return 0


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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
