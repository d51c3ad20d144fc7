"""Backends that decide which rules hold: the native conditions (default) or durable_rules.

A policy decides with the native backend unless bound to another
(:meth:`escalate.Policy.with_backend`, or ``backend=`` on a call); every backend gives the
same decisions (docs/backends.md). :mod:`escalate.backends.durable` needs the
``escalate[durable]`` extra.

>>> import escalate
>>> policy = escalate.load("rules/itil-default.yaml")
>>> policy.backend
'native'
"""

from __future__ import annotations

from escalate.engine.backends import BACKENDS, NATIVE, resolve_backend
from escalate.engine.rules import Matcher

__all__ = ["BACKENDS", "NATIVE", "Matcher", "resolve_backend"]
