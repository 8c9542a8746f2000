"""LimitUpEtfStrategy: when a core holding seals limit-up, buy the ETF that holds it.

Driven the same way by every runner:
    snap = Snapshot(); strat = LimitUpEtfStrategy(params, etf_info=xtdata.get_etf_info())
    snap.update(ticks); out = strat.on_snapshot(snap, now_ms)   # out.signals, out.intents
    strat.on_fill(fill)                                          # -> ExitPlan for entries
All state lives inside the object; no I/O.
"""
from typing import List, NamedTuple

import numpy as np

from . import ashare
from . import evaluate as ev
from .etf_exposure import Holdings
from .iopv import LoopCosts, iopv, loop_edge, premium
from .limit_up import STATE_NAMES, LimitBook
from .types import ACTION_BUY, ExitPlan, Fill, OrderIntent, Signal

StrategyOutput = NamedTuple("StrategyOutput", [("signals", List[Signal]), ("intents", List[OrderIntent])])
_EMPTY = StrategyOutput([], [])
_NONE = ((), ())                     # _scan: no signal, no intent
_STATE_CODES = dict((v, k) for k, v in STATE_NAMES.items())
_PREFILTER_MIN = 16                  # passing pairs from which SignalMemory.could_admit pays for itself
_STATE_CN = {"sealed": "涨停封板", "one_word": "一字涨停", "touched": "触及涨停", "broken": "涨停炸板"}


def _pct(x, digits):
    return "?" if x is None else "%.*f%%" % (digits, x * 100)


