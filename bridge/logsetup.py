"""loguru configured once at the entry point: console + rotating file, secrets masked everywhere."""
from __future__ import annotations

import re
import sys
from collections.abc import Iterable

from loguru import logger

from config.loader import project_path
from config.schema import Logging

MASK = "***"
# URL credentials, webhook tokens and keys that may appear in messages even when not registered as secrets
_PATTERNS = [
    re.compile(r"(?<=://)([^:/@\s]+):([^@\s]+)(?=@)"),               # scheme://user:password@host
    re.compile(r"(?i)(access_token|key|secret|password|passwd|token|sign)=([^&\s\"']+)"),
]


class SecretMasker:
    """Replaces known secret values and credential-looking fragments in a log message."""

    def __init__(self, secrets: Iterable[str] = ()):
        self._secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Register more secret values (longest first, so overlapping ones mask fully)."""
        self._secrets = sorted({s for s in [*self._secrets, *secrets] if s and len(s) >= 3}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        """The text with every secret replaced by ***."""
        for s in self._secrets:
            if s in text:
                text = text.replace(s, MASK)
        text = _PATTERNS[0].sub(lambda m: f"{m.group(1)}:{MASK}", text)
        return _PATTERNS[1].sub(lambda m: f"{m.group(1)}={MASK}", text)

    def patch(self, record: dict) -> None:
        """loguru patcher: mask the message and any string values in `extra`."""
        record["message"] = self.mask(record["message"])
        for k, v in record["extra"].items():
            if isinstance(v, str):
                record["extra"][k] = self.mask(v)


masker = SecretMasker()

_FORMAT = "{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <7} | {name}:{line} | {message}{extra_kv}"


def _with_extra(record: dict) -> None:
    extra = {k: v for k, v in record["extra"].items() if k != "extra_kv"}
    record["extra"]["extra_kv"] = "".join(f" {k}={v}" for k, v in extra.items())


def setup_logging(cfg: Logging, secrets: Iterable[str] = (), *, console: bool = True, console_level: str | None = None) -> None:
    """Console + rotating file per config; every record passes through the secret masker."""
    masker.add(secrets)
    logger.remove()

    def patcher(record):
        masker.patch(record)
        _with_extra(record)

    logger.configure(patcher=patcher)
    fmt = _FORMAT.replace("{extra_kv}", "{extra[extra_kv]}")
    if console:
        logger.add(sys.stderr, level=console_level or cfg.level, format=fmt, colorize=False)
    if cfg.file:
        path = project_path(cfg.file)
        path.parent.mkdir(parents=True, exist_ok=True)
        logger.add(str(path), level=cfg.level, format=fmt, rotation=cfg.rotation, retention=cfg.retention,
                   encoding="utf-8", enqueue=False)
