"""Strict JSON reading for every JSON input: UTF-8, no duplicate keys, bounded numbers and depth.

Python's ``json`` module accepts what JSON exchanged between systems does not hold (RFC 8259):
a byte-order mark, ``NaN`` and ``Infinity``, the same key twice in one object (the last one
silently wins), integers of any length. A ticket, an availability file or a case file's ticket
is read here instead, and each of those is an :class:`~escalate.errors.EscalateError` that
names where it stands (``file:line:col``).
"""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

from escalate.errors import EscalateError

__all__ = ["MAX_JSON_DEPTH", "MAX_JSON_INT_DIGITS", "json_text", "parse_json"]

MAX_JSON_DEPTH = 100
"""Deepest nesting of JSON arrays and objects accepted (as for policies)."""
MAX_JSON_INT_DIGITS = 4300
"""Longest JSON integer accepted, in digits (Python's default limit for decimal strings)."""

_BYTE_ORDER_MARKS = (
    (b"\xef\xbb\xbf", "UTF-8"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


class _BadJson(Exception):
    """Raised by the reader's hooks: valid syntax Python would read, but not as meant."""


def json_text(raw: bytes, where: str, what: str) -> str:
    """``raw`` as text: UTF-8 without a byte-order mark or NUL characters, as JSON is
    exchanged; ``where`` (a file name) and ``what`` (``ticket``) name it in errors."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if raw.startswith(mark):
            raise EscalateError(
                f"{where}: the {what} starts with a {encoding} byte-order mark; "
                "save it as UTF-8 without one"
            )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = raw[: exc.start].decode("utf-8")
        line, col = good.count("\n") + 1, len(good) - good.rfind("\n")
        raise EscalateError(
            f"{where}:{line}:{col}: the {what} is not UTF-8: cannot decode byte(s) "
            f"{raw[exc.start : exc.end].hex(' ')} ({exc.reason}); save it as UTF-8"
        ) from None
    if "\x00" in text:
        raise EscalateError(
            f"{where}: the {what} holds NUL characters (is it UTF-16?); save it as UTF-8"
        )
    return text


def parse_json(text: str, where: str, *, line: int | None = None) -> Any:
    """The JSON value of ``text``, read strictly; errors name ``where:line:col``.

    ``line`` is given when ``text`` is one line of a longer file (JSON Lines): positions are
    then counted from it.

    >>> parse_json('{"a": 1}', "t.json")
    {'a': 1}
    >>> parse_json('{"a": 1, "a": 2}', "t.json")
    Traceback (most recent call last):
    escalate.errors.EscalateError: t.json: invalid JSON: key 'a' appears twice in one object
    >>> parse_json('[NaN]', "t.jsonl", line=3)
    Traceback (most recent call last):
    escalate.errors.EscalateError: t.jsonl:3: invalid JSON: NaN is not a JSON number
    """
    at = where if line is None else f"{where}:{line}"
    too_deep = f"{at}: invalid JSON: arrays and objects nest more than {MAX_JSON_DEPTH} levels"
    try:
        data = json.loads(
            text,
            object_pairs_hook=_object,
            parse_constant=_constant,
            parse_int=_integer,
            parse_float=_float,
        )
    except json.JSONDecodeError as exc:
        lineno = exc.lineno if line is None else line + exc.lineno - 1
        raise EscalateError(f"{where}:{lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except _BadJson as exc:
        raise EscalateError(f"{at}: invalid JSON: {exc}") from None
    except RecursionError:
        raise EscalateError(too_deep) from None
    if _too_deep(data):
        raise EscalateError(too_deep)
    return data


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _BadJson(f"key {key!r} appears twice in one object")
        data[key] = value
    return data


def _constant(name: str) -> NoReturn:
    raise _BadJson(f"{name} is not a JSON number")


def _integer(digits: str) -> int:
    count = len(digits.lstrip("-"))
    if count <= MAX_JSON_INT_DIGITS:
        try:
            return int(digits)
        except ValueError:  # a lower limit set with PYTHONINTMAXSTRDIGITS
            pass
    raise _BadJson(f"an integer of {count} digits; the limit is {MAX_JSON_INT_DIGITS}")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadJson(f"the number {text[:40]} is too large")
    return value


def _too_deep(data: object) -> bool:
    """Whether arrays and objects nest more than :data:`MAX_JSON_DEPTH` levels (no recursion)."""
    if not isinstance(data, dict | list):
        return False
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return True
        items = value.values() if isinstance(value, dict) else value
        stack.extend((item, depth + 1) for item in items if isinstance(item, dict | list))
    return False