def _ms_to_hms(ms):
    sod = (int(ms // 1000) + ev.TZ_OFFSET_S) % 86400     # = shanghai_clock(ms)[1], without the date
    return "%02d:%02d:%02d" % (sod // 3600, sod // 60 % 60, sod % 60)


# float details that can be unknown (NaN/inf): JSON gets None for them
_FLOAT_DETAILS = ("seal_amount", "seal_ratio", "limit_up", "weight", "top10_ratio", "etf_sealed_weight", "iopv",
                  "premium", "discount", "etf_turnover_wan", "create_edge", "redeem_edge", "loop_etf_fill",
                  "trailing_pct")


class LimitUpEtfStrategy(object):
    """Limit-up stock -> related ETF signals, order intents and exit plans."""

    def __init__(self, params=None, etf_info=None, holdings_rows=None, costs=None):
        """etf_info: xtdata.get_etf_info() dict (preferred); holdings_rows: disclosed rows when no PCF."""
        self.params = params or ev.LimitUpEtfParams()
        self.costs = costs or LoopCosts()
        self._etf_info = etf_info
        self._rows = holdings_rows
        self.holdings = None
        self._bound = None
        self.limits = LimitBook()
        self.memory = ev.SignalMemory()
        self.positions = {}          # code -> [quantity, average price]
        self.intents = {}            # client_id -> OrderIntent sent today or earlier and not yet closed
        self.day = None
        self.last_scan_ms = 0
        self.last_eval = None        # arrays of the last evaluation, for inspection and reports
        self.filter_counts = dict((r, 0) for r in ev.FILTER_REASONS)
        self._opened = set()
        self._seq = 0
        self._sealed_seen = 0
        self._sealed_at_scan = None  # ever_sealed at the last scan: a new-seal scan evaluates the others only
        self._near = None            # (near-limit rows, their entries) of the last _watch
        self._rest = None            # the last push's rest() while it has not run
        self._state_ok = np.zeros(8, bool)
        self._state_ok[[_STATE_CODES[s] for s in self.params.signal_states]] = True

    def set_holdings(self, etf_info=None, rows=None):
        """Replace the ETF baskets (PCF dict or disclosed rows); bound to the snapshot on the next call."""
        self._etf_info, self._rows = etf_info, rows
        self._bound = None

    def _bind(self, snap):
        if self._bound is snap:
            return
        if self._etf_info:
            self.holdings = Holdings.from_etf_info(self._etf_info, snap)
            self.holdings.infer_wide_limits(snap)
        elif self._rows:
            self.holdings = Holdings.from_rows(self._rows, snap)
        else:
            raise ValueError("LimitUpEtfStrategy has no ETF holdings: pass etf_info (xtdata.get_etf_info()) "
                             "or holdings_rows (disclosed holdings) to the constructor or set_holdings().")
        self._bound = snap
        self._near = None
        self.memory.forget_keys()    # its numeric keys are rows of the snapshot bound before

    def _new_day(self, day):
        self.day = day
        self.limits.reset()
        self._opened = set()
        self._seq = 0
        self._sealed_seen = 0
        self._sealed_at_scan = None
        self.last_scan_ms = 0

    def on_snapshot(self, snap, now_ms):
        """StrategyOutput(signals, intents) of this push: on_snapshot_split with its rest done at once, every
        signal in the scan's order (score, then admission)."""
        first, intents, rest = self.on_snapshot_split(snap, now_ms)
        signals = rest.in_scan_order(first)
        return StrategyOutput(signals, intents) if (signals or intents) else _EMPTY

    def on_snapshot_split(self, snap, now_ms):
        """(signals of the intents, intents, rest). `rest()` does the push's work that no order waits for and
        returns the push's other signals: it builds them (loop edge, details, reason), advances the limit-down
        states and sets the watch list for the next pushes. Call it once per push, after sending the orders
        and before snap.complete() and the next push (should a caller skip it, the next push runs it first, on
        that push's arrays). On a hot day a scan emits dozens of signals, and building them before the orders
        delayed them by milliseconds.

        Advance limit-up states; every scan_interval (or at a new seal) evaluate.

        An interval scan (due every scan_interval seconds; every push when it is 0) evaluates the pairs of
        every hot stock. A push on which more stocks have ever sealed today than at the last scan, when no
        interval scan is due, evaluates only the pairs of the stocks that sealed since the last scan: for
        them it emits exactly what a full scan at that moment would (weights, ranks, top-10, the ETF's sealed
        weight over all hot stocks, premium, filters, levels, score, order size, loop edge), quickly. What a
        full scan would have (re-)emitted at that moment for other stocks (a pair grown stronger, a filter
        that stopped failing) and their order intents come at the next interval scan; last_scan_ms and the
        interval count from interval scans only. filter_counts and last_eval cover the pairs evaluated.
        """
        if self._rest is not None:             # the previous push's rest() was not called
            self._rest()
        day, sod = ev.shanghai_clock(now_ms)
        if day != self.day:
            self._new_day(day)
        self._bind(snap)
        self.limits.up.update(snap)            # the down side and the watch list wait for rest()
        n = snap.n
        ever = self.limits.up.ever_sealed[:n]
        sealed_count = int(np.count_nonzero(ever))
        interval = now_ms - self.last_scan_ms >= self.params.scan_interval * 1000
        new_seal = sealed_count > self._sealed_seen
        # the watch list serves the next pushes; a new seal's scan leaves it to the next push
        rest = self._rest = _Later(self, snap, watch=interval or not new_seal)
        if not (interval or new_seal) or not ev.in_continuous_session(sod):
            return (), (), rest
        self._sealed_seen = sealed_count
        only = None
        if interval:
            self.last_scan_ms = now_ms
        else:
            before = np.zeros(n, bool)
            if self._sealed_at_scan is not None:
                m = min(n, len(self._sealed_at_scan))
                before[:m] = self._sealed_at_scan[:m]
            only = ever & ~before
        self._sealed_at_scan = ever.copy()
        first, intents = self._scan(snap, now_ms, day, sod, rest, only)
        return first, intents, rest

    def _scan(self, snap, now_ms, day, sod, rest, only=None):
        """Evaluate the related pairs of hot stocks (of hot stocks flagged in `only` when given): (signals of
        the intents, intents); the other signals are left to `rest`."""
        p, h, n = self.params, self.holdings, snap.n
        h.update(snap)
        up = self.limits.up
        fresh = snap.valid[:n] & (snap.time[:n] >= now_ms - p.max_tick_age_ms)
        hot = fresh & self._state_ok[up.state[:n]]
        hot_ent = h.entries_of_rows(np.nonzero(hot)[0])       # = h.related / h.sealed_weight, one pass
        hot_w = h.weights_of(hot_ent)
        keep = hot_w >= p.min_weight
        if only is not None:
            keep &= only[h.comp_row[hot_ent]]
        pairs = hot_ent[keep]
        if not len(pairs):
            self.last_eval = None
            return _NONE
        e = h.etf_of[pairs]
        srow = h.comp_row[pairs]
        erow = h.etf_rows[e]
        weight = hot_w[keep]
        rank, top10 = h.rank_top(pairs, weight)
        sealed_w = np.bincount(h.etf_of[hot_ent], hot_w, minlength=len(h.etf_codes))[e]
        nav = iopv(h, snap)
        pbuy_all, pdisc_all = premium(h, snap, nav)
        etf_ok = snap.valid[erow] & (snap.time[erow] >= now_ms - p.max_tick_age_ms)
        pbuy = np.where(etf_ok, pbuy_all[e], np.nan)
        ttc = ev.time_to_close(sod)
        flt = ev.filters(snap.amount[erow], ttc, pbuy, weight, snap.bp[srow] / 10000.0, p, True)
        conf = ev.confidence(weight, rank, p)
        rsk = ev.risk(ttc, top10, sod, p)
        sc = ev.score(conf, rsk, weight, up.seal_ratio[srow])
        self.last_eval = {"pairs": pairs, "stock_row": srow, "etf_row": erow, "weight": weight, "rank": rank,
                          "top10": top10, "sealed_weight": sealed_w, "premium": pbuy, "filter": flt,
                          "confidence": conf, "risk": rsk, "score": sc, "iopv": nav[e]}
        failed = np.bincount(flt[flt >= 0], minlength=len(ev.FILTER_REASONS)).tolist()
        for name, c in zip(ev.FILTER_REASONS, failed):
            self.filter_counts[name] += c
        passing = np.nonzero(flt < 0)[0]
        keys = srow[passing].astype(np.int64) * ev.SignalMemory.KEY_BASE + erow[passing]
        if len(passing) > _PREFILTER_MIN:     # a few pairs go faster straight to admit()
            fit = self.memory.could_admit(day, keys, conf[passing], rsk[passing])   # the rest admit() refuses
            passing, keys = passing[fit], keys[fit]
        if not len(passing):
            return _NONE
        order = np.argsort(-sc[passing], kind="mergesort")
        passing, keys = passing[order], keys[order]
        codes = snap.codes                     # plain lists: no numpy scalar per pair in this loop
        admitted = [i for i, s, e_, c, k, key in zip(passing.tolist(), srow[passing].tolist(),
                                                      erow[passing].tolist(), conf[passing].tolist(),
                                                      rsk[passing].tolist(), keys.tolist())
                    if self.memory.admit(day, codes[s], codes[e_], c, k, key)]
        if not admitted:
            return _NONE
        adm = np.asarray(admitted, np.int64)
        ea, sa, ra = e[adm], srow[adm], erow[adm]
        price_u, qty = self._order_size(snap, ra)           # elementwise: only the admitted pairs need it
        # the admitted pairs' facts as plain lists (no numpy scalar per field in _signal)
        facts = dict(weight=weight[adm], rank=rank[adm], top10=top10[adm], sealed_w=sealed_w[adm],
                     nav=nav[ea], pbuy=pbuy[adm], pdisc=pdisc_all[ea], conf=conf[adm], rsk=rsk[adm],
                     sc=sc[adm], price=ashare.to_price(price_u), qty=qty, srow=sa, erow=ra,
                     state=up.state[sa], first_seal_ms=up.first_seal_ms[sa], breaks=up.breaks[sa],
                     seal_amount=up.seal_amount[sa], seal_ratio=up.seal_ratio[sa], limit_up=snap.up[sa],
                     limit_disagree=snap.limit_disagree[sa], etf_amount=snap.amount[ra])
        for k in facts:
            facts[k] = facts[k].tolist()
        facts["sl"], facts["tp"] = self._exit_prices(facts["price"], snap.tick[ra])
        stocks = [codes[r] for r in facts["srow"]]
        etfs = [codes[r] for r in facts["erow"]]
        facts["version"] = [self.memory.version(a, b) for a, b in zip(stocks, etfs)]   # now: admit() moves them
        # one intent per stock at most: its best pair (the first in score order), when the ETF can be opened
        best = {}
        for a, stock in enumerate(stocks):
            best.setdefault(stock, a)
        cand = [a for a in best.values()
                if facts["qty"][a] > 0 and etfs[a] not in self._opened and etfs[a] not in self.positions] \
            if len(self._opened) < p.max_positions else []     # no entry left today: nothing to check
        keep = list(range(len(adm)))
        if cand:                               # their ETFs' 5-level book from this push, checked, before buying
            snap.read_depth(np.unique(ra[cand]))
            bad = set(etfs[a] for a in cand if not snap.valid[facts["erow"][a]])
            if bad:                            # as if found bad in update(): no pair of them is signalled now
                keep = self._drop_pairs(keep, bad, stocks, etfs, facts)
                cand = [a for a in cand if etfs[a] not in bad]
        chosen = []
        for a in cand:
            etf = etfs[a]
            if etf in self._opened or len(self._opened) >= p.max_positions:
                continue
            self._opened.add(etf)
            chosen.append(a)
        build = _SignalBuilder(self, snap, now_ms, day, int(ttc), facts, stocks, etfs, ea)
        first = build(chosen, read=False)      # their books were read (and checked) above
        intents = [self._intent(sig, now_ms, day) for sig in first]
        taken = set(chosen)
        rest.later(build, [a for a in keep if a not in taken], chosen)
        return first, intents

    def _drop_pairs(self, keep, bad_etfs, stocks, etfs, facts):
        """Admitted positions in `keep` minus the pairs of `bad_etfs` (whose admission is undone: they may
        signal on a later push)."""
        out = []
        for a in keep:
            if etfs[a] in bad_etfs:
                key = facts["srow"][a] * ev.SignalMemory.KEY_BASE + facts["erow"][a]
                self.memory.revoke(stocks[a], etfs[a], key)
            else:
                out.append(a)
        return out

    def _watch(self, snap, n):
        """Ask the snapshot for the 5-level book of ETFs that hold, with weight, stocks near limit-up.

        Called on every push but the ones that scan new seals (those run it on the next push)."""
        p, h = self.params, self.holdings
        up = snap.up[:n]
        near = snap.valid[:n] & np.isfinite(up) & (snap.last[:n] >= up * (1 - p.watch_near_limit_pct))
        rows = np.nonzero(near)[0]
        if self._near is not None and np.array_equal(self._near[0], rows):
            ent = self._near[1]
        else:
            ent = h.entries_of_rows(rows)
            self._near = (rows, ent)
        ent = ent[h.weights_of(ent) >= p.min_weight]
        mask = np.zeros(snap.n, bool)
        mask[h.etf_rows[h.etf_of[ent]]] = True
        snap.set_watch(np.nonzero(mask)[0], owner=p.strategy_name)     # = np.unique of those rows

    def _order_size(self, snap, erow):
        """Limit price (units) inside cage and limit-up, and lot-rounded quantity within the budget."""
        p = self.params
        tick = snap.tick[erow]
        ask_u = ashare.to_units(snap.ask[erow, 0])
        last_u = ashare.to_units(snap.last[erow])
        bench = np.where(last_u > 0, last_u, ask_u)
        buy_max, _ = ashare.cage_units(bench, snap.board[erow], tick)
        price_u = np.minimum(np.minimum(ask_u + p.buy_price_ticks * tick, buy_max), snap.up_units[erow])
        price_u = np.where(ask_u > 0, price_u, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = np.where(price_u > 0, np.floor(p.position_budget / ashare.to_price(price_u)), 0)
        return price_u, ashare.round_lot(raw.astype(np.int64), snap.board[erow])

    def _exit_prices(self, price, tick_units):
        """Stop-loss and take-profit on the tick grid, rounded (Python round) to 3 decimals: two lists."""
        p = self.params
        price = np.asarray(price, np.float64)
        t = np.asarray(tick_units) / float(ashare.PRICE_SCALE)
        zero = np.zeros(price.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            sl = np.floor(price * (1 - p.stop_loss_pct) / t + 1e-9) * t if p.stop_loss_pct else zero
            tp = np.ceil(price * (1 + p.take_profit_pct) / t - 1e-9) * t if p.take_profit_pct else zero
        return [round(x, 3) for x in np.ravel(sl).tolist()], [round(x, 3) for x in np.ravel(tp).tolist()]

    def _signal(self, now_ms, day, a, stock, etf, ttc, facts, edge):
        """Signal for the a-th admitted pair; facts: lists over the admitted pairs (see _scan); edge: the loop
        edge of its ETF (create ratio, redeem ratio, ETF fill, feasible)."""
        L, p = facts, self.params
        price = L["price"][a]
        sl, tp = L["sl"][a], L["tp"][a]
        state = STATE_NAMES[L["state"][a]]
        rank = L["rank"][a]
        details = {                            # facts are plain Python lists (tolist): no conversions needed
            "stock": stock, "state": state, "first_seal_time": _ms_to_hms(L["first_seal_ms"][a]),
            "breaks": L["breaks"][a], "seal_amount": L["seal_amount"][a], "seal_ratio": L["seal_ratio"][a],
            "limit_up": L["limit_up"][a], "limit_disagree": L["limit_disagree"][a], "etf": etf,
            "weight": L["weight"][a], "rank": rank, "in_top10": rank <= 10, "top10_ratio": L["top10"][a],
            "etf_sealed_weight": L["sealed_w"][a], "iopv": L["nav"][a], "premium": L["pbuy"][a],
            "discount": L["pdisc"][a], "etf_turnover_wan": L["etf_amount"][a] / 10000.0, "time_to_close_s": ttc,
            "create_edge": edge[0], "redeem_edge": edge[1], "loop_etf_fill": edge[2], "loop_feasible": edge[3],
            "trailing_pct": p.trailing_pct,
        }
        for k in _FLOAT_DETAILS:               # JSON-safe: unknown numbers are None, not NaN
            v = details[k]
            if v - v != 0.0:                   # NaN or +-inf (v - v is NaN for them, 0.0 for finite floats)
                details[k] = None
        version = L["version"][a]
        reason = "%s %s(封单%.0f万元, 占流通%s) → %s 权重%.1f%% 第%d; 溢价%s; 成交额%.0f万元" % (
            stock, _STATE_CN.get(state, state), details["seal_amount"] / 1e4, _pct(details["seal_ratio"], 3),
            etf, details["weight"] * 100, details["rank"], _pct(details["premium"], 2),
            details["etf_turnover_wan"])
        return Signal(
            signal_id="%s:%d:%s:%s:%d" % (p.strategy_name, day, stock, etf, version),
            strategy=p.strategy_name, code=etf, action=ACTION_BUY, ts_ms=int(now_ms), trade_date=day,
            price=price, quantity=L["qty"][a], stop_loss=sl, take_profit=tp,
            confidence=ev.LEVEL_NAMES[L["conf"][a]], risk=ev.LEVEL_NAMES[L["rsk"][a]],
            score=L["sc"][a], reason=reason, details=details)

    def _intent(self, sig, now_ms, day):
        self._seq += 1
        client_id = "LU%06d%s%02d" % (day % 1000000, sig.code[:6], self._seq % 100)
        plan = ExitPlan(code=sig.code, entry_price=sig.price, stop_loss=sig.stop_loss, take_profit=sig.take_profit,
                        trailing_pct=self.params.trailing_pct, exit_after_days=self.params.exit_after_days,
                        exit_time=self.params.exit_time)
        intent = OrderIntent(client_id=client_id, strategy=sig.strategy, code=sig.code, side="buy",
                             price=sig.price, quantity=sig.quantity, ts_ms=int(now_ms), signal_id=sig.signal_id,
                             reason=sig.reason, exit_plan=plan)
        self.intents[client_id] = intent
        return intent

    def on_fill(self, fill):
        """Book a fill; for a buy returns the ExitPlan re-based on the average entry price."""
        if not isinstance(fill, Fill):
            fill = Fill(**fill)
        pos = self.positions.setdefault(fill.code, [0, 0.0])
        if fill.side == "buy":
            qty = pos[0] + fill.quantity
            pos[1] = (pos[0] * pos[1] + fill.quantity * fill.price) / qty if qty else 0.0
            pos[0] = qty
            tick = 1 if ashare.board_of_code(fill.code) == ashare.BOARD_ETF else 10
            (sl,), (tp,) = self._exit_prices(pos[1], tick)
            intent = self.intents.get(fill.client_id)
            return ExitPlan(code=fill.code, entry_price=round(pos[1], 4), stop_loss=sl, take_profit=tp,
                            trailing_pct=self.params.trailing_pct, exit_after_days=self.params.exit_after_days,
                            exit_time=intent.exit_plan.exit_time if intent else self.params.exit_time)
        pos[0] = max(0, pos[0] - fill.quantity)
        if pos[0] == 0:
            del self.positions[fill.code]
        return None


class _SignalBuilder(object):
    """Builds the Signals of some admitted pairs of one scan (their ETFs' book read from the push, then their loop
    edges computed for those ETFs only: a loop edge depends on its own ETF alone, so building in two parts gives
    the same signals)."""

    def __init__(self, strat, snap, now_ms, day, ttc, facts, stocks, etfs, etf_of_pair):
        self.strat, self.snap, self.now_ms, self.day, self.ttc = strat, snap, now_ms, day, ttc
        self.facts, self.stocks, self.etfs, self.etf_of_pair = facts, stocks, etfs, etf_of_pair

    def __call__(self, positions, read=True):
        if not positions:
            return []
        strat = self.strat
        ea = self.etf_of_pair[np.asarray(positions, np.int64)]
        sig_etfs = np.unique(ea)
        if read:
            self.snap.read_depth(strat.holdings.etf_rows[sig_etfs])
        edge = loop_edge(strat.holdings, self.snap, sig_etfs, strat.costs)
        j = np.searchsorted(sig_etfs, ea)
        edges = list(zip(edge.create_ratio[j].tolist(), edge.redeem_ratio[j].tolist(), edge.etf_fill[j].tolist(),
                         edge.feasible[j].tolist()))
        return [strat._signal(self.now_ms, self.day, a, self.stocks[a], self.etfs[a], self.ttc, self.facts, ed)
                for a, ed in zip(positions, edges)]


class _Later(object):
    """rest() of on_snapshot_split: what the push still owes once its orders are out, done when called (once):
    the scan's other signals (their ETFs' book read first), the limit-down states and the watch list. It knows
    where the other signals and the intents' own go in the scan's order."""

    def __init__(self, strat, snap, watch):
        self.strat, self.snap, self.watch = strat, snap, watch
        self.build, self.positions, self.first_positions = None, [], []
        self._done = None

    def later(self, build, positions, first_positions):
        """The scan's admitted pairs at `positions` get their signals in rest() (`first_positions`: now)."""
        self.build, self.positions, self.first_positions = build, positions, first_positions

    def __call__(self):
        if self._done is not None:
            return self._done
        strat, snap = self.strat, self.snap
        if strat._rest is self:
            strat._rest = None
        others = self.build(self.positions) if self.positions else []
        strat.limits.down.update(snap)
        if self.watch:
            strat._watch(snap, snap.n)
        self._done = others
        self.build = self.snap = self.strat = None   # the snapshot and facts are not kept alive
        return others

    def in_scan_order(self, first):
        """The intents' signals (`first`) and the others merged back into the scan's order."""
        others = self()
        if not others:
            return list(first)
        placed = sorted(list(zip(self.first_positions, first)) + list(zip(self.positions, others)),
                        key=lambda x: x[0])
        return [sig for _, sig in placed]
