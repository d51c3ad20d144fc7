"""A simulation that cannot run as asked names the argument to change, for a caller (such
as the command line) to point at its own spelling of it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from escalate import load
from escalate.whatif import SimulationError, simulate

ROOT = Path(__file__).resolve().parents[2]
POLICY = load(ROOT / "rules" / "itil-default.yaml")
TICKET = json.loads((ROOT / "examples" / "tickets" / "INC0010003.json").read_text())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("start", "until", "max_steps", "argument"),
    [
        ("2024-11-20T12:00:00Z", "2024-11-21T00:00:00Z", 100, "start"),
        (None, "2024-11-20T00:00:00Z", 100, "until"),
        ("2024-11-20T15:00:00Z", "2024-11-20T14:00:00Z", 100, "until"),
        (None, "2024-12-20T00:00:00Z", 2, "max_steps"),
    ],
)
def test_a_simulation_error_names_its_argument(
    start: str | None, until: str, max_steps: int, argument: str
) -> None:
    with pytest.raises(SimulationError) as error:
        simulate(
            POLICY,
            TICKET,
            start=None if start is None else at(start),
            until=at(until),
            max_steps=max_steps,
        )
    assert argument == error.value.argument
