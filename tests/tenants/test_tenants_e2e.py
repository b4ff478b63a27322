"""End to end against two simulators at once: one config repository, two tenants."""

from __future__ import annotations

from pathlib import Path

from reconciler.simulator import SimulatorHandle

from .helpers import copy_example, git, invoke, tenant_env, writes


def test_plan_all_tenants_prints_one_markdown_with_a_heading_per_tenant(
    sandbox: SimulatorHandle, production: SimulatorHandle, tmp_path: Path
) -> None:
    cfg = copy_example(tmp_path)
    env = tenant_env(sandbox, production)
    res = invoke(env, "plan", "-c", str(cfg), "--all-tenants", "--format", "markdown")
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert out.startswith("## ccai-reconciler plan for 2 tenants\n")
    assert "2 tenants: production (changes), sandbox (changes)." in out
    prod, _, sand = out.partition("\n## Tenant `sandbox`\n")
    assert "\n## Tenant `production`\n" in prod
    assert (
        prod.count("### ccai-reconciler plan") == 1 and sand.count("### ccai-reconciler plan") == 1
    )
    # The sandbox's test agents only in the sandbox; production's extra DNC number only there.
    assert "test.agent1@example.com" in sand and "test.agent1@example.com" not in prod
    assert "+442079460958" in prod and "+442079460958" not in sand
    assert "ana.lopez@example.com" in prod and "ana.lopez@example.com" in sand
    # each tenant was asked with its own token (a wrong one is a 401 on the template)
    assert sandbox.requests and production.requests
    assert writes(sandbox) == [] and writes(production) == []

    code = invoke(env, "plan", "-c", str(cfg), "--all-tenants", "--detailed-exitcode")
    assert code.exit_code == 2, code.output
    assert "=== Tenant production ===" in code.stdout and "=== Tenant sandbox ===" in code.stdout


def test_one_tenant_failing_is_reported_under_its_heading_and_fails_the_run(
    sandbox: SimulatorHandle, production: SimulatorHandle, tmp_path: Path
) -> None:
    cfg = copy_example(tmp_path)
    env = {**tenant_env(sandbox, production), "CCAI_API_TOKEN_PRODUCTION": "not-the-token"}
    res = invoke(env, "plan", "-c", str(cfg), "--all-tenants", "--format", "markdown")
    assert res.exit_code == 1, res.output
    prod, _, sand = res.stdout.partition("\n## Tenant `sandbox`\n")
    assert "authentication failed for tenant demo: check CCAI_API_TOKEN_PRODUCTION (" in prod
    assert "test.agent1@example.com" in sand
    assert "not-the-token" not in res.output and "sandbox-token" not in res.output
    assert "planning failed for production" in res.stderr


def test_apply_one_tenant_touches_only_that_simulator(
    sandbox: SimulatorHandle, production: SimulatorHandle, tmp_path: Path
) -> None:
    cfg = copy_example(tmp_path)
    env = tenant_env(sandbox, production)
    refused = invoke(env, "apply", "-c", str(cfg), "--auto-approve")
    assert refused.exit_code == 1
    assert "several tenants (production, sandbox)" in refused.output
    both = invoke(env, "apply", "-c", str(cfg), "--all-tenants", "--auto-approve")
    assert both.exit_code == 1 and "exactly one tenant per invocation" in both.output
    assert sandbox.requests == [] and production.requests == []

    res = invoke(
        env,
        "apply",
        "--poll-interval",
        "0.01",
        "-c",
        str(cfg),
        "--tenant",
        "sandbox",
        "--auto-approve",
    )
    assert res.exit_code == 0, res.output
    assert writes(sandbox), "the sandbox was changed"
    assert production.requests == [], "production was not even read"
    emails = {u["email"] for u in sandbox.tenant.to_state()["users"]}
    assert {"test.agent1@example.com", "ana.lopez@example.com"} <= emails

    again = invoke(env, "plan", "-c", str(cfg), "--tenant", "sandbox", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    prod = invoke(env, "plan", "-c", str(cfg), "--tenant", "production", "--detailed-exitcode")
    assert prod.exit_code == 2, prod.output


def test_base_ref_merges_the_base_the_same_way(
    sandbox: SimulatorHandle, production: SimulatorHandle, tmp_path: Path
) -> None:
    repo = tmp_path
    cfg = copy_example(repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    env = tenant_env(sandbox, production)
    applied = invoke(
        env,
        "apply",
        "--poll-interval",
        "0.01",
        "-c",
        str(cfg),
        "--tenant",
        "sandbox",
        "--auto-approve",
    )
    assert applied.exit_code == 0, applied.output
    # A test agent leaves the sandbox's own file: with the base, it is offboarded there.
    users = cfg / "tenants" / "sandbox" / "users.yaml"
    text = users.read_text()
    users.write_text(text[: text.index("  - email: test.agent2@example.com")])
    git(repo, "commit", "-q", "-am", "two")
    res = invoke(
        env,
        "plan",
        "-c",
        str(cfg),
        "--tenant",
        "sandbox",
        "--base-ref",
        "HEAD~1",
        "--format",
        "json",
    )
    assert res.exit_code == 0, res.output
    assert "test.agent2@example.com" in res.stdout and '"Inactive"' in res.stdout
    # Without the base the deleted user cannot be told apart from one never managed.
    plain = invoke(env, "plan", "-c", str(cfg), "--tenant", "sandbox", "--format", "json")
    assert plain.exit_code == 0, plain.output
    assert '"Inactive"' not in plain.stdout
    # Production's base is production's merged config: nothing of the sandbox is offboarded.
    prod = invoke(
        env,
        "plan",
        "-c",
        str(cfg),
        "--all-tenants",
        "--base-ref",
        "HEAD~1",
        "--format",
        "markdown",
    )
    assert prod.exit_code == 0, prod.output
    prod_part = prod.stdout.partition("\n## Tenant `sandbox`\n")[0]
    assert "test.agent2" not in prod_part


def test_export_one_tenant_with_its_own_address_and_token(
    sandbox: SimulatorHandle, production: SimulatorHandle, tmp_path: Path
) -> None:
    cfg = copy_example(tmp_path)
    env = tenant_env(sandbox, production)
    out = tmp_path / "exported"
    res = invoke(env, "export", "-c", str(cfg), "--tenant", "production", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "Exported 3 users" in res.stdout
    assert production.requests and sandbox.requests == []
    assert "production-token" not in res.output
