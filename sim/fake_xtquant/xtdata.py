"""xtquant.xtdata for the sim: market data from the simulated World with the real signatures and shapes.

Other functions of the real module are not simulated: accessing one raises NotImplementedError naming it.
"""
# ruff: noqa: B006 - mutable defaults are part of the real signatures

from __future__ import annotations

import copy
import datetime as _dt
import os as _OS_

import pandas as _pd

from sim.driver import Gate

from ._quotes import KLINE_PERIODS, MARKETS, TICK_HISTORY_FIELDS
from ._runtime import SH_TZ as _SH
from ._runtime import get_runtime

default_data_dir = "../userdata_mini/datadir"
data_dir = None
enable_hello = True
debug_mode = 0

_NOT_CONNECTED = "无法连接xtquant服务，请检查QMT-投研版或QMT-极简版是否开启"
_DIVID_COLUMNS = ["interest", "stockBonus", "stockGift", "allotNum", "allotPrice", "gugai", "dr"]
_FIN_TABLES = ["Balance", "Income", "CashFlow", "Capital", "HolderNum", "Top10Holder", "Top10FlowHolder",
               "PershareIndex"]
# index code -> (board filter on the code prefix, number of constituents by float market value)
_INDEXES = {
    "000300.SH": (None, 300), "000905.SH": (None, 500), "000016.SH": (("60",), 50),
    "000852.SH": (None, 1000), "399006.SZ": (("300", "301"), 100), "000688.SH": (("688",), 50),
}


class _SimClient:
    """What xtdata.connect() returns (the real one is a C++ client)."""

    def __init__(self, rt) -> None:
        self._rt = rt
        self.connected = True

    def is_connected(self) -> bool:
        """True until disconnect() or a fault."""
        return self.connected and not self._rt.faults.xtdata_down(self._rt.world.now_ms)

    def get_data_dir(self) -> str:
        """Data directory (the sim keeps nothing on disk)."""
        return get_data_dir()

    def get_app_dir(self) -> str:
        """App directory."""
        return _OS_.path.abspath(".")

    def shutdown(self) -> None:
        """Close."""
        self.connected = False


_client: _SimClient | None = None


def _rt():
    """Runtime after an (automatic) connection check, like the real get_client()."""
    rt = get_runtime()
    if rt.faults.xtdata_down(rt.world.now_ms):
        raise Exception(_NOT_CONNECTED)  # noqa: TRY002 - the real module raises Exception
    return rt


def connect(ip = '', port = None, remember_if_success = True):
    """Connect to the simulated xtdata service; returns the client."""
    global _client
    rt = get_runtime()
    if rt.faults.xtdata_down(rt.world.now_ms):
        raise Exception(_NOT_CONNECTED)  # noqa: TRY002
    if _client is None or not _client.is_connected() or _client._rt is not rt:
        _client = _SimClient(rt)
    return _client


def reconnect(ip = '', port = None, remember_if_success = True):
    """Drop the current connection (and its subscriptions) and connect again."""
    disconnect()
    return connect(ip, port, remember_if_success)


def disconnect():
    """Close the connection; subscriptions are dropped."""
    global _client
    if _client is not None:
        _client.shutdown()
        _client = None
        rt = get_runtime()
        with rt.sched.baton():
            rt.quotes.subs.clear()


def get_client():
    """The connected client (connects on demand, like the real module)."""
    if _client is None or not _client.is_connected():
        return connect()
    return _client


def get_data_dir():
    """Data directory of the (simulated) client."""
    return _OS_.path.abspath(data_dir or default_data_dir)


# -- subscriptions -------------------------------------------------------------------------------------
def subscribe_quote(stock_code, period='1d', start_time='', end_time='', count=0, callback=None):
    """Subscribe one code; callback gets {code: [data, ...]}; returns the subscription seq."""
    return subscribe_quote2(stock_code, period, start_time, end_time, count, None, callback)


def subscribe_quote2(stock_code, period='1d', start_time='', end_time='', count=0, dividend_type = None,
                     callback=None):
    """subscribe_quote with a dividend type (the sim has no dividends, so it is accepted and ignored)."""
    if period != "tick" and period not in KLINE_PERIODS:
        raise NotImplementedError(f"sim: xtdata.subscribe_quote period {period!r} is not simulated; "
                                  f"use 'tick' or one of {', '.join(KLINE_PERIODS)}")
    rt = _rt()
    with rt.sched.baton():
        return rt.quotes.add(False, [stock_code], period, callback)


def subscribe_whole_quote(code_list, callback = None):
    """Subscribe markets (['SH', 'SZ']) or codes; callback gets {code: tick} every snapshot."""
    rt = _rt()
    with rt.sched.baton():
        return rt.quotes.add(True, list(code_list), "tick", callback)


def unsubscribe_quote(seq):
    """Cancel a subscription by seq."""
    rt = _rt()
    with rt.sched.baton():
        rt.quotes.remove(seq)


