"""Exit brackets per position: stop-loss, staged take-profit, trailing stop, time exit; evaluated vectorised per snapshot."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import numpy as np

from qmt_strategies import ashare

SH_TZ = dt.timezone(dt.timedelta(hours=8))
EXIT_SLIPPAGE = 0.005           # exit limit price this far below the best bid: marketable, inside the cage
REFIRE_COOLDOWN_MS = 5_000      # after a failed exit, wait before firing again


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


def exit_price_units(last: float, bid1: float, board: int, tick: int, down_units: int,
                     slippage: float = EXIT_SLIPPAGE) -> int:
    """A sell limit that will fill now: `slippage` below the best bid, on the tick grid, inside cage and band."""
    ref = bid1 if bid1 > 0 else last
    target = int(np.floor(ref * (1 - slippage) * ashare.PRICE_SCALE / tick + 1e-9)) * tick
    _, sell_min = ashare.cage_units(np.array([ashare.to_units(last)]), np.array([board]), np.array([tick]))
    smin = -(-int(sell_min[0]) // tick) * tick          # on the grid even if `last` is not
    return max(target, smin, down_units, tick)


class ExitBook:
    """All brackets, evaluated together on each snapshot (numpy over positions)."""

    def __init__(self, slippage: float = EXIT_SLIPPAGE) -> None:
        self.brackets: dict[str, Bracket] = {}
        self.slippage = slippage

    def put(self, b: Bracket) -> None:
        """Add or replace the bracket of a position."""
        self.brackets[b.code] = b

    def get(self, code: str) -> Bracket | None:
        """The bracket of a code (active or not)."""
        return self.brackets.get(code)

    def active(self) -> list[Bracket]:
        """Brackets still watching a position."""
        return [b for b in self.brackets.values() if b.active]

    def evaluate(self, snap, now_ms: int, sellable: dict[str, int]) -> list[ExitTrigger]:
        """Legs that fire on this snapshot; brackets with an exit in flight or nothing sellable are skipped."""
        bs = [b for b in self.brackets.values() if b.active and b.code in snap.index]
        if not bs:
            return []
        rows = np.fromiter((snap.index[b.code] for b in bs), np.int64, len(bs))
        valid = snap.valid[rows] & (snap.last[rows] > 0)
        last = snap.last[rows]
        high = np.fromiter((b.high for b in bs), np.float64, len(bs))
        high = np.where(valid, np.maximum(high, last), high)
        for b, h in zip(bs, high.tolist()):
            b.high = h
        sl = np.fromiter((b.stop_loss for b in bs), np.float64, len(bs))
        trail = np.fromiter((b.trailing_pct for b in bs), np.float64, len(bs))
        tp = np.fromiter((b.take_profit[b.stage][0] if b.stage < len(b.take_profit) else 0.0 for b in bs),
                         np.float64, len(bs))
        t_exit = np.fromiter((b.exit_at_ms for b in bs), np.int64, len(bs))
        free = np.fromiter((not b.inflight and b.blocked_until_ms <= now_ms and sellable.get(b.code, 0) > 0
                            for b in bs), bool, len(bs))
        ok = valid & free
        hit_sl = ok & (sl > 0) & (last <= sl)
        trail_px = high * (1 - trail)
        hit_tr = ok & (trail > 0) & (last <= trail_px) & (high > np.fromiter((b.entry_price for b in bs), np.float64,
                                                                            len(bs)))
        hit_tp = ok & (tp > 0) & (last >= tp)
        hit_t = ok & (t_exit > 0) & (now_ms >= t_exit)
        fired = np.nonzero(hit_sl | hit_tr | hit_tp | hit_t)[0]
        out = []
        bid1 = snap.bid[rows, 0]
        for i in fired.tolist():
            b = bs[i]
            r = int(rows[i])
            if hit_sl[i]:
                reason, qty = "stop_loss", 0
            elif hit_tr[i]:
                reason, qty = "trailing_stop", 0
            elif hit_t[i]:
                reason, qty = "time_exit", 0
            else:
                reason = "take_profit"
                frac = b.take_profit[b.stage][1]
                last_stage = b.stage >= len(b.take_profit) - 1
                qty = 0 if last_stage or frac >= 1 else int(b.quantity * frac)
            pu = exit_price_units(float(last[i]), float(bid1[i]), int(snap.board[r]), int(snap.tick[r]),
                                  int(snap.down_units[r]), self.slippage)
            out.append(ExitTrigger(b.code, reason, pu / ashare.PRICE_SCALE, qty, float(last[i])))
        return out

    def on_exit_sent(self, code: str, client_id: str, reason: str) -> None:
        """Mark an exit in flight for a position (at most one)."""
        b = self.brackets[code]
        b.inflight, b.last_reason = client_id, reason

    def on_exit_final(self, code: str, client_id: str, filled: int, remaining_position: int, now_ms: int) -> None:
        """An exit order ended: advance the take-profit stage, close the bracket when flat, or allow a retry later."""
        b = self.brackets.get(code)
        if b is None or b.inflight != client_id:
            return
        b.inflight = ""
        if remaining_position <= 0:
            b.active = False
            return
        if filled > 0 and b.last_reason == "take_profit":
            b.stage += 1
            if b.stage >= len(b.take_profit) and not (b.stop_loss or b.trailing_pct or b.exit_at_ms):
                b.active = False
        if filled == 0:
            b.blocked_until_ms = now_ms + REFIRE_COOLDOWN_MS

    def on_position(self, code: str, volume: int) -> None:
        """Broker position update: a flat position closes its bracket (unless an exit is still in flight)."""
        b = self.brackets.get(code)
        if b is not None and volume <= 0 and not b.inflight:
            b.active = False
