"""Wiring a Runner from AppConfig: the same function for `run --live`, `run --sim`, the demo and the drills."""
from __future__ import annotations

from bridge.risk import RiskGate, RiskLimits
from bridge.runner import Runner
from bridge.strategy_ports import (
    LimitUpPort,
    OffensivePort,
    limit_up_params,
    offensive_strategy,
)
from bridge.xt_market import XtMarket
from bridge.xt_trader import XtTrader


def build_runner(cfg, q, trader: XtTrader, store, notifier, clock, account_id: str, *, kill_switch_file,
                 protect_holdings: bool, resume: bool, seed: int = 0, offensive_universe: int | None = None) -> Runner:
    """A Runner wired from AppConfig (risk, exits, runner sections) — the same for live and sim."""
    rc = cfg.runner
    market = XtMarket(q.put, markets=tuple(rc.markets), codes=list(rc.codes) or None,
                      stale_after_ms=int(rc.market_stale_s * 1000))
    risk = RiskGate(RiskLimits.from_config(cfg.risk, kill_switch_file))
    strategies = [LimitUpPort(limit_up_params(cfg)),
                  OffensivePort(offensive_strategy(), max_entries_per_day=rc.offensive_max_entries,
                                universe_limit=offensive_universe)]
    return Runner(q, trader, market, store, notifier, risk, cfg.exits, strategies, clock, account_id=account_id,
                  protect_holdings=protect_holdings or rc.protect_holdings, seed=seed, resume=resume,
                  ack_timeout_ms=int(rc.ack_timeout_s * 1000), exit_reprice_ms=int(rc.exit_reprice_s * 1000),
                  exit_slippage=rc.exit_slippage_pct, reconnect_base_ms=int(rc.reconnect_base_s * 1000),
                  reconnect_cap_ms=int(rc.reconnect_cap_s * 1000))
