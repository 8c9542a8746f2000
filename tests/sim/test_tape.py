"""Tapes: a generated day and a recorded subscribe_whole_quote session replay push for push."""
from __future__ import annotations

import datetime as dt

import pytest

from sim.market import events as ev
from sim.tape import TapeRecorder, load_tape, save_world
from sim.world import SimConfig, World

CFG = SimConfig(seed=9, n_stocks=30, n_etfs=5, trade_date=dt.date(2026, 11, 20), end_time="10:20:00",
                events=(ev.PlantSpec(ev.LIMIT_UP_SEALED, time="10:00:00", code="600000.SH"),))


def pushes(w: World) -> list[dict]:
    out = []
    while (t := w.step()) is not None:
        out.append(t)
    return out


def test_generated_day_round_trip(tmp_path):
    path = save_world(World(CFG), tmp_path / "day.npz", chunk_snapshots=97)
    assert path.stat().st_size > 0
    original = pushes(World(CFG))
    replay = World(tape=path)
    assert replay.trade_date == CFG.trade_date and replay.instruments == World(CFG).instruments
    assert replay.planted == World(CFG).planted
    assert replay.etf_info == World(CFG).etf_info
    assert pushes(replay) == original


def test_recorder_replays_real_style_pushes(tmp_path):
    src = World(CFG)
    rec = TapeRecorder(tmp_path / "rec.npz", instruments=src.instruments, chunk_snapshots=50)
    got = []
    while (t := src.step()) is not None:
        if t:
            # real pushes carry per-code exchange times; vary one to check they survive
            t = {c: dict(v) for c, v in t.items()}
            first = next(iter(t))
            t[first]["time"] -= 1000
            rec.on_quote(t)
            got.append(t)
    path = rec.close(sectors=src.sectors)
    tape = load_tape(path)
    assert tape.sectors == src.sectors and len(tape.codes) == len(src.instruments)
    replay = [p for p in pushes(World(tape=path)) if p]
    assert replay == got


def test_exchange_trades_on_a_replayed_tape(tmp_path):
    path = save_world(World(CFG), tmp_path / "day.npz")
    w = World(tape=path)
    w.exchange.open_account("A", 100_000.0)
    while w.step() is not None:
        if w.now_ms % 86_400_000 // 1000 + 8 * 3600 >= 10 * 3600:
            break
    t = w.full_tick(["000001.SZ"])["000001.SZ"]
    oid = w.exchange.submit("A", "000001.SZ", 23, 100, 11, t["askPrice"][0])
    assert w.exchange.order("A", oid).traded_volume == 100


def test_missing_tape_message(tmp_path):
    with pytest.raises(FileNotFoundError, match="TapeRecorder"):
        load_tape(tmp_path / "nope.npz")
