"""Pre-trade risk: order value, position share per stock and industry, order rate and count, daily loss, kill switch."""
from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from loguru import logger

from bridge.orders import Order, Portfolio


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """The risk section of the config (config.schema.Risk), as plain values."""

    max_order_value: float = 100_000
    max_position_pct_stock: float = 0.20
    max_position_pct_industry: float = 0.40
    max_orders_per_second: int = 10
    max_orders_per_day: int = 2000
    daily_loss_limit_pct: float = 0.03
    kill_switch_file: str = "data/KILL"

    @classmethod
    def from_config(cls, risk, kill_switch_path: str | os.PathLike | None = None) -> RiskLimits:
        """From config.schema.Risk (kill switch path resolved by the caller when relative)."""
        return cls(risk.max_order_value, risk.max_position_pct_stock, risk.max_position_pct_industry,
                   risk.max_orders_per_second, risk.max_orders_per_day, risk.daily_loss_limit_pct,
                   str(kill_switch_path or risk.kill_switch_file))


class RiskGate:
    """Stateful pre-trade checks. `check` returns None (pass) or (check_name, reason)."""

    def __init__(self, limits: RiskLimits, industry_of: dict[str, str] | None = None):
        self.limits = limits
        self.industry_of = industry_of or {}
        self.sent_ms: deque[int] = deque()
        self.day_count = 0
        self.halted = False
        self.halt_reason = ""
        self.reduce_only = False
        self._kill_checked = 0.0

    # ---- state changes ------------------------------------------------------------------------
    def on_sent(self, now_ms: int) -> None:
        """Count an order that went to the broker."""
        self.sent_ms.append(now_ms)
        self.day_count += 1

    def new_day(self) -> None:
        """Reset the per-day counters and the reduce-only state (a kill switch stays until removed)."""
        self.day_count = 0
        self.sent_ms.clear()
        self.reduce_only = False

    def update_equity(self, equity: float, start_equity: float) -> bool:
        """Switch to reduce-only once the day's loss reaches the limit; True when it just switched."""
        if self.reduce_only or start_equity <= 0:
            return False
        if equity <= start_equity * (1.0 - self.limits.daily_loss_limit_pct):
            self.reduce_only = True
            logger.warning("risk reduce_only=on equity={:.2f} start={:.2f} limit_pct={}", equity, start_equity,
                           self.limits.daily_loss_limit_pct)
            return True
        return False

    def kill_switch_on(self, *, force: bool = False) -> bool:
        """True when the kill-switch file exists (looked up at most every 0.2 s of wall time)."""
        now = time.monotonic()
        if not force and now - self._kill_checked < 0.2:
            return self.halted and self.halt_reason == "kill switch"
        self._kill_checked = now
        if Path(self.limits.kill_switch_file).exists():
            if not self.halted:
                self.halted, self.halt_reason = True, "kill switch"
                logger.critical("risk kill_switch=on file={}", self.limits.kill_switch_file)
            return True
        if self.halted and self.halt_reason == "kill switch":
            self.halted, self.halt_reason = False, ""
            logger.warning("risk kill_switch=off file={} (removed; trading resumes)", self.limits.kill_switch_file)
        return False

    def halt(self, reason: str) -> None:
        """Stop all new orders (e.g. an unrecoverable error)."""
        self.halted, self.halt_reason = True, reason

    # ---- the check ----------------------------------------------------------------------------
    def check(self, order: Order, portfolio: Portfolio, prices: dict[str, float], live: list[Order],
              now_ms: int) -> tuple[str, str] | None:
        """Every pre-trade check for one order, in order; the first failure wins."""
        lim = self.limits
        if self.halted:
            return "halted", f"trading halted ({self.halt_reason}); remove {lim.kill_switch_file} to resume"
        while self.sent_ms and self.sent_ms[0] <= now_ms - 1000:
            self.sent_ms.popleft()
        if len(self.sent_ms) >= lim.max_orders_per_second:
            return "rate", f"{len(self.sent_ms)} orders in the last second (limit {lim.max_orders_per_second}/s)"
        if self.day_count >= lim.max_orders_per_day:
            return "day_count", f"{self.day_count} orders today (limit {lim.max_orders_per_day}/day)"
        value = order.price * order.quantity
        if order.side == "sell":
            return None                      # reducing exposure is always allowed (except when halted)
        if self.reduce_only:
            return "reduce_only", f"daily loss limit {lim.daily_loss_limit_pct:.1%} reached: only sells allowed"
        if value > lim.max_order_value + 1e-6:
            return "order_value", f"order value {value:.2f} exceeds max_order_value {lim.max_order_value:.2f}"
        total = portfolio.total_asset
        if total <= 0:
            return "no_asset", "total assets unknown (no asset update from the broker yet)"

        def exposure(codes: set[str]) -> float:
            held = sum(h.volume * prices.get(c, h.avg_price) for c, h in portfolio.holdings.items() if c in codes)
            pend = sum(o.remaining * o.price for o in live if o.side == "buy" and o.code in codes)
            return held + pend

        share = (exposure({order.code}) + value) / total
        if share > lim.max_position_pct_stock + 1e-9:
            return "position_stock", (f"{order.code} would be {share:.1%} of assets "
                                      f"(limit {lim.max_position_pct_stock:.0%})")
        ind = self.industry_of.get(order.code)
        if ind:
            peers = {c for c in set(portfolio.holdings) | {o.code for o in live} if self.industry_of.get(c) == ind}
            share = (exposure(peers | {order.code}) + value) / total
            if share > lim.max_position_pct_industry + 1e-9:
                return "position_industry", (f"industry {ind} would be {share:.1%} of assets "
                                             f"(limit {lim.max_position_pct_industry:.0%})")
        return None

    def room(self, code: str, portfolio: Portfolio, prices: dict[str, float], live: list[Order]) -> float:
        """Most CNY a new buy of `code` may add under the value and share limits (for sizing)."""
        lim = self.limits
        total = portfolio.total_asset
        if total <= 0:
            return 0.0
        held = sum(h.volume * prices.get(c, h.avg_price) for c, h in portfolio.holdings.items() if c == code)
        pend = sum(o.remaining * o.price for o in live if o.side == "buy" and o.code == code)
        room = min(lim.max_order_value, lim.max_position_pct_stock * total - held - pend)
        ind = self.industry_of.get(code)
        if ind:
            codes = {c for c in set(portfolio.holdings) | {o.code for o in live} if self.industry_of.get(c) == ind}
            iheld = sum(h.volume * prices.get(c, h.avg_price) for c, h in portfolio.holdings.items() if c in codes)
            ipend = sum(o.remaining * o.price for o in live if o.side == "buy" and o.code in codes)
            room = min(room, lim.max_position_pct_industry * total - iheld - ipend)
        return max(room, 0.0)
