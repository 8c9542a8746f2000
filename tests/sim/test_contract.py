"""Contract: sim.fake_xtquant has the public API of the INSTALLED real xtquant wheel (read with ast, never imported)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import shutil
from pathlib import Path

import pytest

from sim.fake_xtquant import _gen_xtconstant

XTDATA_FUNCTIONS = [
    "subscribe_quote", "subscribe_quote2", "subscribe_whole_quote", "unsubscribe_quote", "run", "get_full_tick",
    "get_market_data", "get_market_data_ex", "get_local_data", "download_history_data", "download_history_data2",
    "get_instrument_detail", "get_instrument_detail_list", "get_stock_list_in_sector", "get_sector_list",
    "download_sector_data", "get_trading_dates", "get_trading_calendar", "get_holidays", "get_etf_info",
    "download_etf_info", "get_index_weight", "download_index_weight", "get_divid_factors", "get_financial_data",
    "connect", "reconnect", "disconnect",
]
_MISSING = object()


def real_dir() -> Path:
    """The installed real xtquant package directory (find_spec only: its compiled parts are Windows-only)."""
    spec = importlib.util.find_spec("xtquant")
    assert spec is not None and spec.submodule_search_locations, "the real xtquant wheel must be installed"
    path = Path(next(iter(spec.submodule_search_locations)))
    assert "site-packages" in str(path) and "sim" not in path.parts, path
    return path


def _tree(root: Path, name: str) -> ast.Module:
    return ast.parse((root / name).read_text(encoding="utf-8"))


def _default(node: ast.expr | None):
    if node is None:
        return _MISSING
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)


def ast_signature(fn: ast.FunctionDef) -> list[tuple[str, str, object]]:
    """[(name, kind, default)] of a function definition."""
    a = fn.args
    out = []
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    for arg, d in zip(positional, defaults, strict=True):
        kind = "POSITIONAL_ONLY" if arg in a.posonlyargs else "POSITIONAL_OR_KEYWORD"
        out.append((arg.arg, kind, _default(d)))
    if a.vararg:
        out.append((a.vararg.arg, "VAR_POSITIONAL", _MISSING))
    for arg, d in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        out.append((arg.arg, "KEYWORD_ONLY", _default(d)))
    if a.kwarg:
        out.append((a.kwarg.arg, "VAR_KEYWORD", _MISSING))
    return out


def py_signature(fn) -> list[tuple[str, str, object]]:
    """[(name, kind, default)] of a live function."""
    return [(p.name, p.kind.name, _MISSING if p.default is inspect.Parameter.empty else p.default)
            for p in inspect.signature(fn).parameters.values()]


def _class(tree: ast.Module, name: str) -> ast.ClassDef:
    return next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)


def compare_class_methods(tree: ast.Module, name: str, fake_cls) -> list[str]:
    """Differences between the real class's methods (and method aliases) and the fake's."""
    diffs = []
    for node in _class(tree, name).body:
        if isinstance(node, ast.FunctionDef):
            fake = getattr(fake_cls, node.name, None)
            if fake is None:
                diffs.append(f"{name}.{node.name}: missing")
            elif py_signature(fake) != ast_signature(node):
                diffs.append(f"{name}.{node.name}: signature {py_signature(fake)} != real {ast_signature(node)}")
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Name):
            for t in node.targets:
                if getattr(fake_cls, t.id, None) is not getattr(fake_cls, node.value.id, _MISSING):
                    diffs.append(f"{name}.{t.id}: alias of {node.value.id} missing")
    return diffs


def compare_functions(tree: ast.Module, names: list[str], fake_mod) -> list[str]:
    """Differences between module-level functions of the real module and the fake's."""
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    diffs = []
    for name in names:
        if name not in defs:
            diffs.append(f"{name}: not in the real module (update the list)")
            continue
        fake = getattr(fake_mod, name, None) if name in vars(fake_mod) else None
        if fake is None:
            diffs.append(f"{name}: missing")
        elif py_signature(fake) != ast_signature(defs[name]):
            diffs.append(f"{name}: signature {py_signature(fake)} != real {ast_signature(defs[name])}")
    return diffs


def compare_constants(root: Path, fake_mod) -> list[str]:
    """Every real xtconstant name with an equal value in the fake (and no extra public names)."""
    real = _gen_xtconstant.evaluate_constants((root / "xtconstant.py").read_text(encoding="utf-8"))
    diffs = []
    for name, value in real.items():
        fake = getattr(fake_mod, name, _MISSING)
        if callable(value):
            if not callable(fake):
                diffs.append(f"xtconstant.{name}: function missing")
            elif inspect.signature(fake) != inspect.signature(value):
                diffs.append(f"xtconstant.{name}: signature differs")
        elif fake is _MISSING:
            diffs.append(f"xtconstant.{name}: missing")
        elif fake != value or type(fake) is not type(value):
            diffs.append(f"xtconstant.{name}: {fake!r} != real {value!r}")
    extra = {n for n in vars(fake_mod) if not n.startswith("_")} - set(real)
    diffs += [f"xtconstant.{n}: not in the real module" for n in sorted(extra)]
    return diffs


