"""escalate adapter for the peer harness (``../shared/bench/peers.py`` from the repository root).

Run from the folder that holds the harness (it is read-only; write the reports elsewhere),
starting at the repository root::

    ROOT=$PWD; mkdir -p bench/results; cd ../shared && "$ROOT/.peers/bin/python" bench/peers.py \\
        --adapter "$ROOT/bench/escalate_adapter.py" \\
        --md "$ROOT/bench/results/peers.md" --json "$ROOT/bench/results/peers.json"

The harness calls each factory once (not timed) and times only the callables they return.
The calendar callables are escalate's own bound methods, or a one-line lambda around one, so
the timings measure the library and not glue. The W3 matcher is escalate's match stage: the
compiled conditions of a policy loaded from YAML, run over one facts dict per ticket.
"""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import escalate
from escalate.policy.loader import loads

NAME = "escalate"
VERSION = importlib.metadata.version("escalate")
NOTES = (
    "Calendar.from_config(tz, weekday hours, holidays.dates = spec.holidays, years) compiled "
    "once; elapsed = bound cal.elapsed (timedelta); due = cal.add(a, timedelta(seconds=1) * s). "
    "W3: the table as an escalate policy (escalate.loads; elapsed_min = integer custom "
    "field) and escalate's match stage: one facts dict per ticket, then every rule whose "
    "compiled rule.when.check(facts) holds (all matches, policy order)"
)
MATCH_SEMANTICS = "all"

_DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _clock(t: time, *, end: bool = False) -> str:
    if end and t == time(0):
        return "24:00"  # a window that runs to midnight
    return f"{t.hour:02d}:{t.minute:02d}"


def calendar_config(spec: Any) -> dict[str, Any]:
    """The escalate calendar mapping for a ``peers.CalendarSpec``.

    Holidays are passed as explicit dates from ``spec.holidays`` (not ``country:``), so escalate
    sees exactly the data every other implementation in the run sees.
    """
    days = ",".join(_DAY_KEYS[d] for d in sorted(spec.weekdays))
    interval = f"{_clock(spec.start)}-{_clock(spec.end, end=True)}"
    return {
        "timezone": spec.tz,
        "hours": {days: [interval]},
        "holidays": {
            "dates": [d.isoformat() for d in spec.holidays],
            "years": [min(spec.years), max(spec.years)],
        },
    }


def make_calendar(spec: Any) -> escalate.Calendar:
    return escalate.Calendar.from_config(calendar_config(spec))


# ---- W1: business elapsed time -------------------------------------------------------------
def make_elapsed(spec: Any) -> Callable[[datetime, datetime], timedelta]:
    """The bound ``Calendar.elapsed``; it returns a ``timedelta`` (the harness accepts that)."""
    return make_calendar(spec).elapsed


# ---- W2: business due time -----------------------------------------------------------------
def make_due(spec: Any) -> Callable[[datetime, float], datetime]:
    """``add(a, SECOND * secs)`` with ``SECOND = timedelta(seconds=1)``.

    Exact for both input types: an int scales exactly, and ``timedelta * float`` rounds the
    float's exact value to the nearest microsecond (half-even). ``round(secs * 1_000_000)`` is
    not exact, because the multiplication rounds first (456 of 200,000 random floats came out
    1 µs off). It is also the cheapest construction (measured here: ``SECOND * 14400`` 170 ns,
    ``timedelta(0, 14400)`` 230 ns, ``timedelta(seconds=14400)`` 320 ns), and it needs no type
    test on the hot path.
    """
    add = make_calendar(spec).add
    second = timedelta(seconds=1)
    return lambda a, secs: add(a, second * secs)


# ---- W3: rule matching ---------------------------------------------------------------------
# The harness's fields, as escalate names them. ``elapsed_min`` has no built-in counterpart (in a
# real policy it is a clock condition), so it is declared as an integer custom field.
_FIELD_NAMES = {
    "priority": "priority",
    "category": "category",
    "elapsed_min": "fields.elapsed_min",
    "reassignment_count": "reassignment_count",
    "vip": "customer.vip",
}
_OP_NAMES = {"==": "eq", "!=": "ne", ">=": "gte", "<": "lt", "in": "in"}


