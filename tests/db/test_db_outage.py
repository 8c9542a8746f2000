"""10,000 events while the connection to MariaDB is cut for part of the run (TCP proxy), then restored."""
from __future__ import annotations

import random
import threading
import time

import pytest

from signals_db.sync import SyncWorker
from tests.db.conftest import mysql_rows
from tests.db.test_db_sync import counts_equal, no_duplicates

# the cut leaves server-side sessions the server has not noticed yet (what wait_timeout=300 is for): the fixture
# kills them when it drops the database, without a warning for these tests
pytestmark = [pytest.mark.mysql, pytest.mark.slow, pytest.mark.cuts_connections]
T0 = 1763688600000
N_EVENTS = 10_000


def _events(rng: random.Random):
    """A trading-day-like stream: signals, orders moving through statuses, fills, positions, alerts."""
    orders: dict[str, list] = {}
    n = 0
    k = 0
    while n < N_EVENTS:
        r = rng.random()
        code = f"{rng.choice((600000, 600519, 510300, 159915 - 100000)) + rng.randrange(5):06d}." + rng.choice(("SH", "SZ"))
        ts = T0 + n * 7
        if r < 0.25:
            yield "signal", dict(strategy=rng.choice(("limit_up_etf", "offensive")), code=code, ts=ts,
                                 action=rng.choice(("buy", "sell", "alert")), composite_score=rng.random() * 100)
        elif r < 0.45 or not orders:
            k += 1
            cid = f"c-{k}"
            orders[cid] = [code, 0]
            yield "order", dict(client_order_id=cid, code=code, side="buy", quantity=1000, status="reported", ts=ts)
        elif r < 0.80:
            cid = rng.choice(list(orders))
            code, filled = orders[cid]
            step = rng.choice((100, 300, 600))
            filled = min(1000, filled + step)
            orders[cid][1] = filled
            status = "succeeded" if filled == 1000 else rng.choice(("part_succ", "part_succ", "reported_cancel"))
            yield "trade", dict(traded_id=f"{cid}-{filled}", code=code, side="buy", price=10.0, quantity=step, ts=ts,
                                client_order_id=cid)
            yield "order", dict(client_order_id=cid, code=code, side="buy", quantity=1000, status=status,
                                filled_qty=filled, avg_price=10.0, ts=ts)
            n += 1
            if filled == 1000 or status == "reported_cancel" and rng.random() < 0.5:
                if filled < 1000:
                    yield "order", dict(client_order_id=cid, code=code, side="buy", quantity=1000,
                                        status="part_cancel", filled_qty=filled, ts=ts + 1)
                    n += 1
                del orders[cid]
        elif r < 0.95:
            yield "position", dict(code=code, volume=rng.randrange(1, 50) * 100, can_use_volume=0, snapshot_ts=ts)
        else:
            yield "alert", dict(message=f"limit-up broken {code}", ts=ts, code=code, kind="limit_up_break")
        n += 1


def _write(store, kind: str, ev: dict) -> None:
    if kind == "signal":
        store.record_signal(**ev)
    elif kind == "order":
        cid = ev.pop("client_order_id")
        store.record_order_update(cid, **ev)
    elif kind == "trade":
        store.record_trade(ev.pop("traded_id"), **ev)
    elif kind == "position":
        store.record_position(**ev)
    else:
        store.record_alert(ev.pop("message"), **ev)


