"""The Plan: what ``apply`` would change, as a plain, serialisable, versioned value.

A Plan is computed by :func:`reconciler.diff.diff` and only read afterwards: renderers print it,
``--out`` saves it, ``apply PLAN.json`` loads it and turns it into one bulk-user job plus DNC
batches without re-deriving anything.

Stability rules (``format_version`` 1):

- fields are only ever added, never renamed or retyped, within one ``format_version``;
- every list is in a deterministic order (users by action then e-mail, DNC by action then
  number), so re-planning the same situation yields the same JSON apart from ``created_at``;
- :attr:`Plan.hash` covers the live fingerprint, the changes and the safety violations
  (without YAML locations, reasons and messages), never timestamps: the same situation gives
  the same hash.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

import msgspec
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconciler.errors import PlanError, read_text_file
from reconciler.state import DesiredDnc, Location, resolve_locations

FORMAT_VERSION: Literal[1] = 1

UserAction = Literal["create", "update", "rename", "deactivate"]
DncAction = Literal["add", "upsert", "update", "remove"]
FieldValue = bool | int | str | None

# Order of actions in lists and in output.
USER_ACTION_ORDER: dict[str, int] = {"create": 0, "rename": 1, "update": 2, "deactivate": 3}
DNC_ACTION_ORDER: dict[str, int] = {"add": 0, "upsert": 1, "update": 2, "remove": 3}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldChange(_Model):
    """One scalar field of a user row, in bulk-template terms.

    ``field`` is one of ``first_name, last_name, agent_number, status, location,
    max_chat_limit, max_chat_limit_enabled``. ``before`` is ``None`` for a create;
    for ``location`` an ``after`` of ``None`` means *clear the location*.
    """

    field: str
    before: FieldValue = None
    after: FieldValue = None
    loc: Location | None = None


class MembershipChange(_Model):
    """Assign (``assign: true``) or unassign one role or team."""

    name: str
    assign: bool
    loc: Location | None = None
    ownership: bool = False  # the policy.ownership_role, assigned to every declared user


class UserChange(_Model):
    """One row of the bulk-user job.

    ``email`` is the row's key as the tenant knows it (for a rename: the old e-mail; for a
    create: the new user's e-mail). ``first_name``/``last_name`` are always filled (the bulk
    row's required columns): the desired value when managed, else the live one.
    """

    action: UserAction
    email: str
    new_email: str | None = None
    first_name: str
    last_name: str
    fields: list[FieldChange] = Field(default_factory=list)
    roles: list[MembershipChange] = Field(default_factory=list)
    teams: list[MembershipChange] = Field(default_factory=list)
    loc: Location | None = None
    reason: str | None = None

    @property
    def key(self) -> str:
        """The e-mail the user has after the change (lower-cased)."""
        return (self.new_email or self.email).lower()

    def field(self, name: str) -> FieldChange | None:
        for f in self.fields:
            if f.field == name:
                return f
        return None


class DncChange(_Model):
    """One DNC number to add (checked: not listed), update (checked: expiry differs), upsert
    (not checked: its declaration changed in git since the base ref, so it is sent as an upsert
    whose answer says ``created`` or ``updated``) or remove (checked: listed; or, with
    ``checked`` false, not checked: removing an unlisted number is harmless)."""

    action: DncAction
    number: str  # E.164
    raw: str  # as written in YAML (or the number itself when not from YAML)
    expires_before: datetime | None = None
    expires_after: datetime | None = None
    comment: str | None = None
    loc: Location | None = None
    reason: str | None = None
    checked: bool = True  # False: planned from the git change alone (refresh mode "git")


class PlanWarning(_Model):
    message: str
    loc: Location | None = None

    def __str__(self) -> str:
        return f"{self.loc}: warning: {self.message}" if self.loc else f"warning: {self.message}"


SafetyKind = Literal[
    "deactivations", "role_removals", "team_removals", "field_clears", "dnc_removals", "admin"
]


class SafetyViolation(_Model):
    """A change apply refuses without an explicit override (computed by
    :mod:`reconciler.safety`).

    ``kind``: a destructive kind of change over its policy threshold (``deactivations``,
    ``role_removals``, ``team_removals``, ``field_clears``, ``dnc_removals``: ``count`` of
    ``total`` existing items, ``limit`` allowed; overridden by ``--allow-mass-changes``), or
    ``admin`` (the plan would leave no active user holding the Admin role; overridden by
    ``--allow-no-admin``). ``field``: for ``field_clears``, the field cleared.
    """

    kind: SafetyKind
    message: str
    count: int = 0
    total: int = 0
    limit: int = 0
    field: str | None = None


class MembershipScope(_Model):
    """Which memberships of one kind (roles or teams) the plan manages (docs/config.md).

    ``policy``: ``declared``, ``all`` or ``list`` (``policy.manage_roles``/``manage_teams``);
    ``names``: the names in scope that the tenant has, sorted; ``users``: how many declared users
    have their whole set managed (their own ``roles:``/``teams:`` key, or ``defaults``);
    ``sections``: the groups with a ``roles:``/``teams:`` section, whose members are exact over
    every declared user.
    """

    policy: Literal["declared", "all", "list"]
    names: list[str] = Field(default_factory=list)
    users: int = 0
    sections: list[str] = Field(default_factory=list)


class PlanScope(_Model):
    roles: MembershipScope
    teams: MembershipScope


class PlanDesired(_Model):
    """The part of the desired state ``apply PLAN.json`` needs (kept small on purpose).

    ``config_paths``: the ``-c`` paths as given; ``files``: the YAML files read; ``dnc``: every
    DNC declaration (so apply can re-assert declared numbers without re-reading YAML). Users are
    not repeated here: each user change already carries everything its bulk row needs.
    """

    config_paths: list[str] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list)
    dnc: list[DesiredDnc] = Field(default_factory=list)


class DncRotation(_Model):
    """The budgeted DNC check of one run (``--refresh-budget``): window ``window`` of
    ``windows`` (1-based) of the declared numbers in rotation order, ``checked`` of
    ``declared`` numbers; every number has been checked once when ``runs_to_cycle_end`` more
    runs have moved on by one slot each (on ``cycle_ends_on`` for the default daily slot)."""

    budget: int
    slot: int
    window: int
    windows: int
    checked: int
    declared: int
    runs_to_cycle_end: int
    cycle_ends_on: date | None = None


@dataclass(frozen=True, slots=True)
class PlanOrigin:
    """Where a plan comes from, beyond the two states it compares: made by the pipeline
    (reconciler.pipeline) and handed to the diff, so the plan is complete when it is made."""

    created_at: datetime | None = None
    config_commit: str | None = None  # git HEAD of the config (``-dirty`` when edited)
    tenant: str | None = None  # the client's subdomain; None: the config's
    config_paths: tuple[str, ...] = ()
    dnc_rotation: DncRotation | None = None


class PlanStats(_Model):
    """Counts for people (not part of the hash)."""

    live_users: int = 0
    live_active_users: int = 0
    desired_users: int = 0
    dnc_declared: int = 0
    dnc_checked: int = 0
    dnc_in_sync: int = 0  # checked numbers already in the desired state
    dnc_from_git: int = 0  # numbers planned from their change in git, without a check
    dnc_rotation: DncRotation | None = None  # the budgeted check (--refresh-budget), if any


class Plan(_Model):
    format_version: Literal[1] = FORMAT_VERSION
    tenant: str | None = None
    created_at: datetime | None = None
    base_ref: str | None = None
    config_commit: str | None = None
    fingerprint: str = ""
    user_changes: list[UserChange] = Field(default_factory=list)
    dnc_changes: list[DncChange] = Field(default_factory=list)
    warnings: list[PlanWarning] = Field(default_factory=list)
    safety: list[SafetyViolation] = Field(default_factory=list)
    scope: PlanScope | None = None
    stats: PlanStats = Field(default_factory=PlanStats)
    desired: PlanDesired = Field(default_factory=PlanDesired)

    # ---- identity ---------------------------------------------------------------------------

    @property
    def hash(self) -> str:
        """sha256 (hex) over the fingerprint, the changes and the safety violations (what
        ``apply`` refuses), without locations, reasons, messages and timestamps: re-planning the
        same situation yields the same hash."""
        body = {
            "format_version": self.format_version,
            "fingerprint": self.fingerprint,
            "users": [
                _strip(u.model_dump(mode="json", exclude={"loc", "reason"}))
                for u in self.user_changes
            ],
            "dnc": [
                _strip(
                    d.model_dump(
                        mode="json", exclude={"loc", "reason", "raw", "comment", "checked"}
                    )
                )
                for d in self.dnc_changes
            ],
        }
        if self.safety:  # absent when empty: the hash of a plan with no refusal is unchanged
            body["safety"] = [v.model_dump(mode="json", exclude={"message"}) for v in self.safety]
        data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(data.encode()).hexdigest()

    # ---- queries ----------------------------------------------------------------------------

    @property
    def is_empty(self) -> bool:
        return not self.user_changes and not self.dnc_changes

    def counts(self) -> dict[str, int]:
        c: Counter[str] = Counter()
        for u in self.user_changes:
            c[f"user_{u.action}"] += 1
        for d in self.dnc_changes:
            c[f"dnc_{d.action}"] += 1
        keys: tuple[str, ...] = ("user_create", "user_update", "user_rename", "user_deactivate")
        keys += ("dnc_add", "dnc_upsert", "dnc_update", "dnc_remove")
        return {k: c[k] for k in keys}

    def summary(self) -> str:
        """One line: ``Plan: 3 users to create, 5 to update, 1 to deactivate; 4 DNC numbers to
        add, 1 to remove.`` or the no-changes sentence."""
        if self.is_empty:
            return "No changes. The tenant matches the configuration."
        c = self.counts()
        users = [f"{c['user_create']} user{'s' if c['user_create'] != 1 else ''} to create"]
        users.append(f"{c['user_update']} to update")
        if c["user_rename"]:
            users.append(f"{c['user_rename']} to rename")
        users.append(f"{c['user_deactivate']} to deactivate")
        dnc: list[tuple[int, str]] = []
        if c["dnc_add"] or not c["dnc_upsert"]:
            dnc.append((c["dnc_add"], "to add"))
        if c["dnc_upsert"]:
            dnc.append((c["dnc_upsert"], "to add or update (upsert)"))
        if c["dnc_update"]:
            dnc.append((c["dnc_update"], "to update"))
        dnc.append((c["dnc_remove"], "to remove"))
        first = f"{dnc[0][0]} DNC number{'s' if dnc[0][0] != 1 else ''} {dnc[0][1]}"
        dnc_text = ", ".join([first] + [f"{n} {what}" for n, what in dnc[1:]])
        return f"Plan: {', '.join(users)}; {dnc_text}."

    # ---- persistence ------------------------------------------------------------------------

    def resolve_locations(self, *, desired: bool = True) -> None:
        """Find the line and column of every location in the plan in batches, one parse per
        file, before its output reads them one by one (the config's fast path finds them
        lazily). ``desired``: also those of ``desired.dnc``, which only the plan file holds."""
        resolve_locations(_locations(self, desired))

    def to_json(self) -> str:
        """The plan file's text (:meth:`json_bytes` decoded, with its final newline)."""
        return self.json_bytes().decode() + "\n"

    def json_bytes(self) -> bytes:
        """The plan file's bytes without the final newline that :meth:`write` adds: indented
        JSON, UTF-8 text as is (msgspec's C encoder and formatter: ``json.dumps(indent=2)`` is
        pure Python, about 0.4 s for a 5 MB plan). One serialisation serves both the file and
        stdout; each copy of a 50,000-user plan is 6 MB."""
        self.resolve_locations()
        # pydantic's JSON in one pass (no dicts of the 20,000 DNC declarations in between),
        # then the hash as the last key.
        body = self.__pydantic_serializer__.to_json(self)
        whole = b"".join((memoryview(body)[:-1], b',"hash":', msgspec.json.encode(self.hash), b"}"))
        del body
        return msgspec.json.format(whole, indent=2)

    @staticmethod
    def write(data: bytes, stream: BinaryIO) -> None:
        """Write :meth:`json_bytes`' ``data`` as the plan file's bytes."""
        stream.write(data)
        stream.write(b"\n")

    def save(self, path: str | Path, data: bytes | None = None) -> None:
        """Write the plan file (``data``: its :meth:`json_bytes`, when already made)."""
        p = Path(path)
        tmp = p.with_name(p.name + ".tmp")
        try:
            with tmp.open("wb") as f:
                self.write(self.json_bytes() if data is None else data, f)
            tmp.replace(p)
        except OSError as err:
            raise PlanError(f"cannot write plan file {p}: {err.strerror or err}") from None

    @classmethod
    def from_json(cls, text: str, *, source: str = "plan") -> Plan:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise PlanError(
                f"{source}: not a plan file (invalid JSON at line {err.lineno}, "
                f"column {err.colno}: {err.msg})"
            ) from None
        if not isinstance(data, dict) or "format_version" not in data:
            raise PlanError(f"{source}: not a plan file (no format_version)")
        if data.get("format_version") != FORMAT_VERSION:
            raise PlanError(
                f"{source}: plan format_version {data.get('format_version')!r} is not supported "
                f"(this version reads {FORMAT_VERSION}); run plan again with this version"
            )
        stored_hash = data.pop("hash", None)
        try:
            plan = cls.model_validate(data)
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise PlanError(
                f"{source}: corrupt plan file: {where}: {first['msg']} "
                f"({err.error_count()} problem{'s' if err.error_count() != 1 else ''})"
            ) from None
        if stored_hash is None:
            raise PlanError(f"{source}: corrupt plan file: it has no hash (run plan again)")
        if stored_hash != plan.hash:
            raise PlanError(f"{source}: corrupt plan file: its hash does not match its content")
        return plan

    @classmethod
    def load(cls, path: str | Path) -> Plan:
        p = Path(path)
        text = read_text_file(p, lambda why: PlanError(f"cannot read plan file {p}: {why}"))
        return cls.from_json(text, source=str(p))


