"""The condition language of ``when:``: compiled once into closures, type-checked at load time.

A condition is a mapping. Each key is a field (``priority``, ``customer.vip``,
``clock.resolution.percent``, ``path.service-desk.level``, ``fields.<custom>``), a combinator
(``all``, ``any``, ``not``) or a time test (``within: <calendar>``, ``not_within: <calendar>``:
whether the instant lies inside the calendar's working windows); several keys are ANDed. A
field takes a value (equality), a list (membership) or a mapping of operators (``eq ne in
not_in gt gte lt lte matches contains any_of none_of exists``), ANDed. Every comparison is
checked against the field's type when the policy loads: comparing a string field with a
number, or naming an unknown field, is a :class:`~escalate.errors.PolicyError`, never a silent
non-match at run time.

Operands are bounded so that no value in a policy can make loading or evaluating slow or make
it fail with anything but a ``PolicyError``: integers are signed 64-bit, percentages lie in
0-1000 with at most six decimal places, and ``matches`` patterns are RE2 expressions (matched in
time linear in the value) of at most :data:`MAX_PATTERN_CHARS` characters and
:data:`MAX_PATTERN_MEMORY` bytes of compiled program.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any, Protocol

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

from escalate._models import MAX_INT, MIN_INT, label_problem
from escalate.calendars._durations import MAX_PERCENT, PERCENT_DECIMALS, parse_duration
from escalate.calendars.calendar import Calendar
from escalate.engine.history import milestone_problem
from escalate.errors import PolicyError, TicketError, shown, suggest

Path = tuple[str | int, ...]
Facts = Mapping[str, Any]
Check = Callable[[Facts], bool]

STR, INT, BOOL, SET, PERCENT, DURATION, LEVEL = (
    "string",
    "integer",
    "boolean",
    "set",
    "percent",
    "duration",
    "level",
)

OPERATORS: dict[str, tuple[str, ...]] = {
    STR: ("eq", "ne", "in", "not_in", "matches", "exists"),
    INT: ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "exists"),
    BOOL: ("eq", "exists"),
    SET: ("contains", "any_of", "none_of", "exists"),
    PERCENT: ("gt", "gte", "lt", "lte", "exists"),
    DURATION: ("gt", "gte", "lt", "lte", "exists"),
    LEVEL: ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "exists"),
}
COMBINATORS = ("all", "any", "not")

#: The condition keys that test the instant against a calendar, and the field their leaves
#: report (``time within business-hours``). The facts of an instant carry it as ``time``.
TIME_KEYS = ("within", "not_within")
TIME = "time"
#: A fact that, when present, stands for "is the condition's calendar open" instead of asking
#: the calendar about ``time``: how the engine evaluates a condition for an open and for a
#: closed calendar without picking instants (see ``engine/facts.py``).
OPEN = "time.open"

# Integer operands are signed 64-bit (MIN_INT ... MAX_INT), like every integer in a policy;
# percent operands lie in 0 ... MAX_PERCENT with at most PERCENT_DECIMALS decimal places, like
# a ladder rung's percentage. Both are checked here too, for data that did not come from YAML.

#: The longest ``matches`` pattern, in characters.
MAX_PATTERN_CHARS = 1000
#: RE2's ``max_mem`` for one pattern, in bytes: a pattern whose compiled program does not fit
#: is a load error; the matching automaton's cache stays within it.
MAX_PATTERN_MEMORY = 1 << 20
RE2_SYNTAX = "https://github.com/google/re2/wiki/Syntax"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """What a condition may say about a field: its type and, for enumerations, its values."""

    type: str
    values: tuple[str, ...] | None = None  # allowed values (strings) or level names in order


@dataclass(frozen=True, slots=True)
class Leaf:
    """One comparison: ``field op expected``, with where it stands in the policy."""

    field: str
    op: str
    expected: Any  # not object: mypyc's dataclass support fails on it
    path: Path
    check: Check
    # For plain comparisons of a fact with a constant: the operator and the constant, so that
    # the whole tree can be fused into one function (see _fuse).
    inline: tuple[str, object] | None = None
    # For clock comparisons: the threshold, as a share of the target (percent) or in µs
    # (elapsed/remaining), so that crossing instants need no parsing at evaluation.
    threshold: Fraction | int | None = None
    # For time tests (within / not_within): the calendar.
    calendar: Calendar | None = None
    # For comparisons of one fact with constants, where a missing fact (``None``) is unequal
    # to every constant and fails every ordering: the key read and the constant (a frozenset
    # for in / not_in, a bool for exists). Matchers other than the fused closures (the
    # durable backend, docs/backends.md) read the comparison from here.
    operand: tuple[str, object] | None = None

    def __post_init__(self) -> None:
        # A list operand (``in``, ``any_of`` ...) is kept as a tuple: the leaf is a value.
        if isinstance(self.expected, list):
            object.__setattr__(self, "expected", tuple(self.expected))

    def actual(self, facts: Facts) -> object:
        """The value the comparison saw, for explanations."""
        if self.calendar is not None:
            at: datetime = facts[TIME]
            state = "open" if self.calendar.is_open(at) else "closed"
            return f"{at.astimezone(UTC).isoformat()} ({self.expected} {state})"
        return describe_value(self.field, facts)


@dataclass(frozen=True, slots=True)
class Node:
    """A combinator over sub-conditions: ``all``, ``any`` or ``not``."""

    kind: str
    children: tuple[Node | Leaf, ...]
    path: Path
    check: Check = field(repr=False)


Condition = Node | Leaf


def describe_value(name: str, facts: Facts) -> object:
    """The fact behind a field name, in a form fit for a trace."""
    if name.startswith("clock."):
        _, clock, attr = name.split(".", 2)
        state = facts.get("clock." + clock)
        return None if state is None else state.fact(attr)
    value = facts.get(name)
    if isinstance(value, frozenset):
        return sorted(value)
    return value


def compile_condition(
    spec: object,
    fields: Mapping[str, FieldSpec],
    path: Path,
    calendars: Mapping[str, Calendar] | None = None,
) -> Condition:
    """Compile a ``when:`` mapping into a checked tree whose root ``.check(facts)`` is fast.

    The tree keeps every comparison for explanations; the root's ``check`` is the whole tree
    fused into a single function. ``calendars`` are the calendars ``within:`` and
    ``not_within:`` may name; without them (``None``) those keys are refused here. One
    condition names at most one calendar (see :func:`time_calendar`).
    """
    root = _compile_tree(spec, fields, path, calendars)
    named = {leaf.expected: leaf.path for leaf in leaves(root) if leaf.calendar is not None}
    if len(named) > 1:
        names = sorted(str(name) for name in named)
        raise PolicyError(
            f"one condition tests one calendar; this one names {', '.join(names)} (write one "
            "rule per calendar, or declare a calendar with the combined hours)",
            path=named[names[1]],
        )
    return replace(root, check=_fuse(root))


def time_calendar(condition: Condition) -> Calendar | None:
    """The calendar a condition's ``within`` / ``not_within`` tests name (at most one)."""
    for leaf in leaves(condition):
        if leaf.calendar is not None:
            return leaf.calendar
    return None


