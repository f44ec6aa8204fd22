"""Domain errors raised by core/; errors.py maps them (and botocore's) to exit codes."""

from __future__ import annotations


class EcrctlError(Exception):
    """Base of every error ecrctl raises on purpose; its str() is the one-line message."""


class InvalidInput(EcrctlError):
    """Bad usage or bad input, detected before any call to AWS (exit 2)."""


class NotFound(EcrctlError):
    """A repository, image, policy or rule does not exist (exit 3)."""


class RepositoryNotFound(NotFound):
    """ECR's RepositoryNotFoundException, said once (core.registry) with the registry asked."""


class ImageNotFound(NotFound):
    """ECR's ImageNotFoundException for a repository that exists."""


class Refused(EcrctlError):
    """AWS refused, or the operation partly failed (exit 1)."""


# ECR's answers that callers act on, named by core/ecr/api.py so that no caller needs the client.
class RepositoryAlreadyExists(Refused):
    """ECR's RepositoryAlreadyExistsException."""


class RepositoryNotEmpty(Refused):
    """ECR's RepositoryNotEmptyException (DeleteRepository without force)."""


class LifecyclePolicyNotFound(NotFound):
    """ECR's LifecyclePolicyNotFoundException where no None answer fits (a preview)."""


class PreviewInProgress(Refused):
    """ECR's LifecyclePolicyPreviewInProgressException."""


class ScanNotFound(NotFound):
    """ECR's ScanNotFoundException: the image has no scan (yet)."""


class ScanLimitExceeded(Refused):
    """ECR's LimitExceededException on StartImageScan: one basic scan per image per 24 hours."""


class ConfigurationError(EcrctlError):
    """Credentials, region or permission problems (exit 4)."""


class Declined(EcrctlError):
    """The person answered no to a confirmation: nothing was changed (exit 1)."""


class GateTripped(EcrctlError):
    """A gate such as ``--fail-on`` tripped (exit 5)."""


class SignInRequired(ConfigurationError):
    """An IAM Identity Center sign-in is missing, expired, refused or cannot happen here
    (exit 4). ``reason`` says which; errors.py adds what to type, naming ``profile``
    (None: the default profile) and any ``options`` the command line needs."""

    def __init__(self, reason: str, profile: str | None = None, *, options: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.profile = profile
        self.options = options


class BadAnswer(EcrctlError):
    """A peer (a registry, its token service) answered what ecrctl refuses to take: malformed,
    too large or too slow; the message names the host and what was wrong (exit 1)."""
