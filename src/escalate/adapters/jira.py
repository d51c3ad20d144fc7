"""Jira: issue JSON with its changelog in as a Ticket, a decision out as Jira's payloads.

Reads what ``GET /rest/api/3/issue/{key}?expand=changelog`` (Jira Cloud) or
``/rest/api/2/issue/{key}?expand=changelog`` (Jira Server / Data Center) returns, and writes
the bodies a middleware sends back: a transition (``POST .../issue/{key}/transitions``), a
comment (``POST .../issue/{key}/comment``: Atlassian Document Format for v3, plain text for v2)
and a field edit (``PUT .../issue/{key}``). Jira Service Management SLA fields are read as
cross-checks of escalate's clocks (:func:`compare_sla`). No HTTP, no clock: pure functions.

What a caller must know:

* Jira writes offsets without a colon (``2024-06-03T09:00:00.000-0700``); that form, ``+07:00``
  and ``Z`` are read. A timestamp without an offset is refused unless :class:`JiraMapping`
  names ``time_zone``.
* Jira has no built-in assignment group: :attr:`JiraMapping.group_field` names the custom field
  that holds it (``customfield_10050``), or there is none.
* Histories are ordered by ``created`` then by numeric ``id`` (Jira returns them newest first,
  or in pages); the items of one history keep their order.
* Statuses are passed as Jira names (``"In Progress"``) for the policy's aliases to map, unless
  :attr:`JiraMapping.statuses` renames them; which (Jira or renamed) names end a cycle is
  declared by ``resolved_statuses`` and ``closed_statuses``.
* Every problem is a :class:`~escalate.errors.TicketError` naming the Jira key path
  (``changelog.histories[2].created``) and the value; nothing partial is returned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from escalate.adapters._common import (
    check_zone,
    freeze_name_sets,
    freeze_tables,
    in_range,
    local_instant,
    value_hash,
)
from escalate.engine.decision import Decision
from escalate.engine.ticket import Ticket
from escalate.engine.ticket_format import normalise_name
from escalate.errors import ArgumentError, TicketError

__all__ = [
    "JiraMapping",
    "SlaDisagreement",
    "comment_payload",
    "compare_sla",
    "edit_payload",
    "parse_instant",
    "payloads",
    "read_issue",
    "transition_payload",
]

Path = tuple[str | int, ...]
Scalar = str | int | bool | None


@dataclass(frozen=True, slots=True)
class JiraMapping:
    """How one Jira site's issues read as tickets, and how decisions write back.

    * ``api_version``: ``3`` (Cloud: people by ``accountId``, comments in ADF) or ``2`` (Server /
      Data Center: people by ``name``, comments in plain text).
    * ``time_zone``: the zone of timestamps written without an offset; ``None`` refuses them.
    * ``group_field``: the custom field id holding the assignment group; ``group_field_name``:
      its name as Server changelog items write it (Cloud items also carry ``fieldId``).
    * ``statuses``: Jira status name -> the status name given to escalate (others pass as is).
    * ``priorities``: Jira priority name -> the raw priority given to escalate (others as is).
    * ``resolved_statuses`` / ``closed_statuses``: the status names (after ``statuses``) whose
      entry is a ``resolved`` / ``closed`` event; leaving one of them is a ``reopened`` event.
    * ``custom_fields``: Jira field id -> the escalate custom field name (``fields.<name>``).
    * ``sla_fields``: JSM SLA field id -> the escalate clock it cross-checks.
    * ``sla_tolerance``: how far Jira's and escalate's instants and durations may differ.
    * ``transitions``: escalate action kind -> Jira transition id, for :func:`transition_payload`.
    * ``priority_names``: canonical priority (``P1``) -> Jira priority name, for the edit.
    * ``group_format``: how the group field is written: ``text``, ``option`` (``{"value": ..}``,
      a select list) or ``group`` (``{"name": ..}``, a group picker).
    """

    api_version: Literal[2, 3] = 3
    time_zone: str | None = None
    group_field: str | None = None
    group_field_name: str | None = None
    statuses: Mapping[str, str] = field(default_factory=dict)
    priorities: Mapping[str, str] = field(default_factory=dict)
    resolved_statuses: frozenset[str] = frozenset({"resolved"})
    closed_statuses: frozenset[str] = frozenset({"closed", "done"})
    custom_fields: Mapping[str, str] = field(default_factory=dict)
    sla_fields: Mapping[str, str] = field(default_factory=dict)
    sla_tolerance: timedelta = timedelta(minutes=1)
    transitions: Mapping[str, str] = field(default_factory=dict)
    priority_names: Mapping[str, str] = field(default_factory=dict)
    group_format: Literal["text", "option", "group"] = "option"

    def __post_init__(self) -> None:
        if self.api_version not in (2, 3):
            raise ArgumentError(f"api_version must be 2 or 3, not {self.api_version!r}")
        if self.group_format not in ("text", "option", "group"):
            raise ArgumentError(
                f"group_format must be text, option or group: {self.group_format!r}"
            )
        if self.time_zone is not None:
            check_zone(self.time_zone)
        if not isinstance(self.sla_tolerance, timedelta) or self.sla_tolerance < timedelta(0):
            raise ArgumentError(f"sla_tolerance must be a timedelta >= 0: {self.sla_tolerance!r}")
        # Frozen all the way down: the tables are copied into read-only mappings.
        freeze_tables(self, _TABLES)
        freeze_name_sets(self, ("resolved_statuses", "closed_statuses"), "status names")

    def __hash__(self) -> int:
        return value_hash(self)

    @property
    def person_key(self) -> str:
        """The key naming a person: ``accountId`` (Cloud, v3) or ``name`` (Server, v2)."""
        return "accountId" if self.api_version == 3 else "name"


_TABLES = (
    "statuses",
    "priorities",
    "custom_fields",
    "sla_fields",
    "transitions",
    "priority_names",
)


# ---------------------------------------------------------------------------------------------
# Instants
# ---------------------------------------------------------------------------------------------

_INSTANT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?"
    r"(Z|[+-]\d{2}:?\d{2})?",
    re.ASCII,
)


def parse_instant(text: object, path: Path = (), time_zone: str | None = None) -> datetime:
    """Read a Jira timestamp as an aware UTC ``datetime``.

    Jira writes ``2024-06-03T09:00:00.000-0700`` (no colon in the offset); ``-07:00`` and ``Z``
    are read too. Without an offset the time is refused, unless ``time_zone`` says where it was
    written. Anything else is a :class:`TicketError` naming ``path`` and the value.

    >>> parse_instant("2024-06-03T09:00:00.000-0700").isoformat()
    '2024-06-03T16:00:00+00:00'
    >>> parse_instant("2024-06-03T09:00:00", time_zone="Europe/Berlin").isoformat()
    '2024-06-03T07:00:00+00:00'

    A local time that a clock change skips or repeats (``2024-10-27T02:30:00`` in Berlin) is
    refused rather than read one way or the other.
    """
    if not isinstance(text, str):
        raise TicketError("expected a timestamp string", path=path, value=text)
    match = _INSTANT.fullmatch(text)
    if match is None:
        raise TicketError(
            "expected a Jira timestamp like 2024-06-03T09:00:00.000-0700", path=path, value=text
        )
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0").ljust(6, "0"))
    try:
        naive = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro
        )
    except ValueError as exc:
        raise TicketError(f"not a date and time: {exc}", path=path, value=text) from None
    if offset is None:
        if time_zone is None:
            raise TicketError(
                "timestamp without an offset (declare the mapping's time_zone)",
                path=path,
                value=text,
            )
        return local_instant(naive, time_zone, path, text)
    if offset == "Z":
        return in_range(naive.replace(tzinfo=UTC), path, text)
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise TicketError("offset out of range", path=path, value=text)
    delta = timedelta(hours=hours, minutes=minutes)
    try:
        aware = (naive - delta if offset[0] == "+" else naive + delta).replace(tzinfo=UTC)
    except OverflowError:
        raise TicketError("instant out of range", path=path, value=text) from None
    return in_range(aware, path, text)


# ---------------------------------------------------------------------------------------------
# Strict readers
# ---------------------------------------------------------------------------------------------


def _mapping(value: object, path: Path) -> Mapping[str, object]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise TicketError("expected an object", path=path, value=value)
    return value


def _list(value: object, path: Path) -> Sequence[object]:
    if not isinstance(value, list):
        raise TicketError("expected a list", path=path, value=value)
    return value


def _text(value: object, path: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TicketError("expected a non-empty string", path=path, value=value)
    return value


def _optional_text(value: object, path: Path) -> str | None:
    return None if value is None else _text(value, path)


def _bool(value: object, path: Path) -> bool:
    if not isinstance(value, bool):
        raise TicketError("expected true or false", path=path, value=value)
    return value


def _millis(value: object, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TicketError("expected an integer number of milliseconds", path=path, value=value)
    if abs(value) > 10**14:  # about 3,000 years: a DurationDTO beyond that is not a duration
        raise TicketError("milliseconds out of range", path=path, value=value)
    return value


def _named(value: object, key: str, path: Path) -> str | None:
    """The ``key`` of a Jira object such as ``{"name": "High"}``; ``None`` for ``null``."""
    if value is None:
        return None
    obj = _mapping(value, path)
    return _text(obj.get(key), (*path, key))


def _field_value(value: object, path: Path) -> Scalar:
    """A custom field's value: a scalar, or a select option's ``value`` / an object's ``name``."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, Mapping):
        obj = _mapping(value, path)
        key = "value" if "value" in obj else "name"
        return _text(obj.get(key), (*path, key))
    raise TicketError("expected a string, integer, boolean, option or null", path=path, value=value)


