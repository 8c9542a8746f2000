"""Fixtures for the offensive-layer data tests: a real SQLite store and recorded akshare data."""
from pathlib import Path

import pytest

from bridge.refdata import source

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "akshare"


@pytest.fixture
def recorded(monkeypatch):
    """Serve akshare from tests/fixtures/akshare (fixture mode), no pacing, no xtdata."""
    monkeypatch.setenv("QMT_REFDATA_NO_XTDATA", "1")
    source.set_pace(0)
    source.use_fixtures(FIX)
    yield FIX
    source.use_fixtures(None)
