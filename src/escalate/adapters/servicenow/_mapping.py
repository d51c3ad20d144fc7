"""How one ServiceNow instance's records read as tickets, and its date-times as instants.

:class:`ServiceNowMapping` declares the instance's conventions; :func:`parse_time` reads a
date-time in a declared format and zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Literal

from escalate.adapters._common import (
    check_zone,
    freeze_name_sets,
    freeze_tables,
    in_range,
    local_instant,
    value_hash,
)
from escalate.errors import ArgumentError, TicketError

__all__ = [
    "DEFAULT_COLUMNS",
    "DEFAULT_STATES",
    "INTERNAL_FORMAT",
    "Path",
    "ServiceNowMapping",
    "TimeReader",
    "parse_time",
]

Path = tuple[str | int, ...]

INTERNAL_FORMAT = "yyyy-MM-dd HH:mm:ss"
"""How ServiceNow writes a date-time's *value* (``sysparm_display_value=false``, audit rows):
always this format and always UTC, whatever the user's settings."""

DEFAULT_STATES: Mapping[str, str] = MappingProxyType(
    {
        "1": "New",
        "2": "In Progress",
        "3": "On Hold",
        "6": "Resolved",
        "7": "Closed",
        "8": "Canceled",
    }
)
"""The incident ``state`` choices of a ServiceNow instance out of the box: value -> label."""

DEFAULT_COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        "assigned_to": "assignee",
        "assignment_group": "assignment_group",
        "business_service": "service",
        "caller_id": "customer.id",
        "category": "category",
        "cmdb_ci": "configuration_item",
        "impact": "impact",
        "subcategory": "subcategory",
        "urgency": "urgency",
    }
)
"""ServiceNow incident columns read into escalate's fields out of the box. The state, the
priority, the number, ``opened_at`` and the counters are read by their own rules."""

_PRIORITIES: Mapping[str, str] = MappingProxyType(
    {"1": "1 - Critical", "2": "2 - High", "3": "3 - Moderate", "4": "4 - Low", "5": "5 - Planning"}
)
_LEVELS: Mapping[str, str] = MappingProxyType({"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"})

Rule = Literal["error", "clamp"]


