"""Whether the durable backend's tests can run here: durable_rules (the escalate[durable]
extra, which make test installs) imports, or why not."""

from __future__ import annotations

import importlib

import pytest


def _durable_missing() -> str | None:
    """Why the durable tests cannot run here, or ``None`` when durable_rules imports."""
    try:
        importlib.import_module("durable_rules_engine")
    except ImportError:
        return (
            "durable_rules is not installed (pip install 'escalate[durable]'); "
            "the durable backend's tests need it"
        )
    return None


#: Why durable_rules cannot be used here (``None``: it can).
MISSING = _durable_missing()
#: Skips a test, saying why, where durable_rules is missing.
needs_durable = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
