"""A-share trading rules, scalar and exact: boards, limits, ticks, lots, price cage, sessions, T+0, fees.

Sources: ../shared/reference/ashare_rules.md (exchange rule texts as quoted there). Every price computation
uses Decimal with ROUND_HALF_UP; floats only at the edges.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# ---- boards --------------------------------------------------------------------------------------------
SH_MAIN, SZ_MAIN, CHINEXT, STAR, BSE = "SH_MAIN", "SZ_MAIN", "CHINEXT", "STAR", "BSE"
ETF_SH, ETF_SZ, INDEX, UNKNOWN = "ETF_SH", "ETF_SZ", "INDEX", "UNKNOWN"
STOCK_BOARDS = (SH_MAIN, SZ_MAIN, CHINEXT, STAR, BSE)
FUND_BOARDS = (ETF_SH, ETF_SZ)

ST_LIMIT_CHANGE = dt.date(2026, 7, 6)          # main-board ST/*ST limit 5% -> 10%
SSE_FUND_CLOSE_AUCTION = dt.date(2026, 7, 6)   # SSE funds trade continuously to 15:00 before this date
MAIN_REGISTRATION = dt.date(2023, 4, 10)       # main-board registration system: no limit first 5 days

# ETF kinds: equity ETFs settle T+1, the others T+0
ETF_EQUITY, ETF_BOND, ETF_MONEY, ETF_GOLD, ETF_CROSS_BORDER, ETF_COMMODITY = (
    "equity", "bond", "money", "gold", "cross_border", "commodity")
T0_KINDS = frozenset({ETF_BOND, ETF_MONEY, ETF_GOLD, ETF_CROSS_BORDER, ETF_COMMODITY})


def split_code(code: str) -> tuple[str, str]:
    """'600000.SH' -> ('600000', 'SH'); raises ValueError naming the code when malformed."""
    num, sep, mkt = code.partition(".")
    if not sep or not num.isdigit() or mkt not in ("SH", "SZ", "BJ"):
        raise ValueError(f"security code {code!r} is not like '600000.SH' / '000001.SZ' / '430047.BJ'")
    return num, mkt


def board(code: str) -> str:
    """Board of a code: SH_MAIN, SZ_MAIN, CHINEXT, STAR, BSE, ETF_SH, ETF_SZ, INDEX or UNKNOWN."""
    num, mkt = split_code(code)
    p3, p2 = num[:3], num[:2]
    if mkt == "SH":
        if p3 in ("600", "601", "603", "605"):
            return SH_MAIN
        if p3 in ("688", "689"):
            return STAR
        if p2 in ("51", "56", "58"):
            return ETF_SH
        if p3 == "000":
            return INDEX
        return UNKNOWN
    if mkt == "SZ":
        if p3 in ("000", "001", "002", "003"):
            return SZ_MAIN
        if p3 in ("300", "301", "302"):
            return CHINEXT
        if p2 in ("15", "16"):
            return ETF_SZ
        if p3 == "399":
            return INDEX
        return UNKNOWN
    if p3 == "920" or p2 in ("43", "83", "87", "88"):
        return BSE
    return UNKNOWN


def is_fund(code: str) -> bool:
    """True for exchange-traded funds (tick 0.001)."""
    return board(code) in FUND_BOARDS


def is_stock(code: str) -> bool:
    """True for A-share stocks on any board."""
    return board(code) in STOCK_BOARDS


def tick_size(code: str) -> Decimal:
    """Minimum price step: 0.001 for funds, 0.01 for stocks."""
    return Decimal("0.001") if is_fund(code) else Decimal("0.01")


def tick_decimals(code: str) -> int:
    """Number of decimals of the price tick (3 funds, 2 stocks)."""
    return 3 if is_fund(code) else 2


# ---- price limits ----------------------------------------------------------------------------------------
def limit_ratio(code: str, trade_date: dt.date, is_st: bool = False, listed_day: int | None = None,
                etf_limit_20: bool = False) -> Decimal | None:
    """Daily limit as a fraction, or None when the security has no limit that day.

    listed_day: 1 on the listing day, 2 the next trading day, ...; None = long listed.
    etf_limit_20: the ETF tracks a ChiNext/STAR-only index (20% limit).
    """
    b = board(code)
    if b in FUND_BOARDS:
        return Decimal("0.20") if etf_limit_20 else Decimal("0.10")
    if b == BSE:
        if listed_day == 1:
            return None
        return Decimal("0.30")
    if b in (CHINEXT, STAR):
        if listed_day is not None and listed_day <= 5:
            return None
        return Decimal("0.20")
    if b in (SH_MAIN, SZ_MAIN):
        if listed_day is not None:
            if trade_date >= MAIN_REGISTRATION and listed_day <= 5:
                return None
            if trade_date < MAIN_REGISTRATION and listed_day == 1:
                return None
        if is_st:
            return Decimal("0.10") if trade_date >= ST_LIMIT_CHANGE else Decimal("0.05")
        return Decimal("0.10")
    raise ValueError(f"no price-limit rule for {code!r} (board {b})")


def round_price(value, code: str) -> Decimal:
    """Round a price half-up to the code's tick."""
    return Decimal(str(value)).quantize(tick_size(code), rounding=ROUND_HALF_UP)


