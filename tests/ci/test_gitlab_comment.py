"""``gitlab-comment`` over real HTTP against the stand-in's GitLab merge-request notes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.github_comment import marker
from tests.ci.github_standin import BOT, TOKEN, StandIn, run_standin
from tests.ci.test_github_comment import write_parts

MR = 5


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with run_standin() as s:
        yield s


def note(standin: StandIn, directory: Path, *args: str, **env: str) -> Result:
    base = {
        "CI_API_V4_URL": f"{standin.base_url}/api/v4",
        "CI_PROJECT_ID": str(standin.project_id),
        "CI_MERGE_REQUEST_IID": str(MR),
        "GITLAB_TOKEN": TOKEN,
    }
    return CliRunner().invoke(
        cli, ["gitlab-comment", "--dir", str(directory), *args], env={**base, **env}
    )


def test_notes_are_edited_in_place_grown_and_shrunk(standin: StandIn, tmp_path: Path) -> None:
    standin.add(MR, "reviewer: looks fine")
    parts = write_parts(tmp_path / "plan-md", "plan v1")
    result = note(standin, parts)
    assert result.exit_code == 0, result.output
    assert "Plan note on !5: 1 created" in result.output
    write_parts(parts, "plan v2", "part 2")
    assert "1 created, 1 updated" in note(standin, parts).output
    assert any(m == "PUT" for m, _ in standin.requests)
    write_parts(parts, "No changes.")
    assert "1 updated, 0 unchanged, 1 deleted" in note(standin, parts).output
    assert standin.bodies(MR) == [
        ("alice", "reviewer: looks fine"),
        (BOT, f"{marker('plan', 1)}\nNo changes."),
    ]


def test_gitlab_errors_are_messages(standin: StandIn, tmp_path: Path) -> None:
    parts = write_parts(tmp_path / "p", "x")
    bad = note(standin, parts, GITLAB_TOKEN="glpat-wrong-789")
    assert bad.exit_code == 1 and "GitLab refused the token (401" in bad.output
    assert "glpat-wrong-789" not in bad.output and "Traceback" not in bad.output
    standin.fail_next = [(403, {}, {"message": "403 Forbidden"})]
    denied = note(standin, parts)
    assert denied.exit_code == 1 and "api scope" in denied.output
    no_mr = note(standin, parts, CI_MERGE_REQUEST_IID="")
    assert no_mr.exit_code == 1 and "no merge request" in no_mr.output
    assert TOKEN not in bad.output + denied.output + no_mr.output


def test_gitlab_rate_limit_beyond_the_bound_names_gitlab(standin: StandIn, tmp_path: Path) -> None:
    parts = write_parts(tmp_path / "p", "x")
    standin.fail_next = [(429, {"Retry-After": "3600"}, {"message": "slow down"})]
    result = note(standin, parts, "--max-wait", "30")
    assert result.exit_code == 1, result.output
    assert "GitLab's rate limit: retry in 3600 s" in result.output
    assert "GitHub" not in result.output and "Traceback" not in result.output
    assert len(standin.requests) == 1


def test_a_part_over_gitlabs_limit_names_gitlab_and_its_limit(
    standin: StandIn, tmp_path: Path
) -> None:
    """GitLab holds 1,000,000 characters a note: a part GitHub would refuse is posted, one
    over GitLab's own limit is refused by name before any request."""
    parts = write_parts(tmp_path / "p", "x" * 70_000)
    assert note(standin, parts).exit_code == 0
    write_parts(parts, "y" * 1_000_001)
    sent = len(standin.requests)
    result = note(standin, parts)
    assert result.exit_code == 1
    assert "more than a GitLab note holds (1000000)" in result.output
    assert "GitHub" not in result.output and "Traceback" not in result.output
    assert [m for m, _ in standin.requests[sent:]] == ["GET"]  # listed, nothing written
