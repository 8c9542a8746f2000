"""The idempotent upsert statements, per table, for SQLite (local writes) and MySQL (sync).

Three write policies:
- ``immutable`` events (a signal, a fill, a position snapshot, an alert, a history step): first write wins,
  a replay stores nothing;
- ``orders``: status only moves to a higher rank, filled quantity only grows, ids are filled in once known;
- ``upsert`` (reference data, backtest runs): the row takes the new values; unchanged rows are not rewritten.
"""
from __future__ import annotations

from functools import cache

from signals_db.models import NATURAL_KEYS
from signals_db.values import SPECS

IMMUTABLE = frozenset({"signals", "trades", "positions", "alerts_log", "order_status_history", "backtest_log"})
REFERENCE = frozenset({"stock_info", "daily_quote", "finance_data", "funds_flow", "etf_info", "etf_holdings",
                       "etf_index_map", "index_valuation"})


VERSIONED = frozenset({"exit_brackets"})


def policy(table: str) -> str:
    """'immutable', 'orders', 'versioned' (only a higher `version` replaces the row) or 'upsert'."""
    if table in IMMUTABLE:
        return "immutable"
    if table in VERSIONED:
        return "versioned"
    return "orders" if table == "orders" else "upsert"


def _non_key(table: str) -> list[str]:
    keys = set(NATURAL_KEYS[table])
    return [c for c in SPECS[table].columns if c not in keys]


# order columns whose first known value is kept: later updates only fill them in when still empty
_ORDER_FILL_IN = ("account_id", "strategy", "price_type", "price", "broker_order_id", "order_sysid", "remark")


@cache
def sqlite_upsert(table: str) -> str:
    """INSERT ... ON CONFLICT for SQLite; RETURNING id yields a row only when something was written."""
    cols = SPECS[table].columns
    keys = NATURAL_KEYS[table]
    head = (f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)}) "
            f"ON CONFLICT ({', '.join(keys)}) ")
    pol = policy(table)
    if pol == "immutable":
        return head + "DO NOTHING RETURNING id"
    if pol == "versioned":
        sets = ", ".join(f"{c} = excluded.{c}" for c in _non_key(table))
        return head + f"DO UPDATE SET {sets} WHERE excluded.version > {table}.version RETURNING id"
    if pol == "upsert":
        non_key = _non_key(table)
        sets = ", ".join(f"{c} = excluded.{c}" for c in non_key)
        changed = " OR ".join(f"{table}.{c} IS NOT excluded.{c}" for c in non_key if c != "recorded_at")
        return head + f"DO UPDATE SET {sets} WHERE {changed} RETURNING id"
    t = "orders"
    forward = f"excluded.status_rank > {t}.status_rank"
    sets = [
        f"status = CASE WHEN {forward} THEN excluded.status ELSE {t}.status END",
        f"status_msg = CASE WHEN {forward} THEN COALESCE(excluded.status_msg, {t}.status_msg) ELSE {t}.status_msg END",
        f"avg_price = CASE WHEN excluded.filled_qty > {t}.filled_qty THEN COALESCE(excluded.avg_price, {t}.avg_price)"
        f" ELSE COALESCE({t}.avg_price, excluded.avg_price) END",
        f"filled_qty = MAX({t}.filled_qty, excluded.filled_qty)",
        f"status_rank = MAX({t}.status_rank, excluded.status_rank)",
        f"quantity = MAX({t}.quantity, excluded.quantity)",
        f"created_ts = MIN({t}.created_ts, excluded.created_ts)",
        f"updated_ts = MAX({t}.updated_ts, excluded.updated_ts)",
        "recorded_at = excluded.recorded_at",
    ] + [f"{c} = COALESCE({t}.{c}, excluded.{c})" for c in _ORDER_FILL_IN]
    changed = " OR ".join(
        [forward, f"excluded.filled_qty > {t}.filled_qty"]
        + [f"({t}.{c} IS NULL AND excluded.{c} IS NOT NULL)" for c in _ORDER_FILL_IN])
    return head + f"DO UPDATE SET {', '.join(sets)} WHERE {changed} RETURNING id"



@cache
def mysql_upsert(table: str) -> str:
    """INSERT ... ON DUPLICATE KEY UPDATE for MySQL/MariaDB with %s placeholders for one row (pymysql style)."""
    head, tail = mysql_upsert_parts(table)
    return head + "(" + ", ".join("%s" for _ in SPECS[table].columns) + ")" + tail


