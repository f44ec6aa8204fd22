"""HTTP to one registry host, with the registry token flow (connections in connections.py).

Auth: ``GET /v2/`` once, then the challenge it answers with decides: ``Basic`` sends the
credentials, ``Bearer realm=..,service=..`` trades them (or nothing, for anonymous pulls) for a
token covering every repository scope this client was granted. A token is never logged or put in
an error message.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from ecrctl.core.distribution.connections import ConnectionFailed, Pool

Credentials = Callable[[], "tuple[str, str] | None"]
_CHALLENGE_RE = re.compile(r'(\w+)="([^"]*)"')


class RegistryError(Exception):
    """A registry answered with an error, or could not be reached."""

    def __init__(self, message: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status, self.code = status, code


class Denied(RegistryError):
    """401/403: no credentials, wrong ones, or no permission for the action."""


class Missing(RegistryError):
    """404: no such repository, manifest or blob."""


class Unreachable(RegistryError):
    """The connection failed or broke off."""


class Transport:
    """Authenticated HTTP to one registry host. Thread-safe: the copy calls it from its blob
    workers."""

    def __init__(
        self,
        host: str,
        *,
        scheme: str = "https",
        credentials: Credentials | None = None,
        base_url: str | None = None,
        pool: Pool | None = None,
        label: str = "",
    ) -> None:
        self.host = host
        self.base = (base_url or f"{scheme}://{host}").rstrip("/")
        self.label = label or host
        self._credentials = credentials
        self._pool = pool or Pool(maxsize=8)
        self._lock = threading.Lock()
        self._challenge: tuple[str, dict[str, str]] | None = None
        self._pinged = False
        self._scopes: dict[str, set[str]] = {}
        self._token: tuple[frozenset[str], str] | None = None
        self._creds: tuple[str, str] | None = None
        self._creds_read = False

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
        response = self._raw("GET", f"{self.base}/v2/", {})
        self._pinged = True
        if response.status == 401:
            header = response.headers.get("WWW-Authenticate", "")
            scheme, _, params = header.partition(" ")
            self._challenge = (scheme.lower(), dict(_CHALLENGE_RE.findall(params)))

    def _authorization(self, refresh: bool = False) -> str | None:
        with self._lock:
            if not self._pinged:
                self._ping()
            if self._challenge is None:
                return None
            scheme, params = self._challenge
            creds = self._credentials_now()
            if scheme == "basic":
                if creds is None:
                    return None
                return "Basic " + base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
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
            raise RegistryError(f"{self.label}: a Bearer challenge without a realm")
        query = [("service", params["service"])] if params.get("service") else []
        query += [("scope", scope) for scope in sorted(scopes)]
        headers = {}
        if creds is not None:
            headers["Authorization"] = (
                "Basic " + base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
            )
        url = realm + ("&" if "?" in realm else "?") + urlencode(query)
        response = self._raw("GET", url, headers)
        if response.status in (401, 403):
            raise Denied(f"{self.label}: the token service refused the credentials", status=401)
        if response.status != 200:
            raise RegistryError(f"{self.label}: token service HTTP {response.status}")
        try:
            body = json.loads(response.data)
            return str(body.get("token") or body["access_token"])
        except (ValueError, KeyError, AttributeError):
            raise RegistryError(f"{self.label}: the token service answered no token") from None

    # -- transport ----------------------------------------------------------------------
    def _raw(self, method: str, url: str, headers: dict[str, str], **options: Any) -> Any:
        """One request as it is (no auth added); ``options``: body, stream."""
        redirect = method in ("GET", "HEAD")
        try:
            return self._pool.request(method, url, headers=headers, redirect=redirect, **options)
        except ConnectionFailed as error:
            raise Unreachable(f"{self.label}: connection failed ({error})") from None

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        stream: bool = False,
        ok: tuple[int, ...] = (200,),
    ) -> Any:
        url = path if path.startswith(("http://", "https://")) else f"{self.base}{path}"
        for attempt in (0, 1):
            sent = dict(headers or {})
            authorization = self._authorization(refresh=attempt == 1)
            if authorization:
                sent["Authorization"] = authorization
            response = self._raw(method, url, sent, body=body, stream=stream)
            retry = response.status == 401 and attempt == 0
            if retry and (body is None or isinstance(body, bytes)):
                response.release_conn()
                continue
            break
        if response.status in ok:
            return response
        raise self._error(method, path, response)

    def _error(self, method: str, path: str, response: Any) -> RegistryError:
        data = response.data if not response.closed else b""
        code = message = ""
        try:
            first = (json.loads(data or b"{}").get("errors") or [{}])[0]
            code, message = str(first.get("code", "")), str(first.get("message", ""))
        except (ValueError, AttributeError, IndexError):
            pass
        response.release_conn()
        detail = f"{self.label}: {method} {path.split('?')[0]}: HTTP {response.status}"
        detail += f" {code}: {message}" if code else ""
        kind: type[RegistryError] = RegistryError
        if response.status in (401, 403):
            kind = Denied
        elif response.status == 404:
            kind = Missing
        return kind(detail, status=response.status, code=code)