def _init_fields(cls_node: ast.ClassDef) -> list[str]:
    init = next((n for n in cls_node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if init is None:
        return []
    return [t.attr for n in ast.walk(init) if isinstance(n, ast.Assign) for t in n.targets
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"]


def compare_types(tree: ast.Module, fake_mod) -> list[str]:
    """Every real xttype class: same bases, constructor signatures and the same instance fields."""
    diffs = []
    real_classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    for node in real_classes:
        fake = getattr(fake_mod, node.name, None)
        if fake is None:
            diffs.append(f"xttype.{node.name}: missing")
            continue
        bases = [ast.unparse(b) for b in node.bases if ast.unparse(b) != "object"]
        fake_bases = [b.__name__ for b in fake.__bases__ if b is not object]
        if bases != fake_bases:
            diffs.append(f"xttype.{node.name}: bases {fake_bases} != real {bases}")
        for meth in ("__new__", "__init__"):
            real_fn = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == meth), None)
            if real_fn is not None and py_signature(getattr(fake, meth)) != ast_signature(real_fn):
                diffs.append(f"xttype.{node.name}.{meth}: signature {py_signature(getattr(fake, meth))} != "
                             f"real {ast_signature(real_fn)}")
        fake_node = _fake_class_node(fake)
        if sorted(_init_fields(fake_node)) != sorted(_init_fields(node)):
            diffs.append(f"xttype.{node.name}: fields {sorted(_init_fields(fake_node))} != real "
                         f"{sorted(_init_fields(node))}")
    extra = {n for n, v in vars(fake_mod).items() if inspect.isclass(v) and v.__module__ == fake_mod.__name__}
    diffs += [f"xttype.{n}: not in the real module" for n in sorted(extra - {n.name for n in real_classes})]
    return diffs


def _fake_class_node(cls) -> ast.ClassDef:
    src = inspect.getsource(inspect.getmodule(cls))
    return _class(ast.parse(src), cls.__name__)


def all_differences(root: Path) -> list[str]:
    """Every difference between the real wheel at root and sim.fake_xtquant."""
    from sim.fake_xtquant import xtconstant, xtdata, xttrader, xttype

    trader = _tree(root, "xttrader.py")
    return (compare_class_methods(trader, "XtQuantTrader", xttrader.XtQuantTrader)
            + compare_class_methods(trader, "XtQuantTraderCallback", xttrader.XtQuantTraderCallback)
            + compare_functions(_tree(root, "xtdata.py"), XTDATA_FUNCTIONS, xtdata)
            + compare_constants(root, xtconstant)
            + compare_types(_tree(root, "xttype.py"), xttype))


def test_fake_matches_the_installed_real_wheel():
    assert all_differences(real_dir()) == []


def test_version_matches():
    import sim.fake_xtquant as fake

    assert fake.__version__ == _gen_xtconstant.real_version(real_dir())


def test_contract_covers_every_real_method():
    tree = _tree(real_dir(), "xttrader.py")
    n_methods = sum(isinstance(n, ast.FunctionDef) for n in _class(tree, "XtQuantTrader").body)
    n_constants = len(_gen_xtconstant.evaluate_constants((real_dir() / "xtconstant.py").read_text("utf-8")))
    assert n_methods > 80 and n_constants > 500


@pytest.fixture
def real_copy(tmp_path) -> Path:
    dst = tmp_path / "xtquant"
    dst.mkdir()
    for name in ("__init__.py", "xttrader.py", "xtdata.py", "xttype.py", "xtconstant.py"):
        shutil.copy(real_dir() / name, dst / name)
    return dst


def _mutate(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("file", "old", "new", "expect"), [
    ("xtconstant.py", "ORDER_JUNK = 57", "ORDER_JUNK = 58", "xtconstant.ORDER_JUNK"),
    ("xtconstant.py", "STOCK_BUY = 23", "STOCK_BUY = 23\nSTOCK_NEW_THING = 1", "xtconstant.STOCK_NEW_THING"),
    ("xttrader.py", "def cancel_order_stock(self, account, order_id):",
     "def cancel_order_stock(self, account, order_id, remark=''):", "XtQuantTrader.cancel_order_stock"),
    ("xttrader.py", "def on_stock_trade(self, trade):", "def on_stock_trade(self, deal):",
     "XtQuantTraderCallback.on_stock_trade"),
    ("xttrader.py", "    def run_forever(self):", "    def new_method(self):\n        pass\n\n    def run_forever(self):",
     "XtQuantTrader.new_method: missing"),
    ("xtdata.py", "def get_full_tick(code_list):", "def get_full_tick(code_list, level=1):", "get_full_tick"),
    ("xtdata.py", "def subscribe_whole_quote(code_list, callback = None):",
     "def subscribe_whole_quote(code_list, callback = 0):", "subscribe_whole_quote"),
    ("xttype.py", "        self.traded_amount = traded_amount\n",
     "        self.traded_amount = traded_amount\n        self.fee = 0\n", "xttype.XtTrade: fields"),
    ("xttype.py", "class XtBankTransferResponse(object):", "class XtBankTransferResponse2(object):",
     "xttype.XtBankTransferResponse2: missing"),
])
def test_contract_fails_on_drift(real_copy, file, old, new, expect):
    assert all_differences(real_copy) == []
    _mutate(real_copy / file, old, new)
    diffs = all_differences(real_copy)
    assert any(expect in d for d in diffs), diffs


def test_fake_modules_import_without_the_real_compiled_parts():
    for name in ("xtconstant", "xttype", "xttrader", "xtdata"):
        mod = importlib.import_module(f"sim.fake_xtquant.{name}")
        assert mod.__name__ == f"sim.fake_xtquant.{name}"


def test_unsupported_methods_raise_naming_the_method():
    from sim.fake_xtquant.xttrader import XtQuantTrader

    trader = XtQuantTrader.__new__(XtQuantTrader)
    with pytest.raises(NotImplementedError, match=r"query_credit_detail.*covers stock trading"):
        trader.query_credit_detail(None)
    with pytest.raises(NotImplementedError, match="smart_algo_order_async"):
        trader.smart_algo_order_async(*([None] * 12))
