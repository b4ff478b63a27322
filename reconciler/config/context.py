"""The state shared by the section readers of one load: diagnostics, names, references."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from ruamel.yaml.nodes import Node, SequenceNode

from reconciler.config import lazyloc, yamlio
from reconciler.config import models as m
from reconciler.config.emails import EmailCheck
from reconciler.config.messages import PATTERN_HELP, field_path, kind_of, show, suggest
from reconciler.errors import Diagnostic
from reconciler.state import DesiredState, DesiredUser, Location

#: Did-you-mean suggestions computed at most this many times per load (each is a scan).
MAX_SUGGESTIONS = 200


@dataclass(slots=True)
class Item:
    """One section value found in one file."""

    file: str
    key: Node
    value: Node
    data: Any


@dataclass(slots=True)
class Defaults:
    values: dict[str, Any] = field(default_factory=dict)
    locs: dict[str, Location] = field(default_factory=dict)  # the key of each field
    item_locs: dict[str, list[Location]] = field(default_factory=dict)  # roles/teams items


@dataclass(slots=True)
class Group:
    """A role or team declared in a roles:/teams: section, members already validated."""

    kind: str  # "role" | "team"
    name: str
    loc: Location
    members: list[tuple[str, Location]]


@dataclass(slots=True)
class DncEntry:
    """A DNC entry read from YAML, waiting for the policy's default region."""

    raw: str
    loc: Location
    expires_at: datetime | None
    comment: str | None
    state: Literal["present", "absent"]


