"""ETF -> index auto-mapping (mapped / unmappable / pending), PE percentile and light, on a real SQLite store."""
import datetime as dt

import numpy as np
import pandas as pd

from bridge import valuation as bv
from bridge.refdata.source import read_fixture
from config.offensive_schema import load_offensive

D = dt.date
ALIASES = load_offensive().valuation.aliases
INDEXES = pd.DataFrame({"index_code": ["000300", "399673", "399006", "000015", "000932"],
                        "name": ["沪深300", "创业板50", "创业板指", "上证红利", "中证消费"]})


def test_names_and_matching():
    assert bv.clean_name("沪深300ETF华夏") == "沪深300"
    assert bv.classify("纳指ETF") == "cross-border" and bv.classify("国债ETF") == "non-equity"
    assert bv.classify("证券ETF") is None
    assert bv.match_index("沪深300ETF易方达", INDEXES, ALIASES) == ("000300", "沪深300")
    assert bv.match_index("创业板50ETF", INDEXES, ALIASES) == ("399673", "创业板50")      # longest wins over 创业板
    assert bv.match_index("创业板ETF", INDEXES, ALIASES) == ("399006", "创业板指")         # via the alias table
    assert bv.match_index("证券ETF", INDEXES, ALIASES)[0] == "399975"
    assert bv.match_index("稀奇古怪ETF", INDEXES, ALIASES) == (None, None)


def _etf(store, code, name):
    store.upsert_reference("etf_info", [{"code": code, "name": name}])


def test_three_failed_matches_make_unmappable(store):
    _etf(store, "159999.SZ", "稀奇古怪ETF")
    states = [bv.map_one(store, "159999.SZ", "稀奇古怪ETF", INDEXES, ALIASES)[0] for _ in range(3)]
    assert states == ["pending", "pending", "unmappable"]
    assert store.query("SELECT status, attempts, last_error FROM etf_index_map") == [
        ("unmappable", 3, "no index name or alias found in '稀奇古怪ETF'")]


def test_map_pending_small_batches_and_states(store, recorded):
    for code, name in [("510300.SH", "沪深300ETF"), ("513100.SH", "纳指ETF"), ("159998.SZ", "无名ETF"),
                       ("512880.SH", "证券ETF")]:
        _etf(store, code, name)
    # ordered by code: 159998 (no match: pending), 510300 (mapped)
    assert bv.map_pending(store, ALIASES, {"512880.SH": "399975"}, batch_size=2) == {
        "mapped": 1, "unmappable": 0, "pending": 1}
    rest = bv.map_pending(store, ALIASES, {"512880.SH": "399975"}, batch_size=10)
    assert rest == {"mapped": 1, "unmappable": 1, "pending": 1}
    got = dict(store.query("SELECT etf_code, status FROM etf_index_map"))
    assert got == {"159998.SZ": "pending", "510300.SH": "mapped", "512880.SH": "mapped", "513100.SH": "unmappable"}
    assert store.query("SELECT index_code, index_name FROM etf_info WHERE code='510300.SH'") == [("000300", "沪深300")]
    # only the pending one is retried; its third failure makes it unmappable
    assert bv.map_pending(store, ALIASES, batch_size=10) == {"mapped": 0, "unmappable": 1, "pending": 0}
    assert bv.map_pending(store, ALIASES, batch_size=10) == {"mapped": 0, "unmappable": 0, "pending": 0}


def test_percentile_and_light_match_the_recorded_history(store, recorded):
    r = bv.etf_valuation(store, "510300.SH", aliases=ALIASES, today=D(2026, 11, 20))
    hist = read_fixture(recorded / "stock_zh_index_hist_csindex@000300.csv")
    pe = hist["滚动市盈率"].astype(float).to_numpy()
    expected = np.count_nonzero(pe <= pe[-1]) * 100.0 / len(pe)
    assert (r.index_code, r.index_name, r.source, r.points) == ("000300", "沪深300", "csindex", 760)
    assert r.pe == pe[-1] and abs(r.percentile - expected) < 1e-9
    assert r.light == ("green" if expected <= 30 else "red" if expected >= 70 else "yellow")
    assert "history covers 2.9 of 5 years" in r.note
    # stored with its percentile; a second call fetches nothing new
    assert store.query("SELECT pe_percentile FROM index_valuation WHERE index_code='000300' "
                       "AND trade_date='2026-11-20'")[0][0] == r.percentile
    assert bv.update_index_history(store, "000300", 5, D(2026, 11, 20)) == (0, None)


def test_no_percentile_cases_are_stated(store, recorded):
    cross = bv.etf_valuation(store, "513100.SH", aliases=ALIASES, today=D(2026, 11, 20))
    assert (cross.percentile, cross.light) == (None, "none")
    assert cross.note == "unmappable: cross-border ETF: no CSI equity PE-TTM history, so no percentile"
    short = bv.etf_valuation(store, "512800.SH", aliases=ALIASES, known_index="399986", min_points=1000,
                             today=D(2026, 11, 20))
    assert short.percentile is None and short.note == "only 760 PE observations (< 1000): no percentile"
    again = bv.etf_valuation(store, "513100.SH", aliases=ALIASES, today=D(2026, 11, 20))
    assert again.note.startswith("unmappable after 1 attempt(s): cross-border ETF")


def test_legulegu_fallback_for_index_csi_does_not_serve(store, recorded):
    _etf(store, "159949.SZ", "创业板50ETF")
    r = bv.etf_valuation(store, "159949.SZ", aliases=ALIASES, today=D(2026, 11, 20))
    assert (r.index_code, r.source) == ("399673", "legulegu") and r.percentile is not None


def test_fragments_must_cover_most_of_the_name():
    assert bv.match_index("医疗器械ETF", INDEXES, ALIASES) == (None, None)       # not 中证医疗
    assert bv.match_index("医疗ETF", INDEXES, ALIASES)[0] == "399989"
    assert bv.match_index("酒ETF", INDEXES, ALIASES)[0] == "399987"              # one-character alias, exact
    assert bv.match_index("非银金融ETF", INDEXES, ALIASES)[0] == "399966"
    assert bv.match_index("中证消费ETF", INDEXES, ALIASES) == ("000932", "中证消费")


def test_never_tried_etfs_come_before_pending_ones(store, recorded):
    for code, name in [("159001.SZ", "甲ETF"), ("159002.SZ", "乙ETF"), ("510300.SH", "沪深300ETF")]:
        _etf(store, code, name)
    bv.map_one(store, "159001.SZ", "甲ETF", INDEXES, ALIASES)
    bv.map_one(store, "159002.SZ", "乙ETF", INDEXES, ALIASES)
    # batch of one: the never-tried 510300 goes first although its code sorts last
    assert bv.map_pending(store, ALIASES, batch_size=1) == {"mapped": 1, "unmappable": 0, "pending": 0}
