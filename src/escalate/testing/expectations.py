"""Expectations: what a case says a decision must (``expect``) or must not (``expect_not``) show.

An :class:`Expectation` is a list of statements, each checked against a
:class:`~escalate.Decision`; each names the key of the case file it comes from and where that
key stands. In ``expect`` every statement must hold; in ``expect_not`` none may. The
statements, one per:

* ``segment``: the segment that decided is the one given (``null``: the policy as written);
* ``levels.<path>``: the path is active at that level (``null``: the path is not active);
* ``rules[i]``: the rule matches now (its status is ``matched`` or ``done``);
* ``actions[i]``: some due action matches the pattern (``kind``, ``id``, ``source``, ``late``
  equal; ``due_at`` the same instant; ``path``, ``level`` equal to the action's details;
  ``targets``, ``people`` a subset; ``details`` each key equal);
* ``clocks.<name>`` (in ``expect`` one statement per field): the clock applies and each given
  field equals its decision JSON value (instants compared as instants, durations as
  durations, ``percent`` as a decimal number); ``null``: the clock does not apply;
* ``missed[i]``: some missed action (due when the ticket ended, never recorded done) matches
  the pattern, as ``actions[i]`` does for due ones;
* ``next_evaluation_at``: the instants are equal (``null``: never);
* ``no_actions``: no action is due.

Ids an expectation names (paths, levels, rules, clocks, segments; an action pattern's
``source``, people and ``details`` keys for its kind) are checked against the policy and its
segments when the case file is read, with a "did you mean"; every unknown one is reported.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from escalate._frozen import thaw
from escalate._models import read_instant
from escalate.engine.compiled import Policy
from escalate.engine.decision import DONE, MATCHED, NOT_MATCHED, SHADOWED, Action, Decision, iso
from escalate.errors import CaseError, CaseErrors, render_path, shown, suggest
from escalate.testing.case_format import (
    ACTION_DETAILS,
    ActionPattern,
    ClockPattern,
    ExpectInput,
    printed_duration,
)

__all__ = [
    "MATCHING",
    "Expectation",
    "Mismatch",
    "Statement",
    "compile_expectation",
    "flow",
    "in_line_order",
]

Where = tuple[str, int, int]
KeyPath = tuple[str | int, ...]
#: The rule statuses that count as "the rule matches now".
MATCHING = frozenset({MATCHED, DONE})
_STATUSES = frozenset({MATCHED, NOT_MATCHED, SHADOWED, DONE})
_INSTANT_FIELDS = frozenset({"started_at", "stopped_at", "paused_since", "breach_at"})
_DURATION_FIELDS = frozenset({"elapsed", "elapsed_wall", "remaining"})


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A statement of a case that the decision contradicts.

    ``key`` is the statement's key path within its case (``expect.levels.service-desk``),
    ``expected`` and ``actual`` JSON-ready values, ``negated`` whether it came from
    ``expect_not`` (the decision shows what it must not), ``source`` where the key stands in
    the case file (``(file, line, column)``).
    """

    key: str
    expected: Any  # not object: mypyc's dataclass support fails on it
    actual: Any
    negated: bool
    source: Where
    said: str | None = None

    @property
    def message(self) -> str:
        """What is wrong, in words: ``rule x: expected to match, status not-matched``."""
        if self.said is not None:
            return self.said
        wanted = f"not {flow(self.expected)}" if self.negated else flow(self.expected)
        return f"expected {wanted}, got {flow(self.actual)}"

    def __str__(self) -> str:
        file, line, col = self.source
        return f"{file}:{line}:{col}: {self.key}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form ``escalate test --json`` prints."""
        file, line, col = self.source
        return {
            "key": self.key,
            "expected": self.expected,
            "actual": self.actual,
            "negated": self.negated,
            "message": self.message,
            "source": f"{file}:{line}:{col}",
        }


@dataclass(frozen=True, slots=True)
class Statement:
    """One checkable statement: ``test(decision)`` returns whether it holds and the actual
    value to report."""

    key: str
    expected: Any
    source: Where
    test: Callable[[Decision], tuple[bool, object]]
    say: Callable[[object, bool], str] | None = None


