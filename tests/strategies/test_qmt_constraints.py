"""The signal-engine modules must load inside QMT: Python 3.6 grammar and GBK-encodable source."""
import ast
import pathlib

import pytest

MODULES = ["ashare", "snapshot", "tick_fields", "limit_up", "etf_exposure", "iopv", "evaluate", "types", "limit_up_etf",
           "__init__"]
ROOT = pathlib.Path(__file__).resolve().parents[2] / "qmt_strategies"


@pytest.mark.parametrize("name", MODULES)
def test_py36_grammar_and_gbk(name):
    src = (ROOT / (name + ".py")).read_text(encoding="utf-8")
    ast.parse(src, feature_version=(3, 6))
    src.encode("gbk")
