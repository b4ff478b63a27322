"""Errors of the platform client, one class per meaning; all are :class:`PlatformError`.

Messages carry the method, the path (relative to the API base) and the server's ``message``;
never the token, never the Authorization header.
"""

from __future__ import annotations

from reconciler.errors import PlatformError


class ConnectionSettingsError(PlatformError):
    """The connection cannot be set up: no token, no subdomain, an insecure URL."""


class ApiError(PlatformError):
    """The API answered with an error status (after any retries)."""

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        status: int | None = None,
        server_message: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.server_message = server_message
        super().__init__(message)


class AuthenticationError(ApiError):
    """401: wrong token or subdomain."""


class PermissionDeniedError(ApiError):
    """403: the API user may not do this."""


class NotFoundError(ApiError):
    """404: a job that does not exist, or a wrong base URL."""


class RequestRejectedError(ApiError):
    """Another 4xx: the server refused the request (e.g. proceed before validation)."""


class RateLimitedError(ApiError):
    """429 that did not clear before the call's deadline."""


class ServerError(ApiError):
    """5xx that did not clear before the call's deadline."""


class TransportError(ApiError):
    """Connection refused/reset or timed out, and retries did not help."""


class DeadlineError(TransportError):
    """A call did not complete within its time bound (a slow or trickling server, or a rate
    limit wait longer than the bound). The message names the call and the bound."""


class MalformedResponseError(ApiError):
    """The body is not the JSON the reference describes (HTML error page, truncated JSON)."""


__all__ = [
    "ApiError",
    "AuthenticationError",
    "ConnectionSettingsError",
    "DeadlineError",
    "MalformedResponseError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RequestRejectedError",
    "ServerError",
    "TransportError",
]
