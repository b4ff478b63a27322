"""Reading the config at a git ref through plumbing, with the loader's names and order."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reconciler.config import load_config
from reconciler.errors import PlanError
from reconciler.gitref import head_commit, read_config_at

from .test_cli_plan import DATA, git


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "repo"
    shutil.copytree(DATA / "config", r / "cfg")
    (r / "cfg" / "users" / "deeper").mkdir()
    (r / "cfg" / "users" / "deeper" / "more.yml").write_text("users: []\n")
    (r / "cfg" / "users" / "z.yaml").write_text("users: []\n")
    (r / "cfg" / ".hidden.yaml").write_text("not: loaded\n")
    (r / "cfg" / "README.md").write_text("# not yaml\n")
    (r / "other.yaml").write_text("users: []\n")
    git(r, "init", "-q", "-b", "main")
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "one")
    return r


def test_same_names_and_order_as_the_loader(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    sources = read_config_at("main", ["cfg"])
    assert [name for name, _ in sources] == load_config(["cfg"]).state.files
    assert (
        dict(sources)[os.path.join("cfg", "tenant.yaml")]
        == (repo / "cfg" / "tenant.yaml").read_bytes()
    )


def test_single_file_and_absolute_paths(repo: Path, tmp_path: Path) -> None:
    f = str(repo / "cfg" / "dnc.yaml")
    [(name, data)] = read_config_at("main", [f])
    assert name == f and data == (repo / "cfg" / "dnc.yaml").read_bytes()


def test_reads_the_ref_not_the_working_tree(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    (repo / "cfg" / "dnc.yaml").write_text("dnc: []\n")
    git(repo, "commit", "-q", "-am", "two")
    (repo / "cfg" / "teams.yaml").unlink()  # uncommitted
    old = dict(read_config_at("HEAD~1", ["cfg"]))
    assert b"+14155550100" in old[os.path.join("cfg", "dnc.yaml")]
    assert os.path.join("cfg", "teams.yaml") in old
    assert dict(read_config_at("HEAD", ["cfg"]))[os.path.join("cfg", "dnc.yaml")] == b"dnc: []\n"


def test_path_missing_at_ref_gives_no_files(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    (repo / "newcfg").mkdir()
    (repo / "newcfg" / "a.yaml").write_text("users: []\n")
    assert read_config_at("main", ["newcfg"]) == []


def test_errors(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    with pytest.raises(PlanError, match="no such commit"):
        read_config_at("does-not-exist", ["cfg"])
    with pytest.raises(PlanError, match="not a git ref"):
        read_config_at("--output=/tmp/x", ["cfg"])
    outside = tmp_path / "outside"
    outside.mkdir()
    with pytest.raises(PlanError, match="not in one"):
        read_config_at("main", [str(outside)])


def test_head_commit(repo: Path, tmp_path: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    assert head_commit([str(repo / "cfg")]) == head
    (repo / "unrelated.txt").write_text("outside the config\n")
    assert head_commit([str(repo / "cfg")]) == head  # only the config's own changes count
    (repo / "cfg" / "users" / "new.yaml").write_text("users: []\n")  # untracked config file
    assert head_commit([str(repo / "cfg")]) == head + "-dirty"
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    assert head_commit([str(lonely)]) is None


def test_base_identical_to_the_working_tree_is_not_parsed_again(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from reconciler import pipeline

    monkeypatch.chdir(repo)
    now = datetime.now(UTC)
    current = load_config(["cfg"], now=now)
    parsed: list[int] = []
    real = pipeline.load_config_sources

    def counting(sources, **kw):  # type: ignore[no-untyped-def]
        parsed.append(len(sources))
        return real(sources, **kw)

    monkeypatch.setattr(pipeline, "load_config_sources", counting)
    assert pipeline.load_base(["cfg"], "main", now=now, current=current) is current.state
    assert parsed == []

    # One byte changed in one file: the base is really read from git, and differs.
    tenant = repo / "cfg" / "tenant.yaml"
    tenant.write_bytes(tenant.read_bytes() + b"\n")
    edited = load_config(["cfg"], now=now)
    base = pipeline.load_base(["cfg"], "main", now=now, current=edited)
    assert parsed == [len(edited.state.files)]
    assert base is not edited.state and base.users.keys() == edited.state.users.keys()
