"""Fixtures for signals_db tests: a fresh local store, a migrated MySQL database, a cuttable proxy to it."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from signals_db.migrate import upgrade
from tests.db.tcpproxy import TcpProxy


@pytest.fixture
def mysql_db(mysql_url):
    """The per-test MySQL database, migrated to the newest schema."""
    upgrade(mysql_url)
    return mysql_url


@pytest.fixture
def mysql_engine(mysql_db):
    """A plain engine on the per-test MySQL database (for assertions)."""
    eng = sa.create_engine(mysql_db)
    yield eng
    eng.dispose()


@pytest.fixture
def proxy(mysql_db):
    """(TcpProxy, URL through it) in front of the per-test MySQL database."""
    u = make_url(mysql_db)
    p = TcpProxy(u.host or "127.0.0.1", u.port or 3306)
    yield p, u.set(host="127.0.0.1", port=p.port).render_as_string(hide_password=False)
    p.close()


def mysql_rows(engine, sql: str) -> list[tuple]:
    """Run a query on MySQL and return all rows."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]
