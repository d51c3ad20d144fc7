"""Snapshot logs: rows that are full copies of an incident after each update, read as events.

A CSV export of an audited table (and the UCI "incident event log" taken from a real
instance) has one row per update of an incident, every row the whole record as it stood
after that update. :func:`read_log` groups the rows by ``number``, orders each incident's rows
by ``sys_mod_count`` then ``sys_updated_at``, and diffs each row against the one before into
events: status changes (entering a resolved or closed state resolves or closes, leaving one
reopens), assignments (a group or assignee emptied is a ``field-changed`` to ``null``),
priority changes and field changes. Rows that do not fit -- updated before ``opened_at``,
earlier than the row before, sharing a modification count, in a state the mapping does not
know -- are handled by the mapping's declared rules and reported, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from types import MappingProxyType
from typing import cast

from escalate._models import label_problem
from escalate.adapters.servicenow._mapping import ServiceNowMapping, TimeReader
from escalate.adapters.servicenow._records import Anomaly, Counters, LogIncident, Update
from escalate.engine.ticket import Customer, Event, Ticket
from escalate.engine.ticket_format import normalise_name
from escalate.errors import ArgumentError, TicketError

__all__ = [
    "UCI_LOG_MAPPING",
    "IncidentReader",
    "LogError",
    "LogReading",
    "LogRows",
    "group_rows",
    "read_log",
]

UCI_LOG_MAPPING = ServiceNowMapping(
    time_zone="UTC",
    date_format="d/M/yyyy H:mm",
    empty=("?",),
    states={
        "1": "New",
        "2": "Active",
        "3": "Awaiting Problem",
        "4": "Awaiting User Info",
        "5": "Awaiting Evidence",
        "6": "Resolved",
        "7": "Closed",
        "8": "Canceled",
        "Awaiting Vendor": "Awaiting Vendor",
    },
    custom_columns=(
        "contact_type",
        "location",
        "u_symptom",
        "vendor",
        "problem_id",
        "rfc",
        "caused_by",
        "knowledge",
        "u_priority_confirmation",
        "notify",
    ),
    invalid_state="keep",
    before_opened="clamp",
    backwards="clamp",
    duplicate_mod_count="ordered",
)
"""The mapping of the UCI "Incident management process enriched event log" (Amaral et al.,
2018): day-first ``D/M/YYYY H:MM`` date-times, ``?`` for empty, the states of ServiceNow's
legacy incident state model (1 New, 2 Active, 3 Awaiting Problem, 4 Awaiting User Info,
5 Awaiting Evidence, 6 Resolved, 7 Closed, 8 Canceled) and ``Awaiting Vendor``, which that
model does not number and which is read by its label only (the log writes labels), its
anomalies handled and reported. The log does not say its time zone; UTC is assumed --
replace ``time_zone`` (with :func:`dataclasses.replace`) when you know better."""


_REQUIRED = ("number", "opened_at", "sys_mod_count", "sys_updated_at")


class LogError(TicketError):
    """A row of a log cannot be read: ``line`` is its line in the log (the header is line 1),
    the path names the column, ``value`` is what the row holds."""

    def __init__(self, message: str, *, line: int, column: str, value: object) -> None:
        super().__init__(f"line {line}: {message}", path=(column,), value=value)
        self.line = line


@dataclass(frozen=True, slots=True, eq=False)
class LogReading:
    """What :func:`read_log` read: the ``incidents`` in order of first appearance, every
    ``anomaly`` the mapping's rules handled (by incident, then line), and the number of
    ``rows``."""

    incidents: tuple[LogIncident, ...]
    anomalies: tuple[Anomaly, ...]
    rows: int


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    mod_count: int
    updated_at: datetime
    raw: Mapping[str, str]


def read_log(
    rows: Iterable[Mapping[str, str]], mapping: ServiceNowMapping, *, first_line: int = 2
) -> LogReading:
    """Read a snapshot log's rows (``csv.DictReader`` rows: column -> text) into incidents.

    ``first_line`` is the line of the first row (2 after a header line), for messages. The
    columns ``number``, ``opened_at``, ``sys_mod_count``, ``sys_updated_at`` and a state
    (``state``, else ``incident_state``) are required; the priority, the counters
    (``reassignment_count``, ``reopen_count``), ``made_sla``, ``sys_updated_by`` (the actor)
    and the mapping's columns are read when the log has them. A row that cannot be read is a
    :class:`LogError` naming its line and column; nothing partial is returned.

    >>> rows = [
    ...     {"number": "INC1", "incident_state": "New", "sys_mod_count": "0",
    ...      "opened_at": "1/3/2016 09:00", "sys_updated_at": "1/3/2016 09:05",
    ...      "assignment_group": "?"},
    ...     {"number": "INC1", "incident_state": "Resolved", "sys_mod_count": "1",
    ...      "opened_at": "1/3/2016 09:00", "sys_updated_at": "1/3/2016 10:00",
    ...      "assignment_group": "Service Desk"},
    ... ]
    >>> reading = read_log(rows, UCI_LOG_MAPPING)
    >>> [(e.type, e.status or e.group) for e in reading.incidents[0].ticket.events]
    [('status-changed', 'new'), ('assigned', 'Service Desk'), ('resolved', 'resolved')]
    """
    grouped = group_rows(rows, mapping, first_line=first_line)
    reader = IncidentReader(mapping, grouped.state_column)
    incidents = tuple(reader.read(number, found) for number, found in grouped.incidents.items())
    anomalies = tuple(a for incident in incidents for a in incident.anomalies)
    return LogReading(incidents, anomalies, grouped.rows)


@dataclass(frozen=True, slots=True, eq=False)
class LogRows:
    """A log's rows grouped by incident, as :func:`group_rows` gives them: ``incidents`` maps
    each number (in order of first appearance) to its ``(line, row)`` pairs in log order;
    ``state_column`` is the state's column (``state``, else ``incident_state``; ``""`` when
    there are no rows) and ``rows`` how many there are."""

    incidents: Mapping[str, Sequence[tuple[int, Mapping[str, str]]]]
    state_column: str
    rows: int


def group_rows(
    rows: Iterable[Mapping[str, str]], mapping: ServiceNowMapping, *, first_line: int = 2
) -> LogRows:
    """The first half of :func:`read_log`: its checks of the columns and of every row (a
    mapping, no extra cells, an incident number), and the rows grouped by incident. An
    :class:`IncidentReader` reads each group; ``read_log`` is the two together. Splitting them
    lets a caller read and replay the incidents in several processes (``escalate replay
    --workers``): what an incident reads as depends on its rows only."""
    cells = _Cells(mapping)
    groups: dict[str, list[tuple[int, Mapping[str, str]]]] = {}
    count = 0
    state_column = ""
    for count, row in enumerate(rows, start=1):
        line = first_line + count - 1
        if not isinstance(row, Mapping):
            raise LogError("a row must map columns to text", line=line, column="", value=row)
        if count == 1:
            state_column = _check_columns(row, line)
        extra = cast("Mapping[object, object]", row).get(None)
        if extra is not None:  # csv.DictReader puts a row's extra cells under the key None
            raise LogError(
                "a row with more cells than the header", line=line, column="", value=extra
            )
        number = cells.text(row, "number", line)
        if number is None:
            raise LogError(
                "a row without an incident number",
                line=line,
                column="number",
                value=row.get("number"),
            )
        found = groups.get(number)
        if found is None:
            groups[number] = [(line, row)]
        else:
            found.append((line, row))
    return LogRows(groups, state_column, count)


class IncidentReader:
    """Reads one log's incidents from their rows under ``mapping`` (the second half of
    :func:`read_log`): :meth:`read` gives one :class:`LogIncident`. It remembers the texts
    and date-times it has checked, so that a log's repeated cells are checked once; that
    memory is the reader's own (nothing outlives it), and a pickled reader takes only the
    mapping and the state column (a process it is sent to starts remembering afresh)."""

    __slots__ = ("_cells", "state_column")

    def __init__(self, mapping: ServiceNowMapping, state_column: str) -> None:
        self._cells = _Cells(mapping)
        self.state_column = state_column

    @property
    def mapping(self) -> ServiceNowMapping:
        """The mapping the incidents are read under."""
        return self._cells.mapping

    def read(self, number: str, rows: Sequence[tuple[int, Mapping[str, str]]]) -> LogIncident:
        """The incident ``number`` from its ``(line, row)`` pairs (in log order, at least one),
        as :func:`read_log` reads it; a :class:`LogError` naming the line and column of a row
        that does not read."""
        if not rows:
            raise ArgumentError(f"incident {number!r}: no rows to read")
        return _incident(number, rows, self._cells, self.state_column)

    def __reduce__(self) -> tuple[type[IncidentReader], tuple[ServiceNowMapping, str]]:
        return (IncidentReader, (self.mapping, self.state_column))


def _check_columns(row: Mapping[str, str], line: int) -> str:
    missing = [name for name in _REQUIRED if name not in row]
    state = "state" if "state" in row else "incident_state"
    if state not in row:
        missing.append("state (or incident_state)")
    if missing:
        raise LogError(
            f"the log has no column {', '.join(missing)}",
            line=line - 1,
            column=missing[0],
            value=sorted(k for k in row if isinstance(k, str)),
        )
    return state


# What a dict of texts gives for a text it does not hold (no text a cell reads as is this
# very object: a cell that happens to spell it is read the whole way, as any new text).
_UNSEEN = "\x00unseen"


class _Cells:
    """How one :func:`read_log` call reads a row's cells under its mapping, remembering what it
    has already checked: a log repeats its texts (a group, a category, ``opened_at`` on every
    row of an incident), so each distinct text is checked as a name, and each distinct
    date-time parsed, once per call. Held by that call only: nothing outlives it."""

    __slots__ = (
        "assignee_column",
        "custom_plan",
        "empty",
        "field_plan",
        "group_column",
        "known",
        "labels",
        "mapping",
        "numbers",
        "read_time",
        "rows_seen",
        "times",
        "value_columns",
    )

    def __init__(self, mapping: ServiceNowMapping) -> None:
        self.mapping = mapping
        self.empty = frozenset(mapping.empty)
        self.read_time = TimeReader(mapping.date_format, mapping.time_zone)
        # The texts seen so far that read as names: text -> what it reads as (None: empty).
        self.known: dict[str, str | None] = dict.fromkeys(self.empty)
        self.times: dict[str, datetime] = {}  # text -> the instant it reads as
        self.group_column = _column_for(mapping, "assignment_group")
        self.assignee_column = _column_for(mapping, "assignee")
        # The columns read into fields, in the order they are read: (column, field, the table
        # of labels its values go through, if any).
        plan: list[tuple[str, str, Mapping[str, str] | None]] = []
        for column, name in mapping.columns.items():
            if name in ("assignment_group", "assignee"):
                continue
            table = {"impact": mapping.impacts, "urgency": mapping.urgencies}.get(name)
            plan.append((column, name, table))
        self.field_plan = tuple(plan)
        self.custom_plan = tuple((column, f"fields.{column}") for column in mapping.custom_columns)
        self.numbers: dict[str, int] = {}  # text -> the whole number it reads as
        self.labels: dict[str, str] = {}  # state text -> its label
        # The cells a row's values are read from, and the values read from them so far.
        value_columns = ["priority", self.group_column, self.assignee_column]
        value_columns += [column for column, _, _ in plan] + list(mapping.custom_columns)
        self.value_columns = tuple(c for c in value_columns if c is not None)
        self.rows_seen: dict[
            tuple[object, ...],
            tuple[
                tuple[str, ...],
                tuple[str | None, str | None, str | None, Mapping[str, str | None]],
            ],
        ] = {}

    def text(
        self, row: Mapping[str, str], column: str, line: int, *, custom: bool = False
    ) -> str | None:
        """The cell ``column`` of a row: ``None`` when the log has no such column or the cell
        holds an empty marker; else text the ticket format takes (a name; a custom column's
        value as a custom field takes it), or a :class:`LogError` naming the line and
        column."""
        if column not in row:
            return None
        value = row[column]
        if type(value) is str:
            if custom:  # a custom field's text is kept as given
                return None if value in self.empty else value
            known = self.known.get(value, _UNSEEN)
            if known is not _UNSEEN:
                return known
        return self._checked(value, column, line, custom)

    def _checked(self, value: object, column: str, line: int, custom: bool) -> str | None:
        """A cell's text checked the whole way (the first time it is seen), remembered when
        it reads."""
        if value is None:
            raise LogError(
                "a row with fewer cells than the header", line=line, column=column, value=value
            )
        if not isinstance(value, str):
            raise LogError("expected text", line=line, column=column, value=value)
        if value in self.empty:
            return None
        if custom:
            return value
        problem = label_problem(value)
        if problem is not None:
            raise LogError(problem, line=line, column=column, value=value)
        if type(value) is str:
            self.known[value] = value
        return value

    def count(self, row: Mapping[str, str], column: str, line: int) -> int | None:
        text = self.text(row, column, line)
        if text is None:
            return None
        number = self.numbers.get(text)
        if number is None:
            if not text.isascii() or not text.isdigit() or len(text) > 18:
                raise LogError(
                    "expected a whole number from 0", line=line, column=column, value=text
                )
            number = self.numbers[text] = int(text)
        return number

    def state_label(self, text: str) -> str | None:
        """``mapping.state_label(text)``, remembered."""
        label = self.labels.get(text)
        if label is None:
            label = self.mapping.state_label(text)
            if label is not None:
                self.labels[text] = label
        return label

    def values(
        self, row: Mapping[str, str], line: int
    ) -> tuple[str | None, str | None, str | None, Mapping[str, str | None]]:
        """What a row says of the group, the assignee, the priority (its label) and the
        fields, read as :meth:`text` and :meth:`fields` read them (the first cell that does
        not read is the error); remembered by the row's texts, which an incident's rows
        mostly repeat (the fields' mapping is shared between such rows: never changed)."""
        # A row's texts, None where the row has no such column (or a cell is None: never
        # remembered, since it does not read); remembered with the columns it lacked, which a
        # row read from memory must lack too.
        key: tuple[object, ...] | None = tuple(map(row.get, self.value_columns))
        try:
            seen = self.rows_seen.get(key)  # type: ignore[arg-type]
        except TypeError:  # a cell that is not text (unhashable): read the whole way
            seen = key = None
        if seen is not None:
            lacked, got = seen
            if not lacked or not any(map(row.__contains__, lacked)):
                return got
        priority = self.text(row, "priority", line)
        group, assignee = self.group_column, self.assignee_column
        got = (
            None if group is None else self.text(row, group, line),
            None if assignee is None else self.text(row, assignee, line),
            None if priority is None else self.mapping.priorities.get(priority, priority),
            self.fields(row, line),
        )
        if key is not None:  # every cell read: a None in the key is a column the row lacks
            lacked = tuple(
                c for c, text in zip(self.value_columns, key, strict=True) if text is None
            )
            self.rows_seen[key] = (lacked, got)
        return got

    def time(self, row: Mapping[str, str], column: str, line: int) -> datetime:
        text = self.text(row, column, line)
        if text is None:
            raise LogError(
                "a date-time is required", line=line, column=column, value=row.get(column)
            )
        at = self.times.get(text)
        if at is None:
            try:
                at = self.read_time(text)
            except TicketError as exc:
                raise LogError(exc.message, line=line, column=column, value=text) from None
            self.times[text] = at
        return at

    def verdict(self, row: Mapping[str, str], line: int) -> bool | None:
        text = self.text(row, "made_sla", line)
        if text is None:
            return None
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise LogError("expected true or false", line=line, column="made_sla", value=text)

    def fields(self, row: Mapping[str, str], line: int) -> dict[str, str | None]:
        """The fields a row gives, by escalate's names (``fields.<column>`` for custom
        columns), in the mapping's order; an empty cell is ``None``."""
        out: dict[str, str | None] = {}
        known = self.known
        for column, name, table in self.field_plan:
            if column not in row:
                continue
            value = row[column]  # self.text(row, column, line), the common case inline
            text = known.get(value, _UNSEEN) if type(value) is str else _UNSEEN
            if text is _UNSEEN:
                text = self._checked(value, column, line, False)
            if text is not None and table is not None:
                text = table.get(text, text)
            out[name] = text
        empty = self.empty
        for column, name in self.custom_plan:
            if column in row:
                value = row[column]
                if type(value) is str:
                    out[name] = None if value in empty else value
                else:
                    out[name] = self._checked(value, column, line, True)
        return out


def _incident(
    number: str,
    found: Sequence[tuple[int, Mapping[str, str]]],
    cells: _Cells,
    state_column: str,
) -> LogIncident:
    mapping = cells.mapping
    anomalies: list[Anomaly] = []
    first_line, first_row = found[0]
    opened_at = cells.time(first_row, "opened_at", first_line)
    rows: list[_Row] = []
    for line, raw in found:
        if line != first_line and cells.time(raw, "opened_at", line) != opened_at:
            raise LogError(
                f"opened_at differs from line {first_line}'s {first_row['opened_at']!r}",
                line=line,
                column="opened_at",
                value=raw["opened_at"],
            )
        rows.append(
            _Row(
                line,
                _mod_count(raw, cells, line),
                cells.time(raw, "sys_updated_at", line),
                raw,
            )
        )
    # A row updated before the incident was opened can only be the record as first saved:
    # it comes first, whatever modification count it carries (the real log has rows whose
    # count repeats a later row's).
    rows.sort(key=lambda r: (r.updated_at >= opened_at, r.mod_count, r.updated_at, r.line))
    for before, after in pairwise(rows):
        if before.mod_count == after.mod_count and before.updated_at >= opened_at:
            detail = f"sys_mod_count {after.mod_count} also on line {before.line}"
            if mapping.duplicate_mod_count == "error":
                raise LogError(
                    detail, line=after.line, column="sys_mod_count", value=str(after.mod_count)
                )
            anomalies.append(
                Anomaly(
                    number,
                    after.line,
                    "duplicate-mod-count",
                    "ordered",
                    str(after.mod_count),
                    f"{detail}: ordered by sys_updated_at, then by line",
                )
            )
    first = rows[0]
    opened = _opened(number, opened_at, first, cells)
    updates: list[Update] = []
    previous = _Values(None, None, None, opened.priority, _fields_of(opened))
    label: str | None = None
    at = opened_at
    for row in rows:
        at = _placed(number, row, opened_at, at, mapping, anomalies)
        label = _label(number, row, state_column, label, cells, anomalies)
        current = _values(row, label, cells)
        actor = cells.text(row.raw, "sys_updated_by", row.line)
        events = _diff(previous, current, at, actor, mapping, row.line)
        updates.append(
            Update(
                at,
                row.line,
                row.mod_count,
                events,
                cells.count(row.raw, "reassignment_count", row.line),
                cells.count(row.raw, "reopen_count", row.line),
                cells.verdict(row.raw, row.line),
            )
        )
        previous = current
    derived = _whole(opened, updates, mapping)
    counters = Counters(
        updates[-1].reassignment_count,
        updates[-1].reopen_count,
        derived.reassignment_count,
        derived.reopen_count,
        mapping.counters,
    )
    anomalies.sort(key=lambda a: (a.line, a.kind))
    return LogIncident(
        number, opened, tuple(updates), counters, tuple(anomalies), updates[-1].made_sla
    )


def _whole(opened: Ticket, updates: list[Update], mapping: ServiceNowMapping) -> Ticket:
    """The ticket after every update; a history the ticket refuses is a :class:`LogError`
    naming the row whose event it refused."""
    flat = [(update.line, event) for update in updates for event in update.events]
    try:
        return opened.with_events(event for _, event in flat)
    except TicketError as exc:
        path = exc.path
        if len(path) < 2 or path[0] != "events" or not isinstance(path[1], int) or not flat:
            column = _column_of(path, mapping)
            raise LogError(
                exc.message, line=updates[0].line, column=column, value=exc.value
            ) from None
        line, event = flat[min(path[1], len(flat) - 1)]
        key = str(path[2]) if len(path) > 2 else ""
        if key in ("from", "to", "field") and event.field is not None:
            column = _column_of(tuple(event.field.split(".", 1)), mapping)
        else:
            column = _EVENT_COLUMNS.get(key, key)
        raise LogError(exc.message, line=line, column=column, value=exc.value) from None


# Which column an event's key came from, for a history the ticket refuses.
_EVENT_COLUMNS = {
    "status": "state",
    "group": "assignment_group",
    "assignee": "assigned_to",
    "priority": "priority",
    "from_priority": "priority",
    "actor": "sys_updated_by",
    "at": "sys_updated_at",
}


def _mod_count(row: Mapping[str, str], cells: _Cells, line: int) -> int:
    value = cells.count(row, "sys_mod_count", line)
    if value is None:
        raise LogError(
            "sys_mod_count is required",
            line=line,
            column="sys_mod_count",
            value=row.get("sys_mod_count"),
        )
    return value


def _placed(
    number: str,
    row: _Row,
    opened_at: datetime,
    previous: datetime,
    mapping: ServiceNowMapping,
    anomalies: list[Anomaly],
) -> datetime:
    """The instant a row takes effect, after the rules for rows out of time."""
    at = row.updated_at
    text = row.raw["sys_updated_at"]
    if at < opened_at:
        detail = f"updated before opened_at {row.raw['opened_at']!r}"
        if mapping.before_opened == "error":
            raise LogError(detail, line=row.line, column="sys_updated_at", value=text)
        anomalies.append(
            Anomaly(
                number,
                row.line,
                "before-opened",
                "clamp",
                text,
                f"{detail}: read as opened_at, ahead of the rows updated after it",
            )
        )
        at = opened_at
    if at < previous:
        detail = "updated before the row it follows (by sys_mod_count)"
        if mapping.backwards == "error":
            raise LogError(detail, line=row.line, column="sys_updated_at", value=text)
        anomalies.append(
            Anomaly(
                number,
                row.line,
                "backwards",
                "clamp",
                text,
                f"{detail}: read as that row's instant",
            )
        )
        at = previous
    return at


def _label(
    number: str,
    row: _Row,
    column: str,
    previous: str | None,
    cells: _Cells,
    anomalies: list[Anomaly],
) -> str:
    mapping = cells.mapping
    text = cells.text(row.raw, column, row.line)
    label = None if text is None else cells.state_label(text)
    if label is not None:
        return label
    known = ", ".join(sorted(set(mapping.states.values())))
    if mapping.invalid_state == "error" or previous is None:
        why = " (the first row has no state before it to keep)" if previous is None else ""
        raise LogError(
            f"not a state the mapping knows ({known}){why}",
            line=row.line,
            column=column,
            value=row.raw.get(column),
        )
    anomalies.append(
        Anomaly(
            number,
            row.line,
            "invalid-state",
            "keep",
            str(row.raw.get(column)),
            f"not a state the mapping knows: kept {previous!r}",
        )
    )
    return previous


@dataclass(frozen=True, slots=True)
class _Values:
    """What one row says, in escalate's terms."""

    label: str | None
    group: str | None
    assignee: str | None
    priority: str | None
    fields: Mapping[str, str | None]


def _fields_of(ticket: Ticket) -> Mapping[str, str | None]:
    out: dict[str, str | None] = {}
    for name in _FIELD_NAMES:
        value = ticket.field_value(name)
        out[name] = value if isinstance(value, str) else None
    for name, value in ticket.fields.items():
        out[f"fields.{name}"] = value if isinstance(value, str) else None
    return out


_FIELD_NAMES = (
    "category",
    "subcategory",
    "impact",
    "urgency",
    "service",
    "configuration_item",
    "customer.id",
)


def _values(row: _Row, label: str, cells: _Cells) -> _Values:
    group, assignee, priority, fields = cells.values(row.raw, row.line)
    return _Values(label, group, assignee, priority, fields)


def _column_for(mapping: ServiceNowMapping, name: str) -> str | None:
    for column, target in mapping.columns.items():
        if target == name:
            return column
    return None


def _opened(number: str, opened_at: datetime, first: _Row, cells: _Cells) -> Ticket:
    """The ticket before its first row: that row's fields, no status, group or assignee."""
    mapping = cells.mapping
    fields = cells.fields(first.raw, first.line)
    priority = cells.text(first.raw, "priority", first.line)
    custom = {
        name[7:]: value
        for name, value in fields.items()
        if name.startswith("fields.") and value is not None
    }
    try:
        return Ticket(
            number,
            opened_at,
            priority=None if priority is None else mapping.priorities.get(priority, priority),
            customer=Customer(id=fields.get("customer.id")),
            fields=MappingProxyType(custom),
            category=fields.get("category"),
            subcategory=fields.get("subcategory"),
            impact=fields.get("impact"),
            urgency=fields.get("urgency"),
            service=fields.get("service"),
            configuration_item=fields.get("configuration_item"),
        )
    except TicketError as exc:
        column = _column_of(exc.path, mapping)
        raise LogError(exc.message, line=first.line, column=column, value=exc.value) from None


def _column_of(path: tuple[str | int, ...], mapping: ServiceNowMapping) -> str:
    if not path or path[0] == "id":
        return "number"
    name = str(path[0])
    if name == "fields" and len(path) > 1:
        return str(path[1])
    if name == "customer":
        name = "customer.id"
    return _column_for(mapping, name) or name


def _diff(
    before: _Values,
    after: _Values,
    at: datetime,
    actor: str | None,
    mapping: ServiceNowMapping,
    line: int,
) -> tuple[Event, ...]:
    """The events that turn ``before`` into ``after`` at ``at``: a reopen first, then field
    and priority changes, then assignment, then any other status change (so a row that
    resolves and reassigns resolves last)."""
    reopen: list[Event] = []
    changes: list[Event] = []
    status: list[Event] = []
    if after.label != before.label and after.label is not None:
        name = normalise_name(mapping.status(after.label))
        was_done = before.label is not None and (
            before.label in mapping.resolved_states or before.label in mapping.closed_states
        )
        if after.label in mapping.closed_states:
            status.append(Event(0, at, "closed", status=name, actor=actor))
        elif after.label in mapping.resolved_states:
            status.append(Event(0, at, "resolved", status=name, actor=actor))
        elif was_done:
            reopen.append(Event(0, at, "reopened", status=name, actor=actor))
        else:
            status.append(Event(0, at, "status-changed", status=name, actor=actor))
    if after.priority != before.priority:
        if after.priority is None:
            raise LogError(
                f"the priority {before.priority!r} was emptied: a ticket's history cannot "
                "clear its priority",
                line=line,
                column="priority",
                value=None,
            )
        changes.append(
            Event(
                0,
                at,
                "priority-changed",
                priority=after.priority,
                from_priority=before.priority,
                actor=actor,
            )
        )
    changed = after.fields != before.fields  # most rows change no field: one comparison
    for name, value in after.fields.items() if changed else ():
        if before.fields.get(name) != value:
            changes.append(
                Event(
                    0,
                    at,
                    "field-changed",
                    field=name,
                    from_value=before.fields.get(name),
                    to_value=value,
                    actor=actor,
                )
            )
    group = after.group if after.group != before.group else None
    assignee = after.assignee if after.assignee != before.assignee else None
    if group is not None or assignee is not None:
        changes.append(Event(0, at, "assigned", group=group, assignee=assignee, actor=actor))
    if after.group is None and before.group is not None:
        changes.append(
            Event(
                0,
                at,
                "field-changed",
                field="assignment_group",
                from_value=before.group,
                to_value=None,
                actor=actor,
            )
        )
    if after.assignee is None and before.assignee is not None:
        changes.append(
            Event(
                0,
                at,
                "field-changed",
                field="assignee",
                from_value=before.assignee,
                to_value=None,
                actor=actor,
            )
        )
    return (*reopen, *changes, *status)