def _fuse(root: Condition) -> Check:
    """One Python function for a whole condition tree.

    Plain comparisons become inline expressions over ``f.get(<field>)`` and a constant; every
    other comparison is called through its own closure. The source is generated only from
    validated field names (written with ``repr``) and names of constants, never from policy
    text, and is evaluated with no builtins.
    """
    env: dict[str, object] = {"__builtins__": {}}

    def name(value: object) -> str:
        key = f"_{len(env)}"
        env[key] = value
        return key

    def expr(node: Condition) -> str:
        if isinstance(node, Leaf):
            if node.inline is not None:
                op, constant = node.inline
                return f"(f.get({node.field!r}) {op} {name(constant)})"
            return f"{name(node.check)}(f)"
        if node.kind == "not":
            return f"(not {expr(node.children[0])})"
        if node.kind == "any":
            return "(" + " or ".join(expr(c) for c in node.children) + ")"
        return "(" + " and ".join(expr(c) for c in sorted(node.children, key=_cost)) + ")"

    fused = eval(compile(f"lambda f: {expr(root)}", "<condition>", "eval"), env)
    assert callable(fused)
    return fused  # type: ignore[no-any-return]


def _compile_tree(
    spec: object,
    fields: Mapping[str, FieldSpec],
    path: Path,
    calendars: Mapping[str, Calendar] | None,
) -> Condition:
    if not isinstance(spec, Mapping) or not spec:
        raise PolicyError(f"a condition is a non-empty mapping, got {shown(spec)}", path=path)
    _check_keys(spec, "a condition key is a field name or all, any, not", path)
    parts: list[Condition] = []
    for key in sorted(spec):
        value = spec[key]
        where = (*path, key)
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise PolicyError(f"'{key}' takes a non-empty list of conditions", path=where)
            children = tuple(
                _compile_tree(item, fields, (*where, i), calendars) for i, item in enumerate(value)
            )
            parts.append(_combine(key, children, where))
        elif key == "not":
            child = _compile_tree(value, fields, where, calendars)
            parts.append(_combine("not", (child,), where))
        elif key in TIME_KEYS:
            parts.append(_time_leaf(key, value, calendars, where))
        else:
            parts.append(_compile_field(key, value, fields, where))
    return parts[0] if len(parts) == 1 else _combine("all", tuple(parts), path)


