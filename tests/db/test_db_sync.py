"""Outbox -> real MariaDB: idempotent re-shipping, forward-only orders, quarantine, unreachable/unmigrated mirror."""
from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signals_db.models import NATURAL_KEYS, SYNCED_TABLES
from signals_db.status import ORDER_STATUS_RANK
from signals_db.store import Store
from signals_db.sync import SyncWorker
from signals_db.upsert_sql import mysql_upsert
from signals_db.values import SPECS, now_text
from tests.db.conftest import mysql_rows

pytestmark = pytest.mark.mysql
T0 = 1763688600000


def fill(store: Store, n: int = 50) -> None:
    """A bit of every kind of event and reference row."""
    for i in range(n):
        code = f"{600000 + i:06d}.SH"
        store.record_signal(strategy="offensive", code=code, ts=T0 + i, action="buy", composite_score=70 + i % 30,
                            factor_scores={"flow": i / n}, price=10 + i / 100, reason="资金流入")
        cid = f"c-{i}"
        store.record_order_update(cid, code=code, side="buy", quantity=1000, status="reported", ts=T0 + i,
                                  broker_order_id=9000 + i)
        store.record_order_update(cid, code=code, side="buy", quantity=1000, status="succeeded", filled_qty=1000,
                                  avg_price=10.01, ts=T0 + i + 500)
        store.record_trade(f"T{i}", code=code, side="buy", price=10.01, quantity=1000, ts=T0 + i + 400,
                           client_order_id=cid, amount=10010)
        store.record_alert(f"alert {i}", ts=T0 + i, code=code)
    store.record_positions([{"code": "600000.SH", "volume": 1000, "can_use_volume": 0, "avg_price": 10.01}],
                           snapshot_ts=T0 + 10_000)
    store.upsert_reference("stock_info", [{"code": "600000.SH", "name": "浦发银行", "industry_sw1": "银行",
                                           "layer": "stable", "list_date": "1999-11-10"}])
    store.upsert_reference("index_valuation", [{"index_code": "000300.SH", "trade_date": "2025-11-20", "pe": 12.5}])
    store.record_backtest_run("bt-1", strategy="limit_up_etf", status="finished", total_return=0.12)
    store.record_backtest_log("bt-1", [{"seq": k, "kind": "equity", "payload": {"v": k}} for k in range(5)])


def counts_equal(store: Store, engine) -> dict[str, tuple[int, int]]:
    """Tables whose local and MySQL row counts differ (empty when equal)."""
    out = {}
    for t in SYNCED_TABLES:
        local, remote = store.count(t), mysql_rows(engine, f"SELECT COUNT(*) FROM `{t}`")[0][0]
        if local != remote:
            out[t] = (local, remote)
    return out


def no_duplicates(engine) -> None:
    for t, keys in NATURAL_KEYS.items():
        k = ", ".join(f"`{c}`" for c in keys)
        assert mysql_rows(engine, f"SELECT {k}, COUNT(*) FROM `{t}` GROUP BY {k} HAVING COUNT(*) > 1") == [], t


def test_sync_ships_everything_and_reshipping_is_idempotent(store, mysql_db, mysql_engine):
    fill(store)
    w = SyncWorker(store.path, mysql_db, batch_size=64)
    try:
        rep = w.sync_once()
        assert rep.ok and rep.shipped > 0 and rep.quarantined == 0
        assert counts_equal(store, mysql_engine) == {}
        # as after a crash between the MySQL commit and the local delete: every row is shipped again
        assert store.requeue_all() == sum(store.count(t) for t in SYNCED_TABLES)
        assert w.sync_once().ok
        assert counts_equal(store, mysql_engine) == {}
        no_duplicates(mysql_engine)
        got = mysql_rows(mysql_engine, "SELECT status, filled_qty, avg_price, broker_order_id FROM orders "
                                       "WHERE client_order_id = 'c-7'")
        assert [(s, f, str(a), b) for s, f, a, b in got] == [("succeeded", 1000, "10.0100", "9007")]
        name = mysql_rows(mysql_engine, "SELECT name FROM stock_info")[0][0]
        assert name == "浦发银行"
    finally:
        w.close()


