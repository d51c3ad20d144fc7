"""What every configuration model shares: a strict base, patterns, and errors as PolicyError.

The strict base class, pattern-typed strings with readable "expected …" messages, the text
and number checks every input format applies (:data:`Label`, :data:`Prose`,
:func:`unsafe_character`, :func:`unsafe_value`), and the conversion of a pydantic
``ValidationError`` into a :class:`~escalate.errors.PolicyError`.

This module sits below every stage (it imports only pydantic and :mod:`escalate.errors`), so
calendars, people and the policy format validate and report errors the same way. Nothing here
runs on the evaluate path: models are checked once, when a configuration is compiled.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, ValidationError
from pydantic_core import PydanticCustomError

from escalate.errors import PolicyError, joined, shown, suggest

__all__ = [
    "INSTANT_PATTERN",
    "MAX_INT",
    "MIN_INT",
    "Label",
    "Positions",
    "Prose",
    "StrictModel",
    "check_data",
    "check_label",
    "check_prose",
    "label_problem",
    "model_keys",
    "model_problem",
    "pattern_hint",
    "patterned",
    "policy_error",
    "read_instant",
    "unsafe_character",
    "unsafe_value",
    "validate_model",
]

Path = tuple[str | int, ...]
#: Where a key path stands in the source document: ``(file, line, column)`` or ``None``.
Positions = Callable[[Path], tuple[str, int, int] | None]
M = TypeVar("M", bound=BaseModel)

_EXPECT = {
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "list_type": "a list",
    "string_type": "a string",
    "int_type": "a whole number",
    "bool_type": "true or false",
    "none_required": "null",
    "literal_error": "",
}
#: An instant as the input formats (ticket, availability) write it: ISO-8601 date and time
#: with ``Z`` or a ``±HH:MM`` offset. Their JSON Schemas publish it; :func:`read_instant`
#: reads exactly what it matches.
INSTANT_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,6})?)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2}(:[0-9]{2})?)$"
)
_INSTANT_RE = re.compile(INSTANT_PATTERN)

# pattern -> what a matching string looks like, for "expected <hint>, got <value>" messages
_HINTS: dict[str, str] = {}


# -- text and numbers every input format accepts ----------------------------------------------

#: The integers any configuration may hold: signed 64-bit, what ticketing backends and JSON
#: parsers carry. Beyond them a number is a mistake, and its cost would grow with its digits.
MIN_INT, MAX_INT = -(2**63), 2**63 - 1
# Characters that reorder the text around them (Trojan Source, CVE-2021-42574): the embedding,
# override and isolate controls, and the implicit marks (LRM, RLM, ALM).
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# The custom pydantic error type whose message is already complete (see policy_error).
_TEXT_ERROR = "escalate_text"


def unsafe_character(text: str, *, multiline: bool = False) -> int | None:
    """The index of the first character of ``text`` that would not show as written, or ``None``.

    Refused everywhere: control characters (C0, DEL, C1, so also the terminal escape
    ``\\x1b``), lone surrogates, the line and paragraph separators and the bidirectional
    controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), which let a terminal or an
    editor show something else than what a string holds. Single-line text (``multiline=False``)
    also refuses tab, newline and every other invisible format character (category ``Cf``:
    zero-width spaces and joiners, soft hyphen, BOM); prose keeps tab, newline and joiners.
    The cost is linear in the length of ``text``.

    >>> unsafe_character("L2"), unsafe_character("a\\u202eb"), unsafe_character("x\\u200b")
    (None, 1, 1)
    >>> unsafe_character("two\\nlines"), unsafe_character("two\\nlines", multiline=True)
    (3, None)
    """
    if text.isprintable():  # the common case, in C; spaces other than U+0020 are not printable
        return None
    for index, char in enumerate(text):
        if char.isprintable() or (multiline and char in "\t\n"):
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Zl", "Zp") or char in _BIDI_CONTROLS:
            return index
        if category == "Cf" and not multiline:
            return index
    return None


def _describe(char: str) -> str:
    code = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "")
    named = f"{code} ({name})" if name else code
    category = unicodedata.category(char)
    if char in _BIDI_CONTROLS:
        return f"the bidirectional control {named}"
    if category == "Cc":
        return f"the control character {named}"
    if category == "Cs":
        return f"the lone surrogate {named}"
    if category in ("Zl", "Zp"):
        return f"the line break {named}"
    return f"the invisible format character {named}"


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why ``text`` is refused as single-line text (``multiline=False``) or prose, or ``None``.

    >>> print(text_problem("a\\x1bb"))
    contains the control character U+001B at position 2: 'a\\x1bb'
    >>> print(text_problem("L\\u200b2"))
    contains the invisible format character U+200B (ZERO WIDTH SPACE) at position 2: 'L\\u200b2'
    """
    index = unsafe_character(text, multiline=multiline)
    if index is None:
        return None
    return f"contains {_describe(text[index])} at position {index + 1}: {shown(text)}"


