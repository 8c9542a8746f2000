"""`python -m bridge sync`: import QMT journals (optional) and ship the local outbox to the MySQL mirror."""
from __future__ import annotations

import sys
import time

from bridge.commands._dbtargets import add_target_flags, resolve
from signals_db.journal import import_dir
from signals_db.store import Store
from signals_db.sync import SyncWorker
from signals_db.urls import masked


def register(sub) -> None:
    p = sub.add_parser("sync", help="ship the local signals database to the MySQL mirror (and import QMT journal files)")
    p.add_argument("--once", action="store_true", help="one pass: drain the outbox, report, exit (non-zero if MySQL failed)")
    p.add_argument("--journal", metavar="DIR", default=None,
                   help="first import the *.jsonl journal files a QMT built-in script writes in DIR (docs/journal_format.md)")
    p.add_argument("--status", action="store_true", help="only report backlog and quarantine, ship nothing")
    p.add_argument("--full", action="store_true",
                   help="queue every local row again first (a new, empty or restored MySQL mirror); upserts keep it idempotent")
    p.add_argument("--retry-quarantined", action="store_true",
                   help="queue the rows MySQL rejected again (e.g. after widening a column); shipped rows leave the "
                        "quarantine, rows failing again for the same reason are not quarantined twice")
    p.add_argument("--batch-size", type=int, default=None, help="outbox rows per MySQL transaction (default from config)")
    add_target_flags(p)
    p.set_defaults(func=run)


def _report_local(store: Store) -> str:
    oldest = store.query("SELECT MIN(created_at) FROM outbox")[0][0]
    return (f"backlog {store.backlog()} row(s)" + (f" (oldest written {oldest[:19]})" if oldest else "")
            + f", quarantined {store.quarantined()} row(s)")


def run(args) -> int:
    t = resolve(args)
    if t.sqlite_path is None:
        print("error: no local SQLite file: set database.sqlite_path or pass --sqlite PATH", file=sys.stderr)
        return 2
    store = Store.open(t.sqlite_path)
    try:
        if args.journal:
            try:
                rep = import_dir(store, args.journal)
            except FileNotFoundError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            print(f"journal {args.journal}: {rep.lines} line(s), {rep.stored} stored, {rep.duplicates} already known, "
                  f"{rep.quarantined} quarantined")
        if args.full and t.mysql_url:
            print(f"queued {store.requeue_all()} row(s) for a full re-sync")
        if args.retry_quarantined and t.mysql_url:
            print(f"queued {store.requeue_quarantined()} quarantined row(s) again "
                  "(journal lines in quarantine cannot be retried: fix the line and re-import)")
        if args.status or not t.mysql_url:
            if not t.mysql_url and not args.status:
                print("no MySQL mirror configured (database.mysql_url or --mysql-url); local data stays in "
                      f"{t.sqlite_path}")
            print(f"{t.sqlite_path}: {_report_local(store)}")
            return 0
        worker = SyncWorker(t.sqlite_path, t.mysql_url, password=t.password,
                            batch_size=args.batch_size or t.batch_size, interval_s=t.interval_s)
        try:
            while True:
                rep = worker.sync_once()
                if rep.error is None and rep.batches == 0:
                    rep.error = worker.ping()  # nothing to ship: still tell whether the mirror is there
                print(f"sync -> {masked(t.mysql_url)}: shipped {rep.shipped}, quarantined {rep.quarantined}, "
                      + (f"released from quarantine {rep.released}, " if rep.released else "")
                      + f"backlog {rep.backlog}, {rep.seconds:.2f} s" + (f"; {rep.error}" if rep.error else ""),
                      flush=True)
                if args.once:
                    return 0 if rep.error is None else 1
                time.sleep(t.interval_s if rep.error is None else min(60.0, t.interval_s * 10))
                if args.journal:
                    import_dir(store, args.journal)
        finally:
            worker.close()
    finally:
        store.close()
