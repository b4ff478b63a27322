"""Typed responses of the Apps API (Bulk User Management and Company DNC list).

The models are tolerant where the vendor's reference is loose: the template spells numbers as
strings (``"2"``), booleans as ``"0"``/``"1"``, and "nothing" as ``""``, ``"null"`` or ``null``.
Each model normalises those on input; fields the reconciler does not know are kept (``extra``),
never fatal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, field_validator

from reconciler.state import UserStatus

DNC_TIME_FORMAT = "%Y-%m-%d %H:%M:%S UTC"

_NULLS = ("", "null", "none")


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in _NULLS)


def _to_int_or_none(value: Any) -> Any:
    if _is_null(value):
        return None
    if isinstance(value, str):
        return int(value.strip())
    return value


def _to_bool_or_none(value: Any) -> Any:
    if _is_null(value):
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("1", "true"):
            return True
        if text in ("0", "false"):
            return False
        raise ValueError(f"expected 0 or 1, got {value!r}")
    if isinstance(value, int) and not isinstance(value, bool):
        if value in (0, 1):
            return bool(value)
        raise ValueError(f"expected 0 or 1, got {value!r}")
    return value


def parse_api_datetime(value: Any) -> datetime | None:
    """Parse the timestamps the API uses into an aware UTC datetime.

    Accepts ``2022-10-29 00:00:00 UTC``, ``2023-08-05 22:02:36.362009 +0000``, ISO 8601
    (``2022-01-07T06:06:45.000Z``) and null/empty (``None``). Naive values are taken as UTC.
    """
    if _is_null(value):
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(" UTC"):
            text = text[:-4] + "+00:00"
        elif text.endswith("Z"):
            text = text[:-1] + "+00:00"
        text = text.replace(" +", "+").replace(" -", "-")
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"unrecognised date/time {value!r}") from None
    else:
        raise ValueError(f"unrecognised date/time {value!r}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def format_dnc_time(dt: datetime) -> str:
    """An aware datetime in the DNC API's ``YYYY-MM-DD HH:MM:SS UTC`` format."""
    if dt.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    return dt.astimezone(UTC).strftime(DNC_TIME_FORMAT)


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


# --- bulk users ------------------------------------------------------------------------------


def _membership_value(v: Any) -> Any:
    if v == 1 or v == 0:  # 0/1/True/False, the common case, without further calls
        return bool(v)
    b = _to_bool_or_none(v)
    return False if b is None else b


@dataclass(frozen=True, slots=True)
class Membership:
    """One role or team column of a template row: ``{"name": ..., "value": 0 | 1 | ""}``.

    A slotted dataclass rather than a model: a large template has millions of these (50,000
    users × 50 roles and teams), and this keeps decoding it fast and small. Extra keys of a
    membership object are ignored (``extra="ignore"``: the row's own ``extra="allow"`` would
    otherwise try to set them on a slotted instance and fail)."""

    __pydantic_config__ = ConfigDict(extra="ignore")

    name: str
    value: Annotated[bool, BeforeValidator(_membership_value)] = False


class TemplateRow(_Model):
    """One user as the template lists it.

    Normalised: ``status`` a :class:`UserStatus` or ``None`` (""); ``location`` a name or
    ``None`` ("", "null", null); ``max_chat_limit`` an int or ``None`` (""); and
    ``max_chat_limit_enabled`` a bool or ``None`` ("").
    """

    email: str
    new_email: str | None = None
    agent_number: str = ""
    first_name: str = ""
    last_name: str = ""
    status: UserStatus | None = None
    location: str | None = None
    max_chat_limit: int | None = None
    max_chat_limit_enabled: bool | None = None
    roles: list[Membership] = Field(default_factory=list)
    teams: list[Membership] = Field(default_factory=list)

    @field_validator("agent_number", "first_name", "last_name", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        if v is None:
            return ""
        if isinstance(v, int | float) and not isinstance(v, bool):
            return str(v)
        return v

    @field_validator("new_email", mode="before")
    @classmethod
    def _new_email(cls, v: Any) -> Any:
        return None if _is_null(v) else v

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, v: Any) -> Any:
        if _is_null(v):
            return None
        if isinstance(v, str):
            for s in UserStatus:
                if v.strip().lower() == s.value.lower():
                    return s
        return v

    @field_validator("location", mode="before")
    @classmethod
    def _location(cls, v: Any) -> Any:
        return None if _is_null(v) else v

    @field_validator("max_chat_limit", mode="before")
    @classmethod
    def _limit(cls, v: Any) -> Any:
        return _to_int_or_none(v)

    @field_validator("max_chat_limit_enabled", mode="before")
    @classmethod
    def _enabled(cls, v: Any) -> Any:
        return _to_bool_or_none(v)

    def role_names(self) -> frozenset[str]:
        """The roles this user has (value 1)."""
        return frozenset(m.name for m in self.roles if m.value)

    def team_names(self) -> frozenset[str]:
        """The teams this user is in (value 1)."""
        return frozenset(m.name for m in self.teams if m.value)


