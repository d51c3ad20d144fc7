"""Canonical JSON: one byte form per value, what another language writes the same way."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate import ArgumentError
from escalate.audit import canonical_bytes, canonical_text
from escalate.audit.canonical import MAX_SAFE_INTEGER
from escalate.engine.decision import iso


def test_keys_are_sorted_and_there_is_no_whitespace() -> None:
    assert '{"a":[1,2],"b":{"c":null,"d":true}}' == canonical_text(
        {"b": {"d": True, "c": None}, "a": (1, 2)}
    )


def test_non_ascii_text_is_written_as_utf8_not_escaped() -> None:
    assert '{"name":"Zoë 東京"}'.encode() == canonical_bytes({"name": "Zoë 東京"})


def test_control_characters_and_quotes_are_escaped_as_json_requires() -> None:
    assert r'"a\"b\\c\n\u0001"' == canonical_text('a"b\\c\n\x01')


def test_a_float_is_refused_naming_its_key_path() -> None:
    with pytest.raises(ArgumentError, match=r"^body\.amounts\[1\]: 2\.5 is a float"):
        canonical_text({"body": {"amounts": [1, 2.5]}})


def test_nan_is_refused_naming_its_key_path() -> None:
    with pytest.raises(ArgumentError, match=r"^x: nan is a float"):
        canonical_text({"x": float("nan")})


def test_an_integer_beyond_what_javascript_keeps_is_refused() -> None:
    assert str(MAX_SAFE_INTEGER) == canonical_text(MAX_SAFE_INTEGER)
    with pytest.raises(ArgumentError, match=r"^n: the integer 9007199254740992 is beyond"):
        canonical_text({"n": MAX_SAFE_INTEGER + 1})


def test_instants_are_written_in_utc_as_decisions_write_them() -> None:
    berlin = timezone(timedelta(hours=1))
    whole = datetime(2024, 3, 4, 9, 30, tzinfo=berlin)
    fine = datetime(2024, 3, 4, 9, 30, 0, 250, tzinfo=UTC)
    assert '["2024-03-04T08:30:00+00:00","2024-03-04T09:30:00.000250+00:00"]' == canonical_text(
        [whole, fine]
    )
    assert iso(whole) == json.loads(canonical_text(whole))


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ArgumentError, match=r"^at: the datetime 2024-03-04 09:30:00 is naive"):
        canonical_text({"at": datetime(2024, 3, 4, 9, 30)})


def test_decimals_are_written_as_their_string() -> None:
    assert '{"amount":"250.00"}' == canonical_text({"amount": Decimal("250.00")})


def test_non_string_keys_and_unknown_types_are_refused() -> None:
    with pytest.raises(ArgumentError, match=r"^a: the key 1 is a int"):
        canonical_text({"a": {1: "x"}})
    with pytest.raises(ArgumentError, match=r"^\(the value\): a set has no canonical JSON form"):
        canonical_text({1, 2})


def test_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(ArgumentError, match="lone surrogate"):
        canonical_text({"k": "\ud800"})


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(st.characters(exclude_categories=["Cs"]), max_size=5), inner, max_size=4
        )
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(JSON)
def test_canonical_json_is_what_plain_json_dumps_writes_and_reads_back_equal(value: object) -> None:
    text = canonical_text(value)
    plain = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert (plain, value) == (text, json.loads(text))