@dataclass(frozen=True, slots=True)
class ServiceNowMapping:
    """How one ServiceNow instance's incident records read as tickets.

    Only ``time_zone`` is required: escalate never guesses which zone a displayed date-time
    was written in.

    * ``time_zone``: the IANA zone of *displayed* date-times (the exporting user's zone).
      Values (``sysparm_display_value=false``, audit rows) are UTC, as ServiceNow stores them.
    * ``date_format``: the pattern of displayed date-times, in ServiceNow's (Java) letters:
      ``yyyy`` year, ``MM``/``M`` month, ``dd``/``d`` day, ``HH``/``H`` hour (0-23),
      ``hh``/``h`` with ``a`` (AM/PM), ``mm`` minute, ``ss`` second; other characters stand
      for themselves. A one-letter field takes one or two digits. Default: the system format,
      ``yyyy-MM-dd HH:mm:ss``.
    * ``empty``: the strings that mean "no value" (ServiceNow writes ``""``; some exports
      ``?`` or ``NULL``).
    * ``states``: state value -> label (the built-in incident states by default); labels are
      what escalate receives as statuses, after ``status_names``.
    * ``status_names``: state label -> the status name given to escalate (others pass as is,
      for the policy's aliases to map).
    * ``resolved_states`` / ``closed_states``: the labels whose entry is a ``resolved`` /
      ``closed`` event; leaving one for an open state is a ``reopened`` event. ``Canceled``
      is in neither by default: it is a ``status-changed`` that the policy's ``statuses:``
      ends (the shipped pack's ``cancelled`` category), since a ``closed`` event may only set
      a status of category ``closed``.
    * ``priorities``, ``impacts``, ``urgencies``: value -> label, to read records written as
      values (``"3"`` -> ``"3 - Moderate"``); escalate receives the labels.
    * ``columns``: column -> escalate field (``category``, ``customer.id`` ...), see
      :data:`DEFAULT_COLUMNS`; ``custom_columns``: columns kept as ``fields.<column>``.
    * ``counters``: ``servicenow`` (the record's ``reassignment_count`` and ``reopen_count``)
      or ``derived`` (counted from the history) -- which ones the ticket carries. Both are
      reported.
    * ``invalid_state``: a state outside ``states`` is an ``error``, or is ``kept`` as the
      previous state (and reported).
    * ``before_opened``: a log row updated before ``opened_at`` is an ``error``, or is
      ``clamp``-ed to ``opened_at`` (and reported).
    * ``backwards``: a log row updated before the row it follows (by modification count) is an
      ``error``, or is ``clamp``-ed to the previous row's instant (and reported).
    * ``duplicate_mod_count``: rows with the same ``sys_mod_count`` are an ``error``, or are
      ``ordered`` by ``sys_updated_at`` then their place in the log (and reported).
    """

    time_zone: str
    date_format: str = INTERNAL_FORMAT
    empty: tuple[str, ...] = ("",)
    states: Mapping[str, str] = field(default_factory=lambda: DEFAULT_STATES)
    status_names: Mapping[str, str] = field(default_factory=dict)
    resolved_states: frozenset[str] = frozenset({"Resolved"})
    closed_states: frozenset[str] = frozenset({"Closed"})
    priorities: Mapping[str, str] = field(default_factory=lambda: _PRIORITIES)
    impacts: Mapping[str, str] = field(default_factory=lambda: _LEVELS)
    urgencies: Mapping[str, str] = field(default_factory=lambda: _LEVELS)
    columns: Mapping[str, str] = field(default_factory=lambda: DEFAULT_COLUMNS)
    custom_columns: tuple[str, ...] = ()
    counters: Literal["servicenow", "derived"] = "servicenow"
    invalid_state: Literal["error", "keep"] = "error"
    before_opened: Rule = "error"
    backwards: Rule = "error"
    duplicate_mod_count: Literal["error", "ordered"] = "error"

    def __post_init__(self) -> None:
        check_zone(self.time_zone)
        _compile_format(self.date_format)  # raises ArgumentError
        for name in ("empty", "custom_columns"):
            values = getattr(self, name)
            if isinstance(values, str) or not all(isinstance(v, str) for v in values):
                raise ArgumentError(f"{name} must be a sequence of strings: {values!r}")
            object.__setattr__(self, name, tuple(values))
        freeze_tables(self, _TABLES)
        freeze_name_sets(self, ("resolved_states", "closed_states"), "state labels")
        for name, allowed in _RULES.items():
            if getattr(self, name) not in allowed:
                raise ArgumentError(
                    f"{name} must be one of {', '.join(allowed)}: {getattr(self, name)!r}"
                )

    def __hash__(self) -> int:
        return value_hash(self)

    def __reduce__(self) -> tuple[Callable[[dict[str, object]], ServiceNowMapping], tuple[object]]:
        """Pickled as its fields (the read-only tables as plain dicts), checked again when
        unpickled: a mapping sent to a worker process reads the log the same way."""
        values = {
            f.name: dict(value) if isinstance(value, Mapping) else value
            for f in dataclass_fields(self)
            for value in (getattr(self, f.name),)
        }
        return (_mapping_of, (values,))

    def state_label(self, text: str) -> str | None:
        """The label of the state written ``text`` (a value such as ``"6"`` or a label such
        as ``"Resolved"``), or ``None`` when :attr:`states` has neither."""
        label = self.states.get(text)
        if label is not None:
            return label
        return text if text in self.states.values() else None

    def status(self, label: str) -> str:
        """The status name escalate receives for the state ``label``."""
        return self.status_names.get(label, label)

    def is_empty(self, text: str) -> bool:
        """Whether ``text`` is one of the :attr:`empty` markers."""
        return text in self.empty

    def display_time(self, text: object, path: Path = ()) -> datetime:
        """A displayed date-time (:attr:`date_format` in :attr:`time_zone`) as UTC."""
        return parse_time(text, self.date_format, self.time_zone, path)

    def value_time(self, text: object, path: Path = ()) -> datetime:
        """A stored date-time value (``yyyy-MM-dd HH:mm:ss``, UTC) as UTC."""
        return parse_time(text, INTERNAL_FORMAT, "UTC", path)


