"""Which files form the config: one rule for the working tree and for a git commit.

A path given on the command line is either a file (read as given, whatever its name) or a
directory, searched recursively for ``*.yaml``/``*.yml`` files; hidden files and directories
(a name starting with '.') are skipped. Files are read top-down: a directory's own files
before its subdirectories, each sorted by name. :func:`select` applies that rule to a list of
paths relative to the directory, so the working-tree walk (:func:`expand`) and
:func:`reconciler.gitref.read_config_at` (``git ls-tree``) cannot disagree about which files
form the config, nor about their order and display names.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from reconciler.config import yamlio
from reconciler.errors import Diagnostic
from reconciler.state import Location

YAML_SUFFIXES = (".yaml", ".yml")


def is_config_file(relpath: str) -> bool:
    """Whether the file at ``relpath`` (relative to a config directory, '/'-separated) is part
    of the config: a YAML suffix, and no hidden file or directory on the way."""
    segs = relpath.split("/")
    if any(s.startswith(".") for s in segs):
        return False
    return segs[-1].lower().endswith(YAML_SUFFIXES)


def walk_key(relpath: str) -> tuple[tuple[int, str], ...]:
    """Sort key giving the top-down walk order: files before subdirectories, each sorted."""
    parts = relpath.split("/")
    return (*((1, p) for p in parts[:-1]), (0, parts[-1]))


def select(given: str, relpaths: Iterable[str]) -> list[tuple[str, str]]:
    """``(display name, relpath)`` of the config files among ``relpaths`` (files under the
    directory ``given``, relative to it, '/'-separated), in reading order."""
    chosen = sorted((r for r in relpaths if is_config_file(r)), key=walk_key)
    return [(os.path.normpath(os.path.join(given, *r.split("/"))), r) for r in chosen]


def expand(given: str, diags: list[Diagnostic]) -> list[tuple[str, str]]:
    """(display name, path) of the config files under ``given`` in the working tree."""
    if not os.path.exists(given):
        diags.append(Diagnostic(f"{given}: no such file or directory"))
        return []
    if os.path.isfile(given):
        return [(given, given)]
    rel: list[str] = []
    for root, dirs, files in os.walk(given):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # pruned early; select() decides
        inner = os.path.relpath(root, given)
        prefix = "" if inner == "." else Path(inner).as_posix() + "/"
        rel.extend(prefix + f for f in files)
    found = [(display, os.path.join(given, *r.split("/"))) for display, r in select(given, rel)]
    if not found:
        diags.append(
            Diagnostic(f"{given}: no config found (no *.yaml or *.yml files in this directory)")
        )
    return found


def read_sources(paths: Sequence[str | Path], diags: list[Diagnostic]) -> list[tuple[str, bytes]]:
    """``(display name, content)`` of every config file under ``paths`` (each file once)."""
    sources: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for given in paths:
        for name, path in expand(str(given), diags):
            real = os.path.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            try:
                size = os.path.getsize(path)
                if size > yamlio.MAX_FILE_BYTES:
                    diags.append(
                        Diagnostic(
                            f"file is {size / 1048576:.1f} MiB, over the limit of "
                            f"{yamlio.MAX_FILE_BYTES // 1048576} MiB per config file; "
                            "split it into several files",
                            Location(name, 1, 1),
                        )
                    )
                    continue
                with open(path, "rb") as fh:
                    sources.append((name, fh.read()))
            except OSError as err:
                diags.append(Diagnostic(f"cannot read file: {err.strerror}", Location(name, 1, 1)))
    return sources
