"""What every configuration model shares: a strict base, patterns, and errors as PolicyError.

The strict base class, pattern-typed strings with readable "expected …" messages, and the
conversion of a pydantic ``ValidationError`` into a :class:`~escalate.errors.PolicyError`.

This module sits below every stage (it imports only pydantic and :mod:`escalate.errors`), so
calendars, people and the policy format validate and report errors the same way. Nothing here
runs on the evaluate path: models are checked once, when a configuration is compiled.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from escalate.errors import PolicyError, suggest

__all__ = [
    "INSTANT_PATTERN",
    "Positions",
    "StrictModel",
    "model_keys",
    "pattern_hint",
    "patterned",
    "policy_error",
    "read_instant",
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

    ``path`` is where ``data`` stands in the document; the error's key path extends it.
    """
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        keys = set(known_keys) if known_keys is not None else model_keys(model)
        raise policy_error(exc, data, known_keys=keys, prefix=tuple(path)) from None


def model_keys(model: type[BaseModel]) -> set[str]:
    """Every key of ``model`` and of the models it contains (for "did you mean")."""
    seen: set[type[BaseModel]] = set()
    keys: set[str] = set()

    def visit(annotation: object) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in seen:
                return
            seen.add(annotation)
            for name, info in annotation.model_fields.items():
                keys.add(info.alias or name)
                visit(info.annotation)
            return
        for arg in getattr(annotation, "__args__", ()):
            visit(arg)
        origin = getattr(annotation, "__origin__", None)
        if origin is not None and origin is not annotation:
            visit(origin)

    visit(model)
    return keys


def policy_error(
    exc: ValidationError,
    data: object,
    *,
    known_keys: Iterable[str],
    prefix: Path = (),
    locate: Positions | None = None,
) -> PolicyError:
    """The most telling problem of a pydantic ``ValidationError`` as a :class:`PolicyError`.

    The key path names real keys of ``data`` (pydantic's union member names are dropped) and
    is prefixed with ``prefix``; an unknown key gets a "did you mean" from ``known_keys``; a
    string that misses a :func:`patterned` pattern reads "expected <hint>, got <value>"; other
    problems keep pydantic's message and name the value. When several problems are found, the
    one that reaches deepest into the data is reported (in a union, that is the member the
    author meant) and the count of the others is added.
    """
    known = set(known_keys)
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
    *_, clean, first = ranked[0]
    # Errors at the same place, or a type mismatch above it, are the other members of a
    # union failing on the same value: one problem, not several.
    others = [
        e
        for *_, c, e in ranked[1:]
        if not (c == clean or (clean[: len(c)] == c and e["type"] in _EXPECT))
    ]
    more = f" (and {len(others)} more problems)" if others else ""
    full = (*prefix, *clean)
    source = locate(full) if locate is not None else None
    if first["type"] == "extra_forbidden":
        key = str(clean[-1]) if clean else "?"
        return PolicyError(
            f"unknown key {key!r}{more}",
            path=full,
            source=source,
            suggestion=suggest(key, known),
        )
    if first["type"] == "missing":
        key = str(first["loc"][-1])
        return PolicyError(
            f"missing required key {key!r}{more}",
            path=full if clean and clean[-1] == key else (*full, key),
            source=source,
        )
    value = first.get("input")
    expected = list(
        dict.fromkeys(_expectation(e) for *_, c, e in ranked if c == clean and e["type"] in _EXPECT)
    )
    if len(expected) > 1:
        return PolicyError(
            f"expected {' or '.join(expected)}, got {value!r}{more}", path=full, source=source
        )
    kind = first["type"]
    if kind == "literal_error":
        words = re.findall(r"'([^']*)'", str(first.get("ctx", {}).get("expected", "")))
        return PolicyError(
            f"expected {_expectation(first)}, got {value!r}{more}",
            path=full,
            source=source,
            suggestion=suggest(value, words) if isinstance(value, str) else None,
        )
    if kind in _EXPECT:
        return PolicyError(
            f"expected {_expectation(first)}, got {value!r}{more}", path=full, source=source
        )
    if kind in ("too_short", "string_too_short"):
        least = first.get("ctx", {}).get("min_length", 1)
        what = "string" if kind == "string_too_short" else "list"
        wanted = f"a non-empty {what}" if least == 1 else f"at least {least} items"
        return PolicyError(f"expected {wanted}, got {value!r}{more}", path=full, source=source)
    hint = None
    if first["type"] == "string_pattern_mismatch":
        hint = pattern_hint(str(first.get("ctx", {}).get("pattern", "")))
    message = f"expected {hint}, got {value!r}" if hint else f"{first['msg']} (got {value!r})"
    return PolicyError(message + more, path=full, source=source)


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
