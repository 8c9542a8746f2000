"""HTML report of a QMT-emulator run: metrics, equity and drawdown plots, painted series, trades."""
from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from sim.qmt.metrics import Metrics
from sim.qmt.runner import RunResult

_LABELS = {
    "start_equity": "初始资产 start equity", "end_equity": "期末资产 end equity", "total_return": "总收益 total return",
    "annual_return": "年化收益 annual return", "max_drawdown": "最大回撤 max drawdown", "sharpe": "夏普 Sharpe",
    "win_rate": "胜率 win rate", "trades": "成交笔数 deals", "orders": "委托笔数 orders", "days": "交易日 days",
}
_PCT = {"total_return", "annual_return", "max_drawdown", "win_rate"}
MAX_TRADE_ROWS = 500


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _equity_png(res: RunResult) -> str:
    eq = np.asarray(res.equity, np.float64)
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(10, 5.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    x = np.asarray(res.dates, dtype="datetime64[D]")
    a1.plot(x, eq, lw=1.2)
    a1.set_ylabel("equity (CNY)")
    a1.grid(alpha=0.3)
    peak = np.maximum.accumulate(eq) if len(eq) else eq
    a2.fill_between(x, -(peak - eq) / peak if len(eq) else eq, 0, color="tab:red", alpha=0.4)
    a2.set_ylabel("drawdown")
    a2.grid(alpha=0.3)
    return _png(fig)


def _paint_png(res: RunResult) -> str | None:
    if not res.paints:
        return None
    fig, ax = plt.subplots(figsize=(10, 3))
    for name, series in list(res.paints.items())[:8]:
        t = np.asarray(sorted(series), np.int64)
        ax.plot((t + 8 * 3_600_000).astype("datetime64[ms]"), [series[k] for k in t], lw=1, label=name)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    return _png(fig)


def render(res: RunResult, m: Metrics, title: str = "") -> str:
    """The report as one self-contained HTML page (plots embedded as PNG)."""
    rows = []
    for k, v in m.as_dict().items():
        val = f"{v:.2%}" if k in _PCT else f"{v:,.2f}" if isinstance(v, float) else f"{v:,}"
        rows.append(f"<tr><th>{html.escape(_LABELS.get(k, k))}</th><td>{val}</td></tr>")
    deals = []
    for d in res.deals[:MAX_TRADE_ROWS]:
        side = "买入" if d.m_nOffsetFlag == 48 else "卖出"
        deals.append(
            f"<tr><td>{d.m_strTradeDate} {d.m_strTradeTime}</td><td>{d.m_strInstrumentID}.{d.m_strExchangeID}</td>"
            f"<td>{side}</td><td>{d.m_dPrice:.3f}</td><td>{d.m_nVolume}</td><td>{d.m_dTradeAmount:,.2f}</td>"
            f"<td>{d.m_dComssion:.2f}</td><td>{html.escape(str(d.m_strRemark))}</td></tr>")
    more = f"<p>… {len(res.deals) - MAX_TRADE_ROWS} more deals not shown</p>" if len(res.deals) > MAX_TRADE_ROWS else ""
    paint = _paint_png(res)
    paint_html = f'<h2>指标 painted series</h2><img src="data:image/png;base64,{paint}">' if paint else ""
    title = html.escape(title or Path(res.script).name)
    rejected = sum(1 for o in res.orders if o.m_nOrderStatus == 57)
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>回测报告 {title}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}} th{{background:#f4f4f4}}</style></head><body>
<h1>回测报告 Backtest report: {title}</h1>
<p>mode={html.escape(res.mode)} period={html.escape(res.period)} account={html.escape(res.account_id)}
 handlebar calls={res.handlebar_calls} rejected orders={rejected}</p>
<table>{''.join(rows)}</table>
<h2>资产曲线与回撤 Equity and drawdown</h2><img src="data:image/png;base64,{_equity_png(res)}">
{paint_html}
<h2>成交 Deals</h2><table><tr><th>time</th><th>code</th><th>side</th><th>price</th><th>volume</th><th>amount</th>
<th>fees</th><th>remark</th></tr>{''.join(deals)}</table>{more}
</body></html>
"""


def write(path: str | Path, res: RunResult, m: Metrics, title: str = "") -> Path:
    """Write the HTML report; returns its path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(render(res, m, title), encoding="utf-8")
    return p
