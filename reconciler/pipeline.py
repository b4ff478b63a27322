"""The planning pipeline shared by ``plan`` and ``apply``: given the loaded config, load the base
config from git, fetch the live state (template + only the DNC checks needed), diff into a
complete, frozen :class:`~reconciler.plan.Plan`.

Config errors (and a bad ``--base-ref``) raise before any API call; what the template alone
proves wrong (roles or teams the tenant lacks, impossible renames: every error of the diff)
raises right after the template, before the first DNC check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler import gitref
from reconciler.config import LoadResult, load_config_sources
from reconciler.diff import diff
from reconciler.errors import ConfigError, PlanError
from reconciler.live import fetch_dnc, fetch_live
from reconciler.plan import Plan, PlanOrigin
from reconciler.refresh import (
    REFRESH_MODES,
    Refresh,
    numbers_changed,
    numbers_to_check,
    rotation,
    rotation_slot,
)
from reconciler.state import DesiredState

__all__ = ["PlanRequest", "Refresh", "compute_plan", "load_base"]


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """What a plan is asked for beyond the config: the base (``--base-ref``) and the DNC checks
    (``--refresh``, ``--refresh-budget``, ``--refresh-slot``), the same for plan and apply."""

    base_ref: str | None = None
    refresh: Refresh = "git"
    refresh_budget: int | None = None
    refresh_slot: int | None = None

    @classmethod
    def from_options(
        cls,
        base_ref: str | None,
        refresh: str,
        refresh_budget: int | None,
        refresh_slot: int | None,
    ) -> PlanRequest:
        """From the click values (``refresh`` already one of the choices; an empty
        ``--base-ref``/CCAI_BASE_REF means none)."""
        return cls(base_ref or None, REFRESH_MODES[refresh], refresh_budget, refresh_slot)


def load_base(
    config_paths: Sequence[str],
    base_ref: str,
    *,
    now: datetime,
    current: LoadResult | None = None,
) -> DesiredState:
    """The config as it was at ``base_ref`` (empty if it did not exist there).

    ``current``: the config as loaded from the working tree. When the base has the same files
    with the same bytes (the usual case for a scheduled plan or an apply with nothing new), the
    base *is* that state, and parsing it again is skipped (about 4 s for 50,000 users)."""
    sources = gitref.read_config_at(base_ref, list(config_paths))
    if not sources:
        return DesiredState()
    if current is not None and _unchanged(sources, current.state.files):
        return current.state
    try:
        return load_config_sources(sources, now=now).state
    except ConfigError as err:
        raise PlanError(
            f"the config at --base-ref {base_ref} is invalid, so it cannot serve as the base "
            "(use another base ref, e.g. the last commit that was applied):",
            err.diagnostics,
        ) from None


def _unchanged(sources: Sequence[tuple[str, bytes]], files: Sequence[str]) -> bool:
    """Whether the working tree's config files are exactly ``sources`` (names and bytes)."""
    if [name for name, _ in sources] != list(files):
        return False
    try:
        return all(Path(name).read_bytes() == content for name, content in sources)
    except OSError:
        return False


def compute_plan(
    loaded: LoadResult,
    client: Any,
    *,
    config_paths: Sequence[str | Path] = (".",),
    request: PlanRequest | None = None,
    base_state: DesiredState | None = None,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Plan:
    """Fetch what the plan needs and diff: the config ``loaded`` from ``config_paths`` (the
    ``-c`` paths, which also locate the config at ``base_ref`` in git) against the tenant.

    ``base_state``: the base already loaded (one tenant's, by the caller); otherwise it is read
    from git at ``base_ref``.

    API calls: one template GET, plus one DNC check per number that
    :func:`reconciler.refresh.numbers_to_check` selects (none with a base ref and the default
    ``refresh="git"``: the numbers changed since the base are planned from git alone, as
    upserts and removals). ``request.refresh_budget``: also check that many declared numbers, the
    window of the rotation that ``refresh_slot`` (default: the UTC day) selects
    (:func:`reconciler.refresh.rotation`); without a base ref the budget replaces the check of
    every declared number, with ``refresh="all"`` it is refused. Before those checks the config
    is diffed against the template alone, so that an error the template already proves (an
    unknown role, an impossible rename) costs one call, not one per declared number.
    """
    request = request or PlanRequest()
    base_ref, refresh = request.base_ref, request.refresh
    refresh_budget, refresh_slot = request.refresh_budget, request.refresh_slot
    now = now or datetime.now(UTC)
    paths = [str(p) for p in config_paths] or ["."]
    base = base_state
    if base is None and base_ref:
        base = load_base(paths, base_ref, now=now, current=loaded)
    rotated = None
    if refresh_budget is not None:
        if refresh == "all":
            raise PlanError(
                "--refresh-budget checks a rotating share of the DNC numbers; "
                "--refresh all checks every one: choose one of them"
            )
        slot = rotation_slot(now) if refresh_slot is None else refresh_slot
        window, rotated = rotation(
            loaded.state, refresh_budget, slot=slot, now=now, slot_is_day=refresh_slot is None
        )
        checks = (
            [] if base is None else numbers_to_check(loaded.state, base, refresh=refresh, now=now)
        )
        numbers = sorted(set(checks) | set(window))
    else:
        numbers = numbers_to_check(loaded.state, base, refresh=refresh, now=now)
    from_git = []
    if base is not None and refresh == "git":
        from_git = numbers_changed(loaded.state, base, now=now)
    origin = PlanOrigin(
        created_at=now,
        config_commit=gitref.head_commit(paths),
        tenant=getattr(client, "subdomain", None),
        config_paths=tuple(paths),
        dnc_rotation=rotated,
    )
    live = fetch_live(client, (), progress=progress)
    if numbers:
        # Raises PlanError for what the template proves wrong; the DNC part is not known yet.
        diff(loaded.state, live, base=base, now=now, base_ref=base_ref)
        fetch_dnc(client, live, numbers, progress=progress)
    return diff(
        loaded.state, live, base=base, now=now, base_ref=base_ref, from_git=from_git, origin=origin
    )
