"""Inside QMT: drive a strategy object from init/handlebar/callbacks, place orders with passorder (Python 3.6).

QMT calls handlebar on every history bar and then on every tick of the last bar; attributes set on ContextInfo
roll back between those calls, so all state lives in this module-level adapter object. In simulation/live the
adapter acts only on the last bar; in a backtest every bar is "now". Orders go out with
passorder(23/24, 1101, account, code, 11, price, volume, strategy, 2, client_id, C) (quickTrade=2: at once);
fills and rejects come back through deal_callback / order_callback / orderError_callback and are reconciled
with get_trade_detail_data. The exits (stop-loss, take-profit, trailing stop, time exit) and the pre-trade risk
checks follow bridge/exits.py and bridge/risk.py rule for rule. No I/O here: the exported script's glue injects
passorder, get_trade_detail_data and a journal writer (one JSON-able dict per event).
"""
import numpy as np

from . import ashare
from .evaluate import shanghai_clock
from .snapshot import Snapshot
from .types import Fill

JOURNAL_VERSION = 1
OP_BUY, OP_SELL = 23, 24
BY_SHARES = 1101
PR_FIXED = 11
QUICK_TRADE = 2
EXIT_SLIPPAGE = 0.005          # as bridge.exits: exit limit this far below the best bid
REFIRE_COOLDOWN_MS = 5000
FINAL_STATUSES = (53, 54, 56, 57)
LEVEL_VALUE = {"高": 1.0, "中": 0.5, "低": 0.0}     # as the miniQMT runner stores confidence / risk
XT_STATUS = {48: "unreported", 49: "wait_reporting", 50: "reported", 51: "reported_cancel",
             52: "partsucc_cancel", 53: "part_cancel", 54: "canceled", 55: "part_succ", 56: "succeeded",
             57: "junk", 255: "unknown"}


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


def code_of(rec):
    """'600000.SH' from a QMT detail record's m_strInstrumentID / m_strExchangeID."""
    return f"{rec.m_strInstrumentID}.{rec.m_strExchangeID}"


