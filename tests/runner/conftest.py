"""Helpers for runner tests: real Snapshots built from xtquant-shaped tick dicts."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from qmt_strategies.snapshot import Snapshot

T0 = 1_763_688_600_000  # some ms epoch during a session


def tick(last: float, pre: float, *, bid: float | None = None, ask: float | None = None, t: int = T0,
         high: float | None = None, low: float | None = None) -> dict:
    """A full-tick dict with the real xtquant keys."""
    bid = last - 0.01 if bid is None else bid
    ask = last + 0.01 if ask is None else ask
    return {"time": t, "lastPrice": last, "open": pre, "high": high or max(last, pre), "low": low or min(last, pre),
            "lastClose": pre, "amount": 1e8, "volume": 10000, "pvolume": 1_000_000, "stockStatus": 0, "openInt": 13,
            "transactionNum": 0, "lastSettlementPrice": 0.0, "settlementPrice": 0.0, "pe": 0.0,
            "askPrice": [ask, ask + 0.01, ask + 0.02, ask + 0.03, ask + 0.04],
            "bidPrice": [bid, bid - 0.01, bid - 0.02, bid - 0.03, bid - 0.04],
            "askVol": [100, 100, 100, 100, 100], "bidVol": [100, 100, 100, 100, 100]}


def make_snap(prices: dict[str, tuple[float, float]], t: int = T0) -> Snapshot:
    """Snapshot with codes -> (last, pre_close)."""
    s = Snapshot(trade_date=20251121)
    s.update({c: tick(last, pre, t=t) for c, (last, pre) in prices.items()})
    return s


@pytest.fixture
def snap():
    return make_snap({"600000.SH": (10.00, 10.00), "510300.SH": (4.000, 4.000), "688001.SH": (50.00, 50.00),
                      "000001.SZ": (12.00, 12.00)})


class _Robot(BaseHTTPRequestHandler):
    received: ClassVar[list] = []
    answer: ClassVar[dict] = {"errcode": 0, "errmsg": "ok"}

    def do_POST(self):
        n = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(n))
        type(self).received.append((self.path, body))
        out = json.dumps(type(self).answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *a):
        pass


@pytest.fixture
def robot():
    _Robot.received = []
    _Robot.answer = {"errcode": 0, "errmsg": "ok"}
    srv = HTTPServer(("127.0.0.1", 0), _Robot)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}", _Robot
    srv.shutdown()
    srv.server_close()
