"""Rate limiting (the one place the limiter is on), fault injection, authentication."""

from __future__ import annotations

import time

import pytest
import requests

from reconciler.simulator import FaultSpec, FaultSpecError, SimulatorHandle
from reconciler.simulator.faults import FaultInjector
from reconciler.simulator.ratelimit import TOLERANCE, RateLimiter

from .simhelpers import TIMEOUT, get, post_json, proceed, upload


# ---------------------------------------------------------------- rate limit
def test_limiter_unit() -> None:
    lim = RateLimiter(1.0)
    assert lim.admit(100.0) is None
    assert lim.admit(100.2) == 1  # 0.8 s early: Retry-After rounds up
    assert lim.admit(100.96) is None  # refusals did not move the window; within tolerance
    assert lim.admit(101.96 - TOLERANCE + 0.001) is None
    assert lim.admit(102.0) == 1  # 0.96 s after the last admitted one: refused
    slow = RateLimiter(0.25)
    assert slow.admit(0.0) is None
    assert slow.admit(0.5) == 4  # 3.5 s left -> 4
    assert RateLimiter(0).admit(0.0) is None


def test_429_with_retry_after(sim_factory) -> None:
    sim = sim_factory(rate_limit=1.0)
    first = get(sim, "bulk/users/template")
    second = get(sim, "bulk/users/template")
    assert first.status_code == 200
    assert second.status_code == 429
    assert second.json() == {"message": "Too Many Requests"}
    assert second.headers["Retry-After"] == "1"
    # refused before authentication: a bad token is refused with 429 too, and costs nothing
    assert get(sim, "bulk/users/template", auth=("demo", "x")).status_code == 429
    assert [e["status"] for e in sim.requests] == [200, 429, 429]


def test_client_spacing_requests_at_the_rate_is_never_refused(sim_factory) -> None:
    sim = sim_factory(rate_limit=10.0)
    interval = 1 / 10
    statuses = []
    with requests.Session() as s:
        s.auth = sim.auth
        last_sent = -1.0
        for _ in range(8):
            delay = last_sent + interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # the client's own pacing under test, not synchronisation
            last_sent = time.monotonic()
            r = s.get(sim.url("outbound_dialer/dnc/check?phone_number=4155550100"), timeout=5)
            statuses.append(r.status_code)
    assert statuses == [200] * 8
    gaps = [b["time"] - a["time"] for a, b in zip(sim.requests, sim.requests[1:], strict=False)]
    assert min(gaps) > interval - 0.05


def test_burst_is_refused_and_refusals_do_not_consume_quota(sim_factory) -> None:
    sim = sim_factory(rate_limit=4.0)
    with requests.Session() as s:
        s.auth = sim.auth
        codes = [s.get(sim.url("bulk/users/jobs"), timeout=5).status_code for _ in range(5)]
        assert codes[0] == 200 and codes[1:] == [429] * 4
        first = sim.requests[0]["time"]
        # the next admitted request only needs 0.25 s after the first, however many refusals
        while time.time() < first + 0.25:
            time.sleep(0.01)
        assert s.get(sim.url("bulk/users/jobs"), timeout=5).status_code == 200


# ---------------------------------------------------------------- faults
def test_fault_spec_parse() -> None:
    spec = FaultSpec.parse("5xx=0.1, 429=0.05,reset=0.02,latency=0.3,stall=job")
    assert (spec.p5xx, spec.p429, spec.preset, spec.latency, spec.pstall) == (
        0.1,
        0.05,
        0.02,
        0.3,
        1.0,
    )
    assert FaultSpec.parse("stall=0.5,stall_time=2").stall_time == 2.0
    assert not FaultSpec.parse(None).active
    for bad in ("5xx", "5xx=abc", "reset=1.5", "x=1", "5xx=0.6,429=0.6"):
        with pytest.raises(FaultSpecError):
            FaultSpec.parse(bad)


def test_fault_injector_is_deterministic() -> None:
    spec = FaultSpec.parse("5xx=0.2,429=0.2,reset=0.2,latency=0.1")
    a = [FaultInjector(spec, 7).for_request() for _ in range(1)]
    one, two, other = FaultInjector(spec, 7), FaultInjector(spec, 7), FaultInjector(spec, 8)
    seq1 = [one.for_request() for _ in range(200)]
    seq2 = [two.for_request() for _ in range(200)]
    seq3 = [other.for_request() for _ in range(200)]
    assert seq1 == seq2 != seq3
    assert a[0] == seq1[0]
    kinds = {f.kind for f in seq1}
    assert kinds == {None, "500", "503", "429", "reset_before", "reset_after"}
    assert all(0 <= f.latency <= 0.1 for f in seq1)


