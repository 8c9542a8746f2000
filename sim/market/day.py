"""Vectorised generation of one trading day: latent price paths, limit states, trade activity, IOPV.

Arrays are [snapshots x codes]; the per-snapshot tick dicts are built later (sim/market/ticks.py) only for
the codes whose quote changed in that snapshot.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from sim import rules
from sim.market import events as ev
from sim.market.universe import SW_L1, Universe

AUCTION_END = rules.seconds_of_day(9, 25)
CONT_START = rules.seconds_of_day(9, 30)
CLOSE_CALL = rules.seconds_of_day(14, 57)
DAY_END = rules.seconds_of_day(15, 0)

# states (int8)
NORMAL, SEALED_UP, SEALED_DOWN, HALTED = 0, 1, -1, 2
SEAL_HYSTERESIS = 0.004
_AR_KERNEL = 0.97 ** np.arange(150)
VOL_CAP = 65_535   # lots per 3-s interval (uint16 storage)   # a sealed board opens only when the latent price falls this far (log) below the limit


def parse_hms(s: str) -> int:
    """'HH:MM:SS' -> seconds since midnight."""
    h, m, sec = (int(x) for x in s.split(":"))
    return rules.seconds_of_day(h, m, sec)


def timeline(interval_s: int = 3, start: str = "09:15:00", end: str = "15:00:00") -> np.ndarray:
    """Snapshot times (seconds since midnight): 09:15-09:30, 09:30-11:30 and 13:00-15:00, both ends included."""
    segs = [np.arange(parse_hms("09:15:00"), CONT_START, interval_s),
            np.arange(CONT_START, parse_hms("11:30:00") + 1, interval_s),
            np.arange(parse_hms("13:00:00"), DAY_END + 1, interval_s)]
    t = np.concatenate(segs).astype(np.int32)
    return t[(t >= parse_hms(start)) & (t <= parse_hms(end))]


@dataclass(slots=True)
class DayData:
    """All per-snapshot arrays of a generated day."""
    sod: np.ndarray          # int32 [T] seconds since midnight
    lat: np.ndarray          # float32 [T, N] latent log price (display price = clipped, rounded exp)
    vol: np.ndarray          # uint16 [T, N] lots traded in the interval ending at the snapshot (capped 65,535)
    state: np.ndarray        # int8 [T, N] NORMAL / SEALED_UP / SEALED_DOWN / HALTED
    active: np.ndarray       # bool [T, N] the code's quote changed (it is pushed in this snapshot)
    etf_cols: np.ndarray     # int64 [E] universe columns of ETFs
    iopv: np.ndarray         # float32 [T, E] indicative NAV per share
    close_call: np.ndarray   # bool [N] code has a closing call auction
    seal_base: np.ndarray    # float64 [N] seal volume scale (lots)


def _hysteresis(lat: np.ndarray, lim: np.ndarray, up: bool) -> np.ndarray:
    """Sealed mask: set when the latent crosses the limit, cleared only after SEAL_HYSTERESIS the other way."""
    if up:
        on, off = lat >= lim, lat < lim - SEAL_HYSTERESIS
    else:
        on, off = lat <= lim, lat > lim + SEAL_HYSTERESIS
    evt = np.where(on, 1, np.where(off, 0, -1)).astype(np.int8)
    rows = np.arange(lat.shape[0])[:, None]
    idx = np.where(evt >= 0, rows, 0)
    np.maximum.accumulate(idx, axis=0, out=idx)
    cols = np.arange(lat.shape[1])[None, :]
    got = evt[idx, cols]
    return got == 1


def _resolve(specs, u: Universe, rng, n_random: int | None, sod: np.ndarray) -> list[tuple[int, ev.PlantSpec]]:
    """Turn PlantSpecs (+ random limit-up plantings) into (column, spec) pairs on distinct stocks."""
    index = u.index()
    taken: set[int] = set()
    out = []
    stocks = [i for i in range(u.n) if not u.is_etf[i] and u.up_stop[i] > 0]
    for s in specs:
        if s.code is not None:
            if s.code not in index:
                raise ValueError(f"PlantSpec code {s.code!r} is not in the simulated universe")
            i = index[s.code]
            if s.kind != ev.SUSPENDED and u.up_stop[i] <= 0:
                raise ValueError(f"PlantSpec code {s.code!r} has no price limit today (new listing); pick another")
        else:
            pool = [i for i in stocks if i not in taken and (s.board is None or u.boards[i] == s.board)]
            if not pool:
                raise ValueError(f"no free stock on board {s.board!r} to plant {s.kind!r}; enlarge the universe")
            i = int(rng.choice(pool))
        taken.add(i)
        out.append((i, s))
    if n_random is None:
        n_random = max(0, round(len(stocks) * 0.02)) if len(stocks) >= 50 else 0
        n_down = round(len(stocks) * 0.004)
        n_susp = round(len(stocks) * 0.003)
    else:
        n_down = n_susp = 0
    kinds = [ev.LIMIT_UP_OPEN] * 1 + [ev.LIMIT_UP_SEALED] * 5 + [ev.LIMIT_UP_BROKEN] * 3 + [ev.LIMIT_UP_RESEALED] * 2
    cont = sod[sod >= CONT_START]
    for k, kind in [(n_random, None), (n_down, ev.LIMIT_DOWN), (n_susp, ev.SUSPENDED)]:
        for _ in range(k):
            pool = [i for i in stocks if i not in taken]
            if not pool or cont.size == 0:
                break
            i = int(rng.choice(pool))
            taken.add(i)
            kd = kind or kinds[int(rng.integers(0, len(kinds)))]
            t = int(rng.choice(cont[: max(1, int(cont.size * 0.85))]))
            hms = f"{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}"
            out.append((i, ev.PlantSpec(kind=kd, time=hms, open_after_s=int(rng.integers(120, 2400)),
                                        reseal_after_s=int(rng.integers(120, 1800)))))
    return out


def _row_at(sod: np.ndarray, t: int) -> int:
    return int(min(np.searchsorted(sod, t), len(sod) - 1))


def generate_day(u: Universe, seed: int, sod: np.ndarray, specs=(), n_random: int | None = None):
    """Generate the day's arrays and the list of PlantedEvent (planted + natural limit events)."""
    rng = np.random.default_rng([seed, 22])
    T, N = len(sod), u.n
    lat = np.empty((T, N), dtype=np.float32)
    log_pre = np.log(u.pre_close)
    n_ind = len(SW_L1)
    ind_idx = np.array([SW_L1.index(x) if x else n_ind for x in u.industry], dtype=np.int64)
    cont = sod >= CONT_START
    M = max(int(cont.sum()), 1)
    sig_step = (u.daily_vol / np.sqrt(M)).astype(np.float32)
    mk_sig, ind_sig = 0.010 / np.sqrt(M), 0.007 / np.sqrt(M)
    beta = u.beta.astype(np.float32)
    has_ind = (ind_idx < n_ind).astype(np.float32)
    idio_sig = np.sqrt(np.maximum(sig_step ** 2 - (beta * mk_sig) ** 2 - has_ind * ind_sig ** 2,
                                  (0.3 * sig_step) ** 2)).astype(np.float32)
    # opening gap (factor structure too)
    g_m = rng.normal(0, 0.006)
    g_i = np.append(rng.normal(0, 0.004, n_ind), 0.0)
    gap = beta * g_m + g_i[ind_idx] + rng.normal(0, 1, N) * u.daily_vol * 0.3
    pre_rows = np.flatnonzero(~cont)
    frac = np.clip((sod[pre_rows] - parse_hms("09:15:00")) / (AUCTION_END - parse_hms("09:15:00")), 0, 1)
    for k, r in enumerate(pre_rows):
        noise = rng.normal(0, 1, N) * u.daily_vol * 0.25 * (1 - frac[k])
        lat[r] = (log_pre + gap * frac[k] + noise).astype(np.float32)
    carry = (log_pre + gap).astype(np.float32)
    mk = (rng.standard_normal(M) * mk_sig).astype(np.float32)
    indf = np.concatenate([(rng.standard_normal((M, n_ind)) * ind_sig).astype(np.float32),
                           np.zeros((M, 1), np.float32)], axis=1)
    cont_rows = np.flatnonzero(cont)
    B = 512
    for a in range(0, M, B):
        rows = cont_rows[a:a + B]
        z = rng.standard_normal((len(rows), N), dtype=np.float32)
        z *= idio_sig
        z += mk[a:a + len(rows), None] * beta
        z += indf[a:a + len(rows)][:, ind_idx]
        np.cumsum(z, axis=0, out=z)
        z += carry
        carry = z[-1].copy()
        lat[rows] = z
    _bridge(u, lat, cont_rows, np.arange(N))
    planted = _apply_events(u, rng, sod, lat, specs, n_random)
    navs = _apply_etfs(u, rng, lat, skip={i for i, _ in planted})
    return _finish(u, rng, sod, lat, planted, navs)


