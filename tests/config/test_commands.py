"""`validate` and `schema` through the CLI; the checked-in schema and the examples."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from reconciler.cli import cli
from reconciler.commands.schema import config_schema_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "config"
SCHEMA_FILE = ROOT / "schemas" / "ccai-config.schema.json"
BROKEN = (
    "users:\n"
    "  - email: ann@example.com\n"
    "    first_name: Ann\n"
    "    last_name: Lee\n"
    "    status: active\n"
    "dnc:\n"
    "  - '911'\n"
)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_validate_examples() -> None:
    code, out, err = run("validate", str(EXAMPLES))
    assert code == 0, err
    assert out.startswith(
        "Configuration is valid: 8 files, 25 users, 7 roles, 3 teams, 12 DNC entries, "
    )
    # (the other example expiries are 2027 and later: more warnings only after that)
    assert err.splitlines()[0] == (
        f"{EXAMPLES}/dnc.yaml:25:19: warning: DNC entry +13055550123 expired on "
        "2026-01-31 00:00:00 UTC; remove it"
    )


def test_validate_broken_config(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(BROKEN)
    code, out, err = run("validate", str(tmp_path))
    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        f"{tmp_path}/c.yaml:5:13: error: user 'ann@example.com': status should be 'Active' or "
        "'Inactive' (got 'active')",
        f"{tmp_path}/c.yaml:7:5: error: dnc entry '911': emergency phone number is not allowed",
        "2 errors in the configuration.",
    ]
    assert "Traceback" not in err


def test_validate_takes_dash_c_like_plan(tmp_path: Path) -> None:
    # `-c` as for plan and apply: the same result as the positional path, also when combined.
    assert run("validate", "-c", str(EXAMPLES)) == run("validate", str(EXAMPLES))
    (tmp_path / "c.yaml").write_text(BROKEN)
    code, _, err = run("validate", "-c", str(tmp_path))
    assert code == 1 and err.endswith("2 errors in the configuration.\n")
    code, _, err = run("validate", "-c", str(EXAMPLES), str(tmp_path))
    assert code == 1 and "emergency phone number" in err


def test_validate_github_format(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(BROKEN)
    code, out, _ = run("validate", "--format", "github", str(tmp_path / "c.yaml"))
    assert code == 1
    assert out.splitlines() == [
        f"::error file={tmp_path}/c.yaml,line=5,col=13::user 'ann@example.com': status should "
        "be 'Active' or 'Inactive' (got 'active')",
        f"::error file={tmp_path}/c.yaml,line=7,col=5::dnc entry '911': emergency phone number "
        "is not allowed",
    ]


def test_validate_github_format_warning_exits_0() -> None:
    code, out, _ = run("validate", "--format", "github", str(EXAMPLES / "dnc.yaml"))
    assert code == 0
    assert out.splitlines()[0] == (
        f"::warning file={EXAMPLES}/dnc.yaml,line=25,col=19::DNC entry +13055550123 expired on "
        "2026-01-31 00:00:00 UTC; remove it"
    )


def test_validate_defaults_to_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "u.yaml").write_text("users:\n  - {email: a@x.io, first_name: A, last_name: B}\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("validate", "--quiet")
    assert (code, out) == (0, "")
    (tmp_path / "bad.yml").write_text("dnc: [sssssss]\n")
    code, _, err = run("validate")
    assert code == 1
    assert err.startswith("bad.yml:1:7: error: dnc entry 'sssssss': phone_number is invalid\n")


def test_validate_empty_directory(tmp_path: Path) -> None:
    code, _, err = run("validate", str(tmp_path))
    assert code == 1
    assert f"error: {tmp_path}: no config found" in err


def test_schema_file_is_current() -> None:
    code, out, _ = run("schema")
    assert code == 0
    assert out == config_schema_text()
    assert SCHEMA_FILE.read_text() == out, (
        "schemas/ccai-config.schema.json is out of date: run "
        "`ccai-reconciler schema > schemas/ccai-config.schema.json`"
    )


def _schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(
    "path", sorted(EXAMPLES.rglob("*.yaml")), ids=lambda p: str(p.relative_to(EXAMPLES))
)
def test_examples_match_the_schema_and_point_at_it(path: Path) -> None:
    first_line = path.read_text().splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first_line.startswith(prefix)
    assert (path.parent / first_line[len(prefix) :]).resolve() == SCHEMA_FILE
    data = YAML(typ="safe").load(path)
    # editors see unquoted timestamps as strings too (the loader keeps them as text)
    errors = list(_schema_validator().iter_errors(json.loads(json.dumps(data, default=str))))
    assert errors == []


@pytest.mark.parametrize(
    "doc",
    [
        {"users": [{"email": "a@x.io", "first_name": "A", "last_name": "B", "frist": 1}]},
        {"users": [{"email": "a@x.io", "last_name": "B"}]},
        {"users": [{"email": "a@x.io", "first_name": "A", "last_name": "B", "status": "on"}]},
        {"policy": {"unmanaged_users": "delete"}},
        {"dnc": [{"phone_number": "+14155550100", "state": "gone"}]},
        {"sections": 1},
    ],
)
def test_schema_rejects_what_the_loader_rejects(doc: dict[str, object]) -> None:
    assert list(_schema_validator().iter_errors(doc)) != []


def test_validate_github_format_escapes_properties_and_message(tmp_path: Path) -> None:
    # GitHub's workflow commands: in properties % \r \n : , are escaped; in the message % \r \n.
    d = tmp_path / "team a,b:c"
    d.mkdir()
    (d / "c.yaml").write_text(
        'users:\n  - email: a@x.io\n    first_name: A\n    last_name: B\n    "x\\ny%": 1\n'
    )
    code, out, _ = run("validate", "--format", "github", str(d))
    assert code == 1
    file = str(d / "c.yaml").replace(":", "%3A").replace(",", "%2C")
    assert out.splitlines() == [
        f"::error file={file},line=5,col=5::user 'a@x.io': unknown field 'x%0Ay%25'"
    ]


def test_every_command_prints_one_error_format(tmp_path: Path) -> None:
    """validate and plan print the same `path:line:col: error: message` lines (and `error:
    message` without a location): one problem matcher reads both."""
    (tmp_path / "c.yaml").write_text(BROKEN)
    _, _, v_err = run("validate", str(tmp_path))
    _, _, p_err = run("plan", "-c", str(tmp_path))
    assert p_err == v_err
    code, _, err = run("plan", str(tmp_path / "nope"))
    assert code == 1
    assert err.splitlines()[0] == f"error: {tmp_path / 'nope'}: no such file or directory"


def test_plan_takes_the_config_as_paths_like_validate(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(BROKEN)
    code, _, err = run("plan", str(tmp_path))
    assert code == 1
    assert err == run("validate", str(tmp_path))[2]