class BuiltinAdapter:
    """One strategy object (on_snapshot/on_fill, e.g. LimitUpEtfStrategy) driven by QMT's entry points."""

    def __init__(self, strategy, account_id, passorder, get_trade_detail_data, journal=None, risk=None,
                 industry_of=None, kill_switch=None, account_type="STOCK", codes=None):
        self.strategy = strategy
        self.account_id = account_id
        self.account_type = account_type
        self._passorder = passorder
        self._detail = get_trade_detail_data
        self._journal = journal
        self.kill_switch = kill_switch
        self.risk = RiskGate(risk or RiskLimits(), industry_of)
        self.exits = ExitBook()
        self.snap = None
        self.codes = list(codes or [])
        self.orders = {}              # client_id -> dict(code, side, price, quantity, filled, status, reason, exit)
        self.sysid_to_client = {}
        self.deals_seen = set()
        self.day = None
        self.start_equity = 0.0
        self.exit_seq = 0
        self.signals = []             # every signal emitted (for tests and reports)
        self.sent = []                # (client_id, code, side, price, quantity) in sending order

    # -- QMT entry points ---------------------------------------------------------------------------------
    def init(self, C):
        """Bind the account, load the universe and its instrument details into a Snapshot."""
        C.set_account(self.account_id)
        if not self.codes:
            self.codes = list(C.get_stock_list_in_sector("沪深A股")) + list(C.get_stock_list_in_sector("沪深ETF"))
        self.snap = Snapshot(self.codes)
        details = {}
        for c in self.codes:
            d = C.get_instrument_detail(c)
            if d:
                details[c] = d
        self.snap.set_instruments(details)

    def handlebar(self, C):
        """Act on the newest data: only on the last bar unless backtesting (every bar is 'now' there)."""
        if C.trade_mode != "backtest" and not C.is_last_bar():
            return
        ticks = C.get_full_tick(self.codes)
        if not ticks:
            return
        if C.period == "tick":
            now_ms = int(C.get_bar_timetag(C.barpos) or 0)      # a tick bar's timetag is the snapshot time
        else:
            now_ms = max(int(t.get("time", 0)) for t in ticks.values()) or int(C.get_bar_timetag(C.barpos) or 0)
        day, _ = shanghai_clock(now_ms)
        if day != self.day:
            self._new_day(day)
        self.snap.update(ticks, now_ms)
        if any(o["status"] not in FINAL_STATUSES for o in self.orders.values()):
            self.reconcile(C)
        out = self.strategy.on_snapshot(self.snap, now_ms)
        for sig in out.signals:
            self.signals.append(sig)
            self._write_signal(sig)
        if not out.intents and not any(b.active for b in self.exits.brackets.values()):
            return
        positions, total = self._portfolio()
        self._update_risk(total)
        for it in out.intents:
            self._send(C, it.client_id, it.code, "buy", it.price, it.quantity, now_ms, positions, total,
                       it.strategy, None, it.reason)
        sellable = {c: v[2] for c, v in positions.items()}
        for code, reason, price, qty, last in self.exits.evaluate(self.snap, now_ms, sellable):
            q = qty or sellable.get(code, 0)
            q = min(q, sellable.get(code, 0))
            if q <= 0:
                continue
            self.exit_seq += 1
            cid = "X%06d%s%02d" % (day % 1000000, code[:6], self.exit_seq % 100)
            b = self.exits.brackets[code]
            if self._send(C, cid, code, "sell", price, q, now_ms, positions, total, b.strategy, reason,
                          f"{reason}: last {last:.3f}"):
                self.exits.on_exit_sent(code, cid, reason)

    def deal_callback(self, C, deal):
        """A fill pushed by QMT."""
        self._on_deal(deal)

    def order_callback(self, C, order):
        """An order status pushed by QMT."""
        self._on_order(order)

    def orderError_callback(self, C, args, msg):
        """A rejected passorder: the order is final with nothing filled."""
        cid = str(getattr(args, "userOrderId", "") or getattr(args, "m_strRemark", ""))
        o = self.orders.get(cid)
        if o is None or o["status"] in FINAL_STATUSES:
            return
        o["status"] = 57
        self._write_order(cid, o, self._clock(), str(msg))
        self._final(cid, o)

    # -- bookkeeping ----------------------------------------------------------------------------------------
    def reconcile(self, C):
        """Catch up with orders and deals QMT knows but whose callbacks were missed (restart, callbacks off)."""
        for d in self._detail(self.account_id, self.account_type, "DEAL"):
            self._on_deal(d)
        for o in self._detail(self.account_id, self.account_type, "ORDER"):
            self._on_order(o)

    def _on_deal(self, d):
        tid = str(d.m_strTradeID)
        if tid in self.deals_seen:
            return
        cid = str(getattr(d, "m_strRemark", ""))
        if cid not in self.orders:
            return
        self.deals_seen.add(tid)
        o = self.orders[cid]
        side = "buy" if d.m_nOffsetFlag == 48 else "sell"
        qty, px = int(d.m_nVolume), float(d.m_dPrice)
        o["value"] += qty * px
        o["filled"] += qty
        ts = self._clock()
        fill = Fill(cid, code_of(d), side, px, qty, ts, int(d.m_strOrderSysID or 0), tid, o["strategy"])
        self._journal_write({"kind": "trade", "ts": ts, "traded_id": tid, "code": fill.code, "side": side,
                             "price": px, "quantity": qty, "account_id": self.account_id, "client_order_id": cid,
                             "broker_order_id": str(d.m_strOrderSysID), "amount": round(qty * px, 4),
                             "commission": float(getattr(d, "m_dComssion", 0.0)), "strategy": o["strategy"]})
        plan = self.strategy.on_fill(fill)
        if side == "buy" and plan is not None:
            old = self.exits.brackets.get(fill.code)
            covered = int(o["filled"])
            if old is not None and old.active and old.entry_client_id != cid:
                covered += old.quantity
            b = Bracket(fill.code, plan.entry_price, covered,
                        plan.stop_loss, [(float(plan.take_profit), 1.0)] if plan.take_profit else [],
                        plan.trailing_pct, plan.exit_after_days if plan.exit_time else 0, plan.exit_time,
                        o["strategy"], cid)
            self.exits.brackets[fill.code] = b
        if o["filled"] >= o["quantity"] and o["status"] not in FINAL_STATUSES:
            o["status"] = 56
            self._write_order(cid, o, ts, "")
            self._final(cid, o)

    def _on_order(self, r):
        cid = str(getattr(r, "m_strRemark", ""))
        o = self.orders.get(cid)
        if o is None:
            return
        self.sysid_to_client[str(r.m_strOrderSysID)] = cid
        o["sysid"] = str(r.m_strOrderSysID)
        status = int(r.m_nOrderStatus)
        if status == o["status"] or o["status"] in FINAL_STATUSES:
            return
        if status == 56 and o["filled"] < int(r.m_nVolumeTraded):
            return                       # wait for the deal before calling the order filled
        o["status"] = status
        self._write_order(cid, o, self._clock(), str(getattr(r, "m_strErrorMsg", "") or
                                                       getattr(r, "m_strCancelInfo", "") or ""))
        if status in FINAL_STATUSES:
            self._final(cid, o)

    def _final(self, cid, o):
        if o["exit"] is not None:
            positions, _ = self._portfolio()
            left = positions.get(o["code"], [0])[0]
            self.exits.on_exit_final(o["code"], cid, o["filled"], left, self._clock())

    def _send(self, C, cid, code, side, price, qty, now_ms, positions, total, strategy, exit_reason, reason):
        prices = {c: float(self.snap.last[self.snap.index[c]]) for c in positions if c in self.snap.index}
        live = [(o["code"], o["side"], o["quantity"] - o["filled"], o["price"]) for o in self.orders.values()
                if o["status"] not in FINAL_STATUSES]
        if self.kill_switch is not None and self.kill_switch():
            self.risk.halted, self.risk.halt_reason = True, "kill switch"
        verdict = self.risk.check(code, side, price, qty, total, {c: v[:2] for c, v in positions.items()},
                                  prices, live, now_ms)
        o = {"code": code, "side": side, "price": float(price), "quantity": int(qty), "filled": 0, "value": 0.0,
             "status": 0, "strategy": strategy, "exit": exit_reason, "sysid": "", "reason": reason,
             "sent_ms": int(now_ms)}
        self.orders[cid] = o
        if verdict is not None:
            o["status"] = 57
            self._write_order(cid, o, now_ms, "risk {}: {}".format(*verdict), status="rejected")
            return False
        self.risk.on_sent(now_ms)
        self.sent.append((cid, code, side, float(price), int(qty)))
        self._write_order(cid, o, now_ms, "", status="created")
        self._passorder(OP_BUY if side == "buy" else OP_SELL, BY_SHARES, self.account_id, code, PR_FIXED,
                        float(price), int(qty), strategy, QUICK_TRADE, cid, C)
        return True

    def _portfolio(self):
        """({code: [volume, avg_price, can_use]}, total assets) from get_trade_detail_data."""
        pos = {}
        for p in self._detail(self.account_id, self.account_type, "POSITION"):
            if int(p.m_nVolume) > 0:
                pos[code_of(p)] = [int(p.m_nVolume), float(p.m_dOpenPrice), int(p.m_nCanUseVolume)]
        acc = self._detail(self.account_id, self.account_type, "ACCOUNT")
        total = float(acc[0].m_dBalance) if acc else 0.0
        return pos, total

    def _update_risk(self, total):
        if self.start_equity <= 0 and total > 0:
            self.start_equity = total
        if self.risk.update_equity(total, self.start_equity):
            self._journal_write({"kind": "alert", "ts": self._clock(), "level": "warning", "source": "qmt_builtin",
                                 "alert_kind": "risk", "message": "daily loss limit reached: reduce-only"})

    def _new_day(self, day):
        self.day = day
        if self.snap is not None and self.snap.trade_date is not None:
            self.snap.new_day(day)
        elif self.snap is not None:
            self.snap.trade_date = day
        self.risk.new_day()
        self.start_equity = 0.0
        self.exits.new_day(day)

    def _clock(self):
        t = self.snap.time[:self.snap.n] if self.snap is not None and self.snap.n else np.zeros(1)
        return int(t.max()) if len(t) else 0

    # -- journal --------------------------------------------------------------------------------------------
    def _journal_write(self, rec):
        if self._journal is not None:
            rec = dict((k, None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in rec.items())
            rec["v"] = JOURNAL_VERSION
            self._journal(rec)

    def _write_signal(self, s):
        details = s.details or {}
        kind = details.get("kind") or ("entry" if s.action == "buy" else "exit" if s.action == "sell" else "alert")
        self._journal_write({"kind": "signal", "ts": int(s.ts_ms), "signal_id": s.signal_id[:64],
                             "strategy": s.strategy, "layer": s.strategy, "code": s.code, "action": s.action,
                             "signal_kind": kind, "price": s.price or None, "take_profit": s.take_profit or None,
                             "stop_loss": s.stop_loss or None, "confidence": LEVEL_VALUE.get(s.confidence),
                             "risk": LEVEL_VALUE.get(s.risk), "composite_score": s.score,
                             "reason": (s.reason or "")[:1000], "factor_scores": details or None})

    def _write_order(self, cid, o, ts, msg, status=None):
        avg = o["value"] / o["filled"] if o["filled"] else None
        self._journal_write({"kind": "order", "ts": int(ts), "client_order_id": cid, "code": o["code"],
                             "side": o["side"], "quantity": o["quantity"], "price": o["price"],
                             "status": status or XT_STATUS.get(o["status"], "unknown"), "filled_qty": o["filled"],
                             "avg_price": avg, "order_sysid": o["sysid"] or None, "account_id": self.account_id,
                             "strategy": o["strategy"], "remark": cid, "status_msg": msg or None,
                             "price_type": "limit"})
