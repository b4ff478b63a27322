"""The common user of a large plain file, read straight from its data.

A fast file's ``users:`` list (:mod:`~reconciler.config.fastyaml`) holds plain JSON values. A
user whose keys are all known and whose values are of the one plain kind each field takes
(a non-blank string, a status name, a whole ``max_chat_limit`` of at least 1, a bool, lists of
non-blank strings) with valid email addresses cannot fail any check of
:class:`~reconciler.config.models.UserModel`: :class:`FastUsers` builds its
:class:`~reconciler.state.DesiredUser` from the dict itself, with the models' own normalisers,
without shadow nodes or pydantic; the users of one shape (the same keys in the same order: most
of a file) have their values checked a key at a time (:func:`plain_users`). Every location is a
:class:`~reconciler.config.lazyloc.LazyLocation` on the same path, made in the same order as the
exact path makes it (the order of first mentions depends on it). Any other user (a number, a
null, a blank, an unknown key, a bad address, ...) takes the exact path of
:func:`~reconciler.config.users.read_users`, which reports its problems.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from collections.abc import MutableMapping as _MutableMapping
from operator import itemgetter
from typing import Any, cast, get_args

from annotated_types import Ge
from ruamel.yaml.nodes import Node

from reconciler.config import fastyaml
from reconciler.config import models as m
from reconciler.config.context import Item, LoadContext
from reconciler.config.fastyaml import ShadowSequence
from reconciler.config.lazyloc import KeyLocations, LazyKeyLocation, LazyLocation, NodePath
from reconciler.state import USER_FIELDS, DesiredUser, Location

#: Switch the fast branch off (tests compare it with the exact path).
ENABLED = True

_STATUSES = frozenset(get_args(get_args(m.Status)[0]))  # the Literal's values
_LIMIT = m.UserModel.model_fields["max_chat_limit"].metadata
_CHAT_MIN: int = next(cast(int, x.ge) for x in _LIMIT if isinstance(x, Ge))


class _NotPlain(ValueError):
    """Not the plain case: the exact path reads this user."""


def _text(value: Any) -> str:
    if type(value) is not str:
        raise _NotPlain
    return str(m._not_blank(value))  # stripped, never blank


def _agent(value: Any) -> str:
    if type(value) is not str:  # an unquoted number is kept as written: the exact path
        raise _NotPlain
    return str(m._agent_not_blank(value))


def _status(value: Any) -> str:
    if type(value) is not str or value not in _STATUSES:
        raise _NotPlain
    return value


def _chat_limit(value: Any) -> int:
    if type(value) is not int or value < _CHAT_MIN:
        raise _NotPlain
    return value


def _flag(value: Any) -> bool:
    if type(value) is not bool:
        raise _NotPlain
    return value


def _names(value: Any) -> list[str]:
    if type(value) is not list:
        raise _NotPlain
    for name in value:
        if type(name) is not str:
            raise _NotPlain
        m._not_blank_kept(name)
    return value


#: Per key of a user block: its plain value normalised as the model would, or ValueError.
_PLAIN: dict[str, Callable[[Any], Any]] = {
    "email": _text,
    "first_name": _text,
    "last_name": _text,
    "agent_number": _agent,
    "status": _status,
    "location": _text,
    "max_chat_limit": _chat_limit,
    "max_chat_limit_enabled": _flag,
    "roles": _names,
    "teams": _names,
    "renamed_from": _text,
}
assert set(_PLAIN) == set(m.USER_KEYS), "every key of UserModel has its plain case"
_REQUIRED = tuple(k for k, f in m.UserModel.model_fields.items() if f.is_required())


def plain_user(data: Any) -> dict[str, Any] | None:
    """The values of a user the model would accept as they are (normalised), else ``None``."""
    if type(data) is not dict:
        return None
    values: dict[str, Any] = {}
    try:
        for key, value in data.items():
            check = _PLAIN.get(key)
            if check is None:
                return None
            values[key] = check(value)
    except ValueError:
        return None
    for key in _REQUIRED:
        if key not in values:
            return None
    return values


def _text_column(col: list[Any]) -> list[Any] | None:
    if set(map(type, col)) != {str}:
        return None
    stripped = list(map(str.strip, col))
    return None if "" in stripped else stripped


def _agent_column(col: list[Any]) -> list[Any] | None:
    if set(map(type, col)) != {str} or "" in set(map(str.strip, col)):
        return None
    return col  # kept as written


def _status_column(col: list[Any]) -> list[Any] | None:
    if set(map(type, col)) != {str} or not _STATUSES.issuperset(col):
        return None
    return col


def _chat_limit_column(col: list[Any]) -> list[Any] | None:
    if set(map(type, col)) != {int} or min(col) < _CHAT_MIN:
        return None
    return col


def _flag_column(col: list[Any]) -> list[Any] | None:
    return col if set(map(type, col)) == {bool} else None


def _names_column(col: list[Any]) -> list[Any] | None:
    if set(map(type, col)) != {list}:
        return None
    try:
        distinct = set(map(tuple, col))  # users share a few lists: each checked once
    except TypeError:  # an unhashable item (a mapping, a list): not plain
        return None
    for names in distinct:
        for name in names:
            if type(name) is not str or not name.strip():
                return None
    return col


#: :data:`_PLAIN` for a column of values (one key of many users): the normalised values, or
#: ``None`` when any of them is not plain (each user is then checked on its own).
_PLAIN_COLUMN: dict[str, Callable[[list[Any]], list[Any] | None]] = {
    "email": _text_column,
    "first_name": _text_column,
    "last_name": _text_column,
    "agent_number": _agent_column,
    "status": _status_column,
    "location": _text_column,
    "max_chat_limit": _chat_limit_column,
    "max_chat_limit_enabled": _flag_column,
    "roles": _names_column,
    "teams": _names_column,
    "renamed_from": _text_column,
}
assert _PLAIN_COLUMN.keys() == _PLAIN.keys()


#: A plain user as :func:`plain_users` gives it: its keys (in order) and their plain values.
PlainRow = tuple[tuple[str, ...], tuple[Any, ...]]


def plain_users(data: list[Any]) -> list[PlainRow | None]:
    """:func:`plain_user` of each item of ``data`` (its keys and values), computed a column at
    a time: the users with the same keys (in the same order) are checked key by key with C
    loops (``map``, ``set``) instead of a function call per value. Where a column holds
    anything else, each of those users is checked on its own."""
    out: list[PlainRow | None] = [None] * len(data)
    shapes: dict[tuple[str, ...], list[int]] = {}
    if set(map(type, data)) == {dict} and len(set(map(tuple, data))) == 1:
        shapes[tuple(data[0])] = list(range(len(data)))  # the common file: one shape
    else:
        for i, item in enumerate(data):
            if type(item) is dict:
                shapes.setdefault(tuple(item), []).append(i)
    for keys, where in shapes.items():
        if not _PLAIN.keys() >= set(keys) or not set(keys).issuperset(_REQUIRED):
            continue  # plain_user would refuse each of them
        rows = [data[i] for i in where] if len(where) < len(data) else data
        columns = []
        for key in keys:
            column = _PLAIN_COLUMN[key]([row[key] for row in rows])
            if column is None:
                break
            columns.append(column)
        else:
            for i, values in zip(where, zip(*columns, strict=True), strict=True):
                out[i] = (keys, values)
            continue
        for i in where:
            found = plain_user(data[i])
            if found is not None:
                out[i] = (keys, tuple(found.values()))
    return out


class _Shape:
    """What the users of one shape (the same keys, in the same order) share."""

    __slots__ = ("email", "given", "lists", "pick", "renamed")

    def __init__(self, ctx: LoadContext, keys: tuple[str, ...]) -> None:
        at = {key: n for n, key in enumerate(keys)}
        self.email = at["email"]
        self.renamed = at.get("renamed_from")
        #: The fields given, in USER_FIELDS order, and what takes their values from a row.
        self.given = ctx.name_list(n for n in USER_FIELDS if n in at)
        # (first_name and last_name are required: always two or more, so a tuple comes back)
        assert len(self.given) >= 2
        self.pick: Callable[[tuple[Any, ...]], tuple[Any, ...]] = itemgetter(
            *(at[n] for n in self.given)
        )
        self.lists = tuple(
            (kind, kind + "s", at[kind + "s"]) for kind in ("role", "team") if kind + "s" in at
        )


class FastUsers:
    """The ``users:`` list of one fast file, read user by user."""

    def __init__(self, ctx: LoadContext, item: Item, seq: ShadowSequence) -> None:
        self.ctx = ctx
        self.p = seq._p
        self.data: list[Any] = seq._data
        self.rows = plain_users(self.data)  # each user's plain keys and values, or None
        self._shapes: dict[tuple[str, ...], _Shape] = {}
        # Each distinct list of names as written: (ctx.name_list, ctx.name_set) of it.
        self._names: dict[tuple[str, ...], tuple[tuple[str, ...], frozenset[str]]] = {}
        # The (kind, names) lists whose names this section has mentioned (referenced) already.
        self._mentioned: set[tuple[str, tuple[str, ...]]] = set()

    @staticmethod
    def of(ctx: LoadContext, item: Item) -> FastUsers | None:
        """The fast reader of ``item`` if it is a fast file's list of users, else ``None``."""
        value = item.value
        if not ENABLED or not isinstance(value, ShadowSequence) or type(item.data) is not list:
            return None
        return FastUsers(ctx, item, value)

    def node(self, i: int) -> Node:
        """The shadow node of user ``i`` (for the exact path)."""
        return fastyaml.shadow(self.p, i, self.data[i])

    def read(self, i: int, mentioned: set[tuple[str, str]]) -> bool:
        """Read user ``i`` if it is the plain case (``False``: not done, use the exact path)."""
        row = self.rows[i]
        if row is None:
            return False
        keys, values = row
        shape = self._shapes.get(keys)
        if shape is None:
            shape = self._shapes[keys] = _Shape(self.ctx, keys)
        ctx = self.ctx
        written = values[shape.email]  # stripped
        email, problem = ctx.check_email(written)
        if problem is not None or email is None:
            return False
        old: str | None = None
        if shape.renamed is not None:
            old, problem = ctx.check_email(values[shape.renamed])
            if problem is not None:
                return False
        ctx.declared.add(email)
        p = self.p
        src = p.src
        upath = NodePath(src, p, i)
        loc = LazyKeyLocation(src, upath, "email")
        if ctx.declared_twice(email, loc):
            return True
        given = shape.given
        mlocs = MemberLocations() if shape.lists else None
        user = DesiredUser(
            email=email,
            fields=dict(zip(given, shape.pick(values), strict=True)),
            loc=loc,
            field_locs=KeyLocations(upath, given),
            membership_locs={} if mlocs is None else mlocs,
            email_as_written=written,
        )
        for kind, key, at in shape.lists:
            assert mlocs is not None
            names: list[str] = values[at]
            written_names = tuple(names)
            found = self._names.get(written_names)
            if found is None:  # users share a few lists: each made once
                found = self._names[written_names] = (ctx.name_list(names), ctx.name_set(names))
            name_list, name_set = found
            mlocs.add_path(kind, upath, name_list)
            if (kind, name_list) not in self._mentioned:  # else each name is mentioned already
                self._mentioned.add((kind, name_list))
                lpath: NodePath | None = None
                for j, name in enumerate(names):
                    if (kind, name) not in mentioned:
                        mentioned.add((kind, name))
                        lpath = lpath or NodePath(src, upath, key)
                        ctx.ref(kind, name, LazyLocation(src, lpath, j))
            setattr(user, key, name_set)
            setattr(user, key + "_managed", True)
            ctx.own_lists.add((email, kind))
        if old is not None:
            rloc = LazyKeyLocation(src, upath, "renamed_from")
            ctx.rename(user, old, rloc, f"user '{written}'")
        ctx.state.users[email] = user
        return True


