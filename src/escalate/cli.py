"""The ``escalate`` command line: validate, evaluate, explain, schema, demo.

Exit codes: 0 ok; 1 a finding (``validate`` found lint problems); 2 a usage, load or input
error (one line on stderr that names the file, line and key, or the option). Nothing else: an
unexpected exception is reported as an internal error in one line and also exits 2.

Text meant for a terminal is escaped: control, escape and bidirectional-formatting characters
(anything ``str.isprintable`` rejects) taken from a policy, a ticket or the command line are
printed the way Python's ``repr`` writes them (``\\x1b``, ``\\u202e``, ``\\r``), so an input
cannot recolour, rewrite or reorder what the user reads. JSON output is ASCII, with every such
character escaped by JSON itself.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn, TextIO

from escalate._models import read_instant
from escalate.calendars._instants import DAY_US, MAX_US, MIN_US, from_us, to_us
from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision, iso
from escalate.engine.ticket import Ticket
from escalate.errors import EscalateError, TicketError
from escalate.people.availability import Availability
from escalate.policy.lint import MAX_HORIZON, lint
from escalate.policy.loader import load, read_file
from escalate.schemas import KINDS as SCHEMA_KINDS
from escalate.schemas import json_schema

DEMO_POLICY = "rules/itil-default.yaml"
DEMO_TICKETS = "examples/tickets"
DEMO_AT = "2024-11-20T15:00:00+00:00"
DEMO_AVAILABILITY = "examples/availability.json"

MAX_JSON_BYTES = 16 * 1024 * 1024
"""Largest ticket or availability file read, in bytes (a ticket with 100,000 events fits)."""
MAX_JSON_DEPTH = 100
"""Deepest nesting of JSON arrays and objects accepted (as for policies)."""
MAX_JSON_INT_DIGITS = 4300
"""Longest JSON integer accepted, in digits (Python's default limit for decimal strings)."""
MAX_HORIZON_DAYS = MAX_HORIZON.days
"""Largest ``--horizon-days``: lint's own limit (ten years; the schedule-gap check walks every
hand-off in it)."""
MAX_MESSAGE_CHARS = 2000
"""Longest error line printed; the rest of a longer one is cut (a value can be megabytes)."""

_EARLIEST = from_us(MIN_US)
_LATEST = from_us(MAX_US)
_DAYS = re.compile("[0-9]{1,9}")
_BYTE_ORDER_MARKS = (
    (b"\xef\xbb\xbf", "UTF-8"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


# -- terminal output ------------------------------------------------------------------------------


def _escape(text: str, *, keep_newlines: bool = False) -> str:
    r"""``text`` with every character ``str.isprintable`` rejects written as ``repr`` writes it.

    That covers control characters (``\x1b``, ``\r``, ``\n`` unless ``keep_newlines``), the
    bidirectional controls (``\u202e``), other invisible format characters, line separators
    and lone surrogates. Everything else, including non-ASCII letters, is kept.

    >>> _escape("T1\x1b[31m \u202eevil\r")
    'T1\\x1b[31m \\u202eevil\\r'
    >>> _escape("Müller\n", keep_newlines=True)
    'Müller\n'
    """
    if keep_newlines:
        return "\n".join(_escape(line) for line in text.split("\n"))
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _write(stream: TextIO, text: str) -> None:
    """Write a line that the stream's encoding can hold (``\\xe9`` where it cannot)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    stream.write(text.encode(encoding, "backslashreplace").decode(encoding) + "\n")


def _out(text: str = "", *, keep_newlines: bool = False) -> None:
    _write(sys.stdout, _escape(text, keep_newlines=keep_newlines))


def _error(line: str) -> None:
    """Print one line on stderr, escaped and cut to :data:`MAX_MESSAGE_CHARS`."""
    text = _escape(line)
    if len(text) > MAX_MESSAGE_CHARS:
        text = f"{text[:MAX_MESSAGE_CHARS]}... ({len(text) - MAX_MESSAGE_CHARS} more characters)"
    _write(sys.stderr, text)


# -- reading the command line ---------------------------------------------------------------------


class _UsageError(EscalateError):
    """The command line cannot be used; the message is the whole line to print."""


class _Parser(argparse.ArgumentParser):
    """argparse with its errors as one line (no usage block), raised rather than exiting."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: error: {message} (see '{self.prog} --help')")


def _instant(text: str) -> datetime:
    """An ``--at`` / ``--as-of`` value: the instants the input formats write, in range."""
    at = read_instant(text)
    if at is None:
        if read_instant(text + "Z") is not None:
            raise argparse.ArgumentTypeError(
                f"{text!r} has no UTC offset; give one, e.g. {text}+00:00 (escalate never guesses)"
            )
        raise argparse.ArgumentTypeError(
            f"not an ISO-8601 instant: {text!r} (write e.g. 2024-11-20T15:00:00Z)"
        )
    if not MIN_US <= to_us(at) <= MAX_US:
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range: escalate computes with instants from "
            f"{iso(_EARLIEST)} to {iso(_LATEST)}"
        )
    return at


def _days(text: str) -> int:
    """A ``--horizon-days`` value: ASCII digits, at most :data:`MAX_HORIZON_DAYS`."""
    if _DAYS.fullmatch(text) is None or int(text) > MAX_HORIZON_DAYS:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of days from 0 to {MAX_HORIZON_DAYS}, got {text!r}"
        )
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
        validate.add_argument(
            "--horizon-days",
            type=_days,
            default=14,
            help=f"schedule gap horizon, 0 to {MAX_HORIZON_DAYS} days (default: 14)",
        )

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
    demo.add_argument(
        "--availability",
        help=f"availability JSON (default: {DEMO_AVAILABILITY} when it exists)",
    )
    return parser


