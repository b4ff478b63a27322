"""What a valid config becomes: the DesiredState the plan consumes, with source locations."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from reconciler.config import load_config, load_config_sources, parse_datetime
from reconciler.errors import ConfigError
from reconciler.state import (
    DEFAULT_MAX_DEACTIVATIONS,
    DEFAULT_MAX_DNC_REMOVALS,
    DesiredState,
    Location,
    Threshold,
    UserStatus,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


SPLIT = {
    "tenant.yaml": "version: 1\ntenant:\n  subdomain: demo\n  domain: Example.COM\n",
    "policy.yaml": (
        "policy:\n"
        "  unmanaged_users: deactivate\n"
        "  manage_roles: [Agent, Manager]\n"
        "  default_region: gb\n"
        "  max_deactivations: 5\n"
        "  max_dnc_removals: 20%\n"
        "  protected_users: [Root@Example.com]\n"
        "defaults:\n"
        "  roles: [Agent]\n"
        "  location: Mexico\n"
        "  max_chat_limit_enabled: false\n"
    ),
    "users/support.yaml": (
        "users:\n"
        "  - email: Ann.Lee@Example.com\n"  # line 2
        "    first_name: Ann\n"
        "    last_name: Lee\n"
        "    agent_number: 1001\n"
        "    status: Active\n"
        "    max_chat_limit: 3\n"
        "    roles: [Manager]\n"  # line 8
        "  - email: bob@example.com\n"  # line 9
        "    first_name: ' Bob '\n"
        "    last_name: Ray\n"
        "    location: null\n"
        "    renamed_from: Robert@Example.com\n"
        "    status: Inactive\n"
    ),
    "users/sales.yml": (
        "users:\n  - email: cy@example.com\n    first_name: Cy\n    last_name: Po\n    teams: []\n"
    ),
    "teams.yaml": (
        "teams:\n"
        "  Tier 1:\n"
        "    members: [ann.lee@example.com, BOB@example.com]\n"  # line 3
        "  Tier 2: [cy@example.com]\n"
        "  Empty: []\n"
    ),
    "roles.yaml": "roles:\n  Admin:\n    members:\n      - ann.lee@example.com\n",
    "dnc.yaml": (
        "dnc:\n"
        "  - '+1-(358)-213-1634'\n"
        "  - +14155550100\n"
        "  - 020 7183 8750\n"  # a GB number, default_region gb
        "  - phone_number: +1-415-111-1111\n"
        "    expires_at: 2027-10-29 00:00:00 UTC\n"
        "    comment: asked twice\n"
        "  - phone_number: '+14155550102'\n"
        "    expires_at: 2027-01-02T03:04:05+02:00\n"
        "  - phone_number: '+14155550103'\n"
        "    expires_at: 2026-01-01\n"  # expired: a warning
        "  - {phone_number: '+14155550104', state: absent}\n"
    ),
    ".hidden/ignored.yaml": "this is: [not loaded\n",
    "notes.txt": "ignored",
}


@pytest.fixture
def split_config(tmp_path: Path) -> Path:
    write(tmp_path, SPLIT)
    return tmp_path


def test_split_directory_is_merged(split_config: Path) -> None:
    result = load_config([split_config], now=NOW)
    state = result.state
    base = str(split_config)
    assert state.files == [
        f"{base}/dnc.yaml",
        f"{base}/policy.yaml",
        f"{base}/roles.yaml",
        f"{base}/teams.yaml",
        f"{base}/tenant.yaml",
        f"{base}/users/sales.yml",
        f"{base}/users/support.yaml",
    ]
    assert state.tenant.subdomain == "demo"
    assert state.tenant.domain == "example.com"
    assert state.tenant.loc == Location(f"{base}/tenant.yaml", 2, 1)
    assert set(state.users) == {"ann.lee@example.com", "bob@example.com", "cy@example.com"}


def test_user_fields_are_normalised_and_located(split_config: Path) -> None:
    state = load_config([split_config], now=NOW).state
    support = f"{split_config}/users/support.yaml"
    policy = f"{split_config}/policy.yaml"
    ann = state.users["ann.lee@example.com"]
    assert ann.fields == {
        "first_name": "Ann",
        "last_name": "Lee",
        "agent_number": "1001",
        "status": UserStatus.ACTIVE,
        "location": "Mexico",
        "max_chat_limit": 3,
        "max_chat_limit_enabled": False,
    }
    assert ann.loc == Location(support, 2, 5)
    assert ann.field_locs["agent_number"] == Location(support, 5, 5)
    assert ann.field_locs["location"] == Location(policy, 10, 3)  # from defaults
    # own roles replace the default roles; group sections add to them
    assert ann.roles == {"Manager", "Admin"}
    assert ann.teams == {"Tier 1"}
    assert ann.membership_locs[("role", "Manager")] == Location(support, 8, 13)
    assert ann.membership_locs[("role", "Admin")] == Location(f"{split_config}/roles.yaml", 4, 9)
    assert ann.membership_locs[("team", "Tier 1")] == Location(f"{split_config}/teams.yaml", 3, 15)

    bob = state.users["bob@example.com"]
    assert bob.fields["first_name"] == "Bob"
    assert bob.fields["location"] is None  # explicit null: clear
    assert bob.fields["status"] is UserStatus.INACTIVE
    assert bob.renamed_from == "robert@example.com"
    assert bob.field_locs["renamed_from"] == Location(support, 13, 5)
    assert bob.roles == {"Agent"}  # from defaults
    assert bob.membership_locs[("role", "Agent")] == Location(policy, 9, 11)

    cy = state.users["cy@example.com"]
    assert "agent_number" not in cy.fields and "status" not in cy.fields  # not managed
    assert cy.teams == {"Tier 2"}  # teams: [] plus the Tier 2 section


def test_which_memberships_are_managed(split_config: Path) -> None:
    state = load_config([split_config], now=NOW).state
    users = state.users
    # roles: own list (ann) or defaults.roles (bob, cy); teams: only cy has a teams: key and
    # there is no defaults.teams, so ann's and bob's teams are managed only by the sections.
    assert [(e, u.roles_managed, u.teams_managed) for e, u in sorted(users.items())] == [
        ("ann.lee@example.com", True, False),
        ("bob@example.com", True, False),
        ("cy@example.com", True, True),
    ]
    assert set(state.role_sections) == {"Admin"}
    assert set(state.team_sections) == {"Tier 1", "Tier 2", "Empty"}
    names_only = "users:\n  - {email: a@example.com, first_name: A, last_name: B}\n"
    [a] = load_config_sources([("c.yaml", names_only.encode())], now=NOW).state.users.values()
    assert (a.roles_managed, a.teams_managed, a.roles, a.teams) == (False, False, set(), set())


def test_refs_and_policy(split_config: Path) -> None:
    state = load_config([split_config], now=NOW).state
    assert set(state.role_refs) == {"Agent", "Manager", "Admin"}
    assert set(state.team_refs) == {"Tier 1", "Tier 2", "Empty"}
    assert state.role_refs["Agent"] == Location(f"{split_config}/policy.yaml", 3, 18)
    policy = state.policy
    assert policy.unmanaged_users == "deactivate"
    assert policy.manage_roles == frozenset({"Agent", "Manager"})
    assert policy.manage_teams == "declared"  # the default
    assert policy.default_region == "GB"
    assert policy.max_deactivations == Threshold(count=5)
    assert policy.max_dnc_removals == Threshold(percent=20.0, floor=DEFAULT_MAX_DNC_REMOVALS.floor)
    assert policy.protected_users == {"root@example.com"}


def test_policy_defaults() -> None:
    state = load_config_sources([("c.yaml", b"version: 1\n")], now=NOW).state
    assert state.policy.max_deactivations == DEFAULT_MAX_DEACTIVATIONS
    assert state.policy.max_dnc_removals == DEFAULT_MAX_DNC_REMOVALS
    assert state.policy.unmanaged_users == "ignore"
    assert state.users == {} and state.dnc == {}


def test_agent_number_keeps_the_text_as_written() -> None:
    # A string for the platform: an unquoted number must not lose its leading zero.
    users = "".join(
        f"  - {{email: u{i}@example.com, first_name: A, last_name: B, agent_number: {v}}}\n"
        for i, v in enumerate(["0101", '"0102"', "A-7", "1e3", "42"])
    )
    state = load_config_sources([("c.yaml", ("users:\n" + users).encode())], now=NOW).state
    got = [state.users[f"u{i}@example.com"].fields["agent_number"] for i in range(5)]
    assert got == ["0101", "0102", "A-7", "1e3", "42"]


def test_dnc_entries(split_config: Path) -> None:
    result = load_config([split_config], now=NOW)
    dnc = result.state.dnc
    assert list(dnc) == [
        "+13582131634",
        "+14155550100",
        "+442071838750",
        "+14151111111",
        "+14155550102",
        "+14155550103",
        "+14155550104",
    ]
    assert dnc["+13582131634"].raw == "+1-(358)-213-1634"
    assert dnc["+14155550100"].raw == "+14155550100"  # unquoted: YAML's int keeps its text
    entry = dnc["+14151111111"]
    assert entry.expires_at == datetime(2027, 10, 29, tzinfo=UTC)
    assert entry.comment == "asked twice"
    assert entry.state == "present"
    assert entry.loc == Location(f"{split_config}/dnc.yaml", 5, 19)
    assert dnc["+14155550102"].expires_at == datetime(2027, 1, 2, 1, 4, 5, tzinfo=UTC)
    assert dnc["+14155550104"].state == "absent"
    # the expired entry is kept (the diff ignores it) and warned about
    assert dnc["+14155550103"].expires_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert [str(w) for w in result.warnings] == [
        f"{split_config}/dnc.yaml:10:19: warning: DNC entry +14155550103 expired on "
        "2026-01-01 00:00:00 UTC; remove it"
    ]


def test_expiry_is_judged_against_now(split_config: Path) -> None:
    assert load_config([split_config], now=datetime(2025, 1, 1, tzinfo=UTC)).warnings == []


def test_single_file_and_relative_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"cfg/users/a.yaml": "users: [{email: a@x.io, first_name: A, last_name: B}]\n"})
    monkeypatch.chdir(tmp_path)
    state = load_config(["cfg"], now=NOW).state
    assert state.users["a@x.io"].loc == Location("cfg/users/a.yaml", 1, 10)
    state = load_config(["cfg/users/a.yaml"], now=NOW).state
    assert state.files == ["cfg/users/a.yaml"]


def test_default_path_is_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"dnc.yaml": "dnc: ['+14155550100']\n"})
    monkeypatch.chdir(tmp_path)
    assert list(load_config([], now=NOW).state.dnc) == ["+14155550100"]


def test_same_file_twice_is_read_once(split_config: Path) -> None:
    state = load_config([split_config, split_config / "dnc.yaml"], now=NOW).state
    assert len(state.files) == 7


def test_empty_files_and_null_sections_are_fine() -> None:
    result = load_config_sources(
        [("a.yaml", b""), ("b.yaml", b"# only a comment\n"), ("c.yaml", b"users:\ndnc:\n")],
        now=NOW,
    )
    assert result.state.users == {} and result.warnings == []


def test_bom_and_crlf() -> None:
    text = "\ufeffusers:\r\n  - email: a@example.com\r\n    first_name: A\r\n    last_name: B\r\n"
    state = load_config_sources([("w.yaml", text.encode())], now=NOW).state
    assert state.users["a@example.com"].loc == Location("w.yaml", 2, 5)


def test_errors_and_warnings_come_together() -> None:
    text = "dnc:\n  - phone_number: '+14155550100'\n    expires_at: 2020-01-01\n  - '911'\n"
    with pytest.raises(ConfigError) as info:
        load_config_sources([("d.yaml", text.encode())], now=NOW)
    assert [d.severity for d in info.value.diagnostics] == ["error", "warning"]


def test_membership_short_and_long_forms_agree() -> None:
    users = "users:\n  - {email: a@example.com, first_name: A, last_name: B}\n"
    short_form = users + "roles:\n  Agent: [A@example.com]\n"
    short = load_config_sources([("c.yaml", short_form.encode())])
    long = load_config_sources(
        [("c.yaml", (users + "roles:\n  Agent:\n    members: [a@example.com]\n").encode())]
    )
    assert short.state.users["a@example.com"].roles == {"Agent"}
    assert long.state.users["a@example.com"].roles == {"Agent"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-10-29 00:00:00 UTC", datetime(2022, 10, 29, tzinfo=UTC)),
        ("2023-08-05 22:02:36.362009 +0000", datetime(2023, 8, 5, 22, 2, 36, 362009, tzinfo=UTC)),
        ("2027-01-31T10:00:00Z", datetime(2027, 1, 31, 10, tzinfo=UTC)),
        ("2027-01-31T10:00:00-05:00", datetime(2027, 1, 31, 15, tzinfo=UTC)),
        ("2027-01-31 10:00", datetime(2027, 1, 31, 10, tzinfo=UTC)),
        ("2027-01-31", datetime(2027, 1, 31, tzinfo=UTC)),
    ],
)
def test_parse_datetime(text: str, expected: datetime) -> None:
    value = parse_datetime(text)
    assert value == expected
    assert value.tzinfo is UTC


@pytest.mark.parametrize("text", ["tomorrow", "2027-13-01", "31/01/2027", ""])
def test_parse_datetime_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not a date and time"):
        parse_datetime(text)


def test_split_and_single_file_configs_agree(tmp_path: Path) -> None:
    """Splitting a config across files changes locations, nothing else."""
    examples = Path(__file__).resolve().parents[2] / "examples" / "config"
    merged: dict[str, object] = {}
    yaml = YAML(typ="safe")
    for path in sorted(examples.rglob("*.yaml")):
        for key, value in yaml.load(path).items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)  # type: ignore[union-attr]
            elif isinstance(value, dict) and key in ("roles", "teams"):
                merged.setdefault(key, {}).update(value)  # type: ignore[union-attr]
            else:
                merged[key] = value
    single = tmp_path / "all.yaml"
    with single.open("w") as fh:
        yaml.dump(json.loads(json.dumps(merged, default=str)), fh)
    split_state = load_config([examples], now=NOW).state
    single_state = load_config([single], now=NOW).state

    def users(state: DesiredState) -> dict[str, tuple[object, ...]]:
        return {
            e: (u.fields, u.roles, u.teams, u.renamed_from, set(u.membership_locs))
            for e, u in state.users.items()
        }

    def dnc(state: DesiredState) -> dict[str, tuple[object, ...]]:
        return {n: (d.raw, d.state, d.expires_at, d.comment) for n, d in state.dnc.items()}

    assert users(single_state) == users(split_state)
    assert dnc(single_state) == dnc(split_state)
    assert single_state.policy == split_state.policy
    assert set(single_state.role_refs) == set(split_state.role_refs)
    assert set(single_state.team_refs) == set(split_state.team_refs)
    assert len(split_state.users) == 25 and len(split_state.dnc) == 12


def test_role_and_team_names_are_kept_exactly_as_written() -> None:
    # The platform allows names with leading/trailing spaces; trimming them made `export` →
    # `plan` fail with "team 'spaced' does not exist (did you mean ' spaced '?)".
    text = (
        "policy:\n  manage_teams: [' spaced ', Tier 1]\n"
        "users:\n  - email: ann@example.com\n    first_name: Ann\n    last_name: Lee\n"
        "    roles: ['  Lead']\n"
        "teams:\n  ' spaced ': [ann@example.com]\n  'Tier 1 ':\n    members: [ann@example.com]\n"
    )
    state = load_config_sources([("c.yaml", text.encode())], now=NOW).state
    ann = state.users["ann@example.com"]
    assert ann.roles == frozenset({"  Lead"})
    assert ann.teams == frozenset({" spaced ", "Tier 1 "})
    assert state.policy.manage_teams == frozenset({" spaced ", "Tier 1"})
    assert set(state.team_refs) == {" spaced ", "Tier 1", "Tier 1 "}


def test_integral_floats_are_whole_numbers() -> None:
    # as in JSON (and the schema): 2.0 is the integer 2
    text = (
        "policy:\n  max_deactivations: 5.0\n"
        "users:\n  - email: ann@example.com\n    first_name: Ann\n    last_name: Lee\n"
        "    max_chat_limit: 2.0\n"
    )
    state = load_config_sources([("c.yaml", text.encode())], now=NOW).state
    limit = state.users["ann@example.com"].fields["max_chat_limit"]
    assert (type(limit), limit) == (int, 2)
    assert state.policy.max_deactivations == Threshold(count=5)
