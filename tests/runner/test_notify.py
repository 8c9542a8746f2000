"""Notifications against a LOCAL HTTP server (DingTalk/WeCom robots) and a LOCAL SMTP server on 127.0.0.1."""
from __future__ import annotations

import base64
import hashlib
import hmac
import socketserver
import threading
import urllib.parse

import pytest
from loguru import logger

from bridge.notify import (
    DingTalkChannel,
    EmailChannel,
    Notifier,
    WeComChannel,
    build_notifier,
)
from config.schema import Notifications


class _SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self):
        box = self.server.box
        self.wfile.write(b"220 localhost ESMTP test\r\n")
        data_mode, lines, mail = False, [], {}
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if data_mode:
                if line == ".":
                    data_mode = False
                    mail["data"] = "\n".join(lines)
                    box.append(mail)
                    mail, lines = {}, []
                    self.wfile.write(b"250 OK queued\r\n")
                else:
                    lines.append(line[1:] if line.startswith("..") else line)
                continue
            cmd = line[:4].upper()
            if cmd == "EHLO":
                self.wfile.write(b"250-localhost\r\n250 AUTH PLAIN LOGIN\r\n")
            elif cmd == "HELO":
                self.wfile.write(b"250 localhost\r\n")
            elif cmd == "AUTH":
                mail["auth"] = line
                self.wfile.write(b"235 2.7.0 Authentication successful\r\n")
            elif cmd == "MAIL":
                mail["from"] = line
                self.wfile.write(b"250 OK\r\n")
            elif cmd == "RCPT":
                mail.setdefault("rcpt", []).append(line)
                self.wfile.write(b"250 OK\r\n")
            elif cmd == "DATA":
                data_mode = True
                self.wfile.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
            elif cmd == "QUIT":
                self.wfile.write(b"221 Bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


@pytest.fixture
def smtp_server():
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    srv.daemon_threads = True
    srv.box = []
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1], srv.box
    srv.shutdown()
    srv.server_close()


def test_dingtalk_signature_verifies(robot):
    base, handler = robot
    secret = "SECabc123secretvalue"
    DingTalkChannel(f"{base}/robot/send?access_token=tok123", secret).send("fill", "510300.SH 1000 @ 4.001")
    path, body = handler.received[0]
    q = urllib.parse.parse_qs(urllib.parse.urlparse(path).query)
    ts = q["timestamp"][0]
    expect = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()).decode()
    assert q["sign"][0] == expect and q["access_token"][0] == "tok123"
    assert body["msgtype"] == "text" and "510300.SH" in body["text"]["content"]


def test_wecom_and_error_answer(robot):
    base, handler = robot
    WeComChannel(f"{base}/cgi-bin/webhook/send?key=K1").send("t", "x")
    assert handler.received[0][1]["text"]["content"] == "t\nx"
    handler.answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
    with pytest.raises(RuntimeError, match="93000"):
        WeComChannel(f"{base}/cgi-bin/webhook/send?key=K1").send("t", "x")


def test_email_via_local_smtp(smtp_server):
    port, box = smtp_server
    ch = EmailChannel("127.0.0.1", port, False, "bot", "pw-secret", "bot@example.org", ("a@example.org", "b@example.org"))
    ch.send("exit 600000.SH", "stop_loss at 9.70")
    assert len(box) == 1 and len(box[0]["rcpt"]) == 2
    assert "Subject: exit 600000.SH" in box[0]["data"] and "stop_loss at 9.70" in box[0]["data"]
    assert box[0]["auth"].startswith("AUTH")


def test_rate_limit_digest_and_secrets_not_logged(robot):
    base, handler = robot
    now = [0.0]
    records = []
    sink = logger.add(lambda m: records.append(str(m)), level="DEBUG")
    try:
        n = Notifier([WeComChannel(f"{base}/send?key=SECRETKEY999")], per_minute=20, clock=lambda: now[0],
                     background=False)
        for i in range(30):
            n.notify(f"signal {i}", "x")
        n.flush()
        assert len(handler.received) == 20 and len(n.held["wecom"]) == 10
        now[0] = 61.0
        n._send_digests()
        assert len(handler.received) == 21
        assert "digest: 10 messages" in handler.received[-1][1]["text"]["content"]
        handler.answer = {"errcode": 1, "errmsg": "bad"}
        n.notify("x", "y")
        n.flush()
        assert n.failed["wecom"] == 1
    finally:
        logger.remove(sink)
    assert records and not any("SECRETKEY999" in r for r in records)


def test_background_notifier_and_config(robot, monkeypatch):
    base, handler = robot
    cfg = Notifications.model_validate({"rate_limit_per_minute": 5, "dingtalk": {"enabled": True,
                                        "webhook": f"{base}/robot/send?access_token=T", "secret": "S1"},
                                        "wecom": {"enabled": True, "webhook": f"{base}/wecom?key=K"}})
    n = build_notifier(cfg)
    try:
        assert n.channel_names == "dingtalk,wecom"
        n.notify("risk halt", "kill switch", "critical", "risk")
        n.flush()
        assert len(handler.received) == 2
    finally:
        n.close()
