"""Shared fixtures: a real MySQL/MariaDB database per test session (never a mock)."""
from __future__ import annotations

import os
import sys
import uuid
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_SERVER = "mysql+pymysql://root@127.0.0.1:3306/"


def _server_url() -> str:
    """Server URL without a database, from SIGNALS_TEST_MYSQL_URL (its database part is dropped) or the default."""
    url = os.environ.get("SIGNALS_TEST_MYSQL_URL", DEFAULT_SERVER)
    base, _, query = url.partition("?")
    scheme, _, rest = base.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/"


@pytest.fixture
def store(tmp_path):
    """A new local signals_db store (SQLite, migrated) in a temporary folder."""
    from signals_db.store import Store

    s = Store.open(tmp_path / "signals.db")
    yield s
    s.close()


def _unreachable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"MySQL required under CI but unreachable: {reason}", pytrace=False)
    pytest.skip(f"MySQL not reachable ({reason}); set SIGNALS_TEST_MYSQL_URL or start MariaDB")


@pytest.fixture(scope="session")
def mysql_server_url() -> str:
    """URL of the MySQL server (no database); fails under CI, skips locally, when unreachable."""
    import sqlalchemy as sa

    url = _server_url()
    try:
        eng = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        eng.dispose()
    except Exception as exc:  # noqa: BLE001 - any driver error means unreachable
        _unreachable(str(exc).splitlines()[0])
    return url


@pytest.fixture
def mysql_url(mysql_server_url: str, request):
    """A fresh, empty utf8mb4 database on the real server for one test; dropped afterwards."""
    import sqlalchemy as sa

    name = f"signals_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(mysql_server_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    try:
        yield f"{mysql_server_url}{name}?charset=utf8mb4"
    finally:
        leaked = _drop_database(admin, name)
        admin.dispose()
        if leaked and request.node.get_closest_marker("cuts_connections") is None:
            warnings.warn(f"{request.node.nodeid} left {leaked} MySQL connection(s) open on its database (killed)")


def _drop_database(admin, name: str) -> int:
    """Drop a test database even if a test left a connection in an open transaction on it.

    An idle connection holding a metadata lock would make DROP DATABASE wait for lock_wait_timeout (a day by
    default) and hang the run; its owner is gone or leaked, so it is killed first and the drop is bounded.
    """
    import sqlalchemy as sa

    with admin.begin() as conn:
        conn.execute(sa.text("SET SESSION lock_wait_timeout = 60"))
        leftovers = conn.execute(sa.text("SELECT id FROM information_schema.processlist "
                                         "WHERE db = :db AND id <> CONNECTION_ID()"), {"db": name}).scalars().all()
        for pid in leftovers:
            try:
                conn.execute(sa.text(f"KILL {int(pid)}"))
            except sa.exc.DBAPIError:
                pass  # it ended by itself meanwhile
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
    return len(leftovers)
