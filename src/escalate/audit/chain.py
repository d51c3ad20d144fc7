"""Verifying a chain of audit records: every line checked, the first broken one named.

:func:`verify_chain` reads JSON lines (a whole file's text or bytes, or its lines) and checks,
record by record: the line is JSON (UTF-8, strict), an object with exactly the record keys,
written in canonical form, its ``hash`` the sha256 of the record without it, ``seq`` one more
than the previous record's, ``prev`` the previous record's ``hash``, and the ``kind`` known
with the body keys it needs. It never raises on what a file holds (only on an argument of the
wrong type); the :class:`ChainReport` says what is wrong and where.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from escalate.audit.canonical import MAX_DEPTH, canonical_text, is_plain, plain, too_deep
from escalate.audit.records import (
    GENESIS,
    KINDS,
    RECORD_KEYS,
    AuditTrail,
    encode_record,
    event_key,
)
from escalate.errors import ArgumentError, EscalateError

Lines = bytes | os.PathLike[str] | Iterable[str | bytes | Mapping[str, Any]]
"""A trail: the path of its file (``pathlib.Path``, read a line at a time), its bytes, or its
lines (text, bytes, or records parsed from them). A plain ``str`` is refused: it could be a
path or a trail's text (pass ``Path(...)`` or ``text.encode()``)."""

__all__ = [
    "Broken",
    "ChainReport",
    "Lines",
    "TrailNotFoundError",
    "continue_trail",
    "counted",
    "one_line",
    "parse_records",
    "verify_chain",
]

_HEX = re.compile(r"[0-9a-f]{64}")
_BREAKS = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is one (a report line reads as English).

    >>> counted(1, "record"), counted(0, "record"), counted(2, "policy")
    ('1 record', '0 records', '2 policies')
    """
    if n == 1:
        return f"1 {noun}"
    return f"{n} {noun[:-1]}ies" if noun.endswith("cy") else f"{n} {noun}s"


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped (``\\n``,
    ``\\u2028``): what a trail holds cannot start a line of a report."""
    return _BREAKS.sub(lambda m: json.dumps(m.group())[1:-1], text)


