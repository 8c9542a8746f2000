"""The one schema for every config file: unknown keys rejected, every field described and bounded."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_CODE = re.compile(r"^\d{6}\.(SH|SZ|BJ)$")


class Section(BaseModel):
    """Base for every config section: frozen, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class StrategySettings(Section):
    min_weight: float = Field(0.05, gt=0, le=1, description="minimum weight of a limit-up stock in an ETF basket for the ETF to count as related")
    min_etf_volume: float = Field(5000, ge=0, le=1e7, description="minimum ETF turnover today, in 万元 (10,000 CNY), to trade it")
    min_time_to_close: int = Field(1800, ge=0, le=4 * 3600, description="no new entry signals when fewer seconds than this remain before 15:00")
    scan_interval: int = Field(60, ge=1, le=3600, description="seconds between full evaluations when not event-driven")


class LimitUpEtf(Section):
    premium_priced_in_fraction: float = Field(0.5, ge=0, le=1, description="skip an ETF whose premium is already ≥ this fraction × stock weight × the stock's limit ratio")
    signal_states: tuple[Literal["touched", "sealed", "broken", "one_word"], ...] = Field(
        ("sealed", "one_word"), min_length=1, max_length=4, description="limit-up states that produce signals")
    position_budget: float = Field(100_000, gt=0, le=1e9, description="CNY per ETF position")
    max_positions: int = Field(5, ge=1, le=50, description="ETF positions opened per day")
    buy_price_ticks: int = Field(2, ge=0, le=20, description="buy limit price = ask1 + this many ticks, capped by the cage and the limit")
    exit_after_days: int = Field(1, ge=1, le=20, description="time exit on this trading day after entry (T+1 earliest)")
    max_tick_age_ms: int = Field(180_000, ge=3_000, le=3_600_000, description="ticks older than this at scan time are ignored (whole-quote pushes carry only changed codes, so a quiet sealed stock can go minutes without one)")


class TradingHours(Section):
    morning: tuple[str, str] = Field(("09:30", "11:30"), description="continuous session, morning (HH:MM, HH:MM)")
    afternoon: tuple[str, str] = Field(("13:00", "15:00"), description="continuous session and close, afternoon (HH:MM, HH:MM)")

    @field_validator("morning", "afternoon")
    @classmethod
    def _hhmm(cls, v: tuple[str, str]) -> tuple[str, str]:
        for t in v:
            if not _HHMM.match(t):
                raise ValueError(f"{t!r} is not a HH:MM time")
        if v[0] >= v[1]:
            raise ValueError(f"start {v[0]} must be before end {v[1]}")
        return v


class SignalEvaluation(Section):
    confidence_high_weight: float = Field(0.10, gt=0, le=1, description="weight at or above which confidence can be 高")
    confidence_low_weight: float = Field(0.05, gt=0, le=1, description="weight below which confidence is 低")
    confidence_high_rank: int = Field(3, ge=1, le=50, description="rank in the ETF at or better than which confidence can be 高")
    confidence_low_rank: int = Field(10, ge=1, le=100, description="rank worse than which confidence is 低")
    risk_high_time_seconds: int = Field(600, ge=0, le=4 * 3600, description="fewer seconds to the close than this: risk 高")
    risk_low_time_seconds: int = Field(3600, ge=0, le=4 * 3600, description="more seconds to the close than this (with other conditions): risk 低")
    risk_top10_ratio_high: float = Field(0.70, gt=0, le=1, description="top-10 holdings share above which the ETF is concentrated (risk up)")
    risk_morning_hour: int = Field(10, ge=9, le=15, description="signals before this hour carry the morning-reversal risk")

    @model_validator(mode="after")
    def _ordered(self) -> SignalEvaluation:
        if self.confidence_low_weight > self.confidence_high_weight:
            raise ValueError("confidence_low_weight must not exceed confidence_high_weight")
        if self.confidence_high_rank > self.confidence_low_rank:
            raise ValueError("confidence_high_rank must not exceed confidence_low_rank")
        if self.risk_high_time_seconds > self.risk_low_time_seconds:
            raise ValueError("risk_high_time_seconds must not exceed risk_low_time_seconds")
        return self


