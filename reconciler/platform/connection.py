"""Connection settings: where the tenant is and which token to use (``connect``), checked
before any request is made. The client itself is :mod:`reconciler.platform.client`."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Unpack
from urllib.parse import urlsplit

from reconciler.platform.errors import ConnectionSettingsError
from reconciler.state import Tenant

if TYPE_CHECKING:
    from reconciler.platform.client import PlatformClient
    from reconciler.platform.session import SessionOptions

API_PATH = "/apps/api/v1"
DEFAULT_RATE = 1.0  # requests per second
DEFAULT_TIMEOUT = (10.0, 120.0)  # connect, each read (also capped by the call's deadline)


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(url: str) -> str:
    """A usable base URL: https, or http on a loopback host; no credentials in it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectionSettingsError(
            f"base URL {parts.scheme + '://' if parts.scheme else ''}{parts.hostname or ''}"
            f"{parts.path} is not an http(s) URL"
        )
    if parts.username or parts.password:
        raise ConnectionSettingsError(
            "the base URL must not contain credentials: give the token with CCAI_API_TOKEN or "
            "--token-file"
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConnectionSettingsError(
            f"refusing plain http to {parts.hostname}: use https (http is only allowed for "
            "loopback hosts such as 127.0.0.1 and localhost)"
        )
    if parts.query or parts.fragment:
        raise ConnectionSettingsError("the base URL must not have a query or fragment")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def read_token_file(path: str | os.PathLike[str]) -> str:
    p = Path(path)
    try:
        token = p.read_text(encoding="utf-8").strip()
    except OSError as err:
        raise ConnectionSettingsError(
            f"cannot read the token file {p}: {err.strerror or type(err).__name__}"
        ) from None
    except UnicodeDecodeError:
        raise ConnectionSettingsError(f"the token file {p} is not UTF-8 text") from None
    if not token:
        raise ConnectionSettingsError(f"the token file {p} is empty")
    return token


def platform_domain(base_url: str, subdomain: str | None) -> str | None:
    """The platform domain of a base URL of the form ``https://{subdomain}.{domain}/apps/api/v1``
    (what ``connect`` builds from CCAI_SUBDOMAIN and CCAI_DOMAIN), else None (a loopback
    simulator, another path or port: the config cannot say it with ``tenant.domain``)."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if (
        not subdomain
        or parts.scheme != "https"
        or parts.port is not None
        or parts.path.rstrip("/") != API_PATH
        or not host.startswith(subdomain.lower() + ".")
    ):
        return None
    return host[len(subdomain) + 1 :] or None


def connect(
    tenant: Tenant | None = None,
    *,
    token: str | None = None,
    token_file: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    env: Mapping[str, str] = os.environ,
    **options: Unpack[SessionOptions],
) -> PlatformClient:
    """Resolve the connection settings and open a client.

    Token: ``token``, else ``token_file``, else ``CCAI_API_TOKEN``. Subdomain and domain:
    ``CCAI_SUBDOMAIN`` / ``CCAI_DOMAIN``, else the config's ``tenant:`` section. URL:
    ``base_url``, else ``CCAI_BASE_URL``, else ``https://{subdomain}.{domain}/apps/api/v1``.
    ``options`` (rate, verbose, retry, timeouts, ...) go to the client as they are
    (:class:`~reconciler.platform.session.SessionOptions`).
    """
    rate = options.get("rate", DEFAULT_RATE)
    request_timeout = options.get("request_timeout")
    if not (isinstance(rate, int | float) and rate > 0):
        raise ConnectionSettingsError(f"--rate must be a positive number, got {rate!r}")
    if request_timeout is not None and not (
        isinstance(request_timeout, int | float) and request_timeout > 0
    ):
        raise ConnectionSettingsError(
            f"--request-timeout must be a positive number of seconds, got {request_timeout!r}"
        )
    tenant = tenant or Tenant()
    subdomain = (env.get("CCAI_SUBDOMAIN") or tenant.subdomain or "").strip() or None
    domain = (env.get("CCAI_DOMAIN") or tenant.domain or "").strip() or None
    url = (base_url or env.get("CCAI_BASE_URL") or "").strip() or None

    if url is not None:
        url = check_base_url(url)
        if subdomain is None:
            host = urlsplit(url).hostname or ""
            labels = host.split(".")
            if not is_loopback(host) and len(labels) > 2 and not host.replace(".", "").isdigit():
                subdomain = labels[0]
        if subdomain is None:
            raise ConnectionSettingsError(
                "no subdomain: set CCAI_SUBDOMAIN or tenant.subdomain in the config (it is the "
                "API user name)"
            )
    else:
        missing = [
            name
            for name, value in (("CCAI_SUBDOMAIN", subdomain), ("CCAI_DOMAIN", domain))
            if value is None
        ]
        if missing:
            raise ConnectionSettingsError(
                f"no tenant address: set {' and '.join(missing)} (or tenant.subdomain and "
                "tenant.domain in the config, or CCAI_BASE_URL)"
            )
        url = check_base_url(f"https://{subdomain}.{domain}{API_PATH}")
    assert subdomain is not None

    if token is None and token_file is not None:
        token = read_token_file(token_file)
        options.setdefault("token_source", f"the token file {os.fspath(token_file)}")
    if token is None:
        token = (env.get("CCAI_API_TOKEN") or "").strip() or None
    if not token:
        raise ConnectionSettingsError("no API token: set CCAI_API_TOKEN or pass --token-file PATH")
    from reconciler.platform.client import PlatformClient

    return PlatformClient(base_url=url, subdomain=subdomain, token=token, **options)
