"""escalate adapter for the peer harness (``/work/shared/bench/peers.py``).

Run from the folder that holds the harness (it is read-only; write the reports elsewhere)::

    cd /work/shared && /work/main/.peers/bin/python bench/peers.py \\
        --adapter /work/main/bench/escalate_adapter.py --md /tmp/peers.md --json /tmp/peers.json

The harness calls each factory once (not timed) and times only the callables they return.
Both callables are escalate's own bound methods, or a one-line lambda around one, so the
timings measure the library and not glue.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import escalate

NAME = "escalate"
VERSION = importlib.metadata.version("escalate")
NOTES = (
    "Calendar.from_config(tz, weekday hours, holidays.dates = spec.holidays, years) compiled "
    "once; elapsed = bound cal.elapsed (timedelta); due = cal.add(a, timedelta(seconds=1) * s)"
)
MATCH_SEMANTICS = "all"

_DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _clock(t: time, *, end: bool = False) -> str:
    if end and t == time(0):
        return "24:00"  # a window that runs to midnight
    return f"{t.hour:02d}:{t.minute:02d}"


def calendar_config(spec: Any) -> dict[str, Any]:
    """The escalate calendar mapping for a ``peers.CalendarSpec``.

    Holidays are passed as explicit dates from ``spec.holidays`` (not ``country:``), so escalate
    sees exactly the data every other implementation in the run sees.
    """
    days = ",".join(_DAY_KEYS[d] for d in sorted(spec.weekdays))
    interval = f"{_clock(spec.start)}-{_clock(spec.end, end=True)}"
    return {
        "timezone": spec.tz,
        "hours": {days: [interval]},
        "holidays": {
            "dates": [d.isoformat() for d in spec.holidays],
            "years": [min(spec.years), max(spec.years)],
        },
    }


def make_calendar(spec: Any) -> escalate.Calendar:
    return escalate.Calendar.from_config(calendar_config(spec))


# ---- W1: business elapsed time -------------------------------------------------------------
def make_elapsed(spec: Any) -> Callable[[datetime, datetime], timedelta]:
    """The bound ``Calendar.elapsed``; it returns a ``timedelta`` (the harness accepts that)."""
    return make_calendar(spec).elapsed


# ---- W2: business due time -----------------------------------------------------------------
def make_due(spec: Any) -> Callable[[datetime, float], datetime]:
    """``add(a, SECOND * secs)`` with ``SECOND = timedelta(seconds=1)``.

    Exact for both input types: an int scales exactly, and ``timedelta * float`` rounds the
    float's exact value to the nearest microsecond (half-even). ``round(secs * 1_000_000)`` is
    not exact, because the multiplication rounds first (456 of 200,000 random floats came out
    1 µs off). It is also the cheapest construction (measured here: ``SECOND * 14400`` 170 ns,
    ``timedelta(0, 14400)`` 230 ns, ``timedelta(seconds=14400)`` 320 ns), and it needs no type
    test on the hot path.
    """
    add = make_calendar(spec).add
    second = timedelta(seconds=1)
    return lambda a, secs: add(a, second * secs)


# ---- W3: rule matching ---------------------------------------------------------------------
# Not yet: escalate's rules engine has not landed. Leaving make_matcher out makes the harness
# skip this row in W3.
