"""`python -m bridge config`: validate every config file and show the effective settings, secrets masked."""
from __future__ import annotations

import json

from config.loader import load_config, load_stocks
from config.offensive_schema import load_offensive, load_sector_etfs


def register(sub) -> None:
    p = sub.add_parser("config", help="validate settings.yaml (+ local.yaml, env), stocks.yaml, offensive.yaml, "
                                      "sector_etfs.yaml; print the settings with secrets masked")
    p.add_argument("--stocks", metavar="PATH", default=None, help="stocks file (default config/stocks.yaml)")
    p.add_argument("--offensive", metavar="PATH", default=None, help="offensive-layer file (default config/offensive.yaml)")
    p.set_defaults(func=run)


def run(args) -> int:
    cfg = load_config(args.config)
    stocks = load_stocks(args.stocks)
    offensive = load_offensive(args.offensive)
    sectors = load_sector_etfs()
    print(json.dumps(cfg.model_dump(mode="json"), ensure_ascii=False, indent=2))  # SecretStr dumps as '**********'
    print(f"stocks: {len(stocks.my_stocks)} my_stocks, {len(stocks.watch_etfs)} watch_etfs; "
          f"offensive: buy_threshold {offensive.offensive.buy_threshold}; sector ETFs: {len(sectors.sector_etfs)}")
    print("config OK")
    return 0
