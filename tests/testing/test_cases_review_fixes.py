"""Review fixes for case files: keys that state nothing and values out of range are load
errors at file:line:col; one policy named two ways is one coverage report; ``-k`` nesting
is bounded and long chains match without recursion."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalate.cli import main
from escalate.errors import CaseError
from escalate.schemas import json_schema
from escalate.testing.cases import load_cases
from escalate.testing.keywords import MAX_DEPTH, ExpressionError, Keywords
from tests.testing.case_helpers import P1, write_cases


def error_of(path: Path) -> str:
    with pytest.raises(CaseError) as info:
        load_cases(path)
    return str(info.value)


def place_of(text: str) -> tuple[str, str]:
    """``(file:line, key path)`` of a load error's ``file:line:col: key: message``."""
    where, key = text.split(": ")[:2]
    return where.rsplit(":", 1)[0], key


def one_case(tmp_path: Path, expectations: str) -> Path:
    """A case file of one case on INC0010001 with ``expectations`` (its expect keys)."""
    return write_cases(tmp_path, f"cases:\n  - name: c\n    ticket: {P1}\n    {expectations}\n")


# -- keys that state nothing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expectations", "key", "message"),
    [
        ("expect: {levels: {}}", "expect.levels", "'levels' needs at least one statement"),
        ("expect: {rules: []}", "expect.rules", "'rules' needs at least one statement"),
        ("expect: {actions: []}", "expect.actions", "'actions' needs at least one statement"),
        ("expect: {clocks: {}}", "expect.clocks", "'clocks' needs at least one statement"),
        ("expect: {rules: null}", "expect.rules", "'rules' needs at least one statement"),
        ("expect: {no_actions: null}", "expect.no_actions", "'no_actions' is true or left out"),
        (
            "expect: {clocks: {resolution: {}}}",
            "expect.clocks.resolution",
            "a clock pattern needs at least one field",
        ),
        (
            "expect_not: {clocks: {resolution: {}}}",
            "expect_not.clocks.resolution",
            "a clock pattern needs at least one field",
        ),
        ("expect_not: {levels: {}, rules: []}", "expect_not.levels", "needs at least one"),
        (
            "expect: {actions: [{}]}",
            "expect.actions[0]",
            "an action pattern needs at least one key",
        ),
        (
            "expect: {actions: [{targets: []}]}",
            "expect.actions[0].targets",
            "'targets' needs at least one item: an empty subset matches every action",
        ),
        (
            "expect: {actions: [{people: []}]}",
            "expect.actions[0].people",
            "'people' needs at least one item",
        ),
        (
            "expect: {actions: [{details: {}}]}",
            "expect.actions[0].details",
            "'details' needs at least one item",
        ),
        (
            "expect: {actions: [{kind: notify, late: null}]}",
            "expect.actions[0].late",
            "'late' null matches every action",
        ),
    ],
)
def test_a_key_that_states_nothing_is_a_load_error_at_its_place(
    tmp_path: Path, expectations: str, key: str, message: str
) -> None:
    # Each of these used to load and pass against any decision (or crash in expect_not).
    path = one_case(tmp_path, expectations)
    text = error_of(path)
    assert (f"{path}:8", f"cases[0].{key}") == place_of(text)
    assert message in text


def test_null_that_states_something_still_loads(tmp_path: Path) -> None:
    path = one_case(
        tmp_path,
        "expect: {levels: {network-team: null}, clocks: {response: null, "
        "resolution: {stopped_at: null}}, segment: null, next_evaluation_at: null}",
    )
    assert 1 == len(load_cases(path).cases)


# -- values out of range --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expectations", "key", "message"),
    [
        (
            "expect: {clocks: {resolution: {elapsed: 999999999999w}}}",
            "expect.clocks.resolution.elapsed",
            "duration '999999999999w' is longer than any a decision prints",
        ),
        (
            "expect_not: {clocks: {resolution: {remaining: -999999999999d}}}",
            "expect_not.clocks.resolution.remaining",
            "is longer than any a decision prints",
        ),
        (
            "expect: {clocks: {resolution: {breach_at: '2024-13-01T00:00Z'}}}",
            "expect.clocks.resolution.breach_at",
            "not a real date and time: '2024-13-01T00:00Z'",
        ),
        (
            "expect: {next_evaluation_at: '0001-01-01T00:00:00+14:00'}",
            "expect.next_evaluation_at",
            "'0001-01-01T00:00:00+14:00' is out of range: escalate computes with instants from",
        ),
        (
            "expect: {clocks: {resolution: {started_at: '9999-12-31T23:59:59-14:00'}}}",
            "expect.clocks.resolution.started_at",
            "is out of range",
        ),
    ],
)
def test_a_value_out_of_range_is_a_load_error_at_its_place(
    tmp_path: Path, expectations: str, key: str, message: str
) -> None:
    # The first two used to raise OverflowError out of run_case; the third compared as
    # "no instant" and the fourth was an internal OverflowError when the file was read.
    path = one_case(tmp_path, expectations)
    text = error_of(path)
    assert (f"{path}:8", f"cases[0].{key}") == place_of(text)
    assert message in text


def test_a_now_out_of_range_is_a_load_error(tmp_path: Path) -> None:
    path = one_case(tmp_path, "now: '9999-12-31T23:59:59-14:00'\n    expect: {no_actions: true}")
    text = error_of(path)
    assert (f"{path}:8", "cases[0].now") == place_of(text)
    assert "'9999-12-31T23:59:59-14:00' is out of range" in text


