"""A-share trading rules, vectorised over code arrays (Python 3.6, numpy only).

Prices are handled as integers internally: a price is an integer count of UNIT (1e-3 CNY), a limit
ratio an integer count of basis points, so limit prices follow Decimal ROUND_HALF_UP exactly.
"""
import datetime

import numpy as np

# Board codes (small ints so they can live in numpy arrays).
BOARD_OTHER = 0
BOARD_MAIN = 1
BOARD_CHINEXT = 2
BOARD_STAR = 3
BOARD_BSE = 4
BOARD_ETF = 5
BOARD_NAMES = {
    BOARD_OTHER: "other", BOARD_MAIN: "main", BOARD_CHINEXT: "chinext",
    BOARD_STAR: "star", BOARD_BSE: "bse", BOARD_ETF: "etf",
}

PRICE_SCALE = 1000          # integer price units per CNY (0.001 CNY = the finest tick)
BP = 10000                  # basis points per 1.0
ST_RULE_CHANGE = datetime.date(2026, 7, 6)   # main-board ST/*ST limit 5% -> 10% from this date

# ETFs whose index is ChiNext/STAR-only trade with a 20% limit. Prefixes and codes listed here are
# defaults; callers pass `wide_limit` explicitly when they know better (e.g. from the PCF basket).
WIDE_LIMIT_ETF_PREFIXES = ("588",)
WIDE_LIMIT_ETF_CODES = frozenset(["159915.SZ"])

_MAIN_SH = ("600", "601", "603", "605")
_MAIN_SZ = ("000", "001", "002", "003")
_CHINEXT = ("300", "301", "302")
_STAR = ("688", "689")
_BSE = ("43", "83", "87", "88", "920")
_ETF_SH = ("51", "56", "58")
_ETF_SZ = ("15", "16")


def board_of_code(code):
    """Board of one QMT code such as '600000.SH' (BOARD_* constant)."""
    num, _, mkt = code.partition(".")
    if mkt == "SH":
        if num.startswith(_MAIN_SH):
            return BOARD_MAIN
        if num.startswith(_STAR):
            return BOARD_STAR
        if num.startswith(_ETF_SH):
            return BOARD_ETF
    elif mkt == "SZ":
        if num.startswith(_MAIN_SZ):
            return BOARD_MAIN
        if num.startswith(_CHINEXT):
            return BOARD_CHINEXT
        if num.startswith(_ETF_SZ):
            return BOARD_ETF
    elif mkt == "BJ":
        if num.startswith(_BSE):
            return BOARD_BSE
    return BOARD_OTHER


def boards(codes):
    """Board of each code as an int8 array (run once per new code, not per tick)."""
    return np.fromiter((board_of_code(c) for c in codes), np.int8, len(codes))


def default_wide_limit(code):
    """True when an ETF code is in the default 20%-limit table (ChiNext/STAR index ETFs)."""
    return code in WIDE_LIMIT_ETF_CODES or code.partition(".")[0].startswith(WIDE_LIMIT_ETF_PREFIXES)


def _as_date(d):
    if d is None:
        return None
    if isinstance(d, datetime.date):
        return d
    s = str(int(d))
    return datetime.date(int(s[:4]), int(s[4:6]), int(s[6:8]))


def st_limit_bp(trade_date):
    """Main-board ST/*ST limit in basis points on a date (500 before 2026-07-06, 1000 from then)."""
    d = _as_date(trade_date)
    if d is not None and d >= ST_RULE_CHANGE:
        return 1000
    return 500


def limit_bp(board, is_st=None, wide_limit=None, no_limit=None, trade_date=None):
    """Price-limit ratio in basis points per row (0 = no limit), vectorised over board arrays."""
    board = np.asarray(board)
    bp = np.zeros(board.shape, np.int64)
    bp[board == BOARD_MAIN] = 1000
    bp[board == BOARD_CHINEXT] = 2000
    bp[board == BOARD_STAR] = 2000
    bp[board == BOARD_BSE] = 3000
    bp[board == BOARD_ETF] = 1000
    if wide_limit is not None:
        bp[(board == BOARD_ETF) & np.asarray(wide_limit, bool)] = 2000
    if is_st is not None:
        bp[(board == BOARD_MAIN) & np.asarray(is_st, bool)] = st_limit_bp(trade_date)
    if no_limit is not None:
        bp[np.asarray(no_limit, bool)] = 0
    return bp


def tick_units(board):
    """Tick size in integer price units per row: 10 (0.01) for stocks, 1 (0.001) for ETFs/funds."""
    board = np.asarray(board)
    return np.where(board == BOARD_ETF, 1, 10).astype(np.int64)


def to_units(price):
    """Float prices -> int64 price units (0.001 CNY), rounding to nearest."""
    return np.rint(np.asarray(price, np.float64) * PRICE_SCALE).astype(np.int64)


def to_price(units):
    """Int price units -> float CNY (correctly rounded, equals float(Decimal(str)))."""
    return np.asarray(units, np.int64) / float(PRICE_SCALE)


def _half_up(num, den):
    """Half-up integer division num/den for num >= 0, den > 0."""
    return (2 * num + den) // (2 * den)


def limit_units(pre_units, bp, tick):
    """Up/down limit prices in price units from pre-close units, ratio bp and tick units (int arrays)."""
    pre_units = np.asarray(pre_units, np.int64)
    bp = np.asarray(bp, np.int64)
    tick = np.asarray(tick, np.int64)
    den = BP * tick
    up = _half_up(pre_units * (BP + bp), den) * tick
    down = _half_up(pre_units * (BP - bp), den) * tick
    down = np.maximum(down, tick)
    unlimited = bp <= 0
    if np.any(unlimited):
        up = np.where(unlimited, np.iinfo(np.int64).max // 4, up)
        down = np.where(unlimited, 0, down)
    return up, down


def limit_prices(pre_close, bp, tick):
    """Up/down limit prices as floats (no limit: up=inf, down=0)."""
    up, down = limit_units(to_units(pre_close), bp, tick)
    bp = np.asarray(bp)
    upf = np.where(bp > 0, to_price(up), np.inf)
    return upf, to_price(down)


def cage_units(bench_units, board, tick):
    """Continuous-session price cage (buy_max, sell_min) in units around a benchmark price."""
    bench = np.asarray(bench_units, np.int64)
    tick = np.asarray(tick, np.int64)
    board = np.asarray(board)
    pct_up = (bench * 102) // (100 * tick) * tick           # floor to tick: a buy must be <= bound
    pct_dn = -((-bench * 98) // (100 * tick)) * tick         # ceil to tick: a sell must be >= bound
    star = board == BOARD_STAR
    buy_max = np.where(star, pct_up, np.maximum(pct_up, bench + 10 * tick))
    sell_min = np.where(star, pct_dn, np.minimum(pct_dn, bench - 10 * tick))
    return buy_max, np.maximum(sell_min, tick)


def round_lot(qty, board, side="buy"):
    """Round share quantities down to a valid order size (buy); sells may be any held amount."""
    qty = np.asarray(qty, np.int64)
    board = np.asarray(board)
    if side != "buy":
        return qty.copy()
    lots = (qty // 100) * 100
    star = board == BOARD_STAR
    bse = board == BOARD_BSE
    out = np.where(star, np.where(qty >= 200, qty, 0), lots)
    out = np.where(bse, np.where(qty >= 100, qty, 0), out)
    return np.where(star, np.minimum(out, 100000), out)