class LoadContext:
    """One load in progress; the section readers (sections, users, groups, dnc) take it."""

    def __init__(self, now: datetime | None) -> None:
        self.now = now or datetime.now(UTC)
        if self.now.tzinfo is None:
            self.now = self.now.replace(tzinfo=UTC)
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.sections: dict[str, list[Item]] = {name: [] for name in m.SECTIONS}
        self.state = DesiredState()
        self._suggestions = 0
        self._emails = EmailCheck()
        self.file_order: dict[str, int] = {}
        # Node trees are dropped file by file: users, memberships and DNC entries are read into
        # these (with their locations) and completed once every file is read.
        self.declared: set[str] = set()  # every user email written, valid or not
        self.own_lists: set[tuple[str, str]] = set()  # (email, "role"|"team"): own list given
        # One frozenset per distinct set of names: 50,000 users share a few hundred.
        self._name_sets: dict[frozenset[str], frozenset[str]] = {}
        self._name_lists: dict[tuple[str, ...], tuple[str, ...]] = {}  # the same, as written
        self.renames: dict[str, tuple[str, Location]] = {}  # old email -> (new email, where)
        self.groups: list[Group] = []
        self.dnc_entries: list[DncEntry] = []

    def name_set(self, names: Iterable[str]) -> frozenset[str]:
        """``frozenset(names)``, the same object for the same names (each costs 200 bytes)."""
        found = frozenset(names)
        return self._name_sets.setdefault(found, found)

    def name_list(self, names: Iterable[str]) -> tuple[str, ...]:
        """``tuple(names)``, the same object for the same names in the same order."""
        found = tuple(names)
        return self._name_lists.setdefault(found, found)

    # -- diagnostics -------------------------------------------------------------------------

    def err(self, message: str, loc: Location | None) -> None:
        self.errors.append(Diagnostic(message, loc))

    def list_entries(self, item: Item, *, message: str) -> Iterator[tuple[int, Any, Node]]:
        """``(index, data, node)`` of each readable entry of a list section (``users:``,
        ``dnc:``); an entry that could not be converted is skipped (already reported). Not a
        list: the error ``f"{message}, not {kind}"`` at the section's value; null: nothing."""
        if item.data is None:
            return
        if not isinstance(item.data, list) or not isinstance(item.value, SequenceNode):
            self.err(f"{message}, not {kind_of(item.data)}", yamlio.loc_of(item.file, item.value))
            return
        for i, (data, node) in enumerate(zip(item.data, item.value.value, strict=True)):
            if data is not yamlio.BAD:
                yield i, data, node

    def ref(self, kind: str, name: str, loc: Location) -> None:
        """Remember where a role/team name is first mentioned (in load order)."""
        refs = self.state.role_refs if kind == "role" else self.state.team_refs
        old = refs.get(name)
        if old is None or self._before(loc, old):
            refs[name] = loc

    def _before(self, a: Location, b: Location) -> bool:
        """``self.order(a) < self.order(b)``, without resolving lazy locations if it can."""
        if a.file != b.file:
            last = len(self.file_order)
            fa, fb = self.file_order.get(a.file, last), self.file_order.get(b.file, last)
            if fa != fb:
                return fa < fb
        fast = lazyloc.precedes(a, b)
        return fast if fast is not None else self.order(a) < self.order(b)

    def order(self, loc: Location | None) -> tuple[int, int, int]:
        if loc is None:
            return (-1, 0, 0)
        return (self.file_order.get(loc.file, len(self.file_order)), loc.line, loc.col)

    def suggest(
        self,
        word: str,
        choices: Iterable[str],
        how: Callable[[str, Iterable[str]], str] | None = None,
    ) -> str:
        if self._suggestions >= MAX_SUGGESTIONS:
            return ""
        self._suggestions += 1
        return (how or suggest)(word, choices)

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
            what = "a list" if isinstance(data, list) else f"{kind_of(data)}"
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
        name = field_path(path)
        kind = e["type"]
        if kind == "extra_forbidden":
            allowed = list(model.model_fields)
            key = str(path[-1])
            hint = self.suggest(key, allowed) or allowed_hint
            loc = yamlio.loc_of(file, key_node if key_node is not None else target)
            self.err(f"{context}: unknown field '{key}'{hint}", loc)
            return
        if kind == "string_pattern_mismatch" and name in PATTERN_HELP:
            self.err(
                f"{context}: {name} should be {PATTERN_HELP[name]} (got {show(e.get('input'))})",
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
            msg += f" (got {show(got)})"
        self.err(f"{context}: {name} {msg}", yamlio.loc_of(file, target))

    def single(self, name: str) -> Item | None:
        """The one item of a section that may be declared once (repeats reported)."""
        items = self.sections[name]
        for extra in items[1:]:
            first = items[0]
            self.err(
                f"section '{name}' is declared twice (first at "
                f"{yamlio.loc_of(first.file, first.key)})",
                yamlio.loc_of(extra.file, extra.key),
            )
        return items[0] if items else None

    def check_email(self, raw: str) -> tuple[str | None, str | None]:
        """``(address lower-cased, None)`` if ``raw`` is valid, else ``(None, why)``; nothing
        reported."""
        return self._emails.check(raw)

    def declared_twice(self, email: str, loc: Location) -> bool:
        """Whether the user ``email`` was read already (the error reported at ``loc``)."""
        first = self.state.users.get(email)
        if first is None:
            return False
        self.err(f"user '{email}' is declared twice (first at {first.loc})", loc)
        return True

    def rename(self, user: DesiredUser, old: str, rloc: Location, context: str) -> None:
        """``user`` is renamed from ``old`` (``rloc``: its ``renamed_from`` key), unless that
        is its own email or ``old`` is renamed already (reported)."""
        if old == user.email:
            self.err(f"{context}: renamed_from is the user's own email", rloc)
        elif old in self.renames:
            other, oloc = self.renames[old]
            self.err(f"{context}: '{old}' is also renamed to '{other}' at {oloc}", rloc)
        else:
            self.renames[old] = (user.email, rloc)
            user.renamed_from = old
            user.field_locs["renamed_from"] = rloc

    def email(self, raw: str, file: str, where: Node | Location, context: str) -> str | None:
        """``raw`` lower-cased if it is a valid address, else ``None`` (error reported at
        ``where``: a node, or its location when already made)."""
        email, problem = self._emails.check(raw)
        if problem is not None:
            loc = where if isinstance(where, Location) else yamlio.loc_of(file, where)
            self.err(f"{context}: {problem}", loc)
        return email
