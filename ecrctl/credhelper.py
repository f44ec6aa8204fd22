"""``docker-credential-ecrctl``: the docker credential-helper protocol for ECR registries.

``get`` reads a registry host on stdin and writes ``{"ServerURL", "Username", "Secret"}``.
A cached token is answered from the standard library alone (no boto3, typer or rich: docker,
skopeo and buildah call this for every registry request); only a miss or a token with less
than a quarter of its life left asks ECR, through ``ecrctl.tokens``.

Errors go to stderr with exit 1; the same one line is also written to stdout, where the docker
CLI looks for a helper's message (``credentials not found in native keychain`` means "no
credentials here", which docker and skopeo treat as anonymous access).
"""

from __future__ import annotations

import json
import os
import sys
import time

from ecrctl.core.login.cache import CachedToken, Identity, TokenCache, resolve_identity
from ecrctl.core.login.userconfig import load_user_config, normalise_host

TYPE_CHECKING = False  # typing and collections stay out of the hot path
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import TextIO

# The protocol's own messages (docker-credential-helpers, credentials/error.go): docker, podman
# and skopeo compare them byte for byte.
NOT_FOUND = "credentials not found in native keychain"
NO_SERVER_URL = "no credentials server URL"
NO_USERNAME = "no credentials username"
_PROTOCOL_MESSAGES = (NOT_FOUND, NO_SERVER_URL, NO_USERNAME)
USAGE = "Usage: docker-credential-ecrctl <store|get|erase|list|version>"
# A server URL is a host name and a path: more than this on stdin is not one.
MAX_STDIN = 64 * 1024


class HelperError(Exception):
    """One line for docker (stdout) and for the person (stderr)."""


def _warner(stderr: TextIO) -> Callable[[str], None]:
    def warn(message: str) -> None:
        stderr.write(f"docker-credential-ecrctl: warning: {message}\n")

    return warn


def _answer(stream: TextIO, server_url: str, token: CachedToken) -> None:
    stream.write(
        json.dumps({"ServerURL": server_url, "Username": token.username, "Secret": token.secret})
        + "\n"
    )


def _fetch(host: str, profile: str | None, identity: Identity, cache: TokenCache) -> CachedToken:
    """Ask ECR (a cache miss): boto3 is imported here and only here."""
    from ecrctl import tokens
    from ecrctl.core.login.targets import PUBLIC_HOST, PUBLIC_REGION, TokenRequest
    from ecrctl.core.names import parse_host
    from ecrctl.session import Settings

    if host == PUBLIC_HOST:
        request = TokenRequest(profile=profile, region=PUBLIC_REGION, public=True)
    else:
        registry = parse_host(host)
        if registry is None:  # pragma: no cover - get() checked it
            raise HelperError(NOT_FOUND)
        request = TokenRequest(
            profile=profile,
            region=registry.region,
            fips=registry.fips,
            registry_ids=(registry.account,),
            hosts={registry.account: host},
        )
    fetched = tokens.fetch(Settings(profile=profile), request)
    token = next((t for t in fetched if t.host == host), fetched[0])
    if token.host != host:
        token = type(token)(
            host,
            token.username,
            token.password,
            token.issued_at,
            token.expires_at,
            token.expiry_assumed,
        )
    return tokens.remember(cache, token, identity)


def _describe(error: BaseException, profile: str | None) -> str:
    if isinstance(error, HelperError):
        return str(error)
    from ecrctl.cli.errors import classify

    return classify(error, profile=profile).message


def get(server_url: str, environ: Mapping[str, str], stderr: TextIO) -> CachedToken:
    host = normalise_host(server_url)
    profile = load_user_config(environ).profile_for(host)
    identity = resolve_identity(profile, environ)
    cache = TokenCache(warn=_warner(stderr))
    cached = cache.get(host, identity)
    if cached is not None and cached.fresh():
        return cached  # the hot path: nothing else is imported
    from ecrctl.core.login.targets import PUBLIC_HOST
    from ecrctl.core.names import parse_host

    if host != PUBLIC_HOST and parse_host(host) is None:
        raise HelperError(NOT_FOUND)
    try:
        return _fetch(host, profile, identity, cache)
    except Exception as error:
        # Like docker-credential-ecr-login: an AWS outage should not break a pull while the
        # cached token is still valid.
        if cached is not None and cached.expires_at > time.time():
            stderr.write(
                f"docker-credential-ecrctl: {_describe(error, profile)}; using the cached token\n"
            )
            return cached
        if host == PUBLIC_HOST:
            # ECR Public serves anyone: "no credentials here" lets docker, podman and skopeo
            # pull anonymously, as docker-credential-ecr-login does.
            stderr.write(f"docker-credential-ecrctl: {_describe(error, profile)}\n")
            raise HelperError(NOT_FOUND) from error
        raise HelperError(_describe(error, profile)) from error


