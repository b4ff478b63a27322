"""Phone numbers for the company DNC list: parse, check, normalise to E.164.

Exactly as strict as the platform and no stricter: a number must be *possible*
(``phonenumbers.is_possible_number``: right length for its country), not *valid*
(``is_valid_number`` also wants an assigned area code and exchange; the platform accepts
"+1-(358)-213-1634", which has neither). Emergency numbers (911, 112, ...) are refused.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import phonenumberutil as pnu
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
    fast = _canonical_e164(text)
    if fast is not None:
        return fast
    return _normalize_exact(text, region)


def _normalize_exact(text: str, region: str) -> str:
    """:func:`normalize_phone` for any stripped text: phonenumbers' generic parse."""
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


# Already E.164 in ASCII digits: '+', a digit other than 0, at least two more (a shorter one
# the generic parse refuses: TOO_SHORT_AFTER_IDD) and at most 17 for the national number.
_E164_SHAPE = re.compile(r"\+[1-9][0-9]{2,19}")
_POSSIBLE = (pnu.ValidationResult.IS_POSSIBLE, pnu.ValidationResult.IS_POSSIBLE_LOCAL_ONLY)
_NOT_POSSIBLE = (
    pnu.ValidationResult.TOO_SHORT,
    pnu.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    pnu.ValidationResult.INVALID_LENGTH,
)


def _canonical_e164(text: str) -> str | None:
    """:func:`normalize_phone` of a possible number already written as E.164 (``+`` and ASCII
    digits), else ``None`` (the caller takes the exact path, which reports every error).

    The steps ``phonenumbers.parse`` takes for such a text, less its handling of every other
    way to write a number (RFC 3966, extensions, punctuation, other digits, IDD prefixes):
    the country code as its ``_extract_country_code`` reads it, the national prefix stripped
    as it strips it, then is_possible_number's length test and format_number's E.164. No
    emergency check: the generic one never matches a number written with '+'.
    tests/test_phone_fast.py holds this to the exact path.
    """
    if not _E164_SHAPE.fullmatch(text):
        return None
    country_code, national = pnu._extract_country_code(text[1:])
    if country_code == 0 or len(national) < pnu._MIN_LENGTH_FOR_NSN:
        return None
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
        country_code, pnu.region_code_for_country_code(country_code)
    )
    if metadata is None:
        return None
    _, stripped, _ = pnu._maybe_strip_national_prefix_carrier_code(national, metadata)
    if pnu._test_number_length(stripped, metadata) not in _NOT_POSSIBLE:
        national = stripped
    if not pnu._MIN_LENGTH_FOR_NSN <= len(national) <= pnu._MAX_LENGTH_FOR_NSN:
        return None
    # parse then keeps the digits as they are: the national number as an int, its leading
    # zeros counted (_set_italian_leading_zeros_for_phone_number), and
    # national_significant_number writes them back: the same string (no PhoneNumber needed).
    significant = national
    if pnu._test_number_length(significant, metadata) not in _POSSIBLE:
        return None  # (is_possible_number, on the same metadata)
    return f"+{country_code}{significant}"  # (format_number's E.164)


def is_supported_region(region: str) -> bool:
    """Whether ``region`` is a two-letter region code phonenumbers knows (e.g. "US", "GB")."""
    return region.upper() in phonenumbers.SUPPORTED_REGIONS
