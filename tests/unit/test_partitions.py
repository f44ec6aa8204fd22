"""A region no AWS partition has is said so (exit 4), not "cannot reach AWS" (exit 1)."""

from __future__ import annotations

import pytest
from botocore.exceptions import EndpointConnectionError

from ecrctl.cli.errors import ExitStatus, classify
from ecrctl.core.partitions import partition_of, region_of_endpoint, unknown_region


@pytest.mark.parametrize(
    ("url", "region"),
    [
        ("https://api.ecr.eu-west-1.amazonaws.com/", "eu-west-1"),
        ("https://api.ecr.cn-north-1.amazonaws.com.cn/", "cn-north-1"),
        ("https://sts.eu-wset-1.amazonaws.com", "eu-wset-1"),
        ("https://iam.amazonaws.com/", None),  # global
        ("http://127.0.0.1:5000/", None),  # an emulator
    ],
)
def test_the_region_of_an_endpoint(url: str, region: str | None) -> None:
    assert region_of_endpoint(url) == region


def test_unknown_regions_are_named_with_the_closest_of_their_partition() -> None:
    assert unknown_region("eu-west-1") is None
    assert unknown_region("cn-northwest-1") is None
    assert unknown_region("eu-wset-1") == (
        "region eu-wset-1 is not a region of AWS partition aws; did you mean eu-west-1?"
    )
    assert unknown_region("cn-nort-1") == (
        "region cn-nort-1 is not a region of AWS partition aws-cn; did you mean cn-north-1?"
    )
    assert partition_of("us-gov-west-1").name == "aws-us-gov"
    assert "us-east-1" in partition_of(None).regions


def test_an_unreachable_endpoint_in_a_region_no_partition_has_is_exit_4() -> None:
    typo = classify(
        EndpointConnectionError(endpoint_url="https://api.ecr.eu-wset-1.amazonaws.com/")
    )
    assert typo.status == ExitStatus.CONFIG
    assert typo.message.startswith("region eu-wset-1 is not a region of AWS partition aws;")
    real = classify(
        EndpointConnectionError(endpoint_url="https://api.ecr.eu-west-1.amazonaws.com/")
    )
    assert real.status == ExitStatus.FAILED and real.message.startswith("cannot reach AWS")
    local = classify(EndpointConnectionError(endpoint_url="http://127.0.0.1:9/"))
    assert local.status == ExitStatus.FAILED
