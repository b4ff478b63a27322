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


def _none_if_null(value: Any) -> Any:
    return None if _is_null(value) else value


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _flag(v: Any) -> Any:
    """A 0/1 flag where null means False."""
    if v == 1 or v == 0:  # 0/1/True/False, the common case, without further calls
        return bool(v)
    b = _to_bool_or_none(v)
    return False if b is None else b


# The normalisations of API values, one type each: the models' fields use these.
Text = Annotated[str, BeforeValidator(_text)]  # null -> "", a number -> its digits
OptStr = Annotated[str | None, BeforeValidator(_none_if_null)]  # "", "null", null -> None
OptInt = Annotated[int | None, BeforeValidator(_to_int_or_none)]  # "2" -> 2, "" -> None
OptBool = Annotated[bool | None, BeforeValidator(_to_bool_or_none)]  # "0"/"1" -> bool, "" -> None
Flag = Annotated[bool, BeforeValidator(_flag)]  # 0/1/"0"/"1" -> bool, "" -> False
ApiTime = Annotated[datetime | None, BeforeValidator(parse_api_datetime)]


class _Model(BaseModel):
    # Built on first use (defer_build): a plan validates none of the job and DNC answers.
    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)


# --- bulk users ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Membership:
    """One role or team column of a template row: ``{"name": ..., "value": 0 | 1 | ""}``.

    A slotted dataclass rather than a model: a large template has millions of these (50,000
    users × 50 roles and teams), and this keeps decoding it fast and small. Extra keys of a
    membership object are ignored (``extra="ignore"``: the row's own ``extra="allow"`` would
    otherwise try to set them on a slotted instance and fail)."""

    __pydantic_config__ = ConfigDict(extra="ignore")

    name: str
    value: Flag = False


class TemplateRow(_Model):
    """One user as the template lists it.

    Normalised: ``status`` a :class:`UserStatus` or ``None`` (""); ``location`` a name or
    ``None`` ("", "null", null); ``max_chat_limit`` an int or ``None`` (""); and
    ``max_chat_limit_enabled`` a bool or ``None`` ("").
    """

    email: str
    new_email: OptStr = None
    agent_number: Text = ""
    first_name: Text = ""
    last_name: Text = ""
    status: UserStatus | None = None
    location: OptStr = None
    max_chat_limit: OptInt = None
    max_chat_limit_enabled: OptBool = None
    roles: list[Membership] = Field(default_factory=list)
    teams: list[Membership] = Field(default_factory=list)

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
    created_at: ApiTime = None
    process_requested_at: ApiTime = None
    total_rows: OptInt = None
    affected_rows: OptInt = None
    failed_rows: OptInt = None
    uploaded_user_name: str | None = None
    proceed_user_name: str | None = None
    uploaded_api_user_name: str | None = None
    proceed_api_user_name: str | None = None
    scheme_errors: list[Any] = Field(default_factory=list)
    update_errors: list[Any] = Field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """Proceed went through: the update is running or done."""
        return self.status in (JobStatus.IN_PROGRESS, JobStatus.FINISHED)


class JobCreated(_Model):
    """The answer of upload (POST/PUT) and proceed: ``{"id", "status", "link"}``."""

    id: int
    status: JobStatus
    link: str | None = None


class _RowError(_Model):
    """One error row of a job's error list: the message and where in the file."""

    message: str
    column: int | str | None = None
    row: OptInt = None


class SchemeError(_RowError):
    """An error of the uploaded file's scheme (``GET /bulk/users/errors/scheme/{id}``)."""


class ErrorType(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class UpdateError(_RowError):
    """An error or warning of the update (``GET /bulk/users/errors/update/{id}``)."""

    error_type: ErrorType = ErrorType.ERROR

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


class _DncResult(_Model):
    """One number's outcome in a DNC add or remove answer."""

    phone_number: str
    status: str  # add: created | updated | failed; remove: removed | not_found | failed
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"


class DncAddResult(_DncResult):
    """One number of an add answer (``POST /outbound_dialer/dnc``)."""

    expires_at: str | None = None


class DncRemoveResult(_DncResult):
    """One number of a remove answer (``POST /outbound_dialer/dnc/remove``)."""


class DncCheck(_Model):
    phone_number: str
    expired_at: ApiTime = None
    do_not_call: Flag = False


_LATER = ConfigDict(defer_build=True)  # the models' own config says so for the others
TEMPLATE = TypeAdapter(list[TemplateRow], config=_LATER)
JOB = TypeAdapter(Job)
JOBS = TypeAdapter(list[Job], config=_LATER)
JOB_CREATED = TypeAdapter(JobCreated)
SCHEME_ERRORS = TypeAdapter(list[SchemeError], config=_LATER)
UPDATE_ERRORS = TypeAdapter(list[UpdateError], config=_LATER)
DNC_ADD_RESULTS = TypeAdapter(list[DncAddResult], config=_LATER)
DNC_REMOVE_RESULTS = TypeAdapter(list[DncRemoveResult], config=_LATER)
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
