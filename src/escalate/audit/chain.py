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
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from escalate.audit.canonical import canonical_text, is_plain, plain
from escalate.audit.records import GENESIS, KINDS, RECORD_KEYS, AuditTrail, encode_record
from escalate.errors import ArgumentError, EscalateError

Lines = str | bytes | Iterable[str | bytes | Mapping[str, Any]]
"""A trail: its whole text or bytes, or its lines (text, bytes, or records parsed from them)."""

__all__ = ["Broken", "ChainReport", "Lines", "continue_trail", "parse_records", "verify_chain"]

_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Broken:
    """The first broken record: its 1-based ``line``, its ``seq`` when it could be read,
    ``problem`` (``bad-json``, ``not-a-record``, ``not-canonical``, ``hash-mismatch``,
    ``seq-gap``, ``prev-mismatch``, ``unknown-kind``, ``missing-keys``) and ``detail``, a
    sentence."""

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
            return f"ok: {self.checked} records, chain intact; last hash {self.head}"
        b = self.broken
        seq = "" if b.seq is None else f" (seq {b.seq})"
        return (
            f"BROKEN at line {b.line}{seq}: {b.problem}: {b.detail}\n"
            f"{self.checked} records before it are intact; last intact hash {self.head}"
        )


def verify_chain(lines: Lines) -> ChainReport:
    """Check a chain of records; see the module docstring. ``lines``: a file's whole text or
    bytes, or its lines (with or without their newlines), or the records parsed from them.
    A final empty line (the newline that ends the last record) is fine; any other empty line
    is a broken record."""
    records, report = _walk(lines)
    del records
    return report


def parse_records(
    lines: Lines,
) -> tuple[list[dict[str, Any]], ChainReport]:
    """The intact records (those before the first broken one), as parsed JSON, and the
    :class:`ChainReport`."""
    return _walk(lines)


def _split(lines: Lines) -> list[str | bytes]:
    if isinstance(lines, str | bytes):
        parts: list[str | bytes] = (
            list(lines.split("\n")) if isinstance(lines, str) else list(lines.split(b"\n"))
        )
        if parts and not parts[-1]:
            parts.pop()
        return parts
    if not isinstance(lines, Iterable):
        raise ArgumentError(
            f"verify_chain() takes text, bytes or an iterable of lines, got {type(lines).__name__}"
        )
    found: list[str | bytes] = []
    for number, line in enumerate(lines, start=1):
        if isinstance(line, Mapping):  # a parsed record: checked as its canonical line
            try:
                found.append(canonical_text(line))
            except EscalateError:  # not canonical data: written as it is, to be named broken
                found.append(json.dumps(line, sort_keys=True, default=repr))
            continue
        if not isinstance(line, str | bytes):
            raise ArgumentError(
                f"line {number} is a {type(line).__name__}, not str, bytes or a parsed record"
            )
        if isinstance(line, str):
            found.append(line.removesuffix("\n"))
        else:
            found.append(line.removesuffix(b"\n"))
    return found


def _walk(lines: Lines) -> tuple[list[dict[str, Any]], ChainReport]:
    records: list[dict[str, Any]] = []
    head, seq = GENESIS, 0
    for number, line in enumerate(_split(lines), start=1):
        record, problem = _check(line, number, head, seq)
        if problem is not None:
            return records, ChainReport(False, len(records), head, problem)
        assert record is not None
        records.append(record)
        head, seq = record["hash"], record["seq"]
    return records, ChainReport(True, len(records), head, None)


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
    policies and ticket events they hold). A broken chain is an
    :class:`~escalate.errors.EscalateError` naming the first broken record: records are never
    appended to a chain that does not verify."""
    records, report = _walk(lines)
    if report.broken is not None:
        b = report.broken
        raise EscalateError(
            f"line {b.line}: the audit trail is broken ({b.problem}: {b.detail}); "
            "not appending to it"
        )
    policies: set[str] = set()
    events: set[tuple[str, int]] = set()
    for record in records:
        body = record["body"]
        if record["kind"] == "policy":
            policies.add(body["policy_hash"])
            if isinstance(body["segments"], dict):
                policies.update(h for h in body["segments"].values() if isinstance(h, str))
        elif record["kind"] in ("override", "acknowledgement"):
            events.add((str(body["ticket_id"]), body["event"]))
    return AuditTrail(
        seq=report.checked and records[-1]["seq"],
        head=report.head,
        known_policies=policies,
        known_events=events,
    )
