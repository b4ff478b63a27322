"""A loopback TCP server that answers with the bytes a test gives it, for answers the simulator
will not give (a body cut mid-way, trickled, endless, malformed).

Only the accept thread closes the listening socket, once ``close()`` has asked it to stop, and
each connection is closed by the thread that answers it. A socket closed by another thread
while ``accept()`` blocks on it stays that blocked call's file *number*: when the kernel
restarts the call (after the machine was paused, as CI's are), it accepts on whichever socket
took the number next. That is how a later test's simulator had its template answered by a
scripted server of ``tests/platform/test_stream.py`` in the CI of stop 21.
"""

from __future__ import annotations

import contextlib
import socket
import threading

ACCEPT_POLL = 0.05  # how soon a stopping server notices; also bounds close()
JOIN_BOUND = 10.0


class RawServer:
    """Subclasses implement ``answer(conn)``. ``threaded``: each connection on its own thread
    (for answers that take long); otherwise one after the other on the accept thread."""

    def __init__(self, threaded: bool = False) -> None:
        self.threaded = threaded
        self.stop = threading.Event()
        self.requests = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(ACCEPT_POLL)
        self.port: int = self._sock.getsockname()[1]
        self._answering: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._serve, daemon=True)
        self._accepting.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/apps/api/v1"

    def answer(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def read_head(self, conn: socket.socket) -> bytes:
        """The request up to its blank line (b"" when the client sent nothing)."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return b""
            data += chunk
        return data

    def _serve(self) -> None:
        with self._sock:
            while not self.stop.is_set():
                try:
                    conn, _ = self._sock.accept()
                except TimeoutError:
                    continue
                if self.threaded:
                    th = threading.Thread(target=self._answer, args=(conn,), daemon=True)
                    th.start()
                    self._answering.append(th)
                else:
                    self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        # a client that stops reading does not hang close(); one that cuts the connection ends
        # the answer
        with conn, contextlib.suppress(OSError):
            conn.settimeout(JOIN_BOUND / 2)
            self.answer(conn)

    def close(self) -> None:
        """Stop, and wait until no thread of this server is left."""
        self.stop.set()
        for th in [self._accepting, *self._answering]:
            th.join(JOIN_BOUND)
            if th.is_alive():
                raise RuntimeError(f"a thread of the test server on port {self.port} did not stop")
