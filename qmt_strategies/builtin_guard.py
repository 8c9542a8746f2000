"""Pre-trade risk checks and exit brackets on the QMT side (Python 3.6), rule for rule as bridge/risk.py and
bridge/exits.py (tests/qmt cross-check them on random inputs). No I/O; the kill switch is injected."""
import numpy as np

from . import ashare

EXIT_SLIPPAGE = 0.005          # as bridge.exits: exit limit this far below the best bid
REFIRE_COOLDOWN_MS = 5000


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
    """bridge.risk.RiskGate.check, same checks in the same order; positions are {code: [volume, avg_price]}."""

    def __init__(self, limits, industry_of=None):
        self.limits = limits
        self.industry_of = industry_of or {}
        self.sent_ms = []
        self.day_count = 0
        self.halted = False
        self.halt_reason = ""
        self.reduce_only = False

    def on_sent(self, now_ms):
        self.sent_ms.append(now_ms)
        self.day_count += 1

    def new_day(self):
        self.day_count = 0
        self.sent_ms = []
        self.reduce_only = False

    def update_equity(self, equity, start_equity):
        """Reduce-only once the day's loss reaches the limit; True when it just switched."""
        if self.reduce_only or start_equity <= 0:
            return False
        if equity <= start_equity * (1.0 - self.limits.daily_loss_limit_pct):
            self.reduce_only = True
            return True
        return False

    def check(self, code, side, price, quantity, total_asset, positions, prices, live, now_ms):
        """None (pass) or (check_name, reason); live: [(code, side, remaining, price)] of open orders."""
        lim = self.limits
        if self.halted:
            return "halted", f"trading halted ({self.halt_reason})"
        self.sent_ms = [t for t in self.sent_ms if t > now_ms - 1000]
        if len(self.sent_ms) >= lim.max_orders_per_second:
            return "rate", "%d orders in the last second (limit %d/s)" % (len(self.sent_ms), lim.max_orders_per_second)
        if self.day_count >= lim.max_orders_per_day:
            return "day_count", "%d orders today (limit %d/day)" % (self.day_count, lim.max_orders_per_day)
        value = price * quantity
        if side == "sell":
            return None
        if self.reduce_only:
            return "reduce_only", "daily loss limit %.1f%% reached: only sells allowed" % (lim.daily_loss_limit_pct * 100)
        if value > lim.max_order_value + 1e-6:
            return "order_value", f"order value {value:.2f} exceeds max_order_value {lim.max_order_value:.2f}"
        if total_asset <= 0:
            return "no_asset", "total assets unknown (no account data yet)"

        def exposure(codes):
            held = sum(v[0] * prices.get(c, v[1]) for c, v in positions.items() if c in codes)
            return held + sum(rem * px for c, s, rem, px in live if s == "buy" and c in codes)

        share = (exposure({code}) + value) / total_asset
        if share > lim.max_position_pct_stock + 1e-9:
            return "position_stock", f"{code} would be {share * 100:.1f}% of assets (limit {lim.max_position_pct_stock * 100:.0f}%)"
        ind = self.industry_of.get(code)
        if ind:
            peers = {c for c in set(positions) | {o[0] for o in live} if self.industry_of.get(c) == ind}
            share = (exposure(peers | {code}) + value) / total_asset
            if share > lim.max_position_pct_industry + 1e-9:
                return "position_industry", f"industry {ind} would be {share * 100:.1f}% of assets (limit {lim.max_position_pct_industry * 100:.0f}%)"
        return None


    def room(self, code, total_asset, positions, prices, live):
        """bridge.risk.RiskGate.room: most CNY a new buy of `code` may add under the value and share limits."""
        lim = self.limits
        if total_asset <= 0:
            return 0.0
        held = sum(v[0] * prices.get(c, v[1]) for c, v in positions.items() if c == code)
        pend = sum(rem * px for c, s, rem, px in live if s == "buy" and c == code)
        room = min(lim.max_order_value, lim.max_position_pct_stock * total_asset - held - pend)
        ind = self.industry_of.get(code)
        if ind:
            codes = set(c for c in set(positions) | set(o[0] for o in live) if self.industry_of.get(c) == ind)
            iheld = sum(v[0] * prices.get(c, v[1]) for c, v in positions.items() if c in codes)
            ipend = sum(rem * px for c, s, rem, px in live if s == "buy" and c in codes)
            room = min(room, lim.max_position_pct_industry * total_asset - iheld - ipend)
        return max(room, 0.0)


class Bracket:
    """Exit plan of one position (bridge.exits.Bracket); exit_days_left counts trading days to the time exit."""

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
    """bridge.exits.ExitBook on the QMT side: the same legs, prices and retry rules."""

    def __init__(self):
        self.brackets = {}

    def new_day(self, day):
        """A new trading day: time exits due today get their timestamp."""
        for b in self.brackets.values():
            if b.active and b.exit_time and b.exit_days_left > 0:
                b.exit_days_left -= 1
                if b.exit_days_left == 0:
                    b.exit_at_ms = hms_ms(day, b.exit_time)

    def evaluate(self, snap, now_ms, sellable):
        """[(code, reason, price, quantity, last)] of legs that fire on this snapshot."""
        bs = [b for b in self.brackets.values() if b.active and b.code in snap.index]
        out = []
        for b in bs:
            r = snap.index[b.code]
            last = float(snap.last[r])
            valid = bool(snap.valid[r]) and last > 0
            if valid:
                b.high = max(b.high, last)
            if not (valid and not b.inflight and b.blocked_until_ms <= now_ms and sellable.get(b.code, 0) > 0):
                continue
            tp = b.take_profit[b.stage][0] if b.stage < len(b.take_profit) else 0.0
            qty = 0
            if b.stop_loss > 0 and last <= b.stop_loss:
                reason = "stop_loss"
            elif b.trailing_pct > 0 and last <= b.high * (1 - b.trailing_pct) and b.high > b.entry_price:
                reason = "trailing_stop"
            elif b.exit_at_ms > 0 and now_ms >= b.exit_at_ms:
                reason = "time_exit"
            elif tp > 0 and last >= tp:
                reason = "take_profit"
                frac = b.take_profit[b.stage][1]
                qty = 0 if b.stage >= len(b.take_profit) - 1 or frac >= 1 else int(b.quantity * frac)
            else:
                continue
            pu = exit_price_units(last, float(snap.bid[r, 0]), int(snap.board[r]), int(snap.tick[r]),
                                  int(snap.down_units[r]))
            out.append((b.code, reason, pu / float(ashare.PRICE_SCALE), qty, last))
        return out

    def on_exit_sent(self, code, client_id, reason):
        b = self.brackets[code]
        b.inflight, b.last_reason = client_id, reason

    def on_exit_final(self, code, client_id, filled, remaining_position, now_ms):
        """As bridge.exits: advance the take-profit stage, close when flat, or retry after a cooldown."""
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
                                                      b.exit_days_left):
                b.active = False
        if filled == 0:
            b.blocked_until_ms = now_ms + REFIRE_COOLDOWN_MS


def exit_price_units(last, bid1, board, tick, down_units):
    """A marketable sell limit: EXIT_SLIPPAGE below the best bid, on the tick grid, inside cage and band."""
    ref = bid1 if bid1 > 0 else last
    target = int(np.floor(ref * (1 - EXIT_SLIPPAGE) * ashare.PRICE_SCALE / tick + 1e-9)) * tick
    _, sell_min = ashare.cage_units(np.array([ashare.to_units(last)]), np.array([board]), np.array([tick]))
    return max(target, int(sell_min[0]), down_units, tick)
