"""Database URLs: SQLite path -> URL, MySQL password from the environment, masked display."""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url

PASSWORD_ENV = "SIGNALS_MYSQL_PASSWORD"


def sqlite_url(path: str | os.PathLike) -> str:
    """SQLAlchemy URL of a local SQLite file."""
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def with_password(url: str | URL, password: str | None = None) -> URL:
    """The URL with its password set from `password` or env SIGNALS_MYSQL_PASSWORD when it has none."""
    u = make_url(url) if isinstance(url, str) else url
    if u.get_backend_name() in ("mysql", "mariadb"):
        if u.password is None:
            pw = password if password is not None else os.environ.get(PASSWORD_ENV)
            if pw:
                u = u.set(password=pw)
        if "charset" not in u.query:
            u = u.update_query_dict({"charset": "utf8mb4"})
    return u


def masked(url: str | URL) -> str:
    """The URL as text with any password replaced by ***, safe to print and log."""
    try:
        u = make_url(url) if isinstance(url, str) else url
    except Exception:  # noqa: BLE001 - an unparsable URL is shown without anything after '@'
        text = str(url)
        return "<unparsable url>" if "@" in text else text
    return u.render_as_string(hide_password=True)


def is_mysql(url: str | URL) -> bool:
    """True for mysql/mariadb URLs."""
    u = make_url(url) if isinstance(url, str) else url
    return u.get_backend_name() in ("mysql", "mariadb")
