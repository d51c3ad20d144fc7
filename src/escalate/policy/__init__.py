"""Policies as written: YAML reading with positions, the format's models, compiling and lint.

:func:`load` and :func:`loads` turn files or text into a compiled :class:`Policy`;
:func:`lint` lists what a policy may legally say but probably does not mean, as
:class:`Finding` values.
"""

from escalate.engine.compiled import Policy
from escalate.policy.lint import Finding, lint
from escalate.policy.loader import load, loads

__all__ = ["Finding", "Policy", "lint", "load", "loads"]
