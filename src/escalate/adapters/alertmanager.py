"""Alertmanager: a webhook notification (version 4) read into one ticket per alert.

The payload is the JSON Alertmanager's webhook notifier POSTs (``notify/webhook`` in
prometheus/alertmanager, its ``Message`` embedding ``template.Data``; documented at
https://prometheus.io/docs/alerting/latest/configuration/#webhook_config): ``version`` ("4"),
``groupKey``, ``truncatedAlerts``, ``status``, ``receiver``, ``groupLabels``,
``commonLabels``, ``commonAnnotations``, ``externalURL`` and ``alerts``, each alert with
``status``, ``labels``, ``annotations``, ``startsAt``, ``endsAt``, ``generatorURL`` and
``fingerprint``.

Decisions a caller must know (see ``docs/integrations.md``):

* **One ticket per alert fingerprint**, id ``mapping.id_prefix + fingerprint``. A group is
  Alertmanager's batching of notifications and changes as alerts join and leave it; the
  fingerprint (a hash of the alert's label set) is the one stable identity of an alert.
* **Labels map to ticket fields** through an :class:`AlertmanagerMapping`: the severity label
  gives the priority through a declared table (a value the table does not name is refused,
  never guessed), the service and team labels give ``service`` and ``assignment_group``, every
  other label goes to ``fields.<label>``, every annotation to ``fields.annotation.<name>``, the
  fingerprint and generator URL to ``fields.alert.fingerprint`` and ``fields.alert.generator_url``
  (label names have no dot: nothing collides).
* **Times**: a firing alert is a ticket opened at ``startsAt``; a resolved alert adds a
  ``resolved`` event at ``endsAt``. Go writes RFC 3339 with up to nine fractional digits: they
  are truncated (never rounded) to microseconds, what a Python ``datetime`` holds. An offset is
  required (Alertmanager always writes one). The zero time ``0001-01-01T00:00:00Z`` means "not
  set": never an instant. A firing alert's ``endsAt`` is Alertmanager's timeout estimate, not a
  resolution, and is ignored. A resolved alert with no ``endsAt`` or one before ``startsAt``
  is refused.
* **Later webhooks merge** (:func:`apply_webhook`): a resolve resolves the ticket a firing
  opened; repeated notifications of the same state add nothing; a firing that starts after the
  ticket's last resolution reopens it.

Everything is pure: no clock, no I/O. A payload that does not fit is a
:class:`~escalate.errors.TicketError` naming the field path (``alerts[2].startsAt``) and the
value, and nothing partial is returned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType

from escalate.engine.history import Event
from escalate.engine.ticket import Ticket
from escalate.errors import TicketError

__all__ = [
    "DEFAULT_MAPPING",
    "ZERO_TIME",
    "AlertmanagerMapping",
    "apply_webhook",
    "parse_time",
    "read_webhook",
]

ZERO_TIME = "0001-01-01T00:00:00Z"
"""Go's zero ``time.Time`` as Alertmanager writes it: "not set" (an alert not yet resolved)."""

_VERSION = "4"
_STATUSES = ("firing", "resolved")
# RFC 3339 as Go's time.RFC3339Nano writes it: 0-9 fractional digits, then Z or +hh:mm.
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
_KEYS = frozenset(
    {
        "version",
        "groupKey",
        "truncatedAlerts",
        "status",
        "receiver",
        "groupLabels",
        "commonLabels",
        "commonAnnotations",
        "externalURL",
        "alerts",
    }
)
_ALERT_KEYS = frozenset(
    {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}
)
_Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class AlertmanagerMapping:
    """How an alert's labels become ticket fields. Frozen; the defaults are
    :data:`DEFAULT_MAPPING`.

    ``id_prefix`` is put before the fingerprint to make the ticket id. ``priorities`` maps
    values of the ``severity_label`` to ticket priorities (matched exactly: Prometheus label
    values are case-sensitive); an alert without that label has no priority, one whose value the
    table does not name is a :class:`TicketError`. ``service_label`` and ``team_label`` name
    the labels read into ``service`` and ``assignment_group`` (``None``: not read). ``kind`` is
    the ticket kind.
    """

    id_prefix: str = "ALERT-"
    severity_label: str = "severity"
    priorities: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType(
            {"critical": "P1", "error": "P2", "warning": "P3", "info": "P4"}
        )
    )
    service_label: str | None = "service"
    team_label: str | None = "team"
    kind: str = "incident"


DEFAULT_MAPPING = AlertmanagerMapping()


