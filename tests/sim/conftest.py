"""Fixtures for the fake-xtquant tests: a tiny simulated market installed as `xtquant`."""

from __future__ import annotations

import pytest

import sim

TINY = {"market": None, "n_stocks": 40, "n_etfs": 6, "seed": 11}


@pytest.fixture
def install_sim():
    """Call install_sim(**options) to install sim with a tiny universe; uninstalled after the test."""
    def _install(**options):
        opts = {**TINY, **options}
        return sim.install(**opts)
    yield _install
    sim.uninstall()


@pytest.fixture
def xt(install_sim):
    """(runtime, xtdata, xttrader, xttype, xtconstant) imported through `xtquant` after sim.install."""
    rt = install_sim()
    from xtquant import xtconstant, xtdata, xttrader, xttype

    return rt, xtdata, xttrader, xttype, xtconstant
