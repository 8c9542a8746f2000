"""Inside QMT: drive a strategy object from init/handlebar/callbacks, place orders with passorder (Python 3.6).

QMT calls handlebar on every history bar and then on every tick of the last bar; attributes set on ContextInfo
roll back between those calls, so all state lives in this module-level adapter object. In simulation/live the
adapter acts only on the last bar; in a backtest every bar is "now". Orders go out with
passorder(23/24, 1101, account, code, 11, price, volume, strategy, 2, client_id, C) (quickTrade=2: at once);
fills and rejects come back through deal_callback / order_callback / orderError_callback and are reconciled
with get_trade_detail_data. The exits (stop-loss, take-profit, trailing stop, time exit) and the pre-trade risk
checks are builtin_guard's, the same rules bridge/exits.py and bridge/risk.py wrap for the miniQMT runner. No I/O here: the exported script's glue injects
passorder, get_trade_detail_data and a journal writer (one JSON-able dict per event).
"""
import numpy as np

from . import ashare
from .builtin_guard import REFIRE_COOLDOWN_MS, Bracket, ExitBook, RiskGate, RiskLimits, hms_ms
from .evaluate import shanghai_clock
from .snapshot import Snapshot
from .types import Fill, split_by_intents

JOURNAL_VERSION = 1
OP_BUY, OP_SELL = 23, 24
BY_SHARES = 1101
PR_FIXED = 11
QUICK_TRADE = 2
BUY_FEE_RATE = 0.0003          # as bridge.orders: commission + transfer, conservative, for the cash check
MIN_FEE = 5.0
FINAL_STATUSES = (53, 54, 56, 57)
DAILY_DECISION_MS = (14 * 3600 + 57 * 60) * 1000   # a daily-bar backtest decides each bar at 14:57
LEVEL_VALUE = {"高": 1.0, "中": 0.5, "低": 0.0}     # as the miniQMT runner stores confidence / risk
XT_STATUS = {48: "unreported", 49: "wait_reporting", 50: "reported", 51: "reported_cancel",
             52: "partsucc_cancel", 53: "part_cancel", 54: "canceled", 55: "part_succ", 56: "succeeded",
             57: "junk", 255: "unknown"}


def code_of(rec):
    """'600000.SH' from a QMT detail record's m_strInstrumentID / m_strExchangeID."""
    return f"{rec.m_strInstrumentID}.{rec.m_strExchangeID}"


