"""Several tenants from one config directory: shared files plus ``tenants/NAME/``.

A layer above the config loader: it picks the files, hands them to
:func:`reconciler.config.load_config_sources` and merges what comes back. The rules (a table in
docs/config.md, "Several tenants"):

- every YAML file of the config directory outside ``tenants/`` is shared by every tenant;
  ``tenants/NAME/**.yaml`` belong to tenant NAME only;
- users, roles, teams and DNC entries of both are added together, exactly as the loader merges
  files today (a user, group or number declared in both is an error with both locations);
- ``policy:`` and ``tenant:`` of a tenant override the shared ones key by key
  (``default_region`` stays shared: it decides how the shared DNC numbers are read);
- ``defaults:`` may be written once, shared or per tenant (as for any two files).

Every diagnostic keeps the file:line of the file it is in: the tenant's ``policy:`` and
``tenant:`` sections are blanked line by line (so every other line keeps its number) for the
main load, and validated in a second load of the tenant's files with every other section
blanked.

Without a ``tenants/`` directory nothing here is used: the commands load the config as before.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode

from reconciler import gitref
from reconciler.config import LoadResult, load_config_sources, yamlio
from reconciler.errors import ConfigError, Diagnostic, PlanError
from reconciler.state import DesiredState, Location

TENANTS_DIR = "tenants"
#: Sections a tenant overrides key by key; the others add up (or may appear once).
OVERRIDES = ("policy", "tenant")
#: Policy keys only the shared files may set.
SHARED_ONLY = ("default_region",)
YAML_SUFFIXES = (".yaml", ".yml")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_BREAK = re.compile(r"(\r\n|[\n\r\x85\u2028\u2029])")

Source = tuple[str, bytes]


class TenantError(PlanError):
    """A tenant selection problem (unknown name, no tenant given, ...): exit 1, no API call."""


@dataclass(slots=True)
class Layout:
    """The files of a config, split: shared ones and those of each tenant (all in load order)."""

    shared: list[Source] = field(default_factory=list)
    tenants: dict[str, list[Source]] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)
    multi: bool = False  # a tenants/ directory exists under one of the paths

    @property
    def names(self) -> list[str]:
        return sorted(self.tenants)


@dataclass(slots=True)
class TenantLoad:
    name: str
    result: LoadResult
    sources: list[Source]  # the files as read (unblanked): the base ref compares with these


def env_suffix(name: str) -> str:
    """``sandbox`` -> ``SANDBOX``, ``uat-eu`` -> ``UAT_EU`` (for ``CCAI_API_TOKEN_<NAME>``)."""
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def is_multi_tenant(paths: Sequence[str | Path]) -> bool:
    """Whether one of the config directories has a ``tenants/`` directory."""
    return any(os.path.isdir(os.path.join(str(p), TENANTS_DIR)) for p in paths or ["."])


def _tenant_of(given: str, display: str) -> str | None:
    """``None`` for a shared file, the tenant name for ``GIVEN/tenants/NAME/...``, ``""`` for a
    file directly in ``tenants/``."""
    rel = os.path.relpath(display, os.path.normpath(given))
    parts = Path(rel).parts
    if len(parts) < 2 or parts[0] != TENANTS_DIR:
        return None
    return parts[1] if len(parts) > 2 else ""


def _walk(given: str) -> list[str]:
    """The YAML files under ``given`` as the loader finds them (sorted, top-down, no hidden)."""
    if os.path.isfile(given):
        return [given]
    found: list[str] = []
    for root, dirs, files in os.walk(given):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for fname in sorted(files):
            if not fname.startswith(".") and fname.lower().endswith(YAML_SUFFIXES):
                found.append(os.path.normpath(os.path.join(root, fname)))
    return found


def _split(per_path: Sequence[tuple[str, Sequence[Source]]], layout: Layout) -> Layout:
    seen: set[str] = set()
    for given, sources in per_path:
        for display, data in sources:
            if display in seen:
                continue
            seen.add(display)
            name = _tenant_of(given, display) if layout.multi else None
            if name is None:
                layout.shared.append((display, data))
            elif name == "":
                layout.problems.append(
                    Diagnostic(
                        f"a file directly in {TENANTS_DIR}/ belongs to no tenant: move it to "
                        f"{TENANTS_DIR}/NAME/ (or out of {TENANTS_DIR}/ to share it)",
                        Location(display, 1, 1),
                    )
                )
            else:
                layout.tenants.setdefault(name, []).append((display, data))
    by_env: dict[str, str] = {}
    for name in layout.names:
        where = Location(os.path.join(TENANTS_DIR, name), 1, 1)
        if not _NAME.match(name):
            layout.problems.append(
                Diagnostic(
                    f"tenant name '{name}' must be letters, digits, '-' or '_' "
                    "(it names the CCAI_API_TOKEN_<NAME> variable)",
                    where,
                )
            )
        other = by_env.setdefault(env_suffix(name), name)
        if other != name:
            layout.problems.append(
                Diagnostic(
                    f"tenants '{other}' and '{name}' would share the variable "
                    f"CCAI_API_TOKEN_{env_suffix(name)}: rename one",
                    where,
                )
            )
    return layout


def read_layout(paths: Sequence[str | Path]) -> Layout:
    """The working tree's config files, split into shared and per-tenant ones."""
    layout = Layout(multi=is_multi_tenant(paths))
    per_path: list[tuple[str, list[Source]]] = []
    for p in [str(p) for p in paths] or ["."]:
        sources: list[Source] = []
        if not os.path.exists(p):
            layout.problems.append(Diagnostic(f"{p}: no such file or directory"))
            continue
        for display in _walk(p):
            try:
                sources.append((display, Path(display).read_bytes()))
            except OSError as err:
                layout.problems.append(
                    Diagnostic(f"cannot read file: {err.strerror}", Location(display, 1, 1))
                )
        per_path.append((p, sources))
    if layout.multi:
        for top in [str(q) for q in paths] or ["."]:
            tdir = os.path.join(top, TENANTS_DIR)
            if os.path.isdir(tdir):
                for entry in sorted(os.listdir(tdir)):
                    if not entry.startswith(".") and os.path.isdir(os.path.join(tdir, entry)):
                        layout.tenants.setdefault(entry, [])  # a tenant with shared files only
    return _split(per_path, layout)


