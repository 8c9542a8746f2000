"""The run loop: one thread owns all trading state; xtquant callbacks only enqueue events (bridge.events).

    q = queue.SimpleQueue(); trader = XtTrader(path, account, q.put); market = XtMarket(q.put)
    runner = Runner(q, trader, market, store, notifier, risk, exits_cfg, strategies, clock)
    runner.start(); runner.run_forever(stop)       # live, or runner.pump() after each sim step
"""
from __future__ import annotations

import datetime as dt
import gc
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable

from loguru import logger

from bridge import events as E
from bridge.exits import ExitBook, ExitTrigger
from bridge.orders import (
    ClientIds,
    Order,
    OrderManager,
    Portfolio,
    Rejection,
    apply_update,
)
from bridge.persist import BracketJournal, load_orders, save_order, sh_date
from bridge.risk import RiskGate
from bridge.runner_broker import BrokerSide
from bridge.xt_market import XtMarket
from bridge.xt_trader import Backoff, XtTrader
from qmt_strategies.evaluate import in_continuous_session, shanghai_clock
from qmt_strategies.snapshot import Snapshot
from qmt_strategies.types import split_by_intents

CLOSING_CALL_SOD = 14 * 3600 + 57 * 60
PREOPEN_SOD = 9 * 3600 + 15 * 60
OVERNIGHT_SOD = 8 * 3600 + 30 * 60
TIMING_SAMPLES = 20_000             # about four trading days of whole-quote pushes


class _Sellable:
    """Shares of a code that can be sold now, computed when the exit book asks (only for legs that fire)."""

    __slots__ = ("live", "portfolio")

    def __init__(self, portfolio, live) -> None:
        self.portfolio, self.live = portfolio, live

    def get(self, code: str, default: int = 0) -> int:
        return self.portfolio.sellable(code, self.live)


