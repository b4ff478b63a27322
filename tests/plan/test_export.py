"""export → plan reports no changes; DNC numbers checked and written; refusals."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.export import ExportError, read_numbers
from reconciler.simulator import SimulatorHandle

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
    assert "n.txt:2: error: 'not a number': phone_number is invalid" in res.stderr
    assert "n.txt:3: error: '911': emergency phone number is not allowed" in res.stderr
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
