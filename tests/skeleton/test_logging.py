"""loguru setup: key=value context, rotating file, and secrets masked wherever they appear."""
from __future__ import annotations

from loguru import logger

from bridge.logsetup import SecretMasker, setup_logging
from config.schema import Logging


def test_masker_hides_registered_secrets_and_credential_patterns():
    m = SecretMasker(["8800123456", "SECabc"])
    assert m.mask("account 8800123456 ok") == "account *** ok"
    assert m.mask("mysql+pymysql://trader:pw9@db:3306/x") == "mysql+pymysql://trader:***@db:3306/x"
    assert m.mask("https://oapi.dingtalk.com/robot/send?access_token=deadbeef&timestamp=1") == \
        "https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=1"
    assert m.mask("nothing to hide") == "nothing to hide"


def test_file_log_has_context_and_no_secret(tmp_path):
    log = tmp_path / "x.log"
    setup_logging(Logging(file=str(log), level="DEBUG"), ["8800123456"], console=False)
    try:
        logger.bind(client_id="c42", code="600000.SH").info("order placed account=8800123456")
        logger.info("connect mysql+pymysql://u:topsecret@h/db")
    finally:
        logger.remove()
    text = log.read_text(encoding="utf-8")
    assert "8800123456" not in text and "topsecret" not in text
    assert "order placed account=***" in text
    assert "client_id=c42" in text and "code=600000.SH" in text


def test_cli_commands_log_to_the_configured_file_without_secrets(tmp_path):
    """Every `python -m bridge` command logs per config (console + file), secrets registered with the masker."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    log = tmp_path / "bridge.log"
    settings = tmp_path / "settings.yaml"
    settings.write_text(f"logging:\n  file: {log}\n  level: DEBUG\n", encoding="utf-8")
    env = dict(os.environ, SIGNALS_MYSQL_PASSWORD="Sup3rSecretPw")
    proc = subprocess.run([sys.executable, "-m", "bridge", "--config", str(settings), "sync", "--once",
                           "--sqlite", str(tmp_path / "s.db"), "--mysql-url", "mysql+pymysql://trader@127.0.0.1:9/signals"],
                          cwd=root, capture_output=True, text=True, timeout=120, env=env)
    text = log.read_text(encoding="utf-8")
    assert "sync pass" in text and "store migrated" in text
    for out in (text, proc.stdout, proc.stderr):
        assert "Sup3rSecretPw" not in out
