"""Shared flags and setup of the refdata / valuation / sectors commands."""
from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from bridge.refdata import source
from config.loader import ConfigError, load_config, project_path
from config.offensive_schema import OffensiveFile, load_offensive


def add_common(p) -> None:
    """--sqlite, --fixtures, --offensive-config, --date, --quiet."""
    p.add_argument("--sqlite", metavar="PATH", default=None,
                   help="signals database (default: database.sqlite_path from config; with --fixtures a scratch file)")
    p.add_argument("--fixtures", metavar="DIR", default=os.environ.get(source.FIXTURES_ENV),
                   help=f"serve akshare from recorded CSV files (e.g. tests/fixtures/akshare; env {source.FIXTURES_ENV})")
    p.add_argument("--offensive-config", metavar="PATH", default=None, help="default config/offensive.yaml")
    p.add_argument("--date", metavar="YYYY-MM-DD", default=None, help="as-of date (default today)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def as_of(args) -> dt.date:
    """The --date value or today; ConfigError naming the flag when malformed."""
    if not args.date:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(args.date)
    except ValueError:
        raise ConfigError(f"--date {args.date!r} is not a date like 2026-11-20") from None


def setup(args) -> OffensiveFile:
    """Load config/offensive.yaml, apply pacing and fixture mode."""
    cfg = load_offensive(args.offensive_config)
    source.set_pace(cfg.refdata.pace_seconds)
    if args.fixtures:
        try:
            source.use_fixtures(project_path(args.fixtures))
        except source.SourceError as exc:
            raise ConfigError(str(exc)) from None
    return cfg


def open_store(args):
    """The Store to write into (see --sqlite)."""
    from signals_db.store import Store

    if args.sqlite:
        path = Path(args.sqlite).expanduser()
    elif args.fixtures:
        path = Path(tempfile.mkdtemp(prefix="qmt_fixtures_")) / "signals.db"
        print(f"(fixture data: scratch database {path})")
    else:
        path = project_path(load_config(getattr(args, "config", None)).database.sqlite_path)
    return Store.open(path)
