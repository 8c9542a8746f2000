"""Quarantine is idempotent on (table, natural key, reason); `bridge sync --retry-quarantined` re-ships rows."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from bridge.cli import main
from signals_db.journal import import_journal
from signals_db.sync import SyncWorker
from tests.db.conftest import mysql_rows

T0 = 1763688600000
LONG = "浦发银行" * 10  # 40 characters: stock_info.name is VARCHAR(32)


def _quarantine(store) -> list[tuple]:
    return store.query("SELECT source, table_name, row_id, natural_key, reason FROM quarantine ORDER BY id")


def test_journal_line_read_again_is_quarantined_once(store, tmp_path):
    bad = b'{"v": 1, "kind": "trade", "ts": 1763688600000, "code": "600000.SH"}\n'
    good = (json.dumps({"v": 1, "kind": "alert", "ts": T0, "message": "x"}) + "\n").encode()
    f = tmp_path / "q.jsonl"
    f.write_bytes(bad + good)
    assert import_journal(store, f).quarantined == 1
    f.write_bytes(bad)  # the file shrank (replaced): read again from the start, same line, same reason
    assert import_journal(store, f).quarantined == 1
    assert len(_quarantine(store)) == 1
    f.write_bytes(b"")  # emptied, then another bad line at the same place: another entry
    import_journal(store, f)
    f.write_bytes(bad.replace(b"600000", b"600001"))
    assert import_journal(store, f).quarantined == 1
    assert [q[3] for q in _quarantine(store)] == ["q.jsonl:1", "q.jsonl:1"]


@pytest.mark.mysql
def test_full_resync_does_not_quarantine_twice(store, mysql_db, mysql_engine, capsys):
    store.upsert_reference("stock_info", [{"code": "000001.SZ", "name": LONG}, {"code": "600000.SH", "name": "浦发"}])
    store.record_signal(strategy="s", code="600000.SH", ts=T0, action="buy", reason="过长" * 600)
    args = ["sync", "--once", "--sqlite", str(store.path), "--mysql-url", mysql_db]
    assert main(args) == 0
    first = _quarantine(store)
    assert [(t, r.split(":")[0]) for _, t, _, _, r in first] == [("stock_info", "mysql error 1406"),
                                                                 ("signals", "mysql error 1406")]
    for _ in range(2):  # `sync --full` re-queues everything; the two rows fail again for the same reasons
        assert main([*args, "--full"]) == 0
        assert "quarantined 2," in capsys.readouterr().out
    assert _quarantine(store) == first
    assert store.backlog() == 0
    assert mysql_rows(mysql_engine, "SELECT code FROM stock_info") == [("600000.SH",)]


@pytest.mark.mysql
def test_retry_quarantined_ships_after_the_column_is_widened(store, mysql_db, mysql_engine, capsys):
    store.upsert_reference("stock_info", [{"code": "000001.SZ", "name": LONG}, {"code": "600000.SH", "name": "浦发"}])
    store.record_signal(strategy="s", code="600000.SH", ts=T0, action="buy", reason="过长" * 600)
    w = SyncWorker(store.path, mysql_db)
    try:
        assert w.sync_once().quarantined == 2
    finally:
        w.close()
    with mysql_engine.begin() as conn:  # the user widens one column on the mirror
        conn.execute(sa.text("ALTER TABLE stock_info MODIFY name VARCHAR(64)"))
    args = ["sync", "--once", "--retry-quarantined", "--sqlite", str(store.path), "--mysql-url", mysql_db]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "queued 2 quarantined row(s) again" in out
    assert "shipped 1, quarantined 1, released from quarantine 1," in out
    assert mysql_rows(mysql_engine, "SELECT name FROM stock_info WHERE code = '000001.SZ'") == [(LONG,)]
    left = _quarantine(store)  # the signal still fails, for the same reason: one entry, not two
    assert [(s, t) for s, t, *_ in left] == [("mysql", "signals")]
    assert main(args) == 0
    assert "queued 1 quarantined row(s) again" in capsys.readouterr().out
    assert _quarantine(store) == left and store.backlog() == 0
    assert mysql_rows(mysql_engine, "SELECT COUNT(*) FROM signals")[0][0] == 0


@pytest.mark.mysql
def test_a_quarantined_row_written_again_and_shipped_leaves_quarantine(store, mysql_db, mysql_engine):
    store.upsert_reference("stock_info", [{"code": "000001.SZ", "name": LONG}])
    w = SyncWorker(store.path, mysql_db)
    try:
        assert w.sync_once().quarantined == 1
        store.upsert_reference("stock_info", [{"code": "000001.SZ", "name": "平安银行"}])  # fixed at the source
        rep = w.sync_once()
        assert (rep.shipped, rep.quarantined, rep.released) == (1, 0, 1)
    finally:
        w.close()
    assert store.quarantined() == 0
    assert mysql_rows(mysql_engine, "SELECT name FROM stock_info") == [("平安银行",)]
