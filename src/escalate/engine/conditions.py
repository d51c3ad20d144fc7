"""The condition language of ``when:``: compiled once into closures, type-checked at load time.

A condition is a mapping. Each key is a field (``priority``, ``customer.vip``,
``clock.resolution.percent``, ``path.service-desk.level``, ``fields.<custom>``) or a combinator
(``all``, ``any``, ``not``); several keys are ANDed. A field takes a value (equality), a list
(membership) or a mapping of operators (``eq ne in not_in gt gte lt lte matches contains
any_of none_of exists``), ANDed. Every comparison is checked against the field's type when the
policy loads: comparing a string field with a number, or naming an unknown field, is a
:class:`~escalate.errors.PolicyError`, never a silent non-match at run time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from escalate.calendars._durations import parse_duration
from escalate.errors import PolicyError, suggest

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
    expected: object
    path: Path
    check: Check
    # For plain comparisons of a fact with a constant: the operator and the constant, so that
    # the whole tree can be fused into one function (see _fuse).
    inline: tuple[str, object] | None = None
    # For clock comparisons: the threshold, as a share of the target (percent) or in µs
    # (elapsed/remaining), so that crossing instants need no parsing at evaluation.
    threshold: Fraction | int | None = None

    def __post_init__(self) -> None:
        # A list operand (``in``, ``any_of`` ...) is kept as a tuple: the leaf is a value.
        if isinstance(self.expected, list):
            object.__setattr__(self, "expected", tuple(self.expected))

    def actual(self, facts: Facts) -> object:
        """The value the comparison saw, for explanations."""
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


def compile_condition(spec: object, fields: Mapping[str, FieldSpec], path: Path) -> Condition:
    """Compile a ``when:`` mapping into a checked tree whose root ``.check(facts)`` is fast.

    The tree keeps every comparison for explanations; the root's ``check`` is the whole tree
    fused into a single function.
    """
    root = _compile_tree(spec, fields, path)
    return replace(root, check=_fuse(root))


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


def _compile_tree(spec: object, fields: Mapping[str, FieldSpec], path: Path) -> Condition:
    if not isinstance(spec, Mapping) or not spec:
        raise PolicyError(f"a condition is a non-empty mapping, got {spec!r}", path=path)
    parts: list[Condition] = []
    for key in sorted(spec, key=str):
        value = spec[key]
        where = (*path, str(key))
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise PolicyError(f"'{key}' takes a non-empty list of conditions", path=where)
            children = tuple(
                _compile_tree(item, fields, (*where, i)) for i, item in enumerate(value)
            )
            parts.append(_combine(key, children, where))
        elif key == "not":
            child = _compile_tree(value, fields, where)
            parts.append(_combine("not", (child,), where))
        else:
            parts.append(_compile_field(str(key), value, fields, where))
    return parts[0] if len(parts) == 1 else _combine("all", tuple(parts), path)


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


def _compile_field(
    name: str, value: object, fields: Mapping[str, FieldSpec], path: Path
) -> Condition:
    spec = fields.get(name)
    if spec is None:
        raise PolicyError(
            f"unknown field {name!r} in condition",
            path=path,
            suggestion=suggest(name, fields),
        )
    if isinstance(value, Mapping):
        if not value:
            raise PolicyError("an operator mapping needs at least one operator", path=path)
        ops = [(str(op), value[op]) for op in sorted(value, key=str)]
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
        f"{name} is a {spec.type}; {op} {expected!r} compares it with {type(expected).__name__}",
        path=path,
    )


def _check_enum(name: str, spec: FieldSpec, value: str, path: Path) -> None:
    if spec.values is not None and value not in spec.values:
        raise PolicyError(
            f"{value!r} is not a known value of {name} (known: {', '.join(spec.values)})",
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
        return Leaf(name, op, expected, path, lambda f: (f.get(name) is not None) is expected)
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
            _check_enum(name, spec, item, where)
        elif spec.type == INT:
            if isinstance(item, bool) or not isinstance(item, int):
                raise _type_error(name, spec, op, item, where)
        elif not isinstance(item, bool):
            raise _type_error(name, spec, op, item, where)
        return item

    if op in ("in", "not_in"):
        if not isinstance(expected, list) or not expected:
            raise PolicyError(f"{op} takes a non-empty list, got {expected!r}", path=path)
        members = frozenset(scalar(item, (*path, i)) for i, item in enumerate(expected))
        if op == "in":
            return Leaf(
                name,
                op,
                sorted(members, key=str),
                path,
                lambda f: f.get(name) in members,
                ("in", members),
            )
        return Leaf(
            name,
            op,
            sorted(members, key=str),
            path,
            lambda f: f.get(name) not in members,
            ("not in", members),
        )
    if op == "matches":
        if not isinstance(expected, str):
            raise _type_error(name, spec, op, expected, path)
        try:
            pattern = re.compile(expected)
        except (re.error, OverflowError, RecursionError) as exc:
            raise PolicyError(
                f"invalid regular expression {expected!r}: {exc}", path=path
            ) from None
        search = pattern.search

        def matches(f: Facts) -> bool:
            value = f.get(name)
            return value is not None and search(value) is not None

        return Leaf(name, op, expected, path, matches)
    want = scalar(expected, path)
    if op == "eq":
        return Leaf(name, op, want, path, lambda f: f.get(name) == want, ("==", want))
    if op == "ne":
        return Leaf(name, op, want, path, lambda f: f.get(name) != want, ("!=", want))
    compare = _ORDER[op]

    def ordered(f: Facts) -> bool:
        value = f.get(name)
        return value is not None and compare(value, want)

    return Leaf(name, op, want, path, ordered)


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def _set_leaf(name: str, spec: FieldSpec, op: str, expected: object, path: Path) -> Leaf:
    if op == "contains":
        if not isinstance(expected, str):
            raise _type_error(name, spec, op, expected, path)
        return Leaf(name, op, expected, path, lambda f: expected in f[name])
    if not isinstance(expected, list) or not all(isinstance(x, str) for x in expected):
        raise PolicyError(f"{op} takes a list of strings, got {expected!r}", path=path)
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
            raise PolicyError(f"{op} takes a non-empty list, got {expected!r}", path=path)
        members = frozenset(level_index(x, (*path, i)) for i, x in enumerate(expected))
        inside = op == "in"
        return Leaf(name, op, expected, path, lambda f: (f.get(index_key) in members) is inside)
    want = level_index(expected, path)
    if op == "eq":
        return Leaf(name, op, expected, path, lambda f: f.get(index_key) == want)
    if op == "ne":
        return Leaf(name, op, expected, path, lambda f: f.get(index_key) != want)
    compare = _ORDER[op]

    def ordered(f: Facts) -> bool:
        value = f.get(index_key)
        return value is not None and compare(value, want)

    return Leaf(name, op, expected, path, ordered)


def _clock_leaf(name: str, spec: FieldSpec, op: str, expected: object, path: Path) -> Leaf:
    """Compare a clock's percent, elapsed or remaining; exact integer arithmetic only."""
    _, clock, attr = name.split(".", 2)
    key = "clock." + clock
    compare = _ORDER[op]
    if spec.type == PERCENT:
        if isinstance(expected, bool) or not isinstance(expected, int | float):
            raise _type_error(name, spec, op, expected, path)
        share = Fraction(str(expected)) / 100  # the decimal the author wrote, exactly
        num, den = share.numerator, share.denominator

        def percent(f: Facts) -> bool:
            state = f[key]
            if not state.applies:
                return False
            return compare(state.elapsed_us * den, num * state.target_us)

        return Leaf(name, op, expected, path, percent, threshold=share)
    amount = parse_duration(expected, path, allow_business_days=False).delta
    threshold = amount.days * 86_400_000_000 + amount.seconds * 1_000_000 + amount.microseconds

    def duration(f: Facts) -> bool:
        state = f[key]
        if not state.applies:
            return False
        value = state.elapsed_us if attr == "elapsed" else state.target_us - state.elapsed_us
        return compare(value, threshold)

    return Leaf(name, op, expected, path, duration, threshold=threshold)


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
