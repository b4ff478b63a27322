"""The job list is paged (docs/api-assumptions.md, item 24): ``page``/``per_page``, newest
first, ``Link``, ``Total`` and ``Per-Page`` headers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from reconciler.simulator import SimulatorHandle, default_seed

from .simhelpers import get


def seeded_jobs(n: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    return [
        {"id": i, "created_at": now, "filename": f"j{i}.json", "rows": [], "status": "finished"}
        for i in range(1, n + 1)
    ]


@pytest.fixture
def many(sim_factory) -> SimulatorHandle:
    return sim_factory({**default_seed(), "jobs": seeded_jobs(130)})


def links(resp: Any) -> dict[str, str]:
    return {rel: link["url"] for rel, link in resp.links.items()}


def test_default_page_is_the_newest_twenty_with_headers(many: SimulatorHandle) -> None:
    resp = get(many, "bulk/users/jobs")
    assert resp.status_code == 200
    assert [j["id"] for j in resp.json()] == list(range(130, 110, -1))
    assert resp.headers["Total"] == "130" and resp.headers["Per-Page"] == "20"
    rels = links(resp)
    assert set(rels) == {"next", "first", "last"}
    assert rels["next"].startswith("http://") and "page=2" in rels["next"]
    assert "page=7" in rels["last"]


def test_per_page_is_capped_at_100_and_the_last_page_is_short(many: SimulatorHandle) -> None:
    first = get(many, "bulk/users/jobs", params={"per_page": 500})
    assert len(first.json()) == 100 and first.headers["Per-Page"] == "100"
    second = get(many, "bulk/users/jobs", params={"page": 2, "per_page": 100})
    assert [j["id"] for j in second.json()] == list(range(30, 0, -1))
    assert set(links(second)) == {"prev", "first", "last"}
    beyond = get(many, "bulk/users/jobs", params={"page": 9, "per_page": 100})
    assert beyond.status_code == 200 and beyond.json() == []


@pytest.mark.parametrize("params", [{"page": "0"}, {"page": "x"}, {"per_page": "-1"}])
def test_bad_paging_parameters_are_400(many: SimulatorHandle, params: dict[str, str]) -> None:
    resp = get(many, "bulk/users/jobs", params=params)
    assert resp.status_code == 400
    assert "must be a positive integer" in resp.json()["message"]
