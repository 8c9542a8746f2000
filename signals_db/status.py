"""Order status vocabulary stored in ``orders.status`` and its forward-only rank.

An order's stored status only moves to a status of strictly higher rank; its filled quantity only grows.
Names follow xtquant's ``ORDER_*`` constants (lower case), plus ``created`` (known locally, not yet sent)
and ``rejected`` (refused before reaching the broker).
"""
from __future__ import annotations

# rank: a later stage of the life cycle has a higher rank; terminal statuses share the top rank.
ORDER_STATUS_RANK: dict[str, int] = {
    "created": 0,
    "unknown": 5,
    "unreported": 10,
    "wait_reporting": 20,
    "reported": 30,
    "part_succ": 40,
    "reported_cancel": 50,  # cancel requested, order still live
    "partsucc_cancel": 55,  # partly filled, cancel requested
    "part_cancel": 90,  # terminal: partly filled, rest cancelled
    "canceled": 90,
    "succeeded": 90,
    "junk": 90,  # terminal: broker/exchange rejected (废单)
    "rejected": 90,  # terminal: refused locally (risk check) or by the broker API
}
TERMINAL = frozenset(s for s, r in ORDER_STATUS_RANK.items() if r == 90)

# xtquant order_status int (xtconstant.ORDER_*) -> our name
XT_ORDER_STATUS: dict[int, str] = {
    48: "unreported",
    49: "wait_reporting",
    50: "reported",
    51: "reported_cancel",
    52: "partsucc_cancel",
    53: "part_cancel",
    54: "canceled",
    55: "part_succ",
    56: "succeeded",
    57: "junk",
    255: "unknown",
}


def status_name(status: str | int) -> str:
    """Our status name for a name or an xtquant ORDER_* int; ValueError naming the allowed values otherwise."""
    if isinstance(status, int) and not isinstance(status, bool):
        if status in XT_ORDER_STATUS:
            return XT_ORDER_STATUS[status]
        raise ValueError(f"order status {status} is not an xtquant ORDER_* value ({sorted(XT_ORDER_STATUS)})")
    s = str(status).strip().lower()
    if s not in ORDER_STATUS_RANK:
        raise ValueError(f"order status {status!r} is unknown; use one of {', '.join(ORDER_STATUS_RANK)}")
    return s


def status_rank(status: str | int) -> int:
    """Forward-only rank of a status (name or xtquant int)."""
    return ORDER_STATUS_RANK[status_name(status)]