def _locations(plan: Plan, desired: bool) -> Iterator[Location | None]:
    """Every location the plan holds (``tests/plan`` checks this covers each ``loc`` field of
    the plan's models), those of ``desired.dnc`` only if ``desired``."""
    for u in plan.user_changes:
        yield u.loc
        for field in u.fields:
            yield field.loc
        for member in (*u.roles, *u.teams):
            yield member.loc
    for c in plan.dnc_changes:
        yield c.loc
    for w in plan.warnings:
        yield w.loc
    if desired:
        for d in plan.desired.dnc:
            yield d.loc


def _strip(value: Any) -> Any:
    """Drop nested ``loc`` keys (locations do not change what a plan does)."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "loc"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema of ``--format json`` / ``--out`` (checked in as
    ``schemas/plan.schema.json``)."""
    schema = Plan.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://ccai-reconciler.dev/schemas/plan.schema.json"
    schema.setdefault("properties", {})["hash"] = {
        "type": "string",
        "description": "sha256 over fingerprint and changes (see Plan.hash)",
        "pattern": "^[0-9a-f]{64}$",
    }
    schema.setdefault("required", [])
    if "hash" not in schema["required"]:
        schema["required"].append("hash")
    return schema


def schema_text() -> str:
    """``schemas/plan.schema.json`` as checked in (regenerate: ``python -m reconciler.plan``)."""
    return json.dumps(plan_json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.stdout.write(schema_text())
