"""Notifications: DingTalk (HMAC-signed), WeCom and email; rate-limited per channel with a digest; secrets never logged."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import queue
import smtplib
import ssl
import threading
import time
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from loguru import logger

LEVELS = ("info", "warning", "critical")


@dataclass(frozen=True, slots=True)
class Message:
    """One notification."""

    title: str
    text: str
    level: str = "info"
    kind: str = ""          # signal / fill / exit / risk / error


def dingtalk_signed_url(webhook: str, secret: str | None, now_ms: int | None = None) -> str:
    """DingTalk robot URL with timestamp and HMAC-SHA256 sign (secret signing mode)."""
    if not secret:
        return webhook
    ts = str(int(time.time() * 1000) if now_ms is None else now_ms)
    digest = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    sep = "&" if "?" in webhook else "?"
    return f"{webhook}{sep}timestamp={ts}&sign={sign}"


def _post_json(url: str, payload: dict, timeout: float) -> dict:
    req = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                                 headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        body = resp.read().decode("utf-8", "replace")
    try:
        return json.loads(body) if body else {}
    except ValueError:
        return {"raw": body[:200]}


class Channel:
    """A destination; `send` raises on failure. Subclasses never put secrets in exception messages."""

    name = "channel"

    def send(self, title: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class DingTalkChannel(Channel):
    """DingTalk group robot (webhook with access_token, optional signing secret)."""

    name = "dingtalk"

    def __init__(self, webhook: str, secret: str | None = None, timeout: float = 5.0):
        self._webhook, self._secret, self.timeout = webhook, secret, timeout

    def send(self, title: str, text: str) -> None:
        """POST a text message; DingTalk answers errcode 0 on success."""
        body = _post_json(dingtalk_signed_url(self._webhook, self._secret),
                          {"msgtype": "text", "text": {"content": f"{title}\n{text}"}}, self.timeout)
        if body.get("errcode", 0) != 0:
            raise RuntimeError(f"dingtalk errcode={body.get('errcode')} errmsg={body.get('errmsg')}")


class WeComChannel(Channel):
    """WeCom (企业微信) group robot (webhook with key)."""

    name = "wecom"

    def __init__(self, webhook: str, timeout: float = 5.0):
        self._webhook, self.timeout = webhook, timeout

    def send(self, title: str, text: str) -> None:
        """POST a text message; WeCom answers errcode 0 on success."""
        body = _post_json(self._webhook, {"msgtype": "text", "text": {"content": f"{title}\n{text}"}}, self.timeout)
        if body.get("errcode", 0) != 0:
            raise RuntimeError(f"wecom errcode={body.get('errcode')} errmsg={body.get('errmsg')}")


class EmailChannel(Channel):
    """SMTP (SSL on 465, else STARTTLS when the server offers it)."""

    name = "email"

    def __init__(self, host: str, port: int, use_ssl: bool, username: str | None, password: str | None,
                 sender: str | None, recipients: tuple[str, ...], timeout: float = 10.0):
        self.host, self.port, self.use_ssl = host, port, use_ssl
        self.username, self._password = username, password
        self.sender = sender or username or "qmt-toolkit@localhost"
        self.recipients, self.timeout = tuple(recipients), timeout

    def send(self, title: str, text: str) -> None:
        """Send one mail to every recipient."""
        if not self.recipients:
            raise RuntimeError("email has no recipients (notifications.email.recipients)")
        msg = EmailMessage()
        msg["Subject"], msg["From"], msg["To"] = title, self.sender, ", ".join(self.recipients)
        msg.set_content(text)
        if self.use_ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                  context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if not self.use_ssl:
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
            if self.username and self._password:
                smtp.login(self.username, self._password)
            smtp.send_message(msg)
        finally:
            try:
                smtp.quit()
            except smtplib.SMTPException:
                pass


class RateLimiter:
    """At most `per_minute` sends in any 60 s window."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.per_minute, self.clock = per_minute, clock
        self.sent: deque[float] = deque()

    def allow(self) -> bool:
        """True (and counted) if a send fits in the window now."""
        now = self.clock()
        while self.sent and self.sent[0] <= now - 60.0:
            self.sent.popleft()
        if len(self.sent) < self.per_minute:
            self.sent.append(now)
            return True
        return False


