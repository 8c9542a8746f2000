"""Validate and convert Python values into the column values stored in SQLite (and shipped as-is to MySQL).

Each table's columns get a converter derived from the models; a bad value raises :class:`InvalidRow` naming the
table, field and value. Text longer than its column is NOT rejected here: the local file keeps it intact and the
MySQL sync quarantines it with the server's reason.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    Integer,
    Numeric,
    SmallInteger,
    String,
)

from signals_db.models import AMOUNT, Base

SHANGHAI = ZoneInfo("Asia/Shanghai")
CODE_RE = re.compile(r"^\d{6}\.(SH|SZ|BJ)$")
LOOSE_CODE_RE = re.compile(r"^[0-9A-Za-z]{1,12}(\.[A-Za-z]{2,4})?$")
STRICT_CODE_COLUMNS = frozenset({"code", "etf_code"})
LOOSE_CODE_COLUMNS = frozenset({"component_code", "index_code"})
BOOKKEEPING = frozenset({"id", "recorded_at"})


class InvalidRow(ValueError):
    """A value cannot be stored; the message names table, field, value and what is allowed."""


def ts_text(value: Any) -> str:
    """Stored form of an event time: ms epoch int, or datetime (naive = Asia/Shanghai) -> 'YYYY-MM-DD HH:MM:SS.ffffff'."""
    if isinstance(value, dt.datetime):
        d = value.astimezone(SHANGHAI).replace(tzinfo=None) if value.tzinfo else value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value) or not 0 < value < 32503680000000:
            raise ValueError(f"{value!r} is not a millisecond epoch time")
        d = dt.datetime.fromtimestamp(value / 1000.0, SHANGHAI).replace(tzinfo=None)
    elif isinstance(value, str):
        d = dt.datetime.fromisoformat(value)
        d = d.astimezone(SHANGHAI).replace(tzinfo=None) if d.tzinfo else d
    else:
        raise ValueError(f"{value!r} is not a time (ms epoch int or datetime)")
    return d.strftime("%Y-%m-%d %H:%M:%S.%f")


def parse_ts(text: str | None) -> dt.datetime | None:
    """A stored event time back as a tz-aware Asia/Shanghai datetime."""
    if text is None:
        return None
    return dt.datetime.fromisoformat(str(text)).replace(tzinfo=SHANGHAI)


def ts_ms(text: str | None) -> int | None:
    """A stored event time back as QMT's millisecond epoch."""
    d = parse_ts(text)
    return None if d is None else int(round(d.timestamp() * 1000))


def now_text() -> str:
    """The current time in stored form (Asia/Shanghai wall clock, microseconds)."""
    return dt.datetime.now(SHANGHAI).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def date_text(value: Any) -> str:
    """Stored form of a date: date, datetime, 'YYYY-MM-DD' or 'YYYYMMDD'."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        s = value.strip()
        if re.fullmatch(r"\d{8}", s):
            s = f"{s[:4]}-{s[4:6]}-{s[6:]}"
        return dt.date.fromisoformat(s).isoformat()
    raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise ValueError(f"{value!r} is not a number")
    f = float(value)
    if not math.isfinite(f):
        raise ValueError(f"{value!r} is not a finite number")
    return f


def _price(value: Any) -> float:
    f = _number(value)
    if f < 0:
        raise ValueError(f"{value!r} is negative; prices are >= 0")
    return f


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an integer")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"{value!r} is not a whole number")
    return int(value)


def _bool(value: Any) -> int:
    if isinstance(value, str):
        if value.lower() in ("1", "true", "yes", "y"):
            return 1
        if value.lower() in ("0", "false", "no", "n", ""):
            return 0
        raise ValueError(f"{value!r} is not a boolean")
    return 1 if value else 0


def _json(value: Any) -> str:
    if isinstance(value, str):
        json.loads(value)
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False, default=str)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _code(pattern: re.Pattern[str], what: str) -> Callable[[Any], str]:
    def conv(value: Any) -> str:
        s = str(value).strip()
        if not pattern.match(s):
            raise ValueError(f"{value!r} is not {what}")
        return s
    return conv


def _converter(col_name: str, col_type: Any, info: Mapping[str, Any] | None = None) -> Callable[[Any], Any]:
    if col_name in STRICT_CODE_COLUMNS:
        return _code(CODE_RE, "a code as QMT writes it (600000.SH, 000001.SZ, 430047.BJ)")
    if col_name in LOOSE_CODE_COLUMNS:
        return _code(LOOSE_CODE_RE, "a security/index code like 000300.SH or H30533")
    t = col_type
    if isinstance(t, DateTime):
        return ts_text
    if isinstance(t, Date):
        return date_text
    if isinstance(t, Numeric) and not isinstance(t, Double):
        signed = t.precision == AMOUNT.precision or bool((info or {}).get("signed"))
        return _number if signed else _price
    if isinstance(t, Double):
        return _number
    if isinstance(t, Boolean):
        return _bool
    if isinstance(t, (BigInteger, Integer, SmallInteger)):
        return _int
    if isinstance(t, JSON):
        return _json
    if isinstance(t, String):
        return _text
    raise TypeError(f"no converter for column {col_name} of type {t!r}")


class TableSpec:
    """Column order, converters and required columns of one table (everything but id)."""

    def __init__(self, name: str) -> None:
        table = Base.metadata.tables[name]
        self.name = name
        self.columns: tuple[str, ...] = tuple(c.name for c in table.columns if c.name != "id")
        self._conv = {c.name: _converter(c.name, c.type, c.info) for c in table.columns if c.name != "id"}
        defaults = {c.name: c.default.arg for c in table.columns if c.default is not None and not callable(c.default.arg)}
        self._defaults = {k: self._conv[k](v) for k, v in defaults.items()}
        self.required = frozenset(
            c.name for c in table.columns if not c.nullable and c.name not in BOOKKEEPING and c.name not in defaults)

    def convert(self, col: str, value: Any) -> Any:
        """One value in stored form (InvalidRow when it cannot be)."""
        try:
            return self._conv[col](value)
        except (ValueError, TypeError, OverflowError) as exc:
            raise InvalidRow(f"{self.name}.{col} = {value!r} rejected: {exc}") from None

    def params(self, row: Mapping[str, Any], recorded_at: str) -> tuple[Any, ...]:
        """Converted values in column order; InvalidRow on unknown/missing fields or bad values."""
        unknown = set(row) - set(self.columns)
        if unknown:
            raise InvalidRow(f"{self.name}: unknown field(s) {sorted(unknown)}; allowed: {', '.join(self.columns)}")
        out = []
        for col in self.columns:
            if col == "recorded_at":
                out.append(recorded_at)
                continue
            v = row.get(col)
            if v is None:
                if col in self.required:
                    raise InvalidRow(f"{self.name}.{col} is required but missing")
                out.append(self._defaults.get(col))
                continue
            try:
                out.append(self._conv[col](v))
            except (ValueError, TypeError, OverflowError) as exc:
                raise InvalidRow(f"{self.name}.{col} = {v!r} rejected: {exc}") from None
        return tuple(out)


SPECS: dict[str, TableSpec] = {t: TableSpec(t) for t in Base.metadata.tables}
