"""Fills are keyed by (account_id, trade_date, traded_id): brokers restart their fill numbers every trading day."""
from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command

from signals_db.journal import import_journal
from signals_db.migrate import alembic_config, upgrade
from signals_db.models import NATURAL_KEYS
from signals_db.store import Store
from signals_db.sync import SyncWorker
from signals_db.urls import sqlite_url
from tests.db.conftest import mysql_rows

T0 = 1763688600000  # 2025-11-21 09:30:00 Asia/Shanghai
DAY = 86_400_000


def _trade(store: Store, traded_id: str, ts, **kw) -> bool:
    return store.record_trade(traded_id, code="600000.SH", side="buy", price=10.0, quantity=100, ts=ts, **kw)


def test_natural_key_includes_the_trade_date():
    assert NATURAL_KEYS["trades"] == ("account_id", "trade_date", "traded_id")


def test_same_traded_id_two_days_twice_same_day_once(store):
    assert _trade(store, "1", T0)
    assert _trade(store, "1", T0 + DAY)  # day 2: the broker's fill #1 again, a different fill
    assert not _trade(store, "1", T0 + 3_600_000)  # same day, replayed (later callback time): the same fill
    assert _trade(store, "1", T0, account_id="other")  # another account
    got = store.query("SELECT account_id, trade_date, traded_id FROM trades ORDER BY id")
    assert got == [("", "2025-11-21", "1"), ("", "2025-11-22", "1"), ("other", "2025-11-21", "1")]
    assert store.backlog() == 3


def test_trade_date_is_the_shanghai_date_of_the_fill_time(store):
    sh = ZoneInfo("Asia/Shanghai")
    # 2025-11-20 16:30 UTC is already 2025-11-21 00:30 in Shanghai
    _trade(store, "utc", dt.datetime(2025, 11, 20, 16, 30, tzinfo=dt.UTC))
    _trade(store, "naive", dt.datetime(2025, 11, 21, 23, 59, 59))  # naive = Shanghai wall clock
    _trade(store, "ms", int(dt.datetime(2025, 11, 24, 0, 0, 0, 1000, tzinfo=sh).timestamp() * 1000))
    _trade(store, "given", T0, trade_date="20251120")  # the broker's own trade date wins when passed
    got = dict(store.query("SELECT traded_id, trade_date FROM trades"))
    assert got == {"utc": "2025-11-21", "naive": "2025-11-21", "ms": "2025-11-24", "given": "2025-11-20"}
    assert store.write("trades", {"traded_id": "w", "code": "600000.SH", "side": "sell", "price": 1, "quantity": 1,
                                  "ts": T0 + DAY})
    assert store.query("SELECT trade_date FROM trades WHERE traded_id = 'w'") == [("2025-11-22",)]


def test_journal_import_keeps_both_days(store, tmp_path):
    def line(**rec) -> bytes:
        return (json.dumps({"v": 1, "kind": "trade", "code": "600000.SH", "side": "buy", "price": 10.0,
                            "quantity": 100, **rec}) + "\n").encode("ascii")
    f = tmp_path / "qmt.jsonl"
    f.write_bytes(line(ts=T0, traded_id="7") + line(ts=T0 + DAY, traded_id="7") + line(ts=T0 + 5, traded_id="7")
                  + line(ts=T0 + DAY, traded_id="8", trade_date="2025-11-21"))
    rep = import_journal(store, f)
    assert (rep.lines, rep.stored, rep.duplicates, rep.quarantined) == (4, 3, 1, 0)
    assert sorted(store.query("SELECT trade_date, traded_id FROM trades")) == [
        ("2025-11-21", "7"), ("2025-11-21", "8"), ("2025-11-22", "7")]