# ---------------------------------------------------------------------------------------------
# Issue -> Ticket
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _History:
    at: datetime
    at_path: Path
    id: int
    actor: str | None
    items: tuple[tuple[Path, Mapping[str, object]], ...]


def read_issue(issue: Mapping[str, object], mapping: JiraMapping | None = None) -> Ticket:
    """Read a Jira issue (REST JSON, ``expand=changelog``) as a :class:`Ticket` with its history.

    ``fields.created`` opens the ticket; each changelog history becomes events at its
    ``created`` instant: ``status`` items ``status-changed`` (``resolved`` / ``closed`` into the
    declared statuses, ``reopened`` out of them), ``priority`` items ``priority-changed`` (with
    ``from_priority``), ``assignee`` and the group field ``assigned`` (a cleared one
    ``field-changed`` to ``null``), carried custom fields ``field-changed``; other items are
    left out. The ticket's current priority, assignee, group and carried fields come from
    ``fields`` and must agree with the history (a truncated changelog is refused, not guessed).
    When the issue is resolved or closed and no history says when, ``fields.resolutiondate``
    does.
    """
    mapping = mapping or JiraMapping()
    root = _mapping(issue, ())
    key = _text(root.get("key"), ("key",))
    fields = _mapping(root.get("fields"), ("fields",))
    zone = mapping.time_zone
    opened_at = parse_instant(fields.get("created"), ("fields", "created"), zone)

    status_raw = _named(fields.get("status"), "name", ("fields", "status"))
    if status_raw is None:
        raise TicketError("an issue has a status", path=("fields", "status"), value=None)
    status_obj = _mapping(fields.get("status"), ("fields", "status"))
    if status_obj.get("statusCategory") is not None:
        _named(status_obj.get("statusCategory"), "key", ("fields", "status", "statusCategory"))
    priority = _named(fields.get("priority"), "name", ("fields", "priority"))
    assignee = _named(fields.get("assignee"), mapping.person_key, ("fields", "assignee"))
    group: Scalar = None
    if mapping.group_field is not None:
        group = _field_value(fields.get(mapping.group_field), ("fields", mapping.group_field))
        if group is not None and not isinstance(group, str):
            raise TicketError(
                "expected a group name", path=("fields", mapping.group_field), value=group
            )
    carried: dict[str, Scalar] = {}
    for jira_id, name in sorted(mapping.custom_fields.items()):
        value = _field_value(fields.get(jira_id), ("fields", jira_id))
        if value is not None and not isinstance(value, str):
            # The changelog writes every value as text (toString): a number or a boolean
            # could not agree with its history, and converting it would be a guess.
            raise TicketError(
                "a carried field is a text field or an option",
                path=("fields", jira_id),
                value=value,
            )
        carried[name] = value
    resolved_at = fields.get("resolutiondate")
    resolution_at = (
        None
        if resolved_at is None
        else parse_instant(resolved_at, ("fields", "resolutiondate"), zone)
    )

    histories = _histories(root, zone)
    created_at: Path = ("fields", "created")
    # Each event with the Jira key paths it came from (its instant's, its content's), so that a
    # check made by Ticket.from_mapping names the changelog entry, not events[i].
    events: list[tuple[dict[str, object], Path, Path]] = [
        ({"at": opened_at, "type": "created"}, created_at, created_at)
    ]
    status = _status(mapping, status_raw)
    first_status = _first_from(histories, "status")
    initial = _status(mapping, first_status) if first_status is not None else status
    current = initial
    if normalise_name(initial) != "new":
        created = {"at": opened_at, "type": "status-changed", "status": initial}
        events.append((created, created_at, created_at))
    ended = False
    for history in histories:
        for path, item in history.items:
            name = _text(item.get("field"), (*path, "field"))
            field_id = item.get("fieldId")
            to_text = _optional_text(item.get("toString"), (*path, "toString"))
            from_text = _optional_text(item.get("fromString"), (*path, "fromString"))
            base: dict[str, object] = {"at": history.at}
            if history.actor is not None:
                base["actor"] = history.actor
            event: dict[str, object] | None = None
            if name == "status":
                if to_text is None:
                    raise TicketError(
                        "a status change has a target", path=(*path, "toString"), value=None
                    )
                current = _status(mapping, to_text)
                kind = _status_event(mapping, current, ended)
                ended = kind in ("resolved", "closed")
                event = {**base, "type": kind, "status": current}
            elif name == "priority":
                if to_text is None:
                    raise TicketError(
                        "a priority change has a target", path=(*path, "toString"), value=None
                    )
                event = {
                    **base,
                    "type": "priority-changed",
                    "priority": _priority(mapping, to_text),
                }
                if from_text is not None:
                    event["from_priority"] = _priority(mapping, from_text)
            elif name == "assignee":
                # Cloud writes the accountId in 'to', Server the user name; toString is the
                # display name, which is not an id.
                person = _optional_text(item.get("to"), (*path, "to"))
                if person is None and to_text is not None:
                    raise TicketError(
                        "an assignment names the person in 'to'", path=(*path, "to"), value=None
                    )
                event = _assignment(base, "assignee", person)
            elif mapping.group_field is not None and (
                field_id == mapping.group_field or name == mapping.group_field_name
            ):
                event = _assignment(base, "assignment_group", to_text)
            else:
                carried_name = _carried(mapping, field_id, name)
                if carried_name is not None:
                    event = {**base, "type": "field-changed", "field": f"fields.{carried_name}"}
                    if from_text is not None:
                        event["from"] = from_text
                    event["to"] = to_text
            if event is not None:
                events.append((event, history.at_path, path))
    if status != current:
        raise TicketError(
            f"the changelog ends in status {current!r}, the issue is in {status!r}"
            " (is the changelog complete?)",
            path=("fields", "status", "name"),
            value=status_raw,
        )
    if resolution_at is not None and not ended:
        kind = _status_event(mapping, status, False)
        if kind in ("resolved", "closed"):
            where: Path = ("fields", "resolutiondate")
            events.append(({"at": resolution_at, "type": kind, "status": status}, where, where))
    events.sort(key=lambda entry: _at(entry[0]))  # stable: one history's items keep their order
    data: dict[str, object] = {
        "id": key,
        "opened_at": opened_at,
        "events": [event for event, _, _ in events],
    }
    if priority is not None:
        data["priority"] = _priority(mapping, priority)
    if assignee is not None:
        data["assignee"] = assignee
    if isinstance(group, str):
        data["assignment_group"] = group
    present = {k: v for k, v in carried.items() if v is not None}
    if present:
        data["fields"] = present
    try:
        return Ticket.from_mapping(data)
    except TicketError as exc:
        raise _located(exc, root, events, mapping) from None


