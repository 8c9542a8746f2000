"""Pre-trade risk checks and exit brackets (Python 3.6): the one copy of these rules. The QMT built-in adapter uses
them as they are; bridge/risk.py and bridge/exits.py are thin Python 3.10 layers over them for the miniQMT runner
(Portfolio/Order objects, dataclass brackets, the kill-switch file, logging). No I/O here."""
from collections import deque

import numpy as np

from . import ashare

EXIT_SLIPPAGE = 0.005          # exit limit price this far below the best bid: marketable, inside the cage
REFIRE_COOLDOWN_MS = 5000      # after a failed exit, wait before firing again


class RiskLimits:
    """config.schema.Risk values (kill switch: a callable the glue injects, e.g. a file check)."""

    def __init__(self, max_order_value=100000.0, max_position_pct_stock=0.20, max_position_pct_industry=0.40,
                 max_orders_per_second=10, max_orders_per_day=2000, daily_loss_limit_pct=0.03):
        self.max_order_value = float(max_order_value)
        self.max_position_pct_stock = float(max_position_pct_stock)
        self.max_position_pct_industry = float(max_position_pct_industry)
        self.max_orders_per_second = int(max_orders_per_second)
        self.max_orders_per_day = int(max_orders_per_day)
        self.daily_loss_limit_pct = float(daily_loss_limit_pct)


class RiskGate:
    """Stateful pre-trade checks on plain values: positions {code: [volume, avg_price]}, live orders
    [(code, side, remaining, price)]. check_order returns None (pass) or (check_name, reason)."""

    NO_ASSET_REASON = "total assets unknown (no account data yet)"

    def __init__(self, limits, industry_of=None):
        self.limits = limits
        self.industry_of = industry_of or {}
        self.sent_ms = deque()
        self.day_count = 0
        self.halted = False
        self.halt_reason = ""
        self.reduce_only = False

    def on_sent(self, now_ms):
        """Count an order that went to the broker."""
        self.sent_ms.append(now_ms)
        self.day_count += 1

    def new_day(self):
        """Reset the per-day counters and the reduce-only state (a halt stays)."""
        self.day_count = 0
        self.sent_ms.clear()
        self.reduce_only = False

    def update_equity(self, equity, start_equity):
        """Reduce-only once the day's loss reaches the limit; True when it just switched."""
        if self.reduce_only or start_equity <= 0:
            return False
        if equity <= start_equity * (1.0 - self.limits.daily_loss_limit_pct):
            self.reduce_only = True
            return True
        return False

    def halt(self, reason):
        """Stop all new orders (kill switch, an unrecoverable error)."""
        self.halted, self.halt_reason = True, reason

    def halted_message(self):
        """The reason text of the 'halted' check."""
        return "trading halted (%s)" % self.halt_reason

    def check_order(self, code, side, price, quantity, total_asset, positions, prices, live, now_ms):
        """Every pre-trade check for one order, in order; the first failure wins."""
        lim = self.limits
        if self.halted:
            return "halted", self.halted_message()
        sent = self.sent_ms
        while sent and sent[0] <= now_ms - 1000:
            sent.popleft()
        if len(sent) >= lim.max_orders_per_second:
            return "rate", "%d orders in the last second (limit %d/s)" % (len(sent), lim.max_orders_per_second)
        if self.day_count >= lim.max_orders_per_day:
            return "day_count", "%d orders today (limit %d/day)" % (self.day_count, lim.max_orders_per_day)
        value = price * quantity
        if side == "sell":
            return None                      # reducing exposure is always allowed (except when halted)
        if self.reduce_only:
            return "reduce_only", "daily loss limit %.1f%% reached: only sells allowed" % (lim.daily_loss_limit_pct * 100)
        if value > lim.max_order_value + 1e-6:
            return "order_value", "order value %.2f exceeds max_order_value %.2f" % (value, lim.max_order_value)
        if total_asset <= 0:
            return "no_asset", self.NO_ASSET_REASON
        held, pend = _exposure({code}, positions, prices, live)
        share = (held + pend + value) / total_asset
        if share > lim.max_position_pct_stock + 1e-9:
            return "position_stock", "%s would be %.1f%% of assets (limit %.0f%%)" % (
                code, share * 100, lim.max_position_pct_stock * 100)
        ind = self.industry_of.get(code)
        if ind:
            held, pend = _exposure(self._peers(ind, positions, live) | {code}, positions, prices, live)
            share = (held + pend + value) / total_asset
            if share > lim.max_position_pct_industry + 1e-9:
                return "position_industry", "industry %s would be %.1f%% of assets (limit %.0f%%)" % (
                    ind, share * 100, lim.max_position_pct_industry * 100)
        return None

    def room_for(self, code, total_asset, positions, prices, live):
        """Most CNY a new buy of `code` may add under the value and share limits (for sizing)."""
        lim = self.limits
        if total_asset <= 0:
            return 0.0
        held, pend = _exposure({code}, positions, prices, live)
        room = min(lim.max_order_value, lim.max_position_pct_stock * total_asset - held - pend)
        ind = self.industry_of.get(code)
        if ind:
            held, pend = _exposure(self._peers(ind, positions, live), positions, prices, live)
            room = min(room, lim.max_position_pct_industry * total_asset - held - pend)
        return max(room, 0.0)

    def _peers(self, ind, positions, live):
        """Codes held or with a live order in industry `ind`."""
        return set(c for c in set(positions) | set(o[0] for o in live) if self.industry_of.get(c) == ind)


