"""Fixtures for the QMT built-in tests: a tiny World with planted limit-ups, its ETF baskets as a refdata file."""
from __future__ import annotations

import json

import pytest
from loguru import logger

from sim.market.events import PlantSpec

BASE = dict(seed=3, n_stocks=40, n_etfs=6, start_time="09:15:00", end_time="10:40:00")
_HEAVY: list[str] = []


def heavy_constituents(n: int = 2) -> list[str]:
    """The n stocks with the largest weight in any ETF basket of the tiny market (so a seal produces signals)."""
    if not _HEAVY:
        from sim.world import SimConfig, World

        w = World(SimConfig(**BASE))
        best: dict[str, float] = {}
        for info in w.etf_info.values():
            rows = info["成份股信息"]
            value = {r["成份股代码"]: r["成份股数量"] * w.instruments[r["成份股代码"]]["PreClose"] for r in rows
                     if r["成份股代码"] in w.instruments}
            total = sum(value.values()) or 1.0
            for c, v in value.items():
                best[c] = max(best.get(c, 0.0), v / total)
        _HEAVY.extend(sorted(best, key=lambda c: (-best[c], c)))
    return _HEAVY[:n]


def tiny_config(**kw):
    """40 stocks + 6 ETFs, morning only (fast), heavy ETF constituents sealing limit-up at 09:50 and 10:12."""
    from sim.world import SimConfig

    a, b = heavy_constituents(2)
    base = dict(BASE, events=(PlantSpec("limit_up_sealed", "09:50:00", code=a),
                              PlantSpec("limit_up_sealed", "10:12:00", code=b)))
    base.update(kw)
    return SimConfig(**base)


@pytest.fixture(autouse=True)
def _quiet_logs():
    logger.disable("sim")
    yield
    logger.enable("sim")


@pytest.fixture
def refdata(tmp_path):
    """A REFDATA_DIR with etf_info.json of the tiny World."""
    from sim.world import World

    w = World(tiny_config())
    d = tmp_path / "ref"
    d.mkdir()
    (d / "etf_info.json").write_text(json.dumps(w.etf_info, ensure_ascii=False), encoding="utf-8")
    return d
