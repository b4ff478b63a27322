"""The reference's "Company Do Not Call (DNC) list" examples, replayed exactly."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.simulator import SimulatorHandle

from .simhelpers import get, post_json

NOW = datetime(2022, 10, 28, tzinfo=UTC)  # between the example's two expiry dates

ADD_REQUEST = {
    "contacts": [
        {"phone_number": "+1-7187309219", "expires_at": "2022-10-29 00:00:00 UTC"},
        {"phone_number": "+1-(358)-213-1634"},
        {"phone_number": "+1-4151113333", "expires_at": "2022-10-30 00:00:00 UTC"},
        {"phone_number": "+1-4151115555"},
        {"phone_number": "+1-7187309219", "expires_at": "2022-10-27 00:00:00 UTC"},
        {"phone_number": "sssssss"},
        {"phone_number": "911", "expires_at": "2023-02-05 00:00:00 UTC"},
    ]
}

ADD_RESPONSE = [
    {"phone_number": "+1-7187309219", "expires_at": "2022-10-29 00:00:00 UTC", "status": "created"},
    {"phone_number": "+1-(358)-213-1634", "status": "created"},
    {"phone_number": "+1-4151113333", "expires_at": "2022-10-30 00:00:00 UTC", "status": "updated"},
    {"phone_number": "+1-4151115555", "status": "updated"},
    {
        "phone_number": "+1-7187309219",
        "expires_at": "2022-10-27 00:00:00 UTC",
        "error": "expires_at cannot be past date/time",
        "status": "failed",
    },
    {"phone_number": "sssssss", "error": "phone_number is invalid", "status": "failed"},
    {
        "phone_number": "911",
        "expires_at": "2023-02-05 00:00:00 UTC",
        "error": "emergency phone number is not allowed",
        "status": "failed",
    },
]


def _seed(dnc: list[dict[str, object]]) -> dict[str, object]:
    return {"roles": ["Agent"], "teams": [], "users": [], "dnc": dnc}


def test_add_example_replays_exactly(sim_factory) -> None:
    sim = sim_factory(
        _seed(
            [
                {"phone_number": "+1-4151113333", "expires_at": None},
                {"phone_number": "+14151115555", "expires_at": "2022-12-01T00:00:00Z"},
            ]
        ),
        now=NOW,
    )
    r = post_json(sim, "outbound_dialer/dnc", ADD_REQUEST)
    assert r.status_code == 200
    assert r.text and r.json() == ADD_RESPONSE
    assert [list(x) for x in r.json()] == [list(x) for x in ADD_RESPONSE]  # key order too
    assert sim.tenant.dnc_snapshot() == {
        "+14151113333": datetime(2022, 10, 30, tzinfo=UTC),
        "+14151115555": None,  # "updated" without expires_at: never expires now
        "+17187309219": datetime(2022, 10, 29, tzinfo=UTC),
        "+13582131634": None,
    }


def test_remove_example(sim_factory) -> None:
    sim = sim_factory(_seed([{"phone_number": "+14151111111", "expires_at": None}]))
    r = post_json(
        sim,
        "outbound_dialer/dnc/remove",
        {"phone_numbers": ["1-415-111-1111", "1-415-222-2222", "1-415-333-333-3333"]},
    )
    assert r.status_code == 200
    assert r.json() == [
        {"phone_number": "1-415-111-1111", "status": "removed"},
        {"phone_number": "1-415-222-2222", "status": "not_found"},
        {
            "phone_number": "1-415-333-333-3333",
            "status": "failed",
            "error": "phone_number is invalid",
        },
    ]
    assert sim.tenant.dnc_snapshot() == {}


def test_check_example(sim_factory) -> None:
    sim = sim_factory(
        _seed([{"phone_number": "+14151111111", "expires_at": "2023-08-05T22:02:36.362009Z"}]),
        now=datetime(2023, 8, 1, tzinfo=UTC),
    )
    r = get(sim, "outbound_dialer/dnc/check", params={"phone_number": "1-415-111-1111"})
    assert r.status_code == 200
    assert r.json() == {
        "phone_number": "1-415-111-1111",
        "expired_at": "2023-08-05 22:02:36.362009 +0000",
        "do_not_call": True,
    }


def test_check_expired_unlisted_and_never_expiring(sim_factory) -> None:
    sim = sim_factory(
        _seed(
            [
                {"phone_number": "+14151111111", "expires_at": "2022-10-27 00:00:00 UTC"},
                {"phone_number": "+14152222222", "expires_at": None},
            ]
        ),
        now=NOW,
    )
    check = "outbound_dialer/dnc/check"
    assert get(sim, check, params={"phone_number": "+1 415 111 1111"}).json() == {
        "phone_number": "+1 415 111 1111",
        "expired_at": "2022-10-27 00:00:00.000000 +0000",
        "do_not_call": False,
    }
    assert get(sim, check, params={"phone_number": "4152222222"}).json() == {
        "phone_number": "4152222222",
        "expired_at": None,
        "do_not_call": True,
    }
    assert get(sim, check, params={"phone_number": "4153333333"}).json() == {
        "phone_number": "4153333333",
        "expired_at": None,
        "do_not_call": False,
    }


def test_check_and_add_errors(sim: SimulatorHandle) -> None:
    check = "outbound_dialer/dnc/check"
    r = get(sim, check, params={"phone_number": "sssssss"})
    assert (r.status_code, r.json()) == (400, {"message": "phone_number is invalid"})
    r = get(sim, check, params={"phone_number": "911"})
    assert (r.status_code, r.json()) == (400, {"message": "emergency phone number is not allowed"})
    r = get(sim, check)
    assert (r.status_code, r.json()) == (400, {"message": "phone_number is required"})
    r = post_json(sim, "outbound_dialer/dnc", {"numbers": []})
    assert (r.status_code, r.json()) == (400, {"message": "contacts is required"})
    r = post_json(sim, "outbound_dialer/dnc/remove", {"contacts": []})
    assert (r.status_code, r.json()) == (400, {"message": "phone_numbers is required"})
    r = post_json(
        sim,
        "outbound_dialer/dnc",
        {"contacts": [{"phone_number": "4151112222", "expires_at": "next tuesday"}]},
    )
    assert r.json() == [
        {
            "phone_number": "4151112222",
            "expires_at": "next tuesday",
            "error": "expires_at is invalid",
            "status": "failed",
        }
    ]
    assert sim.tenant.dnc_snapshot() == {}


def test_expiry_out_of_the_representable_range_is_invalid(sim: SimulatorHandle) -> None:
    # In UTC these fall before year 1 / after year 9999: one bad contact, not a 500 for all.
    contacts = [
        {"phone_number": "4151112222", "expires_at": "0001-01-01T00:00:00+05:00"},
        {"phone_number": "4151113333", "expires_at": "9999-12-31T23:00:00-05:00"},
        {"phone_number": "4151114444"},
    ]
    r = post_json(sim, "outbound_dialer/dnc", {"contacts": contacts})
    assert r.status_code == 200, r.text
    assert [(x.get("error"), x["status"]) for x in r.json()] == [
        ("expires_at is invalid", "failed"),
        ("expires_at is invalid", "failed"),
        (None, "created"),
    ]
    assert sim.tenant.dnc_snapshot() == {"+14151114444": None}


def test_a_body_nested_too_deep_to_parse_is_a_400_not_a_500(sim: SimulatorHandle) -> None:
    import requests

    deep = b"[" * 100_000 + b"]" * 100_000
    for path, field in (
        ("outbound_dialer/dnc", "contacts"),
        ("outbound_dialer/dnc/remove", "phone_numbers"),
    ):
        r = requests.post(
            sim.url(path), data=deep, auth=sim.auth, timeout=30,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        assert r.status_code == 400, r.text
        assert r.json() == {"message": f"{field} is required"}
