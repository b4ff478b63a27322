"""Every rule of the config, broken on purpose: the exact message and the exact location."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.config import load_config, load_config_sources, yamlio
from reconciler.errors import ConfigError

NOW = datetime(2026, 6, 1, tzinfo=UTC)
U = "users:\n  - email: ann@example.com\n    first_name: Ann\n    last_name: Lee\n"
BOB = "  - email: bob@example.com\n    first_name: Bob\n    last_name: Ray\n"

# name -> (files, [expected "file:line:col: error: message", ...])
CASES: dict[str, tuple[dict[str, str | bytes], list[str]]] = {
    "yaml syntax error": (
        {"c.yaml": "users: [\n  - a\n"},
        [
            "c.yaml:2:3: error: YAML syntax error: did not find expected node content "
            "(while parsing a flow node)"
        ],
    ),
    "duplicate key": (
        {"c.yaml": U + "    first_name: Anne\n"},
        ["c.yaml:5:5: error: duplicate key 'first_name' (first defined at c.yaml:3:5)"],
    ),
    "custom tag": (
        {"c.yaml": U + "    location: !env HOME\n"},
        [
            "c.yaml:5:15: error: unsupported YAML tag '!env': only plain YAML values "
            "(strings, numbers, booleans, null, lists, mappings) are allowed"
        ],
    ),
    "python tag": (
        {"c.yaml": "version: !!python/object:os.system echo\n"},
        [
            "c.yaml:1:10: error: unsupported YAML tag '!!python/object:os.system': only plain "
            "YAML values (strings, numbers, booleans, null, lists, mappings) are allowed"
        ],
    ),
    "alias": (
        {"c.yaml": "defaults:\n  location: &loc Mexico\n" + U + "    location: *loc\n"},
        [
            "c.yaml:7:5: error: YAML aliases (*name) are not supported: write the value out "
            "(use the defaults: section for settings shared by many users)"
        ],
    ),
    "merge key": (
        {"c.yaml": "users:\n  - <<: {first_name: A}\n    email: b@example.com\n    last_name: B\n"},
        [
            "c.yaml:2:5: error: YAML merge keys (<<) are not supported",
            "c.yaml:2:5: error: user 'b@example.com': missing required field 'first_name'",
        ],
    ),
    "not utf-8": (
        {"c.yaml": b"users:\n  - email: ann@example.com\n    first_name: J\xe9r\xf4me\n"},
        [
            "c.yaml:3:18: error: file is not UTF-8 text (byte 0xe9 cannot be decoded); "
            "save it as UTF-8"
        ],
    ),
    "control character": (
        {"c.yaml": "version: 1\nusers: \x07\n"},
        ["c.yaml:2:8: error: YAML syntax error: control characters are not allowed"],
    ),
    "two documents": (
        {"c.yaml": "version: 1\n---\nversion: 1\n"},
        [
            "c.yaml:2:1: error: YAML syntax error: a config file must contain a single YAML "
            "document (found '---')"
        ],
    ),
    "top level is a list": (
        {"c.yaml": "- email: a@example.com\n"},
        [
            "c.yaml:1:1: error: a config file must be a mapping of sections (version, tenant, "
            "policy, defaults, users, roles, teams, dnc), not a list"
        ],
    ),
    "complex key": (
        {"c.yaml": "? [a, b]\n: 1\n"},
        ["c.yaml:1:3: error: mapping keys must be plain strings"],
    ),
    "unknown section": (
        {"c.yaml": "user:\n  - email: a@example.com\n"},
        ["c.yaml:1:1: error: unknown section 'user' (did you mean 'users'?)"],
    ),
    "version": ({"c.yaml": "version: 2\n"}, ["c.yaml:1:10: error: version must be 1 (got 2)"]),
    "unknown user field": (
        {"c.yaml": U + "    frist_name: Ann\n"},
        [
            "c.yaml:5:5: error: user 'ann@example.com': unknown field 'frist_name' "
            "(did you mean 'first_name'?)"
        ],
    ),
    "bad email and unknown field on one user": (
        {
            "c.yaml": "users:\n  - email: ann.example.com\n    first_name: A\n    last_name: B\n"
            "    rols: [Agent]\n"
        },
        [
            "c.yaml:2:12: error: user 'ann.example.com': 'ann.example.com' is not a valid email "
            "address: An email address must have an @-sign.",
            "c.yaml:5:5: error: user 'ann.example.com': unknown field 'rols' "
            "(did you mean 'roles'?)",
        ],
    ),
    "empty agent_number": (
        {"c.yaml": U + '    agent_number: ""\n'},
        [
            "c.yaml:5:19: error: user 'ann@example.com': agent_number must not be empty: in a "
            "bulk job a blank means 'unchanged', so the platform cannot clear it (remove the key "
            "to leave it unmanaged)"
        ],
    ),
    "missing first_name": (
        {"c.yaml": "users:\n  - email: ann@example.com\n    last_name: Lee\n"},
        ["c.yaml:2:5: error: user 'ann@example.com': missing required field 'first_name'"],
    ),
    "blank first_name": (
        {"c.yaml": "users:\n  - email: ann@example.com\n    first_name: '  '\n    last_name: L\n"},
        ["c.yaml:3:17: error: user 'ann@example.com': first_name must not be empty"],
    ),
    "user without email": (
        {"c.yaml": "users:\n  - first_name: Ann\n    last_name: Lee\n"},
        ["c.yaml:2:5: error: users[0]: missing required field 'email'"],
    ),
    "user is not a mapping": (
        {"c.yaml": "users:\n  - ann@example.com\n"},
        ["c.yaml:2:5: error: users[0] must be a mapping of fields, not a string"],
    ),
    "invalid email": (
        {"c.yaml": "users:\n  - email: ann.example.com\n    first_name: Ann\n    last_name: Lee\n"},
        [
            "c.yaml:2:12: error: user 'ann.example.com': 'ann.example.com' is not a valid email "
            "address: An email address must have an @-sign."
        ],
    ),
    "user declared twice (case-insensitive, two files)": (
        {
            "a.yaml": U,
            "b.yaml": "users:\n  - email: ANN@Example.com\n    first_name: A\n    last_name: L\n",
        },
        ["b.yaml:2:5: error: user 'ann@example.com' is declared twice (first at a.yaml:2:5)"],
    ),
    "status": (
        {"c.yaml": U + "    status: active\n"},
        [
            "c.yaml:5:13: error: user 'ann@example.com': status should be 'Active' or "
            "'Inactive' (got 'active')"
        ],
    ),
    "max_chat_limit 0": (
        {"c.yaml": U + "    max_chat_limit: 0\n"},
        [
            "c.yaml:5:21: error: user 'ann@example.com': max_chat_limit should be greater than "
            "or equal to 1 (got 0)"
        ],
    ),
    "max_chat_limit text": (
        {"c.yaml": U + "    max_chat_limit: '3'\n"},
        [
            "c.yaml:5:21: error: user 'ann@example.com': max_chat_limit should be a valid "
            "integer (got '3')"
        ],
    ),
    "max_chat_limit_enabled yes (YAML 1.2: a string)": (
        {"c.yaml": U + "    max_chat_limit_enabled: yes\n"},
        [
            "c.yaml:5:29: error: user 'ann@example.com': max_chat_limit_enabled should be a "
            "valid boolean (got 'yes')"
        ],
    ),
    "agent_number null": (
        {"c.yaml": U + "    agent_number: null\n"},
        [
            "c.yaml:5:19: error: user 'ann@example.com': agent_number cannot be null: the API "
            "cannot clear agent_number; omit it to leave it as it is"
        ],
    ),
    "empty location": (
        {"c.yaml": U + "    location: ''\n"},
        ["c.yaml:5:15: error: user 'ann@example.com': location must not be empty"],
    ),
    "roles not a list": (
        {"c.yaml": U + "    roles: Agent\n"},
        ["c.yaml:5:12: error: user 'ann@example.com': roles should be a valid list (got 'Agent')"],
    ),
    "roles null": (
        {"c.yaml": U + "    roles: null\n"},
        [
            "c.yaml:5:12: error: user 'ann@example.com': roles cannot be null: write [] for "
            "none, or omit it to leave it unmanaged"
        ],
    ),
    "member not declared, did you mean": (
        {"c.yaml": U + "roles:\n  Agent: [anne@example.com]\n"},
        [
            "c.yaml:6:11: error: role 'Agent': member 'anne@example.com' is not a user declared "
            "in the config (did you mean 'ann@example.com'?)"
        ],
    ),
    "member listed twice": (
        {
            "c.yaml": U
            + "teams:\n  T1:\n    members:\n      - ann@example.com\n      - Ann@example.com\n"
        },
        [
            "c.yaml:9:9: error: team 'T1': member 'ann@example.com' is listed twice "
            "(first at c.yaml:8:9)"
        ],
    ),
    "member listed under the old email of a rename": (
        {
            "c.yaml": U
            + "    renamed_from: ann.smith@example.com\nteams:\n  T1: [ann.smith@example.com]\n"
        },
        [
            "c.yaml:7:8: error: team 'T1': member 'ann.smith@example.com' was renamed to "
            "'ann@example.com' (at c.yaml:5:5); list the new email"
        ],
    ),
    "team declared twice": (
        {"a.yaml": U + "teams:\n  Tier 1: [ann@example.com]\n", "b.yaml": "teams:\n  Tier 1: []\n"},
        ["b.yaml:2:3: error: team 'Tier 1' is declared twice (first at a.yaml:6:3)"],
    ),
    "group unknown field": (
        {"c.yaml": U + "teams:\n  Tier 1:\n    memebers: [ann@example.com]\n"},
        ["c.yaml:7:5: error: team 'Tier 1': unknown field 'memebers' (a team has only 'members')"],
    ),
    "group members null": (
        {"c.yaml": U + "teams:\n  Tier 1:\n    members:\n"},
        [
            "c.yaml:7:5: error: team 'Tier 1': members is empty: write members: [] for a team "
            "with no members (every declared user in it is removed), or delete the entry to "
            "leave its memberships unmanaged"
        ],
    ),
    "group null": (
        {"c.yaml": U + "roles:\n  Agent:\n  Admin: []\n"},
        [
            "c.yaml:6:3: error: role 'Agent' has no members list: write [] for a role with no "
            "members (every declared user in it is removed), or delete the entry to leave its "
            "memberships unmanaged"
        ],
    ),
    "group members not a list": (
        {"c.yaml": U + "roles:\n  Agent:\n    members: ann@example.com\n"},
        [
            "c.yaml:7:14: error: role 'Agent': members must be a list of emails (got a string)",
        ],
    ),
    "renamed_from is the user's own email": (
        {"c.yaml": U + "    renamed_from: ANN@example.com\n"},
        ["c.yaml:5:5: error: user 'ann@example.com': renamed_from is the user's own email"],
    ),
    "renamed_from still declared": (
        {"c.yaml": U + "    renamed_from: bob@example.com\n" + BOB},
        [
            "c.yaml:5:5: error: user 'ann@example.com': renamed_from 'bob@example.com', but "
            "'bob@example.com' is also declared as a user at c.yaml:6:5"
        ],
    ),
    "two users renamed from one": (
        {
            "c.yaml": U
            + "    renamed_from: old@example.com\n"
            + BOB
            + "    renamed_from: old@example.com\n"
        },
        [
            "c.yaml:9:5: error: user 'bob@example.com': 'old@example.com' is also renamed to "
            "'ann@example.com' at c.yaml:5:5"
        ],
    ),
    "defaults cannot set names": (
        {"c.yaml": "defaults:\n  first_name: X\n"},
        [
            "c.yaml:2:3: error: defaults: unknown field 'first_name' (defaults may set: status, "
            "location, max_chat_limit, max_chat_limit_enabled, roles, teams)"
        ],
    ),
    "policy unmanaged_users": (
        {"c.yaml": "policy:\n  unmanaged_users: delete\n"},
        [
            "c.yaml:2:20: error: policy: unmanaged_users should be 'ignore' or 'deactivate' "
            "(got 'delete')"
        ],
    ),
    "threshold over 100%": (
        {"c.yaml": "policy:\n  max_deactivations: 150%\n"},
        ["c.yaml:2:22: error: policy: max_deactivations '150%' is over 100%"],
    ),
    "negative threshold": (
        {"c.yaml": "policy:\n  max_dnc_removals: -1\n"},
        ["c.yaml:2:21: error: policy: max_dnc_removals must not be negative"],
    ),
    "default_region": (
        {"c.yaml": "policy:\n  default_region: XX\n"},
        [
            "c.yaml:2:19: error: policy: default_region 'XX' is not a region code such as 'US' "
            "or 'GB'"
        ],
    ),
    "manage_roles": (
        {"c.yaml": "policy:\n  manage_roles: some\n"},
        [
            "c.yaml:2:17: error: policy: manage_roles must be 'declared', 'all' or a list of "
            "role names (got 'some')"
        ],
    ),
    "protected_users": (
        {"c.yaml": "policy:\n  protected_users: [root]\n"},
        [
            "c.yaml:2:21: error: policy: protected_users: 'root' is not a valid email address: "
            "An email address must have an @-sign."
        ],
    ),
    "policy declared twice": (
        {"a.yaml": "policy: {}\n", "b.yaml": "policy:\n  unmanaged_users: ignore\n"},
        ["b.yaml:1:1: error: section 'policy' is declared twice (first at a.yaml:1:1)"],
    ),
    "tenant subdomain": (
        {"c.yaml": "tenant:\n  subdomain: 'demo corp'\n"},
        [
            "c.yaml:2:14: error: tenant: subdomain should be the tenant's host name label, such "
            "as 'demo' (got 'demo corp')"
        ],
    ),
    "tenant domain": (
        {"c.yaml": "tenant:\n  domain: https://ccaiplatform.com/\n"},
        [
            "c.yaml:2:11: error: tenant: domain should be a domain name, such as "
            "'ccaiplatform.com' (got 'https://ccaiplatform.com/')"
        ],
    ),
    "tenant unknown field": (
        {"c.yaml": "tenant:\n  subdomian: demo\n"},
        ["c.yaml:2:3: error: tenant: unknown field 'subdomian' (did you mean 'subdomain'?)"],
    ),
    "renamed_from not an email": (
        {"c.yaml": U + "    renamed_from: ann\n"},
        [
            "c.yaml:5:19: error: user 'ann@example.com': renamed_from: 'ann' is not a valid "
            "email address: An email address must have an @-sign."
        ],
    ),
    "role declared twice": (
        {"c.yaml": U + "roles:\n  Agent: [ann@example.com]\n", "d.yaml": "roles:\n  Agent: []\n"},
        ["d.yaml:2:3: error: role 'Agent' is declared twice (first at c.yaml:6:3)"],
    ),
    "role is neither a list nor members": (
        {"c.yaml": "roles:\n  Agent: 5\n"},
        [
            "c.yaml:2:10: error: role 'Agent' must be a list of member emails or "
            "{members: [emails]} (got a number)"
        ],
    ),
    "defaults with a wrong type": (
        {"c.yaml": "defaults:\n  roles: Agent\n  max_chat_limit_enabled: 1\n"},
        [
            "c.yaml:2:10: error: defaults: roles should be a valid list (got 'Agent')",
            "c.yaml:3:27: error: defaults: max_chat_limit_enabled should be a valid boolean "
            "(got 1)",
        ],
    ),
    "defaults declared twice": (
        {"a.yaml": "defaults: {status: Active}\n", "b.yaml": "defaults: {}\n"},
        ["b.yaml:1:1: error: section 'defaults' is declared twice (first at a.yaml:1:1)"],
    ),
    "threshold not a number": (
        {"c.yaml": "policy:\n  max_deactivations: lots\n"},
        [
            "c.yaml:2:22: error: policy: max_deactivations 'lots' is not a whole number or a "
            "percentage such as '30%'"
        ],
    ),
    "users as a mapping": (
        {"c.yaml": "users:\n  ann@example.com: {first_name: Ann}\n"},
        [
            "c.yaml:2:3: error: users must be a list of users (- email: ...), not a mapping",
        ],
    ),
    "dnc not a number": (
        {"c.yaml": "dnc:\n  - sssssss\n"},
        ["c.yaml:2:5: error: dnc entry 'sssssss': phone_number is invalid"],
    ),
    "dnc too long": (
        {"c.yaml": "dnc:\n  - 1-415-333-333-3333\n"},
        ["c.yaml:2:5: error: dnc entry '1-415-333-333-3333': phone_number is invalid"],
    ),
    "dnc emergency": (
        {"c.yaml": "dnc:\n  - '911'\n  - phone_number: '112'\n"},
        [
            "c.yaml:2:5: error: dnc entry '911': emergency phone number is not allowed",
            "c.yaml:3:19: error: dnc entry '112': emergency phone number is not allowed",
        ],
    ),
    "dnc duplicate after normalisation": (
        {"c.yaml": "dnc:\n  - '+1-415-555-0100'\n  - phone_number: (415) 555-0100\n"},
        [
            "c.yaml:3:19: error: dnc entry '(415) 555-0100': +14155550100 is listed twice "
            "(first at c.yaml:2:5)"
        ],
    ),
    "dnc duplicate across files": (
        {"a.yaml": "dnc: ['+14155550100']\n", "b.yaml": "dnc:\n  - 4155550100\n"},
        [
            "b.yaml:2:5: error: dnc entry '4155550100': +14155550100 is listed twice "
            "(first at a.yaml:1:7)"
        ],
    ),
    "dnc expires_at": (
        {"c.yaml": "dnc:\n  - phone_number: '+14155550100'\n    expires_at: next tuesday\n"},
        [
            "c.yaml:3:17: error: dnc entry '+14155550100': expires_at 'next tuesday' is not a "
            "date and time; write '2027-01-31 00:00:00 UTC' or ISO 8601 ('2027-01-31T00:00:00Z')"
        ],
    ),
    "dnc state": (
        {"c.yaml": "dnc:\n  - phone_number: '+14155550100'\n    state: gone\n"},
        [
            "c.yaml:3:12: error: dnc entry '+14155550100': state should be 'present' or "
            "'absent' (got 'gone')"
        ],
    ),
    "dnc entry without phone_number": (
        {"c.yaml": "dnc:\n  - expires_at: 2027-01-01\n"},
        ["c.yaml:2:5: error: dnc[0]: missing required field 'phone_number'"],
    ),
    "dnc entry is a list": (
        {"c.yaml": "dnc:\n  - [1, 2]\n"},
        [
            "c.yaml:2:5: error: dnc[0]: a DNC entry is a phone number or a mapping with "
            "phone_number (got a list)"
        ],
    ),
    "dnc unknown field": (
        {"c.yaml": "dnc:\n  - phone_number: '+14155550100'\n    expires: 2027-01-01\n"},
        [
            "c.yaml:3:5: error: dnc entry '+14155550100': unknown field 'expires' "
            "(did you mean 'expires_at'?)"
        ],
    ),
    "several problems at once, in order": (
        {
            "c.yaml": "users:\n  - email: a@example.com\n    first_name: A\n    last_name: B\n"
            "    status: on\n  - email: b@example.com\n    last_name: B\n    max_chat_limit: 0\n"
        },
        [
            "c.yaml:5:13: error: user 'a@example.com': status should be 'Active' or 'Inactive' "
            "(got 'on')",
            "c.yaml:6:5: error: user 'b@example.com': missing required field 'first_name'",
            "c.yaml:8:21: error: user 'b@example.com': max_chat_limit should be greater than or "
            "equal to 1 (got 0)",
        ],
    ),
    "every policy problem at once": (
        {
            "c.yaml": "policy:\n  max_deactivations: 150%\n  default_region: XX\n"
            "  protected_users: [not-an-email]\n  bogus: 1\n"
        },
        [
            "c.yaml:2:22: error: policy: max_deactivations '150%' is over 100%",
            "c.yaml:3:19: error: policy: default_region 'XX' is not a region code such as 'US' "
            "or 'GB'",
            "c.yaml:4:21: error: policy: protected_users: 'not-an-email' is not a valid email "
            "address: An email address must have an @-sign.",
            "c.yaml:5:3: error: policy: unknown field 'bogus'",
        ],
    ),
    "a wrong field does not hide a bad renamed_from": (
        {"c.yaml": U + "    status: on\n    renamed_from: ann\n"},
        [
            "c.yaml:5:13: error: user 'ann@example.com': status should be 'Active' or 'Inactive' "
            "(got 'on')",
            "c.yaml:6:19: error: user 'ann@example.com': renamed_from: 'ann' is not a valid "
            "email address: An email address must have an @-sign.",
        ],
    ),
    "an unknown field does not hide a bad DNC number": (
        {"c.yaml": "dnc:\n  - phone_number: '911'\n    expire: 2027-01-01\n"},
        [
            "c.yaml:2:19: error: dnc entry '911': emergency phone number is not allowed",
            "c.yaml:3:5: error: dnc entry '911': unknown field 'expire' (did you mean "
            "'expires_at'?)",
        ],
    ),
    "dnc expires_at past the end of the calendar in UTC": (
        {
            "c.yaml": "dnc:\n  - phone_number: '+14155550100'\n"
            "    expires_at: '9999-12-31T23:59:59-05:00'\n"
        },
        [
            "c.yaml:3:17: error: dnc entry '+14155550100': expires_at '9999-12-31T23:59:59-05:00' "
            "is after 9999-12-31 23:59:59 UTC, the last date and time supported; write an "
            "earlier one, or leave expires_at out for an entry that never expires"
        ],
    ),
    "dnc expires_at before the start of the calendar in UTC": (
        {
            "c.yaml": "dnc:\n  - phone_number: '+14155550100'\n"
            "    expires_at: 0001-01-01T00:30+01:00\n"
        },
        [
            "c.yaml:3:17: error: dnc entry '+14155550100': expires_at '0001-01-01T00:30+01:00' "
            "is before 0001-01-01 00:00:00 UTC, the first date and time supported; write a "
            "later one"
        ],
    ),
    "dnc expires_at year 10000": (
        {"c.yaml": "dnc:\n  - phone_number: '+14155550100'\n    expires_at: 10000-01-01\n"},
        [
            "c.yaml:3:17: error: dnc entry '+14155550100': expires_at '10000-01-01' is not a "
            "date and time; write '2027-01-31 00:00:00 UTC' or ISO 8601 ('2027-01-31T00:00:00Z')"
        ],
    ),
    "member not declared, no suggestion of an unrelated address": (
        {"c.yaml": U + BOB + "teams:\n  T1: [zed@example.com]\n"},
        [
            "c.yaml:9:8: error: team 'T1': member 'zed@example.com' is not a user declared in "
            "the config"
        ],
    ),
    "member not declared, a typo in the domain": (
        {"c.yaml": U + BOB + "teams:\n  T1: [bob@exmaple.com]\n"},
        [
            "c.yaml:9:8: error: team 'T1': member 'bob@exmaple.com' is not a user declared in "
            "the config (did you mean 'bob@example.com'?)"
        ],
    ),
    "blank team name in a user's list": (
        {"c.yaml": U + "    teams: ['  ']\n"},
        ["c.yaml:5:13: error: user 'ann@example.com': teams[0] must not be empty"],
    ),
    "blank team name in teams": (
        {"c.yaml": "teams:\n  ' ': []\n"},
        ["c.yaml:2:3: error: teams: a team name must not be empty"],
    ),
}


def _load(files: dict[str, str | bytes]) -> None:
    sources = [(n, c.encode() if isinstance(c, str) else c) for n, c in files.items()]
    load_config_sources(sources, now=NOW)


@pytest.mark.parametrize("name", list(CASES))
def test_broken_config_is_reported_exactly(name: str) -> None:
    files, expected = CASES[name]
    with pytest.raises(ConfigError) as info:
        _load(files)
    assert [str(d) for d in info.value.diagnostics] == expected


@pytest.mark.parametrize("name", list(CASES))
def test_validate_prints_each_case_and_exits_1(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same cases through the CLI: the same lines on stderr, the count, exit code 1."""
    files, expected = CASES[name]
    for fname, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        (tmp_path / fname).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate", *files])
    assert result.exit_code == 1
    n = len(expected)
    assert result.stderr.splitlines() == [
        *expected,
        f"{n} error{'s' if n != 1 else ''} in the configuration.",
    ]
    assert result.stdout == ""


