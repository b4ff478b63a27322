"""Pure helpers of the simulator: phone rules, time formats, concurrency of the tenant."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from reconciler.simulator import SimulatorHandle
from reconciler.simulator.clock import Clock, dnc_time, job_time, parse_instant
from reconciler.simulator.phone import EMERGENCY, INVALID, PhoneError, normalize

from .simhelpers import post_json


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+1-7187309219", "+17187309219"),
        ("+1-(358)-213-1634", "+13582131634"),  # possible, not valid: accepted like the platform
        ("1-415-111-1111", "+14151111111"),
        ("(415) 111-1111", "+14151111111"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_normalize(raw: str, e164: str) -> None:
    assert normalize(raw) == e164


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("sssssss", INVALID),
        ("1-415-333-333-3333", INVALID),
        ("", INVALID),
        (None, INVALID),
        (4151111111, INVALID),
        ("911", EMERGENCY),
        ("+1 911", EMERGENCY),
        ("+44 999", EMERGENCY),
    ],
)
def test_normalize_errors(raw: object, message: str) -> None:
    with pytest.raises(PhoneError, match=f"^{message}$"):
        normalize(raw)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-10-29 00:00:00 UTC", datetime(2022, 10, 29, tzinfo=UTC)),
        ("2022-10-29T00:00:00Z", datetime(2022, 10, 29, tzinfo=UTC)),
        ("2022-10-29T02:00:00+02:00", datetime(2022, 10, 29, tzinfo=UTC)),
        ("2022-10-29", datetime(2022, 10, 29, tzinfo=UTC)),
        (
            "2023-08-05 22:02:36.362009 +0000",
            datetime(2023, 8, 5, 22, 2, 36, 362009, tzinfo=UTC),
        ),
    ],
)
def test_parse_instant(text: str, expected: datetime) -> None:
    assert parse_instant(text) == expected


def test_time_formats_and_clock() -> None:
    dt = datetime(2022, 1, 7, 6, 6, 45, 123456, tzinfo=UTC)
    assert job_time(dt) == "2022-01-07T06:06:45.123Z"
    assert dnc_time(dt) == "2022-01-07 06:06:45.123456 +0000"
    assert job_time(None) is None and dnc_time(None) is None
    with pytest.raises(ValueError):
        parse_instant("next tuesday")
    clock = Clock(datetime(2022, 10, 28))  # naive means UTC
    assert clock.start == datetime(2022, 10, 28, tzinfo=UTC)
    a = clock.now()
    assert a.tzinfo is not None and a >= clock.start and clock.now() >= a
    assert abs((Clock().now() - datetime.now(UTC)).total_seconds()) < 5


def test_concurrent_requests_all_apply(sim: SimulatorHandle) -> None:
    errors: list[BaseException] = []

    def add(worker: int) -> None:
        try:
            for i in range(10):
                body = {"contacts": [{"phone_number": f"+1415555{worker:02d}{i:02d}"}]}
                assert post_json(sim, "outbound_dialer/dnc", body).json()[0]["status"] == "created"
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=add, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert len(sim.tenant.dnc_snapshot()) == 80
    assert len(sim.requests) == 80
