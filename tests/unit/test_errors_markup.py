"""An endpoint that answers with a web page (an emulator's 500): one line, never the page."""

from __future__ import annotations

import pytest
from botocore import exceptions as bce

from ecrctl.cli.errors import ExitStatus, classify

MOTO_PAGE = (
    "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
    "<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was "
    "unable to complete your request.</p>\n"
)


@pytest.mark.parametrize(
    ("code", "message", "status"),
    [
        ("500", MOTO_PAGE, 500),  # botocore: JSON protocol, body not JSON
        ("502", "<html><body><h1>502 Bad Gateway</h1></body></html>", 502),
        ("InternalFailure", "  <HTML><HEAD><TITLE>oops</TITLE></HEAD></HTML>", 500),
    ],
)
def test_an_html_body_becomes_one_line_with_status_and_operation(
    code: str, message: str, status: int
) -> None:
    error = bce.ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "StartLifecyclePolicyPreview",
    )
    failure = classify(error)
    assert failure.status == ExitStatus.FAILED
    assert "\n" not in failure.message
    assert "<" not in failure.message and "Internal Server Error" not in failure.message
    assert failure.message.startswith(f"StartLifecyclePolicyPreview failed: HTTP {status} ")


def test_an_aws_error_message_is_still_shown() -> None:
    error = bce.ClientError(
        {
            "Error": {"Code": "ServerException", "Message": "try again"},
            "ResponseMetadata": {"HTTPStatusCode": 500},
        },
        "DescribeImages",
    )
    assert classify(error).message == "DescribeImages failed: ServerException: try again"