def _bridge(u: Universe, lat: np.ndarray, cont_rows: np.ndarray, cols: np.ndarray) -> None:
    """Bend the continuous path of `cols` linearly so it ends at the series close (the next day's pre-close)."""
    if u.target_close is None or cont_rows.size == 0 or cols.size == 0:
        return
    M = cont_rows.size
    corr = np.log(u.target_close[cols]) - lat[cont_rows[-1]][cols].astype(np.float64)
    for a in range(0, M, 512):
        rows = cont_rows[a:a + 512]
        k = (np.arange(a, a + len(rows)) + 1.0) / M
        if cols.size == lat.shape[1]:
            lat[rows] += (k[:, None] * corr[None, :]).astype(np.float32)
        else:
            lat[np.ix_(rows, cols)] += (k[:, None] * corr[None, :]).astype(np.float32)


def _apply_events(u, rng, sod, lat, specs, n_random):
    """Bend latent paths so each planted event happens at its time; returns (column, spec, suspended) list."""
    res = []
    first_cont = int(np.searchsorted(sod, CONT_START))
    for i, s in _resolve(specs, u, rng, n_random, sod):
        if s.kind == ev.SUSPENDED:
            lat[:, i] = np.float32(np.log(u.pre_close[i]))
            res.append((i, s))
            continue
        up = s.kind != ev.LIMIT_DOWN
        lim = np.log(u.up_stop[i] if up else u.down_stop[i])
        sign = 1.0 if up else -1.0
        col = lat[:, i].astype(np.float64)
        if s.kind == ev.LIMIT_UP_OPEN:
            m0 = 0
            col[:] = np.maximum(col - col[first_cont] + lim + 0.03, lim + 0.01)
        else:
            m0 = max(_row_at(sod, parse_hms(s.time)), first_cont + 1)
            ramp = int(rng.integers(40, 400))
            start = max(first_cont, m0 - ramp)
            shift = sign * 0.008 + lim - col[m0]
            w = np.clip((np.arange(len(col)) - start) / max(m0 - start, 1), 0, 1)
            col += shift * w
            seal_sign = sign
            col[m0:] = (np.maximum(col[m0:], lim + 0.004) if seal_sign > 0 else np.minimum(col[m0:], lim - 0.004))
            if s.kind in (ev.LIMIT_UP_BROKEN, ev.LIMIT_UP_RESEALED):
                m1 = min(_row_at(sod, sod[m0] + s.open_after_s), len(col) - 1)
                m1 = max(m1, m0 + 1)
                col[m1:] = np.minimum(col[m1:] - (col[m1] - lim) - 0.012, lim - SEAL_HYSTERESIS - 0.002)
                if s.kind == ev.LIMIT_UP_RESEALED:
                    m2 = min(max(_row_at(sod, sod[m1] + s.reseal_after_s), m1 + 1), len(col) - 1)
                    col[m2:] = np.maximum(col[m2:] - col[m2] + lim + 0.006, lim + 0.003)
        lat[:, i] = col.astype(np.float32)
        res.append((i, s))
    return res


