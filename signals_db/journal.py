"""Files for QMT scripts that cannot reach a database (format: docs/journal_format.md).

- `import_journal(store, path)` / `import_dir(store, dir)`: read the JSON-lines journal a QMT built-in script
  appends to (kinds signal / order / trade / alert / position) into the store. Idempotent: a line read twice
  is stored once (natural keys), and each file's byte offset is remembered so a re-run only reads new lines.
  A bad line is quarantined with its reason and does not stop the rest.
- `export_signals(store, path)`: signals as CSV (GBK, QMT's default encoding) or JSON (ASCII-only) for a QMT
  script to read; written atomically (temp file + rename), so the script never sees half a file.
"""
from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loguru import logger

from signals_db.store import Store, add_quarantine
from signals_db.values import now_text, ts_ms

JOURNAL_VERSION = 1
JOURNAL_GLOB = "*.jsonl"
KINDS = ("signal", "order", "trade", "alert", "position")


@dataclass
class ImportReport:
    """Counts of one import."""

    lines: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0

    def add(self, other: ImportReport) -> None:
        """Accumulate another report."""
        self.lines += other.lines
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined


def _pick(rec: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {n: rec[n] for n in names if rec.get(n) is not None}


def _signal(store: Store, r: Mapping[str, Any]) -> bool:
    return store.add_signal(strategy=r["strategy"], code=r["code"], ts=r["ts"], action=r["action"],
                        kind=r.get("signal_kind") or "entry",
                        **_pick(r, "signal_id", "layer", "factor_scores", "composite_score", "confidence", "risk",
                                "price", "take_profit", "stop_loss", "reason"))[1]


def _order(store: Store, r: Mapping[str, Any]) -> bool:
    return store.record_order_update(
        str(r["client_order_id"]), code=r["code"], side=r["side"], quantity=r["quantity"], status=r["status"],
        ts=r["ts"], **_pick(r, "filled_qty", "avg_price", "price", "price_type", "broker_order_id", "order_sysid",
                            "account_id", "strategy", "remark", "status_msg"))


def _trade(store: Store, r: Mapping[str, Any]) -> bool:
    return store.record_trade(r["traded_id"], code=r["code"], side=r["side"], price=r["price"],
                              quantity=r["quantity"], ts=r["ts"],
                              **_pick(r, "account_id", "client_order_id", "broker_order_id", "amount", "commission",
                                      "strategy", "trade_date"))


def _alert(store: Store, r: Mapping[str, Any]) -> bool:
    extra = _pick(r, "level", "source", "code", "alert_id", "channels")
    if r.get("alert_kind") is not None:
        extra["kind"] = r["alert_kind"]
    return store.add_alert(r["message"], ts=r["ts"], **extra)[1]


def _position(store: Store, r: Mapping[str, Any]) -> bool:
    return store.record_position(code=r["code"], volume=r["volume"], can_use_volume=r["can_use_volume"],
                                 snapshot_ts=r["ts"], **_pick(r, "account_id", "avg_price", "market_value"))


HANDLERS: dict[str, Callable[[Store, Mapping[str, Any]], bool]] = {
    "signal": _signal, "order": _order, "trade": _trade, "alert": _alert, "position": _position,
}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a journal may contain (write null or leave the field out)")


def parse_line(raw: bytes) -> dict[str, Any]:
    """One journal line -> dict; ValueError with a one-sentence reason when it is not a valid v1 record."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("gbk")  # a QMT script that wrote non-ASCII text in the Windows default encoding
    rec = json.loads(text, parse_constant=_reject_constant)
    if not isinstance(rec, dict):
        raise ValueError("a journal line must be one JSON object")
    if rec.get("v", JOURNAL_VERSION) != JOURNAL_VERSION:
        raise ValueError(f"journal version {rec.get('v')!r} is not supported (this reader knows v{JOURNAL_VERSION})")
    if rec.get("kind") not in HANDLERS:
        raise ValueError(f"kind {rec.get('kind')!r} is not one of {', '.join(KINDS)}")
    if not isinstance(rec.get("ts"), int) or isinstance(rec.get("ts"), bool):
        raise ValueError("ts must be the millisecond epoch as an integer")
    return rec


def import_journal(store: Store, path: str | os.PathLike) -> ImportReport:
    """Import the complete lines of one journal file not read before; returns the counts."""
    p = Path(path).resolve()
    rep = ImportReport()
    got = store.query("SELECT offset, lines FROM journal_files WHERE path = ?", (str(p),))
    offset, lineno = got[0] if got else (0, 0)
    size = p.stat().st_size
    if size < offset:  # truncated or replaced: read it again from the start (idempotent)
        logger.warning("journal shrank, re-reading path={} offset={} size={}", p, offset, size)
        offset, lineno = 0, 0
    with p.open("rb") as f:
        f.seek(offset)
        data = f.read()
    end = data.rfind(b"\n") + 1  # a last line without newline is still being written: leave it
    for raw in data[:end].splitlines():
        lineno += 1
        if not raw.strip():
            continue
        rep.lines += 1
        try:
            rec = parse_line(raw)
            stored = HANDLERS[rec["kind"]](store, rec)
        except (ValueError, KeyError, TypeError) as exc:
            reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            _quarantine(store, p, lineno, raw, reason)
            rep.quarantined += 1
            continue
        if stored:
            rep.stored += 1
        else:
            rep.duplicates += 1
    with store.transaction():
        store._conn.execute(
            "INSERT INTO journal_files (path, offset, lines, recorded_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (path) DO UPDATE SET offset = excluded.offset, lines = excluded.lines, "
            "recorded_at = excluded.recorded_at", (str(p), offset + end, lineno, now_text()))
    logger.info("journal imported path={} lines={} stored={} duplicates={} quarantined={}",
                p, rep.lines, rep.stored, rep.duplicates, rep.quarantined)
    return rep


def _quarantine(store: Store, path: Path, lineno: int, raw: bytes, reason: str) -> None:
    with store.transaction():
        add_quarantine(store._conn, "journal", None, None, f"{path.name}:{lineno}",
                       raw.decode("utf-8", "replace"), reason)
    logger.warning("journal line quarantined path={} line={} reason={}", path, lineno, reason)


def import_dir(store: Store, directory: str | os.PathLike, pattern: str = JOURNAL_GLOB) -> ImportReport:
    """Import every journal file (default *.jsonl) in `directory`, oldest name first."""
    d = Path(directory)
    if not d.is_dir():
        raise FileNotFoundError(f"journal folder {d} does not exist; point --journal at the folder the QMT script writes to")
    total = ImportReport()
    for f in sorted(d.glob(pattern)):
        total.add(import_journal(store, f))
    return total


EXPORT_COLUMNS = ("signal_id", "ts_ms", "ts", "strategy", "layer", "code", "kind", "action", "composite_score",
                  "confidence", "risk", "price", "take_profit", "stop_loss", "reason")


def export_signals(store: Store, path: str | os.PathLike, *, since_ms: int | None = None,
                   strategy: str | None = None, encoding: str = "gbk") -> int:
    """Write signals (optionally since a time / for one strategy) to .csv or .json, atomically; returns rows."""
    p = Path(path)
    where, params = [], []
    if since_ms is not None:
        from signals_db.values import ts_text
        where.append("ts >= ?")
        params.append(ts_text(since_ms))
    if strategy is not None:
        where.append("strategy = ?")
        params.append(strategy)
    sql = ("SELECT signal_id, ts, strategy, layer, code, kind, action, composite_score, confidence, risk, price, "
           "take_profit, stop_loss, reason FROM signals" + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY ts, id")
    rows = []
    for r in store.query(sql, tuple(params)):
        rows.append(dict(zip(EXPORT_COLUMNS, (r[0], ts_ms(r[1]), r[1][:23], *r[2:]), strict=True)))
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=p.name + ".", suffix=".tmp", dir=p.parent)
    try:
        if p.suffix.lower() == ".json":
            with os.fdopen(fd, "w", encoding="ascii", newline="\n") as f:
                json.dump({"v": JOURNAL_VERSION, "signals": rows}, f, ensure_ascii=True, indent=0)
        elif p.suffix.lower() == ".csv":
            with os.fdopen(fd, "w", encoding=encoding, errors="replace", newline="") as f:
                w = csv.DictWriter(f, fieldnames=EXPORT_COLUMNS)
                w.writeheader()
                w.writerows(rows)
        else:
            os.close(fd)
            raise ValueError(f"{p}: export format comes from the suffix; use .csv or .json")
        os.replace(tmp, p)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    logger.info("signals exported path={} rows={}", p, len(rows))
    return len(rows)
