"""``github-comment`` over real HTTP against the local stand-in for GitHub's REST API."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.github_comment import GitHub, marker, post_parts, settings_from_env
from tests.ci.github_standin import TOKEN, StandIn, env_for, run_standin

PR = 7


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with run_standin() as s:
        yield s


@pytest.fixture
def event(tmp_path: Path) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": PR}}))
    return path


def write_parts(directory: Path, *parts: str) -> Path:
    directory.mkdir(exist_ok=True)
    for old in directory.glob("plan-*.md"):
        old.unlink()
    for i, part in enumerate(parts, 1):
        (directory / f"plan-{i}.md").write_text(part)
    return directory


def comment(standin: StandIn, event: Path, directory: Path, *args: str, **env: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["github-comment", "--dir", str(directory), *args],
        env={**env_for(standin, str(event)), **env},
    )


def test_create_then_edit_grow_shrink_and_leave_others_alone(
    standin: StandIn, event: Path, tmp_path: Path
) -> None:
    standin.add(PR, "LGTM, but see the plan")
    standin.add(PR, f"quoting the bot:\n{marker('plan', 1)}\nold text")  # marker not first
    standin.add(PR + 1, f"{marker('plan', 1)}\nanother PR's plan")
    parts = tmp_path / "plan-md"

    result = comment(standin, event, write_parts(parts, "# Plan\n2 changes"))
    assert result.exit_code == 0, result.output
    assert "1 created, 0 updated, 0 unchanged, 0 deleted" in result.output
    mine = [b for u, b in standin.bodies(PR) if u == "github-actions[bot]"]
    assert mine == [f"{marker('plan', 1)}\n# Plan\n2 changes"]

    # grown to three parts: the first is edited in place, two are added
    standin.requests.clear()
    result = comment(standin, event, write_parts(parts, "# Plan\n900 changes", "B", "C"))
    assert result.exit_code == 0, result.output
    assert "2 created, 1 updated" in result.output
    assert [m for m, _ in standin.requests].count("PATCH") == 1
    assert standin.bodies(PR)[:2] == [
        ("alice", "LGTM, but see the plan"),
        ("alice", f"quoting the bot:\n{marker('plan', 1)}\nold text"),
    ]
    mine = [b for u, b in standin.bodies(PR) if u == "github-actions[bot]"]
    assert mine == [
        f"{marker('plan', 1)}\n# Plan\n900 changes",
        f"{marker('plan', 2)}\nB",
        f"{marker('plan', 3)}\nC",
    ]
    # the list is paged (2 a page here): three comments before this run, two GETs
    assert [m for m, _ in standin.requests].count("GET") == 2

    # the same plan again: nothing is sent but the list
    standin.requests.clear()
    result = comment(standin, event, parts)
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 3 unchanged, 0 deleted" in result.output
    assert {m for m, _ in standin.requests} == {"GET"}
    assert len(standin.requests) == 3  # 5 comments at 2 a page: every page was read

    # shrunk to one part: the extra two are deleted, nobody else's comment is
    result = comment(standin, event, write_parts(parts, "No changes."))
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 0 unchanged, 2 deleted" in result.output
    assert standin.bodies(PR) == [
        ("alice", "LGTM, but see the plan"),
        ("alice", f"quoting the bot:\n{marker('plan', 1)}\nold text"),
        ("github-actions[bot]", f"{marker('plan', 1)}\nNo changes."),
    ]
    assert standin.bodies(PR + 1) == [("alice", f"{marker('plan', 1)}\nanother PR's plan")]


def test_keys_keep_two_tenants_plans_apart(standin: StandIn, event: Path, tmp_path: Path) -> None:
    sandbox = write_parts(tmp_path / "sandbox", "sandbox plan")
    prod = write_parts(tmp_path / "prod", "prod plan", "prod part 2")
    assert comment(standin, event, sandbox, "--key", "sandbox").exit_code == 0
    assert comment(standin, event, prod, "--key", "production").exit_code == 0
    write_parts(prod, "prod plan v2")
    result = comment(standin, event, prod, "--key", "production")
    assert "1 updated, 0 unchanged, 1 deleted" in result.output
    assert [b for _, b in standin.bodies(PR)] == [
        f"{marker('sandbox', 1)}\nsandbox plan",
        f"{marker('production', 1)}\nprod plan v2",
    ]


def test_issue_event_and_pr_option(standin: StandIn, tmp_path: Path) -> None:
    event = tmp_path / "issue.json"
    event.write_text(json.dumps({"issue": {"number": 3}}))
    parts = write_parts(tmp_path / "p", "x")
    assert comment(standin, event, parts).exit_code == 0
    assert comment(standin, event, parts, "--pr", "4").exit_code == 0
    assert [b for _, b in standin.bodies(3)] == [f"{marker('plan', 1)}\nx"]
    assert [b for _, b in standin.bodies(4)] == [f"{marker('plan', 1)}\nx"]


def assert_clean_error(result: Result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert TOKEN not in result.output
    assert "wrong-token-456" not in result.output
    for needle in needles:
        assert needle in result.output, result.output


def test_missing_pr_number(standin: StandIn, tmp_path: Path) -> None:
    event = tmp_path / "push.json"
    event.write_text(json.dumps({"ref": "refs/heads/main"}))
    parts = write_parts(tmp_path / "p", "x")
    assert_clean_error(comment(standin, event, parts), "no pull request number", "--pr")
    result = comment(standin, event, parts, GITHUB_EVENT_PATH="")
    assert_clean_error(result, "GITHUB_EVENT_PATH is not set")
    assert standin.requests == []


def test_bad_token_is_a_message_and_never_printed(
    standin: StandIn, event: Path, tmp_path: Path
) -> None:
    parts = write_parts(tmp_path / "p", "x")
    result = comment(standin, event, parts, GITHUB_TOKEN="wrong-token-456")
    assert_clean_error(result, "GitHub refused the token (401 (Bad credentials))", "GITHUB_TOKEN")
    assert_clean_error(comment(standin, event, parts, GITHUB_TOKEN=""), "no GitHub token")


def test_403_names_the_missing_permission(standin: StandIn, event: Path, tmp_path: Path) -> None:
    parts = write_parts(tmp_path / "p", "x")
    standin.fail_next = [(200, {}, [])]  # the list is fine (empty) ...
    standin.fail_next.append(
        (403, {}, {"message": "Resource not accessible by integration"})
    )  # ... the create is refused
    result = comment(standin, event, parts)
    assert_clean_error(
        result, "POST /repos/acme/ccai-config/issues/7/comments", "pull-requests: write"
    )
    assert standin.bodies(PR) == []


def test_rate_limit_waits_for_retry_after_and_reset(standin: StandIn, event: Path) -> None:
    settings = settings_from_env(env_for(standin, str(event)))
    waited: list[float] = []
    reset = str(int(time.time()) + 20)
    standin.fail_next = [
        (403, {"Retry-After": "7"}, {"message": "You have exceeded a secondary rate limit"}),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}, {"message": "API rate"}),
    ]
    gh = GitHub(settings, sleep=waited.append)
    try:
        outcome = post_parts(gh, ["x"])
    finally:
        gh.close()
    assert outcome.created and len(waited) == 2
    assert waited[0] == 7
    assert 15 <= waited[1] <= 22
    assert [m for m, _ in standin.requests] == ["GET", "GET", "GET", "POST"]


def test_rate_limit_beyond_the_bound_is_an_error(
    standin: StandIn, event: Path, tmp_path: Path
) -> None:
    parts = write_parts(tmp_path / "p", "x")
    standin.fail_next = [(429, {"Retry-After": "3600"}, {"message": "slow down"})]
    result = comment(standin, event, parts, "--max-wait", "30")
    assert_clean_error(result, "rate limit: retry in 3600 s", "--max-wait")
    assert len(standin.requests) == 1


def test_plain_http_only_on_loopback_and_parts_must_exist(event: Path, tmp_path: Path) -> None:
    parts = write_parts(tmp_path / "p", "x")
    env = {
        "GITHUB_API_URL": "http://github.example.com/api/v3",
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": "acme/ccai-config",
        "GITHUB_EVENT_PATH": str(event),
    }
    result = CliRunner().invoke(cli, ["github-comment", "--dir", str(parts)], env=env)
    assert_clean_error(result, "refusing plain http to github.example.com")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["github-comment", "--dir", str(empty)], env=env)
    assert_clean_error(result, "no plan parts", "plan --out-dir")
