"""python -m sim exec: unmodified miniQMT scripts, deterministic runs, session end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).with_name("data")
TINY = ["--stocks", "40", "--etfs", "6"]


def run_exec(script: Path, *options: str, script_args: tuple[str, ...] = (), timeout: int = 240,
             hash_seed: str = "0"):
    """python -m sim exec [options] SCRIPT [script args]."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-m", "sim", "exec", *options, str(script), *script_args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env, check=False)


def test_quickstart_from_the_real_docs_runs_unchanged():
    proc = run_exec(DATA / "quickstart.py", *TINY, "--seed", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout.splitlines()
    assert out[0] == "demo test"
    # callbacks print on the worker thread in between; each call's result is the line before the next step
    order_id = int(out[out.index("cancel order:") - 1])
    assert order_id > 0
    assert out[out.index("order using async api:") - 1] == "0"          # cancel_order_stock -> 0
    assert int(out[out.index("query asset:") - 1]) > order_id           # the second order's id
    assert "asset:" in out and any(line.startswith("cash ") for line in out)
    assert f"order {order_id}" in out
    assert re.search(r"^orders: 2$", proc.stdout, re.MULTILINE)
    assert re.search(r"^trades: \d+$", proc.stdout, re.MULTILINE)
    assert re.search(r"^positions: \d+$", proc.stdout, re.MULTILINE)
    assert "on order callback:" in out and "on_account_status" in out and "on asset callback" in out
    assert "600000.SH 54 " in out                                       # the cancelled order pushed as 54

SCRIPT = '''
import sys
from xtquant import xtdata, xtconstant
from xtquant.xttrader import XtQuantTrader, XtQuantTraderCallback
from xtquant.xttype import StockAccount

acc = StockAccount(sys.argv[1])
class CB(XtQuantTraderCallback):
    def on_stock_order(self, o):
        print("order", o.order_id, o.order_status, o.order_time)
    def on_stock_trade(self, t):
        print("trade", t.order_id, t.traded_volume, t.traded_price)
    def on_order_stock_async_response(self, r):
        print("resp", r.seq, r.order_id)

trader = XtQuantTrader(r"D:\\\\whatever\\\\userdata_mini", 99, CB())
trader.start()
print("connect", trader.connect())
trader.subscribe(acc)
state = {"n": 0, "sent": 0}

def on_quote(datas):
    state["n"] += 1
    if state["n"] % 400 == 0 and state["sent"] < 6:
        code = sorted(datas)[state["sent"]]
        tick = datas[code]
        price = tick["askPrice"][0] or tick["lastPrice"]
        side = xtconstant.STOCK_BUY
        trader.order_stock_async(acc, code, side, 100, xtconstant.FIX_PRICE, price, "s", "q%d" % state["n"])
        state["sent"] += 1
        print("quote", state["n"], code, tick["time"], price)

xtdata.subscribe_whole_quote(["SH", "SZ"], on_quote)
xtdata.run()
print("pushes", state["n"])
for o in trader.query_stock_orders(acc):
    print("final", o.order_id, o.stock_code, o.order_status, o.traded_volume)
a = trader.query_stock_asset(acc)
print("cash", round(a.cash, 2), "total", round(a.total_asset, 2))
'''


def test_same_seed_same_output_and_run_returns_at_session_end(tmp_path):
    script = tmp_path / "strategy.py"
    script.write_text(SCRIPT, encoding="utf-8")
    short = [*TINY, "--end-time", "10:30:00"]
    first = run_exec(script, *short, "--seed", "4", script_args=("my account 1",), hash_seed="1")
    assert first.returncode == 0, first.stderr[-3000:]
    second = run_exec(script, *short, "--seed", "4", script_args=("my account 1",), hash_seed="2")
    assert first.stdout == second.stdout
    assert "trade " in first.stdout and "resp " in first.stdout
    pushes = int(re.search(r"^pushes (\d+)$", first.stdout, re.MULTILINE).group(1))
    assert pushes > 1000
    other = run_exec(script, *short, "--seed", "5", script_args=("my account 1",))
    assert other.returncode == 0 and other.stdout != first.stdout


def test_sleep_loop_scripts_end_with_the_session(tmp_path):
    script = tmp_path / "loop.py"
    script.write_text("import time\nfrom xtquant import xtdata\nn = 0\nwhile True:\n"
                      "    time.sleep(60)\n    n += 1\n    print(n, xtdata.get_full_tick(['600000.SH'])['600000.SH']['time'])\n",
                      encoding="utf-8")
    proc = run_exec(script, *TINY, "--end-time", "11:00:00")
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert 100 < len(lines) < 110           # 09:15 -> 11:00 in 60 s sleeps
    times = [int(line.split()[1]) for line in lines]
    assert times == sorted(times) and times[-1] - times[0] > 90 * 60_000   # simulated time passed, not wall time


def test_bad_options_are_one_clear_sentence(tmp_path):
    script = tmp_path / "x.py"
    script.write_text("print('hi')\n", encoding="utf-8")
    proc = run_exec(script, "--faults", "bogus=1")
    assert proc.returncode == 2 and "unknown fault 'bogus'" in proc.stderr
    proc = run_exec(tmp_path / "missing.py")
    assert proc.returncode == 2 and "not found" in proc.stderr
    proc = run_exec(script, *TINY, "--date", "2024-10-01")          # National Day: no trading
    assert proc.returncode == 2 and "2024-10-01" in proc.stderr and "Traceback" not in proc.stderr


def test_speed_option_values():
    import argparse

    import pytest

    from sim.__main__ import _speed

    assert _speed("max") is None and _speed("realtime") == 1.0 and _speed("10") == 10.0 and _speed("2.5x") == 2.5
    with pytest.raises(argparse.ArgumentTypeError, match="max, realtime or a factor"):
        _speed("fast")


def test_free_main_lets_a_script_join_its_own_worker_thread(tmp_path):
    script = tmp_path / "join.py"
    script.write_text("import threading\nfrom xtquant import xtdata\nn = []\n"
                      "def worker():\n    xtdata.subscribe_whole_quote(['SH'], lambda d: n.append(1))\n    xtdata.run()\n"
                      "t = threading.Thread(target=worker)\nt.start()\nt.join()\nprint('pushes', len(n))\n",
                      encoding="utf-8")
    proc = run_exec(script, "--free-main", *TINY, "--end-time", "10:00:00")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert int(proc.stdout.split()[-1]) > 500


def test_whole_quote_benchmark_smoke_run():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "benchmarks/sim_whole_quote.py", "--stocks", "40", "--etfs", "6",
                           "--end-time", "09:45:00", "--ref-snapshots", "50"], capture_output=True, text=True,
                          timeout=240, cwd=ROOT, env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for label in ("whole-quote run", "snapshots/s", "ticks/s", "peak memory (RSS)", "of which World", "reference"):
        assert label in proc.stdout
    assert int(re.search(r"ticks pushed\s+(\d+)", proc.stdout).group(1)) > 0


RECONNECT = '''
import time
from xtquant.xttrader import XtQuantTrader, XtQuantTraderCallback
from xtquant.xttype import StockAccount

acc = StockAccount("r1")

class CB(XtQuantTraderCallback):
    def on_disconnected(self):
        print("lost")
        tries = 1
        while trader.connect() != 0:      # the callback waits in simulated time; the market moves on
            tries += 1
            time.sleep(3)
        print("reconnected after", tries, "tries, subscribe", trader.subscribe(acc))

trader = XtQuantTrader("p", 5, CB())
trader.set_relaxed_response_order_enabled(True)
trader.start()
print("connect", trader.connect(), "subscribe", trader.subscribe(acc))
trader.run_forever()
print("end")
'''


def test_reconnect_loop_inside_on_disconnected(tmp_path):
    script = tmp_path / "reconnect.py"
    script.write_text(RECONNECT, encoding="utf-8")
    proc = run_exec(script, *TINY, "--end-time", "10:00:00", "--faults", "disconnect=09:40:00,outage=30")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.splitlines() == ["connect 0 subscribe 0", "lost", "reconnected after 11 tries, subscribe 0",
                                        "end"]
