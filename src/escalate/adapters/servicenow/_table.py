"""A Table API incident record and its history rows read as a Ticket with its event history.

:func:`read_incident` reads what ``GET /api/now/table/incident/{sys_id}`` returns (the record,
or its ``{"result": {...}}`` envelope) in the ``sysparm_display_value`` mode the caller names,
and the record's ``sys_audit`` or ``sys_history_line`` rows as its events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from escalate.adapters.servicenow._audit import (
    HISTORY_TABLES,
    Change,
    HistoryTable,
    read_changes,
)
from escalate.adapters.servicenow._mapping import Path, ServiceNowMapping
from escalate.engine.ticket import Ticket
from escalate.engine.ticket_format import normalise_name
from escalate.errors import ArgumentError, TicketError

__all__ = ["DISPLAY_MODES", "REFERENCE_COLUMNS", "DisplayMode", "read_incident"]

DisplayMode = Literal["false", "true", "all"]
DISPLAY_MODES: tuple[DisplayMode, ...] = ("false", "true", "all")

REFERENCE_COLUMNS: frozenset[str] = frozenset(
    {
        "assigned_to",
        "assignment_group",
        "business_service",
        "caller_id",
        "closed_by",
        "cmdb_ci",
        "company",
        "location",
        "opened_by",
        "parent_incident",
        "problem_id",
        "resolved_by",
        "service_offering",
    }
)
"""Incident columns that reference another record (their value is a sys_id) out of the box.
A column whose record value carries a Table API ``link`` is a reference too."""

_TABLE = "incident"
_JOURNALS = frozenset({"comments", "work_notes"})
_CHOICE_TABLES = {"impact": "impacts", "urgency": "urgencies"}

Kind = Literal["state", "priority", "choice", "reference", "text"]


@dataclass(frozen=True, slots=True)
class _Cell:
    """One field of the record: its stored ``value`` and/or ``display`` value (``None``: not
    given in this mode, or empty), whether it is a reference, and where each side was read."""

    value: str | None
    display: str | None
    reference: bool
    value_path: Path
    display_path: Path
    raw: Any  # not object: mypyc's dataclass support fails on it


def read_incident(
    record: Mapping[str, object],
    mapping: ServiceNowMapping,
    *,
    display_value: DisplayMode,
    history: Iterable[Mapping[str, object]] = (),
    history_table: HistoryTable = "sys_audit",
    names: Mapping[str, str] | None = None,
) -> Ticket:
    """Read a Table API incident record and its history rows as a :class:`Ticket`.

    ``display_value`` is the ``sysparm_display_value`` the record was fetched with, never
    guessed from its shape; a field whose shape contradicts it is refused, naming the field:

    * ``"false"``: stored values. Dates ``yyyy-MM-dd HH:mm:ss`` in UTC, ``state`` ``"6"``,
      ``priority`` ``"2"``, references ``{"link": ..., "value": sys_id}`` (or the bare sys_id
      with ``sysparm_exclude_reference_link=true``).
    * ``"true"``: display values. Labels (``"Resolved"``, ``"2 - High"``), dates in the
      mapping's ``date_format`` and ``time_zone`` (the fetching user's), references as display
      names ``{"display_value": ..., "link": ...}`` (or the bare name).
    * ``"all"``: every field ``{"display_value": ..., "value": ...}`` (references add
      ``link``). States, priorities, dates, counters and other columns are read from the
      **value** (exact, UTC, what history rows hold); references from the **display value**
      (a name a policy can use), and each pair names that sys_id for the history.

    ``history`` are the record's ``sys_audit`` rows (``history_table="sys_audit"``) or
    ``sys_history_line`` rows, in any order (see :func:`read_changes`). They become events,
    ordered by instant then checkpoint: ``state`` changes are ``status-changed`` (``resolved``
    / ``closed`` into the mapping's resolved / closed states, ``reopened`` out of them);
    ``priority`` ``priority-changed`` with ``from_priority``; the columns the mapping maps to
    ``assignment_group`` / ``assignee`` ``assigned`` (cleared: ``field-changed`` to
    ``null``); other mapped and custom columns ``field-changed``; ``comments`` and
    ``work_notes`` ``comment``. Rows of fields the mapping does not map are left out. A row
    before ``opened_at`` follows the mapping's ``before_opened`` rule (``error`` or ``clamp``).

    A ``"true"`` record cannot be read with ``sys_audit`` rows: they hold stored values
    (``network``, sys_ids) and the record display values (``Network``, names), which no table
    of the mapping translates for every column. Such rows are an :class:`ArgumentError`: fetch
    the record with ``"all"`` or read ``sys_history_line`` rows.

    References read from stored values (a ``"false"`` record, ``sys_audit`` rows) are
    sys_ids: ``names`` (sys_id -> name) turns them into names. In ``"false"`` mode without
    ``names`` the sys_id is the name; otherwise a sys_id without a name is refused, since the
    record names its references and a sys_id would never agree with a name.

    The record's state, priority, group, assignee and mapped columns must agree with where
    the history leaves them (a truncated history is refused, not guessed). The state before
    the first state change (its old value) is the incident's state from ``opened_at`` only
    when it is New, or when that change is the insert (its old value empty); a history that
    begins in Resolved starts with a ``resolved`` event at the record's ``resolved_at``, one
    that begins in Closed with ``closed`` at ``closed_at`` (and ``resolved`` at
    ``resolved_at``), each at or before that first change; any other state the history
    begins in is refused, since when the incident entered it is unknown. A resolved or closed
    record whose history has no state change is resolved at ``resolved_at`` and closed at
    ``closed_at`` (a ``resolved_at`` after ``closed_at`` is refused); an open one is in its
    state from ``opened_at``, as the record says. Every problem is a :class:`TicketError`
    naming the record key (``result.assignment_group.value``) or the history row
    (``history[2].newvalue``) and the value; nothing partial is returned.
    """
    if display_value not in DISPLAY_MODES:
        raise ArgumentError(
            f"display_value must be 'false', 'true' or 'all' (sysparm_display_value): "
            f"{display_value!r}"
        )
    if history_table not in HISTORY_TABLES:
        raise ArgumentError(
            f"history_table must be 'sys_audit' or 'sys_history_line': {history_table!r}"
        )
    if names is not None and (
        not isinstance(names, Mapping)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in names.items())
    ):
        raise ArgumentError(f"names must map sys_ids to names: {names!r}")
    if not isinstance(mapping, ServiceNowMapping):
        raise ArgumentError(f"mapping must be a ServiceNowMapping: {mapping!r}")
    if display_value == "true" and history_table == "sys_audit":
        history = _no_audit_rows(history)
    reader = _Reader(record, mapping, display_value, names)
    return reader.ticket(history, history_table)


class _Reader:
    """The state of one :func:`read_incident` call: the record's cells and the names known."""

    def __init__(
        self,
        record: object,
        mapping: ServiceNowMapping,
        mode: DisplayMode,
        names: Mapping[str, str] | None,
    ) -> None:
        self.mapping = mapping
        self.mode = mode
        root, prefix = _unwrap(record)
        self.prefix = prefix
        self.cells = {key: self._cell(key, raw) for key, raw in root.items()}
        self.names: dict[str, str] = dict(names or {})
        self.strict_names = names is not None or mode != "false"
        if mode == "all":  # each reference names its sys_id
            for cell in self.cells.values():
                if cell.reference and cell.value is not None and cell.display is not None:
                    self.names.setdefault(cell.value, cell.display)

    # -- cells ---------------------------------------------------------------------------------

    def _cell(self, key: str, raw: object) -> _Cell:
        path: Path = (*self.prefix, key)
        empty = self.mapping.is_empty
        if self.mode == "all":
            obj = _object(raw, path, "an object with display_value and value (all)")
            for side in ("display_value", "value"):
                if side not in obj:
                    raise TicketError(
                        f"sysparm_display_value=all gives every field a {side}",
                        path=(*path, side),
                        value=None,
                    )
            _only(obj, ("display_value", "value", "link"), path)
            value = _string(obj["value"], (*path, "value"))
            display = _string(obj["display_value"], (*path, "display_value"))
            return _Cell(
                None if empty(value) else value,
                None if empty(display) else display,
                "link" in obj or key in REFERENCE_COLUMNS,
                (*path, "value"),
                (*path, "display_value"),
                raw,
            )
        if isinstance(raw, str):
            text = None if empty(raw) else raw
            reference = key in REFERENCE_COLUMNS
            if self.mode == "false":
                return _Cell(text, None, reference, path, path, raw)
            return _Cell(None, text, reference, path, path, raw)
        side = "value" if self.mode == "false" else "display_value"
        other = "display_value" if self.mode == "false" else "value"
        obj = _object(raw, path, f"a string or a reference object ({side}, link)")
        if other in obj:
            raise TicketError(
                f"a record read with sysparm_display_value={self.mode} has no {other}",
                path=(*path, other),
                value=obj[other],
            )
        if side not in obj:
            raise TicketError(f"a reference object has a {side}", path=(*path, side), value=None)
        _only(obj, (side, "link"), path)
        text = _string(obj[side], (*path, side))
        text = None if empty(text) else text
        if self.mode == "false":
            return _Cell(text, None, True, (*path, side), (*path, side), raw)
        return _Cell(None, text, True, (*path, side), (*path, side), raw)

    def _get(self, key: str) -> _Cell | None:
        return self.cells.get(key)

    def _required(self, key: str) -> _Cell:
        cell = self.cells.get(key)
        if cell is None:
            raise TicketError("an incident record has this field", path=(*self.prefix, key))
        return cell

    # -- values --------------------------------------------------------------------------------

    def kind(self, column: str) -> Kind:
        if column == "state":
            return "state"
        if column == "priority":
            return "priority"
        if self.mapping.columns.get(column) in _CHOICE_TABLES:
            return "choice"
        cell = self.cells.get(column)
        if column in REFERENCE_COLUMNS or (cell is not None and cell.reference):
            return "reference"
        return "text"

    def read(
        self,
        column: str,
        value: str | None,
        display: str | None,
        value_path: Path,
        display_path: Path,
    ) -> str | None:
        """What escalate receives for ``column`` given its stored value and display value
        (either may be ``None``: not given, or empty)."""
        kind = self.kind(column)
        mapping = self.mapping
        if kind == "state":
            if value is not None:
                label = mapping.states.get(value)  # a stored value, not a label
                if label is None:
                    raise TicketError(
                        "not a state value the mapping declares", path=value_path, value=value
                    )
                return label
            if display is None:
                return None
            label = mapping.state_label(display)
            if label is None:
                raise TicketError(
                    "not a state label the mapping declares", path=display_path, value=display
                )
            return label
        if kind in ("priority", "choice"):
            table = (
                mapping.priorities
                if kind == "priority"
                else getattr(mapping, _CHOICE_TABLES[mapping.columns[column]])
            )
            if value is not None:
                label = table.get(value)
                if label is None:
                    raise TicketError(
                        f"not a {column} value the mapping declares", path=value_path, value=value
                    )
                return str(label)
            return display
        if kind == "reference":
            # A "false" record names references by sys_id (or names); the others by name.
            if display is not None and self.mode != "false":
                return display
            if value is None:
                return display if self.mode == "false" and display is not None else None
            name = self.names.get(value)
            if name is not None:
                return name
            if self.strict_names:
                raise TicketError(
                    "a reference whose sys_id has no name (declare it in names)",
                    path=value_path,
                    value=value,
                )
            return value
        if self.mode == "true":  # the record shows display values: compare like with like
            return display if display is not None else value
        return value if value is not None else display

    def field(self, column: str) -> str | None:
        """The record's ``column`` as escalate receives it (``None``: absent or empty)."""
        cell = self._get(column)
        if cell is None:
            return None
        return self.read(column, cell.value, cell.display, cell.value_path, cell.display_path)

    def time(self, column: str) -> datetime | None:
        cell = self._get(column)
        if cell is None:
            return None
        if self.mode == "true":
            if cell.display is None:
                return None
            return self.mapping.display_time(cell.display, cell.display_path)
        if cell.value is None:
            return None
        return self.mapping.value_time(cell.value, cell.value_path)

    def counter(self, column: str) -> int | None:
        cell = self._get(column)
        if cell is None:
            return None
        text = cell.display if self.mode == "true" else cell.value
        path = cell.display_path if self.mode == "true" else cell.value_path
        if text is None:
            return None
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            raise TicketError("expected a count (digits)", path=path, value=text)
        return int(text)

    def _shows_display(self, column: str) -> bool:
        """Whether escalate reads ``column`` from its display value."""
        return self.mode == "true" or (self.mode == "all" and self.kind(column) == "reference")

    def path(self, column: str) -> Path:
        cell = self._get(column)
        if cell is None:
            return (*self.prefix, column)
        return cell.display_path if self._shows_display(column) else cell.value_path

    # -- the ticket ----------------------------------------------------------------------------

    def ticket(self, history: Iterable[Mapping[str, object]], table: HistoryTable) -> Ticket:
        mapping = self.mapping
        number = self._identity("number")
        sys_id = self._identity("sys_id")
        self._required("opened_at")
        opened_at = self.time("opened_at")
        if opened_at is None:
            raise TicketError("an incident has opened_at", path=self.path("opened_at"))
        self._required("state")
        state = self.field("state")
        if state is None:
            raise TicketError("an incident has a state", path=self.path("state"))
        changes = read_changes(history, mapping, sys_id=sys_id, table=_TABLE, history_table=table)

        # Each event with the path it came from, so that the ticket's own checks name it.
        events: list[tuple[dict[str, object], Path]] = []
        opened_path = self.path("opened_at")
        states = [c for c in changes if c.field == "state"]
        if states:
            initial = self._side(states[0], old=True)
            if initial is not None and _ended(mapping, initial):
                # A history that begins resolved or closed: the record's dates say when.
                events.extend(self._endings(initial, before=states[0]))
            elif initial is not None and normalise_name(mapping.status(initial)) != "new":
                first = states[0]
                raise TicketError(
                    f"the history begins in state {initial!r} without the change into it"
                    " (no insert row): when the incident entered it is unknown, so it is not"
                    " dated opened_at (fetch the record's whole history)",
                    path=(*first.path, _key(first, "old", value=first.old_value is not None)),
                    value=first.old_value if first.old_value is not None else first.old_display,
                )
        else:
            initial = None if _ended(mapping, state) else state
            if initial is not None and normalise_name(mapping.status(initial)) != "new":
                # No state change at all: the record's open state, as it says, since opened.
                events.append(
                    (
                        {
                            "at": opened_at,
                            "type": "status-changed",
                            "status": mapping.status(initial),
                        },
                        opened_path,
                    )
                )
        ended = initial is not None and _ended(mapping, initial)
        last_state = initial
        touched: dict[str, tuple[str | None, Path]] = {}  # escalate field -> last value, row
        for change in changes:
            event = self._event(change, opened_at, ended)
            if event is None:
                continue
            events.append((event, change.path))
            kind = event["type"]
            if change.field == "state":
                last_state = self._side(change, old=False)
                ended = kind in ("resolved", "closed")
            elif change.field == "priority":
                touched["priority"] = (self._side(change, old=False), change.path)
            else:
                target = self._target(change.field)
                if target is not None:
                    touched[target] = (self._side(change, old=False), change.path)

        if not states and _ended(mapping, state):
            # No state history: the record's own dates say when it ended.
            events.extend(self._endings(state))
            last_state = state
        events.sort(key=lambda pair: _at(pair[0]))  # stable: a history's order is kept
        if last_state != state:
            raise TicketError(
                f"the history leaves the state {last_state!r}, the record is {state!r}"
                " (is the history complete?)",
                path=self.path("state"),
                value=self._raw("state"),
            )

        data: dict[str, object] = {"id": number, "opened_at": opened_at}
        priority = self.field("priority")
        if "priority" in touched and touched["priority"][0] != priority:
            raise TicketError(
                f"the history leaves the priority {touched['priority'][0]!r}, the record has"
                f" {priority!r} (is the history complete?)",
                path=self.path("priority"),
                value=self._raw("priority"),
            )
        if priority is not None:
            data["priority"] = priority
        customer: dict[str, object] = {}
        fields: dict[str, object] = {}
        for column, target in sorted(self._targets().items()):
            value = self.field(column)
            if target in touched and touched[target][0] != value:
                raise TicketError(
                    f"the history leaves {column} {touched[target][0]!r}, the record has"
                    f" {value!r} (is the history complete?)",
                    path=self.path(column),
                    value=self._raw(column),
                )
            if value is None:
                continue
            if target.startswith("customer."):
                customer[target.removeprefix("customer.")] = value
            elif target.startswith("fields."):
                fields[target.removeprefix("fields.")] = value
            else:
                data[target] = value
        if customer:
            data["customer"] = customer
        if fields:
            data["fields"] = fields
        if mapping.counters == "servicenow":
            for column in ("reassignment_count", "reopen_count"):
                count = self.counter(column)
                if count is not None:
                    data[column] = count
        data["events"] = [event for event, _ in events]
        try:
            return Ticket.from_mapping(data)
        except TicketError as exc:
            raise self._located(exc, [path for _, path in events]) from None

    def _endings(
        self, state: str, before: Change | None = None
    ) -> list[tuple[dict[str, object], Path]]:
        """The ``resolved`` / ``closed`` events that end in ``state``, at ``resolved_at`` /
        ``closed_at``: of an ended record without state history, or (``before``: the first
        state change) of a history that begins in ``state``."""
        mapping = self.mapping
        out: list[tuple[dict[str, object], Path]] = []
        whose = (
            "a resolved incident without state history"
            if before is None
            else f"a history that begins in state {state!r}"
        )
        resolved_at = self.time("resolved_at")
        if state in mapping.resolved_states:
            if resolved_at is None:
                raise TicketError(
                    f"{whose} says when in resolved_at",
                    path=self.path("resolved_at"),
                    value=self._raw("resolved_at"),
                )
            self._not_after(resolved_at, before, "resolved_at")
            out.append(
                (
                    {"at": resolved_at, "type": "resolved", "status": mapping.status(state)},
                    self.path("resolved_at"),
                )
            )
            return out
        closed_at = self.time("closed_at")
        if closed_at is None:
            raise TicketError(
                f"{whose.replace('resolved', 'closed', 1)} says when in closed_at",
                path=self.path("closed_at"),
                value=self._raw("closed_at"),
            )
        self._not_after(closed_at, before, "closed_at")
        if resolved_at is not None and resolved_at > closed_at:
            raise TicketError(
                f"resolved after it was closed (closed_at {closed_at.isoformat()})",
                path=self.path("resolved_at"),
                value=self._raw("resolved_at"),
            )
        resolved = sorted(mapping.resolved_states)
        if resolved_at is not None and len(resolved) == 1:
            out.append(
                (
                    {"at": resolved_at, "type": "resolved", "status": mapping.status(resolved[0])},
                    self.path("resolved_at"),
                )
            )
        out.append(
            (
                {"at": closed_at, "type": "closed", "status": mapping.status(state)},
                self.path("closed_at"),
            )
        )
        return out

    def _not_after(self, at: datetime, before: Change | None, column: str) -> None:
        """Refuse a record date (``resolved_at``) later than the first state change, which
        leaves the state it names: the date is of a later ending, not this one."""
        if before is not None and at > before.at:
            raise TicketError(
                f"the history begins in an ended state that it leaves at"
                f" {before.at.isoformat()} ({'.'.join(map(str, before.path))}), but {column}"
                " is later: when the incident first ended is unknown",
                path=self.path(column),
                value=self._raw(column),
            )

    def _identity(self, column: str) -> str:
        cell = self._required(column)
        text = cell.value if self.mode != "true" else cell.display
        if text is None:
            raise TicketError("an incident has a " + column, path=self.path(column), value="")
        return text

    def _raw(self, column: str) -> object:
        cell = self._get(column)
        if cell is None:
            return None
        return cell.display if self._shows_display(column) else cell.value

    def _targets(self) -> dict[str, str]:
        """Record column -> escalate field, for the columns the ticket carries."""
        targets = {
            column: target
            for column, target in self.mapping.columns.items()
            if column not in ("state", "priority")
        }
        for column in self.mapping.custom_columns:
            targets[column] = f"fields.{column}"
        return targets

    def _target(self, column: str) -> str | None:
        if column in ("state", "priority"):
            return None
        if column in self.mapping.custom_columns:
            return f"fields.{column}"
        return self.mapping.columns.get(column)

    def _side(self, change: Change, *, old: bool) -> str | None:
        if old:
            return self.read(
                change.field,
                change.old_value,
                change.old_display,
                (*change.path, _key(change, "old", value=True)),
                (*change.path, _key(change, "old", value=False)),
            )
        return self.read(
            change.field,
            change.new_value,
            change.new_display,
            (*change.path, _key(change, "new", value=True)),
            (*change.path, _key(change, "new", value=False)),
        )

    def _event(self, change: Change, opened_at: datetime, ended: bool) -> dict[str, object] | None:
        """The event a change makes, or ``None`` for a field the mapping does not map."""
        column = change.field
        target = self._target(column)
        if column not in ("state", "priority") and column not in _JOURNALS and target is None:
            return None
        at = change.at
        if at < opened_at:
            if self.mapping.before_opened == "error":
                key = "sys_created_on" if change.new_display is None else "update_time"
                raise TicketError(
                    "a history row before the incident was opened (opened_at"
                    f" {opened_at.isoformat()}; the mapping's before_opened is error)",
                    path=(*change.path, key),
                    value=at.strftime("%Y-%m-%d %H:%M:%S"),
                )
            at = opened_at
        event: dict[str, object] = {"at": at}
        if change.actor is not None:
            event["actor"] = change.actor
        if column in _JOURNALS:
            return {**event, "type": "comment"}
        new = self._side(change, old=False)
        if column == "state":
            if new is None:
                raise TicketError(
                    "a state change has a target",
                    path=(*change.path, _key(change, "new", value=True)),
                    value=None,
                )
            kind = _kind_of(self.mapping, new)
            if kind is None:
                kind = "reopened" if ended else "status-changed"
            return {**event, "type": kind, "status": self.mapping.status(new)}
        if column == "priority":
            if new is None:
                raise TicketError(
                    "a priority change has a target",
                    path=(*change.path, _key(change, "new", value=True)),
                    value=None,
                )
            old = self._side(change, old=True)
            event.update(type="priority-changed", priority=new)
            if old is not None:
                event["from_priority"] = old
            return event
        assert target is not None
        if target in ("assignment_group", "assignee"):
            if new is None:
                return {**event, "type": "field-changed", "field": target, "to": None}
            key = "group" if target == "assignment_group" else "assignee"
            return {**event, "type": "assigned", key: new}
        old = self._side(change, old=True)
        event.update(type="field-changed", field=target, to=new)
        if old is not None:
            event["from"] = old
        return event

    def _located(self, exc: TicketError, sources: list[Path]) -> TicketError:
        """``exc`` (about the ticket built) renamed to the record key or row it came from."""
        path = exc.path
        if (
            len(path) >= 2
            and path[0] == "events"
            and isinstance(path[1], int)
            and path[1] < len(sources)
        ):
            return TicketError(exc.message, path=sources[path[1]], value=exc.value)
        if path:
            top = str(path[0])
            if top in ("customer", "fields") and len(path) >= 2:
                top = f"{top}.{path[1]}"
            for column, target in self._targets().items():
                if target == top:
                    return TicketError(exc.message, path=self.path(column), value=exc.value)
            names = {"id": "number", "opened_at": "opened_at", "priority": "priority"}
            names.update(status="state")
            names.update(reassignment_count="reassignment_count", reopen_count="reopen_count")
            if top in names:
                return TicketError(exc.message, path=self.path(names[top]), value=exc.value)
        return exc


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _unwrap(record: object) -> tuple[Mapping[str, object], Path]:
    """The record and the path prefix of its keys (``("result",)`` inside the envelope)."""
    root = _object(record, (), "an incident record (an object)")
    if set(root) == {"result"}:
        return _object(root["result"], ("result",), "an incident record (an object)"), ("result",)
    return root, ()


def _no_audit_rows(
    history: Iterable[Mapping[str, object]],
) -> Iterable[Mapping[str, object]]:
    """``history`` when it has no rows; an :class:`ArgumentError` otherwise, for a ``"true"``
    record: sys_audit rows hold stored values the record's display values cannot be
    compared with."""
    rows: object = history
    if isinstance(rows, Mapping) and set(rows) == {"result"}:
        rows = rows["result"]
    if isinstance(rows, Iterable) and not isinstance(rows, (str, bytes, Mapping)):
        rows = list(rows)
        if not rows:
            return rows
    else:
        return history  # not a list of rows: read_changes names it
    raise ArgumentError(
        "a record read with sysparm_display_value=true cannot be compared with sys_audit"
        " rows, which hold stored values (network, sys_ids) where the record shows labels"
        " and names: fetch the record with sysparm_display_value=all, or read"
        " sys_history_line rows (history_table='sys_history_line')"
    )


def _object(value: object, path: Path, what: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise TicketError(f"expected {what}", path=path, value=value)
    return value


def _only(obj: Mapping[str, object], keys: tuple[str, ...], path: Path) -> None:
    for key in obj:
        if key not in keys:
            raise TicketError(
                f"unexpected key (a field here has {', '.join(keys)})",
                path=(*path, key),
                value=obj[key],
            )


def _string(value: object, path: Path) -> str:
    if not isinstance(value, str):
        raise TicketError(
            "expected a string (the Table API writes every value as one)", path=path, value=value
        )
    return value


def _ended(mapping: ServiceNowMapping, label: str) -> bool:
    return label in mapping.resolved_states or label in mapping.closed_states


def _kind_of(mapping: ServiceNowMapping, label: str) -> str | None:
    if label in mapping.resolved_states:
        return "resolved"
    if label in mapping.closed_states:
        return "closed"
    return None


def _key(change: Change, side: str, *, value: bool) -> str:
    """The row key the ``side`` (``old``/``new``) of ``change`` was read from."""
    if change.old_display is None and change.new_display is None:  # sys_audit
        return f"{side}value"
    if value and (change.new_value is not None or change.old_value is not None):
        return f"{side}_value"
    return side


def _at(event: Mapping[str, object]) -> datetime:
    at = event["at"]
    assert isinstance(at, datetime)
    return at
