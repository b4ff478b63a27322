"""A recognisable token never shows: not in output (verbose included), logs, exception
messages or reprs, on success and failure paths."""

from __future__ import annotations

import base64
import logging
import random
import threading
from collections.abc import Iterator

import click
import pytest
import requests
from click.testing import CliRunner
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from reconciler.commands._options import connection_options, open_client
from reconciler.platform import (
    AuthenticationError,
    ConnectionSettingsError,
    DncContact,
    MalformedResponseError,
    NotFoundError,
    PlatformClient,
    RetryPolicy,
    TransportError,
    connect,
)
from reconciler.state import Tenant
from tests.helpers import template

TOKEN = "SeCrEt-T0ken-zx81Q"
WRONG = "WrOng-T0ken-qq77P"
SECRETS = (TOKEN, WRONG)


def chain_text(err: BaseException) -> str:
    parts = []
    seen: BaseException | None = err
    while seen is not None:
        parts += [str(seen), repr(seen), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


# The Authorization header's value (base64 of "subdomain:token") must not leak either.
ENCODED = tuple(base64.b64encode(f"demo:{s}".encode()).decode() for s in SECRETS)


def assert_clean(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS + ENCODED:
            assert secret not in text


@pytest.fixture
def sim(sim_factory):
    return sim_factory(token=TOKEN)


def test_token_never_shown(sim, capsys, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    lines: list[str] = []
    env = {"CCAI_API_TOKEN": TOKEN, "CCAI_SUBDOMAIN": sim.subdomain}
    errors: list[BaseException] = []
    with connect(base_url=sim.base_url, env=env, rate=1000, verbose=True) as client:
        assert_clean(repr(client), str(client.__dict__.get("retry")))
        template(client)
        job = client.upload([{"email": "a@b.c", "first_name": "A", "last_name": "B"}], "s.json")
        sim.tenant.wait_job(job.id, "valid_scheme", timeout=10)
        client.proceed(job.id)
        client.dnc_add([DncContact.build("+14155550100")])
        client.dnc_check("+14155550100")
        client.dnc_remove(["+14155550100"])
        with pytest.raises(NotFoundError) as nf:
            client.job(12345)
        errors.append(nf.value)
    with connect(
        base_url=sim.base_url,
        env={**env, "CCAI_API_TOKEN": WRONG},
        verbose=True,
        rate=1000,
        echo=lines.append,
    ) as bad:
        with pytest.raises(AuthenticationError) as auth:
            template(bad)
        errors.append(auth.value)
    with pytest.raises(ConnectionSettingsError) as insecure:
        connect(base_url="http://example.com/apps/api/v1", env=env)
    errors.append(insecure.value)
    sim.stop()
    with connect(base_url=sim.base_url, env=env, rate=1000, verbose=True) as gone:
        gone.retry.deadline = 0.2
        with pytest.raises(TransportError) as down:
            gone.dnc_check("+14155550100")
        errors.append(down.value)
    # No exception chain holds requests' exception (its request carries the auth header).
    seen: BaseException | None = down.value
    while seen is not None:
        assert not isinstance(seen, requests.RequestException)
        seen = seen.__cause__ or seen.__context__
    out, err = capsys.readouterr()
    assert "GET /bulk/users/template -> 200" in err  # verbose goes to stderr
    assert "POST /bulk/users/upload -> 200" in err
    assert "GET /bulk/users/template -> 401" in "\n".join(lines)
    assert_clean(out, err, caplog.text, "\n".join(lines), *(chain_text(e) for e in errors))


def test_cli_options_verbose_and_token_file(sim, tmp_path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)

    @click.command()
    @connection_options
    def probe(**conn: object) -> None:
        with open_client(Tenant(subdomain=sim.subdomain), **conn) as client:  # type: ignore[arg-type]
            assert isinstance(client, PlatformClient)
            click.echo(f"users={len(template(client))} rate={client.throttle.rate:g}")
            click.echo(repr(client))

    runner = CliRunner()
    result = runner.invoke(
        probe,
        ["--token-file", str(token_file), "-v", "--rate", "50"],
        env={"CCAI_BASE_URL": sim.base_url, "CCAI_API_TOKEN": WRONG},
    )
    assert result.exit_code == 0, result.output
    assert "users=3 rate=50" in result.stdout
    assert "GET /bulk/users/template -> 200" in result.stderr
    assert_clean(result.output, result.stderr)
    bad = runner.invoke(probe, ["--rate", "0"], env={"CCAI_BASE_URL": sim.base_url})
    assert bad.exit_code == 2 and "--rate" in bad.output


@pytest.fixture
def broken_server() -> Iterator[str]:
    """A real HTTP server that answers like a broken proxy: HTML, truncated JSON."""

    @Request.application
    def app(request: Request) -> Response:
        if request.path.endswith("/template"):
            return Response(
                '[{"email": "a@b.c", "first_name": "A", "roles": [{"na',
                content_type="application/json",
            )
        if request.path.endswith("/jobs"):
            return Response(
                "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1>",
                status=200,
                content_type="text/html",
            )
        return Response(
            "<html><body>Bad Gateway</body></html>", status=502, content_type="text/html"
        )

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}/apps/api/v1"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def test_malformed_bodies_are_clear_errors(broken_server: str) -> None:
    env = {"CCAI_API_TOKEN": TOKEN, "CCAI_SUBDOMAIN": "demo"}
    retry = RetryPolicy(base=0.01, cap=0.02, deadline=0.3, rng=random.Random(0))
    with connect(base_url=broken_server, env=env, rate=1000, retry=retry) as client:
        with pytest.raises(MalformedResponseError) as truncated:
            template(client)
        assert "is not valid JSON" in str(truncated.value)
        assert '[{"email": "a@b.c"' in str(truncated.value)
        with pytest.raises(MalformedResponseError) as html:
            client.jobs()
        assert "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1>" in str(html.value)
        from reconciler.platform import ServerError

        with pytest.raises(ServerError) as gateway:
            client.dnc_check("+14155550100")
        assert "HTTP 502" in str(gateway.value) and "Bad Gateway" in str(gateway.value)
        assert client.calls["dnc_check"] >= 2  # 5xx is retried until the deadline
        assert_clean(chain_text(truncated.value), chain_text(html.value), chain_text(gateway.value))
