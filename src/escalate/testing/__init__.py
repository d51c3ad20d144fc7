"""Helpers for testing policies and code that uses escalate: assertions and Hypothesis strategies.

The assertions (:mod:`escalate.testing.asserts`) are importable from here and need nothing
beyond escalate: ``assert_escalates``, ``assert_not_escalated``, ``assert_actions``,
``assert_no_actions`` and ``cases_around``.

``escalate.testing.strategies`` (aware datetimes across zones, durations, calendar
configurations) and ``escalate.testing.tickets`` (realistic tickets, policy variants) hold
Hypothesis strategies for your own property tests. They need ``hypothesis``, which
``pip install 'escalate[testing]'`` brings; this package does not import them, so importing
``escalate.testing`` works without it.
"""

from __future__ import annotations

from escalate.testing.asserts import (
    assert_actions,
    assert_escalates,
    assert_no_actions,
    assert_not_escalated,
    cases_around,
)

__all__ = [
    "assert_actions",
    "assert_escalates",
    "assert_no_actions",
    "assert_not_escalated",
    "cases_around",
]
