"""The optional durable_rules matcher: a policy's rule conditions compiled into durable rulesets.

``pip install 'escalate[durable]'`` installs durable_rules (pinned to 2.0.28, the last
release; it ships C sources only and compiles at install). escalate uses its Rete core as a
stateless matcher and nothing else (docs/backends.md):

* each group of rules the rule stage matches together (rules that read path levels run after
  the paths, rules that read the post-mortem after the follow-up) becomes as few durable
  rulesets as durable's limits allow (one for every shipped pack; :data:`MAX_NODES`), named
  by the policy's content hash and segment, compiled once per matcher and kept for its
  lifetime;
* every condition is rewritten over normalised integer facts that Python computes from the
  engine's facts of now: a code per string value (durable's own string comparison misses
  non-ASCII text, and it compares ``"abc" >= 30`` as true), integers as they are (durable
  compares 64-bit integers exactly), presence flags, a clock's percent as the floor and the
  ceiling of its exact share in units of 10⁻⁸ (so ``gt``/``gte``/``lt``/``lte`` against a
  percent with six decimals are exact), elapsed and remaining microseconds, one flag per set
  member a rule names, a calendar's open flag, an RE2 pattern's answer (durable's own
  regular expressions are another dialect) and one flag for a list longer than :data:`WIDE`;
  ``not`` is pushed down to the comparisons, which all have exact negations;
* one fact per call under a new session id, deleted once durable has reported every rule
  that fired (deleting one earlier crashes durable 2.0.28: after a failure it is left); no
  timers,
  no actions run (the rule names durable reports are read off its action queue), a hidden
  catch-all rule so that every fact matches something; calls serialised by a lock, since the
  C core is not safe to share between threads;
* precedence, shadowing and everything else stays in the engine: durable only says which
  rules hold now.

A condition this module does not know how to rewrite exactly, or one past durable's limits
(:data:`MAX_NODES`, :data:`MAX_PATHS`, its own compile errors), is refused when the policy
is bound to the backend (:class:`~escalate.errors.PolicyError` at the condition's key path),
never approximated. The core C module is driven directly (``durable_rules_engine``): its
Python ``Host`` starts two timer threads that never stop and reads the wall clock.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from types import ModuleType
from typing import Any

from escalate.engine.conditions import OPEN, TIME, Condition, Leaf, Node
from escalate.engine.rules import PolicyView, RuleDef
from escalate.errors import (
    DurableError,
    EscalateError,
    MissingExtraError,
    PolicyError,
    render_path,
)

__all__ = ["DurableError", "DurableMatcher"]

#: A percent's share of its target, in units of 10⁻⁸: a percent with six decimal places
#: (the most a condition may write) is a whole number of them.
SCALE = 10**8
#: Shares are clamped to -1 ... CAP units: every threshold lies in 0 ... 10 (1000 %), so the
#: comparisons keep their answers.
CAP = 10 * SCALE + 1

#: The most attributes one fact may carry: durable_rules holds 254 properties in a fact
#: (more fails with its error 302), three of which are the session id, durable's ``id`` and the
#: mark every escalate fact carries.
MAX_ATTRIBUTES = 251

#: The most comparisons one ruleset holds (the nodes of durable_rules' alpha network, the
#: shared mark counting one). Matching a fact walks the network on a stack of 64 nodes: past
#: it durable fails with its error 303, a ruleset of some 510 nodes fills its hash table and it
#: spins for ever (holding the GIL). With at most 56 nodes in a ruleset neither can happen,
#: whatever the fact.
MAX_NODES = 56
#: The most ways one rule may hold on one fact (a comparison one, ``$or`` the sum of its
#: branches', ``$and`` the product of its parts'): durable_rules fires a rule once per way
#: that holds (an ``all:`` of n two-way ``any:``s that all hold fires it 2ⁿ times), so the
#: work and memory of one fact grow with them. Past this a rule is refused at bind.
MAX_PATHS = 64
#: ``in`` / ``not_in`` / ``any_of`` / ``none_of`` lists longer than this are sent as one flag
#: computed in Python (is the value one of them) rather than one comparison per member.
WIDE = 4

Extract = Callable[[Mapping[str, Any]], int]
Json = dict[str, Any]

_MARK = "esc"  # every fact carries esc: 1; durable's own session record does not
_CATCH = "catch"


def _engine() -> ModuleType:
    try:
        import durable_rules_engine  # type: ignore[import-not-found]  # optional, untyped
    except ImportError:
        raise MissingExtraError(
            "the durable backend needs durable_rules: pip install 'escalate[durable]' "
            "(it compiles C at install: a C compiler and the Python headers are needed)"
        ) from None
    engine: ModuleType = durable_rules_engine
    return engine


class DurableMatcher:
    """Matches rules with durable_rules. Safe to share between threads; keeps one compiled
    ruleset per group of rules of each policy it has seen (never dropped: durable cannot free
    a ruleset safely), so keep one matcher for a process, not one per call."""

    name = "durable"

    def __init__(self) -> None:
        self._engine = _engine()
        self._lock = threading.Lock()
        self._rulesets: dict[tuple[str, str | None, tuple[str, ...]], tuple[_Ruleset, ...]] = {}
        self._sessions = itertools.count()

    def __repr__(self) -> str:
        rulesets = sum(len(chunks) for chunks in self._rulesets.values())
        return f"<DurableMatcher groups={len(self._rulesets)} rulesets={rulesets}>"

    def __reduce__(self) -> tuple[type[DurableMatcher], tuple[()]]:
        return (DurableMatcher, ())  # compiled rulesets are C handles: compile them again

    def prepare(self, policy: PolicyView) -> None:
        """Compile every group of ``policy``'s rules now, so that a condition durable cannot
        match is a :class:`~escalate.errors.PolicyError` at binding, not at evaluation."""
        for rules in _groups(policy.rules):
            self._rulesets_of(policy, rules)

    def matching(
        self, policy: PolicyView, rules: Sequence[RuleDef], facts: Mapping[str, Any]
    ) -> frozenset[str]:
        """The ids of the ``rules`` whose conditions hold on ``facts``, as durable finds them."""
        if not rules:
            return frozenset()
        held: set[str] = set()
        for ruleset in self._rulesets_of(policy, rules):
            held.update(self._match(policy, ruleset, facts))
        return frozenset(held)

    def _match(self, policy: PolicyView, ruleset: _Ruleset, facts: Mapping[str, Any]) -> list[str]:
        """The ids of the rules of one ruleset that durable fires on one fact of ``facts``."""
        try:
            fact: Json = {name: extract(facts) for name, extract in ruleset.attributes}
        except EscalateError:
            # A fact that cannot be computed (a calendar asked outside its years, text that
            # is not Unicode): the native conditions answer this call, raising the same error
            # where they need that fact too (they skip what a false comparison makes moot).
            return [rule.id for rule in ruleset.rules if rule.when.check(facts)]
        fact[_MARK] = 1
        engine = self._engine
        fired: list[str] = []
        undeleted: str | None = None
        with self._lock:
            sid = str(next(self._sessions))
            fact["sid"] = sid
            ran_out = False  # every action of the session taken: only then may it be deleted
            try:
                result = engine.assert_fact(ruleset.handle, json.dumps(fact))
                if result[0] != 0:  # 1: no rule matched; the catch-all rule always does
                    raise DurableError(
                        f"durable_rules did not match its catch-all rule (result {result[0]})"
                    )
                state = result[1]
                started = engine.start_action_for_state(ruleset.handle, state)
                while started:
                    fired.extend(json.loads(started[1]))
                    following = engine.complete_and_start_action(ruleset.handle, state)
                    started = (started[0], following) if following else None
                ran_out = True
            except DurableError:
                raise
            except MemoryError:
                raise DurableError(
                    f"durable_rules failed matching policy {policy.id!r}: it ran out of memory, "
                    "or its 1,024 sessions are taken by earlier calls that failed (their "
                    "sessions cannot be deleted safely; bind the policy to a new "
                    "DurableMatcher then)"
                ) from None
            except Exception as exc:  # the C core raises plain Exception("... error code: N")
                raise DurableError(
                    f"durable_rules failed matching policy {policy.id!r}: {exc!r}"
                ) from None
            finally:
                # durable_rules 2.0.28 crashes the process (a double free) deleting a session
                # whose actions were not all taken, a session no rule matched among them: after
                # a failure the session is left to durable (it holds 1,024; past that every
                # call fails with a DurableError, never a crash).
                if ran_out:
                    try:
                        engine.delete_state(ruleset.handle, sid)
                    except Exception as exc:  # said below; no error is on its way
                        undeleted = f"durable_rules could not delete session {sid}: {exc}"
        if undeleted is not None:
            raise DurableError(undeleted)
        if _CATCH not in fired:
            raise DurableError("durable_rules did not report its catch-all rule")
        return [ruleset.ids[int(name[1:])] for name in fired if name != _CATCH]

    def _rulesets_of(self, policy: PolicyView, rules: Sequence[RuleDef]) -> tuple[_Ruleset, ...]:
        # A segment's policy carries the content hash of the policy it belongs to.
        key = (policy.content_hash, policy.segment, tuple(rule.id for rule in rules))
        found = self._rulesets.get(key)
        if found is None:
            with self._lock:
                found = self._rulesets.get(key)
                if found is None:
                    found = _compile(self._engine, policy, rules)
                    self._rulesets[key] = found
        return found


def _groups(rules: Sequence[RuleDef]) -> list[tuple[RuleDef, ...]]:
    """The groups of rules the rule stage matches in one pass each, in its order."""
    groups = []
    for reads_postmortem in (False, True):
        for reads_paths in (False, True):
            group = tuple(
                r
                for r in rules
                if r.reads_paths is reads_paths and r.reads_postmortem is reads_postmortem
            )
            if group:
                groups.append(group)
    return groups


class _Ruleset:
    """One compiled durable ruleset: its handle, the rule ids by position, and the attributes
    of the fact it reads, each with the function computing it from the engine's facts."""

    __slots__ = ("attributes", "handle", "ids", "rules")

    def __init__(
        self, handle: int, rules: Sequence[RuleDef], attributes: list[tuple[str, Extract]]
    ) -> None:
        self.handle = handle
        self.rules = tuple(rules)
        self.ids = tuple(rule.id for rule in rules)
        self.attributes = tuple(attributes)


