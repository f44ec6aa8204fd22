"""The faithful ECR proxy itself: paging, range errors, batch limit, throttling, faults, counts."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import REGION
from tests.ecrproxy import EcrProxy, seed_images

pytestmark = pytest.mark.e2e


def client(proxy: EcrProxy, *, validate: bool = True, attempts: int = 1) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "ecr",
        region_name=REGION,
        endpoint_url=proxy.url,
        config=Config(
            parameter_validation=validate,
            retries={"mode": "standard", "total_max_attempts": attempts},
        ),
    )


def error_code(raised: pytest.ExceptionInfo[Any]) -> str:
    return str(raised.value.response["Error"]["Code"])


@pytest.fixture
def seeded(server_env: dict[str, str]) -> list[tuple[str | None, str]]:
    return seed_images("team/app", 250, untagged=7)


def test_limits_proxy_pages_list_images_at_ecr_default(
    ecr_proxy: Callable[..., EcrProxy], seeded: list[tuple[str | None, str]]
) -> None:
    proxy = ecr_proxy(latency=0)
    ecr = client(proxy)
    first = ecr.list_images(repositoryName="team/app")
    assert len(first["imageIds"]) == 100
    assert first["nextToken"]
    seen: list[tuple[str | None, str]] = []
    pages = 0
    for page in ecr.get_paginator("list_images").paginate(repositoryName="team/app"):
        pages += 1
        seen += [(i.get("imageTag"), i["imageDigest"]) for i in page["imageIds"]]
    assert pages == 3  # 257 ids at 100 a page
    assert len(seen) == len(set(seen)) == 257
    assert set(seen) == set(seeded)
    assert proxy.counts["ListImages"] == 4


def test_limits_proxy_honours_max_results_up_to_1000(
    ecr_proxy: Callable[..., EcrProxy], seeded: list[tuple[str | None, str]]
) -> None:
    proxy = ecr_proxy(latency=0)
    ecr = client(proxy)
    pages = list(
        ecr.get_paginator("describe_images").paginate(
            repositoryName="team/app", PaginationConfig={"PageSize": 1000}
        )
    )
    assert len(pages) == 1
    assert "nextToken" not in pages[0]
    digests = [d["imageDigest"] for d in pages[0]["imageDetails"]]
    assert sorted(digests) == sorted(d for _, d in seeded)
    small = list(
        ecr.get_paginator("describe_images").paginate(
            repositoryName="team/app", PaginationConfig={"PageSize": 60}
        )
    )
    assert [len(p["imageDetails"]) for p in small] == [60, 60, 60, 60, 17]
    assert sorted(d["imageDigest"] for p in small for d in p["imageDetails"]) == sorted(digests)
    assert proxy.counts == Counter({"DescribeImages": 6})


@pytest.mark.parametrize("size", [0, 1001])
def test_limits_proxy_rejects_page_sizes_outside_1_to_1000(
    ecr_proxy: Callable[..., EcrProxy], seeded: list[tuple[str | None, str]], size: int
) -> None:
    from botocore.exceptions import ClientError

    ecr = client(ecr_proxy(latency=0), validate=False)
    with pytest.raises(ClientError) as raised:
        ecr.describe_images(repositoryName="team/app", maxResults=size)
    assert error_code(raised) == "InvalidParameterException"
    assert "maxResults" in str(raised.value)


def test_limits_proxy_rejects_an_unknown_token(
    ecr_proxy: Callable[..., EcrProxy], seeded: list[tuple[str | None, str]]
) -> None:
    from botocore.exceptions import ClientError

    ecr = client(ecr_proxy(latency=0))
    with pytest.raises(ClientError) as raised:
        ecr.list_images(repositoryName="team/app", nextToken="not-a-token")
    assert error_code(raised) == "InvalidParameterException"


def test_limits_proxy_applies_the_tag_status_filter_moto_ignores(
    ecr_proxy: Callable[..., EcrProxy], seeded: list[tuple[str | None, str]]
) -> None:
    ecr = client(ecr_proxy(latency=0))
    untagged = ecr.describe_images(repositoryName="team/app", filter={"tagStatus": "UNTAGGED"})
    assert {d["imageDigest"] for d in untagged["imageDetails"]} == {
        d for t, d in seeded if t is None
    }
    tagged = ecr.list_images(
        repositoryName="team/app", filter={"tagStatus": "TAGGED"}, maxResults=1000
    )
    assert len(tagged["imageIds"]) == 250
    assert all(i.get("imageTag") for i in tagged["imageIds"])


def test_limits_proxy_pages_repositories_and_scan_findings(
    ecr_proxy: Callable[..., EcrProxy], server_env: dict[str, str], moto_server: str
) -> None:
    import json
    import urllib.request

    for n in range(130):
        seed_images(f"svc-{n:03d}", 1)
    proxy = ecr_proxy(latency=0)
    ecr = client(proxy)
    names = [
        r["repositoryName"]
        for page in ecr.get_paginator("describe_repositories").paginate()
        for r in page["repositories"]
    ]
    assert sorted(names) == [f"svc-{n:03d}" for n in range(130)]
    assert proxy.counts["DescribeRepositories"] == 2
    # Explicit names are never paged, as in ECR.
    one = ecr.describe_repositories(repositoryNames=["svc-007"])
    assert [r["repositoryName"] for r in one["repositories"]] == ["svc-007"]

    findings = [
        {"name": f"CVE-2026-{n:04d}", "severity": "LOW", "uri": "https://example.com"}
        for n in range(230)
    ]
    result = {
        "registryId": "123456789012",
        "repositoryName": "svc-000",
        "imageId": {"imageTag": "tag-0"},
        "imageScanStatus": {"status": "COMPLETE", "description": "done"},
        "imageScanFindings": {"findings": findings, "findingSeverityCounts": {"LOW": 230}},
    }
    urllib.request.urlopen(
        urllib.request.Request(
            f"{moto_server}/moto-api/static/ecr/scan-finding-results",
            data=json.dumps({"results": [result], "region": REGION}).encode(),
            method="POST",
        )
    )
    ecr.start_image_scan(repositoryName="svc-000", imageId={"imageTag": "tag-0"})
    pages = list(
        ecr.get_paginator("describe_image_scan_findings").paginate(
            repositoryName="svc-000", imageId={"imageTag": "tag-0"}
        )
    )
    assert [len(p["imageScanFindings"]["findings"]) for p in pages] == [100, 100, 30]
    got = [f["name"] for p in pages for f in p["imageScanFindings"]["findings"]]
    assert got == [f["name"] for f in findings]
    assert all(p["imageScanFindings"]["findingSeverityCounts"] == {"LOW": 230} for p in pages)


@pytest.mark.parametrize("operation", ["batch_delete_image", "batch_get_image", "describe_images"])
def test_limits_proxy_allows_at_most_100_image_ids(
    ecr_proxy: Callable[..., EcrProxy], seeded: list[tuple[str | None, str]], operation: str
) -> None:
    from botocore.exceptions import ClientError

    proxy = ecr_proxy(latency=0)
    ecr = client(proxy)
    ids = [{"imageTag": t} for t, _ in seeded[:101]]
    with pytest.raises(ClientError) as raised:
        getattr(ecr, operation)(repositoryName="team/app", imageIds=ids)
    assert error_code(raised) == "InvalidParameterException"
    assert "100" in str(raised.value)
    getattr(ecr, operation)(repositoryName="team/app", imageIds=ids[:100])
    left = ecr.describe_images(repositoryName="team/app", maxResults=1000)["imageDetails"]
    expected = 157 if operation == "batch_delete_image" else 257
    assert len(left) == expected  # the refused call changed nothing


def test_limits_proxy_throttles_put_image_above_its_rate(
    ecr_proxy: Callable[..., EcrProxy], seeded: list[tuple[str | None, str]]
) -> None:
    from botocore.exceptions import ClientError

    proxy = ecr_proxy(latency=0, put_image_rate=3)
    ecr = client(proxy)
    manifest = ecr.batch_get_image(repositoryName="team/app", imageIds=[{"imageTag": "tag-0"}])[
        "images"
    ][0]["imageManifest"]
    outcomes = []
    for n in range(10):
        try:
            ecr.put_image(repositoryName="team/app", imageManifest=manifest, imageTag=f"new-{n}")
            outcomes.append("ok")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])
            assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert outcomes[:3] == ["ok", "ok", "ok"]
    assert "ThrottlingException" in outcomes
    assert proxy.throttled["PutImage"] == outcomes.count("ThrottlingException")
    assert proxy.counts["PutImage"] == 10
    # The bucket refills: after a pause, calls go through again.
    time.sleep(0.5)
    ecr.put_image(repositoryName="team/app", imageManifest=manifest, imageTag="after-pause")


def test_limits_proxy_fault_rate_holds_for_a_seeded_run(
    ecr_proxy: Callable[..., EcrProxy], seeded: list[tuple[str | None, str]]
) -> None:
    from botocore.exceptions import ClientError, ConnectionClosedError

    proxy = ecr_proxy(latency=0, fault_rate=0.2, seed=11)
    ecr = client(proxy)
    outcomes: Counter[str] = Counter()
    calls = 600
    for _ in range(calls):
        try:
            ecr.describe_repositories(repositoryNames=["team/app"])
            outcomes["ok"] += 1
        except ClientError as error:
            meta = error.response["ResponseMetadata"]
            outcomes[f"{meta['HTTPStatusCode']} {error.response['Error']['Code']}"] += 1
        except ConnectionClosedError:
            outcomes["reset"] += 1
    failed = calls - outcomes["ok"]
    # 20% of 600 is 120; a binomial run stays well inside +-40 (more than 4 standard deviations).
    assert 80 <= failed <= 160, outcomes
    assert failed == proxy.faults["DescribeRepositories"]
    assert set(outcomes) == {
        "ok",
        "reset",
        "429 ThrottlingException",
        "500 ServerException",
        "503 ServiceUnavailableException",
    }
    assert proxy.counts["DescribeRepositories"] == calls
    # The same seed gives the same faults.
    again = ecr_proxy(latency=0, fault_rate=0.2, seed=11)
    replay = [again._fault("DescribeRepositories") for _ in range(calls)]
    assert sum(f is not None for f in replay) == failed


def test_limits_proxy_retries_make_faults_invisible_to_a_retrying_client(
    ecr_proxy: Callable[..., EcrProxy], seeded: list[tuple[str | None, str]]
) -> None:
    proxy = ecr_proxy(latency=0, fault_rate=0.3, seed=3)
    ecr = client(proxy, attempts=10)
    for _ in range(10):
        ids = [
            i
            for page in ecr.get_paginator("list_images").paginate(repositoryName="team/app")
            for i in page["imageIds"]
        ]
        assert len(ids) == 257
    assert proxy.faults["ListImages"] > 0
    assert proxy.counts["ListImages"] == 30 + proxy.faults["ListImages"]


def test_limits_proxy_adds_latency_and_exposes_counts_over_http(
    ecr_proxy: Callable[..., EcrProxy], seeded: list[tuple[str | None, str]]
) -> None:
    import json
    import urllib.request

    proxy = ecr_proxy(latency=0.05)
    ecr = client(proxy)
    started = time.perf_counter()
    ecr.describe_repositories()
    ecr.list_images(repositoryName="team/app")
    assert time.perf_counter() - started >= 0.1
    with urllib.request.urlopen(f"{proxy.url}/_proxy/stats") as response:
        stats = json.load(response)
    assert stats["calls"] == {"DescribeRepositories": 1, "ListImages": 1}
    proxy.reset_counts()
    assert proxy.counts == Counter()


def test_limits_proxy_listing_snapshots_last_until_a_write(
    ecr_proxy: Callable[..., EcrProxy], seeded: list[tuple[str | None, str]]
) -> None:
    proxy = ecr_proxy(latency=0, cache_listings=True)
    ecr = client(proxy)

    def count() -> int:
        pages = ecr.get_paginator("list_images").paginate(repositoryName="team/app")
        return sum(len(p["imageIds"]) for p in pages)

    assert count() == 257
    seed_images("team/app", 0, untagged=3)  # behind the proxy's back: the snapshot holds
    assert count() == 257
    ecr.batch_delete_image(repositoryName="team/app", imageIds=[{"imageTag": "tag-0"}])
    assert count() == 259  # a write through the proxy drops every snapshot
