"""The apply command against the simulator (in-process CLI; stdin is not a terminal)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.simulator import SimulatorHandle
from tests.helpers import cli_env, foreign_job

from .helpers import CONFIG, client_for, jobs_named, make_plan, write_config


def run(sim: SimulatorHandle, *args: str, env: dict[str, str] | None = None) -> Result:
    e = cli_env(sim, **(env or {}))
    return CliRunner().invoke(cli, ["apply", "--poll-interval", "0.01", *args], env=e)


def api_requests(sim: SimulatorHandle) -> list[dict[str, Any]]:
    return sim.requests


def test_no_tty_shows_the_plan_then_refuses_without_auto_approve(simulator, tmp_path: Path) -> None:
    # Issue 10: the plan is shown first (read-only calls), then apply refuses, naming the flag.
    sim = simulator()
    cfg = write_config(tmp_path)
    report_file = tmp_path / "r.json"
    result = run(sim, "-c", str(cfg), "--report", str(report_file))
    assert result.exit_code == 1
    assert "~ ana@acme-corp.com" in result.output  # the plan
    assert "Traceback" not in result.output
    assert not [r for r in api_requests(sim) if r["method"] != "GET"]
    saved = json.loads(report_file.read_text())
    assert saved["outcome"] == "refused" and saved["job_id"] is None
    assert "--auto-approve" in saved["diagnostics"][0]["message"]


def test_a_config_directory_as_plan_file_hints_at_dash_c(simulator, tmp_path: Path) -> None:
    sim = simulator()
    cfg = write_config(tmp_path)
    result = run(sim, str(cfg))
    assert result.exit_code == 1
    assert f"{cfg} is a directory, not a saved plan: did you mean `apply -c {cfg}`?" in (
        result.output
    )
    yaml_file = cfg / "users.yaml"
    result = run(sim, str(yaml_file))
    assert result.exit_code == 1
    assert f"did you mean `apply -c {yaml_file}`?" in result.output
    assert api_requests(sim) == []


def test_unwritable_report_path_is_refused_before_any_call(simulator, tmp_path: Path) -> None:
    sim = simulator()
    cfg = write_config(tmp_path)
    missing = tmp_path / "no-such-dir" / "report.json"
    result = run(sim, "-c", str(cfg), "--auto-approve", "--report", str(missing))
    assert result.exit_code == 1
    assert f"cannot write the report {missing}: {missing.parent} is not a directory" in (
        result.output
    )
    assert api_requests(sim) == []


def test_auto_approve_applies_and_writes_report(simulator, tmp_path: Path) -> None:
    sim = simulator()
    cfg = write_config(tmp_path)
    report_file = tmp_path / "report.json"
    result = run(sim, "-c", str(cfg), "--auto-approve", "--report", str(report_file))
    assert result.exit_code == 0, result.output
    assert "Applied: 1 user created, 1 updated, 1 renamed" in result.output
    assert "3 DNC numbers added, 1 removed" in result.output
    text = report_file.read_text()
    assert sim.token not in text and sim.token not in result.output
    report = json.loads(text)
    assert report["outcome"] == "applied"
    assert report["job"]["status"] == "finished"
    assert report["api_calls"]["upload"] == 1
    assert report["started_at"] and report["finished_at"]
    again = run(sim, "-c", str(cfg), "--auto-approve")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output
    assert len([r for r in sim.requests if r["path"].endswith("/bulk/users/upload")]) == 1


def test_saved_plan_applies_once(simulator, tmp_path: Path) -> None:
    sim = simulator()
    cfg = write_config(tmp_path)
    plan_file = tmp_path / "plan.json"
    with client_for(sim) as client:
        make_plan(cfg, client).save(plan_file)
    first = run(sim, str(plan_file))
    assert first.exit_code == 0, first.output
    journal = json.loads((tmp_path / "plan.json.applied").read_text())
    assert journal["completed"] is True
    second = run(sim, str(plan_file))
    assert second.exit_code == 1
    assert "already applied" in second.output
    # Without the journal, the finished job with the plan's name refuses it too.
    (tmp_path / "plan.json.applied").unlink()
    third = run(sim, str(plan_file))
    assert third.exit_code == 1
    assert "already applied" in third.output
    with sim.tenant.lock:
        assert len(sim.tenant.jobs) == 1


def test_unwritable_journal_is_a_message_not_a_traceback(simulator, tmp_path: Path) -> None:
    sim = simulator()
    cfg = write_config(tmp_path)
    plan_file = tmp_path / "plan.json"
    with client_for(sim) as client:
        make_plan(cfg, client).save(plan_file)
    (tmp_path / "plan.json.applied.tmp").mkdir()  # the journal cannot be written (even as root)
    result = run(sim, str(plan_file))
    assert result.exit_code == 1
    assert f"cannot write the apply journal {tmp_path / 'plan.json.applied'}" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not [r for r in sim.requests if r["method"] == "POST"]  # before any change


def test_saved_dnc_only_plan_applies_once(simulator, tmp_path: Path) -> None:
    sim = simulator()
    cfg = write_config(tmp_path, 'dnc:\n  - "+1 415 555 0101"\n')
    plan_file = tmp_path / "plan.json"
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
    assert not plan.user_changes and plan.dnc_changes
    plan.save(plan_file)
    assert run(sim, str(plan_file)).exit_code == 0
    adds = [r for r in sim.requests if r["path"].endswith("/outbound_dialer/dnc")]
    second = run(sim, str(plan_file))
    assert second.exit_code == 1 and "already applied" in second.output
    assert [r for r in sim.requests if r["path"].endswith("/outbound_dialer/dnc")] == adds


def test_stale_saved_plan_is_refused(simulator, tmp_path: Path) -> None:
    sim = simulator()
    cfg = write_config(tmp_path)
    plan_file = tmp_path / "plan.json"
    with client_for(sim) as client:
        make_plan(cfg, client).save(plan_file)
        # Someone changes a user after the plan was made.
        foreign_job(
            sim,
            client,
            [{"email": "outsider@acme-corp.com", "first_name": "Otto", "last_name": "Changed"}],
            "someone-else.json",
        )
    before = len(sim.requests)
    result = run(sim, str(plan_file))
    assert result.exit_code == 1
    assert "the tenant changed since this plan was made; run plan again" in result.output
    after = sim.requests[before:]
    assert [r["path"].rsplit("/", 2)[-2:] for r in after] == [
        ["users", "jobs"],
        ["users", "template"],
    ]


def test_thresholds_refuse_after_showing_the_plan(simulator, tmp_path: Path) -> None:
    sim = simulator()
    cfg = write_config(
        tmp_path,
        CONFIG.replace(
            "users:\n",
            "policy:\n  unmanaged_users: deactivate\n  max_deactivations: 0\n"
            "  max_dnc_removals: 0\nusers:\n",
            1,
        ),
    )
    result = run(sim, "-c", str(cfg), "--auto-approve")
    assert result.exit_code == 1
    assert "would deactivate 1 of" in result.output
    assert "--allow-mass-changes" in result.output
    assert "Plan:" in result.output  # shown first
    assert not [r for r in sim.requests if r["method"] == "POST"]
    ok = run(sim, "-c", str(cfg), "--auto-approve", "--allow-mass-changes")
    assert ok.exit_code == 0, ok.output
    assert "1 deactivated" in ok.output


def test_no_admin_refused(simulator, tmp_path: Path) -> None:
    sim = simulator()
    # manage_roles: all, or Admin (named nowhere else now) would be out of scope and kept
    text = CONFIG.replace("    roles: [Admin]\n", "    roles: []\n", 1)
    cfg = write_config(tmp_path, text + "policy:\n  manage_roles: all\n")
    result = run(sim, "-c", str(cfg), "--auto-approve")
    assert result.exit_code == 1
    assert "--allow-no-admin" in result.output
    assert not [r for r in sim.requests if r["method"] == "POST"]
    ok = run(sim, "-c", str(cfg), "--auto-approve", "--allow-no-admin")
    assert ok.exit_code == 0, ok.output


def test_bad_plan_file_is_a_message(simulator, tmp_path: Path) -> None:
    sim = simulator()
    bad = tmp_path / "plan.json"
    bad.write_text("{not json")
    result = run(sim, str(bad))
    assert result.exit_code == 1
    assert "not a plan file" in result.output and "Traceback" not in result.output
    assert jobs_named(sim, "x") == []


def test_timeout_message_names_the_job_and_report_is_still_written(
    simulator, tmp_path: Path
) -> None:
    sim = simulator(faults="stall=job,stall_time=0.5")
    cfg = write_config(tmp_path)
    report_file = tmp_path / "r.json"
    result = run(
        sim, "-c", str(cfg), "--auto-approve", "--timeout", "0.1", "--report", str(report_file)
    )
    assert result.exit_code == 1
    assert "timed out after 0.1 s waiting for job 1 (ccai-reconciler-" in result.output
    assert "run apply again to resume it" in result.output
    saved = json.loads(report_file.read_text())
    assert saved["job_id"] == 1
    # The job object as last seen, for the audit trail: where the wait ended.
    assert saved["job"]["id"] == 1
    assert saved["job"]["status"] in ("created", "valid_scheme", "in_progress")
    assert saved["outcome"] == "incomplete"  # not "no_changes": a job was left running
    sim.tenant.wait_job(1, "finished")
    resumed = run(sim, "-c", str(cfg), "--auto-approve")
    assert resumed.exit_code == 0, resumed.output
    with sim.tenant.lock:
        assert len(sim.tenant.jobs) == 1


def test_waits_for_a_foreign_job_then_plans(simulator, tmp_path: Path) -> None:
    sim = simulator(faults="stall=job,stall_time=0.3")
    cfg = write_config(tmp_path)
    with client_for(sim) as client:
        foreign_job(
            sim,
            client,
            [
                {
                    "email": "ana@acme-corp.com",
                    "first_name": "Ana",
                    "last_name": "Lopez",
                    "location": "Austin",
                }
            ],
            "someone-else.json",
            finish=False,
        )
    result = run(sim, "-c", str(cfg), "--auto-approve")
    assert result.exit_code == 0, result.output
    # The plan is made only once the other job has finished (its view): one plan, no re-plan.
    assert "is in progress in the tenant; waiting for it" in result.output
    assert "planning again" not in result.output
    with sim.tenant.lock:
        names = [j.filename for j in sim.tenant.jobs.values()]
        rows = sim.tenant.jobs[2].rows
    assert names[0] == "someone-else.json" and len(names) == 2
    # The second plan saw the other job's change: Ana's location is no longer in our row.
    ana = next(r for r in rows if r["email"] == "ana@acme-corp.com")
    assert ana["location"] == ""


def test_saved_plan_safety_refused_before_any_call(simulator, tmp_path: Path) -> None:
    sim = simulator()
    cfg = write_config(
        tmp_path,
        CONFIG.replace("users:\n", "policy:\n  max_dnc_removals: 0\nusers:\n", 1),
    )
    plan_file = tmp_path / "plan.json"
    with client_for(sim) as client:
        make_plan(cfg, client).save(plan_file)
    before = len(sim.requests)
    result = run(sim, str(plan_file))
    assert result.exit_code == 1
    assert "--allow-mass-changes" in result.output
    assert len(sim.requests) == before
    ok = run(sim, str(plan_file), "--allow-mass-changes")
    assert ok.exit_code == 0, ok.output


def test_saved_plan_for_another_tenant_is_refused(simulator, tmp_path: Path) -> None:
    sim = simulator()
    cfg = write_config(tmp_path)
    plan_file = tmp_path / "plan.json"
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
    plan = plan.model_copy(update={"tenant": "someone-else"})
    plan.save(plan_file)
    result = run(sim, str(plan_file))
    assert result.exit_code == 1
    assert "was made for tenant 'someone-else', not 'acme'" in result.output
    assert not [r for r in sim.requests if r["method"] == "POST"]


def test_interrupted_apply_still_writes_its_report(simulator, tmp_path: Path, monkeypatch) -> None:
    # Ctrl-C (or a CI cancel, which sends SIGINT) after the user job finished, during the DNC
    # stage: the audit report is still written, with the job and what was applied.
    from reconciler.platform import PlatformClient

    def cancelled(self: Any, contacts: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(PlatformClient, "dnc_add", cancelled)
    sim = simulator()
    cfg = write_config(tmp_path)
    report_file = tmp_path / "r.json"
    result = run(sim, "-c", str(cfg), "--auto-approve", "--report", str(report_file))
    assert result.exit_code == 130, result.output
    saved = json.loads(report_file.read_text())
    assert saved["outcome"] == "incomplete"
    assert saved["job_id"] == 1 and saved["job"]["status"] == "finished"
    assert {u["outcome"] for u in saved["users"]} == {"applied"}
    assert saved["api_calls"]["upload"] == 1


def test_saved_plan_made_again_after_a_revert_is_applied(simulator, tmp_path: Path) -> None:
    # A saved plan was applied; someone then undid its change in the tenant. A plan made now is
    # a new plan file with the same content (same live state, same changes: same hash). It must
    # apply, whether saved over the old file (journal next to it) or in a fresh CI workspace
    # (no journal, only the old finished job in the tenant); the old file itself stays refused.
    sim = simulator()
    cfg = write_config(
        tmp_path,
        "users:\n"
        "  - {email: boss@acme-corp.com, first_name: Bea, last_name: Boss, roles: [Admin]}\n"
        "  - {email: outsider@acme-corp.com, first_name: Otto, last_name: Side,"
        " status: Inactive}\n",
    )
    plan_file = tmp_path / "plan.json"

    def save_plan(path: Path) -> None:  # as a pull request does: plan --out
        env = cli_env(sim)
        result = CliRunner().invoke(cli, ["plan", "-c", str(cfg), "--out", str(path)], env=env)
        assert result.exit_code == 0, result.output

    def undo() -> None:
        with client_for(sim) as client:
            foreign_job(
                sim,
                client,
                [
                    {
                        "email": "outsider@acme-corp.com",
                        "first_name": "Otto",
                        "last_name": "Side",
                        "status": "Active",
                    }
                ],
                f"ui-{len(sim.tenant.jobs)}.json",
            )

    def status() -> str:
        user = sim.tenant.user_by_email("outsider@acme-corp.com")
        assert user is not None
        return str(user.status)

    save_plan(plan_file)
    old = plan_file.read_text()
    assert run(sim, str(plan_file)).exit_code == 0 and status() == "Inactive"
    undo()
    save_plan(plan_file)  # over the old one, next to its journal
    result = run(sim, str(plan_file))
    assert result.exit_code == 0, result.output
    assert status() == "Inactive"
    undo()
    fresh = tmp_path / "ci" / "plan.json"
    fresh.parent.mkdir()
    save_plan(fresh)
    result = run(sim, str(fresh))
    assert result.exit_code == 0, result.output
    assert status() == "Inactive"
    # The file applied first is refused again now: the tenant has its changes.
    (tmp_path / "old.json").write_text(old)
    again = run(sim, str(tmp_path / "old.json"))
    assert again.exit_code == 1 and "already applied" in again.output
    with sim.tenant.lock:
        ours = [j for j in sim.tenant.jobs.values() if j.filename.startswith("ccai-reconciler-")]
    assert len(ours) == 3  # one per plan that was applied, none for the refused one


def test_created_and_renamed_emails_keep_the_spelling_of_the_config(
    simulator, tmp_path: Path
) -> None:
    # Compared case-insensitively, but sent as written: the tenant shows what the YAML says.
    sim = simulator()
    spelled = CONFIG.replace("email: new.cy@acme-corp.com", "email: New.Cy@Acme-Corp.com").replace(
        "email: bob@acme-corp.com", "email: Bob@Acme-Corp.com"
    )
    cfg = write_config(tmp_path, spelled)
    result = run(sim, "-c", str(cfg), "--auto-approve")
    assert result.exit_code == 0, result.output
    emails = {u["email"] for u in sim.tenant.users_snapshot()}
    assert {"New.Cy@Acme-Corp.com", "Bob@Acme-Corp.com"} <= emails
    again = run(sim, "-c", str(cfg), "--auto-approve")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output