def _located(
    exc: TicketError,
    root: Mapping[str, object],
    events: Sequence[tuple[Mapping[str, object], Path, Path]],
    mapping: JiraMapping,
) -> TicketError:
    """``exc`` (about the ticket built) renamed to the Jira key path it came from."""
    path = exc.path
    value = exc.value
    if len(path) >= 2 and path[0] == "events" and isinstance(path[1], int):
        _, at_path, item_path = events[path[1]]
        if path[2:] == ("at",):
            return TicketError(exc.message, path=at_path, value=_get(root, at_path))
        return TicketError(exc.message, path=item_path, value=value)
    top = {
        "opened_at": ("fields", "created"),
        "priority": ("fields", "priority", "name"),
        "assignee": ("fields", "assignee", mapping.person_key),
        "status": ("fields", "status", "name"),
    }
    if mapping.group_field is not None:
        top["assignment_group"] = ("fields", mapping.group_field)
    for jira_id, name in mapping.custom_fields.items():
        top[f"fields.{name}"] = ("fields", jira_id)
    key = ".".join(str(p) for p in path)
    if key in top:
        return TicketError(exc.message, path=top[key], value=value)
    return TicketError(exc.message, path=path, value=value)


def _get(data: object, path: Path) -> object:
    for key in path:
        if isinstance(data, Mapping):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int):
            data = data[key]
    return data