@pytest.mark.mysql
def test_mysql_keeps_both_days_and_resync_adds_nothing(store, mysql_db, mysql_engine):
    _trade(store, "1", T0)
    _trade(store, "1", T0 + DAY)
    _trade(store, "1", T0 + 60_000)  # duplicate: not stored, not queued
    w = SyncWorker(store.path, mysql_db)
    try:
        assert w.sync_once().shipped == 2
        for _ in range(2):  # `sync --full` twice: everything re-shipped, upserts absorb it
            store.requeue_all()
            rep = w.sync_once()
            assert rep.error is None and rep.backlog == 0
    finally:
        w.close()
    got = mysql_rows(mysql_engine, "SELECT account_id, trade_date, traded_id FROM trades ORDER BY trade_date")
    assert got == [("", dt.date(2025, 11, 21), "1"), ("", dt.date(2025, 11, 22), "1")]
    cols = {r[0]: r[1] for r in mysql_rows(mysql_engine, "SHOW COLUMNS FROM trades")}
    assert cols["trade_date"] == "date"


def _at_0002_with_rows(url: str) -> None:
    """A database at revision 0002 holding two fills and three quarantine entries (two of them the same)."""
    upgrade(url, "0002")
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO trades (account_id, traded_id, code, side, price, quantity, ts, recorded_at) VALUES "
            "('', 'A', '600000.SH', 'buy', 10, 100, '2025-11-21 09:30:00.000', '2025-11-21 09:30:00.000001'),"
            "('', 'B', '600000.SH', 'buy', 10, 100, '2025-11-24 14:56:59.999', '2025-11-24 14:57:00.000001')"))
        for key in ("k1", "k1", "k2"):
            conn.execute(sa.text(
                "INSERT INTO quarantine (source, table_name, row_id, natural_key, payload, reason, created_at) "
                "VALUES ('mysql', 'signals', 1, :k, '{}', 'mysql error 1406: Data too long', "
                "'2025-11-21 09:30:00.000001')"), {"k": key})
    eng.dispose()


def _check_0003(url: str) -> None:
    assert upgrade(url) == "0003"
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        got = [(r[0], str(r[1])) for r in conn.execute(sa.text("SELECT traded_id, trade_date FROM trades ORDER BY id"))]
        q = conn.execute(sa.text("SELECT natural_key, dedup_key FROM quarantine ORDER BY id")).all()
    eng.dispose()
    assert got == [("A", "2025-11-21"), ("B", "2025-11-24")]
    assert [k for k, _ in q] == ["k1", "k2"] and all(len(d) == 40 for _, d in q)


def test_sqlite_upgrade_from_0002_backfills_trade_date_and_dedups_quarantine(tmp_path):
    url = sqlite_url(tmp_path / "old.db")
    _at_0002_with_rows(url)
    _check_0003(url)
    with Store.open(tmp_path / "old.db") as s:  # the migrated file works with the new key
        assert not _trade(s, "A", T0)  # fill A of 2025-11-21 is already there
        assert _trade(s, "A", T0 + DAY)


@pytest.mark.mysql
def test_mysql_upgrade_from_0002_backfills_trade_date_and_dedups_quarantine(mysql_url):
    _at_0002_with_rows(mysql_url)
    _check_0003(mysql_url)
    cfg = alembic_config(mysql_url)
    eng = sa.create_engine(mysql_url)
    with eng.begin() as conn:  # and back down to 0002 (no same-id-two-days rows yet, so the old key fits)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    with eng.connect() as conn:
        assert "trade_date" not in {c["name"] for c in sa.inspect(conn).get_columns("trades")}
    eng.dispose()


@pytest.mark.mysql
def test_mirror_left_at_0002_stops_the_sync_with_the_command_to_run(store, mysql_url):
    upgrade(mysql_url, "0002")
    _trade(store, "1", T0)
    w = SyncWorker(store.path, mysql_url)
    try:
        rep = w.sync_once()
        assert rep.backlog == 1 and "Unknown column 'trade_date'" in rep.error
        assert "run: python -m bridge db upgrade --url" in rep.error
        upgrade(mysql_url)
        rep = w.sync_once()
        assert (rep.error, rep.shipped, rep.backlog) == (None, 1, 0)
    finally:
        w.close()