def parse_time(text: object, path: _Path = ()) -> datetime | None:
    """An Alertmanager (Go RFC 3339) timestamp as an aware UTC datetime; ``None`` for the zero
    time. Fractional seconds past the sixth digit are truncated, never rounded.

    >>> parse_time("2018-08-03T09:52:26.739266876+02:00")
    datetime.datetime(2018, 8, 3, 7, 52, 26, 739266, tzinfo=datetime.timezone.utc)
    >>> parse_time("0001-01-01T00:00:00Z") is None
    True
    """
    if type(text) is not str:
        raise TicketError("expected an RFC 3339 timestamp string", path=path, value=text)
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise TicketError(
            "expected an RFC 3339 timestamp with an offset, such as 2024-06-03T09:00:00.123Z",
            path=path,
            value=text,
        )
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if zulu is not None:
        zone = UTC
    else:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        if offset >= timedelta(hours=24):
            raise TicketError("the offset must be under 24 hours", path=path, value=text)
        zone = timezone(-offset if sign == "-" else offset)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        at = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, zone
        )
    except ValueError as exc:
        raise TicketError(f"not a valid date and time ({exc})", path=path, value=text) from None
    if at == datetime(1, 1, 1, tzinfo=UTC):
        return None
    try:
        return at.astimezone(UTC)
    except OverflowError:
        raise TicketError("the instant is out of range", path=path, value=text) from None


def read_webhook(
    payload: object, mapping: AlertmanagerMapping = DEFAULT_MAPPING
) -> tuple[Ticket, ...]:
    """The tickets of one webhook payload, one per alert, in the payload's order.

    Each ticket is opened at the alert's ``startsAt``; a resolved alert's ticket has a
    ``resolved`` event at its ``endsAt``. The whole payload is checked first: any problem is
    a :class:`TicketError` and no ticket is returned.
    """
    return tuple(ticket for _, ticket, _ in _read(payload, mapping))


def apply_webhook(
    tickets: Mapping[str, Ticket],
    payload: object,
    mapping: AlertmanagerMapping = DEFAULT_MAPPING,
) -> dict[str, Ticket]:
    """``tickets`` (by id) after one more webhook: new alerts added, known ones updated.

    For an alert whose ticket exists: a resolved alert adds a ``resolved`` event at ``endsAt``
    unless the ticket is already resolved (then nothing: a repeated notification); a firing
    alert adds nothing while the ticket is open, and reopens a resolved ticket (a
    ``reopened`` event at ``startsAt``) only when it started after the ticket's last event --
    the same fingerprint firing again. A resolved alert that started after a resolved ticket's
    last event is a new episode: ``reopened`` at ``startsAt``, ``resolved`` at ``endsAt``.
    Events that would go back in time are refused by :meth:`Ticket.with_events` as a
    :class:`TicketError`. The input mapping is not changed; the result is sorted by id.

    >>> firing = {"version": "4", "status": "firing", "receiver": "r", "groupKey": "{}:{}",
    ...     "alerts": [{"status": "firing", "fingerprint": "f1", "labels": {"alertname": "Up"},
    ...                 "startsAt": "2024-06-03T09:00:00Z", "endsAt": "0001-01-01T00:00:00Z"}]}
    >>> opened = apply_webhook({}, firing)
    >>> resolved = dict(firing, status="resolved", alerts=[dict(firing["alerts"][0],
    ...     status="resolved", endsAt="2024-06-03T09:20:00.123456789Z")])
    >>> after = apply_webhook(opened, resolved)
    >>> after["ALERT-f1"].status, after["ALERT-f1"].events[-1].at.isoformat()
    ('resolved', '2024-06-03T09:20:00.123456+00:00')
    >>> apply_webhook(after, resolved) == after
    True
    """
    out = dict(tickets)
    for i, new, ends_at in _read(payload, mapping):
        old = out.get(new.id)
        if old is None:
            out[new.id] = new
            continue
        starts_at = new.opened_at
        last_at = old.events[-1].at if old.events else old.opened_at
        added: list[Event] = []
        if old.status in ("resolved", "closed"):
            if starts_at > last_at:  # the same alert firing again: a new episode
                added.append(Event(0, starts_at, "reopened"))
                if ends_at is not None:
                    added.append(Event(0, ends_at, "resolved"))
        elif ends_at is not None:
            added.append(Event(0, ends_at, "resolved"))
        try:
            out[new.id] = old.with_events(added)
        except TicketError as exc:
            raise TicketError(
                f"cannot be merged into ticket {new.id!r}: {exc.message}",
                path=("alerts", i, "endsAt" if ends_at is not None else "startsAt"),
                value=exc.value,
            ) from None
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _read(
    payload: object, mapping: AlertmanagerMapping
) -> list[tuple[int, Ticket, datetime | None]]:
    """(alert index, ticket, resolution instant or None) for every alert of ``payload``."""
    data = _object(payload, ())
    _known_keys(data, _KEYS, ())
    for key in ("version", "status", "alerts"):
        if key not in data:
            raise TicketError("missing required key", path=(key,), value=None)
    if data["version"] != _VERSION:
        raise TicketError(
            f"only webhook payload version {_VERSION!r} is read",
            path=("version",),
            value=data["version"],
        )
    _choice(data["status"], _STATUSES, ("status",))
    for key in ("receiver", "groupKey", "externalURL"):
        if key in data:
            _string(data[key], (key,))
    if "truncatedAlerts" in data:
        count = data["truncatedAlerts"]
        if type(count) is not int or count < 0:
            raise TicketError(
                "expected a count of alerts left out (an integer >= 0)",
                path=("truncatedAlerts",),
                value=count,
            )
    for key in ("groupLabels", "commonLabels", "commonAnnotations"):
        if key in data:
            _strings(data[key], (key,))
    alerts = data["alerts"]
    if type(alerts) is not list:
        raise TicketError("expected a list of alerts", path=("alerts",), value=alerts)
    out: list[tuple[int, Ticket, datetime | None]] = []
    seen: dict[str, int] = {}
    for i, alert in enumerate(alerts):
        ticket, ends_at = _read_alert(alert, i, mapping)
        if ticket.id in seen:
            raise TicketError(
                f"the same fingerprint as alerts[{seen[ticket.id]}]",
                path=("alerts", i, "fingerprint"),
                value=ticket.id[len(mapping.id_prefix) :],
            )
        seen[ticket.id] = i
        out.append((i, ticket, ends_at))
    return out


