"""Backtest metrics from a daily equity curve and the realised P&L of sells."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

TRADING_DAYS = 242      # A-share sessions per year, for annualising


@dataclass(frozen=True, slots=True)
class Metrics:
    """Summary figures of one run."""

    start_equity: float
    end_equity: float
    total_return: float          # end / start - 1
    annual_return: float         # geometric, 242 sessions a year
    max_drawdown: float          # largest peak-to-trough fall, as a positive fraction
    sharpe: float                # mean / std of daily returns x sqrt(242), risk-free 0; 0 when undefined
    win_rate: float              # share of sells with positive realised P&L after fees; 0 when none
    trades: int                  # deals (fills)
    orders: int
    days: int

    def as_dict(self) -> dict:
        """Plain dict (for JSON / the database)."""
        return asdict(self)


def max_drawdown(equity: np.ndarray) -> float:
    """Largest peak-to-trough fall of a curve as a positive fraction (0 for a non-falling curve)."""
    if len(equity) == 0:
        return 0.0
    peak = np.maximum.accumulate(equity)
    return float(np.max((peak - equity) / peak))


def sharpe(equity: np.ndarray) -> float:
    """Annualised Sharpe ratio of daily returns (risk-free 0); 0 when fewer than 2 returns or no variance."""
    if len(equity) < 3:
        return 0.0
    r = np.diff(equity) / equity[:-1]
    sd = float(np.std(r, ddof=1))
    return float(np.mean(r) / sd * math.sqrt(TRADING_DAYS)) if sd > 0 else 0.0


def compute(start_cash: float, equity: list[float], realized: list[float], n_deals: int, n_orders: int) -> Metrics:
    """All metrics of a run; the curve starts from the starting cash."""
    eq = np.asarray([start_cash, *equity], np.float64)
    total = float(eq[-1] / eq[0] - 1.0) if eq[0] > 0 else 0.0
    days = len(equity)
    annual = float((1.0 + total) ** (TRADING_DAYS / days) - 1.0) if days and total > -1 else -1.0 if days else 0.0
    wins = sum(1 for x in realized if x > 0)
    return Metrics(float(eq[0]), float(eq[-1]), total, annual, max_drawdown(eq), sharpe(eq),
                   wins / len(realized) if realized else 0.0, n_deals, n_orders, days)