def read_layout_at(ref: str, paths: Sequence[str | Path]) -> Layout:
    """The same as :func:`read_layout` for the config as it was at git ``ref``."""
    given = [str(p) for p in paths] or ["."]
    per_path = [(p, gitref.read_config_at(ref, [p])) for p in given]
    layout = Layout()
    layout.multi = any(
        _tenant_of(p, display) is not None for p, sources in per_path for display, _ in sources
    )
    return _split(per_path, layout)


PLAIN_VARS = ("CCAI_API_TOKEN", "CCAI_SUBDOMAIN", "CCAI_DOMAIN", "CCAI_BASE_URL")


def connection_env(
    name: str, environ: Mapping[str, str], *, token_file: str | None = None
) -> tuple[dict[str, str], str | None]:
    """The environment to connect to tenant ``name`` with, and its token file: the plain
    ``CCAI_API_TOKEN``, ``CCAI_SUBDOMAIN``, ``CCAI_DOMAIN`` and ``CCAI_BASE_URL`` are never used;
    ``<VAR>_<NAME>`` take their place, and ``CCAI_API_TOKEN_FILE_<NAME>`` names a token file
    (``token_file``, from ``--token-file``, wins). No token at all: :class:`TenantError`."""
    suffix = env_suffix(name)
    env = {k: v for k, v in environ.items() if k not in PLAIN_VARS}
    for var in PLAIN_VARS:
        value = (environ.get(f"{var}_{suffix}") or "").strip()
        if value:
            env[var] = value
    token_file = token_file or (environ.get(f"CCAI_API_TOKEN_FILE_{suffix}") or "").strip() or None
    if not env.get("CCAI_API_TOKEN") and token_file is None:
        plain = (
            "; CCAI_API_TOKEN is set but never used with tenants (one token for every tenant "
            "is what this refuses)"
            if (environ.get("CCAI_API_TOKEN") or "").strip()
            else ""
        )
        raise TenantError(
            f"no API token for tenant {name}: set CCAI_API_TOKEN_{suffix} or "
            f"CCAI_API_TOKEN_FILE_{suffix}{plain}"
        )
    return env, token_file


