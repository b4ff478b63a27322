"""--base-ref with tenants: the base is merged the same way, per tenant, from git."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from reconciler import tenants

from .helpers import copy_example, git

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def test_base_per_tenant_new_tenant_and_split_config(tmp_path: Path) -> None:
    cfg = copy_example(tmp_path)
    git(tmp_path, "init", "-q", "-b", "main")
    moved = tmp_path / "moved"
    shutil.move(cfg / "tenants", moved)
    (cfg / "tenant.yaml").write_text("tenant:\n  subdomain: demo\n  domain: ccaiplatform.com\n")
    _commit(tmp_path, "single tenant")  # HEAD~2: no tenants/ yet
    (cfg / "tenant.yaml").unlink()
    (cfg / "tenants").mkdir()
    shutil.move(moved / "production", cfg / "tenants" / "production")
    _commit(tmp_path, "split: production only")  # HEAD~1
    shutil.move(moved / "sandbox", cfg / "tenants" / "sandbox")
    _commit(tmp_path, "sandbox added")  # HEAD

    paths = [str(cfg)]
    sandbox = tenants.load_tenant(paths, "sandbox", command="plan", now=NOW)
    production = tenants.load_tenant(paths, "production", command="plan", now=NOW)
    # The base at HEAD is the same files: the loaded config itself, not parsed again.
    assert tenants.load_tenant_base(paths, "HEAD", sandbox, now=NOW) is sandbox.result.state
    # A tenant that did not exist at the base: an empty base (nothing to offboard).
    assert tenants.load_tenant_base(paths, "HEAD~1", sandbox, now=NOW).users == {}
    base = tenants.load_tenant_base(paths, "HEAD~1", production, now=NOW)
    assert set(base.users) == set(production.result.state.users)
    assert base.policy.max_deactivations == production.result.state.policy.max_deactivations
    assert base.dnc.keys() == production.result.state.dnc.keys()
    # Before the split: the whole single-tenant config is every tenant's base.
    old = tenants.load_tenant_base(paths, "HEAD~2", sandbox, now=NOW)
    assert old.tenant.subdomain == "demo"
    assert "test.agent1@example.com" not in old.users
    assert "ana.lopez@example.com" in old.users
