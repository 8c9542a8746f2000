"""Config: defaults load, wrong values give one sentence naming file/field/value, secrets only from env or local.yaml."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config.loader import ConfigError, load_config, load_stocks, secret_values
from config.schema import AppConfig

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str, name: str = "settings.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_shipped_files_validate_with_seed_defaults():
    cfg = load_config(env={})
    assert cfg.strategy.min_weight == 0.05 and cfg.strategy.min_etf_volume == 5000
    assert cfg.strategy.min_time_to_close == 1800 and cfg.strategy.scan_interval == 60
    ev = cfg.signal_evaluation
    assert (ev.confidence_high_weight, ev.confidence_low_weight, ev.confidence_high_rank, ev.confidence_low_rank) == (0.10, 0.05, 3, 10)
    assert (ev.risk_high_time_seconds, ev.risk_low_time_seconds, ev.risk_top10_ratio_high, ev.risk_morning_hour) == (600, 3600, 0.70, 10)
    assert cfg.trading_hours.morning == ("09:30", "11:30") and cfg.trading_hours.afternoon == ("13:00", "15:00")
    assert cfg.logging.rotation == "100 MB" and cfg.logging.retention == "30 days"
    assert cfg.database.sqlite_path == "data/signals.db" and cfg.database.mysql_url is None
    assert cfg.mode == "sim"
    stocks = load_stocks()
    assert stocks.my_stocks and all(s.code.endswith((".SH", ".SZ", ".BJ")) for s in stocks.my_stocks)


def test_yaml_defaults_equal_schema_defaults():
    """settings.yaml documents the defaults; it must not drift from the schema."""
    assert load_config(env={}).model_dump(exclude={"notifications"}) == AppConfig().model_dump(exclude={"notifications"})


@pytest.mark.parametrize("text, expected", [
    ("strategy:\n  min_weight: 1.5\n", "strategy.min_weight = 1.5 is not allowed: Input should be less than or equal to 1"),
    ("strategy:\n  min_wieght: 0.1\n", "strategy.min_wieght is not a known setting"),
    ("mode: paper\n", "mode = 'paper' is not allowed: Input should be 'sim' or 'live'"),
    ("trading_hours:\n  morning: ['9:30', '11:30']\n", "trading_hours.morning = ['9:30', '11:30'] is not allowed: '9:30' is not a HH:MM time"),
    ("logging:\n  rotation: big\n", "logging.rotation = 'big' is not allowed"),
    ("signal_evaluation:\n  confidence_low_weight: 0.2\n", "confidence_low_weight must not exceed confidence_high_weight"),
    ("database:\n  mysql_url: mysql+pymysql://u:hunter2@h/db\n", "database.mysql_url = 'mysql+pymysql://u:hunter2@h/db'"),
])
def test_wrong_value_is_one_sentence_naming_file_field_value(tmp_path, text, expected):
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_config(p, env={})
    msg = str(exc.value)
    assert msg.startswith(str(p) + ": ")
    assert expected in msg
    assert "\n" not in msg


def test_mysql_url_with_password_is_rejected_and_password_not_echoed(tmp_path):
    p = write(tmp_path, "database:\n  mysql_url: mysql+pymysql://u:hunter2@h/db\n")
    with pytest.raises(ConfigError, match="set env SIGNALS_MYSQL_PASSWORD"):
        load_config(p, env={})


def test_secret_in_tracked_file_is_refused(tmp_path):
    p = write(tmp_path, "account:\n  account_id: '8800123456'\n")
    with pytest.raises(ConfigError, match="account.account_id is a secret .* QMT_ACCOUNT_ID"):
        load_config(p, env={})


def test_secrets_from_env_and_local_yaml_are_masked(tmp_path):
    p = write(tmp_path, "mode: sim\n")
    write(tmp_path, "notifications:\n  wecom:\n    enabled: true\n    webhook: https://qyapi.example/send?key=abcdef123456\n", "local.yaml")
    cfg = load_config(p, env={"QMT_ACCOUNT_ID": "8800123456", "DINGTALK_SECRET": "SECxyz987654321"})
    assert cfg.account.account_id.get_secret_value() == "8800123456"
    assert cfg.notifications.dingtalk.secret.get_secret_value() == "SECxyz987654321"
    assert cfg.notifications.wecom.enabled is True
    text = repr(cfg) + str(cfg) + cfg.model_dump_json()
    for s in ("8800123456", "SECxyz987654321", "abcdef123456"):
        assert s not in text
    assert set(secret_values(cfg)) == {"8800123456", "SECxyz987654321", "https://qyapi.example/send?key=abcdef123456"}


def test_local_yaml_error_names_local_file(tmp_path):
    p = write(tmp_path, "mode: sim\n")
    local = write(tmp_path, "risk:\n  max_orders_per_day: 0\n", "local.yaml")
    with pytest.raises(ConfigError) as exc:
        load_config(p, env={})
    assert str(exc.value).startswith(f"{local}: risk.max_orders_per_day = 0 is not allowed")


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml", env={})
    p = write(tmp_path, "strategy: [1, 2\n")
    with pytest.raises(ConfigError, match=r"line \d+, column \d+ is not valid YAML"):
        load_config(p, env={})
    p = write(tmp_path, "- a\n- b\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(p, env={})


def test_bad_stock_code(tmp_path):
    p = write(tmp_path, "my_stocks:\n  - {code: 600519, name: x}\n", "stocks.yaml")
    with pytest.raises(ConfigError, match=r"my_stocks.0.code = 600519 is not allowed: .600519. is not a code like"):
        load_stocks(p)


def test_cli_exits_non_zero_with_the_sentence(tmp_path):
    p = write(tmp_path, "strategy:\n  min_time_to_close: -5\n")
    proc = subprocess.run([sys.executable, "-m", "bridge", "--config", str(p), "config"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"error: {p}: strategy.min_time_to_close = -5 is not allowed: "
                                   "Input should be greater than or equal to 0")


def test_cli_config_shows_masked_secret(tmp_path):
    p = write(tmp_path, "mode: sim\n")
    proc = subprocess.run([sys.executable, "-m", "bridge", "--config", str(p), "config"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "QMT_ACCOUNT_ID": "8800123456"})
    assert proc.returncode == 0, proc.stderr
    assert "8800123456" not in proc.stdout and '"account_id": "**********"' in proc.stdout
    assert proc.stdout.strip().endswith("config OK")
