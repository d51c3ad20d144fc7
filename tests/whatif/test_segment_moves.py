"""Paths and clocks that only some decisions have: a scripted event that moves the ticket to
another segment (which adds a path and a clock) or in or out of a scoped clock's condition.

``simulate`` reports them as changes to and from ``None`` and names the segment change;
``compare`` reports them as ``applies`` changes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate import loads, simulate
from escalate.whatif import ClockChange, LevelChange, SegmentChange, Simulation, Step, compare

# The base has a desk path, a response clock and a resolution clock that applies to French
# tickets only; the uk segment adds a path and a clock of its own.
SEGMENTED = loads(
    textwrap.dedent(
        """
        policy: seg
        version: 1
        clocks:
          response:
            type: response
            stop: {event: acknowledged}
            targets: {default: {within: 30m}}
          fr-resolution:
            type: resolution
            when: {region: fr}
            stop: {status: [resolved, closed]}
            targets: {default: {within: 4h}}
        paths:
          desk:
            kind: vertical
            levels:
              - {name: L1, targets: ["team:desk"]}
              - {name: L2, targets: ["team:desk2"], at: 1h}
        segments:
          - id: uk
            when: {region: uk}
            precedence: 10
            add:
              clocks:
                uk-response:
                  type: response
                  stop: {event: acknowledged}
                  targets: {default: {within: 15m}}
              paths:
                uk-desk:
                  kind: vertical
                  levels:
                    - {name: U1, targets: ["team:uk"]}
                    - {name: U2, targets: ["team:uk2"], at: 1h}
        """
    ),
    filename="seg.yaml",
)
UNTIL = datetime.fromisoformat("2024-11-20T18:00:00Z")
AT = datetime.fromisoformat("2024-11-20T15:00:00Z")


def ticket(region: str) -> dict[str, Any]:
    return {
        "id": "T1",
        "opened_at": "2024-11-20T14:00:00Z",
        "status": "new",
        "priority": "P1",
        "region": region,
        "events": [{"at": "2024-11-20T14:00:00Z", "type": "created"}],
    }


def moved(region: str, after: str = "10m") -> dict[str, Any]:
    return {"after": after, "type": "field-changed", "field": "region", "to": region}


def step_at(simulation: Simulation, time: str) -> Step:
    return next(s for s in simulation.steps if s.at == datetime.fromisoformat(time))


# -- simulate -------------------------------------------------------------------------------------


def test_entering_a_segment_names_it_and_starts_its_path_and_clock() -> None:
    simulation = simulate(SEGMENTED, ticket("de"), until=UNTIL, events=[moved("uk")])
    step = step_at(simulation, "2024-11-20T14:10:00Z")
    assert (
        SegmentChange(None, "uk"),
        (LevelChange("uk-desk", None, "U1"),),
        (ClockChange("uk-response", None, "running"),),
    ) == (step.segment, step.levels, step.clocks)


def test_leaving_a_segment_names_it_and_ends_its_path_and_clock() -> None:
    simulation = simulate(SEGMENTED, ticket("uk"), until=UNTIL, events=[moved("de")])
    step = step_at(simulation, "2024-11-20T14:10:00Z")
    assert (
        SegmentChange("uk", None),
        (LevelChange("uk-desk", "U1", None),),
        (ClockChange("uk-response", "running", None),),
    ) == (step.segment, step.levels, step.clocks)


def test_a_scoped_clock_starts_and_stops_applying_with_its_condition() -> None:
    simulation = simulate(
        SEGMENTED, ticket("de"), until=UNTIL, events=[moved("fr"), moved("de", "20m")]
    )
    assert (
        (ClockChange("fr-resolution", None, "running"),),
        (ClockChange("fr-resolution", "running", None),),
        None,
    ) == (
        step_at(simulation, "2024-11-20T14:10:00Z").clocks,
        step_at(simulation, "2024-11-20T14:20:00Z").clocks,
        step_at(simulation, "2024-11-20T14:10:00Z").segment,
    )


def test_the_first_step_names_the_segment_the_ticket_starts_in() -> None:
    assert [SegmentChange(None, "uk"), None] == [
        simulate(SEGMENTED, ticket(region), until=UNTIL).steps[0].segment for region in ("uk", "de")
    ]


def test_the_json_and_the_table_show_the_segment_and_the_path_that_ended() -> None:
    simulation = simulate(SEGMENTED, ticket("uk"), until=UNTIL, events=[moved("de")])
    step = simulation.to_dict()["steps"][1]
    rows = simulation.table().splitlines()
    rows = rows[next(i for i, row in enumerate(rows) if "field-changed" in row) :]
    assert (
        {"from": "uk", "to": None},
        [{"path": "uk-desk", "from": "U1", "to": None}],
        [{"clock": "uk-response", "from": "running", "to": None}],
    ) == (step["segment"], step["levels"], step["clocks"])
    assert "segment: uk -> -" in rows[1] and "uk-desk: U1 -> inactive" in rows[1]
    assert "clock uk-response: running -> does not apply" in rows[2]


def replayed(state: Mapping[str, str | None], changes: Mapping[str, str | None]) -> dict[str, str]:
    """``state`` with ``changes`` applied (``None``: the name is gone)."""
    return {name: value for name, value in {**state, **changes}.items() if value is not None}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(["de", "uk", "fr"]), st.integers(min_value=1, max_value=40)),
        max_size=6,
    )
)
def test_each_steps_changes_carry_the_previous_step_to_this_one(
    moves: list[tuple[str, int]],
) -> None:
    events, minutes = [], 0
    for region, gap in moves:
        minutes += gap
        events.append(moved(region, f"{minutes}m"))
    simulation = simulate(SEGMENTED, ticket("de"), until=UNTIL, events=events)
    segment: str | None = None
    levels: dict[str, str] = {}
    clocks: dict[str, str] = {}
    for step in simulation.steps:
        decision = step.decision
        if step.segment is not None:
            assert segment == step.segment.before
            segment = step.segment.after
        levels = replayed(levels, {c.path: c.after for c in step.levels})
        clocks = replayed(clocks, {c.clock: c.after for c in step.clocks})
        assert segment == decision.segment
        assert levels == {
            name: s.level_name for name, s in decision.paths.items() if s.level_name is not None
        }
        assert set(clocks) == set(decision.clocks)


# -- compare --------------------------------------------------------------------------------------


def test_compare_reports_a_path_and_a_clock_only_one_decision_has_as_applies() -> None:
    de = SEGMENTED.evaluate(ticket("de"), now=AT)
    uk = SEGMENTED.evaluate(ticket("uk"), now=AT)
    forward = [(c.what, c.name, c.field, c.before, c.after) for c in compare(de, uk).changes]
    backward = [(c.what, c.name, c.field, c.before, c.after) for c in compare(uk, de).changes]
    assert ("segment", None, None, None, "uk") in forward
    assert ("segment", None, None, "uk", None) in backward
    for what, name in (("path", "uk-desk"), ("clock", "uk-response")):
        assert (what, name, "applies", False, True) in forward
        assert (what, name, "applies", True, False) in backward
