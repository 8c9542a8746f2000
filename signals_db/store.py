"""The local-first store: one SQLite file (WAL), each event in ONE transaction with its outbox row.

    store = Store.open("data/signals.db")
    store.record_signal(strategy="limit_up_etf", code="510300.SH", ts=ts_ms, action="buy", reason="...")
    store.record_order_update("c-001", code="510300.SH", side="buy", quantity=1000, status="reported", ts=ts_ms)
    store.record_trade("T-1", code="510300.SH", side="buy", price=4.012, quantity=1000, ts=ts_ms)

Writes are idempotent on natural keys (a replayed event stores nothing and queues nothing), thread-safe
(one lock around the connection), and return quickly: the MySQL mirror is fed later by signals_db.sync.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from loguru import logger

from signals_db.models import NATURAL_KEYS, SYNCED_TABLES
from signals_db.status import status_name, status_rank
from signals_db.upsert_sql import REFERENCE, sqlite_upsert
from signals_db.values import SPECS, InvalidRow, now_text, ts_ms, ts_text

SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
SIDES = ("buy", "sell")
ACTIONS = ("buy", "sell", "alert")
_OUTBOX_SQL = "INSERT INTO outbox (table_name, row_id, created_at) VALUES (?, ?, ?)"


class StoreConfigError(ValueError):
    """The store cannot be used as configured; the message says what to change."""


def require_local_file(sqlite_path: str | os.PathLike | None, mysql_url: str | None = None, *, live: bool) -> None:
    """Refuse a MySQL-only setup for live trading: the local file is the source of truth, MySQL only a mirror."""
    if live and not sqlite_path:
        where = " (database.mysql_url is set to a MySQL mirror)" if mysql_url else ""
        raise StoreConfigError(
            "live trading needs a local SQLite file: set database.sqlite_path (e.g. data/signals.db)" + where
            + "; MySQL-only is not allowed because fills must be recorded even when MySQL is down")


def connect(path: str | os.PathLike, synchronous: str = "NORMAL") -> sqlite3.Connection:
    """A tuned SQLite connection: WAL, explicit transactions, busy timeout."""
    if synchronous.upper() not in SYNCHRONOUS:
        raise StoreConfigError(f"synchronous={synchronous!r} is not one of {SYNCHRONOUS}")
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30.0)
    deadline = time.monotonic() + 30.0
    while conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:  # switching to WAL needs a moment with no other connection writing; it is persistent afterwards
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _revision(path: Path) -> str | None:
    conn = sqlite3.connect(str(path), timeout=30.0)
    try:
        got = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        got = None
    finally:
        conn.close()
    return got[0] if got else None


def _derived_id(*parts: Any) -> str:
    """A deterministic id from the identifying fields (so a replayed event maps to the same row)."""
    return hashlib.sha1("|".join("" if p is None else str(p) for p in parts).encode("utf-8")).hexdigest()[:32]


def _with_trade_date(row: Mapping[str, Any]) -> dict[str, Any]:
    """A trades row with trade_date set: given, or the Asia/Shanghai date of its fill time `ts`."""
    out = dict(row)
    if out.get("trade_date") is None and out.get("ts") is not None:
        try:
            out["trade_date"] = ts_text(out["ts"])[:10]
        except ValueError as exc:
            raise InvalidRow(f"trades.ts = {out['ts']!r} rejected: {exc}") from None
    return out


def quarantine_key(source: str, table_name: str | None, natural_key: str | None, reason: str,
                   payload: str | None = None) -> str:
    """Dedup key of a quarantine entry: (source, table, natural key, reason), plus the line for journal entries."""
    parts = [source or "", table_name or "", natural_key or "", reason or ""]
    if source == "journal":  # same file:line and reason but other content (file replaced) is another entry
        parts.append(payload or "")
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def add_quarantine(conn: sqlite3.Connection, source: str, table_name: str | None, row_id: int | None,
                   natural_key: str | None, payload: str | None, reason: str) -> bool:
    """Set a row/line aside with its reason (inside the caller's transaction); False if already quarantined."""
    natural_key = None if natural_key is None else natural_key[:255]
    reason = str(reason)[:1000]
    key = quarantine_key(source, table_name, natural_key, reason, payload)
    cur = conn.execute(
        "INSERT INTO quarantine (source, table_name, row_id, natural_key, payload, reason, dedup_key, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING",
        (source, table_name, row_id, natural_key, payload, reason, key, now_text()))
    return cur.rowcount == 1


def _lower(value: str, allowed: tuple[str, ...], field: str) -> str:
    v = str(value).strip().lower()
    if v not in allowed:
        raise InvalidRow(f"{field} = {value!r} rejected: use one of {', '.join(allowed)}")
    return v


class Store:
    """Local SQLite store of signals, orders, fills, positions, alerts and reference data, with an outbox."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = threading.RLock()
        self._engine = None

    @classmethod
    def open(cls, sqlite_path: str | os.PathLike, *, synchronous: str = "NORMAL", migrate: bool = True) -> Store:
        """Open (creating and migrating if needed) the store at `sqlite_path`.

        synchronous=NORMAL survives a crash of the process (kill -9); FULL also survives power loss at the
        cost of one fsync per event.
        """
        if not sqlite_path:
            raise StoreConfigError("database.sqlite_path is empty: the store needs a local SQLite file")
        path = Path(sqlite_path).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        if migrate:
            from signals_db.migrate import head, upgrade
            from signals_db.urls import sqlite_url
            connect(path, synchronous).close()  # the file exists and is in WAL mode before migrating
            at = _revision(path)
            if at != head():
                from alembic.util import CommandError
                try:
                    upgrade(sqlite_url(path))  # serialised across processes (see migrate._engine)
                except CommandError as exc:
                    raise StoreConfigError(
                        f"{path} is at schema revision {at!r}, which this version does not know ({exc}); it was "
                        "probably written by a newer version of the toolkit: update the toolkit") from None
                logger.info("store migrated path={} revision={}", path, head())
        return cls(path, connect(path, synchronous))

    def close(self) -> None:
        """Close the connection (and the SQLAlchemy engine if one was made)."""
        with self._lock:
            self._conn.close()
        if self._engine is not None:
            self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def engine(self):
        """A SQLAlchemy engine on the same file, for reads with the models (don't write through it)."""
        if self._engine is None:
            from sqlalchemy import create_engine

            from signals_db.urls import sqlite_url
            self._engine = create_engine(sqlite_url(self.path))
        return self._engine

    # ------------------------------------------------------------ core

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One SQLite write transaction (BEGIN IMMEDIATE ... COMMIT) holding the store lock."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _write(self, table: str, row: Mapping[str, Any], recorded_at: str) -> int | None:
        """Upsert one row and queue it in the outbox when something changed; inside a transaction."""
        params = SPECS[table].params(row, recorded_at)
        try:
            got = self._conn.execute(sqlite_upsert(table), params).fetchone()
        except sqlite3.IntegrityError as exc:
            raise InvalidRow(f"{table}: row rejected by the local database: {exc}") from None
        if got is None:
            return None
        self._conn.execute(_OUTBOX_SQL, (table, got[0], recorded_at))
        return got[0]

    def write(self, table: str, row: Mapping[str, Any]) -> bool:
        """Idempotent upsert of one row of any synced table, in its own transaction; True if stored/changed."""
        if table not in SYNCED_TABLES:
            raise InvalidRow(f"table {table!r} is not a signals_db table; use one of {', '.join(SYNCED_TABLES)}")
        if table == "trades":
            row = _with_trade_date(row)
        with self.transaction():
            return self._write(table, row, now_text()) is not None

    # ------------------------------------------------------------ events

    def record_signal(self, *, strategy: str, code: str, ts: Any, action: str, kind: str = "entry",
                      signal_id: str | None = None, **fields: Any) -> str:
        """Store a signal; returns its signal_id (derived from strategy/code/ts/kind/action when not given).

        Optional fields: layer, factor_scores (dict), composite_score, confidence, risk, price, take_profit,
        stop_loss, reason.
        """
        return self.add_signal(strategy=strategy, code=code, ts=ts, action=action, kind=kind, signal_id=signal_id,
                               **fields)[0]

    def add_signal(self, *, strategy: str, code: str, ts: Any, action: str, kind: str = "entry",
                   signal_id: str | None = None, **fields: Any) -> tuple[str, bool]:
        """Like record_signal, returning (signal_id, True if newly stored)."""
        action = _lower(action, ACTIONS, "signals.action")
        if signal_id is None:
            signal_id = _derived_id(strategy, code, ts_text(ts), kind, action)
        row = {**fields, "signal_id": signal_id, "strategy": strategy, "code": code, "ts": ts, "kind": kind,
               "action": action}
        with self.transaction():
            stored = self._write("signals", row, now_text()) is not None
        return signal_id, stored

    def record_order_update(self, client_order_id: str, *, code: str, side: str, quantity: int, status: str | int,
                            ts: Any, filled_qty: int = 0, avg_price: Any = None, price: Any = None,
                            price_type: str | None = None, broker_order_id: Any = None, order_sysid: Any = None,
                            account_id: str = "", strategy: str | None = None, remark: str | None = None,
                            status_msg: str | None = None) -> bool:
        """Store an order's new state (forward-only) and its status history step; True if the order changed."""
        try:
            name, rank = status_name(status), status_rank(status)
        except ValueError as exc:
            raise InvalidRow(f"orders.status: {exc}") from None
        if filled_qty is not None and quantity is not None and int(filled_qty) > int(quantity):
            raise InvalidRow(f"orders.filled_qty = {filled_qty} exceeds quantity {quantity} for {client_order_id}")
        row = dict(client_order_id=client_order_id, account_id=account_id, strategy=strategy, code=code,
                   side=_lower(side, SIDES, "orders.side"), price_type=price_type, price=price, quantity=quantity,
                   filled_qty=filled_qty or 0, avg_price=avg_price, status=name, status_rank=rank,
                   broker_order_id=None if broker_order_id is None else str(broker_order_id),
                   order_sysid=None if order_sysid in (None, "") else str(order_sysid), remark=remark,
                   status_msg=status_msg, created_ts=ts, updated_ts=ts)
        hist = dict(client_order_id=client_order_id, status=name, filled_qty=filled_qty or 0, ts=ts,
                    status_msg=status_msg)
        with self.transaction():
            now = now_text()
            changed = self._write("orders", row, now) is not None
            self._write("order_status_history", hist, now)
        return changed

    def record_trade(self, traded_id: Any, *, code: str, side: str, price: Any, quantity: int, ts: Any,
                     account_id: str = "", client_order_id: str | None = None, broker_order_id: Any = None,
                     amount: Any = None, commission: Any = None, strategy: str | None = None,
                     trade_date: Any = None) -> bool:
        """Store a fill once (natural key account_id + trade_date + traded_id); True if it was new.

        Brokers number fills per trading day, so the key includes the trade date: by default the Asia/Shanghai
        date of `ts` (the fill time); pass `trade_date` when the broker reports it (QMT's m_strTradeDate).
        """
        if int(quantity) <= 0:
            raise InvalidRow(f"trades.quantity = {quantity!r} rejected: a fill has a positive quantity")
        row = dict(account_id=account_id, traded_id=str(traded_id), client_order_id=client_order_id,
                   broker_order_id=None if broker_order_id is None else str(broker_order_id), code=code,
                   side=_lower(side, SIDES, "trades.side"), price=price, quantity=quantity,
                   amount=amount if amount is not None else None, commission=commission, strategy=strategy, ts=ts,
                   trade_date=trade_date)
        with self.transaction():
            return self._write("trades", _with_trade_date(row), now_text()) is not None

    def record_position(self, *, code: str, volume: int, can_use_volume: int, snapshot_ts: Any, account_id: str = "",
                        avg_price: Any = None, market_value: Any = None) -> bool:
        """Store one position snapshot row; True if new."""
        return self.record_positions([dict(code=code, volume=volume, can_use_volume=can_use_volume,
                                           avg_price=avg_price, market_value=market_value)],
                                     snapshot_ts=snapshot_ts, account_id=account_id) == 1

    def record_positions(self, positions: Iterable[Mapping[str, Any]], *, snapshot_ts: Any,
                         account_id: str = "") -> int:
        """Store a whole positions snapshot in one transaction; returns rows newly stored."""
        n = 0
        with self.transaction():
            now = now_text()
            for p in positions:
                row = {**p, "snapshot_ts": snapshot_ts, "account_id": account_id}
                n += self._write("positions", row, now) is not None
        return n

    def record_alert(self, message: str, *, ts: Any, level: str = "warning", source: str = "runner",
                     code: str | None = None, kind: str | None = None, alert_id: str | None = None,
                     channels: str | None = None) -> str:
        """Store an alert; returns its alert_id (derived from ts/source/code/kind/message when not given)."""
        return self.add_alert(message, ts=ts, level=level, source=source, code=code, kind=kind, alert_id=alert_id,
                              channels=channels)[0]

    def add_alert(self, message: str, *, ts: Any, level: str = "warning", source: str = "runner",
                  code: str | None = None, kind: str | None = None, alert_id: str | None = None,
                  channels: str | None = None) -> tuple[str, bool]:
        """Like record_alert, returning (alert_id, True if newly stored)."""
        if alert_id is None:
            alert_id = _derived_id(ts_text(ts), source, code, kind, message)
        row = {"alert_id": alert_id, "ts": ts, "level": level, "source": source, "code": code, "kind": kind,
               "message": message, "channels": channels}
        with self.transaction():
            stored = self._write("alerts_log", row, now_text()) is not None
        return alert_id, stored

    def record_backtest_run(self, run_id: str, **fields: Any) -> bool:
        """Create or update a backtest run (strategy and status required on first write)."""
        return self.write("backtest_runs", {"run_id": run_id, **fields})

    def record_backtest_log(self, run_id: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Append backtest log rows (each with seq, kind, ...) in one transaction; returns rows newly stored."""
        n = 0
        with self.transaction():
            now = now_text()
            for r in rows:
                n += self._write("backtest_log", {"run_id": run_id, **r}, now) is not None
        return n

    def record_bracket(self, code: str, *, version: int, state: Mapping[str, Any] | None, ts: Any,
                       account_id: str = "", entry_client_order_id: str = "", active: bool = True,
                       stage: int | None = None, strategy: str | None = None, entry_price: Any = None,
                       stop_loss: Any = None, take_profit: Any = None) -> bool:
        """Store a position's exit bracket; only a higher `version` replaces the stored one. True if stored."""
        row = {"account_id": account_id, "code": code, "entry_client_order_id": entry_client_order_id or "",
               "version": version, "active": active, "stage": stage, "strategy": strategy,
               "entry_price": entry_price, "stop_loss": stop_loss, "take_profit": take_profit, "state": state,
               "ts": ts}
        with self.transaction():
            return self._write("exit_brackets", row, now_text()) is not None

    def load_brackets(self, account_id: str = "", *, active_only: bool = False) -> list[dict[str, Any]]:
        """Stored brackets of an account (latest versions) as dicts; `state` parsed, `ts_ms` added."""
        sql = ("SELECT code, entry_client_order_id, version, active, stage, strategy, entry_price, stop_loss, "
               "take_profit, state, ts FROM exit_brackets WHERE account_id = ?" + (" AND active = 1" if active_only
                                                                                  else "") + " ORDER BY id")
        out = []
        for r in self.query(sql, (account_id,)):
            d = dict(zip(("code", "entry_client_order_id", "version", "active", "stage", "strategy", "entry_price",
                          "stop_loss", "take_profit", "state", "ts"), r, strict=True))
            d["active"] = bool(d["active"])
            d["state"] = json.loads(d["state"]) if d["state"] is not None else None
            d["ts_ms"] = ts_ms(d["ts"])
            out.append(d)
        return out

    # ------------------------------------------------------------ reference data

    def upsert_reference(self, table: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Upsert reference rows (stock_info, daily_quote, ...) in ONE transaction; returns rows changed.

        A column left out of a row keeps its stored value (pass None to clear it). All or nothing: an invalid
        row raises InvalidRow (naming it) and nothing of the batch is stored.
        """
        if table not in REFERENCE:
            raise InvalidRow(f"table {table!r} is not reference data; use one of {', '.join(sorted(REFERENCE))}")
        spec = SPECS[table]
        full = set(spec.columns) - {"recorded_at"}
        keys = NATURAL_KEYS[table]
        lookup = f"SELECT {', '.join(spec.columns)} FROM {table} WHERE " + " AND ".join(f"{k} = ?" for k in keys)
        n = 0
        with self.transaction():
            now = now_text()
            for i, r in enumerate(rows):
                try:
                    if not full <= set(r):
                        missing = [k for k in keys if r.get(k) is None]
                        if missing:
                            raise InvalidRow(f"{table}.{missing[0]} is required but missing")
                        old = self._conn.execute(lookup, [spec.convert(k, r[k]) for k in keys]).fetchone()
                        if old is not None:
                            r = {**{c: v for c, v in zip(spec.columns, old, strict=True) if c != "recorded_at"}, **r}
                    n += self._write(table, r, now) is not None
                except InvalidRow as exc:
                    raise InvalidRow(f"row {i}: {exc}") from None
        return n

    def mark_etf_index(self, etf_code: str, status: str, *, index_code: str | None = None,
                       error: str | None = None) -> int:
        """Record a mapping attempt for an ETF (mapped / unmappable / pending); returns the attempt count."""
        status = _lower(status, ("mapped", "unmappable", "pending"), "etf_index_map.status")
        with self.transaction():
            got = self._conn.execute("SELECT attempts FROM etf_index_map WHERE etf_code = ?", (etf_code,)).fetchone()
            attempts = (got[0] if got else 0) + 1
            self._write("etf_index_map", dict(etf_code=etf_code, index_code=index_code, status=status,
                                              attempts=attempts, last_error=error), now_text())
        return attempts

    def requeue_all(self) -> int:
        """Queue every stored row for shipping again (a new, empty or restored mirror); returns rows queued."""
        n = 0
        with self.transaction():
            now = now_text()
            for t in SYNCED_TABLES:
                n += self._conn.execute(f"INSERT INTO outbox (table_name, row_id, created_at) SELECT ?, id, ? FROM {t}",
                                        (t, now)).rowcount
        logger.info("outbox requeued rows={}", n)
        return n

    def requeue_quarantined(self) -> int:
        """Queue the rows MySQL rejected for shipping again (e.g. after a column was widened); returns rows queued.

        They stay in quarantine until the sync ships them (then their entries are removed); a row that fails
        again for the same reason is not quarantined twice. Journal lines cannot be re-queued (no stored row).
        """
        with self.transaction():
            rows = self._conn.execute(
                "SELECT DISTINCT table_name, row_id FROM quarantine WHERE row_id IS NOT NULL AND table_name IS NOT NULL"
            ).fetchall()
            now = now_text()
            n = 0
            for table, row_id in rows:
                if table in SYNCED_TABLES:
                    self._conn.execute(_OUTBOX_SQL, (table, row_id, now))
                    n += 1
        logger.info("outbox requeued quarantined rows={}", n)
        return n

    # ------------------------------------------------------------ reads

    def query(self, sql: str, params: tuple | Mapping = ()) -> list[tuple]:
        """Run a read-only SQL query on the local file (under the store lock)."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def count(self, table: str) -> int:
        """Rows in a table."""
        if table not in SPECS:
            raise InvalidRow(f"unknown table {table!r}")
        return self.query(f"SELECT COUNT(*) FROM {table}")[0][0]

    def backlog(self) -> int:
        """Outbox rows not yet shipped to MySQL."""
        return self.count("outbox")

    def quarantined(self) -> int:
        """Rows set aside with a reason (rejected by MySQL or unreadable in a journal)."""
        return self.count("quarantine")
