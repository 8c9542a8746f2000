"""A loopback TCP proxy the tests use to cut and restore the connection to MySQL without touching the server."""
from __future__ import annotations

import socket
import threading
import time


class TcpProxy:
    """Forwards 127.0.0.1:<port> to an upstream host:port; cut() drops every connection and refuses new ones."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._socks: set[socket.socket] = set()
        self._cut = False
        self._stalled = threading.Event()  # set: connections stay open but nothing is forwarded
        self._closed = False
        self.connections = 0
        self._thread = threading.Thread(target=self._accept_loop, name="tcpproxy", daemon=True)
        self._thread.start()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                cut = self._cut
            if cut:
                _hard_close(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _hard_close(client)
                continue
            server.settimeout(None)
            with self._lock:
                cut = self._cut            # cut() while this connection was being made: it must not escape the cut
                if not cut:
                    self._socks.update((client, server))
                    self.connections += 1
            if cut:
                _hard_close(client)
                _hard_close(server)
                continue
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                while self._stalled.is_set() and not self._closed:  # hold the bytes, like a dead route
                    time.sleep(0.05)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                _hard_close(s)
                with self._lock:
                    self._socks.discard(s)

    def cut(self) -> None:
        """Drop every open connection (RST) and refuse new ones until restore()."""
        with self._lock:
            self._cut = True
            socks = list(self._socks)
        for s in socks:
            _hard_close(s)

    def stall(self) -> None:
        """Keep connections open but forward nothing (packets lost on the way, no RST): only timeouts notice."""
        self._stalled.set()

    def restore(self) -> None:
        """Accept and forward connections again (also ends a stall)."""
        self._stalled.clear()
        with self._lock:
            self._cut = False

    def close(self) -> None:
        """Stop listening and drop everything."""
        self._closed = True
        self.cut()
        self._listener.close()


def _hard_close(s: socket.socket) -> None:
    """Reset the connection now. close() alone does not: while a pump thread is blocked in recv() on the socket
    the kernel keeps it open (no RST), and a server session idle in a transaction would keep its locks until
    wait_timeout; shutdown() wakes that recv() and ends the connection."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    except OSError:
        pass
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass
