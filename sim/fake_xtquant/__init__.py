"""The sim's `xtquant` package: xtdata, xttrader, xttype, xtconstant with the real release's API.

`sim.install()` makes `import xtquant...` resolve here even when the real wheel is installed.
"""

__version__ = "xtquant_250807"
