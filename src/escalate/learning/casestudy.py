"""Anonymised case studies: one ticket's timeline, fit for training material.

:func:`case_study` gives ``ticket.to_dict()`` (so the result reads back with
:meth:`escalate.Ticket.from_mapping`, and a policy can evaluate it again) with these
replaced.

**In their fields**

* the ticket id by ``ticket-<hex>``, also where action ids start with it
  (``<id>:rule:...``, rewritten whatever the id's length);
* every person -- the assignee (now and in each ``assigned`` or ``field-changed`` event),
  every event's ``actor`` and a ``postmortem`` event's ``owner`` -- by ``person-<hex>``;
* the customer's id (now and in its history) by ``customer-<hex>``;
* every field the classification names -- the policy's ``classification:``
  (``policy=``), with ``classification=`` added (its class wins for a path both name; a
  class ``None`` unclassifies a path): the ticket fields
  :data:`escalate.comms.messages.CLASSIFIABLE` lists, or ``fields.<name>`` (another path
  is an :class:`~escalate.errors.ArgumentError`) -- by
  ``<class>-<hex>`` (``personal-…``, ``health-…``), now and in its history: its
  ``field-changed`` events, and the ``assigned`` events when it is the assignment group or
  the assignee; a classified value that is not a string (a number, a yes/no, a list) by
  ``[withheld]`` -- a pseudonym of ``True`` would tell every reader who knows one such
  ticket the value of all -- and a classified ``customer.vip``, which a ticket must give as
  yes or no, by ``false``; a classified ``comments`` has each comment's text replaced by
  ``[withheld]``.

**In every string** (but structure: instants, event types, field names, statuses, kinds)

* each value above, wherever it stands;
* with ``policy=``, each person of its directory: their id, their name, each word of the
  name of two letters or more ("Anna", "Schmidt"; "Anna-Lena", "Anna" and "Lena") and
  their contact addresses (e-mail, phone, chat handle without its ``@``) by that person's
  pseudonym -- "Anna Schmidt", "anna.schmidt" and "SCHMIDT" are one ``person-<hex>``; a
  name or word several people share by ``name-<hex>`` of it (it tells no one apart);
  particles and titles (:data:`NOT_NAMES`: "von", "de", "Dr"), initials and a note in
  parentheses ("(contractor)") are not searched for alone. A directory entry for a desk or
  a vendor ("Carrier NOC") is a person like any other: its words are replaced too;
* the words of a ``personal`` or ``health`` value (a classified caller "Erika Mustermann":
  "Erika", "Mustermann"), those with a letter, by that value's pseudonym; of a customer id
  with digits, its words with digits of ``MIN_SCRUB_CHARS`` characters or more ("778899"
  of "CUST-778899"); a word several values share by ``name-<hex>`` of it;
* a name word in its other German spelling too (:func:`_spellings`: "Müller" and
  "Mueller").

Matching is the comms redaction's (:class:`~escalate.comms.redaction.Scrubber`: case,
accents, compatibility forms, whitespace runs ignored). A value of
:data:`~escalate.comms.redaction.MIN_SCRUB_CHARS` (four) characters or more is found
anywhere, inside longer words too ("Annas laptop"); a person's shorter id or name word
("ann", "Jon") only as a word of its own ("Jon:", not "Jonathan"); another shorter value
-- a ticket id ``42``, a customer ``C7`` -- is replaced in its fields but not searched for
in text ("42 users"). A name word that is also an ordinary word ("Will", "May") is replaced
wherever it stands as one: privacy over readability.

**In free text** -- comment texts, reasons, post-mortem titles, the configuration item and
custom fields (also in ``field-changed`` events) -- also what these patterns find
(:mod:`escalate.learning._scrub`; RE2, linear in the text), each by a stable pseudonym of
its kind:

* e-mail addresses (``email-<hex>``), web addresses (``http(s)://``, ``ftp://``,
  ``www.``: ``url-<hex>``), IPv4 addresses (``ip-<hex>``);
* phone numbers (``phone-<hex>`` of the digits): international (``+49 170 1234567``,
  ``+49 (0)170 1234567``) with 7 to 15 digits, national with a trunk 0 (``0170 1234567``,
  ``030/1234567``, ``(030) 1234-5678``) with 8 to 15, ``(555) 123-4567`` and
  ``555-123-4567``; not a number glued to a letter, ``-``, ``.`` or ``/`` before it
  (``INC0049999``, ``C-1042``, dates, versions), and not timestamps, durations, plain
  counts or ids (``20240603T100000Z``, ``12345678``);
* other tickets' ids (``ticket-<hex>``, the pseudonym the referenced ticket's own case study
  gives its id under the same salt, so two case studies that refer to each other still
  line up): ServiceNow numbers (``INC``, ``CHG``, ``PRB``, ``RITM``, ``REQ``, ``TASK``,
  ``SCTASK``, ``PTASK``, ``CTASK`` and four digits or more, any case) and Jira keys
  (``OPS-42``: upper case; ``ISO-8601``, ``UTF-8``, ``SHA-256``, ``UTC-5`` and the like are
  not);
* @mentions (``@anna``: ``@`` and the pseudonym of the handle -- a known person's, else
  ``person-<hex>`` of the handle).

Where findings overlap, the one that starts first wins (then the longer one, then a value
the case study knows); a replacement is never searched again. The names a policy matches
on -- assignment group, category, service, region and the like, path, level and milestone
names -- are searched for the values only, so that a replay decides as the original.

**What cannot be found**: anything personal that neither the ticket's fields nor the
directory holds and no pattern shapes -- a caller's name no classified field holds, a
customer's company name, a street address, a date of birth, an IPv6 address, a phone
number written with words or in another shape. These are words like any other. For
training material, classify ``comments`` (``classification: {comments: personal}``) so
that comment texts are withheld entirely, or review every export before it is used.

**Time.** By default every instant is kept as it was, which identifies the ticket: anyone
with access to the ticketing system finds it again by its opening. ``shift=`` (a
``timedelta``) or ``start=`` (an aware instant the opening moves to) moves every instant by
the same amount: ``opened_at``, each event's ``at``, a post-mortem's ``due``, the stamps in
action ids (``20240603T100000Z``: a replay still knows which actions were done), and, in
free text, ISO 8601 dates and times (``2024-06-03T10:05:00Z``, ``2024-06-03 10:05``; one
without an offset moves as a wall time, a date alone as its midnight) and day-first
dotted dates (``03.06.2024``); other numeric dates (``06/03/2024``: which is the day?,
``03.06.24``, ``03-06-2024``, ``2024/06/03``, eight digits that read as a date of 1990 to
2100: ``20240603``) and ISO-shaped ones that are no instant (``2024-06-03T24:00``) become
``[withheld]`` (a date glued to a digit, or to a ``.`` ``/`` ``-`` and a digit, is none:
``release 10.11.2024.1``), and dates in words ("3 June", "last Monday") are not found.
Durations are kept exactly. A shift of a whole number of weeks (``timedelta(weeks=-1000)``)
also keeps the weekday and the time of day in UTC; in a local
zone the wall time can differ by an hour when one date is in summer time and the other is
not, and public holidays fall on other days, so a policy with business-hours calendars may
decide the shifted copy differently. Without a shift the written instants in text stay too.

**Pseudonyms are stable**: ``<kind>-`` + the first ``length`` (default 12) hex digits of
``sha256(salt NUL value)``, the value folded as redaction folds it
(:func:`escalate.comms.redaction.fold`: case, accents, compatibility forms, whitespace runs
made one space: "José  Roe" and "jose roe" are one person, as the scrubber treats them); a
directory name, word or address takes the digits of the person's id, a phone number those of
its digits (``+491701234567``). The kind is a label, not part of the digest: the same value
and salt give the same digits in every export, whatever it was seen as there. Within one
export a value seen as several kinds takes the first of person, name, customer, the classes
(personal, health, security, internal-only), ticket; one only free text shows takes the
kind of the first pattern that found it. Without the salt a reader cannot test guesses
against them: keep it secret. No randomness. Two different values of one export that got
the same pseudonym are an :class:`~escalate.errors.ArgumentError` (ask for a longer one);
12 hex digits (48 bits) make that unlikely even across a million people.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from escalate.calendars._instants import (
    MAX_US,
    MIN_US,
    ONE_US,
    OUT_OF_RANGE,
    checked_utc,
    from_us,
    to_us,
)
from escalate.comms.messages import CLASSIFIABLE
from escalate.comms.models import CLASSES
from escalate.comms.redaction import MIN_SCRUB_CHARS, Scrubber, classified_values, fold
from escalate.engine.compiled import Policy
from escalate.engine.history import iso
from escalate.engine.ticket import Ticket
from escalate.errors import ArgumentError, TicketError, shown
from escalate.learning import _scrub
from escalate.people.directory import Directory

__all__ = ["DEFAULT_LENGTH", "NOT_NAMES", "WITHHELD", "case_study", "pseudonym"]

#: What a classified comment's text, or a classified value that is not a string, becomes.
WITHHELD = "[withheld]"
#: The hex digits of a pseudonym unless asked otherwise.
DEFAULT_LENGTH = 12
#: Words of a directory person's name that are not searched for on their own (they still
#: are within the whole name): particles and titles, which are also ordinary words.
NOT_NAMES = frozenset(
    {"al", "bin", "da", "das", "de", "del", "della", "den", "der", "di", "do", "dos", "du"}
    | {"el", "ibn", "la", "le", "ten", "ter", "van", "von", "zu", "zum", "zur"}
    | {"dr", "prof", "mr", "mrs", "ms", "sir", "jr", "sr", "ii", "iii"}
)
#: The kinds a value may be seen as, the one it keeps first: a person's id, a name or
#: contact of exactly one directory person (labelled ``person``, with that person's digits),
#: a name several directory people share, then the rest.
_PRECEDENCE = ("person", "person-alias", "name", "customer", *CLASSES, "ticket", "value")
_PEOPLE = _PRECEDENCE.index("name")  # ranks up to this one are people: short ones are words
#: The fields a value of ``kind`` is matched in as a word of its own below MIN_SCRUB_CHARS.
_SHORTEST_WORD = 2
#: Keys whose values are structure (instants, names of types and fields), never scrubbed.
_STRUCTURE = frozenset({"at", "due", "opened_at", "type", "field", "kind", "status", "change"})
#: The event keys that hold free text (patterns are looked for there).
_FREE_EVENT_KEYS = frozenset({"text", "reason", "title"})
_NOTE = re.compile(r"\([^)]*\)")  # "(contractor)", "(vendor)": a note, not a name
_NAME_WORDS = re.compile(r"[\s,;:()/\"]+")
_NAME_PARTS = re.compile(r"[-'\u2019\u2010]")
#: The kinds of value whose words are searched for on their own, as a directory name's.
_PERSON_LIKE = frozenset({"personal", "health", "customer"})
#: German umlauts and their transliterations: "Müller" is also written "Mueller".
_UMLAUTS = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue"))


def pseudonym(kind: str, value: str, salt: str, *, length: int = DEFAULT_LENGTH) -> str:
    """The stable pseudonym of ``value`` (a person, customer, ...) under ``salt``: ``kind``
    is its label; the digits depend on the folded value and the salt only.

    >>> pseudonym("person", "José Roe", "s1") == pseudonym("person", "jose  ROE", "s1")
    True
    >>> pseudonym("person", "Jane Roe", "s1")[7:] == pseudonym("personal", "Jane Roe", "s1")[9:]
    True
    >>> pseudonym("person", "Jane Roe", "s1") == pseudonym("person", "Jane Roe", "s2")
    False
    """
    _check_length(length)
    digest = hashlib.sha256(f"{salt}\0{fold(value)}".encode()).hexdigest()
    return f"{kind}-{digest[:length]}"


def _check_length(length: object) -> None:
    if isinstance(length, bool) or not isinstance(length, int) or not 4 <= length <= 64:
        raise ArgumentError(f"length must be 4 to 64 hex digits, got {length!r}")


class _Names:
    """The values of one export, the kind each is seen as first (:data:`_PRECEDENCE`), and
    their pseudonyms; then the values free text shows that were not known before."""

    def __init__(self, salt: str, length: int) -> None:
        self.salt = salt
        self.length = length
        # key -> (precedence, value, the value whose digits it takes)
        self.kinds: dict[str, tuple[int, str, str]] = {}
        self.made: dict[str, str] = {}  # key -> pseudonym
        self._owners: dict[str, str] = {}  # digits -> key of the value they were made from
        # a word of a person-like value (folded) -> (as written, the keys of its values)
        self._words: dict[str, tuple[str, set[str]]] = {}
        self.aliases: dict[str, tuple[str, str]] = {}  # word -> (as written, its value's key)

    def see(self, kind: str, value: object, *, of: str | None = None) -> None:
        """Note that ``value`` (a string) is seen as ``kind`` (with the digits of ``of``)."""
        if not isinstance(value, str):
            return
        key = fold(value)
        rank = _PRECEDENCE.index(kind)
        if key not in self.kinds or rank < self.kinds[key][0]:
            self.kinds[key] = (rank, value, value if of is None else of)
        if kind in _PERSON_LIKE:
            self._see_words(value, key, coded=kind == "customer")

    def _see_words(self, value: str, key: str, *, coded: bool) -> None:
        """Note the words of a person-like ``value`` (a caller's name, a patient's, a
        customer's) with a letter in them, as a directory name's are ("30", "02" of a phone
        number or a date are too common to search for); of a ``coded`` value with a digit (a
        customer id "CUST-778899"), only its words with a digit and at least
        ``MIN_SCRUB_CHARS`` characters ("778899", not "CUST")."""
        digits = coded and any(c.isdigit() for c in value)
        for form in _name_forms(value)[1:]:
            if digits:
                if len(form) < MIN_SCRUB_CHARS or not any(c.isdigit() for c in form):
                    continue
            elif not any(c.isalpha() for c in form):
                continue
            for spelt in _spellings(form):
                word = fold(spelt)
                if len(word) >= _SHORTEST_WORD and word != key:
                    self._words.setdefault(word, (spelt, set()))[1].add(key)

    def settle(self) -> None:
        """Give every value seen its pseudonym; refuse two values sharing one. A word of a
        person-like value that is no value of its own takes that value's pseudonym, or, a
        word several values share, ``name-<hex>`` of its own (it tells none apart)."""
        for word, (spelt, keys) in sorted(self._words.items()):
            if word in self.kinds:
                continue
            if len(keys) == 1:
                self.aliases[word] = (spelt, next(iter(keys)))
            else:
                self.kinds[word] = (_PRECEDENCE.index("name"), spelt, spelt)
        for key, (rank, _, source) in sorted(self.kinds.items()):
            label = "person" if _PRECEDENCE[rank] == "person-alias" else _PRECEDENCE[rank]
            made = pseudonym(label, source, self.salt, length=self.length)
            self.made[key] = self._own(made, fold(source))
        for word, (_, key) in self.aliases.items():
            self.made[word] = self.made[key]

    def _own(self, made: str, source: str) -> str:
        """``made``, once no other value (than ``source``, folded) has its digits."""
        digits = made[made.rindex("-") + 1 :]
        if self._owners.setdefault(digits, source) != source:
            raise ArgumentError(
                f"two values of this ticket share the pseudonym {made!r}: ask for a "
                f"longer one (length greater than {self.length})"
            )
        return made

    def name(self, value: object) -> object:
        """The pseudonym of a string seen before; other values as they are."""
        if not isinstance(value, str):
            return value
        return self.made[fold(value)]

    def found(self, kind: str, value: str) -> str:
        """The pseudonym of ``value`` found in free text as ``kind``: a value seen before
        keeps its own."""
        key = fold(value)
        made = self.made.get(key)
        if made is None:
            made = pseudonym(kind, value, self.salt, length=self.length)
            self.made[key] = self._own(made, key)
        return made

    def finder(self) -> _scrub.Finder:
        """Where the values seen occur in a text (as :class:`Scrubber` matches them: folded;
        a person's value or name shorter than ``MIN_SCRUB_CHARS`` only as a word of its
        own) and their pseudonyms."""
        values = [value for _, value, _ in self.kinds.values()]
        values += [spelt for spelt, _ in self.aliases.values()]
        words = [
            value
            for rank, value, _ in self.kinds.values()
            if rank <= _PEOPLE and _SHORTEST_WORD <= len(fold(value)) < MIN_SCRUB_CHARS
        ]
        words += [
            spelt
            for spelt, _ in self.aliases.values()
            if _SHORTEST_WORD <= len(fold(spelt)) < MIN_SCRUB_CHARS
        ]
        scrubber = Scrubber(values, WITHHELD, words=words)
        made = self.made

        def find(text: str) -> Iterator[_scrub.Hit]:
            for start, end, key in scrubber.find(text):
                yield start, end, made.get(key, WITHHELD)

        return find


def _see_directory(names: _Names, directory: Directory) -> None:
    """Every directory person's id (as a person), and their name, its words and their
    contact addresses as that person -- or, a name or word several people share, as a
    ``name`` of its own; an address several share is left to the patterns."""
    people = directory.people
    for pid in sorted(people):
        names.see("person", pid)
    owners: dict[str, set[str]] = {}
    spelt: dict[str, str] = {}
    named: set[str] = set()  # keys that are (part of) a name
    for pid in sorted(people):
        person = people[pid]
        forms = [
            (spelt, True) for form in _name_forms(person.name or "") for spelt in _spellings(form)
        ]
        forms += [
            (address.removeprefix("@"), False) for _, address in sorted(person.channels.items())
        ]
        for form, is_name in forms:
            key = fold(form)
            if len(key) < _SHORTEST_WORD:
                continue
            owners.setdefault(key, set()).add(pid)
            spelt.setdefault(key, form)
            if is_name:
                named.add(key)
    for key in sorted(owners):
        (first, *more) = sorted(owners[key])
        if not more:
            names.see("person-alias", spelt[key], of=first)
        elif key in named:
            names.see("name", spelt[key])


def _name_forms(name: str) -> list[str]:
    """A person's name and the words of it searched for on their own: each word, and the
    parts of one joined by a hyphen or an apostrophe ("Anna-Lena" -> "Anna-Lena", "Anna",
    "Lena"), but for initials (one letter), :data:`NOT_NAMES` and a note in parentheses.

    >>> _name_forms("Dr. Anna-Lena van Dijk (contractor)")
    ['Dr. Anna-Lena van Dijk (contractor)', 'Anna-Lena', 'Anna', 'Lena', 'Dijk']
    """
    forms = [name.strip()] if name.strip() else []
    for written in _NAME_WORDS.split(_NOTE.sub(" ", name)):
        word = written.strip(".'\u2019")
        for piece in (word, *_NAME_PARTS.split(word)):
            part = piece.strip(".'\u2019")
            key = fold(part)
            if len(key) >= _SHORTEST_WORD and key not in NOT_NAMES and part not in forms:
                forms.append(part)
    return forms


def _spellings(word: str) -> list[str]:
    """``word`` and its German spellings: umlauts transliterated ("Müller" -> "Mueller") and
    transliterations written as umlauts ("Mueller" -> "Müller"; folded, "muller"). The
    capitals "AE", "OE", "UE" are read as their lower case.

    >>> _spellings("Müller"), _spellings("Mueller"), _spellings("Jon")
    (['Müller', 'Mueller'], ['Mueller', 'Müller'], ['Jon'])
    """
    out = [word]
    ahead, back = word, word
    for umlaut, written in _UMLAUTS:
        ahead = ahead.replace(umlaut, written)
        back = back.replace(written, umlaut).replace(written.upper(), umlaut.upper())
    out += [spelt for spelt in dict.fromkeys((ahead, back)) if spelt != word]
    return out


def _classes(policy: Policy | None, classification: object) -> dict[str, str]:
    """The classification a case study follows: the policy's, with ``classification``'s
    paths added or given another class, or (class ``None``) not classified."""
    classes = {} if policy is None else dict(policy.classification)
    if classification is None:
        return classes
    if not isinstance(classification, Mapping):
        raise ArgumentError(
            "classification must be a mapping of field paths to classes, got "
            + shown(classification)
        )
    for path, kind in classification.items():
        if not isinstance(path, str) or not (
            path in CLASSIFIABLE or (path.startswith("fields.") and len(path) > len("fields."))
        ):
            raise ArgumentError(
                f"classification names {path!r}, which is not a ticket field a classification "
                f"can name ({', '.join(CLASSIFIABLE)}, fields.<custom field>)"
            )
        if kind is None:
            classes.pop(path, None)
        elif kind in CLASSES:
            classes[path] = kind
        else:
            raise ArgumentError(
                f"classification of {path!r}: {kind!r} is not a class ({', '.join(CLASSES)}; "
                "None: not classified)"
            )
    return classes


def _holder(data: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    """The mapping of ``data`` holding ``path`` and the key in it."""
    head, _, rest = path.partition(".")
    if rest and head in ("fields", "customer"):
        return data[head], rest
    return data, path


def _kind_of(path: str, classes: Mapping[str, str]) -> str | None:
    """The kind a value of ``path`` is seen as (``None``: not replaced)."""
    if path == "assignee":
        return "person"
    if path == "customer.id":
        return "customer"
    return classes.get(path)


def _free(path: str) -> bool:
    """Whether the ticket field ``path`` holds free text (patterns are looked for in it): the
    configuration item and the custom fields; the others are names a policy matches on."""
    return path == "configuration_item" or path.startswith("fields.")


def _read(ticket: object, policy: Policy | None) -> Ticket:
    """``ticket`` as a :class:`Ticket`: a mapping read with ``Ticket.from_mapping`` (and the
    policy's ``empty_values``), its errors naming the ticket."""
    if isinstance(ticket, Ticket):
        return ticket
    if isinstance(ticket, Mapping):
        try:
            return Ticket.from_mapping(ticket, empty=() if policy is None else policy.empty_values)
        except TicketError as error:
            given = ticket.get("id")
            where = f"ticket {given!r}: " if given is not None else ""
            raise TicketError(
                f"{where}{error.message}", path=error.path, value=error.value
            ) from None
    raise ArgumentError(
        f"a case study is made of an escalate.Ticket or a mapping, got {type(ticket).__name__}"
    )


def _delta(ticket: Ticket, shift: object, start: object) -> timedelta | None:
    """How far every instant moves (``None``: not at all)."""
    if shift is not None and start is not None:
        raise ArgumentError(
            "give shift= or start=, not both: start= is the shift that moves "
            "the ticket's opening there"
        )
    if start is not None:
        return checked_utc(start, "start") - ticket.opened_at
    if shift is None:
        return None
    if not isinstance(shift, timedelta):
        raise ArgumentError(f"shift must be a datetime.timedelta, got {shown(shift)}")
    return shift


def _mover(delta: timedelta | None) -> Callable[[str, str], str]:
    """What moves an instant of ``to_dict()`` (ISO text in UTC) by ``delta``; ``what`` names
    it in the error when it would leave the range escalate computes with."""

    def move(text: str, what: str) -> str:
        if delta is None:
            return text
        moved = to_us(datetime.fromisoformat(text)) + delta // ONE_US
        if not MIN_US <= moved <= MAX_US:
            raise ArgumentError(
                f"shift {delta} moves {what} ({text}) to an instant that {OUT_OF_RANGE}"
            )
        return iso(from_us(moved))

    return move


def case_study(
    ticket: Ticket | Mapping[str, Any],
    *,
    salt: str,
    policy: Policy | None = None,
    classification: Mapping[str, str | None] | None = None,
    shift: timedelta | None = None,
    start: datetime | None = None,
    length: int = DEFAULT_LENGTH,
) -> dict[str, Any]:
    """``ticket`` as JSON-ready data with people, customers, classified fields, other
    tickets' ids and contact details replaced by stable pseudonyms, and its instants moved
    when asked (see the module docstring for what is replaced where, and what is not).

    ``ticket`` is a :class:`Ticket` or a mapping (read with ``Ticket.from_mapping`` and the
    policy's ``empty_values``; a bad one is a :class:`~escalate.errors.TicketError` naming
    the ticket). ``policy`` gives its ``classification:`` and its directory (every person's
    id, name, the words of the name and contact addresses). ``classification`` (field path
    -> class, e.g. ``{"fields.patient_name": "health", "comments": "personal"}``) adds to the
    policy's, gives a path another class, or, with class ``None``, leaves a path the policy
    classifies unclassified (``{"comments": None}``: comment texts scrubbed, not withheld).
    ``shift`` (a ``timedelta``) moves every
    instant by that much; ``start`` (an aware datetime) moves the opening there and every
    other instant by as much; neither: instants stay as they are.
    """
    if not isinstance(salt, str) or not salt:
        raise ArgumentError("salt must not be empty: without one, pseudonyms can be guessed")
    if policy is not None and not isinstance(policy, Policy):
        raise ArgumentError(f"policy must be an escalate.Policy, got {type(policy).__name__}")
    _check_length(length)
    original = _read(ticket, policy)
    classes = _classes(policy, classification)
    delta = _delta(original, shift, start)
    names = _Names(salt, length)
    data: dict[str, Any] = dict(original.to_dict())
    events: list[dict[str, Any]] = data["events"]
    paths = sorted({*classes, "assignee", "customer.id"} - {"comments"})
    # 1. what each value is seen as, over the whole ticket, before any is named
    names.see("ticket", original.id)
    for path in paths:
        kind = _kind_of(path, classes)
        if kind is not None:
            holder, key = _holder(data, path)
            names.see(kind, holder.get(key))
    for event in events:
        names.see("person", event.get("actor"))
        names.see("person", event.get("assignee"))
        names.see("person", event.get("owner"))  # a post-mortem's or an action item's owner
        if event["type"] == "assigned" and "assignment_group" in classes:
            names.see(classes["assignment_group"], event.get("group"))
        if event["type"] == "field-changed":
            kind = _kind_of(event["field"], classes)
            if kind is not None:
                names.see(kind, event.get("from"))
                names.see(kind, event.get("to"))
    # every value that ever sat in a classified field, also where the history never wrote it
    for value in classified_values(original, classes, frozenset(CLASSES)):
        names.see("value", value)
    if policy is not None:
        _see_directory(names, policy.directory)
    names.settle()
    # 2. replace them, and in free text what the patterns find
    known = names.finder()
    found = names.found
    stamps: tuple[_scrub.Finder, ...] = () if delta is None else (_scrub.stamps(delta),)
    moves = stamps if delta is None else (_scrub.instants(delta), *stamps)
    writer = _Writer(
        names,
        frozenset(paths),
        "comments" in classes,
        _mover(delta),
        (known,),
        (
            known,
            *moves,
            _scrub.urls(found),
            _scrub.emails(found),
            _scrub.tickets(found),
            _scrub.phones(found),
            _scrub.ip_addresses(found),
            _scrub.mentions(found),
        ),
        (known, *stamps),
    )
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "id":
            out[key] = names.name(original.id)
        elif key == "opened_at":
            out[key] = writer.move(value, key)
        elif key in ("customer", "fields"):
            out[key] = {k: writer.field(f"{key}.{k}", v) for k, v in value.items()}
        elif key != "events":
            out[key] = writer.field(key, value)
    prefix = f"{original.id}:"
    out["events"] = [
        {
            key: writer.event_value(n, event, key, value, prefix, out["id"])
            for key, value in event.items()
        }
        for n, event in enumerate(events)
    ]
    return dict(sorted(out.items()))


class _Writer(NamedTuple):
    """How a case study writes each value of the ticket."""

    names: _Names
    #: The fields whose string values are pseudonyms (people, the customer, the classified).
    replaced: frozenset[str]
    #: Whether comments are classified: their texts are withheld.
    withhold_comments: bool
    #: Moves an instant (ISO text), naming it in an error.
    move: Callable[[str, str], str]
    #: What is replaced in names a policy matches on: the values seen.
    names_only: tuple[_scrub.Finder, ...]
    #: ... in free text: also what the patterns find.
    free: tuple[_scrub.Finder, ...]
    #: ... in action ids: the values seen, and stamps moved.
    in_ids: tuple[_scrub.Finder, ...]

    def text(self, value: object, finders: tuple[_scrub.Finder, ...]) -> Any:
        """``value`` with each string in it scrubbed by ``finders``."""
        if isinstance(value, str):
            return _scrub.scrub(value, finders)
        if isinstance(value, list):
            return [self.text(v, finders) for v in value]
        return value

    def field(self, path: str, value: object) -> Any:
        """The value of the ticket field ``path`` (``customer.tier``, ``fields.x``) as the
        export writes it (also in a ``field-changed`` event)."""
        if path in self.replaced:
            return _replaced(path, value, self.names)
        if path in _STRUCTURE:
            return value
        return self.text(value, self.free if _free(path) else self.names_only)

    def event_value(
        self, number: int, event: Mapping[str, Any], key: str, value: Any, prefix: str, new_id: str
    ) -> Any:
        """The value of ``key`` of event ``number`` as the export writes it; ``prefix`` starts
        the action ids of the ticket, whose id is ``new_id`` now."""
        kind = event["type"]
        if key in ("at", "due"):
            return self.move(value, f"events[{number}].{key}")
        if key in _STRUCTURE:
            return value
        if key in ("actor", "assignee", "owner") or (
            key == "group" and "assignment_group" in self.replaced
        ):
            return self.names.name(value)
        if key in ("from", "to") and kind == "field-changed":
            return self.field(event["field"], value)
        if key == "text" and kind == "comment" and self.withhold_comments:
            return WITHHELD
        if key == "action_id":
            if value.startswith(prefix):
                return f"{new_id}:{self.text(value[len(prefix) :], self.in_ids)}"
            return self.text(value, self.in_ids)
        return self.text(value, self.free if key in _FREE_EVENT_KEYS else self.names_only)


def _replaced(path: str, value: object, names: _Names) -> object:
    """A classified (or person, customer) field's value as the export writes it."""
    if value is None:
        return None
    if path == "customer.vip":
        return False
    if isinstance(value, str):
        return names.name(value)
    return WITHHELD
