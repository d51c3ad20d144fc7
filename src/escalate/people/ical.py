"""On-call shifts as an iCalendar (RFC 5545) document, for calendar apps and other tools.

:meth:`Schedule.to_ical <escalate.people.schedule.Schedule.to_ical>` walks the timeline and
hands the shifts to :func:`render`, which writes one ``VEVENT`` per shift with people (gaps
are left out). It needs the ``icalendar`` package, the ``ical`` extra
(``pip install 'escalate[ical]'``); it is imported only when an export is asked for, so the
rest of escalate works without it, and its absence is a
:class:`~escalate.errors.MissingExtraError`.

The bytes are a pure function of the input:

* ``UID`` is ``<start>-<source>@<name>``: the shift's start in UTC, its source (the layer
  names or overrides, as :class:`~escalate.people.schedule.Shift` has it) and the schedule's
  name. The start is the shift's true start even when the export's span begins later (that
  first shift's ``DTSTART`` is its true start too), so exporting again, or a rolling export
  "from now on", gives the same UID for the same shift, and a calendar that subscribes to
  the file updates the event instead of adding a copy. The last shift ends at the export's
  end; a later export that goes further gives it its real end under the same UID.
* ``DTSTART`` and ``DTEND`` are UTC (``...Z``): no ``VTIMEZONE`` is needed, and a reader
  shows them in its own zone.
* ``DTSTAMP`` (required by RFC 5545, "when the object was created") is the shift's own start,
  not the time of the export: escalate never reads the clock, and the same schedule and span
  must give the same bytes (a file can be diffed, cached and signed).
* ``SUMMARY`` is the people on call, joined by ``", "`` (the form Grafana OnCall reads back
  as usernames); ``DESCRIPTION`` says which schedule and source.
* iCalendar times are whole seconds: every instant is written rounded down to its second
  (hand-offs are on whole minutes anyway; only a span, override or bound given with
  fractions of a second has any), and a shift that rounds to nothing is left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from types import ModuleType

from escalate.errors import MissingExtraError

__all__ = ["MAX_EVENTS", "PRODID", "render", "require", "uid"]

#: The most shifts (gaps included) one export may hold: a longer span is refused with an
#: :class:`~escalate.errors.ExportLimitError` rather than written slowly into a huge file.
#: A weekly rotation fills it in about 192 years, a one-hour rotation in 416 days.
MAX_EVENTS = 10_000
#: The ``PRODID`` of every export.
PRODID = "-//escalate//on-call schedule//EN"


def require() -> ModuleType:
    """The ``icalendar`` module, or :class:`~escalate.errors.MissingExtraError` naming the
    extra to install."""
    try:
        import icalendar
    except ImportError as err:
        raise MissingExtraError(
            "Schedule.to_ical needs the icalendar package, which is not installed: "
            "pip install 'escalate[ical]'"
        ) from err
    return icalendar


def _second(at: datetime) -> datetime:
    """``at`` in UTC, rounded down to its second (iCalendar's resolution)."""
    return at.astimezone(UTC).replace(microsecond=0)


def _stamp(at: datetime) -> str:
    """UTC basic format, to the second.

    >>> _stamp(datetime(2024, 1, 8, 8, 0, 0, 999, tzinfo=UTC))
    '20240108T080000Z'
    """
    s = _second(at)  # strftime's %Y does not pad years before 1000 on every platform
    return f"{s.year:04d}{s.month:02d}{s.day:02d}T{s.hour:02d}{s.minute:02d}{s.second:02d}Z"


def uid(name: str, source: str, start: datetime) -> str:
    """The stable UID of the shift of ``source`` starting at ``start`` in schedule ``name``.

    >>> uid("network-oncall", "primary", datetime(2024, 1, 8, 8, tzinfo=UTC))
    '20240108T080000Z-primary@network-oncall'
    """
    return f"{_stamp(start)}-{source}@{name}"


def render(
    shifts: Iterable[tuple[datetime, datetime, tuple[str, ...], str]], *, name: str
) -> bytes:
    """A ``VCALENDAR`` with one ``VEVENT`` per ``(start, end, people, source)``, in order.

    Instants must be aware; they are written in UTC, rounded down to the second (a shift that
    rounds to nothing is left out). The result is UTF-8 bytes with CRLF line ends and lines
    folded at 75 octets, as RFC 5545 requires.
    """
    icalendar = require()
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for first, last, people, source in shifts:
        start, end = _second(first), _second(last)
        if end <= start:
            continue
        event = icalendar.Event()
        event.add("uid", uid(name, source, start))
        event.add("dtstamp", start)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", ", ".join(people))
        event.add("description", f"on call in {name} ({source})")
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data