def _exposure(codes, positions, prices, live):
    """(CNY held at the last price, else the average cost; CNY of pending buys) in `codes`."""
    held = sum(v[0] * prices.get(c, v[1]) for c, v in positions.items() if c in codes)
    return held, sum(rem * px for c, s, rem, px in live if s == "buy" and c in codes)


class Bracket:
    """Exit plan of one position. Prices absolute; 0 disables a leg. take_profit: [(price, fraction of original)];
    exit_days_left counts trading days to the time exit (exit_time HH:MM), exit_at_ms is its timestamp once due."""

    def __init__(self, code, entry_price, quantity, stop_loss=0.0, take_profit=None, trailing_pct=0.0,
                 exit_days_left=0, exit_time="", strategy="", entry_client_id=""):
        self.code = code
        self.entry_price = float(entry_price)
        self.quantity = int(quantity)
        self.stop_loss = float(stop_loss or 0.0)
        self.take_profit = list(take_profit or [])
        self.trailing_pct = float(trailing_pct or 0.0)
        self.high = float(entry_price)
        self.exit_days_left = int(exit_days_left)
        self.exit_time = exit_time
        self.exit_at_ms = 0
        self.stage = 0
        self.inflight = ""
        self.blocked_until_ms = 0
        self.active = True
        self.strategy = strategy
        self.entry_client_id = entry_client_id
        self.last_reason = ""


