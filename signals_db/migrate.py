"""Alembic, configured in code: `upgrade(url)` / `current(url)` work from any working directory."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, pool
from sqlalchemy.engine import URL

from signals_db.urls import masked, with_password

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | URL) -> Config:
    """An Alembic Config pointing at signals_db/migrations and `url` (no alembic.ini)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", masked(url).replace("%", "%%"))
    cfg.attributes["url"] = url
    return cfg


def head() -> str:
    """The newest migration revision."""
    rev = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert rev is not None
    return rev


def _engine(url: str | URL):
    u = with_password(url)
    if u.get_backend_name() == "sqlite":
        # One BEGIN IMMEDIATE transaction around the whole migration (SQLite DDL is transactional): two processes
        # opening a new file at once take turns, and the second finds the schema already at head.
        engine = create_engine(u, poolclass=pool.NullPool, connect_args={"isolation_level": None, "timeout": 60})

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        return engine
    return create_engine(u, poolclass=pool.NullPool, connect_args={"connect_timeout": 10})


def upgrade(url: str | URL, revision: str = "head") -> str | None:
    """Migrate the database at `url` to `revision`; returns the revision it is at afterwards."""
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        return current(url, engine=engine)
    finally:
        engine.dispose()


def current(url: str | URL, engine=None) -> str | None:
    """The revision the database at `url` is at (None: never migrated)."""
    eng = engine or _engine(url)
    try:
        with eng.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        if engine is None:
            eng.dispose()
