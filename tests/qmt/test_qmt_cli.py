"""The user-facing commands: python -m sim qmt and python -m bridge backtest (report + signals_db rows)."""
from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PY = str(ROOT / ".venv/bin/python")
EXAMPLE = str(ROOT / "sim/qmt/examples/sma_cross.py")


def test_sim_qmt_backtest_json(tmp_path):
    out = tmp_path / "r.json"
    r = subprocess.run([PY, "-m", "sim", "qmt", EXAMPLE, "--data", "synthetic", "--stocks", "20", "--start", "20240102",
                        "--end", "20240628", "--json", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["metrics"]["days"] == len(doc["equity"]) > 100
    assert doc["metrics"]["trades"] == len(doc["deals"]) > 0
    assert all(d["m_strRemark"].startswith(("B", "S")) for d in doc["deals"])


def test_sim_qmt_bad_dates_one_line(tmp_path):
    r = subprocess.run([PY, "-m", "sim", "qmt", EXAMPLE, "--data", "synthetic", "--start", "20240102"],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and "--start and --end" in r.stderr and "Traceback" not in r.stderr


def test_bridge_backtest_writes_report_and_db(tmp_path):
    settings = yaml.safe_load((ROOT / "config/settings.yaml").read_text(encoding="utf-8"))
    settings["database"]["sqlite_path"] = str(tmp_path / "signals.db")
    cfg = tmp_path / "settings.yaml"
    cfg.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    report = tmp_path / "report.html"
    r = subprocess.run([PY, "-m", "bridge", "--config", str(cfg), "backtest", EXAMPLE, "--data", "synthetic",
                        "--stocks", "20", "--start", "20240102", "--end", "20240628", "--report", str(report)],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    html = report.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 1 and "max drawdown" in html
    db = sqlite3.connect(tmp_path / "signals.db")
    runs = db.execute("SELECT run_id, status, trades_count, total_return FROM backtest_runs").fetchall()
    assert len(runs) == 1 and runs[0][1] == "finished" and runs[0][2] > 0
    kinds = dict(db.execute("SELECT kind, COUNT(*) FROM backtest_log GROUP BY kind").fetchall())
    assert kinds["trade"] == runs[0][2] and kinds["equity"] > 100 and kinds["order"] >= kinds["trade"]


def test_qmt_refdata_sim_writes_files_atomically(tmp_path):
    out = tmp_path / "ref"
    r = subprocess.run([PY, "-m", "bridge", "qmt-refdata", "--out", str(out), "--sim", "--seed", "3", "--stocks", "40",
                        "--etfs", "6"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    etf = json.loads((out / "etf_info.json").read_text(encoding="utf-8"))
    ind = json.loads((out / "industries.json").read_text(encoding="utf-8"))
    watch = json.loads((out / "watchlist.json").read_text(encoding="utf-8"))
    assert len(etf) == 6 and all("成份股信息" in v for v in etf.values())
    assert len(ind) == 40 and all(not k.startswith("SW1") for k in ind.values())
    assert "watch_etfs" in watch
    assert not list(out.glob("*.tmp"))


def test_exported_limit_up_script_backtests_on_ticks_by_default(tmp_path):
    """An exported limit-up ETF script would never trade on daily bars: backtest picks tick mode for it."""
    script = tmp_path / "lu.py"
    r = subprocess.run([PY, "-m", "bridge", "export-qmt", "--strategy", "limit_up_etf", "--out", str(script)],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "r.json"
    r = subprocess.run([PY, "-m", "bridge", "backtest", str(script), "--start", "20241104", "--end", "20241104",
                        "--stocks", "400", "--etfs", "40", "--limit-ups", "6", "--no-db",
                        "--report", str(tmp_path / "r.html"), "--json", str(out)],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "period: tick" in r.stdout
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["metrics"]["orders"] >= 1 and doc["metrics"]["trades"] >= 1
