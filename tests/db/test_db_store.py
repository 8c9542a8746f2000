"""The local store on a real SQLite file: idempotent events, forward-only orders, validation, outbox rows."""
from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from signals_db.models import NATURAL_KEYS, Order, Signal
from signals_db.status import ORDER_STATUS_RANK, XT_ORDER_STATUS, status_name
from signals_db.store import Store, StoreConfigError, require_local_file
from signals_db.values import SHANGHAI, InvalidRow, parse_ts, ts_ms, ts_text

T0 = 1763688600000  # 2025-11-21 09:30:00 +08:00


def _order(store, cid="c-1", status="reported", filled=0, ts=T0, **kw):
    return store.record_order_update(cid, code="510300.SH", side="buy", quantity=1000, status=status,
                                     filled_qty=filled, ts=ts, **kw)


def test_event_and_outbox_row_written_together(store):
    sid = store.record_signal(strategy="limit_up_etf", code="510300.SH", ts=T0, action="buy",
                              factor_scores={"momentum": 0.8}, composite_score=81.5, price=4.012,
                              take_profit=4.2, stop_loss=3.9, reason="涨停股权重 12%")
    assert store.count("signals") == 1
    assert store.query("SELECT table_name, row_id FROM outbox") == [("signals", 1)]
    with Session(store.engine) as s:
        sig = s.query(Signal).one()
        assert sig.signal_id == sid and sig.factor_scores == {"momentum": 0.8}
        assert str(sig.price) == "4.0120" and sig.ts == dt.datetime(2025, 11, 21, 9, 30)


def test_replayed_events_store_nothing_and_queue_nothing(store):
    for _ in range(3):
        store.record_signal(strategy="s", code="600000.SH", ts=T0, action="sell")
        store.record_trade("T-1", code="600000.SH", side="buy", price=10.01, quantity=100, ts=T0)
        store.record_alert("limit-up broken", ts=T0, code="600000.SH", kind="limit_up_break")
        store.record_position(code="600000.SH", volume=100, can_use_volume=0, snapshot_ts=T0)
        _order(store)
    counts = {t: store.count(t) for t in ("signals", "trades", "alerts_log", "positions", "orders",
                                          "order_status_history")}
    assert counts == dict.fromkeys(counts, 1)
    assert store.backlog() == 6


def test_order_status_only_moves_forward(store):
    assert _order(store, status="reported", broker_order_id=1001)
    assert _order(store, status=55, filled=300, avg_price=4.01, ts=T0 + 1000)  # xtquant ORDER_PART_SUCC
    assert not _order(store, status="reported", ts=T0 + 2000)  # late, older update: ignored
    assert _order(store, status="succeeded", filled=1000, avg_price=4.02, ts=T0 + 3000)
    assert not _order(store, status="canceled", filled=1000, ts=T0 + 4000)  # terminal stays terminal
    with Session(store.engine) as s:
        o = s.query(Order).one()
        assert (o.status, o.filled_qty, str(o.avg_price), o.broker_order_id) == ("succeeded", 1000, "4.0200", "1001")
        assert o.created_ts == dt.datetime(2025, 11, 21, 9, 30) and o.updated_ts == dt.datetime(2025, 11, 21, 9, 30, 3)  # last accepted change
    hist = store.query("SELECT status, filled_qty FROM order_status_history ORDER BY id")
    assert hist == [("reported", 0), ("part_succ", 300), ("succeeded", 1000), ("canceled", 1000)]


def test_ids_filled_in_once_known(store):
    _order(store, status="unreported")
    assert _order(store, status="unreported", broker_order_id=77, order_sysid="SYS9")
    assert store.query("SELECT broker_order_id, order_sysid FROM orders") == [("77", "SYS9")]


UPDATES = st.lists(st.tuples(st.sampled_from(sorted(ORDER_STATUS_RANK)), st.integers(0, 1000)), min_size=1,
                   max_size=12)


def test_forward_only_property(tmp_path):
    """Whatever order updates arrive in, the stored order is the max rank (first to reach it) and max fill."""
    s = Store.open(tmp_path / "p.db")
    seq = iter(range(10**9))

    @settings(max_examples=150, deadline=None)
    @given(UPDATES)
    def check(updates):
        cid = f"c-{next(seq)}"
        for i, (status, filled) in enumerate(updates):
            _order(s, cid=cid, status=status, filled=filled, ts=T0 + i)
        top = max(ORDER_STATUS_RANK[st_] for st_, _ in updates)
        first_top = next(st_ for st_, _ in updates if ORDER_STATUS_RANK[st_] == top)
        assert s.query("SELECT status, status_rank, filled_qty FROM orders WHERE client_order_id = ?", (cid,)) == [
            (first_top, top, max(f for _, f in updates))]

    try:
        check()
    finally:
        s.close()


