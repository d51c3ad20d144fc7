"""Canonical JSON: the one byte form of a value that audit records are hashed over.

Keys sorted by code point, no whitespace between tokens, UTF-8 with every character written
as itself (only what JSON must escape is escaped: ``"``, ``\\`` and control characters).
Instants are written as :func:`escalate.engine.decision.iso` writes them in decisions (UTC,
``+00:00``, microseconds only when present); tuples are arrays, read-only mappings objects,
``Decimal`` its string. What two implementations could write differently is refused, with an
:class:`~escalate.errors.ArgumentError` naming the key path: floats (``NaN`` above all),
integers beyond +-(2**53 - 1) (I-JSON, RFC 7493: JavaScript cannot hold them), strings with a
lone surrogate, non-string keys, naive datetimes and any other type.

The same bytes as ``json.dumps(value, sort_keys=True, separators=(",", ":"),
ensure_ascii=False).encode()`` for values that hold only strings, integers, booleans, null,
lists and dicts: what a verifier in another language needs (docs/audit.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import cast

from escalate.engine.decision import iso
from escalate.errors import ArgumentError

__all__ = [
    "MAX_DEPTH",
    "MAX_SAFE_INTEGER",
    "canonical_bytes",
    "canonical_text",
    "encode_plain",
    "is_plain",
    "plain",
]

MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer (in magnitude) a record holds: JavaScript's ``Number.MAX_SAFE_INTEGER``."""

MAX_DEPTH = 64
"""How deep arrays and objects may nest in a record (the record object itself is level 1):
deeper is refused before anything recursive reads it (a ticket nests about 6 levels)."""

_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_text(value: object) -> str:
    """``value`` as canonical JSON text.

    >>> canonical_text({"b": [1, True, None], "a": "é"})
    '{"a":"é","b":[1,true,null]}'
    >>> canonical_text({"x": {"y": [0.5]}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    escalate.errors.ArgumentError: x.y[0]: 0.5 is a float; audit records hold no floats ...
    """
    return canonical_bytes(value).decode("utf-8")


def canonical_bytes(value: object) -> bytes:
    """``value`` as canonical JSON, UTF-8 encoded: the bytes a record's hash is taken over."""
    if is_plain(value):
        try:
            return _ENCODER.encode(value).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: the checked path below names where
    return _ENCODER.encode(_checked(value)).encode("utf-8")


def encode_plain(value: object) -> str:
    """``value``, already plain (:func:`is_plain`), as canonical JSON text; the caller encodes
    it to UTF-8 (which refuses a lone surrogate)."""
    return _ENCODER.encode(value)


def is_plain(value: object) -> bool:
    """Whether ``value`` is plain JSON data as canonical JSON holds it, checked without
    copying: dicts with string keys, lists, strings, booleans, ``None`` and safe integers
    (exact types; strings are checked for lone surrogates when encoded), nested at most
    :data:`MAX_DEPTH` deep."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -MAX_SAFE_INTEGER <= cast(int, item) <= MAX_SAFE_INTEGER:
                continue
            return False
        if depth >= MAX_DEPTH:
            return False
        if kind is dict:
            mapping = cast("dict[object, object]", item)
            for key in mapping:
                if type(key) is not str:
                    return False
            stack.extend((inner, depth + 1) for inner in mapping.values())
            continue
        if kind is list:
            stack.extend((inner, depth + 1) for inner in cast("list[object]", item))
            continue
        return False
    return True


def too_deep(value: object) -> bool:
    """Whether lists, tuples and mappings nest deeper than :data:`MAX_DEPTH` in ``value``
    (checked without recursion, so any depth is answered)."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            inner: object = cast("Mapping[object, object]", item).values()
        elif isinstance(item, list | tuple):
            inner = item
        else:
            continue
        if depth >= MAX_DEPTH:
            return True
        stack.extend((x, depth + 1) for x in cast("list[object]", inner))
    return False


def plain(value: object) -> object:
    """``value`` as plain JSON data (dicts, lists, str, int, bool, None), checked; errors name
    the key path (``body.ticket.events[2].at``). Plain data is returned as it is."""
    if is_plain(value):
        return value
    return _checked(value)


def _checked(value: object) -> object:
    if too_deep(value):
        raise ArgumentError(
            f"(the value): arrays and objects nest deeper than {MAX_DEPTH} levels; audit "
            "records hold no deeper nesting"
        )
    return _plain(value, ())


def _plain(value: object, path: tuple[str | int, ...]) -> object:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        _check_text(value, path)
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ArgumentError(
                f"{_where(path)}: the integer {value} is beyond +-(2**53 - 1); audit records "
                "hold only integers every JSON reader keeps exactly"
            )
        return int(value)
    if isinstance(value, float):
        raise ArgumentError(
            f"{_where(path)}: {value!r} is a float; audit records hold no floats "
            "(write amounts as strings, e.g. '250.00')"
        )
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ArgumentError(f"{_where(path)}: the datetime {value} is naive; give a UTC offset")
        return iso(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ArgumentError(f"{_where(path)}: {value} is not a finite amount")
        return str(value)
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ArgumentError(
                    f"{_where(path)}: the key {key!r} is a {type(key).__name__}; JSON keys are "
                    "strings"
                )
            _check_text(key, (*path, key))
            out[key] = _plain(item, (*path, key))
        return out
    if isinstance(value, list | tuple):
        return [_plain(item, (*path, i)) for i, item in enumerate(value)]
    raise ArgumentError(
        f"{_where(path)}: a {type(value).__name__} has no canonical JSON form (give str, int, "
        "bool, None, an aware datetime, Decimal, a list or a mapping)"
    )


def _check_text(text: str, path: tuple[str | int, ...]) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ArgumentError(
            f"{_where(path)}: the string holds a lone surrogate, which UTF-8 cannot encode"
        ) from None


def _where(path: tuple[str | int, ...]) -> str:
    if not path:
        return "(the value)"
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
