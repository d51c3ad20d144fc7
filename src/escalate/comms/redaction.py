"""Redaction: what an audience may read of a ticket, field by field and value by value.

Two layers, both applied to every text and export made for an audience:

1. **Field masking.** The ticket view a template reads (:func:`ticket_view`) has every field
   the policy classifies with a class the audience's profile withholds replaced by the
   profile's placeholder (comment texts too, when ``comments`` is classified).
2. **Value scrubbing.** Every string value such a field took anywhere in the history (its
   value now, each ``field-changed`` event's ``from`` and ``to``, each ``assigned`` event's
   group or assignee, each comment's text) is replaced wherever it appears, longest value
   first, in one pass: in every string of the render context *before* a template reads it
   (so no filter, slice or join can turn a value into a spelling the second scrub misses),
   and again in the rendered text and the exported decision. Matching ignores case,
   compatibility forms, accents and the length of whitespace runs (:class:`Scrubber`);
   should the placeholder and the text around it happen to spell a value again, the values
   are deleted until none is left (each pass shortens the text, so this ends). Values
   shorter than :data:`MIN_SCRUB_CHARS` characters are masked in their field but not
   scrubbed from text: a one- to three-character value ("A", "P1", "yes") also occurs inside
   ordinary words and numbers, and replacing every occurrence would make the text
   unreadable without protecting anything a reader could tie to the ticket. Numbers and
   booleans are masked in their field and not scrubbed for the same reason ("2024" occurs
   in every instant).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from escalate.comms.models import CLASSES
from escalate.engine.history import TEXT_FIELDS_BUT_PRIORITY
from escalate.engine.ticket import Ticket

__all__ = [
    "MIN_SCRUB_CHARS",
    "Profile",
    "Scrubber",
    "classified_values",
    "fold",
    "ticket_view",
]

#: The shortest classified string value scrubbed from text (see the module docstring).
MIN_SCRUB_CHARS = 4

#: The ticket's text fields a view holds, in order.
VIEW_FIELDS = ("kind", "status", *TEXT_FIELDS_BUT_PRIORITY)


@dataclass(frozen=True, slots=True)
class Profile:
    """A redaction profile: the classes withheld (``redact``) and the ``placeholder``."""

    name: str
    redact: frozenset[str]
    placeholder: str = "[redacted]"

    @classmethod
    def default(cls, audience: str) -> Profile:
        """The profile of an audience that names none: nothing withheld for ``internal``,
        every class for the others (a missing profile fails closed)."""
        if audience == "internal":
            return cls("default-internal", frozenset())
        return cls(f"default-{audience}", frozenset(CLASSES))


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _current(ticket: Ticket, path: str) -> object:
    if path.startswith("fields."):
        return ticket.fields.get(path[len("fields.") :])
    if path == "customer.id":
        return ticket.customer.id
    if path == "customer.tier":
        return ticket.customer.tier
    if path == "customer.vip":
        return ticket.customer.vip
    return getattr(ticket, path)


def classified_values(
    ticket: Ticket, classification: Mapping[str, str], withheld: frozenset[str]
) -> tuple[str, ...]:
    """Every string value (of :data:`MIN_SCRUB_CHARS` or more characters) that a field of a
    withheld class took anywhere in ``ticket``'s history, longest first, then in text order."""
    paths = {p for p, c in classification.items() if c in withheld}
    if not paths:
        return ()
    found: set[object] = set()
    for path in paths:
        if path != "comments":
            found.add(_current(ticket, path))
    for event in ticket.events:
        kind = event.type
        if kind == "field-changed" and event.field in paths:
            found.add(event.from_value)
            found.add(event.to_value)
        elif kind == "assigned":
            if "assignee" in paths:
                found.add(event.assignee)
            if "assignment_group" in paths:
                found.add(event.group)
        elif kind == "comment" and "comments" in paths:
            found.add(event.text)
    values = {v for v in found if isinstance(v, str) and len(v) >= MIN_SCRUB_CHARS}
    return tuple(sorted(values, key=lambda v: (-len(v), v)))


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _fold_char(char: str) -> str:
    """One character as the scrubber compares it: compatibility-decomposed (NFKD: full-width
    and styled letters become plain ones), without accents and other combining marks, and
    case-folded; any whitespace is one space."""
    if char.isspace():
        return " "
    if char.isascii():
        return char.lower()
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _fold(text: str) -> str:
    """``text`` folded character by character (see :func:`_fold_char`)."""
    if text.isascii():
        return re.sub(r"\s", " ", text.lower())
    return "".join(map(_fold_char, text))


def fold(value: str) -> str:
    """``value`` as the scrubber matches it: folded (:func:`_fold_char`: case, accents,
    compatibility forms), its whitespace runs one space, without leading or trailing
    whitespace. Two values that fold alike are one value to redaction (and to the
    pseudonyms of :mod:`escalate.learning.casestudy`).

    >>> fold("  José\tROE "), fold("Ｊｏｓｅ roe")
    ('jose roe', 'jose roe')
    """
    return " ".join(_fold(value).split())


