"""Value types shared by every strategy and runner (typing.NamedTuple, Python 3.6)."""
from typing import Any, Dict, NamedTuple, Optional

ACTION_BUY = "buy"
ACTION_SELL = "sell"
ACTION_ALERT = "alert"

LEVEL_HIGH = "高"
LEVEL_MID = "中"
LEVEL_LOW = "低"
LEVEL_ORDER = {LEVEL_LOW: 0, LEVEL_MID: 1, LEVEL_HIGH: 2}

Signal = NamedTuple("Signal", [
    ("signal_id", str),            # stable natural key, e.g. 'limit_up_etf:20261121:600000.SH:510300.SH:1'
    ("strategy", str),
    ("code", str),                 # what the signal is about / would trade (the ETF here)
    ("action", str),               # buy / sell / alert
    ("ts_ms", int),
    ("trade_date", int),           # YYYYMMDD (Asia/Shanghai)
    ("price", float),              # suggested limit price (0.0 when none)
    ("quantity", int),             # suggested shares (0 when none)
    ("stop_loss", float),
    ("take_profit", float),
    ("confidence", str),           # 高 / 中 / 低 ('' when not scored)
    ("risk", str),                 # 高 / 中 / 低 ('' when not scored)
    ("score", float),
    ("reason", str),               # one human line
    ("details", Dict[str, Any]),   # strategy-specific facts (plain JSON-able values)
])

OrderIntent = NamedTuple("OrderIntent", [
    ("client_id", str),            # our id, sent as order_remark / userOrderId
    ("strategy", str),
    ("code", str),
    ("side", str),                 # buy / sell
    ("price", float),              # limit price, on the tick grid, inside cage and limit band
    ("quantity", int),             # shares, lot-rounded
    ("ts_ms", int),
    ("signal_id", str),
    ("reason", str),
    ("exit_plan", Optional[Any]),  # ExitPlan for entries, None for exits
])

ExitPlan = NamedTuple("ExitPlan", [
    ("code", str),
    ("entry_price", float),
    ("stop_loss", float),          # absolute price; 0.0 = none
    ("take_profit", float),        # absolute price; 0.0 = none
    ("trailing_pct", float),       # trailing stop as a fraction below the high since entry; 0.0 = none
    ("exit_after_days", int),      # trading days after entry for the time exit (1 = next day)
    ("exit_time", str),            # 'HH:MM:SS' Asia/Shanghai on that day
])

Fill = NamedTuple("Fill", [
    ("client_id", str),
    ("code", str),
    ("side", str),                 # buy / sell
    ("price", float),
    ("quantity", int),
    ("ts_ms", int),
    ("order_id", int),
    ("trade_id", str),
    ("strategy", str),
])


def split_by_intents(signals, intents):
    """(the signals the intents were made from, the others), each in the given order. Runners store the first
    just before the orders go out and the others after them."""
    own = set(it.signal_id for it in intents if it.signal_id)
    first, others = [], []
    for sig in signals:
        (first if sig.signal_id in own else others).append(sig)
    return first, others
