"""What the runner keeps in signals_db to survive a restart: orders (orders table) and exit brackets.

Brackets are stored append-only as signals rows of kind 'bracket' (signal_id 'bkt:<account hash>:<code>:<entry>:<version>',
the bracket as JSON in factor_scores); the latest version per code wins on load. signals_db has no bracket
table yet (requested from the DB owner); this keeps the state in the same synced file meanwhile.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json

from loguru import logger

from bridge.exits import SH_TZ, Bracket
from bridge.orders import Order

BRACKET_KIND = "bracket"


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
    """Append-only bracket versions in the signals table."""

    def __init__(self, store, account_id: str = ""):
        self.store = store
        # brackets belong to one account (a demo and a live account may share the file); the id is a secret,
        # so the rows carry a short hash of it
        self.scope = hashlib.sha1(account_id.encode("utf-8")).hexdigest()[:8]
        self.version: dict[str, int] = {}
        self.last_saved: dict[str, str] = {}

    def save(self, b: Bracket, ts_ms: int) -> bool:
        """Store a new version when the bracket changed since the last save."""
        body = json.dumps(b.to_json(), sort_keys=True, ensure_ascii=False)
        if self.last_saved.get(b.code) == body:
            return False
        v = self.version.get(b.code, 0) + 1
        self.version[b.code] = v
        sid = f"bkt:{self.scope}:{b.code}:{b.entry_client_id or '-'}:{v}"[:64]
        self.store.record_signal(strategy=b.strategy or "runner", code=b.code, ts=ts_ms, action="sell",
                                 kind=BRACKET_KIND, signal_id=sid, factor_scores=b.to_json(),
                                 price=b.entry_price, stop_loss=b.stop_loss or None,
                                 take_profit=(b.take_profit[b.stage][0] if b.stage < len(b.take_profit) else None),
                                 reason=f"exit bracket v{v} active={b.active} stage={b.stage}")
        self.last_saved[b.code] = body
        return True

    def load(self) -> list[Bracket]:
        """Latest version of every code's bracket (active or not)."""
        rows = self.store.query("SELECT code, signal_id, factor_scores FROM signals WHERE kind = ? AND signal_id LIKE ? "
                                "ORDER BY id", (BRACKET_KIND, f"bkt:{self.scope}:%"))
        latest: dict[str, tuple[int, dict]] = {}
        for code, sid, fs in rows:
            try:
                v = int(sid.rsplit(":", 1)[1])
                data = json.loads(fs) if isinstance(fs, str) else fs
            except (ValueError, TypeError, IndexError):
                logger.warning("bracket row unreadable signal_id={}", sid)
                continue
            if code not in latest or v >= latest[code][0]:
                latest[code] = (v, data)
        out = []
        for code, (v, data) in latest.items():
            b = Bracket.from_json(data)
            self.version[code] = v
            self.last_saved[code] = json.dumps(b.to_json(), sort_keys=True, ensure_ascii=False)
            out.append(b)
        return out


def sh_date(ms: int) -> dt.date:
    """Asia/Shanghai date of a ms epoch."""
    return dt.datetime.fromtimestamp(ms / 1000, SH_TZ).date()