def _check_keys(spec: Mapping[Any, object], what: str, path: Path) -> None:
    """Every key of ``spec`` is a string (YAML also reads ``1``, ``null`` or a date as a key)."""
    for key in spec:
        if not isinstance(key, str):
            raise PolicyError(f"{what}, got {shown(key)}", path=path)


# Cheap, selective comparisons first when ANDing: the result is the same (checks are pure),
# a non-match is found sooner. The trace keeps the children in their written order.
_CHEAP_FIRST = {"eq": 0, "in": 0, "ne": 1, "not_in": 1, "exists": 1}


def _cost(condition: Condition) -> int:
    return _CHEAP_FIRST.get(condition.op, 2) if isinstance(condition, Leaf) else 3


def _combine(kind: str, children: tuple[Condition, ...], path: Path) -> Node:
    if kind == "not":
        only = children[0].check
        return Node(kind, children, path, lambda f: not only(f))
    ordered = children if kind == "any" else tuple(sorted(children, key=_cost))
    checks = tuple(child.check for child in ordered)
    if len(checks) == 1:
        return Node(kind, children, path, checks[0])
    if kind == "any":
        if len(checks) == 2:
            a, b = checks
            return Node(kind, children, path, lambda f: a(f) or b(f))

        def any_of(f: Facts) -> bool:
            for check in checks:  # noqa: SIM110 - a loop is cheaper than any(genexpr)
                if check(f):
                    return True
            return False

        return Node(kind, children, path, any_of)
    if len(checks) == 2:
        a, b = checks
        return Node(kind, children, path, lambda f: a(f) and b(f))
    if len(checks) == 3:
        a, b, c = checks
        return Node(kind, children, path, lambda f: a(f) and b(f) and c(f))

    def all_of(f: Facts) -> bool:
        for check in checks:  # noqa: SIM110 - a loop is cheaper than all(genexpr)
            if not check(f):
                return False
        return True

    return Node(kind, children, path, all_of)


#: Why ``vendor.<id>...`` is unknown: vendor clocks are computed after the rules (they
#: follow the vendor's path), so no condition reads them; what a rule can read instead.
_VENDOR_STATE = (
    ": vendor state (vendor clocks, penalties, contact levels) is not a condition field; a "
    "rule can read the vendor's path (path.<name>.level, path.<name>.active), the ticket's "
    "clocks (clock.<name>.*) and milestones such as '<vendor>-resolved'; see docs/vendors.md, "
    "'Rules and vendor state'"
)


def _about_vendor(name: str) -> bool:
    return name.split(".", 1)[0] in ("vendor", "vendors")


