"""CLI: live mode refuses without account/confirmation/real xtquant (never falls back to the sim); kill switch CLI."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bridge.commands.run import LiveRefused, check_live
from config.schema import AppConfig

ROOT = Path(__file__).resolve().parents[2]


def _cfg(**account):
    return AppConfig.model_validate({"account": account})


def test_live_needs_account_and_confirmation():
    with pytest.raises(LiveRefused, match="QMT_ACCOUNT_ID"):
        check_live(_cfg())
    with pytest.raises(LiveRefused, match="live_confirmed"):
        check_live(_cfg(account_id="8881234567"))
    with pytest.raises(LiveRefused, match="userdata_path"):
        check_live(_cfg(account_id="8881234567", live_confirmed=True))


def test_live_never_falls_back_to_the_sim():
    import sim
    sim.install(seed=1, market="tiny")
    try:
        with pytest.raises(LiveRefused, match="never falls back to the sim"):
            check_live(_cfg(account_id="8881234567", live_confirmed=True, userdata_path="C:/qmt/userdata_mini"))
    finally:
        sim.uninstall()


def test_live_cli_one_sentence_on_linux(tmp_path):
    (tmp_path / "settings.yaml").write_text("account:\n  live_confirmed: true\n  userdata_path: C:/qmt/userdata_mini\n"
                                             "logging:\n  file: null\n", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "QMT_ACCOUNT_ID": "8881234567", "HOME": str(tmp_path)}
    p = subprocess.run([sys.executable, "-m", "bridge", "--config", str(tmp_path / "settings.yaml"), "run", "--live"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 2
    err = [ln for ln in p.stderr.splitlines() if ln.startswith("error:")]
    assert len(err) == 1 and "never falls back to the sim" in err[0], p.stderr[-2000:]
    assert "8881234567" not in p.stderr and "8881234567" not in p.stdout


def test_kill_cli_on_status_off(tmp_path):
    kill = tmp_path / "KILL"
    (tmp_path / "settings.yaml").write_text(f"risk:\n  kill_switch_file: {kill}\nlogging:\n  file: null\n",
                                             encoding="utf-8")
    base = [sys.executable, "-m", "bridge", "--config", str(tmp_path / "settings.yaml"), "kill"]
    def run(*a):
        return subprocess.run(base + list(a), cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert run("--reason", "drill").returncode == 0 and kill.exists() and "drill" in kill.read_text()
    assert "ON" in run("--status").stdout
    assert run("--off").returncode == 0 and not kill.exists()
    assert "off" in run("--status").stdout
