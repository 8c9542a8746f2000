"""Hand-built xtquant tick dicts for the signal-engine tests (imported by name: not a conftest)."""

BASE_MS = 1763688600000  # 2025-11-21 09:30:00 Asia/Shanghai


def make_tick(pre, last=None, high=None, low=None, bid=None, ask=None, bid_vol=None, ask_vol=None,
              t=BASE_MS, amount=1.0e8, open_=None, tick=0.01):
    """A full xtquant tick dict (real keys; volumes in lots)."""
    last = pre if last is None else last
    bid = [round(last - tick * k, 3) for k in range(5)] if bid is None else bid
    ask = [round(last + tick * (k + 1), 3) for k in range(5)] if ask is None else ask
    return {
        "time": t, "lastPrice": last, "open": last if open_ is None else open_,
        "high": max(last, pre) if high is None else high, "low": min(last, pre) if low is None else low,
        "lastClose": pre, "amount": amount, "volume": 1000, "pvolume": 100000, "stockStatus": 0,
        "openInt": 13, "transactionNum": 10, "lastSettlementPrice": 0.0, "settlementPrice": 0.0, "pe": 0.0,
        "bidPrice": bid, "askPrice": ask,
        "bidVol": [100, 100, 100, 100, 100] if bid_vol is None else bid_vol,
        "askVol": [100, 100, 100, 100, 100] if ask_vol is None else ask_vol,
    }