def _compile_field(
    name: str, value: object, fields: Mapping[str, FieldSpec], path: Path
) -> Condition:
    spec = fields.get(name)
    if spec is None:
        raise PolicyError(
            f"unknown field {name!r} in condition" + (_VENDOR_STATE if _about_vendor(name) else ""),
            path=path,
            suggestion=suggest(name, [*fields, *TIME_KEYS]),
        )
    if isinstance(value, Mapping):
        if not value:
            raise PolicyError("an operator mapping needs at least one operator", path=path)
        _check_keys(value, f"an operator of {name} is a name like eq or gte", path)
        ops = [(op, value[op]) for op in sorted(value)]
    elif isinstance(value, list):
        ops = [("in", value)]
    else:
        ops = [("eq", value)]
    leaves: list[Condition] = [
        _compile_leaf(name, spec, op, expected, (*path, op) if isinstance(value, Mapping) else path)
        for op, expected in ops
    ]
    return leaves[0] if len(leaves) == 1 else _combine("all", tuple(leaves), path)


def _type_error(name: str, spec: FieldSpec, op: str, expected: object, path: Path) -> PolicyError:
    return PolicyError(
        f"{name} is a {spec.type}; {op} {shown(expected)} compares it with "
        f"{type(expected).__name__}",
        path=path,
    )


def _check_enum(name: str, spec: FieldSpec, value: str, path: Path) -> None:
    if spec.values is not None and value not in spec.values:
        raise PolicyError(
            f"{shown(value)} is not a known value of {name} (known: {', '.join(spec.values)})",
            path=path,
            suggestion=suggest(value, spec.values),
        )


def _compile_leaf(name: str, spec: FieldSpec, op: str, expected: object, path: Path) -> Leaf:
    allowed = OPERATORS[spec.type]
    if op not in allowed:
        raise PolicyError(
            f"operator {op!r} does not apply to {name} ({spec.type}); use one of "
            f"{', '.join(allowed)}",
            path=path,
            suggestion=suggest(op, allowed),
        )
    if op == "exists":
        if not isinstance(expected, bool):
            raise _type_error(name, spec, op, expected, path)
        if name.startswith("clock."):
            clock = "clock." + name.split(".")[1]
            return Leaf(name, op, expected, path, lambda f: (f[clock].applies) is expected)
        return Leaf(
            name,
            op,
            expected,
            path,
            lambda f: (f.get(name) is not None) is expected,
            operand=(name, expected),
        )
    if spec.type in (PERCENT, DURATION):
        return _clock_leaf(name, spec, op, expected, path)
    if spec.type == LEVEL:
        return _level_leaf(name, spec, op, expected, path)
    if spec.type == SET:
        return _set_leaf(name, spec, op, expected, path)

    def scalar(item: object, where: Path) -> object:
        if spec.type == STR:
            if not isinstance(item, str):
                raise _type_error(name, spec, op, item, where)
            if not item and not name.startswith("fields."):
                # Ticket fields are never empty strings (custom fields may be).
                raise PolicyError(
                    f"{name} is never an empty string; to test for a missing value write "
                    f"'{name}: {{exists: false}}'",
                    path=where,
                )
            if not name.startswith("fields."):
                _check_name(name, item, where)
            _check_enum(name, spec, item, where)
        elif spec.type == INT:
            if isinstance(item, bool) or not isinstance(item, int):
                raise _type_error(name, spec, op, item, where)
            _check_int(item, where)
        elif not isinstance(item, bool):
            raise _type_error(name, spec, op, item, where)
        return item

    if op in ("in", "not_in"):
        if not isinstance(expected, list) or not expected:
            raise PolicyError(f"{op} takes a non-empty list, got {shown(expected)}", path=path)
        members = frozenset(scalar(item, (*path, i)) for i, item in enumerate(expected))
        if op == "in":
            return Leaf(
                name,
                op,
                sorted(members, key=str),
                path,
                lambda f: f.get(name) in members,
                ("in", members),
                operand=(name, members),
            )
        return Leaf(
            name,
            op,
            sorted(members, key=str),
            path,
            lambda f: f.get(name) not in members,
            ("not in", members),
            operand=(name, members),
        )
    if op == "matches":
        if not isinstance(expected, str):
            raise _type_error(name, spec, op, expected, path)
        search = compile_pattern(expected, path).search
        field_path = tuple(name.split("."))
        # The last value matched and its answer: an evaluation asks the same value at every
        # stretch of its history, and RE2's wrapper costs microseconds a call. One tuple,
        # replaced whole, so threads sharing the policy never see half of one.
        last: list[tuple[str, bool]] = [("", search(b"") is not None)]

        def matches(f: Facts) -> bool:
            value = f.get(name)
            if value is None:
                return False
            seen, answer = last[0]
            if value == seen:
                return answer
            try:
                answer = search(value.encode()) is not None
            except UnicodeEncodeError:  # a lone surrogate, from a Ticket built in Python
                raise TicketError(
                    "holds a lone surrogate, which is not Unicode text",
                    path=field_path,
                    value=value,
                ) from None
            last[0] = (value, answer)
            return answer

        return Leaf(name, op, expected, path, matches)
    want = scalar(expected, path)
    if op == "eq":
        return Leaf(
            name, op, want, path, lambda f: f.get(name) == want, ("==", want), operand=(name, want)
        )
    if op == "ne":
        return Leaf(
            name, op, want, path, lambda f: f.get(name) != want, ("!=", want), operand=(name, want)
        )
    compare = _ORDER[op]

    def ordered(f: Facts) -> bool:
        value = f.get(name)
        return value is not None and compare(value, want)

    return Leaf(name, op, want, path, ordered, operand=(name, want))


