"""One base exception per concern, so callers catch by meaning (as octoDNS does).

Every exception the CLI can show derives from :class:`ReconcilerError`; the CLI prints its
message (never a traceback) and exits 1. Messages must never contain the API token.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reconciler.state import Location


class ReconcilerError(Exception):
    """Base of every error the user may see.

    ``diagnostics``: the located problems behind it (each printed on its own line as
    ``path:line:col: error: message``); the message, when there is one, is a headline printed
    first as ``error: message``.
    """

    def __init__(self, message: str = "", diagnostics: Sequence[Diagnostic] = ()) -> None:
        self.headline = message
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        lines = [f"error: {message}"] if message and self.diagnostics else []
        lines += [str(d) for d in self.diagnostics]
        super().__init__("\n".join(lines) if self.diagnostics else message)

    def lines(self) -> list[str]:
        """The error as printed for people: every line ``[path:line:col: ]severity: message``."""
        if not self.diagnostics:
            return [f"error: {self}"]
        head = [f"error: {self.headline}"] if self.headline else []
        return head + [str(d) for d in self.diagnostics]


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
            file = _escape_property(self.loc.file)
            props = f" file={file},line={self.loc.line},col={self.loc.col}"
        return f"::{level}{props}::{_escape_data(self.message)}"


def _escape_data(text: str) -> str:
    """A workflow command's message (GitHub's ``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """A workflow command's property value (GitHub's ``escapeProperty``)."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


class ConfigError(ReconcilerError):
    """The config is invalid. Carries every problem found, not only the first."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__("", diagnostics)

    def lines(self) -> list[str]:
        n = sum(1 for d in self.diagnostics if d.severity == "error")
        return [*super().lines(), f"{n} error{'s' if n != 1 else ''} in the configuration."]


class PlatformError(ReconcilerError):
    """The tenant API failed or refused (see reconciler.platform.errors for subclasses)."""


class PlanError(ReconcilerError):
    """The plan cannot be made (e.g. a role the tenant does not have)."""


class ApplyError(ReconcilerError):
    """Apply refused or failed."""


def read_text_file(path: Path, fail: Callable[[str], Exception]) -> str:
    """The UTF-8 text of ``path``; when it cannot be read, raises ``fail(why)`` (why: the
    operating system's words, or the decoding error) without the original exception chained."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        why = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise fail(why) from None
