"""Tapes: a trading day's snapshots in one compact .npz (zip of .npy chunks + JSON metadata), and their replay.

A tape is written chunk by chunk (TapeWriter), so a full-market day never has to sit in memory: generated days
via save_world(), real miniQMT days via TapeRecorder (attach its on_quote to xtdata.subscribe_whole_quote).
World(tape=path) replays it: every push of the recorded day comes back in order, with the same dicts.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import sys
import threading
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
from loguru import logger

from sim import rules
from sim.market.events import PlantedEvent
from sim.market.ticks import Frame

VERSION = 2
_SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
_PRICE_FIELDS = ("last", "open", "high", "low", "pre")    # stored as int32 milli-yuan (exact to 0.001)
_BOOK_P, _BOOK_V = ("ask_p", "bid_p"), ("ask_v", "bid_v")
_EMPTY = np.iinfo(np.int32).min


def _book_prices(rel: np.ndarray, last_milli: np.ndarray) -> np.ndarray:
    """Decode book prices stored relative to the last price (milli-yuan) back to yuan floats."""
    return np.where(rel == _EMPTY, 0, rel.astype(np.int64) + last_milli.astype(np.int64)[:, None]) / 1000.0


def _npy_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(a), allow_pickle=False)
    return buf.getvalue()


class TapeWriter:
    """Append Frames (codes by index into `codes`, which may grow) and close to finish the file."""

    def __init__(self, path: str | Path, trade_date: dt.date, codes: list[str] | None = None, *, source: str = "recorded",
                 chunk_snapshots: int = 200, compresslevel: int = 1):
        self.path = Path(path)
        self.trade_date = trade_date
        self.codes: list[str] = list(codes or [])
        self.source = source
        self.chunk_snapshots = chunk_snapshots
        self.meta_extra: dict = {}
        self._zip = zipfile.ZipFile(self.path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self._pending: list[Frame] = []
        self._chunks: list[int] = []     # snapshots per chunk
        self._closed = False

    def add_frame(self, f: Frame) -> None:
        """Queue one snapshot; a chunk is written every chunk_snapshots frames."""
        self._pending.append(f)
        if len(self._pending) >= self.chunk_snapshots:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        fr = self._pending
        k = len(self._chunks)
        sizes = np.array([len(f) for f in fr], dtype=np.int64)
        arrays = {
            "frame_time": np.array([f.time_ms for f in fr], dtype=np.int64),
            "offsets": np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
            "idx": np.concatenate([f.idx for f in fr]).astype(np.int32),
            "dtime": np.concatenate([(f.times - f.time_ms) if f.times is not None else np.zeros(len(f), np.int64)
                                     for f in fr]).astype(np.int32),
            "amount": np.concatenate([f.amount for f in fr]).astype(np.float64),
        }
        for name in _PRICE_FIELDS:
            arrays[name] = np.rint(np.concatenate([getattr(f, name) for f in fr]) * 1000).astype(np.int32)
        for name in ("volume", "pvolume", "txn"):
            arrays[name] = np.concatenate([getattr(f, name) for f in fr]).astype(np.int64)
        for name in ("stock_status", "open_int"):
            arrays[name] = np.concatenate([getattr(f, name) for f in fr]).astype(np.int32)
        last = arrays["last"].astype(np.int64)[:, None]
        for name in _BOOK_P:   # relative to the last price (small numbers compress well); empty levels = _EMPTY
            book = np.rint(np.concatenate([getattr(f, name) for f in fr]) * 1000).astype(np.int64)
            arrays[name] = np.where(book > 0, book - last, _EMPTY).astype(np.int32)
        for name in _BOOK_V:
            arrays[name] = np.concatenate([getattr(f, name) for f in fr]).astype(np.int32)
        for name, a in arrays.items():
            self._zip.writestr(f"c{k:05d}_{name}.npy", _npy_bytes(a))
        self._chunks.append(len(fr))
        self._pending = []

    def close(self, **meta) -> Path:
        """Write the remaining frames and the metadata (instruments, sectors, etf_info, planted, ...)."""
        if self._closed:
            return self.path
        self._flush()
        body = {"version": VERSION, "trade_date": self.trade_date.isoformat(), "codes": self.codes,
                "source": self.source, "chunks": self._chunks, **self.meta_extra, **meta}
        self._zip.writestr("meta.json", json.dumps(body, ensure_ascii=False))
        self._zip.close()
        self._closed = True
        logger.info("sim tape written path={} snapshots={} codes={}", self.path, sum(self._chunks), len(self.codes))
        return self.path


def save_world(world, path: str | Path, chunk_snapshots: int = 200) -> Path:
    """Write every remaining snapshot of a generated World (usually fresh) to a tape; steps the world to its end."""
    w = TapeWriter(path, world.trade_date, [str(c) for c in world._codes], source="generated",
                   chunk_snapshots=chunk_snapshots)
    while (f := world.step_frame()) is not None:
        w.add_frame(f)
    return w.close(instruments=world.instruments, sectors=world.sectors, industry_of=world.industry_of,
                   etf_info=world.etf_info, planted=[asdict(e) for e in world.planted])


class Tape:
    """A loaded tape: metadata plus lazy, chunked frame access (what World(tape=...) replays)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._zip = zipfile.ZipFile(self.path, "r")
        try:
            meta = json.loads(self._zip.read("meta.json"))
        except KeyError as e:
            raise ValueError(f"{self.path} is not a sim tape (no meta.json); was the recorder closed?") from e
        if meta.get("version") != VERSION:
            raise ValueError(f"{self.path}: tape version {meta.get('version')} is not supported (expected {VERSION})")
        self.meta = meta
        self.trade_date = dt.date.fromisoformat(meta["trade_date"])
        self.codes: list[str] = meta["codes"]
        self.instruments: dict[str, dict] = meta.get("instruments") or {}
        self.sectors: dict[str, list[str]] = meta.get("sectors") or {}
        self.industry_of: dict[str, str] = meta.get("industry_of") or {}
        self.etf_info: dict[str, dict] = meta.get("etf_info") or {}
        self.planted = [PlantedEvent(**e) for e in meta.get("planted") or []]
        self._chunk_sizes = meta["chunks"]
        self._starts = np.concatenate([[0], np.cumsum(self._chunk_sizes)]).astype(np.int64)
        self.frame_times = np.concatenate([self._read(k, "frame_time") for k in range(len(self._chunk_sizes))]) \
            if self._chunk_sizes else np.zeros(0, np.int64)
        self.sod = ((self.frame_times // 1000 + 8 * 3600) % 86400).astype(np.int32)
        self._cache_k = -1
        self._cache: dict[str, np.ndarray] = {}
        if not self.instruments:
            self.instruments = {}

    def _read(self, k: int, name: str) -> np.ndarray:
        with self._zip.open(f"c{k:05d}_{name}.npy") as fh:
            return np.lib.format.read_array(io.BytesIO(fh.read()), allow_pickle=False)

    @property
    def n_rows(self) -> int:
        return int(self._starts[-1])

    def _chunk(self, k: int) -> dict[str, np.ndarray]:
        if k != self._cache_k:
            names = ("offsets", "idx", "dtime", "amount", *_PRICE_FIELDS, "volume", "pvolume", "txn",
                     "stock_status", "open_int", *_BOOK_P, *_BOOK_V)
            self._cache = {n: self._read(k, n) for n in names}
            self._cache["frame_time"] = self.frame_times[self._starts[k]:self._starts[k + 1]]
            self._cache_k = k
        return self._cache

    def frame(self, r: int) -> Frame:
        """The r-th snapshot as a Frame."""
        k = int(np.searchsorted(self._starts, r, side="right") - 1)
        c = self._chunk(k)
        j = r - int(self._starts[k])
        a, b = int(c["offsets"][j]), int(c["offsets"][j + 1])
        t = int(c["frame_time"][j])
        sl = slice(a, b)
        dtime = c["dtime"][sl].astype(np.int64)
        return Frame(time_ms=t, idx=c["idx"][sl].astype(np.int64),
                     **{n: c[n][sl] / 1000.0 for n in _PRICE_FIELDS}, amount=c["amount"][sl],
                     volume=c["volume"][sl], pvolume=c["pvolume"][sl], stock_status=c["stock_status"][sl].astype(np.int64),
                     open_int=c["open_int"][sl].astype(np.int64), txn=c["txn"][sl],
                     ask_p=_book_prices(c["ask_p"][sl], c["last"][sl]), bid_p=_book_prices(c["bid_p"][sl], c["last"][sl]), ask_v=c["ask_v"][sl].astype(np.int64),
                     bid_v=c["bid_v"][sl].astype(np.int64), times=(dtime + t) if dtime.any() else None)

    def close(self) -> None:
        self._zip.close()


def load_tape(path: str | Path) -> Tape:
    """Open a tape written by save_world() or TapeRecorder."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"tape {p} does not exist; record one with sim.tape.TapeRecorder or save_world()")
    return Tape(p)


def _book(vals, n=5, cast=float):
    vals = list(vals or [])[:n]
    return [cast(v) for v in vals] + [cast(0)] * (n - len(vals))


class TapeRecorder:
    """Save what a real miniQMT session receives: pass `on_quote` as the subscribe_whole_quote callback.

        rec = TapeRecorder("20261120.npz", instruments={c: xtdata.get_instrument_detail(c) for c in codes})
        xtdata.subscribe_whole_quote(["SH", "SZ"], callback=rec.on_quote)
        xtdata.run()        # ... after 15:00:
        rec.close(sectors=..., etf_info=xtdata.get_etf_info())
    """

    def __init__(self, path: str | Path, instruments: dict[str, dict] | None = None, trade_date: dt.date | None = None,
                 chunk_snapshots: int = 200):
        self.instruments = dict(instruments or {})
        self._date = trade_date
        self._writer: TapeWriter | None = None
        self._path = Path(path)
        self._chunk = chunk_snapshots
        self._index: dict[str, int] = {}
        self._lock = threading.Lock()
        self.pushes = 0

    def on_quote(self, datas: dict[str, dict]) -> None:
        """subscribe_whole_quote callback: {code: tick}; also accepts subscribe_quote's {code: [tick, ...]}."""
        rows = []
        for code, t in datas.items():
            if isinstance(t, list):
                if not t:
                    continue
                t = t[-1]
            rows.append((code, t))
        if not rows:
            return
        with self._lock:
            times = np.array([int(t.get("time", 0)) for _, t in rows], dtype=np.int64)
            if self._writer is None:
                d = self._date or dt.datetime.fromtimestamp(int(times.max()) / 1000, tz=_SHANGHAI).date()
                self._writer = TapeWriter(self._path, d, [], source="recorded", chunk_snapshots=self._chunk)
            for code, _ in rows:
                if code not in self._index:
                    self._index[code] = len(self._index)
                    self._writer.codes.append(code)
            def g(key, cast=float, rows=rows):
                return np.array([cast(t.get(key) or 0) for _, t in rows])
            f = Frame(time_ms=int(times.max()), idx=np.array([self._index[c] for c, _ in rows], dtype=np.int64),
                      last=g("lastPrice"), open=g("open"), high=g("high"), low=g("low"), pre=g("lastClose"),
                      amount=g("amount"), volume=g("volume", int), pvolume=g("pvolume", int),
                      stock_status=g("stockStatus", int), open_int=g("openInt", int), txn=g("transactionNum", int),
                      ask_p=np.array([_book(t.get("askPrice")) for _, t in rows]),
                      bid_p=np.array([_book(t.get("bidPrice")) for _, t in rows]),
                      ask_v=np.array([_book(t.get("askVol"), cast=int) for _, t in rows], dtype=np.int64),
                      bid_v=np.array([_book(t.get("bidVol"), cast=int) for _, t in rows], dtype=np.int64),
                      times=times)
            for code, t in rows:
                if code not in self.instruments:
                    self.instruments[code] = _instrument_from_tick(code, t)
            self._writer.add_frame(f)
            self.pushes += 1

    def close(self, **meta) -> Path | None:
        """Finish the file (pass sectors=, etf_info=, industry_of= to keep them); returns its path."""
        with self._lock:
            if self._writer is None:
                return None
            return self._writer.close(instruments=self.instruments, **meta)


def _instrument_from_tick(code: str, t: dict) -> dict:
    """Minimal instrument detail when the recorder was not given one: limits from rules (non-ST assumed)."""
    pre = float(t.get("lastClose") or 0.0)
    try:
        b = rules.board(code)
        ratio = rules.limit_ratio(code, dt.date.today()) if b not in (rules.INDEX, rules.UNKNOWN) else None
        up, down = rules.limit_prices(pre, ratio, code) if pre > 0 else (0.0, 0.0)
        tick = float(rules.tick_size(code))
    except ValueError:
        up = down = 0.0
        tick = 0.01
    num, _, mkt = code.partition(".")
    return {"ExchangeID": mkt, "InstrumentID": num, "InstrumentName": code, "PreClose": pre, "UpStopPrice": up,
            "DownStopPrice": down, "PriceTick": tick, "FloatVolume": 0.0, "TotalVolume": 0.0, "OpenDate": "",
            "InstrumentStatus": 0, "IsTrading": True}


# ---- python -m sim tape ... ------------------------------------------------------------------------------
def register(subparsers) -> None:
    """`python -m sim tape save|info|record` (picked up by sim/__main__.py)."""
    p = subparsers.add_parser("tape", help="save a generated day to a tape, inspect a tape, or record a real session")
    sub = p.add_subparsers(dest="tape_command", required=True)
    s = sub.add_parser("save", help="generate a day and write it to a tape file")
    s.add_argument("out", help="output .npz path")
    s.add_argument("--date", default=None, help="trade date YYYY-MM-DD (default: latest session)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--stocks", type=int, default=400)
    s.add_argument("--etfs", type=int, default=40)
    s.set_defaults(func=_cmd_save)
    i = sub.add_parser("info", help="print what a tape holds")
    i.add_argument("path")
    i.set_defaults(func=_cmd_info)
    r = sub.add_parser("record", help="record today's subscribe_whole_quote pushes from a running miniQMT (Windows)")
    r.add_argument("out", help="output .npz path")
    r.add_argument("--until", default="15:01:00", help="stop at this local time HH:MM:SS (default 15:01:00)")
    r.set_defaults(func=_cmd_record)


def _cmd_save(args) -> int:
    from sim.world import SimConfig, World

    d = dt.date.fromisoformat(args.date) if args.date else None
    world = World(SimConfig(seed=args.seed, n_stocks=args.stocks, n_etfs=args.etfs, trade_date=d))
    path = save_world(world, args.out)
    print(f"saved {path} ({path.stat().st_size / 1e6:.1f} MB): {world.trade_date} {world.n_snapshots} snapshots, "
          f"{len(world.instruments)} codes, {len(world.planted)} events")
    return 0


def _cmd_info(args) -> int:
    t = load_tape(args.path)
    records = sum(int(t._read(k, "offsets")[-1]) for k in range(len(t._chunk_sizes)))
    first = dt.datetime.fromtimestamp(int(t.frame_times[0]) / 1000, tz=_SHANGHAI) if t.n_rows else None
    last = dt.datetime.fromtimestamp(int(t.frame_times[-1]) / 1000, tz=_SHANGHAI) if t.n_rows else None
    print(f"{t.path}: {t.meta['source']} day {t.trade_date}, {t.n_rows} snapshots "
          f"({first and first.time()} .. {last and last.time()}), {len(t.codes)} codes, {records} ticks, "
          f"{len(t.instruments)} instruments, {len(t.etf_info)} ETF PCFs, {len(t.planted)} events")
    return 0


def _cmd_record(args) -> int:
    try:
        from xtquant import xtdata
    except ImportError as e:
        print(f"recording needs the real xtquant with a running miniQMT (Windows): {e}", file=sys.stderr)
        return 2
    import time as _time

    codes = []
    for sector in ("沪深A股", "沪深ETF", "京市A股"):
        try:
            codes += xtdata.get_stock_list_in_sector(sector)
        except Exception as e:   # noqa: BLE001 - a sector missing on this client is not fatal
            logger.warning("sim tape record: sector unavailable sector={} error={}", sector, e)
    rec = TapeRecorder(args.out, instruments={c: xtdata.get_instrument_detail(c) for c in codes})
    xtdata.subscribe_whole_quote(["SH", "SZ", "BJ"], callback=rec.on_quote)
    h, m, s = (int(x) for x in args.until.split(":"))
    while dt.datetime.now(tz=_SHANGHAI).time() < dt.time(h, m, s):
        _time.sleep(1)
    sectors = {name: xtdata.get_stock_list_in_sector(name) for name in ("沪深A股", "沪深ETF")}
    path = rec.close(sectors=sectors, etf_info=xtdata.get_etf_info())
    print(f"recorded {path}: {rec.pushes} pushes")
    return 0