def _at(event: Mapping[str, object]) -> datetime:
    at = event["at"]
    assert isinstance(at, datetime)
    return at


def _histories(root: Mapping[str, object], zone: str | None) -> list[_History]:
    changelog = root.get("changelog")
    if changelog is None:
        return []
    log = _mapping(changelog, ("changelog",))
    raw = _list(log.get("histories"), ("changelog", "histories"))
    out: list[_History] = []
    for index, entry in enumerate(raw):
        path: Path = ("changelog", "histories", index)
        history = _mapping(entry, path)
        at = parse_instant(history.get("created"), (*path, "created"), zone)
        raw_id = history.get("id")
        if not isinstance(raw_id, str) or not raw_id.isascii() or not raw_id.isdigit():
            raise TicketError("expected a numeric id string", path=(*path, "id"), value=raw_id)
        author = history.get("author")
        actor = None
        if author is not None:
            obj = _mapping(author, (*path, "author"))
            who = obj.get("accountId", obj.get("name"))
            actor = _optional_text(who, (*path, "author"))
        items = _list(history.get("items"), (*path, "items"))
        checked = tuple(
            ((*path, "items", i), _mapping(item, (*path, "items", i)))
            for i, item in enumerate(items)
        )
        out.append(_History(at, (*path, "created"), int(raw_id), actor, checked))
    ids = [h.id for h in out]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise TicketError("duplicate history id", path=("changelog", "histories"), value=str(dup))
    return sorted(out, key=lambda h: (h.at, h.id))


