"""What the backend tests share: they need durable_rules, the ``escalate[durable]`` extra.

``make test`` installs the extra, so CI runs every test here. A user without it still runs the
suite: each test under ``tests/backends`` is skipped with the reason, instead of failing on
``MissingExtraError`` (nothing here imports durable_rules at collection: the backend module
imports it only when a matcher is made). ``needs_durable`` is that skip mark, for a test
elsewhere that needs the extra too.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HAS_DURABLE = importlib.util.find_spec("durable_rules_engine") is not None

#: Skips a test when durable_rules is not installed.
needs_durable = pytest.mark.skipif(
    not HAS_DURABLE,
    reason="durable_rules is not installed: pip install 'escalate[durable]' (make test does)",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder needs durable_rules (the hook sees the whole session's items)."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(needs_durable)