class MemberLocations(_MutableMapping[tuple[str, str], Location]):
    """A user's membership locations (``("role" | "team", name)`` -> location) when the user's
    own ``roles:``/``teams:`` lists are in a fast file: the location of a name in an own list
    (its first item) is made when read, from the user's path and the list's names; locations
    set explicitly (a group section's, a default's) are kept as given. Iteration order is a
    dict's filled the same way (own roles, own teams, then the others as set). Small: 50,000
    users hold one each."""

    __slots__ = ("_extra", "_roles", "_teams", "_user")

    def __init__(self) -> None:
        self._user: NodePath | None = None  # the user's mapping
        self._roles: tuple[str, ...] | None = None
        self._teams: tuple[str, ...] | None = None
        self._extra: dict[tuple[str, str], Location] | None = None

    def add_list(self, kind: str, node: Node, names: tuple[str, ...]) -> None:
        """The user's own list of ``kind`` (``node``: its shadow sequence, items ``names``)."""
        assert isinstance(node, ShadowSequence) and node._p.parent is not None
        assert node._p.step == kind + "s"
        self.add_path(kind, node._p.parent, names)

    def add_path(self, kind: str, user: NodePath, names: tuple[str, ...]) -> None:
        """The user's own list of ``kind`` (at ``kind + "s"`` in ``user``), items ``names``
        (roles are added before teams)."""
        assert self._user is None or self._user is user
        self._user = user
        if kind == "role":
            assert self._teams is None
            self._roles = names
        else:
            self._teams = names

    def _own(self, key: tuple[str, str]) -> Location | None:
        kind, name = key
        names = self._roles if kind == "role" else self._teams if kind == "team" else None
        user = self._user
        if names is None or user is None or name not in names:
            return None
        src = user.src
        return LazyLocation(src, NodePath(src, user, kind + "s"), names.index(name))

    def __getitem__(self, key: tuple[str, str]) -> Location:
        extra = self._extra
        if extra is not None and key in extra:
            return extra[key]
        found = self._own(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        if self._extra is not None and key in self._extra:
            return True
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        kind, name = key
        names = self._roles if kind == "role" else self._teams if kind == "team" else None
        return names is not None and name in names

    def setdefault(self, key: tuple[str, str], default: Location) -> Location:
        """Set ``key`` unless it is there (without making an own list's location)."""
        extra = self._extra
        if extra is not None and key in extra:
            return extra[key]
        kind, name = key
        names = self._roles if kind == "role" else self._teams if kind == "team" else None
        if names is not None and name in names:
            return self[key]  # (an own list's)
        if extra is None:
            extra = self._extra = {}
        extra[key] = default
        return default

    def __setitem__(self, key: tuple[str, str], loc: Location) -> None:
        if self._extra is None:
            self._extra = {}
        self._extra[key] = loc

    def __delitem__(self, key: tuple[str, str]) -> None:  # pragma: no cover - never needed
        raise KeyError(key)  # the loader never removes one

    def __iter__(self) -> Iterator[tuple[str, str]]:
        seen: set[tuple[str, str]] = set()
        for kind, names in (("role", self._roles), ("team", self._teams)):
            for name in names or ():
                if (kind, name) not in seen:
                    seen.add((kind, name))
                    yield kind, name
        for key in self._extra or ():
            if key not in seen:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return repr(dict(self))


def item_location(node: Node, index: int) -> Location:
    """The location of item ``index`` of a shadow sequence (without making its node)."""
    assert isinstance(node, ShadowSequence)
    p = node._p
    return LazyLocation(p.src, p, index)
