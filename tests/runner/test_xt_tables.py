"""Translation tables against every relevant constant of the REAL xtquant wheel's xtconstant.py."""
from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from bridge import xt_tables as T


def _real_constants() -> dict[str, object]:
    spec = importlib.util.find_spec("xtquant")
    assert spec is not None and spec.submodule_search_locations, "the real xtquant wheel must be installed"
    src = (Path(next(iter(spec.submodule_search_locations))) / "xtconstant.py").read_text(encoding="utf-8")
    ns: dict[str, object] = {}
    for node in ast.parse(src).body:
        if isinstance(node, ast.Assign):
            exec(compile(ast.Module(body=[node], type_ignores=[]), "xtconstant", "exec"), ns)  # noqa: S102
    ns.pop("__builtins__", None)
    return ns


C = _real_constants()
STATUS_NAMES = ["ORDER_UNREPORTED", "ORDER_WAIT_REPORTING", "ORDER_REPORTED", "ORDER_REPORTED_CANCEL",
                "ORDER_PARTSUCC_CANCEL", "ORDER_PART_CANCEL", "ORDER_CANCELED", "ORDER_PART_SUCC",
                "ORDER_SUCCEEDED", "ORDER_JUNK", "ORDER_UNKNOWN"]


def test_every_order_status_constant_is_mapped_and_classified():
    status_consts = {k: v for k, v in C.items() if k in STATUS_NAMES}
    assert len(status_consts) == 11
    for name, value in status_consts.items():
        assert value in T.ORDER_STATUS, name
        classes = [value in T.LIVE_STATUS, value in T.FINAL_STATUS, value in T.UNKNOWN_STATUS]
        assert sum(classes) == 1, f"{name}={value} must be exactly one of live/final/unknown"
    assert set(T.ORDER_STATUS) == set(status_consts.values())


def test_cancel_pending_statuses_are_still_live():
    assert C["ORDER_REPORTED_CANCEL"] in T.LIVE_STATUS and C["ORDER_PARTSUCC_CANCEL"] in T.LIVE_STATUS
    assert T.CANCEL_PENDING_STATUS == {C["ORDER_REPORTED_CANCEL"], C["ORDER_PARTSUCC_CANCEL"]}
    for final in ("ORDER_PART_CANCEL", "ORDER_CANCELED", "ORDER_SUCCEEDED", "ORDER_JUNK"):
        assert C[final] in T.FINAL_STATUS


def test_status_names_match_signals_db_vocabulary():
    from signals_db.status import ORDER_STATUS_RANK, XT_ORDER_STATUS
    assert XT_ORDER_STATUS == T.ORDER_STATUS
    for name in T.ORDER_STATUS.values():
        assert name in ORDER_STATUS_RANK


@pytest.mark.parametrize("value", range(-5, 300))
def test_status_name_total(value):
    name = T.status_name(value)
    assert name == T.ORDER_STATUS.get(value, "unknown")


def test_sides():
    assert T.SIDE_TO_ORDER_TYPE == {"buy": C["STOCK_BUY"], "sell": C["STOCK_SELL"]}
    assert T.DIRECTION_TO_SIDE == {C["DIRECTION_FLAG_BUY"]: "buy", C["DIRECTION_FLAG_SELL"]: "sell"}
    assert T.side_of(C["STOCK_BUY"]) == "buy" and T.side_of(C["STOCK_SELL"]) == "sell"
    assert T.side_of(0, C["DIRECTION_FLAG_SELL"]) == "sell"
    assert T.side_of(0, 0) is None


def test_every_request_price_type_constant_is_classified():
    names = ["LATEST_PRICE", "FIX_PRICE", "MARKET_BEST", "MARKET_CANCEL", "MARKET_CANCEL_ALL", "MARKET_CANCEL_1",
             "MARKET_CANCEL_5", "MARKET_CONVERT_1", "MARKET_CONVERT_5", "MARKET_SH_CONVERT_5_CANCEL",
             "MARKET_SH_CONVERT_5_LIMIT", "MARKET_PEER_PRICE_FIRST", "MARKET_MINE_PRICE_FIRST",
             "MARKET_SZ_INSTBUSI_RESTCANCEL", "MARKET_SZ_CONVERT_5_CANCEL", "MARKET_SZ_FULL_OR_CANCEL"]
    real = {n: C[n] for n in names}
    stock_values = set(T.PRICE_TYPE_REQUEST.values())
    for n, v in real.items():
        assert (v in stock_values) != (v in T.FUTURES_ONLY_PRICE_TYPES), n
    assert stock_values | T.FUTURES_ONLY_PRICE_TYPES == set(real.values())


def test_request_price_types_per_exchange_follow_the_docs():
    assert T.request_price_type("limit", "600000.SH") == C["FIX_PRICE"]
    assert T.request_price_type("latest", "000001.SZ") == C["LATEST_PRICE"]
    assert T.request_price_type("market_5_cancel", "600000.SH") == C["MARKET_SH_CONVERT_5_CANCEL"]
    assert T.request_price_type("market_5_cancel", "000001.SZ") == C["MARKET_SZ_CONVERT_5_CANCEL"]
    assert T.request_price_type("market_5_limit", "430047.BJ") == C["MARKET_SH_CONVERT_5_LIMIT"]
    assert T.request_price_type("market_ioc", "159915.SZ") == C["MARKET_SZ_INSTBUSI_RESTCANCEL"]
    assert T.request_price_type("market_fok", "000001.SZ") == C["MARKET_SZ_FULL_OR_CANCEL"]
    with pytest.raises(ValueError, match="not available"):
        T.request_price_type("market_ioc", "600000.SH")
    with pytest.raises(ValueError):
        T.request_price_type("market_5_limit", "000001.SZ")


def test_broker_price_types_cover_limit_and_every_stock_market_kind():
    assert T.BROKER_PRICE_TYPE[50] == "limit"
    kinds = {k for (k, _m) in T.PRICE_TYPE_REQUEST} - {"latest"}
    assert kinds <= set(T.BROKER_PRICE_TYPE.values())


def test_markets_and_account_status():
    assert T.MARKET_OF_SUFFIX == {"SH": C["SH_MARKET"], "SZ": C["SZ_MARKET"], "BJ": C["MARKET_ENUM_BEIJING"]}
    assert T.market_of("510300.SH") == 0 and T.market_of("159915.SZ") == 1
    real = {v for k, v in C.items() if k.startswith("ACCOUNT_STATUS")}
    assert set(T.ACCOUNT_STATUS) == real
    assert T.ACCOUNT_TRADABLE == {C["ACCOUNT_STATUS_OK"]}