@dataclass(frozen=True, slots=True)
class Expectation:
    """The statements of one ``expect`` (``negated`` false) or ``expect_not`` (true), and the
    rules it names (a failure report shows their condition traces)."""

    statements: tuple[Statement, ...]
    negated: bool
    rules: tuple[str, ...] = ()

    def check(self, decision: Decision) -> tuple[Mismatch, ...]:
        """The statements ``decision`` contradicts, in the order the case writes them."""
        found = []
        for statement in self.statements:
            holds, actual = statement.test(decision)
            if holds == self.negated:
                found.append(
                    Mismatch(
                        statement.key,
                        statement.expected,
                        actual,
                        self.negated,
                        statement.source,
                        None if statement.say is None else statement.say(actual, self.negated),
                    )
                )
        return tuple(found)


def flow(value: object) -> str:
    """A JSON-ready value written on one line for a report (strings quoted).

    >>> flow({"kind": "page", "people": ["anna"]})
    '{"kind": "page", "people": ["anna"]}'
    >>> flow(None)
    'null'
    """
    return json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)


def compile_expectation(
    spec: ExpectInput,
    policy: Policy,
    path: KeyPath,
    where: Callable[[KeyPath], Where],
    *,
    negated: bool,
) -> Expectation:
    """The statements of ``spec`` (at key path ``path`` of a case file), with every id it
    names checked against ``policy`` and its segments (a :class:`CaseError` otherwise)."""
    ids = _Ids(policy)
    given = spec.model_fields_set
    shown_key = path[2:]  # relative to the case: cases[i] is named by the case itself
    statements: list[Statement] = []
    problems: list[CaseError] = []

    def add(
        sub: KeyPath,
        expected: object,
        test: Callable[[Decision], tuple[bool, object]],
        say: Callable[[object, bool], str] | None = None,
    ) -> None:
        statements.append(
            Statement(render_path((*shown_key, *sub)), expected, where((*path, *sub)), test, say)
        )

    def fail(message: str, sub: KeyPath, suggestion: str | None = None) -> CaseError:
        full = (*path, *sub)
        return CaseError(message, path=full, source=where(full), suggestion=suggestion)

    def check(sub: KeyPath, name: str, known: Iterable[str], what: str) -> bool:
        # Each id is checked on its own: every unknown one is reported, not the first.
        if name in known:
            return True
        problems.append(fail(f"unknown {what} {shown(name)}", sub, suggest(name, known)))
        return False

    if "segment" in given:
        segment = spec.segment
        if segment is None or check(("segment",), segment, ids.segments, "segment"):
            add(("segment",), segment, lambda d: (d.segment == segment, d.segment))
    for name, level in (spec.levels or {}).items():
        if not check(("levels", name), name, ids.paths, "path"):
            continue
        if level is not None and level not in ids.paths[name]:
            problems.append(
                fail(
                    f"path {shown(name)} has no level {shown(level)}",
                    ("levels", name),
                    suggest(level, ids.paths[name]),
                )
            )
            continue
        add(("levels", name), level, _level_test(name, level))
    rules = tuple(spec.rules or ())
    for i, rule in enumerate(rules):
        if check(("rules", i), rule, ids.rules, "rule"):
            add(("rules", i), rule, _rule_test(rule), _rule_says(rule))
    for key, patterns, missed, says in (
        ("actions", spec.actions, False, _action_says),
        ("missed", spec.missed, True, _missed_says),
    ):
        for i, pattern in enumerate(patterns or ()):
            try:
                _check_action_ids(pattern, ids, (key, i), fail)
            except CaseError as exc:
                problems.append(exc)
                continue
            add(
                (key, i),
                pattern.model_dump(exclude_unset=True),
                _action_test(pattern, missed=missed),
                says,
            )
    for name, fields in (spec.clocks or {}).items():
        if not check(("clocks", name), name, ids.clocks, "clock"):
            continue
        if fields is None:
            add(("clocks", name), None, _clock_absent_test(name))
        elif negated:
            add(
                ("clocks", name),
                fields.model_dump(exclude_unset=True),
                _clock_test(name, fields, tuple(fields.model_fields_set)),
            )
        else:
            for field in sorted(fields.model_fields_set, key=list(ClockPattern.model_fields).index):
                add(
                    ("clocks", name, field),
                    getattr(fields, field),
                    _clock_test(name, fields, (field,)),
                )
    if "next_evaluation_at" in given:
        text = spec.next_evaluation_at
        at = None if text is None else read_instant(text)
        add(
            ("next_evaluation_at",),
            None if at is None else iso(at),
            lambda d: (d.next_evaluation_at == at, iso(d.next_evaluation_at)),
        )
    if spec.no_actions:
        add(
            ("no_actions",),
            True,
            lambda d: (not d.actions, [describe(a) for a in d.actions]),
            _no_actions_says,
        )
    if problems:
        raise problems[0] if len(problems) == 1 else CaseErrors(in_line_order(problems))
    return Expectation(tuple(statements), negated, rules)