# -- reading JSON inputs --------------------------------------------------------------------------


class _BadJson(Exception):
    """Raised by the JSON reader's hooks: valid syntax Python would read, but not as meant."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _BadJson(f"key {key!r} appears twice in one object")
        data[key] = value
    return data


def _constant(name: str) -> NoReturn:
    raise _BadJson(f"{name} is not a JSON number")


def _integer(digits: str) -> int:
    count = len(digits.lstrip("-"))
    if count <= MAX_JSON_INT_DIGITS:
        try:
            return int(digits)
        except ValueError:  # a lower limit set with PYTHONINTMAXSTRDIGITS
            pass
    raise _BadJson(f"an integer of {count} digits; the limit is {MAX_JSON_INT_DIGITS}")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadJson(f"the number {text[:40]} is too large")
    return value


def _too_deep(data: object) -> bool:
    """Whether arrays and objects nest more than :data:`MAX_JSON_DEPTH` levels (no recursion)."""
    if not isinstance(data, dict | list):
        return False
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return True
        items = value.values() if isinstance(value, dict) else value
        stack.extend((item, depth + 1) for item in items if isinstance(item, dict | list))
    return False


def _json_text(raw: bytes, path: str, what: str) -> str:
    """The file's text: UTF-8 without a byte-order mark, as JSON is exchanged (RFC 8259)."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if raw.startswith(mark):
            raise EscalateError(
                f"{path}: the {what} starts with a {encoding} byte-order mark; "
                "save it as UTF-8 without one"
            )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = raw[: exc.start].decode("utf-8")
        line, col = good.count("\n") + 1, len(good) - good.rfind("\n")
        raise EscalateError(
            f"{path}:{line}:{col}: the {what} is not UTF-8: cannot decode byte(s) "
            f"{raw[exc.start : exc.end].hex(' ')} ({exc.reason}); save it as UTF-8"
        ) from None
    if "\x00" in text:
        raise EscalateError(
            f"{path}: the {what} holds NUL characters (is it UTF-16?); save it as UTF-8"
        )
    return text


def _read_json(path: str, what: str) -> dict[str, Any]:
    raw = read_file(path, what=what, max_bytes=MAX_JSON_BYTES, error=EscalateError)
    text = _json_text(raw, path, what)
    too_deep = f"{path}: invalid JSON: arrays and objects nest more than {MAX_JSON_DEPTH} levels"
    try:
        data = json.loads(
            text,
            object_pairs_hook=_object,
            parse_constant=_constant,
            parse_int=_integer,
            parse_float=_float,
        )
    except json.JSONDecodeError as exc:
        raise EscalateError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except _BadJson as exc:
        raise EscalateError(f"{path}: invalid JSON: {exc}") from None
    except RecursionError:
        raise EscalateError(too_deep) from None
    if _too_deep(data):
        raise EscalateError(too_deep)
    if not isinstance(data, dict):
        raise EscalateError(f"{path}: the {what} must be a JSON object")
    return data


def _read_ticket(path: str, empty: tuple[str, ...] = ()) -> Ticket:
    data = _read_json(path, "ticket")
    try:
        return Ticket.from_mapping(data, empty=empty)
    except EscalateError as exc:
        raise EscalateError(f"{path}: {exc}") from None


