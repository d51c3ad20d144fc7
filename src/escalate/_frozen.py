"""A tiny immutable, hashable mapping, and deep freezing for JSON-like values.

Values escalate returns must not change under a caller's feet and, when they are values, must
be usable as dictionary keys. ``types.MappingProxyType`` is read-only but neither hashable nor
able to say which keys exist when a lookup fails; :class:`FrozenMap` is both.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import Any, TypeVar

__all__ = ["FrozenMap", "freeze", "freeze_map", "thaw"]

K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V]):
    """A read-only mapping that keeps insertion order and is hashable when its values are.

    Equal to any mapping with the same items (like ``dict``); the hash ignores order, so two
    equal maps hash alike. A failed lookup names the missing key and the known ones. Built
    with ``deep=True``, its values are frozen (see :func:`freeze`) the first time any of them
    is read, so a map nobody reads costs one shallow copy.

    >>> m = FrozenMap({"b": 1, "a": 2}, what="clock")
    >>> list(m), m["a"], hash(m) == hash(FrozenMap({"a": 2, "b": 1}))
    (['b', 'a'], 2, True)
    >>> m["x"]
    Traceback (most recent call last):
    ...
    KeyError: "unknown clock 'x' (known: b, a)"
    """

    __slots__ = ("_data", "_hash", "_pending", "_what")

    _data: dict[K, V]
    _hash: int | None
    _pending: bool
    _what: str

    def __init__(
        self,
        data: Mapping[K, V] | Iterable[tuple[K, V]] = (),
        *,
        what: str = "key",
        deep: bool = False,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "_data", dict(data))
        set_(self, "_hash", None)
        set_(self, "_pending", deep)
        set_(self, "_what", what)

    def _settled(self) -> dict[K, V]:
        """The items, with the values frozen if that was left for later."""
        if self._pending:
            atoms = _ATOMS
            data = {k: v if type(v) in atoms else freeze(v) for k, v in self._data.items()}
            object.__setattr__(self, "_data", data)
            object.__setattr__(self, "_pending", False)
        return self._data

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot delete {name!r}")

    def __getitem__(self, key: K) -> V:
        data = self._settled()
        try:
            return data[key]
        except KeyError:
            known = ", ".join(str(k) for k in data) or "none"
            raise KeyError(f"unknown {self._what} {key!r} (known: {known})") from None

    def get(self, key: K, default: Any = None) -> Any:
        """The value for ``key``, or ``default`` when there is none."""
        if self._pending:  # looked up on the evaluate hot path (clock targets): stay lean
            self._settled()
        return self._data.get(key, default)

    def keys(self) -> KeysView[K]:
        """A read-only view of the keys, in insertion order."""
        return self._data.keys()

    def values(self) -> ValuesView[V]:
        """A read-only view of the values, in insertion order."""
        return self._settled().values()

    def items(self) -> ItemsView[K, V]:
        """A read-only view of the ``(key, value)`` pairs, in insertion order."""
        return self._settled().items()

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._settled() == other._settled()
        if isinstance(other, Mapping):
            return self._settled() == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        cached = self._hash
        if cached is None:
            cached = hash(frozenset(self._settled().items()))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __repr__(self) -> str:
        return f"FrozenMap({self._settled()!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self._settled(), self._what))


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
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is list or kind is tuple:
        for item in value:  # a plain loop, not all(genexpr): cheaper for short lists
            if type(item) not in _ATOMS:
                return tuple(freeze(item) for item in value)
        return value if kind is tuple else tuple(value)
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    if isinstance(value, Mapping):
        return freeze_map(value)
    if isinstance(value, (set, frozenset)):
        return frozenset(value)
    return value


def freeze_map(value: Mapping[Any, Any]) -> FrozenMap[Any, Any]:
    """``value`` as a :class:`FrozenMap` whose values are frozen on first read; a
    :class:`FrozenMap` comes back as is. Costs one shallow copy up front."""
    if isinstance(value, FrozenMap):
        return value
    return FrozenMap(value, deep=True)


def thaw(value: Any) -> Any:
    """The plain JSON-ready form of a frozen value: mappings become ``dict``, tuples ``list``.

    >>> thaw(freeze({"to": ["a"], "meta": {"x": (1, 2)}}))
    {'to': ['a'], 'meta': {'x': [1, 2]}}
    """
    if isinstance(value, FrozenMap):
        # The stored items, frozen or not yet: both thaw to the same plain data.
        return {key: thaw(item) for key, item in value._data.items()}
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(item) for item in value]
    return value
