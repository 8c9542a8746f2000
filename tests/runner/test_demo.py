"""`python -m bridge demo` on a small market: summary, report with plots, rows in signals_db, deterministic per seed."""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from bridge.cli import main

pytestmark = pytest.mark.slow


def _demo(tmp_path, capsys, tag: str, seed: int = 11) -> tuple[str, str]:
    settings = tmp_path / "settings.yaml"
    settings.write_text(f"logging:\n  file: null\nrisk:\n  kill_switch_file: {tmp_path / 'KILL'}\n", encoding="utf-8")
    db = tmp_path / f"{tag}.db"
    rc = main(["--config", str(settings), "demo", "--seed", str(seed), "--stocks", "60", "--etfs", "8", "--plant", "2",
               "--db", str(db), "--report-dir", str(tmp_path / tag), "--quiet"])
    out = capsys.readouterr().out
    assert rc == 0, out
    return out, str(db)


def test_demo_summary_report_db_and_determinism(tmp_path, capsys):
    out1, db1 = _demo(tmp_path, capsys, "a")
    out2, _db2 = _demo(tmp_path, capsys, "b")
    for needle in ("signals", "orders sent", "fills", "P&L", "exit time_exit", "report:"):
        assert needle in out1, out1
    def strip(s):                 # the wall-time line is dropped; its width moves the column rule and spaces
        return [" ".join(ln.split()) for ln in s.splitlines()
                if not ln.startswith(("wall time", "report:", "database:", "demo:", "---"))]
    assert strip(out1) == strip(out2), "the same seed must give the same day"
    report = re.search(r"report: (\S+)", out1).group(1)
    html = Path(report).read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 3 and "Orders (" in html
    con = sqlite3.connect(db1)
    n = {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("signals", "orders", "trades", "positions")}
    assert all(v > 0 for v in n.values()), n
    sells = con.execute("SELECT COUNT(*) FROM trades WHERE side = 'sell'").fetchone()[0]
    assert sells > 0, "exits must have filled"
    con.close()


def test_planted_stocks_always_have_a_price_limit():
    """The demo plants limit-ups on heavy ETF holdings; a new listing (no limit today) among them made the sim
    refuse the day (seeds 11, 13, 14 and 15 at 5,000 stocks). The picks now leave new listings out."""
    from bridge import demo
    from sim import calendar
    from sim.market.universe import build_universe

    day = calendar.latest_session()
    for seed in (11, 13):
        u = build_universe(5000, 500, day, seed)
        index = u.index()
        picks = demo.heavy_holdings(5000, 500, day, seed)[:100]
        assert len(picks) == 100 and all(u.up_stop[index[c]] > 0 for c in picks)