#: The deepest nesting of groups a scrubber's pattern is built with as a tree of shared
#: prefixes (values that begin other values that begin others ...); beyond it, the pattern
#: is one alternation of the values, longest first.
_MAX_NESTING = 50


class _TooDeep(Exception):
    pass


def _compiled(values: set[str], words: set[str]) -> re.Pattern[str] | None:
    """One pattern for the folded ``values`` (anywhere) and ``words`` (only with no word
    character on either side) that matches, at each position, the longest of them found
    there (``None``: nothing to match).

    The values share their common prefixes as a tree, so that a position of the text tries
    each next letter once rather than each value: a scrubber of thousands of names (a whole
    directory) costs about what one of a few does. A value's whitespace is any run of
    whitespace.
    """
    if not values and not words:
        return None
    try:
        substrings = _tree(values, set()) if values else None
        anywhere = _tree(values | words, words) if words else None
    except _TooDeep:
        ordered = sorted(
            [(v, False) for v in values] + [(w, True) for w in words],
            key=lambda e: (-len(e[0]), e[0]),
        )
        return re.compile("|".join(_alternative(v, word) for v, word in ordered))
    # Where a word may start, every value and word (longest first, in the tree); elsewhere
    # the values alone.
    parts = [] if anywhere is None else [rf"(?<!\w)(?:{anywhere})"]
    parts += [] if substrings is None else [substrings]
    return re.compile("|".join(parts))


def _tree(values: set[str], words: set[str]) -> str:
    """The pattern of ``values`` (folded) as a tree of shared prefixes; a value in ``words``
    ends only where no word character follows. Raises :class:`_TooDeep` past
    :data:`_MAX_NESTING` groups."""
    root: dict[str, Any] = {}
    for value in values:
        node = root
        for char in value:
            node = node.setdefault(char, {})
        node[""] = value in words  # the end of a value: a word's?
    return _branches(root, 0)


def _branches(node: dict[str, Any], depth: int) -> str:
    """The pattern of what may follow ``node`` of a :func:`_tree`."""
    if depth > _MAX_NESTING:
        raise _TooDeep
    alternatives = []
    for first in sorted(k for k in node if k):
        piece = []
        char, child = first, node[first]
        # a run of nodes with one way on and no value ending: one literal, no group
        while True:
            piece.append(r"\s+" if char == " " else re.escape(char))
            if "" in child or len(child) != 1:
                break
            (char,) = child
            child = child[char]
        alternatives.append("".join(piece) + _branches(child, depth + 1))
    if not alternatives:
        body = ""
    elif len(alternatives) == 1:
        body = alternatives[0]
    else:
        body = "(?:" + "|".join(alternatives) + ")"
    if "" not in node:
        return body
    if node[""]:  # a word ends here, unless a longer value goes on
        return rf"(?:{body}|(?!\w))" if body else r"(?!\w)"
    return f"(?:{body})?" if body else ""


def _alternative(value: str, word: bool) -> str:
    """The pattern of one folded value: its whitespace runs any whitespace, and, for a
    ``word``, no word character on either side."""
    body = r"\s+".join(map(re.escape, value.split(" ")))
    return rf"(?<!\w){body}(?!\w)" if word else body


def _key(found: str) -> str:
    """A value as a match of the folded text spells it, its whitespace runs one space."""
    return " ".join(found.split())


