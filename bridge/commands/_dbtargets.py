"""Where the signals database lives, for the db/sync commands: explicit flags first, then config/settings.yaml."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from config.loader import ConfigError, load_config, project_path


@dataclass(frozen=True)
class DbTargets:
    """The local SQLite file, the MySQL mirror URL (or None) and its password (or None), plus sync settings."""

    sqlite_path: Path | None
    mysql_url: str | None
    password: str | None
    batch_size: int = 1000
    interval_s: float = 2.0


def add_target_flags(p) -> None:
    """--sqlite PATH / --mysql-url URL (override database.sqlite_path / database.mysql_url from config)."""
    p.add_argument("--sqlite", metavar="PATH", default=None,
                   help="local SQLite file (default: database.sqlite_path from config, data/signals.db)")
    p.add_argument("--mysql-url", metavar="URL", default=None,
                   help="MySQL mirror, e.g. mysql+pymysql://user@host:3306/signals (password: env SIGNALS_MYSQL_PASSWORD)")


def resolve(args) -> DbTargets:
    """Targets from flags, falling back to the loaded config (flags alone work without any config file)."""
    cfg = None
    try:
        cfg = load_config(getattr(args, "config", None))
    except ConfigError:
        if not (args.sqlite or args.mysql_url) or getattr(args, "config", None):
            raise
    db = cfg.database if cfg is not None else None
    sqlite = Path(args.sqlite).expanduser() if args.sqlite else (project_path(db.sqlite_path) if db else None)
    mysql_url = args.mysql_url or (db.mysql_url if db else None)
    secret = db.mysql_password if db else None
    return DbTargets(sqlite_path=sqlite, mysql_url=mysql_url,
                     password=secret.get_secret_value() if secret is not None else None,
                     batch_size=db.sync_batch_size if db else 1000, interval_s=db.sync_interval_s if db else 2.0)
