"""All offensive-layer scores for 5,000 stocks x 250 days of bars, vectorised, against a per-stock loop.

    .venv/bin/python benchmarks/offensive_scores.py [--stocks 5000] [--days 250] [--loop-stocks 500] [--repeat 3]

Prints the best-of-N time of the vectorised run (every score + composite for the whole universe, and the full
[stocks x days] technical-score matrix), and the per-stock loop reference measured in the same run on
--loop-stocks stocks (extrapolated to the universe, labelled as such), plus the largest difference between
the two (they compute the same numbers). Target: vectorised <= 1 s.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from qmt_strategies import offensive as off  # noqa: E402


def market(n: int, days: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    close = 10 * np.exp(np.cumsum(rng.normal(0.0003, 0.02, (n, days)), axis=1))
    high = close * (1 + rng.uniform(0, 0.02, (n, days)))
    low = close * (1 - rng.uniform(0, 0.02, (n, days)))
    vol = rng.uniform(1e5, 5e6, (n, days))
    bars = {"open": close, "high": high, "low": low, "close": close, "volume": vol}
    inds = np.array([f"I{i % 31}" for i in range(n)], dtype=object)
    pe = rng.uniform(-10, 80, n)
    pb = rng.uniform(0.3, 10, n)
    fs = rng.uniform(1e7, 5e9, n)
    ind_scores = {f"I{i}": float(rng.uniform(0, 10)) for i in range(31)}
    codes = [f"{600000 + i:06d}.SH" for i in range(n)]
    return codes, bars, pe, pb, list(inds), fs, ind_scores


def best(fn, repeat):
    t = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        t.append(time.perf_counter() - t0)
    return min(t), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stocks", type=int, default=5000)
    ap.add_argument("--days", type=int, default=250)
    ap.add_argument("--loop-stocks", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    codes, bars, pe, pb, inds, fs, ind_scores = market(a.stocks, a.days)
    print(f"offensive scores benchmark: {a.stocks} stocks x {a.days} days, python {platform.python_version()}, "
          f"numpy {np.__version__}, {os.cpu_count()} cpu")

    t_all, sc = best(lambda: off.compute_scores(codes, bars, pe, pb, inds, ind_scores, fs), a.repeat)
    t_tech, _ = best(lambda: off.technical_score_matrix(bars["close"], bars["high"], bars["volume"]), a.repeat)
    t_chip, _ = best(lambda: off.chip_score(bars["high"], bars["low"], bars["close"], bars["volume"], fs), a.repeat)
    t_val, _ = best(lambda: off.valuation_score(pe, pb, inds), a.repeat)
    print(f"vectorised: all 4 scores + composite (last day)   {t_all * 1000:8.1f} ms  (best of {a.repeat})")
    print(f"            technical matrix [stocks x days]       {t_tech * 1000:8.1f} ms")
    print(f"            chip score                             {t_chip * 1000:8.1f} ms")
    print(f"            valuation score (industry ranks)       {t_val * 1000:8.1f} ms")

    k = min(a.loop_stocks, a.stocks)

    def loop():
        tech = np.empty(k)
        chip = np.empty(k)
        for i in range(k):
            row = {f: bars[f][i:i + 1] for f in bars}
            tech[i] = off.technical_score(row["close"], row["high"], row["volume"])[0]
            chip[i] = off.chip_score(row["high"], row["low"], row["close"], row["volume"], fs[i:i + 1])[0]
        return tech, chip

    t_loop, (tech_l, chip_l) = best(loop, 1)
    per = t_loop / k
    print(f"per-stock loop reference: {k} stocks measured     {t_loop * 1000:8.1f} ms  "
          f"({per * 1e3:.2f} ms/stock -> {per * a.stocks:.1f} s for {a.stocks}, extrapolated)")
    diff = max(np.max(np.abs(tech_l - sc.technical[:k])), np.max(np.abs(chip_l - sc.chip[:k])))
    print(f"max |vectorised - loop| over technical+chip scores: {diff:.2e}")
    print(f"speed-up vs loop (extrapolated): {per * a.stocks / t_all:.0f}x; target <= 1 s: "
          f"{'met' if t_all <= 1.0 else 'NOT met'} ({t_all:.3f} s)")
    print(f"composite: mean {np.mean(sc.composite):.2f}, >= 5: {int(np.sum(sc.composite >= 5))} stocks")


if __name__ == "__main__":
    main()
