"""What every command shares: terminal output made safe, argument types, JSON inputs read strictly.

Text meant for a terminal is escaped: control, escape and bidirectional-formatting characters
(anything ``str.isprintable`` rejects) taken from a policy, a ticket or the command line are
printed the way Python's ``repr`` writes them (``\\x1b``, ``\\u202e``, ``\\r``), so an input
cannot recolour, rewrite or reorder what the user reads. JSON output is ASCII, with every such
character escaped by JSON itself.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime
from typing import Any, ClassVar, NoReturn, TextIO

from escalate._json import json_text, parse_json
from escalate._models import read_instant
from escalate.calendars._instants import MAX_US, MIN_US, from_us, to_us
from escalate.engine.backends import BACKENDS, NATIVE
from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision, iso
from escalate.engine.ticket import Ticket
from escalate.errors import EscalateError, PolicyError, PolicyErrors, TicketError
from escalate.people.availability import Availability
from escalate.policy.lint import MAX_HORIZON
from escalate.policy.loader import load, loads, read_file

MAX_JSON_BYTES = 16 * 1024 * 1024
"""Largest ticket or availability file read, in bytes (a ticket with 100,000 events fits)."""
MAX_HORIZON_DAYS = MAX_HORIZON.days
"""Largest ``--horizon-days``: lint's own limit (ten years; the schedule-gap check walks every
hand-off in it)."""
MAX_MESSAGE_CHARS = 2000
"""Longest error line printed; the rest of a longer one is cut (a value can be megabytes)."""

EARLIEST = from_us(MIN_US)
LATEST = from_us(MAX_US)
_DAYS = re.compile("[0-9]{1,9}")


# -- terminal output ------------------------------------------------------------------------------


def escape(text: str, *, keep_newlines: bool = False) -> str:
    r"""``text`` with every character ``str.isprintable`` rejects written as ``repr`` writes it.

    That covers control characters (``\x1b``, ``\r``, ``\n`` unless ``keep_newlines``), the
    bidirectional controls (``\u202e``), other invisible format characters, line separators
    and lone surrogates. Everything else, including non-ASCII letters, is kept.

    >>> escape("T1\x1b[31m \u202eevil\r")
    'T1\\x1b[31m \\u202eevil\\r'
    >>> escape("Müller\n", keep_newlines=True)
    'Müller\n'
    """
    if keep_newlines:
        return "\n".join(escape(line) for line in text.split("\n"))
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def write(stream: TextIO, text: str) -> None:
    """Write a line that the stream's encoding can hold (``\\xe9`` where it cannot)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    stream.write(text.encode(encoding, "backslashreplace").decode(encoding) + "\n")


def print_json(document: object) -> None:
    """Print ``document`` as every command's ``--json`` does: one JSON document, keys sorted,
    indented by two spaces, ASCII only (JSON escapes every other character itself)."""
    write(sys.stdout, json.dumps(document, sort_keys=True, indent=2, ensure_ascii=True))


def out(text: str = "", *, keep_newlines: bool = False) -> None:
    write(sys.stdout, escape(text, keep_newlines=keep_newlines))


def error(line: str) -> None:
    """Print one line on stderr, escaped and cut to :data:`MAX_MESSAGE_CHARS`."""
    text = escape(line)
    if len(text) > MAX_MESSAGE_CHARS:
        text = f"{text[:MAX_MESSAGE_CHARS]}... ({len(text) - MAX_MESSAGE_CHARS} more characters)"
    write(sys.stderr, text)


# -- reading the command line ---------------------------------------------------------------------


class UsageError(EscalateError):
    """The command line cannot be used; the message is the whole line to print."""


class Parser(argparse.ArgumentParser):
    """argparse with its errors as one line (no usage block), raised rather than exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message} (see '{self.prog} --help')")


def instant_arg(text: str) -> datetime:
    """An ``--at`` / ``--as-of`` value: the instants the input formats write, in range, or
    ``now`` (this machine's clock, in UTC: the one place escalate reads a clock)."""
    if text == "now":
        return datetime.now(UTC)
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
            f"{iso(EARLIEST)} to {iso(LATEST)}"
        )
    return at


def days_arg(text: str) -> int:
    """A ``--horizon-days`` value: ASCII digits, at most :data:`MAX_HORIZON_DAYS`."""
    if _DAYS.fullmatch(text) is None or int(text) > MAX_HORIZON_DAYS:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of days from 0 to {MAX_HORIZON_DAYS}, got {text!r}"
        )
    return int(text)


# -- reading JSON inputs --------------------------------------------------------------------------


STDIN = "-"
"""The path that means standard input."""


class _Stdin:
    """Which input of the running command standard input was read for (it can be read once)."""

    reader: ClassVar[str | None] = None


def shown_path(path: str) -> str:
    """How error messages name an input: its path, or ``<stdin>`` for ``-``."""
    return "<stdin>" if path == STDIN else path


def reset_stdin() -> None:
    """Forget that standard input was read: called by ``main`` as each command starts."""
    _Stdin.reader = None


