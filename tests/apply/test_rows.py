"""Pure functions of apply: the job rows, DNC operations, error locations, the summary."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reconciler.apply import (
    ApplyOptions,
    DncOp,
    UserRow,
    dnc_ops,
    enforce_safety,
    job_filename,
    user_row,
)
from reconciler.errors import ApplyError
from reconciler.plan import (
    DncChange,
    FieldChange,
    MembershipChange,
    Plan,
    PlanDesired,
    SafetyViolation,
    UserChange,
)
from reconciler.render.jobprogress import JobProgress
from reconciler.report import ApplyReport, DncResult, UserResult
from reconciler.state import DesiredDnc, Location

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def sl(line: int, col: int = 5) -> Location:
    return Location(file="config/users/support.yaml", line=line, col=col)


def test_update_row_only_changed_fields_and_memberships() -> None:
    change = UserChange(
        action="update",
        email="ana@example.com",
        first_name="Ana",
        last_name="Lopez",
        fields=[
            FieldChange(field="location", before="Mexico", after=None, loc=sl(14)),
            FieldChange(field="max_chat_limit", before=2, after=4, loc=sl(15)),
            FieldChange(field="max_chat_limit_enabled", before=False, after=True, loc=sl(16)),
            FieldChange(field="status", before="Inactive", after="Active", loc=sl(17)),
        ],
        roles=[MembershipChange(name="Agent", assign=True, loc=sl(18))],
        teams=[MembershipChange(name="Tier 1", assign=False, loc=sl(19))],
        loc=sl(12, 3),
    )
    spec = user_row(change)
    assert spec.row == {
        "email": "ana@example.com",
        "new_email": "",
        "agent_number": "",
        "first_name": "Ana",
        "last_name": "Lopez",
        "status": "Active",
        "location": "null",
        "max_chat_limit": "4",
        "max_chat_limit_enabled": "1",
        "roles": [{"name": "Agent", "value": 1}],
        "teams": [{"name": "Tier 1", "value": 0}],
    }
    assert spec.action == "update"
    assert spec.location_of("location") == Location("config/users/support.yaml", 14, 5)
    assert spec.location_of(7) == Location("config/users/support.yaml", 14, 5)  # by index
    assert spec.location_of("agent_number") == Location("config/users/support.yaml", 12, 3)
    assert spec.location_of(None) == Location("config/users/support.yaml", 12, 3)
    assert spec.location_of("roles", "role 'Agent' ...") == Location(
        "config/users/support.yaml", 18, 5
    )
    assert spec.location_of("teams", "no such team") == Location("config/users/support.yaml", 12, 3)


def test_rename_row_uses_old_email_and_new_email() -> None:
    change = UserChange(
        action="rename",
        email="old@example.com",
        new_email="new@example.com",
        first_name="A",
        last_name="B",
        loc=sl(3),
    )
    spec = user_row(change)
    assert spec.row["email"] == "old@example.com"
    assert spec.row["new_email"] == "new@example.com"
    assert spec.email == "new@example.com"
    assert spec.row["roles"] == [] and spec.row["teams"] == []


def test_dnc_ops_and_reassert_skip_expired_absent_and_changed() -> None:
    plan = Plan(
        dnc_changes=[
            DncChange(action="add", number="+14155550001", raw="415 555 0001", loc=sl(2)),
            DncChange(action="remove", number="+14155550002", raw="+14155550002"),
        ],
        desired=PlanDesired(
            dnc=[
                DesiredDnc(number="+14155550001", raw="x"),
                DesiredDnc(number="+14155550003", raw="x", loc=sl(9)),
                DesiredDnc(
                    number="+14155550004", raw="x", expires_at=datetime(2026, 1, 1, tzinfo=UTC)
                ),
                DesiredDnc(number="+14155550005", raw="x", state="absent"),
                DesiredDnc(
                    number="+14155550006", raw="x", expires_at=datetime(2027, 1, 1, tzinfo=UTC)
                ),
            ]
        ),
    )
    plain = dnc_ops(plan, reassert=False, now=NOW)
    assert [(o.number, o.action) for o in plain] == [
        ("+14155550001", "add"),
        ("+14155550002", "remove"),
    ]
    again = dnc_ops(plan, reassert=True, now=NOW)
    assert [(o.number, o.action) for o in again][2:] == [
        ("+14155550003", "reassert"),
        ("+14155550006", "reassert"),
    ]
    assert again[2].loc == Location("config/users/support.yaml", 9, 5)


def test_safety_refusals_name_the_override() -> None:
    plan = Plan(
        safety=[
            SafetyViolation(
                kind="deactivations",
                message="would deactivate 40 of 120 users (33%), limit 10%",
                count=40,
                total=120,
                limit=12,
            ),
            SafetyViolation(kind="admin", message="no active user would hold the Admin role"),
        ]
    )
    with pytest.raises(ApplyError) as err:
        enforce_safety(plan, ApplyOptions())
    assert "would deactivate 40 of 120 users (33%), limit 10%" in str(err.value)
    assert "--allow-mass-changes" in str(err.value) and "--allow-no-admin" in str(err.value)
    with pytest.raises(ApplyError) as err:
        enforce_safety(plan, ApplyOptions(allow_mass_changes=True))
    assert "--allow-mass-changes" not in str(err.value)
    enforce_safety(plan, ApplyOptions(allow_mass_changes=True, allow_no_admin=True))


def test_job_filename_is_deterministic() -> None:
    assert job_filename("abcdef0123456789" * 4) == "ccai-reconciler-abcdef012345.json"


def test_summary_line() -> None:
    report = ApplyReport(plan_hash="h", job_id=1, outcome="applied_with_errors")
    report.users = [
        UserResult(row=i, email=f"u{i}@x", action="create", outcome="applied") for i in range(3)
    ]
    report.users += [UserResult(row=9, email="r@x", action="rename", outcome="applied")]
    report.users += [UserResult(row=10, email="u@x", action="update", outcome="warning")]
    report.dnc = [DncResult(number=f"+1{i}", action="add", outcome="created") for i in range(4)]
    report.dnc += [DncResult(number="+19", action="remove", outcome="removed")]
    report.dnc += [DncResult(number="+18", action="add", outcome="failed", error="bad")] * 2
    assert report.summary() == (
        "Applied: 3 users created, 1 updated, 1 renamed; 4 DNC numbers added, 1 removed; "
        "2 DNC numbers failed (see above)"
    )
    assert report.exit_code == 1
    assert ApplyReport(plan_hash="h").summary() == "Applied: no changes."


def test_userrow_without_locations_falls_back_to_none() -> None:
    spec = UserRow(row={}, email="a@x", action="deactivate")
    assert spec.location_of("status") is None
    assert DncOp(number="+1", action="add").loc is None


def test_progress_bar_on_a_terminal_and_lines_otherwise() -> None:
    import io

    from reconciler.platform.models import Job

    def job(status: str, done: int) -> Job:
        return Job(id=4, status=status, filename="f.json", total_rows=10, affected_rows=done)

    tty = io.StringIO()
    p = JobProgress(tty, tty=True)
    for j in (job("created", 0), job("in_progress", 5), job("in_progress", 10)):
        p.job(j)
    p.job(job("finished", 10))
    out = tty.getvalue()
    assert "\rjob 4 [###############---------------] 5/10 rows" in out
    assert "job 4 f.json: finished (10/10 rows)" in out

    plain = io.StringIO()
    p = JobProgress(plain, tty=False)
    for j in (job("created", 0), job("in_progress", 2), job("in_progress", 7), job("finished", 10)):
        p.job(j)
    assert plain.getvalue().splitlines() == [
        "job 4 f.json: created",
        "job 4 f.json: in_progress (2/10 rows)",
        "job 4 f.json: finished (10/10 rows)",
    ]


def test_dnc_batches_at_scale_skip_what_was_sent(tmp_path) -> None:
    # `apply --reassert-dnc` on the documented scale (20,000 numbers, batches of 500). Its CPU
    # cost is measured by `make bench` (stage apply-reassert), not timed here.
    from reconciler.apply import JobDriver, Journal, run_dnc

    class Client:
        calls = None

        def dnc_add(self, contacts: list[str]) -> list[dict[str, str]]:
            return [{"phone_number": c, "status": "updated"} for c in contacts]

        def dnc_remove(self, numbers: list[str]) -> list[dict[str, str]]:
            return [{"phone_number": n, "status": "removed"} for n in numbers]

    ops = [DncOp(number=f"+1415{i:07d}", action="reassert") for i in range(20_000)]
    client = Client()
    report = ApplyReport(plan_hash="0" * 64)
    journal = Journal(tmp_path / "plan.json.applied", "0" * 64)
    journal.record_dnc(ops[:100])  # an earlier, interrupted run sent the first batch
    run_dnc(
        ops,
        client,  # type: ignore[arg-type]
        report,
        JobDriver(client, ApplyOptions(), JobProgress(tty=False)),  # type: ignore[arg-type]
        batch_size=500,
        journal=journal,
        make_contact=lambda op: op.number,
    )
    assert len(report.dnc) == 20_000
    assert [d.batch for d in report.dnc[:100]] == [None] * 100  # already sent: not re-sent
    assert report.dnc[100].batch == 1 and report.dnc[-1].batch == 40


def test_membership_error_points_at_the_named_role_not_a_prefix_of_it() -> None:
    manager, manager_team = Location("c.yaml", 3, 5), Location("c.yaml", 9, 5)
    spec = UserRow(
        row={},
        email="a@x",
        action="update",
        loc=Location("c.yaml", 1, 3),
        membership_locs={("role", "Manager"): manager, ("role", "Manager Team"): manager_team},
    )
    assert spec.location_of("roles", "role 'Manager Team' does not exist") == manager_team
    assert spec.location_of(10, "role 'Manager': value must be 0, 1 or empty") == manager
    assert spec.location_of("roles", "Manager Team could not be assigned") == manager_team


def test_file_level_job_error_has_no_row_suffix() -> None:
    from reconciler.apply import _map_error

    report = ApplyReport(plan_hash="h")
    spec = UserRow(row={}, email="a@x", action="update")
    _map_error({"message": "file is empty", "row": None, "column": None}, [spec], report, "error")
    _map_error({"message": "row out of range", "row": 7, "column": None}, [spec], report, "error")
    assert [d.message for d in report.diagnostics] == [
        "file is empty",
        "row out of range (job row 7)",
    ]


def test_a_batch_refused_as_a_whole_fails_its_numbers_and_the_rest_still_runs(tmp_path) -> None:
    from reconciler.apply import JobDriver, Journal, run_dnc
    from reconciler.platform.errors import RequestRejectedError

    sent: list[list[str]] = []

    class Client:
        calls = None

        def dnc_add(self, contacts: list[str]) -> list[dict[str, str]]:
            sent.append(contacts)
            if len(sent) == 1:
                raise RequestRejectedError(
                    "POST /outbound_dialer/dnc: 400 bad batch",
                    method="POST",
                    path="/outbound_dialer/dnc",
                    status=400,
                )
            return [{"phone_number": c, "status": "created"} for c in contacts]

        def dnc_remove(self, numbers: list[str]) -> list[dict[str, str]]:
            sent.append(numbers)
            return [{"phone_number": n, "status": "removed"} for n in numbers]

    where = Location("dnc.yaml", 4, 5)
    ops = [DncOp(number=f"+141555501{i:02d}", action="add", loc=where) for i in range(4)]
    ops.append(DncOp(number="+14155550199", action="remove"))
    client = Client()
    report = ApplyReport(plan_hash="0" * 64)
    journal = Journal(tmp_path / "plan.json.applied", "0" * 64)
    run_dnc(
        ops,
        client,  # type: ignore[arg-type]
        report,
        JobDriver(client, ApplyOptions(), JobProgress(tty=False)),  # type: ignore[arg-type]
        batch_size=2,
        journal=journal,
        make_contact=lambda op: op.number,
    )
    assert len(sent) == 3  # the refused batch, the next add batch, the removal
    assert [d.outcome for d in report.dnc] == ["failed", "failed", "created", "created", "removed"]
    assert report.dnc[0].error is not None and "the whole batch failed" in report.dnc[0].error
    assert any(str(where) in str(d) and "400 bad batch" in str(d) for d in report.diagnostics)
    assert report.exit_code == 1
    # The refused numbers are not recorded as sent: a re-run sends them again.
    assert not journal.dnc_done(ops[0].number, "add") and journal.dnc_done(ops[2].number, "add")


def _job(status: str, **kw: object) -> object:
    from reconciler.platform.models import Job

    data = {"id": 7, "status": status, "filename": "ccai-reconciler-x.json", "total_rows": 1}
    return Job.model_validate({**data, "affected_rows": 1 if status == "finished" else 0, **kw})


class _ResumeClient:
    """Just enough of a client for run_user_job: a job that this plan's interrupted run had
    already proceeded, while the server still reads valid_scheme (as its proceed answer does)."""

    calls = None

    def __init__(self, proceed_answer: str | None) -> None:
        self.proceed_answer = proceed_answer
        self.proceeds = 0
        self.reads = 0

    def proceed(self, job_id: int) -> object:
        from reconciler.platform.errors import RequestRejectedError

        self.proceeds += 1
        raise RequestRejectedError(
            f"POST /bulk/users/proceed: {self.proceed_answer}",
            method="POST",
            path="/bulk/users/proceed",
            status=400,
            server_message=self.proceed_answer,
        )

    def job(self, job_id: int) -> object:
        self.reads += 1
        return _job("finished" if self.reads > 1 else "in_progress")

    def jobs(self) -> list[object]:  # the check before proceed: only this job in the tenant
        return [_job("valid_scheme")]


@pytest.mark.parametrize("requested", [True, False])
def test_resuming_a_job_already_proceeded_waits_for_it(requested: bool) -> None:
    from reconciler.apply import JobDriver, run_user_job
    from reconciler.jobqueue import Snapshot

    client = _ResumeClient("Update is already in progress.")
    found = _job(
        "valid_scheme",
        process_requested_at="2026-11-25T20:00:00.000Z" if requested else None,
    )
    report = ApplyReport(plan_hash="0" * 64)
    options = ApplyOptions(sleep=lambda s: None)
    driver = JobDriver(client, options, JobProgress(tty=False))  # type: ignore[arg-type]
    rows = [UserRow(row={"email": "a@x.com"}, email="a@x.com", action="update")]
    snapshot = Snapshot.of([found])
    ok = run_user_job(rows, "ccai-reconciler-x.json", client, report, driver, snapshot, found)  # type: ignore[arg-type]
    assert ok and report.job is not None and report.job["status"] == "finished"
    assert client.proceeds == (0 if requested else 1)  # never proceeded twice when it says so


def test_another_proceed_refusal_is_still_an_error() -> None:
    from reconciler.apply import JobDriver, run_user_job
    from reconciler.jobqueue import Snapshot
    from reconciler.platform.errors import RequestRejectedError

    client = _ResumeClient("This job cannot proceed update. status: created")
    report = ApplyReport(plan_hash="0" * 64)
    driver = JobDriver(client, ApplyOptions(sleep=lambda s: None), JobProgress(tty=False))  # type: ignore[arg-type]
    rows = [UserRow(row={"email": "a@x.com"}, email="a@x.com", action="update")]
    found = _job("valid_scheme")
    with pytest.raises(RequestRejectedError):
        run_user_job(
            rows, "ccai-reconciler-x.json", client, report, driver, Snapshot.of([found]), found
        )  # type: ignore[arg-type]
