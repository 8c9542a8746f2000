"""World: the simulated day (clock + market + exchange); step() advances one snapshot."""
from __future__ import annotations

import datetime as dt
import gc
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from loguru import logger

from sim import calendar, rules
from sim.exchange import Exchange, ExchangeConfig
from sim.market import day as dd
from sim.market import events as ev
from sim.market import history, refdata
from sim.market.feed import GeneratedFeed
from sim.market.indices import IndexFeed, IndexSet
from sim.market.ticks import Latest, build_ticks, concat_frames
from sim.market.universe import build_universe


@dataclass(frozen=True, slots=True)
class SimConfig:
    """What day to simulate and how big the market is."""
    seed: int = 0
    n_stocks: int = 5000          # tests use tiny universes (e.g. 40 stocks, 6 ETFs)
    n_etfs: int = 500
    trade_date: dt.date | None = None   # default: latest XSHG session on or before today covered by the calendar
    history_days: int = 250
    snapshot_interval_s: int = 3
    planted_limit_ups: int | None = None      # None = natural frequency (~2% of stocks); tests plant explicit events
    start_time: str = "09:15:00"
    end_time: str = "15:00:00"
    events: tuple[ev.PlantSpec, ...] = ()     # explicit events to plant (code/board, kind, time)
    indices: bool = True                      # index quotes/bars (000001.SH, 000300.SH, 399006.SZ, ...)
    exchange: ExchangeConfig = field(default_factory=ExchangeConfig)


def _epoch_fn(d: dt.date):
    base = history.midnight_ms(d)

    def epoch_ms(sod: int) -> int:
        return base + int(sod) * 1000

    return epoch_ms