def _first_from(histories: Sequence[_History], name: str) -> str | None:
    for history in histories:
        for path, item in history.items:
            if item.get("field") == name:
                return _optional_text(item.get("fromString"), (*path, "fromString"))
    return None


def _status(mapping: JiraMapping, name: str) -> str:
    return mapping.statuses.get(name, name)


def _priority(mapping: JiraMapping, name: str) -> str:
    return mapping.priorities.get(name, name)


def _ends(names: frozenset[str], status: str) -> bool:
    return normalise_name(status) in {normalise_name(n) for n in names}


def _status_event(mapping: JiraMapping, status: str, ended: bool) -> str:
    if _ends(mapping.resolved_statuses, status):
        return "resolved"
    if _ends(mapping.closed_statuses, status):
        return "closed"
    return "reopened" if ended else "status-changed"


def _assignment(base: Mapping[str, object], what: str, to: str | None) -> dict[str, object]:
    if to is None:
        return {**base, "type": "field-changed", "field": what, "to": None}
    key = "assignee" if what == "assignee" else "group"
    return {**base, "type": "assigned", key: to}


def _carried(mapping: JiraMapping, field_id: object, name: str) -> str | None:
    if isinstance(field_id, str) and field_id in mapping.custom_fields:
        return mapping.custom_fields[field_id]
    return mapping.custom_fields.get(name)


