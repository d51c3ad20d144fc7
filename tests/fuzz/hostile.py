"""Shared pieces of the fuzz suite: hostile values, tree mutations, seeds and safe rendering.

Every strategy here returns a *case* object whose ``repr`` is short and safe to print (a seed
name and a log of the mutations applied), because the inputs themselves can be megabytes long
or hold integers too long for ``repr`` (Python refuses to print an int of more than 4,300
digits). A failing test shows the case and the exception, which is enough to rebuild the input.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import sys
import traceback
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from escalate.testing.strategies import ZONES

ROOT = Path(__file__).resolve().parents[2]
PACK_TEXT = (ROOT / "rules" / "itil-default.yaml").read_text(encoding="utf-8")
EXAMPLE_TICKETS: dict[str, dict[str, Any]] = {
    path.stem: json.loads(path.read_text(encoding="utf-8"))
    for path in sorted((ROOT / "examples" / "tickets").glob("*.json"))
}
EXAMPLE_AVAILABILITY: dict[str, Any] = json.loads(
    (ROOT / "examples" / "availability.json").read_text(encoding="utf-8")
)

# --------------------------------------------------------------------------------------------
# Seeds: valid policies, small and large
# --------------------------------------------------------------------------------------------

#: A small policy touching every compiled part: custom fields, a calendar, a clock with a
#: ladder, a vertical and a horizontal path, conditions of every field type (regex included),
#: every action kind (a free-form custom payload included).
SMALL_CLOCKS = """
policy: small
version: 1
description: a small policy for fuzzing
terminology:
  priority: {P1: [Sev1, "1"], P2: [Sev2, "2"], P3: [Sev3, "3"]}
custom_fields: {seats: integer, contract: string, managed: boolean}
calendars:
  office:
    timezone: Europe/Berlin
    hours: {mon-fri: ["08:00-17:00"]}
    years: [2024, 2025]
clocks:
  response:
    start: {event: created}
    stop:
      - {event: [acknowledged, first-response]}
      - {status: [resolved, closed, cancelled]}
    pause: {status: [awaiting-user-info]}
    targets:
      P1: {within: 15m}
      P2: {within: 2h, calendar: office}
      default: {within: 1bd, calendar: office}
    ladder:
      - {at: 50%, notify: {to: [assignee], channel: chat, template: half-way}}
      - {at: "87.5%", custom: {type: page, payload: {level: 2, loud: true, note: "x"}}}
      - {at: 100%, escalate: {path: desk, to: L2}}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"], after: 30m}
      - {name: L2, targets: ["role:owner"], after: 1h, ack_timeout: 2h}
      - {name: L3, targets: ["person:alice"]}
    when: {priority: [P1, P2]}
  vendor:
    kind: horizontal
    levels:
      - {name: vendor-l1, targets: ["team:vendor"], after: 2h}
      - {name: vendor-l2, targets: ["team:vendor-engineering"]}
rules:
  - id: big-customer
    priority: 10
    when:
      fields.seats: {gte: 500}
      fields.contract: {matches: "^ENT-"}
      fields.managed: true
    then: {notify: {to: ["role:owner"], template: big-customer}}
  - id: slow-response
    when:
      clock.response.percent: {gte: 75}
      clock.response.elapsed: {gte: 10m}
      clock.response.state: [running, paused]
    then:
      - notify: {to: [assignee, "team:desk"]}
      - set_flag: {flag: slow, value: 3}
  - id: network
    final: true
    when: {category: {matches: "^(net|wan|lan)"}, reassignment_count: {gte: 2}}
    then: {transfer: {path: vendor}}
  - id: at-level-two
    when: {path.desk.level: {gte: L2}}
    then: {require_postmortem: {within: 5d}}
"""

#: A small policy with a directory and on-call schedules (hand-offs, restrictions, backups).
SMALL_ONCALL = """
policy: oncall
version: 2
directory:
  contact_max_age: 180d
  people:
    alice: {name: Alice, backup: bob, timezone: Europe/Berlin, validated_at: 2024-09-02}
    bob: {name: Bob, managers: [carol]}
    carol: {name: Carol, backup: dave, channels: {email: carol@example.com}}
    dave: {name: Dave}
    erin: {name: Erin}
  teams:
    desk: {members: [alice, carol], lead: dave}
    ops: {schedule: rota}
  roles:
    owner: {person: erin, backup: alice}
