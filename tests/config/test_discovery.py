"""Which files form the config: the working tree and ``--base-ref`` follow one rule."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from reconciler.config import discovery
from reconciler.errors import Diagnostic, PlanError
from reconciler.gitref import read_config_at

# Files that are and are not part of the config, at two commits: each is loaded from the
# working tree as it was at that commit and from git at that commit.
FIRST = {
    "cfg/tenant.yaml": "version: 1\n",
    "cfg/UPPER.YML": "users: []\n",
    "cfg/.hidden.yaml": "ignored: true\n",
    "cfg/.git-crypt/keys.yaml": "ignored: true\n",
    "cfg/notes.md": "# not yaml\n",
    "cfg/data.json": "{}\n",
    "cfg/b/z.yml": "users: []\n",
    "cfg/a/deep/er.yaml": "users: []\n",
    "cfg/a.yaml.bak": "ignored: true\n",
    "cfg/a/x.yaml": "users: []\n",
    "outside.yaml": "users: []\n",
}
SECOND = {
    "cfg/tenant.yaml": "version: 1\n",
    "cfg/.hidden/now.yaml": "ignored: true\n",  # a hidden directory only at this commit
    "cfg/a/.new.yaml": "ignored: true\n",
    "cfg/a/new.yaml": "users: []\n",
    "cfg/yaml": "not a yaml suffix\n",
    "cfg/c.yaml": "users: []\n",
}


def _git(cwd: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    ).stdout


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "repo"
    r.mkdir()
    _git(r, "init", "-q", "-b", "main")
    _write(r, FIRST)
    _git(r, "add", "-A")
    _git(r, "commit", "-q", "-m", "one")
    for name in FIRST:
        (r / name).unlink()
    _write(r, SECOND)
    _git(r, "add", "-A")
    _git(r, "commit", "-q", "-m", "two")
    return r


def _checkout(repo: Path, ref: str, into: Path) -> Path:
    """The tree of ``ref`` as plain files (what the working tree held at that commit)."""
    data = _git(repo, "archive", "--format=tar", ref)
    into.mkdir()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


@pytest.mark.parametrize(("ref", "files"), [("HEAD~1", FIRST), ("HEAD", SECOND)])
@pytest.mark.parametrize("given", ["cfg", "cfg/a", "."])
def test_base_ref_and_working_tree_agree(
    repo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ref: str,
    files: dict[str, str],
    given: str,
) -> None:
    tree = _checkout(repo, ref, tmp_path / "tree")
    monkeypatch.chdir(tree)
    diags: list[Diagnostic] = []
    working = discovery.read_sources([given], diags)
    monkeypatch.chdir(repo)
    at_ref = read_config_at(ref, [given])
    assert at_ref == working
    if given != ".":
        assert not diags
    # The rule itself: hidden paths and other suffixes are left out, in either place.
    names = {name for name, _ in at_ref}
    for path in files:
        rel = path if given == "." else path.removeprefix(given + "/")
        inside = given == "." or path.startswith(given + "/")
        expected = inside and discovery.is_config_file(rel)
        assert (str(Path(path)) in names) == expected, path


def test_reading_order_is_files_first_then_subdirectories() -> None:
    rel = ["b/z.yml", "a.yaml", "a/x.yaml", "a/deep/er.yaml", "Z.yaml", ".h.yaml", "x.txt"]
    assert [r for _, r in discovery.select("cfg", rel)] == [
        "Z.yaml",
        "a.yaml",
        "a/x.yaml",
        "a/deep/er.yaml",
        "b/z.yml",
    ]


def test_symlinks_read_alike_at_the_base_and_in_the_working_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A committed symlink is a blob holding its target's path; the base must read the file it
    points to, as the working tree does, and a link to a file already read counts once."""
    repo = tmp_path / "repo"
    (repo / "shared").mkdir(parents=True)
    (repo / "cfg" / "sub").mkdir(parents=True)
    (repo / "shared" / "users.yaml").write_text("users:\n  - email: a@acme-corp.com\n")
    (repo / "cfg" / "dnc.yaml").write_text("dnc: []\n")
    os.symlink("../shared/users.yaml", repo / "cfg" / "users.yaml")  # outside cfg, in the repo
    os.symlink("../dnc.yaml", repo / "cfg" / "sub" / "again.yaml")  # a file already read
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "links")
    monkeypatch.chdir(repo)
    diags: list[Diagnostic] = []
    working = discovery.read_sources(["cfg"], diags)
    assert not diags
    assert read_config_at("main", ["cfg"]) == working
    assert dict(working)[os.path.join("cfg", "users.yaml")].startswith(b"users:")


def test_a_symlink_out_of_the_repository_at_the_base_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("users: []\n")
    repo = tmp_path / "repo"
    (repo / "cfg").mkdir(parents=True)
    os.symlink(str(outside), repo / "cfg" / "users.yaml")
    os.symlink("gone.yaml", repo / "cfg" / "dangling.yaml")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "links")
    monkeypatch.chdir(repo)
    with pytest.raises(PlanError) as exc:
        read_config_at("main", ["cfg"])
    text = str(exc.value)
    assert os.path.join("cfg", "users.yaml") in text and "outside the repository" in text
    assert os.path.join("cfg", "dangling.yaml") in text and "points to nothing" in text
