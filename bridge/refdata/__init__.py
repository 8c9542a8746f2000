"""Reference data for the offensive/stable layers: akshare loaders (xtdata when QMT is present) -> signals_db.

source.py  the akshare boundary (pacing, column checks, one-sentence errors, recorded fixtures)
loaders.py akshare tables -> normalised DataFrames
xt.py      the same from xtdata when miniQMT (or the sim) is present
update.py  incremental writers into signals_db
"""