def _time_leaf(
    key: str, value: object, calendars: Mapping[str, Calendar] | None, path: Path
) -> Leaf:
    """``within: <calendar>`` / ``not_within: <calendar>``: is the instant inside (outside) the
    calendar's working windows, which are half-open (at 17:00 a 09:00-17:00 day is closed)."""
    if calendars is None:
        raise PolicyError(
            f"{key} is not available here: time tests belong in rule conditions "
            "(rules: ... when:), which are evaluated at every instant of the history",
            path=path,
        )
    if not isinstance(value, str):
        raise PolicyError(f"{key} takes the name of a calendar, got {shown(value)}", path=path)
    calendar = calendars.get(value)
    if calendar is None:
        raise PolicyError(
            f"unknown calendar {shown(value)} (calendars: {', '.join(sorted(calendars))})",
            path=path,
            suggestion=suggest(value, calendars),
        )
    inside = key == "within"

    def within(f: Facts) -> bool:
        forced = f.get(OPEN)
        is_open = calendar.is_open(f[TIME]) if forced is None else forced
        return is_open is inside

    return Leaf(TIME, key, value, path, within, calendar=calendar)


def _check_int(item: int, where: Path) -> None:
    if not MIN_INT <= item <= MAX_INT:  # compares sizes first: constant time for any value
        raise PolicyError(
            f"{shown(item)} is out of range: conditions compare integers from "
            f"{MIN_INT} to {MAX_INT} (signed 64-bit)",
            path=where,
        )


class Pattern(Protocol):
    """What escalate uses of a compiled RE2 pattern (``re2`` has no type information)."""

    def search(self, text: bytes, /) -> object | None:
        """A match object where the pattern occurs in UTF-8 ``text``, else ``None``."""


# A counted repeat, {m}, {m,} or {m,n}, and Python's {,n}. RE2 reads {,n} and counts too large
# for an int as literal text, where Python's re repeats (or fails): both are refused, so that
# no pattern silently changes meaning. Escaped characters are removed before looking.
_REPEAT = re.compile(r"\{([0-9]*)(,?)([0-9]*)\}")
MAX_REPEAT = 1000  # RE2's own limit for a counted repeat
_ESCAPE = re.compile(r"\\.", re.DOTALL)


