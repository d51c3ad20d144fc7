"""Hostile ServiceNow records and history rows: only EscalateError leaves the adapter.

Mutations of the fixture incident (huge and odd strings, wrong types, DST-skipped local times,
bidirectional characters, missing keys) in every display mode, read, evaluated and written
back as a PATCH body: either a ticket and a deterministic body, or an EscalateError.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate import EscalateError
from escalate.adapters import servicenow as sn
from tests.adapters.test_servicenow_table import AT, MAPPING, NAMES, OPTIONS, POLICY, _inputs


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(data, dict):
        return [prefix] + [p for k, v in data.items() for p in _paths(v, (*prefix, k))]
    if isinstance(data, list):
        return [prefix] + [p for i, v in enumerate(data) for p in _paths(v, (*prefix, i))]
    return [prefix]


def _at(data: Any, keys: tuple[Any, ...]) -> Any:
    for key in keys:
        data = data[key]
    return data


_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.text(alphabet="\u202e\u202d\u200f\u2066\u200b\x00\x1b\n[]/code", max_size=20),
    st.sampled_from(
        [
            "",
            " ",
            "?",
            "x" * 100_000,
            "[code]<b>x</b>[/code]",
            "2024-03-31 02:30:00",
            "31.03.2024 02:30:00",
            "27.10.2024 02:30:00",
            "0001-01-01 00:00:00",
            "9999-12-31 23:59:59",
            "2024-02-30 10:00:00",
            "6",
            "7",
            "-1",
            "99999999999999999999",
            "ffffffffffffffffffffffffffffffffff",
            "Resolved",
            "Second\u202eLine",
        ]
    ),
    # Built afresh per draw: a later mutation may reach inside one, and a shared st.just
    # object changed by one example would change what the next draws (FlakyStrategyDefinition).
    st.builds(dict),
    st.builds(list),
    st.builds(lambda: {"display_value": "x", "value": "y"}),
    st.builds(lambda: {"link": "https://x", "value": "y"}),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_hostile_values_raise_only_escalate_errors_and_reads_are_deterministic(
    data: st.DataObject,
) -> None:
    mode = data.draw(st.sampled_from(["false", "true", "all"]))
    record, history = _inputs(mode)
    both = {"record": record, "history": history}
    for _ in range(data.draw(st.integers(0, 3))):
        path = data.draw(st.sampled_from([p for p in _paths(both) if len(p) >= 2]))
        parent = _at(both, path[:-1])
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(_JUNK)
    arguments: dict[str, Any] = {"display_value": mode, "history": both["history"]}
    if mode == "true":
        arguments["history_table"] = "sys_history_line"
    else:
        arguments["names"] = NAMES

    def round_trip() -> str:
        given = copy.deepcopy(arguments)
        ticket = sn.read_incident(copy.deepcopy(both["record"]), MAPPING, **given)
        decision = POLICY.evaluate(ticket, now=AT + timedelta(hours=1))
        body = sn.patch_body(decision, ticket, MAPPING, OPTIONS)
        return json.dumps([ticket.to_dict(), body], sort_keys=True)

    try:
        first = round_trip()
    except EscalateError:
        return
    assert first == round_trip()


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_work_note_text_never_holds_a_code_tag_or_an_invisible_character(text: str) -> None:
    import unicodedata

    from escalate.adapters.servicenow._patch import _CODE_TAG, _plain

    shown = _plain(text)
    assert _CODE_TAG.search(shown) is None
    assert all(c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf") for c in shown)
