"""Pre-trade risk for the miniQMT runner: the rules of qmt_strategies.builtin_guard (order value, position share per
stock and industry, order rate and count, daily loss) on Portfolio/Order objects, plus the kill-switch file and logging."""
from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from loguru import logger

from bridge.orders import Order, Portfolio
from qmt_strategies import builtin_guard as core


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


def plain_positions(portfolio: Portfolio) -> dict[str, list]:
    """{code: [volume, avg_price]} of a Portfolio's holdings (the core's positions)."""
    return {c: [h.volume, h.avg_price] for c, h in portfolio.holdings.items()}


def plain_live(live: list[Order]) -> list[tuple[str, str, int, float]]:
    """[(code, side, remaining, price)] of open orders (the core's live orders)."""
    return [(o.code, o.side, o.remaining, o.price) for o in live]


class RiskGate(core.RiskGate):
    """Stateful pre-trade checks. `check` returns None (pass) or (check_name, reason)."""

    NO_ASSET_REASON = "total assets unknown (no asset update from the broker yet)"
    limits: RiskLimits
    sent_ms: deque[int]

    def __init__(self, limits: RiskLimits, industry_of: dict[str, str] | None = None):
        super().__init__(limits, industry_of)
        self._kill_checked = 0.0

    def update_equity(self, equity: float, start_equity: float) -> bool:
        """Switch to reduce-only once the day's loss reaches the limit; True when it just switched."""
        if not super().update_equity(equity, start_equity):
            return False
        logger.warning("risk reduce_only=on equity={:.2f} start={:.2f} limit_pct={}", equity, start_equity,
                       self.limits.daily_loss_limit_pct)
        return True

    def kill_switch_on(self, *, force: bool = False) -> bool:
        """True when the kill-switch file exists (looked up at most every 0.2 s of wall time)."""
        now = time.monotonic()
        if not force and now - self._kill_checked < 0.2:
            return self.halted and self.halt_reason == "kill switch"
        self._kill_checked = now
        if Path(self.limits.kill_switch_file).exists():
            if not self.halted:
                self.halt("kill switch")
                logger.critical("risk kill_switch=on file={}", self.limits.kill_switch_file)
            return True
        if self.halted and self.halt_reason == "kill switch":
            self.halted, self.halt_reason = False, ""
            logger.warning("risk kill_switch=off file={} (removed; trading resumes)", self.limits.kill_switch_file)
        return False

    def halted_message(self) -> str:
        """The reason text of the 'halted' check."""
        return f"trading halted ({self.halt_reason}); remove {self.limits.kill_switch_file} to resume"

    def check(self, order: Order, portfolio: Portfolio, prices: dict[str, float], live: list[Order],
              now_ms: int) -> tuple[str, str] | None:
        """Every pre-trade check for one order, in order; the first failure wins."""
        return self.check_order(order.code, order.side, order.price, order.quantity, portfolio.total_asset,
                                plain_positions(portfolio), prices, plain_live(live), now_ms)

    def room(self, code: str, portfolio: Portfolio, prices: dict[str, float], live: list[Order]) -> float:
        """Most CNY a new buy of `code` may add under the value and share limits (for sizing)."""
        return self.room_for(code, portfolio.total_asset, plain_positions(portfolio), prices, plain_live(live))
