"""A tiny immutable, hashable mapping, and deep freezing for JSON-like values.

Values escalate returns must not change under a caller's feet and, when they are values, must
be usable as dictionary keys. ``types.MappingProxyType`` is read-only but neither hashable nor
able to say which keys exist when a lookup fails; :class:`FrozenMap` is both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

__all__ = ["FrozenMap", "freeze", "freeze_map", "thaw"]

K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V]):
    """A read-only mapping that keeps insertion order and is hashable when its values are.

    Equal to any mapping with the same items (like ``dict``); the hash ignores order, so two
    equal maps hash alike. A failed lookup names the missing key and the known ones.

    >>> m = FrozenMap({"b": 1, "a": 2}, what="clock")
    >>> list(m), m["a"], hash(m) == hash(FrozenMap({"a": 2, "b": 1}))
    (['b', 'a'], 2, True)
    >>> m["x"]
    Traceback (most recent call last):
    ...
    KeyError: "unknown clock 'x' (known: b, a)"
    """

    __slots__ = ("_data", "_hash", "_what")

    _data: dict[K, V]
    _hash: int | None
    _what: str

    def __init__(
        self, data: Mapping[K, V] | Iterable[tuple[K, V]] = (), *, what: str = "key"
    ) -> None:
        set_ = object.__setattr__
        set_(self, "_data", dict(data))
        set_(self, "_hash", None)
        set_(self, "_what", what)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot delete {name!r}")

    def __getitem__(self, key: K) -> V:
        try:
            return self._data[key]
        except KeyError:
            known = ", ".join(str(k) for k in self._data) or "none"
            raise KeyError(f"unknown {self._what} {key!r} (known: {known})") from None

    def get(self, key: K, default: Any = None) -> Any:
        """The value for ``key``, or ``default`` when there is none."""
        return self._data.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        cached = self._hash
        if cached is None:
            cached = hash(frozenset(self._data.items()))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self._data, self._what))


def _rebuild(data: dict[Any, Any], what: str) -> FrozenMap[Any, Any]:
    return FrozenMap(data, what=what)


# Types that are immutable as they stand (checked by exact type first: the hot path).
_ATOMS = frozenset({str, int, float, bool, type(None), FrozenMap, frozenset})


def freeze(value: Any) -> Any:
    """``value`` with every list, tuple and set made a tuple or frozenset, and every mapping a
    :class:`FrozenMap`, all the way down. Scalars and already frozen values come back as is.

    >>> freeze({"to": ["a", "b"], "n": 1})
    FrozenMap({'to': ('a', 'b'), 'n': 1})
    """
    if type(value) in _ATOMS:
        return value
    if isinstance(value, tuple) and all(type(item) in _ATOMS for item in value):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    if isinstance(value, Mapping):
        return freeze_map(value)
    if isinstance(value, set):
        return frozenset(value)
    return value


def freeze_map(value: Mapping[str, Any]) -> FrozenMap[str, Any]:
    """A mapping frozen by :func:`freeze`; a :class:`FrozenMap` comes back as is (no copy)."""
    if isinstance(value, FrozenMap):
        return value
    atoms = _ATOMS
    return FrozenMap(
        {key: item if type(item) in atoms else freeze(item) for key, item in value.items()}
    )


def thaw(value: Any) -> Any:
    """The plain JSON-ready form of a frozen value: mappings become ``dict``, tuples ``list``.

    >>> thaw(freeze({"to": ["a"], "meta": {"x": (1, 2)}}))
    {'to': ['a'], 'meta': {'x': [1, 2]}}
    """
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(item) for item in value]
    return value
