"""One base exception per concern, so callers catch by meaning (as octoDNS does).

Every exception the CLI can show derives from :class:`ReconcilerError`; the CLI prints its
message (never a traceback) and exits 1. Messages must never contain the API token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reconciler.state import Location


class ReconcilerError(Exception):
    """Base of every error the user may see."""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in the config (or mapped back to it), printable as
    ``path:line:col: error: message``."""

    message: str
    loc: Location | None = None
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.loc}: " if self.loc else ""
        return f"{where}{self.severity}: {self.message}"

    def github(self) -> str:
        """A GitHub Actions workflow command (annotation)."""
        level = "error" if self.severity == "error" else "warning"
        props = ""
        if self.loc:
            props = f" file={self.loc.file},line={self.loc.line},col={self.loc.col}"
        msg = self.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return f"::{level}{props}::{msg}"


class ConfigError(ReconcilerError):
    """The config is invalid. Carries every problem found, not only the first."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


class PlatformError(ReconcilerError):
    """The tenant API failed or refused (see reconciler.platform.errors for subclasses)."""


class PlanError(ReconcilerError):
    """The plan cannot be made (e.g. a role the tenant does not have)."""


class ApplyError(ReconcilerError):
    """Apply refused or failed."""
