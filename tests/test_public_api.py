"""The public API keeps its promises: documented, exported, immutable, values hashable.

The checks are generic: they walk ``__all__`` of every public module and every object real
evaluations return, so a new public name or a new attribute is checked without editing this
file.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import escalate
from escalate import Availability, Decision, Policy, Ticket, lint, load

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_MODULES = (
    "escalate",
    "escalate.calendars",
    "escalate.people",
    "escalate.engine",
    "escalate.policy",
    "escalate.errors",
    "escalate.testing",
    "escalate.whatif",
    "escalate.integrations",
)
INSTANTS = (
    datetime(2024, 11, 20, 15, 0, tzinfo=UTC),
    datetime(2024, 11, 21, 9, 30, tzinfo=UTC),
    datetime(2024, 12, 2, 8, 0, tzinfo=UTC),
)
#: How many items of one container the walk looks into (they are alike; tables are long).
ITEMS_PER_CONTAINER = 25
#: An attribute no escalate object has: setting it must fail.
PROBE = "public_api_probe"


def _modules() -> list[ModuleType]:
    return [importlib.import_module(name) for name in PUBLIC_MODULES]


def _public_names() -> list[tuple[str, str, object]]:
    return [
        (module.__name__, name, getattr(module, name))
        for module in _modules()
        for name in getattr(module, "__all__", ())
    ]


# -- documentation -------------------------------------------------------------------------------


def _undocumented_members(cls: type) -> list[str]:
    """Public methods, properties, class- and static methods of ``cls`` (and of its escalate
    base classes) without a docstring of their own."""
    missing = []
    for klass in cls.__mro__:
        if not klass.__module__.startswith("escalate"):
            continue
        for name, member in vars(klass).items():
            if name.startswith("_"):
                continue
            target = member
            if isinstance(member, (classmethod, staticmethod)):
                target = member.__func__
            elif isinstance(member, property):
                target = member.fget
            elif not inspect.isfunction(member):
                continue  # fields, slots, constants
            if not (getattr(target, "__doc__", None) or "").strip():
                missing.append(f"{klass.__name__}.{name}")
    return missing


def _has_own_docstring(obj: object) -> bool:
    doc = (obj.__doc__ or "").strip()
    # dataclasses write "Name(field: type, ...)" when a class has no docstring.
    return bool(doc) and not (isinstance(obj, type) and doc.startswith(f"{obj.__name__}("))


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_module_has_a_docstring_and_an_all(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert (True, True) == (bool((module.__doc__ or "").strip()), hasattr(module, "__all__"))


def test_every_name_in_a_public_all_exists() -> None:
    missing = [
        f"{module.__name__}.{name}"
        for module in _modules()
        for name in getattr(module, "__all__", ())
        if not hasattr(module, name)
    ]
    assert [] == missing


def test_every_public_class_function_method_and_property_has_a_docstring() -> None:
    missing: list[str] = []
    for module, name, obj in _public_names():
        if isinstance(obj, type):
            if not _has_own_docstring(obj):
                missing.append(f"{module}.{name}")
            missing += [f"{module}.{m}" for m in _undocumented_members(obj)]
        elif callable(obj) and not _has_own_docstring(obj):
            missing.append(f"{module}.{name}")
    assert [] == sorted(set(missing))


# -- real objects ------------------------------------------------------------------------------


@cache
def _scenario() -> dict[str, Any]:
    """Objects the public API returns for the shipped pack and the example tickets."""
    policy = load(ROOT / "rules" / "itil-default.yaml")
    availability = Availability.from_mapping(
        json.loads((ROOT / "examples" / "availability.json").read_text(encoding="utf-8"))
    )
    tickets = [
        Ticket.from_mapping(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted((ROOT / "examples" / "tickets").glob("*.json"))
    ]
    decisions = [
        policy.evaluate(ticket, now=at, availability=availability)
        for ticket in tickets
        for at in INSTANTS
    ]
    at = INSTANTS[0]
    targets = [t for path in policy.paths for level in path.levels for t in level.targets]
    schedules = list(policy.directory.schedules.values())
    return {
        "policy": policy,
        "availability": availability,
        "tickets": tickets,
        "ticket states": [ticket.state_at(at) for ticket in tickets],
        "decisions": decisions,
        "findings": lint(policy, as_of=datetime(2025, 3, 1, tzinfo=UTC)),
        "resolution": policy.directory.resolve(targets, at, availability),
        "shifts": [s.shifts(at, at + timedelta(days=7)) for s in schedules],
        "gaps": [s.gaps(at, at + timedelta(days=7)) for s in schedules],
    }


def _is_ours(obj: object) -> bool:
    return type(obj).__module__.startswith("escalate")


def _public_attributes(obj: object) -> Iterator[tuple[str, object]]:
    """Every public data attribute and property of ``obj`` with its value (no methods)."""
    for name in dir(obj):
        if name.startswith("_"):
            continue
        try:
            value = getattr(obj, name)
        except Exception:  # a property that needs context: not data
            continue
        if inspect.isroutine(value) or isinstance(value, type):
            continue
        yield name, value


def _children(value: object) -> list[object]:
    if isinstance(value, Mapping):
        items = list(value.items())[:ITEMS_PER_CONTAINER]
        return [x for pair in items for x in pair]
    if isinstance(value, (tuple, list, set, frozenset)):
        return list(value)[:ITEMS_PER_CONTAINER]
    return []


def _walk() -> Iterator[tuple[str, object]]:
    """(where, object) for every escalate object reachable from the scenario through public
    attributes, mappings and sequences, each once."""
    seen: set[int] = set()
    stack: list[tuple[str, object]] = list(_scenario().items())
    while stack:
        where, obj = stack.pop()
        if id(obj) in seen or isinstance(obj, BaseException):
            continue
        seen.add(id(obj))
        if _is_ours(obj) and not isinstance(obj, Mapping):
            yield where, obj
            stack += [(f"{where}.{name}", value) for name, value in _public_attributes(obj)]
        stack += [(f"{where}[…]", child) for child in _children(obj)]


def _ours_by_type() -> dict[type, tuple[str, object]]:
    """One example of each escalate type the walk finds (the first place it was found)."""
    found: dict[type, tuple[str, object]] = {}
    for where, obj in _walk():
        found.setdefault(type(obj), (where, obj))
    return found


def test_the_walk_reaches_the_objects_users_are_handed() -> None:
    names = {t.__name__ for t in _ours_by_type()}
    expected = {"Action", "ClockState", "Decision", "Finding", "PathState", "Policy"}
    assert expected == expected & names


def test_no_attribute_of_a_returned_object_can_be_assigned() -> None:
    assignable = []
    for where, obj in _walk():
        for name, value in _public_attributes(obj):
            try:
                setattr(obj, name, value)
            except (AttributeError, TypeError):
                continue
            assignable.append(f"{type(obj).__qualname__}.{name} (at {where}.{name})")
        try:
            setattr(obj, PROBE, 1)
        except (AttributeError, TypeError):  # TypeError: frozen slotted dataclasses on 3.11
            continue
        assignable.append(f"{type(obj).__qualname__}: new attributes (at {where})")
    assert [] == sorted(set(assignable))


def test_no_attribute_of_a_returned_object_is_a_mutable_container() -> None:
    mutable = sorted(
        {
            f"{type(obj).__qualname__}.{name}: {type(value).__name__} (at {where}.{name})"
            for where, obj in _walk()
            for name, value in _public_attributes(obj)
            if isinstance(value, (dict, list, set, bytearray))
        }
    )
    assert [] == mutable


def test_every_returned_object_with_value_equality_is_hashable() -> None:
    """A class that compares by value is a value type: it must also be usable as a key."""
    unhashable = []
    for where, obj in _walk():
        if type(obj).__eq__ is object.__eq__:
            continue  # identity semantics (Policy, Decision, ClockState): hashable by identity
        try:
            hash(obj)
        except TypeError as exc:
            unhashable.append(f"{type(obj).__qualname__} (at {where}): {exc}")
    assert [] == sorted(unhashable)


@pytest.mark.parametrize("name", ["Action", "RuleResult", "PathState", "Finding"])
def test_the_value_types_are_hashable_and_equal_to_an_equal_copy(name: str) -> None:
    found = _ours_by_type()
    cls = getattr(escalate, name)
    _, obj = found[cls]
    copy = type(obj)(**{f: getattr(obj, f) for f in obj.__dataclass_fields__})  # type: ignore[attr-defined]
    assert (obj, hash(obj)) == (copy, hash(copy))


def test_every_type_the_walk_finds_in_a_public_package_is_exported() -> None:
    exported = {id(obj) for _, _, obj in _public_names()}
    missing = sorted(
        {
            f"{t.__module__}.{t.__qualname__} (at {where})"
            for t, (where, _) in _ours_by_type().items()
            if id(t) not in exported
            and not t.__name__.startswith("_")
            and not any(part.startswith("_") for part in t.__module__.split("."))
        }
    )
    assert [] == missing


# -- decisions -----------------------------------------------------------------------------------


def _decision() -> Decision:
    return next(d for d in _scenario()["decisions"] if d.actions)


def test_decision_clocks_and_paths_are_read_only_mappings_in_declaration_order() -> None:
    policy: Policy = _scenario()["policy"]
    decision = _decision()
    assert (
        [c.name for c in policy.clocks],
        [p.name for p in policy.paths],
        [decision.clock(c.name) for c in policy.clocks],
        [decision.path(p.name) for p in policy.paths],
    ) == (
        list(decision.clocks),
        list(decision.paths),
        list(decision.clocks.values()),
        list(decision.paths.values()),
    )


def test_looking_up_an_unknown_clock_names_it_and_the_known_ones() -> None:
    decision = _decision()
    known = ", ".join(decision.clocks)
    with pytest.raises(KeyError, match=f"unknown clock 'nope' \\(known: {known}\\)"):
        decision.clock("nope")
    with pytest.raises(KeyError, match="unknown clock 'nope'"):
        decision.clocks["nope"]


def test_looking_up_an_unknown_path_names_it_and_the_known_ones() -> None:
    decision = _decision()
    known = ", ".join(decision.paths)
    with pytest.raises(KeyError, match=f"unknown path 'nope' \\(known: {known}\\)"):
        decision.path("nope")
    with pytest.raises(KeyError, match="unknown path 'nope'"):
        decision.paths["nope"]


def test_decision_mappings_cannot_be_changed() -> None:
    decision = _decision()
    clocks: Any = decision.clocks
    with pytest.raises(TypeError):
        clocks["x"] = None
    with pytest.raises(AttributeError):
        decision.actions = ()  # type: ignore[misc]


def test_action_details_are_hashable_yet_serialise_as_plain_json() -> None:
    action = next(a for d in _scenario()["decisions"] for a in d.actions if a.details)
    out = action.to_dict()
    assert (dict, True) == (type(out["details"]), json.loads(json.dumps(out)) == out)
    assert {action: 1}[action] == 1


def test_an_action_built_with_a_dict_freezes_it_and_lists_inside_it() -> None:
    action = escalate.Action(
        id="a",
        kind="notify",
        source="rule:r",
        due_at=INSTANTS[0],
        late=False,
        details={"to": ["x"], "meta": {"k": ["v"]}},
    )
    assert (("x",), ("v",), {"to": ["x"], "meta": {"k": ["v"]}}) == (
        action.details["to"],
        action.details["meta"]["k"],
        action.to_dict()["details"],
    )


def test_policy_attributes_cannot_be_assigned_and_its_mappings_are_read_only() -> None:
    policy: Policy = _scenario()["policy"]
    with pytest.raises(AttributeError):
        policy.id = "other"  # type: ignore[misc]
    calendars: Any = policy.calendars
    with pytest.raises(TypeError):
        calendars["x"] = None


# -- version -------------------------------------------------------------------------------------


def test_the_version_is_the_installed_package_version() -> None:
    assert importlib.metadata.version("escalate") == escalate.__version__