class Scrubber:
    """Replaces the given values in text and in JSON-like data (see the module docstring).

    Matching ignores case (full case folding: "STRAUSS" matches "Strauß"), Unicode
    compatibility forms (NFKD: "Ｊａｎｅ" matches "Jane"), accents ("Jose" matches "José")
    and the length of whitespace runs
    ("Jane \n Roe" matches "Jane Roe"); a value's own leading and trailing whitespace is not
    part of it. All values are one compiled pattern applied in one pass, so the cost grows
    with the text's length (times the pattern's, for the regular-expression engine), never
    with a value's count of occurrences. ``words`` are more values, matched whatever their
    length but only as words of their own (a short name: "Jon" in "Jon: ok", not in
    "Jonas"); :meth:`find` says where values occur and which.
    """

    __slots__ = ("_pattern", "_placeholder")

    def __init__(
        self, values: Iterable[str], placeholder: str, *, words: Iterable[str] = ()
    ) -> None:
        # A value is long enough to scrub when it is, as written without its own leading and
        # trailing whitespace ("A  0": four characters) or once folded ("ß" folds to "ss"):
        # collapsing inner whitespace must not make a value too short to scrub.
        folded = {
            form
            for v in values
            for form in (fold(v),)
            if form and max(len(v.strip()), len(form)) >= MIN_SCRUB_CHARS
        }
        # ``words``: values matched, whatever their length, only where they stand as words
        # of their own (no letter, digit or "_" on either side): a short name ("Jon").
        whole = {form for w in words for form in (fold(w),) if form} - folded
        self._pattern = _compiled(folded, whole)
        # A placeholder that holds a value would put it back: delete instead.
        self._placeholder = placeholder
        if self._spans(placeholder):
            self._placeholder = ""

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Where values occur in ``text``: ``(start, end, value)``, in order, not overlapping;
        ``value`` is the value found, folded (:func:`fold`), whatever its spelling there."""
        return self._spans(text)

    def _spans(self, text: str) -> list[tuple[int, int, str]]:
        """Where values occur in ``text``: (start, end) of ``text`` and the folded value, in
        order, not overlapping."""
        pattern = self._pattern
        if pattern is None:
            return []
        if text.isascii():  # folding keeps every index
            return [(*m.span(), _key(m.group())) for m in pattern.finditer(text.lower())]
        # Fold only the non-ASCII characters (ASCII ones lower-case in place): segments of
        # the folded text, each with where it starts there and in ``text``.
        folded_parts: list[str] = []
        starts: list[int] = []  # where each segment starts in the folded text
        origins: list[int] = []  # ... and in text
        single: list[bool] = []  # one character of text (else an ASCII run, index for index)
        folds: dict[str, str] = {}
        size = at = 0
        for found in _NON_ASCII.finditer(text):
            index = found.start()
            if index > at:
                starts.append(size)
                origins.append(at)
                single.append(False)
                folded_parts.append(text[at:index].lower())
                size += index - at
            char = text[index]
            piece = folds.get(char)
            if piece is None:
                piece = folds[char] = _fold_char(char)
            if piece:
                starts.append(size)
                origins.append(index)
                single.append(True)
                folded_parts.append(piece)
                size += len(piece)
            at = index + 1
        if at < len(text):
            starts.append(size)
            origins.append(at)
            single.append(False)
            folded_parts.append(text[at:].lower())

        def origin(position: int) -> int:
            j = bisect.bisect_right(starts, position) - 1
            return origins[j] if single[j] else origins[j] + position - starts[j]

        spans = []
        for match in pattern.finditer("".join(folded_parts)):
            start, end = match.span()
            if end > start:
                stop = origin(end - 1) + 1
                # the marks on its last letter (they fold to nothing)
                while stop < len(text) and not text[stop].isascii() and not folds.get(text[stop]):
                    stop += 1
                spans.append((origin(start), stop, _key(match.group())))
        return spans

    def _replace(self, text: str, spans: list[tuple[int, int, str]], by: str) -> str:
        out = []
        at = 0
        for start, end, _ in spans:
            if start < at:  # inside the character replaced last (one folds to several)
                at = max(at, end)
                continue
            out.append(text[at:start])
            out.append(by)
            at = max(at, end)
        out.append(text[at:])
        return "".join(out)

    def text(self, text: str) -> str:
        """``text`` with every value replaced, and none left."""
        if self._pattern is None:
            return text
        spans = self._spans(text)
        if not spans:
            return text
        out = self._replace(text, spans, self._placeholder)
        while spans := self._spans(out):  # spelt again across a placeholder's edge
            out = self._replace(out, spans, "")
        return out

    def data(self, value: Any, *, keys: bool = True) -> Any:
        """JSON-like ``value`` with :meth:`text` applied to every string (and to the keys of
        mappings unless ``keys`` is false: the render context's keys are names the policy
        gives, which templates look up)."""
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {
                (self.data(k) if keys else k): self.data(v, keys=keys) for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.data(v, keys=keys) for v in value]
        return value


def ticket_view(
    ticket: Ticket,
    priority: str | None,
    classification: Mapping[str, str],
    profile: Profile,
    field_names: Iterable[str] = (),
) -> dict[str, Any]:
    """The ticket as a template reads it (plain data: instants as ISO text in UTC), every
    field of a class ``profile`` withholds masked with its placeholder.

    ``priority`` is the decision's canonical priority; ``field_names`` are custom fields that
    are present (``None``) even when the ticket lacks them (those templates declare).
    """
    fields: dict[str, Any] = dict.fromkeys(field_names)
    fields.update(ticket.fields)
    view: dict[str, Any] = {
        "id": ticket.id,
        "priority": priority,
        "opened_at": _iso(ticket.opened_at),
        **{name: getattr(ticket, name) for name in VIEW_FIELDS},
        "regulatory_flags": list(ticket.regulatory_flags),
        "reassignment_count": ticket.reassignment_count,
        "reopen_count": ticket.reopen_count,
        "customer": {
            "id": ticket.customer.id,
            "tier": ticket.customer.tier,
            "vip": ticket.customer.vip,
        },
        "fields": dict(sorted(fields.items())),
        "comments": [
            {"at": _iso(e.at), "text": e.text} for e in ticket.events if e.type == "comment"
        ],
    }
    mask = profile.placeholder
    for path, kind in classification.items():
        if kind not in profile.redact:
            continue
        if path == "comments":
            for comment in view["comments"]:
                if comment["text"] is not None:
                    comment["text"] = mask
            continue
        head, _, rest = path.partition(".")
        holder = view[head] if rest else view
        key = rest or head
        if holder.get(key) is not None:
            holder[key] = mask
    return view
