"""The client against the simulator over real HTTP on loopback: happy paths, typed errors,
connection settings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconciler.platform import (
    AuthenticationError,
    ConnectionSettingsError,
    DncContact,
    JobStatus,
    NotFoundError,
    PlatformClient,
    RequestRejectedError,
    connect,
)
from reconciler.platform.client import USER_AGENT
from reconciler.simulator import SimulatorHandle
from reconciler.state import Tenant, UserStatus
from tests.helpers import find_job, template

ROWS = [
    {
        "email": "new.person@example.com",
        "first_name": "New",
        "last_name": "Person",
        "status": "Active",
        "roles": [{"name": "Agent", "value": 1}],
    }
]


def test_template_and_jobs(sim: SimulatorHandle, client_for: Callable[..., PlatformClient]):
    client = client_for(sim)
    rows = template(client)
    assert [r.email for r in rows] == [
        "user1@somedomain.com",
        "user2@somedomain.com",
        "user3@somedomain.com",
    ]
    james = rows[0]
    assert (james.first_name, james.status, james.location) == (
        "James",
        UserStatus.ACTIVE,
        "Mexico",
    )
    assert james.max_chat_limit == 2 and james.max_chat_limit_enabled is False
    assert rows[1].location is None and rows[1].max_chat_limit is None
    assert {m.name for m in james.roles} >= {"Admin", "Agent"}
    assert client.jobs() == []
    assert client.calls == Counter({"template": 1, "jobs": 1})
    assert sim.requests[0]["path"] == "/apps/api/v1/bulk/users/template"


def test_bulk_job_lifecycle(sim: SimulatorHandle, client_for: Callable[..., PlatformClient]):
    client = client_for(sim)
    job = client.upload(ROWS, "plan-0123.json")
    assert job.filename == "plan-0123.json"
    assert job.status in (JobStatus.CREATED, JobStatus.VALID_SCHEME)
    sim.tenant.wait_job(job.id, "valid_scheme", timeout=10)
    assert client.job(job.id).status is JobStatus.VALID_SCHEME
    assert find_job(client, "plan-0123.json") == client.job(job.id)
    assert find_job(client, "other.json") is None
    done = client.proceed(job.id)
    assert done.accepted
    sim.tenant.wait_job(job.id, "finished", timeout=10)
    assert client.scheme_errors(job.id) == []
    assert client.update_errors(job.id) == []
    emails = [r.email for r in template(client)]
    assert "new.person@example.com" in emails
    # upload = POST + re-read; proceed = POST + re-read.
    assert client.calls["upload"] == 1 and client.calls["proceed"] == 1
    assert client.calls["job"] == 4
    assert client.calls["jobs"] == 2


def test_replace_upload_and_scheme_errors(sim, client_for):
    client = client_for(sim)
    job = client.upload([{"email": "not-an-email", "first_name": "", "last_name": "X"}], "b.json")
    sim.tenant.wait_job(job.id, "invalid_scheme", timeout=10)
    errors = client.scheme_errors(job.id)
    assert errors and all(e.message for e in errors)
    replaced = client.replace_upload(job.id, ROWS, "b2.json")
    assert replaced.id == job.id and replaced.filename == "b2.json"
    sim.tenant.wait_job(job.id, "valid_scheme", timeout=10)
    assert client.calls["replace_upload"] == 1


def test_dnc_round_trip(sim: SimulatorHandle, client_for: Callable[..., PlatformClient]):
    client = client_for(sim)
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    added = client.dnc_add(
        [
            DncContact.build("+14155550100", later),
            DncContact.build("+1-(358)-213-1634"),
            DncContact.build("911"),
        ]
    )
    assert [a.status for a in added] == ["created", "created", "failed"]
    assert added[2].error == "emergency phone number is not allowed"
    check = client.dnc_check("+14155550100")
    assert check.do_not_call is True and check.expired_at == later
    removed = client.dnc_remove(["+14155550100", "+14155550199"])
    assert [r.status for r in removed] == ["removed", "not_found"]
    assert client.dnc_check("+14155550100").do_not_call is False
    assert client.dnc_add([]) == [] and client.dnc_remove([]) == []
    assert client.calls == Counter({"dnc_add": 1, "dnc_check": 2, "dnc_remove": 1})


def test_user_agent_and_basic_auth(sim, client_for):
    import requests

    client = client_for(sim)
    client.jobs()
    assert client._session.headers["User-Agent"] == USER_AGENT
    assert requests.get(sim.url("bulk/users/jobs"), timeout=5).status_code == 401


# --- typed errors ---------------------------------------------------------------------------


def test_401_names_tenant_and_variable(sim, client_for):
    client = client_for(sim, env={"CCAI_API_TOKEN": "wrong", "CCAI_SUBDOMAIN": sim.subdomain})
    with pytest.raises(AuthenticationError) as info:
        template(client)
    assert str(info.value).startswith("authentication failed for tenant demo: check CCAI_API_TOKEN")
    assert client.calls["template"] == 1  # never retried


def test_401_names_the_token_file_the_token_came_from(tmp_path: Path, sim, client_for) -> None:
    f = tmp_path / "token"
    f.write_text("wrong\n")
    client = client_for(sim, env={"CCAI_SUBDOMAIN": sim.subdomain}, token_file=f)
    with pytest.raises(AuthenticationError) as info:
        template(client)
    assert f"check the token file {f} (GET /bulk/users/template)" in str(info.value)
    assert "wrong" not in str(info.value)


def test_404_on_base_blames_address(sim, client_for):
    client = client_for(sim, base_url=sim.base_url.replace("/v1", "/v9"))
    with pytest.raises(NotFoundError) as info:
        template(client)
    assert "resource not found: check the subdomain and domain" in str(info.value)


def test_404_job_and_400_proceed_carry_server_message(sim, client_for):
    client = client_for(sim)
    with pytest.raises(NotFoundError) as info:
        client.job(999)
    assert str(info.value) == "Not Found (GET /bulk/users/jobs/999, HTTP 404)"
    job = client.upload(ROWS, "c.json")
    sim.tenant.wait_job(job.id, "valid_scheme", timeout=10)
    client.proceed(job.id)
    sim.tenant.wait_job(job.id, "finished", timeout=10)
    with pytest.raises(RequestRejectedError) as rejected:
        client.proceed(job.id)
    assert rejected.value.server_message == "This job cannot proceed update. status: finished"
    assert "POST /bulk/users/proceed" in str(rejected.value)
    with pytest.raises(NotFoundError) as finished:
        client.replace_upload(job.id, ROWS, "c.json")
    assert "Can't update JSON. job status: finished" in str(finished.value)


# --- connection settings --------------------------------------------------------------------


def test_missing_token_names_variable() -> None:
    with pytest.raises(ConnectionSettingsError) as info:
        connect(Tenant("acme", "example.com"), env={})
    assert "CCAI_API_TOKEN" in str(info.value) and "--token-file" in str(info.value)


def test_url_from_tenant_and_env_precedence() -> None:
    with connect(Tenant("acme", "example.com"), env={"CCAI_API_TOKEN": "t"}) as c:
        assert c.base_url == "https://acme.example.com/apps/api/v1"
        assert c.subdomain == "acme"
    env = {"CCAI_API_TOKEN": "t", "CCAI_SUBDOMAIN": "other", "CCAI_DOMAIN": "ccai.test"}
    with connect(Tenant("acme", "example.com"), env=env) as c:
        assert c.base_url == "https://other.ccai.test/apps/api/v1"
    with connect(None, env={**env, "CCAI_BASE_URL": "https://proxy.local:8443/x/"}) as c:
        assert c.base_url == "https://proxy.local:8443/x"
        assert c.subdomain == "other"


@pytest.mark.parametrize(
    "url",
    [
        "http://acme.example.com/apps/api/v1",
        "http://10.0.0.1:8080/apps/api/v1",
        "ftp://127.0.0.1/x",
        "https://demo:secret@acme.example.com/apps/api/v1",
    ],
)
def test_insecure_or_odd_urls_refused(url: str) -> None:
    env = {"CCAI_API_TOKEN": "t", "CCAI_SUBDOMAIN": "demo"}
    with pytest.raises(ConnectionSettingsError) as info:
        connect(base_url=url, env=env)
    assert "secret" not in str(info.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.4.5", "localhost", "[::1]"])
def test_http_allowed_on_loopback(host: str) -> None:
    env = {"CCAI_API_TOKEN": "t", "CCAI_SUBDOMAIN": "demo"}
    with connect(base_url=f"http://{host}:8080/apps/api/v1", env=env) as c:
        assert c.base_url.startswith("http://")


def test_missing_address() -> None:
    with pytest.raises(ConnectionSettingsError) as info:
        connect(Tenant(subdomain="acme"), env={"CCAI_API_TOKEN": "t"})
    assert "CCAI_DOMAIN" in str(info.value) and "CCAI_SUBDOMAIN" not in str(info.value)
    with pytest.raises(ConnectionSettingsError, match="CCAI_SUBDOMAIN"):
        connect(base_url="http://127.0.0.1:1/apps/api/v1", env={"CCAI_API_TOKEN": "t"})


def test_token_file(tmp_path: Path, sim, client_for) -> None:
    f = tmp_path / "token"
    f.write_text(sim.token + "\n")
    client = client_for(
        sim, env={"CCAI_SUBDOMAIN": sim.subdomain, "CCAI_API_TOKEN": "wrong"}, token_file=f
    )
    assert client.jobs() == []
    with pytest.raises(ConnectionSettingsError, match="cannot read the token file"):
        connect(Tenant("a", "b.c"), token_file=tmp_path / "missing", env={})
    (tmp_path / "empty").write_text("  \n")
    with pytest.raises(ConnectionSettingsError, match="is empty"):
        connect(Tenant("a", "b.c"), token_file=tmp_path / "empty", env={})


def test_bad_rate() -> None:
    with pytest.raises(ConnectionSettingsError, match="--rate"):
        connect(Tenant("a", "b.c"), env={"CCAI_API_TOKEN": "t"}, rate=0)


def test_unreachable_host_is_a_transport_error(client_for, sim) -> None:
    from reconciler.platform import TransportError

    sim.stop()  # nothing listens on that port any more
    client = client_for(sim)
    with pytest.raises(TransportError) as info:
        template(client)
    assert "GET /bulk/users/template failed: connection error" in str(info.value)
    assert client.calls["template"] > 1  # retried before giving up