schedules:
  rota:
    timezone: America/New_York
    layers:
      - name: daily
        level: 1
        rotation: {members: [carol, erin], turn: 1d, handoff: "09:00", anchor: 2024-11-18}
      - name: office
        level: 2
        rotation: {members: [[alice, bob]], turn: 1w, anchor: 2024-11-18}
        restrictions: [{days: mon-fri, time: "09:00-17:00"}]
clocks:
  resolution:
    stop: {status: [resolved, closed]}
    targets: {default: {within: 4h}}
    ladder:
      - {at: 100%, notify: {to: ["schedule:rota", "manager:bob"], channel: sms}}
paths:
  desk:
    kind: vertical
    levels:
      - {name: L1, targets: ["team:desk"], after: 30m}
      - {name: L2, targets: ["team:ops"], after: 1h, ack_within: 30m}
      - {name: L3, targets: ["role:owner"]}
rules:
  - id: bridge
    when: {priority: P1, status: {not_in: [resolved, closed, cancelled]}}
    then: {open_bridge: {participants: ["role:owner", "team:ops"]}}
"""

SEED_TEXTS: dict[str, str] = {
    "itil-default": PACK_TEXT,
    "small-clocks": SMALL_CLOCKS,
    "small-oncall": SMALL_ONCALL,
}
SEED_TREES: dict[str, Any] = {name: yaml.safe_load(text) for name, text in SEED_TEXTS.items()}

T0 = datetime(2024, 11, 20, 10, 0, tzinfo=UTC)


def _stamp(at: datetime) -> str:
    return at.isoformat()


#: Tickets the small seeds are evaluated on (the pack is evaluated on the examples).
SMALL_TICKETS: dict[str, dict[str, Any]] = {
    "big-customer": {
        "id": "T1",
        "opened_at": _stamp(T0),
        "priority": "P1",
        "category": "network",
        "assignment_group": "desk",
        "fields": {"seats": 900, "contract": "ENT-77", "managed": True, "other": "x"},
        "events": [
            {"at": _stamp(T0), "type": "created"},
            {"at": _stamp(T0 + timedelta(minutes=2)), "type": "assigned", "group": "desk"},
            {"at": _stamp(T0 + timedelta(minutes=9)), "type": "assigned", "group": "ops"},
            {"at": _stamp(T0 + timedelta(minutes=12)), "type": "assigned", "group": "desk"},
        ],
    },
    "paused-p2": {
        "id": "T2",
        "opened_at": _stamp(T0),
        "priority": "Sev2",
        "category": "aaaaaaaa!",
        "customer": {"id": "C-1", "tier": "gold", "vip": True},
        "events": [
            {"at": _stamp(T0), "type": "created"},
            {
                "at": _stamp(T0 + timedelta(minutes=20)),
                "type": "status-changed",
                "status": "awaiting-user-info",
            },
            {"at": _stamp(T0 + timedelta(hours=3)), "type": "customer-reply"},
            {
                "at": _stamp(T0 + timedelta(hours=3, minutes=1)),
                "type": "status-changed",
                "status": "in-progress",
            },
            {
                "at": _stamp(T0 + timedelta(hours=4)),
                "type": "action-done",
                "action_id": "T2:clock:response#1@0:notify0",
            },
        ],
    },
    "reopened": {
        "id": "T3",
        "opened_at": _stamp(T0),
        "priority": "P1",
        "events": [
            {"at": _stamp(T0), "type": "created"},
            {"at": _stamp(T0 + timedelta(minutes=5)), "type": "acknowledged", "actor": "alice"},
            {"at": _stamp(T0 + timedelta(hours=1)), "type": "resolved"},
            {"at": _stamp(T0 + timedelta(hours=2)), "type": "reopened"},
            {
                "at": _stamp(T0 + timedelta(hours=2, minutes=5)),
                "type": "override",
                "actor": "dave",
                "reason": "customer escalated",
                "path": "desk",
                "level": "L2",
            },
        ],
    },
}

#: Which tickets each seed policy is evaluated on, and at which delays after the last event.
SEED_TICKETS: dict[str, tuple[str, ...]] = {
    "itil-default": ("INC0010001", "INC0010003", "INC0010005"),
    "small-clocks": ("big-customer", "paused-p2", "reopened"),
    "small-oncall": ("big-customer", "reopened"),
}
LATER = (timedelta(0), timedelta(hours=7), timedelta(days=3, minutes=1))


def seed_ticket(name: str) -> dict[str, Any]:
    return copy.deepcopy(EXAMPLE_TICKETS.get(name) or SMALL_TICKETS[name])


def last_instant(mapping: Mapping[str, Any]) -> datetime:
    """The latest instant written in a (valid) ticket mapping."""
    stamps = [mapping["opened_at"], *(e["at"] for e in mapping.get("events", ()))]
    return max(as_instant(s) for s in stamps)


def as_instant(value: str | datetime) -> datetime:
    """An ISO text or a datetime as a datetime (``TypeError`` for anything else)."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise TypeError(f"not an instant: {show(value)}")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --------------------------------------------------------------------------------------------