def _compile(
    engine: ModuleType, policy: PolicyView, rules: Sequence[RuleDef]
) -> tuple[_Ruleset, ...]:
    """One group of rules as durable rulesets, each holding consecutive rules: as few as
    durable_rules' limits allow (:data:`MAX_NODES` comparisons a ruleset, which also keeps a
    fact within :data:`MAX_ATTRIBUTES` and a ruleset below 256 rules)."""
    chunks: list[list[RuleDef]] = []
    nodes = 1  # the mark every rule and the catch-all test first
    for rule in rules:
        cost, paths = _Writer.cost(rule.when)
        if cost + 1 > MAX_NODES or paths > MAX_PATHS:
            what = (
                f"makes {cost} comparisons, and escalate gives durable_rules at most "
                f"{MAX_NODES - 1} in one ruleset (past some 64 reached at once it fails, past "
                "some 510 it stops answering)"
                if cost + 1 > MAX_NODES
                else f"holds in up to {paths} ways (any: lists under all:), and durable_rules "
                f"fires a rule once per way that holds; escalate allows {MAX_PATHS}"
            )
            raise PolicyError(
                f"the durable backend cannot match rule {rule.id!r}: its condition {what}; "
                "use the native backend for this policy (docs/backends.md)",
                path=rule.when.path,
            )
        if not chunks or nodes + cost > MAX_NODES:
            chunks.append([])
            nodes = 1
        chunks[-1].append(rule)
        nodes += cost
    return tuple(_compile_chunk(engine, policy, chunk) for chunk in chunks)


