"""`python -m bridge db upgrade|current`: migrate / inspect the signals database (local SQLite and MySQL mirror)."""
from __future__ import annotations

import sys
from pathlib import Path

from alembic.util import CommandError
from sqlalchemy.exc import DBAPIError

from bridge.commands._dbtargets import add_target_flags, resolve
from signals_db.migrate import current, head, upgrade
from signals_db.urls import masked, sqlite_url, with_password


def register(sub) -> None:
    p = sub.add_parser("db", help="signals database: apply migrations (upgrade) or show the schema revision (current)")
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    for name, helptext in (("upgrade", "migrate the local SQLite file and the MySQL mirror (if configured) to the newest schema"),
                           ("current", "show the schema revision of each database")):
        q = dsub.add_parser(name, help=helptext)
        q.add_argument("--url", metavar="URL", default=None,
                       help="only this database (sqlite:///path or mysql+pymysql://user@host:3306/db)")
        add_target_flags(q)
        q.set_defaults(func=run)
    q = dsub.add_parser("export-signals", help="write stored signals to a .csv (GBK) or .json (ASCII) file a QMT script can read")
    q.add_argument("--out", metavar="PATH", required=True, help="output file; the suffix (.csv or .json) picks the format")
    q.add_argument("--since", metavar="DATE", default=None, help="only signals from this day on (YYYY-MM-DD, Asia/Shanghai)")
    q.add_argument("--strategy", default=None, help="only this strategy's signals")
    add_target_flags(q)
    q.set_defaults(func=run_export)


def _targets(args) -> list[str]:
    if args.url:
        return [args.url]
    t = resolve(args)
    urls = [sqlite_url(t.sqlite_path)] if t.sqlite_path else []
    if t.mysql_url:
        urls.append(str(with_password(t.mysql_url, t.password).render_as_string(hide_password=False)))
    return urls


def run(args) -> int:
    rc = 0
    for url in _targets(args):
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            if args.db_command == "current" and not path.exists():
                print(f"{url}: file does not exist yet (python -m bridge db upgrade creates it)")
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if args.db_command == "upgrade":
                rev = upgrade(with_password(url))
                print(f"{masked(url)}: at revision {rev} (newest {head()})")
            else:
                rev = current(with_password(url))
                state = "up to date" if rev == head() else f"behind, run: python -m bridge db upgrade --url '{masked(url)}'"
                print(f"{masked(url)}: revision {rev or 'none (never migrated)'} ({state})")
        except CommandError as exc:
            print(f"error: cannot {args.db_command} {masked(url)}: {exc} (written by a newer version of the toolkit?)",
                  file=sys.stderr)
            rc = 1
        except DBAPIError as exc:
            reason = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc).splitlines()[0]
            print(f"error: cannot {args.db_command} {masked(url)}: {reason}", file=sys.stderr)
            rc = 1
    return rc


def run_export(args) -> int:
    import datetime as dt

    from signals_db.journal import export_signals
    from signals_db.store import Store
    from signals_db.values import SHANGHAI

    t = resolve(args)
    if t.sqlite_path is None or not Path(t.sqlite_path).exists():
        print(f"error: no signals database at {t.sqlite_path}; run python -m bridge db upgrade first or pass --sqlite",
              file=sys.stderr)
        return 2
    since_ms = None
    if args.since:
        try:
            day = dt.date.fromisoformat(args.since)
        except ValueError:
            print(f"error: --since {args.since!r} is not a date like 2025-11-21", file=sys.stderr)
            return 2
        since_ms = int(dt.datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).timestamp() * 1000)
    with Store.open(t.sqlite_path) as store:
        try:
            n = export_signals(store, args.out, since_ms=since_ms, strategy=args.strategy)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    print(f"{n} signal(s) written to {args.out}")
    return 0