def test_there_are_many_cases() -> None:
    assert len(CASES) >= 30


def test_file_over_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "MAX_FILE_BYTES", 1024 * 1024)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * (2 * 1024 * 1024) + b"\n")
    with pytest.raises(ConfigError) as info:
        load_config([big], now=NOW)
    assert [str(d) for d in info.value.diagnostics] == [
        f"{big}:1:1: error: file is 2.0 MiB, over the limit of 1 MiB per config file; "
        "split it into several files"
    ]
    # the in-memory path has the same limit
    with pytest.raises(ConfigError) as info:
        load_config_sources([("big.yaml", big.read_bytes())], now=NOW)
    assert "over the limit of 1 MiB" in str(info.value)


def test_directory_without_config(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("not yaml")
    with pytest.raises(ConfigError) as info:
        load_config([tmp_path], now=NOW)
    assert [str(d) for d in info.value.diagnostics] == [
        f"error: {tmp_path}: no config found (no *.yaml or *.yml files in this directory)"
    ]


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config([tmp_path / "nope"], now=NOW)
    assert str(info.value) == f"error: {tmp_path / 'nope'}: no such file or directory"


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    lines.append("users: *a11")
    with pytest.raises(ConfigError) as info:
        _load({"bomb.yaml": "\n".join(lines) + "\n"})
    messages = {d.message for d in info.value.diagnostics}
    assert any("YAML aliases (*name) are not supported" in m for m in messages)
    # one error per alias use at most, never an expansion
    assert len(info.value.diagnostics) < 200


@pytest.mark.parametrize("depth", [200, 200_000])
def test_deep_nesting_is_an_error_not_a_crash(depth: int) -> None:
    # 200,000 levels crash ruamel's C composer (SIGSEGV) unless refused before composing
    for text in ("users: " + "[" * depth + "]" * depth, "users: " + "{a: " * depth + "}" * depth):
        with pytest.raises(ConfigError) as info:
            _load({"deep.yaml": text + "\n"})
        assert "YAML nesting is deeper than 64 levels" in str(info.value)


def test_errors_in_one_file_do_not_hide_errors_in_another() -> None:
    with pytest.raises(ConfigError) as info:
        _load({"a.yaml": "users: [\n", "b.yaml": "dnc: ['911']\n"})
    assert [d.loc.file for d in info.value.diagnostics if d.loc] == ["a.yaml", "b.yaml"]
