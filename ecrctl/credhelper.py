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

from ecrctl.core.exceptions import EcrctlError
from ecrctl.core.tokencache import CachedToken, Identity, TokenCache, resolve_identity
from ecrctl.core.userconfig import load_user_config, normalise_host

TYPE_CHECKING = False  # typing and collections stay out of the hot path
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO

NOT_FOUND = "credentials not found in native keychain"
USAGE = "usage: docker-credential-ecrctl get|store|erase|list|version"


class HelperError(Exception):
    """One line for docker (stdout) and for the person (stderr)."""


def _answer(stream: TextIO, server_url: str, token: CachedToken) -> None:
    stream.write(
        json.dumps({"ServerURL": server_url, "Username": token.username, "Secret": token.secret})
        + "\n"
    )


def _fetch(host: str, profile: str | None, identity: Identity, cache: TokenCache) -> CachedToken:
    """Ask ECR (a cache miss): boto3 is imported here and only here."""
    from ecrctl import tokens
    from ecrctl.core.auth import PUBLIC_HOST, PUBLIC_REGION, TokenRequest
    from ecrctl.core.refs import parse_host
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
    from ecrctl.errors import classify

    return classify(error, profile=profile).message


def get(server_url: str, environ: Mapping[str, str], stderr: TextIO) -> CachedToken:
    host = normalise_host(server_url)
    profile = load_user_config(environ).profile_for(host)
    identity = resolve_identity(profile, environ)
    cache = TokenCache()
    cached = cache.get(host, identity)
    if cached is not None and cached.fresh():
        return cached  # the hot path: nothing else is imported
    from ecrctl.core.auth import PUBLIC_HOST
    from ecrctl.core.refs import parse_host

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
        raise HelperError(_describe(error, profile)) from error


def run(
    argv: list[str],
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    environ: Mapping[str, str] | None = None,
) -> int:
    env = os.environ if environ is None else environ
    action = argv[0] if argv else ""
    try:
        if action == "get":
            server_url = stdin.read().strip()
            if not server_url:
                raise HelperError("no registry given on stdin")
            _answer(stdout, server_url, get(server_url, env, stderr))
        elif action == "store":
            stdin.read()  # tokens come from ECR: nothing a `docker login` gives is kept
        elif action == "erase":
            TokenCache().erase(normalise_host(stdin.read()))
        elif action == "list":
            listing = {t.registry: t.username for _, t in TokenCache().entries() if t.fresh()}
            stdout.write(json.dumps(listing) + "\n")
        elif action in {"version", "--version", "-v"}:
            from ecrctl import __version__

            stdout.write(f"docker-credential-ecrctl (ecrctl {__version__})\n")
        else:
            stderr.write(USAGE + "\n")
            return 1
    except KeyboardInterrupt:
        stderr.write("docker-credential-ecrctl: interrupted\n")
        return 130
    except (HelperError, EcrctlError, Exception) as error:
        message = _describe(error, None)
        if message != NOT_FOUND:
            stderr.write(f"docker-credential-ecrctl: {message}\n")
        stdout.write(message + "\n")
        return 1
    stdout.flush()
    return 0


def main() -> None:
    sys.exit(run(sys.argv[1:], sys.stdin, sys.stdout, sys.stderr))


if __name__ == "__main__":
    main()
