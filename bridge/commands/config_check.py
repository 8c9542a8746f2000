"""`python -m bridge config`: validate the config files and show the effective settings, secrets masked."""
from __future__ import annotations

import json

from config.loader import load_config, load_stocks


def register(sub) -> None:
    p = sub.add_parser("config", help="validate config/settings.yaml (+ local.yaml, env) and stocks.yaml; print them, secrets masked")
    p.add_argument("--stocks", metavar="PATH", default=None, help="stocks file (default config/stocks.yaml)")
    p.set_defaults(func=run)


def run(args) -> int:
    cfg = load_config(args.config)
    stocks = load_stocks(args.stocks)
    shown = cfg.model_dump(mode="json")  # SecretStr dumps as '**********'
    print(json.dumps(shown, ensure_ascii=False, indent=2))
    print(f"stocks: {len(stocks.my_stocks)} my_stocks, {len(stocks.watch_etfs)} watch_etfs")
    print("config OK")
    return 0