def limit_prices_dec(pre_close, ratio, code: str) -> tuple[Decimal, Decimal]:
    """(up, down) limit prices as Decimal: pre_close x (1 +/- ratio), half-up to the tick; down >= one tick."""
    pc = Decimal(str(pre_close))
    r = Decimal(str(ratio))
    q = tick_size(code)
    up = (pc * (1 + r)).quantize(q, rounding=ROUND_HALF_UP)
    down = (pc * (1 - r)).quantize(q, rounding=ROUND_HALF_UP)
    return up, max(down, q)


def limit_prices(pre_close: float, ratio, code: str) -> tuple[float, float]:
    """(up, down) limit prices as floats; (0.0, 0.0) when ratio is None (no limit)."""
    if ratio is None:
        return 0.0, 0.0
    up, down = limit_prices_dec(pre_close, ratio, code)
    return float(up), float(down)


# ---- lots ------------------------------------------------------------------------------------------------
STAR_MAX_LIMIT, STAR_MAX_MARKET = 100_000, 50_000


def check_buy_volume(code: str, volume: int, market_order: bool = False) -> str | None:
    """None if the buy volume is valid, else the counter's reason text."""
    if volume <= 0:
        return f"委托数量{volume}必须大于0"
    b = board(code)
    if b == STAR:
        if volume < 200:
            return f"科创板买入数量{volume}不足200股"
        cap = STAR_MAX_MARKET if market_order else STAR_MAX_LIMIT
        if volume > cap:
            return f"科创板{'市价' if market_order else '限价'}委托数量{volume}超过上限{cap}股"
        return None
    if b == BSE:
        return None if volume >= 100 else f"北交所买入数量{volume}不足100股"
    if volume % 100:
        return f"买入数量{volume}不是100股的整数倍"
    return None


def check_sell_volume(code: str, volume: int, sellable: int, market_order: bool = False) -> str | None:
    """None if a sell of `volume` is valid given `sellable` shares, else the counter's reason text."""
    if volume <= 0:
        return f"委托数量{volume}必须大于0"
    if volume > sellable:
        return f"可卖数量不足: 委托{volume}股, 可卖{sellable}股"
    b = board(code)
    if b == STAR:
        cap = STAR_MAX_MARKET if market_order else STAR_MAX_LIMIT
        if volume > cap:
            return f"科创板委托数量{volume}超过上限{cap}股"
        if volume < 200 and volume != sellable:
            return f"科创板卖出数量{volume}不足200股(余额不足200股时须一次性卖出)"
        return None
    if b == BSE:
        if volume < 100 and volume != sellable:
            return f"北交所卖出数量{volume}不足100股(余额不足100股时须一次性卖出)"
        return None
    if volume % 100 and volume % 100 != sellable % 100:
        return f"卖出数量{volume}: 零股({sellable % 100}股)须一次性卖出, 其余须为100股整数倍"
    return None


# ---- price cage (continuous session, limit orders) -------------------------------------------------------
def cage_ok(code: str, side_buy: bool, price, benchmark) -> bool:
    """True if a limit order price is inside the price cage around the benchmark (no cage for funds)."""
    b = board(code)
    if b not in STOCK_BOARDS or not benchmark:
        return True
    p, bm, q = Decimal(str(price)), Decimal(str(benchmark)), tick_size(code)
    pct = Decimal("0.05") if b == BSE else Decimal("0.02")
    if side_buy:
        hi = bm * (1 + pct)
        if b != STAR:
            hi = max(hi, bm + 10 * q)
        return p <= hi
    lo = bm * (1 - pct)
    if b != STAR:
        lo = min(lo, bm - 10 * q)
    return p >= lo


def cage_benchmark(side_buy: bool, bid1: float, ask1: float, last: float, pre_close: float) -> float:
    """Benchmark price of the cage: buy = best ask, else best bid, else last, else pre-close (sell mirrored)."""
    order = (ask1, bid1, last, pre_close) if side_buy else (bid1, ask1, last, pre_close)
    for v in order:
        if v and v > 0:
            return v
    return 0.0


# ---- sessions --------------------------------------------------------------------------------------------
PRE_OPEN = "pre_open"              # before 09:15: the counter holds orders (unreported)
CALL_OPEN = "call_open"            # 09:15-09:20 opening auction, cancels allowed
CALL_OPEN_LOCKED = "call_open_locked"  # 09:20-09:25 opening auction, no cancels
PRE_CONTINUOUS = "pre_continuous"  # 09:25-09:30 accepted, not matched
CONTINUOUS = "continuous"          # 09:30-11:30, 13:00-14:57
LUNCH = "lunch"                    # 11:30-13:00 accepted, matched from 13:00
CALL_CLOSE = "call_close"          # 14:57-15:00 closing auction, no cancels
CLOSED = "closed"                  # from 15:00

