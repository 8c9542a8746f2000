"""Exit brackets per position for the miniQMT runner: stop-loss, staged take-profit, trailing stop, time exit.

The rules (which leg fires, the exit limit price, stages and retries) are qmt_strategies.builtin_guard's; this module
adds the persisted dataclass Bracket, its constructors from config/plans and typed triggers."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from qmt_strategies import builtin_guard as core
from qmt_strategies.builtin_guard import EXIT_SLIPPAGE, REFIRE_COOLDOWN_MS, exit_leg, exit_price_units

__all__ = ["EXIT_SLIPPAGE", "REFIRE_COOLDOWN_MS", "SH_TZ", "Bracket", "ExitBook", "ExitTrigger", "bracket_from_defaults",
           "bracket_from_plan", "exit_leg", "exit_price_units", "exit_time_ms"]

SH_TZ = dt.timezone(dt.timedelta(hours=8))


@dataclass(slots=True)
class Bracket:
    """Exit plan of one position. Prices absolute; 0 disables a leg. take_profit: [(price, fraction of original)]."""

    code: str
    entry_price: float
    quantity: int                                   # shares covered when the bracket was made
    stop_loss: float = 0.0
    take_profit: list[tuple[float, float]] = field(default_factory=list)
    trailing_pct: float = 0.0
    high: float = 0.0                               # highest price since entry (trailing stop anchor)
    exit_at_ms: int = 0                             # time exit (ms epoch); 0 = none
    stage: int = 0                                  # next take-profit stage
    inflight: str = ""                              # client_id of the exit order in flight ('' = none)
    blocked_until_ms: int = 0
    active: bool = True
    strategy: str = ""
    entry_client_id: str = ""
    last_reason: str = ""

    def to_json(self) -> dict:
        """Plain dict for persistence."""
        d = asdict(self)
        d["take_profit"] = [list(s) for s in self.take_profit]
        return d

    @classmethod
    def from_json(cls, d: dict) -> Bracket:
        """Inverse of to_json (unknown keys ignored)."""
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        known["take_profit"] = [(float(p), float(f)) for p, f in known.get("take_profit") or []]
        return cls(**known)


def exit_time_ms(trade_date: dt.date, hhmm: str) -> int:
    """ms epoch of HH:MM(:SS) Asia/Shanghai on a date."""
    parts = [int(x) for x in hhmm.split(":")] + [0]
    t = dt.datetime(trade_date.year, trade_date.month, trade_date.day, parts[0], parts[1], parts[2], tzinfo=SH_TZ)
    return int(t.timestamp() * 1000)


def bracket_from_defaults(code: str, entry_price: float, quantity: int, exits_cfg, sell_date: dt.date,
                          strategy: str = "", entry_client_id: str = "") -> Bracket:
    """A bracket from config.schema.Exits percentages; the time exit is on `sell_date` (first day it can be sold)."""
    sl = round(entry_price * (1 - exits_cfg.stop_loss_pct), 4)
    tp = round(entry_price * (1 + exits_cfg.take_profit_pct), 4)
    return Bracket(code=code, entry_price=entry_price, quantity=quantity, stop_loss=sl, take_profit=[(tp, 1.0)],
                   trailing_pct=exits_cfg.trailing_pct or 0.0, high=entry_price,
                   exit_at_ms=exit_time_ms(sell_date, exits_cfg.exit_time), strategy=strategy,
                   entry_client_id=entry_client_id)


def bracket_from_plan(plan, quantity: int, sell_date: dt.date, strategy: str = "", entry_client_id: str = "") -> Bracket:
    """A bracket from a qmt_strategies ExitPlan (absolute prices)."""
    tps = [(float(plan.take_profit), 1.0)] if plan.take_profit else []
    return Bracket(code=plan.code, entry_price=float(plan.entry_price), quantity=quantity,
                   stop_loss=float(plan.stop_loss or 0.0), take_profit=tps, trailing_pct=float(plan.trailing_pct or 0.0),
                   high=float(plan.entry_price), exit_at_ms=exit_time_ms(sell_date, plan.exit_time) if plan.exit_time else 0,
                   strategy=strategy, entry_client_id=entry_client_id)


@dataclass(frozen=True, slots=True)
class ExitTrigger:
    """A bracket leg that fired: sell `quantity` (0 = everything sellable) of `code` at limit `price`."""

    code: str
    reason: str          # stop_loss / take_profit / trailing_stop / time_exit
    price: float
    quantity: int
    last: float


class ExitBook(core.ExitBook):
    """All brackets, keyed by code; the legs, exit prices and retry rules are qmt_strategies.builtin_guard's."""

    brackets: dict[str, Bracket]

    def evaluate(self, snap, now_ms: int, sellable: dict[str, int]) -> list[ExitTrigger]:
        """Legs that fire on this snapshot; brackets with an exit in flight or nothing sellable are skipped."""
        return [ExitTrigger(*t) for t in super().evaluate(snap, now_ms, sellable)]
