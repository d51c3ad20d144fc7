"""Replay audit: recorded decisions decided again, recorded histories checked for deviations.

Every policy record is compiled again and checked against its hash; each decision is decided
again under the recorded policy version. A ticket's decisions are ordered by their recorded
instant, then ``seq``; each recorded history must continue the one before it, and the latest
is checked event by event, each event judged under the policy in force when it happened (the
policy of the ticket's last decision at or before it; the first decision's before that).

:func:`replay_audit` takes a trail (a ``pathlib.Path``, bytes, lines or parsed records, as
:func:`~escalate.audit.chain.verify_chain` does) and reports :class:`Deviation` values:

* ``unreadable-record``: a record whose chain is intact but whose body escalate cannot read
  (a value of the wrong type: written by something else, or rechained after an edit), or a
  decision whose ``ticket_id`` is not its ticket's id;
* ``policy-not-recorded``: a decision names a policy hash no ``policy`` record holds;
* ``policy-mismatch``: a ``policy`` record's document does not compile to its hash;
* ``decision-mismatch``: deciding the recorded ticket again at the recorded instant gives
  other due actions, another ``next_evaluation_at`` or another input digest;
* ``history-rewritten``: a decision's recorded history is not the previous decision's history
  with events appended (an event removed, edited or inserted before recorded ones);
* ``missed-action``: the ticket has ended and the engine's ``Decision.missed`` (in a replayed
  decision, or in the latest history decided again at its last instant) lists an action the
  latest history never records done; actions still due in the latest decision are
  ``pending``, not deviations;
* ``undue-action``: an ``action-done`` whose action was due in no recorded decision at or
  before it, nor when the history is decided again at its instant without it;
* ``unauthorised-override``: an ``override`` whose actor does not hold ``override-escalation``
  at its instant under the policy in force then (``Policy.authorize``), or an ``override``
  record whose recorded ``authority.allowed`` is false.

Only the intact records are replayed (those before the first broken one, which the report's
``chain`` names). Each recorded policy is compiled once (by hash and document): the cost grows
with the records, not with what they say.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

from escalate.audit.canonical import canonical_text, encode_plain
from escalate.audit.chain import ChainReport, Lines, counted, one_line, parse_records
from escalate.audit.records import Known, authority, event_key
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
    "history-rewritten",
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
    event_key: str | None = field(default=None, compare=False, repr=False)

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
    replayed, the ``deviations`` (ordered by ticket, instant, kind), ``pending``: (ticket
    id, action id, due instant) of the actions due in a ticket's latest decision (or its
    re-evaluation) and not done yet, by ticket then action id. ``ok`` when the chain is
    intact and nothing deviates."""

    chain: ChainReport
    decisions: int
    tickets: int
    deviations: tuple[Deviation, ...]
    pending: tuple[tuple[str, str, datetime], ...] = field(default=())

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
            "pending": [
                {"ticket": t, "action": a, "due_at": iso(due)} for t, a, due in self.pending
            ],
        }

    def text(self) -> str:
        lines = [self.chain.text()]
        lines.append(
            f"replayed {counted(self.decisions, 'decision')} of "
            f"{counted(self.tickets, 'ticket')}: {counted(len(self.deviations), 'deviation')}, "
            f"{counted(len(self.pending), 'action')} pending"
        )
        for d in self.deviations:
            seqs = ", ".join(str(s) for s in d.evidence)
            lines.append(f"  - {d.kind}: {one_line(d.text)} [records {seqs}]")
        for ticket, action, due in self.pending:
            lines.append(f"  pending on {one_line(ticket)}: {one_line(action)}, due {iso(due)}")
        return "\n".join(lines)


