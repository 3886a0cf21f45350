"""Shared test configuration: Hypothesis profiles.

The default profile keeps the whole suite well under the CI budget on 2 cores;
``HYPOTHESIS_PROFILE=thorough`` runs many more examples.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