def _yaml_value(value: Any) -> str:
    # JSON is YAML flow syntax: strings quoted, booleans true/false, lists [..].
    return json.dumps(list(value) if isinstance(value, tuple) else value)


def _when(conds: Any) -> str:
    """A row's conditions as an escalate ``when:`` flow mapping (all ANDed).

    Conditions on one field become one operator mapping (``{gte: 15, lt: 60}``); two
    conditions with the same field and operator go under ``all:`` instead.
    """
    by_field: dict[str, dict[str, str]] = {}
    clashes: list[str] = []
    for c in conds:
        name, op, value = _FIELD_NAMES[c.field], _OP_NAMES[c.op], _yaml_value(c.value)
        ops = by_field.setdefault(name, {})
        if op in ops:
            clashes.append(f"{{{json.dumps(name)}: {{{op}: {value}}}}}")
        else:
            ops[op] = value
    parts = [
        f"{json.dumps(name)}: {{{', '.join(f'{op}: {v}' for op, v in ops.items())}}}"
        for name, ops in by_field.items()
    ]
    if clashes:
        parts.append(f"all: [{', '.join(clashes)}]")
    return "{" + ", ".join(parts) + "}"


def policy_yaml(table: Any) -> str:
    """The harness's ``RuleTable`` as an escalate policy (YAML text).

    One rule per row, in row order, all at the same rule priority (so the policy keeps file
    order). Each rule's action is a ``custom`` action named after the row's action; W3 looks
    only at which rules match.
    """
    priorities = sorted(
        {v for r in table.rules for c in r.conds if c.field == "priority" for v in _values(c)}
    )
    lines = [
        "policy: peers-w3",
        "version: 1",
        "description: the peer harness's W3 escalation table, one rule per row",
        "terminology:",
        "  priority: {" + ", ".join(f"{p}: []" for p in priorities) + "}",
        "custom_fields: {elapsed_min: integer}",
        "rules:",
    ]
    for r in table.rules:
        lines += [
            f"  - id: {json.dumps(_rule_id(r.id))}",
            f"    when: {_when(r.conds)}",
            f"    then: {{custom: {{type: {json.dumps(r.action.replace('_', '-'))}}}}}",
        ]
    return "\n".join(lines) + "\n"


def _rule_id(row_id: str) -> str:
    """escalate's id for a row: rule ids are lower-case words joined by '-' (``R01`` -> ``r01``)."""
    return row_id.lower()


def _values(c: Any) -> tuple[Any, ...]:
    return tuple(c.value) if c.op == "in" else (c.value,)


def make_matcher(table: Any) -> Callable[[dict[str, Any]], list[str]]:
    """escalate's match stage: ``rule.when.check(facts)`` for every rule of a loaded policy.

    The policy is compiled once by ``escalate.loads`` from :func:`policy_yaml`, so the
    conditions are escalate's own compiled, type-checked closures. Per ticket the matcher builds
    the facts mapping once (the five keys the conditions read; the harness's values are already
    canonical, so the terminology lookup ``evaluate`` does is left out) and returns the table's
    ids of all rules whose condition holds, in policy order. This is the loop ``evaluate`` runs
    in its rules stage, without the surrounding work (stretches, action ids, results).
    """
    policy = loads(policy_yaml(table), filename="<peers W3 table>")
    row_id = {_rule_id(r.id): r.id for r in table.rules}  # back to the harness's ids, once
    rules = tuple((row_id[rule.id], rule.when.check) for rule in policy.rules)

    def match(t: dict[str, Any]) -> list[str]:
        facts = {
            "priority": t["priority"],
            "category": t["category"],
            "fields.elapsed_min": t["elapsed_min"],
            "reassignment_count": t["reassignment_count"],
            "customer.vip": t["vip"],
        }
        return [rule_id for rule_id, check in rules if check(facts)]

    return match
