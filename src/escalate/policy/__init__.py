"""Policies as written: YAML reading with positions, the format's models, compiling and lint.

:func:`load` and :func:`loads` turn files or text into a compiled :class:`Policy`.
"""

from escalate.engine.compiled import Policy
from escalate.policy.loader import load, loads

__all__ = ["Policy", "load", "loads"]