class _Policies:
    """The recorded policy versions, each record's document compiled once, by hash (segments'
    hashes too); every policy record is checked, whether or not a decision names it."""

    def __init__(self) -> None:
        self.seqs: dict[str, int] = {}  # whole hash -> seq of its first record
        self.owner: dict[str, str] = {}  # any hash -> the whole policy's hash
        self.compiled: dict[str, Policy | None] = {}  # whole hash -> policy (None: no compile)
        self.checked: set[tuple[str, str]] = set()  # (hash, canonical document) compiled
        self.deviations: list[Deviation] = []

    def add(self, seq: int, body: dict[str, Any]) -> None:
        whole, segments = body["policy_hash"], body["segments"]
        if not isinstance(whole, str) or not isinstance(segments, dict):
            raise TypeError("policy_hash must be text and segments an object")
        if not all(isinstance(value, str) for value in segments.values()):
            raise TypeError("a segment's hash is not text")
        key = (whole, canonical_text(body["document"]))
        if key in self.checked:
            return  # the same version recorded again: compiled once
        self.checked.add(key)
        policy = self._compile(seq, whole, body)
        if whole not in self.seqs or (self.compiled[whole] is None and policy is not None):
            self.seqs[whole] = seq
            self.compiled[whole] = policy
        self.owner.setdefault(whole, whole)
        for value in segments.values():
            self.owner.setdefault(value, whole)

    def seq(self, policy_hash: str) -> int | None:
        whole = self.owner.get(policy_hash)
        return None if whole is None else self.seqs[whole]

    def get(self, policy_hash: str) -> Policy | None:
        whole = self.owner.get(policy_hash)
        return None if whole is None else self.compiled[whole]

    def _compile(self, seq: int, whole: str, body: dict[str, Any]) -> Policy | None:
        try:
            policy = _compile(body["document"])
        except (EscalateError, KeyError, TypeError, ValueError, AttributeError) as exc:
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
class _Recorded:
    """One recorded decision of a ticket, read and replayed."""

    seq: int
    at: datetime
    body: dict[str, Any]
    events: list[str]  # the recorded history, each event as canonical JSON
    ticket: Ticket | None  # None: the recorded ticket cannot be read (reported)
    again: Decision | None  # None: not replayed (reported)


@dataclass(slots=True)
class _Ticket:
    """What the trail says about one ticket."""

    decisions: list[_Recorded] = field(default_factory=list)
    events: dict[str, int] = field(default_factory=dict)  # event key -> seq of its record
    refused: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # allowed: false


def replay_audit(trail: Lines) -> AuditReport:
    """Replay a trail; see the module docstring. ``trail``: the path of its file
    (``pathlib.Path``; a missing file is a
    :class:`~escalate.audit.chain.TrailNotFoundError`), its bytes, lines or parsed records
    (as :func:`~escalate.audit.chain.verify_chain` takes them; a plain ``str`` is refused)."""
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
                ticket_id = _ticket_id(body)
                recorded, found = _replay_decision(seq, body, policies)
                tickets.setdefault(ticket_id, _Ticket()).decisions.append(recorded)
                replayed += 1
                deviations.extend(found)
            elif kind in ("override", "acknowledgement"):
                data = body["data"]
                if not isinstance(data, dict):
                    raise TypeError("data (the event) is not an object")
                entry = tickets.setdefault(_ticket_id(body), _Ticket())
                entry.events.setdefault(event_key(body["ticket_id"], data)[1], seq)
                check = body["authority"] if kind == "override" else None
                if isinstance(check, dict) and check.get("allowed") is False:
                    entry.refused.append((seq, body))
        except _UNREADABLE as exc:
            deviations.append(_unreadable(seq, body, exc))
    pending: list[tuple[str, str, datetime]] = []
    for ticket_id in sorted(tickets):
        entry = tickets[ticket_id]
        try:
            found, waiting = _history(ticket_id, entry, policies)
        except _UNREADABLE as exc:
            latest = _ordered(entry)[-1]
            deviations.append(_unreadable(latest.seq, latest.body, exc))
            found, waiting = [], []
        deviations.extend(found)
        deviations.extend(_refused(ticket_id, entry, {d.event_key for d in found}))
        pending.extend((ticket_id, action, due) for action, due in waiting)
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


