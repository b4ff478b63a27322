"""Apply a :class:`~reconciler.plan.Plan`: one bulk-user job driven to ``finished``, then DNC
batches; every server error mapped back to its YAML line; safe to interrupt and re-run.

The package, from the pure to the driving part (see docs/internals.md):

- :mod:`~reconciler.apply.rows`: the plan as job rows and DNC operations, errors mapped back
  to YAML lines (no I/O);
- :mod:`~reconciler.apply.journal`: the apply journal of a saved plan (file I/O);
- :mod:`~reconciler.apply.options`: the options of a run and the client it needs;
- :mod:`~reconciler.apply.errors`: how a run ends badly (exceptions, outcome, diagnostics);
- :mod:`~reconciler.apply.driver`: the job driver (API calls, polling, resume, the protocol);
- :mod:`~reconciler.apply.run`: :func:`apply_plan`, the run in named steps.

Terminal progress of the job is :mod:`reconciler.render.jobprogress`.
"""

from reconciler.apply.driver import JobDriver, _proceed, run_dnc, run_user_job, wait_for_view
from reconciler.apply.errors import (
    ApplyRefused,
    ApplyTimeout,
    StalePlanError,
    outcome_of,
    record_error,
)
from reconciler.apply.journal import Journal
from reconciler.apply.options import (
    DEFAULT_DNC_BATCH_SIZE,
    DEFAULT_TIMEOUT,
    ApplyOptions,
    ClientLike,
)
from reconciler.apply.rows import (
    FILENAME_PREFIX,
    TEMPLATE_COLUMNS,
    DncOp,
    UserRow,
    _map_error,
    dnc_ops,
    job_filename,
    user_row,
)
from reconciler.apply.run import apply_plan, enforce_safety, now_utc

__all__ = [
    "DEFAULT_DNC_BATCH_SIZE",
    "DEFAULT_TIMEOUT",
    "FILENAME_PREFIX",
    "TEMPLATE_COLUMNS",
    "ApplyOptions",
    "ApplyRefused",
    "ApplyTimeout",
    "ClientLike",
    "DncOp",
    "JobDriver",
    "Journal",
    "StalePlanError",
    "UserRow",
    "_map_error",
    "_proceed",
    "apply_plan",
    "dnc_ops",
    "enforce_safety",
    "job_filename",
    "now_utc",
    "outcome_of",
    "record_error",
    "run_dnc",
    "run_user_job",
    "user_row",
    "wait_for_view",
]