def _read_availability(path: str | None) -> Availability:
    if path is None:
        return Availability()
    data = _read_json(path, "availability")
    try:
        return Availability.from_mapping(data)
    except EscalateError as exc:
        raise EscalateError(f"{path}: {exc}") from None


# -- commands -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0, 1 or 2)."""
    try:
        return _run(argv)
    except BrokenPipeError:
        # The reader went away (``escalate demo | head``): nothing to report to it.
        _quiet_stdout()
        return 2
    except KeyboardInterrupt:
        _error("escalate: interrupted")
        return 2
    except Exception as exc:  # the last resort: a bug in escalate, still one line and exit 2
        _error(
            f"escalate: internal error: {type(exc).__name__}: {exc} "
            "(a bug in escalate; please report it with the command and its input)"
        )
        return 2


def _run(argv: Sequence[str] | None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help
        return 0 if exc.code == 0 else 2
    except _UsageError as exc:
        _error(str(exc))
        return 2
    try:
        if args.command in ("validate", "lint"):
            # The edge may read the clock; the core never does.
            as_of = args.as_of or datetime.now(UTC)
            return _validate(args.path, as_of, args.horizon_days)
        if args.command in ("evaluate", "explain"):
            decision = _evaluate(args.policy, args.ticket, args.at, args.availability)
            if args.json:
                # ASCII: json.dumps escapes control and bidi characters itself.
                _write(sys.stdout, decision.to_json(trace=args.command == "explain"))
            else:
                _out(decision.explain(full=args.command == "explain"), keep_newlines=True)
            return 0
        if args.command == "schema":
            _write(sys.stdout, json.dumps(json_schema(args.kind), indent=2, sort_keys=True))
            return 0
        return _demo(args.policy, args.tickets, args.at, args.availability)
    except EscalateError as exc:
        _error(f"escalate: error: {exc}")
        return 2


def _quiet_stdout() -> None:
    """Point stdout at the null device, so the interpreter's final flush cannot fail again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):  # no real file behind stdout
        pass


def _evaluate(
    policy_path: str, ticket_path: str, at: datetime, availability_path: str | None
) -> Decision:
    policy = load(policy_path)
    availability = _read_availability(availability_path)
    return _decide(policy, ticket_path, at, availability)


def _decide(policy: Policy, ticket_path: str, at: datetime, availability: Availability) -> Decision:
    ticket = _read_ticket(ticket_path, policy.empty_values)
    try:
        return policy.evaluate(ticket, now=at, availability=availability)
    except TicketError as exc:
        # The ticket reads well but does not fit the instant or the policy: name its file.
        raise EscalateError(f"{ticket_path}: {exc}") from None


def _validate(path: str, as_of: datetime, horizon_days: int) -> int:
    if to_us(as_of) + horizon_days * DAY_US > MAX_US:
        raise EscalateError(
            f"--as-of {iso(as_of)} plus --horizon-days {horizon_days} ends after {iso(_LATEST)}, "
            "the last instant escalate computes with"
        )
    policy = load(path)
    findings = lint(policy, as_of=as_of, horizon=timedelta(days=horizon_days))
    _out(f"{path}: policy {policy.id} v{policy.version} ({policy.content_hash[:12]}) loads")
    if policy.segments:
        order = ", ".join(f"{s.id} ({s.precedence})" for s in policy.segments)
        _out(f"  segments, tried in this order: {order}")
    for finding in findings:
        _out(f"  {finding}")
    if findings:
        _out(f"{len(findings)} finding(s)")
        return 1
    return 0


def _demo(policy_path: str, tickets_dir: str, at: datetime, availability_path: str | None) -> int:
    policy = load(policy_path)
    files = _json_files(tickets_dir)
    if availability_path is None and os.path.exists(DEMO_AVAILABILITY):
        availability_path = DEMO_AVAILABILITY
    availability = _read_availability(availability_path)
    decisions = [_decide(policy, file, at, availability) for file in files]
    _out(f"policy {policy.id} v{policy.version} ({policy.content_hash[:12]}) at {iso(at)}")
    _out()
    rows = [tuple(_escape(str(cell)) for cell in _row(d)) for d in decisions]
    header = ("ticket", "prio", "resolution", "service-desk", "due actions", "next evaluation")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        _out("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    busiest = max(decisions, key=lambda d: (len(d.actions), d.ticket_id))
    _out()
    _out(f"why {busiest.ticket_id}:")
    _out()
    _out(busiest.explain(), keep_newlines=True)
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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