def test_a_step_after_leading_out_of_range_is_a_load_error(tmp_path: Path) -> None:
    path = write_cases(
        tmp_path,
        f"""\
        cases:
          - name: late
            ticket: {P1}
            timeline:
              - {{at: "9999-12-29T00:00:00Z", expect: {{no_actions: true}}}}
              - {{after: 2d, expect: {{no_actions: true}}}}
        """,
    )
    text = error_of(path)
    assert (f"{path}:10", "cases[0].timeline[1].after") == place_of(text)
    assert "case 'late': 2d after 9999-12-29T00:00:00+00:00 is out of range" in text


# -- one policy named two ways --------------------------------------------------------------------

POLICY = """\
policy: p
version: 1
clocks:
  response:
    start: {event: created}
    stop: {event: acknowledged}
    targets: {default: {within: 4h}}
    ladder:
      - {at: 50%, notify: {to: [assignee]}}
      - {at: 100%, notify: {to: [assignment-group]}}
rules:
  - id: p1
    when: {priority: P1}
    then: {notify: {to: [assignee]}}
    rationale: x
"""
CASE = """\
policy: {policy}
cases:
  - name: {name}
    now: "{now}"
    ticket: {{id: T1, opened_at: "2024-11-20T14:00:00Z", status: new, priority: {priority},
             events: [{{at: "2024-11-20T14:00:00Z", type: created}}]}}
    expect: {expect}
"""


def test_a_policy_named_with_and_without_yaml_is_one_coverage_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p.yaml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "a.cases.yaml").write_text(
        CASE.format(
            policy="p.yaml",
            name="rule",
            now="2024-11-20T14:10:00Z",
            priority="P1",
            expect="{rules: [p1]}",
        ),
        encoding="utf-8",
    )
    (tmp_path / "b.cases.yaml").write_text(
        CASE.format(
            policy="p",
            name="rungs",
            now="2024-11-20T18:10:00Z",
            priority="P3",
            expect="{clocks: {response: {breached: true}}}",
        ),
        encoding="utf-8",
    )
    assert str(tmp_path / "p.yaml") == load_cases(tmp_path / "b.cases.yaml").policy_path
    code = main(["test", str(tmp_path), "--fail-under", "100"])
    out = capsys.readouterr().out
    # Keyed by the file read, the two files' cases add up to one report (was two: 33 and 66 %).
    assert (0, 1) == (code, out.count("coverage of p "))
    assert f"coverage of p ({tmp_path}/p.yaml): 100.0% (3/3 items:" in out


# -- -k nesting and chains ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["(" * 3000 + "a" + ")" * 3000, "not " * 3000 + "a", "(" * (MAX_DEPTH + 1) + "a" + ")" * 101],
)
def test_nesting_deeper_than_the_limit_is_an_expression_error(text: str) -> None:
    with pytest.raises(ExpressionError, match=f"nest deeper than {MAX_DEPTH} at column"):
        Keywords.parse(text)


def test_nesting_up_to_the_limit_and_long_chains_match() -> None:
    assert [True, False, True, True] == [
        Keywords.parse("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH).matches("a"),
        Keywords.parse("not " * (MAX_DEPTH - 1) + "a").matches("a"),
        Keywords.parse(" and ".join(["a"] * 20000)).matches("a"),
        Keywords.parse(" or ".join(["x"] * 20000 + ["a"])).matches("a"),
    ]


WORDS = st.sampled_from(["p1", "vip", "matrix", "2"])


def expressions(depth: int = 6) -> st.SearchStrategy[str]:
    return st.recursive(
        WORDS,
        lambda inner: st.one_of(
            st.builds("not {}".format, inner),
            st.builds("({})".format, inner),
            st.builds("{} and {}".format, inner, inner),
            st.builds("{} or {}".format, inner, inner),
        ),
        max_leaves=depth,
    )


@given(expressions(), st.sampled_from(["p1-vip", "P1-matrix[2]", "p2", "vip-matrix"]))
def test_an_expression_selects_as_python_reads_the_same_words(text: str, name: str) -> None:
    # Python's not/and/or bind as -k's do; a word stands for "the name contains it".
    python = re.sub(r"[a-z0-9]+", lambda m: repr(m.group()) + " in n", text)
    python = python.replace("'not' in n", "not").replace("'and' in n", "and")
    python = python.replace("'or' in n", "or")
    assert eval(python, {}, {"n": name.lower()}) == Keywords.parse(text).matches(name)


def test_the_case_schema_refuses_keys_that_state_nothing() -> None:
    validator = jsonschema.Draft202012Validator(json_schema("cases"))
    empty = [
        {"levels": {}},
        {"rules": []},
        {"rules": None},
        {"clocks": {"resolution": {}}},
        {"actions": [{}]},
        {"actions": [{"targets": []}]},
        {"actions": [{"kind": None}]},
    ]
    counts = [
        len(list(validator.iter_errors({"cases": [{"name": "a", "expect": e}]}))) for e in empty
    ]
    assert 0 not in counts
    fine = {"levels": {"service-desk": None}, "clocks": {"response": None}, "segment": None}
    assert [] == list(validator.iter_errors({"cases": [{"name": "a", "expect": fine}]}))
