"""QMT journal import (idempotent, partial lines, bad lines quarantined) and signal export for QMT scripts."""
from __future__ import annotations

import csv
import json

import pytest

from signals_db.journal import export_signals, import_dir, import_journal

T0 = 1763688600000


def line(**rec) -> bytes:
    """A journal line exactly as a QMT 3.6 script writes it: json.dumps (ASCII) + newline."""
    return (json.dumps({"v": 1, **rec}) + "\n").encode("ascii")


GOOD = [
    line(kind="signal", ts=T0, strategy="limit_up_etf", code="510300.SH", action="buy", signal_kind="entry",
         composite_score=88.5, price=4.012, reason="涨停股 600519.SH 权重 12%"),
    line(kind="order", ts=T0 + 10, client_order_id="q-1", code="510300.SH", side="buy", quantity=1000,
         status=50, order_sysid="120001"),
    line(kind="trade", ts=T0 + 20, traded_id="20251121-0001", client_order_id="q-1", code="510300.SH", side="buy",
         price=4.013, quantity=1000),
    line(kind="order", ts=T0 + 21, client_order_id="q-1", code="510300.SH", side="buy", quantity=1000, status=56,
         filled_qty=1000, avg_price=4.013),
    line(kind="position", ts=T0 + 30, code="510300.SH", volume=1000, can_use_volume=0, avg_price=4.013),
    line(kind="alert", ts=T0 + 40, message="IOPV premium 1.2%", level="info", source="qmt", code="510300.SH",
         alert_kind="premium"),
]


def test_import_is_idempotent_and_resumes_from_its_offset(store, tmp_path):
    j = tmp_path / "journal.jsonl"
    j.write_bytes(b"".join(GOOD))
    rep = import_journal(store, j)
    assert (rep.lines, rep.stored, rep.duplicates, rep.quarantined) == (6, 6, 0, 0)
    assert store.query("SELECT status, filled_qty, order_sysid FROM orders") == [("succeeded", 1000, "120001")]
    assert store.query("SELECT kind FROM alerts_log") == [("premium",)]
    # nothing new: nothing read
    assert import_journal(store, j).lines == 0
    # the same lines appended again (QMT script restarted and re-wrote its day): stored once
    with j.open("ab") as f:
        f.write(b"".join(GOOD))
    rep = import_journal(store, j)
    assert (rep.lines, rep.stored, rep.duplicates) == (6, 0, 6)
    counts = [store.count(t) for t in ("signals", "orders", "trades", "positions", "alerts_log")]
    assert counts == [1, 1, 1, 1, 1]
    # a fresh reader (offset lost) reads everything again and still stores nothing twice
    store.query("DELETE FROM journal_files")
    rep = import_journal(store, j)
    assert (rep.lines, rep.stored) == (12, 0)


def test_partial_last_line_waits_for_its_newline(store, tmp_path):
    j = tmp_path / "j.jsonl"
    whole = GOOD[2]
    j.write_bytes(GOOD[0] + whole[:25])
    assert import_journal(store, j).lines == 1
    with j.open("ab") as f:
        f.write(whole[25:])
    rep = import_journal(store, j)
    assert (rep.lines, rep.stored, rep.quarantined) == (1, 1, 0)
    assert store.count("trades") == 1


def test_bad_lines_are_quarantined_with_reason_and_do_not_block(store, tmp_path):
    bad = [
        b'{"v": 1, "kind": "trade", "ts": 1763688600000, "traded_id": "x1", "code": "600000.SH", "side": "buy", '
        b'"price": NaN, "quantity": 100}\n',
        line(kind="signal", ts=T0, strategy="s", code="600000", action="buy"),
        line(kind="trade", ts=T0, traded_id="x2", code="600000.SH", side="buy", quantity=100),
        b"this is not json\n",
        line(kind="fill", ts=T0),
        line(kind="order", ts=T0, client_order_id="z", code="600000.SH", side="buy", quantity=100, status="filled"),
        line(kind="signal", ts="09:30", strategy="s", code="600000.SH", action="buy"),
    ]
    j = tmp_path / "bad.jsonl"
    j.write_bytes(GOOD[0] + b"".join(bad) + GOOD[2])
    rep = import_journal(store, j)
    assert (rep.lines, rep.stored, rep.quarantined) == (9, 2, 7)
    reasons = [r[0] for r in store.query("SELECT reason FROM quarantine WHERE source = 'journal' ORDER BY id")]
    assert "NaN is not a number a journal may contain" in reasons[0]
    assert "is not a code as QMT writes it" in reasons[1]
    assert reasons[2] == "missing field 'price'"
    assert "Expecting value" in reasons[3]
    assert "kind 'fill' is not one of" in reasons[4]
    assert "order status 'filled' is unknown" in reasons[5]
    assert "millisecond epoch" in reasons[6]
    keys = [r[0] for r in store.query("SELECT natural_key FROM quarantine ORDER BY id")]
    assert keys == [f"bad.jsonl:{n}" for n in range(2, 9)]
    assert store.count("trades") == 1 and store.count("signals") == 1


def test_gbk_line_from_a_windows_script_is_read(store, tmp_path):
    rec = {"v": 1, "kind": "alert", "ts": T0, "message": "分红预案 10派3元", "source": "qmt"}
    j = tmp_path / "gbk.jsonl"
    j.write_bytes((json.dumps(rec, ensure_ascii=False) + "\n").encode("gbk"))
    assert import_journal(store, j).stored == 1
    assert store.query("SELECT message FROM alerts_log") == [("分红预案 10派3元",)]


