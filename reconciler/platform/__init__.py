"""The tenant's Apps API: ``connect(...)`` gives a :class:`PlatformClient` (see docs/client.md)."""

from reconciler.platform.client import ENDPOINTS, PlatformClient, connect, time_limit
from reconciler.platform.errors import (
    ApiError,
    AuthenticationError,
    ConnectionSettingsError,
    DeadlineError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RequestRejectedError,
    ServerError,
    TransportError,
)
from reconciler.platform.models import (
    DncAddResult,
    DncCheck,
    DncContact,
    DncRemoveResult,
    Job,
    JobCreated,
    JobStatus,
    SchemeError,
    TemplateRow,
    UpdateError,
)
from reconciler.platform.throttle import RetryPolicy, Throttle

__all__ = [
    "ENDPOINTS",
    "ApiError",
    "AuthenticationError",
    "ConnectionSettingsError",
    "DeadlineError",
    "DncAddResult",
    "DncCheck",
    "DncContact",
    "DncRemoveResult",
    "Job",
    "JobCreated",
    "JobStatus",
    "MalformedResponseError",
    "NotFoundError",
    "PermissionDeniedError",
    "PlatformClient",
    "RateLimitedError",
    "RequestRejectedError",
    "RetryPolicy",
    "SchemeError",
    "ServerError",
    "TemplateRow",
    "Throttle",
    "TransportError",
    "UpdateError",
    "connect",
    "time_limit",
]
