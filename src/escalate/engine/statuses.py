"""Statuses by terminology: a policy's canonical statuses, their categories and aliases.

A ticket carries its statuses as the ticketing system wrote them (normalised names such as
``awaiting-user-info`` or ``waiting-for-customer``); the ticket does not know any policy. A
:class:`StatusTable` maps each spelling to the policy's canonical status and that status to its
category (:data:`CATEGORIES`), with one dict lookup. The built-in table (:data:`BUILT_IN`) is
what a policy without ``statuses:`` declares.

A category name that is not itself a declared status or alias names the first declared status
of that category: this is how the ``resolved``, ``closed`` and ``reopened`` event types and the
initial ``new`` status land on a policy's own terms (Jira's ``Done`` for ``resolved``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from escalate._frozen import FrozenMap
from escalate.engine.history import STATUSES
from escalate.engine.ticket import normalise_name
from escalate.errors import TicketError, suggest

__all__ = ["BUILT_IN", "CATEGORIES", "ENDED", "StatusTable"]

#: The categories every status belongs to, in the order a ticket usually passes them.
CATEGORIES = ("new", "in-progress", "on-hold", "resolved", "closed", "cancelled")
#: Categories in which a ticket has ended: no path timers, no clock-ladder actions.
ENDED = frozenset({"resolved", "closed", "cancelled"})

Path = tuple[str | int, ...]


class StatusTable:
    """A policy's statuses: canonical names in declaration order, their categories, and every
    spelling (canonical names, aliases, category names) normalised to the canonical name.
    Immutable: ``names`` is a tuple, ``category`` a read-only mapping.

    >>> table = StatusTable([("open", "new", ()), ("done", "resolved", ("Fixed",))])
    >>> table.canonical("FIXED", ("status",)), table.canonical("resolved", ("status",))
    ('done', 'done')
    >>> table.category["done"]
    'resolved'
    """

    __slots__ = ("_declared", "_lookup", "_resolved", "category", "ended", "initial", "names")

    names: tuple[str, ...]
    category: Mapping[str, str]
    ended: frozenset[str]  # the statuses of the ended categories (resolved, closed, cancelled)
    initial: tuple[str, str] | None  # what ``new`` resolves to: status and category
    _declared: dict[str, str]  # names and aliases, normalised -> canonical
    _lookup: dict[str, str]  # the same, and category names
    _resolved: dict[str, tuple[str, str]]  # the same -> (canonical, category)

    def __init__(self, statuses: Iterable[tuple[str, str, Iterable[str]]]) -> None:
        names: list[str] = []
        category: dict[str, str] = {}
        lookup: dict[str, str] = {}
        for name, kind, aliases in statuses:
            names.append(name)
            category[name] = kind
            for spelling in (name, *aliases):
                lookup.setdefault(normalise_name(spelling), name)
        declared = dict(lookup)
        for kind in CATEGORIES:
            first = next((name for name in names if category[name] == kind), None)
            if first is not None:
                lookup.setdefault(kind, first)
        object.__setattr__(self, "names", tuple(names))
        object.__setattr__(self, "category", FrozenMap(category, what="status"))
        object.__setattr__(
            self, "ended", frozenset(name for name in names if category[name] in ENDED)
        )
        object.__setattr__(self, "_declared", declared)
        object.__setattr__(self, "_lookup", lookup)
        object.__setattr__(
            self, "_resolved", {key: (name, category[name]) for key, name in lookup.items()}
        )
        object.__setattr__(self, "initial", self._resolved.get("new"))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"StatusTable is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"StatusTable is immutable: cannot delete {name!r}")

    def __repr__(self) -> str:
        return f"StatusTable({', '.join(f'{n}: {c}' for n, c in self.category.items())})"

    def declared(self, spelling: str) -> str | None:
        """The canonical status a declared name or alias spells (category names aside), or
        ``None``: what a policy's own triggers and pauses may name.

        >>> StatusTable([("done", "resolved", ())]).declared("resolved") is None
        True
        """
        return self._declared.get(normalise_name(spelling))

    def canonical(self, raw: str, path: Path) -> str:
        """The canonical status ``raw`` spells; a :class:`TicketError` at ``path`` naming the
        known statuses (and the closest one) when the policy does not know it."""
        found = self._lookup.get(raw)
        if found is None:
            found = self._lookup.get(normalise_name(raw))
            if found is None:
                hint = suggest(normalise_name(raw), self.names)
                tail = f" (did you mean {hint!r}?)" if hint else ""
                raise TicketError(
                    f"unknown status; the policy's statuses are {', '.join(self.names)}{tail}",
                    path=path,
                    value=raw,
                )
        return found

    def resolve(self, raw: str, path: Path) -> tuple[str, str]:
        """The canonical status ``raw`` spells and its category (one dict lookup when ``raw``
        is already normalised); a :class:`TicketError` at ``path`` like :meth:`canonical`.

        >>> BUILT_IN.resolve("Awaiting Vendor", ("status",))
        ('awaiting-vendor', 'on-hold')
        """
        found = self._resolved.get(raw)
        if found is None:
            name = self.canonical(raw, path)
            found = (name, self.category[name])
        return found

    def in_categories(self, kinds: Iterable[str]) -> frozenset[str]:
        """The canonical statuses of these categories."""
        wanted = frozenset(kinds)
        return frozenset(name for name in self.names if self.category[name] in wanted)


def _built_in_category(name: str) -> str:
    if name in CATEGORIES:
        return name
    return "on-hold" if name.startswith("awaiting-") else "in-progress"  # assigned


#: The statuses a policy without ``statuses:`` knows (every name of
#: :data:`escalate.engine.history.STATUSES`), ``assigned`` in-progress, ``awaiting-*`` on-hold.
BUILT_IN = StatusTable((name, _built_in_category(name), ()) for name in STATUSES)
