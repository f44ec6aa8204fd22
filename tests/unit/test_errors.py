"""The one error map: every failure a user can meet becomes one line and a documented exit code."""

from __future__ import annotations

import pytest
from botocore import exceptions as bce

from ecrctl.cli.errors import ExitStatus, classify
from ecrctl.core import exceptions as exc


def client_error(code: str, message: str = "", op: str = "DescribeRepositories") -> bce.ClientError:
    return bce.ClientError({"Error": {"Code": code, "Message": message}}, op)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (exc.InvalidInput("x"), ExitStatus.USAGE),
        (exc.NotFound("x"), ExitStatus.NOT_FOUND),
        (exc.Refused("x"), ExitStatus.FAILED),
        (exc.ConfigurationError("x"), ExitStatus.CONFIG),
        (exc.GateTripped("x"), ExitStatus.GATE),
        (KeyboardInterrupt(), ExitStatus.INTERRUPTED),
        (client_error("RepositoryNotFoundException"), ExitStatus.NOT_FOUND),
        (client_error("ImageNotFoundException"), ExitStatus.NOT_FOUND),
        (client_error("InvalidParameterException"), ExitStatus.USAGE),
        (client_error("ServerException"), ExitStatus.FAILED),
    ],
)
def test_exit_codes(error: BaseException, status: ExitStatus) -> None:
    assert classify(error).status == status


def test_no_credentials() -> None:
    failure = classify(bce.NoCredentialsError())
    assert failure.status == ExitStatus.CONFIG
    assert "aws configure" in failure.message


def test_no_region() -> None:
    failure = classify(bce.NoRegionError())
    assert failure.status == ExitStatus.CONFIG
    assert "--region" in failure.message


def test_expired_sso_session_names_the_login_command() -> None:
    failure = classify(bce.UnauthorizedSSOTokenError(), profile="dev")
    assert failure.status == ExitStatus.CONFIG
    assert failure.message.endswith("; run: ecrctl sso login --profile dev")
    assert failure.sign_in
    failure = classify(
        bce.SSOTokenLoadError(error_msg="Token for x does not exist"), profile="prod"
    )
    assert failure.message.endswith("; run: ecrctl sso login --profile prod")
    failure = classify(bce.TokenRetrievalError(provider="sso", error_msg="expired"))
    assert failure.status == ExitStatus.CONFIG
    assert failure.message.endswith("; run: ecrctl sso login")  # the default profile


def test_a_sign_in_that_cannot_happen_names_what_to_type() -> None:
    from ecrctl.core.exceptions import SignInRequired

    failure = classify(SignInRequired("no terminal", "dev team", options=" --no-browser"))
    assert failure.status == ExitStatus.CONFIG
    assert failure.message == "no terminal; run: ecrctl sso login --profile 'dev team' --no-browser"


def test_access_denied_names_the_refused_action() -> None:
    message = (
        "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
        "ecr:DeleteRepository on resource: arn:aws:ecr:us-east-1:123456789012:repository/app"
    )
    failure = classify(client_error("AccessDeniedException", message, "DeleteRepository"))
    assert failure.status == ExitStatus.CONFIG
    assert "ecr:DeleteRepository" in failure.message


def test_access_denied_without_action_in_message_falls_back_to_operation() -> None:
    failure = classify(client_error("AccessDeniedException", "denied", "ListImages"))
    assert "ecr:ListImages" in failure.message


def test_expired_credentials_are_exit_4() -> None:
    failure = classify(client_error("ExpiredTokenException", "expired"), profile="dev")
    assert failure.status == ExitStatus.CONFIG
    assert "refresh the credentials of profile dev" in failure.message
    assert "ecrctl sso login --profile dev" in failure.message


def test_throttled_after_retries_is_exit_1_and_says_so() -> None:
    failure = classify(client_error("ThrottlingException", "Rate exceeded", "PutImage"))
    assert failure.status == ExitStatus.FAILED
    assert "throttled" in failure.message and "PutImage" in failure.message


def test_unknown_profile() -> None:
    failure = classify(bce.ProfileNotFound(profile="nope"))
    assert failure.status == ExitStatus.CONFIG
    assert "nope" in failure.message


def test_messages_are_one_line() -> None:
    for error in (
        bce.NoCredentialsError(),
        bce.NoRegionError(),
        bce.UnauthorizedSSOTokenError(),
        client_error("X", "two\nlines"),
        RuntimeError("boom"),
    ):
        message = classify(error).message
        assert message and "\n" not in message
