"""The durable_rules backend: a policy's rule conditions matched by durable_rules' Rete core.

Needs ``pip install 'escalate[durable]'``; see :mod:`escalate.engine.durable` for how
conditions are compiled and kept exact, and docs/backends.md for when to choose it.
"""

from __future__ import annotations

from escalate.engine.durable import DurableError, DurableMatcher

__all__ = ["DurableError", "DurableMatcher"]
