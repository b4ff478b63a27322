"""Pydantic models of the YAML shape: they validate each item and generate the JSON Schema.

Every section is optional (a split config has files with a single section, and editors check
each file on its own). Unknown keys are errors (``additionalProperties: false``). The loader
validates item by item (one user, one DNC entry, ...) so one bad item never hides the others;
:class:`ConfigFile` exists for the schema.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, WithJsonSchema

from reconciler.state import USER_FIELDS


def _text(value: Any) -> Any:
    """Numbers written unquoted (``agent_number: 1001``) are taken as their text (the loader
    then uses the text exactly as written, so ``0101`` keeps its zero)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _not_blank(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
    return value


def _not_null(what: str) -> Any:
    def check(value: Any) -> Any:
        if value is None:
            raise ValueError(
                f"cannot be null: the API cannot clear {what}; omit it to leave it as it is"
            )
        return value

    return check


def _list_not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("cannot be null: write [] for none, or omit it to leave it unmanaged")
    return value


def _not_blank_kept(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise ValueError("must not be empty")
    return value


def _whole(value: Any) -> Any:
    """A float with no fraction (``2.0``) is the integer it equals, as in JSON Schema."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: In the schema, a string that is not blank (the loader says "must not be empty").
NOT_BLANK = {"pattern": r"\S"}
Name = Annotated[str, BeforeValidator(_not_blank), Field(strict=True, json_schema_extra=NOT_BLANK)]
#: A role or team name: exactly as written (the platform's names may have leading or trailing
#: spaces, which YAML keeps only in quotes), never blank.
GroupName = Annotated[
    str, BeforeValidator(_not_blank_kept), Field(strict=True, json_schema_extra=NOT_BLANK)
]
Email = Annotated[
    str,
    BeforeValidator(_not_blank),
    Field(strict=True, examples=["ann@example.com"], json_schema_extra=NOT_BLANK),
]
NameList = Annotated[list[GroupName], BeforeValidator(_list_not_null)]
Status = Annotated[Literal["Active", "Inactive"], BeforeValidator(_not_null("the status"))]
Location = Annotated[
    Annotated[str, Field(json_schema_extra=NOT_BLANK)] | None,
    BeforeValidator(_not_blank),
    Field(description="A location name of the tenant; null clears the user's location."),
]
ChatLimit = Annotated[
    int,
    Field(strict=True, ge=1),
    BeforeValidator(_not_null("max_chat_limit")),
    BeforeValidator(_whole),
]
ChatLimitEnabled = Annotated[StrictBool, BeforeValidator(_not_null("max_chat_limit_enabled"))]


def _agent_not_blank(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise ValueError(
            "must not be empty: in a bulk job a blank means 'unchanged', so the platform "
            "cannot clear it (remove the key to leave it unmanaged)"
        )
    return value


AgentNumber = Annotated[
    str,
    BeforeValidator(_agent_not_blank),  # runs last (before-validators run right to left)
    BeforeValidator(_text),
    BeforeValidator(_not_null("agent_number")),
    Field(strict=True),
    # the loader keeps an unquoted number as written (0101, 1e3, 1.5)
    WithJsonSchema({"type": ["string", "number"], **NOT_BLANK}),
]
Threshold = Annotated[
    Any,
    BeforeValidator(_whole),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0},
                # 0% to 100% (the loader refuses more), any number of leading zeros
                {"type": "string", "pattern": r"^\s*0*(100(\.0+)?|\d{1,2}(\.\d+)?)\s*%\s*$"},
                {"type": "null"},
            ],
            "description": "A count, or a percentage of the existing items such as '30%'; "
            "null or omitted: the default.",
        }
    ),
]
Managed = Annotated[
    Any,
    WithJsonSchema(
        {
            "anyOf": [
                {"enum": ["declared", "all"]},
                {"type": "array", "items": {"type": "string", **NOT_BLANK}},
            ],
            "description": (
                "Which memberships the config manages: 'declared' (every name the config "
                "mentions), 'all' (every name the tenant has), or a list of names."
            ),
        }
    ),
]


class _Strict(BaseModel):
    # Built on first use (defer_build): a large plain config validates no user or DNC entry
    # with pydantic (config.fastusers), and ConfigFile is only for the schema.
    model_config = ConfigDict(extra="forbid", defer_build=True)


class TenantModel(_Strict):
    """Which tenant this config describes (environment variables take precedence)."""

    subdomain: (
        Annotated[str, Field(strict=True, pattern=r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")]
        | None
    ) = None
    domain: (
        Annotated[
            str,
            Field(
                strict=True,
                max_length=253,
                pattern=r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$",
            ),
        ]
        | None
    ) = None


class PolicyModel(_Strict):
    """How far the reconciler may go."""

    unmanaged_users: Literal["ignore", "deactivate"] = "ignore"
    manage_roles: Managed = "declared"
    manage_teams: Managed = "declared"
    default_region: Annotated[
        str,
        Field(
            strict=True,
            examples=["US", "GB"],
            json_schema_extra={"pattern": r"^\s*[A-Za-z]{2}\s*$"},
        ),
    ] = "US"
    max_deactivations: Threshold = None
    max_dnc_removals: Threshold = None
    max_role_removals: Threshold = None
    max_team_removals: Threshold = None
    max_field_clears: Threshold = None
    protected_users: Annotated[list[Email], BeforeValidator(_list_not_null)] = []
    ownership_role: Annotated[
        GroupName | None,
        Field(
            description="A role (created once in the portal) that marks the users this config "
            "owns: every declared user gets it, a tenant user holding it who is not in the "
            "config is deactivated, a user without it is never touched."
        ),
    ] = None


class DefaultsModel(_Strict):
    """User fields applied to every user that does not set them."""

    status: Status = None
    location: Location = None
    max_chat_limit: ChatLimit = None
    max_chat_limit_enabled: ChatLimitEnabled = None
    roles: NameList = None
    teams: NameList = None


#: Fields ``defaults:`` may set (the others are per user).
DEFAULT_FIELDS: tuple[str, ...] = tuple(DefaultsModel.model_fields)


class _Identity(_Strict):
    """Who a user is: the fields before the defaultable ones, in the config's order."""

    email: Email
    first_name: Name
    last_name: Name
    agent_number: AgentNumber = None


class UserModel(DefaultsModel, _Identity):
    """One user, keyed by email. Omitted fields are not managed."""

    # Fields in order: _Identity's, DefaultsModel's (pydantic collects the bases' fields from
    # the last base on), then these.
    renamed_from: Email | None = None


#: Every key a user block may have.
USER_KEYS: tuple[str, ...] = tuple(UserModel.model_fields)
assert set(USER_FIELDS) <= set(USER_KEYS)


class GroupModel(_Strict):
    """A role or team with its members (emails of users declared in the config)."""

    members: Annotated[list[Email], BeforeValidator(_list_not_null)]


Phone = Annotated[
    str,
    BeforeValidator(_text),
    Field(strict=True),
    WithJsonSchema(
        {
            # the loader keeps an unquoted number as written
            "type": ["string", "number"],
            **NOT_BLANK,
            "description": "A phone number; E.164 ('+14155550100') is clearest.",
        }
    ),
]


class DncModel(_Strict):
    """One entry of the company Do-Not-Call list."""

    phone_number: Phone
    expires_at: (
        Annotated[
            str,
            Field(
                strict=True,
                description="'2027-01-31 00:00:00 UTC' or ISO 8601; without a zone it is UTC.",
                json_schema_extra=NOT_BLANK,
            ),
        ]
        | None
    ) = None
    comment: Annotated[str, Field(strict=True)] | None = None
    state: Literal["present", "absent"] = "present"


class ConfigFile(_Strict):
    """One file of a ccai-reconciler config (a config is one file or a directory of them)."""

    model_config = ConfigDict(
        extra="forbid",
        defer_build=True,
        title="ccai-reconciler config",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    version: Literal[1] = None  # null is refused ("version must be 1")
    tenant: TenantModel | None = None
    policy: PolicyModel | None = None
    defaults: DefaultsModel | None = None
    users: list[UserModel] | None = None
    roles: dict[str, GroupModel | list[Email]] | None = None
    teams: dict[str, GroupModel | list[Email]] | None = None
    dnc: list[Phone | DncModel] | None = None


SECTIONS: tuple[str, ...] = tuple(ConfigFile.model_fields)


def _drop_null_defaults(node: Any) -> None:
    """Omitted fields default to "not managed", which the schema cannot say: drop
    ``"default": null`` where null itself is not allowed, so editors do not suggest it."""
    if isinstance(node, dict):
        if "default" in node and node["default"] is None:
            types = [node.get("type")] + [a.get("type") for a in node.get("anyOf", [])]
            if "null" not in types:
                del node["default"]
        for value in node.values():
            _drop_null_defaults(value)
    elif isinstance(node, list):
        for value in node:
            _drop_null_defaults(value)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of one config file (every section optional)."""
    schema = ConfigFile.model_json_schema()
    _drop_null_defaults(schema)
    for section in ("roles", "teams"):  # a role or team name must not be blank
        for alt in schema["properties"][section]["anyOf"]:
            if alt.get("type") == "object":
                alt["propertyNames"] = dict(NOT_BLANK)
    return schema
