"""``ccai-reconciler jobs`` against the simulator: the list is one call, the tool's own jobs
carry their plan hash and (from the apply report) their git commit, and ``jobs show`` maps
the tenant's errors to YAML lines with apply's mapping."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.simulator import SimulatorHandle
from tests.helpers import cli_env

from .helpers import SEED, seed, write_config


def run(sim: SimulatorHandle, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=cli_env(sim))


def job_list_gets(sim: SimulatorHandle) -> list[str]:
    return [r["query"] for r in sim.requests if r["path"].endswith("/bulk/users/jobs")]


def api_calls(sim: SimulatorHandle) -> list[dict[str, Any]]:
    return [r for r in sim.requests if "/bulk/" in r["path"]]


def old_job(i: int, **kw: Any) -> dict[str, Any]:
    created = datetime.now(UTC) - timedelta(hours=100 - i)
    job = {
        "id": i,
        "created_at": created.isoformat(),
        "filename": f"vendor-sync-{i}.csv",
        "rows": [{"email": f"u{i}@x.com"}],
        "status": "finished",
    }
    job.update(kw)
    return job


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@x", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def test_listing_is_one_call_with_the_limit_as_page_size(simulator) -> None:
    sim = simulator(seed(jobs=[old_job(i) for i in range(1, 31)]))
    result = run(sim, "jobs", "--limit", "5")
    assert result.exit_code == 0, result.output
    assert job_list_gets(sim) == ["page=1&per_page=5"]
    assert len(api_calls(sim)) == 1
    ids = [line.split()[0] for line in result.output.splitlines()[1:6]]
    assert ids == ["30", "29", "28", "27", "26"]
    assert "vendor-sync-30.csv" in result.output and "finished" in result.output


def test_default_limit_is_twenty_and_json_has_the_fields(simulator) -> None:
    sim = simulator(seed(jobs=[old_job(i, failed_rows=i % 2) for i in range(1, 31)]))
    result = run(sim, "jobs", "--format", "json")
    assert result.exit_code == 0, result.output
    assert job_list_gets(sim) == ["page=1&per_page=20"]
    items = json.loads(result.output)
    assert [i["id"] for i in items] == list(range(30, 10, -1))
    assert items[0]["failed_rows"] == 0 and items[1]["failed_rows"] == 1
    assert items[0]["total_rows"] == 1 and items[0]["mine"] is False


def test_a_limit_over_one_page_reads_pages_of_100(simulator) -> None:
    sim = simulator(seed(jobs=[old_job(i) for i in range(1, 131)]))
    result = run(sim, "jobs", "--limit", "120", "--format", "json")
    assert result.exit_code == 0, result.output
    assert job_list_gets(sim) == ["page=1&per_page=100", "page=2&per_page=100"]
    assert len(json.loads(result.output)) == 120


def test_own_jobs_show_plan_hash_and_commit_from_the_report(simulator, tmp_path: Path) -> None:
    sim = simulator(seed(jobs=[old_job(1)]))
    cfg = write_config(tmp_path)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "config")
    head = git(tmp_path, "rev-parse", "HEAD")
    report_file = tmp_path / "report.json"
    applied = run(sim, "apply", "-c", str(cfg), "--auto-approve", "--report", str(report_file))
    assert applied.exit_code == 0, applied.output
    report = json.loads(report_file.read_text())
    assert report["config_commit"] == head

    before = len(sim.requests)
    listed = run(sim, "jobs", "--report", str(report_file), "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert len([r for r in sim.requests[before:] if "/bulk/" in r["path"]]) == 1
    mine, other = json.loads(listed.output)
    assert mine["id"] == report["job_id"] and mine["mine"] is True
    assert mine["plan_hash"] == report["plan_hash"] and mine["commit"] == head
    assert other["mine"] is False and other["plan_hash"] is None

    text = run(sim, "jobs")
    assert text.exit_code == 0, text.output
    row = next(line for line in text.output.splitlines() if line.startswith("*"))
    assert report["plan_hash"][:12] in row and report["job_filename"] in row
    assert sim.token not in text.output


def test_show_maps_update_errors_to_yaml_lines(simulator, tmp_path: Path) -> None:
    # ana's row (row 2 of the job) failed on its teams column; the report says row 2 is ana.
    errors = [
        {"message": "team 'Tier 2' is full", "column": "teams", "row": 2},
        {"message": "nothing to update", "column": None, "row": 1, "error_type": "warning"},
    ]
    sim = simulator(seed(jobs=[old_job(7, failed_rows=1, update_errors=errors)]))
    cfg = write_config(tmp_path)
    report = {
        "plan_hash": "ab" * 32,
        "job_id": 7,
        "users": [
            {"row": 1, "email": "boss@acme-corp.com", "action": "update"},
            {"row": 2, "email": "ana@acme-corp.com", "action": "update"},
        ],
    }
    report_file = tmp_path / "report.json"
    report_file.write_text(json.dumps(report))
    result = run(sim, "jobs", "show", "7", "-c", str(cfg), "--report", str(report_file))
    assert result.exit_code == 0, result.output
    users_yaml = cfg / "users.yaml"
    [team_line] = [line for line in result.output.splitlines() if "is full" in line]
    assert team_line.startswith(f"{users_yaml}:11:")  # the team's line, not just the user's
    assert "error: team 'Tier 2' is full" in team_line
    assert "(user ana@acme-corp.com, job row 2)" in result.output
    assert f"{users_yaml}:2:5: warning: nothing to update" in result.output
    # job + update errors (finished: no scheme errors to read)
    assert [r["path"].rsplit("/bulk/", 1)[1] for r in api_calls(sim)] == [
        "users/jobs/7",
        "users/errors/update/7",
    ]


def test_show_without_rows_prints_the_raw_errors(simulator) -> None:
    errors = [{"message": "email is required", "column": None, "row": 3}]
    sim = simulator(seed(jobs=[old_job(4, status="invalid_scheme", scheme_errors=errors)]))
    result = run(sim, "jobs", "show", "4")
    assert result.exit_code == 0, result.output
    assert "job 4 (vendor-sync-4.csv): invalid_scheme" in result.output
    assert "error: email is required (job row 3)" in result.output


def test_show_with_config_but_no_rows_is_a_message(simulator, tmp_path: Path) -> None:
    sim = simulator(SEED)
    cfg = write_config(tmp_path)
    result = run(sim, "jobs", "show", "1", "-c", str(cfg))
    assert result.exit_code == 1
    assert "error: -c needs the job's rows" in result.output
    assert sim.requests == []


def test_a_bad_report_file_is_a_message(simulator, tmp_path: Path) -> None:
    sim = simulator()
    bad = tmp_path / "r.json"
    bad.write_text("{not json")
    result = run(sim, "jobs", "--report", str(bad))
    assert result.exit_code == 1
    assert f"error: {bad} is not an apply report" in result.output