@pytest.mark.parametrize(("field", "value", "needle"), [
    ("price", float("nan"), "signals.price = nan rejected"),
    ("stop_loss", math.inf, "signals.stop_loss = inf rejected"),
    ("price", -1, "negative"),
    ("code", "600000", "is not a code as QMT writes it"),
    ("code", "ABC.XX", "is not a code as QMT writes it"),
    ("factor_scores", {"x": float("nan")}, "signals.factor_scores"),
    ("color", "red", "unknown field(s) ['color']"),
])
def test_bad_values_rejected_with_clear_error_and_nothing_stored(store, field, value, needle):
    row = {"strategy": "s", "code": "600000.SH", "ts": T0, "action": "buy", field: value}
    with pytest.raises(InvalidRow) as err:
        store.record_signal(**row)
    assert needle in str(err.value)
    assert store.count("signals") == 0 and store.backlog() == 0


def test_bad_order_inputs(store):
    with pytest.raises(InvalidRow, match="order status 'filled' is unknown"):
        _order(store, status="filled")
    with pytest.raises(InvalidRow, match="exceeds quantity"):
        _order(store, status="part_succ", filled=2000)
    with pytest.raises(InvalidRow, match="orders.side"):
        store.record_order_update("c", code="600000.SH", side="long", quantity=100, status="reported", ts=T0)
    with pytest.raises(InvalidRow, match="positive quantity"):
        store.record_trade("t", code="600000.SH", side="buy", price=1, quantity=0, ts=T0)
    assert store.backlog() == 0


def test_reference_upsert_all_or_nothing_and_only_changes_queued(store):
    rows = [{"code": "600000.SH", "trade_date": "20251120", "open": 10, "close": 10.2, "volume": 1_000_000},
            {"code": "000001.SZ", "trade_date": dt.date(2025, 11, 20), "close": 11.5, "is_suspended": False}]
    assert store.upsert_reference("daily_quote", rows) == 2
    assert store.upsert_reference("daily_quote", rows) == 0  # unchanged: no rewrite, no outbox row
    assert store.upsert_reference("daily_quote", [{**rows[0], "close": 10.3}]) == 1
    assert store.backlog() == 3
    with pytest.raises(InvalidRow, match=r"row 1: daily_quote.close = nan"):
        store.upsert_reference("daily_quote", [{**rows[0], "close": 10.9}, {**rows[1], "close": float("nan")}])
    assert store.query("SELECT close FROM daily_quote WHERE code='600000.SH'") == [(10.3,)]  # batch rolled back
    with pytest.raises(InvalidRow, match="not reference data"):
        store.upsert_reference("orders", rows)


def test_etf_index_map_attempts(store):
    assert store.mark_etf_index("159915.SZ", "pending", error="no basket yet") == 1
    assert store.mark_etf_index("159915.SZ", "unmappable", error="index not found") == 2
    assert store.mark_etf_index("159915.SZ", "mapped", index_code="399006.SZ") == 3
    assert store.query("SELECT index_code, status, attempts FROM etf_index_map") == [("399006.SZ", "mapped", 3)]


def test_every_natural_key_is_unique_in_the_schema(store):
    for table, cols in NATURAL_KEYS.items():
        idx = [r for r in store.query(f"PRAGMA index_list({table})") if r[2] == 1]
        got = {tuple(c[2] for c in store.query(f"PRAGMA index_info({r[1]})")) for r in idx}
        assert cols in got, table


def test_time_conversions():
    assert ts_text(T0) == "2025-11-21 09:30:00.000000"
    aware = dt.datetime(2025, 11, 21, 1, 30, tzinfo=dt.UTC)
    assert ts_text(aware) == "2025-11-21 09:30:00.000000"
    assert ts_ms(ts_text(T0 + 123)) == T0 + 123
    assert parse_ts(ts_text(T0)).tzinfo is SHANGHAI


def test_status_table_covers_every_xtconstant_order_status():
    import re
    from pathlib import Path
    text = Path("/tmp/ref/xtq/xtquant/xtconstant.py")
    if text.exists():
        consts = {int(v) for n, v in re.findall(r"^(ORDER_[A-Z_]+)\s*=\s*(\d+)", text.read_text(), re.M)
                  if n in {"ORDER_UNREPORTED", "ORDER_WAIT_REPORTING", "ORDER_REPORTED", "ORDER_REPORTED_CANCEL",
                           "ORDER_PARTSUCC_CANCEL", "ORDER_PART_CANCEL", "ORDER_CANCELED", "ORDER_PART_SUCC",
                           "ORDER_SUCCEEDED", "ORDER_JUNK", "ORDER_UNKNOWN"}}
        assert consts == set(XT_ORDER_STATUS)
    assert all(status_name(v) in ORDER_STATUS_RANK for v in XT_ORDER_STATUS)


