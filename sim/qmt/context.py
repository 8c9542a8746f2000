"""ContextInfo as QMT hands it to init(C) / handlebar(C): attributes, bar functions, quotes, static data."""
from __future__ import annotations

import copy
import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from sim.qmt.data import timetag_label

if TYPE_CHECKING:
    from sim.qmt.runner import QmtRunner

class ContextInfo:
    """The emulated ContextInfo (same attribute and method names as QMT's, see xtquant/qmttools/contextinfo.py)."""

    def __init__(self, runner: QmtRunner):
        object.__setattr__(self, "_runner", runner)
        self.request_id = "sim"
        self.quote_mode = "history"
        self.trade_mode = "backtest"
        self.title = ""
        self.user_script = ""
        self.stock_code = ""
        self.stockcode = ""
        self.market = ""
        self.period = "1d"
        self.start_time = ""
        self.end_time = ""
        self.dividend_type = "none"
        self.timelist: list[int] = []
        self.barpos = -1
        self.lastrunbarpos = -1
        self.asset = 1_000_000.0
        self.slippage_type = 2
        self.slippage = 0.0
        self.benchmark = "000300.SH"
        self.do_back_test = 1
        self.accountid = ""
        self.accounttype = "STOCK"
        self.start_time_num = None
        self.end_time_num = None

    # -- attributes QMT exposes as properties ---------------------------------------------------------------
    @property
    def capital(self) -> float:
        return self.asset

    @capital.setter
    def capital(self, value: float) -> None:
        self.asset = value

    @property
    def start(self) -> str:
        return self.start_time

    @property
    def end(self) -> str:
        return self.end_time

    # -- bars -----------------------------------------------------------------------------------------------
    def is_last_bar(self) -> bool:
        """True on the newest bar (in simulation/live: the bar being updated by ticks)."""
        return self.barpos >= len(self.timelist) - 1

    def is_new_bar(self) -> bool:
        """True on the first handlebar call of a bar."""
        return self._runner.new_bar

    def get_bar_timetag(self, barpos: int | None = None) -> int | None:
        """ms timetag of a bar (default: the current one)."""
        try:
            return self.timelist[self.barpos if barpos is None else barpos]
        except (IndexError, TypeError):
            return None

    # -- quotes ---------------------------------------------------------------------------------------------
    def get_market_data_ex(self, fields=None, stock_code=None, period="", start_time="", end_time="",
                           count=-1, dividend_type="", fill_data=True, subscribe=True) -> dict:
        """{code: DataFrame indexed by 'YYYYMMDD[HHMMSS]'}; never returns bars after the current bar."""
        codes = list(stock_code) if stock_code else [self.stock_code]
        period = self.period if not period or period == "follow" else period
        return self._runner.market_data(list(fields or []), codes, period, start_time, end_time, count)

    def get_market_data(self, fields=None, stock_code=None, start_time="", end_time="", skip_paused=True,
                        period="", dividend_type="", count=-1):
        """The older API, shaped as QMT shapes it: one field of one code without count -> the value at the current
        bar; one code -> DataFrame (bars x fields); several codes without count -> DataFrame (codes x fields) at the
        current bar; several codes with count -> {code: DataFrame}."""
        fields = list(fields or [])
        codes = list(stock_code) if stock_code else [self.stock_code]
        period = self.period if not period or period == "follow" else period
        latest = count in (-1, None) and not start_time and not end_time
        data = self._runner.market_data(fields, codes, period, start_time, end_time, 1 if latest else count)
        if latest and len(codes) == 1:
            df = data[codes[0]]
            if not len(df):
                return -1 if len(fields) == 1 else pd.Series(dtype=float)
            row = df.iloc[-1]
            return row[fields[0]] if len(fields) == 1 else row[fields] if fields else row
        if latest:
            rows = {c: (d.iloc[-1] if len(d) else pd.Series(index=fields, dtype=float)) for c, d in data.items()}
            return pd.DataFrame(rows).T.reindex(columns=fields or None)
        if len(codes) == 1:
            return data[codes[0]]
        return data

    def set_universe(self, stock_list) -> None:
        """The code list get_history_data reads."""
        self._runner.universe = list(stock_list)

    def get_universe(self) -> list[str]:
        """The code list set with set_universe."""
        return list(getattr(self._runner, "universe", []))

    def get_history_data(self, len, period, field, dividend_type=0, skip_paused=True) -> dict:  # noqa: A002
        """{code: [values of `field` over the last `len` bars up to the current one]} for the set universe."""
        data = self._runner.market_data([field], self.get_universe(), period, "", "", int(len))
        return {c: [float(x) for x in d[field].tolist()] if d.shape[0] else [] for c, d in data.items()}

    def get_full_tick(self, stock_code=None) -> dict:
        """{code: tick dict with real xtquant keys} at the current bar / snapshot."""
        codes = list(stock_code) if stock_code else [self.stock_code]
        return self._runner.full_tick(codes)

    def subscribe_quote(self, stock_code="", period="", dividend_type="", result_type="", callback=None) -> int:
        """Subscribe one code's quotes; in simulation the callback gets {code: [tick]} on every snapshot."""
        return self._runner.subscribe([stock_code or self.stock_code], callback, whole=False)

    def subscribe_whole_quote(self, code_list, callback=None) -> int:
        """Subscribe many codes; in simulation the callback gets {code: tick} on every snapshot."""
        return self._runner.subscribe(list(code_list), callback, whole=True)

    def unsubscribe_quote(self, subscribe_id: int) -> None:
        """Drop a subscription."""
        self._runner.subscriptions.pop(subscribe_id, None)

    # -- static data ----------------------------------------------------------------------------------------
    def get_instrument_detail(self, stock_code="", iscomplete=False) -> dict:
        """Instrument dict with QMT's keys (UpStopPrice, DownStopPrice, PreClose, PriceTick, ...)."""
        return self._runner.instrument(stock_code or self.stock_code)

    get_instrumentdetail = get_instrument_detail

    def get_stock_list_in_sector(self, sector_name: str) -> list[str]:
        """Codes of a sector ('沪深A股', '沪深ETF', industries ...)."""
        return list(self._runner.sectors().get(sector_name, []))

    def get_trading_dates(self, stock_code, start_date, end_date, count=-1, period="1d") -> list[str]:
        """Trading days 'YYYYMMDD' of the code's market between start and end (last `count` when >0)."""
        if period != "1d":
            return []
        days = self._runner.trading_days(start_date, end_date)
        return days[-count:] if count and count > 0 else days

    def get_his_st_data(self, stock_code) -> dict:
        """ST history: the simulated universe has none recorded."""
        return {}

    def is_suspended_stock(self, stock_code, type=0) -> bool:
        """True when the code has no trading on the current bar."""
        return self._runner.is_suspended(stock_code)

    # -- trading --------------------------------------------------------------------------------------------
    def set_account(self, accountid) -> None:
        """Bind the account whose callbacks and detail data the script receives."""
        self._runner.set_account(str(accountid))

    def set_auto_trade_callback(self, enable) -> None:
        """Turn the order/deal/error callbacks for quickTrade orders on or off."""
        self._runner.auto_trade_callback = bool(enable)

    def passorder(self, opType, orderType, accountid, orderCode, prType, modelprice, volume,
                  strategyName="", quickTrade=0, userOrderId=""):
        """Same as the global passorder(..., C)."""
        return self._runner.passorder(opType, orderType, accountid, orderCode, prType, modelprice, volume,
                                      strategyName, quickTrade, userOrderId)

    # -- drawing --------------------------------------------------------------------------------------------
    def paint(self, name, value, index=-1, drawstyle=0, color="", limit="") -> None:
        """Record an indicator value at the current bar (shown in the HTML report)."""
        self._runner.paint(str(name), value)

    def draw_text(self, condition, position, text, *args) -> None:
        """Chart text: recorded, not drawn."""

    def draw_icon(self, condition, position, type, *args) -> None:
        """Chart icon: recorded, not drawn."""


