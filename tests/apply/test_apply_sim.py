"""apply_plan against the simulator over real HTTP: lifecycle, errors mapped to YAML, DNC."""

from __future__ import annotations

import io
import json
from pathlib import Path

from reconciler.apply import ApplyOptions, apply_plan, job_filename, wait_for_view
from reconciler.render.jobprogress import JobProgress
from tests.helpers import foreign_job

from .helpers import calls_to, client_for, jobs_named, make_plan, write_config


def fast(**kw: object) -> ApplyOptions:
    kw.setdefault("poll_initial", 0.01)
    kw.setdefault("poll_max", 0.05)
    return ApplyOptions(**kw)  # type: ignore[arg-type]


def test_apply_converges_and_replan_is_empty(simulator, tmp_path: Path) -> None:
    sim = simulator()
    cfg = write_config(tmp_path)
    out = io.StringIO()
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
        assert [u.action for u in plan.user_changes] == ["create", "rename", "update"]
        report = apply_plan(plan, client, options=fast(progress=JobProgress(out, tty=False)))
        assert report.exit_code == 0, report.diagnostics
        assert report.outcome == "applied"
        assert report.job_filename == job_filename(plan.hash)
        assert report.job is not None and report.job["status"] == "finished"
        assert [u.outcome for u in report.users] == ["applied"] * 3
        assert {(d.number, d.outcome) for d in report.dnc} == {
            ("+14155550101", "created"),
            ("+14155550102", "created"),
            ("+14155550103", "created"),
            ("+14155550100", "removed"),
        }
        again = make_plan(cfg, client)
        assert again.is_empty, again.summary()
    assert jobs_named(sim, report.job_filename) == [report.job_id]
    # The job file: only changing users, only changing fields, memberships as deltas.
    with sim.tenant.lock:
        rows = sim.tenant.jobs[report.job_id].rows
    ana = next(r for r in rows if r["email"] == "ana@acme-corp.com")
    assert ana["location"] == "Austin" and ana["status"] == "" and ana["agent_number"] == ""
    assert sorted((m["name"], m["value"]) for m in ana["roles"]) == [("Manager", 1)]
    assert sorted((m["name"], m["value"]) for m in ana["teams"]) == [("Tier 1", 0), ("Tier 2", 1)]
    bob = next(r for r in rows if r["email"] == "old.bob@acme-corp.com")
    assert bob["new_email"] == "bob@acme-corp.com"
    assert all(r["email"] != "outsider@acme-corp.com" for r in rows)
    # One add call and one remove call for four numbers.
    assert len(calls_to(sim, "/outbound_dialer/dnc")) == 1
    assert len(calls_to(sim, "/outbound_dialer/dnc/remove")) == 1
    assert report.api_calls["upload"] == 1 and report.api_calls["proceed"] == 1
    # Non-TTY progress: one line per state change.
    lines = out.getvalue().splitlines()
    assert any("finished" in line for line in lines), lines
    assert "s3cret" not in report.to_json()
    json.loads(report.to_json())


def test_invalid_scheme_maps_to_yaml_and_applies_nothing(simulator, tmp_path: Path) -> None:
    # The config names a location the tenant lacks; plan does not know locations, the job's
    # scheme check rejects it.
    sim = simulator()
    cfg = write_config(
        tmp_path,
        """\
        users:
          - email: ana@acme-corp.com
            first_name: Ana
            last_name: Lopez
            location: Mexcio
            roles: [Agent]
            teams: [Tier 1]
        dnc:
          - "+1 415 555 0101"
        """,
    )
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
        report = apply_plan(plan, client, options=fast())
    assert report.outcome == "invalid_scheme"
    assert report.exit_code == 1
    [diag] = report.errors
    assert diag.location == f"{cfg / 'users.yaml'}:5:5"
    assert "Mexcio" in diag.message
    assert report.users[0].outcome == "not_applied"
    assert report.dnc == []
    assert calls_to(sim, "/outbound_dialer/dnc") == []  # DNC skipped too
    assert calls_to(sim, "/bulk/users/proceed") == []
    assert sim.tenant.user_by_email("ana@acme-corp.com").location is None
    assert "Nothing applied" in report.summary()