def _mapping_of(values: dict[str, object]) -> ServiceNowMapping:
    """The mapping with these fields (what :meth:`ServiceNowMapping.__reduce__` pickles)."""
    return ServiceNowMapping(**values)  # type: ignore[arg-type]


_TABLES = (
    "states",
    "status_names",
    "priorities",
    "impacts",
    "urgencies",
    "columns",
)
_RULES: Mapping[str, tuple[str, ...]] = {
    "counters": ("servicenow", "derived"),
    "invalid_state": ("error", "keep"),
    "before_opened": ("error", "clamp"),
    "backwards": ("error", "clamp"),
    "duplicate_mod_count": ("error", "ordered"),
}


# ---------------------------------------------------------------------------------------------
# Date-times
# ---------------------------------------------------------------------------------------------

_LETTERS = re.compile(r"yyyy|MM?|dd?|HH?|hh?|mm|ss|a|[A-Za-z]+|[^A-Za-z]+")
_PIECES = {
    "yyyy": r"(?P<year>\d{4})",
    "MM": r"(?P<month>\d{2})",
    "M": r"(?P<month>\d{1,2})",
    "dd": r"(?P<day>\d{2})",
    "d": r"(?P<day>\d{1,2})",
    "HH": r"(?P<hour>\d{2})",
    "H": r"(?P<hour>\d{1,2})",
    "hh": r"(?P<hour12>\d{2})",
    "h": r"(?P<hour12>\d{1,2})",
    "mm": r"(?P<minute>\d{2})",
    "ss": r"(?P<second>\d{2})",
    "a": r"(?P<ampm>AM|PM|am|pm)",
}
_COMPILED: dict[str, re.Pattern[str]] = {}


def _compile_format(pattern: object) -> re.Pattern[str]:
    """The regular expression reading ``pattern`` (ServiceNow's Java letters)."""
    if not isinstance(pattern, str) or not pattern:
        raise ArgumentError(f"date_format must be a pattern like d/M/yyyy H:mm: {pattern!r}")
    cached = _COMPILED.get(pattern)
    if cached is not None:
        return cached
    parts: list[str] = []
    seen: set[str] = set()
    for token in _LETTERS.findall(pattern):
        if token[0].isalpha():
            piece = _PIECES.get(token)
            if piece is None:
                raise ArgumentError(
                    f"date_format {pattern!r}: {token!r} is not a letter escalate reads "
                    "(yyyy, MM, M, dd, d, HH, H, hh, h, mm, ss, a)"
                )
            name = piece[4 : piece.index(">")]
            if name in seen:
                raise ArgumentError(f"date_format {pattern!r} names {token!r} twice")
            seen.add(name)
            parts.append(piece)
        else:
            parts.append(re.escape(token))
    missing = {"year", "month", "day", "minute"} - seen
    if missing or not ({"hour", "hour12"} & seen):
        raise ArgumentError(
            f"date_format {pattern!r} must give the year, month, day, hour and minute"
        )
    if ("hour12" in seen) != ("ampm" in seen):
        raise ArgumentError(f"date_format {pattern!r}: hh/h (1-12) goes with a (AM/PM)")
    compiled = re.compile("".join(parts), re.ASCII)
    if len(_COMPILED) < 64:  # a handful of formats per process; never unbounded
        _COMPILED[pattern] = compiled
    return compiled


