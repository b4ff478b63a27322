"""Load a config (files or directories of YAML) into a :class:`~reconciler.state.DesiredState`.

Every problem found is collected (never only the first) and raised together as one
:class:`~reconciler.errors.ConfigError`; warnings (expired DNC entries) come back in
:class:`LoadResult`. The loader is linear in the size of the config: duplicates are found with
dict lookups, and each item is validated on its own so one bad user never hides another.
"""

from __future__ import annotations

import difflib
import gc
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ValidationError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.config import models as m
from reconciler.config import yamlio
from reconciler.errors import ConfigError, Diagnostic
from reconciler.phone import is_supported_region, normalize_phone
from reconciler.state import (
    DEFAULT_MAX_DEACTIVATIONS,
    DEFAULT_MAX_DNC_REMOVALS,
    DEFAULT_MAX_FIELD_CLEARS,
    DEFAULT_MAX_ROLE_REMOVALS,
    DEFAULT_MAX_TEAM_REMOVALS,
    USER_FIELDS,
    DesiredDnc,
    DesiredState,
    DesiredUser,
    Location,
    Policy,
    Tenant,
    Threshold,
    UserStatus,
)

# An ASCII dot-atom local part (RFC 5322 3.2.3): always valid; anything else goes through
# email-validator in full.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_PATTERN_HELP = {
    "subdomain": "the tenant's host name label, such as 'demo'",
    "domain": "a domain name, such as 'ccaiplatform.com'",
}
YAML_SUFFIXES = (".yaml", ".yml")
#: Did-you-mean suggestions computed at most this many times per load (each is a scan).
MAX_SUGGESTIONS = 200


@dataclass(slots=True)
class LoadResult:
    state: DesiredState
    warnings: list[Diagnostic] = field(default_factory=list)


def load_config(paths: Sequence[str | Path], *, now: datetime | None = None) -> LoadResult:
    """Read config files or directories (recursively ``*.yaml``/``*.yml``), merged."""
    diags: list[Diagnostic] = []
    sources: list[tuple[str, bytes]] = []
    if isinstance(paths, str | Path):
        paths = [paths]
    if not paths:
        paths = ["."]
    seen: set[str] = set()
    for given in paths:
        for name, path in _expand(str(given), diags):
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
    return _Loader(now).run(sources, diags)


def load_config_sources(
    sources: Sequence[tuple[str, bytes]], *, now: datetime | None = None
) -> LoadResult:
    """The same as :func:`load_config` from in-memory files ``(display name, content)``."""
    return _Loader(now).run(list(sources), [])


def _expand(given: str, diags: list[Diagnostic]) -> list[tuple[str, str]]:
    """(display name, path) of the YAML files under ``given``, sorted."""
    if not os.path.exists(given):
        diags.append(Diagnostic(f"{given}: no such file or directory"))
        return []
    if os.path.isfile(given):
        return [(given, given)]
    found: list[tuple[str, str]] = []
    for root, dirs, files in os.walk(given):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for fname in sorted(files):
            if fname.startswith(".") or not fname.lower().endswith(YAML_SUFFIXES):
                continue
            path = os.path.join(root, fname)
            found.append((os.path.normpath(path), path))
    if not found:
        diags.append(
            Diagnostic(f"{given}: no config found (no *.yaml or *.yml files in this directory)")
        )
    return found


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _suggest_email(email: str, choices: Iterable[str]) -> str:
    """A declared address close to ``email``: the same domain and a close local part (a typo
    in the name), or nearly the same address (a typo in the domain). Whole addresses are not
    compared loosely: a shared ``@example.com`` makes unrelated people look alike."""
    local, _, domain = email.rpartition("@")
    same_domain: dict[str, str] = {}
    others: list[str] = []
    for choice in choices:
        c_local, _, c_domain = choice.rpartition("@")
        if c_domain == domain:
            same_domain.setdefault(c_local, choice)
        else:
            others.append(choice)
    close = difflib.get_close_matches(local, list(same_domain), n=1, cutoff=0.75)
    if close:
        return f" (did you mean '{same_domain[close[0]]}'?)"
    near = difflib.get_close_matches(email, others, n=1, cutoff=0.9)
    return f" (did you mean '{near[0]}'?)" if near else ""