def run():
    """Block receiving pushes until the simulated session ends; raises if the connection is lost."""
    rt = _rt()
    rt.check_can_wait_for_time("xtdata.run()")
    with rt.sched.baton():
        if rt.ended:
            return
        gate = Gate("clock")
        rt.quotes.run_gates.append(gate)
        try:
            rt.sched.wait(gate)
        finally:
            if gate in rt.quotes.run_gates:
                rt.quotes.run_gates.remove(gate)


# -- snapshots and bars --------------------------------------------------------------------------------
def _expand(code_list) -> list[str]:
    rt = _rt()
    out = []
    for c in code_list:
        if c in MARKETS:
            out += [k for k in rt.world.instruments if k.endswith("." + c)]
        else:
            out.append(c)
    return out


def get_full_tick(code_list):
    """{code: tick} of the latest snapshot (markets 'SH'/'SZ' expand to every code)."""
    rt = _rt()
    with rt.sched.baton():
        return rt.world.full_tick(_expand(code_list))


def _ms_to_str(ms: int, fmt: str = "%Y%m%d%H%M%S") -> str:
    return _dt.datetime.fromtimestamp(ms / 1000, _SH).strftime(fmt)


def _time_str(t) -> str:
    if isinstance(t, _dt.datetime):
        return t.strftime("%Y%m%d%H%M%S")
    return str(t) if t else ""


def _bars(rt, code, period, start_time, end_time, count) -> _pd.DataFrame:
    return rt.world.bars(code, period, _time_str(start_time), _time_str(end_time), count)


def _tick_frame(rt, code, start_time, end_time, count) -> _pd.DataFrame:
    hist = rt.quotes.tick_history.get(code)
    rows = list(hist) if hist else [t for t in rt.world.full_tick([code]).values()]
    frame = _pd.DataFrame([{f: r.get(f) for f in TICK_HISTORY_FIELDS} for r in rows], columns=TICK_HISTORY_FIELDS)
    if len(frame):
        frame.index = [_ms_to_str(t) for t in frame["time"]]
        lo, hi = _time_str(start_time), _time_str(end_time)
        if lo:
            frame = frame[frame.index >= lo.ljust(14, "0")]
        if hi:
            frame = frame[frame.index <= hi.ljust(14, "9")]
    if count is not None and count > 0:
        frame = frame.iloc[-count:]
    return frame


_DATA_PERIODS = ("tick", "1m", "5m", "1d")


def _check_period(period) -> None:
    if period not in _DATA_PERIODS:
        raise NotImplementedError(f"sim: period {period!r} is not simulated for history; use one of "
                                  f"{', '.join(_DATA_PERIODS)}")


def get_market_data(field_list = [], stock_list = [], period = '1d', start_time = '', end_time = '', count = -1,
                    dividend_type = 'none', fill_data = True):
    """K-lines: {field: DataFrame(index=codes, columns=times)}; tick: {code: structured ndarray}."""
    _check_period(period)
    rt = _rt()
    with rt.sched.baton():
        if period == "tick":
            out = {}
            for code in stock_list:
                frame = _tick_frame(rt, code, start_time, end_time, count)
                cols = list(field_list) if field_list else list(frame.columns)
                out[code] = frame[cols].to_records(index=False)
            return out
        frames = {code: _bars(rt, code, period, start_time, end_time, count) for code in stock_list}
    times = sorted(set().union(*(f.index for f in frames.values()))) if frames else []
    fields = list(field_list) if field_list else [
        c for c in next(iter(frames.values()), _pd.DataFrame()).columns]
    result = {}
    for fld in fields:
        rows = {code: (f[fld] if fld in f.columns else _pd.Series(dtype=float)).reindex(times)
                for code, f in frames.items()}
        result[fld] = _pd.DataFrame.from_dict(rows, orient="index", columns=times).reindex(list(stock_list))
    return result


def get_market_data_ex(field_list = [], stock_list = [], period = '1d', start_time = '', end_time = '',
                       count = -1, dividend_type = 'none', fill_data = True):
    """{code: DataFrame(index=time strings, columns=fields)}."""
    _check_period(period)
    rt = _rt()
    out = {}
    with rt.sched.baton():
        for code in stock_list:
            if period == "tick":
                frame = _tick_frame(rt, code, start_time, end_time, count)
            else:
                frame = _bars(rt, code, period, start_time, end_time, count)
            out[code] = frame[list(field_list)] if field_list else frame
    return out


def get_local_data(field_list=[], stock_list=[], period='1d', start_time='', end_time='', count=-1,
                   dividend_type='none', fill_data=True, data_dir=None):
    """Same as get_market_data_ex (the sim has everything 'downloaded')."""
    return get_market_data_ex(field_list, stock_list, period, start_time, end_time, count, dividend_type, fill_data)


def download_history_data(stock_code, period, start_time = '', end_time = '', incrementally = None):
    """Nothing to download: the simulated history is always local."""
    _rt()


