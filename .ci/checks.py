#!/usr/bin/env python3
"""Standing rules CI enforces: Python 3.6 in qmt_strategies/, import boundaries, no secrets in tracked files.

Usage: python .ci/checks.py [ROOT]   (exit 1 and one line per violation when something is off)
"""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

QMT_ALLOWED_THIRD_PARTY = {"numpy", "pandas"}
# packages of ours that must never be imported from qmt_strategies (it runs inside QMT's own Python)
QMT_FORBIDDEN = {"xtquant", "bridge", "signals_db", "sim", "config", "sqlalchemy", "loguru", "akshare",
                 "requests", "pymysql", "pydantic", "yaml", "tenacity", "dataclasses"}
# modules new since 3.6 that exist in sys.stdlib_module_names but not in QMT's Python
STDLIB_NEWER_THAN_36 = {"dataclasses", "contextvars", "graphlib", "zoneinfo", "tomllib", "importlib.metadata",
                        "importlib.resources"}
XTQUANT_ALLOWED_DIRS = {"bridge", "sim", "tests", "benchmarks"}
PRODUCT_DIRS = ["qmt_strategies", "bridge", "signals_db", "config", "sim"]


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
    return out


def check_qmt_strategies(root: Path) -> list[str]:
    """3.6 grammar, stdlib (as of 3.6) + numpy/pandas only, no project/xtquant imports, vermin clean."""
    bad: list[str] = []
    pkg = root / "qmt_strategies"
    if not pkg.is_dir():
        return [f"{pkg}: missing"]
    files = sorted(pkg.rglob("*.py"))
    for f in files:
        rel = f.relative_to(root)
        try:
            tree = ast.parse(f.read_bytes(), filename=str(f), feature_version=(3, 6))
        except SyntaxError as e:
            bad.append(f"{rel}:{e.lineno}: not Python 3.6 grammar ({e.msg}); qmt_strategies runs inside QMT's Python 3.6")
            continue
        for lineno, mod in _imports(tree):
            top = mod.split(".")[0]
            if top == "qmt_strategies":
                continue
            if top in QMT_FORBIDDEN or mod in STDLIB_NEWER_THAN_36:
                bad.append(f"{rel}:{lineno}: imports {mod} (qmt_strategies may use only the Python 3.6 stdlib, numpy and pandas)")
            elif top not in sys.stdlib_module_names and top not in QMT_ALLOWED_THIRD_PARTY:
                bad.append(f"{rel}:{lineno}: imports third-party {mod} (only numpy and pandas are available inside QMT)")
    if files:
        vermin = Path(sys.executable).with_name("vermin")
        vermin_cmd = [str(vermin)] if vermin.exists() else [shutil.which("vermin") or "vermin"]
        proc = subprocess.run([*vermin_cmd, "-q", "-t=3.6-", "--no-tips", "--violations",
                               "--eval-annotations", "--no-parse-comments", *map(str, files)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
            bad += [f"vermin: {ln.strip()}" for ln in lines[:20]] or [f"vermin failed: {proc.stderr.strip()[:300]}"]
    return bad


def check_xtquant_boundary(root: Path) -> list[str]:
    """`import xtquant` only in bridge/ and sim/ (plus tests and benchmarks, which go through sim.install())."""
    bad = []
    for d in PRODUCT_DIRS:
        if d in XTQUANT_ALLOWED_DIRS or not (root / d).is_dir():
            continue
        for f in sorted((root / d).rglob("*.py")):
            try:
                tree = ast.parse(f.read_bytes(), filename=str(f))
            except SyntaxError as e:
                bad.append(f"{f.relative_to(root)}:{e.lineno}: syntax error ({e.msg})")
                continue
            for lineno, mod in _imports(tree):
                if mod.split(".")[0] == "xtquant":
                    bad.append(f"{f.relative_to(root)}:{lineno}: imports {mod}; only bridge/ and sim/ may import xtquant")
    return bad


_SECRET = re.compile(r"""(?i)(access_token=[0-9a-f]{16,}|(password|secret|webhook|account_id)\s*[:=]\s*["']?[A-Za-z0-9+/]{12,})""")
_SECRET_OK = re.compile(r"(?i)example|xxx|your_|\$\{|environ|getenv|placeholder")


def check_secrets(root: Path) -> list[str]:
    """Tracked non-test files must not contain credentials (they come from the environment)."""
    try:
        files = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout.split()
    except (subprocess.CalledProcessError, FileNotFoundError):
        files = [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()]
    bad = []
    for name in files:
        if name.startswith(("tests/", ".ci/")) or name.endswith(".md"):
            continue
        p = root / name
        try:
            text = p.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for i, line in enumerate(text.splitlines(), 1):
            if _SECRET.search(line) and not _SECRET_OK.search(line):
                bad.append(f"{name}:{i}: looks like a credential; move it to an environment variable")
    return bad


def main(argv: list[str]) -> int:
    root = Path(argv[1]).resolve() if len(argv) > 1 else Path(__file__).resolve().parent.parent
    problems = check_qmt_strategies(root) + check_xtquant_boundary(root) + check_secrets(root)
    for p in problems:
        print(p)
    print(f"checks: {len(problems)} problem(s)" if problems else "checks: qmt_strategies 3.6 + imports, xtquant boundary, secrets OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