def test_stale_copy_cannot_move_a_mysql_order_backwards(tmp_path, mysql_db, mysql_engine):
    ahead, stale = Store.open(tmp_path / "a.db"), Store.open(tmp_path / "b.db")
    kw = dict(code="600000.SH", side="sell", quantity=500)
    ahead.record_order_update("c-9", status="part_succ", filled_qty=200, ts=T0, **kw)
    ahead.record_order_update("c-9", status="succeeded", filled_qty=500, avg_price=9.9, ts=T0 + 9, **kw)
    stale.record_order_update("c-9", status="reported", ts=T0 + 1, order_sysid="S-1", **kw)
    for s in (ahead, stale):
        w = SyncWorker(s.path, mysql_db)
        assert w.sync_once().ok
        w.close()
        s.close()
    got = mysql_rows(mysql_engine, "SELECT status, status_rank, filled_qty, avg_price, order_sysid, updated_ts FROM orders")
    assert [(a, b, c, str(d), e) for a, b, c, d, e, _ in got] == [("succeeded", 90, 500, "9.9000", "S-1")]


def test_mysql_upsert_matches_sqlite_forward_only(tmp_path, mysql_db, mysql_engine):
    """Property: any update sequence gives the same final order in MySQL (one upsert each) as in SQLite."""
    store = Store.open(tmp_path / "p.db")
    seq = iter(range(10**9))
    conn = mysql_engine.connect()
    sql = mysql_upsert("orders")

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.tuples(st.sampled_from(sorted(ORDER_STATUS_RANK)), st.integers(0, 1000),
                              st.one_of(st.none(), st.floats(1, 100, allow_nan=False).map(lambda x: round(x, 2)))),
                    min_size=1, max_size=8))
    def check(updates):
        cid = f"p-{next(seq)}"
        for i, (status, filled, avg) in enumerate(updates):
            store.record_order_update(cid, code="000001.SZ", side="buy", quantity=1000, status=status,
                                      filled_qty=filled, avg_price=avg, ts=T0 + i)
            params = list(SPECS["orders"].params(dict(
                client_order_id=cid, code="000001.SZ", side="buy", quantity=1000, status=status,
                status_rank=ORDER_STATUS_RANK[status], filled_qty=filled, avg_price=avg, created_ts=T0 + i,
                updated_ts=T0 + i), now_text()))
            conn.exec_driver_sql(sql, [tuple(params)])
        conn.commit()
        want = store.query("SELECT status, status_rank, filled_qty, avg_price, created_ts, updated_ts FROM orders "
                           "WHERE client_order_id = ?", (cid,))[0]
        got = conn.exec_driver_sql("SELECT status, status_rank, filled_qty, avg_price, created_ts, updated_ts "
                                   "FROM orders WHERE client_order_id = %s", (cid,)).one()
        assert (got[0], got[1], got[2]) == want[:3]
        assert (None if got[3] is None else float(got[3])) == want[3]
        assert [g.strftime("%Y-%m-%d %H:%M:%S.%f")[:23] for g in got[4:]] == [w[:23] for w in want[4:]]

    try:
        check()
    finally:
        conn.close()
        store.close()


def test_rejected_rows_are_quarantined_and_do_not_block(store, mysql_db, mysql_engine):
    for i in range(500):
        reason = "过长" * 600 if i in (7, 300) else f"ok {i}"
        store.record_signal(strategy="s", code="600000.SH", ts=T0 + i, action="buy", reason=reason)
    store.upsert_reference("stock_info", [{"code": "000001.SZ", "name": "N" * 40}, {"code": "600000.SH", "name": "浦发"}])
    w = SyncWorker(store.path, mysql_db, batch_size=200)
    try:
        rep = w.sync_once()
        assert rep.error is None and rep.backlog == 0
        assert rep.quarantined == 3 and rep.shipped == 499
        q = store.query("SELECT source, table_name, reason FROM quarantine ORDER BY id")
        assert [(s, t) for s, t, _ in q] == [("mysql", "signals"), ("mysql", "signals"), ("mysql", "stock_info")]
        assert "Data too long for column 'reason'" in q[0][2] and "Data too long for column 'name'" in q[2][2]
        assert mysql_rows(mysql_engine, "SELECT COUNT(*) FROM signals")[0][0] == 498
        assert mysql_rows(mysql_engine, "SELECT code FROM stock_info") == [("600000.SH",)]
        assert store.count("signals") == 500  # the local file keeps the full text
        store.record_signal(strategy="s", code="600000.SH", ts=T0 + 9999, action="sell")
        rep = w.sync_once()
        assert (rep.shipped, rep.quarantined, rep.backlog) == (1, 0, 0)
    finally:
        w.close()


