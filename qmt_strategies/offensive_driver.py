"""The offensive layer inside QMT (Python 3.6): OffensiveDriver gives BuiltinAdapter the layer's daily entries
and intraday exits; offensive_orders prices them from the snapshot, shared with the miniQMT port
(bridge.strategy_ports.OffensivePort)."""
import numpy as np

from . import ashare
from .evaluate import in_continuous_session, shanghai_clock
from .types import ExitPlan, OrderIntent


class DriverOutput:
    """What on_snapshot returns to the adapter: .signals and .intents."""

    def __init__(self, signals, intents):
        self.signals = signals
        self.intents = intents


def _quote(q, fallback):
    """A level-1 quote when known (finite, > 0), else the fallback price."""
    q = float(q)
    return q if q > 0 and np.isfinite(q) else float(fallback)


def offensive_orders(snap, pending, strategy, day, now_ms, name, buy_ticks):
    """(signals, intents) of the offensive layer on a continuous-session snapshot: the pending signals of the
    day (buys at ask + buy_ticks, sells at bid - buy_ticks, not below the down limit) and the intraday exits
    the strategy takes on the held codes' last prices. Shared by OffensiveDriver and the miniQMT port."""
    scale = float(ashare.PRICE_SCALE)
    signals, intents = [], []
    for s in pending:
        r = snap.index.get(s.code)
        if r is None or not snap.valid[r]:
            continue
        signals.append(s._replace(ts_ms=int(now_ms)))
        tick = int(snap.tick[r])
        if s.action == "buy":
            px = (ashare.to_units(_quote(snap.ask[r, 0], snap.last[r])) + buy_ticks * tick) / scale
        else:
            px = max(ashare.to_units(_quote(snap.bid[r, 0], snap.last[r])) - buy_ticks * tick,
                     int(snap.down_units[r])) / scale
        intents.append(OrderIntent(s.signal_id, name, s.code, s.action, float(px), int(s.quantity),
                                   int(now_ms), s.signal_id, s.reason, None))
    held = [c for c in strategy.holdings if c in snap.index]
    if held:
        rows = snap.rows_of(held)
        prices = dict((c, float(p)) for c, p, v in zip(held, snap.last[rows], snap.valid[rows]) if v)
        for s in strategy.on_prices(day, now_ms, prices):
            signals.append(s)
            r = snap.index[s.code]
            px = max(ashare.to_units(_quote(snap.bid[r, 0], s.price)) - buy_ticks * int(snap.tick[r]),
                     int(snap.down_units[r])) / scale
            intents.append(OrderIntent(s.signal_id, name, s.code, "sell", float(px), int(s.quantity),
                                       int(now_ms), s.signal_id, s.reason, None))
    return signals, intents


class OffensiveDriver:
    """OffensiveLayerStrategy for the adapter, rule for rule as bridge.strategy_ports.OffensivePort: score the
    universe on bars up to yesterday at a new day, enter at the first continuous-session snapshot
    (ask + buy_ticks), exit intraday at stop/target (bid - buy_ticks, not below the down limit).

    bars(codes, end_yyyymmdd, n) -> {code: DataFrame with high/low/close/volume} is injected by the glue
    (C.get_market_data_ex inside QMT); industry_of maps code -> industry name.
    """

    def __init__(self, strategy, codes, bars, industry_of=None, max_entries_per_day=5, history_days=80,
                 buy_ticks=2):
        self.strategy = strategy
        self.name = strategy.name
        self.codes = sorted(c for c in codes if ashare.board_of_code(c) in
                            (ashare.BOARD_MAIN, ashare.BOARD_CHINEXT, ashare.BOARD_STAR))
        self._bars = bars
        self.industry_of = industry_of or {}
        self.max_entries = int(max_entries_per_day)
        self.history_days = int(history_days)
        self.buy_ticks = int(buy_ticks)
        self.pending = []
        self.day = None

    def _scores(self, ymd):
        import datetime
        codes = self.codes
        if not codes:
            return None, None
        d = datetime.date(ymd // 10000, ymd // 100 % 100, ymd % 100) - datetime.timedelta(days=1)
        frames = self._bars(codes, d.strftime("%Y%m%d"), self.history_days)
        n = self.history_days
        fields = ["high", "low", "close", "volume"]
        block = np.full((len(codes), n, 4), np.nan)
        for i, c in enumerate(codes):
            f = frames.get(c)
            if f is None or not len(f):
                continue
            if list(f.columns) != fields:
                f = f.reindex(columns=fields)
            v = f.to_numpy(np.float64)[-n:]                 # one conversion per code (not one per column)
            block[i, n - len(v):] = v
        mats = dict((k, block[:, :, j]) for j, k in enumerate(fields))
        industries = [self.industry_of.get(c, "") for c in codes]
        close = mats["close"]
        with np.errstate(invalid="ignore", divide="ignore"):
            ret20 = close[:, -1] / close[:, -21] - 1.0
        groups = {}
        for ind_name, r in zip(industries, ret20):
            if ind_name and np.isfinite(r):
                groups.setdefault(ind_name, []).append(float(r))
        means = dict((k, float(np.mean(v))) for k, v in groups.items())
        order = sorted(means, key=lambda k: means[k])
        ind_scores = dict((k, 10.0 * (i + 0.5) / len(order)) for i, k in enumerate(order)) if order else {}
        nan = np.full(len(codes), np.nan)
        return self.strategy.scores(codes, mats, nan, nan, industries, ind_scores), close[:, -1]

    def _on_day(self, ymd, now_ms):
        self.day, self.pending = ymd, []
        scores, last_close = self._scores(ymd)
        if scores is None:
            return
        sigs = self.strategy.on_day(ymd, now_ms, scores, last_close)
        buys = sorted((s for s in sigs if s.action == "buy"), key=lambda s: -s.score)[:self.max_entries]
        self.pending = buys + [s for s in sigs if s.action != "buy"]

    def on_snapshot(self, snap, now_ms):
        """The day's signals and intents at the first continuous snapshot; then intraday exits."""
        day, sod = shanghai_clock(now_ms)
        if day != self.day:
            self._on_day(day, now_ms)
        if not in_continuous_session(sod):
            return DriverOutput([], [])
        snap.complete()                      # prices below use level-1 quotes of any row (a deferred push)
        signals, intents = offensive_orders(snap, self.pending, self.strategy, self.day, now_ms, self.name,
                                            self.buy_ticks)
        self.pending = []
        return DriverOutput(signals, intents)

    def on_fill(self, fill):
        """Book the fill; a buy gets the strategy's TP/SL as its exit plan (time exit next day 14:50)."""
        self.strategy.on_fill(fill)
        h = self.strategy.holdings.get(fill.code)
        if fill.side == "buy" and h:
            return ExitPlan(fill.code, h["entry_price"], h["stop_loss"], h["take_profit"], 0.0, 0, "")  # held until TP/SL or decay
        return None
