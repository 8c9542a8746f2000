"""SQLAlchemy 2.0 typed models: one schema for the local SQLite file and the MySQL mirror.

Precision, chosen once for both backends:
- prices ``DECIMAL(16,4)``: A-share stocks quote 2 decimals, ETFs 3, adjusted prices need 4;
- amounts ``DECIMAL(20,4)``: turnover and money flow up to 10^16 CNY;
- quantities ``BIGINT`` shares; scores/ratios ``DOUBLE`` (not money, may be negative);
- event times ``DATETIME(3)`` (QMT's millisecond epoch, stored as Asia/Shanghai wall-clock time);
- bookkeeping times (``recorded_at``) ``DATETIME(6)``;
- text ``VARCHAR(n)`` in utf8mb4 with n chosen per column (a longer value stays in the local file
  and is quarantined by the MySQL sync with the server's reason).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

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
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

PRICE = Numeric(16, 4)
AMOUNT = Numeric(20, 4)
TS = DateTime().with_variant(mysql.DATETIME(fsp=3), "mysql", "mariadb")
TS6 = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# BIGINT primary keys in MySQL; INTEGER in SQLite so the column is the rowid (autoincrement works).
PK = BigInteger().with_variant(Integer, "sqlite")
CODE = String(16)
MYSQL_TABLE = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}


class Base(DeclarativeBase):
    """Declarative base of every signals_db table."""


class _Row:
    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True, sort_order=-10)


# ---------------------------------------------------------------- reference data (loaders)


class StockInfo(_Row, Base):
    __tablename__ = "stock_info"
    __table_args__ = (UniqueConstraint("code", name="uq_stock_info_code"), MYSQL_TABLE)
    code: Mapped[str] = mapped_column(CODE)
    name: Mapped[str | None] = mapped_column(String(32))
    industry_sw1: Mapped[str | None] = mapped_column(String(32))
    industry_sw2: Mapped[str | None] = mapped_column(String(64))
    list_date: Mapped[dt.date | None] = mapped_column(Date)
    is_st: Mapped[bool] = mapped_column(Boolean, default=False)
    layer: Mapped[str | None] = mapped_column(String(16))  # offensive / stable / None (not tracked)
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


class DailyQuote(_Row, Base):
    __tablename__ = "daily_quote"
    __table_args__ = (UniqueConstraint("code", "trade_date", name="uq_daily_quote"), MYSQL_TABLE)
    code: Mapped[str] = mapped_column(CODE)
    trade_date: Mapped[dt.date] = mapped_column(Date)
    open: Mapped[Decimal | None] = mapped_column(PRICE)
    high: Mapped[Decimal | None] = mapped_column(PRICE)
    low: Mapped[Decimal | None] = mapped_column(PRICE)
    close: Mapped[Decimal | None] = mapped_column(PRICE)
    pre_close: Mapped[Decimal | None] = mapped_column(PRICE)
    volume: Mapped[int | None] = mapped_column(BigInteger)  # shares
    amount: Mapped[Decimal | None] = mapped_column(AMOUNT)  # CNY
    is_suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


class FinanceData(_Row, Base):
    __tablename__ = "finance_data"
    __table_args__ = (UniqueConstraint("code", "report_period", name="uq_finance_data"), MYSQL_TABLE)
    code: Mapped[str] = mapped_column(CODE)
    report_period: Mapped[dt.date] = mapped_column(Date)  # e.g. 2024-12-31
    roe: Mapped[float | None] = mapped_column(Double)  # percent
    eps: Mapped[float | None] = mapped_column(Double)  # CNY per share
    pb: Mapped[float | None] = mapped_column(Double)
    pe: Mapped[float | None] = mapped_column(Double)
    # book value per share, CNY; may be negative (net liabilities), so it is checked as a signed number
    bps: Mapped[Decimal | None] = mapped_column(PRICE, info={"signed": True})
    dividend_payout: Mapped[float | None] = mapped_column(Double)  # percent of net profit
    dividend_yield: Mapped[float | None] = mapped_column(Double)  # percent
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


class FundsFlow(_Row, Base):
    __tablename__ = "funds_flow"
    __table_args__ = (UniqueConstraint("scope", "subject", "trade_date", name="uq_funds_flow"), MYSQL_TABLE)
    scope: Mapped[str] = mapped_column(String(16))  # stock / industry / market
    subject: Mapped[str] = mapped_column(String(64))  # a code, an industry name, or 'SH'/'SZ'
    trade_date: Mapped[dt.date] = mapped_column(Date)
    main_net_inflow: Mapped[Decimal | None] = mapped_column(AMOUNT)
    net_inflow: Mapped[Decimal | None] = mapped_column(AMOUNT)
    margin_balance: Mapped[Decimal | None] = mapped_column(AMOUNT)
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


class EtfInfo(_Row, Base):
    __tablename__ = "etf_info"
    __table_args__ = (UniqueConstraint("code", name="uq_etf_info_code"), MYSQL_TABLE)
    code: Mapped[str] = mapped_column(CODE)
    name: Mapped[str | None] = mapped_column(String(64))
    index_code: Mapped[str | None] = mapped_column(String(16))  # tracked index
    index_name: Mapped[str | None] = mapped_column(String(64))
    list_date: Mapped[dt.date | None] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


class EtfHoldings(_Row, Base):
    __tablename__ = "etf_holdings"
    __table_args__ = (
        UniqueConstraint("etf_code", "as_of_date", "component_code", "source", name="uq_etf_holdings"),
        MYSQL_TABLE,
    )
    etf_code: Mapped[str] = mapped_column(CODE)
    as_of_date: Mapped[dt.date] = mapped_column(Date)
    component_code: Mapped[str] = mapped_column(CODE)
    component_name: Mapped[str | None] = mapped_column(String(32))
    weight: Mapped[float | None] = mapped_column(Double)  # fraction of the fund, 0..1
    shares: Mapped[int | None] = mapped_column(BigInteger)  # basket component quantity
    source: Mapped[str] = mapped_column(String(16))  # basket / disclosed / index
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


class EtfIndexMap(_Row, Base):
    __tablename__ = "etf_index_map"
    __table_args__ = (UniqueConstraint("etf_code", name="uq_etf_index_map"), MYSQL_TABLE)
    etf_code: Mapped[str] = mapped_column(CODE)
    index_code: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12))  # mapped / unmappable / pending
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(255))
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


class IndexValuation(_Row, Base):
    __tablename__ = "index_valuation"
    __table_args__ = (UniqueConstraint("index_code", "trade_date", name="uq_index_valuation"), MYSQL_TABLE)
    index_code: Mapped[str] = mapped_column(String(16))
    trade_date: Mapped[dt.date] = mapped_column(Date)
    pe: Mapped[float | None] = mapped_column(Double)
    pb: Mapped[float | None] = mapped_column(Double)
    pe_percentile: Mapped[float | None] = mapped_column(Double)  # 0..100 over the history used
    pb_percentile: Mapped[float | None] = mapped_column(Double)
    dividend_yield: Mapped[float | None] = mapped_column(Double)
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


# ---------------------------------------------------------------- trading events (runner, journal)


class Signal(_Row, Base):
    __tablename__ = "signals"
    __table_args__ = (UniqueConstraint("signal_id", name="uq_signals_signal_id"), MYSQL_TABLE)
    signal_id: Mapped[str] = mapped_column(String(64))
    strategy: Mapped[str] = mapped_column(String(64))
    layer: Mapped[str | None] = mapped_column(String(16))  # limit_up_etf / offensive / stable
    code: Mapped[str] = mapped_column(CODE)
    ts: Mapped[dt.datetime] = mapped_column(TS, index=True)
    kind: Mapped[str] = mapped_column(String(32))  # entry / exit / score / ...
    action: Mapped[str] = mapped_column(String(8))  # buy / sell / alert
    factor_scores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    composite_score: Mapped[float | None] = mapped_column(Double)
    confidence: Mapped[float | None] = mapped_column(Double)
    risk: Mapped[float | None] = mapped_column(Double)
    price: Mapped[Decimal | None] = mapped_column(PRICE)
    take_profit: Mapped[Decimal | None] = mapped_column(PRICE)
    stop_loss: Mapped[Decimal | None] = mapped_column(PRICE)
    reason: Mapped[str | None] = mapped_column(String(1000))
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


class Order(_Row, Base):
    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("client_order_id", name="uq_orders_client_order_id"), MYSQL_TABLE)
    client_order_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str] = mapped_column(String(32), default="")
    strategy: Mapped[str | None] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(CODE)
    side: Mapped[str] = mapped_column(String(8))  # buy / sell
    price_type: Mapped[str | None] = mapped_column(String(16))
    price: Mapped[Decimal | None] = mapped_column(PRICE)
    quantity: Mapped[int] = mapped_column(BigInteger)
    filled_qty: Mapped[int] = mapped_column(BigInteger, default=0)
    avg_price: Mapped[Decimal | None] = mapped_column(PRICE)
    status: Mapped[str] = mapped_column(String(24))
    status_rank: Mapped[int] = mapped_column(SmallInteger)  # see signals_db.status.ORDER_STATUS_RANK
    broker_order_id: Mapped[str | None] = mapped_column(String(32))  # xtquant order_id
    order_sysid: Mapped[str | None] = mapped_column(String(64))  # exchange contract number
    remark: Mapped[str | None] = mapped_column(String(255))
    status_msg: Mapped[str | None] = mapped_column(String(255))
    created_ts: Mapped[dt.datetime] = mapped_column(TS)
    updated_ts: Mapped[dt.datetime] = mapped_column(TS)
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


class OrderStatusHistory(_Row, Base):
    __tablename__ = "order_status_history"
    __table_args__ = (
        UniqueConstraint("client_order_id", "status", "filled_qty", name="uq_order_status_history"),
        MYSQL_TABLE,
    )
    client_order_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    filled_qty: Mapped[int] = mapped_column(BigInteger)
    ts: Mapped[dt.datetime] = mapped_column(TS)
    status_msg: Mapped[str | None] = mapped_column(String(255))
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


class Trade(_Row, Base):
    __tablename__ = "trades"
    # brokers number fills per trading day: the same traded_id comes back on another day for another fill
    __table_args__ = (
        UniqueConstraint("account_id", "trade_date", "traded_id", name="uq_trades_day_traded_id"), MYSQL_TABLE)
    account_id: Mapped[str] = mapped_column(String(32), default="")
    trade_date: Mapped[dt.date] = mapped_column(Date)  # Asia/Shanghai date of the fill time (ts)
    traded_id: Mapped[str] = mapped_column(String(64))
    client_order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    broker_order_id: Mapped[str | None] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(CODE)
    side: Mapped[str] = mapped_column(String(8))
    price: Mapped[Decimal] = mapped_column(PRICE)
    quantity: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[Decimal | None] = mapped_column(AMOUNT)
    commission: Mapped[Decimal | None] = mapped_column(AMOUNT)
    strategy: Mapped[str | None] = mapped_column(String(64))
    ts: Mapped[dt.datetime] = mapped_column(TS)
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


class Position(_Row, Base):
    __tablename__ = "positions"
    __table_args__ = (UniqueConstraint("account_id", "code", "snapshot_ts", name="uq_positions_snapshot"), MYSQL_TABLE)
    account_id: Mapped[str] = mapped_column(String(32), default="")
    snapshot_ts: Mapped[dt.datetime] = mapped_column(TS)
    code: Mapped[str] = mapped_column(CODE)
    volume: Mapped[int] = mapped_column(BigInteger)
    can_use_volume: Mapped[int] = mapped_column(BigInteger)  # T+1: shares sellable today
    avg_price: Mapped[Decimal | None] = mapped_column(PRICE)
    market_value: Mapped[Decimal | None] = mapped_column(AMOUNT)
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


class AlertLog(_Row, Base):
    __tablename__ = "alerts_log"
    __table_args__ = (UniqueConstraint("alert_id", name="uq_alerts_log_alert_id"), MYSQL_TABLE)
    alert_id: Mapped[str] = mapped_column(String(64))
    ts: Mapped[dt.datetime] = mapped_column(TS)
    level: Mapped[str] = mapped_column(String(16))  # info / warning / critical
    source: Mapped[str] = mapped_column(String(64))
    code: Mapped[str | None] = mapped_column(CODE)
    kind: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(String(1000))
    channels: Mapped[str | None] = mapped_column(String(64))  # comma list of notification channels used
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


class BacktestRun(_Row, Base):
    __tablename__ = "backtest_runs"
    __table_args__ = (UniqueConstraint("run_id", name="uq_backtest_runs_run_id"), MYSQL_TABLE)
    run_id: Mapped[str] = mapped_column(String(64))
    strategy: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    initial_cash: Mapped[Decimal | None] = mapped_column(AMOUNT)
    final_value: Mapped[Decimal | None] = mapped_column(AMOUNT)
    total_return: Mapped[float | None] = mapped_column(Double)
    max_drawdown: Mapped[float | None] = mapped_column(Double)
    sharpe: Mapped[float | None] = mapped_column(Double)
    win_rate: Mapped[float | None] = mapped_column(Double)  # fraction of closed trades with a profit, 0..1
    annual_return: Mapped[float | None] = mapped_column(Double)  # annualised return, fraction
    trades_count: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # running / finished / failed
    started_ts: Mapped[dt.datetime | None] = mapped_column(TS)
    finished_ts: Mapped[dt.datetime | None] = mapped_column(TS)
    notes: Mapped[str | None] = mapped_column(String(1000))
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


class BacktestLog(_Row, Base):
    __tablename__ = "backtest_log"
    __table_args__ = (UniqueConstraint("run_id", "seq", name="uq_backtest_log"), MYSQL_TABLE)
    run_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    ts: Mapped[dt.datetime | None] = mapped_column(TS)
    kind: Mapped[str] = mapped_column(String(32))  # order / trade / equity / message
    code: Mapped[str | None] = mapped_column(CODE)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(String(1000))
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


class ExitBracket(_Row, Base):
    """The runner's exit bracket (stop loss / take profit stages) of a position: latest version wins."""

    __tablename__ = "exit_brackets"
    __table_args__ = (
        UniqueConstraint("account_id", "code", "entry_client_order_id", name="uq_exit_brackets"), MYSQL_TABLE)
    account_id: Mapped[str] = mapped_column(String(32), default="")
    code: Mapped[str] = mapped_column(CODE)
    entry_client_order_id: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int] = mapped_column(Integer)  # only a higher version replaces the stored bracket
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    stage: Mapped[int | None] = mapped_column(SmallInteger)
    strategy: Mapped[str | None] = mapped_column(String(64))
    entry_price: Mapped[Decimal | None] = mapped_column(PRICE)
    stop_loss: Mapped[Decimal | None] = mapped_column(PRICE)
    take_profit: Mapped[Decimal | None] = mapped_column(PRICE)
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the full bracket, as the runner serialises it
    ts: Mapped[dt.datetime] = mapped_column(TS)
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