def read_input(path: str, what: str, option: str) -> bytes:
    """The bytes of the input file ``path`` (``-``: standard input), at most
    :data:`MAX_JSON_BYTES`; a missing or unreadable file is an error naming ``option``."""
    if path != STDIN:
        try:
            return read_file(path, what=what, max_bytes=MAX_JSON_BYTES, error=EscalateError)
        except EscalateError as exc:
            raise EscalateError(f"{option}: {exc}") from None
    if _Stdin.reader is not None:
        raise UsageError(
            f"{option} -: standard input is already read for {_Stdin.reader}; "
            "only one input can come from '-' (give the others as files)"
        )
    _Stdin.reader = option
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # no standard input at all (pythonw, a closed descriptor)
        raise EscalateError(f"{option}: cannot read {what} from standard input: there is none")
    try:
        raw: bytes = stream.read(MAX_JSON_BYTES + 1)
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise EscalateError(f"{option}: cannot read {what} from standard input: {why}") from None
    if len(raw) > MAX_JSON_BYTES:
        raise EscalateError(
            f"{option}: cannot read {what} from standard input: it is more than "
            f"{MAX_JSON_BYTES} bytes; the limit is {MAX_JSON_BYTES} bytes"
        )
    return raw


def add_backend_option(cmd: argparse.ArgumentParser) -> None:
    """Add ``--backend`` (which backend decides which rules hold; docs/backends.md)."""
    cmd.add_argument(
        "--backend",
        choices=BACKENDS,
        default=NATIVE,
        help="what decides which rules hold: the native conditions (default) or durable_rules "
        "(the escalate[durable] extra); the decisions are the same (docs/backends.md)",
    )


def load_policy(path: str, option: str = "--policy", backend: str = NATIVE) -> Policy:
    """The policy at ``path`` (a file, a path without ``.yaml`` or a folder), or read from
    standard input for ``-`` (a single YAML document, which cannot ``extends:`` another),
    bound to ``backend``. A case file given instead (a top-level ``cases:`` and no
    ``policy:``) is said to be one."""
    try:
        if path != STDIN:
            return load(path).with_backend(backend)
        return loads(read_input(path, "policy", option), filename="<stdin>").with_backend(backend)
    except PolicyError as exc:
        errors = exc.errors if isinstance(exc, PolicyErrors) else (exc,)
        at = {e.path: e for e in errors}
        case_file = at.get(("cases",))  # an unknown 'cases' where a policy's id is missing
        if (
            case_file is not None
            and case_file.message.startswith("unknown key")
            and ("policy",) in at
        ):
            name = case_file.source[0] if case_file.source else shown_path(path)
            raise EscalateError(
                f"{option}: {name}: this is a case file (escalate test reads it), not a policy"
            ) from None
        if path != STDIN or exc.path != ("extends",):
            raise
        raise PolicyError(
            "a policy read from standard input cannot extend another (its base is named "
            "relative to the extending file): give the policy's file instead of '-'",
            path=exc.path,
            source=exc.source,
        ) from None


def read_json(path: str, what: str, option: str | None = None) -> dict[str, Any]:
    """The JSON object in the file ``path`` (``-``: standard input), read strictly: UTF-8,
    no duplicate keys, no ``NaN``, bounded size, depth and integers. ``option`` is the command
    line option naming the file (``--ticket``), for errors; by default ``--`` and ``what``."""
    raw = read_input(path, what, option or f"--{what}")
    path = shown_path(path)
    data = parse_json(json_text(raw, path, what), path)
    if not isinstance(data, dict):
        raise EscalateError(f"{path}: the {what} must be a JSON object")
    return data


def read_ticket(path: str, empty: tuple[str, ...] = (), option: str = "--ticket") -> Ticket:
    """The ticket in the JSON file ``path`` (``-``: standard input)."""
    data = read_json(path, "ticket", option)
    try:
        return Ticket.from_mapping(data, empty=empty)
    except EscalateError as exc:
        raise EscalateError(f"{shown_path(path)}: {exc}") from None


def read_availability(path: str | None, option: str = "--availability") -> Availability:
    """The availability in the JSON file ``path`` (``-``: standard input); none when
    ``path`` is ``None``."""
    if path is None:
        return Availability()
    data = read_json(path, "availability", option)
    try:
        return Availability.from_mapping(data)
    except EscalateError as exc:
        raise EscalateError(f"{shown_path(path)}: {exc}") from None


def decide(
    policy: Policy,
    ticket_path: str,
    at: datetime,
    availability: Availability,
    option: str = "--ticket",
) -> Decision:
    """The decision for the ticket in ``ticket_path``; a ticket that does not fit the instant
    or the policy is an error naming its file."""
    ticket = read_ticket(ticket_path, policy.empty_values, option)
    try:
        return policy.evaluate(ticket, now=at, availability=availability)
    except TicketError as exc:
        raise EscalateError(f"{shown_path(ticket_path)}: {exc}") from None