def compile_pattern(pattern: str, path: Path) -> Pattern:
    """Compile a ``matches`` pattern with RE2, once, at load time.

    RE2 matches in time linear in the length of the value, whatever the pattern (no
    catastrophic backtracking), and so has no backreferences and no lookaround. A pattern that
    is empty, longer than :data:`MAX_PATTERN_CHARS`, needs more than
    :data:`MAX_PATTERN_MEMORY` bytes, or uses syntax RE2 lacks is a :class:`PolicyError` at
    ``path``.

    >>> compile_pattern("^(a+)+$", ()).search(b"a" * 40 + b"!") is None
    True
    """
    written = shown(pattern)
    if not pattern:
        raise PolicyError(
            "an empty pattern matches every value; write 'exists: true' for that", path=path
        )
    if len(pattern) > MAX_PATTERN_CHARS:
        raise PolicyError(
            f"pattern {written} has {len(pattern)} characters; the limit is {MAX_PATTERN_CHARS}",
            path=path,
        )
    if "\\C" in _ESCAPE.findall(pattern):
        raise PolicyError(
            f"pattern {written}: \\C matches one byte of a character's UTF-8 encoding; "
            "patterns match whole characters (write . for any character)",
            path=path,
        )
    for repeat in _REPEAT.finditer(_ESCAPE.sub("", pattern)):
        low, comma, high = repeat.groups()
        if not low and comma:
            raise PolicyError(
                f"pattern {written}: {repeat.group()} is literal text in RE2 syntax, not a "
                f"repeat; write {{0,{high}}} for up to {high or 'any number'}, or "
                f"\\{repeat.group()} for the text",
                path=path,
            )
        if any(len(n) > 4 or int(n) > MAX_REPEAT for n in (low, high) if n):
            raise PolicyError(
                f"pattern {written}: a counted repeat goes up to {MAX_REPEAT}, got "
                f"{shown(repeat.group())}",
                path=path,
            )
    options = re2.Options()
    options.max_mem = MAX_PATTERN_MEMORY
    options.log_errors = False  # RE2 would print to the host's stderr
    options.never_capture = True  # only whether it matches is used
    try:
        compiled: Pattern = re2.compile(pattern, options)
    except (re2.error, UnicodeEncodeError) as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        if detail == "pattern too large - compile failed":
            raise PolicyError(
                f"pattern {written} compiles to more than {MAX_PATTERN_MEMORY} bytes, RE2's "
                "limit for one pattern here; make counted repeats such as {1000} smaller",
                path=path,
            ) from None
        raise PolicyError(
            f"invalid regular expression {written}: {detail} (patterns use RE2 syntax: no "
            f"backreferences, no lookaround; see {RE2_SYNTAX})",
            path=path,
            suggestion=pattern.replace("\\Z", "\\z") if "\\Z" in pattern else None,
        ) from None
    return compiled


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def _check_name(name: str, item: str, where: Path) -> None:
    """A ticket name (not a custom field value) is a non-blank line that hides nothing: an
    operand that is not could never equal one, so it is a mistake, not a rule."""
    problem = label_problem(item)
    if problem is None and name == "milestones":
        problem = milestone_problem(item)
    if problem is not None:
        raise PolicyError(f"{name} never holds this value: {problem}", path=where)


def _set_leaf(name: str, spec: FieldSpec, op: str, expected: object, path: Path) -> Leaf:
    if op == "contains":
        if not isinstance(expected, str):
            raise _type_error(name, spec, op, expected, path)
        if not expected:
            raise PolicyError(f"{name} never holds an empty string", path=path)
        _check_name(name, expected, path)
        return Leaf(name, op, expected, path, lambda f: expected in f[name])
    if (
        not isinstance(expected, list)
        or not expected
        or not all(isinstance(x, str) and x for x in expected)
    ):
        raise PolicyError(
            f"{op} takes a non-empty list of non-empty strings, got {shown(expected)}", path=path
        )
    for i, item in enumerate(expected):
        _check_name(name, item, (*path, i))
    wanted = frozenset(expected)
    if op == "any_of":
        return Leaf(name, op, sorted(wanted), path, lambda f: not wanted.isdisjoint(f[name]))
    return Leaf(name, op, sorted(wanted), path, lambda f: wanted.isdisjoint(f[name]))