def hms_ms(day, hms):
    """ms epoch of HH:MM[:SS] Asia/Shanghai on day YYYYMMDD."""
    import datetime
    parts = [int(x) for x in hms.split(":")] + [0]
    d = datetime.datetime(day // 10000, day // 100 % 100, day % 100, parts[0], parts[1], parts[2])
    return int((d - datetime.datetime(1970, 1, 1)).total_seconds() * 1000) - 8 * 3600 * 1000


class ExitBook:
    """All brackets (any object with Bracket's attributes), keyed by code; legs checked on each snapshot."""

    def __init__(self, slippage=EXIT_SLIPPAGE):
        self.brackets = {}
        self.slippage = slippage

    def put(self, b):
        """Add or replace the bracket of a position."""
        self.brackets[b.code] = b

    def get(self, code):
        """The bracket of a code (active or not)."""
        return self.brackets.get(code)

    def active(self):
        """Brackets still watching a position."""
        return [b for b in self.brackets.values() if b.active]

    def new_day(self, day):
        """A new trading day: time exits due today (exit_days_left reaching 0) get their timestamp."""
        for b in self.brackets.values():
            if b.active and getattr(b, "exit_time", "") and getattr(b, "exit_days_left", 0) > 0:
                b.exit_days_left -= 1
                if b.exit_days_left == 0:
                    b.exit_at_ms = hms_ms(day, b.exit_time)

    def evaluate(self, snap, now_ms, sellable):
        """[(code, reason, price, quantity, last)] of legs that fire on this snapshot (quantity 0 = all sellable);
        brackets with an exit in flight, in a retry cooldown or with nothing sellable only track the high.
        sellable: anything with get(code, default) -> shares that can be sold now."""
        index, valid_a, last_a = snap.index, snap.valid, snap.last
        out = []
        for b in self.brackets.values():
            if not b.active:
                continue
            r = index.get(b.code)
            if r is None:
                continue
            last = float(last_a[r])
            if not (valid_a[r] and last > 0):
                continue
            if last > b.high:
                b.high = last
            if b.inflight or b.blocked_until_ms > now_ms:
                continue
            leg = exit_leg(b, last, now_ms)         # pure: asked first, so that `sellable` is looked up only
            if leg is None or sellable.get(b.code, 0) <= 0:   # for legs that fire (it may compute on demand)
                continue
            pu = exit_price_units(last, float(snap.bid[r, 0]), int(snap.board[r]), int(snap.tick[r]),
                                  int(snap.down_units[r]), self.slippage)
            out.append((b.code, leg[0], pu / ashare.PRICE_SCALE, leg[1], last))
        return out

    def on_exit_sent(self, code, client_id, reason):
        """Mark an exit in flight for a position (at most one)."""
        b = self.brackets[code]
        b.inflight, b.last_reason = client_id, reason

    def on_exit_final(self, code, client_id, filled, remaining_position, now_ms):
        """An exit order ended: advance the take-profit stage, close the bracket when flat (or when no leg is left),
        or allow a retry after a cooldown when nothing filled."""
        b = self.brackets.get(code)
        if b is None or b.inflight != client_id:
            return
        b.inflight = ""
        if remaining_position <= 0:
            b.active = False
            return
        if filled > 0 and b.last_reason == "take_profit":
            b.stage += 1
            if b.stage >= len(b.take_profit) and not (b.stop_loss or b.trailing_pct or b.exit_at_ms or
                                                      getattr(b, "exit_days_left", 0)):
                b.active = False
        if filled == 0:
            b.blocked_until_ms = now_ms + REFIRE_COOLDOWN_MS

    def on_position(self, code, volume):
        """Broker position update: a flat position closes its bracket (unless an exit is still in flight)."""
        b = self.brackets.get(code)
        if b is not None and volume <= 0 and not b.inflight:
            b.active = False


def exit_leg(b, last, now_ms):
    """(reason, quantity) of the leg of bracket `b` that fires at `last` (b.high already updated), or None.
    Precedence: stop-loss, trailing stop, time exit, take-profit; quantity 0 = everything sellable (a staged
    take-profit sells its fraction of the original quantity, the last stage everything)."""
    if b.stop_loss > 0 and last <= b.stop_loss:
        return "stop_loss", 0
    if b.trailing_pct > 0 and last <= b.high * (1 - b.trailing_pct) and b.high > b.entry_price:
        return "trailing_stop", 0
    if b.exit_at_ms > 0 and now_ms >= b.exit_at_ms:
        return "time_exit", 0
    if b.stage < len(b.take_profit):
        tp, frac = b.take_profit[b.stage]
        if tp > 0 and last >= tp:
            return "take_profit", 0 if b.stage >= len(b.take_profit) - 1 or frac >= 1 else int(b.quantity * frac)
    return None


def exit_price_units(last, bid1, board, tick, down_units, slippage=EXIT_SLIPPAGE):
    """A sell limit (price units) that fills now: `slippage` below the best bid, on the tick grid, inside the
    price cage (its minimum rounded up onto the grid even when `last` is off it) and the limit-down band."""
    ref = bid1 if bid1 > 0 else last
    target = int(np.floor(ref * (1 - slippage) * ashare.PRICE_SCALE / tick + 1e-9)) * tick
    _, sell_min = ashare.cage_units(np.array([ashare.to_units(last)]), np.array([board]), np.array([tick]))
    smin = -(-int(sell_min[0]) // tick) * tick
    return max(target, smin, down_units, tick)