def parse_time(text: object, date_format: str, time_zone: str, path: Path = ()) -> datetime:
    """Read a ServiceNow date-time written in ``date_format`` in ``time_zone`` as UTC.

    >>> parse_time("29/2/2016 01:16", "d/M/yyyy H:mm", "Europe/Lisbon", ("opened_at",))
    datetime.datetime(2016, 2, 29, 1, 16, tzinfo=datetime.timezone.utc)
    >>> parse_time("2016-07-01 09:30:00", "yyyy-MM-dd HH:mm:ss", "Europe/Lisbon").isoformat()
    '2016-07-01T08:30:00+00:00'

    A local time that a clock change skips or repeats is refused rather than read one way or
    the other; so is anything not in the format, naming ``path`` and the value.
    """
    if not isinstance(text, str):
        raise TicketError("expected a date-time string", path=path, value=text)
    match = _compile_format(date_format).fullmatch(text.strip())
    if match is None:
        raise TicketError(f"expected a date-time like {date_format}", path=path, value=text)
    got = match.groupdict()
    hour = int(got["hour"]) if got.get("hour") is not None else 0
    if got.get("hour12") is not None:
        hour12 = int(got["hour12"])
        if not 1 <= hour12 <= 12:
            raise TicketError("hour must be 1 to 12 with AM/PM", path=path, value=text)
        hour = hour12 % 12 + (12 if got["ampm"].upper() == "PM" else 0)
    try:
        naive = datetime(
            int(got["year"]),
            int(got["month"]),
            int(got["day"]),
            hour,
            int(got["minute"]),
            int(got.get("second") or 0),
        )
    except ValueError as exc:
        raise TicketError(f"not a date and time: {exc}", path=path, value=text) from None
    return local_instant(naive, time_zone, path, text)


_FIELDS = ("year", "month", "day", "hour", "hour12", "minute", "second", "ampm")


class TimeReader:
    """:func:`parse_time` for one ``date_format`` and ``time_zone``, compiled once: a reader
    of many date-times (a log's) holds one. Every result, and every error, is the one
    :func:`parse_time` gives for the same text.

    >>> read = TimeReader("d/M/yyyy H:mm", "UTC")
    >>> read("29/2/2016 01:16")
    datetime.datetime(2016, 2, 29, 1, 16, tzinfo=datetime.timezone.utc)

    The format's fields are read by position from one match (no dictionary of groups), and a
    UTC wall time is the instant itself; anything the fast way is not sure of -- no match, an
    hour or a date out of range -- is read by :func:`parse_time`, which says why it fails.
    """

    __slots__ = ("_at", "_date_format", "_fullmatch", "_time_zone", "_twelve")

    def __init__(self, date_format: str, time_zone: str) -> None:
        pattern = _compile_format(date_format)  # raises ArgumentError
        positions = dict.fromkeys(_FIELDS, -1)
        for name, group in pattern.groupindex.items():
            positions[name] = group - 1
        self._date_format = date_format
        self._time_zone = time_zone
        self._fullmatch = pattern.fullmatch
        self._twelve = positions["hour12"] >= 0
        # Where each field sits in match.groups(): year, month, day, hour (or hour12), minute,
        # second (-1: the format has none), AM/PM (-1: none).
        hour = positions["hour12"] if self._twelve else positions["hour"]
        self._at = (
            positions["year"],
            positions["month"],
            positions["day"],
            hour,
            positions["minute"],
            positions["second"],
            positions["ampm"],
        )

    def __call__(self, text: object, path: Path = ()) -> datetime:
        """The instant ``text`` (``date_format`` in ``time_zone``) reads as, in UTC."""
        if isinstance(text, str):
            match = self._fullmatch(text.strip())
            if match is not None:
                got = match.groups()
                year, month, day, hour_at, minute, second_at, ampm = self._at
                hour = int(got[hour_at])
                if self._twelve:
                    if not 1 <= hour <= 12:
                        return parse_time(text, self._date_format, self._time_zone, path)
                    hour = hour % 12 + (12 if got[ampm].upper() == "PM" else 0)
                try:
                    naive = datetime(
                        int(got[year]),
                        int(got[month]),
                        int(got[day]),
                        hour,
                        int(got[minute]),
                        0 if second_at < 0 else int(got[second_at]),
                    )
                except ValueError:
                    return parse_time(text, self._date_format, self._time_zone, path)
                if self._time_zone == "UTC":
                    return in_range(naive.replace(tzinfo=UTC), path, text)
                return local_instant(naive, self._time_zone, path, text)
        return parse_time(text, self._date_format, self._time_zone, path)
