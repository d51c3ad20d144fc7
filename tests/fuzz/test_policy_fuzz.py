"""Mutated policies: whatever a policy file says, loading and evaluating it raises nothing but
``EscalateError``, and a policy that loads decides deterministically.

The seeds are valid policies (the shipped ``rules/itil-default.yaml`` pack and two small ones
that touch every compiled part); each example replaces, damages, deletes, renames or duplicates
up to three nodes of the parsed YAML tree with hostile values (NaN, 5,000-digit integers, edge
instants, control, bidi and escape characters, lone surrogates, non-ASCII digits, hostile
regular expressions, deep nesting, wrong types) and dumps it back to YAML.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from escalate.engine.compiled import Policy
from escalate.errors import EscalateError, PolicyError
from escalate.policy.lint import lint
from escalate.policy.loader import load, loads
from tests.fuzz.hostile import (
    DIGIT_SETS,
    HOSTILE_REGEXES,
    LATER,
    SEED_TEXTS,
    SEED_TICKETS,
    SEED_TREES,
    T0,
    Mutated,
    default_recursion_limit,
    dump_yaml,
    failure,
    get_at,
    last_instant,
    mutated_trees,
    node_paths,
    render_path,
    seed_ticket,
    show,
)

SMALL = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PACK = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class PolicyCase:
    """A mutated seed policy: its YAML text, and a short ``repr`` (seed and mutation log)."""

    def __init__(self, seed: str, mutated: Mutated, as_bytes: bool) -> None:
        self.seed = seed
        self.log = tuple(mutated.log)
        self.text = dump_yaml(mutated.tree)
        self.as_bytes = as_bytes

    def source(self) -> str | bytes:
        return self.text.encode("utf-8") if self.as_bytes else self.text

    def __repr__(self) -> str:
        kind = "bytes" if self.as_bytes else "str"
        return f"PolicyCase(seed={self.seed!r}, as={kind}, mutations={list(self.log)!r})"


def _regex_mutation(draw: st.DrawFn, out: Mutated) -> bool:
    """Put a hostile regular expression into a ``matches:`` condition, if the tree has one."""
    spots = [p for p in node_paths(out.tree) if p and p[-1] == "matches"]
    if not spots:
        return False
    path = draw(st.sampled_from(spots))
    regex = draw(st.sampled_from(HOSTILE_REGEXES))
    get_at(out.tree, path[:-1])["matches"] = regex
    out.log.append(f"set {render_path(path)}: -> {show(regex, 60)}")
    return True


@st.composite
def policy_cases(draw: st.DrawFn, seeds: tuple[str, ...]) -> PolicyCase:
    seed = draw(st.sampled_from(seeds))
    mutated = draw(mutated_trees(SEED_TREES[seed], raw_yaml=True, extra=_regex_mutation))
    return PolicyCase(seed, mutated, draw(st.booleans()))


def _reject_constant(name: str) -> object:
    raise ValueError(f"non-standard JSON constant {name}")


def _decide(policy: Policy, ticket: dict[str, Any], now: datetime, case: object) -> tuple[str, ...]:
    """``("decision", json, explanation)`` or ``("error", type, message)``; any other exception
    fails the test, naming the ticket, ``now`` and the mutated policy."""
    try:
        decision = policy.evaluate(ticket, now=now)
        return ("decision", decision.to_json(), decision.explain(full=True))
    except EscalateError as exc:
        return ("error", type(exc).__name__, str(exc))
    except Exception as exc:
        what = f"evaluate(ticket {ticket['id']!r}, now={now.isoformat()}): a foreign exception"
        raise AssertionError(failure(what, case, exc)) from exc


def check_policy_case(case: PolicyCase) -> None:
    """The properties of one mutated policy (see the module docstring)."""
    with default_recursion_limit():
        _check_policy_case(case)


def _check_policy_case(case: PolicyCase) -> None:
    try:
        policy = loads(case.source(), filename="fuzz.yaml")
    except EscalateError:
        return
    except Exception as exc:
        raise AssertionError(failure("loads() let a foreign exception escape", case, exc)) from exc
    again = loads(case.source(), filename="fuzz.yaml")
    assert policy.content_hash == again.content_hash, (
        f"two loads hash differently\n  input: {case!r}"
    )
    try:
        lint(policy, as_of=T0, horizon=timedelta(days=14))
    except EscalateError:
        pass
    except Exception as exc:
        raise AssertionError(failure("lint() let a foreign exception escape", case, exc)) from exc
    for name in SEED_TICKETS[case.seed]:
        ticket = seed_ticket(name)
        for later in LATER:
            now = last_instant(ticket) + later
            first = _decide(policy, ticket, now, case)
            assert first == _decide(again, ticket, now, case), (
                f"two evaluations of ticket {name!r} at {now.isoformat()} differ\n  input: {case!r}"
            )
            if first[0] == "decision":
                try:
                    json.loads(first[1], parse_constant=_reject_constant)
                except ValueError as exc:
                    raise AssertionError(
                        failure(f"decision JSON of {name!r} is not standard JSON", case, exc)
                    ) from exc


def policy_case_with(seed: str, path: tuple[Any, ...], value: object) -> PolicyCase:
    """A seed with one node set: an explicit example, logged like a drawn one."""
    tree = copy.deepcopy(SEED_TREES[seed])
    get_at(tree, path[:-1])[path[-1]] = value
    return PolicyCase(
        seed, Mutated(tree, [f"set {render_path(path)}: -> {show(value, 60)}"]), False
    )


@SMALL
@example(
    case=policy_case_with("small-clocks", ("calendars", "office", "timezone"), "a/" * 400 + "b")
)
@example(case=policy_case_with("small-oncall", ("schedules", "rota", "timezone"), "a/" * 400 + "b"))
@given(case=policy_cases(("small-clocks", "small-oncall")))
def test_a_mutated_small_policy_loads_and_decides_or_raises_an_escalate_error(
    case: PolicyCase,
) -> None:
    check_policy_case(case)


@PACK
@given(case=policy_cases(("itil-default",)))
def test_a_mutated_pack_loads_and_decides_or_raises_an_escalate_error(case: PolicyCase) -> None:
    check_policy_case(case)


# --------------------------------------------------------------------------------------------
# Silent acceptance: numbers that are not what they look like
# --------------------------------------------------------------------------------------------

#: Keys whose string values are durations, percentages or clock times.
_NUMERIC_TEXT_KEYS = {
    "within",
    "after",
    "ack_timeout",
    "ack_within",
    "at",
    "turn",
    "handoff",
    "contact_max_age",
    "time",
}


def _numeric_text_paths(seed: str) -> list[tuple[Any, ...]]:
    tree = SEED_TREES[seed]
    out = []
    for path in node_paths(tree):
        value = get_at(tree, path)
        if not isinstance(value, str) or not re.search(r"[0-9]", value):
            continue
        keyed = path and path[-1] in _NUMERIC_TEXT_KEYS
        in_hours = any(part in ("hours", "restrictions") for part in path if isinstance(part, str))
        if keyed or in_hours:
            out.append(path)
    return out


NUMERIC_TEXTS = [(seed, path) for seed in SEED_TREES for path in _numeric_text_paths(seed)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(
    spot=("small-clocks", ("clocks", "response", "targets", "P1", "within")), digits="٠١٢٣٤٥٦٧٨٩"
)
@given(spot=st.sampled_from(NUMERIC_TEXTS), digits=st.sampled_from(DIGIT_SETS))
def test_a_duration_percentage_or_clock_time_in_non_ascii_digits_is_a_policy_error(
    spot: tuple[str, tuple[Any, ...]], digits: str
) -> None:
    seed, path = spot
    tree = copy.deepcopy(SEED_TREES[seed])
    old = get_at(tree, path)
    new = "".join(digits[int(c)] if c in "0123456789" else c for c in old)
    get_at(tree, path[:-1])[path[-1]] = new
    try:
        loads(dump_yaml(tree))
    except PolicyError:
        return
    raise AssertionError(f"{seed}: {render_path(path)}: {new!r} (was {old!r}) loaded silently")


NON_FINITE = [math.nan, math.inf, -math.inf]


@pytest.mark.parametrize("number", NON_FINITE, ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize(
    "where",
    [
        ("rules", 1, "when", "clock.response.percent", "gte"),
        ("clocks", "response", "ladder", 0, "at"),
        ("version",),
        ("calendars", "office", "years", 0),
    ],
    ids=render_path,
)
def test_a_non_finite_number_in_a_condition_rung_or_header_is_a_policy_error(
    where: tuple[Any, ...], number: float
) -> None:
    tree = copy.deepcopy(SEED_TREES["small-clocks"])
    get_at(tree, where[:-1])[where[-1]] = number
    try:
        loads(dump_yaml(tree))
    except PolicyError:
        return
    except Exception as exc:
        raise AssertionError(failure("loads() let a foreign exception escape", where, exc)) from exc
    raise AssertionError(f"{render_path(where)}: {number!r} loaded silently")


@pytest.mark.parametrize("number", NON_FINITE, ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize(
    ("where", "kind", "key_path"),
    [
        (
            ("clocks", "response", "ladder", 1, "custom", "payload", "note"),
            "custom",
            ("payload", "note"),
        ),
        (("rules", 1, "then", 1, "set_flag", "value"), "set_flag", ("value",)),
    ],
    ids=["custom-payload", "set-flag-value"],
)
def test_a_non_finite_number_in_an_action_payload_is_rejected_or_kept_never_turned_into_null(
    where: tuple[Any, ...], kind: str, key_path: tuple[str, ...], number: float
) -> None:
    tree = copy.deepcopy(SEED_TREES["small-clocks"])
    get_at(tree, where[:-1])[where[-1]] = number
    try:
        policy = loads(dump_yaml(tree))
    except PolicyError:
        return
    ticket = seed_ticket("big-customer")  # P1, 15 minutes: at 14 minutes 93 % have passed
    decision = json.loads(policy.evaluate(ticket, now=T0 + timedelta(minutes=14)).to_json())
    emitted = [a["details"] for a in decision["actions"] if a["kind"] == kind]
    assert emitted, f"no {kind} action emitted: {decision['actions']}"
    value = get_at(emitted[0], key_path)
    assert value is not None, (
        f"{render_path(where)}: {number!r} loaded and came out as null in the {kind} action"
    )


# --------------------------------------------------------------------------------------------
# Policy folders: sections spread over files, one of them mutated
# --------------------------------------------------------------------------------------------

_HEADER_KEYS = ("policy", "version", "description", "pin")


@st.composite
def folder_cases(draw: st.DrawFn) -> tuple[str, list[str], dict[str, str]]:
    """A seed split into 2-3 files (each with the header, sections dealt out, rules split),
    then one file mutated. Returns the seed, the mutation log and the files' texts."""
    seed = draw(st.sampled_from(("small-clocks", "small-oncall")))
    tree = SEED_TREES[seed]
    count = draw(st.integers(2, 3))
    header = {k: v for k, v in tree.items() if k in _HEADER_KEYS}
    files: list[dict[str, Any]] = [dict(header) for _ in range(count)]
    for key, value in tree.items():
        if key in _HEADER_KEYS:
            continue
        if key == "rules":
            for rule in value:
                files[draw(st.integers(0, count - 1))].setdefault("rules", []).append(rule)
        else:
            files[draw(st.integers(0, count - 1))][key] = copy.deepcopy(value)
    victim = draw(st.integers(0, count - 1))
    mutated = draw(mutated_trees(files[victim], max_mutations=2, raw_yaml=True))
    files[victim] = mutated.tree
    log = [f"file {victim}: {entry}" for entry in mutated.log]
    names = draw(st.permutations(["a.yaml", "b.yml", "c.yaml"]))
    return seed, log, {names[i]: dump_yaml(f) for i, f in enumerate(files)}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("folder")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=folder_cases())
