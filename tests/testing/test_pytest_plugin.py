"""The pytest plugin: case files become test items, in-process (pytester), with -k and -x."""

from __future__ import annotations

import pytest

from tests.testing.case_helpers import HEADER, P1

pytest_plugins = ["pytester"]

CASES = f"""\
cases:
  - name: at-l2
    ticket: {P1}
    expect: {{levels: {{service-desk: L2}}}}
  - name: at-l3
    ticket: {P1}
    expect: {{levels: {{service-desk: L3}}}}
  - name: rows
    ticket: {P1}
    matrix: [{{name: a}}, {{name: b}}]
    expect: {{rules: [wrong-team]}}
"""


@pytest.fixture
def cases(pytester: pytest.Pytester) -> pytest.Pytester:
    # The plugin is registered by the installed entry point (pytest11: escalate).
    pytester.makefile(".cases.yaml", pack=HEADER + CASES)
    return pytester


def test_each_case_matrix_row_is_an_item(cases: pytest.Pytester) -> None:
    result = cases.runpytest("--collect-only", "-q")
    assert [
        "pack.cases.yaml::at-l2",
        "pack.cases.yaml::at-l3",
        "pack.cases.yaml::rows[a]",
        "pack.cases.yaml::rows[b]",
    ] == [line for line in result.outlines if "::" in line]


def test_a_failing_case_reports_expected_actual_and_its_line(cases: pytest.Pytester) -> None:
    result = cases.runpytest()
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*FAIL at-l3 *pack.cases.yaml:9",
            '*pack.cases.yaml:11:23: expect.levels.service-desk: expected "L3", got "L2"',
            "decision:",
            "*path service-desk: at L2 since 2024-11-20T14:20:00+00:00*",
        ]
    )


def test_k_and_x_work_on_cases(cases: pytest.Pytester) -> None:
    selected = cases.runpytest("-k", "rows and not b")
    stopped = cases.runpytest("-x")
    selected.assert_outcomes(passed=1, deselected=3)
    stopped.assert_outcomes(passed=1, failed=1)


def test_the_location_of_an_item_is_the_case_line(cases: pytest.Pytester) -> None:
    items, _ = cases.inline_genitems()
    assert [("pack.cases.yaml", 5, "case at-l2"), ("pack.cases.yaml", 13, "case rows[a]")] == [
        (item.location[0], item.location[1], item.location[2])
        for item in items
        if item.name in ("at-l2", "rows[a]")
    ]


def test_a_case_file_that_does_not_load_is_one_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".cases.yaml", bad=HEADER + "cases:\n  - name: a\n    expet: {}\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    wanted = (
        "bad.cases.yaml:7:5: cases[0].expet: case 'a': unknown key 'expet' (did you mean 'expect'?)"
    )
    assert [True] == [True for line in result.outlines if line.endswith(wanted)]
    result.stdout.no_fnmatch_line("*Traceback*")


def test_the_plugin_does_not_import_hypothesis(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_probe="""
        import sys

        def test_probe():
            assert "hypothesis" not in sys.modules
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:hypothesispytest")
    result.assert_outcomes(passed=1)
