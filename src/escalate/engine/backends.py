"""Which rules match now: the matcher interface, and the backends a policy may name.

The rule stage (:mod:`escalate.engine.matching`) asks one question of a matcher: of these
rules, which conditions hold on these facts now? The native matcher answers it with each
rule's compiled condition (:mod:`escalate.engine.conditions`) and is the default: it costs
nothing more than the rule stage itself. Another matcher (the optional durable_rules backend,
:mod:`escalate.engine.durable`, docs/backends.md) answers the same question its own way and
must give the same answer; everything else about a decision (precedence, shadowing, stretches,
wake-ups, explanations) stays in the engine, which asks the native conditions for the past and
the future.

>>> resolve_backend(None) is None and resolve_backend("native") is None
True
>>> resolve_backend("drools")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
escalate.errors.ArgumentError: unknown backend 'drools': use 'native' or 'durable' (docs/...)
"""

from __future__ import annotations

from typing import cast

from escalate.engine.rules import Matcher
from escalate.errors import ArgumentError, shown

__all__ = ["BACKENDS", "NATIVE", "Matcher", "backend_name", "resolve_backend"]

#: The name of the default matcher: each rule's compiled condition.
NATIVE = "native"
#: The backends a policy or a call may name.
BACKENDS = (NATIVE, "durable")


def resolve_backend(backend: object) -> Matcher | None:
    """The matcher a ``backend=`` argument names: ``None`` for the native one (``None`` or
    ``"native"``), a new :class:`~escalate.engine.durable.DurableMatcher` for ``"durable"``
    (which raises :class:`~escalate.errors.MissingExtraError` when the extra is not
    installed), a :class:`Matcher` as it is; anything else is an
    :class:`~escalate.errors.ArgumentError`."""
    if backend is None or backend == NATIVE:
        return None
    if backend == "durable":
        from escalate.engine.durable import DurableMatcher  # the extra is imported only here

        return DurableMatcher()
    if isinstance(backend, str):
        raise ArgumentError(
            f"unknown backend {shown(backend)}: use "
            + " or ".join(repr(b) for b in BACKENDS)
            + " (docs/backends.md)"
        )
    if isinstance(backend, type):
        raise ArgumentError(
            f"backend must be a Matcher object, got the class {backend.__name__}: call it "
            f"({backend.__name__}())"
        )
    if not all(callable(getattr(backend, m, None)) for m in ("matching", "prepare")):
        raise ArgumentError(
            f"backend must be 'native', 'durable' or a Matcher (with matching and prepare), "
            f"got {type(backend).__name__}"
        )
    return cast("Matcher", backend)


def backend_name(matcher: Matcher | None) -> str:
    """The name of the matcher a policy uses (``native`` for ``None``)."""
    return NATIVE if matcher is None else matcher.name