def test_ten_thousand_events_through_an_outage(store, proxy, mysql_engine):
    prox, url = proxy
    w = SyncWorker(store.path, url, batch_size=500, interval_s=0.02, retry_attempts=3, retry_max_wait_s=0.2,
                   max_pause_s=0.3, connect_timeout=2, io_timeout=5)
    w.start()
    rng = random.Random(20251121)
    written = 0
    backlog_during_cut = []
    try:
        for kind, ev in _events(rng):
            _write(store, kind, ev)
            written += 1
            if written == 2_500:
                prox.cut()
            if written == 7_500:
                backlog_during_cut.append(store.backlog())
                prox.restore()
        assert written >= N_EVENTS
        deadline = time.monotonic() + 60
        while store.backlog() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        w.stop()
    # one more pass after the thread stopped: nothing left, nothing failing
    rep = w.sync_once()
    w.close()
    assert rep.ok, rep
    assert backlog_during_cut[0] > 1_000  # the outbox really did hold the events while MySQL was cut
    assert prox.connections >= 2  # and the worker reconnected after the cut
    assert store.backlog() == 0 and store.quarantined() == 0
    assert counts_equal(store, mysql_engine) == {}
    no_duplicates(mysql_engine)
    local = set(store.query("SELECT client_order_id, status, filled_qty FROM orders"))
    remote = set(mysql_rows(mysql_engine, "SELECT client_order_id, status, filled_qty FROM orders"))
    assert local == remote and len(local) > 500
    hist_local = store.count("order_status_history")
    assert mysql_rows(mysql_engine, "SELECT COUNT(*) FROM order_status_history")[0][0] == hist_local


def test_writer_is_never_blocked_by_a_hanging_sync(store, proxy):
    """While the sync thread is stuck in retries, local writes from another thread keep going."""
    prox, url = proxy
    prox.cut()
    w = SyncWorker(store.path, url, interval_s=0.01, retry_attempts=50, retry_max_wait_s=0.5, connect_timeout=2)
    store.record_alert("first", ts=T0)
    w.start()
    done = threading.Event()

    def writer():
        for i in range(500):
            store.record_trade(f"T{i}", code="600000.SH", side="buy", price=1, quantity=100, ts=T0 + i)
        done.set()

    threading.Thread(target=writer).start()
    assert done.wait(30)
    assert store.backlog() == 501
    prox.restore()
    w.stop(timeout=30)
    w.close()


def test_stalled_network_is_noticed_by_timeouts_and_recovers(store, proxy, mysql_engine):
    """No RST, just silence (a dead route): the I/O timeout ends the attempt, the backlog waits, then drains."""
    prox, url = proxy
    w = SyncWorker(store.path, url, retry_attempts=2, retry_max_wait_s=0.1, connect_timeout=1, io_timeout=1)
    try:
        for i in range(50):
            store.record_trade(f"T{i}", code="600000.SH", side="buy", price=1, quantity=100, ts=T0 + i)
        assert w.sync_once().ok  # a connection is open and pooled now
        for i in range(50, 120):
            store.record_trade(f"T{i}", code="600000.SH", side="buy", price=1, quantity=100, ts=T0 + i)
        prox.stall()
        t = time.monotonic()
        rep = w.sync_once()
        assert rep.error and "unreachable" in rep.error and rep.backlog == 70
        assert time.monotonic() - t < 30
        prox.restore()
        rep = w.sync_once()
        assert rep.ok and rep.shipped == 70
    finally:
        w.close()
    assert mysql_rows(mysql_engine, "SELECT COUNT(*) FROM trades")[0][0] == 120


@pytest.mark.mysql
def test_sync_sessions_are_short_lived_on_the_server(mysql_url):
    """An orphaned sync session (network cut the server never noticed) must not keep its locks for hours."""
    from signals_db.sync import LOCK_WAIT_TIMEOUT_S, SESSION_WAIT_TIMEOUT_S, mysql_engine

    eng = mysql_engine(mysql_url)
    try:
        with eng.connect() as conn:
            wait, lock = conn.exec_driver_sql("SELECT @@session.wait_timeout, @@session.innodb_lock_wait_timeout").one()
            mode = conn.exec_driver_sql("SELECT @@session.sql_mode").scalar_one()
    finally:
        eng.dispose()
    assert (int(wait), int(lock)) == (SESSION_WAIT_TIMEOUT_S, LOCK_WAIT_TIMEOUT_S)
    assert "NO_BACKSLASH_ESCAPES" in mode and "STRICT_ALL_TABLES" in mode