def select(layout: Layout, tenant: str | None, *, command: str) -> str:
    """The tenant to use: ``tenant`` checked against the layout; an error listing the tenants
    when none is given."""
    names = ", ".join(layout.names) or "(none)"
    if tenant is None:
        raise TenantError(
            f"this config describes several tenants ({names}): {command} one of them with "
            "--tenant NAME" + (" or every one with --all-tenants" if command == "plan" else "")
        )
    if tenant not in layout.tenants:
        raise TenantError(f"no tenant '{tenant}' in this config (tenants: {names})")
    return tenant


# -- merging -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Prepared:
    main: Source  # the file with its override sections blanked
    overrides: Source | None  # the file with only version and the override sections, if any
    keys: dict[str, list[tuple[str, Node]]]  # section -> [(key, key node)] as written


def _lines(text: str) -> list[str]:
    return _BREAK.split(text)  # content, break, content, break, ..., content


def _blank(parts: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        if 2 * i < len(parts):
            parts[2 * i] = ""


def _span(key: Node, value: Node) -> tuple[int, int]:
    end = value.end_mark
    return key.start_mark.line, end.line if end.column == 0 else end.line + 1


def _prepare(display: str, data: bytes, problems: list[Diagnostic]) -> _Prepared:
    text, problem = yamlio.decode(display, data)
    root = None
    if problem is None and text is not None:
        root, problem = yamlio.compose(display, text)
    if problem is not None or text is None or not isinstance(root, MappingNode):
        return _Prepared((display, data), None, {})  # the loader reports what is wrong
    found = [(k, v) for k, v in root.value if isinstance(k, ScalarNode)]
    if not any(k.value in OVERRIDES for k, _ in found):
        return _Prepared((display, data), None, {})
    if root.flow_style:
        problems.append(
            Diagnostic(
                "a tenant file with policy: or tenant: must be written in block style "
                "(one section per line), not as a {...} mapping",
                yamlio.loc_of(display, root),
            )
        )
        return _Prepared((display, data), None, {})
    main, only = _lines(text), _lines(text)
    keys: dict[str, list[tuple[str, Node]]] = {}
    for knode, vnode in found:
        start, end = _span(knode, vnode)
        if knode.value in OVERRIDES:
            _blank(main, start, end)
            pairs = vnode.value if isinstance(vnode, MappingNode) else []
            keys[knode.value] = [(k.value, k) for k, _ in pairs if isinstance(k, ScalarNode)]
        elif knode.value != "version":
            _blank(only, start, end)
    return _Prepared((display, "".join(main).encode()), (display, "".join(only).encode()), keys)


def _order(files: Sequence[str]) -> dict[str, int]:
    return {name: i for i, name in enumerate(files)}


def _load(
    sources: list[Source], now: datetime | None
) -> tuple[LoadResult | None, list[Diagnostic]]:
    try:
        result = load_config_sources(sources, now=now)
    except ConfigError as err:
        return None, err.diagnostics
    return result, list(result.warnings)


def merge(
    shared: Sequence[Source], own: Sequence[Source], *, now: datetime | None = None
) -> LoadResult:
    """The config of one tenant: ``shared`` files plus its ``own`` (see the module doc)."""
    problems: list[Diagnostic] = []
    prepared = [_prepare(display, data, problems) for display, data in own]
    main, result_diags = _load([*shared, *(p.main for p in prepared)], now)
    result, diags = main, list(result_diags)
    overrides = [p.overrides for p in prepared if p.overrides is not None]
    over: LoadResult | None = None
    if overrides:
        over, more = _load(overrides, now)
        seen = set(diags)
        diags += [d for d in more if d not in seen]
    for p in prepared:
        for key, knode in p.keys.get("policy", []):
            if key in SHARED_ONLY:
                problems.append(
                    Diagnostic(
                        f"policy: {key} is shared by every tenant (it decides how the shared "
                        "DNC numbers are read): set it in a shared file, not under "
                        f"{TENANTS_DIR}/",
                        yamlio.loc_of(p.main[0], knode),
                    )
                )
    diags += problems
    order = _order([name for name, _ in [*shared, *own]])
    diags.sort(
        key=lambda d: (
            (-1, 0, 0)
            if d.loc is None
            else (order.get(d.loc.file, len(order)), d.loc.line, d.loc.col)
        )
    )
    if result is None or (overrides and over is None) or any(d.severity == "error" for d in diags):
        raise ConfigError(diags)
    if over is not None:
        result.state = _override(result.state, over.state, prepared)
    result.warnings = [d for d in diags if d.severity == "warning"]
    return result


def _override(
    state: DesiredState, over: DesiredState, prepared: Sequence[_Prepared]
) -> DesiredState:
    policy_keys = {k for p in prepared for k, _ in p.keys.get("policy", [])}
    tenant_keys = {k for p in prepared for k, _ in p.keys.get("tenant", [])}
    names = {f.name for f in dataclasses.fields(state.policy)}
    # a key and, where the policy keeps one, its location (e.g. ownership_role_loc)
    wanted = [name for k in policy_keys for name in (k, f"{k}_loc") if name in names]
    state.policy = dataclasses.replace(
        state.policy, **{name: getattr(over.policy, name) for name in wanted}
    )
    if any("tenant" in p.keys for p in prepared):
        changes = {k: getattr(over.tenant, k) for k in tenant_keys if k in ("subdomain", "domain")}
        state.tenant = dataclasses.replace(state.tenant, **changes, loc=over.tenant.loc)
    for name, loc in over.role_refs.items():
        state.role_refs.setdefault(name, loc)
    for name, loc in over.team_refs.items():
        state.team_refs.setdefault(name, loc)
    return state


def load_tenant(
    paths: Sequence[str | Path], tenant: str | None, *, command: str, now: datetime | None = None
) -> TenantLoad:
    """The merged config of ``tenant`` from the working tree (errors: :class:`ConfigError`
    for the files, :class:`TenantError` for the selection)."""
    layout = read_layout(paths)
    if layout.problems:
        raise ConfigError(layout.problems)
    name = select(layout, tenant, command=command)
    own = layout.tenants[name]
    return TenantLoad(name, merge(layout.shared, own, now=now), [*layout.shared, *own])


def load_all(
    paths: Sequence[str | Path], *, now: datetime | None = None
) -> tuple[list[str], dict[str, TenantLoad], list[Diagnostic]]:
    """Every tenant's merged config (validate, plan --all-tenants): the names, the configs
    that load, and every diagnostic of all of them (a shared file's once)."""
    layout = read_layout(paths)
    diags = list(layout.problems)
    seen = set(diags)
    loads: dict[str, TenantLoad] = {}
    for name in layout.names:
        own = layout.tenants[name]
        try:
            result = merge(layout.shared, own, now=now)
            loads[name] = TenantLoad(name, result, [*layout.shared, *own])
            found = result.warnings
        except ConfigError as err:
            found = err.diagnostics
        for d in found:
            if d not in seen:
                seen.add(d)
                diags.append(d)
    if not layout.names and not layout.problems:
        diags.append(Diagnostic(f"{TENANTS_DIR}/ holds no tenant directory (tenants/NAME/)"))
    return layout.names, loads, diags


def load_tenant_base(
    paths: Sequence[str | Path], ref: str, current: TenantLoad, *, now: datetime
) -> DesiredState:
    """The tenant's config as it was at ``ref``, merged the same way: empty when the tenant's
    directory did not exist there; the whole config when the base had no ``tenants/`` yet (a
    single-tenant config being split: the old config is every tenant's base)."""
    layout = read_layout_at(ref, paths)
    if not layout.multi:
        sources = layout.shared
        if not sources:
            return DesiredState()
        load = lambda: load_config_sources(sources, now=now)  # noqa: E731
    else:
        if current.name not in layout.tenants:
            return DesiredState()
        sources = [*layout.shared, *layout.tenants[current.name]]
        shared, own = layout.shared, layout.tenants[current.name]
        load = lambda: merge(shared, own, now=now)  # noqa: E731
    if sources == current.sources:
        return current.result.state
    try:
        if layout.problems:
            raise ConfigError(layout.problems)
        return load().state
    except ConfigError as err:
        raise PlanError(
            f"the config of tenant {current.name} at --base-ref {ref} is invalid, so it cannot "
            "serve as the base (use another base ref, e.g. the last commit that was applied):",
            err.diagnostics,
        ) from None