class JobStatus(StrEnum):
    CREATED = "created"
    VALID_SCHEME = "valid_scheme"
    INVALID_SCHEME = "invalid_scheme"
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"


class Job(_Model):
    """A bulk-user job (``GET /bulk/users/jobs/{id}`` or one item of the job list)."""

    id: int
    status: JobStatus
    filename: str | None = None
    created_at: datetime | None = None
    process_requested_at: datetime | None = None
    total_rows: int | None = None
    affected_rows: int | None = None
    failed_rows: int | None = None
    uploaded_user_name: str | None = None
    proceed_user_name: str | None = None
    uploaded_api_user_name: str | None = None
    proceed_api_user_name: str | None = None
    scheme_errors: list[Any] = Field(default_factory=list)
    update_errors: list[Any] = Field(default_factory=list)

    @field_validator("created_at", "process_requested_at", mode="before")
    @classmethod
    def _times(cls, v: Any) -> Any:
        return parse_api_datetime(v)

    @field_validator("total_rows", "affected_rows", "failed_rows", mode="before")
    @classmethod
    def _counts(cls, v: Any) -> Any:
        return _to_int_or_none(v)

    @property
    def accepted(self) -> bool:
        """Proceed went through: the update is running or done."""
        return self.status in (JobStatus.IN_PROGRESS, JobStatus.FINISHED)


class JobCreated(_Model):
    """The answer of upload (POST/PUT) and proceed: ``{"id", "status", "link"}``."""

    id: int
    status: JobStatus
    link: str | None = None


class SchemeError(_Model):
    message: str
    column: int | str | None = None
    row: int | None = None

    @field_validator("row", mode="before")
    @classmethod
    def _row(cls, v: Any) -> Any:
        return _to_int_or_none(v)


class ErrorType(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class UpdateError(_Model):
    message: str
    column: int | str | None = None
    row: int | None = None
    error_type: ErrorType = ErrorType.ERROR

    @field_validator("row", mode="before")
    @classmethod
    def _row(cls, v: Any) -> Any:
        return _to_int_or_none(v)

    @field_validator("error_type", mode="before")
    @classmethod
    def _type(cls, v: Any) -> Any:
        if _is_null(v):
            return ErrorType.ERROR
        return v.strip().lower() if isinstance(v, str) else v


# --- DNC -------------------------------------------------------------------------------------


class DncContact(_Model):
    """One number to add: ``expires_at`` in the API's ``YYYY-MM-DD HH:MM:SS UTC`` format or
    ``None`` (never expires; the key is then left out of the request)."""

    phone_number: str
    expires_at: str | None = None

    @classmethod
    def build(cls, phone_number: str, expires_at: datetime | None = None) -> DncContact:
        """From an aware datetime (converted to UTC), or ``None``."""
        return cls(
            phone_number=phone_number,
            expires_at=None if expires_at is None else format_dnc_time(expires_at),
        )

    def payload(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class DncAddResult(_Model):
    phone_number: str
    status: str  # created | updated | failed
    expires_at: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"


class DncRemoveResult(_Model):
    phone_number: str
    status: str  # removed | not_found | failed
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"


class DncCheck(_Model):
    phone_number: str
    expired_at: datetime | None = None
    do_not_call: bool = False

    @field_validator("expired_at", mode="before")
    @classmethod
    def _expired(cls, v: Any) -> Any:
        return parse_api_datetime(v)

    @field_validator("do_not_call", mode="before")
    @classmethod
    def _dnc(cls, v: Any) -> Any:
        b = _to_bool_or_none(v)
        return False if b is None else b


TEMPLATE = TypeAdapter(list[TemplateRow])
JOB = TypeAdapter(Job)
JOBS = TypeAdapter(list[Job])
JOB_CREATED = TypeAdapter(JobCreated)
SCHEME_ERRORS = TypeAdapter(list[SchemeError])
UPDATE_ERRORS = TypeAdapter(list[UpdateError])
DNC_ADD_RESULTS = TypeAdapter(list[DncAddResult])
DNC_REMOVE_RESULTS = TypeAdapter(list[DncRemoveResult])
DNC_CHECK = TypeAdapter(DncCheck)

__all__ = [
    "DNC_TIME_FORMAT",
    "DncAddResult",
    "DncCheck",
    "DncContact",
    "DncRemoveResult",
    "ErrorType",
    "Job",
    "JobCreated",
    "JobStatus",
    "Membership",
    "SchemeError",
    "TemplateRow",
    "UpdateError",
    "format_dnc_time",
    "parse_api_datetime",
]
