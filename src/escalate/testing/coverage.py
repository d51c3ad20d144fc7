"""Coverage: which rules, rungs, levels and fallbacks of a policy its cases exercised.

The items of a policy, each with the id a report shows:

* ``rule:<id>``: the rule **matched** (status ``matched`` or ``done``) in some decision;
* ``rung:<clock>@<rung>``: the clock's rung (``75%``, ``2bd``, ``breach-15m``, as action
  sources name it) was **reached**: in some decision the clock applies and the elapsed time
  of its current cycle is at least the rung's amount for the ticket's target (the instant
  from which its path requests and actions are due);
* ``level:<path>/<level>``: some decision has the path **active at** that level (passing
  through a level on the way to a later one does not count: no case saw the path there);
* ``fallback:<path>/<level>/unacknowledged``: for a level with ``ack_within`` (and a
  directory), some decision carries the level's unacknowledged page (an action whose id ends
  in ``:unacknowledged``, from ``path:<path>``, for that level);
* ``fallback:<path>/<level>/on_empty``: for a level with ``on_empty: fallback`` (and a
  directory), some decision's page of that level went to the ``fallback`` targets because
  nobody the level names was available.

A policy with segments is counted once: items are named by id across the policy as written
and its segments, so a rule every segment keeps is one item, matched in whichever segment a
case ran. An item only some segment has (a rule a segment adds, a level of a path it
redefines) is named ``segment:<segment>/<item>`` and counts only decisions of that segment.

Pure: it reads decisions and the compiled policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from escalate.engine.compiled import Policy
from escalate.engine.decision import Decision
from escalate.testing.expectations import MATCHING

__all__ = ["KINDS", "Coverage", "CoverageReport", "items_of"]

#: The kinds of item, in the order reports list them.
KINDS = ("rule", "rung", "level", "fallback")


def _rung_name(clock: str, text: str) -> str:
    return f"rung:{clock}@{text}"


def _variant_items(policy: Any) -> list[str]:
    """The items of one compiled variant (the policy as written, or one segment's)."""
    items = [f"rule:{r.id}" for r in policy.rules]
    for clock in policy.clocks:
        items += [_rung_name(clock.name, rung.text) for rung in clock.ladder]
    directory = not policy.directory.empty
    for path in policy.paths:
        for level in path.levels:
            items.append(f"level:{path.name}/{level.name}")
            if directory and level.ack_within is not None:
                items.append(f"fallback:{path.name}/{level.name}/unacknowledged")
            if directory and level.on_empty == "fallback":
                items.append(f"fallback:{path.name}/{level.name}/on_empty")
    return list(dict.fromkeys(items))


def items_of(policy: Policy) -> tuple[str, ...]:
    """Every coverage item of ``policy``, by kind then in declaration order; items only a
    segment has are prefixed ``segment:<id>/``."""
    base = _variant_items(policy)
    known = set(base)
    items = list(base)
    for segment in policy.segments:
        items += [
            f"segment:{segment.id}/{i}" for i in _variant_items(segment.policy) if i not in known
        ]
    return tuple(sorted(items, key=lambda i: KINDS.index(_kind(i))))


def _kind(item: str) -> str:
    """The kind of an item: ``rule`` for ``rule:x`` and ``segment:s/rule:x``.

    >>> _kind("segment:uk/level:service-desk/L2")
    'level'
    """
    if item.startswith("segment:"):
        item = item.partition("/")[2]
    return item.partition(":")[0]


def exercised(decision: Decision) -> set[str]:
    """The items (unprefixed) one decision exercises."""
    found = {f"rule:{r.rule.id}" for r in decision.rule_results if r.status in MATCHING}
    for state in decision.clocks.values():
        if not state.applies or state.started_at is None:
            continue
        for rung in state.definition.ladder:
            if state.amount_us(rung) <= state.elapsed_us:
                found.add(_rung_name(state.name, rung.text))
    for path in decision.paths.values():
        if path.active and path.level_name is not None:
            found.add(f"level:{path.name}/{path.level_name}")
    for action in decision.actions:
        if not action.source.startswith("path:"):
            continue
        path_name, level = action.source.removeprefix("path:"), action.details.get("level")
        if action.id.endswith(":unacknowledged"):
            found.add(f"fallback:{path_name}/{level}/unacknowledged")
        elif any(
            n.startswith(f"nobody available at {level}; on_empty: fallback") for n in action.notes
        ):
            found.add(f"fallback:{path_name}/{level}/on_empty")
    return found


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """The coverage of one policy: ``items`` every item, ``covered`` those exercised, both in
    report order; ``source`` the policy's file or folder."""

    policy_id: str
    source: str
    items: tuple[str, ...]
    covered: frozenset[str]

    @property
    def missed(self) -> tuple[str, ...]:
        """The items no case exercised, in report order."""
        return tuple(i for i in self.items if i not in self.covered)

    @property
    def percent(self) -> Decimal:
        """Covered items as a percentage of all, rounded down to one decimal (100 with no
        items): 99.96 % is written 99.9, never 100.0."""
        if not self.items:
            return Decimal(100)
        share = Decimal(len(self.covered) * 1000 // len(self.items)) / 10
        return share.quantize(Decimal("0.1"), rounding=ROUND_FLOOR)

    def reaches(self, bar: Decimal) -> bool:
        """Whether the exact share of covered items is at least ``bar`` percent."""
        return len(self.covered) * 100 >= bar * len(self.items)

    def by_kind(self) -> dict[str, tuple[int, int]]:
        """``kind -> (covered, total)`` for every kind of item."""
        out: dict[str, tuple[int, int]] = {}
        for kind in KINDS:
            mine = [i for i in self.items if _kind(i) == kind]
            out[kind] = (sum(1 for i in mine if i in self.covered), len(mine))
        return out

    def lines(self) -> list[str]:
        """The human report: a summary line, counts per kind, the items not covered."""
        counts = ", ".join(f"{k}s {c}/{t}" for k, (c, t) in self.by_kind().items())
        out = [
            f"coverage of {self.policy_id} ({self.source}): {self.percent}% "
            f"({len(self.covered)}/{len(self.items)} items: {counts})"
        ]
        out += [f"  not covered: {item}" for item in self.missed]
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form ``escalate test --json`` prints."""
        return {
            "policy": self.policy_id,
            "source": self.source,
            "percent": str(self.percent),
            "covered": len(self.covered),
            "total": len(self.items),
            "by_kind": {k: {"covered": c, "total": t} for k, (c, t) in self.by_kind().items()},
            "missed": list(self.missed),
        }


@dataclass(slots=True)
class Coverage:
    """Collects what decisions exercise, for one policy: :meth:`add` each decision, then
    :meth:`report`."""

    policy: Policy
    source: str
    _items: tuple[str, ...] = field(init=False)
    _covered: set[str] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self._items = items_of(self.policy)

    def add(self, decision: Decision) -> None:
        """Count what ``decision`` (a decision of this policy) exercised."""
        prefix = "" if decision.segment is None else f"segment:{decision.segment}/"
        known = set(self._items)
        for item in exercised(decision):
            if item in known:
                self._covered.add(item)
            elif prefix + item in known:
                self._covered.add(prefix + item)

    def add_all(self, decisions: Iterable[Decision]) -> None:
        """:meth:`add` every decision."""
        for decision in decisions:
            self.add(decision)

    def report(self) -> CoverageReport:
        """The coverage so far."""
        return CoverageReport(self.policy.id, self.source, self._items, frozenset(self._covered))
