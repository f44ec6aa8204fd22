"""The one table from exceptions to one-line messages and exit codes (README, "Exit codes")."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ecrctl.core import exceptions as exc
from ecrctl.core.sso.failures import from_sso_cache

if TYPE_CHECKING:
    from botocore.exceptions import ClientError


class ExitStatus(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    NOT_FOUND = 3
    CONFIG = 4
    GATE = 5
    INTERRUPTED = 130


@dataclass(frozen=True)
class Failure:
    message: str
    status: ExitStatus
    sign_in: bool = False  # an IAM Identity Center sign-in would fix it (ecrctl sso login)


def sign_in_hint(profile: str | None, options: str = "") -> str:
    """What to type to sign in again: ``run: ecrctl sso login --profile dev``."""
    where = f" --profile {shlex.quote(profile)}" if profile else ""
    return f"run: ecrctl sso login{where}{options}"


_DOMAIN: dict[type[exc.EcrctlError], ExitStatus] = {
    exc.InvalidInput: ExitStatus.USAGE,
    exc.NotFound: ExitStatus.NOT_FOUND,
    exc.Refused: ExitStatus.FAILED,
    exc.BadAnswer: ExitStatus.FAILED,
    exc.Declined: ExitStatus.FAILED,
    exc.ConfigurationError: ExitStatus.CONFIG,
    exc.GateTripped: ExitStatus.GATE,
}

# AWS error codes that mean "not found" (exit 3).
_NOT_FOUND_CODES = {
    "RepositoryNotFoundException",
    "ImageNotFoundException",
    "LifecyclePolicyNotFoundException",
    "LifecyclePolicyPreviewNotFoundException",
    "RepositoryPolicyNotFoundException",
    "ScanNotFoundException",
    "ResourceNotFoundException",
    "NoSuchEntity",
    "NoSuchEntityException",
}
_ACCESS_DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
_BAD_CREDENTIAL_CODES = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
}
_THROTTLE_CODES = {
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
}
_BAD_INPUT_CODES = {
    "InvalidParameterException",
    "ValidationException",
    "InvalidTagParameterException",
}

_ACTION_RE = re.compile(r"perform: ([A-Za-z0-9-]+:[A-Za-z0-9]+)")
# A body that is markup, not an AWS error document: an emulator's or a proxy's error page.
_MARKUP_RE = re.compile(r"^\s*<|<\s*(html|body|head|title|!doctype)\b", re.IGNORECASE)


def _client_error(error: ClientError, profile: str | None) -> Failure:
    """Translate a botocore ClientError."""
    info = error.response.get("Error", {})
    code = str(info.get("Code", ""))
    message = str(info.get("Message", "")).strip() or code
    op = getattr(error, "operation_name", "") or ""
    service = ""
    meta = error.response.get("ResponseMetadata", {})
    if isinstance(meta, dict):
        service = str(meta.get("ServiceName", "") or "")
    if _MARKUP_RE.search(message) or _MARKUP_RE.search(code):
        # Never print the page: one line with the HTTP status and the operation.
        status = meta.get("HTTPStatusCode") if isinstance(meta, dict) else None
        return Failure(
            f"{op or 'the call'} failed: HTTP {status or code or '?'} from the endpoint, "
            "with a web page instead of an AWS error (does it implement this operation?)",
            ExitStatus.FAILED,
        )
    if code in _NOT_FOUND_CODES:
        return Failure(message, ExitStatus.NOT_FOUND)
    if code in _ACCESS_DENIED_CODES:
        match = _ACTION_RE.search(message)
        action = match.group(1) if match else f"{service or 'ecr'}:{op}"
        return Failure(
            f"access denied: your identity may not call {action}; "
            f"grant it in IAM (AWS said: {message})",
            ExitStatus.CONFIG,
        )
    if code in _BAD_CREDENTIAL_CODES:
        hint = "refresh your credentials"
        if profile:
            sso = sign_in_hint(profile)
            hint = f"refresh the credentials of profile {profile} (IAM Identity Center: {sso})"
        return Failure(
            f"AWS rejected the credentials ({code}): {message}; {hint}", ExitStatus.CONFIG
        )
    if code in _THROTTLE_CODES:
        return Failure(
            f"throttled by AWS on {op or 'a call'} even after retries; try again later "
            f"or raise AWS_MAX_ATTEMPTS ({message})",
            ExitStatus.FAILED,
        )
    if code in _BAD_INPUT_CODES:
        return Failure(f"{op}: {message}" if op else message, ExitStatus.USAGE)
    return Failure(
        f"{op} failed: {code}: {message}" if op else f"{code}: {message}", ExitStatus.FAILED
    )


def classify(error: BaseException, *, profile: str | None = None) -> Failure:
    """Map any exception to a one-line message and an exit status."""
    failure = _classify(error, profile)
    return replace(failure, message=" ".join(failure.message.split()))


def _classify(error: BaseException, profile: str | None) -> Failure:
    if isinstance(error, KeyboardInterrupt):
        return Failure("interrupted", ExitStatus.INTERRUPTED)
    if isinstance(error, BrokenPipeError):
        # `ecrctl tags app | head -1`: the reader left early, which is not a failure (scripts
        # run with `set -o pipefail` rely on that), and there is nothing to say.
        return Failure("", ExitStatus.OK)
    if isinstance(error, exc.SignInRequired):
        hint = sign_in_hint(error.profile or profile, error.options)
        return Failure(f"{error.reason}; {hint}", ExitStatus.CONFIG, sign_in=True)
    for kind, status in _DOMAIN.items():
        if isinstance(error, kind):
            return Failure(str(error), status)
    if from_sso_cache(error):
        return Failure(
            f"the cached SSO sign-in is unreadable; {sign_in_hint(profile)}",
            ExitStatus.CONFIG,
            sign_in=True,
        )
    portal = _from_sso_portal(error)
    if portal is not None:
        return Failure(portal, ExitStatus.FAILED)
    # botocore is imported only if the error came from it (start-up time is a feature).
    module = type(error).__module__ or ""
    if module.startswith(("botocore", "boto3")):
        return _botocore_error(error, profile)
    if isinstance(error, OSError):
        return Failure(
            f"{error.strerror or error}: {error.filename or ''}".rstrip(": "), ExitStatus.FAILED
        )
    return Failure(f"unexpected error: {type(error).__name__}: {error}", ExitStatus.FAILED)


def _from_sso_portal(error: BaseException) -> str | None:
    """What was wrong when botocore's SSO credential fetcher failed on the portal's
    GetRoleCredentials answer (a field missing or of the wrong type), naming the portal's host;
    None for any other error."""
    if not isinstance(error, KeyError | TypeError):
        return None
    trace, last = error.__traceback__, None
    while trace is not None:  # the innermost frame of a method, and whose it is
        if "self" in trace.tb_frame.f_locals:
            last = trace.tb_frame
        trace = trace.tb_next
    if last is None or type(last.f_locals["self"]).__name__ != "SSOCredentialFetcher":
        return None
    endpoint = getattr(getattr(last.f_locals.get("client"), "meta", None), "endpoint_url", "")
    where = f"IAM Identity Center {urlsplit(str(endpoint or '')).netloc or 'portal'}"
    if isinstance(error, KeyError):
        return f"{where}: GetRoleCredentials answered without a valid {error.args[0]}"
    return f"{where}: GetRoleCredentials answered credentials of the wrong types"


def _botocore_error(error: BaseException, profile: str | None) -> Failure:
    from botocore import exceptions as bce

    if isinstance(error, bce.ClientError):
        return _client_error(error, profile)
    if isinstance(error, bce.NoCredentialsError | bce.PartialCredentialsError):
        return Failure(
            "no AWS credentials found: run `aws configure`, set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or pass --profile",
            ExitStatus.CONFIG,
        )
    sso_errors: tuple[type[BaseException], ...] = tuple(
        getattr(bce, name)
        for name in (
            "SSOTokenLoadError",
            "UnauthorizedSSOTokenError",
            "TokenRetrievalError",
            "SSOError",
        )
        if hasattr(bce, name)
    )
    if sso_errors and isinstance(error, sso_errors):
        return Failure(
            f"the SSO sign-in is expired or missing; {sign_in_hint(profile)}",
            ExitStatus.CONFIG,
            sign_in=True,
        )
    if isinstance(error, bce.NoRegionError):
        return Failure(
            "no region: pass --region, set AWS_REGION, or give a full image URI",
            ExitStatus.CONFIG,
        )
    if isinstance(error, bce.ProfileNotFound):
        return Failure(f"{error}: check ~/.aws/config or pass another --profile", ExitStatus.CONFIG)
    if isinstance(error, bce.EndpointConnectionError | bce.ConnectionClosedError):
        return _unreachable(str(getattr(error, "kwargs", {}).get("endpoint_url") or ""), error)
    if isinstance(error, bce.InvalidRegionError):
        return Failure(
            f"{str(error).rstrip('.')}: pass a region such as eu-west-1", ExitStatus.CONFIG
        )
    if isinstance(error, bce.ParamValidationError):
        return Failure(" ".join(str(error).split()), ExitStatus.USAGE)
    if isinstance(error, bce.BotoCoreError):
        return Failure(" ".join(str(error).split()), ExitStatus.FAILED)
    return Failure(f"{type(error).__name__}: {error}", ExitStatus.FAILED)


def _unreachable(endpoint: str, error: BaseException) -> Failure:
    """A region that no AWS partition has is a typo to fix (exit 4, as for no region), not a
    network to wait for; anything else that cannot be reached is exit 1."""
    from ecrctl.core.partitions import region_of_endpoint, unknown_region

    try:
        region = region_of_endpoint(endpoint)
        unknown = unknown_region(region) if region else None
    except Exception:  # botocore's data unreadable: say what happened
        unknown = None
    if unknown:
        return Failure(f"{unknown} (pass another --region, or set AWS_REGION)", ExitStatus.CONFIG)
    return Failure(f"cannot reach AWS: {error}", ExitStatus.FAILED)
