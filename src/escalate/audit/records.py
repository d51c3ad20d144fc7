"""Audit records: hash-chained JSON lines for policy versions, decisions, overrides and acks.

A record is one JSON object on one line, in canonical JSON (:mod:`escalate.audit.canonical`)::

    {"at": <instant>, "body": {...}, "hash": <hex>, "kind": <kind>, "prev": <hex>, "seq": <n>}

``seq`` counts from 1; ``prev`` is the previous record's ``hash`` (64 zeros for the first);
``hash`` is ``sha256(canonical(record without "hash"))`` in lower-case hex. Editing, removing,
inserting or reordering a record therefore breaks the chain at that record (docs/audit.md).

:class:`AuditTrail` builds records in memory (no I/O, no clock: every instant is given);
``policy_body``, ``decision_body`` and ``event_bodies`` say what each kind holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from escalate.audit.canonical import _plain, canonical_bytes, canonical_text, encode_plain, plain
from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision, iso
from escalate.engine.history import Event
from escalate.engine.ticket import Ticket
from escalate.errors import ArgumentError, EscalateError

__all__ = [
    "GENESIS",
    "KINDS",
    "RECORD_KEYS",
    "AuditTrail",
    "Record",
    "decision_body",
    "encode_record",
    "event_bodies",
    "event_key",
    "policy_body",
    "record_hash",
]

GENESIS = "0" * 64
"""The ``prev`` of the first record."""

RECORD_KEYS = frozenset({"seq", "kind", "at", "body", "prev", "hash"})
"""The keys of every record, no more."""

KINDS: Mapping[str, frozenset[str]] = {
    "policy": frozenset({"policy_id", "version", "policy_hash", "segments", "source", "document"}),
    "decision": frozenset(
        {
            "policy_hash",
            "ticket_id",
            "evaluated_at",
            "input_digest",
            "ticket",
            "actions",
            "next_evaluation_at",
        }
    ),
    "override": frozenset(
        {
            "ticket_id",
            "event",
            "data",
            "actor",
            "path",
            "level",
            "reason",
            "policy_hash",
            "authority",
        }
    ),
    "acknowledgement": frozenset({"ticket_id", "event", "data", "actor", "path", "policy_hash"}),
    "note": frozenset({"text"}),
}
"""Each kind of record and the keys its ``body`` must hold (it may hold more)."""


def record_hash(record: Mapping[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of ``record`` without its ``hash`` key."""
    unsigned = {key: value for key, value in record.items() if key != "hash"}
    return hashlib.sha256(canonical_bytes(unsigned)).hexdigest()


def encode_record(seq: int, kind: str, at: str, body: object, prev: str) -> tuple[str, str]:
    """``(hash, line)`` of a record whose parts are plain JSON data already: the canonical
    record without ``hash`` is written once and the line is that text with the hash put in
    its sorted place (``at``, ``body``, ``hash``, ``kind``, ``prev``, ``seq``). A lone
    surrogate in a string is a ``UnicodeEncodeError``."""
    head = f'{{"at":{encode_plain(at)},"body":{encode_plain(body)}'
    tail = f',"kind":{encode_plain(kind)},"prev":{encode_plain(prev)},"seq":{seq}}}'
    digest = hashlib.sha256(f"{head}{tail}".encode()).hexdigest()
    return digest, f'{head},"hash":"{digest}"{tail}'


@dataclass(frozen=True, slots=True)
class Record:
    """One record: ``seq``, ``kind``, ``at`` (UTC ISO text), ``body`` (plain JSON data),
    ``prev``, ``hash``; :meth:`line` its canonical line (without the newline), as written
    when the record was added."""

    seq: int
    kind: str
    at: str
    body: Mapping[str, Any]
    prev: str
    hash: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind,
            "at": self.at,
            "body": self.body,
            "prev": self.prev,
            "hash": self.hash,
        }

    def line(self) -> str:
        return self.text