def test_import_dir_and_missing_dir(store, tmp_path):
    (tmp_path / "a.jsonl").write_bytes(GOOD[0])
    (tmp_path / "b.jsonl").write_bytes(GOOD[2])
    (tmp_path / "notes.txt").write_text("ignored")
    assert import_dir(store, tmp_path).stored == 2
    with pytest.raises(FileNotFoundError, match="point --journal at the folder"):
        import_dir(store, tmp_path / "nope")


def test_export_signals_csv_gbk_and_json_ascii(store, tmp_path):
    store.record_signal(strategy="offensive", code="600519.SH", ts=T0, action="buy", composite_score=81.0,
                        take_profit=1900, stop_loss=1650.5, reason="主力控盘 高")
    store.record_signal(strategy="limit_up_etf", code="510300.SH", ts=T0 + 60_000, action="sell")
    n = export_signals(store, tmp_path / "out" / "signals.csv")
    assert n == 2
    with open(tmp_path / "out" / "signals.csv", encoding="gbk", newline="") as f:  # how QMT opens it
        rows = list(csv.DictReader(f))
    assert rows[0]["code"] == "600519.SH" and rows[0]["reason"] == "主力控盘 高" and rows[0]["ts_ms"] == str(T0)
    assert float(rows[0]["stop_loss"]) == 1650.5
    assert export_signals(store, tmp_path / "s.json", since_ms=T0 + 1) == 1
    raw = (tmp_path / "s.json").read_bytes()
    assert raw.isascii()
    data = json.loads(raw)
    assert data["v"] == 1 and [s["code"] for s in data["signals"]] == ["510300.SH"]
    assert export_signals(store, tmp_path / "t.json", strategy="offensive") == 1
    with pytest.raises(ValueError, match="use .csv or .json"):
        export_signals(store, tmp_path / "s.xlsx")
    assert not [p for p in tmp_path.rglob("*.tmp")]  # no temp files left behind


def test_cli_export_signals(store, tmp_path, capsys):
    from bridge.cli import main
    store.record_signal(strategy="offensive", code="600519.SH", ts=T0, action="buy")
    store.record_signal(strategy="offensive", code="600519.SH", ts=T0 + 86_400_000, action="sell")
    out = tmp_path / "x" / "signals.json"
    assert main(["db", "export-signals", "--sqlite", str(store.path), "--out", str(out), "--since", "2025-11-22"]) == 0
    assert "1 signal(s) written" in capsys.readouterr().out
    assert [s["action"] for s in json.loads(out.read_text())["signals"]] == ["sell"]
    assert main(["db", "export-signals", "--sqlite", str(store.path), "--out", str(out), "--since", "22/11"]) == 2
    assert "is not a date like 2025-11-21" in capsys.readouterr().err


def test_journal_property_duplicates_and_torn_writes(tmp_path):
    """Any mix of repeated lines, appended in arbitrary byte-sized pieces with imports in between, ends in
    the same state as importing each distinct line once; orders end at their highest status."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from signals_db.status import ORDER_STATUS_RANK
    from signals_db.store import Store

    statuses = ["reported", "part_succ", "succeeded", "canceled", "reported_cancel"]
    events = st.lists(st.one_of(
        st.tuples(st.just("order"), st.integers(0, 3), st.sampled_from(statuses)),
        st.tuples(st.just("trade"), st.integers(0, 5), st.just("")),
        st.tuples(st.just("signal"), st.integers(0, 5), st.sampled_from(["buy", "sell"]))), min_size=1, max_size=25)
    run = iter(range(10**9))

    @settings(max_examples=30, deadline=None)
    @given(events, st.lists(st.integers(1, 200), min_size=1, max_size=10), st.randoms())
    def check(evs, cuts, rnd):
        k = next(run)
        lines = []
        for kind, n, extra in evs:
            if kind == "order":
                lines.append(line(kind="order", ts=T0 + n, client_order_id=f"o{n}", code="600000.SH", side="buy",
                                  quantity=100, status=extra))
            elif kind == "trade":
                lines.append(line(kind="trade", ts=T0 + n, traded_id=f"t{n}", code="600000.SH", side="buy",
                                  price=10, quantity=100))
            else:
                lines.append(line(kind="signal", ts=T0 + n, strategy="p", code="600000.SH", action=extra))
        lines += [rnd.choice(lines) for _ in range(len(lines) // 2)]  # replays
        data = b"".join(lines)
        s = Store.open(tmp_path / f"p{k}.db")
        j = tmp_path / f"p{k}.jsonl"
        j.write_bytes(b"")
        pos = 0
        for c in [*cuts, len(data)]:
            with j.open("ab") as f:
                f.write(data[pos:pos + c])
            pos += c
            import_journal(s, j)
            if pos >= len(data):
                break
        want_orders = {}
        for kind, n, extra in evs:
            if kind == "order":
                cur = want_orders.get(f"o{n}")
                if cur is None or ORDER_STATUS_RANK[extra] > ORDER_STATUS_RANK[cur]:
                    want_orders[f"o{n}"] = extra
        assert dict(s.query("SELECT client_order_id, status FROM orders")) == want_orders
        assert s.count("trades") == len({n for kind, n, _ in evs if kind == "trade"})
        assert s.count("signals") == len({(n, x) for kind, n, x in evs if kind == "signal"})
        assert s.quarantined() == 0
        s.close()

    check()
