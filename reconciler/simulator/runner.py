"""Running the simulator: a werkzeug server on a background thread around one
:class:`Simulator`, and the tenant it serves (from a state file, a seed or the default). The
command line (``ccai-reconciler simulator``, reconciler/commands/simulator.py) goes through
:func:`start_simulator`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from reconciler.simulator.clock import Clock
from reconciler.simulator.server import PREFIX, Simulator
from reconciler.simulator.tenant import Tenant, default_seed, load_json_file


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr (the simulator keeps its own request log)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error":
            super().log(type, message, *args)


@dataclass
class SimulatorHandle:
    """A running simulator: where it is and what it holds."""

    base_url: str
    subdomain: str
    token: str = field(repr=False)
    tenant: Tenant
    host: str
    port: int
    app: Simulator = field(repr=False)
    _server: BaseWSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The request log so far (a copy), oldest first."""
        with self.app._log_lock:
            return [dict(r) for r in self.app.requests]

    @property
    def auth(self) -> tuple[str, str]:
        return (self.subdomain, self.token)

    @property
    def clock(self) -> Clock:
        return self.tenant.clock

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()
        self.app.close()


def build_tenant(
    seed: dict[str, Any] | str | Path | None = None,
    *,
    subdomain: str | None = None,
    token: str | None = None,
    now: datetime | None = None,
    state_file: str | Path | None = None,
) -> Tenant:
    """The tenant to serve: the state file when it exists, else the seed, else the default."""
    clock = Clock(now)
    if state_file is not None and Path(state_file).exists():
        tenant = Tenant.from_seed(load_json_file(state_file), clock=clock, source=str(state_file))
    elif isinstance(seed, (str, Path)):
        tenant = Tenant.from_seed(load_json_file(seed), clock=clock, source=str(seed))
    else:
        tenant = Tenant.from_seed(seed if seed is not None else default_seed(), clock=clock)
    if subdomain:
        tenant.subdomain = subdomain
    if token:
        tenant.token = token
    if state_file is not None:
        tenant.state_file = Path(state_file)
        with tenant.lock:
            tenant.mark_changed()
        tenant.save_if_dirty()
    return tenant


def start_simulator(
    seed: dict[str, Any] | str | Path | None = None,
    *,
    subdomain: str | None = None,
    token: str | None = None,
    rate_limit: float = 0.0,
    validation_delay: float = 0.05,
    row_delay: float = 0.0,
    now: datetime | None = None,
    faults: str | None = None,
    fault_seed: int = 0,
    state_file: str | Path | None = None,
    request_log: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> SimulatorHandle:
    """Start serving on a background thread; call ``handle.stop()`` when done."""
    tenant = build_tenant(seed, subdomain=subdomain, token=token, now=now, state_file=state_file)
    app = Simulator(
        tenant,
        rate_limit=rate_limit,
        validation_delay=validation_delay,
        row_delay=row_delay,
        faults=faults,
        fault_seed=fault_seed,
        request_log=request_log,
    )
    server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
    app.start()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    shown = f"[{host}]" if ":" in host else host
    return SimulatorHandle(
        base_url=f"http://{shown}:{server.port}{PREFIX}",
        subdomain=tenant.subdomain,
        token=tenant.token,
        tenant=tenant,
        host=host,
        port=server.port,
        app=app,
        _server=server,
        _thread=thread,
    )


@contextmanager
def run_simulator(
    seed: dict[str, Any] | str | Path | None = None, **kwargs: Any
) -> Iterator[SimulatorHandle]:
    """Serve a tenant on a free loopback port for the duration of the ``with`` block."""
    handle = start_simulator(seed, **kwargs)
    try:
        yield handle
    finally:
        handle.stop()