class AuditTrail:
    """Records built in memory, continuing a chain (``seq`` and the last ``hash``).

    Start one empty (``AuditTrail()``) or after existing records (``AuditTrail(seq=12,
    head=<hash of record 12>)``); :meth:`lines` gives the new records' lines to append. The
    trail remembers which policy hashes and ticket events it holds (``known_policies``,
    ``known_events``: :func:`event_key` of each; pass them in when continuing) so each is
    recorded once.
    """

    __slots__ = ("_records", "head", "known_events", "known_policies", "seq")

    def __init__(
        self,
        *,
        seq: int = 0,
        head: str = GENESIS,
        known_policies: Iterable[str] = (),
        known_events: Iterable[tuple[str, str]] = (),
    ) -> None:
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ArgumentError(f"seq must be an int >= 0, got {seq!r}")
        if not isinstance(head, str) or len(head) != 64:
            raise ArgumentError(f"head must be a 64-character hex hash, got {head!r}")
        self.seq = seq
        self.head = head
        self.known_policies: set[str] = set(known_policies)
        self.known_events: set[tuple[str, str]] = set(known_events)
        self._records: list[Record] = []

    @property
    def records(self) -> tuple[Record, ...]:
        """The records added so far, in order."""
        return tuple(self._records)

    def lines(self) -> list[str]:
        """The added records as lines (no newlines), in order."""
        return [record.line() for record in self._records]

    def add(self, kind: str, at: datetime, body: Mapping[str, Any]) -> Record:
        """Append a record of ``kind`` at ``at`` (aware) with ``body``; returns it."""
        if kind not in KINDS:
            raise ArgumentError(f"unknown record kind {kind!r}; one of {', '.join(sorted(KINDS))}")
        missing = sorted(KINDS[kind] - set(body))
        if missing:
            raise ArgumentError(f"a {kind} record's body needs {', '.join(missing)}")
        if not isinstance(at, datetime) or at.utcoffset() is None:
            raise ArgumentError(f"at must be an aware datetime, got {at!r}")
        # checked inside a record-like object so the depth bound counts the record's level
        seq, when = self.seq + 1, iso(at)
        content = cast("dict[str, Any]", plain({"body": body}))["body"]
        assert when is not None
        try:
            digest, line = encode_record(seq, kind, when, content, self.head)
        except UnicodeEncodeError:
            _plain(body, ("body",))  # raises, naming where the lone surrogate is
            raise
        record = Record(seq, kind, when, cast("dict[str, Any]", content), self.head, digest, line)
        self._records.append(record)
        self.seq, self.head = record.seq, digest
        return record

    def add_policy(self, policy: Policy, at: datetime) -> Record | None:
        """A ``policy`` record for ``policy`` unless one with its hash is known already."""
        if policy.content_hash in self.known_policies:
            return None
        record = self.add("policy", at, policy_body(policy))
        self.known_policies.add(policy.content_hash)
        self.known_policies.update(record.body["segments"].values())
        return record

    def add_decision(self, decision: Decision, policy: Policy | None = None) -> list[Record]:
        """A ``decision`` record, then an ``override`` or ``acknowledgement`` record for each
        such event of the ticket's history not recorded yet (authority checked with ``policy``
        when given)."""
        added = [self.add("decision", decision.evaluated_at, decision_body(decision))]
        for kind, at, body in event_bodies(decision.ticket, decision.policy_hash, policy):
            key = event_key(body["ticket_id"], body["data"])
            if key in self.known_events:
                continue
            self.known_events.add(key)
            added.append(self.add(kind, at, body))
        return added

    def add_note(self, text: str, at: datetime, **extra: Any) -> Record:
        """A free annotation."""
        return self.add("note", at, {"text": text, **extra})


# -- what each kind holds ---------------------------------------------------------------------


def policy_body(policy: Policy) -> dict[str, Any]:
    """A policy version: its id, version, content hash, its segments' hashes, where it was
    loaded from and ``document``, what it was compiled from (so a replay compiles exactly
    that version again): ``{"loader": "loads", "filename", "text", "max_bytes"}`` or
    ``{"loader": "load", "path", "max_bytes", "answers": [[question, path, answer], ...]}``,
    the file system's answers to ``load`` (file texts, folder listings)."""
    if not isinstance(policy, Policy):
        raise ArgumentError(f"policy must be an escalate Policy, got {type(policy).__name__}")
    return {
        "policy_id": policy.id,
        "version": policy.version,
        "policy_hash": policy.content_hash,
        "segments": {s.id: s.policy.content_hash for s in policy.segments},
        "source": policy.source,
        "document": _document(policy),
    }


def _document(policy: Policy) -> dict[str, Any]:
    function, args = policy.__reduce__()
    name = getattr(function, "__name__", "")
    if name == "_reloads":
        text, filename, limit = args
        return {
            "loader": "loads",
            "filename": filename,
            "text": _text(text, filename),
            "max_bytes": limit,
        }
    if name == "_reload":
        given, limit, recording = args
        answers = [
            [question, path, _text(answer, path) if isinstance(answer, bytes) else answer]
            for (question, path), answer in recording
        ]
        return {"loader": "load", "path": given, "max_bytes": limit, "answers": answers}
    raise ArgumentError(
        f"policy {policy.id!r} is a segment's policy; record the whole policy it came from"
    )


def _text(raw: str | bytes, where: str) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ArgumentError(f"{where}: the policy text is not UTF-8") from None