def _level_leaf(name: str, spec: FieldSpec, op: str, expected: object, path: Path) -> Leaf:
    levels = spec.values or ()
    index_key = name + "_index"

    def level_index(item: object, where: Path) -> int:
        if not isinstance(item, str):
            raise _type_error(name, spec, op, item, where)
        _check_enum(name, spec, item, where)
        return levels.index(item)

    if op in ("in", "not_in"):
        if not isinstance(expected, list) or not expected:
            raise PolicyError(f"{op} takes a non-empty list, got {shown(expected)}", path=path)
        members = frozenset(level_index(x, (*path, i)) for i, x in enumerate(expected))
        inside = op == "in"
        return Leaf(
            name,
            op,
            expected,
            path,
            lambda f: (f.get(index_key) in members) is inside,
            operand=(index_key, members),
        )
    want = level_index(expected, path)
    operand = (index_key, want)
    if op == "eq":
        return Leaf(name, op, expected, path, lambda f: f.get(index_key) == want, operand=operand)
    if op == "ne":
        return Leaf(name, op, expected, path, lambda f: f.get(index_key) != want, operand=operand)
    compare = _ORDER[op]

    def ordered(f: Facts) -> bool:
        value = f.get(index_key)
        return value is not None and compare(value, want)

    return Leaf(name, op, expected, path, ordered, operand=operand)


def _clock_leaf(name: str, spec: FieldSpec, op: str, expected: object, path: Path) -> Leaf:
    """Compare a clock's percent, elapsed or remaining; exact integer arithmetic only."""
    _, clock, attr = name.split(".", 2)
    key = "clock." + clock
    compare = _ORDER[op]
    if spec.type == PERCENT:
        share = _percent(name, spec, op, expected, path)
        num, den = share.numerator, share.denominator

        def percent(f: Facts) -> bool:
            state = f[key]
            if not state.applies:
                return False
            return compare(state.elapsed_us * den, num * state.target_us)

        return Leaf(name, op, expected, path, percent, threshold=share)
    if not isinstance(expected, str):
        raise PolicyError(
            f"expected a duration like '30m', '4h', '1h30m' or '2d', got {shown(expected)}",
            path=path,
        )
    amount = parse_duration(expected, path, allow_business_days=False).delta
    threshold = amount.days * 86_400_000_000 + amount.seconds * 1_000_000 + amount.microseconds

    def duration(f: Facts) -> bool:
        state = f[key]
        if not state.applies:
            return False
        value = state.elapsed_us if attr == "elapsed" else state.target_us - state.elapsed_us
        return compare(value, threshold)

    return Leaf(name, op, expected, path, duration, threshold=threshold)


def _percent(name: str, spec: FieldSpec, op: str, expected: object, path: Path) -> Fraction:
    """A percent operand as an exact share of the target: ``75`` is 3/4.

    Checked before any arithmetic, so that NaN, infinities and huge or tiny numbers are load
    errors rather than exceptions or slow comparisons later.
    """
    if isinstance(expected, bool) or not isinstance(expected, int | float):
        raise _type_error(name, spec, op, expected, path)
    if isinstance(expected, float) and not math.isfinite(expected):
        exact = None
    elif 0 <= expected <= MAX_PERCENT:  # compares sizes first: constant time for any value
        # str() of a float is the shortest decimal that reads back as it: what the author
        # wrote, as long as that has few enough digits (which the check below ensures).
        exact = Fraction(str(expected))
    else:
        exact = None
    if exact is None or (exact * 10**PERCENT_DECIMALS).denominator != 1:
        raise PolicyError(
            f"{name} takes a number of percent from 0 to {MAX_PERCENT} with at most "
            f"{PERCENT_DECIMALS} decimal places, like 75 or 87.5, got {shown(expected)}",
            path=path,
        )
    return exact / 100


def leaves(condition: Condition) -> list[Leaf]:
    """Every comparison in a condition tree, in a stable order."""
    if isinstance(condition, Leaf):
        return [condition]
    out: list[Leaf] = []
    for child in condition.children:
        out += leaves(child)
    return out


def referenced_fields(condition: Condition) -> tuple[str, ...]:
    """The sorted field names a condition reads."""
    return tuple(sorted({leaf.field for leaf in leaves(condition)}))


def trace(condition: Condition, facts: Facts) -> list[tuple[Leaf, bool, object]]:
    """Every comparison with its outcome and the actual value seen (no short-circuit)."""
    return [(leaf, leaf.check(facts), leaf.actual(facts)) for leaf in leaves(condition)]


def ensure_list(value: object) -> Sequence[object]:
    """A scalar as a one-item list; a list as it is."""
    return value if isinstance(value, list) else [value]