class DingTalk(Section):
    enabled: bool = Field(False, description="send notifications to a DingTalk robot")
    webhook: SecretStr | None = Field(None, description="robot webhook URL with access_token (secret: env DINGTALK_WEBHOOK)")
    secret: SecretStr | None = Field(None, description="robot signing secret, HMAC-SHA256 (secret: env DINGTALK_SECRET)")


class WeCom(Section):
    enabled: bool = Field(False, description="send notifications to a WeCom (企业微信) group robot")
    webhook: SecretStr | None = Field(None, description="robot webhook URL with key (secret: env WECOM_WEBHOOK)")


class Email(Section):
    enabled: bool = Field(False, description="send notifications by email")
    smtp_host: str = Field("localhost", min_length=1, max_length=255, description="SMTP server host")
    smtp_port: int = Field(465, ge=1, le=65535, description="SMTP server port (465 SSL, 587 STARTTLS, 25 plain)")
    use_ssl: bool = Field(True, description="SMTP over SSL (port 465); false means STARTTLS when offered")
    username: str | None = Field(None, max_length=255, description="SMTP login user")
    password: SecretStr | None = Field(None, description="SMTP password (secret: env SMTP_PASSWORD)")
    sender: str | None = Field(None, max_length=255, description="From: address")
    recipients: tuple[str, ...] = Field((), max_length=50, description="To: addresses")


class Notifications(Section):
    rate_limit_per_minute: int = Field(20, ge=1, le=600, description="most messages per channel per minute; extra ones are merged into a digest")
    dingtalk: DingTalk = Field(default_factory=DingTalk, description="DingTalk robot")
    wecom: WeCom = Field(default_factory=WeCom, description="WeCom robot")
    email: Email = Field(default_factory=Email, description="email via SMTP")


class Logging(Section):
    level: Literal["TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL"] = Field("INFO", description="minimum level written")
    file: str | None = Field("logs/qmt_toolkit.log", max_length=1024, description="log file path (relative to the project root); null for console only")
    rotation: str = Field("100 MB", pattern=r"^\d+(\.\d+)?\s*(B|KB|MB|GB)$|^\d+\s*(day|days|week|weeks|hour|hours)$|^\d\d:\d\d$", description="loguru rotation: a size like '100 MB', a period like '1 day', or a time like '00:00'")
    retention: str = Field("30 days", pattern=r"^\d+\s*(day|days|week|weeks|month|months)$", description="how long rotated files are kept, e.g. '30 days'")


class Database(Section):
    sqlite_path: str = Field("data/signals.db", min_length=1, max_length=1024, description="local SQLite file: the source of truth (relative to the project root)")
    mysql_url: str | None = Field(None, max_length=1024, description="team MySQL mirror, e.g. mysql+pymysql://user@host:3306/signals?charset=utf8mb4 (password: env SIGNALS_MYSQL_PASSWORD)")
    mysql_password: SecretStr | None = Field(None, description="MySQL password (secret: env SIGNALS_MYSQL_PASSWORD)")
    sync_batch_size: int = Field(1000, ge=1, le=100_000, description="outbox rows shipped to MySQL per batch")
    sync_interval_s: float = Field(2.0, gt=0, le=3600, description="seconds between sync passes when the outbox is empty")

    @field_validator("mysql_url")
    @classmethod
    def _no_password_in_url(cls, v: str | None) -> str | None:
        if v and re.match(r"^[^:]+://[^:/@]+:[^@]+@", v):
            raise ValueError("contains a password: remove it from the URL and set env SIGNALS_MYSQL_PASSWORD")
        if v and not v.startswith(("mysql+pymysql://", "mysql://", "mariadb+pymysql://")):
            raise ValueError("must start with mysql+pymysql://")
        return v