class BuiltinAdapter:
    """One strategy object (on_snapshot/on_fill, e.g. LimitUpEtfStrategy) driven by QMT's entry points."""

    def __init__(self, strategy, account_id, passorder, get_trade_detail_data, journal=None, risk=None,
                 industry_of=None, kill_switch=None, account_type="STOCK", codes=None, protect=None):
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
        self.protect = protect        # default exits for holdings without a bracket (config exits), or None
        self.signals = []             # every signal emitted (for tests and reports)
        self.rejections = []          # (client_id, code, side, check) refused before passorder
        self.entered_today = set()
        self.acted_signals = set()
        self.sent = []                # (client_id, code, side, price, quantity) in sending order

    # -- QMT entry points ---------------------------------------------------------------------------------
    def init(self, C):
        """Bind the account, load the universe and its instrument details into a Snapshot."""
        C.set_account(self.account_id)
        if not self.codes:
            self.codes = list(C.get_stock_list_in_sector("沪深A股")) + list(C.get_stock_list_in_sector("沪深ETF"))
        self.snap = Snapshot(self.codes)
        self._watched = []
        details = {}
        for c in self.codes:
            d = C.get_instrument_detail(c)
            if d:
                details[c] = d
        self.snap.set_instruments(details)
        self.adopt(C)

    def adopt(self, C):
        """After a restart of the script: take over today's orders we placed (userOrderId = our client id, given
        by `owns(remark)`), replay their deals into the strategy and rebuild the exit brackets."""
        days = []
        for r in self._detail(self.account_id, self.account_type, "ORDER"):
            cid = str(getattr(r, "m_strRemark", ""))
            if not cid or cid in self.orders or not self.owns(cid):
                continue
            days.append(int(getattr(r, "m_strInsertDate", "0") or 0))
            side = "buy" if r.m_nOffsetFlag == 48 else "sell"
            self.orders[cid] = {"code": code_of(r), "side": side, "price": float(r.m_dLimitPrice),
                                "quantity": int(r.m_nVolumeTotalOriginal), "filled": 0, "value": 0.0, "status": 0,
                                "strategy": str(getattr(r, "m_strStrategyName", "")),
                                "exit": "adopted" if side == "sell" else None, "sysid": str(r.m_strOrderSysID),
                                "reason": "adopted after restart", "sent_ms": 0}
            if side == "buy":
                self.entered_today.add(code_of(r))
        self.reconcile(C)
        if days and max(days) > 0:
            # today is already under way: don't let the first handlebar treat it as a new day (that would reset
            # the day's entries and count today's brackets a day older)
            self.day = max(days)
            self.snap.trade_date = self.day
            if self.protect:
                self._protect_holdings(self.day)

    def owns(self, client_id):
        """True for client ids this adapter family sends (limit-up 'LU…', exits 'X…', offensive signal ids)."""
        return client_id.startswith(("LU", "X")) or ":" in client_id

    def handlebar(self, C):
        """Act on the newest data: only on the last bar unless backtesting (every bar is 'now' there)."""
        if C.trade_mode != "backtest" and not C.is_last_bar():
            return
        ticks = C.get_full_tick(self.codes)
        if not ticks:
            return
        if C.period == "tick":
            now_ms = int(C.get_bar_timetag(C.barpos) or 0)      # a tick bar's timetag is the snapshot time
        elif C.period == "1d" and C.trade_mode == "backtest":
            now_ms = int(C.get_bar_timetag(C.barpos) or 0) + DAILY_DECISION_MS   # daily backtest: act at the close
        else:
            now_ms = max(int(t.get("time", 0)) for t in ticks.values()) or int(C.get_bar_timetag(C.barpos) or 0)
        day, _ = shanghai_clock(now_ms)
        if day != self.day:
            self._new_day(day)
        held = sorted(c for c, b in self.exits.brackets.items() if b.active)
        if held != self._watched:                  # exits read bid1 of held rows before snap.complete()
            self._watched = held
            self.snap.set_watch(self.snap.add_codes(held), owner="exits")
        # as the miniQMT runner: far-from-limit rows get lastPrice now, their other fields after the decisions
        self.snap.update(ticks, now_ms, defer=True)
        try:
            self._decide(C, now_ms, day)
        finally:
            self.snap.complete()

    def _decide(self, C, now_ms, day):
        if any(o["status"] not in FINAL_STATUSES for o in self.orders.values()):
            self.reconcile(C)
        if self.kill_switch is not None and self.kill_switch():
            self.risk.halt("kill switch")
        book = None
        if any(b.active for b in self.exits.brackets.values()):         # exits first, as the miniQMT runner
            book = self._portfolio()
            sellable = dict((c, v[2]) for c, v in book[0].items())
            for code, reason, price, qty, last in self.exits.evaluate(self.snap, now_ms, sellable):
                self.exit_seq += 1
                cid = "X%06d%s%02d" % (day % 1000000, code[:6], self.exit_seq % 100)
                b = self.exits.brackets[code]
                if self._send(C, cid, code, "sell", price, qty, now_ms, book, b.strategy or "exits", reason,
                              "%s at last %.3f" % (reason, last)):
                    self.exits.on_exit_sent(code, cid, reason)
                else:
                    b.blocked_until_ms = now_ms + REFIRE_COOLDOWN_MS
        split = getattr(self.strategy, "on_snapshot_split", None)
        if split is not None:                       # intents and their own signals first, the others by rest()
            signals, intents, rest = split(self.snap, now_ms)
        else:
            out = self.strategy.on_snapshot(self.snap, now_ms)
            signals, intents, rest = out.signals, out.intents, None
        signals = list(signals)
        if intents:
            if book is None:
                book = self._portfolio()
                self._update_risk(book[1])
            # the checks read the intents' and held codes' rows: if complete() may still change one, build the
            # other signals while the push is pending, then complete it before the orders
            if not self.snap.codes_final([it.code for it in intents] + list(book[0])):
                if rest is not None:
                    signals.extend(rest())
                    rest = None
                self.snap.complete()
        # as the miniQMT runner: orders first; each intent's own signal is written just before its order, the
        # push's other signals after all orders, and the rest of the push is read last
        self.signals.extend(signals)
        first, later = split_by_intents(signals, intents)
        for sig in first:
            self._write_signal(sig)
        for it in intents:
            self._submit_intent(C, it, now_ms, book)
        if rest is not None:
            for sig in rest():
                self.signals.append(sig)
                later.append(sig)
        for sig in later:
            self._write_signal(sig)
        self.snap.complete()

    def _submit_intent(self, C, it, now_ms, book):
        """As the runner's submit_intent: one entry per code and signal a day, one exit in flight per code."""
        exit_reason = None
        if it.side == "buy":
            if it.code in self.entered_today or (it.signal_id and it.signal_id in self.acted_signals):
                return
        else:
            b = self.exits.brackets.get(it.code)
            if b is not None and b.inflight:
                return
            exit_reason = "strategy_exit"
        cid = it.client_id or "S%s" % it.signal_id
        if self._send(C, cid, it.code, it.side, it.price, it.quantity, now_ms, book, it.strategy, exit_reason,
                      it.reason, it.signal_id) and it.side == "sell" and it.code in self.exits.brackets:
            self.exits.on_exit_sent(it.code, cid, "strategy_exit")

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
        # fill ids are unique within a trading day only: key (and journal) them with the trade date
        tid = "%s-%s" % (getattr(d, "m_strTradeDate", "") or self.day or "", d.m_strTradeID)
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
        self._write_position(fill.code, ts)
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
            positions = self._portfolio()[0]
            left = positions.get(o["code"], [0])[0]
            self.exits.on_exit_final(o["code"], cid, o["filled"], left, self._clock())

    def _shape(self, code, side, price, quantity, max_value, cash, sellable):
        """bridge.orders.OrderManager.prepare: tick grid, limit band, price cage, lots, sellable, size to value
        and cash. Returns (price, quantity, None) or (None, None, (check, reason))."""
        r = self.snap.index.get(code)
        if r is None or not self.snap.valid[r]:
            return None, None, ("market_data", "no valid quote for %s" % code)
        if not np.isfinite(price) or price <= 0:
            return None, None, ("price", "price %r is not a positive number" % (price,))
        last = float(self.snap.last[r])
        board, tick = int(self.snap.board[r]), int(self.snap.tick[r])
        up_u, dn_u = int(self.snap.up_units[r]), int(self.snap.down_units[r])
        q = price * ashare.PRICE_SCALE / tick
        pu = (int(np.floor(q + 1e-9)) if side == "buy" else int(np.ceil(q - 1e-9))) * tick
        if side == "buy" and pu > up_u:
            pu = up_u
        if side == "sell" and pu < dn_u:
            pu = dn_u
        if pu > up_u or pu < dn_u or pu <= 0:
            return None, None, ("limit_band", "price %.3f outside limit band [%.3f, %.3f]" % (
                pu / 1000.0, dn_u / 1000.0, up_u / 1000.0))
        buy_max, sell_min = ashare.cage_units(np.array([ashare.to_units(last)]), np.array([board]), np.array([tick]))
        if side == "buy" and pu > int(buy_max[0]):
            pu = int(buy_max[0])
        if side == "sell" and pu < int(sell_min[0]):
            pu = int(sell_min[0])
        px = pu / float(ashare.PRICE_SCALE)
        if side == "sell":
            if sellable <= 0:
                return None, None, ("sellable", "nothing sellable in %s today (T+1 / already being sold)" % code)
            qty = min(int(quantity), sellable)
            if qty != sellable:
                if board == ashare.BOARD_STAR:
                    qty = qty if qty >= 200 else 0
                elif board == ashare.BOARD_BSE:
                    qty = qty if qty >= 100 else 0
                else:
                    qty = qty // 100 * 100
            if qty <= 0:
                return None, None, ("lot", "%d shares of %s is not a sellable amount (sellable %d)" % (
                    quantity, code, sellable))
            return px, qty, None
        qty = int(quantity)
        if max_value is not None and qty * px > max_value:
            qty = int(max_value // px)
        afford = int(max(cash - MIN_FEE, 0) / (px * (1 + BUY_FEE_RATE)))
        qty = min(qty, afford)
        qty = int(ashare.round_lot(np.array([qty]), np.array([board]))[0])
        if qty <= 0:
            why = "insufficient cash" if afford < quantity else "%d shares is below one lot" % quantity
            return None, None, ("cash" if afford < quantity else "lot", "%s for %s at %.3f (cash %.2f)" % (
                why, code, px, cash))
        return px, qty, None

    def _send(self, C, cid, code, side, price, qty, now_ms, book, strategy, exit_reason, reason, signal_id=""):
        """Shape, risk-check and place one order; True when passorder was called."""
        positions, total, cash = book
        prices = dict((c, float(self.snap.last[self.snap.index[c]])) for c in positions
                      if c in self.snap.index and self.snap.valid[self.snap.index[c]])
        live = [(o["code"], o["side"], o["quantity"] - o["filled"], o["price"]) for o in self.orders.values()
                if o["status"] not in FINAL_STATUSES]
        held = dict((c, v[:2]) for c, v in positions.items())
        max_value = self.risk.room_for(code, total, held, prices, live) if side == "buy" else None
        sellable = positions.get(code, [0, 0.0, 0])[2]
        px, q, why = self._shape(code, side, float(price), int(qty or 10 ** 9), max_value, cash, sellable)
        o = {"code": code, "side": side, "price": float(px or price), "quantity": int(q or 0), "filled": 0,
             "value": 0.0, "status": 0, "strategy": strategy, "exit": exit_reason, "sysid": "", "reason": reason,
             "sent_ms": int(now_ms)}
        if why is None:
            why = self.risk.check_order(code, side, px, q, total, held, prices, live, now_ms)
        if why is not None:
            self.rejections.append((cid, code, side, why[0]))
            self._journal_write({"kind": "alert", "ts": int(now_ms), "level": "info", "source": "risk", "code": code,
                                 "alert_kind": ("reject_" + why[0])[:32], "alert_id": ("rej:%s:%s" % (cid, why[0]))[:64],
                                 "message": "%s %s rejected by %s: %s" % (side, code, why[0], why[1])})
            return False
        self.orders[cid] = o
        self.risk.on_sent(now_ms)
        if side == "buy":
            self.entered_today.add(code)
        if signal_id:
            self.acted_signals.add(signal_id)
        if side == "sell":
            cash_delta = 0.0
        else:
            cash_delta = px * q * (1 + BUY_FEE_RATE)
        book[2] = cash - cash_delta
        self.sent.append((cid, code, side, float(px), int(q)))
        self._write_order(cid, o, now_ms, "", status="created")
        self._passorder(OP_BUY if side == "buy" else OP_SELL, BY_SHARES, self.account_id, code, PR_FIXED,
                        float(px), int(q), strategy, QUICK_TRADE, cid, C)
        return True

    def _portfolio(self):
        """[{code: [volume, avg_price, can_use]}, total assets, available cash] from get_trade_detail_data."""
        pos = {}
        for p in self._detail(self.account_id, self.account_type, "POSITION"):
            if int(p.m_nVolume) > 0:
                pos[code_of(p)] = [int(p.m_nVolume), float(p.m_dOpenPrice), int(p.m_nCanUseVolume)]
        acc = self._detail(self.account_id, self.account_type, "ACCOUNT")
        total = float(acc[0].m_dBalance) if acc else 0.0
        cash = float(acc[0].m_dAvailable) if acc else 0.0
        return [pos, total, cash]

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
        self.entered_today = set()
        self.exits.new_day(day)
        if self.protect:
            self._protect_holdings(day)

    def _protect_holdings(self, day):
        """As the runner's protect_holdings: a default bracket for every position that has none (e.g. after a
        restart of the script, or shares bought by hand); the time exit is today if sellable, else next day."""
        p = self.protect
        for code, (vol, avg, can_use) in self._portfolio()[0].items():
            b = self.exits.brackets.get(code)
            if (b is not None and b.active) or vol <= 0 or avg <= 0:
                continue
            tp = round(avg * (1 + p["take_profit_pct"]), 4)
            nb = Bracket(code, avg, vol, round(avg * (1 - p["stop_loss_pct"]), 4), [(tp, 1.0)],
                         p.get("trailing_pct") or 0.0, 0 if can_use > 0 else 1, p["exit_time"], "holdings")
            if can_use > 0:
                nb.exit_at_ms = hms_ms(day, p["exit_time"])
            self.exits.brackets[code] = nb

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

    def _write_position(self, code, ts):
        """The holding of `code` after a fill, as a position line (volume 0 once sold out)."""
        if self._journal is None:
            return
        vol, avg, can_use = self._portfolio()[0].get(code, [0, 0.0, 0])
        last = float(self.snap.last[self.snap.index[code]]) if code in self.snap.index else 0.0
        self._journal_write({"kind": "position", "ts": int(ts), "code": code, "volume": vol, "can_use_volume": can_use,
                             "account_id": self.account_id, "avg_price": avg or None,
                             "market_value": round(vol * last, 2) if last > 0 else None})

    def _write_order(self, cid, o, ts, msg, status=None):
        avg = o["value"] / o["filled"] if o["filled"] else None
        self._journal_write({"kind": "order", "ts": int(ts), "client_order_id": cid, "code": o["code"],
                             "side": o["side"], "quantity": o["quantity"], "price": o["price"],
                             "status": status or XT_STATUS.get(o["status"], "unknown"), "filled_qty": o["filled"],
                             "avg_price": avg, "order_sysid": o["sysid"] or None, "account_id": self.account_id,
                             "strategy": o["strategy"], "remark": cid, "status_msg": msg or None,
                             "price_type": "limit"})
