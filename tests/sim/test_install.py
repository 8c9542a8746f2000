"""sim.install(): `import xtquant...` resolves to the fake even though the real wheel is installed."""

from __future__ import annotations

import importlib
import importlib.util
import sys

import pytest

import sim


def test_real_wheel_is_installed():
    spec = importlib.util.find_spec("xtquant")
    assert spec is not None and "site-packages" in str(spec.origin)


def test_every_import_form_resolves_to_the_fake(install_sim):
    install_sim()
    import xtquant
    from xtquant import xtconstant, xtdata
    from xtquant.xttrader import XtQuantTrader, XtQuantTraderCallback
    from xtquant.xttype import StockAccount

    import sim.fake_xtquant as fake

    assert xtquant is fake and xtquant.__version__ == "xtquant_250807"
    assert xtdata is importlib.import_module("sim.fake_xtquant.xtdata")
    assert xtconstant.STOCK_BUY == 23
    assert XtQuantTrader.__module__ == "sim.fake_xtquant.xttrader"
    assert XtQuantTraderCallback.__module__ == "sim.fake_xtquant.xttrader"
    assert StockAccount("1").account_type == xtconstant.SECURITY_ACCOUNT
    assert importlib.import_module("xtquant.xttype") is sys.modules["sim.fake_xtquant.xttype"]


def test_finder_resolves_after_sys_modules_is_cleared(install_sim):
    install_sim()
    for k in [k for k in sys.modules if k == "xtquant" or k.startswith("xtquant.")]:
        del sys.modules[k]
    mod = importlib.import_module("xtquant.xtdata")
    assert mod.__name__ == "sim.fake_xtquant.xtdata"


def test_unsimulated_submodule_says_so(install_sim):
    install_sim()
    with pytest.raises(ImportError, match="xtquant.xtbson is not simulated"):
        importlib.import_module("xtquant.xtbson")


def test_uninstall_restores_the_real_resolution(install_sim):
    install_sim()
    sim.uninstall()
    assert "xtquant" not in sys.modules
    spec = importlib.util.find_spec("xtquant")
    assert "site-packages" in str(spec.origin)


def test_install_options_are_validated(install_sim):
    with pytest.raises(ValueError, match="market='huge' is unknown"):
        install_sim(market="huge")
    with pytest.raises(ValueError, match="not a probability"):
        install_sim(faults="reject=3")


def test_world_is_built_lazily_from_install_options(install_sim):
    rt = install_sim(n_stocks=40, n_etfs=6, seed=3)
    assert rt._world is None
    from xtquant import xtdata

    assert len(xtdata.get_stock_list_in_sector("沪深京A股")) == 40
    assert rt.world.cfg.seed == 3 and rt.world.cfg.n_etfs == 6


def test_uninstall_stops_the_simulator_threads(install_sim):
    import threading

    def cycle():
        install_sim()
        from xtquant import xtdata
        from xtquant.xttrader import XtQuantTrader

        t = XtQuantTrader("p", 1)
        t.start()
        xtdata.subscribe_whole_quote(["SH"], lambda d: None)
        sim.advance(2)
        sim.uninstall()

    cycle()
    before = threading.active_count()
    for _ in range(3):
        cycle()
    for _ in range(50):
        if threading.active_count() <= before:
            break
        threading.Event().wait(0.05)
    assert threading.active_count() <= before