class Account(Section):
    account_id: SecretStr | None = Field(None, description="broker account id (secret: env QMT_ACCOUNT_ID)")
    account_type: Literal["STOCK", "CREDIT"] = Field("STOCK", description="account kind; the toolkit trades STOCK accounts")
    userdata_path: str | None = Field(None, max_length=1024, description=r"miniQMT userdata_mini folder, e.g. D:\国金QMT交易端\userdata_mini")
    live_confirmed: bool = Field(False, description="must be true (in config/local.yaml) before --live places real orders")


class Risk(Section):
    max_order_value: float = Field(100_000, gt=0, le=1e9, description="largest single order value in CNY")
    max_position_pct_stock: float = Field(0.20, gt=0, le=1, description="largest share of total assets in one code")
    max_position_pct_industry: float = Field(0.40, gt=0, le=1, description="largest share of total assets in one industry")
    max_orders_per_second: int = Field(10, ge=1, le=300, description="order rate cap (well below the exchanges' high-frequency lines)")
    max_orders_per_day: int = Field(2000, ge=1, le=20_000, description="order count cap per trading day")
    daily_loss_limit_pct: float = Field(0.03, gt=0, le=1, description="loss of start-of-day assets at which trading becomes reduce-only")
    kill_switch_file: str = Field("data/KILL", min_length=1, max_length=1024, description="if this file exists: cancel all open orders and halt")


class Exits(Section):
    stop_loss_pct: float = Field(0.03, gt=0, le=0.5, description="stop-loss distance below the entry price")
    take_profit_pct: float = Field(0.05, gt=0, le=2, description="take-profit distance above the entry price")
    trailing_pct: float | None = Field(0.03, gt=0, le=0.5, description="trailing-stop distance below the high since entry; null disables")
    exit_time: str = Field("14:50", description="time exit (HH:MM) on the first day the position can be sold")

    @field_validator("exit_time")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not _HHMM.match(v):
            raise ValueError(f"{v!r} is not a HH:MM time")
        return v


class RunnerSettings(Section):
    markets: tuple[Literal["SH", "SZ", "BJ"], ...] = Field(("SH", "SZ"), min_length=0, max_length=3, description="markets passed to subscribe_whole_quote")
    codes: tuple[str, ...] = Field((), max_length=10_000, description="explicit codes to subscribe instead of whole markets (empty: use markets)")
    ack_timeout_s: float = Field(10, ge=1, le=120, description="no broker answer to an order within this many seconds → query it; still nothing → treated as a silent reject")
    exit_reprice_s: float = Field(30, ge=5, le=600, description="an unfilled exit order is cancelled and fired again after this many seconds")
    exit_slippage_pct: float = Field(0.005, ge=0, le=0.05, description="exit sell limit this far below the best bid, so it fills")
    protect_holdings: bool = Field(False, description="attach the default `exits` bracket to positions found without one")
    reconnect_base_s: float = Field(1, gt=0, le=60, description="first reconnect delay (doubles with jitter)")
    reconnect_cap_s: float = Field(60, gt=0, le=3600, description="longest reconnect delay")
    market_stale_s: float = Field(30, ge=3, le=3600, description="no market push for this long in the continuous session → resubscribe")
    offensive_max_entries: int = Field(5, ge=0, le=100, description="offensive-layer entries per day")

    @field_validator("codes")
    @classmethod
    def _codes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for c in v:
            if not _CODE.match(c):
                raise ValueError(f"{c!r} is not a code like 600000.SH")
        return v

    @model_validator(mode="after")
    def _something(self) -> RunnerSettings:
        if not self.markets and not self.codes:
            raise ValueError("set markets (e.g. [SH, SZ]) or codes: the runner needs something to subscribe")
        if self.reconnect_base_s > self.reconnect_cap_s:
            raise ValueError("reconnect_base_s must not exceed reconnect_cap_s")
        return self


