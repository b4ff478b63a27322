"""normalize_phone: exactly as strict as the platform (the reference's DNC examples)."""

from __future__ import annotations

import pytest

from reconciler.phone import is_supported_region, normalize_phone


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        # the reference's own examples, accepted by the platform
        ("+1-7187309219", "US", "+17187309219"),
        ("+1-(358)-213-1634", "US", "+13582131634"),  # unassigned area code: possible, not valid
        ("+1-4151113333", "US", "+14151113333"),  # 111 exchange: possible, not valid
        ("+1-4151115555", "US", "+14151115555"),
        ("1-415-111-1111", "US", "+14151111111"),
        # national formats use the region
        ("(415) 555-0100", "US", "+14155550100"),
        ("415.555.0100", "us", "+14155550100"),
        ("020 7183 8750", "GB", "+442071838750"),
        ("+44 20 7183 8750", "US", "+442071838750"),
        ("  +14155550100  ", "US", "+14155550100"),
    ],
)
def test_accepted(raw: str, region: str, expected: str) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "sssssss",  # the reference's example of an invalid number
        "1-415-333-333-3333",  # too long
        "415555",  # too short
        "",
        "   ",
        "+",
        "+1 415 555 0100 ext. 2",  # the DNC list has no extensions
        "1" * 100,
    ],
)
def test_invalid(raw: str) -> None:
    with pytest.raises(ValueError, match=r"^phone_number is invalid$"):
        normalize_phone(raw)


@pytest.mark.parametrize(("raw", "region"), [("911", "US"), ("112", "US"), ("999", "GB")])
def test_emergency(raw: str, region: str) -> None:
    with pytest.raises(ValueError, match=r"^emergency phone number is not allowed$"):
        normalize_phone(raw, region)


def test_default_region_is_us() -> None:
    assert normalize_phone("4155550100") == "+14155550100"


def test_not_a_string() -> None:
    with pytest.raises(ValueError, match="phone_number is invalid"):
        normalize_phone(4155550100)  # type: ignore[arg-type]


def test_regions() -> None:
    assert is_supported_region("US") and is_supported_region("gb")
    assert not is_supported_region("XX")
