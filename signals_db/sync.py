"""Ship the local outbox to the MySQL mirror: batches, idempotent upserts, retries, quarantine, backlog.

One pass (`SyncWorker.sync_once`) repeats until the outbox is empty: read the oldest outbox rows, read the rows
they point at, upsert them into MySQL in one transaction (INSERT ... ON DUPLICATE KEY UPDATE on natural keys),
then delete those outbox rows locally. A crash between the MySQL commit and the local delete only re-ships rows,
which the upserts absorb. Connection trouble is retried with exponential backoff and jitter (tenacity), bounded
by attempts, time and the stop event; after that the pass ends and the backlog waits for the next one. A row the
server rejects for its content is found by bisecting the batch and moved to the local `quarantine` table with
the server's reason, so it never blocks the rows behind it.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymysql
from loguru import logger
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    stop_when_event_set,
    wait_exponential_jitter,
)

from signals_db.models import NATURAL_KEYS, SYNCED_TABLES
from signals_db.store import add_quarantine, connect
from signals_db.upsert_sql import mysql_upsert_parts, sqlite_row_literals
from signals_db.urls import masked, with_password
from signals_db.values import SPECS

# server errors about a row's content: quarantine the row, go on with the others
DATA_ERRNOS = frozenset({1048, 1264, 1265, 1292, 1366, 1367, 1406, 1411, 1416, 1452, 3140, 3819, 4025})
# errors no retry can fix: wrong database, schema not migrated, no permission
FATAL_ERRNOS = frozenset({1044, 1045, 1049, 1054, 1142, 1146, 1227})
DISCONNECT_ERRNOS = frozenset({0, 2006, 2013, 2014, 2045, 2055})
_SQLITE_IN_CHUNK = 900
_MAX_STATEMENT = 1_000_000  # bytes of row literals per INSERT (server max_allowed_packet is 16 MB by default)
# strict: a bad value is an error, not a silent truncation; no backslash escapes: SQLite's quote() literals
SQL_MODE = "STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_BACKSLASH_ESCAPES"
SESSION_WAIT_TIMEOUT_S = 300   # server drops a silent session of ours after this long (default: 8 h)
LOCK_WAIT_TIMEOUT_S = 20       # a blocked upsert errors out and is retried (default: 50 s)


def _errno(exc: BaseException) -> int | None:
    orig = getattr(exc, "orig", exc)
    args = getattr(orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", exc)
    args = getattr(orig, "args", ())
    if len(args) >= 2:
        return f"mysql error {args[0]}: {args[1]}"
    return f"{type(orig).__name__}: {orig}"


def is_data_error(exc: BaseException) -> bool:
    """The server rejected a row's content (quarantine it)."""
    return isinstance(exc, DBAPIError) and _errno(exc) in DATA_ERRNOS


def is_fatal(exc: BaseException) -> bool:
    """Retrying cannot help (bad credentials, unknown database, schema not migrated)."""
    return isinstance(exc, DBAPIError) and _errno(exc) in FATAL_ERRNOS


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, (DBAPIError, OSError, ConnectionError)) and not is_data_error(exc) and not is_fatal(exc)


class SyncFatal(RuntimeError):
    """The MySQL mirror cannot be used as configured; the message says what to do."""


