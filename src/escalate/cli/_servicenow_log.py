"""Reading a ServiceNow log file for the commands that take one: a CSV, or a zip holding one CSV.

:func:`log_rows` gives the rows as ``csv.DictReader`` gives them (column -> text), for
:func:`escalate.adapters.servicenow.read_log`. The file is read with a bound
(:data:`MAX_LOG_BYTES`, also on what a zip member inflates to); every problem is an
:class:`~escalate.errors.EscalateError` naming the option and the file, and the line for a
row that does not fit its header.

The commands share the options that declare the log's mapping too: :func:`add_mapping_options`
adds them to a command's parser, :func:`mapping_of` builds the
:class:`~escalate.adapters.servicenow.ServiceNowMapping` they declare, and :func:`read_log_file`
reads the log under it, every error one line naming the option, the file, its line and column
(:func:`log_error`); :func:`group_log_file` and :func:`read_incident` do it in two halves, the
rows grouped by incident here and each incident read where it is replayed (``replay
--workers``), with the same errors. :class:`Progress` reports a long run's progress on stderr
the same way for each command.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import importlib
import io
import sys
import zipfile
import zoneinfo
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from escalate.adapters.servicenow import (
    UCI_LOG_MAPPING,
    LogError,
    LogIncident,
    LogReading,
    ServiceNowMapping,
    read_log,
)
from escalate.adapters.servicenow._log import IncidentReader, LogRows, group_rows
from escalate.cli._io import error
from escalate.errors import (
    ArgumentError,
    EscalateError,
    TicketError,
    render_path,
    shown,
    suggest,
)
from escalate.policy.loader import read_file

__all__ = [
    "MAX_LOG_BYTES",
    "Progress",
    "add_mapping_options",
    "group_log_file",
    "log_error",
    "log_rows",
    "mapping_of",
    "read_incident",
    "read_log_file",
]

if TYPE_CHECKING:
    from _csv import Reader as _Reader

MAX_LOG_BYTES = 512 * 1024 * 1024
"""Largest log read, in bytes: the file, and the CSV a zip holds once inflated (the UCI log is
39 MB as CSV, 2 MB zipped)."""


def log_rows(path: str, option: str = "--servicenow") -> Iterator[dict[str, str]]:
    """The rows of the log at ``path`` (a ``.csv`` file, or a zip holding exactly one ``.csv``,
    besides the ``__MACOSX/`` and ``._`` files a zip made on macOS holds), each a mapping from
    the header's column names to the row's texts.

    The file is read and its header checked at once (a missing file, a zip without its CSV, an
    empty or non-UTF-8 file, a header naming a column twice fail here); a row with more or fewer
    cells than the header fails when the iteration reaches it, naming its line (the header is
    line 1). A UTF-8 byte-order mark, which spreadsheet exports write, is skipped.
    """
    raw = read_file(
        path,
        what="log",
        max_bytes=MAX_LOG_BYTES,
        error=lambda message: EscalateError(f"{option}: {message}"),
    )
    name = path
    if zipfile.is_zipfile(io.BytesIO(raw)):
        raw, member = _member(raw, path, option)
        name = f"{path}!{member}"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise EscalateError(f"{option}: {name}:{line}: not UTF-8 text ({exc.reason})") from None
    del raw
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise EscalateError(f"{option}: {name}:1: not a CSV header: {exc}") from None
    if not header or header == [""]:
        raise EscalateError(f"{option}: {name}: the log is empty (no header line)")
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise EscalateError(f"{option}: {name}:1: the header names {column!r} twice")
        seen.add(column)
    return _rows(reader, tuple(header), name, option)


def _rows(
    reader: _Reader, header: tuple[str, ...], name: str, option: str
) -> Iterator[dict[str, str]]:
    width = len(header)
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            raise EscalateError(f"{option}: {name}:{reader.line_num}: not CSV: {exc}") from None
        if cells is None:
            return
        line = reader.line_num  # the row's last physical line (a quoted cell may hold newlines)
        if not cells:  # a blank line: csv gives [], DictReader skips it too
            continue
        if len(cells) != width:
            raise EscalateError(
                f"{option}: {name}:{line}: {len(cells)} cells where the header has {width}"
            )
        yield dict(zip(header, cells, strict=True))


def _is_log(info: zipfile.ZipInfo) -> bool:
    """Whether a zip member can be the log: a ``.csv`` file, but not the resource forks a zip
    made on macOS adds (``__MACOSX/...``, ``._name.csv``)."""
    name = info.filename
    base = name.rsplit("/", 1)[-1]
    return (
        not info.is_dir()
        and name.lower().endswith(".csv")
        and not name.startswith("__MACOSX/")
        and not base.startswith("._")
    )


def _member(raw: bytes, path: str, option: str) -> tuple[bytes, str]:
    """The bytes of the one CSV a zip holds, and its name."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = [info for info in archive.infolist() if _is_log(info)]
            if len(members) != 1:
                names = ", ".join(sorted(info.filename for info in members)) or "none"
                raise EscalateError(
                    f"{option}: {path}: a zip log must hold exactly one .csv file, it holds "
                    f"{len(members)} ({names})"
                )
            info = members[0]
            if info.file_size > MAX_LOG_BYTES:
                raise EscalateError(
                    f"{option}: {path}!{info.filename}: it is {info.file_size} bytes; the limit "
                    f"is {MAX_LOG_BYTES} bytes"
                )
            with archive.open(info) as stream:
                data = stream.read(MAX_LOG_BYTES + 1)
    # zipfile raises NotImplementedError for a compression method it cannot read (such as
    # implode): an unreadable zip like the others, not a missing feature of escalate.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as exc:
        raise EscalateError(f"{option}: {path}: cannot read the zip: {exc}") from None
    if len(data) > MAX_LOG_BYTES:
        raise EscalateError(
            f"{option}: {path}!{info.filename}: it inflates to more than {MAX_LOG_BYTES} "
            "bytes; the limit is that"
        )
    return data, info.filename


