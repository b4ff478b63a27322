"""Renderers read only the Plan: text (colour on request), markdown (split), json."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from reconciler.diff import diff
from reconciler.plan import Plan, UserChange
from reconciler.render import markdown_parts, render_json, render_markdown, render_text
from reconciler.render.markdown import COMMENT_LIMIT
from reconciler.render.progress import ProgressLine
from reconciler.state import LiveDnc, Policy, Threshold

from .helpers import NOW, desired, dnc, duser, live, row


def mixed_plan() -> Plan:
    pol = Policy(
        unmanaged_users="deactivate", max_deactivations=Threshold(count=0), manage_roles="all"
    )
    d = desired(
        duser("new@x.com", roles=("Agent",), location="Mexico"),
        duser("a@x.com", line=10, last_name="Smith", roles=("Admin",)),
        duser("n2@x.com", line=20, renamed_from="old@x.com"),
        dnc=(
            dnc("+14155550100"),
            dnc("+14155550101", state="absent", line=7),
            dnc("+14155550102", expires_at=NOW + timedelta(days=3), line=9),
        ),
        policy=pol,
    )
    lv = live(
        row("a@x.com", roles=("Admin", "Manager"), location="Mexico"),
        row("old@x.com"),
        row("x@x.com"),
        dnc=(
            LiveDnc("+14155550100", False, None),
            LiveDnc("+14155550101", True, None),
            LiveDnc("+14155550102", True, None),
        ),
    )
    return diff(d, lv, now=NOW, base_ref="main")


def text(plan: Plan, color: bool = False) -> str:
    buf = io.StringIO()
    render_text(plan, buf, color=color)
    return buf.getvalue()


def test_text_marks_locations_and_summary() -> None:
    out = text(mixed_plan())
    lines = out.splitlines()
    assert lines[0].startswith("Plan for base ref main, live ")
    assert any(
        ln.startswith("  + new@x.com (create)") and ln.endswith("users.yaml:1") for ln in lines
    )
    assert any("~ old@x.com -> n2@x.com (rename)" in ln for ln in lines)
    assert any('~ last_name: "L" -> "Smith"' in ln and ln.endswith("users.yaml:12") for ln in lines)
    assert any(ln.strip() == "- role Manager" for ln in lines)
    assert any("- x@x.com (deactivate)" in ln for ln in lines)
    assert "# unmanaged user (policy.unmanaged_users: deactivate)" in out
    assert any(ln.strip().startswith("+ +14155550100 expires never") for ln in lines)
    assert "~ +14155550102 expires never -> 2026-06-04 12:00:00 UTC" in out
    assert any("- +14155550101" in ln and ln.endswith("dnc.yaml:7") for ln in lines)
    assert "Unsafe (apply will refuse" in out and "would deactivate 1 of 3 active users" in out
    assert lines[-1] == (
        "Plan: 1 user to create, 1 to update, 1 to rename, 1 to deactivate; "
        "1 DNC number to add, 1 to update, 1 to remove."
    )
    assert "\x1b[" not in out


def test_text_colour_only_when_asked() -> None:
    out = text(mixed_plan(), color=True)
    assert "\x1b[32m+ new@x.com (create)" in out  # green create
    assert "\x1b[31m- x@x.com (deactivate)" in out  # red deactivate


def test_empty_plan_text() -> None:
    out = text(
        diff(
            desired(duser("a@x.com", roles=("Admin",))),
            live(row("a@x.com", roles=("Admin",))),
            now=NOW,
        )
    )
    assert out.splitlines()[-1] == "No changes. The tenant matches the configuration."


def test_markdown_single_part() -> None:
    plan = mixed_plan()
    buf = io.StringIO()
    render_markdown(plan, buf)
    md = buf.getvalue()
    assert md.startswith("### ccai-reconciler plan\n")
    assert "| Users | 1 | 1 | 1 | 1 |" in md
    assert "> [!CAUTION]" in md
    assert "```diff" in md and "<summary>Users (4)</summary>" in md
    assert "! old@x.com -> n2@x.com (rename)" in md  # GitHub colours '!' lines
    assert markdown_parts(plan) == [md]


def test_markdown_split_into_parts_that_fit() -> None:
    n = 3000
    users = [
        duser(f"user{i:05d}@example.com", line=i * 5 + 1, first_name=f"N{i}") for i in range(n)
    ]
    plan = diff(desired(*users), live(row("admin@x.com", roles=("Admin",))), now=NOW)
    parts = markdown_parts(plan)
    assert len(parts) > 1
    assert all(len(p) <= COMMENT_LIMIT for p in parts)
    assert parts[0].startswith(f"### ccai-reconciler plan (part 1 of {len(parts)})")
    assert parts[-1].startswith(f"### ccai-reconciler plan (part {len(parts)} of {len(parts)})")
    joined = "".join(parts)
    for i in (0, n // 2, n - 1):
        assert f"+ user{i:05d}@example.com (create)" in joined
    for p in parts:  # every code block and details section is closed in its part
        assert p.count("```diff") == p.count("```") // 2
        assert p.count("<details") == p.count("</details>")
    assert "**Plan: 3000 users to create" in parts[0]


def test_markdown_part_one_fits_even_with_thousands_of_warnings() -> None:
    # 3,000 users in a location no live user has: one warning each.
    n = 3000
    users = [duser(f"user{i:05d}@example.com", location=f"Nowhere {i}") for i in range(n)]
    plan = diff(desired(*users), live(row("admin@x.com", roles=("Admin",))), now=NOW)
    assert len(plan.warnings) >= n
    parts = markdown_parts(plan)
    assert all(len(p) <= COMMENT_LIMIT for p in parts)
    assert "more warnings (the text and JSON plans list them all)" in parts[0]
    assert "**Plan: 3000 users to create" in parts[0]


def test_json_render_is_the_saved_form() -> None:
    plan = mixed_plan()
    buf = io.StringIO()
    render_json(plan, buf)
    data = json.loads(buf.getvalue())
    assert data["hash"] == plan.hash and data["format_version"] == 1
    assert Plan.from_json(buf.getvalue()) == plan


def test_user_change_key() -> None:
    u = UserChange(
        action="rename", email="Old@x.com", new_email="new@x.com", first_name="a", last_name="b"
    )
    assert u.key == "new@x.com"


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_progress_lines_every_5_percent_when_not_a_tty() -> None:
    buf = io.StringIO()
    clock = FakeClock()
    p = ProgressLine(buf, "Checking", tty=False, clock=clock)
    for i in range(0, 101):
        p(i, 100)
        clock.t += 1.0
    lines = buf.getvalue().splitlines()
    assert len(lines) == 21
    assert lines[0] == "Checking: 0/100 (0%, ETA ?)"
    assert lines[1] == "Checking: 5/100 (5%, ETA 1m35s)"
    assert lines[-1] == "Checking: 100/100 (100%)"


def test_progress_bar_on_tty() -> None:
    buf = io.StringIO()
    clock = FakeClock()
    p = ProgressLine(buf, "Checking", tty=True, width=10, clock=clock)
    p(0, 4)
    clock.t += 2
    p(1, 4)
    out = buf.getvalue()
    assert "\r" in out and "[##........] 1/4  25% ETA 6s" in out


def test_text_header_shows_the_commit_and_marks_uncommitted_changes() -> None:
    for commit, shown in (
        ("0123456789abcdef0123", "config 0123456789ab,"),
        ("0123456789abcdef0123-dirty", "config 0123456789ab-dirty,"),
    ):
        plan = Plan(config_commit=commit)
        out = io.StringIO()
        render_text(plan, out)
        assert shown in out.getvalue().splitlines()[0]


def test_scope_and_new_guards_in_text_markdown_and_json() -> None:
    from reconciler.config import load_config_sources

    cfg = (
        "users:\n"
        + "".join(
            f"  - {{email: u{i}@x.com, first_name: F, last_name: L, location: null, "
            f"roles: [Agent]}}\n"
            for i in range(4)
        )
        + "teams:\n  Tier 1: []\n"
    )
    d = load_config_sources([("c.yaml", cfg.encode())], now=NOW).state
    lv = live(
        *(
            row(f"u{i}@x.com", roles=("Agent",), teams=("Tier 1",), location="Mexico")
            for i in range(4)
        )
    )
    p = diff(d, lv, now=NOW)
    assert [v.kind for v in p.safety] == ["team_removals", "field_clears"]
    team = "would remove 4 of 4 team memberships (100%) from 4 of 4 users that have one"
    clear = "would clear the location of 4 of 4 users that have one (100%)"
    roles = "Roles managed (named in the config): Agent: all for 4 of 4 users"
    teams = "Teams managed (named in the config): Tier 1: all for 0 of 4 users (teams: or "
    out = text(p)
    assert f"  ! {team}, limit 10% (= 3, policy.max_team_removals)" in out
    assert f"  ! {clear}, limit 10% (= 3, policy.max_field_clears)" in out
    assert out.splitlines()[1].startswith(roles) and out.splitlines()[2].startswith(teams)
    buf = io.StringIO()
    render_markdown(p, buf)
    md = buf.getvalue()
    assert f"> - {team}" in md and f"> - {clear}" in md
    assert f"<sub>{roles}" in md and "1 with a teams: section for every user</sub>" in md
    buf = io.StringIO()
    render_json(p, buf)
    data = json.loads(buf.getvalue())
    assert [
        (v["kind"], v["field"], v["count"], v["total"], v["limit"]) for v in data["safety"]
    ] == [
        ("team_removals", None, 4, 4, 3),
        ("field_clears", "location", 4, 4, 3),
    ]
    assert data["scope"]["teams"] == {
        "policy": "declared",
        "names": ["Tier 1"],
        "users": 0,
        "sections": ["Tier 1"],
    }
    assert Plan.from_json(buf.getvalue()).scope == p.scope
