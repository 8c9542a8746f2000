"""sim: a simulated QMT (market, A-share exchange, fake xtquant).

    import sim
    sim.install(seed=7, market="tiny")         # every `import xtquant...` now resolves to sim.fake_xtquant
    from xtquant import xtdata                 # the fake, even with the real wheel installed
    ...
    sim.advance(10); sim.run_until("10:00:00"); sim.run_to_end()   # drive the clock from a test
    sim.uninstall()

See docs/sim.md.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

_FAKE = "sim.fake_xtquant"
_SUBMODULES = ("xtconstant", "xttype", "xttrader", "xtdata")
_saved: dict[str, object] | None = None


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module) -> None:
        return None


class _FakeXtquantFinder(importlib.abc.MetaPathFinder):
    """Resolves xtquant and xtquant.* to sim.fake_xtquant.*; other real submodules are not simulated."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "xtquant" and not fullname.startswith("xtquant."):
            return None
        rest = fullname[len("xtquant"):]
        name = _FAKE + rest
        if rest and rest.lstrip(".") not in _SUBMODULES:
            raise ImportError(f"sim: {fullname} is not simulated; the sim provides xtquant.xtdata, xttrader, "
                              "xttype and xtconstant", name=fullname)
        spec = importlib.util.spec_from_loader(fullname, _AliasLoader(name), is_package=(rest == ""))
        return spec


_FINDER = _FakeXtquantFinder()


def install(world=None, **options):
    """Make `import xtquant...` resolve to the fake, driven by a World built lazily from options.

    options are sim.fake_xtquant._runtime.SimOptions fields: seed, market ('tiny'|'small'|'full'),
    n_stocks, n_etfs, trade_date, speed, cash, positions, remark_max_len, faults (FaultConfig or a
    '--faults' string), world_kwargs (other SimConfig fields), tape. Returns the Runtime.
    """
    global _saved
    from sim.fake_xtquant import _runtime
    from sim.faults import FaultConfig, parse_faults

    if isinstance(options.get("faults"), str):
        options["faults"] = parse_faults(options["faults"])
    elif options.get("faults") is None:
        options["faults"] = FaultConfig()
    if isinstance(options.get("positions"), dict):
        options["positions"] = tuple(sorted(options["positions"].items()))
    if isinstance(options.get("world_kwargs"), dict):
        options["world_kwargs"] = tuple(sorted(options["world_kwargs"].items()))
    rt = _runtime.configure(_runtime.SimOptions(**options), world=world)

    if _saved is None:
        _saved = {k: v for k, v in sys.modules.items() if k == "xtquant" or k.startswith("xtquant.")}
        for k in _saved:
            del sys.modules[k]
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    fake = importlib.import_module(_FAKE)
    sys.modules["xtquant"] = fake
    for sub in _SUBMODULES:
        sys.modules["xtquant." + sub] = importlib.import_module(f"{_FAKE}.{sub}")
    sys.modules[f"{_FAKE}.xtdata"]._client = None
    return rt


def uninstall() -> None:
    """Undo install(): stop the runtime and restore whatever xtquant modules were imported before."""
    global _saved
    from sim.fake_xtquant import _runtime

    _runtime.reset()
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for k in [k for k in sys.modules if k == "xtquant" or k.startswith("xtquant.")]:
        del sys.modules[k]
    if _saved:
        sys.modules.update(_saved)
    _saved = None


def runtime():
    """The current Runtime (world, scheduler, broker, faults)."""
    from sim.fake_xtquant._runtime import get_runtime

    return get_runtime()


def advance(n: int = 1) -> int:
    """Step n snapshots, running every callback after each; returns the number of steps done."""
    return runtime().advance(n)


def drain() -> None:
    """Run every queued callback without advancing the clock."""
    runtime().drain()


def run_until(hhmmss: str) -> None:
    """Step until the simulated clock reaches HH:MM:SS."""
    runtime().run_until(hhmmss)


def run_to_end() -> None:
    """Step until the simulated session ends."""
    runtime().run_to_end()


def faults():
    """The Faults object of the current run (disconnect_trader / disconnect_xtdata on demand)."""
    return runtime().faults


def disconnect_trader(outage_s: int | None = None) -> None:
    """Drop every XtQuantTrader connection now (on_disconnected; connect() fails for outage_s)."""
    rt = runtime()
    with rt.sched.baton():
        rt.faults.disconnect_trader(rt.world.now_ms, outage_s)


def disconnect_xtdata(outage_s: int | None = None) -> None:
    """Drop the xtdata connection now (run() raises; calls fail for outage_s)."""
    rt = runtime()
    with rt.sched.baton():
        rt.faults.disconnect_xtdata(rt.world.now_ms, outage_s)


__all__ = ["advance", "disconnect_trader", "disconnect_xtdata", "drain", "faults", "install", "run_to_end",
           "run_until", "runtime", "uninstall"]
