"""Fixtures for the security tests: rate limits on, a clean cache, people to log in."""

import pytest
from django.core.cache import cache

# The records app's course world and learner client, for statement-endpoint tests.
from tests.lms.records.conftest import (  # noqa: F401
    _made_up_activity_keys,
    learner_client,
    world,
)


@pytest.fixture(autouse=True)
def clean_cache():
    """Rate-limit counters live in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rate_limits_on(settings):
    settings.SECURITY_RATE_LIMITS_ENABLED = True
    return settings
