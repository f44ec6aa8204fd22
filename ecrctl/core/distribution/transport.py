"""HTTP to one registry host, with the registry token flow (connections in connections.py).

Auth: ``GET /v2/`` once, then the challenge it answers with decides: ``Basic`` sends the
credentials, ``Bearer realm=..,service=..`` trades them (or nothing, for anonymous pulls) for a
token covering every repository scope this client was granted. Credentials go only to the
origin that challenged (scheme, host and port; and Basic to the token realm, as docker does):
an upload location or a redirect elsewhere gets no Authorization. A token is never logged or
put in an error message; a registry's error text is shown escaped, its error code kept.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

from ecrctl.core.distribution.answers import checked_url, shown, token_of
from ecrctl.core.distribution.connections import (
    BODY_LIMIT,
    ConnectionFailed,
    Misbehaving,
    Pool,
    origin,
)
from ecrctl.core.distribution.retry import RetryPolicy, retry_after_seconds
from ecrctl.core.exceptions import BadAnswer, ConfigurationError, NotFound, Refused

Credentials = Callable[[], "tuple[str, str] | None"]
_CHALLENGE_RE = re.compile(r'(\w+)="([^"]*)"')


class RegistryError(Exception):
    """A registry answered with an error, or could not be reached."""

    def __init__(
        self, message: str, *, status: int = 0, code: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.retry_after = status, code, retry_after


class Denied(RegistryError):
    """401/403: no credentials, wrong ones, or no permission for the action."""


class Missing(RegistryError):
    """404: no such repository, manifest or blob."""


class Unreachable(RegistryError):
    """The connection failed or broke off."""


@contextlib.contextmanager
def registry_errors() -> Iterator[None]:
    """A registry's refusals as ecrctl's errors, for every use case that talks to registries
    (copy, sync, digest, inspect): denied is exit 4, missing 3, any other refusal 1."""
    try:
        yield
    except Denied as error:
        raise ConfigurationError(f"access denied: {error}") from None
    except Missing as error:
        raise NotFound(str(error)) from None
    except RegistryError as error:
        raise Refused(str(error)) from None


def basic(creds: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()


class Transport:
    """Authenticated HTTP to one registry host. Thread-safe: the copy calls it from its blob
    workers. ``retry``: the retry policy of its requests (retry.py)."""

    def __init__(
        self,
        host: str,
        *,
        scheme: str = "https",
        credentials: Credentials | None = None,
        base_url: str | None = None,
        pool: Pool | None = None,
        label: str = "",
        retry: RetryPolicy | None = None,
    ) -> None:
        self.host = host
        self.base = (base_url or f"{scheme}://{host}").rstrip("/")
        self.origin = origin(self.base)
        self.label = label or host
        self._credentials = credentials
        self._pool = pool or Pool(maxsize=16, retry=retry)
        self.retry = self._pool.retry
        self._lock = threading.Lock()
        self._challenge: tuple[str, dict[str, str]] | None = None
        self._pinged = False
        self._scopes: dict[str, set[str]] = {}
        self._token: tuple[frozenset[str], str] | None = None
        self._creds: tuple[str, str] | None = None
        self._creds_read = False

    def where(self, url: str) -> str:
        """Who answered ``url``, for a message: this side's label, and the host if another."""
        netloc = urlsplit(url).netloc
        return self.label if origin(url) == self.origin else f"{self.label}: {netloc}"

    # -- auth ---------------------------------------------------------------------------
    def grant(self, repository: str, *actions: str) -> None:
        """Ask for ``actions`` on ``repository`` in the next token (pull, push)."""
        with self._lock:
            self._scopes.setdefault(repository, set()).update(actions)

    def _credentials_now(self) -> tuple[str, str] | None:
        if not self._creds_read:
            self._creds = self._credentials() if self._credentials else None
            self._creds_read = True
        return self._creds

    def _ping(self) -> None:
        url = f"{self.base}/v2/"
        response = self._raw("GET", url, {})
        if response.status == 401:
            header = response.headers.get("WWW-Authenticate", "")
            scheme, _, params = header.partition(" ")
            self._challenge = (scheme.lower(), dict(_CHALLENGE_RE.findall(params)))
        elif response.status in self.retry.statuses:  # still failing after the retries
            raise self._error("GET", url, response)
        self._pinged = True

    def _authorization(self, refresh: bool = False) -> str | None:
        with self._lock:
            if not self._pinged:
                self._ping()
            if self._challenge is None:
                return None
            scheme, params = self._challenge
            creds = self._credentials_now()
            if scheme == "basic":
                return basic(creds) if creds is not None else None
            if scheme != "bearer":
                asked = f"{shown(scheme, 40)} authentication" if scheme else "an empty challenge"
                raise BadAnswer(f"{self.label}: /v2/ asks for {asked} (ecrctl does Basic, Bearer)")
            scopes = frozenset(
                f"repository:{repo}:{','.join(sorted(actions))}"
                for repo, actions in self._scopes.items()
            )
            if self._token is None or self._token[0] != scopes or refresh:
                self._token = (scopes, self._fetch_token(params, scopes, creds))
            return f"Bearer {self._token[1]}"

    def _fetch_token(
        self, params: dict[str, str], scopes: frozenset[str], creds: tuple[str, str] | None
    ) -> str:
        realm = params.get("realm")
        if not realm:
            raise BadAnswer(f"{self.label}: a Bearer challenge without a realm")
        checked_url(realm, self.label, "the Bearer challenge's realm")
        query = [("service", params["service"])] if params.get("service") else []
        query += [("scope", scope) for scope in sorted(scopes)]
        url = realm + ("&" if "?" in realm else "?") + urlencode(query)
        # The realm is where the registry sends its clients for a token: it gets the
        # credentials (docker does the same), on that origin only.
        auth = (origin(url), basic(creds)) if creds is not None else None
        response = self._raw("GET", url, {}, auth=auth)
        where = self.where(url)
        if response.status in (401, 403):
            raise Denied(f"{self.label}: the token service refused the credentials", status=401)
        if response.status != 200:
            raise RegistryError(
                f"{where}: the token service answered HTTP {response.status}",
                status=response.status,
            )
        return token_of(response.data, where)

    # -- transport ----------------------------------------------------------------------
    def _raw(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        *,
        auth: tuple[str, str] | None = None,
        retry: bool = True,
        **options: Any,
    ) -> Any:
        """One request (retried under the policy), Authorization only as ``auth`` allows;
        ``options``: body, stream."""
        redirect = method in ("GET", "HEAD")
        try:
            return self._pool.request(
                method, url, headers=headers, redirect=redirect, auth=auth, retry=retry, **options
            )
        except ConnectionFailed as error:
            raise Unreachable(f"{self.where(url)}: connection failed ({error})") from None
        except Misbehaving as error:
            own = error.netloc.lower() == urlsplit(self.origin).netloc
            label = self.label if own else f"{self.label}: {error.netloc}"
            raise BadAnswer(f"{label}: {error.problem}") from None

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        stream: bool = False,
        ok: tuple[int, ...] = (200,),
        retry: bool = True,
        limit: int = BODY_LIMIT,
    ) -> Any:
        """``path`` on this registry, or an absolute URL it named (an upload location: another
        origin gets no credentials). ``retry=False``: a step of a larger whole that is retried
        as one (a blob upload). ``limit``: of a body read whole (a listing's page may be more
        than a manifest's 4 MiB)."""
        url = path if path.startswith(("http://", "https://")) else f"{self.base}{path}"
        own = origin(url) == self.origin
        for attempt in (0, 1):
            authorization = self._authorization(refresh=attempt == 1)
            auth = (self.origin, authorization) if authorization else None
            response = self._raw(
                method,
                url,
                dict(headers or {}),
                body=body,
                stream=stream,
                auth=auth,
                retry=retry,
                limit=limit,
            )
            again = response.status == 401 and attempt == 0 and own
            if again and (body is None or isinstance(body, bytes)):
                response.release_conn()
                continue
            break
        if response.status in ok:
            return response
        raise self._error(method, url, response)

    def _error(self, method: str, url: str, response: Any) -> RegistryError:
        data = response.data  # the body read so far, at most connections.ERROR_BODY_LIMIT
        code = message = ""
        try:
            doc = json.loads(data or b"{}")
        except (ValueError, RecursionError):
            doc = None
        errors = doc.get("errors") if isinstance(doc, dict) else None
        first = errors[0] if isinstance(errors, list) and errors else None
        if isinstance(first, dict):
            code = shown(first.get("code"), 60) if isinstance(first.get("code"), str) else ""
            text = first.get("message")
            message = shown(text, 200) if isinstance(text, str) else ""
        response.release_conn()
        parts = urlsplit(url)
        path = parts.path if origin(url) == self.origin else f"{parts.netloc}{parts.path}"
        detail = f"{self.label}: {method} {path}: HTTP {response.status}"
        detail += f" {code}" if code else ""
        detail += f": {message}" if message else ""
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if response.status == 429 and retry_after is not None and retry_after >= 1:
            detail += f" (the registry asks to wait {retry_after:.0f} s)"
        kind: type[RegistryError] = RegistryError
        if response.status in (401, 403):
            kind = Denied
        elif response.status == 404:
            kind = Missing
        return kind(detail, status=response.status, code=code, retry_after=retry_after)