def download_history_data2(stock_list, period, start_time='', end_time='', callback=None, incrementally = None):
    """Nothing to download; calls callback once with finished == total like the real progress push."""
    _rt()
    if isinstance(stock_list, str):
        stock_list = [stock_list]
    if callback:
        n = len(stock_list)
        callback({"finished": n, "total": n, "stockcode": stock_list[-1] if stock_list else "", "message": ""})
    return {}


# -- reference data ------------------------------------------------------------------------------------
def get_instrument_detail(stock_code, iscomplete = False):
    """Instrument dict with the real keys, or None for an unknown code."""
    inst = _rt().world.instruments.get(stock_code)
    return dict(inst) if inst is not None else None


def get_instrument_detail_list(stock_list, iscomplete = False):
    """{code: get_instrument_detail(code)}."""
    return {s: get_instrument_detail(s, iscomplete) for s in stock_list}


def get_stock_list_in_sector(sector_name, real_timetag = -1):
    """Codes of a sector ('沪深A股', '沪深ETF', '上证A股', industries...)."""
    for illegal in ['\\', '/', ':', '*', '?', '"', '<', '>', '|']:
        sector_name = sector_name.replace(illegal, '')
    return list(_rt().world.sectors.get(sector_name, []))


def get_sector_list():
    """Names of every sector."""
    return list(_rt().world.sectors)


def download_sector_data():
    """Nothing to download."""
    _rt()


def get_trading_dates(market, start_time='', end_time='', count=-1):
    """Trading days as ms timestamps (Asia/Shanghai midnight)."""
    return list(_rt().world.trading_dates(market, start_time, end_time, count))


def get_holidays():
    """Holidays (weekdays without trading) as 'YYYYMMDD' strings over the calendar's covered range."""
    from sim import calendar

    _rt()
    first, last = calendar.covered_range()
    return [d.strftime("%Y%m%d") for d in calendar.holidays(first, last)]


def get_trading_calendar(market, start_time = '', end_time = ''):
    """Trading days of SH/SZ as 'YYYYMMDD' strings, including future days the calendar covers."""
    from sim import calendar

    if market not in ["SH", "SZ"]:
        raise Exception("暂不支持除SH,SZ以外市场的交易日历")  # noqa: TRY002 - as the real module
    _rt()
    first, last = calendar.covered_range()
    start = calendar.to_date(start_time) if start_time else first
    end = calendar.to_date(end_time) if end_time else last
    if end > last:
        raise Exception(f'end_time({end_time}) 超出现有节假日数据({last.year}1231)')  # noqa: TRY002
    return [d.strftime("%Y%m%d") for d in calendar.sessions(max(start, first), end)]


def get_etf_info():
    """{etf_code: PCF dict with the real Chinese keys}."""
    return copy.deepcopy(_rt().world.etf_info)


def download_etf_info():
    """Nothing to download."""
    _rt()


def get_index_weight(index_code):
    """{code: weight} of a few broad indexes, weighted by simulated float market value; {} otherwise."""
    spec = _INDEXES.get(index_code)
    if spec is None:
        return {}
    prefixes, n = spec
    world = _rt().world
    caps = []
    for code in world.sectors.get("沪深A股", []):
        if prefixes and not code.startswith(prefixes):
            continue
        inst = world.instruments.get(code) or {}
        caps.append(((inst.get("FloatVolume") or 0) * (inst.get("PreClose") or 0), code))
    caps.sort(reverse=True)
    top = caps[:n]
    total = sum(c for c, _ in top) or 1.0
    return {code: round(c / total * 100, 4) for c, code in top}


def download_index_weight():
    """Nothing to download."""
    _rt()


def get_divid_factors(stock_code, start_time='', end_time=''):
    """Ex-rights factors: the simulated market has no dividends, so an empty frame with the real columns."""
    _rt()
    return _pd.DataFrame(columns=_DIVID_COLUMNS)


def get_financial_data(stock_list, table_list=[], start_time='', end_time='', report_type='report_time'):
    """{code: {table: DataFrame}}; the sim generates no statements, so each frame is empty."""
    _rt()
    tables = list(table_list) if table_list else list(_FIN_TABLES)
    return {s: {t: _pd.DataFrame() for t in tables} for s in stock_list}


# -- helpers the real module also has -----------------------------------------------------------------
def datetime_to_timetag(datetime, format = "%Y%m%d%H%M%S"):
    """'YYYYMMDD[HHMMSS]' -> ms (Asia/Shanghai, as on a miniQMT machine)."""
    if len(datetime) == 8:
        format = "%Y%m%d"
    return _dt.datetime.strptime(datetime, format).replace(tzinfo=_SH).timestamp() * 1000


def timetag_to_datetime(timetag, format):
    """ms -> formatted time (Asia/Shanghai, as on a miniQMT machine)."""
    return _ms_to_str(timetag, format)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedError(
        f"sim: xtdata.{name} is not simulated; the sim covers subscriptions (subscribe_quote[2], "
        "subscribe_whole_quote, unsubscribe_quote, run), get_full_tick, K-lines and ticks (get_market_data[_ex], "
        "get_local_data), instrument details, sectors, the trading calendar, ETF PCFs and index weights")

