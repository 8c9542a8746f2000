"""Market-data adapter: xtdata whole-quote subscription -> queue, daily reference data, reconnect and resubscribe.

The same code runs against the real xtdata and the sim's fake (sim.install() first). The push callback only
wraps the dict in an event and enqueues it.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from loguru import logger

from bridge import events as E

SECTOR_STOCKS = "沪深A股"
SECTOR_ETFS = "沪深ETF"


def _xtdata():
    from xtquant import xtdata
    return xtdata


class XtMarket:
    """Subscribes whole-market quotes, loads instrument details and ETF baskets once per trading day."""

    def __init__(self, put: Callable[[object], None], markets: tuple[str, ...] = ("SH", "SZ"),
                 codes: list[str] | None = None, stale_after_ms: int = 30_000):
        self.put = put
        self.markets = markets
        self.codes = codes
        self.stale_after_ms = stale_after_ms
        self.seq: int | None = None
        self.last_push_ms = 0
        self.ref_date: int | None = None
        self.details: dict[str, dict] = {}
        self.etf_info: dict[str, dict] = {}
        self.industry_of: dict[str, str] = {}

    def _on_push(self, data) -> None:
        self.put(E.Quotes(data, time.perf_counter_ns()))

    # ---- subscription -------------------------------------------------------------------------
    def subscribe(self) -> bool:
        """Connect (if needed) and subscribe whole quotes for the configured markets or codes."""
        xd = _xtdata()
        try:
            xd.connect()
            self.seq = xd.subscribe_whole_quote(list(self.codes or self.markets), callback=self._on_push)
        except Exception as exc:  # noqa: BLE001 - the real module raises plain Exception when disconnected
            logger.warning("market subscribe failed error={}", exc)
            self.seq = None
            return False
        logger.info("market subscribed seq={} scope={}", self.seq, "codes" if self.codes else ",".join(self.markets))
        return self.seq is not None and self.seq >= 0

    def connected(self) -> bool:
        """True while the xtdata client says it is connected."""
        try:
            return bool(_xtdata().get_client().is_connected())
        except Exception:  # noqa: BLE001
            return False

    def healthy(self, now_ms: int, in_session: bool) -> bool:
        """False after a disconnect or when pushes stopped for stale_after_ms during the session."""
        if self.seq is None or not self.connected():
            return False
        return not (in_session and self.last_push_ms and now_ms - self.last_push_ms > self.stale_after_ms)

    def resubscribe(self) -> bool:
        """Reconnect the data client and subscribe again (after a disconnect)."""
        xd = _xtdata()
        try:
            xd.reconnect()
        except Exception as exc:  # noqa: BLE001
            logger.warning("market reconnect failed error={}", exc)
            return False
        self.seq = None
        self.last_push_ms = 0          # staleness is judged again from the next push on
        return self.subscribe()

    # ---- reference data -----------------------------------------------------------------------
    def refresh_reference(self, trade_date: int, universe: list[str] | None = None, force: bool = False) -> int:
        """Instrument details (limit prices, pre-close), ETF baskets and industries for a trading day; once a day."""
        if self.ref_date == trade_date and self.details and not force:
            return 0
        xd = _xtdata()
        if universe is None:
            universe = list(xd.get_stock_list_in_sector(SECTOR_STOCKS)) + list(xd.get_stock_list_in_sector(SECTOR_ETFS))
        details = {}
        for c in universe:
            d = xd.get_instrument_detail(c)
            if d:
                details[c] = d
        self.details = details
        try:
            self.etf_info = dict(xd.get_etf_info() or {})
        except Exception as exc:  # noqa: BLE001 - some brokers don't serve PCFs; strategies then skip baskets
            logger.warning("market etf_info unavailable error={}", exc)
            self.etf_info = {}
        self.industry_of = self._industries(xd)
        self.ref_date = trade_date
        logger.info("market reference trade_date={} instruments={} etfs={} industries={}", trade_date, len(details),
                    len(self.etf_info), len(set(self.industry_of.values())))
        return len(details)

    @staticmethod
    def _industries(xd) -> dict[str, str]:
        """code -> Shenwan level-1 industry from the 'SW1<name>' sector lists (empty when the client has none)."""
        out: dict[str, str] = {}
        try:
            sectors = list(xd.get_sector_list())
        except Exception:  # noqa: BLE001
            return out
        for s in sectors:
            if not s.startswith("SW1"):            # Shenwan level-1 industry sectors, e.g. 'SW1银行'
                continue
            for c in xd.get_stock_list_in_sector(s) or ():
                out.setdefault(c, s.removeprefix("SW1"))
        return out
