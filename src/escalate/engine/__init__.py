"""The engine: tickets and their history, conditions, clocks, paths, evaluation, decisions.

Pure and deterministic: no I/O, no clock reads. It runs a compiled :class:`Policy`; building
one from YAML is :mod:`escalate.policy`'s job.
"""

from escalate.engine.compiled import Policy
from escalate.engine.decision import Action, Decision
from escalate.engine.ticket import Event, Ticket

__all__ = ["Action", "Decision", "Event", "Policy", "Ticket"]