def _field_path(path: Sequence[str | int]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def parse_datetime(text: str) -> datetime:
    """The API's format ("2022-10-29 00:00:00 UTC") or ISO 8601; naive means UTC."""
    s = text.strip()
    for suffix in (" UTC", " utc", "UTC", " Z", " +0000", " +00:00"):
        if s.endswith(suffix):
            s = s[: -len(suffix)].strip() + "+00:00"
            break
    try:
        value = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(
            f"'{text}' is not a date and time; write '2027-01-31 00:00:00 UTC' or ISO 8601 "
            "('2027-01-31T00:00:00Z')"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-05:00 is in the year 10000 in UTC
        late = value.year == datetime.max.year
        raise ValueError(
            f"'{text}' is {'after' if late else 'before'} "
            f"{'9999-12-31 23:59:59' if late else '0001-01-01 00:00:00'} UTC, the "
            f"{'last' if late else 'first'} date and time supported; "
            + (
                "write an earlier one, or leave expires_at out for an entry that never expires"
                if late
                else "write a later one"
            )
        ) from None


@dataclass(slots=True)
class _Item:
    """One section value found in one file."""

    file: str
    key: Node
    value: Node
    data: Any


@dataclass(slots=True)
class _Defaults:
    values: dict[str, Any] = field(default_factory=dict)
    locs: dict[str, Location] = field(default_factory=dict)  # the key of each field
    item_locs: dict[str, list[Location]] = field(default_factory=dict)  # roles/teams items


@dataclass(slots=True)
class _Group:
    """A role or team declared in a roles:/teams: section, members already validated."""

    kind: str  # "role" | "team"
    name: str
    loc: Location
    members: list[tuple[str, Location]]


@dataclass(slots=True)
class _DncEntry:
    """A DNC entry read from YAML, waiting for the policy's default region."""

    raw: str
    loc: Location
    expires_at: datetime | None
    comment: str | None
    state: Literal["present", "absent"]


class _Loader:
    def __init__(self, now: datetime | None) -> None:
        self.now = now or datetime.now(UTC)
        if self.now.tzinfo is None:
            self.now = self.now.replace(tzinfo=UTC)
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.sections: dict[str, list[_Item]] = {name: [] for name in m.SECTIONS}
        self.state = DesiredState()
        self._suggestions = 0
        self._domains: set[str] = set()  # domains email-validator accepted in this load
        self._file_order: dict[str, int] = {}
        # Node trees are dropped file by file: users, memberships and DNC entries are read into
        # these (with their locations) and completed once every file is read.
        self.declared: set[str] = set()  # every user email written, valid or not
        self.own_lists: set[tuple[str, str]] = set()  # (email, "role"|"team"): own list given
        self.renames: dict[str, tuple[str, Location]] = {}  # old email -> (new email, where)
        self.groups: list[_Group] = []
        self.dnc_entries: list[_DncEntry] = []

    # -- diagnostics -------------------------------------------------------------------------

    def err(self, message: str, loc: Location | None) -> None:
        self.errors.append(Diagnostic(message, loc))

    def ref(self, kind: str, name: str, loc: Location) -> None:
        """Remember where a role/team name is first mentioned (in load order)."""
        refs = self.state.role_refs if kind == "role" else self.state.team_refs
        old = refs.get(name)
        if old is None or self._order(loc) < self._order(old):
            refs[name] = loc

    def _order(self, loc: Location | None) -> tuple[int, int, int]:
        if loc is None:
            return (-1, 0, 0)
        return (self._file_order.get(loc.file, len(self._file_order)), loc.line, loc.col)

    def suggest(
        self,
        word: str,
        choices: Iterable[str],
        how: Callable[[str, Iterable[str]], str] | None = None,
    ) -> str:
        if self._suggestions >= MAX_SUGGESTIONS:
            return ""
        self._suggestions += 1
        return (how or _suggest)(word, choices)

    def validate(
        self,
        model: type[BaseModel],
        data: Any,
        file: str,
        node: Node,
        context: str,
        *,
        allowed_hint: str = "",
    ) -> BaseModel | None:
        """``model`` validated from ``data``; errors reported against the YAML nodes."""
        if not isinstance(data, dict):
            what = "a list" if isinstance(data, list) else f"{_kind(data)}"
            self.err(
                f"{context} must be a mapping of fields, not {what}", yamlio.loc_of(file, node)
            )
            return None
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            problems = exc.errors(include_url=False)
        for e in problems:
            self._report(e, model, file, node, context, allowed_hint)
        # The same item without the fields in error: the checks made on a valid model (emails,
        # regions, thresholds, ...) still report their problems in this run. Nothing is built
        # from it, as the load fails anyway.
        bad = {e["loc"][0] for e in problems if e["loc"]}
        rest = {key: value for key, value in data.items() if key not in bad}
        if len(rest) == len(data):
            return None
        try:
            return model.model_validate(rest)
        except ValidationError:
            return None

    def _report(
        self,
        e: Any,
        model: type[BaseModel],
        file: str,
        node: Node,
        context: str,
        allowed_hint: str,
    ) -> None:
        path = tuple(e["loc"])
        target, key_node = yamlio.walk(node, path)
        name = _field_path(path)
        kind = e["type"]
        if kind == "extra_forbidden":
            allowed = list(model.model_fields)
            key = str(path[-1])
            hint = self.suggest(key, allowed) or allowed_hint
            loc = yamlio.loc_of(file, key_node if key_node is not None else target)
            self.err(f"{context}: unknown field '{key}'{hint}", loc)
            return
        if kind == "string_pattern_mismatch" and name in _PATTERN_HELP:
            self.err(
                f"{context}: {name} should be {_PATTERN_HELP[name]} (got {_show(e.get('input'))})",
                yamlio.loc_of(file, target),
            )
            return
        if kind == "missing":
            self.err(f"{context}: missing required field '{name}'", yamlio.loc_of(file, target))
            return
        msg = str(e["msg"])
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        elif msg.startswith("Input should be "):
            msg = "should be " + msg[len("Input should be ") :]
        got = e.get("input")
        if kind != "value_error" and not isinstance(got, dict | list):
            msg += f" (got {_show(got)})"
        self.err(f"{context}: {name} {msg}", yamlio.loc_of(file, target))

    # -- reading -----------------------------------------------------------------------------

    def run(self, sources: list[tuple[str, bytes]], diags: list[Diagnostic]) -> LoadResult:
        # Millions of small objects and no cycles: the cyclic GC would only slow this down.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run(sources, diags)
        finally:
            if enabled:
                gc.enable()

    def _run(self, sources: list[tuple[str, bytes]], diags: list[Diagnostic]) -> LoadResult:
        self.errors.extend(diags)
        if not sources and not diags:
            self.err("no config files given", None)
        for name, data in sources:
            self.state.files.append(name)
            self._file_order.setdefault(name, len(self._file_order))
            self._read(name, data)
        self._build()
        # report in file order, then line and column (stable: same place keeps its order)
        self.errors.sort(key=lambda d: self._order(d.loc))
        self.warnings.sort(key=lambda d: self._order(d.loc))
        if self.errors:
            raise ConfigError(self.errors + self.warnings)
        return LoadResult(self.state, self.warnings)

    def _read(self, file: str, data: bytes) -> None:
        text, problem = yamlio.decode(file, data)
        if problem is not None or text is None:
            self.errors.append(cast(Diagnostic, problem))
            return
        root, problem = yamlio.compose(file, text)
        if problem is not None:
            self.errors.append(problem)
            return
        if root is None:
            return  # an empty file (or only comments) declares nothing
        conv = yamlio.Converter(file, self.errors)
        if not isinstance(root, MappingNode):
            self.err(
                "a config file must be a mapping of sections "
                f"({', '.join(m.SECTIONS)}), not {_node_kind(root)}",
                yamlio.loc_of(file, root),
            )
            return
        data_map = conv.convert(root)
        if not isinstance(data_map, dict):
            return
        index = yamlio.mapping_index(root)
        for key, value in data_map.items():
            knode, vnode = index[key]
            if key not in self.sections:
                hint = self.suggest(key, m.SECTIONS) or f" (sections are: {', '.join(m.SECTIONS)})"
                self.err(f"unknown section '{key}'{hint}", yamlio.loc_of(file, knode))
                continue
            item = _Item(file, knode, vnode, value)
            if key == "users":
                self._read_users(item)
            elif key in ("roles", "teams"):
                self._read_groups(item, key, key[:-1])
            elif key == "dnc":
                self._read_dnc(item)
            else:  # small sections, completed in _build
                self.sections[key].append(item)

    # -- building ----------------------------------------------------------------------------

    def _single(self, name: str) -> _Item | None:
        items = self.sections[name]
        for extra in items[1:]:
            first = items[0]
            self.err(
                f"section '{name}' is declared twice (first at "
                f"{yamlio.loc_of(first.file, first.key)})",
                yamlio.loc_of(extra.file, extra.key),
            )
        return items[0] if items else None

    def _build(self) -> None:
        for item in self.sections["version"]:
            if item.data != 1 or isinstance(item.data, bool):
                self.err(
                    f"version must be 1 (got {_show(item.data)})",
                    yamlio.loc_of(item.file, item.value),
                )
        self._tenant()
        self._policy()
        self._finish_users(self._defaults())
        self._finish_groups()
        self._finish_dnc()

    def _tenant(self) -> None:
        item = self._single("tenant")
        if item is None or item.data is None:
            return
        model = self.validate(m.TenantModel, item.data, item.file, item.value, "tenant")
        if isinstance(model, m.TenantModel):
            self.state.tenant = Tenant(
                subdomain=model.subdomain,
                domain=model.domain.lower() if model.domain else None,
                loc=yamlio.loc_of(item.file, item.key),
            )

    def _policy(self) -> None:
        item = self._single("policy")
        if item is None or item.data is None:
            return
        model = self.validate(m.PolicyModel, item.data, item.file, item.value, "policy")
        if not isinstance(model, m.PolicyModel):
            return
        file, node = item.file, item.value

        def at(key: str) -> Location:
            _, vnode = yamlio.child(node, key)
            return yamlio.loc_of(file, vnode if vnode is not None else node)

        def threshold(key: str, default: Threshold) -> Threshold:
            value = getattr(model, key)
            if value is None:
                return default
            try:
                return Threshold.parse(value, floor=default.floor)
            except ValueError as err:
                self.err(f"policy: {key} {err}", at(key))
                return default

        def managed(key: str, kind: str) -> Any:
            value = getattr(model, key)
            if value in ("declared", "all"):
                return value
            if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
                _, lnode = yamlio.child(node, key)
                for i, name in enumerate(value):
                    _, vnode = yamlio.child(lnode, i) if lnode is not None else (None, None)
                    self.ref(kind, name, yamlio.loc_of(file, vnode or node))
                return frozenset(value)
            self.err(
                f"policy: {key} must be 'declared', 'all' or a list of {kind} names "
                f"(got {_show(value)})",
                at(key),
            )
            return "declared"

        region = model.default_region.strip().upper()
        if not is_supported_region(region):
            self.err(
                f"policy: default_region '{model.default_region}' is not a region code "
                "such as 'US' or 'GB'",
                at("default_region"),
            )
            region = "US"
        protected: set[str] = set()
        _, pnode = yamlio.child(node, "protected_users")
        for i, raw in enumerate(model.protected_users):
            _, vnode = yamlio.child(pnode, i) if pnode is not None else (None, None)
            email = self.email(raw, item.file, vnode or node, "policy: protected_users")
            if email:
                protected.add(email)
        policy = Policy(
            unmanaged_users=model.unmanaged_users,
            manage_roles=managed("manage_roles", "role"),
            manage_teams=managed("manage_teams", "team"),
            default_region=region,
            max_deactivations=threshold("max_deactivations", DEFAULT_MAX_DEACTIVATIONS),
            max_dnc_removals=threshold("max_dnc_removals", DEFAULT_MAX_DNC_REMOVALS),
            max_role_removals=threshold("max_role_removals", DEFAULT_MAX_ROLE_REMOVALS),
            max_team_removals=threshold("max_team_removals", DEFAULT_MAX_TEAM_REMOVALS),
            max_field_clears=threshold("max_field_clears", DEFAULT_MAX_FIELD_CLEARS),
            protected_users=frozenset(protected),
        )
        self.state.policy = policy

    def email(self, raw: str, file: str, node: Node, context: str) -> str | None:
        """``raw`` lower-cased if it is a valid address, else ``None`` (error reported)."""
        text = raw.strip()
        local, _, domain = text.rpartition("@")
        domain = domain.lower()
        if (
            domain in self._domains
            and len(text) <= 254
            and len(local) <= 64
            and _DOT_ATOM.fullmatch(local)
        ):
            return text.lower()  # the plain case email-validator always accepts (RFC 5322)
        try:
            validate_email(text, check_deliverability=False)
            self._domains.add(domain)
        except EmailNotValidError as err:
            self.err(
                f"{context}: '{text}' is not a valid email address: {err}",
                yamlio.loc_of(file, node),
            )
            return None
        return text.lower()

    def _defaults(self) -> _Defaults:
        """The defaults section: values, where each is set, where each list item is."""
        item = self._single("defaults")
        if item is None or item.data is None:
            return _Defaults()
        hint = f" (defaults may set: {', '.join(m.DEFAULT_FIELDS)})"
        model = self.validate(
            m.DefaultsModel, item.data, item.file, item.value, "defaults", allowed_hint=hint
        )
        if not isinstance(model, m.DefaultsModel):
            return _Defaults()
        found = _Defaults()
        index = yamlio.mapping_index(item.value)
        for key in model.model_fields_set:
            found.values[key] = getattr(model, key)
            found.locs[key] = yamlio.loc_of(item.file, index[key][0])
        for kind in ("role", "team"):
            names = found.values.get(kind + "s")
            if names is not None:
                locs = [yamlio.loc_of(item.file, n) for n in index[kind + "s"][1].value]
                found.item_locs[kind + "s"] = locs
                for name, loc in zip(names, locs, strict=True):
                    self.ref(kind, name, loc)
        return found

    def _read_users(self, item: _Item) -> None:
        """Validate the users of one file; defaults are applied once all files are read."""
        if item.data is None:
            return
        if not isinstance(item.data, list) or not isinstance(item.value, SequenceNode):
            self.err(
                f"users must be a list of users (- email: ...), not {_kind(item.data)}",
                yamlio.loc_of(item.file, item.value),
            )
            return
        file = item.file
        users = self.state.users
        for i, (data, node) in enumerate(zip(item.data, item.value.value, strict=True)):
            if data is yamlio.BAD:
                continue
            raw_email = data.get("email") if isinstance(data, dict) else None
            context = (
                f"user '{raw_email.strip()}'"
                if isinstance(raw_email, str) and raw_email.strip()
                else f"users[{i}]"
            )
            if isinstance(raw_email, str):
                self.declared.add(raw_email.strip().lower())
            model = self.validate(m.UserModel, data, file, node, context)
            if not isinstance(model, m.UserModel):
                # Report a bad email too, so one run shows every problem of this user.
                if isinstance(raw_email, str) and isinstance(node, MappingNode):
                    self.email(raw_email, file, yamlio.mapping_index(node)["email"][1], context)
                continue
            index = yamlio.mapping_index(node)
            email_key, email_node = index["email"]
            email = self.email(model.email, file, email_node, context)
            if email is None:
                continue
            loc = yamlio.loc_of(file, email_key)
            if email in users:
                self.err(f"user '{email}' is declared twice (first at {users[email].loc})", loc)
                continue
            fields: dict[str, Any] = {}
            field_locs: dict[str, Location] = {}
            fields_set = model.model_fields_set
            for name in USER_FIELDS:
                if name in fields_set:
                    fields[name] = getattr(model, name)
                    field_locs[name] = yamlio.loc_of(file, index[name][0])
            anode = index["agent_number"][1] if "agent_number" in fields_set else None
            if isinstance(anode, ScalarNode) and isinstance(data.get("agent_number"), int | float):
                # A string for the platform: keep an unquoted number as written (0101, 1e3).
                fields["agent_number"] = anode.value
            user = DesiredUser(
                email=email,
                fields=fields,
                loc=loc,
                field_locs=field_locs,
                email_as_written=model.email.strip(),
            )
            for kind in ("role", "team"):
                key = kind + "s"
                names: list[str] | None = getattr(model, key)
                if key not in fields_set or names is None:
                    continue
                _, lnode = index[key]
                for name, nnode in zip(names, lnode.value, strict=True):
                    nloc = yamlio.loc_of(file, nnode)
                    user.membership_locs.setdefault((kind, name), nloc)
                    self.ref(kind, name, nloc)
                setattr(user, key, frozenset(names))
                setattr(user, key + "_managed", True)
                self.own_lists.add((email, kind))
            if model.renamed_from is not None:
                rkey, rnode = index["renamed_from"]
                old = self.email(model.renamed_from, file, rnode, context + ": renamed_from")
                if old is not None:
                    rloc = yamlio.loc_of(file, rkey)
                    if old == email:
                        self.err(f"{context}: renamed_from is the user's own email", rloc)
                    elif old in self.renames:
                        other, oloc = self.renames[old]
                        self.err(f"{context}: '{old}' is also renamed to '{other}' at {oloc}", rloc)
                    else:
                        self.renames[old] = (email, rloc)
                        user.renamed_from = old
                        user.field_locs["renamed_from"] = rloc
            users[email] = user

    def _finish_users(self, defaults: _Defaults) -> None:
        """Fill in defaults; check renames against the complete set of users."""
        dvalues, dlocs = defaults.values, defaults.locs
        users = self.state.users
        default_fields = [name for name in USER_FIELDS if name in dvalues]
        default_lists = [
            (kind, dvalues[kind + "s"], defaults.item_locs[kind + "s"])
            for kind in ("role", "team")
            if kind + "s" in defaults.item_locs
        ]
        for email, user in users.items():
            for name in default_fields:
                if name not in user.fields:
                    user.fields[name] = dvalues[name]
                    user.field_locs[name] = dlocs[name]
            for kind, names, locs in default_lists:
                if (email, kind) in self.own_lists:
                    continue
                for name, nloc in zip(names, locs, strict=True):
                    user.membership_locs.setdefault((kind, name), nloc)
                setattr(user, kind + "s", frozenset(names))
                setattr(user, kind + "s_managed", True)
            if "status" in user.fields:
                user.fields["status"] = UserStatus(user.fields["status"])
        for old, (new, rloc) in self.renames.items():
            if old in users:
                self.err(
                    f"user '{new}': renamed_from '{old}', but '{old}' is also declared as a "
                    f"user at {users[old].loc}",
                    rloc,
                )

    def _read_groups(self, item: _Item, section: str, kind: str) -> None:
        """One file's ``roles:`` / ``teams:``: NAME: {members: [...]} or NAME: [...]."""
        if item.data is None:
            return
        if not isinstance(item.data, dict) or not isinstance(item.value, MappingNode):
            self.err(
                f"{section} must be a mapping of {kind} names to members "
                f"(NAME: {{members: [emails]}}), not {_kind(item.data)}",
                yamlio.loc_of(item.file, item.value),
            )
            return
        file = item.file
        index = yamlio.mapping_index(item.value)
        for name, data in item.data.items():
            knode, vnode = index[name]
            loc = yamlio.loc_of(file, knode)
            if not name.strip():
                self.err(f"{section}: a {kind} name must not be empty", loc)
                continue
            context = f"{kind} '{name}'"
            raw_members, member_nodes = self._members(data, file, vnode, context, loc)
            members: list[tuple[str, Location]] = []
            seen: dict[str, Location] = {}
            for raw, mnode in zip(raw_members, member_nodes, strict=True):
                mloc = yamlio.loc_of(file, mnode)
                if raw is yamlio.BAD:
                    continue
                if not isinstance(raw, str) or not raw.strip():
                    self.err(
                        f"{context}: a member must be an email address (got {_show(raw)})", mloc
                    )
                    continue
                email = self.email(raw, file, mnode, f"{context}: member")
                if email is None:
                    continue
                if email in seen:
                    self.err(
                        f"{context}: member '{email}' is listed twice (first at {seen[email]})",
                        mloc,
                    )
                    continue
                seen[email] = mloc
                members.append((email, mloc))
            self.groups.append(_Group(kind, name, loc, members))

    def _finish_groups(self) -> None:
        """Add the group-centric memberships to the users (all users are known now)."""
        first_seen: dict[tuple[str, str], Location] = {}
        users = self.state.users
        for group in self.groups:
            kind, name = group.kind, group.name
            if (kind, name) in first_seen:
                self.err(
                    f"{kind} '{name}' is declared twice (first at {first_seen[kind, name]})",
                    group.loc,
                )
                continue
            first_seen[kind, name] = group.loc
            self.ref(kind, name, group.loc)
            sections = self.state.role_sections if kind == "role" else self.state.team_sections
            sections[name] = group.loc
            attr = kind + "s"
            for email, mloc in group.members:
                user = users.get(email)
                if user is None:
                    if email in self.renames:
                        new, rloc = self.renames[email]
                        self.err(
                            f"{kind} '{name}': member '{email}' was renamed to '{new}' (at "
                            f"{rloc}); list the new email",
                            mloc,
                        )
                    elif email not in self.declared:
                        hint = self.suggest(email, self.declared, _suggest_email)
                        self.err(
                            f"{kind} '{name}': member '{email}' is not a user declared in the "
                            f"config{hint}",
                            mloc,
                        )
                    continue
                setattr(user, attr, getattr(user, attr) | {name})
                user.membership_locs.setdefault((kind, name), mloc)

    def _members(
        self, data: Any, file: str, vnode: Node, context: str, key_loc: Location
    ) -> tuple[list[Any], list[Node]]:
        """The member values and their nodes of a role/team declaration (both forms)."""
        if data is None:
            # A section says who is in the group and removes everyone else: a key left empty
            # (list items deleted, a value forgotten) must not silently mean "nobody".
            self.err(
                f"{context} has no members list: write [] for a {context.split()[0]} with no "
                "members (every declared user in it is removed), or delete the entry to leave "
                "its memberships unmanaged",
                key_loc,
            )
            return [], []
        if isinstance(data, list) and isinstance(vnode, SequenceNode):
            return data, list(vnode.value)
        if not isinstance(data, dict):
            self.err(
                f"{context} must be a list of member emails or {{members: [emails]}} "
                f"(got {_kind(data)})",
                yamlio.loc_of(file, vnode),
            )
            return [], []
        index = yamlio.mapping_index(vnode)
        unknown = [key for key in data if key != "members"]
        for key in unknown:
            self.err(
                f"{context}: unknown field '{key}' (a {context.split()[0]} has only 'members')",
                yamlio.loc_of(file, index[key][0]),
            )
        if unknown and "members" not in data:
            return [], []
        if "members" not in data:
            self.err(f"{context}: missing required field 'members'", yamlio.loc_of(file, vnode))
            return [], []
        members = data["members"]
        mnode = index["members"][1]
        if members is None:
            self.err(
                f"{context}: members is empty: write members: [] for a {context.split()[0]} "
                "with no members (every declared user in it is removed), or delete the entry "
                "to leave its memberships unmanaged",
                yamlio.loc_of(file, index["members"][0]),
            )
            return [], []
        if not isinstance(members, list) or not isinstance(mnode, SequenceNode):
            self.err(
                f"{context}: members must be a list of emails (got {_kind(members)})",
                yamlio.loc_of(file, mnode),
            )
            return [], []
        return members, list(mnode.value)

    def _read_dnc(self, item: _Item) -> None:
        """One file's DNC entries; numbers are normalised once the policy's region is known."""
        if item.data is None:
            return
        if not isinstance(item.data, list) or not isinstance(item.value, SequenceNode):
            self.err(
                "dnc must be a list of phone numbers or {phone_number, expires_at, "
                f"comment, state}} entries, not {_kind(item.data)}",
                yamlio.loc_of(item.file, item.value),
            )
            return
        file = item.file
        for i, (data, node) in enumerate(zip(item.data, item.value.value, strict=True)):
            if data is yamlio.BAD:
                continue
            context = f"dnc[{i}]"
            if isinstance(data, dict):
                if isinstance(data.get("phone_number"), str):
                    context = f"dnc entry '{data['phone_number'].strip()}'"
                pnode = yamlio.mapping_index(node).get("phone_number", (None, None))[1]
                if isinstance(pnode, ScalarNode) and isinstance(data.get("phone_number"), int):
                    data = {**data, "phone_number": pnode.value}  # keep '+' and zeros
                model = self.validate(m.DncModel, data, file, node, context)
                if not isinstance(model, m.DncModel):
                    continue
                entry = model
                num_node = pnode or node
            elif isinstance(data, str) or (
                isinstance(data, int | float)
                and not isinstance(data, bool)
                and isinstance(node, ScalarNode)
            ):
                raw_text = str(node.value if isinstance(node, ScalarNode) else data)
                entry = m.DncModel(phone_number=raw_text)
                num_node = node
            else:
                self.err(
                    f"{context}: a DNC entry is a phone number or a mapping with "
                    f"phone_number (got {_kind(data)})",
                    yamlio.loc_of(file, node),
                )
                continue
            raw = entry.phone_number.strip()
            expires: datetime | None = None
            if entry.expires_at is not None:
                _, enode = yamlio.mapping_index(node)["expires_at"]
                try:
                    expires = parse_datetime(entry.expires_at)
                except ValueError as err:
                    self.err(f"dnc entry '{raw}': expires_at {err}", yamlio.loc_of(file, enode))
                    continue
            self.dnc_entries.append(
                _DncEntry(raw, yamlio.loc_of(file, num_node), expires, entry.comment, entry.state)
            )

    def _finish_dnc(self) -> None:
        region = self.state.policy.default_region
        dnc = self.state.dnc
        for entry in self.dnc_entries:
            raw, loc, expires = entry.raw, entry.loc, entry.expires_at
            try:
                number = normalize_phone(raw, region)
            except ValueError as err:
                self.err(f"dnc entry '{raw}': {err}", loc)
                continue
            if number in dnc:
                self.err(
                    f"dnc entry '{raw}': {number} is listed twice (first at {dnc[number].loc})",
                    loc,
                )
                continue
            if expires is not None and expires <= self.now and entry.state == "present":
                self.warnings.append(
                    Diagnostic(
                        f"DNC entry {number} expired on "
                        f"{expires.strftime('%Y-%m-%d %H:%M:%S UTC')}; remove it",
                        loc,
                        "warning",
                    )
                )
            dnc[number] = DesiredDnc(
                number=number,
                raw=raw,
                state=entry.state,
                expires_at=expires,
                comment=entry.comment,
                loc=loc,
            )


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _node_kind(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, ScalarNode):
        return "a single value"
    return "a mapping"


def _show(value: Any) -> str:
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return repr(text)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict | list):
        return _kind(value)
    return repr(value)