# ---------------------------------------------------------------------------------------------
# JSM SLA cross-checks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlaDisagreement:
    """One point where a JSM SLA field and escalate's clock disagree.

    ``what`` is ``clock`` (escalate has no such running clock), ``breached``, ``breach_at``
    or ``remaining``; ``jira`` and ``escalate`` are the two values (instants aware UTC,
    durations ``timedelta``, negative once breached).
    """

    field: str
    clock: str
    what: str
    jira: Any  # not object: mypyc's dataclass support fails on it
    escalate: Any

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: instants ISO-8601 UTC, durations in whole milliseconds."""

        def shown(value: object) -> object:
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, timedelta):
                return value // timedelta(milliseconds=1)
            return value

        return {
            "field": self.field,
            "clock": self.clock,
            "what": self.what,
            "jira": shown(self.jira),
            "escalate": shown(self.escalate),
        }


@dataclass(frozen=True, slots=True)
class _Cycle:
    breached: bool
    breach_at: datetime | None
    remaining: timedelta | None


def _date(value: object, path: Path, zone: str | None) -> datetime | None:
    """A JSM DateDTO (``iso8601`` and/or ``epochMillis``); both given must agree."""
    if value is None:
        return None
    obj = _mapping(value, path)
    iso = obj.get("iso8601")
    millis = obj.get("epochMillis")
    at = None if iso is None else parse_instant(iso, (*path, "iso8601"), zone)
    if millis is not None:
        millis_path = (*path, "epochMillis")
        try:
            epoch = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
                milliseconds=_millis(millis, millis_path)
            )
        except OverflowError:
            raise TicketError("instant out of range", path=millis_path, value=millis) from None
        in_range(epoch, millis_path, str(millis))
        if at is not None and abs(at - epoch) >= timedelta(seconds=1):
            raise TicketError(
                f"epochMillis disagrees with iso8601 {iso!r}",
                path=(*path, "epochMillis"),
                value=millis,
            )
        at = at or epoch
    if at is None:
        raise TicketError("a date has iso8601 or epochMillis", path=path, value=value)
    return at


def _duration(value: object, path: Path) -> timedelta | None:
    if value is None:
        return None
    obj = _mapping(value, path)
    return timedelta(milliseconds=_millis(obj.get("millis"), (*path, "millis")))


def _sla_cycle(value: object, path: Path, zone: str | None) -> _Cycle | None:
    """The SLA's current cycle: the ongoing one, else the last completed one; ``None``: none."""
    obj = _mapping(value, path)
    ongoing = obj.get("ongoingCycle")
    completed = _list(obj.get("completedCycles", []), (*path, "completedCycles"))
    if ongoing is not None:
        cycle_path: Path = (*path, "ongoingCycle")
        cycle = _mapping(ongoing, cycle_path)
        for flag in ("paused", "withinCalendarHours"):
            if flag in cycle:
                _bool(cycle[flag], (*cycle_path, flag))
    elif completed:
        cycle_path = (*path, "completedCycles", len(completed) - 1)
        cycle = _mapping(completed[-1], cycle_path)
    else:
        return None
    _duration(cycle.get("goalDuration"), (*cycle_path, "goalDuration"))
    _duration(cycle.get("elapsedTime"), (*cycle_path, "elapsedTime"))
    return _Cycle(
        breached=_bool(cycle.get("breached"), (*cycle_path, "breached")),
        breach_at=_date(cycle.get("breachTime"), (*cycle_path, "breachTime"), zone),
        remaining=_duration(cycle.get("remainingTime"), (*cycle_path, "remainingTime")),
    )


def compare_sla(
    issue: Mapping[str, object], decision: Decision, mapping: JiraMapping
) -> tuple[SlaDisagreement, ...]:
    """Where the issue's JSM SLA fields and the decision's clocks disagree; ``()``: they agree.

    For each ``mapping.sla_fields`` entry (field id -> clock), the SLA's ongoing cycle (else its
    last completed cycle) is compared with the clock: whether it is breached, the breach instant
    and the remaining time (Jira's ``remainingTime`` is negative after a breach, as escalate's
    ``remaining`` is). Instants and durations within ``mapping.sla_tolerance`` agree. Jira
    computed its values when the issue was fetched: evaluate the decision at that instant,
    or ``remaining`` differs by the time between. An SLA field that is absent or ``null``, or
    has no cycle, is not compared.
    """
    fields = _mapping(_mapping(issue, ()).get("fields"), ("fields",))
    out: list[SlaDisagreement] = []
    for field_id, clock_name in sorted(mapping.sla_fields.items()):
        raw = fields.get(field_id)
        if raw is None:
            continue
        cycle = _sla_cycle(raw, ("fields", field_id), mapping.time_zone)
        if cycle is None:
            continue
        clock = decision.clocks.get(clock_name)
        if clock is None or not clock.applies:
            out.append(SlaDisagreement(field_id, clock_name, "clock", "running", None))
            continue
        if cycle.breached != clock.breached:
            out.append(
                SlaDisagreement(field_id, clock_name, "breached", cycle.breached, clock.breached)
            )
        tolerance = mapping.sla_tolerance
        if cycle.breach_at is not None and (
            clock.breach_at is None or abs(cycle.breach_at - clock.breach_at) > tolerance
        ):
            out.append(
                SlaDisagreement(field_id, clock_name, "breach_at", cycle.breach_at, clock.breach_at)
            )
        ours = clock.remaining
        if cycle.remaining is not None and (
            ours is None or abs(cycle.remaining - ours) > tolerance
        ):
            out.append(SlaDisagreement(field_id, clock_name, "remaining", cycle.remaining, ours))
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Decision -> Jira payloads
# ---------------------------------------------------------------------------------------------


