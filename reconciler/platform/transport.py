"""A total time bound for one HTTP exchange, which requests does not have.

requests' ``timeout`` bounds the connect and *each* socket read, so a server that sends its
answer one byte at a time (status line, headers or body) keeps a request alive for ever. Here a
:class:`Watchdog` armed for the request's remaining time shuts the connection's socket down at
its deadline; the blocked read then returns at once, requests raises, and the caller, seeing
``watchdog.fired``, reports a deadline instead of a transport error.

The socket is found through the connection pool: :class:`WatchedAdapter` makes urllib3 use
pools whose ``_get_conn`` hands the connection about to be used to the watchdog of the current
thread. A connection obtained before the deadline but not yet connected is shut down as soon as
its socket exists (the watchdog re-checks every few milliseconds after firing).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

RECHECK = 0.02  # seconds between attempts to shut a connection that had no socket yet

_current = threading.local()


def _shutdown(conn: Any) -> bool:
    """Shut the connection's socket down (both directions); False if it has none yet."""
    sock = getattr(conn, "sock", None)
    if sock is None:
        return False
    # The plain socket method, also for an SSL socket: SSLSocket.shutdown would unwrap the TLS
    # object under the feet of the thread blocked reading it.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    return True


class Watchdog:
    """``with Watchdog(seconds): session.request(...)``: at most ``seconds`` for the exchange
    (connect, send, headers and body) made in this thread inside the block."""

    def __init__(self, seconds: float) -> None:
        self.seconds = max(0.0, seconds)
        self.fired = False
        self._conn: Any = None
        self._done = False
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def attach(self, conn: Any) -> None:
        with self._lock:
            self._conn = conn
            if self.fired:
                _shutdown(conn)

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            if self._conn is not None and _shutdown(self._conn):
                return
            self._arm(RECHECK)  # no socket yet: try again until the block ends

    def _arm(self, seconds: float) -> None:
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def __enter__(self) -> Watchdog:
        _current.watchdog = self
        with self._lock:
            self._arm(self.seconds)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _current.watchdog = None
        with self._lock:
            self._done = True
            if self._timer is not None:
                self._timer.cancel()


def _watch(conn: Any) -> Any:
    watchdog = getattr(_current, "watchdog", None)
    if watchdog is not None:
        watchdog.attach(conn)
    return conn


class _WatchedHTTPPool(HTTPConnectionPool):
    def _get_conn(self, timeout: float | None = None) -> Any:
        return _watch(super()._get_conn(timeout))


class _WatchedHTTPSPool(HTTPSConnectionPool):
    def _get_conn(self, timeout: float | None = None) -> Any:
        return _watch(super()._get_conn(timeout))


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter with pools that report their connections to the current watchdog
    (also through an HTTP(S) proxy; a SOCKS proxy keeps its own pools and only the per-read
    timeouts)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager
