"""Pure strategy and signal math shared by QMT's built-in Python 3.6, miniQMT runners and the sim.

Python 3.6 syntax, stdlib + numpy only, no I/O. Entry points:
Snapshot (snapshot.py), LimitUpEtfStrategy (limit_up_etf.py), value types (types.py).
"""
__all__ = ["ashare", "snapshot", "tick_fields", "limit_up", "etf_exposure", "iopv", "evaluate", "types", "limit_up_etf"]