def read_server_url(stdin: TextIO) -> str:
    """As docker-credential-helpers reads it: every line joined, surrounding space trimmed;
    empty is ``no credentials server URL``. At most MAX_STDIN characters are read. Bytes that
    are not UTF-8 name no registry this helper has credentials for: ``credentials not found``,
    as docker-credential-helpers answers for a server it does not know."""
    text = read_stdin(stdin, not_text=NOT_FOUND)
    server_url = "".join(line.rstrip("\r") for line in text.split("\n")).strip()
    if not server_url:
        raise HelperError(NO_SERVER_URL)
    return server_url


def read_stdin(stdin: TextIO, *, not_text: str) -> str:
    """At most MAX_STDIN characters; HelperError(``not_text``) for bytes that are not UTF-8
    (UnicodeDecodeError in a UTF-8 locale; surrogates from the C locale's surrogateescape)."""
    try:
        text = stdin.read(MAX_STDIN + 1)
        text.encode("utf-8")
    except UnicodeError:
        raise HelperError(not_text) from None
    if len(text) > MAX_STDIN:
        raise HelperError(f"more than {MAX_STDIN:,} characters on stdin; expected a server URL")
    return text


def check_store(text: str) -> None:
    """``store``'s input as the protocol defines it: a JSON object with a ServerURL and a
    Username. ECR tokens come from ECR, so nothing a ``docker login`` gives is kept."""
    try:
        creds = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise HelperError(f"invalid credentials on stdin: {error}") from None
    if not isinstance(creds, dict):
        raise HelperError("invalid credentials on stdin: expected a JSON object")
    for key in ("ServerURL", "Username", "Secret"):
        if creds.get(key) is not None and not isinstance(creds[key], str):
            raise HelperError(f"invalid credentials on stdin: {key} is not a string")
    if not creds.get("ServerURL"):
        raise HelperError(NO_SERVER_URL)
    if not creds.get("Username"):
        raise HelperError(NO_USERNAME)


def _dispatch(
    action: str, stdin: TextIO, stdout: TextIO, stderr: TextIO, env: Mapping[str, str]
) -> int:
    if action == "get":
        server_url = read_server_url(stdin)
        _answer(stdout, server_url, get(server_url, env, stderr))
    elif action == "store":
        check_store(read_stdin(stdin, not_text="invalid credentials on stdin: not UTF-8 text"))
    elif action == "erase":
        TokenCache(warn=_warner(stderr)).erase(normalise_host(read_server_url(stdin)))
    elif action == "list":
        cache = TokenCache(warn=_warner(stderr))
        listing = {t.registry: t.username for _, t in cache.entries() if t.fresh()}
        stdout.write(json.dumps(listing) + "\n")
    elif action == "version":
        _version(stdout)
    else:
        stdout.write(f"Unknown credential action `{action}`\n")
        return 1
    return 0


def _version(stdout: TextIO) -> None:
    from ecrctl import __version__

    stdout.write(f"docker-credential-ecrctl (ecrctl) {__version__}\n")


def run(
    argv: list[str],
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    environ: Mapping[str, str] | None = None,
) -> int:
    """docker-credential-helpers' ``Serve``: one action argument, answers and errors on stdout
    (where docker reads them), exit 1 on any error."""
    env = os.environ if environ is None else environ
    if len(argv) != 1:
        stdout.write(USAGE + "\n")
        return 1
    action = argv[0]
    if action in {"--version", "-v"}:
        _version(stdout)
        return 0
    if action in {"--help", "-h"}:
        stdout.write(USAGE + "\n")
        return 0
    try:
        code = _dispatch(action, stdin, stdout, stderr, env)
    except KeyboardInterrupt:
        stderr.write("docker-credential-ecrctl: interrupted\n")
        return 130
    except Exception as error:
        message = _describe(error, None)
        if message not in _PROTOCOL_MESSAGES:
            stderr.write(f"docker-credential-ecrctl: {message}\n")
        stdout.write(message + "\n")
        return 1
    stdout.flush()
    return code


def main() -> None:
    sys.exit(run(sys.argv[1:], sys.stdin, sys.stdout, sys.stderr))


if __name__ == "__main__":
    main()
