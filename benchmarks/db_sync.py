"""Sync throughput from the local outbox into MariaDB on loopback, rows/s.

Reference measured in the same run: the naive way, one INSERT + COMMIT per row, on the same rows.
Needs MariaDB/MySQL (URL prefix from env SIGNALS_TEST_MYSQL_URL, default mysql+pymysql://root@127.0.0.1:3306/);
creates and drops its own database.
Usage: .venv/bin/python benchmarks/db_sync.py [--events 30000] [--batch 1000] [--naive 2000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from loguru import logger  # noqa: E402

from signals_db.migrate import upgrade  # noqa: E402
from signals_db.models import SYNCED_TABLES  # noqa: E402
from signals_db.store import Store  # noqa: E402
from signals_db.sync import SyncWorker, mysql_engine  # noqa: E402
from signals_db.values import SPECS  # noqa: E402

T0 = 1763688600000


def server_url() -> str:
    url = os.environ.get("SIGNALS_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/")
    scheme, _, rest = url.partition("?")[0].partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/"


def fill(store: Store, events: int) -> None:
    """A mix: 40% signals, 30% order updates (each also a history row), 30% trades."""
    for i in range(events):
        k = i % 10
        code = f"{600000 + i % 997:06d}.SH"
        if k < 4:
            store.record_signal(strategy="bench", code=code, ts=T0 + i, action="buy", composite_score=80.0,
                                factor_scores={"flow": 0.5, "value": 0.7}, price=10.5, take_profit=11, stop_loss=10,
                                reason="bench signal")
        elif k < 7:
            store.record_order_update(f"c{i}", code=code, side="buy", quantity=1000, status="succeeded",
                                      filled_qty=1000, avg_price=10.5, price=10.5, ts=T0 + i, broker_order_id=i)
        else:
            store.record_trade(f"T{i}", code=code, side="buy", price=10.5, quantity=1000, ts=T0 + i,
                               client_order_id=f"c{i}", amount=10500)


def naive(url: str, store: Store, limit: int) -> tuple[int, float]:
    """One INSERT + COMMIT per row (signals table), the reference."""
    cols = SPECS["signals"].columns
    rows = store.query(f"SELECT {', '.join(cols)} FROM signals LIMIT {limit}")
    sql = (f"INSERT INTO signals_naive ({', '.join(cols)}) VALUES ({', '.join('%s' for _ in cols)})")
    eng = mysql_engine(url)
    with eng.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS signals_naive")
        conn.exec_driver_sql("CREATE TABLE signals_naive LIKE signals")
    raw = eng.raw_connection()
    t = time.perf_counter()
    cur = raw.cursor()
    for r in rows:
        cur.execute(sql, r)
        raw.commit()
    dt = time.perf_counter() - t
    raw.close()
    eng.dispose()
    return len(rows), dt


def one_sync(url: str, store: Store, batch: int) -> tuple[int, float]:
    """Empty the mirror, queue every local row, time one sync pass; (rows shipped, seconds)."""
    eng = mysql_engine(url)
    with eng.begin() as conn:
        for t in SYNCED_TABLES:
            conn.exec_driver_sql(f"TRUNCATE TABLE `{t}`")
    eng.dispose()
    store.requeue_all()
    w = SyncWorker(store.path, url, batch_size=batch)
    t = time.perf_counter()
    rep = w.sync_once()
    dt = time.perf_counter() - t
    w.close()
    assert rep.ok and rep.quarantined == 0, rep
    return rep.shipped, dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=30000)
    ap.add_argument("--batch", type=int, default=1000, help="outbox rows per MySQL transaction (config default 1000)")
    ap.add_argument("--naive", type=int, default=2000, help="rows for the one-INSERT-per-row reference")
    ap.add_argument("--repeat", type=int, default=3, help="alternating runs of both (the machine may be shared)")
    args = ap.parse_args()
    logger.remove()
    name = f"signals_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server_url())
    with admin.begin() as c:
        c.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    url = f"{server_url()}{name}?charset=utf8mb4"
    try:
        upgrade(url)
        with tempfile.TemporaryDirectory() as d:
            store = Store.open(Path(d) / "bench.db")
            fill(store, args.events)
            store.query("DELETE FROM outbox")
            print(f"sync into MariaDB on loopback: {args.events} events, batch {args.batch}, "
                  f"{os.cpu_count()} CPUs")
            fast, slow = [], []
            for k in range(args.repeat):
                n, dt = one_sync(url, store, args.batch)
                fast.append(n / dt)
                m, ndt = naive(url, store, args.naive)
                slow.append(m / ndt)
                print(f"  run {k + 1}: outbox sync {n} rows in {dt:.2f} s = {n / dt:,.0f} rows/s | reference "
                      f"one INSERT + COMMIT per row {m} rows in {ndt:.2f} s = {m / ndt:,.0f} rows/s | "
                      f"load average {os.getloadavg()[0]:.1f}")
            store.close()
        f, r = statistics.median(fast), statistics.median(slow)
        print(f"median: outbox sync {f:,.0f} rows/s, reference {r:,.0f} rows/s, speed-up {f / r:.0f}x; "
              f"target >= 20,000 rows/s")
    finally:
        with admin.begin() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


if __name__ == "__main__":
    main()