# -- the mapping options --------------------------------------------------------------------------

_RULES: dict[str, tuple[str, tuple[str, ...], str]] = {  # field -> option, choices, help
    "before_opened": ("--before-opened", ("error", "clamp"), "a row updated before opened_at"),
    "backwards": ("--backwards", ("error", "clamp"), "a row updated before the row it follows"),
    "duplicate_mod_count": (
        "--duplicate-mod-count",
        ("error", "ordered"),
        "rows sharing a sys_mod_count",
    ),
    "invalid_state": ("--invalid-state", ("error", "keep"), "a state the mapping does not know"),
    "counters": (
        "--counters",
        ("servicenow", "derived"),
        "which reassignment and reopen counts the tickets carry",
    ),
}


def add_mapping_options(parser: argparse.ArgumentParser) -> None:
    """Add the options declaring how a log is written to a command's ``parser``: the required
    ``--time-zone``, and ``--date-format``, ``--empty``, ``--before-opened``, ``--backwards``,
    ``--duplicate-mod-count``, ``--invalid-state``, ``--counters``, each defaulting to
    ``UCI_LOG_MAPPING``'s value. :func:`mapping_of` reads them back."""
    mapping = UCI_LOG_MAPPING
    parser.add_argument(
        "--time-zone",
        required=True,
        metavar="ZONE",
        help="IANA zone the log's date-times are written in (a log never says; e.g. UTC)",
    )
    parser.add_argument(
        "--date-format",
        default=mapping.date_format,
        metavar="PATTERN",
        help=f"date-time pattern in ServiceNow's letters (default {mapping.date_format})",
    )
    parser.add_argument(
        "--empty",
        action="append",
        metavar="MARKER",
        help="a text that means 'no value'; repeat for several (default: "
        + ", ".join(mapping.empty)
        + ")",
    )
    for field, (option, choices, what) in _RULES.items():
        default = getattr(mapping, field)
        parser.add_argument(
            option, choices=choices, default=default, help=f"{what} (default {default})"
        )


def mapping_of(args: argparse.Namespace) -> ServiceNowMapping:
    """The mapping the options of :func:`add_mapping_options` declare: ``UCI_LOG_MAPPING``
    with each option's value. An unknown zone is an error naming ``--time-zone``, with the
    zone it most likely means (``utc`` -> ``UTC``); a pattern escalate cannot read names
    ``--date-format``."""
    try:
        mapping = dataclasses.replace(UCI_LOG_MAPPING, time_zone=args.time_zone)
    except ArgumentError as exc:
        hint = suggest(args.time_zone, zoneinfo.available_timezones())
        tail = f" (did you mean {hint!r}?)" if hint else ""
        raise EscalateError(f"--time-zone: {exc}{tail}") from None
    try:
        return dataclasses.replace(
            mapping,
            date_format=args.date_format,
            empty=tuple(args.empty) if args.empty else mapping.empty,
            **{field: getattr(args, field) for field in _RULES},
        )
    except ArgumentError as exc:  # the rules are argparse choices: only the pattern is left
        raise EscalateError(f"--date-format: {exc}") from None


