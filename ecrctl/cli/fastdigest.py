"""``ecrctl digest IMAGE [--platform P]`` for a registry other than ECR, without loading the
app: the command line is the whole of its arguments, so typer and click (most of ecrctl's
start-up) are not needed to read it. Anything the fast path does not take (an ECR reference,
which needs AWS for its token; an option; a bad reference) runs the app, which reads the line
again. Once the registry is asked, its answer or its error stands: an error is reported through
cli/errors.py as the app would, never by asking the registry a second time."""

from __future__ import annotations

import os
from collections.abc import Sequence


def fast_digest(args: Sequence[str]) -> bool:
    """Print the digest and return True, or return False for the app to run the line."""
    if len(args) not in (2, 4) or args[0] != "digest" or args[1].startswith("-"):
        return False
    platform = None
    if len(args) == 4:
        if args[2] != "--platform" or args[3].startswith("-"):
            return False
        platform = args[3]
    if os.environ.get("ECRCTL_OUTPUT", "").strip().lower() not in ("", "text", "table"):
        return False
    return _digest(args[1], platform)


def _digest(image: str, platform: str | None) -> bool:
    from ecrctl.core.exceptions import InvalidInput
    from ecrctl.core.names import parse_reference, scheme_for

    if image.startswith(("oci:", "docker-archive:")):
        return False
    try:
        ref = parse_reference(image)
    except InvalidInput:  # the app says what is wrong with it
        return False
    if ref.is_ecr or ref.host is None:
        return False
    from ecrctl.cli.streams import current
    from ecrctl.core.distribution.client import Registry
    from ecrctl.core.distribution.retry import RetryPolicy
    from ecrctl.core.images.inspect import digest_of, registry_errors, with_latest

    host = ref.host

    def credentials() -> tuple[str, str] | None:
        # Read only when the registry challenges (docker's config and helpers: ~5 ms to load).
        from ecrctl.core.copy.credentials import docker_credentials

        return docker_credentials(host)

    def attempts() -> int | None:
        # Read only when a retry is due, as copy's: AWS_MAX_ATTEMPTS or the profile's.
        from ecrctl.session import Clients, Settings

        return Clients(Settings()).max_attempts()

    registry = Registry(
        host,
        scheme=scheme_for(host),
        credentials=credentials,
        label=f"image {host}",
        retry=RetryPolicy(attempts),
    )
    try:
        with registry_errors():
            found = digest_of(registry, with_latest(ref), platform)
        current().write(found + "\n")  # a full disk or a reader that left: as the app says
    except Exception as error:  # KeyboardInterrupt goes to entry.py's handler
        from ecrctl.cli.errors import classify

        failure = classify(error)
        if isinstance(error, BrokenPipeError):  # Python's flush at exit must not fail again
            os.dup2(os.open(os.devnull, os.O_WRONLY), current().stdout.fileno())
        if failure.message:
            current().error(failure.message)
        raise SystemExit(int(failure.status)) from None
    return True
