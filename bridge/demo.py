"""A simulated trading day through the real runner: sim world + fake xtquant + strategies + broker + signals_db.

Used by `python -m bridge demo`, `python -m bridge run --sim`, the drills and the benchmarks. Only this module
(and the commands) know about the sim; the runner and adapters are the live code.
"""
from __future__ import annotations

import datetime as dt
import queue
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from loguru import logger

from bridge.notify import Notifier, build_notifier
from bridge.runner import Runner
from bridge.wiring import build_runner
from bridge.xt_trader import XtTrader

DEMO_ACCOUNT = "SIMDEMO01"


@dataclass
class DaySetup:
    """What simulated day to run and how."""

    seed: int = 20260105
    n_stocks: int = 5000
    n_etfs: int = 500
    trade_date: dt.date | None = None
    cash: float = 1_000_000.0
    held_stocks: int = 4           # yesterday's holdings (sellable today, protected by brackets)
    held_etfs: int = 2
    hold_value: float = 80_000.0
    plant: int = 0                 # extra planted sealed limit-ups (the day also has natural ones)
    events: tuple = ()             # explicit sim PlantSpec events
    faults: str | None = None      # sim --faults string
    remark_max_len: int | None = 12
    account_id: str = DEMO_ACCOUNT
    offensive_universe: int | None = 600   # stocks scored by the offensive layer (sim bars cost ~10 ms per code)


@dataclass
class DayResult:
    """What a driven day produced (the runner keeps everything else)."""

    runner: Runner
    world: object
    steps: int = 0
    wall_s: float = 0.0
    start_equity: float = 0.0
    end_equity: float = 0.0
    held: dict = field(default_factory=dict)
    cpu_s: float = 0.0


def heavy_holdings(n_stocks: int, n_etfs: int, trade_date, seed: int, min_weight: float = 0.06) -> list[str]:
    """Main-board stocks that weigh >= min_weight in some ETF basket of the generated universe (heaviest first),
    leaving out ST stocks and new listings (no price limit today: nothing to plant a limit-up on)."""
    import numpy as np

    from sim.market.universe import build_universe

    u = build_universe(n_stocks, n_etfs, trade_date, seed)
    best: dict[int, float] = {}
    for (idx, qty, _cash, _unit) in u.baskets.values():
        val = np.asarray(qty, float) * u.pre_close[idx]
        tot = val.sum()
        if tot <= 0:
            continue
        for i, w in zip(np.asarray(idx).tolist(), (val / tot).tolist()):
            if w >= min_weight and u.boards[i] in ("SH_MAIN", "SZ_MAIN") and not u.is_st[i] and u.up_stop[i] > 0:
                best[i] = max(best.get(i, 0.0), w)
    return [u.codes[i] for i in sorted(best, key=lambda i: (-best[i], u.codes[i]))]


def build_world(setup: DaySetup):
    """The sim World of the setup (deterministic for the seed); planted limit-ups hit heavy ETF holdings."""
    from sim import calendar
    from sim.market.events import PlantSpec
    from sim.world import SimConfig, World

    day = setup.trade_date or calendar.latest_session()
    events = tuple(setup.events)
    if setup.plant:
        heavy = heavy_holdings(setup.n_stocks, setup.n_etfs, day, setup.seed)[: setup.plant]
        events += tuple(PlantSpec("limit_up_sealed", time=f"{10 + i % 3:02d}:{(17 * i + 5) % 60:02d}:00", code=c)
                        for i, c in enumerate(heavy))
    return World(SimConfig(seed=setup.seed, n_stocks=setup.n_stocks, n_etfs=setup.n_etfs, trade_date=day,
                           events=events))


