"""The exceptions escalate raises.

Every error escalate raises on purpose is an :class:`EscalateError`. The concrete classes also
subclass the builtin a caller would naturally catch (``ValueError`` for bad input), so code that
does not know escalate still handles them sensibly.
"""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Callable, Iterable, Sequence

__all__ = [
    "ArgumentError",
    "CalendarRangeError",
    "CaseError",
    "CaseErrors",
    "DurableError",
    "EscalateError",
    "ExportLimitError",
    "InstantRangeError",
    "MessageError",
    "MissingExtraError",
    "NaiveDatetimeError",
    "PolicyError",
    "PolicyErrors",
    "TicketError",
    "shown",
    "suggest",
]

KeyPath = tuple[str | int, ...]


def render_path(path: Sequence[str | int]) -> str:
    """Render a key path the way a reader finds it in YAML.

    >>> render_path(("calendars", "office", "hours", "mon", 0))
    'calendars.office.hours.mon[0]'
    >>> render_path(())
    '<root>'
    >>> print(render_path(("rules", 0, "x\\x1b[31m")))
    rules[0].'x\\x1b[31m'
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = _plain(part)
            out += f".{name}" if out else name
    return out or "<root>"


def _plain(name: str) -> str:
    """A key or file name as a message writes it: as it is when it is a short line of
    printable characters, else as :func:`shown` writes it (escaped and cut)."""
    return name if name.isprintable() and len(name) <= SHOWN_CHARS else shown(name)


def suggest(word: object, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to a misspelt ``word``, or ``None`` when nothing is close.

    >>> suggest("priorty", ["priority", "category"])
    'priority'
    >>> suggest("zzz", ["priority"]) is None
    True

    A name that differs only in case is the closest of all (``l2`` for ``L2``, which the
    similarity measure alone rates as far apart):

    >>> suggest("l2", ["L1", "L2", "L3"])
    'L2'
    """
    if not isinstance(word, str) or len(word) > 200:
        return None  # not a misspelling of a name
    names = sorted(set(choices))
    folded = word.casefold()
    same = [name for name in names if name.casefold() == folded]
    if same:
        return same[0]
    matches = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return matches[0] if matches else None


#: How much of a bad value an error message shows, in characters.
SHOWN_CHARS = 120


class _Shown(reprlib.Repr):
    """``repr`` for messages: short, and safe for any value an input can hold."""

    def __init__(self) -> None:
        super().__init__()
        self.maxstring = self.maxother = SHOWN_CHARS
        self.maxlist = self.maxtuple = self.maxset = self.maxdict = 8
        self.maxlevel = 4

    def repr_str(self, x: str, level: int) -> str:
        if len(x) <= SHOWN_CHARS:
            return repr(x)
        return f"{x[:SHOWN_CHARS]!r}… ({len(x)} characters)"

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() <= 160:  # up to 48 digits: written out
            return repr(x)
        n = abs(x)
        digits = n.bit_length() * 30103 // 100_000 + 1  # bits × log10(2): exact or one over
        if 10 ** (digits - 1) > n:
            digits -= 1
        return f"<an integer of {digits} digits>"


_SHOWN = _Shown()


def shown(value: object) -> str:
    """A bad value as an error message shows it: its ``repr`` (control, bidi and invisible
    characters escaped), strings cut to :data:`SHOWN_CHARS` characters, containers to their
    first few items; never raises, even for a 5,000-digit integer (whose ``repr`` Python
    refuses to write).

    >>> print(shown("a\\x1b[2Jb"))
    'a\\x1b[2Jb'
    >>> shown(10**5000)
    '<an integer of 5001 digits>'
    >>> shown("x" * 10_000).endswith("… (10000 characters)")
    True
    """
    try:
        return _SHOWN.repr(value)
    except Exception:  # a foreign object whose repr fails: say what it is
        return f"<{type(value).__name__}>"


def _located_text(
    message: str,
    path: Sequence[str | int],
    source: tuple[str, int, int] | None,
    suggestion: str | None,
) -> str:
    """``file:line:col: key.path: message (did you mean 'x'?)``, each part when known."""
    where = f"{_plain(source[0])}:{source[1]}:{source[2]}: " if source is not None else ""
    at = f"{render_path(path)}: " if path else ""
    hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
    return f"{where}{at}{message}{hint}"


