"""Load a config (files or directories of YAML) into a :class:`~reconciler.state.DesiredState`.

Every problem found is collected (never only the first) and raised together as one
:class:`~reconciler.errors.ConfigError`; warnings (expired DNC entries) come back in
:class:`LoadResult`. The loader is linear in the size of the config: duplicates are found with
dict lookups, and each item is validated on its own so one bad user never hides another.

The parts: :mod:`~reconciler.config.discovery` (which files), :mod:`~reconciler.config.yamlio`
(safe YAML with locations), :mod:`~reconciler.config.context` (the state of one load and the
pydantic error wording), and one reader module per kind of section
(:mod:`~reconciler.config.sections`, :mod:`~reconciler.config.users`,
:mod:`~reconciler.config.groups`, :mod:`~reconciler.config.dnc`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from ruamel.yaml.nodes import MappingNode, Node

from reconciler.config import dnc, fastyaml, groups, sections, users, yamlio
from reconciler.config import models as m
from reconciler.config.context import Item, LoadContext
from reconciler.config.dates import parse_datetime
from reconciler.config.discovery import read_sources
from reconciler.config.messages import node_kind, show
from reconciler.errors import ConfigError, Diagnostic
from reconciler.gcpause import gc_paused
from reconciler.state import DesiredState, resolve_locations

__all__ = ["LoadResult", "load_config", "load_config_sources", "parse_datetime"]


@dataclass(slots=True)
class LoadResult:
    state: DesiredState
    warnings: list[Diagnostic] = field(default_factory=list)


def load_config(
    paths: Sequence[str | Path], *, now: datetime | None = None, fast: bool = True
) -> LoadResult:
    """Read config files or directories (recursively ``*.yaml``/``*.yml``), merged.

    ``fast=False`` reads every file with the exact slow path (ruamel.yaml nodes); the default
    reads large plain files with :mod:`~reconciler.config.fastyaml`, with the same result."""
    diags: list[Diagnostic] = []
    if isinstance(paths, str | Path):
        paths = [paths]
    if not paths:
        paths = ["."]
    sources = read_sources(paths, diags)
    return _Loader(now, fast).run(sources, diags)


def load_config_sources(
    sources: Sequence[tuple[str, bytes]], *, now: datetime | None = None, fast: bool = True
) -> LoadResult:
    """The same as :func:`load_config` from in-memory files ``(display name, content)``."""
    return _Loader(now, fast).run(list(sources), [])


class _Loader(LoadContext):
    def __init__(self, now: datetime | None, fast: bool = True) -> None:
        super().__init__(now)
        self.fast = fast

    def run(self, sources: list[tuple[str, bytes]], diags: list[Diagnostic]) -> LoadResult:
        # Millions of small objects and no cycles: the cyclic GC would only slow this down.
        with gc_paused():
            return self._run(sources, diags)

    def _run(self, sources: list[tuple[str, bytes]], diags: list[Diagnostic]) -> LoadResult:
        self.errors.extend(diags)
        if not sources and not diags:
            self.err("no config files given", None)
        for name, data in sources:
            self.state.files.append(name)
            self.file_order.setdefault(name, len(self.file_order))
            self._read(name, data)
        self._build()
        # report in file order, then line and column (stable: same place keeps its order);
        # the fast path's lazy locations found in batches, one parse per file
        resolve_locations(d.loc for d in (*self.errors, *self.warnings))
        self.errors.sort(key=lambda d: self.order(d.loc))
        self.warnings.sort(key=lambda d: self.order(d.loc))
        if self.errors:
            raise ConfigError(self.errors + self.warnings)
        return LoadResult(self.state, self.warnings)

    def _read(self, file: str, data: bytes) -> None:
        text, problem = yamlio.decode(file, data)
        if problem is not None or text is None:
            self.errors.append(cast(Diagnostic, problem))
            return
        fast = fastyaml.fast_root(file, text) if self.fast else None
        root: Node
        if fast is not None:
            root, data_map = fast
        else:
            slow = self._compose(file, text)
            if slow is None:
                return
            root, data_map = slow
        index = yamlio.mapping_index(root)
        for key, value in data_map.items():
            knode, vnode = index[key]
            if key not in self.sections:
                hint = self.suggest(key, m.SECTIONS) or f" (sections are: {', '.join(m.SECTIONS)})"
                self.err(f"unknown section '{key}'{hint}", yamlio.loc_of(file, knode))
                continue
            item = Item(file, knode, vnode, value)
            if key == "users":
                users.read_users(self, item)
            elif key in ("roles", "teams"):
                groups.read_groups(self, item, key, key[:-1])
            elif key == "dnc":
                dnc.read_dnc(self, item)
            else:  # small sections, completed in _build
                self.sections[key].append(item)

    def _compose(self, file: str, text: str) -> tuple[Node, dict[str, Any]] | None:
        """The exact slow path: ruamel.yaml's node tree and its values (``None``: nothing)."""
        root, problem = yamlio.compose(file, text)
        if problem is not None:
            self.errors.append(problem)
            return None
        if root is None:
            return None  # an empty file (or only comments) declares nothing
        conv = yamlio.Converter(file, self.errors)
        if not isinstance(root, MappingNode):
            self.err(
                "a config file must be a mapping of sections "
                f"({', '.join(m.SECTIONS)}), not {node_kind(root)}",
                yamlio.loc_of(file, root),
            )
            return None
        data_map = conv.convert(root)
        if not isinstance(data_map, dict):
            return None
        return root, data_map

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        for item in self.sections["version"]:
            if item.data != 1 or isinstance(item.data, bool):
                self.err(
                    f"version must be 1 (got {show(item.data)})",
                    yamlio.loc_of(item.file, item.value),
                )
        sections.read_tenant(self)
        sections.read_policy(self)
        users.finish_users(self, sections.read_defaults(self))
        groups.finish_groups(self)
        dnc.finish_dnc(self)
