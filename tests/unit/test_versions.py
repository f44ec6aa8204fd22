"""Natural version order of tags, as `sort -V` users expect."""

from __future__ import annotations

from ecrctl.core.versions import version_key


def sort_versions(tags: list[str]) -> list[str]:
    return sorted(tags, key=lambda t: (version_key(t), t))


def test_numbers_compare_as_numbers() -> None:
    assert sort_versions(["1.0.10", "1.0.9", "1.0.2"]) == ["1.0.2", "1.0.9", "1.0.10"]


def test_prefixed_versions() -> None:
    assert sort_versions(["v10", "v2", "v1"]) == ["v1", "v2", "v10"]


def test_numbers_before_words_and_shorter_first() -> None:
    assert sort_versions(["latest", "1.0.1", "1.0", "v2", "2"]) == [
        "1.0",
        "1.0.1",
        "2",
        "latest",
        "v2",
    ]


def test_prerelease_before_release() -> None:
    assert sort_versions(["1.0.0", "1.0.0-rc2", "1.0.0-rc1", "0.9.9"]) == [
        "0.9.9",
        "1.0.0-rc1",
        "1.0.0-rc2",
        "1.0.0",
    ]


def test_dates_and_build_numbers() -> None:
    tags = ["2024-10-01", "2024-9-30", "build-100", "build-99"]
    assert sort_versions(tags) == ["2024-9-30", "2024-10-01", "build-99", "build-100"]


def test_order_is_total_and_stable_for_equal_keys() -> None:
    assert sort_versions(["V1", "v1"]) == ["V1", "v1"]
    assert sort_versions(["v1", "V1"]) == ["V1", "v1"]
