"""The one simulated QMT behind the fake xtquant: options, the lazily built World, scheduler, clock, broker, quotes."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from loguru import logger

from sim.driver import Driver, Gate, Scheduler
from sim.faults import FaultConfig, Faults

SH_TZ = ZoneInfo("Asia/Shanghai")

# --market presets: (stocks, etfs)
MARKETS = {"tiny": (40, 6), "small": (400, 40), "full": (5000, 500)}


@dataclass(frozen=True, slots=True)
class SimOptions:
    """How the fake xtquant builds and drives its world (set by sim.install / python -m sim exec)."""

    seed: int = 0
    market: str | None = "small"          # tiny | small | full, or None to use n_stocks/n_etfs
    n_stocks: int | None = None
    n_etfs: int | None = None
    trade_date: dt.date | None = None
    speed: float | None = None            # None = as fast as possible (deterministic); 1.0 = real time
    cash: float = 1_000_000.0             # cash of an account opened on first use
    positions: tuple[tuple[str, int], ...] = ()   # (code, shares) held by an account opened on first use
    remark_max_len: int | None = None     # some brokers truncate order_remark; None keeps it whole
    faults: FaultConfig = field(default_factory=FaultConfig)
    world_kwargs: tuple[tuple[str, object], ...] = ()   # any other SimConfig field
    tape: str | None = None

    def __post_init__(self) -> None:
        if self.market is not None and self.market not in MARKETS:
            raise ValueError(f"market={self.market!r} is unknown; use one of {', '.join(MARKETS)} or n_stocks/n_etfs")
        if self.speed is not None and self.speed <= 0:
            raise ValueError(f"speed={self.speed} must be > 0 (or None for as fast as possible)")
        if self.cash < 0:
            raise ValueError(f"cash={self.cash} must be >= 0")

    def sim_config(self):
        """The SimConfig for sim.world.World."""
        from sim.world import SimConfig

        stocks, etfs = MARKETS[self.market] if self.market else (5000, 500)
        kwargs = dict(self.world_kwargs)
        kwargs.setdefault("seed", self.seed)
        kwargs.setdefault("n_stocks", self.n_stocks if self.n_stocks is not None else stocks)
        kwargs.setdefault("n_etfs", self.n_etfs if self.n_etfs is not None else etfs)
        if self.trade_date is not None:
            kwargs.setdefault("trade_date", self.trade_date)
        if self.remark_max_len is not None and "exchange" not in kwargs:
            from sim.exchange import ExchangeConfig

            kwargs["exchange"] = ExchangeConfig(remark_max_len=self.remark_max_len)
        return SimConfig(**kwargs)


class Runtime:
    """Owns the World, the baton scheduler, the clock driver, the broker and the quote hub."""

    def __init__(self, options: SimOptions | None = None, world=None) -> None:
        self.options = options or SimOptions()
        self.sched = Scheduler()
        self._world = world
        self._lock = threading.Lock()
        self.driver: Driver | None = None
        self.ended = False
        self.faults = Faults(self.options.faults, seed=self.options.seed)
        from sim.fake_xtquant._broker import Broker
        from sim.fake_xtquant._quotes import QuoteHub

        self.broker = Broker(self)
        self.quotes = QuoteHub(self)
        if world is not None:
            self._attach(world)

    # -- world ----------------------------------------------------------------------------------
    @property
    def world(self):
        """The World, built on first use."""
        if self._world is None:
            with self._lock:
                if self._world is None:
                    from sim.world import World

                    cfg = self.options.sim_config()
                    logger.info("sim world building seed={} stocks={} etfs={}", cfg.seed, cfg.n_stocks, cfg.n_etfs)
                    world = World(cfg, tape=self.options.tape) if self.options.tape else World(cfg)
                    self._attach(world)
                    self._world = world
        return self._world

    def _attach(self, world) -> None:
        day0 = dt.datetime.combine(world.trade_date, dt.time(0), tzinfo=SH_TZ)
        self.faults.set_day(int(day0.timestamp() * 1000))
        world.exchange.add_listener(self.broker.on_event)
        self.faults.on_trader_disconnect.append(self.broker.on_disconnect)
        self.faults.on_xtdata_disconnect.append(self.quotes.on_disconnect)
        self.driver = Driver(self.sched, self._step, lambda: self.world.now_ms, speed=self.options.speed,
                             has_delayed=self.broker.has_delayed, name="xtdata-callback")

    def now_ms(self) -> int:
        """Simulated wall clock (ms epoch)."""
        return self.world.now_ms

    def _step(self) -> bool:
        """Advance one snapshot (baton held): match, push quotes, release due pushes; False at the end."""
        if self.ended:
            return False
        ticks = self.world.step()
        if ticks is None:
            self.ended = True
            logger.info("sim session ended now_ms={}", self.world.now_ms)
            return False
        now = self.world.now_ms
        self.faults.on_clock(now)
        self.broker.on_clock(now)
        self.quotes.dispatch(ticks, now)
        return True

    # -- library-mode clock control ---------------------------------------------------------------
    def check_can_wait_for_time(self, what: str) -> None:
        """Refuse a wait for simulated time on the xtdata callback thread (it is the thread that moves the clock)."""
        _ = self.world
        if self.driver is not None and self.driver.in_driver():
            raise RuntimeError(f"sim: {what} inside an xtdata callback would stop the simulated clock (the real "
                               "client would stop receiving quotes too); return from the callback and wait in "
                               "the main thread instead")

    def drain(self) -> None:
        """Wait until every queued callback has run (no clock advance)."""
        _ = self.world
        self.check_can_wait_for_time("sim.drain()")
        with self.sched.baton():
            self.sched.wait(Gate("clock", due_ms=self.world.now_ms))

    def advance(self, n: int = 1) -> int:
        """Step n snapshots, running all callbacks after each; returns how many steps happened."""
        done = 0
        _ = self.world
        self.check_can_wait_for_time("sim.advance()")
        with self.sched.baton():
            for _i in range(n):
                self.sched.wait(Gate("clock", due_ms=self.world.now_ms))
                if not self._step():
                    break
                done += 1
            self.sched.wait(Gate("clock", due_ms=self.world.now_ms))
        return done

    def run_until(self, hhmmss: str) -> None:
        """Step until the simulated clock reaches HH:MM:SS of the trade date (or the session ends)."""
        self.check_can_wait_for_time("sim.run_until()")
        h, m, s = (int(x) for x in hhmmss.split(":"))
        target = dt.datetime.combine(self.world.trade_date, dt.time(h, m, s), tzinfo=SH_TZ)
        due = int(target.timestamp() * 1000)
        with self.sched.baton():
            self.sched.wait(Gate("clock", due_ms=due))

    def run_to_end(self) -> None:
        """Step until the session ends."""
        _ = self.world
        self.check_can_wait_for_time("sim.run_to_end()")
        with self.sched.baton():
            self.sched.wait(Gate("clock"))

    def sleep(self, seconds: float) -> bool:
        """Let simulated time pass (baton-aware); returns True if the session ended meanwhile."""
        _ = self.world
        self.check_can_wait_for_time("sleeping in simulated time")
        with self.sched.baton():
            if self.ended:
                return True
            due = self.world.now_ms + round(seconds * 1000)
            return bool(self.sched.wait(Gate("clock", due_ms=due)))

    def shutdown(self) -> None:
        """Close every lane (used by uninstall)."""
        self.broker.close()
        self.quotes.close()
        self.sched.close()


def tune_gc() -> None:
    """For a whole-process run (python -m sim exec, benchmarks): freeze the built world out of the cyclic GC and
    collect young objects less often; a simulated day allocates ~10^7 short-lived tick dicts."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


_RUNTIME: Runtime | None = None
_OPTIONS = SimOptions()
_RT_LOCK = threading.Lock()


def configure(options: SimOptions | None = None, world=None) -> Runtime:
    """Replace the runtime (sim.install calls this)."""
    global _RUNTIME, _OPTIONS
    with _RT_LOCK:
        if _RUNTIME is not None:
            _RUNTIME.shutdown()
        _OPTIONS = options or SimOptions()
        _RUNTIME = Runtime(_OPTIONS, world=world)
        return _RUNTIME


def get_runtime() -> Runtime:
    """The current runtime, created with the last configured options on first use."""
    global _RUNTIME
    with _RT_LOCK:
        if _RUNTIME is None:
            _RUNTIME = Runtime(_OPTIONS)
        return _RUNTIME


def reset() -> None:
    """Drop the runtime (tests)."""
    global _RUNTIME, _OPTIONS
    with _RT_LOCK:
        if _RUNTIME is not None:
            _RUNTIME.shutdown()
        _RUNTIME = None
        _OPTIONS = SimOptions()


__all__ = ["MARKETS", "Runtime", "SimOptions", "configure", "get_runtime", "replace", "reset", "tune_gc"]