# Safe rendering
# --------------------------------------------------------------------------------------------

_MAX_TEXT = 160


def show(value: object, limit: int = _MAX_TEXT) -> str:
    """A short ``repr`` that never fails: huge ints by size, long texts and lists cut.

    >>> show(10**5000)
    '<int of 5001 digits>'
    >>> show(["x" * 50] * 3, limit=20)
    "['xxxxxxxxxxxxxxxxxx…(+142)"
    """
    text = _show(value, depth=0)
    if len(text) > limit:
        text = text[:limit] + f"…(+{len(text) - limit})"
    return text


def _show(value: object, depth: int) -> str:
    if depth > 6:
        return "…"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > 1000:
            digits = math.floor(value.bit_length() * math.log10(2)) + 1
            return f"<int of {digits} digits>" if value > 0 else f"<int of -{digits} digits>"
        return repr(value)
    if isinstance(value, Raw):
        return f"Raw({show(value.text, 60)})"
    if isinstance(value, Mapping):
        items = list(value.items())
        inner = ", ".join(f"{_show(k, depth + 1)}: {_show(v, depth + 1)}" for k, v in items[:8])
        return "{" + inner + (", …" if len(items) > 8 else "") + "}"
    if isinstance(value, list | tuple):
        inner = ", ".join(_show(v, depth + 1) for v in value[:6])
        more = f", …{len(value)} items" if len(value) > 6 else ""
        return (
            ("[" if isinstance(value, list) else "(")
            + inner
            + more
            + ("]" if isinstance(value, list) else ")")
        )
    if isinstance(value, str) and len(value) > 60:
        return repr(value[:60]) + f"…({len(value)} chars)"
    try:
        return repr(value)
    except Exception as exc:  # a hostile object may refuse to be printed
        return f"<unprintable {type(value).__name__}: {type(exc).__name__}>"