def _and_more(first: str, more: int) -> str:
    """The first of several problems, saying how many more there are."""
    return f"{first} (and {more} more problem{'s' if more > 1 else ''})"


class EscalateError(Exception):
    """Root of every error escalate raises on purpose."""


class PolicyError(EscalateError, ValueError):
    """A policy (or a calendar, schedule or window configuration) is invalid.

    ``path`` is the key path inside the document, ``source`` is ``(file, line, column)`` when the
    loader knows where the key stands (line and column are 1-based), ``suggestion`` a likely
    intended spelling.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Sequence[str | int] = (),
        source: tuple[str, int, int] | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.message = message
        self.path: KeyPath = tuple(path)
        self.source = source
        self.suggestion = suggestion
        super().__init__(self._render())

    def _render(self) -> str:
        return _located_text(self.message, self.path, self.source, self.suggestion)

    def located(self, source: tuple[str, int, int] | None) -> PolicyError:
        """A copy of this error that also names where the offending key stands."""
        return PolicyError(self.message, path=self.path, source=source, suggestion=self.suggestion)

    def under(self, prefix: Sequence[str | int]) -> PolicyError:
        """A copy of this error whose key path is prefixed (for nested configurations)."""
        return PolicyError(
            self.message,
            path=(*prefix, *self.path),
            source=self.source,
            suggestion=self.suggestion,
        )


class PolicyErrors(PolicyError):
    """Several independent problems of one policy, found in one load.

    ``errors`` holds each as a :class:`PolicyError` (at least two), in document order. The
    exception itself reads as the first of them plus ``(and N more problems)``, and its
    ``path``, ``source`` and ``suggestion`` are the first one's, so code that handles a single
    :class:`PolicyError` keeps working; ``escalate validate`` prints each on its own line.
    """

    def __init__(self, errors: Sequence[PolicyError]) -> None:
        self.errors: tuple[PolicyError, ...] = _in_document_order(errors)
        first = self.errors[0]
        super().__init__(
            first.message, path=first.path, source=first.source, suggestion=first.suggestion
        )

    def _render(self) -> str:
        return _and_more(super()._render(), len(self.errors) - 1)

    def located(self, source: tuple[str, int, int] | None) -> PolicyError:
        """A copy whose first error also names where its offending key stands."""
        return PolicyErrors([self.errors[0].located(source), *self.errors[1:]])

    def under(self, prefix: Sequence[str | int]) -> PolicyError:
        """A copy in which every error's key path is prefixed."""
        return PolicyErrors([e.under(prefix) for e in self.errors])


def _in_document_order(errors: Sequence[PolicyError]) -> tuple[PolicyError, ...]:
    """``errors`` sorted by position: files in the order they first appear, then line and
    column; errors without a position keep their order, after the others."""
    files: dict[str, int] = {}
    for error in errors:
        if error.source is not None:
            files.setdefault(error.source[0], len(files))

    def position(error: PolicyError) -> tuple[int, int, int]:
        if error.source is None:
            return (len(files), 0, 0)
        file, line, col = error.source
        return (files[file], line, col)

    return tuple(sorted(errors, key=position))  # stable: equal positions keep their order


def every_error(error: PolicyError) -> tuple[PolicyError, ...]:
    """The problems ``error`` stands for: its ``errors`` for :class:`PolicyErrors`, else
    itself alone."""
    return error.errors if isinstance(error, PolicyErrors) else (error,)


def joined(errors: Sequence[PolicyError]) -> PolicyError:
    """One error for ``errors`` (at least one; each may be a :class:`PolicyErrors`): the only
    one, or a :class:`PolicyErrors` of them all, in the order given."""
    flat = [e for error in errors for e in every_error(error)]
    return flat[0] if len(flat) == 1 else PolicyErrors(flat)


def remapped(error: PolicyError, change: Callable[[PolicyError], PolicyError]) -> PolicyError:
    """``error`` with ``change`` applied to each problem it stands for.

    >>> remapped(PolicyError("bad"), lambda e: e.under(("rules", 0))).path
    ('rules', 0)
    """
    return joined([change(e) for e in every_error(error)])