@dataclass(frozen=True, slots=True)
class Broken:
    """The first broken record: its 1-based ``line``, its ``seq`` when it could be read,
    ``problem`` (``bad-json``, ``not-a-record``, ``not-canonical``, ``hash-mismatch``,
    ``seq-gap``, ``prev-mismatch``, ``unknown-kind``, ``missing-keys``, ``head-mismatch``)
    and ``detail``, a sentence (text from the trail in it is JSON-escaped: one line)."""

    line: int
    seq: int | None
    problem: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "seq": self.seq, "problem": self.problem, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What :func:`verify_chain` found: ``ok``, how many records were ``checked`` and found
    intact (those before the first broken one), ``head`` the hash of the last intact record
    (64 zeros when none: anchor it elsewhere to prove later that nothing was cut off),
    ``broken`` the first broken record or ``None``."""

    ok: bool
    checked: int
    head: str
    broken: Broken | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "head": self.head,
            "broken": None if self.broken is None else self.broken.to_dict(),
        }

    def text(self) -> str:
        if self.broken is None:
            return f"ok: {counted(self.checked, 'record')}, chain intact; last hash {self.head}"
        b = self.broken
        seq = "" if b.seq is None else f" (seq {b.seq})"
        records = counted(self.checked, "record")
        are = "is" if self.checked == 1 else "are"
        intact = (
            f"{'the' if self.checked == 1 else 'all'} {records} {are} intact, the end is not "
            "the expected one"
            if b.problem == "head-mismatch"
            else f"{records} before it {are} intact"
        )
        return (
            f"BROKEN at line {b.line}{seq}: {b.problem}: {one_line(b.detail)}\n"
            f"{intact}; last intact hash {self.head}"
        )


class TrailNotFoundError(EscalateError, FileNotFoundError):
    """A trail file that does not exist was given to verify or replay."""


def verify_chain(lines: Lines, *, expect_head: str | None = None) -> ChainReport:
    """Check a chain of records; see the module docstring. ``lines``: a trail file's path
    (``pathlib.Path``), its bytes, or its lines (with or without their newlines), or the
    records parsed from them. A final empty line (the newline that ends the last record) is
    fine; any other empty line is a broken record. The records are checked as they are read
    and not kept: memory holds one line at a time.

    ``expect_head``: the hash of the last record as stored elsewhere when it was written (an
    anchor); an intact chain whose last hash differs is broken (``head-mismatch``): records
    were cut off the end, appended since, or the trail is another one."""
    if expect_head is not None and not isinstance(expect_head, str):
        raise ArgumentError(f"expect_head must be a hash (str), got {type(expect_head).__name__}")
    expected = None if expect_head is None else expect_head.strip().lower()
    found: list[int] = []  # the seq of the record whose hash is the expected one

    def anchor(record: dict[str, Any]) -> None:
        if record["hash"] == expected:
            found.append(record["seq"])

    report = _walk(lines, None, None if expected is None else anchor)
    if expected is None or report.broken is not None or report.head == expected:
        return report
    where = (
        f"it is the hash of record {found[0]}: {report.checked - found[0]} records follow it"
        if found
        else "no record of this trail has it: records were cut off the end, or it is another trail"
    )
    detail = f"the last hash is {report.head}, not the expected {one_line(expected)}; {where}"
    broken = Broken(report.checked, report.checked or None, "head-mismatch", detail)
    return ChainReport(False, report.checked, report.head, broken)


def parse_records(lines: Lines) -> tuple[list[dict[str, Any]], ChainReport]:
    """The intact records (those before the first broken one), as parsed JSON, and the
    :class:`ChainReport`."""
    records: list[dict[str, Any]] = []
    report = _walk(lines, records)
    return records, report


def _split(lines: Lines) -> Iterator[str | bytes]:
    if isinstance(lines, str):
        raise ArgumentError(
            "a trail given as a str is ambiguous (a file name, or the trail's text?): pass "
            "pathlib.Path(name) for a file, or the text as bytes (text.encode()) or as its "
            "lines (text.splitlines())"
        )
    if isinstance(lines, os.PathLike):
        yield from _file_lines(lines)
        return
    if isinstance(lines, bytes | bytearray):
        yield from _byte_lines(bytes(lines))
        return
    if not isinstance(lines, Iterable):
        raise ArgumentError(
            f"a trail is a pathlib.Path, bytes or an iterable of lines, got {type(lines).__name__}"
        )
    for number, line in enumerate(lines, start=1):
        if isinstance(line, Mapping):  # a parsed record: checked as its canonical line
            try:
                yield canonical_text(line)
            except EscalateError:  # not canonical data: written as it is, to be named broken
                yield _loose_text(line)
            continue
        if not isinstance(line, str | bytes):
            raise ArgumentError(
                f"line {number} is a {type(line).__name__}, not str, bytes or a parsed record"
            )
        if isinstance(line, str):
            yield line.removesuffix("\n")
        else:
            yield line.removesuffix(b"\n")


def _loose_text(record: Mapping[str, Any]) -> str:
    if too_deep(record):
        return f"nested deeper than {MAX_DEPTH} levels"  # not JSON: named bad-json
    return json.dumps(record, sort_keys=True, default=repr)


def _byte_lines(data: bytes) -> Iterator[bytes]:
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        if end < 0:
            yield data[start:]
            return
        yield data[start:end]
        start = end + 1


def _file_lines(path: os.PathLike[str]) -> Iterator[bytes]:
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, read a line at a time
    except FileNotFoundError:
        raise TrailNotFoundError(f"no audit trail at {os.fspath(path)!r}") from None
    except OSError as exc:
        raise EscalateError(
            f"cannot read audit trail {os.fspath(path)!r}: {exc.strerror or type(exc).__name__}"
        ) from None
    with handle:
        try:
            for line in handle:
                yield line.removesuffix(b"\n")
        except OSError as exc:
            raise EscalateError(
                f"cannot read audit trail {os.fspath(path)!r}: {exc.strerror or type(exc).__name__}"
            ) from None


def _walk(
    lines: Lines,
    keep: list[dict[str, Any]] | None,
    each: Callable[[dict[str, Any]], None] | None = None,
) -> ChainReport:
    head, seq, checked = GENESIS, 0, 0
    for number, line in enumerate(_split(lines), start=1):
        record, problem = _check(line, number, head, seq)
        if problem is not None:
            return ChainReport(False, checked, head, problem)
        assert record is not None
        if keep is not None:
            keep.append(record)
        if each is not None:
            each(record)
        checked += 1
        head, seq = record["hash"], record["seq"]
    return ChainReport(True, checked, head, None)


def _check(
    raw: str | bytes, number: int, head: str, seq: int
) -> tuple[dict[str, Any] | None, Broken | None]:
    def broken(problem: str, detail: str, found: int | None = None) -> tuple[None, Broken]:
        return None, Broken(number, found, problem, detail)

    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return broken("bad-json", f"not UTF-8 at byte {exc.start + 1}")
    if not raw.strip():
        return broken("bad-json", "an empty line")
    try:
        # Plain json.loads: what it lets through that a record may not hold (a duplicate key,
        # NaN, a float, a huge integer) fails the canonical form or the type checks below.
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return broken("bad-json", f"column {exc.colno}: invalid JSON: {exc.msg}")
    except (ValueError, RecursionError) as exc:
        return broken("bad-json", f"invalid JSON: {type(exc).__name__}: {str(exc)[:200]}")
    if not isinstance(data, dict):
        return broken("not-a-record", f"a JSON {type(data).__name__}, not an object")
    found_seq = data.get("seq") if type(data.get("seq")) is int else None
    keys = set(data)
    if keys != RECORD_KEYS:
        extra, missing = sorted(keys - RECORD_KEYS), sorted(RECORD_KEYS - keys)
        what = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unexpected {', '.join(extra)}" if extra else "",
            )
            if part
        )
        return broken("not-a-record", f"the record's keys are wrong: {what}", found_seq)
    if found_seq is None or found_seq < 1:
        return broken("not-a-record", f"seq is {data['seq']!r}, not a positive integer")
    for key in ("kind", "at", "prev", "hash"):
        if not isinstance(data[key], str):
            return broken("not-a-record", f"{key} is not a string", found_seq)
    if not isinstance(data["body"], dict):
        return broken("not-a-record", "body is not an object", found_seq)
    if not _HEX.fullmatch(data["hash"]) or not _HEX.fullmatch(data["prev"]):
        return broken("not-a-record", "hash and prev must be 64 lower-case hex digits", found_seq)
    if not is_plain(data):
        try:
            plain(data)
        except EscalateError as exc:
            return broken("not-canonical", str(exc), found_seq)
    try:
        expected, canonical = encode_record(
            found_seq, data["kind"], data["at"], data["body"], data["prev"]
        )
    except UnicodeEncodeError:
        return broken("not-canonical", "a string holds a lone surrogate", found_seq)
    except RecursionError:
        return broken("not-canonical", "arrays and objects nest too deep", found_seq)
    if expected != data["hash"]:
        return broken(
            "hash-mismatch",
            f"the record's content does not match its hash (edited?): it hashes to "
            f"{expected[:16]}..., the record says {data['hash'][:16]}...",
            found_seq,
        )
    if canonical != raw:
        return broken(
            "not-canonical",
            "the line is not written in canonical JSON (sorted keys, no spaces); it was "
            "rewritten after it was hashed",
            found_seq,
        )
    if found_seq != seq + 1:
        why = "a record removed before it?" if found_seq > seq + 1 else "records reordered?"
        return broken("seq-gap", f"expected seq {seq + 1}, found {found_seq} ({why})", found_seq)
    if data["prev"] != head:
        return broken(
            "prev-mismatch",
            f"prev {data['prev'][:16]}... is not the previous record's hash {head[:16]}... "
            "(a record inserted, removed or reordered)",
            found_seq,
        )
    kind = data["kind"]
    if kind not in KINDS:
        return broken("unknown-kind", f"unknown kind {json.dumps(kind)}", found_seq)
    missing_body = sorted(KINDS[kind] - set(data["body"]))
    if missing_body:
        return broken(
            "missing-keys", f"a {kind} record's body lacks {', '.join(missing_body)}", found_seq
        )
    return data, None


def continue_trail(lines: Lines) -> AuditTrail:
    """An :class:`AuditTrail` that appends after these records (its ``seq``, ``head``, the
    policies and ticket events they hold). A broken chain, or a record whose body escalate
    cannot read (a value of the wrong type), is an :class:`~escalate.errors.EscalateError`
    naming the record: records are never appended to a chain that does not verify."""
    records: list[dict[str, Any]] = []
    report = _walk(lines, records)
    if report.broken is not None:
        b = report.broken
        raise EscalateError(
            f"line {b.line}: the audit trail is broken ({b.problem}: {b.detail}); "
            "not appending to it"
        )
    policies: set[str] = set()
    events: set[tuple[str, str]] = set()
    for number, record in enumerate(records, start=1):
        body = record["body"]
        if record["kind"] == "policy":
            segments = body["segments"]
            if not isinstance(body["policy_hash"], str) or not (
                isinstance(segments, dict) and all(isinstance(h, str) for h in segments.values())
            ):
                raise _unreadable(number, record, "policy_hash and segments' hashes")
            policies.add(body["policy_hash"])
            policies.update(segments.values())
        elif record["kind"] in ("override", "acknowledgement"):
            if not isinstance(body["ticket_id"], str) or not isinstance(body["data"], dict):
                raise _unreadable(number, record, "ticket_id (text) and data (an object)")
            events.add(event_key(body["ticket_id"], body["data"]))
    return AuditTrail(
        seq=report.checked and records[-1]["seq"],
        head=report.head,
        known_policies=policies,
        known_events=events,
    )


def _unreadable(number: int, record: dict[str, Any], what: str) -> EscalateError:
    return EscalateError(
        f"line {number} (seq {record['seq']}): a {record['kind']} record whose body escalate "
        f"cannot read: {what} of the wrong type; not appending to the trail (escalate audit "
        "replay names it)"
    )
