"""A ServiceNow record's history rows (``sys_audit`` or ``sys_history_line``) read as changes.

Each row becomes one :class:`Change`: the field, the values before and after (as the row gives
them: stored values, display values or both), who made it and when, in the order ServiceNow
made them. Turning changes into ticket events is the record reader's job (``_table``), which
knows how the record itself was written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from escalate.adapters.servicenow._mapping import Path, ServiceNowMapping
from escalate.errors import TicketError

__all__ = ["HISTORY_TABLES", "Change", "HistoryTable", "read_changes"]

HistoryTable = Literal["sys_audit", "sys_history_line"]
HISTORY_TABLES: tuple[HistoryTable, ...] = ("sys_audit", "sys_history_line")

_MAX_DIGITS = 18  # a checkpoint or update number fits a signed 64-bit integer
_MAX_HEX = 32  # internal_checkpoint: 11 hex digits of Unix milliseconds and a 7-digit counter


@dataclass(frozen=True, slots=True)
class Change:
    """One history row, read: ``field`` changed at ``at`` (UTC) by ``actor``.

    ``old_value`` / ``new_value`` are the stored values the row gives (``sys_audit``'s
    ``oldvalue`` / ``newvalue``, ``sys_history_line``'s ``old_value`` / ``new_value``) and
    ``old_display`` / ``new_display`` the display values (``sys_history_line``'s ``old`` /
    ``new``); a side the row does not give is ``None``, and so is an empty marker (the value is
    then ``""``). ``order`` sorts the changes: the instant, then the record checkpoint (the
    record's update number), then ``internal_checkpoint`` (milliseconds and a counter), then
    the row's place. ``path`` names the row (``history[3]``).
    """

    at: datetime
    order: tuple[datetime, int, int, int]
    field: str
    old_value: str | None
    new_value: str | None
    old_display: str | None
    new_display: str | None
    actor: str | None
    path: Path


def read_changes(
    rows: Iterable[Mapping[str, object]],
    mapping: ServiceNowMapping,
    *,
    sys_id: str,
    table: str,
    history_table: HistoryTable,
) -> list[Change]:
    """The changes of the history ``rows`` of record ``sys_id`` of ``table``, in order.

    ``sys_audit`` rows need ``documentkey``, ``fieldname``, ``oldvalue``, ``newvalue``,
    ``sys_created_on`` and ``record_checkpoint``; ``user``, ``internal_checkpoint`` and
    ``tablename`` are read when present; other keys (``sys_id``, ``reason`` ...) are not
    read. A row for another record (``documentkey``) or another table (``tablename``) is
    refused: filter the query (``documentkey=<sys_id>``), do not mix records.

    ``sys_history_line`` rows need ``field``, ``new``, ``update_time`` and ``update``; ``old``,
    ``old_value``, ``new_value``, ``user_name`` and ``internal_checkpoint`` are read when
    present. Such a row does not name its record (its history set does): the caller queries
    ``set.id=<sys_id>``. A row whose ``type`` is present and not ``audit`` (an e-mail or a
    relationship line) is not a field change and is left out.

    Rows are read as the Table API returns them with ``sysparm_display_value=false`` (the
    default): every value a string, instants ``yyyy-MM-dd HH:mm:ss`` in UTC. Anything else is a
    :class:`TicketError` naming ``history[i].<key>`` and the value.
    """
    if isinstance(rows, Mapping) and set(rows) == {"result"}:  # the Table API's envelope
        rows = rows["result"]
    if not isinstance(rows, Iterable) or isinstance(rows, (str, bytes, Mapping)):
        raise TicketError("history must be a list of rows", path=("history",), value=rows)
    out: list[Change] = []
    for index, row in enumerate(rows):
        path: Path = ("history", index)
        if not isinstance(row, Mapping) or not all(isinstance(k, str) for k in row):
            raise TicketError("a history row is an object", path=path, value=row)
        change: Change | None
        if history_table == "sys_audit":
            change = _audit_row(row, path, index, mapping, sys_id, table)
        else:
            change = _history_line(row, path, index, mapping)
        if change is not None:
            out.append(change)
    out.sort(key=lambda change: change.order)
    return out


def _audit_row(
    row: Mapping[str, object],
    path: Path,
    index: int,
    mapping: ServiceNowMapping,
    sys_id: str,
    table: str,
) -> Change:
    document = _text(row, "documentkey", path)
    if document != sys_id:
        raise TicketError(
            f"a history row of another record (this record's sys_id is {sys_id!r})",
            path=(*path, "documentkey"),
            value=document,
        )
    if "tablename" in row:
        table_name = _text(row, "tablename", path)
        if table_name != table:
            raise TicketError(
                f"a history row of another table (this record is in {table!r})",
                path=(*path, "tablename"),
                value=table_name,
            )
    at = mapping.value_time(row.get("sys_created_on"), (*path, "sys_created_on"))
    checkpoint = _integer(row, "record_checkpoint", path, minimum=0)
    return Change(
        at=at,
        order=(at, checkpoint, _internal(row, path), index),
        field=_text(row, "fieldname", path),
        old_value=_cell(row, "oldvalue", path, mapping, required=True),
        new_value=_cell(row, "newvalue", path, mapping, required=True),
        old_display=None,
        new_display=None,
        actor=_cell(row, "user", path, mapping, required=False),
        path=path,
    )


def _history_line(
    row: Mapping[str, object], path: Path, index: int, mapping: ServiceNowMapping
) -> Change | None:
    kind = _cell(row, "type", path, mapping, required=False)
    if kind is not None and kind != "audit":
        return None
    at = mapping.value_time(row.get("update_time"), (*path, "update_time"))
    update = _integer(row, "update", path, minimum=-1)
    return Change(
        at=at,
        order=(at, update, _internal(row, path), index),
        field=_text(row, "field", path),
        old_value=_cell(row, "old_value", path, mapping, required=False),
        new_value=_cell(row, "new_value", path, mapping, required=False),
        old_display=_cell(row, "old", path, mapping, required=False),
        new_display=_cell(row, "new", path, mapping, required=True),
        actor=_cell(row, "user_name", path, mapping, required=False),
        path=path,
    )


def _text(row: Mapping[str, object], key: str, path: Path) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TicketError("expected a non-empty string", path=(*path, key), value=value)
    return value


def _cell(
    row: Mapping[str, object],
    key: str,
    path: Path,
    mapping: ServiceNowMapping,
    *,
    required: bool,
) -> str | None:
    """A string cell; ``None`` when empty (an empty marker) or, if not required, absent."""
    if key not in row and not required:
        return None
    value = row.get(key)
    if not isinstance(value, str):
        what = "a string (fetch history with sysparm_display_value=false)"
        raise TicketError(f"expected {what}", path=(*path, key), value=value)
    return None if mapping.is_empty(value) else value


def _integer(row: Mapping[str, object], key: str, path: Path, *, minimum: int) -> int:
    value = row.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and 0 < len(value) <= _MAX_DIGITS + 1:
        digits = value[1:] if value.startswith("-") else value
        if not digits.isdigit():
            raise TicketError("expected a whole number", path=(*path, key), value=value)
        number = int(value)
    else:
        raise TicketError("expected a whole number", path=(*path, key), value=value)
    if not minimum <= number < 2**63:
        raise TicketError(f"expected a whole number >= {minimum}", path=(*path, key), value=value)
    return number


def _internal(row: Mapping[str, object], path: Path) -> int:
    """``internal_checkpoint`` as a number (hex: Unix milliseconds then a counter); ``-1``
    when the row has none."""
    value = row.get("internal_checkpoint")
    if value is None or value == "":
        return -1
    if (
        not isinstance(value, str)
        or not value.isascii()
        or len(value) > _MAX_HEX
        or not all(c in "0123456789abcdefABCDEF" for c in value)
    ):
        raise TicketError(
            "expected a hexadecimal checkpoint", path=(*path, "internal_checkpoint"), value=value
        )
    return int(value, 16)
