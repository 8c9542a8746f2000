"""Child process for the kill -9 test: writes events (and syncs in a thread) until killed.

Usage: python tests/db/kill_writer.py SQLITE_PATH RUN MYSQL_URL
Prints 'ready', then 'ack <kind> <key> [<status>]' after each committed write (flushed), to stdout or, when the
test starts it through multiprocessing, to an ack file (plain write() calls: they survive a SIGKILL).
"""
from __future__ import annotations

import sys

from loguru import logger

from signals_db.store import Store
from signals_db.sync import SyncWorker

T0 = 1763688600000


def main(argv: list[str] | None = None, ack_path: str | None = None) -> None:
    """Write until killed; acks go to stdout or to `ack_path`."""
    path, run, url = (argv or sys.argv[1:])[:3]
    run = int(run)
    logger.remove()
    store = Store.open(path, migrate=False)
    worker = SyncWorker(path, url, batch_size=50, interval_s=0.005, retry_attempts=2, retry_max_wait_s=0.1)
    worker.start()
    out = open(ack_path, "w", encoding="ascii") if ack_path else sys.stdout  # noqa: SIM115 - open until killed
    out.write("ready\n")
    out.flush()
    for i in range(1_000_000):
        ts = T0 + run * 1_000_000 + i
        cid = f"r{run}-c{i // 3}"
        status = ("reported", "part_succ", "succeeded")[i % 3]
        store.record_order_update(cid, code="600000.SH", side="buy", quantity=300, status=status,
                                  filled_qty=100 * (i % 3), ts=ts)
        out.write(f"ack order {cid} {status}\n")
        sid = store.record_signal(strategy="kill", code="510300.SH", ts=ts, action="buy", reason=f"run {run} #{i}")
        out.write(f"ack signal {sid}\n")
        if i % 3:
            store.record_trade(f"r{run}-t{i}", code="600000.SH", side="buy", price=10.5, quantity=100, ts=ts,
                               client_order_id=cid)
            out.write(f"ack trade r{run}-t{i}\n")
        out.flush()


if __name__ == "__main__":
    main()
