# ruff: noqa  (a QMT built-in script: Python 3.6 dialect, passorder etc. are injected by QMT)
# 双均线策略 (5/20 日均线金叉买入、死叉卖出)，QMT 内置 Python 写法：init(C) / handlebar(C) / passorder。
# 状态放在模块级对象里（ContextInfo 的属性在 handlebar 之间会回滚）。
import numpy as np

ACCOUNT = 'BACKTEST'
LOT_VALUE = 20000.0      # 每次买入金额（元），按 100 股取整


class _State(object):
    pass


S = _State()


def init(C):
    S.codes = C.get_stock_list_in_sector('沪深A股')
    C.set_account(ACCOUNT)
    data = C.get_market_data_ex(['close'], S.codes, period='1d')
    S.index = {}
    closes = []
    for i, code in enumerate(S.codes):
        closes.append(data[code]['close'].values)
    S.close = np.array(closes)
    c = np.nan_to_num(S.close)
    cs = np.cumsum(c, axis=1)
    S.ma5 = (cs - np.concatenate([np.zeros((len(S.codes), 5)), cs[:, :-5]], axis=1)) / 5.0
    S.ma20 = (cs - np.concatenate([np.zeros((len(S.codes), 20)), cs[:, :-20]], axis=1)) / 20.0
    S.held = {}


def handlebar(C):
    i = C.barpos
    if i < 21:
        return
    up = (S.ma5[:, i] > S.ma20[:, i]) & (S.ma5[:, i - 1] <= S.ma20[:, i - 1])
    down = (S.ma5[:, i] < S.ma20[:, i]) & (S.ma5[:, i - 1] >= S.ma20[:, i - 1])
    for k in np.flatnonzero(down):
        code = S.codes[k]
        vol = S.held.get(code, 0)
        if vol > 0:
            passorder(24, 1101, ACCOUNT, code, 5, -1, vol, 'sma', 2, 'S%d_%s' % (i, code), C)
    for k in np.flatnonzero(up):
        code = S.codes[k]
        px = S.close[k, i]
        if px != px or S.held.get(code, 0) > 0:
            continue
        vol = int(LOT_VALUE / px / 100) * 100
        if vol > 0:
            passorder(23, 1101, ACCOUNT, code, 5, -1, vol, 'sma', 2, 'B%d_%s' % (i, code), C)


def deal_callback(C, deal):
    code = deal.m_strInstrumentID + '.' + deal.m_strExchangeID
    if deal.m_nOffsetFlag == 48:
        S.held[code] = S.held.get(code, 0) + deal.m_nVolume
    else:
        S.held[code] = S.held.get(code, 0) - deal.m_nVolume