def test_unreachable_mysql_retries_boundedly_and_keeps_the_backlog(store):
    fill(store, 5)
    before = store.backlog()
    w = SyncWorker(store.path, "mysql+pymysql://root@127.0.0.1:1/nowhere", retry_attempts=3, retry_max_wait_s=0.2,
                   connect_timeout=2)
    try:
        t = time.monotonic()
        rep = w.sync_once()
        assert time.monotonic() - t < 30  # bounded by the stop condition (not asserting a duration target)
        assert rep.error and "unreachable after retries" in rep.error and "Connection refused" in rep.error
        assert rep.backlog == before == store.backlog()
        store.record_trade("late", code="600000.SH", side="sell", price=1, quantity=100, ts=T0)
        assert store.backlog() == before + 1
    finally:
        w.close()


def test_unmigrated_mirror_says_what_to_run(store, mysql_url):
    fill(store, 2)
    w = SyncWorker(store.path, mysql_url)
    try:
        rep = w.sync_once()
        assert rep.error and "python -m bridge db upgrade --url" in rep.error
        assert store.quarantined() == 0 and rep.backlog == store.backlog() > 0
    finally:
        w.close()


def test_worker_thread_drains_while_events_arrive(store, mysql_db, mysql_engine):
    w = SyncWorker(store.path, mysql_db, interval_s=0.05)
    w.start()
    try:
        for i in range(300):
            store.record_trade(f"T{i}", code="600000.SH", side="buy", price=10, quantity=100, ts=T0 + i)
        deadline = time.monotonic() + 30
        while store.backlog() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        w.stop()
        w.close()
    assert store.backlog() == 0
    assert mysql_rows(mysql_engine, "SELECT COUNT(*) FROM trades")[0][0] == 300


def test_a_direct_pass_after_stop_ships(store, mysql_db, mysql_engine):
    """stop() ends the thread; sync_once() called afterwards (a final pass) ships again."""
    w = SyncWorker(store.path, mysql_db, interval_s=0.05)
    w.start()
    w.stop()
    try:
        store.record_trade("T-after-stop", code="600000.SH", side="buy", price=10, quantity=100, ts=T0)
        rep = w.sync_once()
        assert rep.ok and rep.shipped >= 1, rep
    finally:
        w.close()
    assert mysql_rows(mysql_engine, "SELECT COUNT(*) FROM trades")[0][0] == 1


def test_cli_sync_once_and_status(tmp_path, mysql_db, mysql_engine, monkeypatch, capsys):
    from bridge.cli import main
    monkeypatch.setenv("SIGNALS_MYSQL_PASSWORD", "")
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "signals.db"
    s = Store.open(db)
    fill(s, 3)
    s.close()
    assert main(["sync", "--status", "--sqlite", str(db)]) == 0
    out = capsys.readouterr().out
    assert "backlog" in out and "backlog 0" not in out
    assert main(["sync", "--once", "--sqlite", str(db), "--mysql-url", mysql_db]) == 0
    out = capsys.readouterr().out
    assert "backlog 0" in out and "quarantined 0" in out
    assert mysql_rows(mysql_engine, "SELECT COUNT(*) FROM signals")[0][0] == 3
    rc = main(["sync", "--once", "--sqlite", str(db), "--mysql-url", "mysql+pymysql://bob:pw-secret-1@127.0.0.1:1/x"])
    cap = capsys.readouterr()
    assert rc == 1 and "pw-secret-1" not in cap.out + cap.err and "bob:***@" in cap.out


TRICKY_TEXT = ["it's", 'say "hi"', "back\\slash", "ends with \\", "\\'", "''", "tab\tnl\nend\r", "100% sure %s %(x)s",
               "emoji 🚀 and 中文 ＡＢＣ", "", "-- comment; DROP TABLE signals", "\x1a ctrl-z"]
TRICKY_FLOATS = [0.1, 4.012, 1e-7, -3.5, 1.7976931348623157e300, 123456.789012345, 2.0 ** 53 + 2]