def _ticket_id(body: dict[str, Any]) -> str:
    ticket_id = body["ticket_id"]
    if not isinstance(ticket_id, str):
        raise TypeError(f"ticket_id is a {type(ticket_id).__name__}, not text")
    return ticket_id


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
    seq: int, body: dict[str, Any], policies: _Policies
) -> tuple[_Recorded, list[Deviation]]:
    """The decision read (its shape checked: what is wrong raises) and decided again."""
    ticket_id = _ticket_id(body)
    at = _instant(body["evaluated_at"])
    data = body["ticket"]
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise TypeError("ticket is not a ticket object with an events list")
    if data.get("id") != ticket_id:
        raise ValueError(
            f"the decision names ticket {ticket_id!r} but holds ticket {data.get('id')!r}"
        )
    if not isinstance(body["actions"], list) or not all(
        isinstance(a, dict) for a in body["actions"]
    ):
        raise TypeError("actions is not a list of objects")
    for action in body["actions"]:
        _instant(action["due_at"])
        if not isinstance(action["id"], str):
            raise TypeError("an action id is not text")
    if not isinstance(body["policy_hash"], str):
        raise TypeError("policy_hash is not text")
    events = [encode_plain(e) for e in data["events"]]  # plain: from a verified record
    recorded = _Recorded(seq, at, body, events, None, None)
    policy = policies.get(body["policy_hash"])
    if policy is None:
        if policies.seq(body["policy_hash"]) is not None:
            return recorded, []  # the policy record does not compile: one deviation, for it
        return recorded, [
            Deviation(
                "policy-not-recorded",
                ticket_id,
                at,
                f"decision {seq} for {ticket_id} names policy {body['policy_hash'][:12]}, "
                "which no policy record holds: the decision cannot be replayed",
                (seq,),
            )
        ]
    try:
        recorded.ticket = Ticket.from_mapping(data)
        recorded.again = policy.evaluate(recorded.ticket, now=at)
    except EscalateError as exc:
        return recorded, [
            Deviation(
                "decision-mismatch",
                ticket_id,
                at,
                f"decision {seq} for {ticket_id} cannot be decided again: {exc}",
                (seq,),
            )
        ]
    return recorded, _compare(seq, body, recorded.again, ticket_id, at, policies)


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


def _ordered(entry: _Ticket) -> list[_Recorded]:
    """A ticket's decisions in the order they were made: by recorded instant, then ``seq``
    (a decision recorded late counts where its instant puts it)."""
    return sorted(entry.decisions, key=lambda r: (r.at, r.seq))


def _rewritten(ticket_id: str, ordered: list[_Recorded]) -> list[Deviation]:
    """Each recorded history must continue the one before it: the same events, as recorded,
    then new ones after them. Anything else hides what the earlier history held."""
    found = []
    for before, after in pairwise(ordered):
        first = next(
            (
                i
                for i, event in enumerate(before.events)
                if i >= len(after.events) or after.events[i] != event
            ),
            None,
        )
        if first is None:
            continue
        then = _shown(before.events[first])
        now = "no such event" if first >= len(after.events) else _shown(after.events[first])
        found.append(
            Deviation(
                "history-rewritten",
                ticket_id,
                after.at,
                f"decision {after.seq} for {ticket_id} holds a history that does not continue "
                f"the one of decision {before.seq}: event {first} was {then}, now {now} (an "
                "event removed, edited, or inserted before it)",
                (before.seq, after.seq),
                event=first,
            )
        )
    return found


def _shown(event_text: str, limit: int = 160) -> str:
    return event_text if len(event_text) <= limit else event_text[:limit] + "..."


class _InForce:
    """The policy of the last recorded decision at or before an instant (for one ticket);
    before the first decision, the first decision's policy."""

    def __init__(self, ordered: list[_Recorded], policies: _Policies) -> None:
        self.instants = [r.at for r in ordered]
        self.ordered = ordered
        self.policies = policies

    def at(self, instant: datetime) -> tuple[_Recorded, Policy | None]:
        index = max(bisect_right(self.instants, instant) - 1, 0)
        recorded = self.ordered[index]
        return recorded, self.policies.get(recorded.body["policy_hash"])