def _compile_chunk(engine: ModuleType, policy: PolicyView, rules: Sequence[RuleDef]) -> _Ruleset:
    writer = _Writer()
    definition: Json = {}
    for i, rule in enumerate(rules):
        condition = writer.condition(rule.when, negate=False)
        definition[f"r{i}"] = {"all": [{"m": _and([{_MARK: 1}, condition])}]}
    definition[_CATCH] = {"all": [{"m": {_MARK: 1}}]}
    ids = "\n".join(rule.id for rule in rules).encode()
    segment = "" if policy.segment is None else f"#{policy.segment}"
    name = f"{policy.content_hash}{segment}/{hashlib.sha256(ids).hexdigest()[:16]}"
    try:
        handle = engine.create_ruleset(name, json.dumps(definition, sort_keys=True))
    except Exception as exc:
        code = str(exc).rpartition("error code: ")[2]
        why = _REFUSALS.get(code, "")
        raise PolicyError(
            f"durable_rules refused the rules of policy {policy.id!r} ({exc}{why}); use the "
            "native backend for this policy (docs/backends.md)",
            path=_refused_rule(engine, definition, rules),
        ) from None
    return _Ruleset(handle, rules, writer.attributes())


#: What durable_rules' refusals of a ruleset mean (its ``rules.h``), by error code.
_REFUSALS = {
    "108": ": more than 256 rules below one comparison",
    "113": ": a condition with too many any:/all: operators for durable_rules' 32 expression "
    "slots a rule (each operator takes two; an integer or clock comparison and a short in: "
    "list are one operator each), its ERR_EXPRESSION_LIMIT_EXCEEDED",
}