def model_problem(message: str) -> PydanticCustomError:
    """The error a model validator raises for a problem it words itself: :func:`policy_error`
    reports ``message`` as it is (a pydantic ``ValueError`` would get a "Value error, " prefix).
    """
    return PydanticCustomError(_TEXT_ERROR, "{message}", {"message": message})


def label_problem(text: str) -> str | None:
    """Why ``text`` is refused as a name (blank, or not one line of visible characters), or
    ``None``: the rule of :data:`Label`, for every input format and the ``Ticket`` constructor.

    >>> label_problem("L2") is None, label_problem("  ")
    (True, "expected a non-blank string, got '  '")
    """
    if text.isprintable() and text and not text.isspace():
        return None  # the common case, in C (it runs for every name of every input)
    if not text.strip():
        return f"expected a non-blank string, got {shown(text)}"
    return text_problem(text)


def check_label(value: str) -> str:
    """Validator of :data:`Label`: non-blank, one line, every character visible as written."""
    problem = label_problem(value)
    if problem is None:
        return value
    raise model_problem(problem)


def check_prose(value: str) -> str:
    """Validator of :data:`Prose`: free text that may span lines but hides nothing."""
    problem = text_problem(value, multiline=True)
    if problem is None:
        return value
    raise model_problem(problem)


#: A name, id, term, target or template: a non-blank single line with no control, bidi or
#: invisible format character (see :func:`unsafe_character`). Reused by every input format.
Label = Annotated[str, StringConstraints(min_length=1), AfterValidator(check_label)]
#: Free text (descriptions, rationales, sources): may span lines (tab and newline allowed) but
#: holds no other control character and no bidirectional control.
Prose = Annotated[str, AfterValidator(check_prose)]


def unsafe_value(data: object, path: Sequence[str | int] = ()) -> tuple[Path, str] | None:
    """The first value in plain data (as YAML or JSON parse it) no input may hold, as ``(key
    path, reason)``, or ``None``.

    Refused anywhere, keys included: a string :func:`unsafe_character` refuses as prose, an
    integer outside :data:`MIN_INT` … :data:`MAX_INT`, a float that is NaN or infinite (JSON
    has neither: a decision would carry ``null`` or invalid JSON). The walk is iterative, in
    document order, and linear in the size of the data.

    >>> unsafe_value({"a": [1, float("nan")]})
    (('a', 1), 'expected a finite number, got nan')
    >>> unsafe_value({"ok": ["fine", 2**40]}) is None
    True
    """
    stack: list[tuple[Path, object]] = [(tuple(path), data)]
    while stack:
        where, node = stack.pop()
        problem = _scalar_problem(node)
        if problem is not None:
            return where, problem
        if isinstance(node, Mapping):
            children: list[tuple[Path, object]] = []
            for key, value in node.items():
                key_problem = _scalar_problem(key)
                part: str | int
                if isinstance(key, str):
                    part = key
                elif isinstance(key, int) and not isinstance(key, bool):
                    # str() refuses a huge integer: such a key is named by shown()
                    part = key if key_problem is None else shown(key)
                else:
                    part = str(key)  # YAML dates as keys read as ISO text
                if key_problem is not None:
                    return (*where, part), f"key {key_problem}"
                children.append(((*where, part), value))
            stack.extend(reversed(children))
        elif isinstance(node, list | tuple):
            stack.extend(reversed([((*where, i), v) for i, v in enumerate(node)]))
    return None


def check_data(
    data: object, path: Sequence[str | int] = (), locate: Positions | None = None
) -> None:
    """Raise a :class:`PolicyError` for the first value :func:`unsafe_value` refuses."""
    found = unsafe_value(data, path)
    if found is not None:
        where, problem = found
        raise PolicyError(problem, path=where, source=locate(where) if locate else None)


