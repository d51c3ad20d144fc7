"""``escalate.testing``'s assertions: they pass on the decision they name, fail with a message
that says what the decision holds and why, and refuse names the policy does not have."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from escalate.errors import ArgumentError
from escalate.policy.loader import load
from escalate.testing import (
    assert_actions,
    assert_escalates,
    assert_no_actions,
    assert_not_escalated,
    cases_around,
)

PACK = load(str(Path(__file__).parents[2] / "rules" / "itil-default.yaml"))
OPENED = datetime(2024, 11, 20, 11, 20, tzinfo=UTC)
# A P1 application incident at the service desk: its service-desk path moves from L1 to L2
# 30 minutes after the opening (L1's `after: 30m`).
P1 = {
    "id": "INC1",
    "opened_at": OPENED.isoformat(),
    "priority": "1 - Critical",
    "category": "application",
    "assignment_group": "service-desk",
    "status": "in-progress",
}
BEFORE, AT, AFTER = cases_around(OPENED + timedelta(minutes=30))


def first_line(error: pytest.ExceptionInfo[AssertionError]) -> str:
    return str(error.value).splitlines()[0]


# -- assert_escalates -----------------------------------------------------------------------------


def test_assert_escalates_passes_at_the_level_and_returns_the_decision() -> None:
    decision = assert_escalates(PACK, P1, now=AT, path="service-desk", to="L2")
    assert "L2" == decision.path("service-desk").level_name


def test_assert_escalates_fails_naming_the_actual_level() -> None:
    with pytest.raises(AssertionError) as caught:
        assert_escalates(PACK, P1, now=BEFORE, path="service-desk", to="L2")
    assert (
        "ticket INC1 at 2024-11-20T11:49:00+00:00: expected path service-desk at L2, but "
        "service-desk at L1 since 2024-11-20T11:20:00+00:00"
    ) == first_line(caught)


def test_a_failure_carries_the_decisions_explanation() -> None:
    with pytest.raises(AssertionError) as caught:
        assert_escalates(PACK, P1, now=BEFORE, path="service-desk", to="L2")
    assert "\n\nticket INC1 at 2024-11-20T11:49:00+00:00 (policy itil-default v1" in str(
        caught.value
    )


def test_without_a_path_the_level_is_looked_up_on_every_path_that_has_it() -> None:
    decision = assert_escalates(PACK, P1, now=AT, to="L2")
    assert "INC1" == decision.ticket_id


def test_an_exact_level_fails_once_the_path_moved_past_it() -> None:
    later = OPENED + timedelta(hours=2)  # L2's `after: 1h` moved it to L3
    with pytest.raises(AssertionError, match="service-desk at L3 since"):
        assert_escalates(PACK, P1, now=later, path="service-desk", to="L2")


def test_or_higher_accepts_a_later_level() -> None:
    later = OPENED + timedelta(hours=2)
    decision = assert_escalates(PACK, P1, now=later, path="service-desk", to="L2", or_higher=True)
    assert "L3" == decision.path("service-desk").level_name


def test_an_inactive_path_fails_as_not_active() -> None:
    p4 = {**P1, "priority": "4 - Low"}  # service-desk runs for P1 and P2 only
    with pytest.raises(AssertionError) as caught:
        assert_escalates(PACK, p4, now=AT, path="service-desk", to="L2")
    assert first_line(caught).endswith("but service-desk not active")


def test_an_unknown_level_is_a_mistake_in_the_test() -> None:
    with pytest.raises(ArgumentError) as caught:
        assert_escalates(PACK, P1, now=AT, path="service-desk", to="LL2")
    assert ("the policy has no level 'LL2' (did you mean 'L2'?); it has: L1, L2, L3, L4") == str(
        caught.value
    )


def test_an_unknown_path_is_a_mistake_in_the_test() -> None:
    with pytest.raises(ArgumentError, match="no path 'servicedesk' \\(did you mean 'service-desk'"):
        assert_escalates(PACK, P1, now=AT, path="servicedesk", to="L2")


def test_the_availability_is_passed_to_the_evaluation() -> None:
    # Second line is paged at L2; with everyone of it away the page goes to the fallback.
    away = {
        "out_of_office": [
            {"person": person, "from": "2024-11-20T00:00:00Z"}
            for person in ("sofia.rossi", "tom.becker", "mehmet.yilmaz")
        ]
    }
    with_away = assert_escalates(PACK, P1, now=AT, to="L2", availability=away)
    without = assert_escalates(PACK, P1, now=AT, to="L2")
    assert with_away.to_json() != without.to_json()


# -- assert_not_escalated -------------------------------------------------------------------------


def test_assert_not_escalated_passes_at_the_first_level() -> None:
    decision = assert_not_escalated(PACK, P1, now=BEFORE, path="service-desk")
    assert "L1" == decision.path("service-desk").level_name


def test_assert_not_escalated_fails_once_the_path_moved() -> None:
    with pytest.raises(AssertionError) as caught:
        assert_not_escalated(PACK, P1, now=AT, path="service-desk")
    assert (
        "ticket INC1 at 2024-11-20T11:50:00+00:00: expected path service-desk at its first "
        "level or inactive, but service-desk at L2 since 2024-11-20T11:50:00+00:00"
    ) == first_line(caught)


def test_without_a_path_every_path_must_be_at_its_first_level() -> None:
    with pytest.raises(AssertionError, match="expected every path at its first level"):
        assert_not_escalated(PACK, P1, now=AT)


def test_beyond_allows_the_levels_up_to_it() -> None:
    decision = assert_not_escalated(PACK, P1, now=AT, path="service-desk", beyond="L2")
    assert "L2" == decision.path("service-desk").level_name


def test_beyond_fails_past_it() -> None:
    later = OPENED + timedelta(hours=2)
    with pytest.raises(AssertionError, match="at L2 or below, but service-desk at L3"):
        assert_not_escalated(PACK, P1, now=later, path="service-desk", beyond="L2")


def test_a_misspelt_beyond_cannot_pass_silently() -> None:
    with pytest.raises(ArgumentError, match="no level 'L9'"):
        assert_not_escalated(PACK, P1, now=AT, path="service-desk", beyond="L9")


def test_beyond_without_a_path_is_refused() -> None:
    with pytest.raises(ArgumentError, match="give path= too"):
        assert_not_escalated(PACK, P1, now=AT, beyond="L2")


# -- assert_actions, assert_no_actions ------------------------------------------------------------


def test_assert_actions_passes_when_the_kinds_are_due() -> None:
    # At 11:50 the path escalates to L2 (an escalate action) and the P1 bridge is still due.
    decision = assert_actions(PACK, P1, now=AT, kinds=["escalate", "open_bridge"])
    assert {"escalate", "open_bridge"} <= {a.kind for a in decision.actions}


def test_assert_actions_fails_naming_what_is_missing_and_what_is_due() -> None:
    with pytest.raises(AssertionError) as caught:
        assert_actions(PACK, P1, now=BEFORE, kinds=["escalate"])
    assert first_line(caught).endswith(
        "expected escalate, but due: notify, notify, notify, open_bridge (missing: escalate)"
    )


def test_a_kind_listed_twice_needs_two_actions() -> None:
    with pytest.raises(AssertionError, match="missing: open_bridge"):
        assert_actions(PACK, P1, now=AT, kinds=["open_bridge", "open_bridge"])


def test_exactly_refuses_other_due_actions() -> None:
    with pytest.raises(AssertionError, match="not expected: "):
        assert_actions(PACK, P1, now=AT, kinds=["escalate"], exactly=True)


def test_assert_no_actions_fails_listing_the_due_actions() -> None:
    with pytest.raises(AssertionError, match=r"but due: .*open_bridge \[rule:p1-bridge\]"):
        assert_no_actions(PACK, P1, now=AT)


def test_assert_no_actions_passes_for_a_resolved_low_priority_ticket() -> None:
    quiet = {
        **P1,
        "priority": "4 - Low",
        "status": "resolved",
        "events": [{"at": "2024-11-20T11:30:00Z", "type": "resolved", "status": "resolved"}],
    }
    assert () == assert_no_actions(PACK, quiet, now=AT).actions


# -- cases_around ---------------------------------------------------------------------------------


def test_cases_around_is_one_step_either_side() -> None:
    at = datetime(2024, 3, 31, 1, 59, tzinfo=UTC)
    assert (at - timedelta(seconds=1), at, at + timedelta(seconds=1)) == cases_around(
        at, timedelta(seconds=1)
    )


@pytest.mark.parametrize(
    ("instant", "step"),
    [
        (datetime(2024, 1, 1), timedelta(minutes=1)),
        (datetime(2024, 1, 1, tzinfo=UTC), timedelta(0)),
        (datetime(2024, 1, 1, tzinfo=UTC), 60),
    ],
)
def test_cases_around_refuses_a_naive_instant_or_a_step_that_is_not_positive(
    instant: datetime, step: timedelta
) -> None:
    with pytest.raises(ArgumentError):
        cases_around(instant, step)


# -- importing ------------------------------------------------------------------------------------


def test_importing_escalate_testing_does_not_import_hypothesis() -> None:
    # The assertions work in a project without Hypothesis; only the strategies need it.
    code = "import sys, escalate.testing; print('hypothesis' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "False\n" == done.stdout


# -- arguments of the wrong type, and inputs no decision could fail -------------------------------


@pytest.mark.parametrize(
    ("kinds", "message"),
    [
        ("escalate", "kinds must be a list of action kinds, e.g. ['page'], got 'escalate'"),
        ({"escalate": 0}, "kinds must be a list of action kinds"),
        ([], "kinds is empty, which every decision satisfies; to assert that no action is due"),
        ((), "use assert_no_actions"),
        (["escalate", 1], "kinds must hold action kinds (strings), got 1"),
        ([""], "kinds must hold action kinds (strings), got ''"),
    ],
)
def test_assert_actions_refuses_kinds_that_are_not_a_list_of_kinds(
    kinds: object, message: str
) -> None:
    # A string used to be split into letters, and an empty list passed for any decision.
    with pytest.raises(ArgumentError) as caught:
        assert_actions(PACK, P1, now=AT, kinds=kinds)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_a_flag_that_is_not_a_bool_is_refused() -> None:
    with pytest.raises(ArgumentError, match="exactly must be True or False, got 'yes'"):
        assert_actions(PACK, P1, now=AT, kinds=["escalate"], exactly="yes")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="or_higher must be True or False, got 1"):
        assert_escalates(PACK, P1, now=AT, to="L1", or_higher=1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "call",
    [
        lambda: assert_escalates(PACK, P1, now=AT, to=None),  # type: ignore[arg-type]
        lambda: assert_escalates(PACK, P1, now=AT, to="L2", path=["service-desk"]),  # type: ignore[arg-type]
        lambda: assert_not_escalated(PACK, P1, now=AT, path=""),
        lambda: assert_not_escalated(PACK, P1, now=AT, path="service-desk", beyond=2),  # type: ignore[arg-type]
    ],
)
def test_a_level_or_path_that_is_not_a_name_is_refused(call: Callable[[], object]) -> None:
    # An unhashable path used to be an internal TypeError; to=None a failure that named nothing.
    with pytest.raises(ArgumentError, match=r"must be a name( or None)? \(a non-empty string\)"):
        call()
