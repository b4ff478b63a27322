"""The raw test server (tests/rawserver.py) leaves nothing behind that could answer a later
test: after close() none of its threads is alive and its port refuses connections. Before,
close() shut the listening socket under a blocked accept() and waited 5 s for a thread that
stayed blocked on the socket's file number (CI of stop 21: a later simulator's template was
answered by that thread)."""

from __future__ import annotations

import socket

import pytest

from tests.rawserver import RawServer


class Echo(RawServer):
    def answer(self, conn: socket.socket) -> None:
        if self.read_head(conn):
            self.requests += 1
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


@pytest.mark.parametrize("threaded", [False, True])
def test_close_leaves_no_thread_and_no_listener(threaded: bool) -> None:
    server = Echo(threaded=threaded)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as c:
        c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.recv(100).endswith(b"ok")
    threads = [server._accepting, *server._answering]
    server.close()
    assert server.requests == 1
    assert not any(th.is_alive() for th in threads)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
    # a socket that now takes the closed one's file number has its connections to itself
    with socket.create_server(("127.0.0.1", 0)) as later:
        later.settimeout(5)
        with socket.create_connection(later.getsockname(), timeout=5):
            conn, _ = later.accept()
            conn.close()
