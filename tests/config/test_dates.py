"""DNC expiry dates at the edges of the calendar, in any offset: accepted (and then usable by
every later stage) or a located error; never a traceback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.config import load_config_sources
from reconciler.errors import ConfigError
from reconciler.platform.models import format_dnc_time, parse_api_datetime
from reconciler.render.text import fmt_time
from reconciler.state import Location

NOW = datetime(2026, 6, 1, tzinfo=UTC)
EDGES = [datetime.min, datetime.max, datetime(1970, 1, 1), datetime(9999, 12, 31, 23, 59, 59)]
naive = st.one_of(
    st.sampled_from(EDGES),
    st.datetimes(min_value=datetime(9999, 12, 30), max_value=datetime.max),
    st.datetimes(min_value=datetime.min, max_value=datetime(1, 1, 2)),
    st.datetimes(),
)
offsets = st.one_of(
    st.none(),
    st.sampled_from([-1439, -300, 0, 330, 840, 1439]),
    st.integers(min_value=-1439, max_value=1439),
)
styles = st.sampled_from(["iso", "iso-seconds", "api", "z", "space"])


def _text(value: datetime, offset: int | None, style: str) -> str:
    if offset is None or style in ("api", "z"):
        base = value.replace(microsecond=0)
        if style == "api":
            return base.strftime("%Y-%m-%d %H:%M:%S").zfill(19) + " UTC"
        if style == "z":
            return base.isoformat() + "Z"
        return base.isoformat()
    aware = value.replace(tzinfo=timezone(timedelta(minutes=offset)))
    if style == "space":
        return aware.isoformat(sep=" ")
    return aware.isoformat(timespec="seconds" if style == "iso-seconds" else "auto")


def _load(text: str) -> datetime | ConfigError:
    doc = f"dnc:\n  - phone_number: '+14155550100'\n    expires_at: '{text}'\n"
    try:
        state = load_config_sources([("c.yaml", doc.encode())], now=NOW).state
    except ConfigError as err:
        return err
    expires = state.dnc["+14155550100"].expires_at
    assert expires is not None
    return expires


@settings(max_examples=300, deadline=None)
@given(naive, offsets, styles)
def test_any_date_in_any_offset_is_accepted_or_a_located_error(
    value: datetime, offset: int | None, style: str
) -> None:
    text = _text(value, offset, style)
    got = _load(text)
    if isinstance(got, ConfigError):
        [diag] = got.diagnostics
        assert diag.loc == Location("c.yaml", 3, 17)
        assert diag.message.startswith(f"dnc entry '+14155550100': expires_at '{text}' is ")
        assert "supported" in diag.message
        return
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)
    if offset is not None and style not in ("api", "z"):
        want = value.replace(tzinfo=timezone(timedelta(minutes=offset)))
        assert got == (want.replace(microsecond=0) if style == "iso-seconds" else want)
    # every later stage can use it: the plan's text, the API's format (read back the same)
    assert fmt_time(got).endswith(" UTC")
    if got.year >= 1000:
        assert parse_api_datetime(format_dnc_time(got)) == got.replace(microsecond=0)


def test_the_last_instant_is_accepted_in_utc_and_refused_west_of_it() -> None:
    assert _load("9999-12-31T23:59:59Z") == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert _load("9999-12-31 23:59:59 UTC") == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert _load("9999-12-31T23:59:59+05:00") == datetime(9999, 12, 31, 18, 59, 59, tzinfo=UTC)
    assert isinstance(_load("9999-12-31T23:59:59-05:00"), ConfigError)
    assert isinstance(_load("0001-01-01T00:00:00+00:01"), ConfigError)
    assert _load("0001-01-01T00:00:00-00:01") == datetime(1, 1, 1, 0, 1, tzinfo=UTC)