class Notifier:
    """Queues messages and sends them from one background thread; over the rate limit, messages merge into a digest."""

    def __init__(self, channels: list[Channel], per_minute: int = 20, clock: Callable[[], float] = time.monotonic,
                 background: bool = True):
        self.channels = channels
        self.limiters = {c.name: RateLimiter(per_minute, clock) for c in channels}
        self.held: dict[str, list[Message]] = {c.name: [] for c in channels}
        self.sent: dict[str, int] = {c.name: 0 for c in channels}
        self.failed: dict[str, int] = {c.name: 0 for c in channels}
        self._q: queue.Queue[Message | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._flush_events: list[threading.Event] = []
        if background and channels:
            self._thread = threading.Thread(target=self._loop, name="notifier", daemon=True)
            self._thread.start()

    @property
    def channel_names(self) -> str:
        """Comma list of configured channels (for alerts_log.channels)."""
        return ",".join(c.name for c in self.channels)

    def notify(self, title: str, text: str, level: str = "info", kind: str = "") -> None:
        """Queue a message (never blocks the caller)."""
        if self.channels:
            self._q.put(Message(title, text, level, kind))

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until queued messages are handled (tests, shutdown)."""
        if self._thread is None:
            while not self._q.empty():
                m = self._q.get_nowait()
                if m is not None:
                    self._dispatch(m)
            return
        done = threading.Event()
        self._flush_events.append(done)
        self._q.put(Message("__flush__", "", "", "__flush__"))
        done.wait(timeout)

    def close(self) -> None:
        """Stop the background thread after the queue drains."""
        if self._thread is not None:
            self._q.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _loop(self) -> None:
        while True:
            try:
                m = self._q.get(timeout=1.0)
            except queue.Empty:
                self._send_digests()
                continue
            if m is None:
                self._send_digests()
                return
            if m.kind == "__flush__":
                self._send_digests()
                while self._flush_events:
                    self._flush_events.pop().set()
                continue
            self._dispatch(m)

    def _dispatch(self, m: Message) -> None:
        for ch in self.channels:
            if self.limiters[ch.name].allow():
                self._send(ch, m.title, m.text)
            else:
                self.held[ch.name].append(m)

    def _send_digests(self) -> None:
        for ch in self.channels:
            held = self.held[ch.name]
            if held and self.limiters[ch.name].allow():
                self.held[ch.name] = []
                lines = [f"[{m.level}] {m.title}: {m.text}" for m in held[:50]]
                more = f"\n... and {len(held) - 50} more" if len(held) > 50 else ""
                self._send(ch, f"digest: {len(held)} messages", "\n".join(lines) + more)

    def _send(self, ch: Channel, title: str, text: str) -> None:
        try:
            ch.send(title, text)
            self.sent[ch.name] += 1
        except Exception as exc:  # noqa: BLE001 - a notification failure must never stop trading
            self.failed[ch.name] += 1
            logger.warning("notify failed channel={} error={}", ch.name, type(exc).__name__ + ": " + str(exc)[:200])


def build_notifier(cfg, background: bool = True) -> Notifier:
    """Notifier from config.schema.Notifications (only enabled channels with their secrets set)."""
    chans: list[Channel] = []
    d, w, e = cfg.dingtalk, cfg.wecom, cfg.email
    if d.enabled and d.webhook is not None:
        chans.append(DingTalkChannel(d.webhook.get_secret_value(), d.secret.get_secret_value() if d.secret else None))
    elif d.enabled:
        logger.warning("notify dingtalk enabled but no webhook: set env DINGTALK_WEBHOOK")
    if w.enabled and w.webhook is not None:
        chans.append(WeComChannel(w.webhook.get_secret_value()))
    elif w.enabled:
        logger.warning("notify wecom enabled but no webhook: set env WECOM_WEBHOOK")
    if e.enabled:
        chans.append(EmailChannel(e.smtp_host, e.smtp_port, e.use_ssl, e.username,
                                  e.password.get_secret_value() if e.password else None, e.sender, e.recipients))
    return Notifier(chans, cfg.rate_limit_per_minute, background=background)
