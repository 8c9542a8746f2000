"""QMT's trade-detail objects (m_* fields) and the code tables the emulator uses to build them."""
from __future__ import annotations

import datetime as dt

# passorder opType (stocks)
OP_BUY = 23
OP_SELL = 24
# passorder orderType
ORDER_BY_SHARES = 1101
ORDER_BY_AMOUNT = 1102
# passorder prType
PR_SELL1 = 4
PR_LATEST = 5
PR_BUY1 = 6
PR_FIXED = 11
PR_LIMIT = 12
PR_COUNTERPARTY = 14
PR_NAMES = {PR_SELL1: "卖1价", PR_LATEST: "最新价", PR_BUY1: "买1价", PR_FIXED: "指定价", PR_LIMIT: "涨跌停价",
            PR_COUNTERPARTY: "对手价"}
# m_nOffsetFlag / m_nDirection for stocks
FLAG_BUY = 48
FLAG_SELL = 49
# m_nOrderStatus (same values as xtconstant ORDER_*)
ST_REPORTED = 50
ST_PART_CANCEL = 53
ST_CANCELED = 54
ST_PART_SUCC = 55
ST_SUCCEEDED = 56
ST_JUNK = 57
FINAL_STATUSES = frozenset({ST_PART_CANCEL, ST_CANCELED, ST_SUCCEEDED, ST_JUNK})
# m_nOrderPriceType as the counter reports it (broker enum: 50 limit)
BROKER_PRICE_LIMIT = 50

DATATYPES = ("POSITION", "ORDER", "DEAL", "ACCOUNT")


class DetailData:
    """What get_trade_detail_data and the callbacks hand to a QMT script: a bag of m_* attributes."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"DetailData({inner})"

    def copy(self) -> DetailData:
        """A snapshot the script can keep (callbacks get copies, like QMT's fresh objects)."""
        rec = DetailData.__new__(DetailData)
        rec.__dict__ = dict(self.__dict__)
        return rec


def split_code(code: str) -> tuple[str, str]:
    """'600000.SH' -> ('600000', 'SH')."""
    num, _, mkt = code.partition(".")
    return num, mkt


def bj_datetime(ms: int) -> dt.datetime:
    """ms epoch -> naive Beijing wall time."""
    return dt.datetime.fromtimestamp(ms / 1000 + 8 * 3600, dt.UTC).replace(tzinfo=None)


def stamp(now_ms: int) -> tuple[str, str]:
    """('YYYYMMDD', 'HHMMSS') Beijing wall time of a ms timetag."""
    t = bj_datetime(now_ms)
    return t.strftime("%Y%m%d"), t.strftime("%H%M%S")


def new_order(account_id: str, order_id: int, code: str, op: int, volume: int, price: float, pr_type: int,
              strategy: str, remark: str, when: tuple[str, str], name: str = "") -> DetailData:
    """An order record with QMT's m_* fields, status 50 (reported); `when` is stamp(now_ms)."""
    num, _, mkt = code.partition(".")
    flag = FLAG_BUY if op == OP_BUY else FLAG_SELL
    oid = str(order_id)
    rec = DetailData.__new__(DetailData)
    rec.__dict__ = {
        "m_strAccountID": account_id, "m_strOrderSysID": oid, "m_strOrderRef": oid,
        "m_strInstrumentID": num, "m_strExchangeID": mkt, "m_strInstrumentName": name,
        "m_nOffsetFlag": flag, "m_nDirection": flag, "m_nOrderPriceType": BROKER_PRICE_LIMIT, "m_nPrType": pr_type,
        "m_strOptName": "限价买入" if op == OP_BUY else "限价卖出",
        "m_dLimitPrice": float(price), "m_nVolumeTotalOriginal": int(volume), "m_nVolumeTraded": 0,
        "m_nVolumeTotal": int(volume), "m_dTradedPrice": 0.0, "m_dTradeAmount": 0.0, "m_dCancelAmount": 0.0,
        "m_nOrderStatus": ST_REPORTED, "m_nOrderSubmitStatus": 51, "m_nErrorID": 0, "m_strErrorMsg": "",
        "m_strCancelInfo": "", "m_strInsertDate": when[0], "m_strInsertTime": when[1],
        "m_dFrozenMargin": 0.0, "m_dFrozenCommission": 0.0, "m_strRemark": remark, "m_strStrategyName": strategy,
    }
    return rec


def new_deal(order: DetailData, trade_id: int, volume: int, price: float, commission: float,
             when: tuple[str, str]) -> DetailData:
    """A deal (fill) record of an order; `when` is stamp(now_ms)."""
    return DetailData(
        m_strAccountID=order.m_strAccountID, m_strTradeID=str(trade_id), m_strOrderSysID=order.m_strOrderSysID,
        m_strOrderRef=order.m_strOrderRef, m_strInstrumentID=order.m_strInstrumentID,
        m_strExchangeID=order.m_strExchangeID, m_strInstrumentName=order.m_strInstrumentName,
        m_nOffsetFlag=order.m_nOffsetFlag, m_nDirection=order.m_nDirection, m_strOptName=order.m_strOptName,
        m_dPrice=float(price), m_nVolume=int(volume), m_dTradeAmount=float(price) * int(volume),
        m_dComssion=float(commission), m_strTradeDate=when[0], m_strTradeTime=when[1],
        m_strRemark=order.m_strRemark, m_strStrategyName=order.m_strStrategyName,
    )


def position_record(account_id: str, code: str, volume: int, can_use: int, cost: float, last: float,
                    name: str = "", frozen: int = 0, yesterday: int = 0) -> DetailData:
    """A position record; cost is the average open price."""
    num, mkt = split_code(code)
    mv = volume * last
    return DetailData(
        m_strAccountID=account_id, m_strInstrumentID=num, m_strExchangeID=mkt, m_strInstrumentName=name,
        m_nVolume=int(volume), m_nCanUseVolume=int(can_use), m_nFrozenVolume=int(frozen),
        m_nYesterdayVolume=int(yesterday), m_dOpenPrice=float(cost), m_dAvgOpenPrice=float(cost),
        m_dLastPrice=float(last), m_dMarketValue=mv, m_dPositionCost=cost * volume,
        m_dPositionProfit=mv - cost * volume, m_dProfitRate=(last / cost - 1.0) if cost else 0.0,
        m_nDirection=FLAG_BUY,
    )


def account_record(account_id: str, cash: float, frozen: float, market_value: float,
                   commission: float = 0.0) -> DetailData:
    """An ACCOUNT record: m_dAvailable cash, m_dBalance total assets, m_dInstrumentValue market value."""
    return DetailData(
        m_strAccountID=account_id, m_dAvailable=float(cash), m_dFrozenCash=float(frozen),
        m_dInstrumentValue=float(market_value), m_dStockValue=float(market_value),
        m_dBalance=float(cash + frozen + market_value), m_dAssureAsset=float(cash + frozen + market_value),
        m_dCommission=float(commission), m_dFetchBalance=float(cash),
    )