def read_log_file(
    path: str, mapping: ServiceNowMapping, option: str = "--servicenow"
) -> LogReading:
    """The log at ``path`` (see :func:`log_rows`) read under ``mapping``. A row that does not
    read is one line, ``OPTION: FILE:LINE: COLUMN: message (got value)``; a local time a clock
    change skips or repeats adds a hint that the log may not be in ``mapping.time_zone``."""
    try:
        return read_log(log_rows(path, option), mapping)
    except TicketError as exc:
        raise log_error(exc, path, mapping, option) from None


def group_log_file(path: str, mapping: ServiceNowMapping, option: str = "--servicenow") -> LogRows:
    """The rows of the log at ``path`` grouped by incident (``group_rows``), each group for
    an :class:`~escalate.adapters.servicenow.IncidentReader` to read (:func:`read_incident`);
    errors as :func:`read_log_file` says them. Each text is held once however many rows
    repeat it (a log repeats most of them: the real log's grouped rows take about 370 MB as
    read, 175 MB with each text held once)."""
    texts: dict[str, str] = {}
    once = texts.setdefault

    def rows() -> Iterator[dict[str, str]]:
        for row in log_rows(path, option):
            values = row.values()
            yield dict(zip(row, map(once, values, values), strict=True))

    try:
        return group_rows(rows(), mapping)
    except TicketError as exc:
        raise log_error(exc, path, mapping, option) from None


def read_incident(
    reader: IncidentReader,
    number: str,
    rows: Sequence[tuple[int, Mapping[str, str]]],
    path: str,
    option: str = "--servicenow",
) -> LogIncident:
    """One incident of the log at ``path`` read from its grouped rows; errors as
    :func:`read_log_file` says them."""
    try:
        return reader.read(number, rows)
    except TicketError as exc:
        raise log_error(exc, path, reader.mapping, option) from None


def log_error(
    exc: TicketError, path: str, mapping: ServiceNowMapping, option: str = "--servicenow"
) -> EscalateError:
    """The one-line error for a log that does not read: ``OPTION: FILE:LINE: COLUMN: message
    (got value)`` for a :class:`~escalate.adapters.servicenow.LogError` (a local time a clock
    change skips or repeats adds a hint that the log may not be in ``mapping.time_zone``),
    ``OPTION: FILE: message`` for another ticket error."""
    if not isinstance(exc, LogError):
        return EscalateError(f"{option}: {path}: {exc}")
    message = exc.message.removeprefix(f"line {exc.line}: ")
    where = f"{render_path(exc.path)}: " if exc.path and exc.path != ("",) else ""
    hint = ""
    if "by a clock change" in message:
        hint = (
            f" (is the log really in {mapping.time_zone}? a zone without DST, such as "
            "UTC, reads it)"
        )
    return EscalateError(
        f"{option}: {path}:{exc.line}: {where}{message} (got {shown(exc.value)}){hint}"
    )


# -- progress -------------------------------------------------------------------------------------


class Progress:
    """Progress on stderr, as a context manager giving a callback that takes how many of
    ``total`` units are done: a bar (tqdm, when the 'progress' extra is installed) when stderr
    is a terminal; otherwise a plain line (``escalate: {verb} {done} of {total} {unit}s``) at
    every tenth, except with ``--json``; nothing with ``--quiet``."""

    def __init__(
        self, total: int, args: argparse.Namespace, *, command: str, verb: str, unit: str
    ) -> None:
        self.total = total
        self.command = command
        self.verb = verb
        self.unit = unit
        self.terminal = sys.stderr.isatty()
        self.talk = not args.quiet and (self.terminal or not args.json)
        self.bar: Any = None
        self.next_line = 1

    def say(self, line: str) -> None:
        """Print ``line`` on stderr when progress is shown at all."""
        if self.talk:
            error(line)

    def __enter__(self) -> Callable[[int], None] | None:
        if not self.talk or self.total == 0:
            return None
        if self.terminal:
            try:
                tqdm: Any = importlib.import_module("tqdm")
            except ImportError:  # the 'progress' extra is not installed: plain lines
                return self._line
            self.bar = tqdm.tqdm(
                total=self.total, unit=self.unit, file=sys.stderr, desc=f"escalate {self.command}"
            )
            return self._tick
        return self._line

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def _tick(self, done: int) -> None:
        self.bar.update(done - self.bar.n)

    def _line(self, done: int) -> None:
        if done * 10 >= self.next_line * self.total:
            error(f"escalate: {self.verb} {done} of {self.total} {self.unit}s")
            while self.next_line * self.total <= done * 10:
                self.next_line += 1
