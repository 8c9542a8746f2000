"""Reference data in xtquant's shapes: instrument details, sectors, ETF PCF (get_etf_info)."""
from __future__ import annotations

from sim import rules
from sim.market.universe import SW_L1, Universe

SECTOR_BOARDS = {
    "沪深A股": (rules.SH_MAIN, rules.SZ_MAIN, rules.CHINEXT, rules.STAR),
    "上证A股": (rules.SH_MAIN, rules.STAR),
    "深证A股": (rules.SZ_MAIN, rules.CHINEXT),
    "创业板": (rules.CHINEXT,),
    "科创板": (rules.STAR,),
    "北证A股": (rules.BSE,),
    "京市A股": (rules.BSE,),
    "沪深京A股": (rules.SH_MAIN, rules.SZ_MAIN, rules.CHINEXT, rules.STAR, rules.BSE),
    "沪深ETF": (rules.ETF_SH, rules.ETF_SZ),
    "上证ETF": (rules.ETF_SH,),
    "深证ETF": (rules.ETF_SZ,),
}
INDUSTRY_PREFIX = "SW1"   # sector names of SW level-1 industries, e.g. 'SW1银行'


def instrument_detail(u: Universe, i: int, suspended: bool = False) -> dict:
    """What xtdata.get_instrument_detail(code) returns for column i (real keys)."""
    code = u.codes[i]
    num, mkt = rules.split_code(code)
    b = u.boards[i]
    star = b == rules.STAR
    tick = float(rules.tick_size(code))
    return {
        "ExchangeID": mkt, "InstrumentID": num, "InstrumentName": u.names[i], "ProductID": "", "ProductName": "",
        "ProductType": -1, "ExchangeCode": num, "UniCode": num, "CreateDate": "0", "OpenDate": u.open_date[i],
        "ExpireDate": 99999999, "PreClose": float(u.pre_close[i]), "SettlementPrice": float(u.pre_close[i]),
        "UpStopPrice": float(u.up_stop[i]), "DownStopPrice": float(u.down_stop[i]),
        "FloatVolume": float(u.float_shares[i]), "TotalVolume": float(u.total_shares[i]),
        "LongMarginRatio": 0.0, "ShortMarginRatio": 0.0, "PriceTick": tick, "VolumeMultiple": 1,
        "MainContract": 0, "LastVolume": 0, "InstrumentStatus": 1 if suspended else 0,
        "IsTrading": not suspended, "IsRecent": False,
        "MaxMarketOrderVolume": rules.STAR_MAX_MARKET if star else 1_000_000,
        "MinMarketOrderVolume": 200 if star else 100,
        "MaxLimitOrderVolume": rules.STAR_MAX_LIMIT if star else 1_000_000,
        "MinLimitOrderVolume": 200 if star else 100,
        "DayCountFromIPO": u.listed_day[i] if u.listed_day[i] is not None else 1000,
    }


def sectors(u: Universe) -> dict[str, list[str]]:
    """Sector name -> codes: the board sectors above plus 'SW1<industry>' per SW L1 industry."""
    out = {name: [c for c, b in zip(u.codes, u.boards) if b in boards] for name, boards in SECTOR_BOARDS.items()}
    for ind in SW_L1:
        out[INDUSTRY_PREFIX + ind] = [c for c, x in zip(u.codes, u.industry) if x == ind]
    return out


def etf_info(u: Universe, suspended: set[int] = frozenset()) -> dict[str, dict]:
    """get_etf_info()'s structure: {'510300.SH': {'market', '基金代码', ..., '成份股信息': [...]}}."""
    out = {}
    mkt_of = {"SH": "SH", "SZ": "SZ", "BJ": "BJ"}
    for i in range(u.n):
        if not u.is_etf[i]:
            continue
        code = u.codes[i]
        num, mkt = rules.split_code(code)
        basket = u.baskets.get(i)
        comps = []
        cash = 0.0
        unit = 1_000_000
        if basket is not None:
            cons, qty, cash, unit = basket
            for k, q in zip(cons.tolist(), qty.tolist()):
                cmkt = rules.split_code(u.codes[k])[1]
                must_cash = k in suspended
                if must_cash:
                    flag = 2
                elif mkt == "SH" and cmkt != "SH":
                    flag = 3
                else:
                    flag = 1
                value = round(q * float(u.pre_close[k]), 2)
                comps.append({
                    "成份股代码": u.codes[k], "成份股名称": u.names[k], "成份股数量": int(q), "现金替代标志": flag,
                    "申购现金替代溢价比率": 0.1 if flag in (1, 3) else 0.0,
                    "申购替代金额": value if flag in (2, 3) else 0.0,
                    "赎回现金替代折价比率": 0.1 if flag in (1, 3) else 0.0,
                    "赎回替代金额": value if flag in (2, 3) else 0.0,
                    "成份股所属市场": mkt_of[cmkt], "映射代码": "", "是否实物对价申赎": 0,
                })
        nav = float(u.pre_close[i])
        out[code] = {
            "market": mkt, "基金代码": num, "基金名称": u.names[i], "现金差额": round(cash, 2),
            "最小申购、赎回单位净值": round(nav * unit, 2), "基金份额净值": nav, "预估现金差额": round(cash, 2),
            "现金替代比例上限": 0.5, "是否需要公布IOPV": 1, "最小申购、赎回单位": int(unit),
            "申购的允许情况": 1, "赎回的允许情况": 1, "申购上限": 0.0, "赎回上限": 0.0, "成份股信息": comps,
        }
    return out
