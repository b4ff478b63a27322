"""``ccai-reconciler simulator``: serve a local CCAI Platform tenant (see docs/simulator.md)."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from types import FrameType

import click

from reconciler.commands._options import number_option, path_option
from reconciler.errors import ReconcilerError
from reconciler.simulator import FaultSpec, FaultSpecError, SeedError, start_simulator
from reconciler.simulator.clock import parse_instant

#: Seconds or a rate: 0 or more.
SECONDS = click.FloatRange(min=0)


class SimulatorError(ReconcilerError):
    """The simulator cannot start (bad seed, state file, option or address)."""


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise SimulatorError(f"--now: {value!r} is not an ISO 8601 date/time") from None


@click.command("simulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@number_option(
    "--port",
    kind=click.IntRange(0, 65535),
    default=8080,
    help="Port (0 picks a free one; the ready line shows it).",
)
@path_option(
    "--seed", help="Initial tenant (JSON, see docs/simulator.md). Default: the reference's example."
)
@path_option(
    "--state",
    "state_file",
    help="Persist the tenant here after every change; reloaded on start (wins over --seed).",
)
@click.option("--subdomain", help="Tenant subdomain (the Basic-auth user name).")
@click.option("--token", envvar="CCAI_SIMULATOR_TOKEN", help="API token (the Basic password).")
@number_option(
    "--rate-limit",
    kind=SECONDS,
    default=1.0,
    help="Requests per second per tenant; 0 turns the limit off.",
)
@number_option(
    "--validation-delay",
    kind=SECONDS,
    default=1.0,
    help="Seconds from upload to valid_scheme / invalid_scheme.",
)
@number_option(
    "--row-delay", kind=SECONDS, default=0.001, help="Seconds per row while a job is in progress."
)
@click.option("--now", help="Start the clock at this ISO 8601 instant (it then runs on).")
@click.option("--faults", help="Fault injection, e.g. 5xx=0.1,429=0.05,reset=0.02,latency=0.3.")
@click.option("--fault-seed", type=int, default=0, show_default=True, help="Seed of the faults.")
@path_option(
    "--request-log",
    help="Append one JSON line per request (time, method, path, query, status, duration).",
)
def command(
    host: str,
    port: int,
    seed: Path | None,
    state_file: Path | None,
    subdomain: str | None,
    token: str | None,
    rate_limit: float,
    validation_delay: float,
    row_delay: float,
    now: str | None,
    faults: str | None,
    fault_seed: int,
    request_log: Path | None,
) -> None:
    """Serve a simulated tenant (bulk users and DNC of the Apps API) until SIGINT/SIGTERM.

    Prints "serving tenant SUBDOMAIN at http://HOST:PORT/apps/api/v1" when ready.
    """
    try:
        FaultSpec.parse(faults)
    except FaultSpecError as err:
        raise SimulatorError(f"--faults: {err}") from None
    start = _instant(now)
    try:
        handle = start_simulator(
            seed,
            subdomain=subdomain,
            token=token,
            rate_limit=rate_limit,
            validation_delay=validation_delay,
            row_delay=row_delay,
            now=start,
            faults=faults,
            fault_seed=fault_seed,
            state_file=state_file,
            request_log=request_log,
            host=host,
            port=port,
        )
    except SeedError as err:
        raise SimulatorError(str(err)) from None
    except SystemExit:  # werkzeug reports a failed bind on stderr and exits
        raise SimulatorError(f"cannot listen on {host}:{port}") from None
    except OSError as err:
        raise SimulatorError(f"cannot start: {err.strerror or err}") from None

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if host not in ("127.0.0.1", "localhost", "::1"):
            click.echo(f"warning: serving plain HTTP on {host}, not only loopback", err=True)
        click.echo(f"serving tenant {handle.subdomain} at {handle.base_url}")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        handle.stop()
        for s, h in previous.items():
            signal.signal(s, h)
    click.echo("simulator stopped", err=True)