def test_a_policy_folder_with_a_mutated_file_loads_or_raises_an_escalate_error(
    folder: Path, case: tuple[str, list[str], dict[str, str]]
) -> None:
    seed, log, texts = case
    for old in folder.iterdir():
        old.unlink()
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    try:
        with default_recursion_limit():
            policy = load(folder)
    except EscalateError:
        return
    except Exception as exc:
        shown = f"folder of {seed} in {sorted(texts)}, mutations {log}"
        raise AssertionError(
            failure("load(folder) let a foreign exception escape", shown, exc)
        ) from exc
    ticket = seed_ticket(SEED_TICKETS[seed][0])
    _decide(policy, ticket, last_instant(ticket) + LATER[1], (seed, log))


# --------------------------------------------------------------------------------------------
# Wrong argument types at the library's entry points
# --------------------------------------------------------------------------------------------

_P = loads(SEED_TEXTS["small-clocks"])
_TICKET = seed_ticket("big-customer")
_NOW = T0 + timedelta(hours=1)


@pytest.mark.parametrize(
    "call",
    [
        lambda: loads(None),  # type: ignore[arg-type]
        lambda: loads(42),  # type: ignore[arg-type]
        lambda: loads(["policy: p"]),  # type: ignore[arg-type]
        lambda: loads(bytearray(b"policy: p\nversion: 1\n")),  # type: ignore[arg-type]
        lambda: loads("policy: p\nversion: 1\n", filename=None),  # type: ignore[arg-type]
        lambda: loads("policy: p\x00\nversion: 1\n"),
        lambda: loads("policy: p\nversion: 1\n".encode("utf-16")),
        lambda: loads(b"\xef\xbb\xbfpolicy: p\nversion: 1\n\xff"),
        lambda: load(None),  # type: ignore[arg-type]
        lambda: load(42),  # type: ignore[arg-type]
        lambda: load("rules/itil\x00default.yaml"),
        lambda: load("x" * 5000),
        lambda: load("/dev/null"),
        lambda: load("\ud800.yaml"),
        lambda: _P.evaluate(None, now=_NOW),  # type: ignore[arg-type]
        lambda: _P.evaluate([], now=_NOW),  # type: ignore[arg-type]
        lambda: _P.evaluate("T1", now=_NOW),  # type: ignore[arg-type]
        lambda: _P.evaluate(_TICKET, now=_NOW, availability="x"),  # type: ignore[arg-type]
        lambda: _P.evaluate(_TICKET, now=_NOW, availability=[]),  # type: ignore[arg-type]
        lambda: _P.evaluate(_TICKET, now=_NOW, availability={"unreachable": "alice"}),
        lambda: lint(_P, as_of="2024-11-20T10:00:00Z"),  # type: ignore[arg-type]
        lambda: lint(_P, as_of=datetime(2024, 11, 20)),
        lambda: lint(_P, as_of=_NOW, horizon=14),  # type: ignore[arg-type]
        lambda: lint(_P, as_of=_NOW, horizon=timedelta(days=-1)),
        lambda: lint(_P, as_of=_NOW, horizon=timedelta.max),
        lambda: lint(_P, as_of=datetime.max.replace(tzinfo=T0.tzinfo)),
    ],
    ids=[
        "loads-None",
        "loads-int",
        "loads-list",
        "loads-bytearray",
        "loads-filename-None",
        "loads-nul",
        "loads-utf16",
        "loads-bom-and-bad-byte",
        "load-None",
        "load-int",
        "load-nul-in-path",
        "load-overlong-path",
        "load-dev-null",
        "load-surrogate-path",
        "evaluate-None",
        "evaluate-list",
        "evaluate-str",
        "availability-str",
        "availability-list",
        "availability-unreachable-str",
        "lint-as-of-str",
        "lint-as-of-naive",
        "lint-horizon-int",
        "lint-horizon-negative",
        "lint-horizon-max",
        "lint-as-of-max",
    ],
)
def test_a_bad_argument_to_the_library_is_an_escalate_error(call: Callable[[], object]) -> None:
    try:
        call()
    except EscalateError:
        return
    except Exception as exc:
        raise AssertionError(
            failure("a foreign exception escaped", "see the test id", exc)
        ) from exc


