"""Test-wide settings: Hypothesis runs the same examples on every CI run.

Property tests explore freely on a developer's machine; under CI (``CI`` is set) they are
derandomized, so a green run is reproducible and a red one points at a fixed example.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
