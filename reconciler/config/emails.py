"""Email address checks: a fast exact path for plain addresses, email-validator for the rest."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

# An ASCII dot-atom local part (RFC 5322 3.2.3): always valid; anything else goes through
# email-validator in full.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


class EmailCheck:
    """Checks addresses for one load, remembering the domains email-validator accepted."""

    def __init__(self) -> None:
        self._domains: set[str] = set()

    def check(self, raw: str) -> tuple[str | None, str | None]:
        """``(address lower-cased, None)`` if ``raw`` is valid, else ``(None, why)``."""
        text = raw.strip()
        local, _, domain = text.rpartition("@")
        domain = domain.lower()
        if (
            domain in self._domains
            and len(text) <= 254
            and len(local) <= 64
            and _DOT_ATOM.fullmatch(local)
        ):
            return _lower(text), None  # the plain case email-validator always accepts
        try:
            validate_email(text, check_deliverability=False)
            self._domains.add(domain)
        except EmailNotValidError as err:
            return None, f"'{text}' is not a valid email address: {err}"
        return _lower(text), None


def _lower(text: str) -> str:
    """``text.lower()``, the same object when already lower-case (the address as written is
    kept too: 50,000 users would hold each address twice)."""
    low = text.lower()
    return text if low == text else low
