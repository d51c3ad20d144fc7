"""Replay audit: recorded decisions decided again, recorded histories checked for deviations.

Each decision is decided again under the recorded policy version; each ticket's latest history
is checked against what was due.

:func:`replay_audit` takes the records of a trail (text, bytes or lines, as
:func:`~escalate.audit.chain.verify_chain` does) and reports :class:`Deviation` values:

* ``unreadable-record``: a record whose chain is intact but whose body escalate cannot read
  (a value of the wrong type: written by something else, or rechained after an edit);
* ``policy-not-recorded``: a decision names a policy hash no ``policy`` record holds;
* ``policy-mismatch``: a ``policy`` record's document does not compile to its hash;
* ``decision-mismatch``: deciding the recorded ticket again at the recorded instant gives
  other due actions, another ``next_evaluation_at`` or another input digest;
* ``missed-action``: an action due in a replayed decision (or in a re-evaluation of the
  ticket's latest recorded history at its last recorded instant, ``Decision.missed``
  included) never recorded ``action-done`` in that history, when the ticket has ended or a
  later decision of the ticket was recorded after it was due; actions due in the latest
  decision of a ticket still open are ``pending``, not deviations;
* ``undue-action``: an ``action-done`` whose action was due in no recorded decision at or
  before it, nor when the history is decided again at its instant without it;
* ``unauthorised-override``: an ``override`` whose actor does not hold ``override-escalation``
  at its instant (``Policy.authorize``).

Only the intact records are replayed (those before the first broken one, which the report's
``chain`` names). Each recorded policy is compiled once (cached by hash): the cost grows with
the records, not with what they say.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from escalate.audit.chain import ChainReport, Lines, parse_records
from escalate.audit.files import read_trail
from escalate.audit.records import authority
from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision, iso
from escalate.engine.ticket import Ticket
from escalate.engine.ticket_format import parse_instant
from escalate.errors import EscalateError
from escalate.policy.loader import _reload, loads

__all__ = ["DEVIATION_KINDS", "AuditReport", "Deviation", "replay_audit"]

DEVIATION_KINDS = (
    "unreadable-record",
    "policy-not-recorded",
    "policy-mismatch",
    "decision-mismatch",
    "missed-action",
    "undue-action",
    "unauthorised-override",
)
"""The kinds of deviation, in the order a report lists them for one ticket and instant."""


@dataclass(frozen=True, slots=True)
class Deviation:
    """One finding: ``kind`` (one of :data:`DEVIATION_KINDS`), the ``ticket`` id (``None``
    for a policy), the ``action`` id or history ``event`` index it concerns, the ``at``
    instant, ``evidence`` (the ``seq`` of the records it rests on) and ``text``, a sentence."""

    kind: str
    ticket: str | None
    at: datetime | None
    text: str
    evidence: tuple[int, ...]
    action: str | None = None
    event: int | None = None

    def sort_key(self) -> tuple[str, str, int, str, int]:
        return (
            self.ticket or "",
            iso(self.at) or "",
            DEVIATION_KINDS.index(self.kind),
            self.action or "",
            -1 if self.event is None else self.event,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ticket": self.ticket,
            "action": self.action,
            "event": self.event,
            "at": iso(self.at),
            "evidence": list(self.evidence),
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class AuditReport:
    """What :func:`replay_audit` found: the ``chain`` report, how many ``decisions`` were
    replayed, the ``deviations`` (ordered by ticket, instant, kind), ``pending`` (ticket id,
    action id) pairs due in an open ticket's latest decision and not done yet. ``ok`` when
    the chain is intact and nothing deviates."""

    chain: ChainReport
    decisions: int
    tickets: int
    deviations: tuple[Deviation, ...]
    pending: tuple[tuple[str, str], ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.deviations

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "chain": self.chain.to_dict(),
            "decisions": self.decisions,
            "tickets": self.tickets,
            "deviations": [d.to_dict() for d in self.deviations],
            "pending": [{"ticket": t, "action": a} for t, a in self.pending],
        }

    def text(self) -> str:
        lines = [self.chain.text()]
        lines.append(
            f"replayed {self.decisions} decisions of {self.tickets} tickets: "
            f"{len(self.deviations)} deviations, {len(self.pending)} actions pending"
        )
        for d in self.deviations:
            seqs = ", ".join(str(s) for s in d.evidence)
            lines.append(f"  - {d.kind}: {d.text} [records {seqs}]")
        return "\n".join(lines)


class _Policies:
    """The recorded policy versions, each compiled once, by hash (segments' hashes too)."""

    def __init__(self) -> None:
        self.documents: dict[str, tuple[int, dict[str, Any]]] = {}  # whole hash -> seq, body
        self.owner: dict[str, str] = {}  # any hash -> the whole policy's hash
        self.compiled: dict[str, Policy | None] = {}
        self.deviations: list[Deviation] = []

    def add(self, seq: int, body: dict[str, Any]) -> None:
        whole = str(body["policy_hash"])
        self.documents.setdefault(whole, (seq, body))
        self.owner.setdefault(whole, whole)
        segments = body["segments"] if isinstance(body["segments"], dict) else {}
        for value in segments.values():
            self.owner.setdefault(str(value), whole)

    def seq(self, policy_hash: str) -> int | None:
        whole = self.owner.get(policy_hash)
        return None if whole is None else self.documents[whole][0]

    def get(self, policy_hash: str) -> Policy | None:
        whole = self.owner.get(policy_hash)
        if whole is None:
            return None
        if whole not in self.compiled:
            seq, body = self.documents[whole]
            self.compiled[whole] = self._compile(seq, whole, body)
        return self.compiled[whole]

    def _compile(self, seq: int, whole: str, body: dict[str, Any]) -> Policy | None:
        try:
            policy = _compile(body["document"])
        except (EscalateError, KeyError, TypeError, ValueError) as exc:
            why = f"does not compile: {exc}"
        else:
            if policy.content_hash == whole:
                return policy
            why = f"compiles to hash {policy.content_hash[:12]}, not the recorded one"
        self.deviations.append(
            Deviation(
                "policy-mismatch",
                None,
                None,
                f"the policy record {seq} ({body.get('policy_id')} v{body.get('version')}, "
                f"{whole[:12]}) {why}",
                (seq,),
            )
        )
        return None


def _compile(document: dict[str, Any]) -> Policy:
    """A policy compiled again from a ``policy`` record's document (nothing read from disk)."""
    if document["loader"] == "loads":
        return loads(
            document["text"], filename=document["filename"], max_bytes=document["max_bytes"]
        )
    if document["loader"] == "load":
        recording = tuple(
            ((question, path), _answer(question, answer))
            for question, path, answer in document["answers"]
        )
        return _reload(document["path"], document["max_bytes"], recording)
    raise ValueError(f"unknown loader {document['loader']!r}")


def _answer(question: str, answer: object) -> object:
    if question == "read" and isinstance(answer, str):
        return answer.encode("utf-8")
    if question == "names" and isinstance(answer, list):
        return tuple(answer)
    return answer


@dataclass(slots=True)
class _Ticket:
    """What the trail says about one ticket."""

    decisions: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    due: dict[str, tuple[int, datetime]] = field(default_factory=dict)  # id -> seq, first due
    events: dict[int, int] = field(default_factory=dict)  # history index -> record seq


def replay_audit(trail: Lines | os.PathLike[str]) -> AuditReport:
    """Replay a trail; see the module docstring. ``trail``: its text, bytes, lines or parsed
    records (as :func:`~escalate.audit.chain.verify_chain` takes them), or the path of its
    file (``pathlib.Path``; read with :func:`~escalate.audit.files.read_trail`)."""
    if isinstance(trail, os.PathLike):
        trail = read_trail(trail)
    records, chain = parse_records(trail)
    policies = _Policies()
    tickets: dict[str, _Ticket] = {}
    deviations: list[Deviation] = []
    replayed = 0
    for record in records:
        kind, body, seq = record["kind"], record["body"], record["seq"]
        try:
            if kind == "policy":
                policies.add(seq, body)
            elif kind == "decision":
                entry = tickets.setdefault(str(body["ticket_id"]), _Ticket())
                found = _replay_decision(seq, body, policies, entry)
                entry.decisions.append((seq, body))
                replayed += 1
                deviations.extend(found)
            elif kind in ("override", "acknowledgement"):
                entry = tickets.setdefault(str(body["ticket_id"]), _Ticket())
                if isinstance(body["event"], int):
                    entry.events.setdefault(body["event"], seq)
        except _UNREADABLE as exc:
            deviations.append(_unreadable(seq, body, exc))
    pending: list[tuple[str, str]] = []
    for ticket_id in sorted(tickets):
        try:
            found, waiting = _history(ticket_id, tickets[ticket_id], policies)
        except _UNREADABLE as exc:
            seq, body = tickets[ticket_id].decisions[-1]
            deviations.append(_unreadable(seq, body, exc))
            continue
        deviations.extend(found)
        pending.extend((ticket_id, action) for action in waiting)
    deviations.extend(policies.deviations)
    return AuditReport(
        chain,
        replayed,
        sum(1 for t in tickets.values() if t.decisions),
        tuple(sorted(deviations, key=Deviation.sort_key)),
        tuple(pending),
    )


#: What reading a record's body may raise when a value has the wrong type or shape.
_UNREADABLE = (KeyError, TypeError, ValueError, AttributeError, IndexError, EscalateError)


def _unreadable(seq: int, body: dict[str, Any], exc: Exception) -> Deviation:
    ticket = body.get("ticket_id")
    return Deviation(
        "unreadable-record",
        ticket if isinstance(ticket, str) else None,
        None,
        f"record {seq} cannot be read: {type(exc).__name__}: {str(exc)[:200]}",
        (seq,),
    )


def _replay_decision(
    seq: int, body: dict[str, Any], policies: _Policies, entry: _Ticket
) -> list[Deviation]:
    ticket_id = str(body["ticket_id"])
    at = _instant(body["evaluated_at"])
    for action in body["actions"]:
        entry.due.setdefault(str(action["id"]), (seq, _instant(action["due_at"])))
    policy = policies.get(str(body["policy_hash"]))
    if policy is None:
        if policies.seq(str(body["policy_hash"])) is not None:
            return []  # the policy record does not compile: one deviation, for the policy
        return [
            Deviation(
                "policy-not-recorded",
                ticket_id,
                at,
                f"decision {seq} for {ticket_id} names policy {str(body['policy_hash'])[:12]}, "
                "which no policy record holds: the decision cannot be replayed",
                (seq,),
            )
        ]
    try:
        ticket = Ticket.from_mapping(body["ticket"])
        again = policy.evaluate(ticket, now=at)
    except EscalateError as exc:
        return [
            Deviation(
                "decision-mismatch",
                ticket_id,
                at,
                f"decision {seq} for {ticket_id} cannot be decided again: {exc}",
                (seq,),
            )
        ]
    return _compare(seq, body, again, ticket_id, at, policies)


def _compare(
    seq: int,
    body: dict[str, Any],
    again: Decision,
    ticket_id: str,
    at: datetime,
    policies: _Policies,
) -> list[Deviation]:
    recorded = {str(a["id"]): (a["kind"], a["due_at"]) for a in body["actions"]}
    fresh = {a.id: (a.kind, iso(a.due_at)) for a in again.actions}
    differing = sorted(
        key for key in recorded.keys() | fresh.keys() if recorded.get(key) != fresh.get(key)
    )
    problems = []
    if differing:
        problems.append(f"due actions differ: {', '.join(differing)}")
    if body["next_evaluation_at"] != iso(again.next_evaluation_at):
        problems.append(
            f"next_evaluation_at recorded {body['next_evaluation_at']}, replayed "
            f"{iso(again.next_evaluation_at)}"
        )
    if body["input_digest"] != again.input_digest:
        problems.append("the input digest differs (the recorded ticket or instant was changed)")
    if not problems:
        return []
    evidence = tuple(sorted({seq, policies.seq(again.policy_hash) or seq}))
    return [
        Deviation(
            "decision-mismatch",
            ticket_id,
            at,
            f"decision {seq} for {ticket_id} at {iso(at)} differs when replayed: "
            + "; ".join(problems),
            evidence,
            action=differing[0] if differing else None,
        )
    ]


def _history(
    ticket_id: str, entry: _Ticket, policies: _Policies
) -> tuple[list[Deviation], list[str]]:
    """Deviations in the ticket's latest recorded history, and the actions pending in it."""
    if not entry.decisions:
        return [], []
    last_seq, last = entry.decisions[-1]
    policy = policies.get(str(last["policy_hash"]))
    if policy is None:
        return [], []
    try:
        ticket = Ticket.from_mapping(last["ticket"])
    except EscalateError:
        return [], []  # reported as a decision-mismatch already
    last_at = _instant(last["evaluated_at"])
    if ticket.events and ticket.events[-1].at > last_at:
        last_at = ticket.events[-1].at
    final = policy.evaluate(ticket, now=last_at)
    due = dict(entry.due)
    for action in (*final.actions, *final.missed):
        due.setdefault(action.id, (last_seq, action.due_at))
    done = {e.action_id: e for e in ticket.events if e.type == "action-done" and e.action_id}
    status = final.ticket.state_at(last_at).status
    ended = (policy.statuses.declared(status) or status) in policy.statuses.ended
    latest_due = {str(a["id"]) for a in last["actions"]} | {a.id for a in final.actions}
    deviations: list[Deviation] = []
    pending: list[str] = []
    for action_id in sorted(due):
        if action_id in done:
            continue
        seq, due_at = due[action_id]
        if not ended and seq == last_seq and action_id in latest_due:
            pending.append(action_id)
            continue
        state = "the ticket ended" if ended else f"the last decision ({last_seq})"
        deviations.append(
            Deviation(
                "missed-action",
                ticket_id,
                due_at,
                f"{action_id} was due on {ticket_id} at {iso(due_at)} and no action-done "
                f"records it before {state}",
                tuple(sorted({seq, last_seq})),
                action=action_id,
            )
        )
    deviations.extend(_undue(ticket_id, ticket, entry, policy, done, last_seq))
    deviations.extend(_overrides(ticket_id, ticket, entry, policy, last_seq))
    return deviations, pending


def _undue(
    ticket_id: str,
    ticket: Ticket,
    entry: _Ticket,
    policy: Policy,
    done: dict[str, Any],
    last_seq: int,
) -> list[Deviation]:
    found = []
    for event in ticket.events:
        if event.type != "action-done" or not event.action_id:
            continue
        earlier = entry.due.get(event.action_id)
        if earlier is not None and earlier[1] <= event.at:
            continue
        try:
            then = policy.evaluate(as_of(ticket, event.at, drop=event.index), now=event.at)
        except EscalateError:
            then = None
        if then is not None and any(a.id == event.action_id for a in then.actions):
            continue
        found.append(
            Deviation(
                "undue-action",
                ticket_id,
                event.at,
                f"{ticket_id} records {event.action_id} done at {iso(event.at)} (event "
                f"{event.index}) but it was never due: no recorded decision gave it and "
                "deciding the history again at that instant does not",
                (last_seq,),
                action=event.action_id,
                event=event.index,
            )
        )
    return found


def _overrides(
    ticket_id: str, ticket: Ticket, entry: _Ticket, policy: Policy, last_seq: int
) -> list[Deviation]:
    found = []
    for event in ticket.events:
        if event.type != "override":
            continue
        check = authority(policy, ticket, event)
        if check["allowed"]:
            continue
        recorded = entry.events.get(event.index)
        evidence = tuple(sorted({last_seq, *(() if recorded is None else (recorded,))}))
        found.append(
            Deviation(
                "unauthorised-override",
                ticket_id,
                event.at,
                f"{event.actor} moved {event.path} to {event.level} on {ticket_id} at "
                f"{iso(event.at)} without override-escalation authority: {check['reason']}",
                evidence,
                event=event.index,
            )
        )
    return found


def as_of(ticket: Ticket, at: datetime, *, drop: int | None = None) -> Ticket:
    """``ticket`` as it stood at ``at``: its history up to ``at`` (without event ``drop``),
    its status, priority, assignment, counters and changed fields as they were then."""
    state = ticket.state_at(at)
    data: dict[str, Any] = ticket.to_dict()
    kept = [e for e in ticket.events if e.at <= at and e.index != drop]
    data["events"] = [e.to_dict() for e in kept]
    data["status"] = state.status
    data["priority"] = state.priority
    data["assignment_group"] = state.assignment_group
    data["assignee"] = state.assignee
    data["reassignment_count"] = state.reassignment_count
    data["reopen_count"] = state.reopen_count
    for name, value in state.history_fields.items():
        if name.startswith("fields."):
            data["fields"] = {**data["fields"], name[7:]: value}
        elif name.startswith("customer."):
            data["customer"] = {**data["customer"], name[9:]: value}
        else:
            data[name] = value
    return Ticket.from_mapping(data)


def _instant(text: object) -> datetime:
    return parse_instant(text)