def _apply_etfs(u: Universe, rng, lat: np.ndarray, skip=frozenset()) -> dict[int, np.ndarray]:
    """Equity ETFs follow their PCF basket (IOPV) with a small AR(1) premium; returns the IOPV paths.

    An ETF with a planted event of its own keeps the event's path (its IOPV is still the basket's)."""
    T = lat.shape[0]
    navs = {}
    for i, (cons, qty, cash, unit) in u.baskets.items():
        nav = (np.exp(lat[:, cons]) @ qty.astype(np.float32)).astype(np.float64)
        nav = (nav + cash) / unit
        navs[i] = nav
        if i in skip:
            continue
        e = rng.normal(0, 0.0002, T + 150)
        prem = np.convolve(e, _AR_KERNEL)[150:T + 150]   # AR(1)-like premium, phi = 0.97
        prem[-100:] *= np.linspace(1.0, 0.0, min(100, T))   # closes at NAV: the next day's pre-close
        lat[:, i] = (np.log(nav) + prem).astype(np.float32)
    return navs


def _finish(u: Universe, rng, sod, lat, planted_specs, navs):
    T, N = lat.shape
    cont = sod >= CONT_START
    M = max(int(cont.sum()), 1)
    state = np.zeros((T, N), dtype=np.int8)
    has_lim = u.up_stop > 0
    lu = np.where(has_lim, np.log(np.where(has_lim, u.up_stop, 1.0)), np.inf).astype(np.float32)
    ld = np.where(has_lim, np.log(np.where(has_lim, u.down_stop, 1.0)), -np.inf).astype(np.float32)
    colmax, colmin = lat.max(axis=0), lat.min(axis=0)
    J = np.flatnonzero(has_lim & (colmax >= lu))
    if J.size:
        state[:, J] = np.where(_hysteresis(lat[:, J], lu[J], True), SEALED_UP, 0)
    J = np.flatnonzero(has_lim & (colmin <= ld))
    if J.size:
        sub = _hysteresis(lat[:, J], ld[J], False)
        state[:, J] = np.where(sub, SEALED_DOWN, state[:, J])
    susp = [i for i, s in planted_specs if s.kind == ev.SUSPENDED]
    state[:, susp] = HALTED
    # activity and traded lots
    close_call = np.array([rules.has_closing_auction(c, u.trade_date) for c in u.codes], dtype=bool)
    vol = np.zeros((T, N), dtype=np.uint16)
    active = np.zeros((T, N), dtype=bool)
    base = u.turnover * u.float_shares / 100.0 / M
    cont_rows = np.flatnonzero(cont)
    tt = (sod[cont_rows] - CONT_START).astype(np.float64)
    frac_day = np.where(tt <= 7200, tt, tt - 5400) / 14400.0
    ushape = 0.6 + 2.2 * (frac_day - 0.5) ** 2 * 4 / 2.2
    ushape /= ushape.mean()
    B = 512
    inv_sig = (3.0 * np.sqrt(M) / u.daily_vol).astype(np.float32)
    base32 = base.astype(np.float32)
    act_p = u.activity.astype(np.float32)
    ushape32 = ushape.astype(np.float32)
    prev = lat[cont_rows[0] - 1] if cont_rows.size and cont_rows[0] > 0 else lat[0]
    for a in range(0, cont_rows.size, B):
        rows = cont_rows[a:a + B]
        blk = lat[rows]
        v = np.diff(blk, axis=0, prepend=prev[None, :])
        prev = blk[-1]
        np.abs(v, out=v)
        v *= inv_sig
        v += 1.0
        v *= base32
        v *= ushape32[a:a + len(rows), None]
        v *= rng.standard_exponential((len(rows), N), dtype=np.float32)
        sealed = state[rows] != NORMAL
        v[sealed] *= 0.15
        u01 = rng.random((len(rows), N), dtype=np.float32)
        u01[sealed] *= 3.33          # sealed boards trade ~0.3x as often
        act = u01 < act_p
        np.rint(v, out=v)
        np.maximum(v, 1, out=v)
        v[~act] = 0
        v = np.minimum(v, VOL_CAP).astype(np.uint16)
        vol[rows] = v
        active[rows] = act
    pre_rows = np.flatnonzero(~cont)
    auc_rows = pre_rows[sod[pre_rows] <= AUCTION_END]
    if auc_rows.size:
        active[auc_rows] = rng.random((auc_rows.size, N)) < 0.5
        active[auc_rows[0]] = True
        if sod[auc_rows[-1]] == AUCTION_END:
            r = auc_rows[-1]
            vol[r] = np.clip(np.rint(base * M * 0.012 * rng.gamma(2.0, 0.5, N)), 1, VOL_CAP).astype(np.uint16)
            active[r] = True
    # closing call auction: frozen quotes until 15:00, then the close with the auction volume
    call_rows = np.flatnonzero((sod > CLOSE_CALL) & (sod < DAY_END))
    cc = np.flatnonzero(close_call)
    if call_rows.size and cc.size:   # indicative prices are published, nothing trades until 15:00
        vol[np.ix_(call_rows, cc)] = 0
        active[np.ix_(call_rows, cc)] = rng.random((call_rows.size, cc.size)) < 0.5
    end_rows = np.flatnonzero(sod == DAY_END)
    if end_rows.size and cc.size:
        r = end_rows[0]
        vol[r, cc] = np.clip(np.rint(base[cc] * M * 0.03 * rng.gamma(2.0, 0.5, cc.size)), 1, VOL_CAP).astype(np.uint16)
        active[r, cc] = True
    if end_rows.size:
        active[end_rows[0]] = True       # the closing snapshot carries every code
    # state changes are pushed; halted codes are pushed only once at the first snapshot
    if T > 1:
        active[1:] |= state[1:] != state[:-1]
    if susp:
        vol[:, susp] = 0
        active[:, susp] = False
        active[0, susp] = True
    etf_cols = np.flatnonzero(u.is_etf)
    iopv = np.zeros((T, etf_cols.size), dtype=np.float32)
    pos = {int(c): k for k, c in enumerate(etf_cols)}
    for i in u.baskets:
        iopv[:, pos[i]] = navs[i]
    seal_base = np.maximum(u.float_shares * 0.004 / 100.0, 50.0)
    day = DayData(sod=sod, lat=lat, vol=vol, state=state, active=active, etf_cols=etf_cols, iopv=iopv,
                  close_call=close_call, seal_base=seal_base)
    return day, planted_specs


