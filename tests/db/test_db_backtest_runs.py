"""backtest_runs.win_rate / annual_return: stored, validated, shipped to MariaDB, written by `bridge backtest`."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from signals_db.store import Store
from signals_db.sync import SyncWorker
from signals_db.values import InvalidRow
from tests.db.conftest import mysql_rows

ROOT = Path(__file__).resolve().parents[2]


def test_backtest_run_metrics_columns(store):
    assert store.record_backtest_run("bt-1", strategy="sma", status="running")
    assert store.query("SELECT win_rate, annual_return FROM backtest_runs") == [(None, None)]
    assert store.record_backtest_run("bt-1", strategy="sma", status="finished", win_rate=0.625, annual_return=-0.031)
    assert store.query("SELECT status, win_rate, annual_return FROM backtest_runs") == [("finished", 0.625, -0.031)]
    with pytest.raises(InvalidRow, match="backtest_runs.annual_return"):
        store.record_backtest_run("bt-2", strategy="sma", status="finished", annual_return=float("inf"))


@pytest.mark.mysql
def test_backtest_metrics_reach_mysql(store, mysql_db, mysql_engine):
    store.record_backtest_run("bt-1", strategy="sma", status="finished", total_return=0.12, win_rate=0.5,
                              annual_return=0.2634)
    w = SyncWorker(store.path, mysql_db)
    try:
        rep = w.sync_once()
    finally:
        w.close()
    assert rep.error is None and rep.shipped == 1
    assert mysql_rows(mysql_engine, "SELECT win_rate, annual_return FROM backtest_runs") == [(0.5, 0.2634)]


def test_bridge_backtest_stores_win_rate_and_annual_return(tmp_path):
    """The real `python -m bridge backtest` run puts the two metrics in their columns, not in params."""
    settings = yaml.safe_load((ROOT / "config/settings.yaml").read_text(encoding="utf-8"))
    settings["database"]["sqlite_path"] = str(tmp_path / "signals.db")
    cfg = tmp_path / "settings.yaml"
    cfg.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "bridge", "--config", str(cfg), "backtest",
                        str(ROOT / "sim/qmt/examples/sma_cross.py"), "--data", "synthetic", "--stocks", "8",
                        "--start", "20240102", "--end", "20240329", "--report", str(tmp_path / "r.html")],
                       check=False, cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr[-2000:]
    with Store.open(tmp_path / "signals.db") as s:
        (win, annual, total, params, start, end), = s.query(
            "SELECT win_rate, annual_return, total_return, params, start_date, end_date FROM backtest_runs")
    assert win is not None and 0.0 <= win <= 1.0
    days = (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days
    assert annual is not None and days > 0 and (annual > 0) == (total > 0)
    assert "win_rate" not in params and "annual_return" not in params
