"""Ticket corpora for ``diff``, ``snapshot`` and ``evaluate``: a folder of ticket files or JSONL.

``--tickets`` names a folder (every ``*.json`` file in it, not its subfolders, in name order,
each one ticket read as ``--ticket`` files are), a ``.json`` file (one ticket) or any other
file, read as JSON Lines: one ticket object per line, blank lines skipped, each line read as
strictly as a ticket file (duplicate keys, ``NaN``, huge integers and deep nesting are errors);
``-`` reads JSON Lines from standard input. Every error names the file, and for JSON Lines the
line (``tickets.jsonl:12:5: invalid JSON: ...``, ``tickets.jsonl:12: events[0].at: ...``); a
missing or unreadable one names the option too.

A policy with a ``recurrence:`` section reads two fields that only the whole corpus can give
(how often the ticket's fingerprint recurred, docs/policy-reference.md#recurrence):
:func:`with_recurrence_fields` fills them in every entry, once per corpus and policy, before
any ticket is decided (and before ``--workers`` splits the corpus). A ticket that carries
another count stops the command, unless ``--recount`` (:func:`add_recount_option`, the one
definition of the option for every corpus command) says the corpus's counts replace it.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from escalate._json import json_text, parse_json
from escalate.cli._io import MAX_JSON_BYTES, STDIN, read_input, read_json, shown_path
from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision
from escalate.engine.ticket import Ticket
from escalate.errors import EscalateError, TicketError, shown
from escalate.learning.recurrence import fixes, recurrence_values
from escalate.people.availability import Availability
from escalate.policy.loader import read_file

__all__ = [
    "MAX_CORPUS_BYTES",
    "Entry",
    "add_recount_option",
    "countable",
    "decide_entry",
    "read_corpus",
    "with_recurrence_fields",
]

MAX_CORPUS_BYTES = 1024 * 1024 * 1024
"""Largest JSON Lines corpus read, in bytes (a line, like a ticket file, is at most
``MAX_JSON_BYTES``)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One ticket of a corpus: ``where`` it was read (``tickets/INC1.json`` or
    ``tickets.jsonl:3``) and its JSON ``data``, read by each policy with its own markers."""

    where: str
    data: dict[str, Any]


def read_corpus(path: str, option: str = "--tickets") -> list[Entry]:
    """The tickets at ``path``: a folder of ``*.json`` files, a ``.json`` file or JSON Lines
    (``-``: JSON Lines on standard input); ``option`` names the path in errors."""
    if path == STDIN:
        return _lines(STDIN, read_input(path, "ticket corpus", option))
    if os.path.isdir(path):
        return _folder(path, option)
    if path.endswith(".json"):
        return [Entry(path, read_json(path, "ticket", option))]
    try:
        raw = read_file(path, what="ticket corpus", max_bytes=MAX_CORPUS_BYTES, error=EscalateError)
    except EscalateError as exc:
        raise EscalateError(f"{option}: {exc}") from None
    return _lines(path, raw)


def decide_entry(
    policy: Policy, entry: Entry, at: datetime, availability: Availability
) -> Decision:
    """The decision for one ticket of a corpus; a ticket that does not fit is an error naming
    where it was read."""
    try:
        return policy.evaluate(entry.data, now=at, availability=availability)
    except EscalateError as exc:  # the ticket, or an instant of it a calendar cannot measure
        raise EscalateError(f"{entry.where}: {exc}") from None


def add_recount_option(cmd: argparse.ArgumentParser) -> None:
    """Add ``--recount`` to a command that decides a corpus (``--tickets``)."""
    cmd.add_argument(
        "--recount",
        action="store_true",
        help="with --tickets and a policy that declares recurrence: replace the recurrence "
        "counts a ticket carries with the corpus's (default: a ticket carrying another count "
        "stops the command)",
    )


def with_recurrence_fields(
    policy: Policy, entries: list[Entry], *, recount: bool = False
) -> list[Entry]:
    """``entries`` with the fields ``policy``'s ``recurrence:`` fills set in each ticket's
    ``fields`` (:func:`escalate.learning.recurrence_values` over the whole corpus); the
    entries themselves when the policy has no such section.

    A ticket the policy cannot read (nor its statuses: :func:`countable`) is left as it is,
    out of the counts: deciding it reports its error, naming where it was read. A ticket that
    already carries one of the fields with another count is an error naming where it was read
    and how to go on (never overwritten), unless ``recount``: then the corpus's count replaces
    it. Two tickets with one id are an error too.
    """
    spec = policy.recurrence
    if spec is None:
        return entries
    readable: list[tuple[int, Ticket]] = []
    places: dict[str, str] = {}
    for n, entry in enumerate(entries):
        try:
            ticket = Ticket.from_mapping(entry.data, empty=policy.empty_values)
        except EscalateError:
            continue
        if not countable(policy, ticket):
            continue
        if ticket.id in places:
            raise EscalateError(
                f"{entry.where}: ticket {ticket.id!r} is also at {places[ticket.id]}: the "
                f"recurrence counts of policy {policy.id!r} need each ticket once"
            )
        places[ticket.id] = entry.where
        readable.append((n, ticket))
    values = recurrence_values([ticket for _, ticket in readable], policy)
    out = list(entries)
    for (n, ticket), fields in zip(readable, values, strict=True):
        entry = entries[n]
        added: dict[str, int] = {}
        for name, value in fields.items():
            carried = ticket.field_value(name)
            if type(carried) is int and carried == value:
                continue
            if carried is not None and not recount:
                raise EscalateError(
                    f"{entry.where}: ticket {ticket.id!r}: {name} is already {shown(carried)}, "
                    f"and policy {policy.id!r}'s recurrence counts over the corpus give {value}:"
                    " give --recount to replace the tickets' counts with the corpus's, remove "
                    "the field from the ticket, or name another in recurrence.fields"
                )
            added[name.removeprefix("fields.")] = value
        if added:
            data = dict(entry.data)
            data["fields"] = {**(data.get("fields") or {}), **added}
            out[n] = Entry(entry.where, data)
    return out


def countable(policy: Policy, ticket: Ticket) -> bool:
    """Whether ``policy`` reads every status ``ticket``'s history sets (what its fixes are
    read from): a ticket it refuses is decided, and reported, on its own, not counted."""
    try:
        fixes(ticket, policy)
    except TicketError:
        return False
    return True


def _folder(path: str, option: str) -> list[Entry]:
    try:
        with os.scandir(path) as entries:
            names = sorted(e.name for e in entries if e.name.endswith(".json"))
    except OSError as exc:
        raise EscalateError(
            f"{option}: cannot list ticket folder {path!r}: {exc.strerror or type(exc).__name__}"
        ) from None
    if not names:
        raise EscalateError(f"{option}: ticket folder {path!r} holds no *.json ticket files")
    files = [os.path.join(path, name) for name in names]
    return [Entry(file, read_json(file, "ticket", option)) for file in files]


def _lines(path: str, raw: bytes) -> list[Entry]:
    path = shown_path(path)
    text = json_text(raw, path, "ticket corpus")
    entries = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        entries.append(
            Entry(f"{path}:{number}", _object_line(line.removesuffix("\r"), path, number))
        )
    if not entries:
        raise EscalateError(f"{path}: the ticket corpus holds no tickets (one JSON object a line)")
    return entries


def _object_line(line: str, path: str, number: int) -> dict[str, Any]:
    """Line ``number`` of JSON Lines, read as strictly as a ticket file."""
    if len(line.encode("utf-8")) > MAX_JSON_BYTES:
        raise EscalateError(f"{path}:{number}: the line is longer than {MAX_JSON_BYTES} bytes")
    data = parse_json(line, path, line=number)
    if not isinstance(data, dict):
        raise EscalateError(f"{path}:{number}: a ticket must be a JSON object, one per line")
    return data