class Runner(BrokerSide):
    """Owns snapshot, orders, portfolio, brackets, risk; consumes the event queue."""

    def __init__(self, q: queue.SimpleQueue, trader: XtTrader, market: XtMarket, store, notifier, risk: RiskGate,
                 exits_cfg, strategies: list, clock: Callable[[], int], *, account_id: str = "",
                 protect_holdings: bool = False, ack_timeout_ms: int = 10_000, exit_reprice_ms: int = 30_000,
                 seed: int = 0, resume: bool = True, exit_slippage: float = 0.005,
                 reconnect_base_ms: int = 1000, reconnect_cap_ms: int = 60_000):
        self.q, self.trader, self.market, self.store, self.notifier = q, trader, market, store, notifier
        self.risk, self.exits_cfg, self.strategies, self.clock = risk, exits_cfg, strategies, clock
        self.account_id, self.protect_holdings, self.resume = account_id, protect_holdings, resume
        self.ack_timeout_ms, self.exit_reprice_ms = ack_timeout_ms, exit_reprice_ms
        # far-from-limit rows: lastPrice only, their level-1 quotes are never read (NaN); rows that need
        # quotes are watched: brackets (exits), the offensive layer's morning orders
        self.snap = Snapshot(quotes="needed")
        self._watched: tuple[str, ...] = ()
        self.portfolio = Portfolio()
        self.om = OrderManager(self.portfolio, ClientIds(20000101))
        self.exits = ExitBook(exit_slippage)
        self.journal = BracketJournal(store, account_id)
        self.backoff = Backoff(reconnect_base_ms, reconnect_cap_ms, seed=seed)
        self.market_backoff = Backoff(reconnect_base_ms, reconnect_cap_ms, seed=seed + 1)
        self.trade_date: dt.date | None = None
        self.now_ms = 0
        self.seen_trades: set[str] = set()
        self.entered_today: set[str] = set()
        self.acted_signals: set[str] = set()
        self.external_live: dict[int, E.OrderUpdate] = {}
        self.reconcile_tag, self.reconcile_parts, self.reconcile_sent_ms = -1, {}, 0
        self.reconcile_reason = "connect"
        self.ack_tag, self.ack_sent_ms, self.ack_query_ms = -1, 0, 0
        self.reconnect_at_ms = 0
        self.market_retry_at_ms = 0
        self.market_check_at_ms = 0
        self.ref_sod = 86_400
        self.killed = False
        self.stats: Counter = Counter()
        self.rejections: Counter = Counter()
        self.exit_reasons: Counter = Counter()
        # timing samples for benchmarks and diagnostics, bounded: a live runner stays up for weeks
        self.latency_ns: deque[tuple[int, int]] = deque(maxlen=TIMING_SAMPLES)   # per intent: from callback, dequeue
        self.quote_proc_ns: deque[int] = deque(maxlen=TIMING_SAMPLES)     # per whole-quote push: handling time
        self.intent_parts: deque[dict[str, int]] = deque(maxlen=TIMING_SAMPLES)   # pushes with intents: ns per stage
        self.submit_ns: deque[int] = deque(maxlen=TIMING_SAMPLES)  # per intent: dequeue until submit_intent returned
        self.equity_curve: list[tuple[int, float]] = []
        self.signal_log: list[tuple[int, str, str, str]] = []     # (ts, strategy, code, kind)
        self._snaps = 0

    # ================================================================ lifecycle
    def start(self) -> None:
        """Load today's state from the store (resume), subscribe quotes, connect the trader and reconcile."""
        self.now_ms = self.clock()
        self._new_day(sh_date(self.now_ms))
        for b in self.journal.load() if self.resume else ():
            self.exits.put(b)
        logger.info("runner start trade_date={} stored_orders={} brackets={}", self.trade_date, len(self.om.orders),
                    len(self.exits.active()))
        if not self.market.subscribe():
            self.market_retry_at_ms = self.now_ms + self.market_backoff.next_delay_ms()
        self._connect_trader()

    def stop(self) -> None:
        """Close the trader session and flush notifications."""
        self.trader.close()
        self.notifier.flush(timeout=5)

    def put(self, ev: object) -> None:
        """Enqueue an event (what adapters call)."""
        self.q.put(ev)

    def pump(self, limit: int | None = None) -> int:
        """Handle the events queued when called (then the timers); returns how many were handled.

        Events that callbacks enqueue meanwhile (answers to orders sent here) wait for the next pump, so a
        sim-driven day handles the same events at the same step every run.
        """
        limit = self.q.qsize() if limit is None else limit
        n = 0
        while n < limit:
            try:
                ev = self.q.get_nowait()
            except queue.Empty:
                break
            self.handle(ev)
            n += 1
        self.timers()
        return n

    def run_forever(self, stop: threading.Event, idle_s: float = 0.5) -> None:
        """Live loop: block on the queue, handle events, run timers at least every idle_s."""
        while not stop.is_set():
            try:
                ev = self.q.get(timeout=idle_s)
            except queue.Empty:
                self.timers()
                continue
            self.handle(ev)
            self.pump()

    # ================================================================ dispatch
    def handle(self, ev: object) -> None:
        """One event; errors are logged and counted, never fatal."""
        self.now_ms = max(self.now_ms, self.clock())
        try:
            if isinstance(ev, E.Quotes):
                self._on_quotes(ev)
            elif isinstance(ev, E.OrderUpdate):
                self._on_order(ev)
            elif isinstance(ev, E.TradeUpdate):
                self._on_trade(ev)
            elif isinstance(ev, E.PositionUpdate):
                self._on_position(ev)
            elif isinstance(ev, E.AssetUpdate):
                self.portfolio.set_asset(ev.cash, ev.frozen_cash, ev.market_value, ev.total_asset)
            elif isinstance(ev, E.OrderResponse):
                self._on_order_response(ev)
            elif isinstance(ev, E.OrderError):
                self._on_order_error(ev)
            elif isinstance(ev, E.CancelError):
                o = self.om.find(order_id=ev.order_id, sysid=ev.sysid)
                if o is not None:
                    o.cancel_requested = False
                logger.warning("cancel refused order_id={} msg={}", ev.order_id, ev.msg)
            elif isinstance(ev, E.CancelResponse):
                if ev.result != 0:
                    logger.info("cancel answer order_id={} result={} msg={}", ev.order_id, ev.result, ev.msg)
            elif isinstance(ev, E.Disconnected):
                self._on_disconnected(ev)
            elif isinstance(ev, E.QueryResult):
                self._on_query(ev)
            elif isinstance(ev, E.AccountStatus):
                logger.info("account status={} name={}", ev.status, ev.name)
        except Exception as exc:  # noqa: BLE001 - one bad event must not stop trading
            self.stats["errors"] += 1
            logger.opt(exception=exc).error("runner event failed type={}", type(ev).__name__)
            if self.stats["errors"] <= 20:           # stored and notified; later ones only logged (no flood)
                self._alert(f"runner error on {type(ev).__name__}: {type(exc).__name__}: {str(exc)[:300]}",
                            "critical", "runner", kind="error")

    # ================================================================ market data
    def _new_day(self, day: dt.date) -> None:
        self.trade_date = day
        ymd = day.year * 10000 + day.month * 100 + day.day
        self.om.ids = ClientIds(ymd, self.om.ids.counter if self.om.ids.day == ClientIds(ymd).day else 0)
        self.snap.new_day(ymd)
        self.risk.new_day()
        self.portfolio.start_equity = 0.0
        self.entered_today.clear()
        for o in load_orders(self.store, day, self.account_id) if self.resume else ():
            if o.client_id not in self.om.orders:
                self.om.add(o)
                self.om.bind(o, order_id=o.order_id, sysid=o.sysid)
            self.om.ids.observe(o.client_id)
            if o.signal_id:
                self.acted_signals.add(o.signal_id)
            if o.side == "buy" and o.status != "rejected":
                self.entered_today.add(o.code)
        self._refresh_reference(ymd)
        for s in self.strategies:
            s.on_day(self, ymd)

    def _refresh_reference(self, ymd: int, force: bool = False) -> None:
        try:
            if self.market.refresh_reference(ymd, force=force):
                self.snap.set_instruments(self.market.details)
                self.risk.industry_of = self.market.industry_of
                self.ref_sod = shanghai_clock(self.now_ms)[1]
        except Exception as exc:  # noqa: BLE001 - limits are then computed from pre-close by the snapshot
            logger.warning("reference refresh failed trade_date={} error={}", ymd, exc)

    def _on_quotes(self, ev: E.Quotes) -> None:
        t_in = time.perf_counter_ns()
        # no cyclic-GC pass inside tick -> intent: a push's thousands of fresh dicts trigger young-generation
        # passes (~1 ms each at 5,500 codes) and every ~125 pushes a full one (~85 ms); they run between pushes
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            self._quotes(ev, t_in)
        finally:
            if paused:
                gc.enable()
        self.quote_proc_ns.append(time.perf_counter_ns() - t_in)

    def _quotes(self, ev: E.Quotes, t_in: int) -> None:
        now = self.now_ms
        if sh_date(now) != self.trade_date:
            self._new_day(sh_date(now))
        self._watch_positions()
        # defer: rows far from their limits get lastPrice now and their other fields after the decisions
        self.snap.update(ev.ticks, now_ms=None, defer=True)
        try:
            self._decide(ev, t_in, now)
        finally:
            self.snap.complete()

    def _watch_positions(self) -> None:
        """Rows with a bracket get every field on every push (exits read bid1 before snap.complete())."""
        codes = tuple(sorted(b.code for b in self.exits.active()))
        if codes != self._watched:
            self._watched = codes
            self.snap.set_watch(self.snap.add_codes(codes), owner="exits")

    def _decide(self, ev: E.Quotes, t_in: int, now: int) -> None:
        t_snap = time.perf_counter_ns()
        self.market.last_push_ms = now
        self._snaps += 1
        self.stats["snapshots"] += 1
        if self.risk.kill_switch_on():
            self._kill()
            return
        ymd, sod = shanghai_clock(now)
        if self.ref_sod < OVERNIGHT_SOD and sod >= PREOPEN_SOD:   # loaded overnight: reload once the day's
            self.ref_sod = sod                                      # limits and baskets are final (09:15)
            self._refresh_reference(ymd, force=True)
            for s in self.strategies:
                s.on_day(self, ymd)
        if in_continuous_session(sod) and sod < CLOSING_CALL_SOD:      # exits trade in the continuous session only
            live = self.om.live_orders()
            for trig in self.exits.evaluate(self.snap, now, _Sellable(self.portfolio, live)):
                self._fire_exit(trig)
        t_ex = time.perf_counter_ns()
        outs, parts = [], {"snapshot": t_snap - t_in, "exits": t_ex - t_snap}
        for s in self.strategies:
            t_s = time.perf_counter_ns()
            res = s.on_snapshot(self, now)            # (signals, intents[, rest]): rest() builds more signals
            outs.append((s, res[0], res[1], res[2] if len(res) > 2 else None))
            parts[s.name] = time.perf_counter_ns() - t_s
        t = time.perf_counter_ns()                    # every decision of this push is made: tick -> intent
        if not self._orders_read_final(outs):         # the checks would read rows complete() may still change:
            outs = [(s, list(sigs) + list(rest()) if rest else sigs, intents, None)   # the other signals while
                    for s, sigs, intents, rest in outs]                          # the push is still pending,
            self.snap.complete()                                                  # then the rest of the push
        if any(o[2] for o in outs):
            self.intent_parts.append(parts)
        for s, sigs, intents, _ in outs:
            for _ in intents:
                self.latency_ns.append((t - ev.recv_ns if ev.recv_ns else 0, t - t_in))
        # orders first: each intent's own signal is stored just before its order, the push's other signals after
        # all orders are out (a scan can emit dozens; storing them first delayed the order by milliseconds)
        later = []
        for s, sigs, intents, rest in outs:
            first, others = split_by_intents(sigs, intents)
            for sig in first:
                self._record_signal(s.name, sig)
            later.extend((s.name, sig) for sig in others)
            for it in intents:
                self.submit_intent(it)
                self.submit_ns.append(time.perf_counter_ns() - t_in)
            if rest is not None:
                later.extend((s.name, sig) for sig in rest())   # built now, on the push's arrays as decided
        for name, sig in later:
            self._record_signal(name, sig)
        self.snap.complete()                          # the rest of the push (far rows), after the orders
        if self._snaps % 20 == 0:
            self._check_equity()
        if self._snaps % 200 == 0:                     # trailing-stop anchors survive a restart (~10 min stale at most)
            for b in self.exits.active():
                self._save_bracket(b)

    def _orders_read_final(self, outs) -> bool:
        """True when the rows the order checks read (each intent's code: price, limits, cage; every held code:
        exposure) hold final values of this push already (ETF, watched and near-limit rows are read in full
        before the decisions), so that orders may go out before snap.complete()."""
        codes = [it.code for _, _, intents, _ in outs for it in intents]
        return not codes or self.snap.codes_final([*codes, *self.portfolio.holdings])

    def prices(self) -> dict[str, float]:
        """Last valid prices of held codes."""
        out = {}
        for c in self.portfolio.holdings:
            r = self.snap.index.get(c)
            if r is not None and self.snap.valid[r]:
                out[c] = float(self.snap.last[r])
        return out

    def equity(self) -> float:
        """Cash + frozen cash + holdings at last prices."""
        px = self.prices()
        mv = sum(h.volume * px.get(c, h.avg_price) for c, h in self.portfolio.holdings.items())
        return self.portfolio.cash + self.portfolio.frozen_cash + mv

    def _check_equity(self) -> None:
        eq = self.equity()
        self.equity_curve.append((self.now_ms, eq))
        if self.risk.update_equity(eq, self.portfolio.start_equity):
            self._alert("daily loss limit reached: reduce-only", "critical", "risk", kind="reduce_only")

    # ================================================================ signals and orders
    def _record_signal(self, strategy: str, sig) -> None:
        kind = (sig.details or {}).get("kind") or ("entry" if sig.action == "buy" else
                                                    "exit" if sig.action == "sell" else "alert")
        self.stats[f"signal_{strategy}_{kind}"] += 1
        self.signal_log.append((sig.ts_ms, strategy, sig.code, kind))
        try:
            conf = {"高": 1.0, "中": 0.5, "低": 0.0}.get(sig.confidence)
            rsk = {"高": 1.0, "中": 0.5, "低": 0.0}.get(sig.risk)
            self.store.record_signal(strategy=strategy, code=sig.code, ts=sig.ts_ms, action=sig.action, kind=kind,
                                     signal_id=sig.signal_id[:64], layer=strategy, composite_score=sig.score,
                                     confidence=conf, risk=rsk, price=sig.price or None,
                                     take_profit=sig.take_profit or None, stop_loss=sig.stop_loss or None,
                                     reason=(sig.reason or "")[:1000], factor_scores=sig.details or None)
        except Exception as exc:  # noqa: BLE001
            logger.warning("store signal failed signal_id={} error={}", sig.signal_id, exc)
        self.notifier.notify(f"signal {strategy} {sig.action} {sig.code}", sig.reason or "", "info", "signal")

    def submit_intent(self, it, kind: str = "entry") -> Order | Rejection | None:
        """An OrderIntent from a strategy -> checks -> broker. Sells go through the one-exit-in-flight gate."""
        pre = ("halted", f"trading halted ({self.risk.halt_reason})") if self.risk.halted else \
            ("reduce_only", "daily loss limit reached: only sells allowed") if self.risk.reduce_only and \
            it.side == "buy" else None
        if pre is not None:
            rej = Rejection(f"{it.signal_id or it.code}@{self.now_ms}"[:40], it.code, it.side, *pre)
            self._reject(rej)
            return rej
        if it.side == "buy":
            if it.code in self.entered_today or (it.signal_id and it.signal_id in self.acted_signals):
                self.stats["duplicate_intents"] += 1
                return None
        else:
            b = self.exits.get(it.code)
            if b is not None and b.inflight:
                return None
            kind = "exit"
        room = self.risk.room(it.code, self.portfolio, self.prices(), self.om.live_orders()) if it.side == "buy" else None
        res = self.om.prepare(strategy=it.strategy, code=it.code, side=it.side, price=it.price,
                              quantity=it.quantity or 10**9, snap=self.snap, ts_ms=self.now_ms, kind=kind,
                              signal_id=it.signal_id, reason=it.reason, max_value=room)
        if isinstance(res, Order):
            res.exit_plan = it.exit_plan
            if self.send(res) and it.side == "sell" and self.exits.get(it.code) is not None:
                self.exits.on_exit_sent(it.code, res.client_id, "strategy_exit")
        else:
            self._reject(res)
        return res

    def _fire_exit(self, trig: ExitTrigger) -> None:
        b = self.exits.get(trig.code)
        qty = trig.quantity or 10**9
        res = self.om.prepare(strategy=b.strategy or "exits", code=trig.code, side="sell", price=trig.price,
                              quantity=qty, snap=self.snap, ts_ms=self.now_ms, kind="exit",
                              signal_id="", reason=f"{trig.reason} at last {trig.last:.3f}")
        if isinstance(res, Rejection):
            self._reject(res)
            b.blocked_until_ms = self.now_ms + 5_000
            return
        if self.send(res):
            self.exits.on_exit_sent(trig.code, res.client_id, trig.reason)
            self.exit_reasons[trig.reason] += 1
            self._save_bracket(b)
            self.notifier.notify(f"exit {trig.reason} {trig.code}", f"sell {res.quantity} @ {res.price:.3f}",
                                 "warning" if trig.reason in ("stop_loss", "trailing_stop") else "info", "exit")

    def send(self, o: Order) -> bool:
        """Risk gate, then order_stock_async. True when the request went out."""
        if not self.trader.connected:
            self._reject(Rejection(o.client_id, o.code, o.side, "disconnected", "trader not connected; not sent"))
            return False
        chk = self.risk.check(o, self.portfolio, self.prices(), self.om.live_orders(), self.now_ms)
        if chk is not None:
            self._reject(Rejection(o.client_id, o.code, o.side, *chk))
            return False
        self.om.add(o)
        o.status, o.sent_ms = "sent", self.now_ms
        self._persist(o)          # stored (as 'unknown') BEFORE the request: a crash after it can never lead to a resend
        seq = self.trader.place(o.code, o.side, o.quantity, o.price, o.client_id, o.strategy)
        if seq is None or seq < 0:
            apply_update(o, "rejected", msg="order_stock_async refused the request (not connected)")
            self._persist(o)
            return False
        self.om.bind(o, seq=seq)
        self.risk.on_sent(self.now_ms)
        self.stats["orders_sent"] += 1
        if o.side == "buy":
            self.entered_today.add(o.code)
        if o.signal_id:
            self.acted_signals.add(o.signal_id)
        logger.info("order sent client_id={} code={} side={} qty={} price={:.3f} seq={} kind={}", o.client_id, o.code,
                    o.side, o.quantity, o.price, seq, o.kind)
        return True

    def _reject(self, r: Rejection) -> None:
        self.rejections[r.check] += 1
        logger.info("order rejected client_id={} code={} side={} check={} reason={}", r.client_id, r.code, r.side,
                    r.check, r.reason)
        try:
            self.store.record_alert(f"{r.side} {r.code} rejected by {r.check}: {r.reason}", ts=self.now_ms or 1,
                                    level="info", source="risk", code=r.code, kind=f"reject_{r.check}"[:32],
                                    alert_id=f"rej:{r.client_id}:{r.check}"[:64])
        except Exception as exc:  # noqa: BLE001
            logger.warning("store alert failed error={}", exc)

    def _persist(self, o: Order) -> None:
        try:
            save_order(self.store, o, self.now_ms, self.account_id)
        except Exception as exc:  # noqa: BLE001
            logger.warning("store order failed client_id={} error={}", o.client_id, exc)

    def _alert(self, message: str, level: str, source: str, code: str | None = None, kind: str | None = None) -> None:
        logger.log("WARNING" if level != "critical" else "CRITICAL", "alert {} source={} kind={}", message, source, kind)
        try:
            self.store.record_alert(message[:1000], ts=self.now_ms or 1, level=level, source=source, code=code,
                                    kind=kind, channels=self.notifier.channel_names or None)
        except Exception as exc:  # noqa: BLE001
            logger.warning("store alert failed error={}", exc)
        self.notifier.notify(f"{level}: {kind or source}", message, level, source)

    def _save_bracket(self, b) -> None:
        try:
            self.journal.save(b, self.now_ms or 1)
        except Exception as exc:  # noqa: BLE001
            logger.warning("store bracket failed code={} error={}", b.code, exc)
