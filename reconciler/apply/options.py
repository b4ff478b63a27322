"""What an apply run is given: its options and the client it talks to."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from reconciler.apply.journal import Journal
from reconciler.render.jobprogress import JobProgress

DEFAULT_TIMEOUT = 30 * 60.0
DEFAULT_DNC_BATCH_SIZE = 500


class ClientLike(Protocol):
    calls: Any

    def jobs(self) -> Sequence[Any]: ...
    def job(self, job_id: int) -> Any: ...
    def upload(self, rows: list[dict[str, Any]], filename: str) -> Any: ...
    def replace_upload(self, job_id: int, rows: list[dict[str, Any]], filename: str) -> Any: ...
    def proceed(self, job_id: int) -> Any: ...
    def scheme_errors(self, job_id: int) -> Sequence[Any]: ...
    def update_errors(self, job_id: int) -> Sequence[Any]: ...
    def dnc_add(self, contacts: list[Any]) -> Sequence[Any]: ...
    def dnc_remove(self, numbers: list[str]) -> Sequence[Any]: ...


@dataclass(slots=True)
class ApplyOptions:
    timeout: float = DEFAULT_TIMEOUT
    dnc_batch_size: int = DEFAULT_DNC_BATCH_SIZE
    reassert_dnc: bool = False
    allow_mass_changes: bool = False
    allow_no_admin: bool = False
    # A saved plan (``apply PLAN.json``): re-check the live fingerprint before changing anything.
    saved_plan: bool = False
    now: datetime | None = None  # for "unexpired" in --reassert-dnc
    poll_initial: float = 1.0
    poll_max: float = 10.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    progress: JobProgress | None = None
    journal: Journal | None = None
    # Called at each stage with (stage, details); raising stops the driver there (tests).
    on_stage: Callable[[str, dict[str, Any]], None] | None = None
    # The end of --timeout, set by the first wait and shared by the later ones until reset
    # (``apply -c`` resets it once the plan is made: planning is not waiting).
    deadline: float | None = None