MATCHING_PHASES = frozenset({CONTINUOUS})
CANCEL_PHASES = frozenset({PRE_OPEN, CALL_OPEN, PRE_CONTINUOUS, CONTINUOUS, LUNCH})


def seconds_of_day(h: int, m: int, s: int = 0) -> int:
    """Seconds since midnight."""
    return h * 3600 + m * 60 + s


def phase(code: str, sod: int, trade_date: dt.date) -> str:
    """Trading phase of a code at `sod` seconds since midnight (Asia/Shanghai)."""
    if sod < seconds_of_day(9, 15):
        return PRE_OPEN
    if sod < seconds_of_day(9, 20):
        return CALL_OPEN
    if sod < seconds_of_day(9, 25):
        return CALL_OPEN_LOCKED
    if sod < seconds_of_day(9, 30):
        return PRE_CONTINUOUS
    if sod < seconds_of_day(11, 30):
        return CONTINUOUS
    if sod < seconds_of_day(13, 0):
        return LUNCH
    if sod < seconds_of_day(14, 57):
        return CONTINUOUS
    if sod < seconds_of_day(15, 0):
        if board(code) == ETF_SH and trade_date < SSE_FUND_CLOSE_AUCTION:
            return CONTINUOUS
        return CALL_CLOSE
    return CLOSED


def has_closing_auction(code: str, trade_date: dt.date) -> bool:
    """True if the code's last three minutes are a closing call auction."""
    return phase(code, seconds_of_day(14, 58), trade_date) == CALL_CLOSE


def is_t0(code: str, etf_kind: str | None = None) -> bool:
    """True if shares bought today may be sold today (bond, money, gold, cross-border, commodity ETFs)."""
    return is_fund(code) and etf_kind in T0_KINDS


_KIND_WORDS = ((ETF_MONEY, ("货币", "日利", "添益", "保证金")), (ETF_BOND, ("债", "利率")),
               (ETF_GOLD, ("黄金", "金ETF")),
               (ETF_CROSS_BORDER, ("纳指", "纳斯达克", "标普", "恒生", "港股", "日经", "德国", "法国", "中概", "海外",
                                   "香港", "美国", "亚太", "沙特", "H股")),
               (ETF_COMMODITY, ("豆粕", "期货", "能源化工", "有色金属期")))


def guess_etf_kind(code: str, name: str = "") -> str | None:
    """ETF kind from the code prefix and the fund name (for recorded data without kinds); None for non-funds."""
    if not is_fund(code):
        return None
    for kind, words in _KIND_WORDS:
        if any(w in name for w in words):
            return kind
    num = split_code(code)[0]
    return {"511": ETF_BOND, "518": ETF_GOLD, "513": ETF_CROSS_BORDER}.get(num[:3], ETF_EQUITY)


# ---- fees ------------------------------------------------------------------------------------------------
STAMP_CUT = dt.date(2023, 8, 28)     # stamp duty 0.1% -> 0.05%
TRANSFER_CUT = dt.date(2022, 4, 29)  # transfer fee 0.002% -> 0.001%
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """Broker commission settings; exchange levies are date-effective in stamp_rate / transfer_rate."""
    commission_rate: Decimal = Decimal("0.00025")
    commission_min: Decimal = Decimal(5)
    fund_commission_rate: Decimal = Decimal("0.00025")
    fund_commission_min: Decimal = Decimal(0)


def stamp_rate(trade_date: dt.date) -> Decimal:
    """Stamp duty on stock sells for the date."""
    return Decimal("0.0005") if trade_date >= STAMP_CUT else Decimal("0.001")


def transfer_rate(trade_date: dt.date) -> Decimal:
    """Transfer fee on stock trades (both sides) for the date."""
    return Decimal("0.00001") if trade_date >= TRANSFER_CUT else Decimal("0.00002")


def cents(x: Decimal) -> Decimal:
    """Round money half-up to the cent."""
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def commission(code: str, amount: Decimal, fees: FeeSchedule = FeeSchedule()) -> Decimal:
    """Broker commission for an order's total traded amount, with the minimum applied."""
    if amount <= 0:
        return Decimal(0)
    if is_fund(code):
        return max(cents(amount * fees.fund_commission_rate), fees.fund_commission_min)
    return max(cents(amount * fees.commission_rate), fees.commission_min)


def levies(code: str, amount: Decimal, side_buy: bool, trade_date: dt.date) -> Decimal:
    """Stamp duty (stock sells) + transfer fee (stocks) for a fill's amount."""
    if not is_stock(code) or amount <= 0:
        return Decimal(0)
    total = cents(amount * transfer_rate(trade_date))
    if not side_buy:
        total += cents(amount * stamp_rate(trade_date))
    return total