# attributes the emulator owns (never rolled back); everything else on C is the script's
_BASE_ATTRS = frozenset({"_runner", "timelist", "barpos", "lastrunbarpos"})


def user_state(c: ContextInfo) -> dict:
    """Copy of the attributes the script set on C (what QMT rolls back between calls on one bar)."""
    return {k: copy.deepcopy(v) for k, v in vars(c).items() if k not in _BASE_ATTRS}


def restore_state(c: ContextInfo, saved: dict) -> None:
    """Roll C's script attributes back to `saved`: values restored, attributes added since dropped."""
    d = vars(c)
    for k in [k for k in d if k not in _BASE_ATTRS and k not in saved]:
        del d[k]
    for k, v in saved.items():
        d[k] = copy.deepcopy(v)


def timetag_to_datetime(timetag, format="") -> str:
    """QMT's timetag_to_datetime: ms timetag -> Beijing wall-time string ('%Y%m%d' / '%Y%m%d%H%M%S' default)."""
    t = dt.datetime.fromtimestamp(int(timetag) / 1000 + 8 * 3600, dt.UTC).replace(tzinfo=None)
    if not format:
        format = "%Y%m%d" if int(timetag) % 86_400_000 == 57_600_000 else "%Y%m%d%H%M%S"
    return t.strftime(format)


def datetime_to_timetag(label, format="") -> int:
    """QMT's datetime_to_timetag: Beijing wall-time string -> ms timetag."""
    if not format:
        format = "%Y%m%d" if len(label) == 8 else "%Y%m%d%H%M%S"
    t = dt.datetime.strptime(label, format).replace(tzinfo=dt.UTC)
    return int(t.timestamp() * 1000) - 8 * 3_600_000


def frame_slice(df: pd.DataFrame, fields: list[str], sl: slice) -> pd.DataFrame:
    """Rows `sl` and the requested columns of a cached bar frame."""
    out = df.iloc[sl]
    return out[fields] if fields else out


__all__ = ["ContextInfo", "datetime_to_timetag", "restore_state", "timetag_label", "timetag_to_datetime",
           "user_state"]
