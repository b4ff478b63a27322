"""export → plan reports no changes; DNC numbers checked and written; refusals."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.config import load_config
from reconciler.export import ExportError, read_numbers, render_files
from reconciler.platform.connection import platform_domain
from reconciler.simulator import SimulatorHandle
from reconciler.state import LiveState, LiveUser, UserStatus

from .test_cli_plan import SEED, calls, dnc_checked, run


@pytest.fixture
def acme(sim_factory: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    return sim_factory(copy.deepcopy(SEED))


def test_export_then_plan_is_empty(acme: SimulatorHandle, tmp_path: Path) -> None:
    numbers = tmp_path / "numbers.txt"
    numbers.write_text(
        "# numbers we believe are listed\n+14155550100\n(415) 555-0101\n\n415 555 0199\n"
    )
    out = tmp_path / "exported"
    res = run(acme, "export", "--out", str(out), "--dnc-numbers", str(numbers))
    assert res.exit_code == 0, res.output
    assert "Exported 5 users" in res.stdout and "2 of 3 DNC numbers" in res.stdout
    assert dnc_checked(acme) == ["+14155550100", "+14155550101", "+14155550199"]
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*.yaml"))
    assert names == [
        "dnc.yaml",
        "roles.yaml",
        "teams.yaml",
        "tenant.yaml",
        "users/a.yaml",
        "users/b.yaml",
        "users/g.yaml",
        "users/l.yaml",
        "users/o.yaml",
    ]
    assert "2030-01-01 00:00:00 UTC" in (out / "dnc.yaml").read_text()
    assert "0199" not in (out / "dnc.yaml").read_text()
    before = len(acme.requests)
    res = run(acme, "plan", "-c", str(out), "--detailed-exitcode")
    assert res.exit_code == 0, res.output
    assert "No changes. The tenant matches the configuration." in res.stdout
    # plan without a base ref checks every declared number: template + 2 checks
    assert len(acme.requests) - before == 3
    assert acme.token not in res.output


def test_export_refuses_non_empty_dir_unless_force(acme: SimulatorHandle, tmp_path: Path) -> None:
    out = tmp_path / "cfg"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    res = run(acme, "export", "--out", str(out))
    assert res.exit_code == 1
    assert "is not empty" in res.stderr and "--force" in res.stderr
    assert acme.requests == []
    (out / "users").mkdir()
    (out / "users" / "zz-stale.yaml").write_text("users: []\n")
    res = run(acme, "export", "--out", str(out), "--force")
    assert res.exit_code == 0, res.output
    assert (out / "keep.txt").read_text() == "mine"
    assert not (out / "users" / "zz-stale.yaml").exists()
    assert calls(acme) == [("GET", "bulk/users/template")]


def test_bad_numbers_file_fails_before_any_call(acme: SimulatorHandle, tmp_path: Path) -> None:
    numbers = tmp_path / "n.txt"
    numbers.write_text("+14155550100\nnot a number\n911\n")
    res = run(acme, "export", "--out", str(tmp_path / "o"), "--dnc-numbers", str(numbers))
    assert res.exit_code == 1
    assert res.stderr.splitlines() == [
        f"error: 2 invalid phone numbers in {numbers}; nothing was written",
        f"{numbers}:2:1: error: 'not a number': phone_number is invalid",
        f"{numbers}:3:1: error: '911': emergency phone number is not allowed",
    ]
    assert acme.requests == []


def test_read_numbers_dedupes(tmp_path: Path) -> None:
    f = tmp_path / "n.txt"
    f.write_text("+1 415 555 0100\n4155550100  # same\n+442071838750\n")
    assert read_numbers(f) == [
        ("+14155550100", "+1 415 555 0100"),
        ("+442071838750", "+442071838750"),
    ]
    with pytest.raises(ExportError, match="cannot read"):
        read_numbers(tmp_path / "missing.txt")


def _export_with_numbers(acme: SimulatorHandle, tmp_path: Path) -> tuple[Path, Path]:
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("+14155550100\n+14155550101\n")
    out = tmp_path / "exported"
    res = run(acme, "export", "--out", str(out), "--dnc-numbers", str(numbers))
    assert res.exit_code == 0, res.output
    assert "2 of 2 DNC numbers are on the list" in res.stdout
    return out, numbers


def test_force_without_numbers_keeps_dnc_yaml(acme: SimulatorHandle, tmp_path: Path) -> None:
    # Export cannot list the DNC numbers: re-exporting without --dnc-numbers must not delete
    # the declarations (the next plan would propose removing every number).
    out, _ = _export_with_numbers(acme, tmp_path)
    before = (out / "dnc.yaml").read_text()
    res = run(acme, "export", "--out", str(out), "--force")
    assert res.exit_code == 0, res.output
    assert (out / "dnc.yaml").read_text() == before
    assert f"note: kept {out / 'dnc.yaml'} as it was" in res.stderr
    assert "--dnc-numbers" in res.stderr
    res = run(acme, "plan", "-c", str(out), "--detailed-exitcode")
    assert res.exit_code == 0, res.output
    assert "No changes. The tenant matches the configuration." in res.stdout


def test_force_with_numbers_refuses_to_drop_declared_ones(
    acme: SimulatorHandle, tmp_path: Path
) -> None:
    out, numbers = _export_with_numbers(acme, tmp_path)
    before = (out / "dnc.yaml").read_text()
    numbers.write_text("+14155550100\n")
    calls_before = len(acme.requests)
    res = run(acme, "export", "--out", str(out), "--force", "--dnc-numbers", str(numbers))
    assert res.exit_code == 1
    assert res.stderr == (
        f"error: {out / 'dnc.yaml'} declares 1 number that --dnc-numbers does not list "
        "(+14155550101); replacing it would lose that declaration. Add it to the "
        "--dnc-numbers file to check it again, or delete dnc.yaml to drop it on purpose; "
        "nothing was written\n"
    )
    assert len(acme.requests) == calls_before  # refused before any API call
    assert (out / "dnc.yaml").read_text() == before
    # with every declared number listed (and one more) the file is rewritten
    numbers.write_text("+14155550100\n+14155550101\n+14155550199\n")
    res = run(acme, "export", "--out", str(out), "--force", "--dnc-numbers", str(numbers))
    assert res.exit_code == 0, res.output
    assert "2 of 3 DNC numbers are on the list" in res.stdout


def test_force_refuses_an_invalid_dnc_yaml(acme: SimulatorHandle, tmp_path: Path) -> None:
    out, numbers = _export_with_numbers(acme, tmp_path)
    (out / "dnc.yaml").write_text("dnc:\n  - sssssss\n")
    res = run(acme, "export", "--out", str(out), "--force", "--dnc-numbers", str(numbers))
    assert res.exit_code == 1
    assert res.stderr.splitlines() == [
        f"error: {out / 'dnc.yaml'} exists and is not a valid config, so export cannot tell "
        "which DNC declarations replacing it would lose; fix it, or move it away and export "
        "again",
        f"{out / 'dnc.yaml'}:2:5: error: dnc entry 'sssssss': phone_number is invalid",
    ]


def test_names_with_spaces_round_trip(
    sim_factory: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    seed = copy.deepcopy(SEED)
    seed["teams"] = [*seed["teams"], " spaced ", "Tier 1 "]
    seed["roles"] = [*seed["roles"], "  Lead"]
    ana = next(u for u in seed["users"] if u["email"] == "Ana@acme-corp.com")
    ana["teams"] = [*ana["teams"], " spaced ", "Tier 1 "]
    ana["roles"] = [*ana["roles"], "  Lead"]
    sim = sim_factory(seed)
    out = tmp_path / "exported"
    res = run(sim, "export", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "' spaced ':" in (out / "teams.yaml").read_text()
    res = run(sim, "plan", "-c", str(out), "--detailed-exitcode")
    assert res.exit_code == 0, res.output
    assert "No changes. The tenant matches the configuration." in res.stdout


def _live_user(email: str, teams: frozenset[str]) -> LiveUser:
    return LiveUser(
        email=email,
        email_raw=email,
        first_name="A",
        last_name="B",
        agent_number="",
        status=UserStatus.ACTIVE,
        location=None,
        max_chat_limit=None,
        max_chat_limit_enabled=False,
        roles=frozenset(),
        teams=teams,
    )


def test_a_blank_team_name_is_skipped_and_left_unmanaged() -> None:
    live = LiveState(
        users={"a@x.io": _live_user("a@x.io", frozenset({"  ", "T"}))},
        roles=("Agent",),
        teams=("  ", "T"),
    )
    files, result = render_files(live, subdomain="acme")
    assert result.skipped == [
        "team '  ': not exported (the config cannot name a team with a blank name); "
        "policy.manage_teams lists the others, so its memberships stay unmanaged"
    ]
    assert "manage_teams:\n    - T\n" in files["tenant.yaml"]
    assert "manage_roles" not in files["tenant.yaml"]
    assert "'  '" not in files["teams.yaml"]


@pytest.mark.parametrize(
    ("base_url", "subdomain", "domain"),
    [
        ("https://acme.example-platform.com/apps/api/v1", "acme", "example-platform.com"),
        ("https://ACME.eu.example.com/apps/api/v1/", "Acme", "eu.example.com"),
        ("http://127.0.0.1:8080/apps/api/v1", "acme", None),  # the simulator: no domain
        ("https://acme.example.com:8443/apps/api/v1", "acme", None),  # a port: not connect's
        ("https://proxy.example.com/apps/api/v1", "acme", None),  # another host
        ("https://acme.example.com/other/v1", "acme", None),
        ("https://acme.example.com/apps/api/v1", None, None),
    ],
)
def test_the_platform_domain_of_a_base_url(
    base_url: str, subdomain: str | None, domain: str | None
) -> None:
    assert platform_domain(base_url, subdomain) == domain


def test_export_writes_the_domain_it_connected_to(tmp_path: Path) -> None:
    """A plan after export needs no CCAI_DOMAIN: tenant.yaml says where the config applies."""
    live = LiveState(users={"a@x.io": _live_user("a@x.io", frozenset())}, roles=(), teams=())
    files, _ = render_files(live, subdomain="acme", domain="example-platform.com")
    assert "tenant:\n  subdomain: acme\n  domain: example-platform.com\n" in files["tenant.yaml"]
    (tmp_path / "tenant.yaml").write_text(files["tenant.yaml"])
    assert load_config([str(tmp_path)]).state.tenant.domain == "example-platform.com"
    assert "  domain:" not in render_files(live, subdomain="acme")[0]["tenant.yaml"]