# ---------------------------------------------------------------- bookkeeping


class Outbox(Base):
    """One row per local write still to be shipped to MySQL (points at the changed row)."""

    __tablename__ = "outbox"
    __table_args__ = ({"sqlite_autoincrement": True, **MYSQL_TABLE},)
    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(String(32))
    row_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(TS6)


class Quarantine(_Row, Base):
    """A row the MySQL server or the journal importer rejected, with the reason; never retried silently."""

    __tablename__ = "quarantine"
    # one entry per (source, table, natural key, reason): a row that fails again for the same reason (after
    # `sync --full` or `--retry-quarantined`) is not added twice; see signals_db.store.quarantine_key
    __table_args__ = (UniqueConstraint("dedup_key", name="uq_quarantine_dedup"), MYSQL_TABLE)
    source: Mapped[str] = mapped_column(String(16))  # mysql / journal
    table_name: Mapped[str | None] = mapped_column(String(32))
    row_id: Mapped[int | None] = mapped_column(BigInteger)
    natural_key: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(1000))
    dedup_key: Mapped[str] = mapped_column(String(40))  # sha1 hex of source, table, natural key, reason
    created_at: Mapped[dt.datetime] = mapped_column(TS6)


class JournalFile(_Row, Base):
    """How far each QMT journal file has been imported (byte offset of the next unread line)."""

    __tablename__ = "journal_files"
    __table_args__ = (UniqueConstraint("path", name="uq_journal_files_path"), MYSQL_TABLE)
    path: Mapped[str] = mapped_column(String(512))
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    lines: Mapped[int] = mapped_column(BigInteger, default=0)
    recorded_at: Mapped[dt.datetime] = mapped_column(TS6)


# Natural key of every synced table: the columns MySQL upserts on (the local id is never shipped).
NATURAL_KEYS: dict[str, tuple[str, ...]] = {}
for _t in Base.metadata.sorted_tables:
    for _c in _t.constraints:
        if isinstance(_c, UniqueConstraint):
            NATURAL_KEYS[_t.name] = tuple(col.name for col in _c.columns)
LOCAL_ONLY = frozenset({"journal_files", "quarantine"})  # bookkeeping of the local file, never shipped
SYNCED_TABLES = tuple(t for t in NATURAL_KEYS if t not in LOCAL_ONLY)
