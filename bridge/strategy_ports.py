"""Ports that drive qmt_strategies objects from the runner: on_day / on_snapshot / on_fill.

A port returns (signals, intents); the runner records, checks and sends them. Data the strategies need that
comes from outside (ETF baskets, daily bars) is fetched here through the market adapter, never inside
qmt_strategies.
"""
from __future__ import annotations

import numpy as np
from loguru import logger

from qmt_strategies import ashare
from qmt_strategies import evaluate as ev
from qmt_strategies.offensive_driver import offensive_orders
from qmt_strategies.limit_up_etf import LimitUpEtfStrategy
from qmt_strategies.offensive import OffensiveLayerStrategy


def limit_up_params(cfg) -> ev.LimitUpEtfParams:
    """LimitUpEtfParams from AppConfig (strategy + signal_evaluation + limit_up_etf + exits sections)."""
    s, se, lu, ex = cfg.strategy, cfg.signal_evaluation, cfg.limit_up_etf, cfg.exits
    kw = {"min_weight": s.min_weight, "min_etf_volume": s.min_etf_volume, "min_time_to_close": s.min_time_to_close,
          "scan_interval": s.scan_interval, "stop_loss_pct": ex.stop_loss_pct, "take_profit_pct": ex.take_profit_pct,
          "trailing_pct": ex.trailing_pct or 0.0, "exit_time": ex.exit_time + ":00"}
    kw.update(se.model_dump())
    kw.update(lu.model_dump())
    kw["signal_states"] = tuple(lu.signal_states)
    return ev.LimitUpEtfParams(**kw)


class LimitUpPort:
    """LimitUpEtfStrategy: baskets from xtdata.get_etf_info(), refreshed each trading day."""

    name = "limit_up_etf"

    def __init__(self, params: ev.LimitUpEtfParams | None = None):
        self.params = params or ev.LimitUpEtfParams()
        self.name = self.params.strategy_name
        self.strategy: LimitUpEtfStrategy | None = None

    def on_day(self, runner, ymd: int) -> None:
        """Rebind the ETF baskets of the day."""
        info = runner.market.etf_info
        if not info:
            logger.warning("limit_up_etf disabled for the day: no ETF baskets (get_etf_info returned nothing)")
            self.strategy = None
            return
        if self.strategy is None:
            self.strategy = LimitUpEtfStrategy(self.params, etf_info=info)
        else:
            self.strategy.set_holdings(etf_info=info)

    def on_snapshot(self, runner, now_ms: int):
        """(signals of the intents, buy intents, rest): `rest()` builds the push's other signals and finishes the
        strategy's bookkeeping of the push (limit-down states, watch list); the runner calls it once the orders
        are out (before snap.complete())."""
        if self.strategy is None:
            return (), (), None
        return self.strategy.on_snapshot_split(runner.snap, now_ms)

    def on_fill(self, runner, fill):
        """ExitPlan for a buy fill (None for sells)."""
        return self.strategy.on_fill(fill) if self.strategy is not None else None


def offensive_strategy(path=None) -> OffensiveLayerStrategy:
    """OffensiveLayerStrategy from config/offensive.yaml (its defaults when the file is absent)."""
    from config.offensive_schema import DEFAULT_OFFENSIVE, load_offensive

    if path is None and not DEFAULT_OFFENSIVE.exists():
        return OffensiveLayerStrategy()
    return OffensiveLayerStrategy.from_config(load_offensive(path).offensive)


