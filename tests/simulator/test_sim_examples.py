"""The demo tenant shipped in examples/ loads and serves."""

from __future__ import annotations

from pathlib import Path

from reconciler.simulator import build_tenant, run_simulator

from .simhelpers import get

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tenant.json"


def test_example_tenant_loads_and_serves() -> None:
    tenant = build_tenant(EXAMPLE)
    assert tenant.users and tenant.roles
    with run_simulator(EXAMPLE, rate_limit=0.0) as sim:
        rows = get(sim, "bulk/users/template").json()
        assert len(rows) == len(tenant.users)
        assert all(len(r["roles"]) == len(tenant.roles) for r in rows)
        for number in list(tenant.dnc)[:3]:
            r = get(sim, "outbound_dialer/dnc/check", params={"phone_number": number})
            assert r.status_code == 200 and r.json()["phone_number"] == number


def test_default_seed_round_trips_through_a_file(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = build_tenant(state_file=state)
    again = build_tenant(state)  # a state file is also a valid seed
    assert again.users_snapshot() == first.users_snapshot()
    assert (again.roles, again.teams, again.locations) == (
        first.roles,
        first.teams,
        first.locations,
    )
