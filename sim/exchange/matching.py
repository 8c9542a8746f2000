"""Matching our orders against level-1 snapshots: auctions, taker walks, trade-through and queue fills."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sim import rules
from sim.exchange import events as E
from sim.exchange.account import Order, to_milli

if TYPE_CHECKING:
    from sim.exchange.exchange import Exchange

OPEN_MATCH = rules.seconds_of_day(9, 25)
CLOSE_MATCH = rules.seconds_of_day(15, 0)


def _sod(now_ms: int) -> int:
    return (now_ms // 1000 + 8 * 3600) % 86400


class Matcher:
    """Per-code quote cache and the fill rules; consumed depth is tracked per snapshot."""

    def __init__(self, ex: Exchange):
        self.ex = ex
        self.reset_day()

    def reset_day(self) -> None:
        self.ticks: dict[str, dict] = {}
        self.dv: dict[str, int] = {}            # shares traded in the code's last snapshot interval
        self.consumed: dict[tuple, int] = {}    # (code, side, price_milli) -> shares our orders took this snapshot
        self.open_done = False
        self.close_done = False
        self.last_phase_sod = -1
        self.last_take_price = 0

    # ---- quotes --------------------------------------------------------------------------------------
    def tick(self, code: str) -> dict | None:
        """Latest quote of a code: the snapshot cache, else the exchange's quote_source (if any)."""
        t = self.ticks.get(code)
        if t is None and self.ex.quote_source is not None:
            t = self.ex.quote_source(code)
        return t

    def last_price(self, code: str) -> float:
        """Latest trade price (pre-close before the first quote)."""
        if code not in self.ticks and self.ex.price_source is not None:
            p = self.ex.price_source(code)
            if p:
                return p
            return float(self.ex.instruments.get(code, {}).get("PreClose", 0.0))
        t = self.tick(code)
        if t and t.get("lastPrice"):
            return float(t["lastPrice"])
        return float(self.ex.instruments.get(code, {}).get("PreClose", 0.0))

    def on_time(self) -> None:
        """Clock moved: report held orders; on entering continuous trading, match queued orders."""
        sod = _sod(self.ex.now_ms)
        prev = self.last_phase_sod
        self.last_phase_sod = sod
        if sod >= rules.seconds_of_day(9, 15):
            self.ex.report_held()
        for edge in (rules.seconds_of_day(9, 30), rules.seconds_of_day(13, 0)):
            if prev < edge <= sod:
                for o in self.ex.live_orders():
                    t = self.tick(o.code)
                    if self.ex.phase(o.code) == rules.CONTINUOUS and t is not None:
                        self._continuous(o, t, fresh=o.queue_ahead is None)

    def on_snapshot(self, ticks: dict[str, dict]) -> None:
        """Ingest changed quotes, run auctions due now, then match live orders on the codes that changed."""
        self.consumed.clear()
        # traded volume in the interval, only for codes our live orders care about (O(live orders), not O(market))
        self.dv = {}
        live = {o.code for o in self.ex.live_orders()}
        for code in live:
            t = ticks.get(code)
            if t is not None:
                old = self.ticks.get(code)     # the quote the order last saw (cached at entry)
                if old is None:
                    self.dv[code] = 0 if self.ex.quote_source is not None else int(t.get("pvolume", 0))
                else:
                    self.dv[code] = max(int(t.get("pvolume", 0)) - int(old.get("pvolume", 0)), 0)
        if self.ex.quote_source is None:
            self.ticks.update(ticks)
        else:   # keep only what live orders need; the source answers for everything else
            self.ticks = {c: t for c in live if (t := ticks.get(c) or self.ticks.get(c)) is not None}
        sod = _sod(self.ex.now_ms)
        self.on_time()
        if not self.open_done and sod >= OPEN_MATCH:
            self.open_done = True
            for o in self.ex.live_orders():
                if o.auction and o.code in ticks:
                    t = ticks[o.code]
                    self._auction(o, t, t.get("open") or t.get("lastPrice"))
                o.auction = False
        if not self.close_done and sod >= CLOSE_MATCH:
            self.close_done = True
            for o in self.ex.live_orders():
                if rules.has_closing_auction(o.code, self.ex.trade_date) and o.code in ticks:
                    self._auction(o, ticks[o.code], ticks[o.code].get("lastPrice"))
            return
        for o in self.ex.live_orders():
            if o.code in ticks and self.ex.phase(o.code) == rules.CONTINUOUS and not o.auction:
                self._continuous(o, ticks[o.code], fresh=False)

    def on_new_order(self, o: Order) -> None:
        """An order just reported: market orders execute now; marketable limit orders take liquidity now."""
        t = self.tick(o.code)
        if t is not None:
            self.ticks[o.code] = t          # baseline for the volume traded in the next interval
        if o.kind in ("ioc5", "ioc", "fok", "best5_limit", "peer", "mine"):
            self._market(o, t or {})
            return
        if self.ex.phase(o.code) == rules.CONTINUOUS and t is not None:
            self._continuous(o, t, fresh=True)

    # ---- rules ---------------------------------------------------------------------------------------
    def _cap(self, shares: int) -> int:
        return int(shares * self.ex.config.participation)

    def _levels(self, t: dict, buy: bool):
        """Opposite side levels as (price_milli, shares) for a taker."""
        prices = t.get("askPrice" if buy else "bidPrice") or []
        vols = t.get("askVol" if buy else "bidVol") or []
        return [(to_milli(p), int(v) * 100) for p, v in zip(prices, vols) if p and p > 0 and v and v > 0]

    def _take(self, o: Order, t: dict, limit_milli: int | None, max_levels: int = 5, dry: bool = False) -> int:
        """Walk the opposite side up to the limit; returns shares filled (or fillable when dry)."""
        got = 0
        fills = []
        for k, (p, v) in enumerate(self._levels(t, o.buy)):
            if k >= max_levels:
                break
            if limit_milli is not None and (p > limit_milli if o.buy else p < limit_milli):
                break
            key = (o.code, o.buy, p)
            avail = self._cap(v) - self.consumed.get(key, 0)
            need = o.remaining - got
            q = min(need, max(avail, 0))
            if q < need:
                q = q // 100 * 100
            if q <= 0:
                continue
            fills.append((q, p, key))
            got += q
            if got >= o.remaining:
                break
        if not dry:
            for q, p, key in fills:
                self.last_take_price = p
                self.consumed[key] = self.consumed.get(key, 0) + q
                self.ex.fill(o, q, p)
        return got

    def _in_cage(self, o: Order, t: dict) -> bool:
        if not rules.is_stock(o.code):
            return True
        ask1 = (t.get("askPrice") or [0])[0]
        bid1 = (t.get("bidPrice") or [0])[0]
        bm = rules.cage_benchmark(o.buy, bid1, ask1, t.get("lastPrice", 0.0), t.get("lastClose", 0.0))
        return rules.cage_ok(o.code, o.buy, o.price_milli / 1000, bm)

    def _own_level_volume(self, t: dict, o: Order) -> int:
        prices = t.get("bidPrice" if o.buy else "askPrice") or []
        vols = t.get("bidVol" if o.buy else "askVol") or []
        best = None
        for p, v in zip(prices, vols):
            if p and p > 0:
                pm = to_milli(p)
                best = pm if best is None else best
                if pm == o.price_milli:
                    return int(v) * 100
        if best is None or (o.buy and o.price_milli > best) or (not o.buy and o.price_milli < best):
            return 0
        known = [int(v) * 100 for p, v in zip(prices, vols) if p and p > 0]
        return sum(known) // max(len(known), 1)

    def _continuous(self, o: Order, t: dict, fresh: bool) -> None:
        """Incoming (fresh) orders take displayed liquidity at its prices; resting orders fill at their own price
        when the market trades through them or, at their price, once the volume queued ahead has traded."""
        if o.status not in E.LIVE_STATUSES or o.remaining <= 0 or not self._in_cage(o, t):
            return
        resting = o.queue_ahead is not None and not fresh
        if not resting:
            self._take(o, t, o.price_milli)
            if o.status not in E.LIVE_STATUSES or o.remaining <= 0:
                return
            if o.queue_ahead is None:
                o.queue_ahead = self._own_level_volume(t, o)
            return
        dv = self.dv.get(o.code, 0)
        last = to_milli(t.get("lastPrice") or 0.0)
        crossed = sum(v for p, v in self._levels(t, o.buy) if (p <= o.price_milli if o.buy else p >= o.price_milli))
        through = last > 0 and (last < o.price_milli if o.buy else last > o.price_milli)
        if crossed or through:   # the market moved through our price: everything queued at it has traded
            q = min(o.remaining, self._cap(max(dv, crossed)))
        elif dv > 0 and last == o.price_milli:
            asks = t.get("askPrice") or [0]
            bids = t.get("bidPrice") or [0]
            sealed = (o.buy and not asks[0] and bids[0]) or (not o.buy and not bids[0] and asks[0])
            at_price = dv if sealed else dv // 2
            ahead = o.queue_ahead - at_price
            o.queue_ahead = max(ahead, 0)
            q = min(o.remaining, -ahead, self._cap(dv)) if ahead < 0 else 0
        else:
            return
        if q < o.remaining:
            q = q // 100 * 100
        if q > 0:
            self.ex.fill(o, q, o.price_milli)

    def _auction(self, o: Order, t: dict, px) -> None:
        """Call-auction uncross at px: orders priced through it fill (capped by the auction volume)."""
        if not px or o.status not in E.LIVE_STATUSES:
            return
        pm = to_milli(px)
        crosses = o.price_milli >= pm if o.buy else o.price_milli <= pm
        if not crosses:
            return
        asks, bids = t.get("askPrice") or [0], t.get("bidPrice") or [0]
        sealed = (o.buy and not asks[0] and bids[0]) or (not o.buy and not bids[0] and asks[0])
        if sealed and o.price_milli == pm:
            o.queue_ahead = (t.get("bidVol" if o.buy else "askVol") or [0])[0] * 100
            return
        q = min(o.remaining, self._cap(self.dv.get(o.code, 0) or int(t.get("pvolume", 0))))
        if q < o.remaining:
            q = q // 100 * 100
        if q > 0:
            self.ex.fill(o, q, pm)

    def _market(self, o: Order, t: dict) -> None:
        """Market order types 42-48 (and the best-price conversions 44/45)."""
        cap = o.protect_milli
        if o.kind == "fok":
            if self._take(o, t, cap, dry=True) >= o.remaining:
                self._take(o, t, cap)
            else:
                self.ex.finish(o, E.ORDER_CANCELED, "全额成交或撤销: 对手盘不足, 已撤")
            return
        if o.kind in ("ioc5", "ioc"):
            self._take(o, t, cap, max_levels=5)
            if o.status in E.LIVE_STATUSES:
                self.ex.finish(o, E.ORDER_PART_CANCEL if o.traded else E.ORDER_CANCELED, "即时成交剩余撤销")
            return
        opp = self._levels(t, o.buy)
        own = self._levels(t, not o.buy)
        if o.kind == "best5_limit":
            self._take(o, t, cap, max_levels=5)
            if o.status not in E.LIVE_STATUSES:
                return
            if o.traded:
                o.price_milli = self.last_take_price
            elif own:
                o.price_milli = own[0][0]
            else:
                self.ex.finish(o, E.ORDER_CANCELED, "最优五档剩余转限价: 无对手方及本方报价, 已撤")
                return
            o.queue_ahead = self._own_level_volume(t, o)   # rests as a limit order from now on
            return
        ref = opp if o.kind == "peer" else own
        if not ref:
            self.ex.finish(o, E.ORDER_CANCELED, "无" + ("对手方" if o.kind == "peer" else "本方") + "最优价格, 已撤")
            return
        o.price_milli = ref[0][0]
        self._continuous(o, t, fresh=True)
