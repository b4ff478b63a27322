"""examples/config against the seeded examples/tenant.json: the expected plan, structurally.

Locations, timestamps, hashes and the desired snapshot are left out of the comparison (they
change with any edit of the example files); everything the plan would do is compared. To
update after a deliberate change of the examples: ``UPDATE_EXPECTED=1 pytest tests/plan``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.simulator import SimulatorHandle

from .test_cli_plan import calls, run

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"
EXPECTED = Path(__file__).parent / "data" / "examples.expected.json"

DROP = {"loc", "created_at", "config_commit", "fingerprint", "hash", "desired", "base_ref"}


def normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items() if k not in DROP}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def test_examples_expected_plan(
    sim_factory: Callable[..., SimulatorHandle], monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_factory(json.loads((EXAMPLES / "tenant.json").read_text()))
    monkeypatch.chdir(ROOT)
    res = run(sim, "plan", "-c", "examples/config", "--format", "json")
    assert res.exit_code == 0, res.output
    got = normalise(json.loads(res.stdout))
    if os.environ.get("UPDATE_EXPECTED"):
        EXPECTED.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n")
    assert got == json.loads(EXPECTED.read_text())
    # no base ref: the template plus one check per declared, unexpired number
    assert calls(sim)[0] == ("GET", "bulk/users/template")
    assert len(sim.requests) == 1 + got["stats"]["dnc_checked"]


def test_export_of_the_example_tenant_plans_no_changes(
    sim_factory: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    sim = sim_factory(json.loads((EXAMPLES / "tenant.json").read_text()))
    out = tmp_path / "adopted"
    res = run(sim, "export", "--out", str(out))
    assert res.exit_code == 0, res.output
    res = run(sim, "plan", "-c", str(out), "--detailed-exitcode")
    assert res.exit_code == 0, res.output
    assert "No changes. The tenant matches the configuration." in res.stdout
    assert calls(sim) == [("GET", "bulk/users/template")] * 2
