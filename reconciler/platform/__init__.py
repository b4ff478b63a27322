"""The tenant's Apps API: ``connect(...)`` gives a :class:`PlatformClient` (see docs/client.md).

Exported: the client, and every name in the ``__all__`` of :mod:`.errors` and :mod:`.models`
(the one list of each module's public names)."""

from reconciler.platform import errors, models
from reconciler.platform.client import PlatformClient, connect, time_limit
from reconciler.platform.errors import *  # noqa: F403
from reconciler.platform.models import *  # noqa: F403
from reconciler.platform.throttle import RetryPolicy, Throttle

__all__ = ["PlatformClient", "RetryPolicy", "Throttle", "connect", "time_limit"]
__all__ += errors.__all__
__all__ += models.__all__
