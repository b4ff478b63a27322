"""normalize_phone's shortcut for text already in E.164 gives exactly what the generic
phonenumbers parse gives: the same number or the same error, for every country calling code,
every national length, leading zeros, national prefixes, metadata example numbers and the
numbers of the config tests."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumberType

from reconciler import phone

ROOT = Path(__file__).resolve().parents[1]
REGIONS = ("US", "GB", "IT", "BR", "ZZ")


def _outcome(fn: object, *args: str) -> str:
    try:
        return "ok " + fn(*args)  # type: ignore[operator]
    except ValueError as err:
        return f"error {err}"


def _compare(texts: Iterable[str]) -> tuple[int, list[tuple[str, str, str, str]]]:
    """(how many took the shortcut, the differences)."""
    fast, wrong = 0, []
    for text in texts:
        fast += phone._canonical_e164(text.strip()) is not None
        for region in REGIONS:
            got = _outcome(phone.normalize_phone, text, region)
            want = _outcome(phone._normalize_exact, text.strip(), region.upper())
            if got != want:
                wrong.append((text, region, got, want))
    return fast, wrong


def _nsns() -> dict[int, set[str]]:
    """National significant numbers of every type, for every calling code (metadata
    examples), with leading zeros where the metadata has them."""
    found: dict[int, set[str]] = {cc: set() for cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE}
    regions = [*phonenumbers.SUPPORTED_REGIONS]
    for region in regions:
        for kind in PhoneNumberType.values():
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                nsn = phonenumbers.national_significant_number(number)
                found[number.country_code].add(nsn)
    for cc in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        number = phonenumbers.example_number_for_non_geo_entity(cc)
        if number is not None:
            found[cc].add(phonenumbers.national_significant_number(number))
    return found


def test_every_calling_code_every_length_and_the_examples() -> None:
    rnd = random.Random(12)
    texts = []
    prefixes = {
        cc: {
            m.national_prefix or ""
            for r in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[cc]
            if (m := phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(cc, r))
        }
        for cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE
    }
    for cc, nsns in _nsns().items():
        for nsn in nsns:
            for prefix in prefixes[cc] | {"", "0", "00", "1"}:
                texts.append(f"+{cc}{prefix}{nsn}")
            texts.append(f"+{cc}{nsn[:-1]}")
            texts.append(f"+{cc}{nsn}0")
        for length in range(0, 20):
            for lead in ("", "0", "00", "1", "9"):
                digits = "".join(rnd.choice("0123456789") for _ in range(length))
                texts.append(f"+{cc}{lead}{digits}"[: 1 + len(str(cc)) + length])
    fast, wrong = _compare(texts)
    assert not wrong, wrong[:5]
    assert fast > len(texts) // 5  # the shortcut is really taken


def test_unknown_calling_codes_and_odd_shapes() -> None:
    texts = [
        f"+{prefix}{rest}"
        for prefix in map(str, range(1000))
        for rest in ("", "5", "55", "4155550100", "20718387500", "0" * 12)
    ]
    texts += ["+", "+0", "+00", "++14155550100", " +14155550100 ", "+14155550100\n", "+1415555010a"]
    texts += ["+１4155550100", "+1٤155550100", "+1 415 555 0100", "+1-415-555-0100"]
    texts += ["+1911", "+44112", "+4415", "+39" + "0" * 10, "+390612345678", "+3906" + "9" * 14]
    _, wrong = _compare(texts)
    assert not wrong, wrong[:5]


def test_the_numbers_of_the_config_tests() -> None:
    found = set()
    for path in [*(ROOT / "tests").rglob("*.py"), *(ROOT / "tests").rglob("*.yaml")]:
        for match in re.finditer(r"\+?[0-9][0-9 ().-]{2,}[0-9]", path.read_text(encoding="utf-8")):
            found.add(match.group())
    assert len(found) > 50
    fast, wrong = _compare(sorted(found))
    assert not wrong, wrong[:5]
    assert fast > 10


def test_random_e164_numbers() -> None:
    rnd = random.Random(7)
    texts = [
        "+" + str(rnd.randint(1, 9)) + "".join(rnd.choice("0123456789") for _ in range(n))
        for n in (rnd.randint(2, 19) for _ in range(20_000))
    ]
    fast, wrong = _compare(texts)
    assert not wrong, wrong[:5]
    assert fast > 1000


def test_the_significant_number_is_the_national_digits_as_written() -> None:
    """What _canonical_e164 relies on instead of building a PhoneNumber: parse's int and its
    counted leading zeros give back the digits as written, zeros and all."""
    import itertools

    import phonenumbers
    from phonenumbers import phonenumberutil as pnu

    for n in range(1, 8):
        for digits in itertools.product("0019", repeat=n):
            national = "".join(digits)
            number = phonenumbers.PhoneNumber(country_code=39)
            pnu._set_italian_leading_zeros_for_phone_number(national, number)
            number.national_number = int(national)
            assert phonenumbers.national_significant_number(number) == national
