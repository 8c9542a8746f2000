"""Helpers shared by the fake-xtquant tests."""

from __future__ import annotations

import threading

CODE = "600000.SH"


def recorder_class(xttrader):
    """An XtQuantTraderCallback that records every push as (name, object, thread name)."""
    class Recorder(xttrader.XtQuantTraderCallback):
        def __init__(self):
            self.events = []

        def _rec(self, name, obj=None):
            self.events.append((name, obj, threading.current_thread().name))

        def on_connected(self):
            self._rec("on_connected")

        def on_disconnected(self):
            self._rec("on_disconnected")

        def on_account_status(self, status):
            self._rec("on_account_status", status)

        def on_stock_asset(self, asset):
            self._rec("on_stock_asset", asset)

        def on_stock_order(self, order):
            self._rec("on_stock_order", order)

        def on_stock_trade(self, trade):
            self._rec("on_stock_trade", trade)

        def on_stock_position(self, position):
            self._rec("on_stock_position", position)

        def on_order_error(self, order_error):
            self._rec("on_order_error", order_error)

        def on_cancel_error(self, cancel_error):
            self._rec("on_cancel_error", cancel_error)

        def on_order_stock_async_response(self, response):
            self._rec("on_order_stock_async_response", response)

        def on_cancel_order_stock_async_response(self, response):
            self._rec("on_cancel_order_stock_async_response", response)

        def names(self):
            return [e[0] for e in self.events]

        def orders(self, order_id):
            return [e[1].order_status for e in self.events if e[0] == "on_stock_order" and e[1].order_id == order_id]

    return Recorder


def limit_buy_price(rt, code=CODE):
    """A buy price inside the band but below the market, so the order rests."""
    inst = rt.world.instruments[code]
    return round(max(inst["DownStopPrice"] + 0.01, inst["PreClose"] * 0.95), 2)


