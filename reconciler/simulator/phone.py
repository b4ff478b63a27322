"""Phone-number rules of the DNC endpoints, with phonenumbers (the platform's own strictness:
``is_possible_number``, not ``is_valid_number``; numbers without ``+`` are read as US)."""

from __future__ import annotations

import phonenumbers
from phonenumbers import shortnumberinfo

INVALID = "phone_number is invalid"
EMERGENCY = "emergency phone number is not allowed"


class PhoneError(ValueError):
    pass


def normalize(raw: object, region: str = "US") -> str:
    """E.164 form of ``raw``; raises :class:`PhoneError` with the platform's message."""
    if not isinstance(raw, str) or not raw.strip():
        raise PhoneError(INVALID)
    try:
        num = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as err:
        raise PhoneError(INVALID) from err
    nsn = phonenumbers.national_significant_number(num)
    if num.country_code is None:
        raise PhoneError(INVALID)
    num_region = phonenumbers.region_code_for_country_code(num.country_code)
    if shortnumberinfo.is_emergency_number(nsn, num_region):
        raise PhoneError(EMERGENCY)
    if not phonenumbers.is_possible_number(num):
        raise PhoneError(INVALID)
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