def _read_alert(
    alert: object, i: int, mapping: AlertmanagerMapping
) -> tuple[Ticket, datetime | None]:
    at: _Path = ("alerts", i)
    data = _object(alert, at)
    _known_keys(data, _ALERT_KEYS, at)
    for key in ("status", "fingerprint", "startsAt", "labels"):
        if key not in data:
            raise TicketError("missing required key", path=(*at, key), value=None)
    status = _choice(data["status"], _STATUSES, (*at, "status"))
    fingerprint = _string(data["fingerprint"], (*at, "fingerprint"))
    labels = _strings(data["labels"], (*at, "labels"))
    annotations = _strings(data.get("annotations", {}), (*at, "annotations"))
    starts_at = parse_time(data["startsAt"], (*at, "startsAt"))
    if starts_at is None:
        raise TicketError(
            "a firing or resolved alert has a start", path=(*at, "startsAt"), value=ZERO_TIME
        )
    ends_text = data.get("endsAt", ZERO_TIME)
    ends_at = parse_time(ends_text, (*at, "endsAt"))
    if status == "firing":
        ends_at = None  # Alertmanager's timeout estimate, not a resolution
    elif ends_at is None:
        raise TicketError(
            "a resolved alert must say when it ended", path=(*at, "endsAt"), value=ends_text
        )
    elif ends_at < starts_at:
        raise TicketError(
            f"a resolved alert cannot end before it started ({data['startsAt']})",
            path=(*at, "endsAt"),
            value=ends_text,
        )
    generator = _string(data.get("generatorURL", ""), (*at, "generatorURL"))

    priority = None
    severity = labels.get(mapping.severity_label)
    if severity is not None:
        priority = mapping.priorities.get(severity)
        if priority is None:
            known = ", ".join(sorted(mapping.priorities))
            raise TicketError(
                f"no priority is declared for this severity (declared: {known})",
                path=(*at, "labels", mapping.severity_label),
                value=severity,
            )
    taken = {mapping.severity_label, mapping.service_label, mapping.team_label}
    fields: dict[str, str] = {name: value for name, value in labels.items() if name not in taken}
    fields.update({f"annotation.{name}": value for name, value in annotations.items()})
    fields["alert.fingerprint"] = fingerprint
    if generator:
        fields["alert.generator_url"] = generator
    service = labels.get(mapping.service_label) if mapping.service_label else None
    team = labels.get(mapping.team_label) if mapping.team_label else None
    events = [Event(0, ends_at, "resolved")] if ends_at is not None else []
    try:
        ticket = Ticket(
            mapping.id_prefix + fingerprint,
            starts_at,
            kind=mapping.kind,
            priority=priority,
            service=service or None,
            assignment_group=team or None,
            fields=fields,
            events=events,
        )
    except TicketError as exc:  # e.g. a blank fingerprint or label value: say where it was
        where = {
            "id": ("fingerprint",),
            "service": ("labels", mapping.service_label),
            "assignment_group": ("labels", mapping.team_label),
            "fields": ("labels",),
        }.get(str(exc.path[0]) if exc.path else "", exc.path)
        raise TicketError(exc.message, path=(*at, *where), value=exc.value) from None
    return ticket, ends_at


def _object(value: object, path: _Path) -> dict[str, object]:
    if type(value) is not dict:
        raise TicketError("expected a JSON object", path=path, value=value)
    return value


def _known_keys(data: dict[str, object], known: frozenset[str], path: _Path) -> None:
    for key in data:
        if key not in known:
            raise TicketError(
                f"unknown key (known: {', '.join(sorted(known))})", path=(*path, key), value=key
            )


def _string(value: object, path: _Path) -> str:
    if type(value) is not str:
        raise TicketError("expected a string", path=path, value=value)
    return value


def _strings(value: object, path: _Path) -> dict[str, str]:
    """A label or annotation set: an object of string values."""
    data = _object(value, path)
    for key, item in data.items():
        _string(item, (*path, key))
    return dict(sorted(data.items()))  # type: ignore[arg-type]


def _choice(value: object, choices: tuple[str, ...], path: _Path) -> str:
    if value not in choices or type(value) is not str:
        raise TicketError(f"expected one of {', '.join(choices)}", path=path, value=value)
    return value