def in_line_order(errors: Iterable[CaseError]) -> list[CaseError]:
    """``errors`` sorted by where they stand (line, then column; an unplaced one first)."""
    return sorted(errors, key=lambda e: (0, 0) if e.source is None else e.source[1:])


def _rule_says(rule: str) -> Callable[[object, bool], str]:
    def say(actual: object, negated: bool) -> str:
        wanted = "not to match" if negated else "to match"
        found = f"status {actual}" if actual in _STATUSES else str(actual)
        return f"rule {rule}: expected {wanted}, {found}"

    return say


def _action_says(actual: object, negated: bool) -> str:
    assert isinstance(actual, list)
    got = f"got {flow(actual)}" if actual else "none is due"
    return f"expected {'no' if negated else 'a'} due action like this, {got}"


def _missed_says(actual: object, negated: bool) -> str:
    assert isinstance(actual, list)
    got = f"got {flow(actual)}" if actual else "none is missed"
    return f"expected {'no' if negated else 'a'} missed action like this, {got}"


def _no_actions_says(actual: object, negated: bool) -> str:
    if negated:
        return "expected some due action, none is due"
    assert isinstance(actual, list)
    return f"expected no due action, got {len(actual)}: {flow(actual)}"


def describe(action: Action) -> dict[str, Any]:
    """A due action as a report shows it: what an action pattern can name."""
    details = action.details
    out: dict[str, Any] = {"kind": action.kind, "source": action.source}
    for key in ("path", "level"):
        if details.get(key) is not None:
            out[key] = details[key]
    out["due_at"] = iso(action.due_at)
    out["late"] = action.late
    out["targets"] = list(action.targets)
    if action.people:
        out["people"] = list(action.people)
    out["id"] = action.id
    return out


class _Ids:
    """The ids a case may name: those of the policy and of every segment of it."""

    def __init__(self, policy: Policy) -> None:
        variants: list[Any] = [policy, *(s.policy for s in policy.segments)]
        self.segments = {s.id for s in policy.segments}
        self.rules = {r.id for v in variants for r in v.rules}
        self.clocks: dict[str, set[str]] = {}
        for variant in variants:
            for clock in variant.clocks:
                self.clocks.setdefault(clock.name, set()).update(r.text for r in clock.ladder)
        self.people = {p for v in variants for p in v.directory.people}
        self.paths: dict[str, set[str]] = {}
        for variant in variants:
            for p in variant.paths:
                self.paths.setdefault(p.name, set()).update(level.name for level in p.levels)
        self.levels = {level for levels in self.paths.values() for level in levels}
        self.audiences = {a.name for v in variants for a in v.audiences}
        self.vendors = {d.id for v in variants for d in v.vendors}
        # Post-mortem thresholds: those of action items and those of the document.
        self.item_rungs: set[str] = set()
        self.document_rungs: set[str] = set()
        for variant in variants:
            if variant.postmortem is not None:
                self.item_rungs.update(r.text for r in variant.postmortem.items.ladder)
                self.document_rungs.update(r.text for r in variant.postmortem.document.ladder)


