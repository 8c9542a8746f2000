"""Export a strategy as ONE QMT built-in script: GBK, Python 3.6, stdlib + numpy/pandas, config baked in.

The needed qmt_strategies modules are embedded as source text and registered in sys.modules under their own
names when the script starts, so their imports (absolute or relative) resolve without any file beside the
script. The glue at the end defines init/handlebar/callbacks for QMT and is the only place doing file I/O
(the journal and the reference-data files).
"""
from __future__ import annotations

import ast
import datetime as dt
import json
import re
import sys
from pathlib import Path

from bridge import export_qmt_glue as glue
from bridge.export_qmt_glue import EXPORT_PACKAGE
from config.schema import AppConfig

PACKAGE = "qmt_strategies"
PACKAGE_DIR = Path(__file__).resolve().parent.parent / PACKAGE
ALLOWED_THIRD_PARTY = frozenset({"numpy", "pandas"})
STRATEGIES = {
    "limit_up_etf": ("builtin_adapter", "limit_up_etf"),
    "offensive": ("builtin_adapter", "offensive_driver", "offensive"),
}


class ExportError(ValueError):
    """The strategy cannot be exported as a QMT script (one sentence, what to change)."""


def _imports(mod: str, source: str) -> list[str]:
    """qmt_strategies modules imported by `mod` (absolute and relative)."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = PACKAGE + ("." + base if base else "")
            if base == PACKAGE:
                out.extend(f"{PACKAGE}.{a.name}" for a in node.names if (PACKAGE_DIR / f"{a.name}.py").exists())
            elif base.startswith(PACKAGE + "."):
                out.append(base)
            elif node.level == 0:
                _check_external(mod, base)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith(PACKAGE + "."):
                    out.append(a.name)
                else:
                    _check_external(mod, a.name)
    return out


def _check_external(mod: str, name: str) -> None:
    top = name.split(".")[0]
    if top not in sys.stdlib_module_names and top not in ALLOWED_THIRD_PARTY:
        raise ExportError(f"{mod} imports {name!r}, which QMT's import whitelist may refuse; "
                          "use only the standard library, numpy and pandas in qmt_strategies")


def module_closure(roots: list[str]) -> list[tuple[str, str]]:
    """[(module name, source)] of the roots and every qmt_strategies module they import, dependencies first."""
    order: list[tuple[str, str]] = []
    seen: set[str] = set()

    def visit(name: str, stack: tuple[str, ...]) -> None:
        if name in seen:
            return
        if name in stack:
            raise ExportError(f"import cycle in {PACKAGE}: {' -> '.join((*stack, name))}")
        path = PACKAGE_DIR / (name.split(".", 1)[1].replace(".", "/") + ".py")
        if not path.exists():
            raise ExportError(f"{name} has no file {path}; is the strategy module committed?")
        src = path.read_text(encoding="utf-8")
        try:
            ast.parse(src, str(path), feature_version=(3, 6))
        except SyntaxError as exc:
            raise ExportError(f"{path}:{exc.lineno}: {exc.msg} under Python 3.6 (QMT's Python)") from exc
        for dep in _imports(name, src):
            visit(dep, (*stack, name))
        seen.add(name)
        order.append((name, src))

    for r in roots:
        visit(f"{PACKAGE}.{r}", ())
    return order


_ABS_IMPORT = re.compile(r"^(\s*)(from|import)\s+qmt_strategies\b", re.MULTILINE)


def rename_imports(src: str) -> str:
    """Absolute `qmt_strategies` imports -> the private package name the exported script registers."""
    return _ABS_IMPORT.sub(lambda m: f"{m.group(1)}{m.group(2)} {EXPORT_PACKAGE}", src)


def _literal(src: str) -> str:
    """A triple-quoted literal whose value is exactly `src`."""
    body = src.replace("\\", "\\\\").replace("'''", "\\'\\'\\'")
    if body.endswith("'"):
        body = body[:-1] + "\\'"
    lit = "'''" + body + "'''"
    if ast.literal_eval(lit) != src:                     # belt and braces: the script must see the same code
        raise ExportError("internal error: a module's source did not survive quoting")
    return lit


def limit_up_params(cfg: AppConfig) -> dict:
    """LimitUpEtfParams fields from the config: the same mapping the miniQMT runner uses."""
    from bridge.strategy_ports import limit_up_params as runner_params

    d = runner_params(cfg).as_dict()
    d["signal_states"] = list(d["signal_states"])
    return d


def offensive_params() -> dict:
    """OffensiveLayerStrategy keyword arguments from config/offensive.yaml (offensive section)."""
    from config.offensive_schema import load_offensive

    return load_offensive().offensive.model_dump(mode="json")


def risk_limits(cfg: AppConfig) -> dict:
    """RiskLimits fields (the kill switch is a file the glue checks)."""
    r = cfg.risk
    return {"max_order_value": r.max_order_value, "max_position_pct_stock": r.max_position_pct_stock,
            "max_position_pct_industry": r.max_position_pct_industry, "max_orders_per_second": r.max_orders_per_second,
            "max_orders_per_day": r.max_orders_per_day, "daily_loss_limit_pct": r.daily_loss_limit_pct}


def _py(obj) -> str:
    """A Python 3.6 literal of JSON-like data (dicts keep their order)."""
    return repr(json.loads(json.dumps(obj, ensure_ascii=False)))


def render(strategy: str, cfg: AppConfig, params: dict | None = None) -> str:
    """The whole exported script as text (encode it as GBK)."""
    if strategy not in STRATEGIES:
        raise ExportError(f"--strategy {strategy!r} is not one of {', '.join(STRATEGIES)}")
    modules = module_closure(list(STRATEGIES[strategy]))
    if params is None:
        params = limit_up_params(cfg) if strategy == "limit_up_etf" else offensive_params()
    embedded = ",\n".join(f"    ({name!r}, {_literal(rename_imports(src))})" for name, src in modules)
    header = glue.HEADER.format(strategy=strategy, date=dt.date.today().isoformat(),
                                modules=", ".join(n.split(".", 1)[1] for n, _ in modules))
    x = cfg.exits
    protect = {"stop_loss_pct": x.stop_loss_pct, "take_profit_pct": x.take_profit_pct,
               "trailing_pct": x.trailing_pct or 0.0, "exit_time": x.exit_time}
    settings = glue.SETTINGS.format(strategy=strategy, params=_py(params), risk=_py(risk_limits(cfg)),
                                    protect=_py(protect))
    text = (header + settings + glue.LOADER.replace("@@MODULES@@", embedded) + glue.GLUE[strategy])
    try:
        ast.parse(text, "<export>", feature_version=(3, 6))
    except SyntaxError as exc:
        raise ExportError(f"internal error: exported script line {exc.lineno} is not Python 3.6: {exc.msg}") from exc
    return text


def encode_gbk(text: str) -> bytes:
    """GBK bytes of the script; a character GBK lacks is reported with its line."""
    try:
        return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("gbk")
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        raise ExportError(f"character {text[exc.start]!r} on line {line} of the export has no GBK encoding; "
                          "replace it in the source module (QMT reads scripts as GBK)") from exc


def export(strategy: str, out: str | Path, cfg: AppConfig, params: dict | None = None) -> Path:
    """Write the exported script (GBK, CRLF line ends like files from QMT's editor); returns the path."""
    data = encode_gbk(render(strategy, cfg, params))
    p = Path(out)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(p)
    return p