def pick_holdings(world, setup: DaySetup) -> dict[str, int]:
    """Yesterday's positions: a few stocks and ETFs chosen by the seed, about hold_value each."""
    rng = random.Random(setup.seed)
    stocks = sorted(c for c in world.sectors.get("沪深A股", []) if c[:2] in ("60", "00"))
    etfs = sorted(world.sectors.get("沪深ETF", []))
    out = {}
    for pool, n in ((stocks, setup.held_stocks), (etfs, setup.held_etfs)):
        for c in rng.sample(pool, min(n, len(pool))):
            pre = float(world.instruments[c]["PreClose"])
            shares = int(setup.hold_value / pre) // 100 * 100
            if shares > 0:
                out[c] = shares
    return out


def install_sim(setup: DaySetup):
    """Build the world and install the fake xtquant on it; returns (runtime, world, holdings)."""
    import sim

    world = build_world(setup)
    held = pick_holdings(world, setup)
    rt = sim.install(world=world, seed=setup.seed, cash=setup.cash, positions=held, faults=setup.faults,
                     remark_max_len=setup.remark_max_len)
    return rt, world, held


def make_runner(cfg, rt, store, setup: DaySetup, *, notifier: Notifier | None = None, resume: bool = False,
                kill_switch_file: str | None = None, session_base: int = 7000) -> Runner:
    """The live Runner wired to the sim's fake xtquant."""
    from config.loader import project_path

    q: queue.SimpleQueue = queue.SimpleQueue()
    trader = XtTrader(cfg.account.userdata_path or "userdata_mini", setup.account_id, q.put,
                      session_base=session_base)
    return build_runner(cfg, q, trader, store, notifier or build_notifier(cfg.notifications), rt.now_ms,
                        setup.account_id, kill_switch_file=kill_switch_file or project_path(cfg.risk.kill_switch_file),
                        protect_holdings=True, resume=resume, seed=setup.seed,
                        offensive_universe=setup.offensive_universe)


def drive(runner: Runner, progress: Callable[[int, int, int], None] | None = None,
          stop_at: str | None = None) -> int:
    """Step the sim one snapshot at a time, pumping the runner after each; returns steps done."""
    import sim

    rt = sim.runtime()
    total = getattr(rt.world, "n_snapshots", 0) or 0
    sim.drain()                      # every answer to what start() asked is queued: same events each run
    runner.pump()
    steps = 0
    stop_ms = None
    if stop_at:
        h, m, s = (int(x) for x in stop_at.split(":"))
        from bridge.exits import SH_TZ
        d = rt.world.trade_date
        stop_ms = int(dt.datetime(d.year, d.month, d.day, h, m, s, tzinfo=SH_TZ).timestamp() * 1000)
    pc = time.perf_counter
    while True:
        if stop_ms is not None and rt.now_ms() >= stop_ms:
            break
        t0 = pc()
        n = sim.advance(1)
        t1 = pc()
        runner.pump()
        runner.stats["drive_sim_us"] += int((t1 - t0) * 1e6)
        runner.stats["drive_runner_us"] += int((pc() - t1) * 1e6)
        steps += 1
        if progress is not None and steps % 50 == 0:
            progress(steps, total, runner.stats["orders_sent"])
        if n == 0:
            break
    sim.drain()
    runner.pump()
    return steps


def run_day(cfg, store, setup: DaySetup, *, progress=None, notifier=None) -> DayResult:
    """Install the sim, run the whole day through a fresh runner, return the result."""
    t0, c0 = time.perf_counter(), time.process_time()
    rt, world, held = install_sim(setup)
    runner = make_runner(cfg, rt, store, setup, notifier=notifier or Notifier([]))
    runner.start()
    steps = drive(runner, progress)
    runner._check_equity()
    res = DayResult(runner, world, steps, time.perf_counter() - t0, runner.portfolio.start_equity, runner.equity(),
                    held, time.process_time() - c0)
    logger.info("demo day done steps={} wall_s={:.1f} orders={} fills={}", steps, res.wall_s,
                runner.stats["orders_sent"], runner.stats["fills"])
    return res