class SimSettings(Section):
    seed: int = Field(20260105, ge=0, le=2**32 - 1, description="seed of the simulated market")
    n_stocks: int = Field(5000, ge=1, le=10_000, description="stocks in the generated universe")
    n_etfs: int = Field(500, ge=0, le=2_000, description="ETFs in the generated universe")
    trade_date: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="simulated trading day YYYY-MM-DD; null for the latest covered session")
    cash: float = Field(1_000_000, gt=0, le=1e10, description="starting cash of the simulated account")


class AppConfig(Section):
    """settings.yaml (+ local.yaml overrides + environment secrets)."""

    mode: Literal["sim", "live"] = Field("sim", description="sim: fake xtquant and matching engine; live: the real miniQMT")
    strategy: StrategySettings = Field(default_factory=StrategySettings, description="limit-up ETF strategy")
    limit_up_etf: LimitUpEtf = Field(default_factory=LimitUpEtf, description="limit-up → ETF strategy details")
    trading_hours: TradingHours = Field(default_factory=TradingHours, description="trading sessions")
    signal_evaluation: SignalEvaluation = Field(default_factory=SignalEvaluation, description="confidence and risk thresholds")
    notifications: Notifications = Field(default_factory=Notifications, description="notification channels")
    logging: Logging = Field(default_factory=Logging, description="log output")
    database: Database = Field(default_factory=Database, description="signals database")
    account: Account = Field(default_factory=Account, description="broker account")
    risk: Risk = Field(default_factory=Risk, description="pre-trade risk limits")
    exits: Exits = Field(default_factory=Exits, description="default exit bracket for new positions")
    runner: RunnerSettings = Field(default_factory=RunnerSettings, description="miniQMT run loop")
    sim: SimSettings = Field(default_factory=SimSettings, description="simulated market")


class StockEntry(Section):
    code: str = Field(..., description="code as QMT writes it, e.g. 600519.SH")
    name: str = Field("", max_length=64, description="short name")
    market: Literal["SH", "SZ", "BJ"] | None = Field(None, description="exchange; taken from the code when absent")
    notes: str = Field("", max_length=500, description="free text")

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, v: object) -> str:
        v = str(v)
        if not _CODE.match(v):
            raise ValueError(f"{v!r} is not a code like 600519.SH / 000001.SZ / 430047.BJ")
        return v

    @model_validator(mode="after")
    def _market_matches(self) -> StockEntry:
        if self.market is not None and self.code[-2:] != self.market:
            raise ValueError(f"market {self.market} does not match code {self.code}")
        return self


class StocksFile(Section):
    """stocks.yaml: the user's stocks and the ETFs to watch."""

    my_stocks: tuple[StockEntry, ...] = Field((), max_length=5000, description="stocks the user holds or tracks")
    watch_etfs: tuple[str, ...] = Field((), max_length=2000, description="ETF codes to watch, e.g. 510300.SH")

    @field_validator("watch_etfs", mode="before")
    @classmethod
    def _codes(cls, v: object) -> tuple[str, ...]:
        if not isinstance(v, (list, tuple)):
            raise ValueError("must be a list of codes like 510300.SH")
        for c in v:
            if not _CODE.match(str(c)):
                raise ValueError(f"{str(c)!r} is not a code like 510300.SH")
        return tuple(str(c) for c in v)


# secret fields: dotted path in AppConfig -> environment variable
SECRET_ENV = {
    "account.account_id": "QMT_ACCOUNT_ID",
    "database.mysql_password": "SIGNALS_MYSQL_PASSWORD",
    "notifications.dingtalk.webhook": "DINGTALK_WEBHOOK",
    "notifications.dingtalk.secret": "DINGTALK_SECRET",
    "notifications.wecom.webhook": "WECOM_WEBHOOK",
    "notifications.email.password": "SMTP_PASSWORD",
}
