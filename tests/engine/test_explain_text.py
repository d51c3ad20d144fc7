"""``Decision.explain`` text for clocks: a clock that has not started says so, never "(None)"."""

from __future__ import annotations

from escalate.engine.decision import Decision
from tests.policy_helpers import policy, ticket, utc

NOT_STARTED = """
clocks:
  work:
    start: {status: [in-progress]}
    stop: {status: [resolved]}
    targets: {default: {within: 4h}}
"""


def evaluate(body: str, tkt: dict[str, object], now: str) -> Decision:
    return policy(body).evaluate(tkt, now=utc(now))


def clock_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("clock ")]


def test_a_clock_that_has_not_started_is_explained_as_not_started() -> None:
    decision = evaluate(NOT_STARTED, ticket(), "2024-11-20T11:00:00+00:00")
    assert ["clock work: not started (target 4h on 24x7)"] == clock_lines(decision.explain())


def test_no_explanation_line_prints_none_for_a_clock_that_has_not_started() -> None:
    decision = evaluate(NOT_STARTED, ticket(), "2024-11-20T11:00:00+00:00")
    assert "None" not in decision.explain(full=True)


def test_a_running_clock_still_shows_its_share_of_the_target() -> None:
    body = NOT_STARTED.replace("{status: [in-progress]}", "{event: created}")
    decision = evaluate(body, ticket(), "2024-11-20T11:00:00+00:00")
    assert [
        "clock work: running, 1h of 4h on 24x7 (25.00%), breach at 2024-11-20T14:00:00+00:00"
    ] == clock_lines(decision.explain())


def test_a_breached_clock_is_marked_breached_even_once_stopped() -> None:
    body = NOT_STARTED.replace("{status: [in-progress]}", "{event: created}")
    running = evaluate(body, ticket(), "2024-11-20T15:00:00+00:00")
    assert [
        "clock work: running, 5h of 4h on 24x7 (125.00%), "
        "breach at 2024-11-20T14:00:00+00:00 BREACHED"
    ] == clock_lines(running.explain())
    late = ticket(events=[{"at": "2024-11-20T14:30:00+00:00", "type": "resolved"}])
    stopped = evaluate(body, late, "2024-11-21T09:00:00+00:00")
    assert clock_lines(stopped.explain())[0].endswith("BREACHED")
