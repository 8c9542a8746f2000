"""Fixtures for the signal-engine tests."""
import pytest

from tickmaker import make_tick


@pytest.fixture
def tick():
    return make_tick
