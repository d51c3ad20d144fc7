"""What-if tools: a ticket's simulated future, two policies compared, decision snapshots.

* :func:`simulate` walks a ticket from wake-up to wake-up (``next_evaluation_at``) and through
  scripted events, returning a :class:`Simulation` (a timeline table and JSON);
* :func:`diff` compares the decisions two policies make for the same tickets at an instant;
* :func:`snapshot` is a decision as the stable JSON a golden-snapshot test compares.

Everything here is pure: the command line (``escalate simulate``, ``escalate diff``,
``escalate snapshot``) reads the files and the clock.
"""

from escalate.whatif.diff import Change, PolicyDiff, TicketDiff, compare, diff
from escalate.whatif.simulate import (
    DEFAULT_MAX_STEPS,
    ClockChange,
    LevelChange,
    ScriptedEventError,
    ScriptedEventErrors,
    SegmentChange,
    Simulation,
    SimulationError,
    Step,
    simulate,
)
from escalate.whatif.snapshot import snapshot, snapshot_diff, snapshot_json, snapshot_name

__all__ = [
    "DEFAULT_MAX_STEPS",
    "Change",
    "ClockChange",
    "LevelChange",
    "PolicyDiff",
    "ScriptedEventError",
    "ScriptedEventErrors",
    "SegmentChange",
    "Simulation",
    "SimulationError",
    "Step",
    "TicketDiff",
    "compare",
    "diff",
    "simulate",
    "snapshot",
    "snapshot_diff",
    "snapshot_json",
    "snapshot_name",
]
