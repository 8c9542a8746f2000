"""Latency of one local event write (SQLite WAL, event + outbox row in one transaction), median and p99.

Reference measured in the same run: the same event written the naive way (SQLAlchemy ORM session, add + commit).
Usage: .venv/bin/python benchmarks/db_write.py [--n 5000]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loguru import logger  # noqa: E402

from signals_db.store import Store  # noqa: E402

T0 = 1763688600000


def pct(xs: list[float], p: float) -> float:
    """p-th percentile (nearest rank) of xs in ms."""
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] * 1000


def timed(fn, n: int) -> list[float]:
    """Per-call seconds of fn(i) for i in range(n)."""
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
    return out


def bench_store(folder: Path, n: int, synchronous: str) -> dict[str, list[float]]:
    s = Store.open(folder / f"w_{synchronous}.db", synchronous=synchronous)
    res = {
        "signal": timed(lambda i: s.record_signal(strategy="bench", code="600000.SH", ts=T0 + i, action="buy",
                                                  composite_score=80.0, factor_scores={"a": 1.0}, price=10.5,
                                                  reason="bench"), n),
        "order update (+history)": timed(lambda i: s.record_order_update(
            f"c{i // 2}", code="600000.SH", side="buy", quantity=1000, status="reported" if i % 2 == 0 else "succeeded",
            filled_qty=0 if i % 2 == 0 else 1000, avg_price=10.5, ts=T0 + i), n),
        "trade": timed(lambda i: s.record_trade(f"T{i}", code="600000.SH", side="buy", price=10.5, quantity=100,
                                                ts=T0 + i), n),
    }
    s.close()
    return res


def bench_naive(folder: Path, n: int) -> list[float]:
    """The reference: a SQLAlchemy ORM session per event, add + commit (default journal, no outbox)."""
    import datetime as dt

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from signals_db.migrate import upgrade
    from signals_db.models import Trade
    from signals_db.urls import sqlite_url
    url = sqlite_url(folder / "naive.db")
    upgrade(url)
    eng = create_engine(url)
    now = dt.datetime(2025, 11, 21, 9, 30)

    def one(i: int) -> None:
        with Session(eng) as ses:
            ses.add(Trade(account_id="", trade_date=now.date(), traded_id=f"T{i}", code="600000.SH", side="buy",
                          price=10.5, quantity=100, ts=now, recorded_at=now))
            ses.commit()
    out = timed(one, n)
    eng.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    args = ap.parse_args()
    logger.remove()
    print(f"local event write latency, n={args.n} per kind, load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        for sync in ("NORMAL", "FULL"):
            for kind, xs in bench_store(folder, args.n, sync).items():
                print(f"  store synchronous={sync:<6} {kind:<24} median {statistics.median(xs) * 1000:.3f} ms"
                      f"  p99 {pct(xs, 99):.3f} ms")
        xs = bench_naive(folder, min(args.n, 2000))
        print(f"  reference: ORM session add+commit per trade    median {statistics.median(xs) * 1000:.3f} ms"
              f"  p99 {pct(xs, 99):.3f} ms")
    print("target: one event write median <= 1 ms (synchronous=NORMAL is the default)")


if __name__ == "__main__":
    main()