# --------------------------------------------------------------------------------------------
# Silent acceptance: values that say nothing
# --------------------------------------------------------------------------------------------

EMPTY_VALUES = [
    (("policy",), ""),
    (("version",), ""),
    (("policy",), " "),
    (("rules", 0, "id"), ""),
    (("rules", 0, "then"), []),
    (("rules", 0, "then"), {}),
    (("rules", 1, "then", 0, "notify", "to"), []),
    (("rules", 1, "then", 0, "notify", "template"), ""),
    (("terminology", "priority", "P1"), [""]),
    (("terminology", "priority", ""), ["x"]),
    (("custom_fields", ""), "string"),
    (("calendars", "office", "hours"), {}),
    (("calendars", "office", "hours"), {"mon-fri": []}),
    (("calendars", "office", "timezone"), ""),
    (("clocks", "response", "targets"), {}),
    (("clocks", "response", "ladder", 0, "notify", "channel"), ""),
    (("paths", "desk", "levels"), []),
    (("paths", "desk", "levels", 0, "targets"), []),
    (("paths", "desk", "levels", 0, "targets", 0), "team:"),
    (("paths", "desk", "levels", 0, "name"), ""),
]


@pytest.mark.parametrize(
    ("where", "value"),
    EMPTY_VALUES,
    ids=[f"{render_path(w)}={v!r}" for w, v in EMPTY_VALUES],
)
def test_an_empty_or_meaningless_value_is_a_policy_error(
    where: tuple[Any, ...], value: object
) -> None:
    tree = copy.deepcopy(SEED_TREES["small-clocks"])
    get_at(tree, where[:-1])[where[-1]] = value
    try:
        loads(dump_yaml(tree))
    except PolicyError:
        return
    except Exception as exc:
        raise AssertionError(failure("loads() let a foreign exception escape", where, exc)) from exc
    raise AssertionError(f"{render_path(where)}: {value!r} loaded silently")