def test_mysql_only_refused_for_live_trading():
    with pytest.raises(StoreConfigError, match="live trading needs a local SQLite file"):
        require_local_file(None, "mysql+pymysql://u@h/db", live=True)
    require_local_file(None, "mysql+pymysql://u@h/db", live=False)
    require_local_file("data/signals.db", None, live=True)
    with pytest.raises(StoreConfigError, match="sqlite_path is empty"):
        Store.open("")


def test_concurrent_writers_from_threads(store):
    import threading
    def work(k):
        for i in range(200):
            store.record_trade(f"T{k}-{i}", code="600000.SH", side="buy", price=10, quantity=100, ts=T0 + i)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count("trades") == 800 and store.backlog() == 800


def _open_and_write(args):
    path, i = args
    s = Store.open(path)
    try:
        s.record_alert(f"from process {i}", ts=T0 + i)
    finally:
        s.close()
    return i


def test_processes_opening_a_new_file_at_once_take_turns_migrating(tmp_path):
    """Runner and `bridge sync` started together on a fresh machine: both open (and migrate) the same file."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    path = tmp_path / "new" / "signals.db"
    # forkserver: forking the (multi-threaded) pytest worker itself could deadlock the children
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("forkserver")) as ex:
        assert sorted(ex.map(_open_and_write, [(path, i) for i in range(4)])) == [0, 1, 2, 3]
    with Store.open(path) as s:
        assert s.count("alerts_log") == 4
        assert s.query("PRAGMA journal_mode") == [("wal",)]


def test_reference_columns_left_out_keep_their_stored_value(store):
    store.upsert_reference("etf_info", [{"code": "510300.SH", "name": "沪深300ETF", "index_code": "000300.SH",
                                         "list_date": "20120528"}])
    assert store.upsert_reference("etf_info", [{"code": "510300.SH", "name": "300ETF华泰柏瑞"}]) == 1
    assert store.upsert_reference("etf_info", [{"code": "510300.SH", "name": "300ETF华泰柏瑞"}]) == 0
    assert store.query("SELECT name, index_code, list_date FROM etf_info") == [("300ETF华泰柏瑞", "000300.SH", "2012-05-28")]
    store.upsert_reference("etf_info", [{"code": "510300.SH", "index_code": None}])  # explicit None clears
    assert store.query("SELECT index_code FROM etf_info") == [(None,)]
    store.upsert_reference("index_valuation", [{"index_code": "000300.SH", "trade_date": "2025-11-20", "pe": 12.1}])
    store.upsert_reference("index_valuation", [{"index_code": "000300.SH", "trade_date": "20251120", "pe_percentile": 35.0}])
    assert store.query("SELECT trade_date, pe, pe_percentile FROM index_valuation") == [("2025-11-20", 12.1, 35.0)]
    with pytest.raises(InvalidRow, match="row 0: etf_info.code is required"):
        store.upsert_reference("etf_info", [{"name": "x"}])


def test_exit_bracket_latest_version_wins(store):
    state = {"stop_loss": 3.9, "take_profit": [[4.2, 0.5], [4.4, 1.0]], "stage": 0}
    assert store.record_bracket("510300.SH", version=1, state=state, ts=T0, entry_client_order_id="c-1",
                                strategy="limit_up_etf", entry_price=4.0, stop_loss=3.9, take_profit=4.2)
    assert store.record_bracket("510300.SH", version=3, state={**state, "stage": 1}, ts=T0 + 2, stage=1,
                                entry_client_order_id="c-1", stop_loss=4.0)
    assert not store.record_bracket("510300.SH", version=2, state=state, ts=T0 + 1, entry_client_order_id="c-1")
    assert store.record_bracket("600000.SH", version=1, state=None, ts=T0, active=False)
    got = store.load_brackets()
    assert [(b["code"], b["version"], b["stage"], b["state"]["stage"] if b["state"] else None) for b in got] == [
        ("510300.SH", 3, 1, 1), ("600000.SH", 1, None, None)]
    assert got[0]["ts_ms"] == T0 + 2 and got[0]["stop_loss"] == 4.0
    assert [b["code"] for b in store.load_brackets(active_only=True)] == ["510300.SH"]
    assert store.query("SELECT COUNT(*) FROM outbox WHERE table_name = 'exit_brackets'") == [(3,)]


def test_file_from_a_newer_version_gives_a_clear_error(tmp_path):
    path = tmp_path / "newer.db"
    Store.open(path).close()
    import sqlite3
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreConfigError, match="schema revision '9999'.*newer version of the toolkit"):
        Store.open(path)
