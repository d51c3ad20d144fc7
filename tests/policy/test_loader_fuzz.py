"""Fuzzing the loader: whatever text it gets, ``loads`` compiles it or raises ``PolicyError``.

A policy file is user input. Random text and bytes, random YAML documents, and mutations of
the ``rules/itil-default.yaml`` pack (a line deleted or duplicated, two characters swapped, a
scalar replaced, a subtree replaced by random data) must never escape as ``KeyError``,
``TypeError``, ``OverflowError``, ``RecursionError``, a pydantic or YAML error, or anything
else. A mutated pack that loads must evaluate real tickets or raise an ``EscalateError``.
"""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from escalate.engine.ticket import Ticket
from escalate.errors import EscalateError, PolicyError
from escalate.policy.loader import loads
from escalate.testing import tickets as et

ROOT = Path(__file__).resolve().parents[2]
PACK_TEXT = (ROOT / "rules" / "itil-default.yaml").read_text(encoding="utf-8")
PACK_DATA = yaml.safe_load(PACK_TEXT)

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MUTATE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def compiles_or_policy_error(text: str | bytes) -> None:
    """Load ``text``; a ``PolicyError`` is a fine answer, any other exception is a bug."""
    with contextlib.suppress(PolicyError):
        loads(text)


@FUZZ
@example(text="")
@example(text="- 1")
@example(text="policy: [")
@example(text="&a [*a]")
@given(text=st.text())
def test_random_text_loads_or_raises_policy_error(text: str) -> None:
    compiles_or_policy_error(text)


@FUZZ
@example(data=b"\xff\xfe\x00")
@example(data=b"\xef\xbb\xbfpolicy: x")
@given(data=st.binary())
def test_random_bytes_load_or_raise_policy_error(data: bytes) -> None:
    compiles_or_policy_error(data)


def pack_with(old: str, new: str) -> str:
    assert old in PACK_TEXT
    return PACK_TEXT.replace(old, new, 1)


@MUTATE
@example(text=pack_with("P1: {within: 4h,", "P1: {within: 1000000000d,"))
@given(text=et.yaml_mutations(PACK_TEXT))
def test_mutated_pack_loads_or_raises_policy_error(text: str) -> None:
    compiles_or_policy_error(text)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("P1: {within: 4h,", "P1: {within: 1000000000d,"),
        ("P1: {within: 4h,", "P1: {within: 99999999999999d,"),
        ("ack_timeout: 2h", "ack_timeout: 99999999999999h"),
        ("after: 30m", "after: 1000000000d"),
        ("within: 5d", "within: 1000000000d"),
        ('"^(network|wan|lan)"', '"a{99999999999}"'),
    ],
)
def test_a_number_too_large_for_python_is_a_policy_error(old: str, new: str) -> None:
    with pytest.raises(PolicyError):
        loads(pack_with(old, new))


EXAMPLE_TICKETS = [
    Ticket.from_mapping(json.loads(path.read_text(encoding="utf-8")))
    for path in sorted((ROOT / "examples" / "tickets").glob("*.json"))
]


@MUTATE
@example(text=pack_with("after: 30m", "after: 999999999d"))
@given(text=et.yaml_mutations(PACK_TEXT))
def test_a_mutated_pack_that_loads_evaluates_or_raises_escalate_error(text: str) -> None:
    try:
        policy = loads(text)
    except PolicyError:
        # Most mutations do not load (the test above checks how); rejecting them would make
        # Hypothesis's filter health check fail on a fresh database, so they simply pass.
        return
    for ticket in EXAMPLE_TICKETS:
        for later in (timedelta(0), timedelta(hours=7)):
            with contextlib.suppress(EscalateError):
                policy.evaluate(ticket, now=et.last_instant(ticket) + later)


# --------------------------------------------------------------------------------------------
# Structured fuzzing: valid YAML whose data is wrong in deeper ways
# --------------------------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**12),
    st.floats(allow_nan=False),
    st.text(max_size=10),
    st.sampled_from(
        ("P1", "L2", "24x7", "30m", "3bd", "75%", "09:00-17:00", "mon-fri", "created", "resolved")
    ),
    st.dates(),
)
KEYS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(
        (
            "policy",
            "version",
            "clocks",
            "paths",
            "rules",
            "levels",
            "targets",
            "within",
            "calendar",
            "when",
            "then",
            "after",
            "at",
            "ladder",
            "escalate",
            "notify",
            "to",
            "path",
            "hours",
            "timezone",
            "holidays",
            "years",
            "priority",
            "status",
            "gte",
            "matches",
        )
    ),
)
DATA = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


def key_paths(data: object, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into parsed YAML data (mapping keys and list indexes)."""
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out += key_paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += key_paths(value, (*prefix, i))
    return out


PACK_PATHS = key_paths(PACK_DATA)[1:]


@st.composite
def pack_with_a_subtree_replaced(draw: st.DrawFn) -> str:
    """The pack with the value at a random key path replaced (or the key removed)."""
    data = copy.deepcopy(PACK_DATA)
    path = draw(st.sampled_from(PACK_PATHS))
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if draw(st.integers(0, 5)) == 0:
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(DATA)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@MUTATE
@given(text=pack_with_a_subtree_replaced())
def test_pack_with_wrong_data_loads_or_raises_policy_error(text: str) -> None:
    compiles_or_policy_error(text)


@FUZZ
@given(data=DATA)
def test_random_yaml_documents_load_or_raise_policy_error(data: object) -> None:
    compiles_or_policy_error(yaml.safe_dump(data, allow_unicode=True))
