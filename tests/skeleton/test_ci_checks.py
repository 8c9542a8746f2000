"""The standing-rule checks of .ci/checks.py pass on the tree and fail on each kind of violation."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ROOT / ".ci" / "checks.py"


def run_checks(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECKS), str(root)], capture_output=True, text=True, timeout=300)


def test_project_tree_passes():
    proc = run_checks(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "qmt_strategies").mkdir()
    (tmp_path / "qmt_strategies" / "ok.py").write_text(
        "import math\nimport numpy as np\nfrom collections import namedtuple\n\n"
        "def f(x):\n    return '{:.2f}'.format(math.floor(x)) + f'{x}'\n", encoding="utf-8")
    for d in ("bridge", "signals_db", "sim", "config"):
        (tmp_path / d).mkdir()
    (tmp_path / "bridge" / "xt.py").write_text("from xtquant import xtdata\n", encoding="utf-8")
    (tmp_path / "sim" / "x.py").write_text("import xtquant.xttrader\n", encoding="utf-8")
    return tmp_path


def test_clean_synthetic_tree_passes(tree):
    proc = run_checks(tree)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("path, text, expected", [
    ("qmt_strategies/w.py", "if (n := 3):\n    pass\n", "not Python 3.6 grammar"),
    ("qmt_strategies/p.py", "def f(a, /, b):\n    return a\n", "not Python 3.6 grammar"),
    ("qmt_strategies/d.py", "from dataclasses import dataclass\n", "imports dataclasses"),
    ("qmt_strategies/x.py", "from xtquant import xtdata\n", "imports xtquant"),
    ("qmt_strategies/b.py", "import bridge.runner\n", "imports bridge.runner"),
    ("qmt_strategies/l.py", "from loguru import logger\n", "imports loguru"),
    ("qmt_strategies/s.py", "import scipy.stats\n", "imports third-party scipy.stats"),
    ("qmt_strategies/m.py", "import math\nm = math.prod([1, 2])\n", "'math.prod' member requires"),
    ("signals_db/x.py", "import xtquant\n", "only bridge/ and sim/ may import xtquant"),
    ("config/x.py", "from xtquant.xttype import XtOrder\n", "only bridge/ and sim/ may import xtquant"),
])
def test_each_violation_fails(tree, path, text, expected):
    (tree / path).write_text(text, encoding="utf-8")
    proc = run_checks(tree)
    assert proc.returncode == 1
    assert expected in proc.stdout


def test_secret_in_tracked_file_fails(tree):
    subprocess.run(["git", "init", "-q"], cwd=tree, check=True)
    (tree / "config" / "settings.yaml").write_text("dingtalk:\n  secret: SECa1b2c3d4e5f6g7h8\n", encoding="utf-8")
    subprocess.run(["git", "add", "."], cwd=tree, check=True)
    proc = run_checks(tree)
    assert proc.returncode == 1
    assert "config/settings.yaml:2: looks like a credential" in proc.stdout


def test_ci_run_uses_the_readme_test_command():
    """.ci/run must run exactly the README's test command (extracted after the marker)."""
    if shutil.which("awk") is None:
        pytest.skip("awk not available")
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    awk = script.split("test_cmd=$(awk '", 1)[1].split("' README.md)", 1)[0]
    cmd = subprocess.run(["awk", awk, str(ROOT / "README.md")], capture_output=True, text=True, check=True).stdout.strip()
    assert "pytest" in cmd and "pip install -r requirements.txt" in cmd
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(cmd) >= 1