class OffensivePort:
    """OffensiveLayerStrategy: daily factor scores from daily bars before the open, entries at the open, exits intraday."""

    name = "offensive"

    def __init__(self, strategy: OffensiveLayerStrategy | None = None, max_entries_per_day: int = 5,
                 universe_limit: int | None = None, history_days: int = 80, buy_ticks: int = 2):
        self.strategy = strategy or OffensiveLayerStrategy()
        self.name = self.strategy.name
        self.max_entries = max_entries_per_day
        self.universe_limit = universe_limit
        self.history_days = history_days
        self.buy_ticks = buy_ticks
        self.pending: list = []           # buy signals waiting for the continuous session
        self.day = None

    def _scores(self, runner, ymd: int):
        import datetime as dt

        from xtquant import xtdata
        codes = [c for c in runner.market.details if ashare.board_of_code(c) in
                 (ashare.BOARD_MAIN, ashare.BOARD_CHINEXT, ashare.BOARD_STAR)]
        codes.sort()
        if self.universe_limit and len(codes) > self.universe_limit:
            step = len(codes) / self.universe_limit          # evenly spaced: every board and industry stays in
            codes = [codes[int(i * step)] for i in range(self.universe_limit)]
        if not codes:
            return None, None
        d = dt.date(ymd // 10000, ymd // 100 % 100, ymd % 100) - dt.timedelta(days=1)
        frames = xtdata.get_market_data_ex(["high", "low", "close", "volume"], codes, period="1d",
                                           end_time=d.strftime("%Y%m%d"), count=self.history_days)
        n = self.history_days
        mats = {f: np.full((len(codes), n), np.nan) for f in ("high", "low", "close", "volume")}
        for i, c in enumerate(codes):
            f = frames.get(c)
            if f is None or not len(f):
                continue
            for k, mat in mats.items():
                v = f[k].to_numpy(np.float64)[-n:]
                mat[i, n - len(v):] = v
        industries = [runner.market.industry_of.get(c, "") for c in codes]
        close = mats["close"]
        with np.errstate(invalid="ignore", divide="ignore"):
            ret20 = close[:, -1] / close[:, -21] - 1.0
        groups: dict[str, list[float]] = {}
        for ind_name, r in zip(industries, ret20):
            if ind_name and np.isfinite(r):
                groups.setdefault(ind_name, []).append(float(r))
        means = {k: float(np.mean(v)) for k, v in groups.items()}
        order = sorted(means, key=lambda k: means[k])
        ind_scores = {k: 10.0 * (i + 0.5) / len(order) for i, k in enumerate(order)} if order else {}
        nan = np.full(len(codes), np.nan)
        scores = self.strategy.scores(codes, mats, nan, nan, industries, ind_scores)
        return scores, close[:, -1]

    def on_day(self, runner, ymd: int) -> None:
        """Score the universe on yesterday's bars; keep the best buy signals for the open."""
        self.day, self.pending = ymd, []
        try:
            scores, last_close = self._scores(runner, ymd)
        except Exception as exc:  # noqa: BLE001 - no bars: the layer sits the day out
            logger.warning("offensive scores unavailable trade_date={} error={}", ymd, exc)
            return
        if scores is None:
            return
        sigs = self.strategy.on_day(ymd, runner.now_ms, scores, last_close)
        buys = sorted((s for s in sigs if s.action == "buy"), key=lambda s: -s.score)[: self.max_entries]
        self.pending = buys + [s for s in sigs if s.action != "buy"]
        # their level-1 quotes on every push until they are priced (the runner's snapshot reads far rows' last only)
        runner.snap.set_watch(runner.snap.add_codes([s.code for s in self.pending]), owner=self.name)
        logger.info("offensive day trade_date={} candidates={} kept={}", ymd, len(sigs), len(self.pending))

    def on_snapshot(self, runner, now_ms: int):
        """At the first continuous-session snapshot: the day's signals and their intents; later: intraday exits."""
        _, sod = ev.shanghai_clock(now_ms)
        if not ev.in_continuous_session(sod):
            return (), ()
        snap = runner.snap
        signals, intents = offensive_orders(snap, self.pending, self.strategy, self.day, now_ms, self.name,
                                            self.buy_ticks)
        if self.pending:
            self.pending = []
            snap.set_watch([], owner=self.name)
        return signals, intents

    def on_fill(self, runner, fill):
        """Book the fill in the strategy; the bracket uses its TP/SL (from the buy signal)."""
        self.strategy.on_fill(fill)
        h = self.strategy.holdings.get(fill.code)
        if fill.side == "buy" and h:
            from qmt_strategies.types import ExitPlan
            return ExitPlan(fill.code, h["entry_price"], h["stop_loss"], h["take_profit"], 0.0, 0, "")  # held until TP/SL or decay
        return None
