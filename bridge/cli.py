"""`python -m bridge`: the command-line entry point; subcommands live in bridge/commands/."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import bridge.commands
from bridge.logsetup import setup_logging
from config.loader import ConfigError, load_config, secret_values
from config.schema import Logging


def build_parser() -> argparse.ArgumentParser:
    """Build the parser with every subcommand found in bridge/commands/."""
    parser = argparse.ArgumentParser(
        prog="python -m bridge",
        description="QMT / miniQMT toolkit: limit-up ETF strategy, offensive/stable layers, sim, signals database.",
    )
    parser.add_argument("--config", metavar="PATH", default=None,
                        help="settings file (default: config/settings.yaml, then config/local.yaml overrides)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(bridge.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"bridge.commands.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def _logging_from_config(path: str | None) -> None:
    """Console + rotating file as configured, secrets masked; console only if the config cannot be read
    (the command that needs the config reports why, in one sentence)."""
    try:
        cfg = load_config(path)
    except ConfigError:
        setup_logging(Logging(file=None))
        return
    setup_logging(cfg.logging, secret_values(cfg))


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the chosen command, turn user errors into one sentence and exit code 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    _logging_from_config(args.config)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