def _refused_rule(
    engine: ModuleType, definition: Json, rules: Sequence[RuleDef]
) -> tuple[str | int, ...]:
    """Where durable_rules' refusal of a ruleset lies: the condition of the first rule it
    refuses alone (compiled under a throwaway name), else the policy's ``rules``."""
    for i, rule in enumerate(rules):
        alone = {"r0": definition[f"r{i}"], _CATCH: definition[_CATCH]}
        try:
            engine.create_ruleset(f"escalate-probe/{i}", json.dumps(alone, sort_keys=True))
        except Exception:
            return rule.when.path
    return ("rules",)


# -- rewriting conditions ------------------------------------------------------------------------

_FLIP = {"$gt": "$lte", "$gte": "$lt", "$lt": "$gte", "$lte": "$gt"}
_ORDERS = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}


def _comparisons(written: object) -> int:
    """The comparisons in a written condition (``{"a1": 3}``, ``{"$gt": {"a2": 0}}``)."""
    if isinstance(written, list):
        return sum(_comparisons(item) for item in written)
    if not isinstance(written, dict):
        return 0
    if "$and" in written or "$or" in written:
        return sum(_comparisons(value) for value in written.values())
    return 1


def _paths(written: Json) -> int:
    """The ways a written condition can hold: what durable_rules may fire a rule for."""
    if "$or" in written:
        return sum(_paths(part) for part in written["$or"])
    if "$and" in written:
        return math.prod(_paths(part) for part in written["$and"])
    return 1


def _and(parts: list[Json]) -> Json:
    """All of ``parts``; an ``$and`` among them is spliced in (each operator takes two of the
    32 expression slots durable_rules gives one rule)."""
    flat = [p for part in parts for p in part.get("$and", [part])]
    return flat[0] if len(flat) == 1 else {"$and": flat}


def _or(parts: list[Json]) -> Json:
    """One of ``parts``; an ``$or`` among them is spliced in."""
    flat = [p for part in parts for p in part.get("$or", [part])]
    return flat[0] if len(flat) == 1 else {"$or": flat}


def _eq(attribute: str, value: int, negate: bool) -> Json:
    return {"$neq": {attribute: value}} if negate else {attribute: value}


def _order(op: str, attribute: str, value: int, negate: bool) -> Json:
    durable_op = _ORDERS[op]
    return {_FLIP[durable_op] if negate else durable_op: {attribute: value}}


def _all(parts: list[Json], negate: bool) -> Json:
    """Every part holds (negated: one part fails); ``parts`` are already negated."""
    return _or(parts) if negate else _and(parts)


def _any(parts: list[Json], negate: bool) -> Json:
    return _and(parts) if negate else _or(parts)