def decision_body(decision: Decision) -> dict[str, Any]:
    """A decision: the policy hash, the ticket as evaluated (``Ticket.to_dict()``), the
    instant, the input digest, the due actions (id, kind, source, due instant) and
    ``next_evaluation_at``."""
    if not isinstance(decision, Decision):
        raise ArgumentError(f"decision must be an escalate Decision, got {type(decision).__name__}")
    return {
        "policy_hash": decision.policy_hash,
        "policy_id": decision.policy_id,
        "version": decision.policy_version,
        "segment": decision.segment,
        "ticket_id": decision.ticket_id,
        "evaluated_at": iso(decision.evaluated_at),
        "input_digest": decision.input_digest,
        "ticket": decision.ticket.to_dict(),
        "actions": [
            {"id": a.id, "kind": a.kind, "source": a.source, "due_at": iso(a.due_at)}
            for a in decision.actions
        ],
        "missed": [a.id for a in decision.missed],
        "next_evaluation_at": iso(decision.next_evaluation_at),
    }


def event_key(ticket_id: str, data: object) -> tuple[str, str]:
    """What identifies a recorded event: the ticket id and the canonical JSON of the event as
    ``Event.to_dict()`` writes it (the record's ``data``). Its position in the history is no
    key: an event synced late lands before events recorded already."""
    return ticket_id, canonical_text(data)


def event_bodies(
    ticket: Ticket, policy_hash: str | None, policy: Policy | None = None
) -> list[tuple[str, datetime, dict[str, Any]]]:
    """``(kind, at, body)`` of an ``override`` or ``acknowledgement`` record for each such
    event of ``ticket``'s history, in history order; an override's ``authority`` is
    ``policy.authorize(actor, "override-escalation", ...)`` when ``policy`` is given, else
    ``None``."""
    found: list[tuple[str, datetime, dict[str, Any]]] = []
    known: Known = []
    for event in ticket.events:
        if event.type == "override":
            body = _override(ticket, event, policy_hash, policy, known)
            found.append(("override", event.at, body))
        elif event.type == "acknowledged":
            body = {
                "ticket_id": ticket.id,
                "event": event.index,
                "data": event.to_dict(),
                "actor": event.actor,
                "path": event.path,
                "party": event.party,
                "policy_hash": policy_hash,
            }
            found.append(("acknowledgement", event.at, body))
    return found


def _override(
    ticket: Ticket,
    event: Event,
    policy_hash: str | None,
    policy: Policy | None,
    known: Known | None = None,
) -> dict[str, Any]:
    return {
        "ticket_id": ticket.id,
        "event": event.index,
        "data": event.to_dict(),
        "actor": event.actor,
        "path": event.path,
        "level": event.level,
        "reason": event.reason,
        "policy_hash": policy_hash,
        "authority": None if policy is None else authority(policy, ticket, event, known),
    }


def authority(
    policy: Policy, ticket: Ticket, event: Event, known: Known | None = None
) -> dict[str, Any]:
    """Whether the override ``event``'s actor holds ``override-escalation`` at its instant,
    per ``Policy.authorize``: ``{"allowed", "grounds", "reason"}``.

    ``known`` (a list the caller keeps for one ticket) holds, per policy, the override checks
    of one evaluation of the whole ticket: with a ``governance:`` section the engine checks
    every override by the very function ``authorize`` answers with, so one evaluation answers
    for all of them instead of one ``authorize`` (itself checking the earlier overrides) each.
    """
    if known is not None:
        checks = next((found for chosen, found in known if chosen is policy), None)
        if checks is None:
            checks = _override_checks(policy, ticket)
            known.append((policy, checks))
        if event.index in checks:
            return checks[event.index]
    found = policy.authorize(event.actor or "", "override-escalation", ticket, at=event.at)
    return {"allowed": found.allowed, "grounds": list(found.grounds), "reason": found.reason}


#: Per policy, the authority of each override event (by index) of one ticket.
Known = list[tuple[Policy, dict[int, dict[str, Any]]]]


def _override_checks(policy: Policy, ticket: Ticket) -> dict[int, dict[str, Any]]:
    """The override checks of ``policy`` evaluating all of ``ticket`` (none without a
    ``governance:`` section, or when it cannot be evaluated whole: then ask one by one)."""
    last = max([ticket.opened_at, *(e.at for e in ticket.events[-1:])])
    try:
        decision = policy.evaluate(ticket, now=last)
    except EscalateError:
        return {}
    if decision.governance is None:
        return {}
    return {
        c.index: {"allowed": c.authorised, "grounds": list(c.grounds), "reason": c.reason}
        for c in decision.governance.overrides
    }
