"""The one date-and-time parser of config values (DNC ``expires_at``)."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_datetime(text: str) -> datetime:
    """The API's format ("2022-10-29 00:00:00 UTC") or ISO 8601; naive means UTC."""
    s = text.strip()
    for suffix in (" UTC", " utc", "UTC", " Z", " +0000", " +00:00"):
        if s.endswith(suffix):
            s = s[: -len(suffix)].strip() + "+00:00"
            break
    try:
        value = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(
            f"'{text}' is not a date and time; write '2027-01-31 00:00:00 UTC' or ISO 8601 "
            "('2027-01-31T00:00:00Z')"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-05:00 is in the year 10000 in UTC
        late = value.year == datetime.max.year
        raise ValueError(
            f"'{text}' is {'after' if late else 'before'} "
            f"{'9999-12-31 23:59:59' if late else '0001-01-01 00:00:00'} UTC, the "
            f"{'last' if late else 'first'} date and time supported; "
            + (
                "write an earlier one, or leave expires_at out for an entry that never expires"
                if late
                else "write a later one"
            )
        ) from None
