"""The broker half of the run loop: order/trade/position events, reconnect, reconcile, timeouts, kill switch.

Mixed into bridge.runner.Runner; every method runs on the run-loop thread.
"""
from __future__ import annotations

import datetime as dt

from loguru import logger

from bridge import events as E
from bridge.exits import bracket_from_defaults, bracket_from_plan
from bridge.orders import Order, apply_update
from qmt_strategies.evaluate import in_continuous_session, shanghai_clock

RECONCILE_KINDS = frozenset({"orders", "trades", "positions", "asset"})
QUERY_TIMEOUT_MS = 30_000          # an async query without an answer after this is asked again
PERIODIC_RECONCILE_MS = 300_000    # full broker re-read every 5 minutes


def next_weekday(d: dt.date) -> dt.date:
    """The next Monday-Friday date (on a holiday a time exit fires at the next session's first snapshot)."""
    d += dt.timedelta(days=1)
    while d.weekday() >= 5:
        d += dt.timedelta(days=1)
    return d


class BrokerSide:
    """Broker-event handlers of the Runner (see bridge.runner for the attributes they use)."""

    # ================================================================ connection
    def _connect_trader(self) -> bool:
        ok = False
        try:
            ok = self.trader.connect()
        except Exception as exc:  # noqa: BLE001 - a failed attempt is retried with backoff
            logger.warning("trader connect raised error={}", exc)
        if ok:
            self.backoff.reset()
            self.reconnect_at_ms = 0
            self.reconcile_parts = {}
            self.reconcile_sent_ms = self.now_ms
            self.reconcile_tag = self.trader.query_all()
            self.reconcile_reason = "connect"
            self.stats["connects"] += 1
        else:
            self.reconnect_at_ms = self.now_ms + self.backoff.next_delay_ms()
        return ok

    def _on_disconnected(self, ev: E.Disconnected) -> None:
        if ev.source == "market":
            self.market.seq = None
            return
        if not self.trader.mark_disconnected(ev.session):
            return
        self.stats["disconnects"] += 1
        for o in self.om.live_orders():
            if o.status == "sent" and o.order_id is None:
                apply_update(o, "unknown", msg="trader disconnected before the broker answered")
                self._persist(o)
        self.reconnect_at_ms = self.now_ms + self.backoff.next_delay_ms()
        self._alert(f"trader disconnected (session {ev.session}); reconnecting", "warning", "trader",
                    kind="disconnect")

    # ================================================================ orders
    def _adopt(self, u: E.OrderUpdate) -> Order | None:
        """A broker order carrying one of our client ids that this process does not know (restart): track it."""
        ids = self.om.ids
        if not (u.remark.startswith(ids.PREFIX + ids.day) and len(u.remark) >= 6):
            return None
        o = Order(client_id=u.remark, strategy=u.strategy, code=u.code, side=u.side or "buy", price=u.price,
                  quantity=u.quantity, kind="entry" if u.side == "buy" else "exit", created_ms=self.now_ms)
        self.om.add(o)
        ids.observe(u.remark)
        if u.side == "buy":
            self.entered_today.add(u.code)
        self.stats["adopted_orders"] += 1
        logger.info("order adopted client_id={} order_id={} status={}", o.client_id, u.order_id, u.status)
        return o

    def _on_order(self, u: E.OrderUpdate) -> None:
        o = self.om.find(order_id=u.order_id)
        if o is None and u.remark:
            o = self.om.find(remark=u.remark)
        if o is None:
            o = self._adopt(u)
        if o is None:
            if u.status_code in (48, 49, 50, 51, 52, 55):
                self.external_live[u.order_id] = u
            else:
                self.external_live.pop(u.order_id, None)
            return
        self.om.bind(o, order_id=u.order_id, sysid=u.sysid)
        if o.acked_version < 0:
            o.acked_version = self.portfolio.version
        if o.status == "lost" and u.status != "unknown":
            o.status = "unknown"          # the broker has it after all: follow the broker again
            self._alert(f"order {o.client_id} reappeared at the broker ({u.status})", "warning", "trader", o.code,
                        "order_reappeared")
        was_live = o.live
        if apply_update(o, u.status, u.filled, u.avg_price, u.msg, self.now_ms):
            self._persist(o)
            if was_live and not o.live:
                self._order_final(o)

    def _order_final(self, o: Order) -> None:
        self.stats[f"orders_{o.status}"] += 1
        if o.status in ("junk", "rejected"):
            self._alert(f"order {o.client_id} {o.side} {o.code} {o.status}: {o.status_msg}", "warning", "trader",
                        o.code, "order_" + o.status)
        if o.kind == "exit":
            h = self.portfolio.holdings.get(o.code)
            left = (h.volume if h else 0) - (o.filled if h and h.version <= o.acked_version else 0)
            self.exits.on_exit_final(o.code, o.client_id, o.filled, left, self.now_ms)
            b = self.exits.get(o.code)
            if b is not None:
                if b.active and o.filled > 0:
                    b.blocked_until_ms = max(b.blocked_until_ms, self.now_ms + 3_000)
                self._save_bracket(b)

    def _on_order_response(self, r: E.OrderResponse) -> None:
        o = self.om.find(seq=r.seq) or (self.om.find(remark=r.remark) if r.remark else None)
        if o is None:
            return
        if r.order_id > 0:
            self.om.bind(o, order_id=r.order_id)
            if o.status in ("sent", "unknown"):
                apply_update(o, "unreported", ts_ms=self.now_ms)
            self._persist(o)
        else:
            was_live = o.live
            apply_update(o, "rejected", msg=r.msg or "order refused by the broker API")
            self._persist(o)
            if was_live:
                self._order_final(o)

    def _on_order_error(self, e: E.OrderError) -> None:
        o = (self.om.find(order_id=e.order_id) if e.order_id > 0 else None) or \
            (self.om.find(remark=e.remark) if e.remark else None) or \
            (self.om.find(seq=e.seq) if e.seq is not None else None)
        if o is None:
            logger.warning("order error for an order we do not know order_id={} msg={}", e.order_id, e.msg)
            return
        if e.order_id > 0:
            self.om.bind(o, order_id=e.order_id)
        was_live = o.live
        if apply_update(o, "junk", msg=f"[{e.error_id}] {e.msg}", ts_ms=self.now_ms):
            self._persist(o)
            if was_live:
                self._order_final(o)

    # ================================================================ fills and positions
    def _sell_date(self, code: str) -> dt.date:
        return next_weekday(self.trade_date)

    def _on_trade(self, t: E.TradeUpdate, replay: bool = False) -> None:
        if t.traded_id in self.seen_trades:
            return
        self.seen_trades.add(t.traded_id)
        o = self.om.find(order_id=t.order_id) or (self.om.find(remark=t.remark) if t.remark else None)
        side = t.side or (o.side if o else "buy")
        try:
            # broker trade ids repeat across days: the stored natural key carries the trade date
            self.store.record_trade(f"{self.trade_date:%Y%m%d}:{t.traded_id}", code=t.code, side=side, price=t.price, quantity=t.quantity,
                                    ts=self.now_ms, account_id=self.account_id,
                                    client_order_id=o.client_id if o else None, broker_order_id=t.order_id,
                                    amount=t.amount or t.price * t.quantity, commission=t.commission,
                                    strategy=o.strategy if o else (t.strategy or None))
        except Exception as exc:  # noqa: BLE001
            logger.warning("store trade failed traded_id={} error={}", t.traded_id, exc)
        if o is None:
            return
        self.stats["fills"] += 1
        from qmt_strategies.types import Fill
        fill = Fill(o.client_id, t.code, side, t.price, t.quantity, self.now_ms, t.order_id, t.traded_id, o.strategy)
        plan = None
        for s in self.strategies:
            if s.name == o.strategy:
                plan = s.on_fill(self, fill) or plan
        if replay:
            return
        self.notifier.notify(f"fill {side} {t.code}", f"{t.quantity} @ {t.price:.3f} ({o.client_id})", "info", "fill")
        if side == "buy":
            b = self.exits.get(t.code)
            if b is not None and b.active and b.entry_client_id == o.client_id:
                b.quantity += t.quantity
                if plan is not None:
                    b.entry_price = float(plan.entry_price)
            else:
                sell_day = self._sell_date(t.code)
                if plan is not None and hasattr(plan, "stop_loss"):
                    b = bracket_from_plan(plan, t.quantity, sell_day, o.strategy, o.client_id)
                else:
                    b = bracket_from_defaults(t.code, t.price, t.quantity, self.exits_cfg, sell_day, o.strategy,
                                              o.client_id)
                self.exits.put(b)
            self._save_bracket(b)

    def _on_position(self, p: E.PositionUpdate) -> None:
        h = self.portfolio.holdings.get(p.code)
        same = h is not None and (h.volume, h.can_use) == (p.volume, p.can_use)
        self.portfolio.set_position(p.code, p.volume, p.can_use, p.avg_price)
        if same:
            return
        self.exits.on_position(p.code, p.volume)
        try:
            self.store.record_position(code=p.code, volume=p.volume, can_use_volume=p.can_use,
                                       snapshot_ts=self.now_ms or 1, account_id=self.account_id,
                                       avg_price=p.avg_price or None, market_value=p.market_value or None)
        except Exception as exc:  # noqa: BLE001
            logger.warning("store position failed code={} error={}", p.code, exc)

    # ================================================================ reconcile
    def _on_query(self, r: E.QueryResult) -> None:
        if r.tag == self.reconcile_tag:
            self.reconcile_parts[r.kind] = r.items
            if RECONCILE_KINDS <= set(self.reconcile_parts):
                parts, self.reconcile_parts, self.reconcile_tag = self.reconcile_parts, {}, -1
                self._reconcile(parts)
        elif r.tag == self.ack_tag:
            self.ack_tag = -1
            for u in r.items:
                self._on_order(u)
            for o in self.om.live_orders():
                if o.status in ("sent", "unknown") and o.order_id is None and o.sent_ms <= self.ack_sent_ms:
                    apply_update(o, "rejected", msg=f"no broker answer within {self.ack_timeout_ms // 1000}s "
                                                    "and not in the order list (silent reject)")
                    self._persist(o)
                    self.stats["silent_rejects"] += 1
                    self._order_final(o)

    def _reconcile(self, parts: dict) -> None:
        """Broker truth after start/reconnect: asset, positions, orders (adopt ours), missed fills, brackets."""
        for a in parts["asset"]:
            self.portfolio.set_asset(a.cash, a.frozen_cash, a.market_value, a.total_asset)
        seen_codes = set()
        for p in parts["positions"]:
            seen_codes.add(p.code)
            self._on_position(p)
        for code in [c for c in self.portfolio.holdings if c not in seen_codes]:
            self.portfolio.set_position(code, 0, 0, 0.0)
            self.exits.on_position(code, 0)
        for u in parts["orders"]:
            self._on_order(u)
        for o in self.om.live_orders():
            # only orders old enough that the broker must list them; younger ones go through the ack timeout
            if o.status in ("sent", "unknown") and o.order_id is None and o.sent_ms <= self.reconcile_sent_ms and \
                    self.now_ms - o.sent_ms >= self.ack_timeout_ms:
                was_live = o.live
                apply_update(o, "lost", msg="not at the broker after reconnect: outcome unknown, NOT resent")
                self._persist(o)
                self.stats["orders_lost"] += 1
                if was_live:
                    self._order_final(o)
        for t in parts["trades"]:
            self._on_trade(t, replay=True)
        for b in self.exits.active():
            if b.inflight:
                o = self.om.orders.get(b.inflight)
                if o is None or not o.live:
                    b.inflight = ""
            if self.portfolio.holdings.get(b.code) is None:
                b.active = False
            self._save_bracket(b)
        if self.protect_holdings:
            for code, h in self.portfolio.holdings.items():
                b = self.exits.get(code)
                if (b is None or not b.active) and h.volume > 0:
                    day = self.trade_date if h.can_use > 0 else next_weekday(self.trade_date)
                    nb = bracket_from_defaults(code, h.avg_price, h.volume, self.exits_cfg, day, "holdings")
                    self.exits.put(nb)
                    self._save_bracket(nb)
        if not self.portfolio.start_equity:
            self.portfolio.start_equity = self.portfolio.total_asset
        self.stats["reconciles"] += 1
        self.stats[f"reconciles_{self.reconcile_reason}"] += 1
        logger.info("reconciled orders={} trades={} positions={} brackets={} cash={:.2f}", len(parts["orders"]),
                    len(parts["trades"]), len(parts["positions"]), len(self.exits.active()), self.portfolio.cash)

    # ================================================================ timers
    def timers(self) -> None:
        """Reconnects, ack timeouts, stale exits, market health, kill switch (run after each batch of events)."""
        now = self.now_ms = max(self.now_ms, self.clock())
        if self.risk.kill_switch_on():
            self._kill()
        elif self.killed:
            self.killed = False
        if not self.trader.connected and self.reconnect_at_ms and now >= self.reconnect_at_ms:
            self._connect_trader()
        if self.trader.connected and self.reconcile_tag >= 0 and now - self.reconcile_sent_ms > QUERY_TIMEOUT_MS:
            logger.warning("reconcile answers missing after {} ms; asking again", now - self.reconcile_sent_ms)
            self.reconcile_parts, self.reconcile_sent_ms = {}, now
            self.reconcile_tag = self.trader.query_all()
        if self.trader.connected and self.reconcile_tag < 0 and now - self.reconcile_sent_ms >= PERIODIC_RECONCILE_MS:
            self.reconcile_parts, self.reconcile_sent_ms = {}, now     # pushes can be missed: re-read the broker
            self.reconcile_tag = self.trader.query_all()
            self.reconcile_reason = "periodic"
        if self.ack_tag >= 0 and now - self.ack_query_ms > QUERY_TIMEOUT_MS:
            self.ack_tag = -1                              # the order query was never answered: ask again below
        if self.trader.connected and self.ack_tag < 0:
            late = [o for o in self.om.live_orders() if o.status in ("sent", "unknown") and o.order_id is None
                    and now - o.sent_ms >= self.ack_timeout_ms]
            if late:
                self.ack_sent_ms = max(o.sent_ms for o in late)
                self.ack_query_ms = now
                self.ack_tag = self.trader.query_orders()
        if self.trader.connected:
            for o in self.om.live_orders():
                if o.kind == "exit" and not o.cancel_requested and o.order_id and \
                        now - o.sent_ms >= self.exit_reprice_ms:
                    o.cancel_requested = True
                    self.trader.cancel(o.order_id, o.code, o.sysid)
        if now >= self.market_check_at_ms:
            self.market_check_at_ms = now + 3_000
            _, sod = shanghai_clock(now)
            if not self.market_retry_at_ms and not self.market.healthy(now, in_continuous_session(sod) and sod < 14 * 3600 + 57 * 60):
                self.stats["market_outages"] += 1
                logger.warning("market data unhealthy now_ms={} last_push_ms={}", now, self.market.last_push_ms)
                self.market_retry_at_ms = now
        if self.market_retry_at_ms and now >= self.market_retry_at_ms:
            if self.market.resubscribe():
                self.market_retry_at_ms = 0
                self.market_backoff.reset()
                self.stats["market_resubscribes"] += 1
            else:
                self.market_retry_at_ms = now + self.market_backoff.next_delay_ms()

    def _kill(self) -> None:
        if self.killed:
            return
        self.killed = True
        n = 0
        for o in self.om.live_orders():
            if o.order_id and not o.cancel_requested:
                o.cancel_requested = True
                n += self.trader.cancel(o.order_id, o.code, o.sysid) >= 0
        for oid, u in list(self.external_live.items()):
            n += self.trader.cancel(oid, u.code, u.sysid) >= 0
        self._alert(f"kill switch: {n} open orders cancelled, trading halted until "
                    f"{self.risk.limits.kill_switch_file} is removed", "critical", "risk", kind="kill_switch")
