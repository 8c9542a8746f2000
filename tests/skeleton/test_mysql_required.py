"""MySQL tests use the real server; under CI an unreachable server fails the run instead of skipping."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]

PROBE = '''
def test_needs_mysql(mysql_url):
    assert mysql_url
'''


@pytest.mark.mysql
def test_throwaway_database_round_trips_utf8mb4(mysql_url):
    eng = sa.create_engine(mysql_url)
    try:
        with eng.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (name VARCHAR(32)) CHARACTER SET utf8mb4"))
            conn.execute(sa.text("INSERT INTO t VALUES (:n)"), {"n": "贵州茅台🚀"})
            assert conn.execute(sa.text("SELECT name FROM t")).scalar_one() == "贵州茅台🚀"
    finally:
        eng.dispose()


def _run_probe(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess:
    (tmp_path / "test_probe.py").write_text(PROBE, encoding="utf-8")
    (tmp_path / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_XDIST_WORKER", "PYTEST_ADDOPTS")}
    env["SIGNALS_TEST_MYSQL_URL"] = "mysql+pymysql://root@127.0.0.1:9/nothing"  # discard port: nothing listens
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)


def test_unreachable_mysql_fails_under_ci(tmp_path):
    proc = _run_probe(tmp_path, ci=True)
    assert proc.returncode == 1, proc.stdout
    assert "MySQL required under CI but unreachable" in proc.stdout


def test_unreachable_mysql_skips_locally(tmp_path):
    proc = _run_probe(tmp_path, ci=False)
    assert proc.returncode == 0, proc.stdout
    assert "1 skipped" in proc.stdout