class TicketError(EscalateError, ValueError):
    """A ticket is invalid: ``path`` names the field, ``value`` is what was given."""

    def __init__(self, message: str, *, path: Sequence[str | int] = (), value: object = None):
        self.message = message
        self.path: KeyPath = tuple(path)
        self.value = value
        at = f"{render_path(self.path)}: " if self.path else ""
        super().__init__(f"{at}{message} (got {shown(value)})")


class NaiveDatetimeError(EscalateError, ValueError):
    """A datetime without a time zone was given where an instant is required.

    escalate never guesses a zone: a naive datetime could be UTC, server time or the
    calendar's wall clock, and each reading gives a different answer.
    """


class InstantRangeError(EscalateError, ValueError):
    """An instant lies outside the range escalate computes with.

    Instants are exact to the microsecond between 0001-01-02 and 9999-12-30 (UTC): what a
    Python ``datetime`` holds, less a day at each end so that an instant can be written in any
    time zone. Ticket data out of range is a :class:`TicketError` naming the field instead.
    """


class ArgumentError(EscalateError, TypeError):
    """An argument of a library call has the wrong type, e.g. a string where an aware
    datetime is required, or a number where a ``timedelta`` is.

    It is also a :class:`TypeError`, so code that catches that keeps working.
    """


class MessageError(EscalateError, ValueError):
    """An audience message cannot be rendered: its point of contact names nobody or more than
    one person, or its template broke a sandbox rule or a size or work limit at render time.
    The message names the action and the template."""


class CalendarRangeError(EscalateError, ValueError):
    """An instant lies outside the years a calendar was compiled for.

    Holiday data is only known for the years the calendar names; answering outside them would
    mean silently assuming there are no holidays there.
    """


class MissingExtraError(EscalateError, ImportError):
    """A feature needs an optional dependency that is not installed.

    The message names the extra to install (``pip install 'escalate[ical]'``); the core works
    without it. It is also an :class:`ImportError`.
    """


class DurableError(EscalateError, RuntimeError):
    """durable_rules failed while matching a policy's rules (its C core reported an error; the
    optional durable backend, docs/backends.md): the decision is not made, rather than made
    from half an answer."""


class ExportLimitError(EscalateError, ValueError):
    """An export would be larger than escalate writes in one call (for example more events
    than :data:`escalate.people.ical.MAX_EVENTS`): ask for a shorter span."""


class CaseError(EscalateError, ValueError):
    """A case file (``<policy>.cases.yaml``) is invalid, or one of its cases cannot be run.

    ``source`` is ``(file, line, column)`` of the offending key (1-based), ``path`` the key path
    inside the case file, ``case`` the name of the case it belongs to (``None`` for file-wide
    keys), ``suggestion`` a likely intended spelling. A message reads like
    ``rules/p.cases.yaml:14:9: cases[2].expect.levels: case 'p1-page': unknown path 'servce'
    (did you mean 'service'?)``.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Sequence[str | int] = (),
        source: tuple[str, int, int] | None = None,
        case: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.message = message
        self.path: KeyPath = tuple(path)
        self.source = source
        self.case = case
        self.suggestion = suggestion
        super().__init__(self._render())

    def _render(self) -> str:
        named = f"case {shown(self.case)}: " if self.case is not None else ""
        return _located_text(named + self.message, self.path, self.source, self.suggestion)


class CaseErrors(CaseError):
    """Several independent problems of one case file, found in one read.

    ``errors`` holds each as a :class:`CaseError` (at least two), in the order of the lines
    they stand on. Like :class:`PolicyErrors`, the exception reads as the first of them plus
    ``(and N more problems)`` and has the first one's ``path``, ``source``, ``case`` and
    ``suggestion``; ``escalate test`` prints each on its own line.
    """

    def __init__(self, errors: Sequence[CaseError]) -> None:
        self.errors: tuple[CaseError, ...] = tuple(errors)
        first = self.errors[0]
        super().__init__(
            first.message,
            path=first.path,
            source=first.source,
            case=first.case,
            suggestion=first.suggestion,
        )

    def _render(self) -> str:
        return _and_more(super()._render(), len(self.errors) - 1)