def _check_action_ids(
    pattern: ActionPattern,
    ids: _Ids,
    at: KeyPath,
    fail: Callable[[str, KeyPath, str | None], CaseError],
) -> None:
    """What an action pattern names exists: its path and level (in the policy or a segment),
    the rule, clock and rung or path of its ``source``, its people in the directory, and its
    ``details`` keys (and ``path``, ``level``) among those its ``kind`` carries. A pattern
    naming what no action can show would pass in ``expect_not`` for ever."""
    if pattern.path is not None and pattern.path not in ids.paths:
        raise fail(
            f"unknown path {shown(pattern.path)}", (*at, "path"), suggest(pattern.path, ids.paths)
        )
    if pattern.level is not None:
        levels = ids.paths[pattern.path] if pattern.path is not None else ids.levels
        if pattern.level not in levels:
            raise fail(
                f"unknown level {shown(pattern.level)}",
                (*at, "level"),
                suggest(pattern.level, levels),
            )
    if pattern.source is not None:
        _check_source(pattern.source, ids, (*at, "source"), fail)
    for i, person in enumerate(pattern.people or ()):
        if person not in ids.people:
            raise fail(
                f"unknown person {shown(person)} (not in the directory)",
                (*at, "people", i),
                suggest(person, ids.people),
            )
    if pattern.kind is not None:
        carried = ACTION_DETAILS[pattern.kind]
        for key in ("path", "level"):
            if getattr(pattern, key) is not None and key not in carried:
                raise fail(f"{pattern.kind} actions have no {key}", (*at, key), None)
        for key in pattern.details or {}:
            if key not in carried:
                has = f"they have {', '.join(carried)}" if carried else "they have none"
                raise fail(
                    f"{shown(key)} is not a detail of {pattern.kind} actions ({has})",
                    (*at, "details", key),
                    suggest(key, carried),
                )
    else:
        every = {key for keys in ACTION_DETAILS.values() for key in keys}
        for key in pattern.details or {}:
            if key not in every:
                raise fail(
                    f"no action's details have {shown(key)}",
                    (*at, "details", key),
                    suggest(key, every),
                )


def _check_source(
    source: str,
    ids: _Ids,
    at: KeyPath,
    fail: Callable[[str, KeyPath, str | None], CaseError],
) -> None:
    """``source`` is ``rule:<id>``, ``clock:<name>@<rung>``, ``path:<name>``,
    ``audience:<name>``, ``vendor:<id>`` or ``postmortem:<item>@<rung>`` naming a rule, a
    clock and one of its rungs, a path, an audience with an update cadence, a vendor contract
    or a post-mortem threshold of the policy (or ``status-pages:on_resolve``)."""
    kind, _, name = source.partition(":")
    if source == "status-pages:on_resolve":
        return  # the status-page update of an ended ticket (docs/notifications.md)
    if kind == "rule":
        if name not in ids.rules:
            raise fail(f"unknown rule {shown(name)}", at, _prefixed("rule:", name, ids.rules))
    elif kind == "path":
        if name not in ids.paths:
            raise fail(f"unknown path {shown(name)}", at, _prefixed("path:", name, ids.paths))
    elif kind == "audience":
        if name not in ids.audiences:
            raise fail(
                f"no audience {shown(name)} with an update cadence",
                at,
                _prefixed("audience:", name, ids.audiences),
            )
    elif kind == "vendor":
        if name not in ids.vendors:
            raise fail(f"unknown vendor {shown(name)}", at, _prefixed("vendor:", name, ids.vendors))
    elif kind == "postmortem" and "@" in name:
        # postmortem:<item>@<rung>: the item comes from the ticket, the rung from the policy
        item, _, rung = name.partition("@")
        rungs = ids.document_rungs if item == "document" else ids.item_rungs
        if rung not in rungs:
            what = "document_escalation" if item == "document" else "escalation"
            listed = ", ".join(sorted(rungs)) if rungs else "none"
            raise fail(
                f"postmortem.{what} has no threshold {shown(rung)} (thresholds: {listed})",
                at,
                _prefixed(f"postmortem:{item}@", rung, rungs),
            )
    elif kind == "clock" and "@" in name:
        clock, _, rung = name.partition("@")
        if clock not in ids.clocks:
            raise fail(
                f"unknown clock {shown(clock)}",
                at,
                _prefixed("clock:", clock, ids.clocks, f"@{rung}"),
            )
        rungs = ids.clocks[clock]
        if rung not in rungs:
            listed = ", ".join(sorted(rungs)) if rungs else "none"
            raise fail(
                f"clock {shown(clock)} has no rung {shown(rung)} (rungs: {listed})",
                at,
                _prefixed(f"clock:{clock}@", rung, rungs),
            )
    else:
        raise fail(
            "a source is rule:<id>, clock:<name>@<rung>, path:<name> or audience:<name> "
            "(vendor:<id> for a vendor contact, postmortem:<item>@<rung> for a post-mortem "
            "threshold), got "
            f"{shown(source)}",
            at,
            None,
        )


