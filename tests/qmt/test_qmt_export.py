"""export-qmt: one GBK, Python 3.6 file importing only stdlib/numpy/pandas, config baked in, runs in the emulator."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.export_qmt import ExportError, export, module_closure, rename_imports
from config.loader import load_config
from sim.qmt.script import imported_modules
from sim.qmt.world_driver import WorldRunner
from tests.qmt.conftest import tiny_config

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = set(sys.stdlib_module_names) | {"numpy", "pandas"}


def _embedded(tree: ast.Module) -> list[tuple[str, str]]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_MODULES":
            return ast.literal_eval(node.value)
    raise AssertionError("no _MODULES in the export")


@pytest.fixture
def exported(tmp_path, monkeypatch):
    monkeypatch.setenv("QMT_ACCOUNT_ID", "SECRET-ACCT-778899")
    return export("limit_up_etf", tmp_path / "dist" / "lu.py", load_config())


def test_export_is_gbk_py36_and_imports_only_allowed_modules(exported):
    raw = exported.read_bytes()
    text = raw.decode("gbk")                                   # decodes as GBK (QMT's reading)
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")                                    # really GBK, not UTF-8 that happens to decode
    assert text.startswith("# -*- coding: gbk -*-")
    tree = ast.parse(text, feature_version=(3, 6))
    assert imported_modules(text) - {"_qmt_export"} <= ALLOWED
    mods = _embedded(tree)
    names = [n for n, _ in mods]
    assert "qmt_strategies.builtin_adapter" in names and "qmt_strategies.limit_up_etf" in names
    for name, src in mods:
        ast.parse(src, name, feature_version=(3, 6))
        assert imported_modules(src) - {"_qmt_export"} <= ALLOWED, name
        assert src == rename_imports((ROOT / (name.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
    assert "SECRET-ACCT-778899" not in text                   # secrets are not baked in
    assert "ACCOUNT_ID = ''" in text
    params = ast.literal_eval(text.split("\nPARAMS = ", 1)[1].split("\n", 1)[0])
    cfg = load_config()
    assert params["stop_loss_pct"] == cfg.exits.stop_loss_pct and params["min_weight"] == cfg.strategy.min_weight


def test_export_passes_vermin_36(exported, tmp_path):
    plain = tmp_path / "utf8.py"
    plain.write_text(exported.read_bytes().decode("gbk").replace("coding: gbk", "coding: utf-8"), encoding="utf-8")
    out = subprocess.run([str(ROOT / ".venv/bin/vermin"), "-t=3.6-", "--no-tips", "--violations", str(plain)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_module_closure_orders_dependencies_first():
    order = [n for n, _ in module_closure(["limit_up_etf"])]
    assert order.index("qmt_strategies.ashare") < order.index("qmt_strategies.limit_up") < \
        order.index("qmt_strategies.limit_up_etf")


def test_unknown_strategy_is_one_sentence_error(tmp_path):
    with pytest.raises(ExportError, match="not one of"):
        export("nope", tmp_path / "x.py", load_config())


def test_cli_writes_file(tmp_path):
    out = tmp_path / "o.py"
    r = subprocess.run([str(ROOT / ".venv/bin/python"), "-m", "bridge", "export-qmt", "--strategy", "limit_up_etf",
                        "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert out.exists() and "GBK" in r.stdout


def test_exported_script_runs_in_emulator_and_journals(exported, refdata, tmp_path):
    from sim.world import World

    world = World(tiny_config())
    journal = tmp_path / "journal"
    r = WorldRunner(exported, mode="simulation", period="tick", stock_code=sorted(world.etf_info)[0],
                    user_args={"ACCOUNT_ID": "SIM001", "REFDATA_DIR": str(refdata), "JOURNAL_DIR": str(journal),
                               "KILL_SWITCH_FILE": ""})
    r.attach(world)
    res = r.run_world()
    adapter = r.g["_ADAPTER"][0]
    assert adapter.signals, "the planted limit-ups produce at least one signal"
    assert adapter.sent and all(s[2] == "buy" for s in adapter.sent)
    assert {o.m_strRemark for o in res.orders} == {s[0] for s in adapter.sent}   # userOrderId = client id
    assert res.deals and all(d.m_strRemark for d in res.deals)
    files = sorted(journal.glob("*.jsonl"))
    assert len(files) == 1
    lines = [json.loads(x) for x in files[0].read_text(encoding="utf-8").splitlines()]
    kinds = {rec["kind"] for rec in lines}
    assert {"signal", "order", "trade", "position"} <= kinds
    assert files[0].read_bytes().isascii()                    # json.dumps default: GBK vs UTF-8 never matters
    assert all(rec["v"] == 1 and isinstance(rec["ts"], int) for rec in lines)
    filled = [rec for rec in lines if rec["kind"] == "order" and rec["status"] in ("succeeded", "part_succ")]
    assert filled and filled[-1]["filled_qty"] > 0


def test_journal_imports_into_signals_db_once(exported, refdata, tmp_path):
    from signals_db.journal import import_dir
    from signals_db.store import Store
    from sim.world import World

    world = World(tiny_config())
    journal = tmp_path / "journal"
    r = WorldRunner(exported, mode="simulation", period="tick", stock_code=sorted(world.etf_info)[0],
                    user_args={"ACCOUNT_ID": "SIM001", "REFDATA_DIR": str(refdata), "JOURNAL_DIR": str(journal),
                               "KILL_SWITCH_FILE": ""})
    r.attach(world)
    r.run_world()
    store = Store.open(tmp_path / "s.db")
    try:
        first = import_dir(store, journal)
        assert first.quarantined == 0 and first.stored > 0
        n_trades = store.count("trades")
        assert n_trades == len(r.result.deals)
        for f in journal.glob("*.jsonl"):                       # re-read everything from scratch: stored once
            store._conn.execute("DELETE FROM journal_files WHERE path = ?", (str(f.resolve()),))  # noqa: SLF001
        again = import_dir(store, journal)
        assert again.stored == 0 and store.count("trades") == n_trades
    finally:
        store.close()


def test_missing_account_is_a_clear_error(exported, refdata):
    from sim.world import World

    r = WorldRunner(exported, mode="simulation", period="tick", stock_code="510300.SH",
                    user_args={"REFDATA_DIR": str(refdata)})
    r.attach(World(tiny_config(end_time="09:35:00", events=())))
    with pytest.raises(ValueError, match="ACCOUNT_ID"):
        r.run_world()


if os.name == "nt":  # pragma: no cover
    pytest.skip("Linux CI only", allow_module_level=True)


def test_offensive_export_runs_daily_backtest(tmp_path):
    from sim.qmt.data import market_daily

    path = export("offensive", tmp_path / "off.py", load_config())
    text = path.read_bytes().decode("gbk")
    ast.parse(text, feature_version=(3, 6))
    assert imported_modules(text) - {"_qmt_export"} <= ALLOWED
    store = market_daily(40, 2, "2024-01-02", "2024-03-29", seed=5)
    from sim.qmt.runner import QmtRunner

    r = QmtRunner(path, start="20240102", end="20240329",
                  user_args={"ACCOUNT_ID": "OFF1", "JOURNAL_DIR": str(tmp_path / "j"), "REFDATA_DIR": str(tmp_path),
                             "KILL_SWITCH_FILE": ""})
    res = r.run_bars(store)
    a = r.g["_ADAPTER"][0]
    assert a.signals and a.sent
    assert {o.m_strRemark for o in res.orders} == {s[0] for s in a.sent}
    buys = [s for s in a.sent if s[2] == "buy"]
    assert buys and all(q > 0 and (q % 100 == 0 or code.startswith("688")) for _, code, _, _, q in buys)
    lim = load_config().risk.max_order_value
    assert all(p * q <= lim + 1e-6 for _, _, _, p, q in buys)


def test_exported_script_exits_next_day(tmp_path, refdata):
    """Day 1 the planted seals buy ETFs; day 2 the brackets sell them (stop, target, trailing or the 14:50 time exit)."""
    from sim import calendar as xcal
    from sim.world import World

    d1 = xcal.to_date("2024-11-04")
    worlds = [World(tiny_config(trade_date=d1)),
              World(tiny_config(trade_date=xcal.next_session(d1), events=(), end_time="15:00:00"))]
    path = export("limit_up_etf", tmp_path / "lu.py", load_config())
    r = WorldRunner(path, mode="backtest", period="tick", stock_code=sorted(worlds[0].etf_info)[0],
                    user_args={"ACCOUNT_ID": "EX1", "REFDATA_DIR": str(refdata), "JOURNAL_DIR": str(tmp_path / "j"),
                               "KILL_SWITCH_FILE": ""})
    r.attach(worlds[0])
    res = r.run_days(iter(worlds))
    a = r.g["_ADAPTER"][0]
    buys = [s for s in a.sent if s[2] == "buy"]
    sells = [s for s in a.sent if s[2] == "sell"]
    assert buys and sells
    bought = {s[1] for s in buys}
    assert {s[1] for s in sells} <= bought
    reasons = {a.orders[s[0]]["exit"] for s in sells}
    assert reasons <= {"stop_loss", "take_profit", "trailing_stop", "time_exit"}
    sold = {d.m_strInstrumentID + "." + d.m_strExchangeID for d in res.deals if d.m_nOffsetFlag == 49}
    assert sold and sold <= bought
    day2 = [json.loads(x) for f in sorted((tmp_path / "j").glob("*.jsonl"))[1:] for x in f.read_text("utf-8").splitlines()]
    assert any(rec["kind"] == "trade" and rec["side"] == "sell" for rec in day2)


def test_holdings_without_bracket_are_protected(tmp_path, refdata):
    """Shares held at the start (bought by hand / before a restart) get the config's default bracket and are sold
    today at the latest by the time exit."""
    from sim.world import World

    world = World(tiny_config(events=(), end_time="15:00:00"))
    held = "600519.SH" if "600519.SH" in world.instruments else world.sectors["沪深A股"][0]
    world.exchange.open_account("PR1", 1_000_000.0, {held: 1000})
    path = export("limit_up_etf", tmp_path / "lu.py", load_config())
    r = WorldRunner(path, mode="simulation", period="tick", stock_code=sorted(world.etf_info)[0], account_id="PR1",
                    user_args={"ACCOUNT_ID": "PR1", "REFDATA_DIR": str(refdata), "JOURNAL_DIR": str(tmp_path / "j"),
                               "KILL_SWITCH_FILE": ""})
    r.attach(world)
    res = r.run_world()
    a = r.g["_ADAPTER"][0]
    b = a.exits.brackets[held]
    assert b.strategy == "holdings" and b.stop_loss > 0 and b.take_profit
    sells = [s for s in a.sent if s[1] == held and s[2] == "sell"]
    assert sells and a.orders[sells[0][0]]["exit"] in ("stop_loss", "take_profit", "trailing_stop", "time_exit")
    assert sum(d.m_nVolume for d in res.deals if d.m_nOffsetFlag == 49) == 1000


def test_non_gbk_character_is_reported_with_its_line():
    from bridge.export_qmt import encode_gbk

    with pytest.raises(ExportError, match="line 2"):
        encode_gbk("x = 1\ny = '\U0001F680'\n")
    assert encode_gbk("a = '涨停 → ETF'\n").decode("gbk") == "a = '涨停 → ETF'\r\n"


def test_literal_quoting_survives_awkward_sources():
    from bridge.export_qmt import _literal

    for src in ["a = '''x'''\n", "s = '\\\\n'\n", "b = \"\"\"q\"\"\"\n", "x = 1  # ends with a quote '"]:
        assert ast.literal_eval(_literal(src)) == src


def test_restarted_script_adopts_todays_orders_and_fills(exported, refdata, tmp_path):
    """QMT restarts the strategy mid-day: the new instance takes over today's orders, books their fills into the
    strategy and rebuilds the brackets, instead of forgetting what it bought."""
    from sim.world import World

    world = World(tiny_config())
    args = {"ACCOUNT_ID": "RS1", "REFDATA_DIR": str(refdata), "JOURNAL_DIR": str(tmp_path / "j"), "KILL_SWITCH_FILE": ""}
    first = WorldRunner(exported, mode="simulation", period="tick", stock_code=sorted(world.etf_info)[0],
                        user_args=args)
    first.attach(world)
    first.run_world()
    a1 = first.g["_ADAPTER"][0]
    bought = {s[1] for s in a1.sent if s[2] == "buy"}
    assert bought
    second = WorldRunner(exported, mode="simulation", period="tick", stock_code=sorted(world.etf_info)[0],
                         account_id="RS1", user_args=args)
    second.attach(world)                     # same account, same day, the session already ran
    second.run_world()
    a2 = second.g["_ADAPTER"][0]
    assert set(a2.orders) == set(a1.orders)
    assert {c for c, p in a2.strategy.positions.items() if p[0] > 0} == bought
    assert {c for c, b in a2.exits.brackets.items() if b.active} == bought
    assert a2.entered_today == bought
    assert all(b.exit_days_left == 1 for b in a2.exits.brackets.values())   # time exit still tomorrow


PY36 = Path("/root/.pyenv/versions/3.6.15/bin/python3.6")


@pytest.mark.skipif(not PY36.exists(), reason="no CPython 3.6 interpreter on this machine")
@pytest.mark.parametrize("strategy", ["limit_up_etf", "offensive"])
def test_real_python36_compiles_the_export_and_every_embedded_module(strategy, tmp_path):
    """Beyond ast's feature_version: CPython 3.6 itself compiles the GBK file and each embedded module."""
    path = export(strategy, tmp_path / f"{strategy}.py", load_config())
    code = (
        "import ast, sys\n"
        "raw = open(sys.argv[1], 'rb').read()\n"
        "tree = compile(raw, sys.argv[1], 'exec', ast.PyCF_ONLY_AST)\n"
        "compile(raw, sys.argv[1], 'exec')\n"
        "mods = [n for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], 'id', '') == '_MODULES']\n"
        "pairs = ast.literal_eval(mods[0].value)\n"
        "for name, src in pairs:\n"
        "    compile(src, name, 'exec')\n"
        "print(len(pairs))\n"
    )
    r = subprocess.run([str(PY36), "-c", code, str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout.strip()) >= 5


def test_fill_ids_repeating_on_the_next_day_are_still_booked(tmp_path, refdata):
    """Brokers number fills per day: day 2's fill '1' is a new fill, not day 1's fill '1' again."""
    from sim import calendar as xcal
    from sim.world import World

    d1 = xcal.to_date("2024-11-04")
    worlds = [World(tiny_config(trade_date=d1)),
              World(tiny_config(trade_date=xcal.next_session(d1), events=(), end_time="15:00:00"))]
    path = export("limit_up_etf", tmp_path / "lu.py", load_config())
    r = WorldRunner(path, mode="backtest", period="tick", stock_code=sorted(worlds[0].etf_info)[0],
                    user_args={"ACCOUNT_ID": "EX2", "REFDATA_DIR": str(refdata), "JOURNAL_DIR": str(tmp_path / "j"),
                               "KILL_SWITCH_FILE": ""})
    r.attach(worlds[0])
    res = r.run_days(iter(worlds))
    a = r.g["_ADAPTER"][0]
    assert {d.m_strTradeID for d in res.deals if d.m_strTradeDate == d1.strftime("%Y%m%d")} & \
        {d.m_strTradeID for d in res.deals if d.m_strTradeDate != d1.strftime("%Y%m%d")}, "ids repeat across days"
    assert len(a.deals_seen) == len(res.deals)
    for cid, o in a.orders.items():
        assert o["filled"] == sum(d.m_nVolume for d in res.deals if d.m_strRemark == cid), cid
    lines = [json.loads(x) for f in sorted((tmp_path / "j").glob("*.jsonl")) for x in f.read_text("ascii").splitlines()]
    assert len({rec["traded_id"] for rec in lines if rec["kind"] == "trade"}) == len(res.deals)
