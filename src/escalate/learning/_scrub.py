"""Free text in a case study: what it finds there and how it replaces it, in one pass.

A *finder* looks at a text and says where something to replace is: ``(start, end,
replacement)``. :func:`scrub` asks every finder, keeps, from the left, the hit that starts
first (the longest of those, then the finder listed first), drops the hits it overlaps, and
replaces the kept ones; then it looks again at the text left between replacements (a hit
dropped for an overlap may have hidden another, whole, occurrence) until nothing more is
found. A replacement is never looked at again: a pseudonym cannot be taken apart by a later
value, nor a value be spelt across a pseudonym's edge.

The patterns are compiled with RE2 (``google-re2``, already the engine of conditions'
``matches``): matching takes time linear in the text, whatever the text. They read the text
as written (ASCII digits, ``@``, ``+``); the values a case study knows are matched folded, by
:class:`escalate.comms.redaction.Scrubber`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

from escalate.engine.context import stamp

__all__ = [
    "NOT_TICKET_KEYS",
    "SERVICENOW_PREFIXES",
    "Finder",
    "Hit",
    "Namer",
    "emails",
    "instants",
    "ip_addresses",
    "mentions",
    "phones",
    "scrub",
    "stamps",
    "tickets",
    "urls",
]

#: Where something is replaced: (start, end, what replaces it).
Hit = tuple[int, int, str]
#: What a finder is: a text in, its hits out (in any order, possibly overlapping).
Finder = Callable[[str], Iterable[Hit]]
#: What names a found value: (kind, value) -> its pseudonym.
Namer = Callable[[str, str], str]

#: The ServiceNow number prefixes taken for ticket ids (then four digits or more).
SERVICENOW_PREFIXES = ("INC", "CHG", "PRB", "RITM", "REQ", "TASK", "SCTASK", "PTASK", "CTASK")
#: Upper-case keys that look like a Jira key but name a standard or a zone ("ISO-8601",
#: "UTF-8", "SHA-256", "UTC-5"): not taken for tickets.
NOT_TICKET_KEYS = frozenset(
    {"AES", "CVE", "CWE", "DIN", "EN", "GMT", "IEC", "ISO", "MD", "RFC", "RSA", "SHA", "SSL"}
    | {"TLS", "UTC", "UTF"}
)
#: The most digits a phone number has (E.164).
PHONE_DIGITS = 15

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print to the host's stderr


def _compile(pattern: str) -> Any:
    return re2.compile(pattern, _OPTIONS)


# What may stand before a match that must not continue a word or a number (RE2 has no
# look-behind: the character is matched, outside the group that is replaced).
_LEFT = r"(?:^|[^\pL\pN_])"
_URL = _compile(
    _LEFT + r"((?i:(?:https?|s?ftp|file)://|www\.)[^\s<>\"'`]+)",
)
_EMAIL = _compile(r"([\pL\pN._%+-]+@[\pL\pN-]+(?:\.[\pL\pN-]+)+)")
# (a letter may follow: "INC0049999s")
_SERVICENOW = _compile(r"(?i)\b((?:" + "|".join(SERVICENOW_PREFIXES) + r")\d{4,})")
_JIRA = _compile(r"\b([A-Z][A-Z0-9_]+)-[1-9][0-9]*")
_MENTION = _compile(r"(?:^|[^\pL\pN_.@+-])@([\pL\pN_][\pL\pN_.-]*)")
_IPV4 = _compile(r"\b((?:\d{1,3}\.){3}\d{1,3})\b")
# Phone numbers: international (+ and a country code), national with a trunk 0 (also 00 and
# a country code), an area code in parentheses, and the North American 555-123-4567. None
# may follow a letter, digit, "+", "-", "." or "/": "INC0049999", "C-1042", the parts of a
# date ("2024-06-03", "03.06.2024") are not phone numbers.
_PHONE_LEFT = r"(?:^|[^\pL\pN_+./-])"
_INTERNATIONAL = _compile(_PHONE_LEFT + r"(\+\d{1,4}(?:[ ./-]?\(\d{1,6}\)|[ ./-]?\d{1,8}){1,8})")
_NATIONAL = _compile(_PHONE_LEFT + r"(\(?0\d{1,5}\)?(?:[ ./-]?\d{1,8}){1,6})")
_AREA = _compile(_PHONE_LEFT + r"(\(\d{2,5}\)[ ./-]?\d{2,8}(?:[ ./-]?\d{2,8}){0,3})")
_NANP = _compile(_PHONE_LEFT + r"(\d{3}[.-]\d{3}[.-]\d{4})")
# Written instants (only moved when a case study shifts time): ISO 8601 and ServiceNow's
# "2024-06-03 10:05:00", with or without seconds, fraction and offset; and action-id stamps.
# No \b before a date: "v2024-06-03" is a date too; a digit before or after is checked in
# Python (RE2 has no look-behind).
_ISO = _compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:([T ])(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_STAMP = _compile(r"\b(\d{8})T(\d{6})(?:\.(\d{6}))?Z\b")
# Other numeric dates: day first with dots and a four-digit year ("03.06.2024", moved);
# with slashes (day or month first?), a two-digit year, or day first with hyphens and a
# four-digit year ("03-06-2024"), withheld; year first with slashes or dots ("2024/06/03")
# and eight digits that read as a date of 1990 to 2100 ("20240603"), withheld too. None
# counts with a digit glued to it, or a "." "/" "-" and a digit ("release 10.11.2024.1").
_DOTTED = _compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_OTHER_DATE = _compile(r"(\d{1,2}[./]\d{1,2}[./]\d{2}(?:\d{2})?|\d{1,2}-\d{1,2}-\d{4})")
_YEAR_FIRST = _compile(r"(\d{4})[./](\d{1,2})[./](\d{1,2})")
_COMPACT = _compile(r"(\d{4})(\d{2})(\d{2})")
#: The years eight digits in a row are read as a date in (else: a number, an id).
_COMPACT_YEARS = range(1990, 2101)

# stdlib patterns on a short candidate only (a phone number's digit groups, a date's shape)
_GROUPS = re.compile(r"\d+")
_TIME_AHEAD = re.compile(r"\d{1,2}:\d\d")
_DATE_AHEAD = re.compile(r"\(?\d{1,2}([./-])\d{1,2}\1\d{2,4}(?!\d)|\d{4}-\d{2}-\d{2}(?!\d)")


def scrub(text: str, finders: Sequence[Finder]) -> str:
    """``text`` with what ``finders`` find replaced (see the module docstring); a finder
    listed earlier wins a tie (same start, same length)."""
    pieces: list[tuple[str, bool]] = [(text, False)]  # (text, is a replacement)
    while True:
        found = False
        out: list[tuple[str, bool]] = []
        for piece, replaced in pieces:
            hits = [] if replaced or not piece else _chosen(piece, finders)
            if not hits:
                out.append((piece, replaced))
                continue
            found = True
            at = 0
            for start, end, by in hits:
                if start > at:
                    out.append((piece[at:start], False))
                out.append((by, True))
                at = end
            if at < len(piece):
                out.append((piece[at:], False))
        pieces = out
        if not found:
            return "".join(piece for piece, _ in pieces)


def _chosen(text: str, finders: Sequence[Finder]) -> list[Hit]:
    """The hits of ``finders`` in ``text`` that :func:`scrub` replaces, in order."""
    ranked = sorted(
        (start, -end, rank, by)
        for rank, finder in enumerate(finders)
        for start, end, by in finder(text)
        if end > start
    )
    chosen: list[Hit] = []
    at = 0
    for start, negative_end, _, by in ranked:
        if start >= at:
            chosen.append((start, -negative_end, by))
            at = -negative_end
    return chosen


Spans = list[tuple[int, int]]


def _search(pattern: Any, text: str) -> Iterator[Spans]:
    """The spans of every match of ``pattern`` in ``text`` (the whole match's, then each
    group's; ``(-1, -1)`` for a group that did not take part), trying again one character
    after the start of each match's group 1 -- which must start with an ASCII character --:
    a caller that turns a match down still sees a match that starts inside it.

    The text is searched as UTF-8 bytes, encoded once (RE2 would encode a ``str`` again for
    every search), and the byte offsets read back as character offsets."""
    subject = text.encode()
    chars: list[int] | None = None  # the character at each byte offset, when they differ
    if len(subject) != len(text):
        chars = [0] * (len(subject) + 1)
        at = 0
        for index, char in enumerate(text):
            chars[at] = index
            at += len(char.encode())
        chars[at] = len(text)
    groups = range(pattern.groups + 1)
    at = 0
    while at <= len(subject):
        match = pattern.search(subject, at)
        if match is None:
            return
        spans = [match.span(i) for i in groups]
        at = spans[1][0] + 1
        if chars is not None:
            spans = [(-1, -1) if s < 0 else (chars[s], chars[e]) for s, e in spans]
        yield spans


def _group(spans: Spans, text: str, number: int) -> str | None:
    """Group ``number`` of a :func:`_search` match as text (``None``: it did not take part)."""
    start, end = spans[number]
    return None if start < 0 else text[start:end]


def urls(name: Namer) -> Finder:
    """Web addresses (``http(s)://``, ``ftp://``, ``file://``, ``www.``) -> ``url-<hex>``;
    closing punctuation after it is not part of it."""

    def find(text: str) -> Iterator[Hit]:
        if "://" not in text and "www." not in text.lower():
            return
        for match in _URL.finditer(text):
            start, end = match.span(1)
            while end > start and text[end - 1] in ".,;:!?'\"":
                end -= 1
            for close, opening in ((")", "("), ("]", "["), ("}", "{")):
                while text[end - 1] == close and text.count(opening, start, end) < text.count(
                    close, start, end
                ):
                    end -= 1
            yield start, end, name("url", text[start:end])

    return find


def emails(name: Namer) -> Finder:
    """E-mail addresses -> ``email-<hex>``."""

    def find(text: str) -> Iterator[Hit]:
        if "@" not in text:
            return
        for match in _EMAIL.finditer(text):
            start, end = match.span(1)
            yield start, end, name("email", text[start:end])

    return find


def tickets(name: Namer) -> Finder:
    """Ticket ids: ServiceNow numbers (:data:`SERVICENOW_PREFIXES` and four digits or more,
    any case) and Jira keys (``ABC-123``: upper case, but for :data:`NOT_TICKET_KEYS`) ->
    ``ticket-<hex>``, the pseudonym a case study of that ticket gives its id."""

    def find(text: str) -> Iterator[Hit]:
        if not any(c.isdigit() for c in text):
            return
        for match in _SERVICENOW.finditer(text):
            start, end = match.span(1)
            yield start, end, name("ticket", text[start:end])
        for match in _JIRA.finditer(text):
            if match.group(1) not in NOT_TICKET_KEYS:
                start, end = match.span()
                yield start, end, name("ticket", text[start:end])

    return find


def mentions(name: Namer) -> Finder:
    """``@handle`` -> ``@`` and the pseudonym of the handle (a known person's, or
    ``person-<hex>`` of the handle); a full stop or hyphen at its end is not part of it."""

    def find(text: str) -> Iterator[Hit]:
        if "@" not in text:
            return
        for match in _MENTION.finditer(text):
            start, end = match.span(1)
            while text[end - 1] in ".-":
                end -= 1
            yield start - 1, end, "@" + name("person", text[start:end])

    return find


def ip_addresses(name: Namer) -> Finder:
    """IPv4 addresses (four numbers up to 255 joined by dots) -> ``ip-<hex>``."""

    def find(text: str) -> Iterator[Hit]:
        if "." not in text:
            return
        for match in _IPV4.finditer(text):
            if all(int(part) <= 255 for part in match.group(1).split(".")):
                start, end = match.span(1)
                yield start, end, name("ip", text[start:end])

    return find


def phones(name: Namer) -> Finder:
    """Phone numbers -> ``phone-<hex>`` of their digits (with the ``+`` of an international
    one, without a ``(0)`` after its country code): international (``+49 170 1234567``,
    ``+49 (0)170 1234567``, ``+1-555-123-4567``) with 7 to 15 digits; national with a trunk
    0 (``0170 1234567``, ``030/1234567``, ``(030) 1234-5678``, ``0049 170 1234567``) with 8
    to 15; an area code in parentheses (``(555) 123-4567``) and ``555-123-4567`` with 7 to
    15. Digit groups are joined by one space, hyphen, dot or slash; a group that starts a
    date or is the hour of a time ends the number, and so does a sixteenth digit."""

    def find(text: str) -> Iterator[Hit]:
        if not any(c.isdigit() for c in text):
            return
        for pattern, least in ((_INTERNATIONAL, 7), (_NATIONAL, 8), (_AREA, 7), (_NANP, 10)):
            for spans in _search(pattern, text):
                start, end = spans[1]
                if pattern is _NATIONAL and _DATE_AHEAD.match(text, start):
                    continue  # 03.06.2024
                number = _number(text, start, end, least)
                if number is not None:
                    stop, digits = number
                    yield start, stop, name("phone", digits)

    return find


def _number(text: str, start: int, end: int, least: int) -> tuple[int, str] | None:
    """Where the phone number that may start at ``start`` (and runs at most to ``end``) ends,
    and its digits as its pseudonym reads them; ``None``: not a phone number."""
    digits = ""
    stop = start
    plus = text[start] == "+"
    for group in _GROUPS.finditer(text, start, end):
        at = group.start()
        if digits and (_DATE_AHEAD.match(text, at) or _TIME_AHEAD.match(text, at)):
            break  # a date or a time follows the number
        if len(digits) + len(group.group()) > PHONE_DIGITS:
            break
        if plus and digits and group.group() == "0" and text[at - 1 : group.end() + 1] == "(0)":
            stop = group.end() + 1  # the trunk 0 an international number may show
            continue
        digits += group.group()
        stop = group.end()
        if text[stop : stop + 1] == ")" and text.count("(", start, stop) > text.count(
            ")", start, stop
        ):
            stop += 1
    if len(digits) < least or text[stop : stop + 1].isdigit():
        return None  # too short, or more digits than a phone number has
    return stop, ("+" if plus else "") + digits


def instants(delta: timedelta) -> Finder:
    """Written dates and times moved by ``delta``: ISO 8601 (``2024-06-03``,
    ``2024-06-03T10:05:00Z``, ``2024-06-03 10:05``, with a fraction and an offset or not) in
    the shape they were written in; one with an offset (``Z``, ``+02:00``) moves as an
    instant and keeps its offset, one without moves as a wall time, a date alone as its
    midnight does; a day-first dotted date (``03.06.2024``) too. Other numeric dates
    (``06/03/2024``: which is the day?, ``03.06.24``, ``03-06-2024``, ``2024/06/03``, eight
    digits that read as a date of 1990 to 2100: ``20240603``), an ISO-shaped one that is no
    instant (``2024-06-03T24:00``) and one moved out of the years 1 to 9999 are
    ``[withheld]``; none counts with a digit glued to it, nor after or before a ``.``, ``/``
    or ``-`` and a digit (``release 10.11.2024.1``)."""

    def find(text: str) -> Iterator[Hit]:
        if not any(c.isdigit() for c in text):
            return
        for spans in _search(_ISO, text):
            start, end = spans[0]
            if _alone(text, start, end, joined=""):
                moved = _moved_iso([_group(spans, text, i) for i in range(1, 10)], delta)
                yield start, end, "[withheld]" if moved is None else moved
        for spans in _search(_OTHER_DATE, text):
            start, end = spans[0]
            if _alone(text, start, end):
                dotted = _DOTTED.fullmatch(text, start, end)
                yield start, end, "[withheld]" if dotted is None else _moved_dotted(dotted, delta)
        for pattern, years in ((_YEAR_FIRST, None), (_COMPACT, _COMPACT_YEARS)):
            for spans in _search(pattern, text):
                start, end = spans[0]
                parts = [_group(spans, text, i) for i in (1, 2, 3)]
                if _alone(text, start, end) and _is_date(parts, years):
                    yield start, end, "[withheld]"

    return find


def _alone(text: str, start: int, end: int, joined: str = "./-") -> bool:
    """Whether ``text[start:end]`` has no digit glued to it, nor one of ``joined`` and a
    digit ("10.11.2024.1" is a version, not a date)."""
    before, after = text[start - 1 : start], text[end : end + 1]
    if before.isdigit() or after.isdigit():
        return False
    if before and before in joined and text[start - 2 : start - 1].isdigit():
        return False
    return not (after and after in joined and text[end + 1 : end + 2].isdigit())


def _is_date(parts: Sequence[str | None], years: range | None) -> bool:
    """Whether year, month and day ``parts`` make a date (of a year in ``years``)."""
    year, month, day = (int(part or 0) for part in parts)
    if years is not None and year not in years:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def stamps(delta: timedelta) -> Finder:
    """Action-id stamps (``20240603T100000Z``, µs when present) moved by ``delta``."""

    def find(text: str) -> Iterator[Hit]:
        if "T" not in text:
            return
        for match in _STAMP.finditer(text):
            day, time, fraction = match.group(1), match.group(2), match.group(3)
            try:
                at = datetime.strptime(day + time, "%Y%m%d%H%M%S").replace(
                    microsecond=int(fraction or 0), tzinfo=UTC
                )
                moved = stamp(at + delta)
            except (ValueError, OverflowError):
                continue
            start, end = match.span()
            yield start, end, moved

    return find


def _moved_iso(parts: Sequence[str | None], delta: timedelta) -> str | None:
    """The ISO date or date-time of ``parts`` (the groups of :data:`_ISO`) moved by
    ``delta``, as it was written; ``None``: not a date."""
    year, month, day, sep, hour, minute, second, fraction, zone = parts
    assert year is not None and month is not None and day is not None
    try:
        if sep is None:
            midnight = datetime(int(year), int(month), int(day))
        else:
            assert hour is not None and minute is not None
            tz = None if zone is None else _zone(zone)
            micro = 0 if fraction is None else int(fraction[:6].ljust(6, "0"))
            written = datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
            )
    except ValueError:
        return None  # 2024-02-30, 25:00, +24:00: not an instant
    try:
        if sep is None:
            return _date((midnight + delta).date())
        moved = written + delta
    except OverflowError:
        return "[withheld]"
    out = f"{_date(moved.date())}{sep}{moved.hour:02d}:{moved.minute:02d}"
    if second is not None or moved.second or moved.microsecond:
        out += f":{moved.second:02d}" + _fraction(fraction, moved.microsecond)
    return out + (zone or "")


def _moved_dotted(match: Any, delta: timedelta) -> str:
    """A day-first dotted date (``03.06.2024``) moved as its midnight, written alike;
    ``[withheld]`` when it is not a date or leaves the years 1 to 9999."""
    day, month, year = match.group(1), match.group(2), match.group(3)
    try:
        moved = (datetime(int(year), int(month), int(day)) + delta).date()
    except (ValueError, OverflowError):
        return "[withheld]"
    return f"{moved.day:0{len(day)}d}.{moved.month:0{len(month)}d}.{moved.year:04d}"


def _fraction(written: str | None, micro: int) -> str:
    """A moved instant's fraction of a second in as many digits as were written (six when
    that is not enough; digits beyond the sixth as written)."""
    if written is None:
        return f".{micro:06d}" if micro else ""
    six = f"{micro:06d}"
    if len(written) > 6:
        return "." + six + written[6:]
    if int(six[len(written) :] or 0):
        return "." + six
    return "." + six[: len(written)]


def _zone(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
    return timezone(sign * timedelta(minutes=minutes))


def _date(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
