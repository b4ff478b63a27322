"""Read the config as it was at a git ref, through git plumbing (no checkout, no working-tree
change): ``git ls-tree -r`` lists the YAML files under each config path, ``git cat-file
--batch`` reads them in one process. The result feeds
:func:`reconciler.config.load_config_sources`.

Which files form the config, their order and display names come from the same function as
for the working tree (:func:`reconciler.config.discovery.select`), so YAML locations at the
base and now read alike and ``--base-ref`` never disagrees with the working tree about which
files form the config.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence

from reconciler.config import discovery
from reconciler.errors import Diagnostic, PlanError
from reconciler.state import Location


def _git(args: Sequence[str], cwd: str, *, stdin: bytes | None = None) -> bytes:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
        )
    except FileNotFoundError:
        raise PlanError("--base-ref needs git, which is not installed") from None
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise _GitFailed(msg[-1] if msg else f"git {args[0]} failed")
    return proc.stdout


class _GitFailed(Exception):
    pass


def _dir_of(path: str) -> str:
    p = os.path.abspath(path)
    return p if os.path.isdir(p) else os.path.dirname(p)


def repo_root(path: str) -> str | None:
    """The top of the git work tree containing ``path``, or None outside a repository."""
    d = _dir_of(path)
    if not os.path.isdir(d):
        return None
    try:
        out = _git(["rev-parse", "--show-toplevel"], d)
    except (_GitFailed, PlanError):
        return None
    return os.path.realpath(out.decode().strip())


def head_commit(paths: Sequence[str]) -> str | None:
    """HEAD of the repository holding the config (the first path), or None outside git; with
    ``-dirty`` appended when the config has uncommitted changes (as ``git describe --dirty``),
    so that a plan or report never claims a commit that is not what was planned."""
    if not paths:
        return None
    d = _dir_of(paths[0])
    if repo_root(paths[0]) is None:
        return None
    try:
        sha = _git(["rev-parse", "--verify", "--quiet", "HEAD"], d).decode().strip()
    except _GitFailed:
        return None  # a repository without commits
    if not sha:
        return None
    try:
        wanted = [os.path.abspath(p) for p in paths]
        status = _git(["status", "--porcelain", "--untracked-files=normal", "--", *wanted], d)
    except _GitFailed:
        return sha  # e.g. a path outside this repository: nothing more to say
    return sha + "-dirty" if status.strip() else sha


def read_config_at(ref: str, paths: Sequence[str]) -> list[tuple[str, bytes]]:
    """The YAML files of the config ``paths`` as they were at ``ref``: ``(display name,
    content)``, in the loader's order. A path that did not exist at ``ref`` contributes no files
    (the base config is then empty: everything counts as new)."""
    if ref.startswith("-"):
        raise PlanError(f"--base-ref {ref!r} is not a git ref")
    wanted: list[tuple[str, str, str]] = []  # (display, object, cwd): an id or commit:path
    for given in paths or ["."]:
        root = repo_root(given)
        if root is None:
            raise PlanError(
                f"--base-ref needs the config in a git repository; {given} is not in one"
            )
        try:
            commit = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
        except _GitFailed:
            commit = b""
        if not commit.strip():
            raise PlanError(
                f"--base-ref {ref!r}: no such commit, branch or tag in {root} "
                "(in CI, fetch it first, e.g. `git fetch origin main` and use origin/main)"
            )
        real = os.path.realpath(os.path.abspath(given))
        rel = os.path.relpath(real, root)
        if rel.startswith(".."):
            raise PlanError(f"{given} is outside the git repository {root}")
        is_file = os.path.isfile(real)
        spec = "." if rel == "." else rel
        try:
            out = _git(
                ["ls-tree", "-r", "-z", "--full-tree", commit.decode().strip(), "--", spec], root
            )
        except _GitFailed as err:
            raise PlanError(f"--base-ref {ref!r}: cannot list {given}: {err}") from None
        sha = commit.decode().strip()
        blobs: dict[str, str] = {}  # path relative to the repository root -> what to read
        for rec in out.split(b"\0"):
            if not rec:
                continue
            meta, _, name_b = rec.partition(b"\t")
            parts = meta.split()
            if len(parts) != 3 or parts[1] != b"blob":
                continue
            name = name_b.decode("utf-8", errors="surrogateescape")
            # A symlink (mode 120000) is a blob holding its target's path: read the file it
            # points to, as the working tree does (cat-file --follow-symlinks resolves it).
            blobs[name] = f"{sha}:{name}" if parts[0] == b"120000" else parts[2].decode()
        if is_file:
            if rel in blobs:
                wanted.append((given, blobs[rel], root))
            continue
        # The working tree's rule, applied to the paths under the config directory.
        prefix = "" if spec == "." else rel + "/"
        inner = {name[len(prefix) :]: oid for name, oid in blobs.items() if name.startswith(prefix)}
        for display, relpath in discovery.select(given, inner):
            wanted.append((display, inner[relpath], root))
    return _cat_files(wanted)


def _cat_files(wanted: list[tuple[str, str, str]]) -> list[tuple[str, bytes]]:
    """The contents of ``wanted`` in one ``git cat-file`` per repository, symlinks followed;
    a link to a file already read counts once (as the working tree's realpath rule)."""
    found: dict[tuple[str, str], tuple[str, bytes]] = {}  # (root, object) -> (blob id, data)
    problems: list[Diagnostic] = []
    by_root: dict[str, list[tuple[str, str]]] = {}
    for display, obj, root in wanted:
        by_root.setdefault(root, []).append((display, obj))
    for root, items in by_root.items():
        if any("\n" in obj for _, obj in items):
            raise PlanError("cannot read the config from git: a file name holds a line break")
        stdin = "".join(f"{obj}\n" for _, obj in items).encode()
        try:
            data = _git(["cat-file", "--batch", "--follow-symlinks"], root, stdin=stdin)
        except _GitFailed as err:
            raise PlanError(f"cannot read the config from git: {err}") from None
        pos = 0
        for display, obj in items:
            nl = data.index(b"\n", pos)
            header = data[pos:nl].decode(errors="replace").split()
            pos = nl + 1
            if len(header) == 3 and header[1] == "blob":
                size = int(header[2])
                found[(root, obj)] = (header[0], data[pos : pos + size])
                pos += size + 1
            elif len(header) == 2 and header[1] != "missing":
                size = int(header[1])  # symlink | dangling | loop | notdir, then a path
                target = data[pos : pos + size].decode(errors="replace")
                pos += size + 1
                problems.append(
                    Diagnostic(
                        _LINK_PROBLEM.get(header[0], header[0]).format(target=target),
                        Location(display, 1, 1),
                    )
                )
            else:
                raise PlanError(f"cannot read object {obj} from git")
    if problems:
        raise PlanError("cannot read the config at the base ref", diagnostics=problems)
    out: list[tuple[str, bytes]] = []
    read: dict[str, bool] = {}  # blob id -> whether a symlink led to it
    for display, obj, root in wanted:
        blob, content = found[(root, obj)]
        link = ":" in obj
        if blob in read and (link or read[blob]):
            continue
        read[blob] = read.get(blob, False) or link
        out.append((display, content))
    return out


_LINK_PROBLEM = {
    "symlink": "a symlink to {target}, outside the repository: git does not hold that file",
    "dangling": "a symlink that points to nothing at that commit",
    "loop": "a symlink loop",
    "notdir": "a symlink through a path that is not a directory",
}