def render_path(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def failure(what: str, case: object, exc: BaseException) -> str:
    """The message of a failed property: which input, which exception, where it came from."""
    tail = "".join(traceback.format_exception(exc, limit=-4)).rstrip()
    return (
        f"{what}\n  input: {case!r}\n  raised {type(exc).__name__}: {show(str(exc), 300)}\n{tail}"
    )


def first_difference(a: object, b: object) -> str:
    """Where two answers part: the first differing lines of their texts.

    >>> first_difference("x\\ny\\nz", "x\\nY\\nz")
    "line 2: …'y' != …'Y'"
    """
    lines_a, lines_b = str(a).splitlines(), str(b).splitlines()
    for i, (left, right) in enumerate(zip(lines_a, lines_b, strict=False)):
        if left != right:
            at = next(
                j for j, (x, y) in enumerate(zip(left + "\0", right + "\1", strict=False)) if x != y
            )
            start = max(0, at - 40)
            return f"line {i + 1}: …{left[start : at + 80]!r} != …{right[start : at + 80]!r}"
    return f"lengths {len(lines_a)} != {len(lines_b)} lines"


@contextlib.contextmanager
def default_recursion_limit() -> Iterator[None]:
    """Run with Python's default recursion limit (1000) instead of the higher one Hypothesis
    sets while it runs a test, so that input deep enough to exhaust a normal program's stack
    fails here too."""
    old = sys.getrecursionlimit()
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    sys.setrecursionlimit(max(1000, depth + 100))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


# --------------------------------------------------------------------------------------------
# Hostile values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """YAML text inserted verbatim where a node stood (numbers too long for ``str(int)``,
    10,000 nested brackets, tags, aliases)."""

    text: str


def huge_int(digits: int, negative: bool = False) -> int:
    """An int of ``digits`` nines, built by arithmetic (``int('9' * 5000)`` is refused)."""
    value = 10**digits - 1
    return -value if negative else value


#: Characters that must never reach a terminal raw, and other troublemakers.
CONTROL_CHARS = ("\x1b", "\x00", "\x07", "\x08", "\r", "\x7f", "\x85", "\x9b")
BIDI_CHARS = ("\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200f", "\u200e")
ODD_CHARS = ("\ud800", "\udfff", "\ufeff", "\u2028", "\u00a0", "\u0301", "\U0001f600")
HOSTILE_FRAGMENTS = (
    "\x1b[2J",
    "\x1b]0;pwned\x07",
    *CONTROL_CHARS,
    *BIDI_CHARS,
    *ODD_CHARS,
)
#: Digit sets that ``int()`` and ``\d`` accept besides ASCII: Arabic-Indic, Devanagari,
#: fullwidth, Bengali, Mongolian.
DIGIT_SETS = ("٠١٢٣٤٥٦٧٨٩", "०१२३४५६७८९", "０１２３４５６７８９", "০১২৩৪৫৬৭৮৯", "᠐᠑᠒᠓᠔᠕᠖᠗᠘᠙")

HOSTILE_REGEXES = (
    "^(a+)+$",
    "(a)\\1",
    "(a|aa)*$",
    "(?P<x>a)(?P=x)",
    "[",
    "(",
    "a{99999999999}",
    "a{1000}{1000}{1000}",
    "(?=a)",
    "(?<!a)b",
    "\\p{L}",
    "(?i)net",
    "",
    "\x00",
    "(" * 500 + ")" * 500,
)

OFFSETS = (
    timezone(timedelta(hours=14)),
    timezone(timedelta(hours=-14)),
    timezone(timedelta(hours=23, minutes=59)),
    timezone(timedelta(hours=-23, minutes=-59)),
    timezone(timedelta(hours=5, minutes=45, seconds=30)),
    UTC,
)

_EDGE_DATETIMES = st.one_of(
    st.builds(
        lambda day, tz: datetime.combine(day, datetime.min.time(), tzinfo=tz),
        st.sampled_from((date(1, 1, 1), date(1, 1, 2), date(1970, 1, 1), date(2038, 1, 19))),
        st.sampled_from(OFFSETS),
    ),
    st.builds(
        lambda day, tz: datetime.combine(day, datetime.max.time(), tzinfo=tz),
        st.sampled_from((date(9999, 12, 31), date(9999, 12, 30), date(2999, 12, 31))),
        st.sampled_from(OFFSETS),
    ),
    st.sampled_from((datetime.min, datetime.max, datetime(2024, 11, 20, 12))),  # naive
    st.sampled_from((date.min, date.max, date(2024, 2, 29))),
)


def _numbers() -> st.SearchStrategy[object]:
    return st.one_of(
        st.sampled_from(
            (
                math.nan,
                math.inf,
                -math.inf,
                -0.0,
                1e308,
                5e-324,
                0.1,
                0,
                -1,
                2**31,
                2**63,
                -(2**63),
                999_999_999,
                10**30,
            )
        ),
        st.integers(-(10**20), 10**20),
        st.floats(),
    )


def _texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(
            (
                "",
                " ",
                "\t",
                "٤h",
                "٤",
                "١٥m",
                "７５%",
                "1e309",
                "NaN",
                "-inf",
                "0x10",
                "1_000",
                "99999999999999999999d",
                "-30m",
                "0m",
                "1.5h",
                "24:00",
                "25:61",
                "09:00-09:00",
                "mon-mon",
                "9999-12-31T23:59:59.999999-14:00",
                "0001-01-01T00:00:00+14:00",
                "2024-10-27T02:30:00+01:00",
                "2024-11-20T10:00:00",
                "P1",
                "L2",
                "24x7",
                "person:",
                "team:\x1b[2J",
                "role:nobody",
                "schedule:rota",
                "manager:alice",
                "…",
                "x" * 10_000,
                "a/" * 400 + "b",  # an IANA-looking name 400 levels deep
                "Europe/Berlin" * 1000,
            )
        ),
        st.sampled_from(HOSTILE_FRAGMENTS),
        st.sampled_from(HOSTILE_REGEXES),
        st.text(max_size=6),
        st.text(
            st.characters(codec=None, categories=("Cc", "Cf", "Cs", "Zl", "Zp", "Nd", "Mn")),
            min_size=1,
            max_size=4,
        ),
    )


def _deep(depth: int, leaf: object, kind: str) -> object:
    node: object = leaf
    for _ in range(depth):
        node = [node] if kind == "list" else {"a": node}
    return node


def hostile_values(current: object = None, *, raw_yaml: bool = False) -> st.SearchStrategy[Any]:
    """A value to put where ``current`` stood: wrong types, edge numbers and instants, hostile
    text, deep nesting, or ``current`` itself subtly damaged. ``raw_yaml`` also allows
    :class:`Raw` nodes (only a YAML dump can write them)."""
    options: list[st.SearchStrategy[Any]] = [
        _numbers(),
        _texts(),
        _EDGE_DATETIMES,
        st.sampled_from((None, True, False, [], {}, [None], {"": None})),
        st.builds(
            _deep, st.sampled_from((20, 200)), st.just("x"), st.sampled_from(("list", "map"))
        ),
        damaged(current),
    ]
    if raw_yaml:
        options.append(
            st.sampled_from(
                (
                    Raw("9" * 5000),
                    Raw("-" + "9" * 5000),
                    Raw("0." + "9" * 5000),
                    Raw("1e" + "9" * 400),
                    Raw("[" * 10_000 + "]" * 10_000),
                    Raw("{a: " * 2_000 + "b" + "}" * 2_000),
                    Raw("!!python/object/apply:os.system ['true']"),
                    Raw("!!binary AAAA"),
                    Raw("!!timestamp 9999-12-31T23:59:59-14:00"),
                    Raw("!!float nan"),
                    Raw("*undefined"),
                    Raw("&a [*a]"),
                    Raw("<<: *b"),
                    Raw("!!set {a, b}"),
                    Raw("0o777777777777777777777777"),
                    Raw("0b" + "1" * 20_000),
                    Raw("1_000_000_000_000_000_000_000d"),
                )
            )
        )
    else:
        options.append(st.builds(huge_int, st.sampled_from((4301, 5000)), st.booleans()))
    return st.one_of(*options)


@st.composite
def damaged(draw: st.DrawFn, current: object) -> Any:
    """``current`` subtly damaged: a hostile character inserted, its digits replaced by
    non-ASCII ones, its number pushed past a limit, its type changed, its instant moved to an
    edge or to another zone."""
    if isinstance(current, str):
        how = draw(st.sampled_from(("insert", "insert", "digits", "append", "wrap", "repeat")))
        if how == "digits" and any(c.isdigit() for c in current):
            digits = draw(st.sampled_from(DIGIT_SETS))
            return "".join(digits[int(c)] if c in "0123456789" else c for c in current)
        fragment = draw(st.sampled_from(HOSTILE_FRAGMENTS))
        if how == "insert":
            i = draw(st.integers(0, len(current)))
            return current[:i] + fragment + current[i:]
        if how == "append":
            return current + fragment
        if how == "wrap":
            return draw(st.sampled_from(([current], {current: current}, {"eq": current})))
        return current * draw(st.sampled_from((2, 1000)))
    if isinstance(current, bool):
        return draw(st.sampled_from((str(current).lower(), int(current), [current])))
    if isinstance(current, int):
        if current.bit_length() > 1000:  # neither str() nor float() takes it
            return draw(st.sampled_from((-current, current * 10, 0)))
        return draw(
            st.sampled_from((-current, current * 10**12, str(current), float(current), math.nan))
        )
    if isinstance(current, datetime | date):
        return draw(_EDGE_DATETIMES)
    if isinstance(current, list) and current:
        how = draw(st.sampled_from(("reverse", "double", "empty", "nested")))
        if how == "reverse":
            return current[::-1]
        if how == "double":
            return current + current
        if how == "empty":
            return []
        return [current]
    if isinstance(current, dict) and current:
        return draw(st.sampled_from(([current], list(current), {})))
    return draw(st.sampled_from((None, "", 0)))


# --------------------------------------------------------------------------------------------
# Tree mutation
# --------------------------------------------------------------------------------------------


def node_paths(tree: object) -> list[tuple[Any, ...]]:
    """Key paths of every node of a JSON/YAML-like tree, the root last (deepest nodes first)."""
    out: list[tuple[Any, ...]] = []
    stack: list[tuple[tuple[Any, ...], object]] = [((), tree)]
    while stack:
        path, node = stack.pop()
        out.append(path)
        if isinstance(node, dict):
            stack.extend(((*path, key), value) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend(((*path, i), value) for i, value in enumerate(node))
    out.reverse()
    return out


def get_at(tree: object, path: tuple[Any, ...]) -> Any:
    for part in path:
        tree = tree[part]  # type: ignore[index]
    return tree


@dataclass
class Mutated:
    """A tree after mutations, with the log of what was done."""

    tree: Any
    log: list[str] = field(default_factory=list)


@st.composite
def mutated_trees(
    draw: st.DrawFn,
    tree: object,
    *,
    max_mutations: int = 3,
    raw_yaml: bool = False,
    extra: Callable[[st.DrawFn, Mutated], bool] | None = None,
) -> Mutated:
    """A deep copy of ``tree`` after 1 to ``max_mutations`` mutations: a node replaced by a
    hostile value or damaged, deleted, renamed, duplicated, or lists reordered. ``extra`` may
    make a domain-specific mutation instead (it returns whether it did)."""
    out = Mutated(copy.deepcopy(tree))
    for _ in range(draw(st.integers(1, max_mutations))):
        if extra is not None and draw(st.integers(0, 3)) == 0 and extra(draw, out):
            continue
        paths = node_paths(out.tree)
        path = draw(st.sampled_from(paths))
        current = get_at(out.tree, path)
        parent = get_at(out.tree, path[:-1]) if path else None
        op = draw(
            st.sampled_from(("replace", "replace", "damage", "damage", "delete", "rekey", "dup"))
        )
        if op == "delete" and parent is not None:
            del parent[path[-1]]
            out.log.append(f"delete {render_path(path)}")
            continue
        if op == "rekey" and isinstance(parent, dict):
            key = draw(st.one_of(damaged(str(path[-1])), _texts()))
            if isinstance(key, str) and key not in parent:
                parent[key] = parent.pop(path[-1])
                out.log.append(f"rename {render_path(path)} -> {show(key)}")
                continue
        if op == "dup" and isinstance(parent, list):
            parent.insert(draw(st.integers(0, len(parent))), copy.deepcopy(current))
            out.log.append(f"duplicate {render_path(path)}")
            continue
        strategy = (
            damaged(current) if op == "damage" else hostile_values(current, raw_yaml=raw_yaml)
        )
        value = draw(strategy)
        if parent is None:
            out.tree = value
        else:
            parent[path[-1]] = value
        out.log.append(f"set {render_path(path)}: {show(current, 60)} -> {show(value, 90)}")
    return out


# --------------------------------------------------------------------------------------------
# Dumping a mutated policy tree as YAML
# --------------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    pass


def dump_yaml(tree: object) -> str:
    """YAML text of ``tree``; :class:`Raw` nodes are written verbatim."""
    raws: list[str] = []

    def represent_raw(dumper: yaml.SafeDumper, data: Raw) -> yaml.Node:
        raws.append(data.text)
        return dumper.represent_str(f"RAW{len(raws) - 1}PLACEHOLDER")

    dumper = type("HostileDumper", (_Dumper,), {})
    dumper.add_representer(Raw, represent_raw)
    dumper.add_representer(int, _represent_int)
    text = yaml.dump(tree, Dumper=dumper, sort_keys=False, allow_unicode=True, width=10**9)
    for i, raw in enumerate(raws):
        text = text.replace(f"RAW{i}PLACEHOLDER", raw, 1)
    return text


def _represent_int(dumper: yaml.SafeDumper, data: int) -> yaml.Node:
    if data.bit_length() > 10_000:  # str() refuses it; write the digits by arithmetic
        return dumper.represent_scalar("tag:yaml.org,2002:int", _digits(data))
    return dumper.represent_int(data)


def _digits(value: int) -> str:
    sign, value = ("-", -value) if value < 0 else ("", value)
    chunks = []
    while value:
        value, rest = divmod(value, 10**1000)
        chunks.append(f"{rest:01000d}" if value else str(rest))
    return sign + "".join(reversed(chunks))


# --------------------------------------------------------------------------------------------
# Zones and instants
# --------------------------------------------------------------------------------------------

#: Zones with folds and gaps at different hours and of different sizes, negative DST (Dublin),
#: and the extremes of the offset range.
ALL_ZONES: tuple[str, ...] = (
    *ZONES,
    "Europe/Dublin",
    "America/Havana",
    "Africa/Casablanca",
    "Asia/Kolkata",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "America/Santiago",
    "Etc/GMT+12",
)

#: UTC instants of fall-back transitions (the wall clock repeats an hour or half hour after).
FALL_BACKS: dict[str, datetime] = {
    "Europe/Berlin": datetime(2024, 10, 27, 1, 0, tzinfo=UTC),
    "America/New_York": datetime(2024, 11, 3, 6, 0, tzinfo=UTC),
    "Australia/Sydney": datetime(2024, 4, 6, 16, 0, tzinfo=UTC),
    "Australia/Lord_Howe": datetime(2024, 4, 6, 15, 0, tzinfo=UTC),
    "America/St_Johns": datetime(2024, 11, 3, 4, 30, tzinfo=UTC),
    "Europe/Dublin": datetime(2024, 10, 27, 1, 0, tzinfo=UTC),
    "America/Havana": datetime(2024, 11, 3, 5, 0, tzinfo=UTC),
}


def is_control(char: str) -> bool:
    """Whether ``char`` must not be printed raw to a terminal: C0/C1 controls (but tab and
    newline), DEL, bidi and other format controls, lone surrogates, line separators."""
    if char in "\t\n":
        return False
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp")


def raw_controls(text: str) -> list[str]:
    """The distinct control characters in ``text``, escaped for a message."""
    return sorted({repr(c) for c in text if is_control(c)})


def fingerprint(value: object) -> object:
    """A structure equal for two values only if they are the same down to types, key order,
    zones and folds (``==`` on aware datetimes compares instants, on NaN never holds)."""
    if isinstance(value, Mapping):
        return (
            "map",
            type(value).__name__,
            tuple((fingerprint(k), fingerprint(v)) for k, v in value.items()),
        )
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(fingerprint(v) for v in value))
    if isinstance(value, float):
        return ("float", value.hex())
    if isinstance(value, datetime):
        return ("datetime", value.replace(tzinfo=None).isoformat(), repr(value.tzinfo), value.fold)
    return (type(value).__name__, value)
