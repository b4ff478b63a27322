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
from reconciler.errors import PlanError


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
    wanted: list[tuple[str, str, str]] = []  # (display, object id, cwd)
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
        blobs: dict[str, str] = {}  # path relative to the repository root -> object id
        for rec in out.split(b"\0"):
            if not rec:
                continue
            meta, _, name_b = rec.partition(b"\t")
            parts = meta.split()
            if len(parts) != 3 or parts[1] != b"blob":
                continue
            blobs[name_b.decode("utf-8", errors="surrogateescape")] = parts[2].decode()
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
    out: list[tuple[str, bytes]] = []
    by_root: dict[str, list[tuple[str, str]]] = {}
    for display, oid, root in wanted:
        by_root.setdefault(root, []).append((display, oid))
    contents: dict[tuple[str, str], bytes] = {}
    for root, items in by_root.items():
        stdin = "".join(f"{oid}\n" for _, oid in items).encode()
        try:
            data = _git(["cat-file", "--batch"], root, stdin=stdin)
        except _GitFailed as err:
            raise PlanError(f"cannot read the config from git: {err}") from None
        pos = 0
        for _, oid in items:
            nl = data.index(b"\n", pos)
            header = data[pos:nl].split()
            if len(header) != 3:
                raise PlanError(f"cannot read object {oid} from git")
            size = int(header[2])
            contents[(root, oid)] = data[nl + 1 : nl + 1 + size]
            pos = nl + 1 + size + 1
    for display, oid, root in wanted:
        out.append((display, contents[(root, oid)]))
    return out