def _history(
    ticket_id: str, entry: _Ticket, policies: _Policies
) -> tuple[list[Deviation], list[tuple[str, datetime]]]:
    """Deviations in the ticket's latest recorded history, each event judged under the policy
    in force when it happened, and the actions pending in it (id, due instant: the latest
    re-evaluation's, else the latest recorded decision's), by id."""
    if not entry.decisions:
        return [], []
    ordered = _ordered(entry)
    deviations = _rewritten(ticket_id, ordered)
    latest = ordered[-1]
    policy = policies.get(latest.body["policy_hash"])
    ticket = latest.ticket
    if policy is None or ticket is None or latest.again is None:
        return deviations, []  # the latest decision could not be replayed: reported already
    in_force = _InForce(ordered, policies)
    last_at = latest.at
    if ticket.events and ticket.events[-1].at > last_at:
        last_at = ticket.events[-1].at
    final = latest.again if last_at == latest.at else policy.evaluate(ticket, now=last_at)
    due: dict[str, tuple[int, datetime]] = {}  # action id -> (seq, instant) first due
    missed: dict[str, datetime] = {}  # action id -> due instant, per the engine's missed
    for recorded in ordered:
        for action in recorded.body["actions"]:
            due.setdefault(action["id"], (recorded.seq, _instant(action["due_at"])))
        if recorded.again is not None:
            for action in recorded.again.missed:
                missed.setdefault(action.id, action.due_at)
    for action in final.missed:
        missed.setdefault(action.id, action.due_at)
    done = {e.action_id: e for e in ticket.events if e.type == "action-done" and e.action_id}
    status = final.ticket.state_at(last_at).status
    ended = (policy.statuses.declared(status) or status) in policy.statuses.ended
    if ended:
        for action_id in sorted(missed):
            if action_id in done:
                continue
            first = due.get(action_id, (latest.seq, missed[action_id]))
            deviations.append(
                Deviation(
                    "missed-action",
                    ticket_id,
                    missed[action_id],
                    f"{action_id} was due on {ticket_id} at {iso(missed[action_id])} and no "
                    "action-done records it before the ticket ended",
                    tuple(sorted({first[0], latest.seq})),
                    action=action_id,
                )
            )
    waiting = {str(a["id"]): _instant(a["due_at"]) for a in latest.body["actions"]}
    waiting.update((a.id, a.due_at) for a in final.actions)
    pending = sorted((a, due) for a, due in waiting.items() if a not in done and a not in missed)
    deviations.extend(_undue(ticket_id, ticket, due, in_force))
    deviations.extend(_overrides(ticket_id, ticket, entry, in_force))
    return deviations, pending


def _undue(
    ticket_id: str,
    ticket: Ticket,
    due: dict[str, tuple[int, datetime]],
    in_force: _InForce,
) -> list[Deviation]:
    found = []
    for event in ticket.events:
        if event.type != "action-done" or not event.action_id:
            continue
        earlier = due.get(event.action_id)
        if earlier is not None and earlier[1] <= event.at:
            continue
        recorded, policy = in_force.at(event.at)
        if policy is None:
            continue  # its policy is not recorded or does not compile: reported already
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
                (recorded.seq,),
                action=event.action_id,
                event=event.index,
            )
        )
    return found


def _overrides(
    ticket_id: str, ticket: Ticket, entry: _Ticket, in_force: _InForce
) -> list[Deviation]:
    found = []
    known: Known = []
    for event in ticket.events:
        if event.type != "override":
            continue
        recorded, policy = in_force.at(event.at)
        if policy is None:
            continue  # its policy is not recorded or does not compile: reported already
        check = authority(policy, ticket, event, known)
        if check["allowed"]:
            continue
        key = canonical_text(event.to_dict())
        record = entry.events.get(key)
        found.append(
            Deviation(
                "unauthorised-override",
                ticket_id,
                event.at,
                f"{event.actor} moved {event.path} to {event.level} on {ticket_id} at "
                f"{iso(event.at)} without override-escalation authority (policy of decision "
                f"{recorded.seq}): {check['reason']}",
                tuple(sorted({recorded.seq, *(() if record is None else (record,))})),
                event=event.index,
                event_key=key,
            )
        )
    return found


def _refused(ticket_id: str, entry: _Ticket, reported: set[str | None]) -> list[Deviation]:
    """Override records that say the actor had no authority: evidence in their own right,
    whatever the histories say now (an override dropped from a later history, a later policy
    granting what the one in force refused)."""
    found = []
    for seq, body in entry.refused:
        key = canonical_text(body["data"])
        if key in reported:
            continue
        reported.add(key)
        try:
            at: datetime | None = parse_instant(body["data"].get("at"))
        except (EscalateError, TypeError, ValueError):
            at = None
        reason = body["authority"].get("reason")
        found.append(
            Deviation(
                "unauthorised-override",
                ticket_id,
                at,
                f"override record {seq}: {body['actor']} moved {body['path']} to "
                f"{body['level']} on {ticket_id} and the record says they had no "
                f"override-escalation authority: {reason}",
                (seq,),
                event_key=key,
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