class _Writer:
    """Rewrites conditions into durable's JSON over named integer attributes, collecting the
    attributes (each computed once per call however many comparisons read it)."""

    def __init__(self) -> None:
        self._names: dict[tuple[object, ...], str] = {}
        self._extracts: dict[str, Extract] = {}
        self._codes: dict[str, dict[object, int]] = {}  # fact key -> constant -> code

    @staticmethod
    def cost(condition: Condition) -> tuple[int, int]:
        """The comparisons a condition is rewritten into (each reads one attribute, so a
        ruleset of :data:`MAX_NODES` reads fewer than :data:`MAX_ATTRIBUTES`), and the ways
        it can hold (see :data:`MAX_PATHS`)."""
        written = _Writer().condition(condition, negate=False)
        return _comparisons(written), _paths(written)

    def attributes(self) -> list[tuple[str, Extract]]:
        return sorted(self._extracts.items(), key=lambda item: int(item[0][1:]))

    def _attribute(self, key: tuple[object, ...], extract: Extract) -> str:
        name = self._names.get(key)
        if name is None:
            name = f"a{len(self._names)}"
            self._names[key] = name
            self._extracts[name] = extract
        return name

    def condition(self, condition: Condition, *, negate: bool) -> Json:
        if isinstance(condition, Node):
            if condition.kind == "not":
                return self.condition(condition.children[0], negate=not negate)
            parts = [self.condition(child, negate=negate) for child in condition.children]
            return _any(parts, negate) if condition.kind == "any" else _all(parts, negate)
        return self._leaf(condition, negate)

    def _leaf(self, leaf: Leaf, negate: bool) -> Json:
        if leaf.calendar is not None:
            return _eq(self._open_flag(leaf), 1 if leaf.op == "within" else 0, negate)
        if leaf.operand is not None:  # clock.<name>.state and .breached are plain facts too
            return self._compare(leaf, leaf.operand[0], leaf.operand[1], negate)
        if leaf.op == "matches":  # clock.<name>.state matches, too
            check = leaf.check  # RE2, in Python: durable's regular expressions differ
            flag = self._attribute(("matches", leaf.field, leaf.expected), _flag_of(check))
            return _eq(flag, 1, negate)
        if leaf.field.startswith("clock."):
            return self._clock(leaf, negate)
        if leaf.op in ("contains", "any_of", "none_of"):
            members = [leaf.expected] if leaf.op == "contains" else list(leaf.expected)
            if len(members) > WIDE:  # one flag: does the set share a member with them
                wanted = frozenset(str(m) for m in members)
                flag = self._attribute(("shares", leaf.field, wanted), _shares(leaf.field, wanted))
                return _eq(flag, 0 if leaf.op == "none_of" else 1, negate)
            flags = [self._member_flag(leaf.field, str(m)) for m in members]
            if leaf.op == "none_of":
                return _all([_eq(flag, 0, negate) for flag in flags], negate)
            return _any([_eq(flag, 1, negate) for flag in flags], negate)
        raise PolicyError(
            f"the durable backend cannot match {leaf.field} {leaf.op} exactly; evaluate this "
            "policy with the native backend (docs/backends.md)",
            path=leaf.path,
        )

    def _compare(self, leaf: Leaf, key: str, constant: object, negate: bool) -> Json:
        code = self._code(key)
        if leaf.op == "exists":
            # Present: any code but -1.
            return _eq(code, -1, negate != bool(constant))
        if leaf.op in ("eq", "ne"):
            return _eq(code, self._constant(key, constant), negate == (leaf.op == "eq"))
        if leaf.op in ("in", "not_in"):
            assert isinstance(constant, frozenset)
            if len(constant) > WIDE:  # one flag: is the value one of them
                flag = self._attribute(("one-of", key, constant), _one_of(key, constant))
                return _eq(flag, 1 if leaf.op == "in" else 0, negate)
            values = sorted(self._constant(key, c) for c in constant)
            if leaf.op == "in":
                return _any([_eq(code, v, negate) for v in values], negate)
            return _all([_eq(code, v, not negate) for v in values], negate)
        if leaf.op in _ORDERS and isinstance(constant, int) and not isinstance(constant, bool):
            number = self._attribute(("number", key), _number_of(key, leaf))
            present = _eq(code, -1, not negate)
            return _all([present, _order(leaf.op, number, constant, negate)], negate)
        raise PolicyError(
            f"the durable backend cannot match {leaf.field} {leaf.op} {constant!r} exactly; "
            "evaluate this policy with the native backend (docs/backends.md)",
            path=leaf.path,
        )

    def _code(self, key: str) -> str:
        """The attribute holding a code for the value of fact ``key``: -1 when missing, the
        code of the constant it equals (from 1), 0 for any other value."""
        table = self._codes.setdefault(key, {})

        def code(facts: Mapping[str, Any]) -> int:
            value = facts.get(key)
            return -1 if value is None else table.get(value, 0)

        return self._attribute(("code", key), code)

    def _constant(self, key: str, constant: object) -> int:
        table = self._codes[key]
        found = table.get(constant)
        if found is None:
            found = table[constant] = len(table) + 1
        return found

    def _open_flag(self, leaf: Leaf) -> str:
        calendar = leaf.calendar
        assert calendar is not None

        def is_open(facts: Mapping[str, Any]) -> int:
            forced = facts.get(OPEN)
            return int(calendar.is_open(facts[TIME]) if forced is None else bool(forced))

        return self._attribute(("open", leaf.expected), is_open)

    def _member_flag(self, key: str, member: str) -> str:
        def has(facts: Mapping[str, Any]) -> int:
            return int(member in facts[key])

        return self._attribute(("member", key, member), has)

    def _clock(self, leaf: Leaf, negate: bool) -> Json:
        _, clock, part = leaf.field.split(".", 2)
        key = "clock." + clock
        applies = self._attribute(("applies", key), lambda f: int(f[key].applies))
        if leaf.op == "exists":
            return _eq(applies, 1 if leaf.expected else 0, negate)
        threshold = leaf.threshold
        op = leaf.op
        if isinstance(threshold, Fraction):
            units = threshold * SCALE
            if units.denominator != 1 or not 0 <= units <= CAP - 1:
                raise PolicyError(
                    f"the durable backend compares percents with up to six decimals from 0 to "
                    f"1000; {leaf.field} {op} {leaf.expected!r} is not one",
                    path=leaf.path,
                )
            # share > t iff ceil(share) > t; share >= t iff floor(share) >= t (t whole), and
            # the same for < and <=: two attributes make the four comparisons exact.
            rounded = "ceil" if op in ("gt", "lte") else "floor"
            value = self._attribute((rounded, key), _share_of(key, ceiling=rounded == "ceil"))
            limit = int(units)
        elif isinstance(threshold, int) and part in ("elapsed", "remaining"):
            value = self._attribute((part, key), _span_of(key, remaining=part == "remaining"))
            limit = threshold
        else:
            raise PolicyError(
                f"the durable backend cannot match {leaf.field} {op} exactly; evaluate this "
                "policy with the native backend (docs/backends.md)",
                path=leaf.path,
            )
        holds = _order(op, value, limit, negate)
        return _all([_eq(applies, 1, negate), holds], negate)


