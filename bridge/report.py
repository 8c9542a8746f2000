"""Day summary (terminal table) and a self-contained HTML report with matplotlib plots embedded as base64 PNG."""
from __future__ import annotations

import base64
import datetime as dt
import html
import io
from pathlib import Path

from tabulate import tabulate

from bridge.exits import SH_TZ


def _t(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, SH_TZ).replace(tzinfo=None)


def summary_rows(res) -> list[tuple[str, str]]:
    """(item, value) rows of a driven day (bridge.demo.DayResult)."""
    r = res.runner
    st = r.stats
    sig = {k.removeprefix("signal_"): v for k, v in sorted(st.items()) if k.startswith("signal_")}
    orders = [o for o in r.om.orders.values()]
    filled = sum(1 for o in orders if o.filled > 0)
    buys = sum(o.filled * o.avg_price for o in orders if o.side == "buy")
    sells = sum(o.filled * o.avg_price for o in orders if o.side == "sell")
    pnl = res.end_equity - res.start_equity
    pct = pnl / res.start_equity if res.start_equity else 0.0
    rows = [("trade date", str(r.trade_date)), ("snapshots", f"{st['snapshots']}"),
            ("wall time", f"{res.wall_s:.1f} s" + (f" (CPU {res.cpu_s:.1f} s)" if res.cpu_s else ""))]
    rows += [(f"signals {k}", str(v)) for k, v in sig.items()] or [("signals", "0")]
    rows += [("orders sent", str(st["orders_sent"])), ("orders with fills", str(filled)),
             ("fills", str(st["fills"])), ("bought (CNY)", f"{buys:,.2f}"), ("sold (CNY)", f"{sells:,.2f}")]
    rows += [(f"risk/order check: {k}", str(v)) for k, v in sorted(r.rejections.items())]
    rows += [(f"exit {k}", str(v)) for k, v in sorted(r.exit_reasons.items())] or [("exits", "0")]
    rows += [("equity start", f"{res.start_equity:,.2f}"), ("equity end", f"{res.end_equity:,.2f}"),
             ("P&L", f"{pnl:+,.2f} ({pct:+.2%})")]
    if st["errors"]:
        rows.append(("event errors", str(st["errors"])))
    return rows


def summary_table(res) -> str:
    """The summary as a plain-text table."""
    return tabulate(summary_rows(res), headers=["item", "value"], tablefmt="simple")


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plots(res) -> dict[str, str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    r = res.runner
    out = {}
    hhmm = mdates.DateFormatter("%H:%M")
    fig, ax = plt.subplots(figsize=(9, 3))
    if r.equity_curve:
        xs = [_t(t) for t, _ in r.equity_curve]
        ax.plot(xs, [e for _, e in r.equity_curve], color="tab:blue")
    ax.xaxis.set_major_formatter(hhmm)
    ax.set_title("Equity (cash + positions at last price)")
    ax.grid(alpha=0.3)
    out["equity"] = _png(fig)
    fig, ax = plt.subplots(figsize=(9, 3))
    cats = sorted({(s, k) for _, s, _, k in r.signal_log})
    for i, (s, k) in enumerate(cats):
        pts = [_t(ts) for ts, s2, _, k2 in r.signal_log if s2 == s and k2 == k]
        ax.scatter(pts, [i] * len(pts), s=14, label=f"{s}/{k} ({len(pts)})")
    exits = [(_t(o.sent_ms), o) for o in r.om.orders.values() if o.kind == "exit" and o.sent_ms]
    if exits:
        ax.scatter([t for t, _ in exits], [len(cats)] * len(exits), marker="v", color="red", s=20,
                   label=f"exit orders ({len(exits)})")
    ax.set_yticks(range(len(cats) + (1 if exits else 0)))
    ax.set_yticklabels([f"{s}/{k}" for s, k in cats] + (["exits"] if exits else []))
    ax.xaxis.set_major_formatter(hhmm)
    ax.set_title("Intraday signals and exits")
    ax.grid(alpha=0.3)
    if cats or exits:
        ax.legend(fontsize=7, loc="upper left")
    out["signals"] = _png(fig)
    fig, ax = plt.subplots(figsize=(9, 3))
    px = r.prices()
    hold = sorted(((c, h.volume * px.get(c, h.avg_price)) for c, h in r.portfolio.holdings.items()),
                  key=lambda x: -x[1])[:30]
    ax.bar([c for c, _ in hold], [v for _, v in hold], color="tab:green")
    ax.set_title("Positions at the close (market value, CNY)")
    ax.tick_params(axis="x", rotation=60, labelsize=7)
    out["positions"] = _png(fig)
    return out


def write_html(res, path: str | Path, title: str = "Simulated trading day") -> Path:
    """Write the HTML report (plots embedded) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    plots = _plots(res)
    r = res.runner
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in summary_rows(res))
    orders = sorted(r.om.orders.values(), key=lambda o: (o.sent_ms, o.client_id))
    orow = "".join(
        f"<tr><td>{html.escape(o.client_id)}</td><td>{_t(o.sent_ms).strftime('%H:%M:%S') if o.sent_ms else ''}</td>"
        f"<td>{html.escape(o.strategy)}</td><td>{o.kind}</td><td>{o.code}</td><td>{o.side}</td><td>{o.quantity}</td>"
        f"<td>{o.price:.3f}</td><td>{o.filled}</td><td>{o.avg_price:.3f}</td><td>{o.status}</td>"
        f"<td>{html.escape(o.reason[:80])}</td></tr>" for o in orders[:300])
    imgs = "".join(f'<h2>{name}</h2><img alt="{name}" src="data:image/png;base64,{b64}"/>' for name, b64 in plots.items())
    doc = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:24px;max-width:1100px}}table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 8px}}th{{background:#f0f0f0}}</style></head><body>
<h1>{html.escape(title)} — {r.trade_date}</h1>
<table><tr><th>item</th><th>value</th></tr>{rows}</table>{imgs}
<h2>Orders ({len(orders)})</h2><table><tr><th>client id</th><th>sent</th><th>strategy</th><th>kind</th><th>code</th>
<th>side</th><th>qty</th><th>price</th><th>filled</th><th>avg</th><th>status</th><th>reason</th></tr>{orow}</table>
</body></html>"""
    path.write_text(doc, encoding="utf-8")
    return path
