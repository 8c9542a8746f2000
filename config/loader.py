"""Load settings.yaml (+ git-ignored local.yaml, + secrets from the environment) once, at the entry point."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from config.schema import SECRET_ENV, AppConfig, StocksFile

M = TypeVar("M", bound=BaseModel)

CONFIG_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = CONFIG_DIR.parent
DEFAULT_SETTINGS = CONFIG_DIR / "settings.yaml"
DEFAULT_LOCAL = CONFIG_DIR / "local.yaml"
DEFAULT_STOCKS = CONFIG_DIR / "stocks.yaml"


class ConfigError(ValueError):
    """A config file or value is wrong; the message is one sentence naming file, field, value and what is allowed."""


def project_path(p: str | os.PathLike) -> Path:
    """A path from config, relative paths taken from the project root."""
    path = Path(p).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found; copy it from the repository's config/ folder or pass --config PATH") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}:{where} is not valid YAML ({getattr(exc, 'problem', exc)}); fix the syntax there") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections, not {type(data).__name__}")
    return data


def _deep_merge(base: dict, over: Mapping) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), dict) else v
    return out


def _get(d: Mapping, dotted: str) -> Any:
    cur: Any = d
    for part in dotted.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _set(d: dict, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    cur = d
    for part in parts[:-1]:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            cur[part] = nxt
        cur = nxt
    cur[parts[-1]] = value


def _describe(err: dict, model: type[BaseModel], data: Mapping) -> tuple[str, str]:
    """(dotted field, 'value X is not allowed: <what is allowed>') for one pydantic error."""
    loc = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        return loc, "is not a known setting (unknown keys are rejected; check the spelling against config/settings.yaml)"
    if err["type"] == "missing":
        return loc, "is required"
    shown = "***" if loc in SECRET_ENV else repr(err.get("input"))
    msg = err["msg"].removeprefix("Value error, ")
    return loc, f"= {shown} is not allowed: {msg}"


def _source(field: str, sources: list[tuple[Path, dict]]) -> Path:
    """The file that set `field` (or its closest parent): later files override earlier ones."""
    parts = field.split(".")
    for path, data in reversed(sources):
        for n in range(len(parts), 0, -1):
            if _get(data, ".".join(parts[:n])) is not None:
                return path
    return sources[0][0]


def _validate(model: type[BaseModel], data: dict, sources: list[tuple[Path, dict]]) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        field, what = _describe(errors[0], model, data)
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ConfigError(f"{_source(field, sources)}: {field} {what}{more}") from None


def load_config(path: str | os.PathLike | None = None, *, local_path: str | os.PathLike | None = None,
                env: Mapping[str, str] | None = None) -> AppConfig:
    """Read settings (default config/settings.yaml), overlay local.yaml, take secrets from the environment, validate."""
    env = os.environ if env is None else env
    settings_path = Path(path) if path else DEFAULT_SETTINGS
    data = _read_yaml(settings_path)
    sources = [(settings_path, data)]
    for dotted, var in SECRET_ENV.items():
        if _get(data, dotted) not in (None, ""):
            raise ConfigError(
                f"{settings_path}: {dotted} is a secret and must not be written in a tracked file; "
                f"set environment variable {var} or put it in the git-ignored config/local.yaml")
    local = Path(local_path) if local_path else (settings_path.parent / "local.yaml")
    if local.exists():
        over = _read_yaml(local)
        sources.append((local, over))
        data = _deep_merge(data, over)
    from_env: dict = {}
    for dotted, var in SECRET_ENV.items():
        if env.get(var):
            _set(data, dotted, env[var])
            _set(from_env, dotted, f"environment variable {var}")
    sources.append((Path("environment"), from_env))
    cfg = _validate(AppConfig, data, sources)
    assert isinstance(cfg, AppConfig)
    return cfg


def load_file(model: type[M], path: str | os.PathLike) -> M:
    """Read one YAML file and validate it against `model`; ConfigError (one sentence) when it is wrong."""
    p = Path(path)
    data = _read_yaml(p)
    out = _validate(model, data, [(p, data)])
    assert isinstance(out, model)
    return out


def load_stocks(path: str | os.PathLike | None = None) -> StocksFile:
    """Read and validate stocks.yaml (my_stocks, watch_etfs)."""
    return load_file(StocksFile, path or DEFAULT_STOCKS)


def secret_values(cfg: AppConfig) -> list[str]:
    """Every secret value set in cfg (for the log filter that masks them)."""
    out = []
    for dotted in SECRET_ENV:
        v: Any = cfg
        for part in dotted.split("."):
            v = getattr(v, part, None)
        if v is not None:
            s = v.get_secret_value()
            if s:
                out.append(s)
    return out