def _one_of(key: str, members: frozenset[object]) -> Extract:
    return lambda facts: int(facts.get(key) in members)


def _shares(key: str, members: frozenset[str]) -> Extract:
    return lambda facts: int(not members.isdisjoint(facts[key]))


def _flag_of(check: Callable[[Mapping[str, Any]], bool]) -> Extract:
    return lambda facts: int(check(facts))


def _number_of(key: str, leaf: Leaf) -> Extract:
    def number(facts: Mapping[str, Any]) -> int:
        value = facts.get(key)
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            raise DurableError(
                f"{leaf.field} holds {type(value).__name__} {value!r}, but "
                f"{render_path(leaf.path)} compares it as an integer"
            )
        return value

    return number


def _share_of(key: str, *, ceiling: bool) -> Extract:
    """A clock's elapsed share of its target in 10⁻⁸ units, rounded down (up), clamped to
    -1 ... CAP. A target of zero: any elapsed time is past every threshold, none is at all
    of them (the floor says "at least", the ceiling "at most", as the exact comparison of
    ``elapsed × den`` with ``num × 0`` does)."""

    def share(facts: Mapping[str, Any]) -> int:
        state = facts[key]
        if not state.applies:
            return 0
        elapsed: int = state.elapsed_us
        target: int = state.target_us
        if target <= 0:
            if elapsed > 0:
                return CAP
            if elapsed < 0:
                return -1
            return 0 if ceiling else CAP
        units = -(-elapsed * SCALE // target) if ceiling else elapsed * SCALE // target
        return max(-1, min(CAP, units))

    return share


def _span_of(key: str, *, remaining: bool) -> Extract:
    def span(facts: Mapping[str, Any]) -> int:
        state = facts[key]
        if not state.applies:
            return 0
        elapsed: int = state.elapsed_us
        target: int = state.target_us
        return target - elapsed if remaining else elapsed

    return span
