"""Phone numbers for the company DNC list: parse, check, normalise to E.164.

Exactly as strict as the platform and no stricter: a number must be *possible*
(``phonenumbers.is_possible_number``: right length for its country), not *valid*
(``is_valid_number`` also wants an assigned area code and exchange; the platform accepts
"+1-(358)-213-1634", which has neither). Emergency numbers (911, 112, ...) are refused.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import shortnumberinfo

INVALID = "phone_number is invalid"
EMERGENCY = "emergency phone number is not allowed"


def normalize_phone(raw: str, region: str = "US") -> str:
    """Return ``raw`` as E.164 (``+14155550100``).

    ``region`` is used for numbers written without a ``+`` country code. Raises ``ValueError``
    with the platform's own messages: "phone_number is invalid" or "emergency phone number is
    not allowed".
    """
    if not isinstance(raw, str):
        raise ValueError(INVALID)
    text = raw.strip()
    if not text or len(text) > 64:
        raise ValueError(INVALID)
    region = region.upper()
    try:
        if shortnumberinfo.is_emergency_number(text, region):
            raise ValueError(EMERGENCY)
    except ValueError:
        raise
    except Exception as err:  # phonenumbers on odd input: treat as not a number
        raise ValueError(INVALID) from err
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as err:
        raise ValueError(INVALID) from err
    if number.extension or not phonenumbers.is_possible_number(number):
        raise ValueError(INVALID)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_supported_region(region: str) -> bool:
    """Whether ``region`` is a two-letter region code phonenumbers knows (e.g. "US", "GB")."""
    return region.upper() in phonenumbers.SUPPORTED_REGIONS
