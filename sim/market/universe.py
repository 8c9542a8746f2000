"""Seeded universe: stocks across boards and ETFs with names, industries, ST flags, shares, PCF baskets."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from sim import calendar, rules
from sim.market import series

SW_L1 = ("农林牧渔", "基础化工", "钢铁", "有色金属", "电子", "家用电器", "食品饮料", "纺织服饰", "轻工制造",
         "医药生物", "公用事业", "交通运输", "房地产", "商贸零售", "社会服务", "综合", "建筑材料", "建筑装饰",
         "电力设备", "国防军工", "计算机", "传媒", "通信", "银行", "非银金融", "汽车", "机械设备", "煤炭",
         "石油石化", "环保", "美容护理")
_SUFFIX = {"农林牧渔": "农业", "基础化工": "化工", "钢铁": "钢铁", "有色金属": "矿业", "电子": "电子",
           "家用电器": "电器", "食品饮料": "食品", "纺织服饰": "服饰", "轻工制造": "家居", "医药生物": "药业",
           "公用事业": "能源", "交通运输": "物流", "房地产": "地产", "商贸零售": "商业", "社会服务": "教育",
           "综合": "控股", "建筑材料": "建材", "建筑装饰": "建设", "电力设备": "电气", "国防军工": "航天",
           "计算机": "软件", "传媒": "传媒", "通信": "通信", "银行": "银行", "非银金融": "证券", "汽车": "汽车",
           "机械设备": "重工", "煤炭": "煤业", "石油石化": "石化", "环保": "环境", "美容护理": "美妆"}
_HEADS = ("华", "中", "东方", "金", "海", "天", "新", "国", "长江", "恒", "远", "鼎", "宏", "瑞", "盛", "安", "通",
          "永", "万", "光明", "北方", "南方", "西部", "江南", "太平洋", "星", "联", "信", "德", "嘉", "富", "泰")
_MIDS = ("达", "升", "源", "丰", "创", "立", "和", "锐", "昌", "科", "明", "诚", "阳", "康", "运", "润", "博", "辰")

# (code, name, industry, pre_close) of well-known codes included when the board gets enough slots
FAMOUS = {
    rules.SH_MAIN: [("600000", "浦发银行", "银行", 10.20), ("600519", "贵州茅台", "食品饮料", 1500.00),
                    ("601318", "中国平安", "非银金融", 52.30)],
    rules.SZ_MAIN: [("000001", "平安银行", "银行", 11.50), ("000858", "五粮液", "食品饮料", 128.00),
                    ("002594", "比亚迪", "汽车", 260.00)],
    rules.CHINEXT: [("300750", "宁德时代", "电力设备", 250.00), ("300059", "东方财富", "非银金融", 22.00)],
    rules.STAR: [("688981", "中芯国际", "电子", 88.00), ("688111", "金山办公", "计算机", 280.00)],
    rules.BSE: [("430047", "诺思兰德", "医药生物", 12.00), ("920002", "万达轴承", "机械设备", 30.00)],
}
BOARD_SHARE = {rules.SH_MAIN: 0.32, rules.SZ_MAIN: 0.29, rules.CHINEXT: 0.26, rules.STAR: 0.11, rules.BSE: 0.05}
_PREFIXES = {rules.SH_MAIN: ("600", "601", "603", "605"), rules.SZ_MAIN: ("000", "001", "002", "003"),
             rules.CHINEXT: ("300", "301"), rules.STAR: ("688",), rules.BSE: ("430", "830", "870", "920")}
_MKT = {rules.SH_MAIN: "SH", rules.STAR: "SH", rules.SZ_MAIN: "SZ", rules.CHINEXT: "SZ", rules.BSE: "BJ"}

# ETF families: (kind, prefix, market, share of ETFs, basket pool, 20% limit, name stem)
ETF_FAMILIES = (
    ("broad", "510", "SH", 0.10, "all", False, "沪深300ETF"),
    ("broad", "159", "SZ", 0.06, "all", False, "中证500ETF"),
    ("sector", "512", "SH", 0.20, "industry", False, "行业ETF"),
    ("sector", "159", "SZ", 0.18, "industry", False, "行业ETF"),
    ("star", "588", "SH", 0.07, rules.STAR, True, "科创50ETF"),
    ("chinext", "159", "SZ", 0.07, rules.CHINEXT, True, "创业板ETF"),
    (rules.ETF_BOND, "511", "SH", 0.08, None, False, "国债ETF"),
    (rules.ETF_MONEY, "511", "SH", 0.02, None, False, "货币ETF"),
    (rules.ETF_GOLD, "518", "SH", 0.03, None, False, "黄金ETF"),
    (rules.ETF_CROSS_BORDER, "513", "SH", 0.10, None, False, "纳指ETF"),
    (rules.ETF_COMMODITY, "159", "SZ", 0.03, None, False, "豆粕ETF"),
    ("sector", "560", "SH", 0.06, "industry", False, "主题ETF"),
)
FAMOUS_ETFS = {"510300": ("沪深300ETF", 0), "510050": ("上证50ETF", 0), "159915": ("创业板ETF", 5),
               "588000": ("科创50ETF", 4), "159919": ("沪深300ETF", 1), "511880": ("银华日利", 7),
               "518880": ("黄金ETF", 8), "513100": ("纳指ETF", 9)}


@dataclass(slots=True)
class Universe:
    """Static description of every security of a simulated day (index i is the column in all arrays)."""
    trade_date: dt.date
    codes: list[str]
    names: list[str]
    boards: list[str]
    industry: list[str]              # SW L1 name ('' for ETFs)
    is_etf: np.ndarray               # bool
    is_st: np.ndarray                # bool
    etf_kind: list[str | None]
    etf_limit_20: np.ndarray         # bool
    listed_day: list[int | None]     # 1 = listing day ... None = long listed
    open_date: list[str]             # 'YYYYMMDD'
    pre_close: np.ndarray            # float64, exact to the tick
    up_stop: np.ndarray              # float64 (0 = no limit)
    down_stop: np.ndarray
    tick_div: np.ndarray             # 100 for stocks, 1000 for funds (price = ticks / tick_div)
    float_shares: np.ndarray         # int64
    total_shares: np.ndarray
    turnover: np.ndarray             # expected daily turnover as a fraction of float shares
    activity: np.ndarray             # probability a 3-second snapshot has trades
    daily_vol: np.ndarray            # daily return volatility
    beta: np.ndarray
    baskets: dict[int, tuple[np.ndarray, np.ndarray, float, int]] = field(default_factory=dict)
    # etf index -> (constituent indices, quantities (shares), cash component, creation unit)
    ref_price: np.ndarray | None = None      # reference (long-run) price of each code
    target_close: np.ndarray | None = None   # today's close in the shared daily series (next day's pre-close)
    hist_dates: list = field(default_factory=list)    # sessions before trade_date (oldest first)
    hist_close: np.ndarray | None = None     # [len(hist_dates), N] closes on those sessions

    @property
    def n(self) -> int:
        return len(self.codes)

    def index(self) -> dict[str, int]:
        """code -> column index."""
        return {c: i for i, c in enumerate(self.codes)}


def _name(rng: np.random.Generator, industry: str, used: set[str]) -> str:
    for _ in range(50):
        n = str(rng.choice(_HEADS)) + str(rng.choice(_MIDS)) + _SUFFIX[industry]
        if n not in used:
            used.add(n)
            return n
    n = f"{rng.choice(_HEADS)}{len(used)}{_SUFFIX[industry]}"
    used.add(n)
    return n


def _alloc(n_total: int, shares: dict[str, float]) -> dict[str, int]:
    keys = list(shares)
    w = np.array([shares[k] for k in keys], dtype=float)
    w /= w.sum()
    counts = np.floor(w * n_total).astype(int)
    if n_total >= len(keys):
        counts = np.maximum(counts, 1)
    while counts.sum() > n_total:
        counts[np.argmax(counts)] -= 1
    i = 0
    while counts.sum() < n_total:
        counts[i % len(keys)] += 1
        i += 1
    return dict(zip(keys, counts.tolist()))


def _codes_for(rng, prefixes, n, fixed, used):
    out = [c for c in fixed[:n]]
    used.update(out)
    while len(out) < n:
        c = str(rng.choice(prefixes)) + f"{int(rng.integers(0, 1000)):03d}"
        if c not in used:
            used.add(c)
            out.append(c)
    return out


def build_universe(n_stocks: int, n_etfs: int, trade_date: dt.date, seed: int = 0, history_days: int = 250) -> Universe:
    """Generate a deterministic universe for (n_stocks, n_etfs, seed); prices follow the seed's daily series."""
    rng = np.random.default_rng([seed, 11])
    codes, names, boards, inds, st, kinds, lim20, listed, opend, pcs = [], [], [], [], [], [], [], [], [], []
    used_names: set[str] = set()
    recent = calendar.previous_sessions(trade_date, 8)
    counts = _alloc(n_stocks, BOARD_SHARE) if n_stocks else {}
    for b, cnt in counts.items():
        fam = FAMOUS[b]
        nums = _codes_for(rng, _PREFIXES[b], cnt, [f[0] for f in fam] if cnt >= 2 else [], set(codes) | set())
        for k, num in enumerate(nums):
            code = f"{num}.{_MKT[b]}"
            if k < len(fam) and cnt >= 2 and num == fam[k][0]:
                name, ind, pc = fam[k][1], fam[k][2], fam[k][3]
                is_st = False
                ld = None
            else:
                ind = SW_L1[int(rng.integers(0, len(SW_L1)))]
                name = _name(rng, ind, used_names)
                pc = float(np.exp(rng.normal(np.log(14.0), 0.7)))
                pc = min(max(pc, 1.5), 600.0)
                is_st = b in (rules.SH_MAIN, rules.SZ_MAIN) and rng.random() < 0.04
                if is_st:
                    name = ("*ST" if rng.random() < 0.5 else "ST") + name[:2]
                    pc = min(pc, 6.0)
                ld = int(rng.integers(2, 6)) if rng.random() < 0.004 else None
            codes.append(code)
            names.append(name)
            boards.append(b)
            inds.append(ind)
            st.append(is_st)
            kinds.append(None)
            lim20.append(False)
            listed.append(ld)
            if ld is not None:
                opend.append(recent[-(ld - 1)].strftime("%Y%m%d") if ld > 1 else trade_date.strftime("%Y%m%d"))
            else:
                opend.append(f"{int(rng.integers(1995, 2022))}{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 29)):02d}")
            pcs.append(float(rules.round_price(pc, code)))
    n_s = len(codes)
    # ETFs
    fam_w = {i: f[3] for i, f in enumerate(ETF_FAMILIES)}
    fam_counts = _alloc(n_etfs, fam_w) if n_etfs else {}
    used_nums = set()
    famous_by_family: dict[int, list[str]] = {}
    for num, (nm, fi) in FAMOUS_ETFS.items():
        famous_by_family.setdefault(fi, []).append(num)
    etf_family = []
    for fi, cnt in fam_counts.items():
        kind, prefix, mkt, _, _, l20, stem = ETF_FAMILIES[fi]
        fixed = famous_by_family.get(fi, []) if cnt >= 2 else []
        for k in range(cnt):
            if k < len(fixed):
                num = fixed[k]
                name = FAMOUS_ETFS[num][0]
            else:
                while True:
                    num = prefix + f"{int(rng.integers(0, 1000)):03d}"
                    if num not in used_nums and num not in FAMOUS_ETFS:
                        break
                name = stem if kind not in ("sector",) else SW_L1[int(rng.integers(0, len(SW_L1)))] + "ETF"
            used_nums.add(num)
            code = f"{num}.{mkt}"
            codes.append(code)
            names.append(name)
            boards.append(rules.board(code))
            inds.append("")
            st.append(False)
            kinds.append(kind if kind in rules.T0_KINDS else rules.ETF_EQUITY)
            lim20.append(bool(l20))
            listed.append(None)
            opend.append(f"{int(rng.integers(2012, 2022))}0{int(rng.integers(1, 10))}15")
            if kind == rules.ETF_MONEY:
                pc = 100.0 + float(rng.uniform(0, 3))
            else:
                pc = float(np.exp(rng.normal(np.log(1.6), 0.5)))
                pc = min(max(pc, 0.5), 9.0)
            pcs.append(float(rules.round_price(pc, code)))
            etf_family.append(fi)
    n = len(codes)
    is_etf = np.array([i >= n_s for i in range(n)], dtype=bool)
    pre = np.array(pcs, dtype=np.float64)
    up = np.zeros(n)
    dn = np.zeros(n)
    for i, code in enumerate(codes):
        r = rules.limit_ratio(code, trade_date, is_st=st[i], listed_day=listed[i], etf_limit_20=lim20[i])
        up[i], dn[i] = rules.limit_prices(pre[i], r, code)
    float_sh = np.where(is_etf, rng.integers(50, 5000, n) * 1_000_000,
                        (np.exp(rng.normal(np.log(4e8), 1.0, n)) // 100 * 100).astype(np.int64)).astype(np.int64)
    float_sh = np.maximum(float_sh, 20_000_000)
    total_sh = (float_sh * rng.uniform(1.0, 1.6, n) // 100 * 100).astype(np.int64)
    turnover = np.clip(np.exp(rng.normal(np.log(0.015), 0.8, n)), 0.001, 0.25)
    turnover[is_etf] = np.clip(np.exp(rng.normal(np.log(0.05), 0.8, int(is_etf.sum()))), 0.002, 0.5)
    activity = np.clip(0.25 + 3.0 * turnover + rng.normal(0, 0.08, n), 0.15, 0.97)
    board_vol = {rules.SH_MAIN: 0.022, rules.SZ_MAIN: 0.025, rules.CHINEXT: 0.032, rules.STAR: 0.033,
                 rules.BSE: 0.04, rules.ETF_SH: 0.012, rules.ETF_SZ: 0.012}
    daily_vol = np.array([board_vol[b] for b in boards]) * np.exp(rng.normal(0, 0.25, n))
    beta = np.clip(rng.normal(1.0, 0.25, n), 0.3, 1.8)
    kind_vol = {rules.ETF_BOND: 0.001, rules.ETF_MONEY: 0.0001, rules.ETF_GOLD: 0.009,
                rules.ETF_CROSS_BORDER: 0.012, rules.ETF_COMMODITY: 0.012}
    for i in range(n_s, n):
        if kinds[i] in kind_vol:
            daily_vol[i] = kind_vol[kinds[i]]
            beta[i] = 0.0
    u = Universe(trade_date=trade_date, codes=codes, names=names, boards=boards, industry=inds, is_etf=is_etf,
                 is_st=np.array(st, dtype=bool), etf_kind=kinds, etf_limit_20=np.array(lim20, dtype=bool),
                 listed_day=listed, open_date=opend, pre_close=pre, up_stop=up, down_stop=dn,
                 tick_div=np.where(is_etf, 1000, 100).astype(np.int64), float_shares=float_sh,
                 total_shares=total_sh, turnover=turnover, activity=activity, daily_vol=daily_vol, beta=beta)
    _build_baskets(u, rng, etf_family, n_s)
    _apply_series(u, seed, history_days, famous={i for i, c in enumerate(codes)
                                                 if c.split(".")[0] in _FAMOUS_NUMS})
    return u


_FAMOUS_NUMS = {f[0] for fam in FAMOUS.values() for f in fam} | set(FAMOUS_ETFS)


def _apply_series(u: Universe, seed: int, history_days: int, famous: set[int]) -> None:
    """Pre-close, limits, history closes and today's target close from the shared daily series."""
    base = u.pre_close.copy()
    lim = series.limit_fraction(u.codes, u.is_st, u.etf_limit_20, u.trade_date)
    scale = np.where(np.isin(np.arange(u.n), list(famous)), series.FAMOUS_SCALE, 1.0)
    days, x = series.deviations(u.daily_vol, u.beta, lim, scale, seed, u.trade_date, history_days + 2)
    div = u.tick_div.astype(np.float64)
    cl = series.closes(base, x, div)
    for i, (cons, qty, cash, unit) in u.baskets.items():   # equity ETFs: NAV of the (fixed) basket's closes
        nav = (cl[:, cons] @ qty.astype(np.float64) + cash) / unit
        cl[:, i] = np.maximum(np.floor(nav * div[i] + 0.5), 1) / div[i]
    u.ref_price = base
    u.pre_close = cl[-2].copy()
    u.target_close = cl[-1].copy()
    u.hist_dates = list(days[:-1])
    u.hist_close = cl[:-1]
    for i, code in enumerate(u.codes):
        r = rules.limit_ratio(code, u.trade_date, is_st=bool(u.is_st[i]), listed_day=u.listed_day[i],
                              etf_limit_20=bool(u.etf_limit_20[i]))
        u.up_stop[i], u.down_stop[i] = rules.limit_prices(float(u.pre_close[i]), r, code)
    # rounding the series can't exceed today's band: clip the target into it
    has = u.up_stop > 0
    u.target_close = np.where(has, np.clip(u.target_close, u.down_stop, u.up_stop), u.target_close)


def _build_baskets(u: Universe, rng: np.random.Generator, etf_family: list[int], n_s: int) -> None:
    """PCF baskets for equity ETFs: constituents from the matching pool, weights by float market value."""
    mcap = u.pre_close[:n_s] * u.float_shares[:n_s]
    a_share = np.array([b != rules.BSE for b in u.boards[:n_s]])
    for j, fi in enumerate(etf_family):
        i = n_s + j
        pool = ETF_FAMILIES[fi][4]
        if pool is None or n_s == 0:
            continue
        if pool == "all":
            cand = np.flatnonzero(a_share & ~u.is_st[:n_s])
        elif pool == "industry":
            want = u.names[i].replace("ETF", "")
            cand = np.array([k for k in range(n_s) if u.industry[k] == want and a_share[k]], dtype=int)
            if cand.size < 3:
                cand = np.flatnonzero(a_share)
        else:
            cand = np.array([k for k in range(n_s) if u.boards[k] == pool], dtype=int)
            if cand.size == 0:
                cand = np.flatnonzero(a_share)
        if cand.size == 0:
            continue
        size = int(min(cand.size, rng.integers(10, 51)))
        cons = cand[np.argsort(-mcap[cand])[:size]]
        w = mcap[cons] / mcap[cons].sum()
        unit = 1_000_000
        basket_value = unit * u.pre_close[i]
        qty = np.maximum(np.round(w * basket_value * 0.98 / u.pre_close[cons] / 100), 1).astype(np.int64) * 100
        cash = float(basket_value - float((qty * u.pre_close[cons]).sum()))
        u.baskets[i] = (cons.astype(np.int64), qty, cash, unit)
