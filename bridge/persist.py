"""What the runner keeps in signals_db to survive a restart: orders (orders table) and exit brackets.

Brackets go to signals_db's exit_brackets table (one row per account, code and entry order; a higher version
replaces the stored one), the whole bracket as JSON in `state`.
"""
from __future__ import annotations

import datetime as dt
import json

from loguru import logger

from bridge.exits import SH_TZ, Bracket
from bridge.orders import Order


def day_bounds_text(trade_date: dt.date) -> tuple[str, str]:
    """'YYYY-MM-DD 00:00:00' .. next day, as stored in DATETIME columns (Asia/Shanghai wall time)."""
    nxt = trade_date + dt.timedelta(days=1)
    return f"{trade_date.isoformat()} 00:00:00", f"{nxt.isoformat()} 00:00:00"


def save_order(store, o: Order, ts_ms: int, account_id: str = "") -> bool:
    """Upsert an order's current state (forward-only in the store)."""
    return store.record_order_update(
        # 'sent' and 'lost' are local: both are 'unknown' in the store (forward-only there, so a lost order that
        # reappears at the broker can still move on to its real final status)
        o.client_id, code=o.code, side=o.side, quantity=o.quantity,
        status="unknown" if o.status in ("sent", "lost") else o.status, ts=ts_ms, filled_qty=o.filled,
        avg_price=o.avg_price or None, price=o.price, price_type="limit", broker_order_id=o.order_id,
        order_sysid=o.sysid or None, account_id=account_id, strategy=o.strategy, remark=o.signal_id or None,
        status_msg=(o.status_msg or o.reason or None) and (o.status_msg or o.reason)[:255])


def load_orders(store, trade_date: dt.date, account_id: str = "") -> list[Order]:
    """Today's orders from the store (status as last stored; the broker reconcile corrects it)."""
    lo, hi = day_bounds_text(trade_date)
    rows = store.query(
        "SELECT client_order_id, strategy, code, side, price, quantity, filled_qty, avg_price, status, "
        "broker_order_id, order_sysid, remark, status_msg FROM orders WHERE created_ts >= ? AND created_ts < ? "
        "AND account_id = ?", (lo, hi, account_id))
    out = []
    for cid, strat, code, side, price, qty, filled, avg, status, boid, sysid, remark, msg in rows:
        o = Order(client_id=cid, strategy=strat or "", code=code, side=side, price=float(price or 0), quantity=int(qty),
                  kind="entry" if side == "buy" else "exit", signal_id=remark or "", status=status,
                  filled=int(filled or 0), avg_price=float(avg or 0), status_msg=msg or "")
        if boid:
            try:
                o.order_id = int(boid)
            except ValueError:
                pass
        o.sysid = sysid or ""
        out.append(o)
    return out


class BracketJournal:
    """Exit brackets in signals_db's exit_brackets table: one row per (account, code, entry order), version-forward."""

    def __init__(self, store, account_id: str = ""):
        self.store, self.account_id = store, account_id
        self.version: dict[tuple[str, str], int] = {}
        self.last_saved: dict[tuple[str, str], str] = {}

    def save(self, b: Bracket, ts_ms: int) -> bool:
        """Store a new version when the bracket changed since the last save."""
        key = (b.code, b.entry_client_id or "")
        body = json.dumps(b.to_json(), sort_keys=True, ensure_ascii=False)
        if self.last_saved.get(key) == body:
            return False
        v = self.version.get(key, 0) + 1
        tp = b.take_profit[b.stage][0] if b.stage < len(b.take_profit) else None
        self.store.record_bracket(b.code, version=v, state=b.to_json(), ts=ts_ms, account_id=self.account_id,
                                  entry_client_order_id=key[1], active=b.active, stage=b.stage,
                                  strategy=b.strategy or None, entry_price=b.entry_price,
                                  stop_loss=b.stop_loss or None, take_profit=tp)
        self.version[key], self.last_saved[key] = v, body
        return True

    def load(self) -> list[Bracket]:
        """The bracket to watch per code: an active one first, else the latest (stored versions continue)."""
        best: dict[str, tuple[tuple[bool, int], Bracket]] = {}
        for row in self.store.load_brackets(self.account_id):
            if not row.get("state"):
                logger.warning("bracket row without state code={} entry={}", row["code"], row["entry_client_order_id"])
                continue
            b = Bracket.from_json(row["state"])
            b.active = bool(row["active"])
            key = (row["code"], row["entry_client_order_id"] or "")
            self.version[key] = int(row["version"])
            self.last_saved[key] = json.dumps(b.to_json(), sort_keys=True, ensure_ascii=False)
            rank = (b.active, int(row["ts_ms"] or 0))
            if row["code"] not in best or rank >= best[row["code"]][0]:
                best[row["code"]] = (rank, b)
        return [b for _, b in best.values()]


def sh_date(ms: int) -> dt.date:
    """Asia/Shanghai date of a ms epoch."""
    return dt.datetime.fromtimestamp(ms / 1000, SH_TZ).date()