def _outcomes(sim: SimulatorHandle, n: int) -> list[object]:
    out: list[object] = []
    for i in range(n):
        try:
            r = post_json(
                sim, "outbound_dialer/dnc", {"contacts": [{"phone_number": f"41555501{i:02d}"}]}
            )
            out.append(r.status_code)
        except requests.ConnectionError:
            out.append("dropped")
    return out


def test_faults_over_http_are_reproducible(sim_factory) -> None:
    faults = "5xx=0.2,429=0.1,reset=0.2"
    first = sim_factory(faults=faults, fault_seed=42)
    second = sim_factory(faults=faults, fault_seed=42)
    a, b = _outcomes(first, 40), _outcomes(second, 40)
    assert a == b
    assert {200, 500, 503, 429, "dropped"} <= set(a)
    assert first.tenant.dnc_snapshot() == second.tenant.dnc_snapshot()
    # a spurious 429 looks like the real one
    statuses = [e["status"] for e in first.requests]
    assert statuses.count(None) == a.count("dropped")


def test_reset_before_and_after(sim_factory) -> None:
    sim = sim_factory(faults="reset=1.0", fault_seed=1)
    outcomes = _outcomes(sim, 12)
    assert outcomes == ["dropped"] * 12  # the client really sees a connection error
    applied = sim.tenant.dnc_snapshot()
    # some requests were applied without an answer, some were not applied at all
    assert 0 < len(applied) < 12
    injector = FaultInjector(FaultSpec.parse("reset=1.0"), 1)
    kinds = [injector.for_request().kind for _ in range(12)]
    expected = {f"+141555501{i:02d}" for i, k in enumerate(kinds) if k == "reset_after"}
    assert set(applied) == expected


def test_5xx_does_not_apply_and_latency_delays(sim_factory) -> None:
    sim = sim_factory(faults="5xx=1.0")
    r = post_json(sim, "outbound_dialer/dnc", {"contacts": [{"phone_number": "4155550100"}]})
    assert r.status_code in (500, 503)
    assert r.json()["message"] in ("Internal Server Error", "Service Unavailable")
    assert sim.tenant.dnc_snapshot() == {}
    slow = sim_factory(faults="latency=0.2", fault_seed=3)
    start = time.monotonic()
    for _ in range(5):
        assert get(slow, "bulk/users/jobs").status_code == 200
    assert time.monotonic() - start > 0.1
    assert max(e["duration"] for e in slow.requests) > 0.05


def test_stall_keeps_job_in_progress(sim_factory) -> None:
    sim = sim_factory(faults="stall=job,stall_time=1.0")
    rows = [{"email": "s@example.com", "first_name": "S", "last_name": "T"}]
    job_id = upload(sim, rows).json()["id"]
    sim.tenant.wait_job(job_id, "valid_scheme")
    started = time.monotonic()
    proceed(sim, job_id)
    job = get(sim, f"bulk/users/jobs/{job_id}").json()
    assert (job["status"], job["affected_rows"]) == ("in_progress", 0)
    sim.tenant.wait_job(job_id, "finished", timeout=5)
    assert time.monotonic() - started >= 0.95


# ---------------------------------------------------------------- auth
@pytest.mark.parametrize(
    "auth", [None, ("demo", "wrong"), ("other", "demo-token"), ("", ""), ("demo", "")]
)
def test_auth_failures(sim: SimulatorHandle, auth: tuple[str, str] | None) -> None:
    for method, path in (
        ("GET", "bulk/users/template"),
        ("POST", "outbound_dialer/dnc"),
        ("GET", "no/such/path"),
    ):
        r = requests.request(method, sim.url(path), auth=auth, json={}, timeout=TIMEOUT)
        assert (r.status_code, r.json()) == (401, {"message": "Unauthorized"})
        assert "demo-token" not in r.text
    r = requests.get(
        sim.url("bulk/users/template"),
        headers={"Authorization": "Bearer demo-token"},
        timeout=TIMEOUT,
    )
    assert r.status_code == 401


def test_token_not_in_outputs(sim: SimulatorHandle) -> None:
    assert "demo-token" not in repr(sim)
    texts = [get(sim, p).text for p in ("bulk/users/template", "bulk/users/jobs")]
    assert all("demo-token" not in t for t in texts)
