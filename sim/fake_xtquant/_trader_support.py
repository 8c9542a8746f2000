"""Pieces of the fake XtQuantTrader kept apart to keep xttrader.py short: account-info rows, deadlock messages."""


class XtAccountInfo:
    """Row of query_account_infos (a C++ type in the real client)."""

    def __init__(self, account_type, account_id, broker_type, platform_id, account_classification, login_status):
        self.account_type = account_type
        self.account_id = account_id
        self.broker_type = broker_type
        self.platform_id = platform_id
        self.account_classification = account_classification
        self.login_status = login_status


# the async alternative the real client offers for a sync call (None: there is none)
_ASYNC_OF = {"query_stock_order": "query_stock_orders_async", "query_stock_position": "query_stock_positions_async",
             "subscribe": None, "unsubscribe": None}


def deadlock_message(method: str, lane: str, relaxed_helps: bool) -> str:
    """Why a sync call inside a callback would hang the real client, and what to use instead."""
    alt = _ASYNC_OF.get(method, f"{method}_async")
    if relaxed_helps:
        fix = (f"use {alt} or call set_relaxed_response_order_enabled(True)" if alt else
               "call it outside the callback (e.g. from the main thread) or call "
               "set_relaxed_response_order_enabled(True)")
    else:
        fix = (f"use {alt} and handle its response callback (relaxed response order does not help: "
               "order/cancel responses always arrive on the callback thread)")
    return (f"sim: XtQuantTrader.{method}() was called synchronously on the xttrader callback thread ({lane}); "
            "the real client deadlocks here because the response is queued behind the callback that waits "
            f"for it. Fix: {fix}.")
