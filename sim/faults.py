"""Seeded fault injection for the fake xtquant: disconnects, rejects, silent rejects, dup/reordered/late pushes.

Faults are configured up front (`FaultConfig`, or the `--faults` string of `python -m sim exec`) and can also be
triggered on demand from a test through `sim.faults()` (`disconnect_trader`, `disconnect_xtdata`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, fields

# error ids the simulated counter uses for injected rejects (the real ids are broker-specific)
REJECT_ERROR_ID = -61
REJECT_MSG = "[模拟柜台] 委托被柜台拒绝(故障注入)"


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """What to inject; rates are per order / per push, times are simulated HH:MM:SS."""

    reject_rate: float = 0.0            # order accepted with an id, then 57 + on_order_error
    silent_reject_rate: float = 0.0     # order_stock_async returns a seq, then nothing ever arrives
    duplicate_rate: float = 0.0         # a push (order/trade/position/asset) is delivered twice
    reorder_rate: float = 0.0           # a push is swapped with the one after it
    latency_ms: int = 0                 # every trader push arrives this much simulated time later
    trader_disconnect_at: tuple[str, ...] = ()   # on_disconnected at these times, connect() fails for a while
    trader_outage_s: int = 60
    xtdata_disconnect_at: tuple[str, ...] = ()   # xtdata.run() raises at these times, calls fail for a while
    xtdata_outage_s: int = 30
    seed: int | None = None             # None: the world's seed

    def __post_init__(self) -> None:
        for name in ("reject_rate", "silent_reject_rate", "duplicate_rate", "reorder_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"fault {name}={value} is not a probability; use a number between 0 and 1")
        for name in ("latency_ms", "trader_outage_s", "xtdata_outage_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"fault {name}={getattr(self, name)} must be >= 0")
        for name in ("trader_disconnect_at", "xtdata_disconnect_at"):
            for t in getattr(self, name):
                _hms_to_s(t)


_ALIASES = {
    "reject": "reject_rate", "silent": "silent_reject_rate", "silent_reject": "silent_reject_rate",
    "dup": "duplicate_rate", "duplicate": "duplicate_rate", "reorder": "reorder_rate",
    "latency": "latency_ms", "disconnect": "trader_disconnect_at", "trader_disconnect": "trader_disconnect_at",
    "outage": "trader_outage_s", "xtdata_disconnect": "xtdata_disconnect_at", "xtdata_outage": "xtdata_outage_s",
}


def parse_faults(spec: str | None) -> FaultConfig:
    """Parse 'reject=0.05,silent=0.01,dup=0.02,reorder=0.1,latency=500,disconnect=10:30:00,xtdata_disconnect=13:30:00'."""
    if not spec:
        return FaultConfig()
    names = {f.name: f for f in fields(FaultConfig)}
    values: dict[str, object] = {}
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ValueError(f"fault '{part}' has no value; write name=value, e.g. reject=0.05 or disconnect=10:30:00")
        key, raw = (s.strip() for s in part.split("=", 1))
        name = _ALIASES.get(key, key)
        if name not in names:
            raise ValueError(f"unknown fault '{key}'; known: {', '.join(sorted(set(_ALIASES) | set(names)))}")
        if name.endswith("_at"):
            values[name] = (*values.get(name, ()), *raw.split("+"))
        elif name.endswith("_rate"):
            values[name] = float(raw)
        else:
            values[name] = int(raw)
    return FaultConfig(**values)


def _hms_to_s(t: str) -> int:
    try:
        h, m, s = (int(x) for x in t.split(":"))
    except ValueError:
        raise ValueError(f"fault time '{t}' is not HH:MM:SS") from None
    return h * 3600 + m * 60 + s


@dataclass
class Faults:
    """Fault state of one run: the seeded RNG, pending scheduled disconnects and current outages."""

    cfg: FaultConfig
    seed: int = 0
    rng: random.Random = field(init=False)
    trader_down_until_ms: int = 0
    xtdata_down_until_ms: int = 0
    _pending: list[tuple[int, str]] = field(default_factory=list)
    _day0_ms: int | None = None
    on_trader_disconnect: list = field(default_factory=list)   # callables(now_ms)
    on_xtdata_disconnect: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.cfg.seed if self.cfg.seed is not None else self.seed)
        self._pending = sorted([(_hms_to_s(t), "trader") for t in self.cfg.trader_disconnect_at]
                               + [(_hms_to_s(t), "xtdata") for t in self.cfg.xtdata_disconnect_at])

    def set_day(self, day0_ms: int) -> None:
        """Midnight (ms epoch) of the simulated day, so HH:MM:SS times can be resolved."""
        self._day0_ms = day0_ms

    def on_clock(self, now_ms: int) -> None:
        """Fire the scheduled disconnects that are due."""
        if self._day0_ms is None:
            return
        while self._pending and self._day0_ms + self._pending[0][0] * 1000 <= now_ms:
            _, kind = self._pending.pop(0)
            if kind == "trader":
                self.disconnect_trader(now_ms)
            else:
                self.disconnect_xtdata(now_ms)

    def disconnect_trader(self, now_ms: int, outage_s: int | None = None) -> None:
        """Drop every trader connection now; connect() fails for outage_s simulated seconds."""
        outage = self.cfg.trader_outage_s if outage_s is None else outage_s
        self.trader_down_until_ms = now_ms + outage * 1000
        for fn in list(self.on_trader_disconnect):
            fn(now_ms)

    def disconnect_xtdata(self, now_ms: int, outage_s: int | None = None) -> None:
        """Drop the xtdata connection now; run() raises and calls fail for outage_s simulated seconds."""
        outage = self.cfg.xtdata_outage_s if outage_s is None else outage_s
        self.xtdata_down_until_ms = now_ms + outage * 1000
        for fn in list(self.on_xtdata_disconnect):
            fn(now_ms)

    def trader_down(self, now_ms: int) -> bool:
        """True while the trader outage lasts."""
        return now_ms < self.trader_down_until_ms

    def xtdata_down(self, now_ms: int) -> bool:
        """True while the xtdata outage lasts."""
        return now_ms < self.xtdata_down_until_ms

    def reject(self) -> bool:
        """Draw: should this order be rejected by the counter?"""
        return self.cfg.reject_rate > 0 and self.rng.random() < self.cfg.reject_rate

    def silent(self) -> bool:
        """Draw: should this async order vanish without any callback?"""
        return self.cfg.silent_reject_rate > 0 and self.rng.random() < self.cfg.silent_reject_rate

    def shape(self, pushes: list) -> list:
        """Apply duplication and reordering to one batch of pushes (responses are never touched)."""
        if not pushes or (self.cfg.duplicate_rate <= 0 and self.cfg.reorder_rate <= 0):
            return pushes
        out = []
        for p in pushes:
            out.append(p)
            if self.cfg.duplicate_rate > 0 and self.rng.random() < self.cfg.duplicate_rate:
                out.append(p)
        if self.cfg.reorder_rate > 0:
            i = 0
            while i < len(out) - 1:
                if self.rng.random() < self.cfg.reorder_rate:
                    out[i], out[i + 1] = out[i + 1], out[i]
                    i += 2
                else:
                    i += 1
        return out