def test_values_arrive_in_mysql_exactly(store, mysql_db, mysql_engine):
    """The sync sends SQLite-rendered literals: every awkward string and float must arrive unchanged."""
    for i, text in enumerate(TRICKY_TEXT):
        score = TRICKY_FLOATS[i % len(TRICKY_FLOATS)]
        store.record_signal(strategy="s", code="600000.SH", ts=T0 + i, action="buy", reason=text,
                            composite_score=score, factor_scores={"k": text, "v": score}, price=4.012)
    store.record_trade("big", code="600000.SH", side="sell", price=1234.567, quantity=10**12, ts=T0,
                       amount=123456789012.3456, commission=0.1)
    w = SyncWorker(store.path, mysql_db)
    try:
        assert w.sync_once().ok
    finally:
        w.close()
    got = mysql_rows(mysql_engine, "SELECT reason, composite_score, factor_scores, price FROM signals ORDER BY ts")
    assert [g[0] for g in got] == TRICKY_TEXT
    assert [g[1] for g in got] == [TRICKY_FLOATS[i % len(TRICKY_FLOATS)] for i in range(len(TRICKY_TEXT))]
    for i, g in enumerate(got):
        assert json.loads(g[2]) == {"k": TRICKY_TEXT[i], "v": TRICKY_FLOATS[i % len(TRICKY_FLOATS)]}
        assert str(g[3]) == "4.0120"
    trade = mysql_rows(mysql_engine, "SELECT price, quantity, amount, commission FROM trades")[0]
    assert [str(v) for v in trade] == ["1234.5670", str(10**12), "123456789012.3456", "0.1000"]


def test_exit_brackets_in_mysql_only_move_to_higher_versions(tmp_path, mysql_db, mysql_engine):
    ahead, stale = Store.open(tmp_path / "a.db"), Store.open(tmp_path / "b.db")
    ahead.record_bracket("510300.SH", version=5, state={"v": 5}, ts=T0 + 5, stop_loss=4.1)
    stale.record_bracket("510300.SH", version=2, state={"v": 2}, ts=T0 + 2, stop_loss=3.9)
    for s in (ahead, stale):
        w = SyncWorker(s.path, mysql_db)
        assert w.sync_once().ok
        w.close()
        s.close()
    got = mysql_rows(mysql_engine, "SELECT version, state, stop_loss FROM exit_brackets")
    assert [(v, json.loads(st), str(sl)) for v, st, sl in got] == [(5, {"v": 5}, "4.1000")]


def test_outbox_entry_for_an_unknown_table_is_set_aside(store, mysql_db, mysql_engine):
    store.record_trade("T1", code="600000.SH", side="buy", price=10, quantity=100, ts=T0)
    with store.transaction():
        store._conn.execute("INSERT INTO outbox (table_name, row_id, created_at) VALUES ('future_table', 1, ?)",
                            (now_text(),))
    store.record_trade("T2", code="600000.SH", side="buy", price=10, quantity=100, ts=T0)
    w = SyncWorker(store.path, mysql_db)
    try:
        rep = w.sync_once()
    finally:
        w.close()
    assert rep.ok and (rep.shipped, rep.quarantined) == (2, 1)
    assert store.query("SELECT source, table_name FROM quarantine") == [("sync", "future_table")]
    assert mysql_rows(mysql_engine, "SELECT COUNT(*) FROM trades")[0][0] == 2


def test_non_finite_value_already_in_the_file_is_quarantined(store, mysql_db, mysql_engine):
    """A row that bypassed the store's checks (older version, hand edit) with an infinite price: quarantined."""
    store.record_trade("ok-1", code="600000.SH", side="buy", price=10, quantity=100, ts=T0)
    with store.transaction():
        store._conn.execute("INSERT INTO trades (account_id, trade_date, traded_id, code, side, price, quantity, ts, recorded_at) "
                            "VALUES ('', '2025-11-21', 'bad-inf', '600000.SH', 'buy', 9e999, 100, "
                            "'2025-11-21 09:30:00.000000', ?)",
                            (now_text(),))
        rid = store._conn.execute("SELECT id FROM trades WHERE traded_id = 'bad-inf'").fetchone()[0]
        store._conn.execute("INSERT INTO outbox (table_name, row_id, created_at) VALUES ('trades', ?, ?)",
                            (rid, now_text()))
    store.record_trade("ok-2", code="600000.SH", side="buy", price=10, quantity=100, ts=T0)
    w = SyncWorker(store.path, mysql_db)
    try:
        rep = w.sync_once()
    finally:
        w.close()
    assert rep.ok and (rep.shipped, rep.quarantined) == (2, 1)
    reason = store.query("SELECT reason FROM quarantine")[0][0]
    assert reason.startswith("mysql error") and "price" in reason
    assert sorted(r[0] for r in mysql_rows(mysql_engine, "SELECT traded_id FROM trades")) == ["ok-1", "ok-2"]
