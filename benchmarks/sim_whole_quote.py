"""Benchmark: a full simulated day pushed through xtdata.subscribe_whole_quote to a no-op callback.

    python benchmarks/sim_whole_quote.py                       # 5,000 stocks + 500 ETFs, the whole day
    python benchmarks/sim_whole_quote.py --stocks 200 --etfs 20 --end-time 10:00:00   # CI smoke run

Prints wall time, snapshots/s, ticks/s, peak memory (max RSS), and references measured in the same run: the
time spent inside World.step() during the run (so the fake xtquant's own cost - scheduler, lanes, dispatch,
the no-op callback - can be read off), and the bare World.step() on a fresh world of the same configuration.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def max_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stocks", type=int, default=5000)
    p.add_argument("--etfs", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--end-time", default="15:00:00", help="session end HH:MM:SS (default the full day)")
    p.add_argument("--ref-snapshots", type=int, default=300,
                   help="snapshots of the bare World.step() reference (default 300)")
    args = p.parse_args(argv)

    from loguru import logger

    logger.remove()
    import sim

    rss0 = max_rss_mb()
    rt = sim.install(market=None, n_stocks=args.stocks, n_etfs=args.etfs, seed=args.seed,
                     world_kwargs={"end_time": args.end_time})
    t = time.perf_counter()
    world = rt.world
    build_s = time.perf_counter() - t
    rss_built = max_rss_mb()
    from xtquant import xtdata

    counts = {"pushes": 0, "ticks": 0}

    def on_data(datas):
        counts["pushes"] += 1
        counts["ticks"] += len(datas)

    xtdata.subscribe_whole_quote(["SH", "SZ", "BJ"], on_data)
    in_world = [0.0]
    bare_step = world.step

    def timed_step():
        t0 = time.perf_counter()
        try:
            return bare_step()
        finally:
            in_world[0] += time.perf_counter() - t0

    world.step = timed_step          # measure the World's share of the same run
    from sim.fake_xtquant._runtime import tune_gc

    tune_gc()                        # what python -m sim exec does
    t = time.perf_counter()
    xtdata.run()
    wall = time.perf_counter() - t
    rss_run = max_rss_mb()
    snapshots = world.n_snapshots
    sim.uninstall()
    del world, rt
    gc.collect()

    # reference: the bare World.step() on a fresh world of the same configuration
    from sim.world import SimConfig, World

    ref = World(SimConfig(seed=args.seed, n_stocks=args.stocks, n_etfs=args.etfs, end_time=args.end_time))
    n_ref = min(args.ref_snapshots, ref.n_snapshots)
    ref_ticks = 0
    ref_s = free_s = 0.0
    for _ in range(n_ref):
        t0 = time.perf_counter()
        ticks = ref.step()
        t1 = time.perf_counter()
        ref_ticks += len(ticks)
        del ticks                    # freeing the tick dicts is part of any consumer's cost
        free_s += time.perf_counter() - t1
        ref_s += t1 - t0
    ref_per_snap_ms = ref_s / n_ref * 1000
    per_snap_ms = wall / snapshots * 1000

    print(f"universe            {args.stocks} stocks + {args.etfs} ETFs, seed {args.seed}, "
          f"09:15:00-{args.end_time}")
    print(f"world build         {build_s:8.2f} s")
    print(f"whole-quote run     {wall:8.2f} s wall  (target <= 60 s for the full day)")
    print(f"snapshots           {snapshots:8d}      {snapshots / wall:10.1f} snapshots/s   {per_snap_ms:7.3f} ms each")
    print(f"ticks pushed        {counts['ticks']:8d}      {counts['ticks'] / wall:10.0f} ticks/s     "
          f"in {counts['pushes']} callbacks")
    print(f"peak memory (RSS)   {rss_run:8.1f} MB  (before install {rss0:.1f} MB, after world build {rss_built:.1f} MB)")
    print(f"  of which World    {in_world[0]:8.2f} s in World.step() (market generation, tick dicts, matching); "
          f"fake xtquant + callbacks {wall - in_world[0]:.2f} s ({(wall - in_world[0]) / snapshots * 1000:.3f} ms "
          "per snapshot)")
    print(f"reference           bare World.step() on a fresh world: first {n_ref} snapshots in {ref_s:.2f} s = "
          f"{ref_per_snap_ms:.3f} ms each ({ref_ticks / ref_s:.0f} ticks/s); freeing their tick dicts "
          f"{free_s / n_ref * 1000:.3f} ms each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
