"""The merge rules of shared files and tenants/NAME/ (offline: validate and the loader layer)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import tenants
from reconciler.errors import ConfigError
from reconciler.state import Threshold

from .helpers import EXAMPLE, copy_example, invoke

ENV: dict[str, str | None] = {"CCAI_API_TOKEN": None, "CCAI_BASE_URL": None}


def test_example_validates_every_tenant() -> None:
    res = invoke(ENV, "validate", str(EXAMPLE))
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == [
        "Tenant production: configuration is valid: 5 files, 3 users, 2 roles, 2 teams, "
        "3 DNC entries.",
        "Tenant sandbox: configuration is valid: 5 files, 5 users, 2 roles, 2 teams, "
        "2 DNC entries.",
    ]
    one = invoke(ENV, "validate", str(EXAMPLE), "--tenant", "sandbox")
    assert one.exit_code == 0 and one.stdout.startswith("Tenant sandbox:")


def test_policy_and_tenant_override_key_by_key() -> None:
    prod = tenants.load_tenant([str(EXAMPLE)], "production", command="plan").result.state
    sand = tenants.load_tenant([str(EXAMPLE)], "sandbox", command="plan").result.state
    assert prod.policy.max_deactivations == Threshold(count=3)
    assert sand.policy.max_deactivations == Threshold(percent=50.0, floor=3)
    for state in (prod, sand):  # the keys the tenant does not set stay shared
        assert state.policy.protected_users == frozenset({"api.bot@example.com"})
        assert state.policy.unmanaged_users == "ignore"
        assert state.tenant.domain == "ccaiplatform.com"
    assert (prod.tenant.subdomain, sand.tenant.subdomain) == ("demo", "demo-sandbox")
    assert "test.agent1@example.com" in sand.users and "test.agent1@example.com" not in prod.users
    assert len(prod.dnc) == 3 and len(sand.dnc) == 2
    # defaults (shared) apply to a tenant's own users too
    assert sand.users["test.agent1@example.com"].roles == frozenset({"Agent"})


def test_an_error_in_one_tenant_file_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    cfg = copy_example(tmp_path)
    policy = cfg / "tenants" / "production" / "tenant.yaml"
    policy.write_text(policy.read_text().replace("max_deactivations: 3 ", "max_deactivations: x "))
    users = cfg / "tenants" / "sandbox" / "users.yaml"
    users.write_text(
        users.read_text()
        + "\n  - email: ana.lopez@example.com\n    first_name: A\n    last_name: L\n"
    )
    res = invoke(ENV, "validate", str(cfg))
    assert res.exit_code == 1
    lines = res.stderr.splitlines()
    assert lines == [
        f"{cfg}/tenants/production/tenant.yaml:8:22: error: policy: max_deactivations 'x' is "
        "not a whole number or a percentage such as '30%'",
        f"{cfg}/tenants/sandbox/users.yaml:15:5: error: user 'ana.lopez@example.com' is "
        f"declared twice (first at {cfg}/users.yaml:4:5)",
        "2 errors in the configuration.",
    ]
    github = invoke(ENV, "validate", str(cfg), "--format", "github")
    assert f"::error file={cfg}/tenants/production/tenant.yaml,line=8,col=22::" in github.output


def test_shared_only_keys_and_stray_files_are_errors(tmp_path: Path) -> None:
    cfg = copy_example(tmp_path)
    (cfg / "tenants" / "sandbox" / "region.yaml").write_text(
        "version: 1\npolicy:\n  default_region: GB\n"
    )
    (cfg / "tenants" / "loose.yaml").write_text("users: []\n")
    res = invoke(ENV, "validate", str(cfg))
    assert res.exit_code == 1
    assert f"{cfg}/tenants/loose.yaml:1:1: error: a file directly in tenants/" in res.stderr
    # two policy sections in one tenant (its own files): the loader's usual error
    assert f"{cfg}/tenants/sandbox/tenant.yaml:7:1: error: section 'policy' is declared twice" in (
        res.stderr
    )
    assert f"{cfg}/tenants/sandbox/region.yaml:3:3: error: policy: default_region is shared" in (
        res.stderr
    )


def test_block_style_keeps_every_other_line_number(tmp_path: Path) -> None:
    shared = [
        ("s.yaml", b"users:\n  - email: a@example.com\n    first_name: A\n    last_name: B\n")
    ]
    own = [
        (
            "t.yaml",
            b"# comment\npolicy:\n  max_deactivations: 5\n  protected_users: [a@example.com]\n"
            b"dnc:\n  - 'not a number'\n",
        )
    ]
    with pytest.raises(ConfigError) as err:
        tenants.merge(shared, own)
    assert [str(d) for d in err.value.diagnostics] == [
        "t.yaml:6:5: error: dnc entry 'not a number': phone_number is invalid"
    ]
    fixed = [(own[0][0], own[0][1].replace(b"'not a number'", b"'+1 212 555 0142'"))]
    state = tenants.merge(shared, fixed).state
    assert state.policy.max_deactivations == Threshold(count=5)
    assert state.policy.protected_users == frozenset({"a@example.com"})
    assert state.dnc["+12125550142"].loc is not None
    assert (state.dnc["+12125550142"].loc.file, state.dnc["+12125550142"].loc.line) == (
        "t.yaml",
        6,
    )


def test_selection_errors() -> None:
    plan = invoke(ENV, "plan", "-c", str(EXAMPLE))
    assert plan.exit_code == 1
    assert "several tenants (production, sandbox): plan one of them with --tenant NAME" in (
        plan.output
    )
    unknown = invoke(ENV, "plan", "-c", str(EXAMPLE), "--tenant", "uat")
    assert "no tenant 'uat' in this config (tenants: production, sandbox)" in unknown.output
    single = invoke(ENV, "validate", "examples/config", "--tenant", "sandbox")
    assert single.exit_code == 1 and "has no tenants/ directory" in single.output


def test_one_token_for_every_tenant_is_refused(tmp_path: Path) -> None:
    env = {**ENV, "CCAI_API_TOKEN": "shared-secret", "CCAI_BASE_URL": "http://127.0.0.1:9/x"}
    res = invoke(env, "plan", "-c", str(EXAMPLE), "--tenant", "sandbox")
    assert res.exit_code == 1
    assert "no API token for tenant sandbox: set CCAI_API_TOKEN_SANDBOX or " in res.output
    assert "CCAI_API_TOKEN is set but never used with tenants" in res.output
    assert "shared-secret" not in res.output
    token = tmp_path / "token"
    token.write_text("file-secret\n")
    both = invoke(
        {**env, "CCAI_API_TOKEN_SANDBOX": "s", "CCAI_API_TOKEN_PRODUCTION": "p"},
        "plan",
        "-c",
        str(EXAMPLE),
        "--all-tenants",
        "--token-file",
        str(token),
    )
    assert both.exit_code != 0 and "would be one for all" in both.output


def test_env_suffix_and_name_collisions(tmp_path: Path) -> None:
    assert tenants.env_suffix("uat-eu") == "UAT_EU"
    cfg = copy_example(tmp_path)
    (cfg / "tenants" / "uat-eu").mkdir()
    (cfg / "tenants" / "uat_eu").mkdir()
    res = invoke(ENV, "validate", str(cfg))
    assert res.exit_code == 1
    assert "tenants 'uat-eu' and 'uat_eu' would share the variable CCAI_API_TOKEN_UAT_EU" in (
        res.stderr
    )


def test_a_tenant_policy_key_keeps_its_own_location(tmp_path: Path) -> None:
    cfg = copy_example(tmp_path)
    tenant = cfg / "tenants" / "sandbox" / "tenant.yaml"
    tenant.write_text(tenant.read_text() + "  ownership_role: Managed by Git\n")
    state = tenants.load_tenant([str(cfg)], "sandbox", command="plan").result.state
    assert state.policy.ownership_role == "Managed by Git"
    assert state.policy.ownership_role_loc is not None
    loc = state.policy.ownership_role_loc
    assert (loc.file, loc.line) == (str(tenant), 9)
    prod = tenants.load_tenant([str(cfg)], "production", command="plan").result.state
    assert prod.policy.ownership_role is None