@dataclass
class SyncReport:
    """Outcome of one pass."""

    shipped: int = 0
    quarantined: int = 0
    released: int = 0  # rows shipped that were in quarantine (re-queued with --retry-quarantined, or rewritten)
    batches: int = 0
    backlog: int = 0
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the pass ended with the outbox drained and no error."""
        return self.error is None and self.backlog == 0


def mysql_engine(url: str, password: str | None = None, *, connect_timeout: int = 5, io_timeout: int = 30):
    """A pooled engine for the mirror: strict SQL mode (bad values are errors, not silent truncation), timeouts.

    A network cut can leave the server holding our session (it never saw the TCP close) with its transaction and
    locks until wait_timeout, 8 hours by default: the re-shipped rows would then wait on those locks. The session's
    wait_timeout is therefore short (idle pooled connections are re-checked by pre-ping), and a lock wait fails
    fast so the retry loop, not the server, decides how long to keep trying.
    """
    return create_engine(
        with_password(url, password), pool_pre_ping=True, pool_size=1, max_overflow=1,
        pool_recycle=SESSION_WAIT_TIMEOUT_S - 60,
        connect_args={"connect_timeout": connect_timeout, "read_timeout": io_timeout, "write_timeout": io_timeout,
                      "init_command": f"SET SESSION sql_mode='{SQL_MODE}', wait_timeout={SESSION_WAIT_TIMEOUT_S}, "
                                      f"innodb_lock_wait_timeout={LOCK_WAIT_TIMEOUT_S}"})


def _execute_rows(conn, table: str, literals: list[str]) -> None:
    """Upsert rows given as '(v1,...)' literals, in statements of at most _MAX_STATEMENT bytes (raw cursor:
    the text contains no placeholders, so nothing is %-formatted)."""
    if not literals:
        return
    head, tail = mysql_upsert_parts(table)
    cur = conn.connection.dbapi_connection.cursor()
    try:
        start, size = 0, 0
        for i, lit in enumerate(literals):
            size += len(lit) + 1
            if size > _MAX_STATEMENT or i == len(literals) - 1:
                end = i + 1
                cur.execute(head + ",".join(literals[start:end]) + tail)
                start, size = end, 0
    except pymysql.err.Error as exc:
        if _errno(exc) in DISCONNECT_ERRNOS or isinstance(exc, pymysql.err.InterfaceError):
            conn.invalidate()
        raise DBAPIError.instance(f"INSERT INTO {table} ...", None, exc, pymysql.err.Error) from None
    finally:
        with suppress(Exception):
            cur.close()


class SyncWorker:
    """Outbox -> MySQL shipper; `sync_once()` for the CLI, `start()`/`stop()` to run it as a thread."""

    def __init__(self, sqlite_path: str | Path, mysql_url: str, *, password: str | None = None,
                 batch_size: int = 1000, interval_s: float = 2.0, retry_attempts: int = 5,
                 retry_max_wait_s: float = 10.0, retry_max_delay_s: float = 60.0,
                 max_pause_s: float = 60.0, connect_timeout: int = 5, io_timeout: int = 30) -> None:
        self.sqlite_path = Path(sqlite_path)
        self.url_masked = masked(mysql_url)
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.retry_attempts = retry_attempts
        self.retry_max_wait_s = retry_max_wait_s
        self.retry_max_delay_s = retry_max_delay_s
        self.max_pause_s = max_pause_s
        self._engine = mysql_engine(mysql_url, password, connect_timeout=connect_timeout, io_timeout=io_timeout)
        self._local: sqlite3.Connection = connect(self.sqlite_path)
        self._local_lock = threading.RLock()
        self._stop = threading.Event()
        self._mysql = None  # SQLAlchemy Connection held during a pass
        self._thread: threading.Thread | None = None
        self.last_report: SyncReport | None = None

    @classmethod
    def from_settings(cls, database: Any, sqlite_path: str | Path | None = None) -> SyncWorker:
        """Build from a config `database` section (sqlite_path, mysql_url, mysql_password, sync_* fields)."""
        secret = getattr(database, "mysql_password", None)
        password = secret.get_secret_value() if secret is not None else None
        if sqlite_path is None:
            from config.loader import (
                project_path,  # relative paths in config are relative to the project root
            )
            sqlite_path = project_path(database.sqlite_path)
        if not database.mysql_url:
            raise SyncFatal("no MySQL mirror configured: set database.mysql_url (see docs/database.md)")
        return cls(sqlite_path, database.mysql_url, password=password,
                   batch_size=database.sync_batch_size, interval_s=database.sync_interval_s)

    # ------------------------------------------------------------ reporting

    def backlog(self) -> int:
        """Outbox rows not yet shipped."""
        with self._local_lock:
            return self._local.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def oldest_pending(self) -> str | None:
        """Local time the oldest unshipped row was written (None when the outbox is empty)."""
        with self._local_lock:
            return self._local.execute("SELECT MIN(created_at) FROM outbox").fetchone()[0]

    def ping(self) -> str | None:
        """None when the mirror answers (and is migrated), else a one-sentence error."""
        try:
            with self._engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1 FROM outbox LIMIT 1")
        except DBAPIError as exc:
            if is_fatal(exc):
                return self._fatal_message(exc)
            return f"MySQL mirror {self.url_masked} unreachable ({_reason(exc)})"
        return None

    # ------------------------------------------------------------ one pass

    def sync_once(self, max_batches: int | None = None) -> SyncReport:
        """Ship batches until the outbox is empty (or MySQL stays unreachable after retries, or max_batches)."""
        rep = SyncReport()
        t0 = time.perf_counter()
        try:
            while not self._stop.is_set() and (max_batches is None or rep.batches < max_batches):
                n, q, r = self._ship_one_batch()
                if n == 0 and q == 0:
                    break
                rep.shipped += n
                rep.quarantined += q
                rep.released += r
                rep.batches += 1
        except SyncFatal as exc:
            rep.error = str(exc)
        except (DBAPIError, OSError) as exc:  # retries exhausted: the backlog waits for the next pass
            rep.error = f"MySQL mirror {self.url_masked} unreachable after retries ({_reason(exc)})"
        except Exception as exc:  # noqa: BLE001 - a bug must not kill the worker thread; it is logged in full
            logger.exception("sync pass failed")
            rep.error = f"sync pass failed ({type(exc).__name__}: {exc})"
        self._release()
        rep.backlog = self.backlog()
        rep.seconds = time.perf_counter() - t0
        self.last_report = rep
        log = logger.warning if rep.error else logger.info
        log("sync pass shipped={} quarantined={} released={} batches={} backlog={} seconds={:.3f} error={}",
            rep.shipped, rep.quarantined, rep.released, rep.batches, rep.backlog, rep.seconds, rep.error)
        return rep

    def _ship_one_batch(self) -> tuple[int, int, int]:
        """(rows shipped, rows quarantined, rows released from quarantine) of one outbox batch."""
        with self._local_lock:
            box = self._local.execute("SELECT id, table_name, row_id FROM outbox ORDER BY id LIMIT ?",
                                      (self.batch_size,)).fetchall()
        if not box:
            return 0, 0, 0
        max_id = box[-1][0]
        wanted: dict[str, list[int]] = defaultdict(list)
        seen: set[tuple[str, int]] = set()
        unknown = [(t, r) for _, t, r in box if t not in SYNCED_TABLES]  # e.g. written by a newer version
        for _, table, row_id in box:
            if table in SYNCED_TABLES and (table, row_id) not in seen:
                seen.add((table, row_id))
                wanted[table].append(row_id)
        with self._local_lock:
            batch = {t: self._read_rows(t, ids) for t, ids in wanted.items()}
        rejected: list[tuple[str, int, str]] = []
        retrying = Retrying(
            stop=(stop_after_attempt(self.retry_attempts) | stop_after_delay(self.retry_max_delay_s)
                  | stop_when_event_set(self._stop)),
            wait=wait_exponential_jitter(multiplier=0.2, max=self.retry_max_wait_s, jitter=0.2),
            retry=retry_if_exception(_transient), reraise=True, before_sleep=self._log_retry)
        try:
            for attempt in retrying:
                with attempt:
                    rejected = self._ship(batch)
        except DBAPIError as exc:
            if is_fatal(exc):
                raise SyncFatal(self._fatal_message(exc)) from None
            raise
        with self._local_tx():
            for table, row_id, reason in rejected:
                self._quarantine(table, row_id, reason)
            for table, row_id in unknown:
                add_quarantine(self._local, "sync", table[:32], row_id, None, None,
                               f"outbox names table {table!r}, which this version does not sync")
            released = self._release_shipped(batch, {(t, r) for t, r, _ in rejected})
            self._local.execute("DELETE FROM outbox WHERE id <= ?", (max_id,))
        shipped = sum(len(rows) for rows in batch.values()) - len(rejected)
        return shipped, len(rejected) + len(unknown), released

    def _release_shipped(self, batch: dict[str, list[tuple[int, str]]], rejected: set[tuple[str, int]]) -> int:
        """Remove the quarantine entries of rows that have now shipped; returns how many rows were released."""
        held = self._local.execute(
            "SELECT id, table_name, row_id FROM quarantine WHERE source = 'mysql' AND row_id IS NOT NULL").fetchall()
        if not held:  # the usual case: one cheap query per batch
            return 0
        shipped = {(t, rid) for t, rows in batch.items() for rid, _ in rows} - rejected
        gone = [(qid, t, rid) for qid, t, rid in held if (t, rid) in shipped]
        for qid, t, rid in gone:
            self._local.execute("DELETE FROM quarantine WHERE id = ?", (qid,))
            logger.info("sync released from quarantine table={} row_id={}", t, rid)
        return len({(t, rid) for _, t, rid in gone})

    def _read_rows(self, table: str, ids: list[int]) -> list[tuple[int, str]]:
        """(row id, '(v1,...)' literal) for each id; SQLite renders the literals (see upsert_sql)."""
        out: list[tuple[int, str]] = []
        for i in range(0, len(ids), _SQLITE_IN_CHUNK):
            chunk = ids[i:i + _SQLITE_IN_CHUNK]
            sql = sqlite_row_literals(table).format(marks=",".join("?" * len(chunk)))
            out.extend(self._local.execute(sql, chunk).fetchall())
        return out

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """A MySQL transaction on the connection kept for the whole pass (one checkout and ping per pass)."""
        if self._mysql is None or self._mysql.invalidated or self._mysql.closed:
            self._release()
            self._mysql = self._engine.connect()
        conn = self._mysql
        try:
            with conn.begin():
                yield conn
        except DBAPIError as exc:
            if not is_data_error(exc):  # the connection may be broken: get a fresh one on the next attempt
                self._release()
            raise

    def _release(self) -> None:
        if self._mysql is not None:
            with suppress(Exception):
                self._mysql.close()
            self._mysql = None

    def _ship(self, batch: dict[str, list[tuple[int, str]]]) -> list[tuple[str, int, str]]:
        """Upsert the whole batch in one MySQL transaction; on a content error, bisect to find the bad rows."""
        try:
            with self._transaction() as conn:
                for table, rows in batch.items():
                    _execute_rows(conn, table, [v for _, v in rows])
            return []
        except DBAPIError as exc:
            if not is_data_error(exc):
                raise
        rejected: list[tuple[str, int, str]] = []
        for table, rows in batch.items():
            self._bisect(table, rows, rejected)
        return rejected

    def _bisect(self, table: str, rows: list[tuple[int, str]], rejected: list) -> None:
        if not rows:
            return
        try:
            with self._transaction() as conn:
                _execute_rows(conn, table, [v for _, v in rows])
            return
        except DBAPIError as exc:
            if not is_data_error(exc):
                raise
            if len(rows) == 1:
                rejected.append((table, rows[0][0], _reason(exc)))
                return
        mid = len(rows) // 2
        self._bisect(table, rows[:mid], rejected)
        self._bisect(table, rows[mid:], rejected)

    def _quarantine(self, table: str, row_id: int, reason: str) -> None:
        cols = SPECS[table].columns
        values = self._local.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE id = ?", (row_id,)).fetchone()
        row = dict(zip(cols, values, strict=True))
        key = json.dumps([row[k] for k in NATURAL_KEYS[table]], ensure_ascii=False, default=str)[:255]
        new = add_quarantine(self._local, "mysql", table, row_id, key, json.dumps(row, ensure_ascii=False, default=str),
                             reason)
        logger.warning("sync quarantined table={} row_id={} key={} already_quarantined={} reason={}", table, row_id,
                       key, not new, reason)

    @contextmanager
    def _local_tx(self) -> Iterator[None]:
        with self._local_lock:
            self._local.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._local.execute("ROLLBACK")
                raise
            self._local.execute("COMMIT")

    def _fatal_message(self, exc: BaseException) -> str:
        errno = _errno(exc)
        if errno in (1054, 1146):
            return (f"MySQL mirror {self.url_masked} has no/old signals_db schema ({_reason(exc)}); "
                    f"run: python -m bridge db upgrade --url '{self.url_masked}'")
        return f"MySQL mirror {self.url_masked} refused us ({_reason(exc)}); check database.mysql_url and the password"

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        logger.warning("sync retry attempt={} wait_s={:.2f} backlog={} error={}", state.attempt_number, wait,
                       self.backlog(), _reason(exc) if exc else None)

    # ------------------------------------------------------------ as a thread

    def run_forever(self) -> None:
        """Pass after pass until stop(): short pause while draining, longer (capped) pauses while MySQL is down."""
        failures = 0
        while not self._stop.is_set():
            rep = self.sync_once()
            failures = failures + 1 if rep.error else 0
            pause = self.interval_s if not rep.error else min(self.interval_s * 2 ** min(failures, 16), self.max_pause_s)
            self._stop.wait(pause)

    def start(self) -> threading.Thread:
        """Run the worker in a daemon thread named signals-sync."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, name="signals-sync", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish its current batch and stop; wait up to `timeout` seconds. Once the thread has
        ended, sync_once() called directly ships again (a final pass after stopping the thread)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                return                       # still finishing a batch: the flag stays up for it
            self._thread = None
        self._stop.clear()

    def close(self) -> None:
        """Stop, then release the MySQL pool and the local connection."""
        self.stop()
        self._engine.dispose()
        with self._local_lock:
            self._local.close()
