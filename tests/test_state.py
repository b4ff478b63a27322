import pytest

from reconciler.state import Threshold


@pytest.mark.parametrize(
    ("spec", "total", "limit"),
    [
        (10, 1000, 10),
        ("30%", 10, 3),
        ("30%", 100, 30),
        ("10%", 20, 3),
        ("10%", 500, 50),
        ("0%", 9, 0),
        ("0%", 1000, 0),
        (0, 9, 0),
    ],
)
def test_threshold_limit(spec: int | str, total: int, limit: int) -> None:
    assert Threshold.parse(spec, floor=3).limit(total) == limit


@pytest.mark.parametrize("bad", [-1, "abc", "120%", True, "%"])
def test_threshold_rejects(bad: object) -> None:
    with pytest.raises(ValueError):
        Threshold.parse(bad)  # type: ignore[arg-type]