def _scalar_problem(value: object) -> str | None:
    if isinstance(value, str):
        return text_problem(value, multiline=True)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if MIN_INT <= value <= MAX_INT:  # compares sizes first: constant time for any value
            return None
        # str() refuses integers of more than 4,300 digits; ~14,000 bits stay below that
        digits = f"{len(str(abs(value)))}" if value.bit_length() < 14_000 else "over 4,000"
        return (
            f"expected a whole number from {MIN_INT} to {MAX_INT} (signed 64-bit), "
            f"got an integer of {digits} digits"
        )
    if isinstance(value, float) and not math.isfinite(value):
        return f"expected a finite number, got {shown(value)}"
    return None


class StrictModel(BaseModel):
    """Base of every configuration model: strict types (no coercion), unknown keys rejected,
    instances frozen. Lists stay lists (strict pydantic accepts only tuples for tuples, and YAML
    gives lists); the compiled values built from a model are the immutable ones."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def patterned(pattern: str, hint: str) -> StringConstraints:
    """The constraint "matches ``pattern``" for an ``Annotated[str, ...]`` model type.

    ``hint`` completes "expected …, got 'x'" when a value does not match (see
    :func:`policy_error`), so the message reads like the parser's own.

    >>> from typing import Annotated
    >>> from pydantic import TypeAdapter
    >>> TypeAdapter(Annotated[str, patterned(r"[a-z]+", "a word")]).json_schema()["pattern"]
    '^[a-z]+$'
    """
    anchored = f"^{pattern.removeprefix('^').removesuffix('$')}$"
    re.compile(anchored)
    _HINTS[anchored] = hint
    return StringConstraints(pattern=anchored)


def read_instant(text: str) -> datetime | None:
    """The aware instant ``text`` writes, kept in its offset, when it matches
    :data:`INSTANT_PATTERN` and is a real date and time; ``None`` otherwise (each format says
    why in its own words).

    >>> read_instant("2024-06-03T07:00:00z").isoformat()
    '2024-06-03T07:00:00+00:00'
    >>> read_instant("2024-06-03T09:00:00") is None, read_instant("2024-13-03T09:00Z") is None
    (True, True)
    """
    if _INSTANT_RE.match(text) is None:
        return None
    if text[-1] == "z":  # RFC 3339 allows a lower-case z; fromisoformat does not
        text = text[:-1] + "Z"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None  # e.g. month 13


def pattern_hint(pattern: str) -> str | None:
    """The hint registered with :func:`patterned` for ``pattern``, if any."""
    return _HINTS.get(pattern)


def validate_model(
    model: type[M],
    data: object,
    *,
    path: Sequence[str | int] = (),
    known_keys: Iterable[str] | None = None,
) -> M:
    """``model.model_validate(data, strict=True)``, with errors as a :class:`PolicyError`.

    ``path`` is where ``data`` stands in the document; the error's key path extends it. Raw
    data is first checked with :func:`unsafe_value` (no hidden characters, no huge or
    non-finite numbers anywhere in it).
    """
    if not isinstance(data, BaseModel):
        check_data(data, path)
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        keys = set(known_keys) if known_keys is not None else model_keys(model)
        raise policy_error(
            exc, data, known_keys=keys, prefix=tuple(path), string_lists=string_list_keys(model)
        ) from None


def _fields(model: type[BaseModel]) -> Iterator[tuple[str, object]]:
    """Every field of ``model`` and of the models it contains, once per model: its key (the
    alias when it has one) and its annotation."""
    seen: set[type[BaseModel]] = set()
    pending: list[object] = [model]
    while pending:
        annotation = pending.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in seen:
                continue
            seen.add(annotation)
            for name, info in annotation.model_fields.items():
                yield info.alias or name, info.annotation
                pending.append(info.annotation)
            continue
        pending.extend(getattr(annotation, "__args__", ()))
        origin = getattr(annotation, "__origin__", None)
        if origin is not None and origin is not annotation:
            pending.append(origin)


def model_keys(model: type[BaseModel]) -> set[str]:
    """Every key of ``model`` and of the models it contains (for "did you mean")."""
    return {key for key, _ in _fields(model)}


def string_list_keys(model: type[BaseModel]) -> frozenset[str]:
    """The keys of ``model`` and of the models it contains whose value may be a list of
    strings and never a list of anything else (for the hint "write [x]")."""

    def lists(annotation: object) -> list[object]:
        """The item types of the lists ``annotation`` allows (through unions, Annotated)."""
        origin, args = get_origin(annotation), get_args(annotation)
        if origin is list:
            return [args[0] if args else object]
        if origin is Annotated:
            return lists(args[0])
        if origin in (Union, UnionType):
            return [item for arg in args for item in lists(arg)]
        return []

    def is_str(annotation: object) -> bool:
        if get_origin(annotation) is Annotated:
            return is_str(get_args(annotation)[0])
        return annotation is str

    strings: set[str] = set()
    others: set[str] = set()
    for key, annotation in _fields(model):
        items = lists(annotation)
        if items:
            (strings if all(is_str(i) for i in items) else others).add(key)
    return frozenset(strings - others)


def policy_error(
    exc: ValidationError,
    data: object,
    *,
    known_keys: Iterable[str],
    prefix: Path = (),
    locate: Positions | None = None,
    string_lists: Iterable[str] = (),
) -> PolicyError:
    """Every problem of a pydantic ``ValidationError`` as one :class:`PolicyError` (a
    :class:`~escalate.errors.PolicyErrors` when there are several).

    The key path names real keys of ``data`` (pydantic's union member names are dropped) and
    is prefixed with ``prefix``; an unknown key gets a "did you mean" from ``known_keys`` (never
    the key itself, which may be known elsewhere in the document but not where it stands); a
    string that misses a :func:`patterned` pattern reads "expected <hint>, got <value>"; other
    problems keep pydantic's message and name the value. Of pydantic's errors for one value,
    the one that reaches deepest into the data explains it (in a union, that is the member the
    author meant); its errors at the same place, or a type mismatch above it, are the other
    members of a union failing on the same value: one problem, not several. The problems are
    in document order (by position). YAML's two common slips get a hint: a one-key mapping
    where a string is expected (``team: x`` unquoted in a list) and a string where a list of
    strings is expected (a key of ``string_lists``)."""
    known, lists = set(known_keys), frozenset(string_lists)
    ranked = []
    for error in exc.errors():
        loc: Path = tuple(p for p in error["loc"] if isinstance(p, str | int))
        clean = _clean_loc(data, loc, known)
        # "expected a list/mapping" comes from the union member the author did not mean
        mismatch = error["type"] in ("list_type", "model_type", "dict_type")
        # A missing key is named one level below its mapping; a misspelt key beside it is the
        # better explanation, so it ranks first at that depth.
        depth = len(clean) - (error["type"] == "missing")
        ranked.append((-depth, mismatch, [str(p) for p in clean], error["type"], clean, error))
    ranked.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    problems: list[tuple[int, PolicyError]] = []  # (depth rank, problem)
    while ranked:
        rank, *_, clean, first = ranked[0]
        group = [
            (c, e)
            for *_, c, e in ranked
            if c == clean or (clean[: len(c)] == c and e["type"] in _EXPECT)
        ]
        ranked = [
            r
            for r in ranked[1:]
            if not (r[4] == clean or (clean[: len(r[4])] == r[4] and r[3] in _EXPECT))
        ]
        problem = _problem(first, clean, group, prefix, locate, known)
        problems.append((rank, _hinted(problem, first, clean, lists)))
    # "missing 'name'" beside "unknown key 'nme' (did you mean 'name'?)" is the same typo
    meant = {(*e.path[:-1], e.suggestion) for _, e in problems if e.suggestion is not None}
    problems = [(r, e) for r, e in problems if not (_is_missing(e) and e.path in meant)]
    return joined([e for _, e in problems])  # in document order


def _hinted(error: PolicyError, first: Any, clean: Path, lists: frozenset[str]) -> PolicyError:
    """``error`` with a hint for YAML's two common slips: ``[team: x]`` (a mapping where a
    ``kind:name`` string is expected) and ``to: role:x`` (a string where a list is)."""
    value, message = first.get("input"), error.message
    hint = ""
    if message.startswith("expected a string") and isinstance(value, Mapping) and len(value) == 1:
        ((key, item),) = value.items()
        if isinstance(key, str) and isinstance(item, str | int) and not isinstance(item, bool):
            hint = f"write \"{key}:{item}\" in quotes: YAML reads '{key}: x' as a mapping"
    elif isinstance(value, str) and first["type"] == "list_type" and clean and clean[-1] in lists:
        hint = f"write [{value}]"
    if not hint:
        return error
    return PolicyError(
        f"{message} ({hint})", path=error.path, source=error.source, suggestion=error.suggestion
    )


def _is_missing(error: PolicyError) -> bool:
    return error.message.startswith("missing required key")


def _problem(
    first: Any,
    clean: Path,
    group: list[tuple[Path, Any]],
    prefix: Path,
    locate: Positions | None,
    known: set[str],
) -> PolicyError:
    """One problem: pydantic's error ``first`` at ``clean``, with the errors of the other
    union members on the same value (``group``)."""
    full = (*prefix, *clean)
    source = locate(full) if locate is not None else None
    if first["type"] == "extra_forbidden":
        key = str(clean[-1]) if clean else "?"
        return PolicyError(
            f"unknown key {key!r}",
            path=full,
            source=source,
            suggestion=suggest(key, known - {key}),  # never the key it rejects
        )
    if first["type"] == "missing":
        key = str(first["loc"][-1])
        return PolicyError(
            f"missing required key {key!r}",
            path=full if clean and clean[-1] == key else (*full, key),
            source=source,
        )
    value = first.get("input")
    expected = list(
        dict.fromkeys(_expectation(e) for c, e in group if c == clean and e["type"] in _EXPECT)
    )
    if len(expected) > 1:
        return PolicyError(
            f"expected {' or '.join(expected)}, got {shown(value)}", path=full, source=source
        )
    kind = first["type"]
    if kind == "literal_error":
        words = re.findall(r"'([^']*)'", str(first.get("ctx", {}).get("expected", "")))
        return PolicyError(
            f"expected {_expectation(first)}, got {shown(value)}",
            path=full,
            source=source,
            suggestion=suggest(value, words) if isinstance(value, str) else None,
        )
    if kind in _EXPECT:
        return PolicyError(
            f"expected {_expectation(first)}, got {shown(value)}", path=full, source=source
        )
    if kind == _TEXT_ERROR:  # the message names the problem, its position and the value
        return PolicyError(f"{first['msg']}", path=full, source=source)
    if kind in ("too_short", "string_too_short"):
        least = first.get("ctx", {}).get("min_length", 1)
        what = (
            "string"
            if kind == "string_too_short"
            else "mapping"
            if isinstance(value, dict)
            else "list"
        )
        wanted = f"a non-empty {what}" if least == 1 else f"at least {least} items"
        return PolicyError(f"expected {wanted}, got {shown(value)}", path=full, source=source)
    hint = None
    if first["type"] == "string_pattern_mismatch":
        hint = pattern_hint(str(first.get("ctx", {}).get("pattern", "")))
    message = (
        f"expected {hint}, got {shown(value)}" if hint else f"{first['msg']} (got {shown(value)})"
    )
    return PolicyError(message, path=full, source=source)


def _expectation(error: Any) -> str:
    """What a type-mismatch error expected, in words."""
    if error["type"] == "literal_error":
        return str(error.get("ctx", {}).get("expected", "?"))
    return _EXPECT[error["type"]]


def _clean_loc(data: object, loc: Path, known: set[str]) -> Path:
    """The part of a pydantic error location that names real keys of the data.

    pydantic puts union member names (``ActionSpec``, ``list[ActionSpec]``) into locations;
    they are skipped. A missing required key is kept when it is a key of the format.

    >>> _clean_loc({"a": [{"b": 1}]}, ("a", "list[X]", 0, "X", "b"), set())
    ('a', 0, 'b')
    """
    out: list[str | int] = []
    node: Any = data
    for part in loc:
        if isinstance(node, Mapping) and part in node:  # noqa: SIM114 - mypy needs the split
            node = node[part]
            out.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            out.append(part)
        elif isinstance(node, Mapping) and isinstance(part, str) and _date_key(node, part):
            node = node[_date_key(node, part)]
            out.append(part)
        elif isinstance(part, str) and part in known and isinstance(node, Mapping):
            out.append(part)  # a missing required key, or an unknown one
            break
    return tuple(out)


def _date_key(node: Mapping[Any, Any], part: str) -> object:
    """The key of ``node`` that pydantic printed as ``part`` (a YAML date key), if any."""
    for key in node:
        if not isinstance(key, str) and str(key) == part:
            return key
    return None