def test_update_errors_and_warnings_map_to_yaml_lines(simulator, tmp_path: Path) -> None:
    # Between plan and apply someone creates bob@ (so our rename onto it fails) and sets Ana's
    # agent number (so our row changes nothing: a warning).
    sim = simulator()
    cfg = write_config(
        tmp_path,
        """\
        users:
          - email: ana@acme-corp.com
            first_name: Ana
            last_name: Lopez
            agent_number: A-7
            roles: [Agent]
            teams: [Tier 1]
          - email: bob@acme-corp.com
            renamed_from: old.bob@acme-corp.com
            first_name: Bob
            last_name: Stone
            roles: [Agent]
        """,
    )
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
        foreign_job(
            sim,
            client,
            [
                {"email": "bob@acme-corp.com", "first_name": "Other", "last_name": "Bob"},
                {
                    "email": "ana@acme-corp.com",
                    "first_name": "Ana",
                    "last_name": "Lopez",
                    "agent_number": "A-7",
                },
            ],
        )
        # Applied as if the plan had been made from the view after that job (a stale view on
        # purpose: apply itself would refuse it), to see the tenant's update errors.
        snapshot = wait_for_view(client, fast())
        report = apply_plan(plan, client, options=fast(), snapshot=snapshot)
    assert report.outcome == "applied_with_errors"
    assert report.exit_code == 1
    [err] = report.errors
    assert err.location == f"{cfg / 'users.yaml'}:8:5"
    assert "already used" in err.message and "bob@acme-corp.com" in err.message
    [warn] = report.warnings
    assert warn.location == f"{cfg / 'users.yaml'}:2:5"
    outcomes = {u.email: u.outcome for u in report.users}
    assert outcomes == {"ana@acme-corp.com": "warning", "bob@acme-corp.com": "failed"}
    assert "1 user failed" in report.summary()


def test_reassert_dnc_heals_drift_in_one_batch_call(simulator, tmp_path: Path) -> None:
    sim = simulator()
    cfg = write_config(tmp_path)
    with client_for(sim) as client:
        assert apply_plan(make_plan(cfg, client), client, options=fast()).exit_code == 0
        # Drift: someone removes two declared numbers in the tenant.
        client.dnc_remove(["+14155550101", "+14155550103"])
        plan = make_plan(cfg, client)
        plan = plan.model_copy(
            update={"dnc_changes": []}
        )  # as a plan with --base-ref would: nothing changed in git
        before = len(calls_to(sim, "/outbound_dialer/dnc"))
        report = apply_plan(plan, client, options=fast(reassert_dnc=True))
    assert report.exit_code == 0
    assert len(calls_to(sim, "/outbound_dialer/dnc")) == before + 1
    assert {(d.number, d.action, d.outcome) for d in report.dnc} == {
        ("+14155550101", "reassert", "created"),
        ("+14155550102", "reassert", "updated"),
        ("+14155550103", "reassert", "created"),
    }
    assert set(sim.tenant.dnc_snapshot()) == {"+14155550101", "+14155550102", "+14155550103"}
    assert "3 DNC numbers re-asserted" in report.summary()


def test_failed_dnc_entries_are_reported_and_do_not_stop_the_rest(
    simulator, tmp_path: Path
) -> None:
    # The tenant's clock is a day ahead of ours: an expiry an hour from now is already past
    # for it, so it refuses that one number (as if the expiry passed between plan and apply).
    from datetime import UTC, datetime, timedelta

    sim = simulator(now=datetime.now(UTC) + timedelta(days=1))
    soon = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cfg = write_config(
        tmp_path,
        f"""\
        dnc:
          - phone_number: "+1 415 555 0107"
            expires_at: "{soon}"
          - "+1 415 555 0108"
        """,
    )
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
        report = apply_plan(plan, client, options=fast(dnc_batch_size=1))
    assert report.exit_code == 1
    assert report.outcome == "applied_with_errors"
    [err] = report.errors
    assert err.location == f"{cfg / 'users.yaml'}:2:19"
    assert "+14155550107" in err.message
    assert {d.number: d.outcome for d in report.dnc} == {
        "+14155550107": "failed",
        "+14155550108": "created",
    }
    assert "1 DNC number added; 1 DNC number failed (see above)" in report.summary()


def test_rejected_job_is_revalidated_in_place_after_the_tenant_is_fixed(
    simulator, tmp_path: Path
) -> None:
    sim = simulator()
    cfg = write_config(
        tmp_path,
        """\
        users:
          - email: ana@acme-corp.com
            first_name: Ana
            last_name: Lopez
            location: Mexcio
            roles: [Agent]
            teams: [Tier 1]
        """,
    )
    with client_for(sim) as client:
        plan = make_plan(cfg, client)
        assert apply_plan(plan, client, options=fast()).outcome == "invalid_scheme"
        # An admin creates the location in the tenant (locations are not in the fingerprint,
        # so the next plan is the same plan, with the same job name).
        with sim.tenant.lock:
            sim.tenant.locations.append("Mexcio")
        again = make_plan(cfg, client)
        assert again.hash == plan.hash
        report = apply_plan(again, client, options=fast())
    assert report.exit_code == 0 and report.resumed
    assert report.api_calls.get("replace_upload") == 1
    assert jobs_named(sim, job_filename(plan.hash)) == [report.job_id]
    assert sim.tenant.user_by_email("ana@acme-corp.com").location == "Mexcio"
