"""xtdata subscriptions: whole-quote and per-code pushes on one callback lane, bars built from snapshots."""

from __future__ import annotations

import itertools
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from loguru import logger

from sim.driver import Gate, Lane

if TYPE_CHECKING:
    from ._runtime import Runtime

KLINE_PERIODS = {"1m": 60, "5m": 300, "15m": 900, "30m": 1800, "60m": 3600, "1h": 3600, "1d": 86400}
TICK_HISTORY_FIELDS = ("time", "lastPrice", "open", "high", "low", "lastClose", "amount", "volume", "pvolume",
                       "stockStatus", "openInt", "lastSettlementPrice", "askPrice", "bidPrice", "askVol", "bidVol",
                       "transactionNum")
MARKETS = ("SH", "SZ", "BJ")
AUCTION_END, CONT_START = 9 * 3600 + 25 * 60, 9 * 3600 + 30 * 60


@dataclass
class Subscription:
    """One subscribe_quote / subscribe_whole_quote registration."""

    seq: int
    whole: bool
    codes: frozenset[str]
    markets: frozenset[str]
    period: str
    callback: object
    code_list: list[str] | None = None      # resolved on first dispatch (the universe never changes)
    code_set: frozenset[str] = frozenset()
    all_codes: bool = False
    bars: dict[str, dict] = field(default_factory=dict)


class QuoteHub:
    """Holds subscriptions and pushes each snapshot to them (baton held by the caller)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.subs: dict[int, Subscription] = {}
        self._seqs = itertools.count(1)
        self._lane: Lane | None = None
        self.run_gates: list[Gate] = []
        self.tick_history: dict[str, list[dict]] = {}    # codes subscribed with period 'tick'

    @property
    def lane(self) -> Lane:
        """The xtdata callback lane (served by the clock thread, named xtdata-callback)."""
        if self._lane is None:
            self._lane = Lane(self.rt.sched, "xtdata-callback", self._callback_failed, hosted=True)
        return self._lane

    @staticmethod
    def _callback_failed(exc: BaseException) -> None:
        # the real client prints this and keeps pushing
        print("subscribe callback error:", exc)
        traceback.print_exception(exc)

    def add(self, whole: bool, codes: list[str], period: str, callback) -> int:
        """Register a subscription; returns its seq."""
        seq = next(self._seqs)
        markets = frozenset(c for c in codes if c in MARKETS)
        plain = frozenset(c for c in codes if c not in MARKETS)
        self.subs[seq] = Subscription(seq, whole, plain, markets, period, callback)
        if not whole and period == "tick":
            for c in plain:
                self.tick_history.setdefault(c, [])
        logger.debug("xtdata subscribe seq={} whole={} codes={} period={}", seq, whole, len(codes), period)
        return seq

    def remove(self, seq: int) -> None:
        """Drop a subscription (unknown seqs are ignored, as in the real client)."""
        self.subs.pop(seq, None)

    def _resolve(self, sub: Subscription) -> None:
        universe = self.rt.world.instruments
        present = {c.rsplit(".", 1)[-1] for c in universe}
        if sub.markets and present <= sub.markets:
            sub.all_codes = True
            return
        sub.code_list = [c for c in universe if c in sub.codes or c.rsplit(".", 1)[-1] in sub.markets]
        sub.code_set = frozenset(sub.code_list)

    def dispatch(self, ticks: dict[str, dict], now_ms: int) -> None:
        """Queue one snapshot's pushes (codes whose quote changed) for every subscription."""
        for code, hist in self.tick_history.items():
            t = ticks.get(code)
            if t is not None:
                hist.append(t)
        if not self.subs:
            return
        lane = self.lane
        for sub in list(self.subs.values()):
            if sub.code_list is None and not sub.all_codes:
                self._resolve(sub)
            if sub.all_codes:
                mine = ticks
            elif len(sub.code_list) < len(ticks):
                mine = {c: ticks[c] for c in sub.code_list if c in ticks}
            else:
                mine = {c: t for c, t in ticks.items() if c in sub.code_set}
            if sub.whole:
                data = mine
            elif sub.period == "tick":
                data = {c: [t] for c, t in mine.items()}
            else:
                data = {}
                for c, t in mine.items():
                    bar = self._bar(sub, c, t)
                    if bar is not None:
                        data[c] = [bar]
            if data and sub.callback is not None:
                lane.submit(sub.callback, data)

    def _bar(self, sub: Subscription, code: str, tick: dict) -> dict | None:
        """The current bar of sub.period for code updated with this tick (labelled by its close time, like
        World.bars); None during the opening auction."""
        secs = KLINE_PERIODS.get(sub.period, 60)
        t = tick["time"]
        day0 = t - (t + 8 * 3600_000) % 86400_000
        sod = (t - day0) // 1000
        if sod < AUCTION_END:
            return None
        if secs >= 86400:
            label = day0
        elif sod == AUCTION_END:
            label = day0 + (CONT_START + secs) * 1000
        else:
            label = day0 + ((max(sod, CONT_START) - 1) // secs + 1) * secs * 1000
        bar = sub.bars.get(code)
        price = tick["lastPrice"]
        if bar is None or bar["time"] != label:
            daily = secs >= 86400
            base_vol = bar["_cumvol"] if bar else (0 if daily else tick["volume"])
            base_amt = bar["_cumamt"] if bar else (0.0 if daily else tick["amount"])
            bar = {"time": label, "open": tick["open"] if daily else price, "high": tick["high"] if daily else price,
                   "low": tick["low"] if daily else price, "_basevol": base_vol, "_baseamt": base_amt}
            sub.bars[code] = bar
        if price > 0:
            bar["high"] = max(bar["high"], price)
            bar["low"] = min(bar["low"], price) if bar["low"] > 0 else price
        bar["_cumvol"], bar["_cumamt"] = tick["volume"], tick["amount"]
        return {"time": label, "open": bar["open"], "high": bar["high"], "low": bar["low"], "close": price,
                "volume": tick["volume"] - bar["_basevol"], "amount": tick["amount"] - bar["_baseamt"],
                "settelementPrice": 0.0, "openInterest": tick.get("openInt", 0), "preClose": tick["lastClose"],
                "suspendFlag": 0}

    def on_disconnect(self, now_ms: int) -> None:
        """Fault: xtdata connection lost: subscriptions are gone and run() raises."""
        logger.info("sim xtdata disconnected now_ms={} subscriptions_dropped={}", now_ms, len(self.subs))
        self.subs.clear()
        for gate in self.run_gates:
            self.rt.sched.open(gate, error=Exception("行情服务连接断开"))
        self.run_gates.clear()

    def close(self) -> None:
        """Stop the callback lane."""
        if self._lane is not None:
            self._lane.close(wait=True)
            self._lane = None