def transition_payload(decision: Decision, mapping: JiraMapping) -> dict[str, object] | None:
    """The body of ``POST /rest/api/{2,3}/issue/{key}/transitions`` for the decision, or ``None``.

    The first due action (by id) whose kind ``mapping.transitions`` names gives the transition:
    ``{"transition": {"id": "31"}}``. ``None`` when no due action has a transition.
    """
    for action in sorted(decision.actions, key=lambda a: a.id):
        transition = mapping.transitions.get(action.kind)
        if transition is not None:
            return {"transition": {"id": transition}}
    return None


def comment_payload(decision: Decision, mapping: JiraMapping) -> dict[str, object]:
    """The body of ``POST /rest/api/{2,3}/issue/{key}/comment``: the decision's explanation.

    v3 (Cloud) takes Atlassian Document Format: one paragraph per line of
    :meth:`Decision.explain`, so Jira shows the lines as written. v2 (Server) takes wiki markup,
    in which ``[clock:response@100%]`` would be a link: the text goes in a ``{noformat}``
    block, shown as written. The same decision gives the same body.
    """
    text = decision.explain()
    if mapping.api_version == 2:
        return {"body": f"{{noformat}}\n{text}\n{{noformat}}"}
    paragraphs: list[dict[str, object]] = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]}
        if line.strip()
        else {"type": "paragraph", "content": []}
        for line in text.splitlines()
    ]
    return {"body": {"type": "doc", "version": 1, "content": paragraphs}}


def edit_payload(decision: Decision, mapping: JiraMapping) -> dict[str, object] | None:
    """The body of ``PUT /rest/api/{2,3}/issue/{key}``: the fields the decision sets, or ``None``.

    * ``priority``: ``{"name": ...}`` from ``mapping.priority_names`` for the decision's
      canonical priority (left out when the mapping does not name it);
    * the group field (``mapping.group_field``): the team of the last due ``escalate`` /
      ``transfer`` action (by ``due_at``, then id) whose targets name one (``team:<name>``),
      written as ``mapping.group_format`` says.
    """
    out: dict[str, object] = {}
    if decision.priority is not None and decision.priority in mapping.priority_names:
        out["priority"] = {"name": mapping.priority_names[decision.priority]}
    if mapping.group_field is not None:
        moves = sorted(
            (a for a in decision.actions if a.kind in ("escalate", "transfer")),
            key=lambda a: (a.due_at, a.id),
        )
        teams = [
            t.removeprefix("team:") for a in moves for t in a.targets[:1] if t.startswith("team:")
        ]
        if teams:
            team = teams[-1]
            value: object = (
                team
                if mapping.group_format == "text"
                else {"value": team}
                if mapping.group_format == "option"
                else {"name": team}
            )
            out[mapping.group_field] = value
    return {"fields": out} if out else None


def payloads(decision: Decision, mapping: JiraMapping) -> dict[str, object]:
    """The three bodies at once: ``{"comment": ..., "edit": ..., "transition": ...}`` (``null``
    when there is nothing to send). Serialise with sorted keys for byte-identical output."""
    return {
        "comment": comment_payload(decision, mapping),
        "edit": edit_payload(decision, mapping),
        "transition": transition_payload(decision, mapping),
    }
