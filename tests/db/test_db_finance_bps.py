"""finance_data.bps (book value per share): signed, validated, partial upserts keep it, shipped to MariaDB."""
from __future__ import annotations

from decimal import Decimal

import pytest

from signals_db.sync import SyncWorker
from signals_db.values import InvalidRow
from tests.db.conftest import mysql_rows


def test_finance_bps_signed_and_partial_update(store):
    rows = [{"code": "600000.SH", "report_period": "2025-09-30", "pb": 0.45, "bps": 22.3456},
            {"code": "000001.SZ", "report_period": "2025-09-30", "bps": -1.25}]  # net liabilities: negative
    assert store.upsert_reference("finance_data", rows) == 2
    assert store.upsert_reference("finance_data", rows) == 0
    # a loader that only knows ROE leaves bps alone
    assert store.upsert_reference("finance_data", [{"code": "600000.SH", "report_period": "20250930", "roe": 7.1}]) == 1
    got = dict(store.query("SELECT code, bps FROM finance_data"))
    assert got == {"600000.SH": 22.3456, "000001.SZ": -1.25}
    with pytest.raises(InvalidRow, match="finance_data.bps"):
        store.upsert_reference("finance_data", [{"code": "600000.SH", "report_period": "2025-06-30",
                                                 "bps": float("nan")}])
    with pytest.raises(InvalidRow, match="daily_quote.close"):  # prices stay non-negative
        store.upsert_reference("daily_quote", [{"code": "600000.SH", "trade_date": "2025-11-21", "close": -1}])


@pytest.mark.mysql
def test_bps_reaches_mysql_as_decimal(store, mysql_db, mysql_engine):
    store.upsert_reference("finance_data", [{"code": "600000.SH", "report_period": "2025-09-30", "pb": 0.45,
                                             "bps": 22.34567}, {"code": "000001.SZ", "report_period": "2025-09-30",
                                                                "bps": -1.25}])
    w = SyncWorker(store.path, mysql_db)
    try:
        rep = w.sync_once()
    finally:
        w.close()
    assert rep.error is None and rep.shipped == 2 and rep.quarantined == 0
    got = dict(mysql_rows(mysql_engine, "SELECT code, bps FROM finance_data"))
    assert got == {"600000.SH": Decimal("22.3457"), "000001.SZ": Decimal("-1.2500")}  # DECIMAL(16,4)