@cache
def mysql_upsert_parts(table: str) -> tuple[str, str]:
    """('INSERT INTO t (cols) VALUES ', ' ON DUPLICATE KEY UPDATE ...'): row tuples go in between.

    VALUES(col), not MySQL 8's row alias (VALUES (...) AS new ... new.col): MariaDB (10.11 here) has no row
    alias (syntax error 1064), while VALUES() works on MariaDB and, deprecated, on MySQL 8 (docs/database.md).
    """
    cols = SPECS[table].columns
    head = f"INSERT INTO `{table}` ({', '.join(f'`{c}`' for c in cols)}) VALUES "
    upd = " ON DUPLICATE KEY UPDATE "
    if policy(table) == "versioned":  # `version` is assigned last: the IFs compare against the old one
        newer = "VALUES(`version`) > `version`"
        sets = [f"`{c}` = IF({newer}, VALUES(`{c}`), `{c}`)" for c in _non_key(table) if c != "version"]
        return head, upd + ", ".join([*sets, "`version` = GREATEST(`version`, VALUES(`version`))"])
    if policy(table) != "orders":
        return head, upd + ", ".join(f"`{c}` = VALUES(`{c}`)" for c in _non_key(table))
    # MySQL applies these assignments left to right, each seeing the columns already updated. So the ones
    # that depend on "did this update change the order?" come first, while status_rank, filled_qty and the
    # fill-in ids still hold the old values; those are assigned last. Same outcome as the SQLite statement.
    fwd = "VALUES(`status_rank`) > `status_rank`"
    changed = " OR ".join(
        [fwd, "VALUES(`filled_qty`) > `filled_qty`"]
        + [f"(`{c}` IS NULL AND VALUES(`{c}`) IS NOT NULL)" for c in _ORDER_FILL_IN])
    when = f"({changed})"
    sets = [
        f"`status` = IF({fwd}, VALUES(`status`), `status`)",
        f"`status_msg` = IF({fwd}, COALESCE(VALUES(`status_msg`), `status_msg`), `status_msg`)",
        (f"`avg_price` = IF({when}, IF(VALUES(`filled_qty`) > `filled_qty`, COALESCE(VALUES(`avg_price`), `avg_price`),"
         " COALESCE(`avg_price`, VALUES(`avg_price`))), `avg_price`)"),
        f"`quantity` = IF({when}, GREATEST(`quantity`, VALUES(`quantity`)), `quantity`)",
        f"`created_ts` = IF({when}, LEAST(`created_ts`, VALUES(`created_ts`)), `created_ts`)",
        f"`updated_ts` = IF({when}, GREATEST(`updated_ts`, VALUES(`updated_ts`)), `updated_ts`)",
        f"`recorded_at` = IF({when}, VALUES(`recorded_at`), `recorded_at`)",
    ] + [f"`{c}` = COALESCE(`{c}`, VALUES(`{c}`))" for c in _ORDER_FILL_IN] + [
        "`filled_qty` = GREATEST(`filled_qty`, VALUES(`filled_qty`))",
        "`status_rank` = GREATEST(`status_rank`, VALUES(`status_rank`))",
    ]
    return head, upd + ", ".join(sets)


_INF_TEXT = "'''inf'''"  # SQL text of the string literal 'inf'


def _literal(col: str) -> str:
    # An SQL-standard literal made by SQLite itself (in C, fast): quote() doubles quotes in text, which MySQL
    # reads correctly under sql_mode NO_BACKSLASH_ESCAPES; REALs get 17 significant digits (exact round trip);
    # a non-finite REAL becomes the text 'inf', which strict MySQL rejects, so that row is quarantined.
    return (f"CASE WHEN typeof({col}) = 'real' THEN CASE WHEN abs({col}) < 1e308 THEN printf('%!.17g', {col}) "
            f"ELSE {_INF_TEXT} END ELSE quote({col}) END")


@cache
def sqlite_row_literals(table: str) -> str:
    """SELECT id, '(v1,v2,...)' FROM table WHERE id IN ({marks}): each row as a MySQL VALUES tuple."""
    parts = " || ',' || ".join(_literal(c) for c in SPECS[table].columns)
    return f"SELECT id, '(' || {parts} || ')' FROM {table} WHERE id IN ({{marks}})"