def _prefixed(prefix: str, word: str, choices: Iterable[str], suffix: str = "") -> str | None:
    """The "did you mean" of a source: the nearest of ``choices``, written as a source."""
    near = suggest(word, choices)
    return None if near is None else f"{prefix}{near}{suffix}"


def _level_test(name: str, level: str | None) -> Callable[[Decision], tuple[bool, object]]:
    def test(decision: Decision) -> tuple[bool, object]:
        state = decision.paths.get(name)
        actual = state.level_name if state is not None and state.active else None
        return actual == level, actual

    return test


def _rule_test(rule: str) -> Callable[[Decision], tuple[bool, object]]:
    def test(decision: Decision) -> tuple[bool, object]:
        for result in decision.rule_results:
            if result.rule.id == rule:
                return result.status in MATCHING, result.status
        return False, f"not in segment {decision.segment}"

    return test


def _action_test(
    pattern: ActionPattern, *, missed: bool = False
) -> Callable[[Decision], tuple[bool, object]]:
    def test(decision: Decision) -> tuple[bool, object]:
        actions = decision.missed if missed else decision.actions
        return any(_matches(pattern, a) for a in actions), [describe(a) for a in actions]

    return test


def _matches(pattern: ActionPattern, action: Action) -> bool:
    for key in ("kind", "id", "source", "late"):
        wanted = getattr(pattern, key)
        if wanted is not None and getattr(action, key) != wanted:
            return False
    for key in ("path", "level"):
        wanted = getattr(pattern, key)
        if wanted is not None and action.details.get(key) != wanted:
            return False
    if pattern.due_at is not None and action.due_at != read_instant(pattern.due_at):
        return False
    if pattern.targets is not None and not set(pattern.targets) <= set(action.targets):
        return False
    if pattern.people is not None and not set(pattern.people) <= set(action.people):
        return False
    if pattern.details is not None:
        details = thaw(action.details)
        missing = object()
        for key, value in pattern.details.items():
            if details.get(key, missing) != value:
                return False
    return True


def _clock_absent_test(name: str) -> Callable[[Decision], tuple[bool, object]]:
    def test(decision: Decision) -> tuple[bool, object]:
        state = decision.clocks.get(name)
        return state is None, None if state is None else f"applies ({state.state})"

    return test


def _clock_test(
    name: str, pattern: ClockPattern, fields: Sequence[str]
) -> Callable[[Decision], tuple[bool, object]]:
    def test(decision: Decision) -> tuple[bool, object]:
        state = decision.clocks.get(name)
        if state is None:
            return False, "does not apply"
        actual = state.to_dict()
        shown_actual = {f: actual[f] for f in fields}
        holds = all(_same(f, getattr(pattern, f), actual[f]) for f in fields)
        return holds, shown_actual if len(fields) > 1 else shown_actual[fields[0]]

    return test


def _same(field: str, expected: object, actual: object) -> bool:
    """Whether a clock field's expected value equals the decision's, compared by meaning."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if field in _INSTANT_FIELDS:
        assert isinstance(expected, str) and isinstance(actual, str)
        return read_instant(expected) == read_instant(actual)
    if field in _DURATION_FIELDS:
        assert isinstance(expected, str) and isinstance(actual, str)
        return printed_duration(expected) == printed_duration(actual)
    if field == "percent":
        assert isinstance(actual, str)
        return Decimal(str(expected).removesuffix("%")) == Decimal(actual)
    return expected == actual
