"""Helpers for testing code that uses escalate.

``escalate.testing.strategies`` holds Hypothesis strategies (aware datetimes across zones,
durations, calendar configurations) for your own property tests. It needs ``hypothesis``,
which is a test dependency, so this package does not import it eagerly.
"""

from __future__ import annotations

__all__: list[str] = []