class World:
    """One simulated trading day; deterministic for a SimConfig."""

    def __init__(self, cfg: SimConfig = SimConfig(), tape: str | Path | None = None):
        self.cfg = cfg
        if tape is not None:
            from sim.tape import load_tape
            self._init_from_tape(load_tape(tape))
            return
        self.trade_date = cfg.trade_date or calendar.latest_session()
        if not calendar.is_session(self.trade_date):
            raise ValueError(f"SimConfig.trade_date {self.trade_date} is not an XSHG trading day")
        self.epoch_ms = _epoch_fn(self.trade_date)
        u = build_universe(cfg.n_stocks, cfg.n_etfs, self.trade_date, cfg.seed, cfg.history_days)
        self.universe = u
        sod = dd.timeline(cfg.snapshot_interval_s, cfg.start_time, cfg.end_time)
        day, specs = dd.generate_day(u, cfg.seed, sod, cfg.events, cfg.planted_limit_ups)
        self.day = day
        self.planted = dd.planted_events(u, day, self.trade_date, specs, self.epoch_ms)
        suspended = {i for i, s in specs if s.kind == ev.SUSPENDED}
        self.suspended = {u.codes[i] for i in suspended}
        self.instruments = {c: refdata.instrument_detail(u, i, i in suspended) for i, c in enumerate(u.codes)}
        self.sectors = refdata.sectors(u)
        self.industry_of = {c: x for c, x in zip(u.codes, u.industry) if x}
        self.etf_info = refdata.etf_info(u, suspended)
        self.feed = GeneratedFeed(u, day, cfg.seed, self.epoch_ms)
        self._sod = sod
        self.indexes = IndexSet(u) if cfg.indices else None
        ix = self.indexes
        self._index_feed = IndexFeed(ix, self.feed, u.n) if ix is not None and len(ix) else None
        codes = list(u.codes)
        pre = u.pre_close
        if self._index_feed is not None:
            codes += ix.codes
            pre = np.concatenate([u.pre_close, self._index_feed.pre])
            for k, c in enumerate(ix.codes):
                self.instruments[c] = ix.instrument(k, float(self._index_feed.pre[k]))
            self.sectors["沪深指数"] = list(ix.codes)
        self._codes = np.array(codes, dtype=object)
        self.latest = Latest(codes, pre)
        prev_day = u.hist_dates[-1] if u.hist_dates else calendar.previous_sessions(self.trade_date, 1)[0]
        uf = self.feed.preopen_frame(history.midnight_ms(prev_day) + 15 * 3_600_000)
        self.latest.apply(concat_frames(uf, self._index_feed.preopen_frame(uf) if self._index_feed else None))
        self.exchange = Exchange(self.instruments, self.trade_date, cfg.exchange,
                                 t0_codes={c for c, k in zip(u.codes, u.etf_kind) if k in rules.T0_KINDS},
                                 suspended=self.suspended, quote_source=self.latest.tick,
                                 price_source=self.latest.last_price)
        self._row = -1
        self.now_ms = self.epoch_ms(int(sod[0])) - cfg.snapshot_interval_s * 1000
        self.exchange.set_time(self.now_ms)
        self._hist_cache: dict[str, pd.DataFrame] = {}
        logger.info("sim world date={} stocks={} etfs={} snapshots={} events={}", self.trade_date, cfg.n_stocks,
                    cfg.n_etfs, len(sod), len(self.planted))

    def _init_from_tape(self, tape) -> None:
        self.trade_date = tape.trade_date
        self.epoch_ms = _epoch_fn(self.trade_date)
        self.universe = None
        self.day = None
        self.planted = list(tape.planted)
        self.suspended = set()
        self.instruments = tape.instruments
        self.sectors = tape.sectors
        self.industry_of = tape.industry_of
        self.etf_info = tape.etf_info
        self.feed = tape
        self.indexes = self._index_feed = None
        self._sod = tape.sod
        self._codes = np.array(tape.codes, dtype=object)
        pre = np.array([self.instruments.get(c, {}).get("PreClose", 0.0) for c in tape.codes])
        self.latest = Latest(tape.codes, pre)
        t0 = {c for c in tape.codes
              if rules.guess_etf_kind(c, self.instruments.get(c, {}).get("InstrumentName", "")) in rules.T0_KINDS}
        self.exchange = Exchange(self.instruments, self.trade_date, self.cfg.exchange, t0_codes=t0, suspended=set(),
                                 quote_source=self.latest.tick, price_source=self.latest.last_price)
        self._row = -1
        self.now_ms = self.epoch_ms(int(self._sod[0])) - 3000 if len(self._sod) else self.epoch_ms(0)
        self.exchange.set_time(self.now_ms)
        self._hist_cache = {}

    # ---- clock ---------------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """True once every snapshot of the day has been stepped."""
        return self._row >= len(self._sod) - 1

    @property
    def n_snapshots(self) -> int:
        return len(self._sod)

    def step(self) -> dict[str, dict] | None:
        """Advance to the next snapshot: {code: tick} of the codes whose quote changed; None after the last."""
        if self.done:
            return None
        self._row += 1
        # the dicts built here are acyclic; pausing the cyclic GC while ~25k containers are allocated saves ~30%
        gc_was_on = gc.isenabled()
        gc.disable()
        try:
            f = self._frame(self._row)
            self.now_ms = f.time_ms
            ticks = build_ticks(self._codes, f)
            self.exchange.on_snapshot(ticks, self.now_ms)
        finally:
            if gc_was_on:
                gc.enable()
        return ticks

    def step_frame(self):
        """Advance like step() but return the columnar Frame (ticks built only for codes with live orders)."""
        if self.done:
            return None
        self._row += 1
        f = self._frame(self._row)
        self.now_ms = f.time_ms
        codes = {o.code for o in self.exchange.live_orders()}
        ticks = self.latest.ticks([c for c in codes]) if codes else {}
        self.exchange.on_snapshot(ticks, self.now_ms)
        return f

    def _frame(self, r: int):
        """Row r's frame (plus index quotes), already recorded in self.latest."""
        f = self.feed.frame(r)
        self.latest.apply(f)
        if self._index_feed is not None:
            fi = self._index_feed.frame(f, int(self._sod[r]), self.latest.last[: self.universe.n])
            if fi is not None:
                self.latest.apply(fi)
                f = concat_frames(f, fi)
        return f

    def full_tick(self, codes: list[str] | None = None) -> dict[str, dict]:
        """Latest tick of the given codes (all quoted codes when None), like xtdata.get_full_tick."""
        return self.latest.ticks(codes)

    def iopv(self, code: str) -> float:
        """The ETF's IOPV as last published (every 15 s); 0.0 for non-ETFs or before the first snapshot."""
        if self.day is None or self._row < 0 or self.universe is None:
            return 0.0
        if not hasattr(self, "_etf_pos"):
            self._etf_pos = {self.universe.codes[int(c)]: (int(c), k) for k, c in enumerate(self.day.etf_cols)}
        hit = self._etf_pos.get(code)
        if hit is None:
            return 0.0
        i, k = hit
        r = self._row
        while r > 0 and self._sod[r] % 15:
            r -= 1
        if i not in self.universe.baskets:
            return round(float(np.exp(self.day.lat[r, i])), 4)
        return round(float(self.day.iopv[r, k]), 4)

    # ---- history -------------------------------------------------------------------------------------
    def trading_dates(self, market: str = "SH", start_time: str = "", end_time: str = "", count: int = -1) -> list[int]:
        """Trading days as ms epochs of 00:00 Asia/Shanghai (like xtdata.get_trading_dates)."""
        first, last = calendar.covered_range()
        start = calendar.to_date(start_time) if start_time else first
        end = calendar.to_date(end_time) if end_time else self.trade_date
        days = calendar.sessions(max(start, first), min(end, last))
        if count is not None and count > 0:
            days = days[-count:]
        return [history.midnight_ms(d) for d in days]

    def bars(self, code: str, period: str = "1d", start_time: str = "", end_time: str = "", count: int = -1) -> pd.DataFrame:
        """K-line frame (xtquant columns) of history plus today so far; periods 1d, 1m, 5m."""
        if code not in self.instruments:
            return pd.DataFrame(columns=history.BAR_COLUMNS)
        if period == "1d":
            df = self._daily(code)
        elif period in ("1m", "5m"):
            df = self._intraday(code, 1 if period == "1m" else 5)
        else:
            raise ValueError(f"period {period!r} is not simulated; use '1d', '1m' or '5m'")
        if start_time:
            df = df[df.index >= str(start_time)[: len(df.index[0])]] if len(df) else df
        if end_time:
            df = df[df.index <= str(end_time)[: len(df.index[0])]] if len(df) else df
        if count is not None and count > 0:
            df = df.iloc[-count:]
        return df

    def _daily(self, code: str) -> pd.DataFrame:
        if code not in self._hist_cache:
            if self.universe is None:
                self._hist_cache[code] = pd.DataFrame(columns=history.BAR_COLUMNS)
            elif self.indexes is not None and code in self.indexes.codes:
                self._hist_cache[code] = self._index_history(self.indexes.codes.index(code))
            else:
                i = self.latest.index[code]
                self._hist_cache[code] = history.daily_history(self.universe, i, self.cfg.seed, self.cfg.history_days)
        df = self._hist_cache[code]
        i = self.latest.index.get(code)
        if i is None or self._row < 0 or _sod_of(self.now_ms) < dd.AUCTION_END or self.latest.open[i] == 0:
            return df
        L = self.latest
        today = pd.DataFrame({
            "time": [history.midnight_ms(self.trade_date)], "open": [L.open[i]], "high": [L.high[i]],
            "low": [L.low[i]], "close": [L.last[i]], "volume": [int(L.volume[i])], "amount": [L.amount[i]],
            "settelementPrice": [0.0], "openInterest": [int(L.open_int[i])], "preClose": [L.pre[i]],
            "suspendFlag": [0]}, index=[self.trade_date.strftime("%Y%m%d")])
        return pd.concat([df, today])

    def _index_history(self, k: int) -> pd.DataFrame:
        """Daily bars of index k from the constituents' closes (open = previous close, high/low of the two)."""
        u = self.universe
        n = min(self.cfg.history_days, len(u.hist_dates) - 1)
        lv = self.indexes.history(u.hist_close)[:, k]
        close, pre = lv[-n:], lv[-n - 1:-1]
        cons = self.indexes.cons[k]
        lots = int(np.rint((u.turnover[cons] * u.float_shares[cons]).sum() / 100))
        return pd.DataFrame({
            "time": [history.midnight_ms(d) for d in u.hist_dates[-n:]], "open": pre, "high": np.maximum(pre, close),
            "low": np.minimum(pre, close), "close": close, "volume": lots, "amount": 0.0, "settelementPrice": 0.0,
            "openInterest": 15, "preClose": pre, "suspendFlag": 0},
            index=[d.strftime("%Y%m%d") for d in u.hist_dates[-n:]])[history.BAR_COLUMNS]

    def _intraday(self, code: str, minutes: int) -> pd.DataFrame:
        if self.indexes is not None and code in self.indexes.codes:
            return pd.DataFrame(columns=history.BAR_COLUMNS)   # minute bars of indexes are not simulated
        if self.day is None or self._row < 0:
            return pd.DataFrame(columns=history.BAR_COLUMNS)
        i = self.latest.index[code]
        rows = np.arange(self._row + 1)
        sod = self._sod[rows]
        keep = sod >= dd.AUCTION_END
        rows, sod = rows[keep], sod[keep]
        if rows.size == 0:
            return pd.DataFrame(columns=history.BAR_COLUMNS)
        px = self.feed.price_ticks_col(rows, i) / float(self.universe.tick_div[i])
        vol = self.day.vol[rows, i].astype(np.int64)
        # bar label = end of the minute bucket (xtquant labels a 1m bar by its close time)
        bucket = ((np.maximum(sod, dd.CONT_START) - 1) // (60 * minutes) + 1) * 60 * minutes
        first_pm = dd.parse_hms("13:00:00")
        bucket = np.where(sod <= dd.CONT_START, dd.CONT_START + 60 * minutes, bucket)
        bucket = np.where(sod == first_pm, first_pm + 60 * minutes, bucket)
        df = pd.DataFrame({"b": bucket, "px": px, "vol": vol})
        df["amt"] = df["px"] * df["vol"] * 100
        g = df.groupby("b", sort=True)
        out = pd.DataFrame({"open": g["px"].first(), "high": g["px"].max(), "low": g["px"].min(),
                            "close": g["px"].last(), "volume": g["vol"].sum(), "amount": g["amt"].sum().round(2)})
        base = self.epoch_ms(0)
        idx = out.index.to_numpy()
        out.insert(0, "time", base + idx.astype(np.int64) * 1000)
        pre = np.concatenate([[float(self.universe.pre_close[i])], out["close"].to_numpy()[:-1]])
        out["settelementPrice"] = 0.0
        out["openInterest"] = 13
        out["preClose"] = pre
        out["suspendFlag"] = 0
        out.index = [self.trade_date.strftime("%Y%m%d") + f"{s // 3600:02d}{s % 3600 // 60:02d}{s % 60:02d}"
                     for s in idx.tolist()]
        return out[history.BAR_COLUMNS]


def _sod_of(now_ms: int) -> int:
    return (now_ms // 1000 + 8 * 3600) % 86400
