"""Migrations on both backends: the migrated schema equals the models; MySQL types/charset as chosen."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from signals_db.migrate import alembic_config, current, head, upgrade
from signals_db.models import Base
from signals_db.urls import masked, sqlite_url

ROOT = Path(__file__).resolve().parents[2]


def _diff(url: str) -> list:
    eng = sa.create_engine(url)
    try:
        with eng.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return [d for d in compare_metadata(ctx, Base.metadata) if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")]
    finally:
        eng.dispose()


def _down_up(url: str) -> None:
    cfg = alembic_config(url)
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    with eng.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
    eng.dispose()
    assert upgrade(url) == head()


def test_sqlite_migrates_matches_models_and_round_trips(tmp_path):
    url = sqlite_url(tmp_path / "m.db")
    assert current(url) is None
    assert upgrade(url) == head()
    assert _diff(url) == []
    _down_up(url)
    assert _diff(url) == []


@pytest.mark.mysql
def test_mysql_migrates_matches_models_and_round_trips(mysql_url):
    assert current(mysql_url) is None
    assert upgrade(mysql_url) == head()
    assert _diff(mysql_url) == []
    eng = sa.create_engine(mysql_url)
    with eng.connect() as conn:
        db = conn.execute(sa.text("SELECT DATABASE()")).scalar()
        coll = dict(conn.execute(sa.text(
            "SELECT table_name, table_collation FROM information_schema.tables WHERE table_schema = :d"), {"d": db}).all())
        cols = {(t, c): ct for t, c, ct in conn.execute(sa.text(
            "SELECT table_name, column_name, column_type FROM information_schema.columns WHERE table_schema = :d"),
            {"d": db}).all()}
        conn.execute(sa.text("INSERT INTO stock_info (code, name, is_st, recorded_at) "
                             "VALUES ('600519.SH', '贵州茅台🚀', 0, '2025-11-21 09:30:00.123456')"))
        assert conn.execute(sa.text("SELECT name, recorded_at FROM stock_info")).one()[0] == "贵州茅台🚀"
    eng.dispose()
    assert all(c.startswith("utf8mb4") for t, c in coll.items() if t != "alembic_version"), coll
    assert cols[("orders", "price")] == "decimal(16,4)"
    assert cols[("trades", "amount")] == "decimal(20,4)"
    assert cols[("signals", "ts")] == "datetime(3)"
    assert cols[("signals", "recorded_at")] == "datetime(6)"
    assert cols[("signals", "composite_score")] == "double"
    assert cols[("orders", "quantity")] == "bigint(20)" or cols[("orders", "quantity")] == "bigint"
    _down_up(mysql_url)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "bridge", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.mysql
def test_cli_db_upgrade_and_current_from_another_folder(tmp_path, mysql_url, monkeypatch, capsys):
    from bridge.cli import main
    monkeypatch.chdir(tmp_path)  # no alembic.ini anywhere near: the config is built in code
    db = tmp_path / "sub" / "signals.db"
    assert main(["db", "current", "--sqlite", str(db)]) == 0
    assert "does not exist yet" in capsys.readouterr().out
    assert main(["db", "upgrade", "--sqlite", str(db)]) == 0
    assert f"at revision {head()}" in capsys.readouterr().out and db.exists()
    assert main(["db", "upgrade", "--url", mysql_url]) == 0
    assert main(["db", "current", "--url", mysql_url]) == 0
    assert f"revision {head()} (up to date)" in capsys.readouterr().out


def test_cli_db_error_is_one_sentence_and_password_masked(tmp_path):
    """The real `python -m bridge db upgrade`, from a folder outside the project."""
    url = "mysql+pymysql://alice:hunter2secret@127.0.0.1:1/signals"
    r = _cli("db", "upgrade", "--url", url, cwd=tmp_path)
    assert r.returncode == 1
    assert "hunter2secret" not in r.stdout + r.stderr
    assert "error: cannot upgrade mysql+pymysql://alice:***@127.0.0.1:1/signals" in r.stderr
    assert masked(url) == "mysql+pymysql://alice:***@127.0.0.1:1/signals"