def planted_events(u: Universe, day: DayData, trade_date: dt.date, specs, epoch_ms) -> list[ev.PlantedEvent]:
    """Ground-truth event list: each planted spec with its observed times, plus natural limit episodes."""
    out = []
    seen = set()
    for i, s in specs:
        seen.add(i)
        out.append(_observe(u, day, i, s.kind, epoch_ms, True))
    up_cols = np.flatnonzero((day.state == SEALED_UP).any(axis=0))
    dn_cols = np.flatnonzero((day.state == SEALED_DOWN).any(axis=0))
    for i in up_cols:
        if int(i) not in seen:
            st = day.state[:, i] == SEALED_UP
            breaks = np.flatnonzero(~st[1:] & st[:-1])
            if st[0]:
                kind = ev.LIMIT_UP_OPEN if st.all() else ev.LIMIT_UP_BROKEN
            elif breaks.size == 0:
                kind = ev.LIMIT_UP_SEALED
            else:
                kind = ev.LIMIT_UP_RESEALED if st[-1] else ev.LIMIT_UP_BROKEN
            out.append(_observe(u, day, int(i), kind, epoch_ms, False))
    for i in dn_cols:
        if int(i) not in seen:
            out.append(_observe(u, day, int(i), ev.LIMIT_DOWN, epoch_ms, False))
    out.sort(key=lambda e: (e.time_ms, e.code))
    return out


def _observe(u, day, i, kind, epoch_ms, planted):
    sod = day.sod
    if kind == ev.SUSPENDED:
        return ev.PlantedEvent(u.codes[i], kind, epoch_ms(int(sod[0])), planted=planted)
    target = SEALED_DOWN if kind == ev.LIMIT_DOWN else SEALED_UP
    st = day.state[:, i] == target
    rows = np.flatnonzero(st)
    t0 = int(sod[rows[0]]) if rows.size else int(sod[0])
    open_ms = reseal_ms = None
    if rows.size:
        after = np.flatnonzero(~st[rows[0]:])
        if after.size:
            r1 = rows[0] + int(after[0])
            open_ms = epoch_ms(int(sod[r1]))
            again = np.flatnonzero(st[r1:])
            if again.size:
                reseal_ms = epoch_ms(int(sod[r1 + int(again[0])]))
    return ev.PlantedEvent(u.codes[i], kind, epoch_ms(t0), open_ms, reseal_ms, planted)
