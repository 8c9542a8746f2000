"""Fake xtdata: real return shapes from the simulated World."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

import sim

TICK_KEYS = {"time", "lastPrice", "open", "high", "low", "lastClose", "amount", "volume", "pvolume", "stockStatus",
             "openInt", "askPrice", "bidPrice", "askVol", "bidVol"}


def test_whole_quote_pushes_code_to_tick_on_one_thread(xt):
    rt, xtdata, *_ = xt
    got = []
    seq = xtdata.subscribe_whole_quote(["SH", "SZ"], lambda d: got.append((d, threading.current_thread().name)))
    assert isinstance(seq, int) and seq > 0
    sim.advance(3)
    assert len(got) == 3
    data, thread = got[0]
    assert thread == "xtdata-callback"
    _code, tick = next(iter(data.items()))
    assert TICK_KEYS <= set(tick) and len(tick["askPrice"]) == 5
    expected = {c for c in rt.world.instruments if c.endswith((".SH", ".SZ"))}
    assert set(data) <= expected and expected - set(data) <= rt.world.suspended   # the open quotes every live code
    again = next(c for c in got[1][0] if c in data)      # pushes carry the codes whose quote changed
    assert got[1][0][again]["time"] > data[again]["time"]


def test_whole_quote_by_codes_and_unsubscribe(xt):
    rt, xtdata, *_ = xt
    codes = [c for c in sorted(rt.world.instruments) if c not in rt.world.suspended][:2]
    got = []
    seq = xtdata.subscribe_whole_quote(codes, got.append)
    sim.advance(1)                                   # the first snapshot quotes every code
    assert [set(d) for d in got] == [set(codes)]
    sim.advance(30)                                  # later pushes carry only the codes whose quote changed
    assert len(got) > 5 and all(set(d) <= set(codes) and d for d in got)
    xtdata.unsubscribe_quote(seq)
    n = len(got)
    sim.advance(30)
    assert len(got) == n


def test_subscribe_quote_tick_gives_lists_and_kline_bars(xt):
    rt, xtdata, *_ = xt
    code = "600000.SH"
    ticks, bars, days = [], [], []
    s1 = xtdata.subscribe_quote(code, period="tick", callback=ticks.append)
    s2 = xtdata.subscribe_quote(code, period="1m", count=-1, callback=bars.append)
    s3 = xtdata.subscribe_quote2(code, "1d", "", "", 0, "none", days.append)
    assert s1 < s2 < s3
    sim.run_until("09:35:00")
    assert isinstance(ticks[-1][code], list) and TICK_KEYS <= set(ticks[-1][code][0])
    bar = bars[-1][code][0]
    assert {"time", "open", "high", "low", "close", "volume", "amount"} <= set(bar)
    assert bar["low"] <= bar["close"] <= bar["high"]
    day = days[-1][code][0]
    assert day["close"] == ticks[-1][code][0]["lastPrice"]
    frame = xtdata.get_market_data_ex([], [code], period="tick")[code]
    assert len(frame) == len(ticks) and frame.index[0].startswith(rt.world.trade_date.strftime("%Y%m%d"))
    arr = xtdata.get_market_data(["time", "lastPrice"], [code], period="tick")[code]
    assert arr.dtype.names == ("time", "lastPrice") and len(arr) == len(ticks)
    with pytest.raises(NotImplementedError, match="'15m' is not simulated"):
        xtdata.get_market_data_ex([], [code], period="15m")


def test_get_full_tick(xt):
    rt, xtdata, *_ = xt
    sim.advance(1)
    etf = xtdata.get_stock_list_in_sector("沪深ETF")[0]
    ticks = xtdata.get_full_tick(["600000.SH", etf])
    assert set(ticks) == {"600000.SH", etf} and TICK_KEYS <= set(ticks["600000.SH"])
    assert len(xtdata.get_full_tick(["SH"])) == sum(c.endswith(".SH") for c in rt.world.instruments)


def test_get_market_data_shapes(xt):
    _rt, xtdata, *_ = xt
    codes = ["600000.SH", "000001.SZ"]
    data = xtdata.get_market_data(["close", "volume"], codes, period="1d", count=10)
    assert set(data) == {"close", "volume"}
    close = data["close"]
    assert isinstance(close, pd.DataFrame) and list(close.index) == codes and close.shape[1] == 10
    assert all(len(c) == 8 for c in close.columns)
    ex = xtdata.get_market_data_ex([], codes, period="1d", count=5)
    assert set(ex) == set(codes) and len(ex["600000.SH"]) == 5
    assert {"open", "high", "low", "close", "volume", "amount"} <= set(ex["600000.SH"].columns)
    local = xtdata.get_local_data(["close"], codes, period="1d", count=3)
    assert list(local["000001.SZ"].columns) == ["close"]


def test_reference_data(xt):
    _rt, xtdata, *_ = xt
    detail = xtdata.get_instrument_detail("600000.SH")
    assert {"InstrumentName", "UpStopPrice", "DownStopPrice", "PreClose", "PriceTick", "FloatVolume"} <= set(detail)
    assert xtdata.get_instrument_detail("999999.SH") is None
    assert set(xtdata.get_instrument_detail_list(["600000.SH", "000001.SZ"])) == {"600000.SH", "000001.SZ"}
    sectors = xtdata.get_sector_list()
    assert "沪深A股" in sectors and "沪深ETF" in sectors
    a_shares = xtdata.get_stock_list_in_sector("沪深A股")
    assert "600000.SH" in a_shares and len(a_shares) == 39      # 40 stocks, one of them on the BSE
    assert len(xtdata.get_stock_list_in_sector("沪深京A股")) == 40
    etfs = xtdata.get_etf_info()
    code, pcf = next(iter(etfs.items()))
    assert code.endswith((".SH", ".SZ")) and "成份股信息" in pcf
    dates = xtdata.get_trading_dates("SH", count=5)
    assert len(dates) == 5 and all(isinstance(d, int) for d in dates) and dates == sorted(dates)
    cal = xtdata.get_trading_calendar("SH", "20240101", "20240131")
    assert cal[0] == "20240102" and all(len(d) == 8 for d in cal)
    with pytest.raises(Exception, match="SH,SZ"):
        xtdata.get_trading_calendar("IF")
    assert "20240101" in xtdata.get_holidays()
    weights = xtdata.get_index_weight("000300.SH")
    assert weights and abs(sum(weights.values()) - 100) < 0.1
    assert list(xtdata.get_divid_factors("600000.SH").columns)[:2] == ["interest", "stockBonus"]
    fin = xtdata.get_financial_data(["600000.SH"], ["Balance"])
    assert list(fin["600000.SH"]) == ["Balance"]
    assert xtdata.download_history_data("600000.SH", "1d") is None
    assert xtdata.download_history_data2(["600000.SH"], "1d") == {}
    assert xtdata.download_sector_data() is None and xtdata.download_etf_info() is None


def test_run_returns_when_the_session_ends(xt):
    rt, xtdata, *_ = xt
    n = []
    xtdata.subscribe_whole_quote(["SH"], lambda d: n.append(1))
    xtdata.run()
    assert rt.ended and len(n) > 4000


def test_unsimulated_function_raises_naming_it(xt):
    _, xtdata, *_ = xt
    with pytest.raises(NotImplementedError, match="get_l2_quote"):
        xtdata.get_l2_quote()


def test_connect_reconnect_disconnect(xt):
    _rt, xtdata, *_ = xt
    client = xtdata.connect()
    assert client.is_connected()
    got = []
    xtdata.subscribe_whole_quote(["SH"], got.append)
    xtdata.disconnect()
    assert not client.is_connected()
    sim.advance(1)
    assert got == []                      # subscriptions belong to the connection
    assert xtdata.reconnect().is_connected()


def test_waiting_for_time_inside_a_quote_callback_is_refused(xt):
    _, xtdata, *_ = xt
    errors = []

    def on_data(datas):
        try:
            xtdata.run()
        except RuntimeError as exc:
            errors.append(str(exc))

    xtdata.subscribe_whole_quote(["SH"], on_data)
    sim.advance(1)
    assert errors and "would stop the simulated clock" in errors[0]


def test_minute_bars_so_far(xt):
    _, xtdata, *_ = xt
    sim.run_until("10:00:00")
    bars = xtdata.get_market_data_ex(["open", "close", "volume"], ["600000.SH"], period="1m")["600000.SH"]
    assert 25 <= len(bars) <= 31 and all(len(i) == 14 for i in bars.index)
    assert list(bars.columns) == ["open", "close", "volume"]
    five = xtdata.get_market_data(["close"], ["600000.SH", "000001.SZ"], period="5m")["close"]
    assert list(five.index) == ["600000.SH", "000001.SZ"] and 5 <= five.shape[1] <= 7
